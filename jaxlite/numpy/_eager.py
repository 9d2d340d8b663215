"""Eager fast paths: jnp calls on concrete Arrays whose meaning NumPy computes exactly.

When no transformation is active and the arguments are Arrays that need no promotion, NumPy's
own function gives JAX's answer (same dtype, same broadcasting, same basic indexing), so calling
it directly skips the promotion, broadcasting and bind layers. Each helper returns None when its
case does not apply; the caller then takes the general path, which also produces the errors.
"""

from __future__ import annotations

import numpy as np

from ..array import Array, wrap
from ..core import eval_trace, trace_ctx

_FLOAT32_64 = (np.dtype(np.float32), np.dtype(np.float64))
_BASIC = (int, slice, type(None), type(Ellipsis))


def _nd(v):
    return v if type(v) is np.ndarray else np.asarray(v)


def eager() -> bool:
    return trace_ctx.trace is eval_trace


def getitem(x, idx):
    """Basic indexing (in-range ints, slices, None, Ellipsis) is NumPy's own."""
    if type(x) is not Array or not eager():
        return None
    v = x._value
    parts = idx if type(idx) is tuple else (idx,)
    if not all(type(p) in _BASIC for p in parts):
        return None
    has_ellipsis = any(p is Ellipsis for p in parts)
    axis = 0
    for p in parts:
        if type(p) is int:
            if has_ellipsis or axis >= v.ndim or not -v.shape[axis] <= p < v.shape[axis]:
                return None  # JAX clamps out-of-range ints; the general path does that
            axis += 1
        elif type(p) is slice:
            axis += 1
    return _index(v, idx, x._weak)


def _index(v, idx, weak):
    try:
        return wrap(_nd(v[idx]), weak)
    except (IndexError, TypeError, ValueError):
        return None


def reshape(a, shape, order):
    if type(a) is not Array or order != "C" or not eager():
        return None
    if type(shape) is int:
        shape = (shape,)
    if type(shape) is not tuple or not all(type(d) is int for d in shape):
        return None
    try:
        return wrap(a._value.reshape(shape), a._weak)
    except ValueError:
        return None


def where(c, x, y):
    if not (type(c) is Array and type(x) is Array and type(y) is Array and eager()):
        return None
    xv, yv, cv = x._value, y._value, c._value
    if xv.dtype != yv.dtype or cv.dtype != np.bool_:
        return None
    try:
        return wrap(_nd(np.where(cv, xv, yv)), x._weak and y._weak)
    except ValueError:
        return None


def matmul(a, b):
    if not (type(a) is Array and type(b) is Array and eager()):
        return None
    av, bv = a._value, b._value
    if av.dtype != bv.dtype or av.dtype not in _FLOAT32_64 or av.ndim == 0 or bv.ndim == 0:
        return None
    try:
        return wrap(_nd(np.matmul(av, bv)), a._weak and b._weak)
    except ValueError:
        return None


_NP_REDUCERS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean}


def reduce(op, a, axis, dtype, keepdims, extra):
    """Float reductions without dtype/initial/where/out arguments; reductions drop weak types."""
    if type(a) is not Array or dtype is not None or any(e is not None for e in extra) or not eager():
        return None
    v = a._value
    if v.dtype not in _FLOAT32_64 or v.size == 0:
        return None
    if axis is not None and type(axis) is not int and not (
            type(axis) is tuple and all(type(ax) is int for ax in axis)):
        return None
    try:
        return wrap(_nd(_NP_REDUCERS[op](v, axis=axis, keepdims=bool(keepdims))), False)
    except (ValueError, IndexError, TypeError):
        return None
