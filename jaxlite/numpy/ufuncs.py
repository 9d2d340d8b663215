"""jaxlite.numpy's elementwise functions (NumPy's ufuncs), written on lax.

Each function promotes and broadcasts its arguments as JAX does, then calls lax. Eagerly, when
the arguments are Arrays that need no promotion, the common functions call the interpreter's
NumPy rule directly: that keeps eager jaxlite within a small factor of NumPy per operation.
NumPy's broadcasting is the same rule as jnp's, so the fast path may broadcast too.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import impl_rules

from .. import core, lax
from ..array import Array, wrap
from ..core import eval_trace, trace_ctx
from ._util import (
    broadcast_args,
    check_arraylike,
    promote_dtypes,
    promote_dtypes_inexact,
    promote_dtypes_numeric,
    to_array,
)

__all__ = [
    "add",
    "subtract",
    "multiply",
    "true_divide",
    "divide",
    "maximum",
    "minimum",
    "arctan2",
    "nextafter",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "left_shift",
    "right_shift",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "logical_and",
    "logical_or",
    "logical_xor",
    "floor_divide",
    "remainder",
    "mod",
    "fmod",
    "divmod",
    "power",
    "float_power",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "sqrt",
    "cbrt",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "atan2",
    "pow",
    "log2",
    "log10",
    "deg2rad",
    "rad2deg",
    "radians",
    "degrees",
    "reciprocal",
    "negative",
    "positive",
    "square",
    "absolute",
    "abs",
    "fabs",
    "sign",
    "floor",
    "ceil",
    "rint",
    "trunc",
    "fix",
    "round",
    "around",
    "isfinite",
    "isinf",
    "isnan",
    "isposinf",
    "isneginf",
    "signbit",
    "copysign",
    "logical_not",
    "invert",
    "bitwise_not",
    "bitwise_invert",
    "conjugate",
    "conj",
    "real",
    "imag",
    "angle",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "heaviside",
    "sinc",
    "ldexp",
    "fmax",
    "fmin",
]

_INT_BOUNDS = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max)
               for t in (np.int8, np.int16, np.int32, np.int64)}


def _nd(v):
    return v if type(v) is np.ndarray else np.asarray(v)


def _unary(name, lax_fn, prim=None, promote=promote_dtypes_inexact, fast_kinds="f"):
    impl = impl_rules.get(prim) if prim is not None else None

    def fn(x, /):
        if impl is not None and type(x) is Array and trace_ctx.trace is eval_trace:
            v = x._value
            if v.dtype.kind in fast_kinds:
                return wrap(_nd(impl(v)), x._weak)
        check_arraylike(name, x)
        (x,) = promote(x)
        return lax_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name}, as numpy.{name} (jax.numpy semantics)."
    return fn


def _binary(name, lax_fn, prim=None, promote=promote_dtypes, fast_kinds="fi", out_bool=False):
    impl = impl_rules.get(prim) if prim is not None else None

    def fn(x, y, /):
        if impl is not None and trace_ctx.trace is eval_trace and type(x) is Array:
            xv = x._value
            kind = xv.dtype.kind
            if kind in fast_kinds:
                ty = type(y)
                if ty is Array:
                    yv = y._value
                    if yv.dtype is xv.dtype or yv.dtype == xv.dtype:
                        try:
                            out = impl(xv, yv)
                        except ValueError:
                            pass  # shapes do not broadcast: the slow path raises our error
                        else:
                            return wrap(_nd(out), False if out_bool else x._weak and y._weak)
                elif (ty is float and kind == "f") or (ty is int and (
                        kind == "f" or (kind == "i" and _INT_BOUNDS[xv.dtype][0] <= y <= _INT_BOUNDS[xv.dtype][1]))):
                    return wrap(_nd(impl(xv, y)), False if out_bool else x._weak)
        check_arraylike(name, x, y)
        x, y = broadcast_args(name, *promote(x, y))
        return lax_fn(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name}, as numpy.{name} (jax.numpy semantics)."
    return fn


# ---- Arithmetic -------------------------------------------------------------------------------


def _lax_add(x, y):
    return lax.bitwise_or(x, y) if x.dtype == dtypes.bool_ else lax.add(x, y)


def _lax_mul(x, y):
    return lax.bitwise_and(x, y) if x.dtype == dtypes.bool_ else lax.mul(x, y)


def _lax_sub(x, y):
    if x.dtype == dtypes.bool_:
        raise TypeError("jaxlite.numpy.subtract: boolean subtract is not supported (as in NumPy); "
                        "use jnp.logical_xor or convert to int")
    return lax.sub(x, y)


add = _binary("add", _lax_add, P.add_p)
subtract = _binary("subtract", _lax_sub, P.sub_p)
multiply = _binary("multiply", _lax_mul, P.mul_p)
true_divide = _binary("true_divide", lax.div, P.div_p, promote_dtypes_inexact, "f")
divide = true_divide
maximum = _binary("maximum", lax.max, P.max_p, fast_kinds="fiub")
minimum = _binary("minimum", lax.min, P.min_p, fast_kinds="fiub")
arctan2 = _binary("arctan2", lax.atan2, P.atan2_p, promote_dtypes_inexact, "f")
nextafter = _binary("nextafter", lax.nextafter, P.nextafter_p, promote_dtypes_inexact, "f")
equal = _binary("equal", lax.eq, P.eq_p, fast_kinds="fiub", out_bool=True)
not_equal = _binary("not_equal", lax.ne, P.ne_p, fast_kinds="fiub", out_bool=True)
less = _binary("less", lax.lt, P.lt_p, fast_kinds="fiub", out_bool=True)
less_equal = _binary("less_equal", lax.le, P.le_p, fast_kinds="fiub", out_bool=True)
greater = _binary("greater", lax.gt, P.gt_p, fast_kinds="fiub", out_bool=True)
greater_equal = _binary("greater_equal", lax.ge, P.ge_p, fast_kinds="fiub", out_bool=True)


def _int_only(name, lax_fn):
    def f(x, y):
        if not (dtypes.is_integer(x.dtype) or dtypes.is_bool(x.dtype)):
            raise TypeError(f"jaxlite.numpy.{name}: needs integer or boolean inputs, got {x.dtype}")
        return lax_fn(x, y)

    return f


bitwise_and = _binary("bitwise_and", _int_only("bitwise_and", lax.bitwise_and), P.and_p, fast_kinds="iub")
bitwise_or = _binary("bitwise_or", _int_only("bitwise_or", lax.bitwise_or), P.or_p, fast_kinds="iub")
bitwise_xor = _binary("bitwise_xor", _int_only("bitwise_xor", lax.bitwise_xor), P.xor_p, fast_kinds="iub")
left_shift = _binary("left_shift", _int_only("left_shift", lax.shift_left))


def _right_shift(x, y):
    if dtypes.is_unsigned(x.dtype):
        return lax.shift_right_logical(x, y)
    return lax.shift_right_arithmetic(x, y)


right_shift = _binary("right_shift", _int_only("right_shift", _right_shift))
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def _to_bool(x):
    return x if x.dtype == dtypes.bool_ else lax.ne(x, lax.full((), 0, x.dtype))


def _logical(lax_fn):
    return lambda x, y: lax_fn(_to_bool(x), _to_bool(y))


logical_and = _binary("logical_and", _logical(lax.bitwise_and), P.and_p, fast_kinds="b")
logical_or = _binary("logical_or", _logical(lax.bitwise_or), P.or_p, fast_kinds="b")
logical_xor = _binary("logical_xor", _logical(lax.bitwise_xor), P.xor_p, fast_kinds="b")


def _floor_divide(x, y):
    if dtypes.is_unsigned(x.dtype) or dtypes.is_bool(x.dtype):
        return lax.div(x, y) if not dtypes.is_bool(x.dtype) else lax.bitwise_and(x, y)
    if dtypes.is_integer(x.dtype):
        # lax.div truncates toward zero; step down where the signs differ and it was inexact.
        q = lax.div(x, y)
        r = lax.rem(x, y)
        zero = lax.full((), 0, x.dtype)
        fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
        return lax.select(fix, lax.sub(q, lax.full((), 1, x.dtype)), q)
    if dtypes.is_complex(x.dtype):
        raise TypeError("jaxlite.numpy.floor_divide: complex inputs are not supported")
    # Floats: (x - mod(x, y)) / y rounded, as NumPy, so that floor_divide and mod agree.
    mod = _remainder(x, y)
    q = lax.div(lax.sub(x, mod), y)
    return lax.select(lax.eq(y, lax.full((), 0, x.dtype)), lax.div(x, y), lax.round(q, 1))


def _remainder(x, y):
    if dtypes.is_bool(x.dtype):
        raise TypeError("jaxlite.numpy.remainder: boolean inputs are not supported")
    r = lax.rem(x, y)
    if dtypes.is_unsigned(x.dtype):
        return r
    zero = lax.full((), 0, x.dtype)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
    return lax.select(fix, lax.add(r, y), r)


floor_divide = _binary("floor_divide", _floor_divide, promote=promote_dtypes_numeric)
remainder = _binary("remainder", _remainder)
mod = remainder
fmod = _binary("fmod", lambda x, y: lax.rem(x, y), P.rem_p, fast_kinds="f")


def divmod(x, y, /):  # noqa: A001 - NumPy's name
    """`(x // y, x % y)`, elementwise, with Python's sign conventions."""
    return floor_divide(x, y), remainder(x, y)


