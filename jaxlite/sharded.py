"""The result of pmap: an Array whose rows live on the devices, one shard per device.

A ShardedArray is a jaxlite.Array (np.asarray, indexing, arithmetic all work) whose value --
the shards stacked along axis 0 -- is assembled only when something reads it. pmap reads the
shards directly, so feeding one pmap's output to the next costs no stacking and no splitting.
"""

from __future__ import annotations

import numpy as np

from .array import Array, wrap


class ShardedArray(Array):
    __slots__ = ("_shards", "_devices")

    def __init__(self, shards, devices, weak_type=False):
        self._shards = list(shards)
        self._devices = list(devices)
        self._weak = bool(weak_type)
        Array._value.__set__(self, None)  # assembled on first read

    @property
    def _value(self):
        v = Array._value.__get__(self)  # the parent's slot, filled on first read
        if v is None:
            v = np.stack(self._shards)
            v.flags.writeable = False
            Array._value.__set__(self, v)
        return v

    @_value.setter
    def _value(self, v):
        Array._value.__set__(self, v)

    # metadata without assembling
    shape = property(lambda self: (len(self._shards), *self._shards[0].shape))
    dtype = property(lambda self: self._shards[0].dtype)
    ndim = property(lambda self: 1 + self._shards[0].ndim)
    size = property(lambda self: len(self._shards) * self._shards[0].size)

    @property
    def sharding(self):
        from .sharding import PmapSharding

        return PmapSharding(self._devices)

    @property
    def devices_list(self):
        return list(self._devices)

    @property
    def addressable_shards(self):
        pairs = zip(self._devices, self._shards, strict=True)
        return [_Shard(d, wrap(s, self._weak), i) for i, (d, s) in enumerate(pairs)]

    def __jax_array__(self):
        return wrap(self._value, self._weak)

    def __repr__(self):
        return super().__repr__()

    def __reduce__(self):
        return Array.__reduce__(self)


class _Shard:
    __slots__ = ("device", "data", "index")

    def __init__(self, device, data, index):
        self.device, self.data, self.index = device, data, index

    def __repr__(self):
        return f"Shard(device={self.device!r}, index={self.index}, data={self.data!r})"


def make_sharded(shards, devices, weak_type=False):
    return ShardedArray(shards, devices, weak_type)


def shards_of(x, n):
    """x's per-device shards if it is a ShardedArray over n devices, else None."""
    if isinstance(x, ShardedArray) and len(x._shards) == n:
        return x._shards
    return None
