"""Closeness and equality tests, and the less common elementwise math of NumPy (gcd, frexp, ...).

Written on jnp and lax, with JAX's promotion: comparisons promote both sides to a common inexact
dtype; integer functions (gcd, lcm, bitwise_count) accept integers only.
"""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp
from compiler import dtypes

from .. import lax
from ._util import (
    canonicalize_axes,
    check_arraylike,
    promote_dtypes,
    promote_dtypes_inexact,
    to_array,
)

__all__ = [
    "allclose",
    "array_equal",
    "array_equiv",
    "bitwise_count",
    "frexp",
    "gcd",
    "gradient",
    "i0",
    "iscomplex",
    "isclose",
    "isreal",
    "lcm",
    "modf",
    "nan_to_num",
    "spacing",
    "unwrap",
]


# ---- closeness and equality ------------------------------------------------------------------


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b|, with infinities equal only to themselves."""
    check_arraylike("isclose", a, b)
    a, b = promote_dtypes(a, b)
    if dtypes.is_bool(a.dtype) or dtypes.is_integer(a.dtype):
        a, b = promote_dtypes_inexact(a, b)
    tol_dtype = jnp.real(a).dtype
    rtol = lax.convert_element_type(rtol, tol_dtype)
    atol = lax.convert_element_type(atol, tol_dtype)
    out = jnp.abs(a - b) <= atol + rtol * jnp.abs(b)
    a_inf, b_inf = jnp.isinf(a), jnp.isinf(b)
    # An infinity is close only to the same infinity (the tolerance test says inf <= inf).
    out = (out & ~(a_inf | b_inf)) | (a_inf & b_inf & (a == b))
    a_nan, b_nan = jnp.isnan(a), jnp.isnan(b)
    out = out & ~(a_nan | b_nan)
    if equal_nan:
        out = out | (a_nan & b_nan)
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a bool scalar Array) when every element of a is close to b (see isclose)."""
    check_arraylike("allclose", a, b)
    return jnp.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """True when a1 and a2 have the same shape and elements; False for different shapes."""
    a1, a2 = jnp.asarray(a1), jnp.asarray(a2)
    if a1.shape != a2.shape:
        return jnp.array(False)
    eq = a1 == a2
    if equal_nan:
        eq = eq | (jnp.isnan(a1) & jnp.isnan(a2))
    return jnp.all(eq)


def array_equiv(a1, a2):
    """True when a1 and a2 broadcast to each other and are then equal everywhere."""
    a1, a2 = jnp.asarray(a1), jnp.asarray(a2)
    try:
        np.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return jnp.array(False)
    return jnp.all(a1 == a2)


# ---- integer functions ------------------------------------------------------------------------


def _integers(fname, *args):
    check_arraylike(fname, *args)
    args = promote_dtypes(*args)
    for a in args:
        if not (dtypes.is_integer(a.dtype) or dtypes.is_bool(a.dtype)):
            raise TypeError(
                f"jaxlite.numpy.{fname}: arguments must be integers, got {a.dtype}; "
                "cast with .astype(int) first")
    return args


def gcd(x1, x2):
    """Elementwise greatest common divisor of |x1| and |x2| (Euclid's algorithm, a while_loop)."""
    x1, x2 = _integers("gcd", x1, x2)
    x1, x2 = jnp.broadcast_arrays(jnp.abs(x1), jnp.abs(x2))

    def cond(xs):
        return jnp.any(xs[1] != 0)

    def body(xs):
        a, b = xs
        nonzero = b != 0
        safe_b = jnp.where(nonzero, b, jnp.ones_like(b))
        return jnp.where(nonzero, b, a), jnp.where(nonzero, lax.rem(a, safe_b), b)

    return lax.while_loop(cond, body, (x1, x2))[0]


