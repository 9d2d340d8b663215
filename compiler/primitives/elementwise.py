"""Elementwise primitives: arithmetic, math, comparisons, bitwise, select, conversions."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..ir import ShapedArray
from ._base import (
    BITWISE,
    COMPARISON,
    CONVERSION,
    CREATION,
    ELEMENTWISE,
    _fail,
    declare,
)

# ---- Elementwise ----------------------------------------------------------------------------
# Operands of an elementwise primitive share one dtype and one shape, except that rank-0 operands
# broadcast (as in JAX's jaxprs, where `add a 3:i32[]` is allowed). Weak only if all are weak.

_FLOAT = "float"  # floating or complex
_REAL_FLOAT = "real_float"  # floating only
_NUM = "number"  # int, float, complex (not bool)
_INT = "int"  # int or bool (bitwise)
_ANY = "any"
_REAL_NUM = "real_number"  # int or float, not complex, not bool


def _kind_ok(kind, dtype):
    if kind == _ANY:
        return dtype != dtypes.float0
    if kind == _FLOAT:
        return dtypes.is_inexact(dtype)
    if kind == _REAL_FLOAT:
        return dtypes.is_float(dtype)
    if kind == _NUM:
        return dtypes.is_integer(dtype) or dtypes.is_inexact(dtype)
    if kind == _REAL_NUM:
        return dtypes.is_integer(dtype) or dtypes.is_float(dtype)
    if kind == _INT:
        return dtypes.is_integer(dtype) or dtypes.is_bool(dtype)
    raise ValueError(kind)


def broadcast_shapes_scalar(name, avals):
    shapes = {a.shape for a in avals if a.ndim > 0}
    if len(shapes) > 1:
        _fail(name, "operand shapes must be equal or rank 0; broadcast them first", *avals)
    return shapes.pop() if shapes else ()


def _nary_rule(name, kind, out_dtype=None, nargs=None):
    def rule(*avals, **params):
        if nargs is not None and len(avals) != nargs:
            raise TypeError(f"{name}: takes {nargs} operand(s), got {len(avals)}")
        dts = {a.dtype for a in avals}
        if len(dts) != 1:
            _fail(name, "operands must share one dtype; convert them first", *avals)
        dt = dts.pop()
        if not _kind_ok(kind, dt):
            _fail(name, f"does not accept dtype {dt} (needs {kind})", *avals)
        shape = broadcast_shapes_scalar(name, avals)
        weak = all(a.weak_type for a in avals)
        if out_dtype is not None:
            return ShapedArray(shape, out_dtype(dt), False)
        return ShapedArray(shape, dt, weak)

    return rule


def _real_of(dt):
    return np.dtype(np.float32) if dt == dtypes.complex64 else (
        np.dtype(np.float64) if dt == dtypes.complex128 else dt)


def _unary(name, kind=_FLOAT, out_dtype=None):
    return declare(name, ELEMENTWISE, _nary_rule(name, kind, out_dtype, nargs=1))


def _binary(name, kind=_NUM, group=ELEMENTWISE, out_dtype=None):
    return declare(name, group, _nary_rule(name, kind, out_dtype, nargs=2))


neg_p = _unary("neg", _NUM)
sign_p = _unary("sign", _NUM)
abs_p = _unary("abs", _NUM, out_dtype=_real_of)
floor_p = _unary("floor", _REAL_FLOAT)
ceil_p = _unary("ceil", _REAL_FLOAT)
round_p = _unary("round", _REAL_FLOAT)  # params: rounding_method (0: away from zero, 1: to even)
is_finite_p = _unary("is_finite", _REAL_FLOAT, out_dtype=lambda dt: dtypes.bool_)
exp_p = _unary("exp")
exp2_p = _unary("exp2")
log_p = _unary("log")
log1p_p = _unary("log1p")
expm1_p = _unary("expm1")
sqrt_p = _unary("sqrt")
rsqrt_p = _unary("rsqrt")
cbrt_p = _unary("cbrt", _REAL_FLOAT)
sin_p = _unary("sin")
cos_p = _unary("cos")
tan_p = _unary("tan")
asin_p = _unary("asin")
acos_p = _unary("acos")
atan_p = _unary("atan")
sinh_p = _unary("sinh")
cosh_p = _unary("cosh")
tanh_p = _unary("tanh")
asinh_p = _unary("asinh")
acosh_p = _unary("acosh")
atanh_p = _unary("atanh")
logistic_p = _unary("logistic")
erf_p = _unary("erf", _REAL_FLOAT)
erfc_p = _unary("erfc", _REAL_FLOAT)
erf_inv_p = _unary("erf_inv", _REAL_FLOAT)
lgamma_p = _unary("lgamma", _REAL_FLOAT)
digamma_p = _unary("digamma", _REAL_FLOAT)
real_p = _unary("real", _FLOAT, out_dtype=_real_of)
imag_p = _unary("imag", _FLOAT, out_dtype=_real_of)
conj_p = _unary("conj", _FLOAT)
not_p = declare("not", BITWISE, _nary_rule("not", _INT, nargs=1))
copy_p = _unary("copy", _ANY)
integer_pow_p = _unary("integer_pow", _NUM)  # params: y (a Python int)

add_p = _binary("add")
sub_p = _binary("sub")
mul_p = _binary("mul")
div_p = _binary("div")
rem_p = _binary("rem", _REAL_NUM)
pow_p = _binary("pow", _FLOAT)
max_p = _binary("max", _ANY)
min_p = _binary("min", _ANY)
atan2_p = _binary("atan2", _REAL_FLOAT)
nextafter_p = _binary("nextafter", _REAL_FLOAT)
and_p = _binary("and", _INT, BITWISE)
or_p = _binary("or", _INT, BITWISE)
xor_p = _binary("xor", _INT, BITWISE)
shift_left_p = _binary("shift_left", _INT, BITWISE)
shift_right_logical_p = _binary("shift_right_logical", _INT, BITWISE)
shift_right_arithmetic_p = _binary("shift_right_arithmetic", _INT, BITWISE)


def _complex_rule(x, y):
    if x.dtype != y.dtype or not dtypes.is_float(x.dtype) or x.dtype == dtypes.float16:
        _fail("complex", "needs two float32 or two float64 operands", x, y)
    out = dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128
    return ShapedArray(broadcast_shapes_scalar("complex", [x, y]), out, x.weak_type and y.weak_type)


complex_p = declare("complex", ELEMENTWISE, _complex_rule)

_BOOL = lambda dt: dtypes.bool_  # noqa: E731
eq_p = _binary("eq", _ANY, COMPARISON, _BOOL)
ne_p = _binary("ne", _ANY, COMPARISON, _BOOL)
lt_p = _binary("lt", _ANY, COMPARISON, _BOOL)
le_p = _binary("le", _ANY, COMPARISON, _BOOL)
gt_p = _binary("gt", _ANY, COMPARISON, _BOOL)
ge_p = _binary("ge", _ANY, COMPARISON, _BOOL)


def _select_n_rule(which, *cases):
    if not cases:
        _fail("select_n", "needs at least one case", which)
    if which.dtype not in (dtypes.bool_, dtypes.int32):
        _fail("select_n", f"predicate must be bool or int32, got {which.dtype}", which, *cases)
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        _fail("select_n", "a bool predicate selects between at most two cases", which, *cases)
    if len({(c.shape, c.dtype) for c in cases}) != 1:
        _fail("select_n", "cases must have one shape and dtype", which, *cases)
    c0 = cases[0]
    if which.ndim and which.shape != c0.shape:
        _fail("select_n", "predicate must be a scalar or have the cases' shape", which, *cases)
    return ShapedArray(c0.shape, c0.dtype, all(c.weak_type for c in cases))


select_n_p = declare("select_n", ELEMENTWISE, _select_n_rule)


def _clamp_rule(lo, x, hi):
    for b in (lo, hi):
        if b.dtype != x.dtype:
            _fail("clamp", "bounds must have the operand's dtype", lo, x, hi)
        if b.ndim and b.shape != x.shape:
            _fail("clamp", "bounds must be scalars or have the operand's shape", lo, x, hi)
    # complex operands are accepted, as lax.clamp does: XLA compares their real parts only
    # (compiler/interpret_elementwise.clamp)
    return x


clamp_p = declare("clamp", ELEMENTWISE, _clamp_rule)


def _convert_rule(x, *, new_dtype, weak_type=False):
    if not dtypes.is_known(new_dtype):
        _fail("convert_element_type", f"unknown dtype {new_dtype}", x)
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = declare("convert_element_type", CONVERSION, _convert_rule)


def _bitcast_rule(x, *, new_dtype):
    if np.dtype(new_dtype).itemsize != x.dtype.itemsize:
        _fail("bitcast_convert_type", f"{x.dtype} and {new_dtype} differ in width", x)
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p = declare("bitcast_convert_type", CONVERSION, _bitcast_rule)


def _iota_rule(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise TypeError(f"iota: dimension {dimension} out of range for shape {shape}")
    return ShapedArray(shape, dtype)


iota_p = declare("iota", CREATION, _iota_rule)

