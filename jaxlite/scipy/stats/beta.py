"""The beta distribution, as jax.scipy.stats.beta."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .._incomplete import betainc
from ..special import betaln, xlog1py, xlogy
from ._util import promote_args_inexact


def logpdf(x, a, b, loc=0, scale=1):
    """Log of the probability density at `x` (beta distribution; jax.scipy.stats.beta.logpdf)."""
    x, a, b, loc, scale = promote_args_inexact("beta.logpdf", x, a, b, loc, scale)
    y = (x - loc) / scale
    log_probs = -betaln(a, b) + xlogy(a - 1, y) + xlog1py(b - 1, -y) - jnp.log(scale)
    out = jnp.where((x > loc + scale) | (x < loc), -np.inf, log_probs)
    return jnp.where((a <= 0) | (b <= 0) | (scale <= 0), np.nan, out)


def pdf(x, a, b, loc=0, scale=1):
    """Probability density at `x` (beta distribution; jax.scipy.stats.beta.pdf)."""
    return jnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0, scale=1):
    """Cumulative distribution function at `x` (beta distribution; jax.scipy.stats.beta.cdf)."""
    x, a, b, loc, scale = promote_args_inexact("beta.cdf", x, a, b, loc, scale)
    return betainc(a, b, jnp.clip((x - loc) / scale, 0, 1))


def logcdf(x, a, b, loc=0, scale=1):
    """Log of the cumulative distribution function at `x` (beta distribution; jax.scipy.stats.beta.logcdf)."""
    return jnp.log(cdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    """Survival function (1 - cdf) at `x` (beta distribution; jax.scipy.stats.beta.sf)."""
    x, a, b, loc, scale = promote_args_inexact("beta.sf", x, a, b, loc, scale)
    return betainc(b, a, 1 - jnp.clip((x - loc) / scale, 0, 1))


def logsf(x, a, b, loc=0, scale=1):
    """Log of the survival function at `x` (beta distribution; jax.scipy.stats.beta.logsf)."""
    return jnp.log(sf(x, a, b, loc, scale))
