"""The uniform distribution on [loc, loc + scale], as jax.scipy.stats.uniform."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    """Log of the probability density at `x` (uniform distribution; jax.scipy.stats.uniform.logpdf)."""
    x, loc, scale = promote_args_inexact("uniform.logpdf", x, loc, scale)
    log_probs = -jnp.log(scale)
    return jnp.where((x < loc) | (x > loc + scale), -np.inf, log_probs)


def pdf(x, loc=0, scale=1):
    """Probability density at `x` (uniform distribution; jax.scipy.stats.uniform.pdf)."""
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Cumulative distribution function at `x` (uniform distribution; jax.scipy.stats.uniform.cdf)."""
    x, loc, scale = promote_args_inexact("uniform.cdf", x, loc, scale)
    inside = (x >= loc) & (x <= loc + scale)
    return jnp.select([x < loc, x > loc + scale, inside], [jnp.zeros_like(x), jnp.ones_like(x), (x - loc) / scale])


def ppf(q, loc=0, scale=1):
    """Percent-point function (inverse of cdf) at `q` (uniform distribution; jax.scipy.stats.uniform.ppf)."""
    q, loc, scale = promote_args_inexact("uniform.ppf", q, loc, scale)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, q * scale + loc)
