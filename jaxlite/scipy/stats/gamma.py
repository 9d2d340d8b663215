"""The gamma distribution, as jax.scipy.stats.gamma."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .._incomplete import gammainc, gammaincc
from ..special import gammaln, xlogy
from ._util import promote_args_inexact


def logpdf(x, a, loc=0, scale=1):
    """Log of the probability density at `x` (gamma distribution; jax.scipy.stats.gamma.logpdf)."""
    x, a, loc, scale = promote_args_inexact("gamma.logpdf", x, a, loc, scale)
    ok = x >= loc
    y = jnp.where(ok, (x - loc) / scale, 1)  # a safe point outside the support: no nan gradient
    log_probs = xlogy(a - 1, y) - y - gammaln(a) - jnp.log(scale)
    return jnp.where(ok, log_probs, -np.inf)


def pdf(x, a, loc=0, scale=1):
    """Probability density at `x` (gamma distribution; jax.scipy.stats.gamma.pdf)."""
    return jnp.exp(logpdf(x, a, loc, scale))


def _standard(name, x, a, loc, scale):
    x, a, loc, scale = promote_args_inexact(name, x, a, loc, scale)
    return a, jnp.clip((x - loc) / scale, 0, np.inf)


def cdf(x, a, loc=0, scale=1):
    # a <= 0 is no gamma distribution: nan, as scipy.stats (JAX gives nan or 1 for a = 0)
    """Cumulative distribution function at `x` (gamma distribution; jax.scipy.stats.gamma.cdf)."""
    a, z = _standard("gamma.cdf", x, a, loc, scale)
    return jnp.where(a <= 0, np.nan, gammainc(a, z))


def logcdf(x, a, loc=0, scale=1):
    """Log of the cumulative distribution function at `x` (gamma distribution; jax.scipy.stats.gamma.logcdf)."""
    return jnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (gamma distribution; jax.scipy.stats.gamma.sf)."""
    x, a, loc, scale = promote_args_inexact("gamma.sf", x, a, loc, scale)
    y = (x - loc) / scale
    # below the support sf is 1 whatever a is (as JAX); a <= 0 is nan above it (scipy.stats)
    q = jnp.where(a <= 0, np.nan, gammaincc(a, jnp.maximum(y, 0)))
    return jnp.where(y < 0, 1, q)


def logsf(x, a, loc=0, scale=1):
    """Log of the survival function at `x` (gamma distribution; jax.scipy.stats.gamma.logsf)."""
    return jnp.log(sf(x, a, loc, scale))