def _int_power(x, y):
    """x ** y for integer arrays by repeated squaring over y's bits (negative y gives 0,
    except for x = 1 or -1, as in JAX)."""
    bits = np.iinfo(y.dtype).bits
    acc = lax.full(x.shape, 1, x.dtype)
    base, e = x, y
    one = lax.full((), 1, y.dtype)
    zero = lax.full((), 0, y.dtype)
    for _ in range(bits):
        odd = lax.ne(lax.bitwise_and(e, one), zero)
        acc = lax.select(odd, lax.mul(acc, base), acc)
        base = lax.mul(base, base)
        e = lax.shift_right_logical(e, one)
    if dtypes.is_signed(y.dtype):
        xone = lax.full((), 1, x.dtype)
        xzero = lax.full((), 0, x.dtype)
        even = lax.eq(lax.bitwise_and(y, one), zero)
        minus_one_power = where_(even, xone, lax.neg(xone))
        special = where_(lax.eq(x, xone), xone,
                         where_(lax.eq(x, lax.neg(xone)), minus_one_power, xzero))
        acc = where_(lax.lt(y, zero), special, acc)
    return acc


def power(x, y, /):
    """`x ** y` elementwise; an integer exponent of an integer array must be non-negative."""
    check_arraylike("power", x, y)
    if isinstance(y, int) and not isinstance(y, bool) and not isinstance(x, (bool, int, float, complex)):
        x = to_array(x)
        if dtypes.is_integer(x.dtype) or dtypes.is_inexact(x.dtype):
            if dtypes.is_integer(x.dtype) and y < 0:
                raise ValueError("jaxlite.numpy.power: integers to negative integer powers are not allowed")
            return lax.integer_pow(x, y)
    x, y = broadcast_args("power", *promote_dtypes_numeric(x, y))
    if dtypes.is_integer(x.dtype):
        if x.shape != y.shape:
            shape = x.shape if x.ndim else y.shape
            x = lax.broadcast_in_dim(x, shape, ()) if x.ndim == 0 else x
            y = lax.broadcast_in_dim(y, shape, ()) if y.ndim == 0 else y
        return _int_power(x, y)
    return lax.pow(x, y)


