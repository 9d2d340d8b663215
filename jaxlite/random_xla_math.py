"""log, log1p, exp and erf_inv of float32 computed exactly as JAX's XLA CPU back end does.

`jaxlite.random` needs these to reproduce JAX's streams bit for bit: XLA evaluates them with
its own polynomial approximations (Cephes-style `log`/`exp` as in Eigen, a rational `log1p`
near zero, Giles' single-precision `erf_inv` polynomial built on that `log1p`), and LLVM's
back end then contracts every multiply whose only use is an add or subtract into one fused
multiply-add. Each function below is the same operation sequence written with lax primitives,
with `fma` (correctly rounded, emulated through float64) wherever XLA's machine code has
one, so it gives XLA's bits both eagerly (NumPy) and under jit (our back end emits plain
multiplies and adds and never contracts them). The operation order was read from XLA's
optimised LLVM IR and object code (`XLA_FLAGS=--xla_dump_to=...`) and checked against JAX on
millions of inputs (tests/test_random_xla_math.py).

Only float32 is written here (float64 has no wider type to emulate fma through): float64, pow
and fma go through the `xla_math` primitive instead (jaxlite/xla_math.py), whose scalar LLVM
emitter (compiler/cpu/xla_math.py) runs eagerly as a native kernel and fuses under jit.
"""

from __future__ import annotations

import numpy as np

from compiler import primitives as P

from . import lax
from . import numpy as jnp
from .core import bind

_F32 = np.dtype(np.float32)


def _c(value, dtype=_F32):
    """A constant operand: a NumPy scalar binds as a literal (no conversion equation)."""
    return np.asarray(value, dtype)


def _where(pred, on_true, on_false):
    return jnp.where(pred, on_true, on_false)


def _f32_bits(bits):
    return _c(np.uint32(bits).view(np.float32))


_F64, _U64 = np.dtype(np.float64), np.dtype(np.uint64)


def _to(x, dtype):
    """A conversion that keeps float64/uint64 even when x64 is off (lax would canonicalise them
    to 32 bits): fma's exact intermediate needs them, and both back ends support them."""
    return bind(P.convert_element_type_p, x, new_dtype=dtype, weak_type=False)


def _c64(value, dtype):
    """A 64-bit constant: NumPy constants would be canonicalised to 32 bits when x64 is off, so
    a 32-bit one is converted (a value below 2**32)."""
    small = np.asarray(value, np.float32 if np.dtype(dtype).kind == "f" else np.uint32)
    return _to(small, dtype)


def _bitcast(x, dtype):
    return bind(P.bitcast_convert_type_p, x, new_dtype=dtype)


def fma(a, b, c):
    """a * b + c rounded once (float32), as the FMA instruction computes it. In float64 the
    product is exact and the sum p + c is rounded once more; that second rounding could make
    the final rounding to float32 wrong only when it lands exactly halfway between two float32
    values, so there the sum is moved one float64 ulp towards its exact value (Knuth's two-sum
    gives the sign of the error), which makes the float32 rounding correct."""
    a64, b64, c64 = _to(a, _F64), _to(b, _F64), _to(c, _F64)
    p = lax.mul(a64, b64)
    s = lax.add(p, c64)
    bb = lax.sub(s, p)
    err = lax.add(lax.sub(p, lax.sub(s, bb)), lax.sub(c64, bb))
    bits = _bitcast(s, _U64)
    zero, one = _c64(0.0, _F64), _c64(1, _U64)
    halfway = lax.bitwise_and(
        lax.eq(lax.bitwise_and(bits, _c64(0x1FFFFFFF, _U64)), _c64(0x10000000, _U64)), lax.ne(err, zero)
    )
    away = lax.eq(lax.lt(err, zero), lax.lt(s, zero))  # the exact sum is larger in magnitude
    nudged = _bitcast(_where(away, lax.add(bits, one), lax.sub(bits, one)), _F64)
    return _to(_where(halfway, nudged, s), _F32)


