"""Shared by the pmap tests: run with 8 CPU devices and restore the count afterwards."""

from __future__ import annotations

import contextlib

from jaxlite import device_list
from jaxlite.config import config


@contextlib.contextmanager
def cpu_devices(n):
    """Reinitialise the local device count to n (tests only), restoring it on exit."""
    saved_state = dict(device_list._state)
    saved_flag = config._values["jax_num_cpu_devices"]
    device_list._reset_for_tests(n)
    try:
        yield
    finally:
        device_list._state.clear()
        device_list._state.update(saved_state)
        config._values["jax_num_cpu_devices"] = saved_flag