def float_power(x, y, /):
    """`x ** y` computed in floating point (the default float dtype at least)."""
    check_arraylike("float_power", x, y)
    dt = dtypes.default_float(core.config.x64)
    x, y = (lax.convert_element_type(to_array(v), dt) for v in (x, y))
    return power(x, y)


# ---- Unary ------------------------------------------------------------------------------------

sin = _unary("sin", lax.sin, P.sin_p)
cos = _unary("cos", lax.cos, P.cos_p)
tan = _unary("tan", lax.tan, P.tan_p)
arcsin = _unary("arcsin", lax.asin, P.asin_p)
arccos = _unary("arccos", lax.acos, P.acos_p)
arctan = _unary("arctan", lax.atan, P.atan_p)
sinh = _unary("sinh", lax.sinh, P.sinh_p)
cosh = _unary("cosh", lax.cosh, P.cosh_p)
tanh = _unary("tanh", lax.tanh, P.tanh_p)
arcsinh = _unary("arcsinh", lax.asinh, P.asinh_p)
arccosh = _unary("arccosh", lax.acosh, P.acosh_p)
arctanh = _unary("arctanh", lax.atanh, P.atanh_p)
exp = _unary("exp", lax.exp, P.exp_p)
exp2 = _unary("exp2", lax.exp2, P.exp2_p)
expm1 = _unary("expm1", lax.expm1, P.expm1_p)
log = _unary("log", lax.log, P.log_p)
log1p = _unary("log1p", lax.log1p, P.log1p_p)
sqrt = _unary("sqrt", lax.sqrt, P.sqrt_p)
cbrt = _unary("cbrt", lax.cbrt, P.cbrt_p)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
atan2 = arctan2
pow = power  # noqa: A001


