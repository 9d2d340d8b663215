"""erf_inv and digamma as straight-line scalar code (no C library has them).

Both are computed in float64 whatever the dtype (float32 and float16 results are rounded once
at the end), from C library functions that glibc's libmvec vectorises, so the loops stay
vectorisable: no branches, both sides of every case computed and selected.

erf_inv(y): a first guess from Giles' single-precision approximation ("Approximating the erfinv
function", GPU Computing Gems, 2011: a polynomial in w = -log(1 - y^2)), then Halley steps on
f(x) = erf(x) - |y| (f'' = -2x f', so a step is x -= f / (f' + x f)). One step for float32 (the
guess is good to ~4e-7, the step takes it below 1e-12); two for float64, where for |y| > 0.5
f is computed as (1 - |y|) - erfc(x): 1 - |y| is exact there, so the tail near |y| = 1 keeps its
relative accuracy. erf_inv(+-1) = +-inf, |y| > 1 or NaN gives NaN, +-0 gives +-0.

digamma(x): x < 0 by reflection psi(x) = psi(1 - x) - pi / tan(pi t), with t = x - round(x)
reduced exactly (as the interpreter does); poles (0, -0 and the negative integers, -inf) give
NaN as in JAX; psi(+inf) = +inf. For z > 0: psi(z) = psi(z + 10) - sum_{k<10} 1/(z + k) when
z < 10, and the asymptotic series ln z - 1/(2z) - sum B_2k / (2k z^2k) (seven terms; the next is
below 5e-17 at z >= 10). Near the positive root x0 = 1.46163..., where psi crosses zero and the
sum above cancels, a Taylor series in t = x - x0 (x0 as a double-double; coefficients
psi^(n)(x0)/n! computed with mpmath to 40 digits) keeps the relative accuracy.
Accuracy in ulps is measured by compiler/cpu/accuracy.py (docs/accuracy.md).
"""

from __future__ import annotations

import math

from .. import dtypes
from .float_ops import FloatOps
from .types import f64

# Giles' coefficients, central region (w < 5, in w - 2.5) and tail (in sqrt(w) - 3).
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip

# Bernoulli terms B_2k / (2k) of the asymptotic series, k = 1..7.
_PSI_ASYMPTOTIC = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_PSI_ROOT = (1.4616321449683622, 9.549995429965697e-17)  # x0 = hi + lo
_PSI_ROOT_TAYLOR = (
    0.9676722454476212,
    -0.4427631689835921,
    0.258499760955651,
    -0.16394270544240652,
    0.10782405069126237,
    -0.07219956125645471,
    0.04880428816414311,
    -0.03316112647484736,
    0.022597648232218104,
    -0.01542476590494896,
    0.010538791616612175,
    -0.007204534386356869,
    0.004926781395729853,
    -0.003369801655439328,
    0.002305126326734928,
    -0.0015769367714301972,
    0.0010788252019162967,
    -0.0007380709389960052,
    0.000504953265834602,
    -0.0003454680251063077,
    0.00023635601564027053,
    -0.00016170622091974803,
    0.0001106337276874741,
    -7.569179582195066e-05,
    5.178575795222081e-05,
    -3.5430070947659604e-05,
    2.424006611860132e-05,
    -1.6584242271854135e-05,
    1.134638458466385e-05,
    -7.762817668462094e-06,
)  # psi^(n)(x0) / n!, n = 1..30
_HALLEY_STEPS_F64 = 2
_PSI_ROOT_RADIUS = 0.3  # the 31st term is below 1e-20 inside it (terms shrink ~0.68**n |t|**n)


class _F64(FloatOps):
    """Float64 arithmetic on the builder, for readable formulas."""

    def __init__(self, cx):
        from . import scalar

        super().__init__(cx, f64)
        self._scalar = scalar

    def libm(self, name, x):
        return self._scalar._libm(self.cx, name, x, dtypes.float64)

    def intr(self, name, *xs):
        return self._scalar._intr(self.cx, name, dtypes.float64, *xs)

    def horner(self, x, coefs):
        """coefs[0] * x^(n-1) + ... + coefs[-1]."""
        acc = self.c(coefs[0])
        for k in coefs[1:]:
            acc = self.add(self.mul(acc, x), self.c(k))
        return acc


def _widen(cx, x, dt):
    from .scalar import convert

    return convert(cx, x, dt, dtypes.float64)


