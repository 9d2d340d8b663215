"""jaxlite.scipy.stats: the distributions of jax.scipy.stats, written on jaxlite.numpy and lax.

Each module offers the functions JAX offers for it (logpdf/pdf/cdf/... with loc and scale), with
JAX's edge cases: -inf log-density outside the support, nan for invalid parameters.
"""

from . import (  # noqa: F401
    bernoulli,
    beta,
    cauchy,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
    uniform,
)