def _log_base(base):
    def f(x):
        return lax.div(lax.log(x), lax.log(lax.full((), base, x.dtype)))

    return f


log2 = _unary("log2", _log_base(2.0))
log10 = _unary("log10", _log_base(10.0))
deg2rad = _unary("deg2rad", lambda x: lax.mul(x, lax.full((), np.pi / 180, x.dtype)))
rad2deg = _unary("rad2deg", lambda x: lax.mul(x, lax.full((), 180 / np.pi, x.dtype)))
radians, degrees = deg2rad, rad2deg
reciprocal = _unary("reciprocal", lax.reciprocal, promote=promote_dtypes_inexact)


def _keep(x):
    return (to_array(x),)


negative = _unary("negative", lambda x: lax.neg(x) if x.dtype != dtypes.bool_ else _bool_error("negative"),
                  P.neg_p, promote=_keep, fast_kinds="fi")
positive = _unary("positive", lambda x: x, promote=_keep)
square = _unary("square", lax.square, promote=promote_dtypes_numeric)
absolute = _unary("absolute", lambda x: x if dtypes.is_unsigned(x.dtype) or x.dtype == dtypes.bool_
                  else lax.abs(x), P.abs_p, promote=_keep, fast_kinds="fi")
abs = absolute  # noqa: A001
fabs = _unary("fabs", lax.abs)


def _bool_error(name):
    raise TypeError(f"jaxlite.numpy.{name}: boolean inputs are not supported; use logical_not")


def _sign(x):
    if dtypes.is_unsigned(x.dtype):
        return lax.select(lax.gt(x, lax.full((), 0, x.dtype)), lax.full(x.shape, 1, x.dtype),
                          lax.full(x.shape, 0, x.dtype))
    return lax.sign(x)


sign = _unary("sign", _sign, promote=promote_dtypes_numeric)


def _rounding(name, lax_fn):
    def f(x):
        return x if not dtypes.is_inexact(x.dtype) else lax_fn(x)

    return _unary(name, f, promote=_keep)


floor = _rounding("floor", lax.floor)
ceil = _rounding("ceil", lax.ceil)
rint = _rounding("rint", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN))
trunc = _rounding("trunc", lambda x: lax.select(lax.lt(x, lax.full((), 0, x.dtype)), lax.ceil(x), lax.floor(x)))
fix = trunc


def round(a, decimals=0, out=None):  # noqa: A001
    """Round to `decimals` decimal places, ties to even."""
    if out is not None:
        raise TypeError("jaxlite.numpy.round: the `out` argument is not supported (arrays are immutable)")
    check_arraylike("round", a)
    a = to_array(a)
    if not dtypes.is_inexact(a.dtype):
        if decimals >= 0:
            return a
        f = lax.full((), 10 ** (-decimals), a.dtype)
        return lax.mul(_floor_divide(lax.add(a, lax.div(f, lax.full((), 2, a.dtype))), f), f)
    even = lax.RoundingMethod.TO_NEAREST_EVEN
    if decimals == 0:
        return lax.round(a, even)
    f = lax.full((), 10.0 ** decimals, a.dtype)
    return lax.div(lax.round(lax.mul(a, f), even), f)


