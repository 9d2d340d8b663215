"""jaxlite.scipy.special: special functions as jax.scipy.special, written on jaxlite.lax.

erf, erfc, erfinv, gammaln and digamma are lax primitives. The rest are compositions, with the
Cephes rational and Chebyshev approximations (coefficients from the Cephes library's published
tables) for ndtri, i0e and i1e, and an asymptotic series for the far tail of log_ndtr.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import lax
from ..array import Array
from ..core import Tracer
from ..numpy import ufuncs as U
from ..numpy._linalg_norm import where
from ..numpy._util import (
    broadcast_args,
    broadcast_shapes,
    broadcast_to_shape,
    promote_dtypes_inexact,
    to_array,
)
from . import _cephes
from ._incomplete import betainc, gammainc, gammaincc  # noqa: F401

__all__ = [
    "logsumexp",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "logit",
    "gammaln",
    "digamma",
    "xlogy",
    "xlog1py",
    "entr",
    "rel_entr",
    "kl_div",
    "ndtr",
    "ndtri",
    "log_ndtr",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "betaln",
    "multigammaln",
    "gamma",
    "gammasgn",
    "beta",
    "softmax",
    "log_softmax",
    "factorial",
    "gammainc",
    "gammaincc",
    "betainc",
]


def check_arraylike(fullname, *xs):
    """JAX's TypeError for non-array arguments (lists, None, ...), naming the function."""
    for i, x in enumerate(xs):
        if not isinstance(
            x, (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex)
        ) and not hasattr(x, "__jax_array__"):
            hint = " (use jnp.asarray to convert a list or tuple)" if isinstance(x, (list, tuple)) else ""
            raise TypeError(
                f"{fullname}: argument {i} has type {type(x).__name__}, but it requires "
                f"array or scalar arguments{hint}"
            )


def _inexact(name, *xs):
    check_arraylike(f"jaxlite.scipy.special.{name}", *xs)
    xs = promote_dtypes_inexact(*xs)
    return broadcast_args(name, *xs) if len(xs) > 1 else xs


def _c(value, like):
    """A rank-0 constant of like's dtype (weak like a Python scalar would be)."""
    return lax.full((), value, like.dtype)


_where = where


def _real_float(name, x):
    if not dtypes.is_float(x.dtype):
        raise TypeError(f"jaxlite.scipy.special.{name}: needs real floating-point input, got {x.dtype}")
    return x


# ---- reductions shared with jaxlite.nn ------------------------------------------------------------


