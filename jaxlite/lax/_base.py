"""Shared helpers for the lax wrappers: operand conversion and Python-scalar handling."""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import core
from ..array import Array, wrap
from ..core import Tracer, bind


def is_array(x):
    return isinstance(x, (Array, Tracer, np.ndarray, np.generic))


def dtype_of(x):
    if isinstance(x, (Array, Tracer, np.ndarray, np.generic)):
        return x.dtype if not isinstance(x, (np.ndarray, np.generic)) else dtypes.canonicalize(x.dtype, core.config.x64)
    return core.get_aval(x).dtype


def scalar_as(x, dtype, name):
    """A Python scalar as a weak-typed rank-0 value of `dtype` (JAX's lax behaviour)."""
    dtype = np.dtype(dtype)
    if isinstance(x, bool) and dtype != dtypes.bool_:
        x = int(x)
    if isinstance(x, complex) and not dtypes.is_complex(dtype):
        raise TypeError(f"{name}: cannot combine complex scalar {x} with a {dtype} array")
    if isinstance(x, float) and (dtypes.is_integer(dtype) or dtypes.is_bool(dtype)):
        raise TypeError(
            f"{name}: cannot combine float scalar {x} with a {dtype} array; "
            f"use jnp.{name} (which promotes) or convert the array first")
    if isinstance(x, int) and dtypes.is_integer(dtype):
        core.check_int_fits(x, dtype)
    return wrap(np.asarray(x, dtype), True)


def operands(name, *xs):
    """Convert a primitive's operands: Python scalars take the dtype of the first array."""
    ref = next((x for x in xs if is_array(x)), None)
    if ref is None:
        return xs
    dt = dtype_of(ref)
    return tuple(scalar_as(x, dt, name) if isinstance(x, core._PY_SCALARS) else x for x in xs)


def unary(prim):
    def op(x):
        return bind(prim, x)

    op.__name__ = prim.name
    op.__doc__ = f"Elementwise {prim.name} (lax primitive `{prim.name}`)."
    return op


def binary(prim, name=None):
    name = name or prim.name

    def op(x, y):
        x, y = operands(name, x, y)
        return bind(prim, x, y)

    op.__name__ = name
    op.__doc__ = f"Elementwise {prim.name} of two operands of one dtype (lax primitive)."
    return op


def normalize_axis(axis, ndim, name, argname="axis"):
    try:
        axis = int(axis)
    except TypeError:
        raise TypeError(f"{name}: {argname} must be an int, got {type(axis).__name__}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name}: {argname}={axis} is out of bounds for an array of rank {ndim} "
            f"(valid: {-ndim} to {ndim - 1})")
    return axis % ndim


def shape_of(x):
    return tuple(np.shape(x)) if not isinstance(x, (Array, Tracer)) else x.shape

