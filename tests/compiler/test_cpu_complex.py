"""Complex numbers in the CPU back end against the NumPy interpreter, on hand-built IR.

Arithmetic that the back end computes in NumPy's order (add, sub, div with NumPy's own
algorithm, neg, conj, parts, comparisons, selection, conversions) is compared bit for bit.
Products may differ in the last bit (NumPy's loops may contract them into fused multiply-adds),
and functions built from libm are compared within a few ulps of |result|. Where NumPy itself
loses precision or overflows in an intermediate (log1p of tiny z, pow in float32), the back end is
checked against an accurate reference instead.
"""

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.cpu.coverage import coverage_table, why_not_native
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu

c64, c128, f32, f64, i32 = dtypes.complex64, dtypes.complex128, dtypes.float32, dtypes.float64, dtypes.int32
BOOL = dtypes.bool_
CDTYPES = [c64, c128]
PART = {c64: f32, c128: f64}
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on inf and nan inputs


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def A(shape, dtype):
    return ShapedArray(shape, dtype)


_PARTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 0.7, 1.0001, 100.0, -100.0, 1e-30, 1e30, -1e30, 1e-40]
_NONFINITE = [np.inf, -np.inf, np.nan]


def values(dtype, n=300, seed=0, nonfinite=False):
    """Edge values (every pair of edge parts) first, then random ones of modulus ~ 3."""
    parts = _PARTS + (_NONFINITE if nonfinite else [])
    edge = [complex(a, b) for a in parts for b in parts]
    r = np.random.RandomState(seed)
    rand = (r.randn(n) + 1j * r.randn(n)) * 3
    return np.concatenate([np.array(edge), rand]).astype(dtype)


def run(closed, args):
    exe = compile_cpu(closed, check=True)
    got = exe(*args)
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
    return exe, got, want


def one_op(prim, avals, **params):
    jb = JaxprBuilder()
    xs = [jb.arg(a) for a in avals]
    return jb.build([jb.op(prim, *xs, **params)])


def assert_exact(got, want):
    np.testing.assert_array_equal(got, want)  # NaNs compare equal in array_equal


def assert_ulps(got, want, dtype, ulps):
    """Each result within `ulps` ulps of |want| (a complex error measure, as NumPy's tests use);
    where a part of `want` is not finite, that part exactly and the other within `ulps` of itself."""
    part = PART.get(np.dtype(dtype), dtype)
    eps, tiny = np.finfo(part).eps, np.finfo(part).tiny
    g, w = np.asarray(got).astype(c128).ravel(), np.asarray(want).astype(c128).ravel()
    whole = np.abs(g - w) <= ulps * eps * np.maximum(np.abs(w), tiny)
    by_part = np.ones(w.shape, bool)
    for take in (np.real, np.imag):
        gp, wp = take(g), take(w)
        same = (gp == wp) | (np.isnan(gp) & np.isnan(wp))
        by_part &= same | (np.abs(gp - wp) <= ulps * eps * np.maximum(np.abs(wp), tiny))
    ok = np.where(np.isfinite(w), whole, by_part)
    bad = np.nonzero(~ok)[0]
    assert not len(bad), f"{len(bad)} beyond {ulps} ulps, e.g. got {g[bad[:3]]} want {w[bad[:3]]}"


# ---- Elementwise ----------------------------------------------------------------------------

