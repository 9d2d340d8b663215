"""BLAS function pointers from SciPy's Cython BLAS capsules (the OpenBLAS SciPy ships)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.machinery
import importlib.util
import os
import sys
import threading

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype, _get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


_import_lock = threading.Lock()


def scipy_capsules(module: str):
    """SciPy's `scipy.linalg.<module>` (cython_blas or cython_lapack), whose `__pyx_capi__` holds
    the routines' function pointers. Importing it through `scipy.linalg` runs that package's
    __init__ (150-300 ms, most of a warm-cache first jit call); the extension module itself
    needs none of it, so it is loaded from its file and registered under its usual name (a later
    `import scipy.linalg` finds and reuses it)."""
    full = f"scipy.linalg.{module}"
    with _import_lock:
        if full in sys.modules:
            return sys.modules[full]
        spec = importlib.util.find_spec("scipy")
        folder = os.path.join(os.path.dirname(spec.origin), "linalg") if spec and spec.origin else None
        names = os.listdir(folder) if folder else []
        files = [f for f in names if f.startswith(module + ".") and f.endswith((".so", ".pyd"))]
        if not files:  # an unusual layout: the ordinary import
            return importlib.import_module(full)
        path = os.path.join(folder, files[0])
        loader = importlib.machinery.ExtensionFileLoader(full, path)
        with _short_thread_timeout():  # (module_from_spec is where the library is loaded)
            mod = importlib.util.module_from_spec(importlib.util.spec_from_file_location(full, path, loader=loader))
            loader.exec_module(mod)
        sys.modules[full] = mod
        return mod


@contextlib.contextmanager
def _short_thread_timeout():
    """While SciPy's OpenBLAS loads: OPENBLAS_THREAD_TIMEOUT=4 (unless the user set it), read
    once by the library's constructor. Its worker threads otherwise start by spinning for 2**28
    cycles (~0.1 s): on 2 cores, 84 ms of the second core's time taken right when the first jit
    call compiles (cpu/parallel_compile). Jaxlite runs BLAS on one thread and wakes the workers
    only for gemms of >= 2**27 multiply-adds (milliseconds each), so their sleeping at once costs
    a wake-up of microseconds per such gemm. The environment is restored afterwards."""
    key = "OPENBLAS_THREAD_TIMEOUT"
    if key in os.environ:
        yield
        return
    os.environ[key] = "4"
    try:
        yield
    finally:
        os.environ.pop(key, None)


@functools.cache
def address(name: str) -> int:
    """The address of the Fortran-convention BLAS routine `name` (e.g. 'sgemm')."""
    capsule = scipy_capsules("cython_blas").__pyx_capi__[name]
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
