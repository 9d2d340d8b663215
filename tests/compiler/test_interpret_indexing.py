"""gather and the scatter family in NumPy, against fancy indexing, ufunc.at and a scalar
reference written straight from XLA's operation semantics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import primitives as P
from compiler.interpret_indexing import INDEXING_IMPLS
from compiler.ir import ShapedArray
from compiler.primitives import GatherDimensionNumbers as GDN
from compiler.primitives import GatherScatterMode as M
from compiler.primitives import ScatterDimensionNumbers as SDN

MODES = [M.CLIP, M.FILL_OR_DROP, M.PROMISE_IN_BOUNDS]
SCATTERS = [P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p, P.scatter_max_p]
UFUNC = {
    P.scatter_add_p: np.add,
    P.scatter_mul_p: np.multiply,
    P.scatter_min_p: np.minimum,
    P.scatter_max_p: np.maximum,
}


def aval(x):
    return ShapedArray(np.shape(x), np.asarray(x).dtype)


def gather(x, idx, dn, slice_sizes, mode=M.CLIP, fill_value=None):
    params = dict(dimension_numbers=dn, slice_sizes=tuple(slice_sizes), mode=mode, fill_value=fill_value)
    out = INDEXING_IMPLS[P.gather_p](x, idx, **params)
    expected = P.shape_rules[P.gather_p](aval(x), aval(idx), **params)
    assert (out.shape, out.dtype) == (expected.shape, expected.dtype)
    return out


def scatter(prim, x, idx, upd, dn, mode=M.FILL_OR_DROP):
    out = INDEXING_IMPLS[prim](x, idx, upd, dimension_numbers=dn, mode=mode)
    expected = P.shape_rules[prim](aval(x), aval(idx), aval(upd), dimension_numbers=dn, mode=mode)
    assert (out.shape, out.dtype) == (expected.shape, expected.dtype)
    return out


# ---- gather: the patterns jnp indexing produces ---------------------------------------------

rng = np.random.default_rng(0)


@pytest.mark.parametrize("idx_shape", [(4,), (2, 3), (0,)])
def test_take_rows(idx_shape):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    idx = rng.integers(0, 5, idx_shape).astype(np.int32)
    nb = len(idx_shape)
    dn = GDN(offset_dims=(nb,), collapsed_slice_dims=(0,), start_index_map=(0,))
    np.testing.assert_array_equal(gather(x, idx[..., None], dn, (1, 3)), x[idx])


def test_take_columns():
    x = rng.standard_normal((3, 5))
    idx = np.array([4, 0, 0, 2])
    dn = GDN(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1,))
    np.testing.assert_array_equal(gather(x, idx[:, None], dn, (3, 1)), x[:, idx])


def test_pairs_of_indices():
    x = rng.standard_normal((4, 5, 2))
    i, j = np.array([0, 3, 3, 1, 2, 0]), np.array([4, 0, 1, 1, 2, 0])
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(0, 1), start_index_map=(0, 1))
    np.testing.assert_array_equal(gather(x, np.stack([i, j], -1), dn, (1, 1, 2)), x[i, j])


def test_take_along_axis_with_batching_dims():
    x = rng.standard_normal((3, 5))
    idx = rng.integers(0, 5, (3, 4))
    dn = GDN(
        offset_dims=(),
        collapsed_slice_dims=(1,),
        start_index_map=(1,),
        operand_batching_dims=(0,),
        start_indices_batching_dims=(0,),
    )
    np.testing.assert_array_equal(gather(x, idx[..., None], dn, (1, 1)), np.take_along_axis(x, idx, axis=1))


def test_batched_gather_is_a_loop_over_the_unbatched_one():
    # What vmap of x[i] gives: batch axis 0 of x and of i, indices' batch axis moved last.
    x = rng.standard_normal((3, 4, 2))
    idx = rng.integers(0, 4, (2, 3, 1))  # batch axis 1 of the indices
    dn = GDN(
        offset_dims=(2,),
        collapsed_slice_dims=(1,),
        start_index_map=(1,),
        operand_batching_dims=(0,),
        start_indices_batching_dims=(1,),
    )
    out = gather(x, idx, dn, (1, 1, 2))
    one = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    loop = np.stack([gather(x[b], idx[:, b], one, (1, 2)) for b in range(3)], axis=1)
    np.testing.assert_array_equal(out, loop)


def test_dynamic_slice_like_window():
    x = np.arange(6.0)
    dn = GDN(offset_dims=(0,), collapsed_slice_dims=(), start_index_map=(0,))
    np.testing.assert_array_equal(gather(x, np.array([2]), dn, (3,)), x[2:5])
    # Partly out of bounds: CLIP slides the window back inside, FILL fills all of it.
    np.testing.assert_array_equal(gather(x, np.array([4]), dn, (3,), M.CLIP), x[3:6])
    assert np.isnan(gather(x, np.array([4]), dn, (3,), M.FILL_OR_DROP)).all()
    np.testing.assert_array_equal(gather(x, np.array([3]), dn, (3,), M.FILL_OR_DROP), x[3:6])


OOB = np.array([0, 4, 5, -1, 7, 2])


@pytest.mark.parametrize("mode", [M.CLIP, M.PROMISE_IN_BOUNDS])
def test_gather_clamps(mode):
    x = rng.standard_normal((5, 2))
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    np.testing.assert_array_equal(gather(x, OOB[:, None], dn, (1, 2), mode), x[np.clip(OOB, 0, 4)])


@pytest.mark.parametrize(
    "dtype, fill",
    [
        (np.float32, np.nan),
        (np.complex64, np.nan),
        (np.int32, np.iinfo(np.int32).min),
        (np.int8, -128),
        (np.uint8, 255),
        (np.bool_, True),
    ],
)
def test_gather_fill_defaults(dtype, fill):
    # Verified against jax.lax.gather(..., mode='fill', fill_value=None).
    x = (np.arange(10).reshape(5, 2) % 2).astype(dtype)
    dn = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    out = gather(x, OOB[:, None], dn, (1, 2), M.FILL_OR_DROP)
    bad = (OOB < 0) | (OOB > 4)
    np.testing.assert_array_equal(out[~bad], x[OOB[~bad]])
    np.testing.assert_array_equal(out[bad], np.full((bad.sum(), 2), fill, dtype))


def test_gather_explicit_fill_value():
    x = np.arange(5, dtype=np.int32)
    dn = GDN(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    out = gather(x, OOB[:, None], dn, (1,), M.FILL_OR_DROP, fill_value=-7)
    np.testing.assert_array_equal(out, np.where((OOB < 0) | (OOB > 4), -7, x[np.clip(OOB, 0, 4)]))


# ---- scatter: against ufunc.at and loops ----------------------------------------------------

ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))


@pytest.mark.parametrize("prim", list(UFUNC))
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_scatter_combines_duplicates(prim, dtype):
    x = rng.integers(-3, 4, (5, 3)).astype(dtype)
    idx = np.array([0, 2, 0, 4, 0, 2])
    upd = rng.integers(-3, 4, (6, 3)).astype(dtype)
    expected = x.copy()
    UFUNC[prim].at(expected, idx, upd)
    np.testing.assert_array_equal(scatter(prim, x, idx[:, None], upd, ROWS), expected)


def test_scatter_last_write_wins():
    x = np.zeros((4, 2))
    idx = np.array([1, 3, 1, 1, 0])
    upd = np.arange(10.0).reshape(5, 2)
    expected = x.copy()
    for i, u in zip(idx, upd):
        expected[i] = u
    np.testing.assert_array_equal(scatter(P.scatter_p, x, idx[:, None], upd, ROWS), expected)


def test_scatter_last_write_wins_in_a_large_operand():
    # Few writes into many positions take the sort-based path rather than a table per position.
    x = np.zeros((10000, 2))
    idx = np.array([7, 9000, 7])
    out = scatter(P.scatter_p, x, idx[:, None], np.array([[1.0, 1], [2, 2], [3, 3]]), ROWS)
    expected = x.copy()
    expected[7], expected[9000] = 3, 2
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("prim", SCATTERS)
@pytest.mark.parametrize("mode", [M.FILL_OR_DROP, M.PROMISE_IN_BOUNDS, M.CLIP])
def test_scatter_out_of_bounds(prim, mode):
    x = rng.standard_normal((5, 2))
    upd = rng.standard_normal((len(OOB), 2))
    if mode == M.CLIP:
        keep, idx = np.ones(len(OOB), bool), np.clip(OOB, 0, 4)
    else:  # dropped whole
        keep, idx = (OOB >= 0) & (OOB <= 4), OOB
    expected = x.copy()
    for i, u in zip(idx[keep], upd[keep]):
        expected[i] = u if prim is P.scatter_p else UFUNC[prim](expected[i], u)
    np.testing.assert_allclose(scatter(prim, x, OOB[:, None], upd, ROWS, mode), expected)


def test_scatter_drops_partly_out_of_bounds_windows():
    x = np.zeros(6)
    dn = SDN(update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,))
    upd = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = scatter(P.scatter_add_p, x, np.array([[4], [1]]), upd, dn, M.FILL_OR_DROP)
    np.testing.assert_array_equal(out, [0, 4, 5, 6, 0, 0])
    out = scatter(P.scatter_add_p, x, np.array([[4], [1]]), upd, dn, M.CLIP)
    np.testing.assert_array_equal(out, [0, 4, 5, 7, 2, 3])


def test_batched_scatter_add_is_a_loop():
    x = rng.standard_normal((3, 4, 2))
    idx = rng.integers(0, 4, (3, 5, 1))
    upd = rng.standard_normal((3, 5, 2))
    dn = SDN(
        update_window_dims=(2,),
        inserted_window_dims=(1,),
        scatter_dims_to_operand_dims=(1,),
        operand_batching_dims=(0,),
        scatter_indices_batching_dims=(0,),
    )
    out = scatter(P.scatter_add_p, x, idx, upd, dn)
    expected = x.copy()
    for b in range(3):
        np.add.at(expected[b], idx[b, :, 0], upd[b])
    np.testing.assert_allclose(out, expected)


def test_scatter_does_not_mutate_operand():
    x = np.zeros((3, 2))
    scatter(P.scatter_p, x, np.array([[1]]), np.ones((1, 2)), ROWS)
    scatter(P.scatter_add_p, x, np.array([[1]]), np.ones((1, 2)), ROWS)
    assert not x.any()


# ---- property tests against a scalar reference from the XLA spec ----------------------------


@st.composite
def gather_specs(draw):
    nd = draw(st.integers(1, 3))
    shape = draw(st.lists(st.integers(0, 4), min_size=nd, max_size=nd))
    nonempty = [d for d in draw(st.permutations(range(nd))) if shape[d] > 0]
    nbat = draw(st.integers(0, min(2, len(nonempty))))
    obd = sorted(nonempty[:nbat])
    rest = [d for d in range(nd) if d not in obd]
    sim = list(draw(st.permutations(rest)))[: draw(st.integers(0, len(rest)))]
    coll = sorted(d for d in rest if shape[d] > 0 and draw(st.booleans()))
    slice_sizes = [1 if d in coll or d in obd else draw(st.integers(0, shape[d])) for d in range(nd)]
    # The indices' batch axes: some free sizes (0 included: empty index sets) plus one axis per
    # batching dim, of the operand's size, at a drawn position.
    batch = draw(st.lists(st.integers(0, 3), max_size=2))
    for od in obd:
        batch.insert(draw(st.integers(0, len(batch))), None)
    sibd = [i for i, b in enumerate(batch) if b is None]
    sibd = [sibd[k] for k in draw(st.permutations(range(nbat)))] if nbat else []
    for od, i in zip(obd, sibd):
        batch[i] = shape[od]
    noff = nd - len(coll) - nbat
    out_rank = len(batch) + noff
    offset_dims = sorted(draw(st.permutations(range(out_rank)))[:noff])
    seed = draw(st.integers(0, 2**32 - 1))
    r = np.random.default_rng(seed)
    idx_dtype = draw(st.sampled_from([np.int32, np.int64, np.uint8]))  # uint8: negatives wrap
    idx = r.integers(-2, max(shape) + 3, (*batch, len(sim))).astype(idx_dtype)
    x = r.integers(-9, 10, shape).astype(np.float64)
    dn = GDN(tuple(offset_dims), tuple(coll), tuple(sim), tuple(obd), tuple(sibd))
    return x, idx, dn, tuple(slice_sizes), draw(st.sampled_from(MODES)), r


def _start(x, window, idx, G, index_map, obd, ibd, clip):
    start = [0] * x.ndim
    S = idx[tuple(G)]
    for k, d in enumerate(index_map):
        start[d] = int(S[k])
    for od, i in zip(obd, ibd):
        start[od] = G[i]
    inside = all(0 <= s <= n - w for s, n, w in zip(start, x.shape, window))
    if clip:
        start = [min(max(s, 0), max(n - w, 0)) for s, n, w in zip(start, x.shape, window)]
    return start, inside


def naive_gather(x, idx, dn, slice_sizes, mode):
    out_shape = P.shape_rules[P.gather_p](
        aval(x), aval(idx), dimension_numbers=dn, slice_sizes=slice_sizes, mode=mode
    ).shape
    out = np.empty(out_shape, x.dtype)
    batch_axes = [i for i in range(len(out_shape)) if i not in dn.offset_dims]
    window_dims = [
        d for d in range(x.ndim) if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims
    ]
    for o in np.ndindex(*out_shape):
        G = [o[i] for i in batch_axes]
        start, inside = _start(
            x,
            slice_sizes,
            idx,
            G,
            dn.start_index_map,
            dn.operand_batching_dims,
            dn.start_indices_batching_dims,
            mode != M.FILL_OR_DROP,
        )
        if not inside and mode == M.FILL_OR_DROP:
            out[o] = np.nan
            continue
        pos = list(start)
        for d, i in zip(window_dims, dn.offset_dims):
            pos[d] += o[i]
        out[o] = x[tuple(pos)]
    return out


def naive_scatter(prim, x, idx, upd, dn, mode):
    out = x.copy()
    uwd = dn.update_window_dims
    scatter_axes = [i for i in range(upd.ndim) if i not in uwd]
    window_dims = [
        d for d in range(x.ndim) if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims
    ]
    window = [1] * x.ndim
    for d, i in zip(window_dims, uwd):
        window[d] = upd.shape[i]
    for u in np.ndindex(*upd.shape):
        G = [u[i] for i in scatter_axes]
        start, inside = _start(
            x,
            window,
            idx,
            G,
            dn.scatter_dims_to_operand_dims,
            dn.operand_batching_dims,
            dn.scatter_indices_batching_dims,
            mode == M.CLIP,
        )
        if mode != M.CLIP and not inside:
            continue
        pos = list(start)
        for d, i in zip(window_dims, uwd):
            pos[d] += u[i]
        pos = tuple(pos)
        out[pos] = upd[u] if prim is P.scatter_p else UFUNC[prim](out[pos], upd[u])
    return out


@settings(max_examples=150, deadline=None)
@given(gather_specs())
def test_gather_matches_spec(spec):
    x, idx, dn, slice_sizes, mode, _ = spec
    np.testing.assert_array_equal(
        gather(x, idx, dn, slice_sizes, mode), naive_gather(x, idx, dn, slice_sizes, mode)
    )


@settings(max_examples=150, deadline=None)
@given(gather_specs(), st.sampled_from(SCATTERS))
def test_scatter_matches_spec(spec, prim):
    # The scatter that is the transpose of the drawn gather has the same dimension structure.
    x, idx, gdn, slice_sizes, mode, r = spec
    dn = SDN(
        gdn.offset_dims,
        gdn.collapsed_slice_dims,
        gdn.start_index_map,
        gdn.operand_batching_dims,
        gdn.start_indices_batching_dims,
    )
    upd_shape = P.shape_rules[P.gather_p](
        aval(x), aval(idx), dimension_numbers=gdn, slice_sizes=slice_sizes, mode=mode
    ).shape
    upd = r.integers(-3, 4, upd_shape).astype(x.dtype)
    np.testing.assert_allclose(
        scatter(prim, x, idx, upd, dn, mode), naive_scatter(prim, x, idx, upd, dn, mode)
    )


def test_rank_0_operand():
    # Empty index vectors: every row addresses the whole (scalar) operand.
    x, idx = np.array(3.0), np.zeros((4, 0), np.int32)
    np.testing.assert_array_equal(gather(x, idx, GDN((), (), ()), ()), [3.0] * 4)
    dn = SDN((), (), ())
    assert scatter(P.scatter_add_p, x, idx, np.ones(4), dn) == 7.0
    assert scatter(P.scatter_p, x, idx, np.arange(4.0) + 10, dn) == 13.0
