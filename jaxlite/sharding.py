"""jax.sharding, the part that describes where jaxlite arrays live.

jaxlite has no sharding API (no Mesh, NamedSharding or shard_map): an array lives either in host
memory, on the first local CPU device (SingleDeviceSharding), or, as pmap's output, one row per
device (PmapSharding). These objects answer the questions JAX programs ask of `x.sharding`.
"""

from __future__ import annotations

__all__ = ["PmapSharding", "Sharding", "SingleDeviceSharding"]


class Sharding:
    """Where the shards of an array live (the base class, as jax.sharding.Sharding)."""

    __slots__ = ()

    @property
    def device_set(self) -> set:
        return set(self._device_list)

    @property
    def addressable_devices(self) -> set:
        from .device_list import process_index

        return {d for d in self._device_list if d.process_index == process_index()}

    @property
    def num_devices(self) -> int:
        return len(self._device_list)

    def __eq__(self, other):
        return type(other) is type(self) and other._device_list == self._device_list

    def __hash__(self):
        return hash((type(self).__name__, tuple(self._device_list)))


class SingleDeviceSharding(Sharding):
    """The whole array on one device."""

    __slots__ = ("_device_list",)
    is_fully_replicated = True
    is_fully_addressable = True

    def __init__(self, device, *, memory_kind=None):
        self._device_list = (device,)

    @property
    def memory_kind(self):
        return "unpinned_host"

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device_list[0]!r}, memory_kind=unpinned_host)"


class PmapSharding(Sharding):
    """pmap's output: row i of the array on device i (the mapped axis is split, not replicated)."""

    __slots__ = ("_device_list",)
    is_fully_replicated = False

    def __init__(self, devices):
        self._device_list = tuple(devices)

    @property
    def devices(self):
        import numpy as np

        out = np.empty(len(self._device_list), dtype=object)
        out[:] = self._device_list
        return out

    @property
    def is_fully_addressable(self) -> bool:
        return self.addressable_devices == self.device_set

    def __repr__(self):
        return f"PmapSharding(devices={list(self._device_list)!r})"
