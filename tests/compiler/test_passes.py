"""The Jaxpr rewrites (dce, cse, fold, simplify, inline, canonical dots) and fusion's grouping.

Compiler only (no jaxlite): IR built by hand, each rewrite checked by check_jaxpr and against
compiler.interpret.eval_jaxpr; fusion pinned by counting kernels without running anything.
"""

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.cpu.coverage import coverage_table, why_not_native
from compiler.interpret import eval_jaxpr
from compiler.ir import ClosedJaxpr, Literal, ShapedArray
from compiler.passes import canonicalize_dots, cse, dce, fold_constants, inline_calls, simplify
from compiler.passes.dot import is_canonical_gemm
from compiler.passes.fusion import reshape_point
from compiler.passes.kernels import Affine
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import PASSES, lower_cpu, optimize
from compiler.typecheck import check_jaxpr

f32, f64, i32 = dtypes.float32, dtypes.float64, dtypes.int32
rng = np.random.RandomState(0)


def A(shape, dtype=f32):
    return ShapedArray(shape, dtype)


def run(closed, *args):
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def same(closed_a, closed_b, *args):
    for x, y in zip(run(closed_a, *args), run(closed_b, *args)):
        np.testing.assert_array_equal(x, y)


def prims(closed):
    return [e.prim for e in closed.jaxpr.eqns]


# ---- dce / cse / fold / simplify ------------------------------------------------------------


def test_dce_drops_unused_equations_only():
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    used = jb.op(P.sin_p, x)
    jb.op(P.cos_p, x)  # dead
    jb.op(P.exp_p, jb.op(P.neg_p, x))  # dead chain
    closed = jb.build([used])
    out = dce(closed)
    check_jaxpr(out)
    assert prims(out) == [P.sin_p]
    same(closed, out, rng.randn(3).astype(f32))


def test_cse_merges_equal_equations_but_not_different_zeros():
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    a = jb.op(P.add_p, x, lit(1.0, f32))
    b = jb.op(P.add_p, x, lit(1.0, f32))
    c = jb.op(P.mul_p, x, lit(0.0, f32))
    d = jb.op(P.mul_p, x, lit(-0.0, f32))  # differs from c for x < 0
    closed = jb.build([jb.op(P.mul_p, a, b), c, d])
    out = dce(cse(closed))
    check_jaxpr(out)
    assert prims(out).count(P.add_p) == 1
    assert prims(out).count(P.mul_p) == 3
    same(closed, out, np.array([-1.0, 0.0, 2.0], f32))


def test_cse_keeps_multiple_result_equations_apart_by_params():
    jb = JaxprBuilder()
    x = jb.arg(A((2, 3)))
    (s0,) = jb.op(P.sort_p, x, dimension=0, is_stable=True, num_keys=1)
    (s1,) = jb.op(P.sort_p, x, dimension=1, is_stable=True, num_keys=1)
    (s2,) = jb.op(P.sort_p, x, dimension=1, is_stable=True, num_keys=1)
    out = cse(jb.build([s0, s1, s2]))
    check_jaxpr(out)
    assert prims(out).count(P.sort_p) == 2


def test_fold_literal_only_scalar_equations():
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    two = jb.op(P.add_p, lit(1.0, f32), lit(1.0, f32))
    half = jb.op(P.div_p, lit(1.0, f32), two)
    n = jb.op(P.convert_element_type_p, lit(7, i32), new_dtype=f32, weak_type=False)
    closed = jb.build([jb.op(P.mul_p, jb.op(P.mul_p, x, half), n)])
    out = dce(fold_constants(closed))
    check_jaxpr(out)
    assert prims(out) == [P.mul_p, P.mul_p]
    lits = [a for e in out.jaxpr.eqns for a in e.invars if isinstance(a, Literal)]
    assert sorted(float(v.val) for v in lits) == [0.5, 7.0]
    same(closed, out, rng.randn(3).astype(f32))


