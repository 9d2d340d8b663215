"""Native scan / while / cond in the CPU back end, on hand-built IR (no jaxlite): results equal
the NumPy interpreter's, the program has no interpreter callback for them, and a loop of 1000
iterations enters Python zero times."""

import numpy as np
import pytest

from compiler import dtypes, runtime
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu, lower_cpu

f32, f64, i32 = dtypes.float32, dtypes.float64, dtypes.int32


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))


def A(shape, dtype=f32):
    return ShapedArray(tuple(shape), np.dtype(dtype))


def run_both(closed, *args):
    """(compiled results, interpreter results, executable), after checking no control-flow
    equation became a callback."""
    exe = compile_cpu(closed, check=True)
    for s in exe._interp.values():
        assert s.eqn.prim not in (P.scan_p, P.while_p, P.cond_p)
    got = exe(*[np.asarray(a) for a in args])
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    return got, want, exe


def assert_same(got, want, rtol=1e-6):
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-6)
        else:
            np.testing.assert_array_equal(g, w)


def _scan_program(n, length, reverse, dtype=f32):
    """carry' = carry * w + x; y = carry * 2 (w a const, xs stacked)."""
    bj = JaxprBuilder()
    w, c, x = bj.arg(A((n,), dtype)), bj.arg(A((n,), dtype)), bj.arg(A((n,), dtype))
    new_c = bj.op(P.add_p, bj.op(P.mul_p, c, w), x)
    body = bj.build([new_c, bj.op(P.mul_p, c, lit(2, dtype))])
    jb = JaxprBuilder()
    w, c, xs = jb.arg(A((n,), dtype)), jb.arg(A((n,), dtype)), jb.arg(A((length, n), dtype))
    outs = jb.op(P.scan_p, w, c, xs, jaxpr=body, num_consts=1, num_carry=1, length=length, reverse=reverse, unroll=1)
    return jb.build(outs)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [f32, f64, i32])
@pytest.mark.parametrize("n, length", [(5, 7), (100, 7), (100, 8)])  # 100: double-buffered carry
def test_scan_carry_consts_xs_ys(reverse, dtype, n, length):
    closed = _scan_program(n, length, reverse, dtype)
    rng = np.random.default_rng(0)
    w = (rng.integers(-2, 3, n)).astype(dtype)
    c = rng.integers(-3, 4, n).astype(dtype)
    xs = rng.integers(-5, 6, (length, n)).astype(dtype)
    got, want, exe = run_both(closed, w, c, xs)
    assert_same(got, want)
    assert exe.program.count("loop") == 1 and exe.program.count("interpret") == 0
    assert f"native scan loop L0 of {length} iterations" in exe.report()


def test_zero_length_scan_and_empty_arrays():
    got, want, _ = run_both(_scan_program(3, 0, False), np.ones(3, f32), np.full(3, 2.0, f32), np.zeros((0, 3), f32))
    assert_same(got, want)
    got, want, _ = run_both(_scan_program(0, 4, True), np.ones(0, f32), np.ones(0, f32), np.zeros((4, 0), f32))
    assert_same(got, want)


def test_scan_without_xs_literal_init_swapped_and_passed_through_carries():
    # carries (a, b, k): a' = b, b' = a (a swap: no copy may clobber the other), k' = k + 1;
    # ys: a literal, k itself (a passed-through operand) and b + 1
    bj = JaxprBuilder()
    a, b, k = bj.arg(A((2,))), bj.arg(A((2,))), bj.arg(A((), i32))
    k1 = bj.op(P.add_p, k, lit(1, i32))
    body = bj.build([b, a, k1, lit(3.5, f32), k, bj.op(P.add_p, b, lit(1.0, f32))])
    jb = JaxprBuilder()
    a, b = jb.arg(A((2,))), jb.arg(A((2,)))
    outs = jb.op(P.scan_p, a, b, lit(10, i32), jaxpr=body, num_consts=0, num_carry=3, length=5, reverse=False, unroll=1)
    closed = jb.build(outs)
    got, want, _ = run_both(closed, np.array([1, 2], f32), np.array([3, 4], f32))
    assert_same(got, want)
    np.testing.assert_array_equal(got[4], np.arange(10, 15, dtype=np.int32))