EXACT_BINARY = [P.add_p, P.sub_p, P.div_p]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("prim", EXACT_BINARY + [P.eq_p, P.ne_p], ids=lambda p: getattr(p, "name", p))
def test_binary_ops_are_bit_exact(prim, dtype):
    x = values(dtype, nonfinite=True)
    y = np.roll(x[::-1], 5)
    exe, (got,), (want,) = run(one_op(prim, [A(x.shape, dtype)] * 2), [x, y])
    assert exe.program.count("interpret") == 0
    assert_exact(got, want)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_division_does_not_overflow_for_large_finite_operands(dtype):
    big = np.finfo(PART[dtype]).max / 4
    x = np.array([big + big * 1j, 1 + 1j, big, 1e-30 + 1e-30j], dtype)
    y = np.array([big + big * 1j, big + big * 1j, big * 1j, 1e-30 - 1e-30j], dtype)
    _, (got,), (want,) = run(one_op(P.div_p, [A((4,), dtype)] * 2), [x, y])
    assert_exact(got, want)
    np.testing.assert_allclose(got, [1, 1 / big, -1j, 1j], rtol=1e-6)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_products_within_one_ulp(dtype):
    x = values(dtype)
    y = np.roll(x[::-1], 3)
    _, (got,), (want,) = run(one_op(P.mul_p, [A(x.shape, dtype)] * 2), [x, y])
    assert_ulps(got, want, dtype, 2)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("prim", [P.neg_p, P.conj_p, P.real_p, P.imag_p, P.copy_p], ids=lambda p: p.name)
def test_exact_unary(prim, dtype):
    x = values(dtype, nonfinite=True)
    _, (got,), (want,) = run(one_op(prim, [A(x.shape, dtype)]), [x])
    assert_exact(got, want)


UNARY_ULPS = {
    P.abs_p: 2,
    P.sign_p: 3,
    P.sqrt_p: 3,
    P.rsqrt_p: 4,
    P.exp_p: 6,
    P.exp2_p: 6,
    P.log_p: 4,
    P.expm1_p: 8,
    P.sin_p: 8,
    P.cos_p: 8,
    P.tan_p: 8,
    P.sinh_p: 8,
    P.cosh_p: 8,
    P.tanh_p: 8,
    P.logistic_p: 8,
}


# Inputs where NumPy's answer is not the reference: x / 0 (ill-defined), NumPy's expm1 of a large
# real number (nan imaginary part: its e^a * sin 0), float32 intermediates that overflow in
# NumPy (logistic of -100: the back end computes complex64 in float64, see emit_complex.py).
SKIP = {
    P.rsqrt_p: lambda x: x == 0,
    P.expm1_p: lambda x: (x.real > 80) & (x.imag == 0),
    P.tan_p: lambda x: np.abs(x) > 1e20,
    P.tanh_p: lambda x: np.abs(x) > 1e20,
}
WIDE_REFERENCE = {P.logistic_p}  # complex64 checked against NumPy in complex128


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("prim", list(UNARY_ULPS), ids=lambda p: p.name)
def test_unary_functions_within_a_few_ulps(prim, dtype):
    x = values(dtype)
    x = x[~SKIP[prim](x)] if prim in SKIP else x
    exe, (got,), (want,) = run(one_op(prim, [A(x.shape, dtype)]), [x])
    assert exe.program.count("interpret") == 0
    if prim in WIDE_REFERENCE:
        (want,) = eval_jaxpr(one_op(prim, [A(x.shape, c128)]).jaxpr, [], x.astype(c128))
        want = want.astype(dtype)
    assert_ulps(got, want, dtype, UNARY_ULPS[prim])


@pytest.mark.parametrize("dtype", CDTYPES)
def test_abs_sqrt_log_of_huge_and_tiny_values_are_finite(dtype):
    top = np.finfo(PART[dtype]).max
    x = np.array([top / 2 + top / 2 * 1j, -top + 0.5j, 1e-40 + 1e-40j, 1 + 1e-4j], dtype)
    for prim in (P.abs_p, P.sqrt_p, P.log_p):
        _, (got,), (want,) = run(one_op(prim, [A((4,), dtype)]), [x])
        assert np.all(np.isfinite(got)), (prim.name, got)
        assert_ulps(got, want, dtype, 4)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_nonfinite_inputs_follow_c99_where_numpy_does(dtype):
    x = values(dtype, n=0, nonfinite=True)
    x = x[~np.isfinite(x)]
    for prim in (P.exp_p, P.sqrt_p, P.abs_p, P.log_p, P.tanh_p):
        _, (got,), (want,) = run(one_op(prim, [A(x.shape, dtype)]), [x])
        g, w = np.asarray(got).astype(c128), np.asarray(want).astype(c128)
        # the same class (finite / inf / nan) part by part
        for part in (np.real, np.imag):
            assert np.array_equal(np.isnan(part(g)), np.isnan(part(w))), (prim.name, x, g, w)
            assert np.array_equal(np.isinf(part(g)), np.isinf(part(w))), (prim.name, x, g, w)


