"""lax.reduce_window: windowed sums, maxima and minima (pooling).

The monoids JAX recognises (lax.add with 0, lax.max with -inf or the integer minimum, lax.min
with +inf or the integer maximum) become the reduce_window_{sum,max,min} primitives, as in JAX.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import dilate_dim

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
    """Reduce each window of `operand` with `computation`, starting from `init_value`."""
    shape = shape_of(operand)
    nd = len(shape)
    window = _ints(window_dimensions, nd, 1, "window_dimensions")
    strides = _ints(window_strides, nd, 1, "window_strides")
    base_dilation = _ints(base_dilation, nd, 1, "base_dilation")
    window_dilation = _ints(window_dilation, nd, 1, "window_dilation")
    if isinstance(padding, str):
        dilated = [dilate_dim(w, d) for w, d in zip(window, window_dilation)]
        padding = padtype_to_pads(shape, dilated, strides, padding)
    else:
        padding = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    prim = _monoid(computation, init_value, dtype_of(operand))
    if prim is None:
        raise TypeError(
            "reduce_window: only lax.add with init 0, lax.max with init -inf (the dtype's "
            "minimum for integers) and lax.min with init +inf (the maximum) are supported, got "
            f"computation={getattr(computation, '__name__', computation)!r}, "
            f"init_value={init_value!r}; write other reductions with those and elementwise ops")
    return bind(prim, operand, window_dimensions=window, window_strides=strides, padding=padding,
                base_dilation=base_dilation, window_dilation=window_dilation)
