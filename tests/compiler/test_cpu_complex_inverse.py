"""Complex asin, acos, atan, asinh, acosh, atanh compiled natively (emit_complex_inverse.py)
against NumPy (the interpreter, glibc's casin etc.) and against mpmath's exact values.

The documented bounds: complex128 within 5 ulps of NumPy per component (each part relative to
itself, floored at the smallest normal number; measured 3.9) and within 3 ulps of the exact value
per component (mpmath; measured 2.7, NumPy itself 2.3); complex64 within 1 ulp per component of
NumPy's complex128 answer rounded to complex64 (measured 0: computed in float64, rounded once).
Where NumPy has an inf, nan or zero part, the compiled part is the same (zeros with their sign).
"""

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.cpu.coverage import why_not_native
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu

c64, c128, f32, f64 = dtypes.complex64, dtypes.complex128, dtypes.float32, dtypes.float64
PART = {c64: f32, c128: f64}
NUMPY = {
    P.asin_p: np.arcsin,
    P.acos_p: np.arccos,
    P.atan_p: np.arctan,
    P.asinh_p: np.arcsinh,
    P.acosh_p: np.arccosh,
    P.atanh_p: np.arctanh,
}
PRIMS = list(NUMPY)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on inf and nan inputs


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def one_op(prim, shape, dtype):
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray(shape, dtype))
    return jb.build([jb.op(prim, x)])


def compiled(prim, x):
    exe = compile_cpu(one_op(prim, x.shape, x.dtype), check=True)
    assert exe.program.count("interpret") == 0, exe.as_text()
    (got,) = exe(x)
    assert got.dtype == x.dtype and got.shape == x.shape
    return got


# ---- Inputs -------------------------------------------------------------------------------------

_ONE = [1 - 2.0**-53, 1.0, 1 + 2.0**-52, 0.999999, 1.000001]
_MAGNITUDES = [0.0, 5e-324, 1e-310, 1e-300, 1e-160, 1e-45, 1e-40, 1e-20, 1e-9, 1e-5, 0.1, 0.5, 0.64, 0.9]
_MAGNITUDES += _ONE + [1.5, 2.0, 10.0, 1e8, 1e15, 1e17, 1e18, 1e20, 1e100, 1e155, 3e38, 1e300, 1.7e308]


def edge_grid(nonfinite=True):
    """Every pair of signed edge magnitudes as (re, im): zeros of both signs (the sides of the
    branch cuts), denormals, both sides of 1, magnitudes near the switch points, huge values."""
    mags = _MAGNITUDES + ([np.inf, np.nan] if nonfinite else [])
    parts = [s * m for m in mags for s in (1.0, -1.0)]
    return np.array([complex(a, b) for a in parts for b in parts])


def random_points(n, seed):
    """Log-uniform parts over the whole float64 range; points just off both branch cuts (both
    sides, |x| > 1 and |x| < 1, on each axis); points near the unit circle and near +-1, +-i."""
    r = np.random.RandomState(seed)

    def signs():
        return r.choice([-1.0, 1.0], n)

    wide = signs() * 10.0 ** r.uniform(-310, 308, n) + 1j * signs() * 10.0 ** r.uniform(-310, 308, n)
    tiny_im = 1j * signs() * 10.0 ** r.uniform(-310, -5, n)
    off_cut = signs() * (1 + 10.0 ** r.uniform(-16, 3, n)) + tiny_im
    inside = r.uniform(-1, 1, n) + tiny_im
    circle = np.exp(1j * r.uniform(-np.pi, np.pi, n)) * (1 + r.randn(n) * 1e-8)
    poles = r.choice([1, -1, 1j, -1j], n) + (r.randn(n) + 1j * r.randn(n)) * 10.0 ** r.uniform(-15, -1, n)
    return np.concatenate([wide, off_cut, inside, 1j * off_cut, 1j * inside, circle, poles])


# ---- Comparison ---------------------------------------------------------------------------------


