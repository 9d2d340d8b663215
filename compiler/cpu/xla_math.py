"""The scalar emitter of `xla_math` (XLA-exact math) and its standalone elementwise kernels.

Each function below is the operation sequence XLA's CPU back end (JAX 0.10.2) runs, read from
its dumped LLVM IR and object code (`XLA_FLAGS=--xla_dump_to=DIR`: the `*.ir-with-opt.ll` and
`*.o` files): its own polynomials, an `llvm.fma` wherever LLVM contracted a multiply into the
add or subtract that is its only use (XLA compiles with fp-contract=fast; our back end does not
contract, so every fusion is spelled out here), and plain scalar calls where XLA calls the C
library. Those calls go to glibc through symbols of our own (`jaxlite_glibc_log`, ...), never
through the `log`/`pow` declarations that cpu/vecmath.py gives libmvec vector variants: the
vectoriser must not swap them for libmvec's (different) results.

- log (float64): glibc's `log`.
- log1p (float64): glibc's log(1 + x) for |x| >= 0.4142 (sqrt(2) - 1), else Cephes' rational
  approximation x - x^2/2 + x^3 P(x)/Q(x), as XLA's elemental emitter writes it.
- exp (float64): XLA's own `xla.exp.f64`: n = floor(x log2(e) + 1/2), a Cody-Waite reduction
  g = x - n ln2 in two parts, e^g = 1 + 2 g P(g^2) / (Q(g^2) - g P(g^2)), and 2^n applied as
  four exact power-of-two factors (so that the result may be denormal); 0 below -708.4, inf
  above 709.8, NaN for NaN.
- erf (float64): glibc's `erf`.
- erf_inv (float64): Giles' double-precision polynomials in w = -log1p(-x^2) (w < 6.25, w < 16
  and beyond), with XLA's log1p above; +-1 gives +-inf.
- pow (float32 and float64): glibc's `powf` / `pow`.
- rsqrt: XLA rewrites a / sqrt(b) into a * rsqrt(b): float64 AVX-512's 14-bit estimate and two
  Newton steps, float32 SSE's `rsqrtss` and one; 1 / sqrt(x), not XLA's bits, elsewhere.
- fma: a * b + c rounded once (what XLA's contracted multiply-adds compute).
- float32 log, log1p, exp, erf, erf_inv: XLA's own polynomials (Eigen's plog_float and
  pexp_float, the same rational log1p, its float32 erf rational approximation, Giles'
  single-precision erf_inv), each described at its emitter.

Every function flushes denormal results to zero, and all but pow denormal operands, as XLA's
runtime does (it runs with the FTZ and DAZ modes of the floating-point unit on; glibc's pow
decodes its operands with integer operations, which DAZ does not affect).

`evaluate(fn, *arrays)` runs the same emitter as a native loop (one kernel per function and
dtype, compiled once and kept in memory and in the disk cache), so the interpreter, eager
jaxlite and jit all give the same bits.
"""

from __future__ import annotations

import ctypes
import functools
import threading

import numpy as np
from llvmlite import ir

from .. import dtypes
from ..primitives.xla_math import FUNCTIONS
from .float_ops import FloatOps
from .types import f32, f64

_GLIBC = {"log": "log", "erf": "erf", "pow64": "pow", "pow32": "powf"}


@functools.cache
def _libm():
    try:
        return ctypes.CDLL("libm.so.6")
    except OSError:
        return None