def test_log1p_and_expm1_keep_precision_near_zero():
    # NumPy's complex log1p is log(1 + z) (it returns 0 for 1e-30); the back end is accurate.
    x = np.array([1e-30 + 1e-30j, -1e-8 + 2e-8j, 1e-3 - 1e-3j], c128)
    exe = compile_cpu(one_op(P.log1p_p, [A((3,), c128)]))
    (got,) = exe(x)
    want = x - x**2 / 2 + x**3 / 3 - x**4 / 4  # the series, exact enough at these sizes
    np.testing.assert_allclose(got, want, rtol=1e-12)
    (got,) = compile_cpu(one_op(P.expm1_p, [A((3,), c128)]))(x)
    np.testing.assert_allclose(got, x + x**2 / 2 + x**3 / 6 + x**4 / 24, rtol=1e-12)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_log1p_matches_numpy_away_from_zero(dtype):
    x = values(dtype)
    x = x[(np.abs(x) > 0.6) & (np.abs(x) < 1e20)]
    _, (got,), (want,) = run(one_op(P.log1p_p, [A(x.shape, dtype)]), [x])
    assert_ulps(got, want, dtype, 8)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_pow_against_an_accurate_reference(dtype):
    r = np.random.RandomState(1)
    x = ((r.randn(200) + 1j * r.randn(200)) * 2).astype(dtype)
    y = ((r.randn(200) + 1j * r.randn(200)) * 2).astype(dtype)
    x[:3], y[:3] = 0, [2.5, 0, -1 + 1j]
    exe, (got,), _ = run(one_op(P.pow_p, [A((200,), dtype)] * 2), [x, y])
    assert exe.program.count("interpret") == 0
    want = np.power(x.astype(c128), y.astype(c128))  # float64: the float32 reference's own error
    want[:3] = [0, 1, np.nan + 1j * np.nan]  # NumPy: 0 ** y = 0 for re(y) > 0, x ** 0 = 1
    bound = 40 * np.finfo(PART[dtype]).eps * np.abs(want[3:])
    assert np.all(np.abs(got[3:] - want[3:]) <= bound)
    assert_exact(got[:3].astype(c128), want[:3])


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("y", [0, 1, 2, 3, 7, -1, -4])
def test_integer_pow(dtype, y):
    x = values(dtype)
    x = x[np.abs(x) < 1e8]  # overflowing products depend on NumPy's use of fused multiply-adds
    _, (got,), (want,) = run(one_op(P.integer_pow_p, [A(x.shape, dtype)], y=y), [x])
    if y >= 0:
        assert_ulps(got, want, dtype, 2 * abs(y) + 1)  # the interpreter's multiplication order
    else:
        sane = np.abs(x) > 1e-10  # reciprocals of tiny values overflow differently
        assert_ulps(got[sane], want[sane], dtype, 2 * abs(y) + 3)


