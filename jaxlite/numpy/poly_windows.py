"""Window functions (bartlett, blackman, hamming, hanning, kaiser) and polynomial helpers
(poly, polyder, polyint, polydiv, polyfit), with JAX's dtypes: results are inexact."""

from __future__ import annotations

import operator

import numpy as np

import jaxlite.numpy as jnp
from compiler import dtypes

from .. import core
from ._util import check_arraylike, promote_dtypes_inexact

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser", "poly", "polyder", "polydiv",
           "polyfit", "polyint"]


# ---- windows ---------------------------------------------------------------------------------


def _window_points(M, fname):
    try:
        M = operator.index(M)
    except TypeError:
        raise TypeError(f"jaxlite.numpy.{fname}: M must be a concrete integer, got {M!r}") from None
    dtype = dtypes.default_float(core.config.x64)
    return M, dtype, jnp.arange(1 - M, M, 2, dtype=dtype)


def _cosine_window(M, fname, coefs):
    M, dtype, n = _window_points(M, fname)
    if M <= 1:
        return jnp.ones(max(M, 0), dtype)
    out = jnp.zeros(n.shape, dtype) + coefs[0]
    for k, c in enumerate(coefs[1:], start=1):
        out = out + c * jnp.cos(k * np.pi * n / (M - 1))
    return out


def bartlett(M):
    """The triangular window of M points."""
    M, dtype, n = _window_points(M, "bartlett")
    if M <= 1:
        return jnp.ones(max(M, 0), dtype)
    return 1 - jnp.abs(n) / (M - 1)


def blackman(M):
    """The Blackman window of M points."""
    return _cosine_window(M, "blackman", (0.42, 0.5, 0.08))


def hamming(M):
    """The Hamming window of M points."""
    return _cosine_window(M, "hamming", (0.54, 0.46))


def hanning(M):
    """The Hann window of M points."""
    return _cosine_window(M, "hanning", (0.5, 0.5))


def kaiser(M, beta):
    """The Kaiser window of M points with shape parameter beta."""
    M, dtype, _ = _window_points(M, "kaiser")
    if M <= 1:
        return jnp.ones(max(M, 0), dtype)
    n = jnp.arange(M, dtype=dtype)
    alpha = (M - 1) / 2.0
    return jnp.i0(beta * jnp.sqrt(1 - ((n - alpha) / alpha) ** 2)) / jnp.i0(jnp.asarray(beta, dtype))


# ---- polynomials (coefficients highest power first, as NumPy) -----------------------------------


def _poly1d(p, fname):
    check_arraylike(fname, p)
    (p,) = promote_dtypes_inexact(jnp.atleast_1d(p))
    if p.ndim != 1:
        raise ValueError(f"jaxlite.numpy.{fname}: coefficients must be 1-D, got shape {p.shape}")
    return p


def poly(seq_of_zeros):
    """The monic polynomial whose roots are seq_of_zeros (1-D)."""
    check_arraylike("poly", seq_of_zeros)
    (z,) = promote_dtypes_inexact(jnp.atleast_1d(seq_of_zeros))
    if z.ndim != 1:
        raise ValueError(
            f"jaxlite.numpy.poly: seq_of_zeros must be 1-D, got shape {z.shape} (the characteristic "
            "polynomial of a matrix needs general eigenvalues, which jaxlite does not have)")
    a = jnp.ones(1, z.dtype)
    for i in range(z.shape[0]):
        zero = jnp.zeros(1, z.dtype)
        a = jnp.concatenate([a, zero]) - z[i] * jnp.concatenate([zero, a])
    return a


def polyder(p, m=1):
    """The m-th derivative of the polynomial p."""
    p = _poly1d(p, "polyder")
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"jaxlite.numpy.polyder: the order m must be nonnegative, got {m}")
    for _ in range(m):
        n = p.shape[0] - 1
        if n <= 0:
            return jnp.zeros(0, p.dtype)
        p = p[:-1] * jnp.arange(n, 0, -1, dtype=p.dtype)
    return p


def polyint(p, m=1, k=None):
    """The m-th antiderivative of p; k[i] is the constant of the i-th integration."""
    p = _poly1d(p, "polyint")
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"jaxlite.numpy.polyint: the order m must be nonnegative, got {m}")
    k = jnp.zeros(m, p.dtype) if k is None else jnp.atleast_1d(jnp.asarray(k, p.dtype))
    if k.shape[0] == 1 and m > 1:
        k = jnp.broadcast_to(k, (m,))
    if k.shape[0] != m:
        raise ValueError(f"jaxlite.numpy.polyint: k must have {m} constants (one per integration), "
                         f"got {k.shape[0]}")
    for i in range(m):
        p = jnp.concatenate([p / jnp.arange(p.shape[0], 0, -1, dtype=p.dtype), k[i:i + 1]])
    return p


def polydiv(u, v, *, trim_leading_zeros=False):
    """(quotient, remainder) of u / v; the remainder keeps u's length unless trimmed (JAX)."""
    check_arraylike("polydiv", u, v)
    u, v = promote_dtypes_inexact(jnp.atleast_1d(u), jnp.atleast_1d(v))
    m, n = u.shape[0] - 1, v.shape[0] - 1
    q = jnp.zeros(max(m - n + 1, 1), u.dtype)
    r = u
    scale = 1.0 / v[0]
    for k in range(m - n + 1):
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k:k + n + 1].add(-d * v)
    if trim_leading_zeros:
        r = jnp.trim_zeros(r, trim="f")
    return q, r


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """The least-squares polynomial of degree deg through (x, y) (y may have columns)."""
    check_arraylike("polyfit", x, y)
    x, y = promote_dtypes_inexact(x, y)
    deg = operator.index(deg)
    order = deg + 1
    if deg < 0:
        raise ValueError(f"jaxlite.numpy.polyfit: deg must be nonnegative, got {deg}")
    if x.ndim != 1 or y.ndim not in (1, 2) or x.shape[0] != y.shape[0]:
        raise TypeError(f"jaxlite.numpy.polyfit: x must be 1-D and y 1-D or 2-D with as many rows, "
                        f"got shapes {x.shape} and {y.shape}")
    if rcond is None:
        rcond = x.shape[0] * float(np.finfo(x.dtype).eps)
    lhs = jnp.vander(x, order)
    rhs = y
    if w is not None:
        (w,) = promote_dtypes_inexact(w)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if rhs.ndim == 1 else w[:, None])
    # Scale the columns to unit norm: the Vandermonde matrix is badly conditioned otherwise.
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = jnp.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, rcond
    if cov:
        base = jnp.linalg.inv(lhs.T @ lhs) / jnp.outer(scale, scale)
        if cov == "unscaled":
            fac = 1.0
        else:
            if x.shape[0] <= order:
                raise ValueError("jaxlite.numpy.polyfit: the data must have more points than "
                                 "deg + 1 to scale the covariance (or pass cov='unscaled')")
            fac = resids / (x.shape[0] - order)
        return (c, base * fac) if y.ndim == 1 else (c, base[:, :, None] * fac)
    return c