def symbols():
    """[(our symbol, address)] of the glibc functions the emitter calls (registered in
    target._init, so that objects loaded from the disk cache link too); none without glibc."""
    libm = _libm()
    if libm is None:
        return []
    return [
        (f"jaxlite_glibc_{ours}", ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
        for ours, name in _GLIBC.items()
    ]


def _bits64(u):
    return float(np.uint64(u).view(np.float64))


class _Ops(FloatOps):
    """Arithmetic of one float type on the builder, named as the formulas read."""

    def fma(self, x, y, z):
        return self.intr("fma", x, y, z)

    def intr(self, base, *xs):
        suffix = "f32" if self.t is f32 else "f64"
        fn = self.cx.declare(f"llvm.{base}.{suffix}", self.t, [self.t] * len(xs))
        return self.b.call(fn, list(xs))

    def glibc(self, name, *xs):
        if _libm() is None:  # an unresolved symbol would abort the process at link time
            raise RuntimeError(f"xla_math: XLA calls glibc's {_GLIBC[name]} here, and libm.so.6 is not loadable")
        fn = self.cx.declare(f"jaxlite_glibc_{name}", self.t, [self.t] * len(xs))
        return self.b.call(fn, list(xs))


# ---- log1p (float64) --------------------------------------------------------------------------

_LOG1P_DEN = (0x402E20359E903E37, 0x4054C30B52213498, 0x406BB86590FCFB56, 0x407351945DC908A5,
              0x406B0DB13E48E066, 0x404E0F304466448E)  # after a leading 1  # fmt: skip
_LOG1P_NUM = (0x3F07BC0962B395CA, 0x3FDFE818A0FE1A83, 0x401A509F46F4FA53, 0x403DE9738B8CB9C9,
              0x404E798EB86C3351, 0x404C8E7597479A10, 0x40340A202D99830A)  # fmt: skip


def _log1p(m, x):
    big = m.glibc("log", m.add(x, m.c(1.0)))
    x2 = m.mul(x, x)
    zero_x = m.mul(x, m.c(0.0))  # XLA's polynomial starts from 0 * x (NaN for infinite x)
    den = m.add(zero_x, m.c(1.0))  # two uses of 0 * x: these adds are not contracted
    for bits in _LOG1P_DEN:
        den = m.fma(den, x, m.c(_bits64(bits)))
    num = m.add(zero_x, m.c(_bits64(_LOG1P_NUM[0])))
    for bits in _LOG1P_NUM[1:]:
        num = m.fma(num, x, m.c(_bits64(bits)))
    tail = m.mul(m.mul(x, x2), m.div(num, den))
    small = m.add(x, m.fma(x2, m.c(-0.5), tail))
    return m.sel(m.lt(m.intr("fabs", x), m.c(_bits64(0x3FDA827999FCEF32))), small, big)


# ---- exp (float64) ----------------------------------------------------------------------------

_EXP_LO, _EXP_HI = _bits64(0xC086232BDD7ABCD2), _bits64(0x40862E42FEFA39EF)
_EXP_P = (0x3F2089CDD5E44BE8, 0x3F9F06D10CCA2C7E)
_EXP_Q = (0x3EC92EB6BC365FA0, 0x3F64AE39B508B6C0, 0x3FCD17099887E074)


def _exp(m, x):
    b = m.b
    xc = m.intr("maximum", m.intr("minimum", x, m.c(_EXP_HI)), m.c(_EXP_LO))
    n = m.intr("floor", m.fma(xc, m.c(_bits64(0x3FF71547652B82FE)), m.c(0.5)))
    g = m.fma(m.neg(n), m.c(_bits64(0x3FE62E4000000000)), xc)
    g = m.fma(m.neg(n), m.c(_bits64(0x3EB7F7D1CF79ABCA)), g)
    g2 = m.mul(g, g)
    p = m.fma(g2, m.c(_bits64(_EXP_P[0])), m.c(_bits64(_EXP_P[1])))
    p = m.mul(m.fma(p, g2, m.c(1.0)), g)
    q = m.fma(g2, m.c(_bits64(_EXP_Q[0])), m.c(_bits64(_EXP_Q[1])))
    q = m.fma(q, g2, m.c(_bits64(_EXP_Q[2])))
    q = m.fma(q, g2, m.c(2.0))
    y = m.fma(m.div(p, m.sub(q, p)), m.c(2.0), m.c(1.0))
    # 2^n as 2^b * 2^b * 2^b * 2^(n - 3b) with b = n >> 2: each factor is a normal number
    i32, i64 = ir.IntType(32), ir.IntType(64)
    sat = m.cx.declare("llvm.fptosi.sat.i32.f64", i32, [f64])
    ni = b.call(sat, [n])
    ni = b.select(b.icmp_signed("<", ni, ir.Constant(i32, -2099)), ir.Constant(i32, -2099), ni)
    ni = b.select(b.icmp_signed(">", ni, ir.Constant(i32, 2099)), ir.Constant(i32, 2099), ni)
    n64 = b.sext(ni, i64)
    quarter = b.ashr(n64, ir.Constant(i64, 2))
    one_bits = ir.Constant(i64, 0x3FF0000000000000)
    scale = b.bitcast(b.add(b.shl(quarter, ir.Constant(i64, 52)), one_bits), f64)
    rest = b.sub(n64, b.mul(quarter, ir.Constant(i64, 3)))
    last = b.bitcast(b.add(b.shl(rest, ir.Constant(i64, 52)), one_bits), f64)
    r = m.mul(m.mul(m.mul(m.mul(y, scale), scale), scale), last)
    r = m.sel(m.lt(x, m.c(_EXP_LO)), m.c(0.0), r)
    return m.sel(b.fcmp_ordered(">", x, m.c(_EXP_HI)), m.c(np.inf), r)


# ---- erf_inv (float64) ------------------------------------------------------------------------
# Giles' coefficients, highest degree first, for w < 6.25 (in w - 3.125), w < 16 (in
# sqrt(w) - 3.25) and beyond (in sqrt(w) - 5). XLA runs one Horner chain over the longest and
# keeps the shorter ones' value once their coefficients run out: the same bits as three chains.

_ERFINV_CENTRAL = (
    -3.64441206401782e-21, -1.6850591381820166e-19, 1.28584807152564e-18, 1.1157877678025181e-17,
    -1.333171662854621e-16, 2.0972767875968562e-17, 6.637638134358324e-15, -4.054566272975207e-14,
    -8.151934197605472e-14, 2.6335093153082323e-12, -1.2975133253453532e-11,
    -5.415412054294628e-11, 1.0512122733215323e-09, -4.112633980346984e-09,
    -2.9070369957882005e-08, 4.2347877827932404e-07, -1.3654692000834679e-06,
    -1.3882523362786469e-05, 0.00018673420803405714, -0.000740702534166267,
    -0.006033670871430149, 0.24015818242558962, 1.6536545626831027,
)  # fmt: skip
_ERFINV_MIDDLE = (
    2.2137376921775787e-09, 9.075656193888539e-08, -2.7517406297064545e-07, 1.8239629214389228e-08,
    1.5027403968909828e-06, -4.013867526981546e-06, 2.9234449089955446e-06, 1.2475304481671779e-05,
    -4.7318229009055734e-05, 6.828485145957318e-05, 2.4031110387097894e-05,
    -0.0003550375203628475, 0.0009532893797373805, -0.0016882755560235047, 0.002491442096107851,
    -0.003751208507569241, 0.005370914553590064, 1.0052589676941592, 3.0838856104922208,
)  # fmt: skip
_ERFINV_TAIL = (
    -2.7109920616438573e-11, -2.555641816996525e-10, 1.5076572693500548e-09, -3.789465440126737e-09,
    7.61570120807834e-09, -1.496002662714924e-08, 2.914795345090108e-08, -6.771199775845234e-08,
    2.2900482228026655e-07, -9.9298272942317e-07, 4.526062597223154e-06, -1.968177810553167e-05,
    7.599527703001776e-05, -0.00021503011930044477, -0.00013871931833623122, 1.0103004648645344,
    4.849906401408584,
)  # fmt: skip


def _erf_inv(m, x):
    w = m.neg(_log1p(m, m.mul(x, m.neg(x))))
    central, middle = m.lt(w, m.c(6.25)), m.lt(w, m.c(16.0))
    far = m.sub(m.intr("sqrt", w), m.sel(middle, m.c(3.25), m.c(5.0)))
    t = m.sel(central, m.add(w, m.c(-3.125)), far)

    def coef(k):
        c = m.c(_ERFINV_CENTRAL[k])
        if k < len(_ERFINV_MIDDLE):
            c = m.sel(central, c, m.c(_ERFINV_MIDDLE[k]))
        if k < len(_ERFINV_TAIL):
            c = m.sel(middle, c, m.c(_ERFINV_TAIL[k]))
        return c

    p = coef(0)
    for k in range(1, len(_ERFINV_CENTRAL)):
        step = m.fma(p, t, coef(k))
        if k >= len(_ERFINV_MIDDLE):
            step = m.sel(central, step, p)
        elif k >= len(_ERFINV_TAIL):
            step = m.sel(middle, step, p)
        p = step
    out = m.mul(p, x)
    at_one = m.b.fcmp_ordered("==", m.intr("fabs", x), m.c(1.0))
    return m.sel(at_one, m.mul(x, m.c(np.inf)), out)


# ---- rsqrt --------------------------------------------------------------------------------


def _has_avx512():
    from .target import host

    return "+avx512f" in host()[1].split(",") and "+avx512vl" in host()[1].split(",")


def _is_x86():
    import platform

    return platform.machine().lower() in ("x86_64", "amd64")


def _hw_estimate(m, x, intrinsic, extra_args):
    """The hardware reciprocal square root estimate of scalar x (lane 0 of a vector intrinsic)."""
    b = m.b
    lanes = 2 if m.t is f64 else 4
    vt = ir.VectorType(m.t, lanes)
    zero = ir.Constant(vt, [0.0] * lanes)
    est = m.cx.declare(intrinsic, vt, [vt] + [a.type for a in extra_args(vt)])
    vec = b.insert_element(zero, x, ir.Constant(ir.IntType(32), 0))
    return b.extract_element(b.call(est, [vec, *extra_args(vt)]), ir.Constant(ir.IntType(32), 0))


def _rsqrt(m, x):
    """XLA's rsqrt (it rewrites a / sqrt(b) into a * rsqrt(b)): the hardware estimate, then
    Newton steps y += (-y/2) (x y y - 1), each with two fused multiply-adds; the estimate itself
    for zeros, infinities, denormals and negative normals. float64 uses AVX-512's 14-bit
    estimate and two steps, float32 SSE's 12-bit `rsqrtss` and one step. Without the
    instruction: 1 / sqrt(x) (not XLA's bits)."""
    if m.t is f64 and _has_avx512():
        passthru_all = lambda vt: [ir.Constant(vt, [0.0, 0.0]), ir.Constant(ir.IntType(8), -1)]  # noqa: E731
        y0 = _hw_estimate(m, x, "llvm.x86.avx512.rsqrt14.pd.128", passthru_all)
        steps, suffix = 2, "f64"
        # XLA's class mask is 732 (+-inf, +0, denormals, negative normals); its code (compiled
        # for flushed denormals) gives the estimate for -0 as well: -inf
        mask = 732 | 0x20
    elif m.t is f32 and _is_x86():
        y0 = _hw_estimate(m, x, "llvm.x86.sse.rsqrt.ss", lambda vt: [])
        steps, suffix, mask = 1, "f32", 764  # the same classes, -0 included
    else:
        return m.div(m.c(1.0), m.intr("sqrt", x))
    y = y0
    for _ in range(steps):
        e = m.fma(m.mul(x, y), y, m.c(-1.0))
        y = m.fma(m.mul(y, m.c(-0.5)), e, y)
    fpclass = m.cx.declare(f"llvm.is.fpclass.{suffix}", ir.IntType(1), [m.t, ir.IntType(32)])
    special = m.b.call(fpclass, [x, ir.Constant(ir.IntType(32), mask)])
    return m.sel(special, y0, y)


# ---- float32: Eigen/Cephes polynomials with XLA's contractions ---------------------------------


def _f32(bits):
    return float(np.uint32(bits).view(np.float32))


_LOGF_P = (0x3D9021BB, 0xBDEBD1B8, 0xBDFE5D4F, 0x3E11E9BF, 0x3E4CCEAC, 0xBE7FFFFC, 0x3DEF251A, 0xBE2AAE50,
           0x3EAAAAAA)  # fmt: skip


def _logf(m, x):
    """Eigen's plog_float: x = m 2^e with m in [sqrt(1/2), sqrt(2)), a degree-9 polynomial in
    r = m - 1 evaluated as three interleaved Horner chains, e ln 2 added in two parts."""
    b, i32 = m.b, ir.IntType(32)
    p = [m.c(_f32(v)) for v in _LOGF_P]
    min_norm = m.c(_f32(0x00800000))
    xc = m.sel(m.lt(min_norm, x), x, min_norm)  # NaN and x <= 0 are fixed up at the end
    bits = b.bitcast(xc, i32)
    expo = b.sitofp(b.sub(b.lshr(bits, ir.Constant(i32, 23)), ir.Constant(i32, 127)), f32)
    mant = b.bitcast(b.or_(b.and_(bits, ir.Constant(i32, 0x807FFFFF)), ir.Constant(i32, 0x3F000000)), f32)
    below = m.lt(mant, m.c(_f32(0x3F3504F3)))  # m < sqrt(1/2): use 2m and e - 1
    e = m.sub(m.add(m.c(1.0), expo), m.sel(below, m.c(1.0), m.c(0.0)))
    r = m.add(m.sub(mant, m.c(1.0)), m.sel(below, mant, m.c(0.0)))
    r2 = m.mul(r, r)
    r3 = m.mul(r2, r)
    y = m.fma(m.fma(r, p[0], p[1]), r, p[6])
    y1 = m.fma(m.fma(r, p[2], p[3]), r, p[7])
    y2 = m.fma(m.fma(r, p[4], p[5]), r, p[8])
    y = m.fma(m.fma(m.fma(y, r3, y1), r3, y2), r3, m.mul(e, m.c(_f32(0xB95E8083))))
    out = m.fma(e, m.c(_f32(0x3F318000)), m.add(m.fma(r2, m.c(-0.5), r), y))
    nan = b.bitcast(ir.Constant(i32, -1), f32)  # XLA's NaN here: all bits set
    out = m.sel(b.fcmp_unordered("ule", x, m.c(0.0)), nan, out)  # x <= 0 or NaN
    out = m.sel(b.fcmp_ordered("==", x, m.c(np.inf)), m.c(np.inf), out)
    return m.sel(b.fcmp_ordered("==", x, m.c(0.0)), m.c(-np.inf), out)


_LOG1PF_Q = (0x417101AD, 0x42A6185B, 0x435DC32D, 0x439A8CA3, 0x43586D8A, 0x42707982)
_LOG1PF_P = (0x3EFF40C5, 0x40D284FA, 0x41EF4B9C, 0x4273CC76, 0x426473AD, 0x41A05101)


def _log1pf(m, x):
    big = _logf(m, m.add(x, m.c(1.0)))
    x2 = m.mul(x, x)
    q = m.add(x, m.c(_f32(_LOG1PF_Q[0])))
    for bits in _LOG1PF_Q[1:]:
        q = m.fma(q, x, m.c(_f32(bits)))
    p = m.c(float(np.float32(4.527e-05)))
    for bits in _LOG1PF_P:
        p = m.fma(p, x, m.c(_f32(bits)))
    small = m.add(x, m.fma(x2, m.c(-0.5), m.mul(m.mul(x, x2), m.div(p, q))))
    return m.sel(m.lt(m.intr("fabs", x), m.c(_f32(0x3ED413CD))), small, big)


# Giles' single-precision coefficients, constant term first: w < 5 (in w - 2.5) and beyond.
_ERFINVF_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                    -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)  # fmt: skip
_ERFINVF_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
                 -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)  # fmt: skip


