"""Scalar emitters: `EMITTERS[prim](cx, args, in_dtypes, out_dtype, **params) -> ir.Value`.

One table keyed by primitive, as every interpretation in this project. Each emitter computes
exactly what compiler/interpret.py computes (XLA's meaning): integer division by zero gives -1,
float -> int conversion saturates and sends NaN to 0, shifts past the width give 0, max/min
propagate NaN, and so on. Transcendental functions call the C library (expf, sinf, ...); where
glibc's libmvec has a vector version, LLVM's vectoriser calls that instead (vecmath.py).
float16 values are computed in float32 and rounded after every operation, as NumPy and XLA do.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from .. import dtypes
from .. import primitives as P
from . import special_math, vecmath, xla_math
from .types import const, f16, f32, f64, i1, i64, reg_type


class EmitContext:
    """The builder plus the module's declarations of libm functions and intrinsics."""

    def __init__(self, module):
        self.module = module
        self.b = None
        self._decls = {}
        self.vector_decls = []  # libmvec variants declared (see vecmath)

    def declare(self, name, ret, args, pure=True):
        fn = self._decls.get(name)
        if fn is None:
            fn = self.module.globals.get(name)
            if fn is None:
                fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
                if pure:
                    fn.attributes.add("nounwind")
                    fn.attributes.add("readnone")
            self._decls[name] = fn
        return fn

    def intrinsic(self, base, t, nargs=1, ret=None):
        name = f"llvm.{base}.{_suffix(t)}"
        return self.declare(name, ret or t, [t] * nargs)


def _suffix(t):
    if t is f16 or isinstance(t, ir.HalfType):
        return "f16"
    if isinstance(t, ir.FloatType):
        return "f32"
    if isinstance(t, ir.DoubleType):
        return "f64"
    return f"i{t.width}"


def is_float(d):
    return dtypes.is_float(d)


def _libm(cx, name, x, dt, *more):
    """Call the C library's `name` (float or double version); float16 goes through float32."""
    b = cx.b
    if dt == dtypes.float16:
        args = [b.fpext(a, f32) for a in (x, *more)]
        r = _libm(cx, name, args[0], dtypes.float32, *args[1:])
        return b.fptrunc(r, f16)
    t = reg_type(dt)
    full = name + ("f" if dt == dtypes.float32 else "")
    fresh = full not in cx._decls and full not in cx.module.globals
    fn = cx.declare(full, t, [t] * (1 + len(more)))
    if fresh:
        vecmath.attach(cx.module, fn, full, t, cx.vector_decls)
    return b.call(fn, [x, *more])


def _intr(cx, base, dt, *args):
    t = reg_type(dt)
    return cx.b.call(cx.intrinsic(base, t, len(args)), list(args))


# ---- Arithmetic -----------------------------------------------------------------------------


def neg(cx, args, ins, out):
    (x,) = args
    return cx.b.fneg(x) if is_float(ins[0]) else cx.b.neg(x)


def sign(cx, args, ins, out):
    (x,) = args
    b, dt = cx.b, ins[0]
    if is_float(dt):
        zero, one = const(dt, 0), const(dt, 1)
        neg_one = const(dt, -1)
        return b.select(b.fcmp_ordered(">", x, zero), one, b.select(b.fcmp_ordered("<", x, zero), neg_one, x))
    zero = const(dt, 0)
    if dtypes.is_unsigned(dt):
        return b.zext(b.icmp_unsigned("!=", x, zero), x.type)
    pos = b.zext(b.icmp_signed(">", x, zero), x.type)
    negv = b.zext(b.icmp_signed("<", x, zero), x.type)
    return b.sub(pos, negv)


def abs_(cx, args, ins, out):
    (x,) = args
    b, dt = cx.b, ins[0]
    if is_float(dt):
        return _intr(cx, "fabs", dt, x)
    if dtypes.is_unsigned(dt):
        return x
    return b.select(b.icmp_signed("<", x, const(dt, 0)), b.neg(x), x)


def _binop(fop, iop):
    def emit(cx, args, ins, out):
        x, y = args
        return getattr(cx.b, fop if is_float(ins[0]) else iop)(x, y)

    return emit


def div(cx, args, ins, out):
    x, y = args
    b, dt = cx.b, ins[0]
    if is_float(dt):
        return b.fdiv(x, y)
    zero, one = const(dt, 0), const(dt, 1)
    by_zero = b.icmp_unsigned("==", y, zero)
    if dtypes.is_unsigned(dt):
        q = b.udiv(x, b.select(by_zero, one, y))
    else:
        # INT_MIN / -1 overflows in hardware; XLA's answer is INT_MIN, which is INT_MIN / 1.
        overflow = b.and_(
            b.icmp_signed("==", x, const(dt, np.iinfo(dt).min)), b.icmp_signed("==", y, const(dt, -1))
        )
        q = b.sdiv(x, b.select(b.or_(by_zero, overflow), one, y))
    return b.select(by_zero, const(dt, -1 if dtypes.is_signed(dt) else np.iinfo(dt).max), q)