around = round


def isfinite(x, /):
    """Elementwise: neither infinite nor NaN."""
    check_arraylike("isfinite", x)
    x = to_array(x)
    if not dtypes.is_inexact(x.dtype):
        return lax.full(x.shape, True, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    return lax.is_finite(x)


def isinf(x, /):
    """Elementwise: positive or negative infinity."""
    check_arraylike("isinf", x)
    x = to_array(x)
    if not dtypes.is_inexact(x.dtype):
        return lax.full(x.shape, False, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.eq(lax.abs(x), lax.full((), np.inf, x.dtype))


def isnan(x, /):
    """Elementwise: NaN."""
    check_arraylike("isnan", x)
    x = to_array(x)
    if not dtypes.is_inexact(x.dtype):
        return lax.full(x.shape, False, dtypes.bool_)
    return lax.ne(x, x)


def isposinf(x, /):
    """Elementwise: positive infinity."""
    x = to_array(x)
    if not dtypes.is_float(x.dtype):
        return lax.full(x.shape, False, dtypes.bool_)
    return lax.eq(x, lax.full((), np.inf, x.dtype))


def isneginf(x, /):
    """Elementwise: negative infinity."""
    x = to_array(x)
    if not dtypes.is_float(x.dtype):
        return lax.full(x.shape, False, dtypes.bool_)
    return lax.eq(x, lax.full((), -np.inf, x.dtype))


def signbit(x, /):
    """Elementwise: the sign bit is set (true for -0.0)."""
    check_arraylike("signbit", x)
    x = to_array(x)
    if dtypes.is_unsigned(x.dtype) or dtypes.is_bool(x.dtype):
        return lax.full(x.shape, False, dtypes.bool_)
    if dtypes.is_integer(x.dtype):
        return lax.lt(x, lax.full((), 0, x.dtype))
    int_t = {2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]
    return lax.lt(lax.bitcast_convert_type(x, int_t), lax.full((), 0, int_t))


def copysign(x1, x2, /):
    """The magnitude of `x1` with the sign of `x2`, elementwise."""
    check_arraylike("copysign", x1, x2)
    x1, x2 = broadcast_args("copysign", *promote_dtypes_inexact(x1, x2))
    return where_(signbit(x2), lax.neg(lax.abs(x1)), lax.abs(x1))


def where_(c, x, y):
    """select(c, x, y) with NumPy broadcasting; x and y must already share a dtype."""
    c, x, y = broadcast_args("where", to_array(c), to_array(x), to_array(y))
    shape = next((v.shape for v in (c, x, y) if v.ndim), ())
    # select_n takes a scalar predicate, but its cases must have the result's full shape.
    x, y = (v if v.shape == shape else lax.broadcast_in_dim(v, shape, ()) for v in (x, y))
    return lax.select(c, x, y)


def logical_not(x, /):
    """Elementwise logical NOT (nonzero is true)."""
    check_arraylike("logical_not", x)
    return lax.bitwise_not(_to_bool(to_array(x)))


def invert(x, /):
    """Elementwise bitwise NOT (logical NOT for booleans)."""
    check_arraylike("invert", x)
    x = to_array(x)
    if dtypes.is_inexact(x.dtype):
        raise TypeError(f"jaxlite.numpy.invert: needs integer or boolean input, got {x.dtype}")
    return lax.bitwise_not(x)


bitwise_not = bitwise_invert = invert


def conjugate(x, /):
    """The complex conjugate, elementwise (real input unchanged)."""
    x = to_array(x)
    return lax.conj(x) if dtypes.is_complex(x.dtype) else x


conj = conjugate


def real(x, /):
    """The real part, elementwise."""
    x = to_array(x)
    return lax.real(x) if dtypes.is_complex(x.dtype) else x


def imag(x, /):
    """The imaginary part, elementwise (zeros for real input)."""
    x = to_array(x)
    return lax.imag(x) if dtypes.is_complex(x.dtype) else lax.full(x.shape, 0, x.dtype)


def angle(z, deg=False):
    """The argument of complex `z`, in radians (degrees if `deg`)."""
    z = to_array(z)
    if dtypes.is_complex(z.dtype):
        re, im = lax.real(z), lax.imag(z)
    else:
        (re,) = promote_dtypes_inexact(z)
        im = lax.full(re.shape, 0, re.dtype)
    out = lax.atan2(im, re)
    return rad2deg(out) if deg else out


def hypot(x1, x2, /):
    """`sqrt(x1**2 + x2**2)` elementwise, without overflow in the squares."""
    check_arraylike("hypot", x1, x2)
    x1, x2 = broadcast_args("hypot", *promote_dtypes_inexact(x1, x2))
    a, b = lax.abs(x1), lax.abs(x2)
    big, small = lax.max(a, b), lax.min(a, b)
    zero = lax.full((), 0, big.dtype)
    ratio = lax.div(small, lax.select(lax.eq(big, zero), lax.full(big.shape, 1, big.dtype)
                                      if big.ndim else lax.full((), 1, big.dtype), big))
    return lax.mul(big, lax.sqrt(lax.add(lax.full((), 1, big.dtype), lax.mul(ratio, ratio))))


def logaddexp(x1, x2, /):
    """`log(exp(x1) + exp(x2))` elementwise, computed stably."""
    check_arraylike("logaddexp", x1, x2)
    x1, x2 = broadcast_args("logaddexp", *promote_dtypes_inexact(x1, x2))
    amax = lax.max(x1, x2)
    delta = lax.sub(x1, x2)
    # Where both are the same infinity, delta is nan: the answer is that infinity.
    safe = lax.select(lax.ne(delta, delta), lax.add(x1, x2), lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(delta))))))
    return safe


