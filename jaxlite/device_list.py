"""CPU devices: how many, which process owns them, and the device queries of JAX's API.

A device is a slot of work that pmap runs on its own thread; on a 2-core machine 8 devices still
work (the threads share the cores). The local count is fixed at first use, as in JAX:

- `jaxlite.config.update("jax_num_cpu_devices", N)` before the first device query, or
- the environment: JAXLITE_NUM_CPU_DEVICES=N, or XLA_FLAGS=--xla_force_host_platform_device_count=N
  (JAX's flag), read when jaxlite is imported;
- default 1, as JAX on the CPU.

Changing the count after devices were initialised raises. In a multi-process run
(jaxlite.distributed.initialize()) every process has the same local count; global device ids
are rank * local_count + i and `devices()` lists every process's devices.
"""

from __future__ import annotations

import os
import re

from . import distributed
from .config import config


class CpuDevice:
    """One CPU device: `id` (global), `process_index`, `platform` "cpu", as JAX's CpuDevice."""

    __slots__ = ("id", "process_index", "local_index")
    platform = "cpu"
    device_kind = "cpu"
    client = None

    def __init__(self, id, process_index, local_index):
        self.id, self.process_index, self.local_index = id, process_index, local_index

    @property
    def local_hardware_id(self):
        return self.local_index

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def __str__(self):
        return f"TFRT_CPU_{self.id}"

    def __eq__(self, other):
        return type(other) is CpuDevice and other.id == self.id

    def __hash__(self):
        return hash(("cpu", self.id))


def _count_from_env():
    v = os.environ.get("JAXLITE_NUM_CPU_DEVICES")
    if v is not None and v.strip():
        return _valid(v, "JAXLITE_NUM_CPU_DEVICES")
    m = re.search(r"--xla_force_host_platform_device_count=(\d+)", os.environ.get("XLA_FLAGS", ""))
    return _valid(m.group(1), "XLA_FLAGS --xla_force_host_platform_device_count") if m else None


def _valid(v, what):
    try:
        n = int(v)
    except (TypeError, ValueError):
        n = 0
    if isinstance(v, bool) or n < 1:
        raise ValueError(f"{what}: the number of CPU devices must be a positive integer, got {v!r}")
    return n


_state = {"local": None, "requested": 1}  # the count once initialised; the last valid request


def _on_config_change(name, value):
    if name != "jax_num_cpu_devices":
        return
    try:
        n = _valid(value, 'config.update("jax_num_cpu_devices", ...)')
    except ValueError:
        config._values[name] = _state["requested"]  # update() already stored it: undo
        raise
    if _state["local"] is not None and n != _state["local"]:
        config._values[name] = _state["local"]
        raise RuntimeError(
            f'config.update("jax_num_cpu_devices", {value}): the CPU devices were already '
            f"initialised with {_state['local']} device(s); set the count before the first call "
            "to devices()/pmap (or set JAXLITE_NUM_CPU_DEVICES in the environment)")
    _state["requested"] = n


_env = _count_from_env()
if _env is not None:
    config._values["jax_num_cpu_devices"] = _state["requested"] = _env
config._listeners.append(_on_config_change)


def _local_count():
    n = _state["local"]
    if n is None:
        n = _state["local"] = _valid(config.read("jax_num_cpu_devices"), "jax_num_cpu_devices")
    return n


def _reset_for_tests(n=None):
    """Forget the initialised count (tests only: nothing may hold devices of the old count)."""
    _state["local"] = None
    if n is not None:
        config._values["jax_num_cpu_devices"] = _state["requested"] = _valid(n, "_reset_for_tests")


def process_index() -> int:
    """This process's index in a multi-process run (its MPI rank), 0 in a single process."""
    group = distributed.process_group()
    return 0 if group is None else int(group.rank)


def process_count() -> int:
    """The number of processes in the run (the MPI size), 1 in a single process."""
    group = distributed.process_group()
    return 1 if group is None else int(group.size)


def local_device_count(backend=None) -> int:
    """The number of devices this process drives (jax_num_cpu_devices, default 1)."""
    return _local_count()


def device_count(backend=None) -> int:
    """The number of devices across all processes."""
    return _local_count() * process_count()


def devices(backend=None) -> list:
    """All devices of the run, across processes, ordered by id."""
    if backend not in (None, "cpu"):
        raise RuntimeError(f"devices: backend {backend!r} is not available; only 'cpu' is")
    n = _local_count()
    return [CpuDevice(p * n + i, p, i) for p in range(process_count()) for i in range(n)]


def local_devices(process_index=None, backend=None) -> list:
    """The devices of one process (this one by default)."""
    n = _local_count()
    p = globals()["process_index"]() if process_index is None else int(process_index)
    return [CpuDevice(p * n + i, p, i) for i in range(n)]