# ---- log: Eigen's plog_float (Cephes logf) --------------------------------------------------

_LOG_P = [0x3D9021BB, 0xBDEBD1B8, 0xBDFE5D4F, 0x3E11E9BF, 0x3E4CCEAC, 0xBE7FFFFC, 0x3DEF251A, 0xBE2AAE50, 0x3EAAAAAA]


def log(x):
    """Natural log of float32 x with XLA CPU's bits."""
    p = [_f32_bits(b) for b in _LOG_P]
    min_norm = _f32_bits(0x00800000)
    xc = _where(lax.lt(min_norm, x), x, min_norm)  # NaN -> min_norm; fixed up below
    bits = lax.bitcast_convert_type(xc, np.uint32)
    expo = lax.convert_element_type(
        lax.sub(
            lax.convert_element_type(lax.shift_right_logical(bits, _c(23, np.uint32)), np.int32), _c(127, np.int32)
        ),
        _F32,
    )
    e = lax.add(_c(1.0), expo)
    m = lax.bitcast_convert_type(
        lax.bitwise_or(lax.bitwise_and(bits, _c(0x807FFFFF, np.uint32)), _c(0x3F000000, np.uint32)), _F32
    )
    below = lax.lt(m, _f32_bits(0x3F3504F3))  # mantissa < sqrt(1/2): use 2m, exponent - 1
    e = lax.sub(e, _where(below, _c(1.0), _c(0.0)))
    r = lax.add(lax.sub(m, _c(1.0)), _where(below, m, _c(0.0)))
    r2 = lax.mul(r, r)
    r3 = lax.mul(r2, r)
    y = fma(fma(r, p[0], p[1]), r, p[6])
    y1 = fma(fma(r, p[2], p[3]), r, p[7])
    y2 = fma(fma(r, p[4], p[5]), r, p[8])
    y = fma(y, r3, y1)
    y = fma(y, r3, y2)
    y = fma(y, r3, lax.mul(e, _f32_bits(0xB95E8083)))
    out = lax.add(fma(r2, _c(-0.5), r), y)
    out = fma(e, _f32_bits(0x3F318000), out)
    nan = lax.bitcast_convert_type(_c(0xFFFFFFFF, np.uint32), _F32)
    out = _where(lax.le(x, _c(0.0)), nan, out)
    out = _where(lax.ne(x, x), nan, out)
    out = _where(lax.eq(x, _c(np.inf)), _c(np.inf), out)
    return _where(lax.eq(x, _c(0.0)), _c(-np.inf), out)


# ---- log1p: a rational approximation for |x| < sqrt(2) - 1, log(1 + x) beyond ----------------

_LOG1P_Q = [0x417101AD, 0x42A6185B, 0x435DC32D, 0x439A8CA3, 0x43586D8A, 0x42707982]
_LOG1P_P = [0x3EFF40C5, 0x40D284FA, 0x41EF4B9C, 0x4273CC76, 0x426473AD, 0x41A05101]


def log1p(x):
    """log(1 + x) of float32 x with XLA CPU's bits."""
    big = log(lax.add(x, _c(1.0)))
    x2 = lax.mul(x, x)
    q = lax.add(x, _f32_bits(_LOG1P_Q[0]))
    for b in _LOG1P_Q[1:]:
        q = fma(q, x, _f32_bits(b))
    p = _c(4.527e-05)
    for b in _LOG1P_P:
        p = fma(p, x, _f32_bits(b))
    tail = lax.mul(lax.mul(x, x2), lax.div(p, q))
    small = lax.add(x, fma(x2, _c(-0.5), tail))
    return _where(lax.lt(lax.abs(x), _f32_bits(0x3ED413CD)), small, big)


# ---- erf_inv: Giles' single-precision polynomial, as XLA's chlo lowering expands it ---------