def assert_parts_within(got, want, part_dtype, ulps, what=""):
    """Each part of `got` within `ulps` ulps of the same part of `want` (relative to that part,
    floored at the smallest normal number); non-finite and zero parts of `want` exactly, with the
    sign of a zero."""
    eps, tiny = np.finfo(part_dtype).eps, np.finfo(part_dtype).tiny
    g, w = np.asarray(got).astype(c128).ravel(), np.asarray(want).astype(c128).ravel()
    ok = np.ones(w.shape, bool)
    for take in (np.real, np.imag):
        gp, wp = take(g), take(w)
        finite = np.isfinite(wp) & (wp != 0)
        near = np.abs(gp - wp) <= ulps * eps * np.maximum(np.abs(wp), tiny)
        exact = (gp == wp) & (np.signbit(gp) == np.signbit(wp)) | (np.isnan(gp) & np.isnan(wp))
        # a zero of NumPy's may be the compiled one's denormal (an underflowing 1/z) or vice versa
        underflow = (wp == 0) & (np.abs(gp) <= ulps * eps * tiny)
        ok &= np.where(finite, near, exact | underflow)
    bad = np.nonzero(~ok)[0]
    assert not len(bad), f"{what}: {len(bad)} beyond {ulps} ulps, e.g. got {g[bad[:3]]} want {w[bad[:3]]}"


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_complex128_within_5_ulps_of_numpy_per_part(prim):
    x = np.concatenate([edge_grid(), random_points(3000, 0)]).astype(c128)
    got = compiled(prim, x)
    (interpreted,) = eval_jaxpr(one_op(prim, x.shape, c128).jaxpr, [], x)  # the interpreter is NumPy
    np.testing.assert_array_equal(interpreted, NUMPY[prim](x))
    assert_parts_within(got, NUMPY[prim](x), f64, 5, prim.name)


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_complex64_within_1_ulp_of_numpy_complex128_rounded(prim):
    x = np.concatenate([edge_grid(), random_points(3000, 1)]).astype(c64)
    got = compiled(prim, x)
    want = NUMPY[prim](x.astype(c128)).astype(c64)
    assert_parts_within(got, want, f32, 1, prim.name)


MPMATH = {
    P.asin_p: "asin",
    P.acos_p: "acos",
    P.atan_p: "atan",
    P.asinh_p: "asinh",
    P.acosh_p: "acosh",
    P.atanh_p: "atanh",
}


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_complex128_within_3_ulps_of_the_exact_value(prim):
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([edge_grid(nonfinite=False), random_points(40, 2)])
    x = x[(x.real != 0) & (x.imag != 0)]  # mpmath has no signed zeros: off the axes only
    x = x[np.random.RandomState(3).permutation(len(x))[:400]]
    got = compiled(prim, x)
    fn = getattr(mpmath, MPMATH[prim])
    with mpmath.workprec(2200):  # enough for a part 2^-2100 times the other
        want = np.array([complex(fn(mpmath.mpc(z.real, z.imag))) for z in x])
    assert_parts_within(got, want, f64, 3, prim.name)


# ---- Special values and branch cuts -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [c64, c128])
@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_inf_nan_and_signed_zero_parts_as_numpy(prim, dtype):
    parts = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 1e30, np.inf, -np.inf, np.nan]
    x = np.array([complex(a, b) for a in parts for b in parts], dtype)
    got = compiled(prim, x).astype(c128)
    want = NUMPY[prim](x.astype(c128))
    assert_parts_within(got, want, PART[dtype], 2, prim.name)


# Where each function's branch cuts lie (C99 / NumPy): on the real axis beyond +-1 for asin, acos,
# atanh, below 1 for acosh (the sign of a zero imaginary part picks the side); on the imaginary
# axis beyond +-i for asinh and atan (the sign of a zero real part picks it).
CUTS = {
    P.asin_p: ("real", [2.0, -3.5, 1e10]),
    P.acos_p: ("real", [2.0, -3.5, 1e10]),
    P.atanh_p: ("real", [2.0, -3.5, 1e10]),
    P.acosh_p: ("real", [0.5, -0.5, -3.0, -1e10]),
    P.asinh_p: ("imag", [2.0, -3.5, 1e10]),
    P.atan_p: ("imag", [2.0, -3.5, 1e10]),
}


