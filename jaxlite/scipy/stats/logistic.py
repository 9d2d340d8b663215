"""The logistic distribution, as jax.scipy.stats.logistic."""

from __future__ import annotations

from ... import numpy as jnp
from ..special import expit, logit
from ._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (logistic distribution; jax.scipy.stats.logistic.logpdf)."""
    x, loc, scale = promote_args_inexact("logistic.logpdf", x, loc, scale)
    half = (x - loc) / scale / 2
    return -2 * jnp.logaddexp(half, -half) - jnp.log(scale)


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (logistic distribution; jax.scipy.stats.logistic.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (logistic distribution; jax.scipy.stats.logistic.cdf)."""
    x, loc, scale = promote_args_inexact("logistic.cdf", x, loc, scale)
    return expit((x - loc) / scale)


def sf(x, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (logistic distribution; jax.scipy.stats.logistic.sf)."""
    x, loc, scale = promote_args_inexact("logistic.sf", x, loc, scale)
    return expit((loc - x) / scale)


def ppf(x, loc=0, scale=1):
    """Percent-point function (inverse of cdf) at `q` (logistic distribution; jax.scipy.stats.logistic.ppf)."""
    x, loc, scale = promote_args_inexact("logistic.ppf", x, loc, scale)
    return logit(x) * scale + loc


def isf(x, loc=0, scale=1):
    """Inverse survival function at `q` (logistic distribution; jax.scipy.stats.logistic.isf)."""
    x, loc, scale = promote_args_inexact("logistic.isf", x, loc, scale)
    return -logit(x) * scale + loc
