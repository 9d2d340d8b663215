"""The normal distribution, as jax.scipy.stats.norm."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ..special import log_ndtr, ndtr, ndtri
from ._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (normal distribution; jax.scipy.stats.norm.logpdf)."""
    x, loc, scale = promote_args_inexact("norm.logpdf", x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * (z * z + jnp.log(2 * np.pi * scale * scale))  # scale^2: a negative scale works, as in JAX


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (normal distribution; jax.scipy.stats.norm.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (normal distribution; jax.scipy.stats.norm.cdf)."""
    x, loc, scale = promote_args_inexact("norm.cdf", x, loc, scale)
    return ndtr((x - loc) / scale)


def logcdf(x, loc=0, scale=1):
    """Log of the cumulative distribution function at `x` (normal distribution; jax.scipy.stats.norm.logcdf)."""
    x, loc, scale = promote_args_inexact("norm.logcdf", x, loc, scale)
    return log_ndtr((x - loc) / scale)


def sf(x, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (normal distribution; jax.scipy.stats.norm.sf)."""
    x, loc, scale = promote_args_inexact("norm.sf", x, loc, scale)
    return ndtr((loc - x) / scale)


def logsf(x, loc=0, scale=1):
    """Log of the survival function at `x` (normal distribution; jax.scipy.stats.norm.logsf)."""
    x, loc, scale = promote_args_inexact("norm.logsf", x, loc, scale)
    return log_ndtr((loc - x) / scale)


def ppf(q, loc=0, scale=1):
    """Percent-point function (inverse of cdf) at `q` (normal distribution; jax.scipy.stats.norm.ppf)."""
    q, loc, scale = promote_args_inexact("norm.ppf", q, loc, scale)
    return ndtri(q) * scale + loc


def isf(q, loc=0, scale=1):
    """Inverse survival function at `q` (normal distribution; jax.scipy.stats.norm.isf)."""
    q, loc, scale = promote_args_inexact("norm.isf", q, loc, scale)
    return ppf(1 - q, loc, scale)