def test_fold_leaves_errors_and_arrays_alone():
    jb = JaxprBuilder()
    big = jb.op(P.broadcast_in_dim_p, lit(2.0, f32), shape=(4,), broadcast_dimensions=())
    closed = jb.build([big])
    assert prims(fold_constants(closed)) == [P.broadcast_in_dim_p]


@pytest.mark.parametrize(
    "op, const, dtype, removed",
    [
        (P.mul_p, 1, f32, True),
        (P.div_p, 1, f32, True),
        (P.sub_p, 0, f32, True),
        (P.add_p, -0.0, f32, True),
        (P.add_p, 0.0, f32, False),
        (P.add_p, 0, i32, True),
        (P.mul_p, 2, f32, False),
    ],
)
def test_simplify_only_exact_identities(op, const, dtype, removed):
    jb = JaxprBuilder()
    x = jb.arg(A((4,), dtype))
    closed = jb.build([jb.op(op, x, lit(const, dtype))])
    out = simplify(closed)
    check_jaxpr(out)
    assert (len(out.jaxpr.eqns) == 0) == removed
    vals = np.array([-0.0, 0.0, np.nan, -3.5], dtype) if dtype == f32 else np.array([-3, 0, 5, 7], dtype)
    for a, b in zip(run(closed, vals), run(out, vals)):
        assert a.tobytes() == b.tobytes()  # bit for bit, the sign of zero included


def test_simplify_drops_identity_movement_and_double_negation():
    jb = JaxprBuilder()
    x = jb.arg(A((2, 3)))
    y = jb.op(P.transpose_p, x, permutation=(0, 1))
    y = jb.op(P.reshape_p, y, new_sizes=(2, 3), dimensions=None)
    y = jb.op(P.neg_p, jb.op(P.neg_p, y))
    y = jb.op(P.reduce_sum_p, y, axes=())
    out = dce(simplify(jb.build([y])))
    check_jaxpr(out)
    assert out.jaxpr.eqns == [] and out.jaxpr.outvars[0] is x


# ---- inlining -------------------------------------------------------------------------------


def _callee():
    jb = JaxprBuilder()
    a, b = jb.arg(A((3,))), jb.arg(A((3,)))
    return jb.build([jb.op(P.mul_p, jb.op(P.sin_p, a), b), a])


def test_inline_nested_calls_keeps_ssa():
    inner = _callee()
    mid = JaxprBuilder()
    u, v = mid.arg(A((3,))), mid.arg(A((3,)))
    r1, r2 = mid.op(P.jit_p, u, v, jaxpr=inner, name="inner")
    s1, _ = mid.op(P.jit_p, r1, r2, jaxpr=inner, name="inner")  # the same callee twice
    middle = mid.build([mid.op(P.add_p, s1, r2)])
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    (out,) = jb.op(P.jit_p, x, x, jaxpr=middle, name="middle")
    closed = jb.build([out])
    check_jaxpr(closed)
    flat = inline_calls(closed)
    check_jaxpr(flat)
    assert P.jit_p not in prims(flat)
    assert prims(flat).count(P.sin_p) == 2
    same(closed, flat, rng.randn(3).astype(f32))


def test_inline_callee_with_consts_adds_constvars():
    cj = JaxprBuilder()
    a = cj.arg(A((2,)))
    c = cj.const(np.array([10.0, 20.0], f32))
    callee = cj.build([cj.op(P.add_p, a, c)])
    jb = JaxprBuilder()
    x = jb.arg(A((2,)))
    (out,) = jb.op(P.jit_p, x, jaxpr=callee, name="f")
    closed = jb.build([out])
    flat = inline_calls(closed)
    check_jaxpr(flat)
    assert len(flat.consts) == 1
    same(closed, flat, np.array([1.0, 2.0], f32))


def test_inline_passes_input_through():
    inner = _callee()
    jb = JaxprBuilder()
    x, y = jb.arg(A((3,))), jb.arg(A((3,)))
    _, passthrough = jb.op(P.jit_p, x, y, jaxpr=inner, name="inner")
    flat = dce(inline_calls(jb.build([passthrough])))
    check_jaxpr(flat)
    assert flat.jaxpr.eqns == [] and flat.jaxpr.outvars[0] is x


