"""Experimental APIs, as jax.experimental: ODE integration and scan checkpointing helpers."""

from . import ode  # noqa: F401
from .ode import odeint  # noqa: F401
from .scan_checkpoint import checkpointed_scan  # noqa: F401
