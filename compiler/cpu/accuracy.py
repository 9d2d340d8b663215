"""Accuracy of the compiled transcendental functions, in ulps, against NumPy/SciPy references.

Each function in FUNCTIONS is compiled as a one-equation program over a large array (so the
vectorised libmvec body and the scalar libm remainder both run) and evaluated on a seeded
sample of its domain: uniform and log-uniform magnitudes, both signs, plus the special inputs
(+-0, +-inf, NaN, the smallest denormal, denormals near the normal range, the normal limits).

The reference is the same function computed in higher precision: float64 for float32 results
(an exact reference at float32 resolution), and NumPy's long double (x87 80-bit) for float64
results where NumPy has a long double loop. erf of float64 is compared with SciPy's float64
result (good to about 1 ulp). SciPy's float64 erfc is not a usable reference: for x > 0 it is
off by 5 to 216 ulps (checked by hand against a 40-digit reference, which the compiled result
matched within 1 ulp), so float64 erfc is compared with the C library's scalar erfc (Python's
math.erfc): a consistency check of the vector variant, not an independent one. The error of a result y
against the reference r is |y - r| / ulp(r), the ulp taken at r rounded to the result dtype;
a result equal to the rounded reference counts 0, and a non-finite reference must be matched
exactly (same infinity, or NaN).

`BOUNDS` are the documented bounds the test (tests/compiler/test_accuracy.py) enforces and
docs/accuracy.md (written by docs/make_accuracy_table.py) states. Special inputs must give
exactly NumPy's result (sign of zero included). Denormals are neither flushed on input nor on
output (no fast-math, MXCSR untouched): `denormals_preserved()` checks it.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .. import primitives as P

f32, f64 = dtypes.float32, dtypes.float64
N_RANDOM = 1 << 15
LD = np.longdouble


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _digamma(x):
    from ..interpret_elementwise import digamma  # SciPy's psi, with JAX's NaN at the poles

    return digamma(x)


def _scipy(name):
    import scipy.special

    return getattr(scipy.special, name)


# name -> (primitive, reference on arrays, sampler kind, long double reference available)
FUNCTIONS = {
    "exp": (P.exp_p, np.exp, "exp", True),
    "exp2": (P.exp2_p, np.exp2, "exp2", True),
    "expm1": (P.expm1_p, np.expm1, "exp", True),
    "log": (P.log_p, np.log, "positive", True),
    "log1p": (P.log1p_p, np.log1p, "log1p", True),
    "sqrt": (P.sqrt_p, np.sqrt, "positive", True),
    "rsqrt": (P.rsqrt_p, lambda x: 1 / np.sqrt(x), "positive", True),
    "cbrt": (P.cbrt_p, np.cbrt, "real", True),
    "sin": (P.sin_p, np.sin, "real", True),
    "cos": (P.cos_p, np.cos, "real", True),
    "tan": (P.tan_p, np.tan, "real", True),
    "asin": (P.asin_p, np.arcsin, "unit", True),
    "acos": (P.acos_p, np.arccos, "unit", True),
    "atan": (P.atan_p, np.arctan, "real", True),
    "sinh": (P.sinh_p, np.sinh, "exp", True),
    "cosh": (P.cosh_p, np.cosh, "exp", True),
    "tanh": (P.tanh_p, np.tanh, "real", True),
    "asinh": (P.asinh_p, np.arcsinh, "real", True),
    "acosh": (P.acosh_p, np.arccosh, "positive", True),
    "atanh": (P.atanh_p, np.arctanh, "unit", True),
    "logistic": (P.logistic_p, _logistic, "real", True),
    "erf": (P.erf_p, lambda x: _scipy("erf")(x), "real", False),
    "erfc": (P.erfc_p, lambda x: _scipy("erfc")(x), "real", False),
    "pow": (P.pow_p, np.power, "pow", True),
    "atan2": (P.atan2_p, np.arctan2, "pair", True),
    "erf_inv": (P.erf_inv_p, lambda x: _scipy("erfinv")(x), "erf_inv", False),
    "digamma": (P.digamma_p, _digamma, "digamma", False),
}

# Documented maximum error in ulps: (float32, float64). glibc documents libmvec within 4 ulps;
# that is the bound wherever this machine's sample measured below about 3.5 ulps, 6 where it
# came closer to 4 (log and erf of float32); correctly rounded operations (sqrt) keep 0.5.
BOUNDS = {
    "exp": (4, 4),
    "exp2": (4, 4),
    "expm1": (4, 4),
    "log": (6, 4),
    "log1p": (4, 4),
    "sqrt": (0.5, 0.5),
    "rsqrt": (2, 2),
    "cbrt": (4, 4),
    "sin": (4, 4),
    "cos": (4, 4),
    "tan": (4, 4),
    "asin": (4, 4),
    "acos": (4, 4),
    "atan": (4, 4),
    "sinh": (4, 4),
    "cosh": (4, 4),
    "tanh": (4, 4),
    "asinh": (4, 4),
    "acosh": (4, 4),
    "atanh": (4, 4),
    "logistic": (4, 4),
    "erf": (6, 4),
    "erfc": (4, 4),
    "pow": (4, 4),
    "atan2": (4, 4),
    # cpu/special_math.py, computed in float64: erf_inv against SciPy's erfinv (itself ~1-2 ulp);
    # digamma for x > 0 against SciPy's psi (23 measured; 18 against 30-digit mpmath in float64,
    # next to the Taylor region around the root). Negative x: see special_math.py.
    "erf_inv": (1, 4),
    "digamma": (1, 32),
}


def specials(dtype):
    fi = np.finfo(dtype)
    smallest = fi.smallest_subnormal
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, smallest, -smallest, fi.tiny / 4, -fi.tiny / 4, fi.tiny,
            -fi.tiny, fi.max, -fi.max, 1.0, -1.0, 0.5, -0.5, 2.0]  # fmt: skip
    return np.array(vals, dtype)


def sample(kind, dtype, seed=0):
    """Inputs for one function: (x,) or (x, y), the special inputs first."""
    r = np.random.RandomState(seed)
    fi = np.finfo(dtype)
    n = N_RANDOM
    lo_exp, hi_exp = np.log2(fi.smallest_subnormal), np.log2(fi.max)
    mags = np.exp2(r.uniform(lo_exp, hi_exp, n))
    signs = np.where(r.rand(n) < 0.5, -1.0, 1.0)
    if kind == "exp":
        top = np.log(fi.max) * 1.02
        x = np.concatenate([r.uniform(-top * 1.05, top, n), r.uniform(-2, 2, n // 4), mags[: n // 4] * 1e-3])
    elif kind == "exp2":
        top = np.log2(fi.max) * 1.02
        x = np.concatenate([r.uniform(-top * 1.05, top, n), r.uniform(-2, 2, n // 4)])
    elif kind == "positive":
        x = np.concatenate([mags, r.uniform(0, 4, n // 4), -mags[: n // 16]])
    elif kind == "log1p":
        x = np.concatenate([mags, r.uniform(-1, 1, n // 2), -mags[: n // 16], 1e-3 * signs[: n // 4] * mags[: n // 4]])
    elif kind == "unit":
        x = np.concatenate(
            [r.uniform(-1, 1, n), signs * np.exp2(r.uniform(lo_exp, 0, n)), r.uniform(-1.5, 1.5, n // 16)]
        )
    elif kind == "erf_inv":  # (-1, 1), near +-1, tiny and out of the domain
        x = np.concatenate(
            [
                r.uniform(-1, 1, n),
                signs * np.exp2(r.uniform(lo_exp, 0, n)),
                signs[: n // 4] * (1 - np.exp2(-r.uniform(1, -np.log2(fi.eps), n // 4))),
                r.uniform(-1.5, 1.5, n // 16),
            ]
        )
    elif kind == "digamma":  # x > 0: large, tiny, and the region of the root
        x = np.concatenate([mags[: n // 2], r.uniform(0, 30, n), r.uniform(1, 2, n // 4)])
    else:  # real, pow, pair
        x = np.concatenate([signs * mags, r.uniform(-10, 10, n // 2)])
    x = np.concatenate([specials(dtype), x.astype(dtype)])
    if kind == "pow":
        m = len(x)
        base = np.where(r.rand(m) < 0.8, np.abs(x), x)
        y = np.where(r.rand(m) < 0.5, r.uniform(-40, 40, m), np.round(r.uniform(-20, 20, m)))
        y[: len(specials(dtype))] = 2.0
        sp = specials(dtype)
        grid = np.array(np.meshgrid(sp, sp)).reshape(2, -1)  # every pair of special values
        return np.concatenate([grid[0], base]).astype(dtype), np.concatenate([grid[1], y]).astype(dtype)
    if kind == "pair":
        y = np.concatenate([specials(dtype)[::-1], (r.randn(len(x) - len(specials(dtype))) * 10)]).astype(dtype)
        sp = specials(dtype)
        grid = np.array(np.meshgrid(sp, sp)).reshape(2, -1)
        return np.concatenate([grid[0], x]).astype(dtype), np.concatenate([grid[1], y]).astype(dtype)
    return (x,)


def reference(name, args, dtype):
    _, fn, _, has_ld = FUNCTIONS[name]
    with np.errstate(all="ignore"):
        if dtype == f32:
            return fn(*(a.astype(f64) for a in args)).astype(f64)
        if name == "erfc":  # see the module docstring
            import math

            return np.array([math.erfc(v) for v in args[0].tolist()], LD)
        if has_ld:
            return fn(*(a.astype(LD) for a in args)).astype(LD)
        return fn(*args).astype(LD)


def ulp_errors(got, ref, dtype):
    """|got - ref| in ulps of the reference rounded to dtype (0 where they agree after rounding;
    inf where a non-finite reference is not matched exactly)."""
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        same = (got == rounded) | (np.isnan(got) & np.isnan(rounded))
        finite_ref = np.isfinite(rounded)
        spacing = np.spacing(np.abs(np.where(finite_ref, rounded, np.finfo(dtype).max)).astype(dtype))
        wide = LD if dtype == f64 else f64
        err = np.abs(got.astype(wide) - ref.astype(wide)) / spacing.astype(wide)
        err = np.where(same, 0.0, err)
        # a non-finite reference, or a non-finite result, must be matched exactly
        err = np.where(~same & (~finite_ref | ~np.isfinite(got)), np.inf, err)
    return err.astype(f64)


def compile_function(name, dtype, n_args, size):
    from ..ir import ShapedArray
    from ..passes.util import JaxprBuilder
    from ..pipeline import compile_cpu

    jb = JaxprBuilder()
    args = [jb.arg(ShapedArray((size,), dtype)) for _ in range(n_args)]
    return compile_cpu(jb.build([jb.op(FUNCTIONS[name][0], *args)]))


def measure(name, dtype, seed=0):
    """{'max_ulp', 'worst_input', 'special_mismatches': [(inputs, got, numpy)]}."""
    prim, fn, kind, _ = FUNCTIONS[name]
    args = sample(kind, dtype, seed)
    exe = compile_function(name, dtype, len(args), len(args[0]))
    (got,) = exe(*args)
    err = ulp_errors(got, reference(name, args, dtype), dtype)
    worst = int(np.argmax(err))
    # special inputs: exactly NumPy's result in the same dtype (bits, but any NaN is a NaN)
    nsp = len(specials(dtype)) ** (2 if len(args) == 2 else 1)
    with np.errstate(all="ignore"):
        want = np.asarray(fn(*(a[:nsp] for a in args))).astype(dtype)
    mism = []
    for k in range(nsp):
        g, w = got[k], want[k]
        if np.isnan(w) and np.isnan(g):
            continue
        if g.tobytes() != w.tobytes() and not (np.isfinite(w) and err[k] <= BOUNDS[name][dtype == f64]):
            mism.append((tuple(a[k] for a in args), g, w))
    return {
        "max_ulp": float(err.max()),
        "worst_input": tuple(a[worst] for a in args),
        "special_mismatches": mism,
        "n": len(args[0]),
    }


def denormals_preserved():
    """Whether compiled code keeps denormal inputs and produces denormal outputs."""
    from ..ir import ShapedArray
    from ..passes.util import JaxprBuilder
    from ..pipeline import compile_cpu

    out = {}
    for dtype in (f32, f64):
        jb = JaxprBuilder()
        x = jb.arg(ShapedArray((64,), dtype))
        half = jb.op(P.mul_p, x, _lit(0.5, dtype))
        exe = compile_cpu(jb.build([half, jb.op(P.exp_p, x)]))
        tiny = np.finfo(dtype).tiny
        xs = np.full(64, tiny, dtype)
        xs[1::2] = np.log(tiny) - 3  # exp of this is a denormal
        h, e = exe(xs)
        out[str(dtype)] = bool(h[0] == tiny / 2 and 0 < e[1] < tiny)
    return out


def _lit(v, dtype):
    from ..passes.util import lit

    return lit(v, dtype)
