"""Derivatives of the elementwise primitives: one line per primitive where possible.

`defjvp(p, *fns)`: fns[i](g, ans, *primals) is the tangent contributed by operand i.
`deflinear(p, transpose)`: the primitive is linear; its transpose maps ct to operand cts.
Complex numbers follow JAX's convention: transposes are not conjugated.
"""

from __future__ import annotations

import math

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from . import lax
from .ad import (
    LINEAR_PRIMITIVES,
    Zero,
    defbilinear,
    defjvp,
    defjvp_zero,
    deflinear,
    instantiate,
    is_undefined,
    jvp_rules,
    tangent_aval,
    transpose_rules,
)
from .core import bind, get_aval


def unbroadcast(aval, ct):
    """The cotangent of a rank-0 operand of an elementwise op is summed over the result."""
    if aval.ndim == 0 and np.ndim(ct) > 0:
        ct = lax.reduce_sum(ct, tuple(range(np.ndim(ct))))
    if ct.dtype != aval.dtype:
        ct = lax.convert_element_type(ct, aval.dtype)
    return ct


def select(pred, on_true, on_false):
    """lax.select where rank-0 operands and Python scalars broadcast to the common shape (rules
    mix them); scalars take the dtype of the array case."""
    shape = next((np.shape(v) for v in (on_true, on_false, pred) if np.ndim(v)), ())
    ref = next(v for v in (on_true, on_false) if not isinstance(v, (int, float, complex)))

    def fix(v):
        if isinstance(v, (int, float, complex)):
            return lax.full(shape, v, ref.dtype)
        return lax.broadcast_in_dim(v, shape, ()) if np.ndim(v) == 0 and shape else v

    return lax.select(fix(pred), fix(on_true), fix(on_false))


def zeros_like(x):
    return lax.full(np.shape(x), 0, x.dtype)


def _sq(x):
    return lax.integer_pow(x, 2)


# ---- Linear ---------------------------------------------------------------------------------

deflinear(P.neg_p, lambda ct, x: [lax.neg(ct)])
deflinear(P.copy_p, lambda ct, x: [ct])
deflinear(P.conj_p, lambda ct, x: [lax.conj(ct) if dtypes.is_complex(x.aval.dtype) else lax.real(ct)
                                   if dtypes.is_complex(ct.dtype) else ct])
deflinear(P.real_p, lambda ct, x: [lax.complex(ct, zeros_like(ct))])
deflinear(P.imag_p, lambda ct, x: [lax.complex(zeros_like(ct), lax.neg(ct))])
deflinear(P.complex_p, lambda ct, x, y: [
    unbroadcast(x.aval, lax.real(ct)) if is_undefined(x) else None,
    unbroadcast(y.aval, lax.neg(lax.imag(ct))) if is_undefined(y) else None])