_ERFINV_SMALL = [
    1.50140941,
    0.246640727,
    -0.00417768164,
    -0.00125372503,
    0.00021858087,
    -4.39150654e-06,
    -3.5233877e-06,
    3.43273939e-07,
    2.81022636e-08,
]
_ERFINV_LARGE = [
    2.83297682,
    1.00167406,
    0.00943887047,
    -0.0076224613,
    0.00573950773,
    -0.00367342844,
    0.00134934322,
    0.000100950558,
    -0.000200214257,
]


def erf_inv(x):
    """Inverse error function of float32 x with XLA CPU's bits."""
    w = lax.neg(log1p(lax.mul(x, lax.neg(x))))
    small = lax.lt(w, _c(5.0))
    t = _where(small, lax.add(w, _c(-2.5)), lax.add(lax.sqrt(w), _c(-3.0)))
    coef = [_where(small, _c(s), _c(g)) for s, g in zip(_ERFINV_SMALL, _ERFINV_LARGE)]
    p = coef[-1]
    for cf in reversed(coef[:-1]):
        p = fma(p, t, cf)
    out = lax.mul(p, x)
    return _where(lax.eq(lax.abs(x), _c(1.0)), lax.mul(x, _c(np.inf)), out)


# ---- erf: a rational approximation with explicit FMAs (XLA's f32 erf emitter) ---------------

_ERF_NUM = [0x39702D51, 0x3B5F5DA2, 0x3D50B6EB, 0x3E3DA740, 0x3F906EBA]
_ERF_DEN = [0xB3FD3906, 0x37C588DF, 0x3A856D28, 0x3C6687D4, 0x3DE34C21, 0x3EFEB44A]


def erf(x):
    """Error function of float32 x with XLA CPU's bits (1 beyond |x| >= 3.832)."""
    x2 = lax.mul(x, x)
    num = fma(x2, _f32_bits(_ERF_NUM[0]), _f32_bits(_ERF_NUM[1]))
    for b in _ERF_NUM[2:]:
        num = fma(x2, num, _f32_bits(b))
    num = lax.mul(x, num)
    den = fma(x2, _f32_bits(_ERF_DEN[0]), _f32_bits(_ERF_DEN[1]))
    for b in _ERF_DEN[2:]:
        den = fma(x2, den, _f32_bits(b))
    den = fma(x2, den, _c(1.0))
    one = _where(lax.lt(x, _c(0.0)), _c(-1.0), _c(1.0))
    return _where(lax.ge(lax.abs(x), _f32_bits(0x407547CB)), one, lax.div(num, den))


# ---- exp: Eigen's pexp_float (Cephes expf) ------------------------------------------------------

_EXP_P = [0x39506967, 0x3AB743CE, 0x3C088908, 0x3D2AA9C1, 0x3E2AAAAA]


def exp(x):
    """e ** x of float32 x with XLA CPU's bits (for x in about [-87.8, 88.8])."""
    x = _where(lax.lt(x, _c(-87.8)), _c(-87.8), x)
    x = _where(lax.gt(x, _c(88.8)), _c(88.8), x)
    n = lax.floor(fma(x, _f32_bits(0x3FB8AA3B), _c(0.5)))  # round(x / log 2)
    n = _where(lax.lt(n, _c(-127.0)), _c(-127.0), n)
    n = _where(lax.gt(n, _c(127.0)), _c(127.0), n)
    r = fma(lax.neg(_f32_bits(0x3F318000)), n, x)  # x - n log 2 in two parts (Cody-Waite)
    r = fma(lax.neg(_f32_bits(0xB95E8083)), n, r)
    y = fma(r, _f32_bits(_EXP_P[0]), _f32_bits(_EXP_P[1]))
    for b in _EXP_P[2:]:
        y = fma(y, r, _f32_bits(b))
    y = fma(y, r, _c(0.5))
    y = lax.add(_c(1.0), fma(y, lax.mul(r, r), r))
    scale = lax.shift_left(lax.add(lax.convert_element_type(n, np.int32), _c(127, np.int32)),
                           _c(23, np.int32))
    return lax.mul(y, lax.bitcast_convert_type(scale, _F32))
