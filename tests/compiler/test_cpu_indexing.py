"""Native indexing, scans and random bits in the CPU back end, against the NumPy interpreter.

pad, concatenate, dynamic_slice, dynamic_update_slice and gather are loads at computed, clamped
addresses inside fused kernels; scatters, cumulative scans and threefry2x32 are kernels of their
own. Results are compared bit for bit (same operations in the same order as the interpreter),
out-of-range start indices and indices included, and the kernel counts are pinned.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import dtypes
from compiler import primitives as P
from compiler.cpu.coverage import coverage_table
from compiler.interpret import eval_jaxpr
from compiler.interpret_random import threefry2x32
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu
from compiler.primitives import GatherDimensionNumbers as GDN
from compiler.primitives import GatherScatterMode as M
from compiler.primitives import ScatterDimensionNumbers as SDN

f16, f32, f64 = dtypes.float16, dtypes.float32, dtypes.float64
i8, i32, i64, u8, u32, u64 = dtypes.int8, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint32, dtypes.uint64
BOOL = dtypes.bool_
rng = np.random.RandomState(0)
NATIVE = [
    "pad", "concatenate", "dynamic_slice", "dynamic_update_slice", "gather", "scatter", "scatter_add",
    "scatter_mul", "scatter_min", "scatter_max", "cumsum", "cumprod", "cummax", "cummin",
    "cumlogsumexp", "threefry2x32",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def A(shape, dtype=f32):
    return ShapedArray(shape, dtype)


def values(shape, dtype, seed=0):
    r = np.random.RandomState(seed)
    if dtype == BOOL:
        return np.asarray(r.rand(*shape) < 0.5)
    if dtypes.is_float(dtype):
        return np.asarray(r.randn(*shape) * 3).astype(dtype)
    info = np.iinfo(dtype)
    return np.asarray(r.randint(max(info.min, -100), min(info.max, 100) + 1, size=shape)).astype(dtype)


def check(closed, args, kernels=None, rtol=None):
    exe = compile_cpu(closed, check=True)
    got = exe(*args)
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if rtol is None:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g.astype(f64), w.astype(f64), rtol=rtol, atol=1e-6, equal_nan=True)
    assert exe.program.count("interpret") == 0, exe.program.report()
    if kernels is not None:
        assert exe.program.count("kernel") == kernels, exe.program.report()
    return exe


def test_coverage_lists_them_native():
    table = coverage_table()
    for name in NATIVE:
        assert table[name].startswith("native"), (name, table[name])


# ---- pad and concatenate ----------------------------------------------------------------------

PAD_CONFIGS = [
    ((1, 2, 0),),
    ((0, 0, 2),),
    ((-1, 2, 1),),
    ((-2, -1, 0),),
    ((2, -3, 3),),
    ((0, 0, 0), (1, 1, 0)),
    ((1, -1, 1), (-1, 2, 2)),
    ((0, 0, 0), (0, 0, 0), (3, 0, 1)),
]


@pytest.mark.parametrize("config", PAD_CONFIGS)
@pytest.mark.parametrize("dtype", [f32, i32, BOOL, f16])
def test_pad_fused_into_its_consumer(config, dtype):
    shape = (5, 4, 3)[: len(config)]
    jb = JaxprBuilder()
    x = jb.arg(A(shape, dtype))
    padval = jb.arg(A((), dtype))
    y = jb.op(P.pad_p, x, padval, padding_config=config)
    out = jb.op(P.not_p, y) if dtype == BOOL else jb.op(P.mul_p, y, lit(2, dtype))
    check(jb.build([out]), [values(shape, dtype), values((), dtype, 1)], kernels=1)


def test_pad_edge_cases():
    for shape, config in [((0,), ((2, 1, 3),)), ((3,), ((-3, 0, 0),)), ((1,), ((0, 0, 5),)), ((), ())]:
        jb = JaxprBuilder()
        x = jb.arg(A(shape))
        y = jb.op(P.pad_p, x, lit(7.0, f32), padding_config=config)
        check(jb.build([jb.op(P.add_p, y, lit(1.0, f32))]), [values(shape, f32)], kernels=1)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=3),
    st.data(),
)
def test_pad_random_configs(shape, data):
    config = tuple(
        (data.draw(st.integers(-d, 3)), data.draw(st.integers(-d, 3)), data.draw(st.integers(0, 2))) for d in shape
    )
    for d, (lo, hi, it) in zip(shape, config):
        grown = d + max(d - 1, 0) * it
        if grown + lo + hi < 0:
            return
    jb = JaxprBuilder()
    x = jb.arg(A(tuple(shape), i32))
    y = jb.op(P.pad_p, x, lit(-1, i32), padding_config=config)
    check(jb.build([jb.op(P.add_p, y, lit(1, i32))]), [values(tuple(shape), i32)], kernels=1)


@pytest.mark.parametrize("dim", [0, 1])
def test_concatenate_fused(dim):
    jb = JaxprBuilder()
    a, b, c = jb.arg(A((2, 3))), jb.arg(A((2, 3))), jb.arg(A((2, 3)))
    empty = jb.arg(A((0, 3) if dim == 0 else (2, 0)))
    cat = jb.op(P.concatenate_p, a, empty, b, c, dimension=dim)
    out = jb.op(P.exp_p, cat)
    args = [values((2, 3), f32, k) for k in range(3)] + [np.zeros((0, 3) if dim == 0 else (2, 0), f32)]
    check(jb.build([out]), args, kernels=1, rtol=1e-6)


def test_concatenate_single_bool_and_reduction():
    jb = JaxprBuilder()
    a, b = jb.arg(A((4,), BOOL)), jb.arg(A((3,), BOOL))
    cat = jb.op(P.concatenate_p, a, b, dimension=0)
    jb2 = JaxprBuilder()
    x, y = jb2.arg(A((3, 4))), jb2.arg(A((3, 2)))
    s = jb2.op(P.reduce_sum_p, jb2.op(P.concatenate_p, x, y, dimension=1), axes=(1,))
    check(jb.build([cat, jb.op(P.concatenate_p, a, dimension=0)]), [values((4,), BOOL), values((3,), BOOL, 1)])
    check(jb2.build([s]), [values((3, 4), f32), values((3, 2), f32)], kernels=1, rtol=1e-6)


# ---- dynamic slices -----------------------------------------------------------------------------

STARTS = [(0, 0), (1, 2), (-5, 1), (2, 100), (3, 3), (-(2**31), 2**31 - 1)]


@pytest.mark.parametrize("idx_dtype", [i32, i64, u8, u32, u64, i8])
def test_dynamic_slice_clamps_like_lax(idx_dtype):
    jb = JaxprBuilder()
    x = jb.arg(A((5, 6)))
    i, j = jb.arg(A((), idx_dtype)), jb.arg(A((), idx_dtype))
    y = jb.op(P.dynamic_slice_p, x, i, j, slice_sizes=(2, 4))
    full = jb.op(P.dynamic_slice_p, x, j, lit(1, idx_dtype), slice_sizes=(5, 0))
    closed = jb.build([jb.op(P.mul_p, y, lit(3.0, f32)), full])
    info = np.iinfo(idx_dtype)
    for s in STARTS + [(info.max, info.min), (info.min, info.max)]:
        i_, j_ = (np.asarray(min(max(v, info.min), info.max)).astype(idx_dtype) for v in s)
        check(closed, [values((5, 6), f32), i_, j_], kernels=2)  # two output shapes


@pytest.mark.parametrize("dtype", [f32, i8, BOOL])
def test_dynamic_update_slice(dtype):
    jb = JaxprBuilder()
    x, u = jb.arg(A((6, 5), dtype)), jb.arg(A((2, 5), dtype))
    i, j = jb.arg(A((), i32)), jb.arg(A((), i32))
    y = jb.op(P.dynamic_update_slice_p, x, u, i, j)
    e = jb.op(P.dynamic_update_slice_p, x, jb.arg(A((0, 3), dtype)), i, j)
    closed = jb.build([y, e])
    for s in [(0, 0), (3, 0), (5, -1), (-4, 9), (2**31 - 1, 0)]:
        args = [
            values((6, 5), dtype),
            values((2, 5), dtype, 1),
            np.array(s[0], np.int32),
            np.array(s[1], np.int32),
            np.zeros((0, 3), dtype),
        ]
        check(closed, args)


def test_dynamic_update_slice_fuses_its_operand_and_consumer():
    jb = JaxprBuilder()
    x, u, i = jb.arg(A((8, 3))), jb.arg(A((1, 3))), jb.arg(A((), i32))
    y = jb.op(P.dynamic_update_slice_p, jb.op(P.exp_p, x), u, i, lit(0, i32))
    check(
        jb.build([jb.op(P.neg_p, y)]),
        [values((8, 3), f32), values((1, 3), f32), np.array(5, np.int32)],
        kernels=1,
        rtol=1e-6,
    )


# ---- gather -------------------------------------------------------------------------------------


def _gather_program(xshape, xdtype, ishape, idtype, dn, sizes, mode, fill_value=None, post=True):
    jb = JaxprBuilder()
    x, idx = jb.arg(A(xshape, xdtype)), jb.arg(A(ishape, idtype))
    g = jb.op(
        P.gather_p,
        x,
        idx,
        dimension_numbers=dn,
        slice_sizes=sizes,
        mode=mode,
        fill_value=fill_value,
        indices_are_sorted=False,
        unique_indices=False,
    )
    if post and xdtype != BOOL:
        g = jb.op(P.add_p, g, lit(1, xdtype))
    return jb.build([g])


@pytest.mark.parametrize("mode", [M.CLIP, M.FILL_OR_DROP, M.PROMISE_IN_BOUNDS])
@pytest.mark.parametrize("dtype", [f32, i32, u8, BOOL])
def test_gather_rows_one_kernel(mode, dtype):
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    closed = _gather_program((5, 3), dtype, (7, 1), i32, dn, (1, 3), mode)
    idx = np.array([[0], [4], [2], [-1], [5], [100], [2]], np.int32)
    check(closed, [values((5, 3), dtype), idx], kernels=1)


GATHER_CASES = [
    # take along the columns: x[:, idx]
    ((3, 5), (4, 1), GDN((0,), (1,), (1,)), (3, 1)),
    # windows: lax.gather with slices of 2 rows
    ((6, 4), (3, 1), GDN((1, 2), (), (0,)), (2, 4)),
    # a point per row: x[i, j]
    ((4, 5), (2, 3, 2), GDN((), (0, 1), (0, 1)), (1, 1)),
    # take_along_axis style with batching dims (vmap of x[idx])
    ((3, 5), (3, 2, 1), GDN((), (1,), (1,), (0,), (0,)), (1, 1)),
    # index map in reverse order, partial windows
    ((4, 6, 2), (5, 2), GDN((1, 2), (0,), (2, 0)), (1, 3, 1)),
    # empty indices
    ((4, 3), (0, 1), GDN((1,), (0,), (0,)), (1, 3)),
]


@pytest.mark.parametrize("case", range(len(GATHER_CASES)))
@pytest.mark.parametrize("mode", [M.CLIP, M.FILL_OR_DROP, M.PROMISE_IN_BOUNDS])
def test_gather_dimension_numbers(case, mode):
    xshape, ishape, dn, sizes = GATHER_CASES[case]
    closed = _gather_program(xshape, f32, ishape, i32, dn, sizes, mode, fill_value=-7.5 if case == 2 else None)
    for seed in range(3):
        r = np.random.RandomState(seed)
        idx = r.randint(-2, max(xshape) + 2, size=ishape).astype(np.int32)
        check(closed, [values(xshape, f32, seed), idx], kernels=1)


def test_gather_unsigned_and_wide_indices():
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    for idt, idx in [(u64, [[0], [2**63 + 5], [3]]), (i64, [[-(2**62)], [2**40], [1]]), (u8, [[255], [1], [0]])]:
        closed = _gather_program((4, 2), f64, (3, 1), idt, dn, (1, 2), M.FILL_OR_DROP)
        check(closed, [values((4, 2), f64), np.array(idx, idt)])
        closed = _gather_program((4, 2), f64, (3, 1), idt, dn, (1, 2), M.CLIP)
        check(closed, [values((4, 2), f64), np.array(idx, idt)])


# ---- scatter ------------------------------------------------------------------------------------

SCATTERS = [P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p, P.scatter_max_p]
SCATTER_CASES = [
    # x.at[idx].op(v) on rows, with duplicates
    ((5, 3), (6, 1), (6, 3), SDN((1,), (0,), (0,))),
    # points: x.at[i, j]
    ((4, 5), (7, 2), (7,), SDN((), (0, 1), (0, 1))),
    # columns, window dims first in the updates
    ((3, 5), (4, 1), (3, 4), SDN((0,), (1,), (1,))),
    # windows of 2 rows (overlapping)
    ((6, 2), (3, 1), (3, 2, 2), SDN((1, 2), (), (0,))),
    # batching dims
    ((3, 5), (3, 2, 1), (3, 2), SDN((), (1,), (1,), (0,), (0,))),
    # a scalar operand slot and empty updates
    ((4,), (0, 1), (0,), SDN((), (0,), (0,))),
]


@pytest.mark.parametrize("prim", SCATTERS)
@pytest.mark.parametrize("mode", [M.CLIP, M.FILL_OR_DROP, M.PROMISE_IN_BOUNDS])
@pytest.mark.parametrize("case", range(len(SCATTER_CASES)))
def test_scatter_family(prim, mode, case):
    xshape, ishape, ushape, dn = SCATTER_CASES[case]
    for dtype in (f32, i32):
        jb = JaxprBuilder()
        x, idx, upd = jb.arg(A(xshape, dtype)), jb.arg(A(ishape, i32)), jb.arg(A(ushape, dtype))
        s = jb.op(
            prim,
            x,
            idx,
            upd,
            dimension_numbers=dn,
            mode=mode,
            indices_are_sorted=False,
            unique_indices=False,
            update_jaxpr=None,
        )
        closed = jb.build([s])
        for seed in range(3):
            r = np.random.RandomState(seed)
            iv = r.randint(-1, max(xshape) + 1, size=ishape).astype(np.int32)
            check(closed, [values(xshape, dtype, seed), iv, values(ushape, dtype, seed + 7)], kernels=1)


def test_scatter_add_duplicates_accumulate_in_order_and_bool():
    jb = JaxprBuilder()
    x, idx, upd = jb.arg(A((3,))), jb.arg(A((1000, 1), i32)), jb.arg(A((1000,)))
    dn = SDN((), (0,), (0,))
    s = jb.op(
        P.scatter_add_p,
        x,
        idx,
        upd,
        dimension_numbers=dn,
        mode=M.FILL_OR_DROP,
        indices_are_sorted=False,
        unique_indices=False,
        update_jaxpr=None,
    )
    iv = rng.randint(0, 3, size=(1000, 1)).astype(np.int32)
    check(jb.build([s]), [np.zeros(3, f32), iv, rng.randn(1000).astype(f32)])
    jb = JaxprBuilder()
    x, idx, upd = jb.arg(A((4,), BOOL)), jb.arg(A((5, 1), i32)), jb.arg(A((5,), BOOL))
    outs = [
        jb.op(
            p,
            x,
            idx,
            upd,
            dimension_numbers=dn,
            mode=M.CLIP,
            indices_are_sorted=False,
            unique_indices=False,
            update_jaxpr=None,
        )
        for p in SCATTERS
    ]
    check(jb.build(outs), [values((4,), BOOL), np.array([[0], [1], [1], [3], [9]], np.int32), values((5,), BOOL, 3)])


# ---- cumulative scans ---------------------------------------------------------------------------

CUMS = [P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p]


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (0, 3), (4, 0), (), (1, 6)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [f32, f64, i32, u8, BOOL, f16])
def test_cumulative(shape, reverse, dtype):
    jb = JaxprBuilder()
    x = jb.arg(A(shape, dtype))
    outs = [jb.op(p, x, axis=a, reverse=reverse) for p in CUMS for a in range(len(shape))]
    if dtypes.is_float(dtype):
        outs += [jb.op(P.cumlogsumexp_p, x, axis=a, reverse=reverse) for a in range(len(shape))]
    v = values(shape, dtype)
    if dtypes.is_float(dtype) and v.size > 3:
        v.flat[1], v.flat[2] = np.nan, -np.inf
    if not outs:
        return
    rtol = 1e-5 if dtypes.is_float(dtype) else None
    exe = compile_cpu(jb.build(outs), check=True)
    got, want = exe(v), eval_jaxpr(jb.build(outs).jaxpr, [], v)
    for k, (g, w) in enumerate(zip(got, want)):
        is_lse = k >= len(CUMS) * len(shape)
        if rtol is None or not is_lse and dtype != f16:
            np.testing.assert_array_equal(g, w)  # the interpreter's operation order
        else:
            np.testing.assert_allclose(
                g.astype(f64), w.astype(f64), rtol=2e-3 if dtype == f16 else rtol, equal_nan=True
            )
    assert exe.program.count("interpret") == 0


def test_cumsum_of_a_fused_chain_is_two_kernels():
    jb = JaxprBuilder()
    x = jb.arg(A((64, 33)))
    c = jb.op(P.cumsum_p, jb.op(P.exp_p, x), axis=0, reverse=False)
    check(jb.build([jb.op(P.mul_p, c, lit(2.0, f32))]), [values((64, 33), f32)], kernels=3, rtol=1e-6)


# ---- threefry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 7), (0,), (100_000,)])
def test_threefry_bit_identical(shape):
    jb = JaxprBuilder()
    k0, k1 = jb.arg(A((), u32)), jb.arg(A((), u32))
    x0, x1 = jb.arg(A(shape, u32)), jb.arg(A(shape, u32))
    outs = jb.op(P.threefry2x32_p, k0, k1, x0, x1)
    r = np.random.RandomState(1)
    args = [np.array(0x12345678, u32), np.array(0xDEADBEEF, u32)] + [
        r.randint(0, 2**32, size=shape, dtype=np.uint64).astype(u32) for _ in range(2)
    ]
    exe = check(jb.build(outs), args, kernels=1)
    got = exe(*args)
    want = threefry2x32(*args)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_threefry_known_answer():
    # The Random123 known-answer vector for threefry2x32_20 with key = counter = 0.
    jb = JaxprBuilder()
    a = [jb.arg(A((1,), u32)) for _ in range(4)]
    exe = compile_cpu(jb.build(jb.op(P.threefry2x32_p, *a)))
    z = np.zeros(1, u32)
    out = exe(z, z, z, z)
    assert (int(out[0][0]), int(out[1][0])) == (0x6B200159, 0x99BA4EFE)


# ---- inner loops split at pad/concatenate boundaries ---------------------------------------------


def test_inner_loop_pieces_are_exact_serial_and_parallel():
    from compiler.cpu import parallel

    jb = JaxprBuilder()
    a, b = jb.arg(A((64, 300))), jb.arg(A((64, 212)))
    cat = jb.op(P.concatenate_p, a, b, dimension=1)
    padded = jb.op(P.pad_p, a, lit(-1.0, f32), padding_config=((0, 0, 0), (3, 5, 0)))
    outs = [jb.op(P.mul_p, cat, lit(2.0, f32)), jb.op(P.reduce_max_p, padded, axes=(1,))]
    closed = jb.build(outs)
    args = [values((64, 300), f32), values((64, 212), f32, 1)]
    exe = check(closed, args, kernels=2)
    rendered = exe.program.render()
    # concatenate: pieces of 300 and 212; pad: 3, 300, 5
    assert rendered.count("for i1 in 0..300") == 2 and rendered.count("for i1 in 0..212") == 1
    assert "for i1 in 0..3:" in rendered and "for i1 in 0..5:" in rendered
    saved = parallel.num_threads(), parallel.GRAIN.value
    try:
        parallel.set_num_threads(2)
        parallel.set_grain(1)
        exe = compile_cpu(closed)
        want = eval_jaxpr(closed.jaxpr, [], *args)
        for g, w in zip(exe(*args), want, strict=True):
            np.testing.assert_array_equal(g, w)
    finally:
        parallel.set_num_threads(saved[0])
        parallel.set_grain(saved[1])
