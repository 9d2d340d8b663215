"""jaxlite.scipy: the parts of SciPy that jax.scipy provides, written on jaxlite.lax."""

from . import linalg, special, stats  # noqa: F401