def rem(cx, args, ins, out):
    x, y = args
    b, dt = cx.b, ins[0]
    if is_float(dt):
        return b.frem(x, y)
    zero, one = const(dt, 0), const(dt, 1)
    by_zero = b.icmp_unsigned("==", y, zero)
    if dtypes.is_unsigned(dt):
        r = b.urem(x, b.select(by_zero, one, y))
    else:
        overflow = b.and_(
            b.icmp_signed("==", x, const(dt, np.iinfo(dt).min)), b.icmp_signed("==", y, const(dt, -1))
        )
        r = b.srem(x, b.select(b.or_(by_zero, overflow), one, y))
    return b.select(by_zero, x, r)


def _max_min(kind):
    def emit(cx, args, ins, out):
        x, y = args
        b, dt = cx.b, ins[0]
        if is_float(dt):
            return _intr(cx, "maximum" if kind == "max" else "minimum", dt, x, y)
        if dt == dtypes.bool_:
            return b.or_(x, y) if kind == "max" else b.and_(x, y)
        cmp = b.icmp_unsigned if dtypes.is_unsigned(dt) else b.icmp_signed
        return b.select(cmp(">" if kind == "max" else "<", x, y), x, y)

    return emit


def integer_pow(cx, args, ins, out, *, y):
    # The interpreter's order of multiplications exactly, so float results agree bit for bit.
    (x,) = args
    b, dt = cx.b, ins[0]
    mul = b.fmul if is_float(dt) else b.mul
    result, base, n = None, x, abs(y)
    while n:
        if n & 1:
            result = base if result is None else mul(result, base)
        n >>= 1
        if n:
            base = mul(base, base)
    if result is None:
        return const(dt, 1)
    return b.fdiv(const(dt, 1), result) if y < 0 else result


def nextafter(cx, args, ins, out):
    # On the bits, for every float width (libm's nextafterf would step in float32 for float16):
    # NaN in -> NaN; x == y -> y; from zero, the smallest denormal toward y; else one ulp.
    x, y = args
    b, dt = cx.b, ins[0]
    it = ir.IntType(dt.itemsize * 8)
    xb, yb = b.bitcast(x, it), b.bitcast(y, it)
    sign_bit = ir.Constant(it, 1 << (dt.itemsize * 8 - 1))
    zero = const(dt, 0)
    from_zero = b.or_(b.and_(yb, sign_bit), ir.Constant(it, 1))
    up = b.xor(b.fcmp_ordered("<", x, y), b.fcmp_ordered("<", x, zero))  # away from zero
    stepped = b.select(up, b.add(xb, ir.Constant(it, 1)), b.sub(xb, ir.Constant(it, 1)))
    r = b.select(b.fcmp_ordered("==", x, zero), from_zero, stepped)
    r = b.bitcast(r, x.type)
    r = b.select(b.fcmp_ordered("==", x, y), y, r)
    return b.select(b.fcmp_unordered("uno", x, y), b.fadd(x, y), r)


def _unary_libm(name):
    def emit(cx, args, ins, out):
        return _libm(cx, name, args[0], ins[0])

    return emit


def _binary_libm(name):
    def emit(cx, args, ins, out):
        return _libm(cx, name, args[0], ins[0], args[1])

    return emit


def sqrt(cx, args, ins, out):
    return _intr(cx, "sqrt", ins[0], args[0])


def rsqrt(cx, args, ins, out):
    return cx.b.fdiv(const(ins[0], 1), sqrt(cx, args, ins, out))


def logistic(cx, args, ins, out):
    # As the interpreter: exp(-|x|) never overflows, and the branch picks the stable form.
    (x,) = args
    b, dt = cx.b, ins[0]
    e = _libm(cx, "exp", b.fneg(_intr(cx, "fabs", dt, x)), dt)
    one = const(dt, 1)
    denom = b.fadd(one, e)
    return b.select(b.fcmp_ordered(">=", x, const(dt, 0)), b.fdiv(one, denom), b.fdiv(e, denom))


def round_(cx, args, ins, out, *, rounding_method=0):
    return _intr(cx, "roundeven" if rounding_method == 1 else "round", ins[0], args[0])


def is_finite(cx, args, ins, out):
    x = args[0]
    return cx.b.fcmp_ordered("!=", _intr(cx, "fabs", ins[0], x), const(ins[0], np.inf))


