"""The Cauchy distribution, as jax.scipy.stats.cauchy."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (Cauchy distribution; jax.scipy.stats.cauchy.logpdf)."""
    x, loc, scale = promote_args_inexact("cauchy.logpdf", x, loc, scale)
    z = (x - loc) / scale
    return -np.log(np.pi) - jnp.log(scale) - jnp.log1p(z * z)


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (Cauchy distribution; jax.scipy.stats.cauchy.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (Cauchy distribution; jax.scipy.stats.cauchy.cdf)."""
    x, loc, scale = promote_args_inexact("cauchy.cdf", x, loc, scale)
    return 0.5 + jnp.arctan((x - loc) / scale) / np.pi


def logcdf(x, loc=0, scale=1):
    """Log of the cumulative distribution function at `x` (Cauchy distribution; jax.scipy.stats.cauchy.logcdf)."""
    return jnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (Cauchy distribution; jax.scipy.stats.cauchy.sf)."""
    x, loc, scale = promote_args_inexact("cauchy.sf", x, loc, scale)
    return 0.5 - jnp.arctan((x - loc) / scale) / np.pi


def logsf(x, loc=0, scale=1):
    """Log of the survival function at `x` (Cauchy distribution; jax.scipy.stats.cauchy.logsf)."""
    return jnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    """Percent-point function (inverse of cdf) at `q` (Cauchy distribution; jax.scipy.stats.cauchy.ppf)."""
    q, loc, scale = promote_args_inexact("cauchy.ppf", q, loc, scale)
    # no guards, as in JAX: q = 0 and 1 give +-1.6e16 (tan at a rounded pi/2), not +-inf
    return loc + scale * jnp.tan(np.pi * (q - 0.5))


def isf(q, loc=0, scale=1):
    """Inverse survival function at `q` (Cauchy distribution; jax.scipy.stats.cauchy.isf)."""
    q, loc, scale = promote_args_inexact("cauchy.isf", q, loc, scale)
    return ppf(1 - q, loc, scale)
