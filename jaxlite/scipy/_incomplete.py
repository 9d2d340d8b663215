"""Regularized incomplete gamma and beta functions (gammainc, gammaincc, betainc), as
jax.scipy.special, written on jaxlite.numpy and lax.fori_loop.

Each is evaluated by the classical expansions (Numerical Recipes, ch. 6.2 and 6.4): the power
series of P(a, x) below x = a + 1 and the continued fraction of Q(a, x) above it; the continued
fraction of I_x(a, b) on the side of its mean where it converges fast, by symmetry on the other.
The loops have a fixed trip count, so they are scans: differentiable in every argument (reverse
mode included), batchable and compilable. Both branches are computed on inputs clamped into
their own region and the right one is selected, so neither produces a NaN gradient for the other.
"""

from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp

_ITERATIONS = 200  # enough for |a|, |b|, |x| up to ~1e4 in float64


def _tiny(x):
    return jnp.finfo(x.dtype).tiny * 1e3


def _guard(d, tiny):
    """Lentz's method: keep a denominator away from zero."""
    return jnp.where(jnp.abs(d) < tiny, tiny, d)


def _log_prefactor(a, x):
    # log(x^a e^-x / Gamma(a))
    return a * jnp.log(x) - x - lax.lgamma(a)


def _gamma_series(a, x):
    """P(a, x) by its power series; accurate for x < a + 1."""

    def body(_, carry):
        term, total, ap = carry
        ap = ap + 1
        term = term * x / ap
        return term, total + term, ap

    first = 1 / a
    _, total, _ = lax.fori_loop(0, _ITERATIONS, body, (first, first, a))
    return total * jnp.exp(_log_prefactor(a, x))


def _gamma_cf(a, x):
    """Q(a, x) by its continued fraction (modified Lentz); accurate for x >= a + 1."""
    tiny = _tiny(x)

    def body(i, carry):
        b, c, d, h = carry
        i = i.astype(x.dtype) + 1
        an = -i * (i - a)
        b = b + 2
        d = 1 / _guard(an * d + b, tiny)
        c = _guard(b + an / c, tiny)
        return b, c, d, h * d * c

    b = x + 1 - a
    d = 1 / _guard(b, tiny)
    init = (b, jnp.full_like(x, 1 / tiny), d, d)
    *_, h = lax.fori_loop(0, _ITERATIONS, body, init)
    return h * jnp.exp(_log_prefactor(a, x))


def _gamma_pair(a, x):
    """(P, Q) with nan for a <= 0 or x < 0, and the limits at x = 0 and x = inf."""
    a, x = _promote(a, x)
    series = x < a + 1
    safe_a = jnp.where(a > 0, a, 1)
    xs = jnp.where(series & (x > 0), x, jnp.minimum(safe_a, 0.5))  # inside the series region
    xc = jnp.where(series | ~jnp.isfinite(x), safe_a + 2, x)  # inside the fraction region
    p_series = _gamma_series(safe_a, xs)
    q_cf = _gamma_cf(safe_a, xc)
    p = jnp.where(series, p_series, 1 - q_cf)
    q = jnp.where(series, 1 - p_series, q_cf)
    p = jnp.where(x == 0, 0, jnp.where(x == np.inf, 1, p))
    q = jnp.where(x == 0, 1, jnp.where(x == np.inf, 0, q))
    # a = 0 is the limit of a point mass at 0 (scipy and JAX): P = 1 for every x > 0.
    p = jnp.where(a == 0, 1, p)
    q = jnp.where(a == 0, 0, q)
    bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | jnp.isnan(a) | jnp.isnan(x)
    return jnp.where(bad, np.nan, p), jnp.where(bad, np.nan, q)


def _promote(*xs):
    xs = [jnp.asarray(x) for x in xs]
    dtype = jnp.result_type(*xs, 1.0)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(1.0)
    return jnp.broadcast_arrays(*(x.astype(dtype) for x in xs))


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    return _gamma_pair(a, x)[0]


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _gamma_pair(a, x)[1]


def _beta_cf(a, b, x):
    """I_x(a, b) by its continued fraction; accurate for x < (a + 1) / (a + b + 2)."""
    tiny = _tiny(x)
    qab, qap, qam = a + b, a + 1, a - 1

    def body(m, carry):
        c, d, h = carry
        m = m.astype(x.dtype) + 1
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 / _guard(1 + aa * d, tiny)
        c = _guard(1 + aa / c, tiny)
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 / _guard(1 + aa * d, tiny)
        c = _guard(1 + aa / c, tiny)
        return c, d, h * d * c

    d = 1 / _guard(1 - qab * x / qap, tiny)
    _, _, h = lax.fori_loop(0, _ITERATIONS, body, (jnp.ones_like(x), d, d))
    log_front = a * jnp.log(x) + b * jnp.log1p(-x) - (lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b))
    return jnp.exp(log_front) * h / a


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    a, b, x = _promote(a, b, x)
    ok = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    sa, sb = jnp.where(ok, a, 1), jnp.where(ok, b, 1)
    direct = x < (sa + 1) / (sa + sb + 2)
    inner = (x > 0) & (x < 1)
    half = jnp.full_like(x, 0.5)
    x_direct = jnp.where(direct & inner, x, jnp.minimum(half, (sa + 1) / (sa + sb + 2) / 2))
    x_mirror = jnp.where(~direct & inner, 1 - x, jnp.minimum(half, (sb + 1) / (sa + sb + 2) / 2))
    out = jnp.where(direct, _beta_cf(sa, sb, x_direct), 1 - _beta_cf(sb, sa, x_mirror))
    out = jnp.where(x == 0, 0, jnp.where(x == 1, 1, out))
    # a = 0 or b = 0: the limits, point masses at 0 or 1 (JAX's values at x = 0 and x = 1)
    in_range = (x >= 0) & (x <= 1)
    inner = (x > 0) & (x < 1)
    out = jnp.where(inner & (a == 0) & (b > 0), 1, jnp.where(inner & (b == 0) & (a > 0), 0, out))
    ok = ok | (in_range & (((a == 0) & (b > 0)) | ((b == 0) & (a > 0))))
    return jnp.where(ok, out, np.nan)
