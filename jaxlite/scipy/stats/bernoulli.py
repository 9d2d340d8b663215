"""The Bernoulli distribution, as jax.scipy.stats.bernoulli."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ..special import xlog1py, xlogy
from ._util import promote_args_inexact


def logpmf(k, p, loc=0):
    """Log of the probability mass at `k` (Bernoulli distribution; jax.scipy.stats.bernoulli.logpmf)."""
    k, p, loc = promote_args_inexact("bernoulli.logpmf", k, p, loc)
    x = k - loc
    log_probs = xlogy(x, p) + xlog1py(1 - x, -p)
    return jnp.where((x < 0) | (x > 1), -np.inf, log_probs)


def pmf(k, p, loc=0):
    """Probability mass at `k` (Bernoulli distribution; jax.scipy.stats.bernoulli.pmf)."""
    return jnp.exp(logpmf(k, p, loc))


def cdf(k, p):
    """Cumulative distribution function at `x` (Bernoulli distribution; jax.scipy.stats.bernoulli.cdf)."""
    k, p = promote_args_inexact("bernoulli.cdf", k, p)
    invalid = jnp.isnan(k) | jnp.isnan(p) | (p < 0) | (p > 1)
    return jnp.select(
        [invalid, k < 0, k < 1, k >= 1], [jnp.full_like(k, np.nan), jnp.zeros_like(k), 1 - p, jnp.ones_like(k)]
    )


def ppf(q, p):
    """Percent-point function (inverse of cdf) at `q` (Bernoulli distribution; jax.scipy.stats.bernoulli.ppf)."""
    q, p = promote_args_inexact("bernoulli.ppf", q, p)
    invalid = jnp.isnan(q) | jnp.isnan(p) | (p < 0) | (p > 1) | (q < 0) | (q > 1)
    return jnp.where(invalid, np.nan, jnp.where(q <= 1 - p, 0, 1).astype(q.dtype))