# ---- canonical dots -------------------------------------------------------------------------

DOT_CASES = [
    ((4, 5), (5, 3), (((1,), (0,)), ((), ()))),
    ((5, 4), (5, 3), (((0,), (0,)), ((), ()))),  # lhs transposed: gemm reads it with trans
    ((4, 5), (3, 5), (((1,), (1,)), ((), ()))),
    ((2, 4, 5), (2, 5, 3), (((2,), (1,)), ((0,), (0,)))),
    ((4, 2, 5), (5, 3, 2), (((2,), (0,)), ((1,), (2,)))),  # batch dims anywhere
    ((2, 3, 4, 5), (4, 5, 6), (((2, 3), (0, 1)), ((), ()))),  # two contracted axes
    ((5,), (5,), (((0,), (0,)), ((), ()))),  # vector . vector
    ((3, 5), (5,), (((1,), (0,)), ((), ()))),
    ((3,), (4,), (((), ()), ((), ()))),  # outer product
]


@pytest.mark.parametrize("dtype", [f32, f64, i32, dtypes.bool_, dtypes.float16])
@pytest.mark.parametrize("ls, rs, dims", DOT_CASES)
def test_canonical_dots_match_the_interpreter(ls, rs, dims, dtype):
    jb = JaxprBuilder()
    x, y = jb.arg(A(ls, dtype)), jb.arg(A(rs, dtype))
    closed = jb.build(
        [jb.op(P.dot_general_p, x, y, dimension_numbers=dims, precision=None, preferred_element_type=None)]
    )
    out = canonicalize_dots(closed)
    check_jaxpr(out)
    for e in out.jaxpr.eqns:
        if e.prim is P.dot_general_p:
            assert is_canonical_gemm(e)
    if dtype in (i32, dtypes.bool_):
        assert P.dot_general_p not in prims(out)
    args = [(rng.randn(*s) * 3).astype(dtype) for s in (ls, rs)]
    for a, b in zip(run(closed, *args), run(out, *args)):
        np.testing.assert_allclose(
            a.astype(f64), b.astype(f64), rtol=1e-5 if dtype != dtypes.float16 else 1e-2
        )


@pytest.mark.parametrize(
    "ls, rs, dims, perm",
    [
        ((6, 5), (6, 4), (((0,), (0,)), ((), ())), (1, 0)),  # a weight gradient h^T dz, transposed
        ((3, 6, 5), (3, 4, 6), (((1,), (2,)), ((0,), (0,))), (0, 2, 1)),  # batched
    ],
)
def test_a_transposed_product_is_the_swapped_product(ls, rs, dims, perm):
    jb = JaxprBuilder()
    x, y = jb.arg(A(ls)), jb.arg(A(rs))
    d = jb.op(P.dot_general_p, x, y, dimension_numbers=dims, precision=None, preferred_element_type=None)
    closed = jb.build([jb.op(P.transpose_p, d, permutation=perm)])
    out = canonicalize_dots(closed)
    check_jaxpr(out)
    assert P.transpose_p not in prims(out) and prims(out).count(P.dot_general_p) == 1
    args = [rng.randn(*s).astype(f32) for s in (ls, rs)]
    np.testing.assert_allclose(run(out, *args)[0], run(closed, *args)[0], rtol=1e-5, atol=1e-6)


