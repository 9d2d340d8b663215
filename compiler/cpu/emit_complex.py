"""Complex numbers in loop kernels, as pairs of real registers.

A complex64 / complex128 value in a kernel is a `types.Pair` (re, im) of float32 / float64 LLVM
values. In memory it is NumPy's interleaved layout (`mem_type` is [2 x part]); loads and stores
go part by part, which LLVM's vectoriser sees as two interleaved float streams. Every emitter is
built from the real ones (libm calls, which vectorise through libmvec, see vecmath.py), and
computes what the interpreter (NumPy) computes:

- add, sub, mul: part by part, the textbook products (NumPy's order of operations exactly);
- div: NumPy's own algorithm (Smith's, scaled by the larger part of the divisor), bit for bit,
  so no overflow for large finite operands;
- abs: hypot (libm), as NumPy; sign: z / |z|, 0 at 0, as JAX (sign(inf) is nan);
- sqrt, log, pow on complex64 are computed in float64 and rounded once (no overflow, and
  log|z| near |z| = 1 keeps its relative precision); complex128 uses scaled forms;
- exp, sin/cos, sinh/cosh, tan/tanh, expm1, log1p: from the real functions of the parts, with
  the zero-imaginary-part cases patched so that inf * 0 does not turn an exact 0 into nan, and
  exp scaled (e^(a/2) twice) where e^a alone overflows; complex64 sin/cos/sinh/cosh run in
  float64 (cosh(100) overflows float32). Known deviation: complex128 sinh/cosh/sin/cos still
  overflow in e^|x| past |x| ~ 710 where the result times a tiny factor would be finite.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from .. import dtypes
from .. import primitives as P
from . import emit_complex_order
from .emit_complex_inverse import UNARY as INVERSE_UNARY
from .float_ops import FloatOps
from .scalar import _intr, _libm, convert, select_n
from .types import Pair, i32, mem_type, reg_type, widened

PART = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_I0, _I1 = ir.Constant(i32, 0), ir.Constant(i32, 1)


def is_complex(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


# ---- Memory ---------------------------------------------------------------------------------


def load(b, addr, dtype):
    """The complex number at `addr` (a pointer to one [2 x part] element)."""
    arr, align = mem_type(dtype), PART[np.dtype(dtype)].itemsize
    re = b.load(b.gep(addr, [_I0, _I0], inbounds=True, source_etype=arr), typ=arr.element, align=align)
    im = b.load(b.gep(addr, [_I0, _I1], inbounds=True, source_etype=arr), typ=arr.element, align=align)
    return Pair(re, im)


def store(b, value, addr, dtype):
    arr, align = mem_type(dtype), PART[np.dtype(dtype)].itemsize
    b.store(value.re, b.gep(addr, [_I0, _I0], inbounds=True, source_etype=arr), align=align)
    b.store(value.im, b.gep(addr, [_I0, _I1], inbounds=True, source_etype=arr), align=align)


# ---- Real arithmetic on parts ---------------------------------------------------------------


class _Ops(FloatOps):
    """Real operations of one float dtype (the part's, or float64 for widened complex64)."""

    def __init__(self, cx, dtype):
        super().__init__(cx, reg_type(np.dtype(dtype)))
        self.dt = np.dtype(dtype)

    def fabs(self, x):
        return _intr(self.cx, "fabs", self.dt, x)

    def sqrt(self, x):
        return _intr(self.cx, "sqrt", self.dt, x)

    def copysign(self, x, y):
        return _intr(self.cx, "copysign", self.dt, x, y)

    def f(self, name, *xs):
        return _libm(self.cx, name, xs[0], self.dt, *xs[1:])

    def is_inf(self, x):
        return self.cmp("==", self.fabs(x), self.c(np.inf))


# ---- Complex arithmetic ---------------------------------------------------------------------


def cadd(o, x, y):
    return Pair(o.add(x.re, y.re), o.add(x.im, y.im))


def csub(o, x, y):
    return Pair(o.sub(x.re, y.re), o.sub(x.im, y.im))


def cmul(o, x, y):
    return Pair(o.sub(o.mul(x.re, y.re), o.mul(x.im, y.im)), o.add(o.mul(x.re, y.im), o.mul(x.im, y.re)))


def cdiv(o, x, y):
    # NumPy's complex division: divide through by the larger part of y (Smith), so nothing
    # squares y; a zero divisor divides the parts by |y.re| (complex inf or nan, as NumPy).
    a, b_, c, d = x.re, x.im, y.re, y.im
    c_abs, d_abs = o.fabs(c), o.fabs(d)
    c_big = o.cmp(">=", c_abs, d_abs)
    rat1 = o.div(d, c)
    scl1 = o.div(o.c(1), o.add(c, o.mul(d, rat1)))
    re1, im1 = o.mul(o.add(a, o.mul(b_, rat1)), scl1), o.mul(o.sub(b_, o.mul(a, rat1)), scl1)
    zero = o.b.and_(o.cmp("==", c_abs, o.c(0)), o.cmp("==", d_abs, o.c(0)))
    re1, im1 = o.sel(zero, o.div(a, c_abs), re1), o.sel(zero, o.div(b_, c_abs), im1)
    rat2 = o.div(c, d)
    scl2 = o.div(o.c(1), o.add(d, o.mul(c, rat2)))
    re2, im2 = o.mul(o.add(o.mul(a, rat2), b_), scl2), o.mul(o.sub(o.mul(b_, rat2), a), scl2)
    return Pair(o.sel(c_big, re1, re2), o.sel(c_big, im1, im2))


def cabs(o, z):
    return o.f("hypot", z.re, z.im)


def _log_abs(o, a, b):
    """log|a + ib| without overflow, and with relative precision near |z| = 1."""
    fa, fb = o.fabs(a), o.fabs(b)
    a_big = o.cmp(">=", fa, fb)
    m, n = o.sel(a_big, fa, fb), o.sel(a_big, fb, fa)
    one, half = o.c(1), o.c(0.5)
    # m in [0.5, 2): (m - 1) is exact, so log1p sees |z|^2 - 1 without cancellation in m
    near = o.b.and_(o.cmp(">=", m, half), o.cmp("<", m, o.c(2)))
    near_val = o.mul(half, o.f("log1p", o.add(o.mul(o.sub(m, one), o.add(m, one)), o.mul(n, n))))
    r = o.div(n, m)
    far_val = o.add(o.f("log", m), o.mul(half, o.f("log1p", o.mul(r, r))))
    v = o.sel(near, near_val, far_val)
    zero = o.b.and_(o.cmp("==", fa, o.c(0)), o.cmp("==", fb, o.c(0)))  # log(nan + 0i) stays nan
    v = o.sel(zero, o.c(-np.inf), v)
    return o.sel(o.b.or_(o.is_inf(a), o.is_inf(b)), o.c(np.inf), v)


@widened
def clog(o, z):
    return Pair(_log_abs(o, z.re, z.im), o.f("atan2", z.im, z.re))


@widened
def csqrt(o, z):
    # t = sqrt((|a| + |z|) / 2); the larger result part is t, the other b / 2t (no cancellation).
    a, b = z.re, z.im
    mag = cabs(o, z)
    t = o.sqrt(o.add(o.mul(o.c(0.5), o.fabs(a)), o.mul(o.c(0.5), mag)))
    other = o.div(o.fabs(b), o.add(t, t))
    a_pos = o.cmp(">=", a, o.c(0))
    re = o.sel(a_pos, t, other)
    im = o.sel(a_pos, o.copysign(other, b), o.copysign(t, b))
    zero = o.cmp("==", mag, o.c(0))
    re, im = o.sel(zero, o.c(0), re), o.sel(zero, b, im)
    b_inf = o.is_inf(b)
    return Pair(o.sel(b_inf, o.c(np.inf), re), o.sel(b_inf, b, im))


def cexp(o, z):
    a, b = z.re, z.im
    ea, cos_b, sin_b = o.f("exp", a), o.f("cos", b), o.f("sin", b)
    re, im = o.mul(ea, cos_b), o.mul(ea, sin_b)
    # past e^a's overflow, e^a cos b may still be finite: (e^(a/2) cos b) e^(a/2)
    half = o.f("exp", o.mul(o.c(0.5), a))
    big = o.cmp(">", a, o.c(80 if o.dt == dtypes.float32 else 700))
    re = o.sel(big, o.mul(o.mul(half, cos_b), half), re)
    im = o.sel(big, o.mul(o.mul(half, sin_b), half), im)
    im = o.sel(o.cmp("==", b, o.c(0)), b, im)  # exact: inf * sin(0) would be nan
    vanished = o.cmp("==", a, o.c(-np.inf))  # e^-inf = 0 times anything, even cos(inf) = nan
    re = o.sel(o.b.and_(o.cmp("==", a, o.c(np.inf)), o.b.fcmp_unordered("uno", cos_b, cos_b)), a, re)
    return Pair(o.sel(vanished, o.c(0), re), o.sel(vanished, o.copysign(o.c(0), b), im))


@widened  # complex64: cosh(100) overflows float32, cosh(100) * sin(1e-30) does not
def csinh(o, z):
    a, b = z.re, z.im
    im = o.sel(o.cmp("==", b, o.c(0)), b, o.mul(o.f("cosh", a), o.f("sin", b)))
    return Pair(o.mul(o.f("sinh", a), o.f("cos", b)), im)


@widened
def ccosh(o, z):
    a, b = z.re, z.im
    exact = o.mul(o.copysign(o.c(1), a), b)  # sinh(a) * 0 with sinh(a) = inf would be nan
    im = o.sel(o.cmp("==", b, o.c(0)), exact, o.mul(o.f("sinh", a), o.f("sin", b)))
    return Pair(o.mul(o.f("cosh", a), o.f("cos", b)), im)


def ctanh(o, z):
    # Kahan's form (no cancellation, one tan): t = tan b, s = sinh a, beta = 1 + t^2,
    # tanh z = (beta * sqrt(1 + s^2) * s + i t) / (1 + beta s^2). Past |a| = 20, tanh a rounds
    # to +-1 and the imaginary part is 4 sin b cos b e^(-2|a|) (s^2 would overflow).
    a, b = z.re, z.im
    t, s = o.f("tan", b), o.f("sinh", a)
    beta = o.add(o.c(1), o.mul(t, t))
    ss = o.mul(s, s)
    denom = o.add(o.c(1), o.mul(beta, ss))
    re = o.div(o.mul(o.mul(beta, o.sqrt(o.add(o.c(1), ss))), s), denom)
    im = o.div(t, denom)
    far = o.cmp(">", o.fabs(a), o.c(20))
    tail = o.mul(o.mul(o.c(4), o.mul(o.f("sin", b), o.f("cos", b))), o.f("exp", o.mul(o.c(-2), o.fabs(a))))
    tail = o.sel(o.is_inf(a), o.copysign(o.c(0), b), tail)  # tanh(inf + i y) = 1 + 0i for any y
    re = o.sel(o.cmp("==", a, o.c(0)), a, re)  # tanh(0 + iy) = 0 + i tan(y), even for y = inf
    im = o.sel(o.cmp("==", b, o.c(0)), b, im)  # tanh(x + 0i) = tanh(x) + 0i, even for x = nan
    far_re = o.add(o.copysign(o.c(1), a), o.mul(tail, o.c(0)))  # nan when b is (C99: tanh(9 + i inf))
    return Pair(o.sel(far, far_re, re), o.sel(far, tail, im))


def _times_i(o, z):  # i z
    return Pair(o.neg(z.im), z.re)


def _times_minus_i(o, z):  # -i z
    return Pair(z.im, o.neg(z.re))


def csin(o, z):  # sin z = -i sinh(i z)
    return _times_minus_i(o, csinh(o, _times_i(o, z)))


def ccos(o, z):  # cos z = cosh(i z)
    return ccosh(o, _times_i(o, z))


def ctan(o, z):  # tan z = -i tanh(i z)
    return _times_minus_i(o, ctanh(o, _times_i(o, z)))


def cexpm1(o, z):
    # re: e^a cos b - 1 = expm1(a) cos b - 2 sin^2(b/2), no cancellation near 0
    a, b = z.re, z.im
    s = o.f("sin", o.mul(o.c(0.5), b))
    re = o.sub(o.mul(o.f("expm1", a), o.f("cos", b)), o.mul(o.c(2), o.mul(s, s)))
    im = o.sel(o.cmp("==", b, o.c(0)), b, o.mul(o.f("exp", a), o.f("sin", b)))
    return Pair(re, im)


@widened
def clog1p(o, z):
    # near 0: log|1 + z| = log1p(2a + a^2 + b^2) / 2 keeps the relative precision of small z
    a, b = z.re, z.im
    one_a = o.add(o.c(1), a)
    small = o.cmp("<", o.sel(o.cmp(">=", o.fabs(a), o.fabs(b)), o.fabs(a), o.fabs(b)), o.c(0.5))
    near = o.mul(o.c(0.5), o.f("log1p", o.add(o.mul(a, o.add(o.c(2), a)), o.mul(b, b))))
    re = o.sel(small, near, _log_abs(o, one_a, b))
    return Pair(re, o.f("atan2", b, one_a))


@widened
def cpow(o, x, y):
    # x ** y = exp(y log x); NumPy's special cases: x ** 0 = 1, 0 ** y = 0 for re(y) > 0, else nan
    r = cexp(o, cmul(o, y, clog(o, x)))
    zero = o.c(0)
    y_zero = o.b.and_(o.cmp("==", y.re, zero), o.cmp("==", y.im, zero))
    x_zero = o.b.and_(o.cmp("==", x.re, zero), o.cmp("==", x.im, zero))
    at_zero = o.sel(o.cmp(">", y.re, zero), zero, o.c(np.nan))
    re = o.sel(y_zero, o.c(1), o.sel(x_zero, at_zero, r.re))
    im = o.sel(y_zero, zero, o.sel(x_zero, at_zero, r.im))
    return Pair(re, im)


def _integer_pow(o, x, y):
    # the interpreter's multiplication order (binary exponentiation), then 1 / result
    result, base, n = None, x, abs(y)
    while n:
        if n & 1:
            result = base if result is None else cmul(o, result, base)
        n >>= 1
        if n:
            base = cmul(o, base, base)
    one = Pair(o.c(1), o.c(0))
    if result is None:
        return one
    return cdiv(o, one, result) if y < 0 else result


def _sign(o, z):
    mag = cabs(o, z)
    zero = o.cmp("==", mag, o.c(0))
    safe = o.sel(zero, o.c(1), mag)
    return Pair(o.sel(zero, o.c(0), o.div(z.re, safe)), o.sel(zero, o.c(0), o.div(z.im, safe)))


@widened  # complex64: e^100 overflows float32 where 1 / (1 + e^100) is a fine 0
def _logistic(o, z):
    one = Pair(o.c(1), o.c(0))
    return cdiv(o, one, cadd(o, one, cexp(o, Pair(o.neg(z.re), o.neg(z.im)))))


def _scaled(o, z, k):
    return Pair(o.mul(z.re, o.c(k)), o.mul(z.im, o.c(k)))


# ---- The table ------------------------------------------------------------------------------

# prim -> fn(o, args, ins, out, **params) with `o` the part dtype's operations
_UNARY = {
    P.neg_p: lambda o, z: Pair(o.neg(z.re), o.neg(z.im)),
    P.conj_p: lambda o, z: Pair(z.re, o.neg(z.im)),
    P.exp_p: cexp,
    P.exp2_p: lambda o, z: cexp(o, _scaled(o, z, np.log(2))),
    P.log_p: clog,
    P.log1p_p: clog1p,
    P.expm1_p: cexpm1,
    P.sqrt_p: csqrt,
    P.rsqrt_p: lambda o, z: cdiv(o, Pair(o.c(1), o.c(0)), csqrt(o, z)),
    P.sin_p: csin,
    P.cos_p: ccos,
    P.tan_p: ctan,
    P.sinh_p: csinh,
    P.cosh_p: ccosh,
    P.tanh_p: ctanh,
    P.sign_p: _sign,
    P.logistic_p: _logistic,
    P.copy_p: lambda o, z: z,
    P.stop_gradient_p: lambda o, z: z,
    **INVERSE_UNARY,  # asin, acos, atan, asinh, acosh, atanh: emit_complex_inverse.py
}
_BINARY = {P.add_p: cadd, P.sub_p: csub, P.mul_p: cmul, P.div_p: cdiv, P.pow_p: cpow}


def _eq(o, x, y):
    return o.b.and_(o.cmp("==", x.re, y.re), o.cmp("==", x.im, y.im))


def _ne(o, x, y):
    b = o.b
    return b.or_(b.fcmp_unordered("!=", x.re, y.re), b.fcmp_unordered("!=", x.im, y.im))


def _convert(cx, x, src, dst):
    src, dst = np.dtype(src), np.dtype(dst)
    if is_complex(src) and is_complex(dst):
        return Pair(convert(cx, x.re, PART[src], PART[dst]), convert(cx, x.im, PART[src], PART[dst]))
    if is_complex(src):  # to a real type: the real part (JAX drops the imaginary part first)
        return convert(cx, x.re, PART[src], dst)
    part = PART[dst]
    return Pair(convert(cx, x, src, part), ir.Constant(reg_type(part), 0.0))


def _part_dtype(ins, out):
    for d in (*ins, out):
        if is_complex(d):
            return PART[np.dtype(d)]
    raise AssertionError("no complex dtype")


def emit(cx, prim, args, ins, out, params):
    """The complex version of scalar.emit (some operand or the result is complex)."""
    o = _Ops(cx, _part_dtype(ins, out))
    if prim in _UNARY:
        return _UNARY[prim](o, args[0])
    if prim in _BINARY:
        return _BINARY[prim](o, args[0], args[1])
    if prim is P.real_p:
        return args[0].re
    if prim is P.imag_p:
        return args[0].im
    if prim is P.complex_p:
        return Pair(args[0], args[1])
    if prim is P.abs_p:
        return cabs(o, args[0])
    if prim is P.integer_pow_p:
        return _integer_pow(o, args[0], params["y"])
    if prim is P.eq_p:
        return _eq(o, *args)
    if prim is P.ne_p:
        return _ne(o, *args)
    if prim is P.select_n_p:
        which, *cases = args
        re = select_n(cx, [which, *(c.re for c in cases)], ins, out)
        return Pair(re, select_n(cx, [which, *(c.im for c in cases)], ins, out))
    if prim is P.convert_element_type_p:
        return _convert(cx, args[0], ins[0], params["new_dtype"])
    if prim in emit_complex_order.EMITTERS:  # max, min, clamp, lt/le/gt/ge
        return emit_complex_order.emit(o, prim, args, params)
    raise AssertionError(f"{prim.name} on complex numbers has no emitter (see complex_coverage)")


EMITTERS = (
    set(_UNARY)
    | set(_BINARY)
    | {
        P.real_p,
        P.imag_p,
        P.complex_p,
        P.abs_p,
        P.integer_pow_p,
        P.eq_p,
        P.ne_p,
        P.select_n_p,
        P.convert_element_type_p,
    }
    | emit_complex_order.EMITTERS
)