def not_(cx, args, ins, out):
    (x,) = args
    return cx.b.xor(x, ir.Constant(x.type, -1 if x.type is not i1 else 1))


# ---- Bits -----------------------------------------------------------------------------------


def _bitwise(op):
    def emit(cx, args, ins, out):
        return getattr(cx.b, op)(*args)

    return emit


def _shift(kind):
    def emit(cx, args, ins, out):
        x, s = args
        b, dt = cx.b, ins[0]
        if dt == dtypes.bool_:
            return x if kind == "ashr" else b.and_(x, b.not_(s))
        bits = dt.itemsize * 8
        # The count is read as unsigned; counts >= the width shift everything out.
        too_far = b.icmp_unsigned(">=", s, const(dt, bits))
        count = b.select(too_far, const(dt, bits - 1), s)
        if kind == "ashr":
            return b.ashr(x, count)
        shifted = b.shl(x, count) if kind == "shl" else b.lshr(x, count)
        return b.select(too_far, const(dt, 0), shifted)

    return emit


# ---- Comparisons and selection --------------------------------------------------------------

_FCMP = {
    P.eq_p: ("==", True),
    P.ne_p: ("!=", False),
    P.lt_p: ("<", True),
    P.le_p: ("<=", True),
    P.gt_p: (">", True),
    P.ge_p: (">=", True),
}


def _compare(prim):
    op, ordered = _FCMP[prim]

    def emit(cx, args, ins, out):
        x, y = args
        b, dt = cx.b, ins[0]
        if is_float(dt):
            return (b.fcmp_ordered if ordered else b.fcmp_unordered)(op, x, y)
        if dtypes.is_signed(dt):
            return b.icmp_signed(op, x, y)
        return b.icmp_unsigned(op, x, y)

    return emit


def select_n(cx, args, ins, out):
    which, *cases = args
    b = cx.b
    if len(cases) == 1:
        return cases[0]
    if ins[0] == dtypes.bool_:
        return b.select(which, cases[1], cases[0])
    result = cases[0]  # an int32 selector, clamped into range as the interpreter does
    for i in range(1, len(cases)):
        result = b.select(b.icmp_signed(">=", which, const(ins[0], i)), cases[i], result)
    return result


def clamp(cx, args, ins, out):
    lo, x, hi = args
    mx, mn = _max_min("max"), _max_min("min")
    return mn(cx, [mx(cx, [x, lo], ins[1:2] * 2, out), hi], ins[1:2] * 2, out)


# ---- Conversions ----------------------------------------------------------------------------


def convert(cx, x, src, dst):
    b = cx.b
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    t = reg_type(dst)
    if dst == dtypes.bool_:
        if is_float(src):
            return b.fcmp_unordered("!=", x, const(src, 0))  # NaN converts to True
        return b.icmp_unsigned("!=", x, const(src, 0))
    if src == dtypes.bool_:
        return b.uitofp(x, t) if is_float(dst) else b.zext(x, t)
    if src == dtypes.float64 and dst == dtypes.float16:
        return b.fptrunc(_to_f32_round_to_odd(cx, x), t)
    if is_float(src) and is_float(dst):
        return b.fpext(x, t) if dst.itemsize > src.itemsize else b.fptrunc(x, t)
    if is_float(dst):
        return b.sitofp(x, t) if dtypes.is_signed(src) else b.uitofp(x, t)
    if is_float(src):
        if src == dtypes.float16:
            x, src = b.fpext(x, f32), dtypes.float32
        # Truncation toward zero, saturating at the bounds, NaN -> 0: exactly LLVM's .sat.
        base = "fptosi.sat" if dtypes.is_signed(dst) else "fptoui.sat"
        fn = cx.declare(f"llvm.{base}.{_suffix(t)}.{_suffix(reg_type(src))}", t, [reg_type(src)])
        return b.call(fn, [x])
    if dst.itemsize < src.itemsize:
        return b.trunc(x, t)
    if dst.itemsize > src.itemsize:
        return b.sext(x, t) if dtypes.is_signed(src) else b.zext(x, t)
    return x  # same width, other signedness: the same bits


def _to_f32_round_to_odd(cx, x):
    """float64 -> float32 rounded to odd, so that a second rounding to float16 is correctly
    rounded (24 bits > 11 + 2). LLVM would call __truncdfhf2 for a direct fptrunc, which the
    process may not provide."""
    b = cx.b
    t = b.fptrunc(x, f32)
    back = b.fpext(t, f64)
    bits = b.bitcast(t, ir.IntType(32))
    # Nearest rounding went away from zero: step back toward zero (one ulp in magnitude).
    away = b.fcmp_ordered(">", _intr(cx, "fabs", dtypes.float64, back), _intr(cx, "fabs", dtypes.float64, x))
    bits = b.select(away, b.sub(bits, ir.Constant(ir.IntType(32), 1)), bits)
    inexact = b.fcmp_ordered("!=", b.fpext(b.bitcast(bits, f32), f64), x)
    bits = b.select(inexact, b.or_(bits, ir.Constant(ir.IntType(32), 1)), bits)
    return b.bitcast(bits, f32)