defjvp(P.add_p, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
defjvp(P.sub_p, lambda g, ans, x, y: g, lambda g, ans, x, y: lax.neg(g))
transpose_rules[P.add_p] = lambda ct, x, y: [
    unbroadcast(x.aval, ct) if is_undefined(x) else None,
    unbroadcast(y.aval, ct) if is_undefined(y) else None]
transpose_rules[P.sub_p] = lambda ct, x, y: [
    unbroadcast(x.aval, ct) if is_undefined(x) else None,
    unbroadcast(y.aval, lax.neg(ct)) if is_undefined(y) else None]
defbilinear(P.mul_p, lambda ct, x, y: unbroadcast(x.aval, lax.mul(ct, y)),
            lambda ct, x, y: unbroadcast(y.aval, lax.mul(x, ct)))
defjvp(P.div_p, lambda g, ans, x, y: lax.div(g, y),
       lambda g, ans, x, y: lax.mul(lax.neg(g), lax.div(ans, y)))
# div appears in tangent programs with the tangent as numerator only.
transpose_rules[P.div_p] = lambda ct, x, y: [unbroadcast(x.aval, lax.div(ct, y)), None]
LINEAR_PRIMITIVES.update({P.add_p, P.sub_p, P.div_p})
deflinear(P.select_n_p, lambda ct, which, *cases: [None] + [
    lax.select_n(which, *[ct if j == i else zeros_like(ct) for j in range(len(cases))])
    if is_undefined(c) else None for i, c in enumerate(cases)], linear_args=None)
# The predicate is never linear: deflinear's default jvp would instantiate its float0 tangent.


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = lax.select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return ans, Zero(tangent_aval(get_aval(ans)))
    return ans, lax.select_n(which, *[instantiate(t) for t in tangents[1:]])


jvp_rules[P.select_n_p] = _select_n_jvp


def _convert_jvp(primals, tangents, *, new_dtype, weak_type=False):
    (x,), (g,) = primals, tangents
    ans = bind(P.convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)
    if not dtypes.is_inexact(new_dtype) or type(g) is Zero:
        return ans, Zero(tangent_aval(get_aval(ans)))
    return ans, bind(P.convert_element_type_p, g, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(ct, x, *, new_dtype, weak_type=False):
    return [lax.convert_element_type(ct, x.aval.dtype)]


jvp_rules[P.convert_element_type_p] = _convert_jvp
transpose_rules[P.convert_element_type_p] = _convert_transpose
LINEAR_PRIMITIVES.add(P.convert_element_type_p)

# ---- Piecewise constant, boolean-valued or integer-only: zero tangents ----------------------

for _p in (P.sign_p, P.floor_p, P.ceil_p, P.round_p):
    defjvp_zero(_p, "piecewise constant: its derivative is zero almost everywhere")
for _p in (P.is_finite_p, P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p):
    defjvp_zero(_p, "boolean-valued")
for _p in (P.not_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p, P.shift_right_logical_p,
           P.shift_right_arithmetic_p):
    defjvp_zero(_p, "integer/boolean bitwise operation")
defjvp_zero(P.nextafter_p, "steps to the adjacent float: zero derivative almost everywhere")
defjvp_zero(P.bitcast_convert_type_p, "reinterprets bits: not a differentiable map")
defjvp_zero(P.iota_p, "has no operands")
defjvp_zero(P.stop_gradient_p, "the identity with a zero derivative, by definition")

# ---- Elementwise derivatives -----------------------------------------------------------------

_SQRT_PI = math.sqrt(math.pi)

defjvp(P.exp_p, lambda g, ans, x: lax.mul(g, ans))
defjvp(P.exp2_p, lambda g, ans, x: lax.mul(g, lax.mul(ans, math.log(2.0))))
defjvp(P.log_p, lambda g, ans, x: lax.div(g, x))
defjvp(P.log1p_p, lambda g, ans, x: lax.div(g, lax.add(x, 1.0)))
defjvp(P.expm1_p, lambda g, ans, x: lax.mul(g, lax.add(ans, 1.0)))
defjvp(P.sqrt_p, lambda g, ans, x: lax.div(g, lax.mul(ans, 2.0)))
defjvp(P.rsqrt_p, lambda g, ans, x: lax.mul(g, lax.mul(lax.div(ans, x), -0.5)))
defjvp(P.cbrt_p, lambda g, ans, x: lax.mul(g, lax.mul(lax.integer_pow(ans, -2), 1.0 / 3.0)))
defjvp(P.sin_p, lambda g, ans, x: lax.mul(g, lax.cos(x)))
defjvp(P.cos_p, lambda g, ans, x: lax.mul(g, lax.neg(lax.sin(x))))
defjvp(P.tan_p, lambda g, ans, x: lax.mul(g, lax.add(_sq(ans), 1.0)))
defjvp(P.asin_p, lambda g, ans, x: lax.mul(g, lax.rsqrt(lax.sub(1.0, _sq(x)))))
defjvp(P.acos_p, lambda g, ans, x: lax.mul(g, lax.neg(lax.rsqrt(lax.sub(1.0, _sq(x))))))
defjvp(P.atan_p, lambda g, ans, x: lax.div(g, lax.add(_sq(x), 1.0)))
defjvp(P.sinh_p, lambda g, ans, x: lax.mul(g, lax.cosh(x)))
defjvp(P.cosh_p, lambda g, ans, x: lax.mul(g, lax.sinh(x)))
defjvp(P.tanh_p, lambda g, ans, x: lax.mul(g, lax.sub(1.0, _sq(ans))))
defjvp(P.asinh_p, lambda g, ans, x: lax.mul(g, lax.rsqrt(lax.add(_sq(x), 1.0))))
defjvp(P.acosh_p, lambda g, ans, x: lax.mul(g, lax.rsqrt(lax.mul(lax.sub(x, 1.0), lax.add(x, 1.0)))))
defjvp(P.atanh_p, lambda g, ans, x: lax.div(g, lax.sub(1.0, _sq(x))))
defjvp(P.logistic_p, lambda g, ans, x: lax.mul(g, lax.mul(ans, lax.sub(1.0, ans))))
defjvp(P.erf_p, lambda g, ans, x: lax.mul(g, lax.mul(lax.exp(lax.neg(_sq(x))), 2.0 / _SQRT_PI)))
defjvp(P.erfc_p, lambda g, ans, x: lax.mul(g, lax.mul(lax.exp(lax.neg(_sq(x))), -2.0 / _SQRT_PI)))
defjvp(P.erf_inv_p, lambda g, ans, x: lax.mul(g, lax.mul(lax.exp(_sq(ans)), _SQRT_PI / 2.0)))
defjvp(P.lgamma_p, lambda g, ans, x: lax.mul(g, lax.digamma(x)))
defjvp(P.digamma_p, lambda g, ans, x: lax.mul(g, trigamma(x)))
defjvp(P.integer_pow_p, lambda g, ans, x, *, y: (
    Zero(tangent_aval(get_aval(ans))) if y == 0 else g if y == 1 else
    lax.mul(g, lax.mul(lax.integer_pow(x, y - 1), float(y)))))


def _abs_jvp(g, ans, x):
    if not dtypes.is_complex(x.dtype):
        return lax.mul(g, lax.sign(x))
    # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0
    safe = select(lax.eq(ans, 0.0), 1.0, ans)
    unit = lax.div(x, lax.convert_element_type(safe, x.dtype))
    return lax.real(lax.mul(lax.conj(unit), g))


def _ones_like(x):
    return lax.full(np.shape(x), 1, x.dtype)


defjvp(P.abs_p, _abs_jvp)


def _minmax_weight(x, ans, y):
    """1 where x alone attains the result, 1/2 where x and y tie, 0 elsewhere (as JAX)."""
    one = _ones_like(ans)
    return select(lax.eq(x, ans), select(lax.eq(y, ans), lax.mul(one, 0.5), one), 0.0)


defjvp(P.max_p, lambda g, ans, x, y: lax.mul(g, _minmax_weight(x, ans, y)),
       lambda g, ans, x, y: lax.mul(g, _minmax_weight(y, ans, x)))
defjvp(P.min_p, lambda g, ans, x, y: lax.mul(g, _minmax_weight(x, ans, y)),
       lambda g, ans, x, y: lax.mul(g, _minmax_weight(y, ans, x)))


def _atan2_denom(x, y):
    return lax.add(_sq(x), _sq(y))


defjvp(P.atan2_p, lambda g, ans, x, y: lax.mul(g, lax.div(y, _atan2_denom(x, y))),
       lambda g, ans, x, y: lax.mul(g, lax.div(lax.neg(x), _atan2_denom(x, y))))


def _trunc(x):
    return lax.mul(lax.sign(x), lax.floor(lax.abs(x)))


defjvp(P.rem_p, lambda g, ans, x, y: g,
       lambda g, ans, x, y: lax.mul(lax.neg(g), _trunc(lax.div(x, y))))


def _replace_zero(x):
    return select(lax.eq(x, 0.0), 1.0, x)


def _pow_jvp_x(g, ans, x, y):
    # y * x^(y-1), and 0 where y == 0 (so 0^0 has derivative 0 in x, as in JAX)
    jac = select(lax.eq(y, 0.0), 0.0, lax.mul(_replace_zero(y), lax.pow(x, lax.sub(y, 1.0))))
    return lax.mul(g, jac)


def _pow_jvp_y(g, ans, x, y):
    # log(x) * x^y, with log(0) replaced by 0: d/dy 0^y = 0 for y > 0
    return lax.mul(g, lax.mul(lax.log(_replace_zero(x)), ans))


defjvp(P.pow_p, _pow_jvp_x, _pow_jvp_y)


def _complex_clamp_picks(lo, x, hi):
    """(lo, x, hi) masks of which operand a complex clamp returns: XLA compares real parts
    only (x.re <= lo.re gives lo, then a real part not <= hi's gives hi; interpret_elementwise)."""
    xr, lr, hr = lax.real(x), lax.real(lo), lax.real(hi)
    x_low = lax.le(xr, lr)
    pick_lo = lax.bitwise_and(x_low, lax.le(lr, hr))
    pick_x = lax.bitwise_and(lax.bitwise_not(x_low), lax.le(xr, hr))
    return pick_lo, pick_x, lax.bitwise_not(lax.bitwise_or(pick_lo, pick_x))


def _clamp_jvp_lo(g, ans, lo, x, hi):
    if dtypes.is_complex(get_aval(x).dtype):
        return select(_complex_clamp_picks(lo, x, hi)[0], g, 0.0)
    return select(lax.bitwise_and(lax.gt(lo, x), lax.lt(lo, hi)), g, 0.0)


def _clamp_jvp_x(g, ans, lo, x, hi):
    if dtypes.is_complex(get_aval(x).dtype):
        return select(_complex_clamp_picks(lo, x, hi)[1], g, 0.0)
    return select(lax.bitwise_and(lax.gt(x, lo), lax.lt(x, hi)), g, 0.0)


def _clamp_jvp_hi(g, ans, lo, x, hi):
    if dtypes.is_complex(get_aval(x).dtype):
        return select(_complex_clamp_picks(lo, x, hi)[2], g, 0.0)
    return select(lax.lt(hi, x), g, 0.0)


defjvp(P.clamp_p, _clamp_jvp_lo, _clamp_jvp_x, _clamp_jvp_hi)


# ---- trigamma, the derivative of digamma (no primitive: a series on lax ops) -------------------

_TRIGAMMA_SHIFT = 10


def trigamma(x):
    """psi'(x): recurrence up to x + 10, then the asymptotic series; reflection below 1/2.

    Written on lax ops, so it is itself differentiable (its derivative approximates psi'')."""
    reflect = lax.lt(x, 0.5)
    z = select(reflect, lax.sub(1.0, x), x)
    acc = zeros_like(z)
    for k in range(_TRIGAMMA_SHIFT):
        acc = lax.add(acc, lax.integer_pow(lax.add(z, float(k)), -2))
    w = lax.add(z, float(_TRIGAMMA_SHIFT))
    r = lax.integer_pow(w, -1)
    r2 = _sq(r)
    # 1/w + 1/(2w^2) + 1/(6w^3) - 1/(30w^5) + 1/(42w^7) - 1/(30w^9) + 5/(66w^11)
    series = lax.mul(r2, lax.sub(1.0 / 30, lax.mul(r2, lax.sub(1.0 / 42, lax.mul(r2, lax.sub(
        1.0 / 30, lax.mul(r2, 5.0 / 66)))))))
    tail = lax.add(r, lax.mul(r2, lax.add(0.5, lax.mul(r, lax.sub(1.0 / 6, series)))))
    direct = lax.add(acc, tail)
    # psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x)
    s = lax.sin(lax.mul(x, math.pi))
    reflected = lax.sub(lax.div(math.pi ** 2, _sq(s)), direct)
    return select(reflect, reflected, direct)
