"""jaxlite.Array: an immutable, NumPy-interoperable array living in host memory.

It holds a NumPy value that nothing ever writes to, plus JAX's weak-type bit. `np.asarray(x)`
returns a read-only view (zero-copy). Arithmetic operators are installed by
jaxlite.numpy.array_methods; the hottest ones get an eager fast path there.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler.ir import ShapedArray

from . import core


class Array:
    """A jaxlite array: an immutable n-d array holding a NumPy value (jax.Array)."""

    __slots__ = ("_value", "_weak", "__weakref__")
    # Make `np_array + jaxlite_array` call our __radd__ rather than NumPy's ufunc machinery.
    __array_priority__ = 100

    def __init__(self, value, weak_type=False):
        v, weak = core.canonical_value(value, "jaxlite.Array")
        self._value = v
        self._weak = bool(weak_type) or weak

    # -- metadata ---------------------------------------------------------------------------
    shape = property(lambda self: self._value.shape)
    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)
    nbytes = property(lambda self: self._value.nbytes)
    itemsize = property(lambda self: self._value.itemsize)
    weak_type = property(lambda self: self._weak)

    @property
    def aval(self):
        return ShapedArray(self._value.shape, self._value.dtype, self._weak)

    # -- donation: a donated Array is deleted after the call (jit donate_argnums) --------------
    def delete(self):
        """Drop this Array's buffer (jax.Array.delete); any later use raises RuntimeError."""
        if type(self._value) is not _DeletedValue:
            self._value = _DeletedValue(self._value.shape, self._value.dtype)

    def is_deleted(self) -> bool:
        """True once the Array was donated to a jit call or `delete()`d (jax.Array.is_deleted)."""
        return type(self._value) is _DeletedValue

    # -- conversion --------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype, copy=True)
        v = np.asarray(self._value)
        if v.flags.writeable:
            v = v.view()
            v.flags.writeable = False
        if dtype is not None and np.dtype(dtype) != v.dtype:
            if copy is False:
                raise ValueError("np.asarray(x, dtype, copy=False) would need a copy")
            return v.astype(dtype)
        return v

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        # DLPack 1.0 consumers are told the buffer is read-only (zero-copy); older ones cannot be
        # told, so they get the buffer itself when NumPy will export it, else a copy.
        v = self._value
        if max_version is not None and tuple(max_version) >= (1, 0):
            v = np.asarray(self)
        elif not v.flags.writeable:
            v = np.array(v)
        kwargs = {"max_version": max_version} if max_version is not None else {}
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        return v.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self):
        return self._value.__dlpack_device__()

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return np.asarray(self._value).tolist()

    def block_until_ready(self):
        if type(self._value) is _DeletedValue:
            self._value.error()
        return self  # computation is synchronous: the value is ready when the Array exists

    def copy_to_host_async(self):
        """Nothing to do: the value already lives in host memory (JAX starts a transfer)."""

    # -- placement: an eager Array lives in host memory, which is the first local CPU device ----
    @property
    def sharding(self):
        from .device_list import local_devices
        from .sharding import SingleDeviceSharding

        return SingleDeviceSharding(local_devices()[0])

    @property
    def device(self):
        devs = self.sharding._device_list
        if len(devs) != 1:
            raise ValueError(
                f"Array.device: the array is spread over {len(devs)} devices; use .devices() "
                "or .sharding.device_set instead")
        return devs[0]

    def devices(self) -> set:
        return self.sharding.device_set

    @property
    def is_fully_replicated(self) -> bool:
        return self.sharding.is_fully_replicated

    @property
    def is_fully_addressable(self) -> bool:
        return self.sharding.is_fully_addressable

    committed = property(lambda self: False)  # jaxlite does not pin arrays to a device

    @property
    def addressable_shards(self):
        from .sharded import _Shard

        return [_Shard(self.device, self, tuple(slice(None) for _ in range(self.ndim)))]

    def addressable_data(self, index):
        return self.addressable_shards[index].data

    def copy(self):
        return wrap(np.array(self._value, copy=True), self._weak)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if not dtypes.is_integer(self.dtype) and not dtypes.is_bool(self.dtype):
            raise TypeError(f"only integer scalar arrays can be converted to an index, got {self.dtype}")
        return self._value.__index__() if self.ndim == 0 else int(self._value)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of unsized object (a rank-0 array)")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        weak = self._weak
        return (wrap(row, weak) for row in np.asarray(self._value))

    def __setitem__(self, idx, value):
        raise TypeError(
            "jaxlite arrays are immutable: item assignment `x[idx] = y` is not supported. "
            "Use `x = x.at[idx].set(y)` (or .add, .mul, .min, .max) instead."
        )

    __hash__ = None

    def __repr__(self):
        body = np.array2string(
            np.asarray(self._value), separator=", ", prefix="Array(", threshold=1000)
        extra = ", weak_type=True" if self._weak else ""
        return f"Array({body}, dtype={self.dtype.name}{extra})"

    def __str__(self):
        return str(np.asarray(self._value))

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (_reconstruct, (np.asarray(self._value), self._weak))

    def __getstate__(self):
        return None


class _DeletedValue:
    """What a deleted Array holds instead of its NumPy value: the shape and dtype (still
    readable, as in JAX) and JAX's error for every other use, NumPy conversion included."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)

    def error(self, *args, **kwargs):
        raise RuntimeError(f"Array has been deleted with shape={self.dtype.name}[{','.join(map(str, self.shape))}].")

    __array__ = __bool__ = __int__ = __float__ = __complex__ = __index__ = __len__ = __iter__ = error
    __getitem__ = item = tolist = __dlpack__ = __dlpack_device__ = error

    def __getattr__(self, name):  # flags, astype, reshape, ...: every other use of the value
        self.error()


def _reconstruct(value, weak):
    return wrap(np.array(value), weak)


def wrap(value, weak=False) -> Array:
    """Wrap a NumPy value the library produced (already canonical, never aliased by users)."""
    a = object.__new__(Array)
    a._value = value
    a._weak = weak
    return a


def device_put(x, device=None):
    """Turn a pytree of values into Arrays (a copy of NumPy inputs, canonical dtypes)."""
    from .tree_util import tree_map

    return tree_map(lambda v: v if isinstance(v, (Array, core.Tracer)) else Array(v), x)


def device_get(x):
    """Every jaxlite Array in the pytree `x` as a NumPy array (jax.device_get)."""
    from .tree_util import tree_map

    return tree_map(lambda v: np.asarray(v) if isinstance(v, Array) else v, x)
