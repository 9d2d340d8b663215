"""lax.reduce_window: windowed reductions (pooling) with any computation.

The monoids JAX recognises (lax.add with 0, lax.max with -inf or the integer minimum, lax.min
with +inf or the integer maximum) become the reduce_window_{sum,max,min} primitives, as in JAX.
Any other computation, and several operands reduced together (a pytree), is a composite: pad
(and dilate) the operands, take one strided slice per window tap, and fold `computation` over
the taps elementwise, starting from the init value. As XLA on the CPU (what JAX computes), pads
and dilation holes are skipped rather than folded in (the two agree when init is the identity).
That is exact for the associative computations XLA requires (it too leaves the order
unspecified), and jvp, vmap and jit come from the ops it is written with.
"""

from __future__ import annotations

import builtins
import itertools
import operator

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import dilate_dim

from .. import tree_util
from ..array import Array
from ..core import Tracer, bind
from ._base import dtype_of, shape_of
from .convolution import padtype_to_pads

__all__ = ["reduce_window"]


def _ints(value, n, default, what):
    if value is None:
        return (default,) * n
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"reduce_window: {what} must be a sequence of ints, got {value!r}") from None
    if len(out) != n:
        raise ValueError(f"reduce_window: {what}={value!r} needs {n} entries, one per operand axis")
    return out


def _identity(prim, dtype):
    if prim is P.reduce_window_sum_p:
        return 0
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return info.min if prim is P.reduce_window_max_p else info.max
    return -np.inf if prim is P.reduce_window_max_p else np.inf


def _concrete_or_none(x):
    if isinstance(x, Tracer):
        return x.to_concrete_value()
    return x._value if isinstance(x, Array) else np.asarray(x)


def _monoid(computation, init_value, dtype):
    from . import elementwise as E

    prim = {E.add: P.reduce_window_sum_p, E.max: P.reduce_window_max_p,
            E.min: P.reduce_window_min_p}.get(computation)
    if prim is None:
        return None
    init = _concrete_or_none(init_value)
    if init is None or np.shape(init) != ():
        return None
    return prim if np.asarray(init, dtype) == np.asarray(_identity(prim, dtype), dtype) else None


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """Reduce each window of `operand` with `computation`, starting from `init_value`.

    `operand` and `init_value` may be matching pytrees (several arrays of one shape reduced
    together); `computation(x, y)` then takes and returns pytrees of that structure."""
    flat_ops, tree = tree_util.tree_flatten(operand)
    flat_inits, init_tree = tree_util.tree_flatten(init_value)
    if tree != init_tree:
        raise TypeError(f"reduce_window: operand and init_value must have the same pytree "
                        f"structure, got {tree} and {init_tree}")
    if not flat_ops:
        raise TypeError("reduce_window: operand has no arrays")
    shape = shape_of(flat_ops[0])
    for op in flat_ops[1:]:
        if shape_of(op) != shape:
            raise ValueError(f"reduce_window: all operands must have one shape, got "
                             f"{[shape_of(o) for o in flat_ops]}")
    for init in flat_inits:
        if np.shape(init) != () and shape_of(init) != ():
            raise TypeError(f"reduce_window: init values must be scalars, got shape {shape_of(init)}")
    nd = len(shape)
    window = _ints(window_dimensions, nd, 1, "window_dimensions")
    strides = _ints(window_strides, nd, 1, "window_strides")
    base_dilation = _ints(base_dilation, nd, 1, "base_dilation")
    window_dilation = _ints(window_dilation, nd, 1, "window_dilation")
    if isinstance(padding, str):
        dilated = [dilate_dim(w, d) for w, d in zip(window, window_dilation)]
        padding = padtype_to_pads(shape, dilated, strides, padding)  # JAX: the undilated shape
    else:
        padding = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
        if len(padding) != nd:
            raise ValueError(f"reduce_window: padding={padding!r} needs {nd} (lo, hi) pairs")
    prim = None
    if len(flat_ops) == 1:
        prim = _monoid(computation, flat_inits[0], dtype_of(flat_ops[0]))
    if prim is not None:
        return bind(prim, flat_ops[0], window_dimensions=window, window_strides=strides,
                    padding=padding, base_dilation=base_dilation, window_dilation=window_dilation)
    outs = _reduce_window_taps(flat_ops, flat_inits, computation, tree, window, strides, padding,
                               base_dilation, window_dilation)
    return tree_util.tree_unflatten(tree, outs)


def _reduce_window_taps(operands, inits, computation, tree, window, strides, padding,
                        base_dilation, window_dilation):
    from . import elementwise as E
    from .structural import broadcast, pad, slice

    inits = [E.convert_element_type(i, dtype_of(x)) for i, x in zip(inits, operands)]
    config = [(lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation)]
    padded = [pad(x, i, config) for x, i in zip(operands, inits)]
    # Which padded positions hold operand elements (not pads or holes): a constant.
    real = np.asarray(_interpret_pad(np.ones(shape_of(operands[0]), bool), config))
    pshape = shape_of(padded[0])
    spans = [dilate_dim(w, d) for w, d in zip(window, window_dilation)]
    out_shape = tuple(max(0, (p - s) // st + 1) if p >= s else 0
                      for p, s, st in zip(pshape, spans, strides))
    acc = [broadcast(i, out_shape) for i in inits]
    if 0 in out_shape:
        return acc
    for tap in itertools.product(*(range(w) for w in window)):
        start = [k * d for k, d in zip(tap, window_dilation)]
        limit = [b + (o - 1) * st + 1 for b, o, st in zip(start, out_shape, strides)]
        mask = real[tuple(builtins.slice(b, e, st) for b, e, st in zip(start, limit, strides))]
        if not mask.any():
            continue
        taps = [slice(x, start, limit, strides) for x in padded]
        out = computation(tree_util.tree_unflatten(tree, acc), tree_util.tree_unflatten(tree, taps))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"reduce_window: computation must return the operand's structure "
                            f"{tree}, got {out_tree}")
        for o, a in zip(out_leaves, acc):
            if shape_of(o) != shape_of(a) or dtype_of(o) != dtype_of(a):
                raise TypeError(
                    f"reduce_window: computation must keep each operand's shape and dtype "
                    f"({dtype_of(a)}{list(shape_of(a))}), got {dtype_of(o)}{list(shape_of(o))}")
        acc = out_leaves if mask.all() else [E.select(mask, o, a) for o, a in zip(out_leaves, acc)]
    return acc


def _interpret_pad(x, config):
    """NumPy pad with (lo, hi, interior) per axis, negative lo/hi cropping (lax.pad's meaning)."""
    for axis, (lo, hi, interior) in enumerate(config):
        n = x.shape[axis]
        idx = np.arange(n) * (interior + 1)
        size = max(0, (n - 1) * (interior + 1) + 1) if n else 0
        shape = list(x.shape)
        shape[axis] = size + max(lo, 0) + max(hi, 0)
        out = np.zeros(shape, x.dtype)
        sl = [builtins.slice(None)] * x.ndim
        sl[axis] = idx + max(lo, 0)
        out[tuple(sl)] = x
        crop = [builtins.slice(None)] * x.ndim
        crop[axis] = builtins.slice(max(-lo, 0), shape[axis] - max(-hi, 0))
        x = out[tuple(crop)]
    return x