def _erf_invf(m, x):
    w = m.neg(_log1pf(m, m.mul(x, m.neg(x))))
    central = m.lt(w, m.c(5.0))
    t = m.sel(central, m.add(w, m.c(-2.5)), m.add(m.intr("sqrt", w), m.c(-3.0)))
    coef = [m.sel(central, m.c(float(np.float32(a))), m.c(float(np.float32(g))))
            for a, g in zip(_ERFINVF_CENTRAL, _ERFINVF_TAIL)]  # fmt: skip
    p = coef[-1]
    for c in reversed(coef[:-1]):
        p = m.fma(p, t, c)
    at_one = m.b.fcmp_ordered("==", m.intr("fabs", x), m.c(1.0))
    return m.sel(at_one, m.mul(x, m.c(np.inf)), m.mul(p, x))


_ERFF_NUM = (0x39702D51, 0x3B5F5DA2, 0x3D50B6EB, 0x3E3DA740, 0x3F906EBA)
_ERFF_DEN = (0xB3FD3906, 0x37C588DF, 0x3A856D28, 0x3C6687D4, 0x3DE34C21, 0x3EFEB44A)


def _erff(m, x):
    """A rational approximation in x^2 with explicit FMAs (XLA's float32 erf emitter); +-1 from
    |x| >= 3.832."""
    x2 = m.mul(x, x)
    num = m.fma(x2, m.c(_f32(_ERFF_NUM[0])), m.c(_f32(_ERFF_NUM[1])))
    for bits in _ERFF_NUM[2:]:
        num = m.fma(x2, num, m.c(_f32(bits)))
    den = m.fma(x2, m.c(_f32(_ERFF_DEN[0])), m.c(_f32(_ERFF_DEN[1])))
    for bits in _ERFF_DEN[2:]:
        den = m.fma(x2, den, m.c(_f32(bits)))
    den = m.fma(x2, den, m.c(1.0))
    one = m.sel(m.lt(x, m.c(0.0)), m.c(-1.0), m.c(1.0))
    saturated = m.b.fcmp_ordered(">=", m.intr("fabs", x), m.c(_f32(0x407547CB)))
    return m.sel(saturated, one, m.div(m.mul(x, num), den))