def lcm(x1, x2):
    """Elementwise least common multiple, |x1 * (x2 // gcd)| (0 where either is 0)."""
    x1, x2 = _integers("lcm", x1, x2)
    d = gcd(x1, x2)
    safe_d = jnp.where(d == 0, jnp.ones_like(d), d)
    return jnp.where(d == 0, jnp.zeros_like(d), jnp.abs(x1 * (x2 // safe_d)))


def bitwise_count(x):
    """The number of 1 bits in |x|, as uint8 (NumPy 2's bitwise_count)."""
    (x,) = _integers("bitwise_count", x)
    if dtypes.is_bool(x.dtype):
        return x.astype(np.uint8)
    bits = x.dtype.itemsize * 8
    u = lax.convert_element_type(jnp.abs(x), np.dtype(f"uint{bits}"))
    # lax has no population_count primitive: add the bits one shift at a time.
    count = jnp.zeros_like(u)
    for shift in range(bits):
        count = count + ((u >> shift) & 1)
    return count.astype(np.uint8)


# ---- floating point decomposition -------------------------------------------------------------


def _inexact_real(fname, x):
    check_arraylike(fname, x)
    (x,) = promote_dtypes_inexact(x)
    if dtypes.is_complex(x.dtype):
        raise TypeError(f"jaxlite.numpy.{fname}: complex input ({x.dtype}) is not supported")
    return x


def frexp(x):
    """(mantissa, exponent) with x = mantissa * 2**exponent and 0.5 <= |mantissa| < 1."""
    x = _inexact_real("frexp", x)
    finite_nonzero = jnp.isfinite(x) & (x != 0)
    ax = jnp.where(finite_nonzero, jnp.abs(x), jnp.ones_like(x))
    e = (jnp.floor(jnp.log2(ax)) + 1).astype(np.int32)
    m = _scale(ax, -e)
    # log2 can round across a power of two: move the mantissa back into [0.5, 1).
    e = jnp.where(m >= 1, e + 1, jnp.where(m < 0.5, e - 1, e))
    m = _scale(ax, -e)
    mantissa = jnp.where(finite_nonzero, jnp.copysign(m, x), x)
    return mantissa, jnp.where(finite_nonzero, e, jnp.zeros_like(e))


def _scale(x, k):
    # x * 2**k in two halves: 2**k alone overflows for subnormal x (k up to 149 for float32).
    half = k // 2
    return jnp.ldexp(jnp.ldexp(x, half), k - half)


def modf(x, /, out=None):
    """(fractional part, integral part), both with the sign of x."""
    if out is not None:
        raise NotImplementedError("jaxlite.numpy.modf: the out argument is not supported (arrays are immutable)")
    x = _inexact_real("modf", x)
    whole = jnp.where(x >= 0, jnp.floor(x), jnp.ceil(x))
    return x - whole, whole


def spacing(x, /):
    """The distance from x to the next representable value away from zero."""
    check_arraylike("spacing", x)
    (x,) = promote_dtypes_inexact(x)
    if dtypes.is_complex(x.dtype):
        raise ValueError("jaxlite.numpy.spacing is not defined for complex inputs")
    inf = jnp.full_like(x, np.inf)
    if x.dtype == np.float16:
        return jnp.nextafter(x, inf) - x
    result = jnp.nextafter(x, jnp.copysign(inf, x)) - x
    tiny = jnp.full_like(x, np.finfo(x.dtype).smallest_subnormal)
    return jnp.where(result == 0, jnp.copysign(tiny, x), result)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """x with NaN replaced by `nan` and infinities by `posinf`/`neginf` (the dtype's extremes)."""
    del copy  # arrays are immutable: there is never anything to copy
    check_arraylike("nan_to_num", x)
    x = to_array(x)
    if not dtypes.is_inexact(x.dtype):
        return x
    if dtypes.is_complex(x.dtype):
        re = nan_to_num(jnp.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(jnp.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return lax.complex(re, im)
    info = np.finfo(x.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = jnp.where(jnp.isnan(x), jnp.asarray(nan, x.dtype), x)
    out = jnp.where(jnp.isposinf(out), jnp.asarray(posinf, x.dtype), out)
    return jnp.where(jnp.isneginf(out), jnp.asarray(neginf, x.dtype), out)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (exp(|x|) * i0e(x))."""
    from ..scipy.special import i0e

    x = _inexact_real("i0", x)
    return jnp.exp(jnp.abs(x)) * i0e(x)


def iscomplex(x):
    """Elementwise: does x have a nonzero imaginary part?"""
    check_arraylike("iscomplex", x)
    return jnp.imag(x) != 0


def isreal(x):
    """Elementwise: is the imaginary part of x zero?"""
    check_arraylike("isreal", x)
    return jnp.imag(x) == 0


# ---- differences along axes ------------------------------------------------------------------


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """p with jumps larger than max(discont, period/2) between neighbours replaced by their
    complement modulo `period` (phase unwrapping)."""
    check_arraylike("unwrap", p)
    (p,) = promote_dtypes_inexact(p)
    if dtypes.is_complex(p.dtype):
        raise ValueError("jaxlite.numpy.unwrap does not support complex inputs")
    if p.shape[axis] == 0:
        return p
    if discont is None:
        discont = period / 2
    interval = period / 2
    dd = jnp.diff(p, axis=axis)
    ddmod = jnp.mod(dd + interval, period) - interval
    ddmod = jnp.where((ddmod == -interval) & (dd > 0), interval, ddmod)
    correction = jnp.where(jnp.abs(dd) < discont, 0, ddmod - dd)
    first = lax.slice_in_dim(p, 0, 1, axis=axis % p.ndim)
    return jnp.concatenate([first, lax.slice_in_dim(p, 1, None, axis=axis % p.ndim)
                            + jnp.cumsum(correction, axis=axis)], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=None):
    """Central differences inside, one-sided at the edges (spacing: scalars or 1-D coordinates)."""
    if edge_order is not None:
        raise NotImplementedError("jaxlite.numpy.gradient: edge_order is not supported (as in JAX)")
    check_arraylike("gradient", f, *varargs)
    a, *spacing = promote_dtypes_inexact(f, *varargs)
    axes = tuple(range(a.ndim)) if axis is None else canonicalize_axes(axis, a.ndim, "gradient")
    if not axes:
        return []
    if min(a.shape[i] for i in axes) < 2:
        raise ValueError("jaxlite.numpy.gradient: the array needs at least 2 elements along each "
                         f"axis to differentiate, got shape {a.shape}")
    if len(spacing) == 0:
        spacing = [1.0] * len(axes)
    elif len(spacing) == 1:
        spacing = spacing * len(axes)
    elif len(spacing) != len(axes):
        raise TypeError(f"jaxlite.numpy.gradient: {len(spacing)} spacing arguments for axes {axes}")
    grads = [_gradient_along(a, h, ax) for ax, h in zip(axes, spacing)]
    return grads[0] if len(axes) == 1 else grads


def _gradient_along(a, h, axis):
    def sl(x, lo, hi):
        return lax.slice_in_dim(x, lo, hi, axis=axis)

    n = a.shape[axis]
    upper = sl(a, 1, 2) - sl(a, 0, 1)
    lower = sl(a, n - 1, n) - sl(a, n - 2, n - 1)
    if jnp.ndim(h) == 0:
        inner = (sl(a, 2, n) - sl(a, 0, n - 2)) * 0.5 / h
        return jnp.concatenate([upper / h, inner, lower / h], axis=axis)
    if jnp.ndim(h) != 1 or h.shape[0] != n:
        raise ValueError(f"jaxlite.numpy.gradient: a spacing array must be 1-D of length {n} "
                         f"(the axis length), got shape {jnp.shape(h)}")
    shape = [1] * a.ndim
    shape[axis] = n
    x = jnp.reshape(h, shape)
    dx1 = sl(x, 1, n - 1) - sl(x, 0, n - 2)
    dx2 = sl(x, 2, n) - sl(x, 1, n - 1)
    inner = (-dx2 / (dx1 * (dx1 + dx2)) * sl(a, 0, n - 2) + (dx2 - dx1) / (dx1 * dx2) * sl(a, 1, n - 1)
             + dx1 / (dx2 * (dx1 + dx2)) * sl(a, 2, n))
    upper = upper / (sl(x, 1, 2) - sl(x, 0, 1))
    lower = lower / (sl(x, n - 1, n) - sl(x, n - 2, n - 1))
    return jnp.concatenate([upper, inner, lower], axis=axis)
