"""The handful of global flags, in one place, with JAX's names.

`jaxlite.config.update("jax_enable_x64", True)` or the environment variable JAX_ENABLE_X64=1
turns on 64-bit types; `enable_x64()` is a scoped version that restores the old value.
"""

from __future__ import annotations

import contextlib
import os


def _env_bool(name, default=False):
    v = os.environ.get(name)
    if v is None:
        return default
    return v.strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Flags are attributes (`config.jax_enable_x64`); `update` validates the name."""

    def __init__(self):
        self._values = {
            "jax_enable_x64": _env_bool("JAX_ENABLE_X64") or _env_bool("JAXLITE_ENABLE_X64"),
            "jax_disable_jit": _env_bool("JAX_DISABLE_JIT"),
            "jax_debug_nans": _env_bool("JAX_DEBUG_NANS"),
            "jax_debug_infs": _env_bool("JAX_DEBUG_INFS"),
            "jax_explain_cache_misses": _env_bool("JAX_EXPLAIN_CACHE_MISSES"),
            "jax_num_cpu_devices": int(os.environ.get("JAXLITE_NUM_CPU_DEVICES", "1")),
        }
        self._listeners = []

    def update(self, name, value):
        if name not in self._values:
            known = ", ".join(sorted(self._values))
            raise AttributeError(f"config.update: unknown flag {name!r}; known flags: {known}")
        self._values[name] = value
        for fn in self._listeners:
            fn(name, value)

    def read(self, name):
        return self._values[name]

    def __getattr__(self, name):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    # `x64` is read on every eager op; keep it a plain attribute lookup away.
    @property
    def x64(self):
        return self._values["jax_enable_x64"]


config = Config()


@contextlib.contextmanager
def enable_x64(new_val: bool = True):
    """Scoped x64: `with jaxlite.enable_x64(): ...` restores the previous value on exit."""
    old = config.read("jax_enable_x64")
    config.update("jax_enable_x64", bool(new_val))
    try:
        yield
    finally:
        config.update("jax_enable_x64", old)


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """Context manager: inside it, jit-decorated functions run op by op, eagerly (for debugging)."""
    old = config.read("jax_disable_jit")
    config.update("jax_disable_jit", disable)
    try:
        yield
    finally:
        config.update("jax_disable_jit", old)