def _narrow(cx, x, dt):
    from .scalar import convert  # float64 -> float16 without __truncdfhf2 (see there)

    return convert(cx, x, dtypes.float64, dt)


def erf_inv(cx, args, ins, out):
    dt = ins[0]
    m = _F64(cx)
    y = _widen(cx, args[0], dt)
    a = m.intr("fabs", y)
    one = m.c(1.0)
    w = m.sub(m.c(0.0), m.libm("log", m.mul(m.sub(one, a), m.add(one, a))))
    central = m.horner(m.sub(w, m.c(2.5)), _ERFINV_CENTRAL)
    tail = m.horner(m.sub(m.intr("sqrt", w), m.c(3.0)), _ERFINV_TAIL)
    x = m.mul(m.sel(m.lt(w, m.c(5.0)), central, tail), a)
    # Past float32's range (w > 16, float64 only) Giles' tail extrapolates badly: solve
    # erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2)) = 1 - |y| by two fixed-point steps.
    big = m.sub(m.c(0.0), m.libm("log", m.sub(one, a)))
    far = m.intr("sqrt", big)
    for _ in range(2):
        correction = m.libm("log1p", m.div(m.c(-0.5), m.mul(far, far)))
        far = m.intr("sqrt", m.add(m.sub(big, m.libm("log", m.mul(far, m.c(math.sqrt(math.pi))))), correction))
    x = m.sel(m.lt(m.c(16.0), w), far, x)
    two_over_sqrt_pi = m.c(2.0 / math.sqrt(math.pi))
    for _ in range(_HALLEY_STEPS_F64 if dt == dtypes.float64 else 1):
        f = m.sub(m.libm("erf", x), a)
        if dt == dtypes.float64:
            f_tail = m.sub(m.sub(one, a), m.libm("erfc", x))
            f = m.sel(m.lt(m.c(0.5), a), f_tail, f)
        d = m.mul(two_over_sqrt_pi, m.libm("exp", m.sub(m.c(0.0), m.mul(x, x))))
        x = m.sub(x, m.div(f, m.add(d, m.mul(x, f))))
    x = m.sel(m.eq(a, one), m.c(math.inf), x)
    x = m.sel(m.lt(one, a), m.c(math.nan), x)
    x = m.sel(m.eq(a, m.c(0.0)), m.c(0.0), x)  # the sign comes back below (+-0 -> +-0)
    x = m.intr("copysign", x, y)
    x = m.sel(m.b.fcmp_unordered("uno", y, y), y, x)
    return _narrow(cx, x, dt)


def _psi_positive(m, z):
    """psi(z) for z > 0 (and +inf, NaN)."""
    small = m.lt(z, m.c(10.0))
    shifted = m.sel(small, m.add(z, m.c(10.0)), z)
    recip = m.c(0.0)
    for k in range(10):
        recip = m.add(recip, m.div(m.c(1.0), m.add(z, m.c(float(k)))))
    inv = m.div(m.c(1.0), shifted)
    inv2 = m.mul(inv, inv)
    series = m.mul(inv2, m.horner(inv2, _PSI_ASYMPTOTIC[::-1]))
    psi = m.sub(m.sub(m.libm("log", shifted), m.mul(m.c(0.5), inv)), series)
    psi = m.sel(small, m.sub(psi, recip), psi)
    near = m.sub(m.sub(z, m.c(_PSI_ROOT[0])), m.c(_PSI_ROOT[1]))
    taylor = m.mul(near, m.horner(near, _PSI_ROOT_TAYLOR[::-1]))
    return m.sel(m.lt(m.intr("fabs", near), m.c(_PSI_ROOT_RADIUS)), taylor, psi)


def digamma(cx, args, ins, out):
    dt = ins[0]
    m = _F64(cx)
    x = _widen(cx, args[0], dt)
    zero, one = m.c(0.0), m.c(1.0)
    negative = m.lt(x, zero)
    psi = _psi_positive(m, m.sel(negative, m.sub(one, x), x))
    t = m.sub(x, m.intr("roundeven", x))
    reflection = m.div(m.c(math.pi), m.libm("tan", m.mul(m.c(math.pi), t)))
    psi = m.sel(negative, m.sub(psi, reflection), psi)
    pole = m.b.and_(m.b.fcmp_ordered("<=", x, zero), m.eq(m.intr("floor", x), x))
    psi = m.sel(pole, m.c(math.nan), psi)
    return _narrow(cx, psi, dt)