def test_scan_of_bool_and_0d_carries():
    bj = JaxprBuilder()
    flag, s, x = bj.arg(A((), dtypes.bool_)), bj.arg(A((), f64)), bj.arg(A((), f64))
    pos = bj.op(P.gt_p, x, lit(0.0, f64))
    body = bj.build([bj.op(P.xor_p, flag, pos), bj.op(P.add_p, s, x), pos])
    jb = JaxprBuilder()
    flag, s, xs = jb.arg(A((), dtypes.bool_)), jb.arg(A((), f64)), jb.arg(A((6,), f64))
    outs = jb.op(P.scan_p, flag, s, xs, jaxpr=body, num_consts=0, num_carry=2, length=6, reverse=True, unroll=1)
    closed = jb.build(outs)
    xs = np.array([1.0, -2.0, 3.0, 0.5, -1.0, 2.0])
    got, want, _ = run_both(closed, np.bool_(True), np.float64(0.25), xs)
    assert_same(got, want)


def test_scan_with_gemm_body_and_nested_scan():
    n = 8
    # inner scan: h' = tanh(h @ W + x) over rows of a (3, n) block; outer scan over blocks
    ij = JaxprBuilder()
    w, h, x = ij.arg(A((n, n))), ij.arg(A((1, n))), ij.arg(A((1, n)))
    prod = ij.op(
        P.dot_general_p, h, w, dimension_numbers=(((1,), (0,)), ((), ())), precision=None, preferred_element_type=None
    )
    hn = ij.op(P.tanh_p, ij.op(P.add_p, prod, x))
    inner = ij.build([hn, ij.op(P.reduce_sum_p, hn, axes=(0, 1))])
    oj = JaxprBuilder()
    w, h, blk = oj.arg(A((n, n))), oj.arg(A((1, n))), oj.arg(A((3, 1, n)))
    h2, sums = oj.op(P.scan_p, w, h, blk, jaxpr=inner, num_consts=1, num_carry=1, length=3, reverse=False, unroll=1)
    outer = oj.build([h2, oj.op(P.reduce_max_p, sums, axes=(0,))])
    jb = JaxprBuilder()
    w, h, xs = jb.arg(A((n, n))), jb.arg(A((1, n))), jb.arg(A((4, 3, 1, n)))
    outs = jb.op(P.scan_p, w, h, xs, jaxpr=outer, num_consts=1, num_carry=1, length=4, reverse=True, unroll=1)
    closed = jb.build(outs)
    rng = np.random.default_rng(1)
    args = (
        rng.normal(size=(n, n)).astype(f32) / 3,
        rng.normal(size=(1, n)).astype(f32),
        rng.normal(size=(4, 3, 1, n)).astype(f32),
    )
    got, want, exe = run_both(closed, *args)
    assert_same(got, want, rtol=1e-5)
    assert exe.program.count("loop") == 2 and exe.program.count("gemm") == 1


def _while_program(m=3):
    """(i, x): while i < n: x = x * 1.5 + 1, i += 1 (n a cond const)."""
    cj = JaxprBuilder()
    n, i, x = cj.arg(A((), i32)), cj.arg(A((), i32)), cj.arg(A((m,)))
    cond = cj.build([cj.op(P.lt_p, i, n)])
    bj = JaxprBuilder()
    i, x = bj.arg(A((), i32)), bj.arg(A((m,)))
    body = bj.build([bj.op(P.add_p, i, lit(1, i32)), bj.op(P.add_p, bj.op(P.mul_p, x, lit(1.5, f32)), lit(1.0, f32))])
    jb = JaxprBuilder()
    n, x = jb.arg(A((), i32)), jb.arg(A((m,)))
    outs = jb.op(P.while_p, n, lit(0, i32), x, cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=1, body_nconsts=0)
    return jb.build(outs)


@pytest.mark.parametrize("n", [0, 1, 8, 9])
@pytest.mark.parametrize("m", [3, 90])  # 90: a double-buffered carry (either parity at the end)
def test_while_dynamic_trip_count(n, m):
    x = np.linspace(-2.0, 1.0, m).astype(f32)
    got, want, exe = run_both(_while_program(m), np.int32(n), x)
    assert_same(got, want)
    assert got[0] == n and "native while loop" in exe.report()