_EXPF_P = (0x39506967, 0x3AB743CE, 0x3C088908, 0x3D2AA9C1, 0x3E2AAAAA)


def _expf(m, x):
    """Eigen's pexp_float (Cephes expf): x clamped to [-87.8, 88.8], n = floor(x log2(e) + 1/2)
    clamped to [-127, 127], r = x - n ln 2 in two parts, a degree-7 polynomial, times 2^n."""
    b, i32 = m.b, ir.IntType(32)
    lo, hi = m.c(float(np.float32(-87.8))), m.c(float(np.float32(88.8)))
    x = m.sel(m.lt(x, lo), lo, x)
    x = m.sel(b.fcmp_ordered(">", x, hi), hi, x)
    n = m.intr("floor", m.fma(x, m.c(_f32(0x3FB8AA3B)), m.c(0.5)))
    n = m.sel(m.lt(n, m.c(-127.0)), m.c(-127.0), n)
    n = m.sel(b.fcmp_ordered(">", n, m.c(127.0)), m.c(127.0), n)
    r = m.fma(m.c(-_f32(0x3F318000)), n, x)
    r = m.fma(m.c(-_f32(0xB95E8083)), n, r)
    y = m.fma(r, m.c(_f32(_EXPF_P[0])), m.c(_f32(_EXPF_P[1])))
    for bits in _EXPF_P[2:]:
        y = m.fma(y, r, m.c(_f32(bits)))
    y = m.fma(y, r, m.c(0.5))
    y = m.add(m.c(1.0), m.fma(y, m.mul(r, r), r))
    sat = m.cx.declare("llvm.fptosi.sat.i32.f32", i32, [f32])
    scale = b.shl(b.add(b.call(sat, [n]), ir.Constant(i32, 127)), ir.Constant(i32, 23))
    return m.mul(y, b.bitcast(scale, f32))


