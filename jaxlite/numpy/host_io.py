"""Names JAX's jnp takes from NumPy, and arrays read from host data (buffers, strings, files).

These have no traced inputs: frombuffer/fromstring/load read host bytes into an Array, and the
dtype and print-option helpers are NumPy's own functions, as in JAX.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import core
from ..array import Array

__all__ = ["ComplexWarning", "can_cast", "character", "flexible", "frombuffer", "fromstring",
           "get_printoptions", "isdtype", "iterable", "load", "object_", "printoptions", "save",
           "savez", "set_printoptions"]

ComplexWarning = np.exceptions.ComplexWarning
character, flexible, object_ = np.character, np.flexible, np.object_
iterable, save, savez = np.iterable, np.save, np.savez
printoptions, get_printoptions, set_printoptions = (
    np.printoptions, np.get_printoptions, np.set_printoptions)


def _dtype_of(x):
    if isinstance(x, (Array, core.Tracer)):
        return x.dtype
    return dtypes.canonicalize(np.result_type(x), core.config.x64)


def can_cast(from_, to, casting="safe"):
    """Whether NumPy's casting rule allows from_ (a dtype or array) to become `to`."""
    return np.can_cast(_dtype_of(from_), np.dtype(to), casting=casting)


def isdtype(dtype, kind):
    """The array API's dtype test (kind: a dtype, a name like 'real floating', or a tuple)."""
    return np.isdtype(np.dtype(dtype), kind)


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """An Array of the bytes of `buffer` read as `dtype` (copied; x64 rules apply)."""
    return Array(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    """An Array of the numbers in the text `string`, separated by `sep`."""
    return Array(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def load(file, *args, **kwargs):
    """np.load, with arrays returned as jaxlite Arrays (archives stay NumPy's lazy NpzFile)."""
    out = np.load(file, *args, **kwargs)
    return Array(out) if isinstance(out, np.ndarray) and out.dtype != object else out