def _unary(prim, dtype=f32):
    jb = JaxprBuilder()
    x = jb.arg(A((4,), dtype))
    return jb.build([jb.op(prim, x)])


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64, np.uint8])
def test_cond_clamps_its_index(index_dtype):
    def passthrough():
        jb = JaxprBuilder()
        x = jb.arg(A((4,)))
        return jb.build([x])

    branches = (_unary(P.neg_p), _unary(P.sin_p), passthrough())
    jb = JaxprBuilder()
    i, x = jb.arg(A((), index_dtype)), jb.arg(A((4,)))
    (out,) = jb.op(P.cond_p, i, x, branches=branches)
    closed = jb.build([out])
    x = np.array([0.5, -1.0, 2.0, 0.0], f32)
    exe = compile_cpu(closed, check=True)
    assert exe.program.count("branch") == 1 and exe.program.count("interpret") == 0
    indices = [0, 1, 2, 3, 200] + ([-1, -7] if np.dtype(index_dtype).kind == "i" else [])
    for idx in indices:
        (got,) = exe(np.asarray(idx, index_dtype), x)
        (want,) = eval_jaxpr(closed.jaxpr, closed.consts, np.asarray(idx, index_dtype), x)
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_cond_inside_scan_and_scan_inside_cond():
    br0 = _scan_program(3, 4, False)
    jb = JaxprBuilder()
    w, c, xs = jb.arg(A((3,))), jb.arg(A((3,))), jb.arg(A((4, 3)))
    br1 = jb.build([c, xs])
    jb = JaxprBuilder()
    i, w, c, xs = jb.arg(A((), i32)), jb.arg(A((3,))), jb.arg(A((3,))), jb.arg(A((4, 3)))
    outs = jb.op(P.cond_p, i, w, c, xs, branches=(br0, br1))
    closed = jb.build(outs)
    rng = np.random.default_rng(2)
    args = [rng.normal(size=s).astype(f32) for s in [(3,), (3,), (4, 3)]]
    for idx in (0, 1, 5):
        got, want, exe = run_both(closed, np.int32(idx), *args)
        assert_same(got, want)
    assert exe.program.count("loop") == 1 and exe.program.count("branch") == 1


def test_a_1000_step_scan_is_one_native_loop_with_no_python_calls():
    closed = _scan_program(16, 1000, False)
    rng = np.random.default_rng(3)
    args = (np.full(16, 0.999, f32), rng.normal(size=16).astype(f32), rng.normal(size=(1000, 16)).astype(f32) * 1e-3)
    exe = compile_cpu(closed)
    _, program = lower_cpu(closed)
    assert program.count("loop") == 1 and program.count("interpret") == 0
    before = runtime.STATS["interpreter_callbacks"]
    got = exe(*args)
    assert runtime.STATS["interpreter_callbacks"] == before
    assert_same(got, eval_jaxpr(closed.jaxpr, closed.consts, *args), rtol=1e-5)
    assert "native scan loop L0 of 1000 iterations" in exe.report()


def test_an_uncompiled_step_inside_a_loop_still_runs_per_iteration():
    # cumsum is not (yet) compiled here: it is a callback inside the native loop, addressing
    # the current iteration's slices; the count of Python entries is iterations x callbacks
    bj = JaxprBuilder()
    c, x = bj.arg(A((4,))), bj.arg(A((4,)))
    cs = bj.op(P.cumsum_p, x, axis=0, reverse=False)
    body = bj.build([bj.op(P.add_p, c, cs), cs])
    jb = JaxprBuilder()
    c, xs = jb.arg(A((4,))), jb.arg(A((6, 4)))
    outs = jb.op(P.scan_p, c, xs, jaxpr=body, num_consts=0, num_carry=1, length=6, reverse=True, unroll=1)
    closed = jb.build(outs)
    rng = np.random.default_rng(4)
    before = runtime.STATS["interpreter_callbacks"]
    got, want, exe = run_both(closed, rng.normal(size=4).astype(f32), rng.normal(size=(6, 4)).astype(f32))
    assert_same(got, want, rtol=1e-5)
    assert runtime.STATS["interpreter_callbacks"] - before == 6 * exe.program.count("interpret")


@pytest.mark.parametrize("inner_length", [3, 4])
def test_double_buffered_carry_whose_state_is_a_slice_of_an_outer_scan(inner_length):
    # the inner scan's final carry is the outer body's stacked output: its state buffer is the
    # outer loop's current slice, and the pointer swaps must land the result there
    n = 96
    ij = JaxprBuilder()
    c, x = ij.arg(A((n,))), ij.arg(A((n,)))
    inner = ij.build([ij.op(P.add_p, ij.op(P.mul_p, c, lit(0.5, f32)), x)])
    oj = JaxprBuilder()
    c, blk = oj.arg(A((n,))), oj.arg(A((inner_length, n)))
    (cf,) = oj.op(
        P.scan_p, c, blk, jaxpr=inner, num_consts=0, num_carry=1, length=inner_length, reverse=False, unroll=1
    )
    outer = oj.build([oj.op(P.add_p, c, lit(1.0, f32)), cf])
    jb = JaxprBuilder()
    c, xs = jb.arg(A((n,))), jb.arg(A((5, inner_length, n)))
    outs = jb.op(P.scan_p, c, xs, jaxpr=outer, num_consts=0, num_carry=1, length=5, reverse=False, unroll=1)
    closed = jb.build(outs)
    rng = np.random.default_rng(5)
    got, want, _ = run_both(closed, rng.normal(size=n).astype(f32), rng.normal(size=(5, inner_length, n)).astype(f32))
    assert_same(got, want)
