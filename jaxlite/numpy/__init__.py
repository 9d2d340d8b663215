"""jaxlite.numpy: the NumPy API as JAX exposes it, written on jaxlite.lax only.

Each submodule lists its public names in `__all__`; this file only gathers them.
"""

import importlib as _importlib

import numpy as _np

from compiler import dtypes as _dtypes

from . import array_methods as _array_methods  # noqa: F401 - installs the operators
from .ufuncs import *  # noqa: F401,F403
from .ufuncs import __all__ as _ufunc_names  # noqa: F401

# Submodules written by feature; a module missing from a checkout is an error, not a skip.
_SUBMODULES = ["creation", "shape_ops", "indexing", "reductions", "sorting", "linalg_ops",
               "comparisons_math", "array_edit", "poly_windows", "vectorize_index",
               "host_io", "block_bits", "histograms_nd", "ufunc_objects"]
for _name in _SUBMODULES:
    _mod = _importlib.import_module(f"{__name__}.{_name}")
    for _n in _mod.__all__:
        globals()[_n] = getattr(_mod, _n)

from ..array import Array as ndarray  # noqa: E402,F401
from . import linalg  # noqa: E402,F401

# dtypes and constants, as NumPy's (JAX exposes NumPy's scalar types under jnp too)
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
float_, int_, complex_ = _np.float64, _np.int64, _np.complex128
bool = _np.bool_  # noqa: A001 - JAX's name (jnp.bool)
single, double, csingle, cdouble, uint = _np.float32, _np.float64, _np.complex64, _np.complex128, _np.uint64
dtype = _np.dtype
finfo, iinfo = _np.finfo, _np.iinfo
integer, signedinteger, unsignedinteger = _np.integer, _np.signedinteger, _np.unsignedinteger
floating, complexfloating, inexact, number, generic = (
    _np.floating, _np.complexfloating, _np.inexact, _np.number, _np.generic)
issubdtype = _np.issubdtype
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None
float0 = _dtypes.float0


def from_dlpack(x, /, *, device=None, copy=None):
    """An Array of the buffer of a DLPack producer, shared when possible (jaxlite.dlpack)."""
    from ..dlpack import from_dlpack as _from_dlpack

    return _from_dlpack(x, device=device, copy=copy)
