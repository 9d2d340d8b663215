"""Experimental APIs, as jax.experimental: ODE integration, scan checkpointing helpers, io_callback."""

from . import ode  # noqa: F401
from .ode import odeint  # noqa: F401
from .scan_checkpoint import checkpointed_scan  # noqa: F401
from ..callbacks import io_callback  # noqa: F401,E402
