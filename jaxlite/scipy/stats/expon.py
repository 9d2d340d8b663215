"""The exponential distribution, as jax.scipy.stats.expon."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ._util import promote_args_inexact


def _z(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    inside = ~(x < loc)  # nan stays inside, to come out nan
    return inside, jnp.where(inside, (x - loc) / scale, 0), scale


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (exponential distribution; jax.scipy.stats.expon.logpdf)."""
    inside, z, scale = _z("expon.logpdf", x, loc, scale)
    return jnp.where(inside, -z - jnp.log(scale), -np.inf)


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (exponential distribution; jax.scipy.stats.expon.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (exponential distribution; jax.scipy.stats.expon.cdf)."""
    inside, z, _ = _z("expon.cdf", x, loc, scale)
    return jnp.where(inside, -jnp.expm1(-z), 0)


def logcdf(x, loc=0, scale=1):
    """Log of the cumulative distribution function at `x` (exponential distribution; jax.scipy.stats.expon.logcdf)."""
    inside, z, _ = _z("expon.logcdf", x, loc, scale)
    # log(1 - e^-z), stable both for small z (log(-expm1)) and large z (log1p(-exp))
    small = z < np.log(2)
    zs, zl = jnp.where(small, z, 1), jnp.where(small, 1, z)
    return jnp.where(inside, jnp.where(small, jnp.log(-jnp.expm1(-zs)), jnp.log1p(-jnp.exp(-zl))), -np.inf)


def sf(x, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (exponential distribution; jax.scipy.stats.expon.sf)."""
    inside, z, _ = _z("expon.sf", x, loc, scale)
    return jnp.where(inside, jnp.exp(-z), 1)


def logsf(x, loc=0, scale=1):
    """Log of the survival function at `x` (exponential distribution; jax.scipy.stats.expon.logsf)."""
    inside, z, _ = _z("expon.logsf", x, loc, scale)
    return jnp.where(inside, -z, 0)


def ppf(q, loc=0, scale=1):
    """Percent-point function (inverse of cdf) at `q` (exponential distribution; jax.scipy.stats.expon.ppf)."""
    q, loc, scale = promote_args_inexact("expon.ppf", q, loc, scale)
    return jnp.where((q < 0) | (q > 1), np.nan, -jnp.log1p(-q) * scale + loc)