# ---- The emitter ------------------------------------------------------------------------------


def _pow(m, x, y):
    return m.glibc("pow32" if m.t is f32 else "pow64", x, y)


def _by_type(for_f32, for_f64):
    return lambda m, *xs: (for_f32 if m.t is f32 else for_f64)(m, *xs)


_EMIT = {
    "log": _by_type(_logf, lambda m, x: m.glibc("log", x)),
    "log1p": _by_type(_log1pf, _log1p),
    "exp": _by_type(_expf, _exp),
    "erf": _by_type(_erff, lambda m, x: m.glibc("erf", x)),
    "erf_inv": _by_type(_erf_invf, _erf_inv),
    "pow": _pow,
    "rsqrt": _rsqrt,
    "fma": lambda m, x, y, z: m.fma(x, y, z),
}
assert set(_EMIT) == set(FUNCTIONS)


def _flush(m, x):
    """A denormal as a zero of its sign: XLA's CPU runtime runs with the flush-to-zero and
    denormals-are-zero modes on, so denormal operands read as zero and denormal results
    (from libm calls as much as from arithmetic) come out as zero."""
    tiny = m.c(float(np.finfo(np.float32 if m.t is f32 else np.float64).tiny))
    return m.sel(m.lt(m.intr("fabs", x), tiny), m.intr("copysign", m.c(0.0), x), x)