def logaddexp2(x1, x2, /):
    """`log2(2**x1 + 2**x2)` elementwise, computed stably."""
    x1, x2 = broadcast_args("logaddexp2", *promote_dtypes_inexact(x1, x2))
    ln2 = lax.full((), np.log(2), x1.dtype)
    return lax.div(logaddexp(lax.mul(x1, ln2), lax.mul(x2, ln2)), ln2)


def heaviside(x1, x2, /):
    """The Heaviside step: 0 where x1 < 0, `x2` where x1 == 0, 1 where x1 > 0."""
    x1, x2 = broadcast_args("heaviside", *promote_dtypes_inexact(x1, x2))
    zero = lax.full((), 0, x1.dtype)
    one = lax.full((), 1, x1.dtype)
    return where_(lax.lt(x1, zero), lax.full(x1.shape, 0, x1.dtype) if x1.ndim else zero,
                  where_(lax.gt(x1, zero), lax.full(x1.shape, 1, x1.dtype) if x1.ndim else one, x2))


def sinc(x, /):
    """The normalised sinc `sin(pi x) / (pi x)`, 1 at 0."""
    (x,) = promote_dtypes_inexact(x)
    zero = lax.full((), 0, x.dtype)
    pix = lax.mul(x, lax.full((), np.pi, x.dtype))
    safe = lax.select(lax.eq(x, zero), lax.full(x.shape, 1, x.dtype) if x.ndim else lax.full((), 1, x.dtype), pix)
    return lax.select(lax.eq(x, zero), lax.full(x.shape, 1, x.dtype) if x.ndim else lax.full((), 1, x.dtype),
                      lax.div(lax.sin(safe), safe))


def ldexp(x1, x2, /):
    """`x1 * 2**x2` elementwise."""
    (x1,) = promote_dtypes_inexact(x1)
    x2 = to_array(x2)
    return multiply(x1, power(lax.full((), 2, x1.dtype), lax.convert_element_type(x2, x1.dtype)))


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaN (NaN only when both are NaN)."""
    x1, x2 = broadcast_args("fmax", *promote_dtypes(x1, x2))
    return where_(isnan(x1), x2, where_(isnan(x2), x1, lax.max(x1, x2)))


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaN (NaN only when both are NaN)."""
    x1, x2 = broadcast_args("fmin", *promote_dtypes(x1, x2))
    return where_(isnan(x1), x2, where_(isnan(x2), x1, lax.min(x1, x2)))