def convert_element_type(cx, args, ins, out, *, new_dtype, weak_type=False):
    return convert(cx, args[0], ins[0], new_dtype)


def bitcast_convert_type(cx, args, ins, out, *, new_dtype):
    b, src, dst = cx.b, ins[0], np.dtype(new_dtype)
    x = args[0]
    if src == dtypes.bool_:
        x = b.zext(x, reg_type(dtypes.uint8))
        src = dtypes.uint8
    if dst == dtypes.bool_:
        return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))
    if reg_type(src) == reg_type(dst):
        return x
    return b.bitcast(x, reg_type(dst))


def copy(cx, args, ins, out):
    return args[0]


EMITTERS = {
    P.neg_p: neg,
    P.sign_p: sign,
    P.abs_p: abs_,
    P.floor_p: lambda cx, a, i, o: _intr(cx, "floor", i[0], a[0]),
    P.ceil_p: lambda cx, a, i, o: _intr(cx, "ceil", i[0], a[0]),
    P.round_p: round_,
    P.is_finite_p: is_finite,
    P.exp_p: _unary_libm("exp"),
    P.exp2_p: _unary_libm("exp2"),
    P.log_p: _unary_libm("log"),
    P.log1p_p: _unary_libm("log1p"),
    P.expm1_p: _unary_libm("expm1"),
    P.sqrt_p: sqrt,
    P.rsqrt_p: rsqrt,
    P.cbrt_p: _unary_libm("cbrt"),
    P.sin_p: _unary_libm("sin"),
    P.cos_p: _unary_libm("cos"),
    P.tan_p: _unary_libm("tan"),
    P.asin_p: _unary_libm("asin"),
    P.acos_p: _unary_libm("acos"),
    P.atan_p: _unary_libm("atan"),
    P.sinh_p: _unary_libm("sinh"),
    P.cosh_p: _unary_libm("cosh"),
    P.tanh_p: _unary_libm("tanh"),
    P.asinh_p: _unary_libm("asinh"),
    P.acosh_p: _unary_libm("acosh"),
    P.atanh_p: _unary_libm("atanh"),
    P.logistic_p: logistic,
    P.erf_p: _unary_libm("erf"),
    P.erfc_p: _unary_libm("erfc"),
    P.lgamma_p: _unary_libm("lgamma"),
    P.erf_inv_p: special_math.erf_inv,  # polynomial guess + Halley steps (special_math.py)
    P.digamma_p: special_math.digamma,
    P.xla_math_p: xla_math.emit,  # XLA's own operation sequences (xla_math.py)
    P.not_p: not_,
    P.copy_p: copy,
    P.stop_gradient_p: copy,
    P.integer_pow_p: integer_pow,
    P.add_p: _binop("fadd", "add"),
    P.sub_p: _binop("fsub", "sub"),
    P.mul_p: _binop("fmul", "mul"),
    P.div_p: div,
    P.rem_p: rem,
    P.pow_p: _binary_libm("pow"),
    P.max_p: _max_min("max"),
    P.min_p: _max_min("min"),
    P.atan2_p: _binary_libm("atan2"),
    P.nextafter_p: nextafter,
    P.and_p: _bitwise("and_"),
    P.or_p: _bitwise("or_"),
    P.xor_p: _bitwise("xor"),
    P.shift_left_p: _shift("shl"),
    P.shift_right_logical_p: _shift("lshr"),
    P.shift_right_arithmetic_p: _shift("ashr"),
    **{p: _compare(p) for p in _FCMP},
    P.select_n_p: select_n,
    P.clamp_p: clamp,
    P.convert_element_type_p: convert_element_type,
    P.bitcast_convert_type_p: bitcast_convert_type,
}


def emit(cx, prim, args, in_dtypes, out_dtype, params):
    if out_dtype.kind == "c" or any(d.kind == "c" for d in in_dtypes):
        from . import emit_complex  # complex values are register pairs (emit_complex.py)

        return emit_complex.emit(cx, prim, args, in_dtypes, out_dtype, params)
    return EMITTERS[prim](cx, args, in_dtypes, out_dtype, **params)


__all__ = ["EMITTERS", "EmitContext", "convert", "emit", "f64", "i64"]
