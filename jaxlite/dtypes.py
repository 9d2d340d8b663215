"""jax.dtypes: the dtype helpers JAX programs reach for (float0, canonicalize_dtype,
result_type, issubdtype, finfo, iinfo), following jaxlite's closed dtype set and x64 flag."""

from __future__ import annotations

import numpy as np

from compiler import dtypes as _dtypes

from . import core

__all__ = ["canonicalize_dtype", "finfo", "float0", "iinfo", "issubdtype", "result_type"]

float0 = _dtypes.float0
finfo, iinfo, issubdtype = np.finfo, np.iinfo, np.issubdtype


def canonicalize_dtype(dtype, allow_extended_dtype=False):
    """The dtype values of `dtype` are stored as (64-bit types narrow when x64 is off)."""
    return _dtypes.canonicalize(dtype, core.config.x64)


def result_type(*args, return_weak_type_flag=False):
    """The dtype JAX's promotion rules give arguments (arrays, scalars or dtypes)."""
    from .numpy._util import result_type as _result_type

    return _result_type(*args, return_weak_type_flag=return_weak_type_flag)
