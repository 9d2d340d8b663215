"""The Dirichlet distribution, as jax.scipy.stats.dirichlet (components along x's first axis)."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ...numpy._util import promote_dtypes_inexact
from ..special import check_arraylike, gammaln, xlogy


def _is_simplex(x):
    return jnp.all(x > 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1) < 1e-6)


def logpdf(x, alpha):
    """Log of the probability density at `x` (Dirichlet distribution; jax.scipy.stats.dirichlet.logpdf)."""
    check_arraylike("jaxlite.scipy.stats.dirichlet.logpdf", x, alpha)
    x, alpha = promote_dtypes_inexact(x, alpha)
    if alpha.ndim != 1:
        raise ValueError(f"`alpha` must be one-dimensional; got alpha.shape={alpha.shape}")
    if x.ndim == 0 or x.shape[0] not in (alpha.shape[0], alpha.shape[0] - 1):
        raise ValueError(
            "`x` must have either the same number of entries as `alpha` or one entry fewer; "
            f"got x.shape={x.shape}, alpha.shape={alpha.shape}"
        )
    if x.shape[0] != alpha.shape[0]:
        x = jnp.concatenate([x, 1 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    normalizer = jnp.sum(gammaln(alpha)) - gammaln(jnp.sum(alpha))
    alpha = alpha.reshape(alpha.shape + (1,) * (x.ndim - 1))
    log_probs = jnp.sum(xlogy(alpha - 1, x), axis=0) - normalizer
    return jnp.where(_is_simplex(x), log_probs, -np.inf)


def pdf(x, alpha):
    """Probability density at `x` (Dirichlet distribution; jax.scipy.stats.dirichlet.pdf)."""
    return jnp.exp(logpdf(x, alpha))
