"""The Poisson distribution, as jax.scipy.stats.poisson."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .._incomplete import gammaincc
from ..special import gammaln, xlogy
from ._util import promote_args_inexact


def logpmf(k, mu, loc=0):
    """Log of the probability mass at `k` (Poisson distribution; jax.scipy.stats.poisson.logpmf)."""
    k, mu, loc = promote_args_inexact("poisson.logpmf", k, mu, loc)
    x = k - loc
    log_probs = xlogy(x, mu) - gammaln(x + 1) - mu
    return jnp.where((x < 0) | (jnp.round(k) != k), -np.inf, log_probs)


def pmf(k, mu, loc=0):
    """Probability mass at `k` (Poisson distribution; jax.scipy.stats.poisson.pmf)."""
    return jnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    """Cumulative distribution function at `x` (Poisson distribution; jax.scipy.stats.poisson.cdf)."""
    k, mu, loc = promote_args_inexact("poisson.cdf", k, mu, loc)
    x = k - loc
    p = gammaincc(jnp.floor(1 + jnp.maximum(x, 0)), mu)
    return jnp.where(x < 0, 0, p)


_TERMS = 256  # k = 0 .. 255 covers mu + 10 sqrt(mu) + 20 for every mu below the asymptotic regime
_ASYMPTOTIC = 100.0


def entropy(mu, loc=0):
    """-sum_k p(k) log p(k): summed over k < 256 for mu < 100, Stirling's series above."""
    mu, loc = promote_args_inexact("poisson.entropy", mu, loc)
    small = mu < _ASYMPTOTIC
    safe_mu = jnp.where(small & (mu > 0), mu, 1)
    k = jnp.arange(_TERMS, dtype=mu.dtype)
    log_p = xlogy(k, safe_mu[..., None]) - gammaln(k + 1) - safe_mu[..., None]
    summed = -jnp.sum(jnp.exp(log_p) * log_p, axis=-1)
    big_mu = jnp.where(small, _ASYMPTOTIC, mu)
    stirling = 0.5 * jnp.log(2 * np.pi * np.e * big_mu) - 1 / (12 * big_mu) - 1 / (24 * big_mu**2)
    out = jnp.where(small, summed, stirling)
    out = jnp.where(mu == 0, 0, out)
    return jnp.where(mu < 0, np.nan, out)