def test_a_product_used_elsewhere_too_keeps_its_transpose():
    jb = JaxprBuilder()
    x, y = jb.arg(A((6, 5))), jb.arg(A((5, 4)))
    d = jb.op(P.dot_general_p, x, y, dimension_numbers=(((1,), (0,)), ((), ())), precision=None,
              preferred_element_type=None)
    closed = jb.build([jb.op(P.transpose_p, d, permutation=(1, 0)), d])
    out = canonicalize_dots(closed)
    assert P.transpose_p in prims(out)
    args = [rng.randn(*s).astype(f32) for s in ((6, 5), (5, 4))]
    for a, b in zip(run(out, *args), run(closed, *args)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_transposed_operands_need_no_copy():
    jb = JaxprBuilder()
    x, y = jb.arg(A((5, 4))), jb.arg(A((3, 5)))
    closed = jb.build(
        [
            jb.op(
                P.dot_general_p,
                x,
                y,
                dimension_numbers=(((0,), (1,)), ((), ())),
                precision=None,
                preferred_element_type=None,
            )
        ]
    )
    _, program = lower_cpu(closed, check=True)
    assert program.count("gemm") == 1 and program.count("kernel") == 0
    gemm = program.steps[0]
    assert gemm.trans_a and gemm.trans_b


# ---- the pipeline ---------------------------------------------------------------------------


def test_every_pass_is_named_and_keeps_the_ir_valid():
    names = [n for n, _ in PASSES]
    assert len(set(names)) == len(names)
    jb = JaxprBuilder()
    x = jb.arg(A((3, 4)))
    y = jb.op(P.add_p, jb.op(P.mul_p, x, lit(1.0, f32)), jb.op(P.mul_p, x, lit(1.0, f32)))
    y = jb.op(
        P.dot_general_p,
        y,
        jb.op(P.transpose_p, x, permutation=(1, 0)),
        dimension_numbers=(((1,), (0,)), ((), ())),
        precision=None,
        preferred_element_type=None,
    )
    dumps = []
    out = optimize(jb.build([y]), dump=lambda name, text: dumps.append(name), check=True)
    assert dumps == ["input"] + names
    same(jb.build([y]), out, rng.randn(3, 4).astype(f32))


# ---- fusion ---------------------------------------------------------------------------------


def lower(closed):
    return lower_cpu(closed, check=True)[1]


def test_elementwise_chain_into_reduction_is_one_kernel():
    jb = JaxprBuilder()
    x, y = jb.arg(A((100, 50))), jb.arg(A((100, 50)))
    z = jb.op(P.tanh_p, jb.op(P.add_p, jb.op(P.mul_p, x, y), lit(2.0, f32)))
    s = jb.op(P.reduce_sum_p, jb.op(P.exp_p, z), axes=(1,))
    program = lower(jb.build([s]))
    assert program.count("kernel") == 1 and program.count("gemm") == 0
    assert program.arena_bytes == 0  # nothing materialised in between


def test_matmul_bias_tanh_is_one_gemm_and_one_kernel():
    jb = JaxprBuilder()
    x, w, b = jb.arg(A((128, 784))), jb.arg(A((784, 512))), jb.arg(A((512,)))
    h = jb.op(
        P.dot_general_p,
        x,
        w,
        dimension_numbers=(((1,), (0,)), ((), ())),
        precision=None,
        preferred_element_type=None,
    )
    h = jb.op(P.add_p, h, jb.op(P.broadcast_in_dim_p, b, shape=(128, 512), broadcast_dimensions=(1,)))
    program = lower(jb.build([jb.op(P.tanh_p, h)]))
    assert (program.count("gemm"), program.count("kernel"), program.count("interpret")) == (1, 1, 0)


def test_value_used_twice_is_stored_once_by_its_kernel():
    jb = JaxprBuilder()
    x = jb.arg(A((64,)))
    y = jb.op(P.exp_p, x)
    s = jb.op(P.reduce_sum_p, y, axes=(0,))
    program = lower(jb.build([y, s]))  # multi-output: y is stored while the sum runs
    assert program.count("kernel") == 1


def test_broadcast_along_an_inner_axis_is_fused_along_an_outer_axis_is_not():
    jb = JaxprBuilder()
    x, r = jb.arg(A((8, 16))), jb.arg(A((8,)))
    per_row = jb.op(P.exp_p, r)  # computed once per row: fuses
    y = jb.op(P.mul_p, x, jb.op(P.broadcast_in_dim_p, per_row, shape=(8, 16), broadcast_dimensions=(0,)))
    assert lower(jb.build([y])).count("kernel") == 1
    jb = JaxprBuilder()
    x, c = jb.arg(A((8, 16))), jb.arg(A((16,)))
    per_col = jb.op(P.exp_p, c)  # would be recomputed for every row: materialised
    y = jb.op(P.mul_p, x, jb.op(P.broadcast_in_dim_p, per_col, shape=(8, 16), broadcast_dimensions=(1,)))
    assert lower(jb.build([y])).count("kernel") == 2


def test_value_read_at_two_points_is_not_duplicated():
    jb = JaxprBuilder()
    x = jb.arg(A((10,)))
    e = jb.op(P.exp_p, x)
    y = jb.op(P.add_p, e, jb.op(P.rev_p, e, dimensions=(0,)))
    program = lower(jb.build([y]))
    assert program.count("kernel") == 2


def test_reshape_of_a_buffer_is_an_alias_and_movement_fuses():
    jb = JaxprBuilder()
    x = jb.arg(A((4, 6)))
    e = jb.op(P.sin_p, x)
    flat = jb.op(P.reshape_p, e, new_sizes=(24,), dimensions=None)  # a merge: e is stored
    s = jb.op(P.reduce_max_p, jb.op(P.mul_p, flat, flat), axes=(0,))
    t = jb.op(P.transpose_p, jb.op(P.cos_p, x), permutation=(1, 0))
    program = lower(jb.build([s, t]))
    assert program.count("kernel") == 3  # sin; the merge read as a flat view; cos transposed
    assert not any(b.kind == "alias" for b in program.buffers.values())
    (sorted_flat,) = jb.op(P.sort_p, flat, dimension=0, is_stable=True, num_keys=1)
    program = lower(jb.build([sorted_flat]))  # a non-fusible consumer reads e's storage
    assert program.count("kernel") == 1
    assert any(b.kind == "alias" for b in program.buffers.values())


def test_unsupported_primitives_become_visible_interpreter_steps():
    jb = JaxprBuilder()
    x = jb.arg(A((3, 3)))
    w = jb.op(P.complex_p, jb.op(P.neg_p, x), x)
    z = jb.op(P.triangular_solve_p, w, w, left_side=True, lower=True, transpose_a=False)  # complex: not lowered
    c = jb.op(P.real_p, z)
    program = lower(jb.build([jb.op(P.exp_p, c)]))
    assert program.count("interpret") == 1 and program.count("kernel") == 2
    report = program.report()
    assert "INTERPRETER CALLBACK triangular_solve" in report


def test_reshape_points():
    p = (Affine.var(0), Affine.var(1))
    assert reshape_point((6,), (2, 3), p) == (Affine(0, ((0, 3), (1, 1))),)
    assert reshape_point((2, 3), (6,), (Affine.var(0),)) is None  # a merge is not affine
    assert reshape_point((1, 6, 1), (2, 3), p) == (Affine(), Affine(0, ((0, 3), (1, 1))), Affine())


def test_coverage_names_every_primitive():
    table = coverage_table()
    assert set(table) == {p.name for p in P.ALL_PRIMITIVES}
    for name, status in table.items():
        assert status.startswith("native") or status.startswith("interpreter: "), (name, status)
    assert table["add"].startswith("native") and table["dot_general"].startswith("native")
    jb = JaxprBuilder()
    x = jb.arg(A((2,), dtypes.complex64))
    jb.op(P.cholesky_p, jb.arg(A((2, 2), dtypes.complex64)))  # complex LAPACK: not lowered
    assert "complex" in why_not_native(jb.eqns[0])
    jb.op(P.exp_p, x)
    assert why_not_native(jb.eqns[1]) is None


def test_program_render_is_deterministic_and_bit_exact():
    def build(c):
        jb = JaxprBuilder()
        x = jb.arg(A((3,)))
        return jb.build([jb.op(P.mul_p, x, lit(c, f32))])

    r1, r2 = lower(build(-0.0)).render(), lower(build(-0.0)).render()
    assert r1 == r2
    assert lower(build(0.0)).render() != r1


def test_literal_and_input_outputs():
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    closed = ClosedJaxpr(jb.build([x]).jaxpr, [])
    closed.jaxpr.outvars.append(lit(2.5, f32))
    check_jaxpr(closed)
    program = lower(closed)
    assert [o[0] for o in program.outputs] == ["input", "literal"]
