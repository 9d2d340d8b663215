"""Complex asin, acos, asinh, acosh, atan and atanh in loop kernels (registered in emit_complex).

All six are computed in float64 (complex64 widened, rounded once at the end) from two kernels on
the first quadrant, x, y >= 0, and the symmetries C99 Annex G prescribes (odd, conjugate-symmetric;
the signs of zero parts pick the side of each branch cut):

- asin(x + iy) = P + iQ (`_ArcParts`), after Hull, Fairgrieve and Tang, "Implementing the
  complex arcsine and arccosine functions using exception handling" (TOMS 1997). With
  R = |z + 1|, S = |z - 1| and A = (R + S) / 2 >= 1: Q = acosh(A), P = asin(x / A). A - 1 and
  A - x are formed from R, S and y^2 / (R + x + 1) style terms, so no subtraction cancels; past
  |B| = |x / A| = 0.6417 the angle is atan2(x, sqrt(A^2 - x^2)) instead of asin(B) (asin is
  ill-conditioned near 1); where y^2 would underflow against |x - 1|, the first terms of the
  series. acos, asinh and acosh are the same numbers rearranged:
  acos z = atan2(sqrt(A^2 - x^2), x) - iQ (signed x), asinh z = -i asin(iz), acosh z = Q + i acos.
- atanh(x + iy) = U + iV (`_atanh_parts`), Kahan's form: U = log1p(4x / ((1 - x)^2 + y^2)) / 4
  (as (log|1 + z| - log|1 - z|) / 2 near z = 1, where the quotient's argument would overflow),
  V = atan2(2y, 1 - x^2 - y^2) / 2 with 1 - |z|^2 summed exactly enough (fused multiply-adds and a
  two-sum) that the angle keeps its precision on the unit circle. atan z = -i atanh(iz).
- |z| < 2^-28: asin, asinh, atan and atanh return z itself (the next term of the series is
  below half an ulp); |z| > 2^60: the asymptotic forms (log 2|z| and the argument of z; 1/z and
  pi/2 for atanh), relative errors below 2^-58 there, with no squares to overflow.

Accuracy (tests/compiler/test_cpu_complex_inverse.py, on grids of tiny, moderate and huge
magnitudes, both sides of every branch cut, the axes, near +-1, +-i and the unit circle): each
part of a complex128 result within 3 ulps of the exact value's part (mpmath; measured 2.7, as
the libm / libmvec functions underneath are each within a few ulps) and 5 ulps of NumPy's
(measured 3.9); complex64 within 1 ulp per part of NumPy's complex128 result rounded (measured 0).
Inf, nan and signed-zero parts are NumPy's (C99 Annex G's) on every edge input tested.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from .scalar import _intr
from .types import Pair, widened

_EPS = 2.0**-52
_TINY = 2.0**-28  # below, asin z = z (1 + z^2 / 6 + ...) rounds to z; atanh, atan likewise
_HUGE = 2.0**60  # above, log 2|z| and arg z are asin's parts to 2^-100 (and squares may overflow)
_A_CROSS, _B_CROSS = 1.5, 0.6417  # Hull et al.'s switch points between formulas
_LN2, _PI_2 = float(np.log(2.0)), float(np.pi / 2)


def _max(o, x, y):  # nan when either is (the branch tests below then all fail, as they should)
    return o.sel(o.b.fcmp_unordered("uno", x, y), o.add(x, y), o.sel(o.cmp(">=", x, y), x, y))


# ---- asin on the first quadrant ----------------------------------------------------------------


class _ArcParts:
    """asin(x + iy) = P + iQ for x, y >= 0, and what acos needs: A and sqrt(A^2 - x^2) = D."""

    def __init__(self, o, x, y):
        one, half = o.c(1), o.c(0.5)
        f = o.f
        xp1, xm1, one_mx = o.add(x, one), o.sub(x, one), o.sub(one, x)  # exact near x = 1
        r, s = f("hypot", xp1, y), f("hypot", xm1, y)
        a = o.mul(half, o.add(r, s))
        a = o.sel(o.cmp("<", a, one), one, a)  # A >= 1 (rounding may say less); nan stays nan
        yy = o.mul(y, y)
        r_gap = o.div(yy, o.add(r, xp1))  # R - (x + 1), as R^2 - (x + 1)^2 = y^2
        below = o.cmp("<", x, one)
        # 2(A - 1) = (R - (x + 1)) + (S - (1 - x)); for x >= 1, S - (1 - x) = S + (x - 1)
        s_gap = o.sel(below, o.div(yy, o.add(s, one_mx)), o.add(s, xm1))
        am1_2 = o.add(r_gap, s_gap)
        q_near = f("log1p", o.add(o.mul(half, am1_2), o.sqrt(o.mul(am1_2, o.mul(half, o.add(a, one))))))
        # y^2 negligible (or underflowing) against |x - 1|: the leading term of the series
        flat = o.cmp("<", y, o.mul(o.c(_EPS), o.fabs(xm1)))
        q_flat_in = o.div(y, o.sqrt(o.mul(one_mx, xp1)))  # Q = y / sqrt(1 - x^2) inside the cut
        q_flat_out = f("log1p", o.add(xm1, o.sqrt(o.mul(xm1, xp1))))  # acosh(x) on the cut
        q_near = o.sel(flat, o.sel(below, q_flat_in, q_flat_out), q_near)
        q_far = f("log", o.add(a, o.sqrt(o.sub(o.mul(a, a), one))))
        self.q = o.sel(o.cmp("<", a, o.c(_A_CROSS)), q_near, q_far)
        # D = sqrt((A + x)(A - x)); for x <= 1, 2(A - x) = (R - (x + 1)) + (S + (1 - x)); for
        # x > 1, 2(A - x) = y^2 / (R + x + 1) + y^2 / (S + x - 1), with y taken out of the root
        apx_2 = o.mul(half, o.add(a, x))
        d_in = o.sqrt(o.mul(apx_2, o.add(r_gap, o.add(s, one_mx))))
        d_out = o.mul(y, o.sqrt(o.add(o.div(apx_2, o.add(r, xp1)), o.div(apx_2, o.add(s, xm1)))))
        self.d = o.sel(o.cmp("<=", x, one), d_in, d_out)
        self.a = a
        self.use_b = o.cmp("<=", o.div(x, a), o.c(_B_CROSS))
        m = _max(o, x, y)
        self.tiny = o.cmp("<", m, o.c(_TINY))
        self.huge = o.b.or_(o.cmp(">", x, o.c(_HUGE)), o.cmp(">", y, o.c(_HUGE)))
        # log 2|z| without overflow in |z|: log|z / 2| + 2 log 2
        self.q_huge = o.add(f("log", f("hypot", o.mul(half, x), o.mul(half, y))), o.c(2 * _LN2))
        self.o, self.x, self.y = o, x, y

    def asin_q(self):
        """|Im asin(z)| (also |Re acosh| and |Re asinh| of the rotated argument)."""
        o = self.o
        return o.sel(self.huge, self.q_huge, o.sel(self.tiny, self.y, self.q))

    def asin_p(self):
        """|Re asin(z)|."""
        o, x, y = self.o, self.x, self.y
        p = o.sel(self.use_b, o.f("asin", o.div(x, self.a)), o.f("atan2", x, self.d))
        p = o.sel(self.huge, o.f("atan2", x, y), o.sel(self.tiny, x, p))
        return o.sel(o.cmp("==", x, o.c(0)), x, p)  # asin(0 + iy) = i asinh(y), even y = nan

    def acos_re(self, xs):
        """Re acos(xs + iy) in [0, pi], for xs = +-x (the one number that needs the sign)."""
        o, y = self.o, self.y
        p = o.sel(self.use_b, o.f("acos", o.div(xs, self.a)), o.f("atan2", self.d, xs))
        p = o.sel(self.huge, o.f("atan2", y, xs), p)
        return o.sel(o.cmp("==", xs, o.c(0)), o.c(_PI_2), p)  # acos(0 + iy) = pi/2 - i asinh(y)


@widened
def casin(o, z):
    k = _ArcParts(o, o.fabs(z.re), o.fabs(z.im))
    return Pair(o.copysign(k.asin_p(), z.re), o.copysign(k.asin_q(), z.im))


@widened
def casinh(o, z):  # asinh z = -i asin(iz): the parts of asin(|y| + i|x|), swapped
    k = _ArcParts(o, o.fabs(z.im), o.fabs(z.re))
    return Pair(o.copysign(k.asin_q(), z.re), o.copysign(k.asin_p(), z.im))


@widened
def cacos(o, z):
    k = _ArcParts(o, o.fabs(z.re), o.fabs(z.im))
    return Pair(k.acos_re(z.re), o.neg(o.copysign(k.asin_q(), z.im)))


@widened
def cacosh(o, z):  # acosh z = +-i acos z, the sign that makes the real part >= 0
    k = _ArcParts(o, o.fabs(z.re), o.fabs(z.im))
    return Pair(k.asin_q(), o.copysign(k.acos_re(z.re), z.im))


# ---- atanh on the first quadrant ---------------------------------------------------------------


def _one_minus_norm(o, x, y):
    """1 - x^2 - y^2 with an error of a few ulps of itself plus ~2^-104 (a cancelling sum near
    the unit circle): the squares split exactly by fused multiply-adds, their sum by a two-sum."""

    def fma(a, b, c):
        return _intr(o.cx, "fma", o.dt, a, b, c)

    xx, yy = o.mul(x, x), o.mul(y, y)
    xx_lo, yy_lo = fma(x, x, o.neg(xx)), fma(y, y, o.neg(yy))
    s = o.add(xx, yy)
    back = o.sub(s, xx)
    s_lo = o.add(o.sub(xx, o.sub(s, back)), o.sub(yy, back))  # xx + yy = s + s_lo exactly
    head = o.sub(o.c(1), s)  # exact when s is in [0.5, 2], where the cancellation happens
    return o.sub(head, o.add(s_lo, o.add(xx_lo, yy_lo)))


def _atanh_parts(o, x, y):
    """atanh(x + iy) = U + iV for x, y >= 0."""
    one, quarter, half, zero = o.c(1), o.c(0.25), o.c(0.5), o.c(0)
    f = o.f
    one_mx = o.sub(one, x)
    gap = f("hypot", one_mx, y)  # |1 - z|
    u_pole = o.mul(half, o.sub(f("log", f("hypot", o.add(one, x), y)), f("log", gap)))
    u_far = o.mul(quarter, f("log1p", o.div(o.mul(o.c(4), x), o.add(o.mul(one_mx, one_mx), o.mul(y, y)))))
    u = o.sel(o.cmp("<", gap, half), u_pole, u_far)
    v = o.mul(half, f("atan2", o.add(y, y), _one_minus_norm(o, x, y)))
    tiny = o.cmp("<", _max(o, x, y), o.c(_TINY))
    u, v = o.sel(tiny, x, u), o.sel(tiny, y, v)
    # |z| huge: atanh z = 1/z + i pi/2 (to ~2^-59 relative); Re(1/z) = (x / 4) / |z / 2|^2,
    # so that |z| itself cannot overflow
    h = f("hypot", o.mul(half, x), o.mul(half, y))
    u_huge = o.sel(o.is_inf(h), zero, o.div(o.div(o.mul(quarter, x), h), h))
    # C99: atanh(nan + i inf) = 0 + i pi/2, but atanh(inf + i nan) = 0 + i nan and a nan part
    # beside a finite one makes both parts nan
    pi_2 = o.b.or_(o.b.fcmp_ordered("ord", x, y), o.is_inf(y))
    v_huge = o.sel(pi_2, o.c(_PI_2), o.add(x, y))
    huge = o.b.or_(o.cmp(">", x, o.c(_HUGE)), o.cmp(">", y, o.c(_HUGE)))
    u, v = o.sel(huge, u_huge, u), o.sel(huge, v_huge, v)
    return o.sel(o.cmp("==", x, zero), x, u), v  # atanh(0 + iy) = i atan(y), even y = nan


@widened
def catanh(o, z):
    u, v = _atanh_parts(o, o.fabs(z.re), o.fabs(z.im))
    return Pair(o.copysign(u, z.re), o.copysign(v, z.im))


@widened
def catan(o, z):  # atan z = -i atanh(iz): the parts of atanh(|y| + i|x|), swapped
    u, v = _atanh_parts(o, o.fabs(z.im), o.fabs(z.re))
    return Pair(o.copysign(v, z.re), o.copysign(u, z.im))


UNARY = {
    P.asin_p: casin,
    P.acos_p: cacos,
    P.atan_p: catan,
    P.asinh_p: casinh,
    P.acosh_p: cacosh,
    P.atanh_p: catanh,
}
"""The complex emitters of this module, by primitive (emit_complex adds them to its table)."""