def emit(cx, args, ins, out, *, fn):
    """EMITTERS entry: the scalar result of `fn` on the scalar operands `args`."""
    m = _Ops(cx, f32 if ins[0] == dtypes.float32 else f64)
    if fn != "pow":  # glibc's pow reads a denormal's bits as integers: DAZ does not reach it
        args = [_flush(m, x) for x in args]
    return _flush(m, _EMIT[fn](m, *args))


# ---- Standalone kernels (the interpreter's implementation) ------------------------------------

_kernels = {}
_lock = threading.Lock()


def _kernel_module(fn, dt, name):
    from .scalar import EmitContext

    t = f32 if dt == dtypes.float32 else f64
    arity = FUNCTIONS[fn][0]
    module = ir.Module(name=name)
    ptr, i64 = ir.PointerType(), ir.IntType(64)
    func = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr] * (arity + 1) + [i64]), name)
    *ins, out, n = func.args
    entry, loop, done = (func.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(i64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), entry)
    cx = EmitContext(module)
    cx.b = b
    args = [b.load(b.gep(p, [i], source_etype=t), typ=t) for p in ins]
    b.store(emit(cx, args, [dt] * arity, dt, fn=fn), b.gep(out, [i], source_etype=t))
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return str(module)


def kernel(fn, dt):
    """The native loop out[i] = fn(in0[i], ...) for dtype dt, as a ctypes function
    (in pointers..., out pointer, n)."""
    dt = np.dtype(dt)
    with _lock:
        found = _kernels.get((fn, dt))
        if found is not None:
            return found
        from .. import runtime
        from . import target

        name = f"jaxlite_xla_math_{fn}_{dt.name}"
        text = _kernel_module(fn, dt, name)
        obj, _ = runtime.object_code(runtime.content_key(text), lambda: text)
        address = target.load_object(obj, name)
        arity = FUNCTIONS[fn][0]
        cfunc = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * (arity + 1), ctypes.c_int64)(address)
        _kernels[(fn, dt)] = cfunc
        return cfunc


def evaluate(fn, *xs):
    """fn on NumPy operands of one float dtype (rank-0 ones broadcast), through the kernel."""
    xs = [np.asarray(x) for x in xs]
    dt = xs[0].dtype
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    ins = [np.ascontiguousarray(np.broadcast_to(x, shape)) for x in xs]
    out = np.empty(shape, dt)
    if out.size:
        kernel(fn, dt)(*(x.ctypes.data for x in ins), out.ctypes.data, out.size)
    return out


__all__ = ["emit", "evaluate", "kernel", "symbols"]
