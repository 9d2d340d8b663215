"""jaxlite.dlpack: zero-copy exchange of arrays with NumPy, PyTorch and other DLPack libraries.

jaxlite arrays live in host memory, so the exchange is with CPU (kDLCPU) buffers only:
- `from_dlpack(x)` views the producer's buffer without copying when it already has the dtype
  jaxlite would give it (and is C-contiguous); otherwise, or with `copy=True`, it copies. As in
  JAX, a shared buffer changed later by its producer is seen by the jaxlite array.
- `jaxlite.Array` implements `__dlpack__` / `__dlpack_device__`, so `np.from_dlpack(x)` and
  `torch.from_dlpack(x)` see its buffer without copying (read-only where the consumer speaks
  DLPack 1.0, which can say so).
"""

from __future__ import annotations

import warnings

import numpy as np

from compiler import dtypes

from .array import Array, wrap
from .config import config

KDL_CPU = 1
_DEVICE_NAMES = {
    1: "CPU",
    2: "CUDA",
    3: "CUDA host",
    4: "OpenCL",
    7: "Vulkan",
    8: "Metal",
    10: "ROCm",
    13: "CUDA managed",
    14: "oneAPI",
}
_SUPPORTED = {
    np.dtype(t)
    for t in (
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.float16,
        np.float32,
        np.float64,
        np.complex64,
        np.complex128,
    )
}


def is_supported_dtype(dtype) -> bool:
    """Whether arrays of `dtype` can be exchanged through DLPack."""
    return np.dtype(dtype) in _SUPPORTED


class _Capsule:
    """A legacy DLPack capsule dressed as a producer (capsules are always CPU here)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (KDL_CPU, 0)


def _check_device(device):
    if device is None:
        return
    platform = getattr(device, "platform", device)
    if platform != "cpu":
        raise ValueError(
            f"jaxlite.dlpack.from_dlpack: device {device!r} is not available; jaxlite has CPU devices only"
        )


def from_dlpack(external_array, device=None, copy=None):
    """A jaxlite Array of the buffer of `external_array` (an object with `__dlpack__`, or a
    legacy DLPack capsule). `copy=None` shares the buffer when it can, `True` always copies,
    `False` raises where a copy would be needed."""
    _check_device(device)
    if type(external_array).__name__ == "PyCapsule":
        external_array = _Capsule(external_array)
    if not hasattr(external_array, "__dlpack__"):
        raise TypeError(
            f"jaxlite.dlpack.from_dlpack: {type(external_array).__name__} does not implement the DLPack "
            "protocol (__dlpack__ / __dlpack_device__); pass a NumPy array, a torch tensor or a capsule"
        )
    kind, index = external_array.__dlpack_device__()
    if int(kind) != KDL_CPU:
        name = _DEVICE_NAMES.get(int(kind), f"type {int(kind)}")
        raise RuntimeError(
            f"jaxlite.dlpack.from_dlpack: the array lives on a {name} device (DLPack device "
            f"({int(kind)}, {index})), but jaxlite arrays live in host memory; move it to the CPU "
            "first (for a torch tensor: tensor.cpu())"
        )
    value = np.from_dlpack(external_array, copy=True if copy else None)
    if not is_supported_dtype(value.dtype):
        raise TypeError(f"jaxlite.dlpack.from_dlpack: dtype {value.dtype} is not supported")
    dtype = dtypes.canonicalize(value.dtype, config.x64)
    if dtype != value.dtype or not value.flags.c_contiguous:
        if copy is False:
            raise ValueError(
                f"jaxlite.dlpack.from_dlpack: copy=False, but the {value.dtype} buffer must be "
                f"converted to {dtype} (or made contiguous); pass copy=None to allow a copy"
            )
        value = np.ascontiguousarray(value, dtype=dtype)
    if value.flags.writeable:  # jaxlite never writes to it; the producer still may
        value = value.view()
        value.flags.writeable = False
    return wrap(value)


def to_dlpack(x, stream=None, src_device=None, dl_device=None, max_version=None, copy=None):
    """A DLPack capsule of `x` (deprecated in JAX: pass the array itself to the consumer's
    `from_dlpack`, which uses `x.__dlpack__()`)."""
    warnings.warn(
        "jaxlite.dlpack.to_dlpack is deprecated (as in JAX); pass the array to the consumer's from_dlpack instead",
        DeprecationWarning,
        stacklevel=2,
    )
    if not isinstance(x, Array):
        raise TypeError(f"jaxlite.dlpack.to_dlpack: expected a jaxlite.Array, got {type(x).__name__}")
    return x.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)


__all__ = ["from_dlpack", "is_supported_dtype", "to_dlpack"]