@pytest.mark.parametrize("dtype", [c64, c128])
@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_signed_zeros_pick_the_side_of_the_branch_cut(prim, dtype):
    axis, points = CUTS[prim]
    results = []
    for zero, step in ((0.0, 1e-30), (-0.0, -1e-30)):
        if axis == "real":
            side, near = [complex(p, zero) for p in points], [complex(p, step) for p in points]
        else:
            side, near = [complex(zero, p) for p in points], [complex(step, p) for p in points]
        side = np.array(side, dtype)
        got = compiled(prim, side).astype(c128)
        assert_parts_within(got, NUMPY[prim](side.astype(c128)), PART[dtype], 5, prim.name)
        # the limit from the side the zero's sign names
        np.testing.assert_allclose(got, NUMPY[prim](np.array(near)), rtol=1e-6)
        results.append(got)
    assert np.all(results[0] != results[1])  # the two sides of the cut differ


@pytest.mark.parametrize("dtype", [c64, c128])
def test_small_arguments_keep_their_relative_precision(dtype):
    # asin z = z + z^3/6, atanh z = z + z^3/3, ...: a naive log formula returns 0 or garbage
    x = np.array([1e-30 + 2e-30j, -3e-20 + 1e-25j, 1e-8 - 1e-12j, 5e-324 + 0j][: 3 if dtype == c64 else 4], dtype)
    for prim in (P.asin_p, P.asinh_p, P.atan_p, P.atanh_p):
        got = compiled(prim, x)
        assert_parts_within(got, x, PART[dtype], 1, prim.name)  # z itself to within rounding


@pytest.mark.parametrize("dtype", [c64, c128])
def test_huge_arguments_do_not_overflow(dtype):
    top = np.finfo(PART[dtype]).max
    x = np.array([top + top * 1j, -top + 1j, 1 - top * 1j, top / 3 + 0j], dtype)
    for prim in PRIMS:
        got = compiled(prim, x)
        assert np.all(np.isfinite(got)), (prim.name, got)
        assert_parts_within(got, NUMPY[prim](x.astype(c128)).astype(dtype), PART[dtype], 5, prim.name)


# ---- Kernels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [c64, c128])
def test_all_six_in_one_fused_kernel_with_no_callbacks(dtype):
    jb = JaxprBuilder()
    x, y = jb.arg(ShapedArray((64, 33), PART[dtype])), jb.arg(ShapedArray((33,), PART[dtype]))
    yb = jb.op(P.broadcast_in_dim_p, y, shape=(64, 33), broadcast_dimensions=(1,))
    z = jb.op(P.complex_p, x, yb)
    terms = [jb.op(p, z) for p in PRIMS]
    total = terms[0]
    for t in terms[1:]:
        total = jb.op(P.add_p, jb.op(P.mul_p, total, z), t)
    r = np.random.RandomState(4)
    args = [(r.randn(64, 33) * 3).astype(PART[dtype]), (r.randn(33) * 3).astype(PART[dtype])]
    rtol = 1e-4 if dtype == c64 else 1e-11
    # an elementwise chain; the same chain into a row sum
    for out in (jb.op(P.abs_p, total), jb.op(P.reduce_sum_p, total, axes=(1,))):
        closed = jb.build([out])
        exe = compile_cpu(closed, check=True)
        assert exe.program.count("kernel") == 1 and exe.program.count("interpret") == 0
        (got,) = exe(*args)
        (want,) = eval_jaxpr(closed.jaxpr, closed.consts, *args)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.max(np.abs(want)))


@pytest.mark.parametrize("shape", [(), (0,), (3, 0)])
@pytest.mark.parametrize("dtype", [c64, c128])
def test_zero_d_and_empty_arrays(shape, dtype):
    x = np.full(shape, 0.3 - 2j, dtype)
    for prim in PRIMS:
        got = compiled(prim, x)
        assert_parts_within(got, NUMPY[prim](x.astype(c128)).astype(dtype), PART[dtype], 5, prim.name)


def test_no_longer_reported_as_interpreted():
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((3,), c64))
    for prim in PRIMS:
        jb.op(prim, x)
    assert all(why_not_native(e) is None for e in jb.eqns)
