"""The multivariate normal distribution, as jax.scipy.stats.multivariate_normal."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ...numpy._util import promote_dtypes_inexact
from ..linalg import cholesky, solve_triangular
from ..special import check_arraylike


def logpdf(x, mean, cov, allow_singular=None):
    """log N(x; mean, cov) over the last axis of x; cov may be a scalar (isotropic) or (..., n, n)."""
    if allow_singular is not None:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    check_arraylike("jaxlite.scipy.stats.multivariate_normal.logpdf", x, mean, cov)
    x, mean, cov = promote_dtypes_inexact(x, mean, cov)
    if not mean.shape:
        return -0.5 * jnp.square(x - mean) / cov - 0.5 * (np.log(2 * np.pi) + jnp.log(cov))
    n = mean.shape[-1]
    y = x - mean
    if not cov.shape:
        return -0.5 * jnp.sum(y * y, axis=-1) / cov - n / 2 * (np.log(2 * np.pi) + jnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError(
            f"multivariate_normal.logpdf got incompatible shapes: mean {mean.shape}, cov {cov.shape}; "
            "cov must be a scalar or have shape (..., n, n) with n = mean.shape[-1]"
        )
    L = cholesky(cov, lower=True)
    batch = np.broadcast_shapes(y.shape[:-1], L.shape[:-2])
    L = jnp.broadcast_to(L, batch + (n, n))
    y = jnp.broadcast_to(y, batch + (n,))
    z = solve_triangular(L, y[..., None], lower=True)[..., 0]
    log_det = jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(z * z, axis=-1) - n / 2 * np.log(2 * np.pi) - log_det


def pdf(x, mean, cov):
    """Probability density at `x` (multivariate normal distribution; jax.scipy.stats.multivariate_normal.pdf)."""
    return jnp.exp(logpdf(x, mean, cov))
