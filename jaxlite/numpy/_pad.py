"""jnp.pad (re-exported by shape_ops).

Pad widths are static, so the index-based modes (edge, reflect, symmetric, wrap) are a static
map from output to input positions along each axis. That map is cut into runs of consecutive
(or repeated) positions, and each run becomes one slice, rev or broadcast: the program stays a
handful of slices and one concatenate per axis rather than a gather.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import lax
from ..array import Array, wrap
from ..core import ConcretizationTypeError, Tracer
from ._util import check_arraylike, convert, to_array

_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_STAT_MODES = ("maximum", "minimum", "mean")
_SUPPORTED = ("constant", "empty") + _INDEX_MODES + _STAT_MODES


def _pairs(value, nd, what):
    """NumPy's broadcasting of pad_width-like arguments to one (before, after) per axis."""
    if isinstance(value, Tracer):
        v = value.to_concrete_value()
        if v is None:
            raise ConcretizationTypeError(
                f"jaxlite.numpy.pad: {what} must be static (the output shape depends on it), but "
                f"it is traced ({value.aval.str_short()}); pass it as a static argument")
        value = v
    arr = np.asarray(value)
    if what == "pad_width":
        if arr.dtype.kind not in "iub":
            raise TypeError(f"jaxlite.numpy.pad: pad_width must be integers, got {value!r}")
        if (arr < 0).any():
            raise ValueError(f"jaxlite.numpy.pad: pad_width can't contain negative values, got {value!r}")
    try:
        return np.broadcast_to(arr, (nd, 2)).tolist()
    except ValueError:
        raise ValueError(f"jaxlite.numpy.pad: {what} {value!r} cannot be broadcast to "
                         f"({nd}, 2) (one (before, after) pair per axis)") from None


def _runs(idx):
    """Split a position map into maximal runs with step +1, -1 or 0: (first, last, step)."""
    out, j, n = [], 0, len(idx)
    while j < n:
        if j + 1 < n and idx[j + 1] - idx[j] in (1, -1, 0):
            step = idx[j + 1] - idx[j]
            k = j + 1
            while k + 1 < n and idx[k + 1] - idx[k] == step:
                k += 1
        else:
            step, k = 1, j
        out.append((idx[j], idx[k], step, k - j + 1))
        j = k + 1
    return out


def _gather_runs(x, idx, axis):
    pieces = []
    for first, last, step, count in _runs(idx):
        if step == 0:
            one = lax.slice_in_dim(x, first, first + 1, 1, axis)
            shape = list(x.shape)
            shape[axis] = count
            pieces.append(lax.broadcast_in_dim(one, tuple(shape), tuple(range(x.ndim))))
        elif step == 1:
            pieces.append(lax.slice_in_dim(x, first, last + 1, 1, axis))
        else:
            pieces.append(lax.rev(lax.slice_in_dim(x, last, first + 1, 1, axis), (axis,)))
    return pieces[0] if len(pieces) == 1 else lax.concatenate(pieces, axis)


def _pad_constant(x, widths, constant_values):
    cv = constant_values
    if (cv.ndim if isinstance(cv, (Array, Tracer)) else np.ndim(cv)) == 0:
        check_arraylike("pad", constant_values)
        v = convert(to_array(constant_values), x.dtype, False)
        return lax.pad(x, v, [(b, a, 0) for b, a in widths])
    vals = _pairs(np.asarray(constant_values), x.ndim, "constant_values")
    for axis, ((b, a), (vb, va)) in enumerate(zip(widths, vals, strict=True)):
        cfg = [(0, 0, 0)] * x.ndim
        if b:
            cfg[axis] = (b, 0, 0)
            x = lax.pad(x, convert(to_array(np.asarray(vb).item()), x.dtype, False), cfg)
        if a:
            cfg[axis] = (0, a, 0)
            x = lax.pad(x, convert(to_array(np.asarray(va).item()), x.dtype, False), cfg)
    return x


def _stat(x, axis, mode):
    if mode == "maximum":
        return lax.reduce_max(x, (axis,))
    if mode == "minimum":
        return lax.reduce_min(x, (axis,))
    n = x.shape[axis]
    if dtypes.is_inexact(x.dtype):
        return lax.div(lax.reduce_sum(x, (axis,)), wrap(np.asarray(n, x.dtype)))
    # NumPy rounds the mean of integers to the nearest (even) integer.
    f = lax.convert_element_type(x, np.float32 if x.dtype.itemsize <= 4 else np.float64)
    m = lax.div(lax.reduce_sum(f, (axis,)), wrap(np.asarray(n, f.dtype)))
    return lax.convert_element_type(lax.round(m, lax.RoundingMethod.TO_NEAREST_EVEN), x.dtype)


def _pad_stat(x, axis, b, a, mode, stat_length):
    n = x.shape[axis]
    lb, la = stat_length if stat_length is not None else (n, n)
    lb, la = max(1, min(lb, n)), max(1, min(la, n))
    parts = []
    for width, lo, hi in ((b, 0, lb), (None, None, None), (a, n - la, n)):
        if width is None:
            parts.append(x)
            continue
        if width:
            s = _stat(lax.slice_in_dim(x, lo, hi, 1, axis), axis, mode)
            shape = list(x.shape)
            shape[axis] = width
            keep = tuple(i for i in range(x.ndim) if i != axis)
            parts.append(lax.broadcast_in_dim(s, tuple(shape), keep))
    return lax.concatenate(parts, axis) if len(parts) > 1 else x


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad with static widths; modes constant, empty, edge, reflect, symmetric, wrap, maximum,
    minimum and mean (reflect_type='even' only)."""
    check_arraylike("pad", array)
    x = to_array(array)
    if callable(mode):
        raise NotImplementedError("jaxlite.numpy.pad: a callable mode is not supported")
    if mode not in _SUPPORTED:
        raise NotImplementedError(f"jaxlite.numpy.pad: mode {mode!r} is not supported; use one of "
                                  f"{_SUPPORTED}")
    allowed = {"constant": {"constant_values"}, "empty": set(), "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}}.get(mode, {"stat_length"} if mode in _STAT_MODES else set())
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(f"jaxlite.numpy.pad: unsupported keyword arguments for mode {mode!r}: "
                         f"{sorted(unknown)}")
    widths = [(operator.index(b), operator.index(a)) for b, a in _pairs(pad_width, x.ndim, "pad_width")]
    if mode in ("constant", "empty"):
        return _pad_constant(x, widths, kwargs.get("constant_values", 0) if mode == "constant" else 0)
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("jaxlite.numpy.pad: reflect_type='odd' is not supported")
    stat_length = kwargs.get("stat_length")
    stat_pairs = None if stat_length is None else _pairs(stat_length, x.ndim, "stat_length")
    for axis, (b, a) in enumerate(widths):
        if not (b or a):
            continue
        if x.shape[axis] == 0:
            raise ValueError(f"jaxlite.numpy.pad: cannot apply {mode!r} padding to empty axis {axis} "
                             f"of shape {x.shape}")
        if mode in _STAT_MODES:
            x = _pad_stat(x, axis, b, a, mode, None if stat_pairs is None else stat_pairs[axis])
        else:
            idx = np.pad(np.arange(x.shape[axis]), (b, a), mode=mode).tolist()
            x = _gather_runs(x, idx, axis)
    return x
