"""Student's t distribution, as jax.scipy.stats.t."""

from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ..special import gammaln
from ._util import promote_args_inexact


def logpdf(x, df, loc=0, scale=1):
    """Log of the probability density at `x` (Student's t distribution; jax.scipy.stats.t.logpdf)."""
    x, df, loc, scale = promote_args_inexact("t.logpdf", x, df, loc, scale)
    y = (x - loc) / scale
    normalizer = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * jnp.log(df * np.pi * scale * scale)
    return normalizer - (df + 1) / 2 * jnp.log1p(y * y / df)


def pdf(x, df, loc=0, scale=1):
    """Probability density at `x` (Student's t distribution; jax.scipy.stats.t.pdf)."""
    return jnp.exp(logpdf(x, df, loc, scale))