def test_complex_constructor_select_and_conversions_are_exact():
    jb = JaxprBuilder()
    a, b = jb.arg(A((7,), f32)), jb.arg(A((7,), f32))
    which = jb.arg(A((7,), BOOL))
    z = jb.op(P.complex_p, a, b)
    w = jb.op(P.mul_p, z, lit(2 - 1j, c64))
    s = jb.op(P.select_n_p, which, z, w)
    wide = jb.op(P.convert_element_type_p, s, new_dtype=c128, weak_type=False)
    back = jb.op(P.convert_element_type_p, wide, new_dtype=c64, weak_type=False)
    as_real = jb.op(P.convert_element_type_p, s, new_dtype=f32, weak_type=False)
    as_int = jb.op(P.convert_element_type_p, s, new_dtype=i32, weak_type=False)
    as_bool = jb.op(P.convert_element_type_p, s, new_dtype=BOOL, weak_type=False)
    from_int = jb.op(P.convert_element_type_p, as_int, new_dtype=c64, weak_type=False)
    outs = [wide, back, as_real, as_int, as_bool, from_int, jb.op(P.eq_p, s, z)]
    x = np.array([0, -0.0, 1.5, -2.5, np.inf, np.nan, 3e9], f32)
    exe, got, want = run(jb.build(outs), [x, x[::-1].copy(), np.arange(7) % 2 == 0])
    assert exe.program.count("interpret") == 0
    for g, w in zip(got, want, strict=True):
        assert_exact(g, w)


# ---- Fusion, reductions, products, control ----------------------------------------------------


def test_a_complex_chain_is_one_kernel_with_no_callbacks():
    jb = JaxprBuilder()
    x, y = jb.arg(A((64, 32), f32)), jb.arg(A((32,), f32))
    yb = jb.op(P.broadcast_in_dim_p, y, shape=(64, 32), broadcast_dimensions=(1,))
    z = jb.op(P.complex_p, x, yb)
    e = jb.op(P.exp_p, jb.op(P.mul_p, z, lit(1j, c64)))
    q = jb.op(P.div_p, jb.op(P.add_p, e, z), jb.op(P.sqrt_p, jb.op(P.conj_p, z)))
    r = jb.op(P.abs_p, jb.op(P.log_p, q))
    total = jb.op(P.reduce_sum_p, jb.op(P.mul_p, q, q), axes=(1,))
    r_ = np.random.RandomState(0)
    args = [r_.randn(64, 32).astype(f32), r_.randn(32).astype(f32)]
    for outs in ([r], [total]):  # an elementwise chain; the same chain into a reduction
        exe, got, want = run(jb.build(outs), args)
        assert exe.program.count("interpret") == 0
        assert exe.program.count("kernel") == 1
        np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("prim", [P.reduce_sum_p, P.reduce_prod_p], ids=lambda p: p.name)
@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1)])
def test_reductions(prim, axes, dtype):
    r = np.random.RandomState(2)
    x = (r.rand(5, 33) + 0.5 + 1j * r.randn(5, 33) * 0.3).astype(dtype)
    exe, (got,), (want,) = run(one_op(prim, [A((5, 33), dtype)], axes=axes), [x])
    assert exe.program.count("interpret") == 0
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == c64 else 1e-12)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("prim", [P.cumsum_p, P.cumprod_p], ids=lambda p: p.name)
def test_cumulative_scans(prim, dtype):
    r = np.random.RandomState(3)
    x = (r.rand(4, 9) + 0.5 + 1j * r.randn(4, 9) * 0.3).astype(dtype)
    exe, (got,), (want,) = run(one_op(prim, [A((4, 9), dtype)], axis=1, reverse=False), [x])
    assert exe.program.count("interpret") == 0
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == c64 else 1e-12)