def reduce_axes(x, axis, fullname):
    """Sorted non-negative axes for axis=None / int / tuple (checked against x's rank)."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{fullname}: axis must be an int or a tuple of ints, got {axis!r}") from None
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"{fullname}: axis {a} is out of bounds for an array of rank {x.ndim}")
        out.append(a % x.ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{fullname}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def keep_dims(x, axes):
    return lax.expand_dims(x, axes) if axes else x


def masked_max(x, axes, where):
    """max over axes of the entries where `where` holds; -inf for none (JAX's initial=-inf)."""
    if where is not None:
        x = _where(where, x, _c(-np.inf, x))
    if any(x.shape[a] == 0 for a in axes):
        return lax.full(tuple(d for i, d in enumerate(x.shape) if i not in axes), -np.inf, x.dtype)
    return lax.reduce_max(x, axes)


def masked_sum(x, axes, where):
    if where is not None:
        x = _where(where, x, _c(0, x))
    return lax.reduce_sum(x, axes)


# ---- logsumexp and softmax --------------------------------------------------------------------


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over axis, computed stably by factoring out the maximum."""
    name = "jaxlite.scipy.special.logsumexp"
    check_arraylike(name, a)
    if b is not None:
        a, b = _inexact("logsumexp", a, b)
        a = _where(lax.ne(b, _c(0, b)), a, _c(-np.inf, a))  # b == 0 terms drop out exactly
    else:
        (a,) = promote_dtypes_inexact(a)
    if where is not None:
        where = _mask_like(name, a, where)
    axes = reduce_axes(a, axis, name)
    is_complex = dtypes.is_complex(a.dtype)
    amax = masked_max(lax.real(a) if is_complex else a, axes, where)
    # An infinite max (all -inf, or some +inf) would give inf - inf: shift by 0 instead.
    # The shift cancels exactly, so it carries no derivative (and none through the max's ties).
    amax = lax.stop_gradient(_where(lax.is_finite(amax), amax, _c(0, amax)))
    exp_a = lax.exp(U.subtract(a, lax.convert_element_type(keep_dims(amax, axes), a.dtype)))
    if b is not None:
        exp_a = lax.mul(exp_a, b)
    sumexp = masked_sum(exp_a, axes, where)
    sign = lax.sign(sumexp)
    if return_sign or not is_complex:
        sumexp = lax.abs(sumexp)
    out = lax.add(lax.log(sumexp), lax.convert_element_type(amax, sumexp.dtype))
    if keepdims:
        out, sign = keep_dims(out, axes), keep_dims(sign, axes)
    if return_sign:
        return out, sign
    if b is not None and not is_complex:
        out = _where(lax.lt(sign, _c(0, sign)), _c(np.nan, out), out)
    return out


def _mask_like(fullname, x, where):
    """`where` as a bool array of x's shape (it must broadcast to it)."""
    check_arraylike(fullname, where)
    where = to_array(where)
    try:
        ok = broadcast_shapes(where.shape, x.shape) == tuple(x.shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{fullname}: where of shape {tuple(where.shape)} does not broadcast to the "
            f"input's shape {tuple(x.shape)}"
        )
    if where.dtype != np.bool_:
        where = lax.ne(where, lax.full((), 0, where.dtype))
    return broadcast_to_shape(where, x.shape)


def _softmax_parts(x, axis, where, fullname):
    check_arraylike(fullname, x)
    (x,) = promote_dtypes_inexact(x)
    if where is not None:
        where = _mask_like(fullname, x, where)
    axes = reduce_axes(x, axis, fullname)
    x_max = lax.stop_gradient(keep_dims(masked_max(x, axes, where), axes))  # cancels exactly
    x_safe = x if where is None else _where(where, x, _c(-np.inf, x))
    return axes, U.subtract(x_safe, x_max), where


def softmax(x, /, *, axis=None, where=None):
    """exp(x) / sum(exp(x)) over axis (all axes by default, as scipy.special.softmax)."""
    return softmax_impl(x, axis, where, "jaxlite.scipy.special.softmax")


def softmax_impl(x, axis, where, name):
    axes, shifted, where = _softmax_parts(x, axis, where, name)
    unnormalized = lax.exp(shifted)
    total = keep_dims(masked_sum(unnormalized, axes, where), axes)
    out = U.true_divide(unnormalized, total)
    return out if where is None else _where(where, out, _c(0, out))


def log_softmax(x, /, *, axis=None, where=None):
    """x - logsumexp(x) over axis (all axes by default)."""
    return log_softmax_impl(x, axis, where, "jaxlite.scipy.special.log_softmax")


def log_softmax_impl(x, axis, where, name):
    axes, shifted, where = _softmax_parts(x, axis, where, name)
    lse = keep_dims(lax.log(masked_sum(lax.exp(shifted), axes, where)), axes)
    out = U.subtract(shifted, lse)
    return out if where is None else _where(where, out, _c(-np.inf, out))


# ---- error function and logistic family --------------------------------------------------------


def erf(x):
    """The error function."""
    (x,) = _inexact("erf", x)
    return lax.erf(_real_float("erf", x))


def erfc(x):
    """The complementary error function `1 - erf(x)`, accurate for large x."""
    (x,) = _inexact("erfc", x)
    return lax.erfc(_real_float("erfc", x))


def erfinv(x):
    """The inverse of erf on (-1, 1)."""
    (x,) = _inexact("erfinv", x)
    return lax.erf_inv(_real_float("erfinv", x))


def expit(x):
    """The logistic sigmoid `1 / (1 + exp(-x))`."""
    (x,) = _inexact("expit", x)
    return lax.logistic(x)


def logit(x):
    """The inverse of expit: `log(x / (1 - x))`."""
    (x,) = _inexact("logit", x)
    return lax.log(lax.div(x, lax.sub(_c(1, x), x)))


# ---- gamma family -----------------------------------------------------------------------------


def gammaln(x):
    """log|Gamma(x)|."""
    (x,) = _inexact("gammaln", x)
    return lax.lgamma(_real_float("gammaln", x))


def digamma(x):
    """The digamma function, the derivative of gammaln."""
    (x,) = _inexact("digamma", x)
    return lax.digamma(_real_float("digamma", x))


def gammasgn(x):
    """Sign of Gamma(x): 1 for x > 0 (and +0), -1 for -0, alternating between the poles, NaN at
    the non-positive integers."""
    (x,) = _inexact("gammasgn", x)
    floor_x = lax.floor(x)
    odd = lax.ne(lax.rem(floor_x, _c(2, x)), _c(0, x))
    neg_side = _where(lax.eq(x, floor_x), _c(np.nan, x), _where(odd, _c(-1, x), _c(1, x)))
    zero = lax.eq(x, _c(0, x))
    signed_zero = _where(U.signbit(x), _c(-1, x), _c(1, x))
    out = _where(lax.gt(x, _c(0, x)), _c(1, x), _where(zero, signed_zero, neg_side))
    return _where(lax.ne(x, x), x, out)


def gamma(x):
    """Gamma(x) as gammasgn(x) * exp(gammaln(x)); +-inf at +-0, NaN at negative integers."""
    (x,) = _inexact("gamma", x)
    return lax.mul(gammasgn(x), lax.exp(lax.lgamma(x)))


def betaln(a, b):
    """log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)."""
    a, b = _inexact("betaln", a, b)
    return lax.sub(lax.add(lax.lgamma(a), lax.lgamma(b)), lax.lgamma(lax.add(a, b)))


def beta(a, b):
    """The beta function `gamma(a) gamma(b) / gamma(a + b)`."""
    a, b = _inexact("beta", a, b)
    sign = lax.mul(lax.mul(gammasgn(a), gammasgn(b)), gammasgn(lax.add(a, b)))
    return lax.mul(sign, lax.exp(betaln(a, b)))


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension d (a static int)."""
    try:
        d = operator.index(d)
    except TypeError:
        raise TypeError(f"jaxlite.scipy.special.multigammaln: d must be an int, got {d!r}") from None
    (a,) = _inexact("multigammaln", a)
    out = lax.full(a.shape, d * (d - 1) / 4 * np.log(np.pi), a.dtype)
    for j in range(d):
        out = lax.add(out, lax.lgamma(lax.sub(a, _c(j / 2, a))))
    return out


def factorial(n, exact=False):
    """`n!` as the gamma function `gamma(n + 1)` (0 for negative n); `exact` is not supported."""
    if exact:
        raise NotImplementedError("jaxlite.scipy.special.factorial: exact=True is not supported")
    (n,) = _inexact("factorial", n)
    return _where(lax.lt(n, _c(0, n)), _c(0, n), lax.exp(lax.lgamma(lax.add(n, _c(1, n)))))


# ---- x log y and entropies --------------------------------------------------------------------


def _x_times(name, x, y, fn):
    x, y = _inexact(name, x, y)
    x_ok = lax.ne(x, _c(0, x))
    safe_x = _where(x_ok, x, _c(1, x))
    safe_y = _where(x_ok, y, _c(1, y))
    out = _where(x_ok, lax.mul(safe_x, fn(safe_y)), _c(0, x))
    return _where(lax.ne(y, y), y, out)  # a NaN y stays NaN even where x == 0 (as JAX and SciPy)


def xlogy(x, y):
    """x * log(y), defined as 0 where x == 0 (also for y == 0)."""
    return _x_times("xlogy", x, y, lax.log)


def xlog1py(x, y):
    """x * log1p(y), defined as 0 where x == 0."""
    return _x_times("xlog1py", x, y, lax.log1p)


def entr(x):
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    (x,) = _inexact("entr", x)
    return _where(lax.lt(x, _c(0, x)), _c(-np.inf, x), lax.neg(xlogy(x, x)))


def rel_entr(x, y):
    """x log(x / y) for x, y > 0; 0 for x == 0 <= y; inf otherwise (scipy's rel_entr)."""
    x, y = _inexact("rel_entr", x, y)
    zero = _c(0, x)
    both_pos = lax.bitwise_and(lax.gt(x, zero), lax.gt(y, zero))
    safe_y = _where(both_pos, y, _c(1, y))
    safe_x = _where(both_pos, x, _c(1, x))
    # log(x) - log(y), not log(x / y): the quotient overflows for tiny (denormal) y.
    val = _where(both_pos, lax.mul(x, lax.sub(lax.log(safe_x), lax.log(safe_y))), _c(np.inf, x))
    return _where(lax.bitwise_and(lax.eq(x, zero), lax.ge(y, zero)), zero, val)


def kl_div(x, y):
    """Elementwise `x log(x / y) - x + y` (SciPy's kl_div)."""
    x, y = _inexact("kl_div", x, y)
    return lax.add(lax.sub(rel_entr(x, y), x), y)


# ---- normal distribution ----------------------------------------------------------------------


def ndtr(x):
    """Standard normal CDF, via erf near 0 and erfc in the tails (no cancellation)."""
    (x,) = _inexact("ndtr", x)
    x = _real_float("ndtr", x)
    z = lax.mul(x, _c(np.sqrt(0.5), x))
    absz = lax.abs(z)
    tail = lax.erfc(absz)
    y = _where(
        lax.lt(absz, _c(np.sqrt(0.5), x)),
        lax.add(_c(1, x), lax.erf(z)),
        _where(lax.gt(z, _c(0, x)), lax.sub(_c(2, x), tail), tail),
    )
    return lax.mul(_c(0.5, x), y)


def _polevl(x, coeffs):
    """Horner's rule, highest power first (Cephes' polevl)."""
    acc = _c(coeffs[0], x)
    for c in coeffs[1:]:
        acc = lax.add(lax.mul(acc, x), _c(c, x))
    return acc


def _p1evl(x, coeffs):
    """Like _polevl with an implicit leading coefficient 1."""
    return _polevl(x, (1.0,) + tuple(coeffs))


def ndtri(p):
    """Inverse of ndtr: Cephes' rational approximations, all branches computed and selected."""
    (p,) = _inexact("ndtri", p)
    p = _real_float("ndtri", p)
    exp_m2 = np.exp(-2.0)
    one = _c(1, p)
    # Work with the smaller tail y; the sign is restored at the end.
    upper = lax.gt(p, _c(1 - exp_m2, p))
    y = _where(upper, lax.sub(one, p), p)
    central = lax.gt(y, _c(exp_m2, p))
    # Central region: x = w + w^3 R(w^2)/S(w^2) with w = y - 1/2, scaled by sqrt(2 pi).
    w = lax.sub(_where(central, y, _c(0.5, p)), _c(0.5, p))
    w2 = lax.mul(w, w)
    x_central = lax.add(
        w, lax.mul(w, lax.div(lax.mul(w2, _polevl(w2, _cephes.NDTRI_P0)), _p1evl(w2, _cephes.NDTRI_Q0)))
    )
    x_central = lax.mul(x_central, _c(np.sqrt(2 * np.pi), p))
    # Tails: z = sqrt(-2 log y); x = z - log(z)/z - (1/z) P(1/z)/Q(1/z).
    y_tail = _where(central, _c(exp_m2 / 2, p), y)
    z = lax.sqrt(lax.mul(_c(-2, p), lax.log(y_tail)))
    inv_z = lax.div(one, z)
    near = lax.mul(inv_z, lax.div(_polevl(inv_z, _cephes.NDTRI_P1), _p1evl(inv_z, _cephes.NDTRI_Q1)))
    far = lax.mul(inv_z, lax.div(_polevl(inv_z, _cephes.NDTRI_P2), _p1evl(inv_z, _cephes.NDTRI_Q2)))
    x_tail = lax.sub(lax.sub(z, lax.div(lax.log(z), z)), _where(lax.lt(z, _c(8, p)), near, far))
    x_tail = _where(upper, x_tail, lax.neg(x_tail))
    out = _where(central, x_central, x_tail)
    out = _where(lax.eq(p, _c(0, p)), _c(-np.inf, p), out)
    out = _where(lax.eq(p, one), _c(np.inf, p), out)
    return _where(lax.bitwise_or(lax.lt(p, _c(0, p)), lax.gt(p, one)), _c(np.nan, p), out)


def log_ndtr(x, series_order=3):
    """log(ndtr(x)) without underflow: log1p(-ndtr(-x)) above 0, log(ndtr(x)) in the middle, and
    the asymptotic series of the Mills ratio below -20 (float64) or -10 (float32)."""
    try:
        series_order = operator.index(series_order)
    except TypeError:
        raise TypeError("jaxlite.scipy.special.log_ndtr: series_order must be a Python int") from None
    if not 0 <= series_order <= 30:
        raise ValueError(
            f"jaxlite.scipy.special.log_ndtr: series_order must be in [0, 30], got {series_order}"
        )
    (x,) = _inexact("log_ndtr", x)
    x = _real_float("log_ndtr", x)
    lower = -20.0 if x.dtype == dtypes.float64 else -10.0
    zero = _c(0, x)
    pos = lax.gt(x, zero)
    log_mid = lax.log(ndtr(lax.clamp(_c(lower, x), x, zero)))
    log_pos = lax.log1p(lax.neg(ndtr(lax.neg(lax.max(x, zero)))))
    # Far left tail: ndtr(x) = phi(x)/(-x) * (1 + sum_k (-1)^k (2k-1)!! / x^(2k)).
    x_tail = lax.min(x, _c(lower, x))
    x2 = lax.mul(x_tail, x_tail)
    series = _c(1, x)
    term = _c(1, x)
    for k in range(1, series_order + 1):
        term = lax.div(lax.mul(term, _c(-(2 * k - 1), x)), x2)
        series = lax.add(series, term)
    log_tail = lax.sub(
        lax.sub(lax.mul(_c(-0.5, x), x2), lax.log(lax.neg(x_tail))), _c(0.5 * np.log(2 * np.pi), x)
    )
    log_tail = lax.add(log_tail, lax.log(series))
    out = _where(pos, log_pos, _where(lax.lt(x, _c(lower, x)), log_tail, log_mid))
    return out


# ---- modified Bessel functions (Cephes i0.c, i1.c Chebyshev expansions) -------------------------


def _chbevl(x, coeffs):
    """Clenshaw recurrence for sum' c_i T_i(x/2), coefficients highest order first (Cephes)."""
    b0, b1, b2 = _c(coeffs[0], x), _c(0, x), _c(0, x)
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = lax.add(lax.sub(lax.mul(x, b1), b2), _c(c, x))
    return lax.mul(_c(0.5, x), lax.sub(b0, b2))


def _bessel_e(x, a, b, small_factor):
    """exp(-|x|) I_n(|x|): Chebyshev in [0, 8] (times small_factor(z)) and in 1/x beyond 8."""
    z = lax.abs(x)
    small = lax.le(z, _c(8, x))
    z_small = _where(small, z, _c(8, x))
    z_big = _where(small, _c(8, x), z)
    near = lax.mul(_chbevl(lax.sub(lax.mul(z_small, _c(0.5, x)), _c(2, x)), a), small_factor(z_small))
    far = lax.div(_chbevl(lax.sub(lax.div(_c(32, x), z_big), _c(2, x)), b), lax.sqrt(z_big))
    return _where(small, near, far)


def i0e(x):
    """Exponentially scaled modified Bessel function of order 0: exp(-|x|) I0(x)."""
    (x,) = _inexact("i0e", x)
    x = _real_float("i0e", x)
    return _bessel_e(x, _cephes.I0_A, _cephes.I0_B, lambda z: _c(1, z))


def i0(x):
    """The modified Bessel function of the first kind, order 0."""
    (x,) = _inexact("i0", x)
    return lax.mul(lax.exp(lax.abs(x)), i0e(x))


def i1e(x):
    """Exponentially scaled modified Bessel function of order 1: exp(-|x|) I1(x) (odd in x)."""
    (x,) = _inexact("i1e", x)
    x = _real_float("i1e", x)
    out = _bessel_e(x, _cephes.I1_A, _cephes.I1_B, lambda z: z)
    return _where(lax.lt(x, _c(0, x)), lax.neg(out), out)


def i1(x):
    """The modified Bessel function of the first kind, order 1."""
    (x,) = _inexact("i1", x)
    return lax.mul(lax.exp(lax.abs(x)), i1e(x))
