"""BLAS function pointers from SciPy's Cython BLAS capsules (the OpenBLAS SciPy ships)."""

from __future__ import annotations

import ctypes
import functools

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype, _get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


@functools.cache
def address(name: str) -> int:
    """The address of the Fortran-convention BLAS routine `name` (e.g. 'sgemm')."""
    from scipy.linalg import cython_blas

    capsule = cython_blas.__pyx_capi__[name]
    return _get_pointer(capsule, _get_name(capsule))


class _DlInfo(ctypes.Structure):
    _fields_ = [
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    ]


@functools.cache
def _library():
    """The shared library holding SciPy's BLAS (found from the gemm pointer with dladdr)."""
    info = _DlInfo()
    libc = ctypes.CDLL(None)
    if not libc.dladdr(ctypes.c_void_p(address("sgemm")), ctypes.byref(info)) or not info.dli_fname:
        return None
    return ctypes.CDLL(info.dli_fname.decode())


def set_threads_address() -> int:
    """The address of the library's `openblas_set_num_threads(int)`, or 0."""
    lib = _library()
    for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads"):
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            return ctypes.cast(fn, ctypes.c_void_p).value or 0
    return 0


def set_num_threads(n: int) -> bool:
    """Set the BLAS thread count (OpenBLAS builds); False when the library offers no way.
    By default BLAS follows its own environment variables (OPENBLAS_NUM_THREADS, ...)."""
    lib = _library()
    for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads"):
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            fn.argtypes, fn.restype = [ctypes.c_int], None
            fn(int(n))
            return True
    return False
