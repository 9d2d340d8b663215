"""The Laplace distribution, as jax.scipy.stats.laplace."""

from __future__ import annotations

from ... import numpy as jnp
from ._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (Laplace distribution; jax.scipy.stats.laplace.logpdf)."""
    x, loc, scale = promote_args_inexact("laplace.logpdf", x, loc, scale)
    return -jnp.log(2 * scale) - jnp.abs(x - loc) / scale


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (Laplace distribution; jax.scipy.stats.laplace.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (Laplace distribution; jax.scipy.stats.laplace.cdf)."""
    x, loc, scale = promote_args_inexact("laplace.cdf", x, loc, scale)
    z = (x - loc) / scale
    below = z <= 0
    # each branch evaluated only where it is small, so neither overflows into the other's gradient
    return jnp.where(below, 0.5 * jnp.exp(jnp.where(below, z, 0)), 1 - 0.5 * jnp.exp(-jnp.where(below, 0, z)))
