"""lax elementwise operations: one thin wrapper per primitive, with JAX's names."""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from .. import core
from ..array import Array, wrap
from ..core import Tracer, bind
from ._base import binary, dtype_of, is_array, operands, scalar_as, unary

neg = unary(P.neg_p)
sign = unary(P.sign_p)
abs = unary(P.abs_p)  # noqa: A001 - JAX's name
floor = unary(P.floor_p)
ceil = unary(P.ceil_p)
is_finite = unary(P.is_finite_p)
exp = unary(P.exp_p)
exp2 = unary(P.exp2_p)
log = unary(P.log_p)
log1p = unary(P.log1p_p)
expm1 = unary(P.expm1_p)
sqrt = unary(P.sqrt_p)
rsqrt = unary(P.rsqrt_p)
cbrt = unary(P.cbrt_p)
sin = unary(P.sin_p)
cos = unary(P.cos_p)
tan = unary(P.tan_p)
asin = unary(P.asin_p)
acos = unary(P.acos_p)
atan = unary(P.atan_p)
sinh = unary(P.sinh_p)
cosh = unary(P.cosh_p)
tanh = unary(P.tanh_p)
asinh = unary(P.asinh_p)
acosh = unary(P.acosh_p)
atanh = unary(P.atanh_p)
logistic = unary(P.logistic_p)
erf = unary(P.erf_p)
erfc = unary(P.erfc_p)
erf_inv = unary(P.erf_inv_p)
lgamma = unary(P.lgamma_p)
digamma = unary(P.digamma_p)
real = unary(P.real_p)
imag = unary(P.imag_p)
conj = unary(P.conj_p)
bitwise_not = unary(P.not_p)

add = binary(P.add_p)
sub = binary(P.sub_p)
mul = binary(P.mul_p)
div = binary(P.div_p)
rem = binary(P.rem_p)
pow = binary(P.pow_p)  # noqa: A001 - JAX's name
max = binary(P.max_p)  # noqa: A001
min = binary(P.min_p)  # noqa: A001
atan2 = binary(P.atan2_p)
nextafter = binary(P.nextafter_p)
bitwise_and = binary(P.and_p, "bitwise_and")
bitwise_or = binary(P.or_p, "bitwise_or")
bitwise_xor = binary(P.xor_p, "bitwise_xor")
shift_left = binary(P.shift_left_p)
shift_right_logical = binary(P.shift_right_logical_p)
shift_right_arithmetic = binary(P.shift_right_arithmetic_p)
eq = binary(P.eq_p)
ne = binary(P.ne_p)
lt = binary(P.lt_p)
le = binary(P.le_p)
gt = binary(P.gt_p)
ge = binary(P.ge_p)
complex = binary(P.complex_p)  # noqa: A001


class RoundingMethod:
    """How lax.round breaks ties: AWAY_FROM_ZERO (0) or TO_NEAREST_EVEN (1)."""
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    """Round to the nearest integer, breaking ties by `rounding_method` (lax.RoundingMethod)."""
    return bind(P.round_p, x, rounding_method=int(rounding_method))


def integer_pow(x, y: int):
    """`x ** y` for a static Python integer `y`, by repeated multiplication."""
    if not isinstance(y, (int, np.integer)):
        raise TypeError(f"integer_pow: exponent must be a Python int, got {type(y).__name__}")
    return bind(P.integer_pow_p, x, y=int(y))


def square(x):
    """Elementwise `x * x`."""
    return integer_pow(x, 2)


def reciprocal(x):
    """Elementwise `1 / x`."""
    return integer_pow(x, -1)


def select_n(which, *cases):
    """Elementwise choice among `cases` by `which` (a bool picks cases[0]/cases[1]; an int indexes the cases)."""
    if not cases:
        raise ValueError("select_n: needs at least one case")
    cases = operands("select_n", *cases)
    return bind(P.select_n_p, which, *cases)


def select(pred, on_true, on_false):
    """JAX's lax.select: pred ? on_true : on_false (select_n takes the false case first)."""
    return select_n(pred, on_false, on_true)


def clamp(min, x, max):  # noqa: A002 - JAX's argument names
    """Elementwise `min(max(x, min), max)`."""
    ref = next((v for v in (x, min, max) if is_array(v)), None)
    if ref is not None:
        dt = dtype_of(ref)
        min, x, max = (scalar_as(v, dt, "clamp") if isinstance(v, core._PY_SCALARS) else v
                       for v in (min, x, max))
    return bind(P.clamp_p, min, x, max)


def convert_element_type(operand, new_dtype, weak_type=False):
    """Convert to new_dtype (canonicalised: float64 is float32 unless x64 is on)."""
    new_dtype = dtypes.canonicalize(new_dtype, core.config.x64)
    if isinstance(operand, core._PY_SCALARS):
        operand = wrap(np.asarray(operand, new_dtype), weak_type)
    old = dtype_of(operand)
    old_weak = operand.weak_type if isinstance(operand, (Array, Tracer)) else False
    if old == new_dtype and old_weak == weak_type:
        return operand if isinstance(operand, (Array, Tracer)) else Array(operand)
    if dtypes.is_complex(old) and not dtypes.is_complex(new_dtype):
        operand = real(operand)  # JAX drops the imaginary part explicitly
        if dtype_of(operand) == new_dtype and not weak_type:
            return operand
    return bind(P.convert_element_type_p, operand, new_dtype=new_dtype, weak_type=bool(weak_type))


def bitcast_convert_type(operand, new_dtype):
    """Reinterpret the bits of `operand` as `new_dtype` (same width: same shape; otherwise a trailing axis changes)."""
    new_dtype = dtypes.canonicalize(new_dtype, core.config.x64)
    return bind(P.bitcast_convert_type_p, operand, new_dtype=new_dtype)


def iota(dtype, size):
    """A 1-D array `0, 1, ..., size - 1` of `dtype`."""
    dtype = dtypes.canonicalize(dtype, core.config.x64)
    return bind(P.iota_p, dtype=dtype, shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension):
    """An array of `shape` whose values count along axis `dimension`."""
    dtype = dtypes.canonicalize(dtype, core.config.x64)
    shape = tuple(int(d) for d in shape)
    return bind(P.iota_p, dtype=dtype, shape=shape, dimension=int(dimension) % len(shape))