DOTS = [
    # lhs shape, rhs shape, ((lc, rc), (lb, rb))
    ((5, 7), (7, 3), (((1,), (0,)), ((), ()))),
    ((7, 5), (7, 3), (((0,), (0,)), ((), ()))),  # lhs transposed
    ((5, 7), (3, 7), (((1,), (1,)), ((), ()))),  # rhs transposed
    ((2, 5, 7), (2, 7, 3), (((2,), (1,)), ((0,), (0,)))),  # batched
    ((7,), (7, 4), (((0,), (0,)), ((), ()))),  # vector-matrix
    ((5, 1), (1, 4), (((1,), (0,)), ((), ()))),  # k = 1: an outer product
    ((3, 4, 5), (5, 4, 2), (((1, 2), (1, 0)), ((), ()))),  # two contracted axes
    ((0, 7), (7, 3), (((1,), (0,)), ((), ()))),
    ((4, 0), (0, 3), (((1,), (0,)), ((), ()))),  # empty sum: zeros
]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("case", range(len(DOTS)))
def test_dot_general_is_a_complex_gemm_without_conjugation(case, dtype):
    ls, rs, dn = DOTS[case]
    r = np.random.RandomState(case)
    x = (r.randn(*ls) + 1j * r.randn(*ls)).astype(dtype)
    y = (r.randn(*rs) + 1j * r.randn(*rs)).astype(dtype)
    closed = one_op(
        P.dot_general_p, [A(ls, dtype), A(rs, dtype)], dimension_numbers=dn, precision=None, preferred_element_type=None
    )
    exe, (got,), (want,) = run(closed, [x, y])
    assert exe.program.count("interpret") == 0
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == c64 else 1e-13, atol=1e-5 if dtype == c64 else 1e-13)


def test_large_complex_gemm_matches_numpy():
    r = np.random.RandomState(0)
    x = (r.randn(150, 200) + 1j * r.randn(150, 200)).astype(c128)
    y = (r.randn(200, 120) + 1j * r.randn(200, 120)).astype(c128)
    dn = (((1,), (0,)), ((), ()))
    closed = one_op(
        P.dot_general_p,
        [A(x.shape, c128), A(y.shape, c128)],
        dimension_numbers=dn,
        precision=None,
        preferred_element_type=None,
    )
    exe, (got,), _ = run(closed, [x, y])
    assert exe.program.count("gemm") == 1
    np.testing.assert_allclose(got, x @ y, rtol=1e-12, atol=1e-11)


def test_complex_loop_carry_with_a_literal_start():
    jb = JaxprBuilder()
    x = jb.arg(A((4,), c64))
    body = JaxprBuilder()
    i, c = body.arg(A((), i32)), body.arg(A((4,), c64))
    body_closed = body.build([body.op(P.add_p, i, lit(1, i32)), body.op(P.mul_p, c, lit(0.5 + 0.5j, c64))])
    cond = JaxprBuilder()
    ci, _ = cond.arg(A((), i32)), cond.arg(A((4,), c64))
    cond_closed = cond.build([cond.op(P.lt_p, ci, lit(5, i32))])
    start = jb.op(P.broadcast_in_dim_p, lit(1 + 2j, c64), shape=(4,), broadcast_dimensions=())
    outs = jb.op(
        P.while_p,
        lit(0, i32),
        jb.op(P.add_p, start, x),
        cond_jaxpr=cond_closed,
        body_jaxpr=body_closed,
        cond_nconsts=0,
        body_nconsts=0,
    )
    x0 = np.array([0, 1j, -1, 2 + 2j], c64)
    exe, got, want = run(jb.build(list(outs)), [x0])
    assert exe.program.count("interpret") == 0
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_what_remains_a_callback_says_why():
    jb = JaxprBuilder()
    x = jb.arg(A((3,), c64))
    jb.op(P.cholesky_p, jb.arg(A((3, 3), c64)))  # complex LAPACK: not lowered
    jb.op(P.reduce_max_p, x, axes=(0,))
    jb.op(P.exp_p, x)
    assert "complex" in why_not_native(jb.eqns[0])
    assert why_not_native(jb.eqns[1]) is None  # complex orderings are native (emit_complex_order)
    assert why_not_native(jb.eqns[2]) is None
    table = coverage_table()
    for name in ("real", "imag", "conj", "complex"):
        assert table[name].startswith("native"), table[name]
