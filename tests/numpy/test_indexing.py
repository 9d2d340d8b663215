"""NumPy indexing (x[idx]), x.at[idx] updates and the index functions, against NumPy.

Random index tuples (ints, slices with any step, None, Ellipsis, integer arrays, boolean masks)
are checked on random shapes eagerly and, for indices without masks, through
make_jaxpr + eval_jaxpr with the index arrays and scalars as traced arguments.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


def traced_values(f, *args):
    """f staged with make_jaxpr and run by the interpreter (consts may be Arrays)."""
    closed = jaxlite.make_jaxpr(f)(*args)
    consts = [np.asarray(c) for c in closed.consts]
    return eval_jaxpr(closed.jaxpr, consts, *[np.asarray(a) for a in args])


def assert_same(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


# ---- random indices ---------------------------------------------------------------------------


@st.composite
def shapes(draw, min_dims=0, max_dims=4, min_side=0, max_side=4):
    return tuple(draw(st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims)))


@st.composite
def indexed(draw, allow_masks=True):
    """(shape, index plan). The plan is a list of ("int", i) | ("slice", s) | ("array", a) |
    ("mask", m) | ("none",) | ("ellipsis",): NumPy-valid and in bounds."""
    shape = draw(shapes(max_dims=4, min_side=0, max_side=4))
    nd = len(shape)
    kinds, ax = [], 0
    mask_case = allow_masks and draw(st.booleans()) and draw(st.booleans())
    use_mask = mask_case
    while ax < nd:
        # With a mask, no integer arrays: its nonzero() arrays would rarely broadcast with them.
        choices = ["full", "slice"] + ((["int"] if mask_case else ["int", "array"]) if shape[ax] > 0 else [])
        if use_mask:
            choices.append("mask")
        k = draw(st.sampled_from(choices))
        if k == "mask":
            span = draw(st.integers(1, nd - ax))
            kinds.append(("mask", span))
            ax += span
            use_mask = False  # one mask is enough
            continue
        kinds.append((k, 1))
        ax += 1
    bshape = draw(shapes(max_dims=2, min_side=1, max_side=3))
    plan, ax = [], 0
    for k, span in kinds:
        n = shape[ax]
        if k == "full":
            plan.append(("slice", slice(None)))
        elif k == "slice":
            start = draw(st.none() | st.integers(-n - 2, n + 2))
            stop = draw(st.none() | st.integers(-n - 2, n + 2))
            step = draw(st.none() | st.sampled_from([1, 2, 3, -1, -2, -3]))
            plan.append(("slice", slice(start, stop, step)))
        elif k == "int":
            plan.append(("int", draw(st.integers(-n, n - 1))))
        elif k == "array":
            # A suffix of the common shape, some sides set to 1: the arrays broadcast together.
            r = draw(st.integers(0, len(bshape)))
            sub = [d if draw(st.booleans()) else 1 for d in bshape[len(bshape) - r:]]
            size = int(np.prod(sub))
            vals = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            plan.append(("array", np.asarray(vals, np.int32).reshape(sub)))
        else:
            seg = shape[ax:ax + span]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(seg)), max_size=int(np.prod(seg))))
            plan.append(("mask", np.asarray(bits, bool).reshape(seg)))
        ax += span
    # A run of full slices may become an Ellipsis; otherwise trailing full slices may go.
    if draw(st.booleans()):
        i = draw(st.integers(0, len(plan)))
        j = i
        while j < len(plan) and plan[j] == ("slice", slice(None)) and draw(st.booleans()):
            j += 1
        plan[i:j] = [("ellipsis",)]
    else:
        while plan and plan[-1] == ("slice", slice(None)) and draw(st.booleans()):
            plan.pop()
    for _ in range(draw(st.integers(0, 2))):
        plan.insert(draw(st.integers(0, len(plan))), ("none",))
    return shape, plan


def build(plan, arrays=None, ints=None):
    """The index tuple of a plan; arrays / ints replace the plan's values in order if given."""
    arrays = iter(arrays) if arrays is not None else None
    ints = iter(ints) if ints is not None else None
    out = []
    for p in plan:
        if p[0] == "none":
            out.append(None)
        elif p[0] == "ellipsis":
            out.append(Ellipsis)
        elif p[0] == "array":
            out.append(next(arrays) if arrays is not None else p[1])
        elif p[0] == "int":
            out.append(next(ints) if ints is not None else p[1])
        else:
            out.append(p[1])
    return tuple(out)


def plan_arrays(plan):
    return [p[1] for p in plan if p[0] == "array"]


def plan_ints(plan):
    return [p[1] for p in plan if p[0] == "int"]


def has_mask(plan):
    return any(p[0] == "mask" for p in plan)


def data_for(shape):
    return np.asarray(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 7)


# ---- x[idx] -----------------------------------------------------------------------------------


@SETTINGS
@given(indexed())
def test_getitem_matches_numpy(case):
    shape, plan = case
    x = data_for(shape)
    idx = build(plan)
    assert_same(jnp.asarray(x)[idx], x[idx])
    # NumPy arrays and jaxlite Arrays as index arrays mean the same thing.
    jidx = build(plan, [jnp.asarray(a) for a in plan_arrays(plan)])
    assert_same(jnp.asarray(x)[jidx], x[idx])


@SETTINGS
@given(indexed(allow_masks=False), st.booleans())
def test_getitem_traced_matches_numpy(case, trace_ints):
    shape, plan = case
    x = data_for(shape)
    arrays, ints = plan_arrays(plan), plan_ints(plan)
    n_arr = len(arrays)

    def f(x, *vals):
        return x[build(plan, vals[:n_arr], vals[n_arr:] if trace_ints else None)]

    args = [x] + arrays + ([np.int32(i) for i in ints] if trace_ints else [])
    (out,) = traced_values(f, *args)
    assert_same(out, x[build(plan)])


def test_getitem_basic_ir_is_small():
    x = jnp.ones((4, 5))
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda x: x[1:, None, 2])(x).jaxpr.eqns]
    assert prims == ["slice", "squeeze", "expand_dims"]
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda x: x[::-2])(jnp.ones(5)).jaxpr.eqns]
    assert prims == ["slice", "rev"]
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda x, i: x[i])(x, 1).jaxpr.eqns]
    assert "dynamic_slice" in prims and "gather" not in prims
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda x, i: x[i])(x, jnp.array([1, 2])).jaxpr.eqns]
    assert prims.count("gather") == 1


def test_separated_advanced_indices_go_first():
    x = data_for((3, 4, 5))
    for idx in [(0, slice(None), np.array([1, 2])), (np.array([0]), None, np.array([1, 2])),
                (np.array([[0], [2]]), slice(1, 3), np.array([1, 3])),
                (slice(None), np.array([0, 1]), np.array([1, 2]), None),
                (np.array([0]), Ellipsis, np.array([1, 2]))]:
        assert_same(jnp.asarray(x)[idx], x[idx])


def test_out_of_bounds_reads_clamp_like_jax():
    x = jnp.arange(5.0)
    assert float(x[jnp.array(7)]) == 4.0
    assert_same(x[jnp.array([7, -8, -1])], np.array([4.0, 0.0, 4.0], np.float32))
    assert float(x[7]) == 4.0 and float(x[-7]) == 0.0  # JAX 0.10 clamps static ints too
    (out,) = traced_values(lambda x, i: x[i], x, np.int32(9))
    assert float(out) == 4.0
    filled = x.at[jnp.array([9, 1, -9])].get(mode="fill", fill_value=-1.0)
    assert_same(filled, np.array([-1.0, 1.0, -1.0], np.float32))
    assert np.isnan(np.asarray(x.at[10].get(mode="fill")))
    assert int(jnp.arange(5).at[10].get(mode="fill")) == np.iinfo(np.int32).min


def test_bool_scalar_and_empty_indices():
    x = data_for((3, 2))
    assert_same(jnp.asarray(x)[True], x[True])
    assert_same(jnp.asarray(x)[False], x[False])
    assert_same(jnp.asarray(x)[np.array([], np.int32)], x[np.array([], np.int32)])
    assert_same(jnp.ones((0, 3))[jnp.array([], jnp.int32)], np.ones((0, 3), np.float32))
    assert_same(jnp.array(5.0)[()], np.array(5.0, np.float32))
    assert_same(jnp.array(5.0)[None, ...], np.array([5.0], np.float32))


def test_unsigned_and_narrow_index_dtypes():
    x = data_for((6,))
    for dt in (np.uint8, np.int8, np.int16, np.uint32):
        idx = np.array([5, 0, 3], dt)
        assert_same(jnp.asarray(x)[jnp.asarray(idx)], x[idx])
        (out,) = traced_values(lambda x, i: x[i], x, idx)
        assert_same(out, x[idx])
    assert_same(jnp.asarray(x)[jnp.array(-1, jnp.int8)], x[-1])


# ---- x.at[idx] --------------------------------------------------------------------------------


_UFUNC_AT = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}


def _expected_update(x, idx, vals, op):
    out = x.copy()
    if op == "set":
        out[idx] = vals
    else:
        _UFUNC_AT[op].at(out, idx, vals)
    return out


def _has_duplicates(shape, idx):
    count = np.zeros(shape, np.int64)
    np.add.at(count, idx, 1)
    return count.size and count.max() > 1


@SETTINGS
@given(indexed(), st.sampled_from(["set", "add", "multiply", "min", "max"]), st.data())
def test_at_updates_match_numpy(case, op, data):
    shape, plan = case
    x = data_for(shape)
    idx = build(plan)
    if op == "set":
        assume(not _has_duplicates(shape, idx))  # the winner of repeated sets is unspecified
    rshape = x[idx].shape
    vshape = data.draw(st.sampled_from([rshape, rshape[1:], ()]) if rshape else st.just(()))
    vals = np.asarray(data.draw(st.lists(st.integers(-3, 3), min_size=int(np.prod(vshape)),
                                         max_size=int(np.prod(vshape)))), np.float32).reshape(vshape)
    want = _expected_update(x, idx, vals, op)
    ref = jnp.asarray(x).at[idx]
    assert_same(getattr(ref, op)(vals), want)
    if not has_mask(plan):
        arrays = plan_arrays(plan)

        def f(x, v, *arrs):
            return getattr(x.at[build(plan, arrs)], op)(v)

        (out,) = traced_values(f, x, vals, *arrays)
        assert_same(out, want)


def test_at_out_of_bounds_updates_are_dropped():
    x = jnp.arange(5.0)
    assert_same(x.at[10].set(9.0), np.arange(5.0, dtype=np.float32))
    assert_same(x.at[-7].set(9.0), np.arange(5.0, dtype=np.float32))
    assert_same(x.at[jnp.array([1, 10, -9])].add(1.0), np.array([0, 2, 2, 3, 4], np.float32))
    assert_same(x.at[7].set(9.0, mode="clip"), np.array([0, 1, 2, 3, 9], np.float32))
    (out,) = traced_values(lambda x, i: x.at[i].set(-1.0), x, np.int32(12))
    assert_same(out, np.arange(5.0, dtype=np.float32))


def test_at_misc_methods_and_dtypes():
    x = jnp.arange(5)
    assert_same(x.at[1].divide(2), np.array([0, 0.5, 2, 3, 4], np.float32))
    assert_same(jnp.arange(5.0).at[jnp.array([1, 1])].divide(2.0), np.array([0, 0.25, 2, 3, 4], np.float32))
    assert_same(jnp.arange(5.0).at[jnp.array([2, 2])].power(2.0), np.array([0, 1, 16, 3, 4], np.float32))
    out = x.at[1].set(1.7)  # values are cast to the array's dtype, as JAX does
    assert out.dtype == np.int32 and int(out[1]) == 1
    w = jnp.asarray(1.0).at[()].set(2)
    assert w.weak_type and float(w) == 2.0
    assert_same(jnp.arange(5.0).at[1].subtract(1.0), np.array([0, 0, 2, 3, 4], np.float32))
    assert_same(jnp.arange(5.0).at[jnp.arange(5) > 2].set(0.0), np.array([0, 1, 2, 0, 0], np.float32))
    assert_same(jnp.arange(5.0).at[1:3].get(), np.array([1, 2], np.float32))
    x2 = jnp.asarray(data_for((2, 3)))
    assert_same(x2.at[:1].set(9.0), np.where(np.arange(2)[:, None] < 1, 9.0, data_for((2, 3))))
    out = x2.at[0, 1].add(1.0, indices_are_sorted=True, unique_indices=True)
    assert float(out[0, 1]) == float(x2[0, 1]) + 1
    with pytest.raises(ValueError, match="cannot be broadcast"):
        jnp.ones(5).at[:2].set(jnp.ones(3))


# ---- errors -----------------------------------------------------------------------------------


def test_indexing_errors():
    x = jnp.ones((2, 3))
    with pytest.raises(TypeError, match=r"\.at"):
        x[0] = 1.0
    with pytest.raises(TypeError, match="integer or boolean"):
        x[1.0]
    with pytest.raises(TypeError, match="integer or boolean"):
        x[jnp.array([0.0])]
    with pytest.raises(IndexError, match=r"2-dimensional.*3 were indexed.*\(2, 3\)"):
        x[0, 1, 2]
    with pytest.raises(TypeError, match="non-tuple sequence"):
        x[[0, 1]]
    with pytest.raises(TypeError, match="string"):
        x["a"]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match=r"got \(2,\), expected \(3,\)"):
        x[:, np.array([True, False])]
    with pytest.raises(IndexError, match="broadcast"):
        x[jnp.array([0, 1]), jnp.array([0, 1, 2])]
    with pytest.raises(ValueError):  # JAX raises ValueError here, NumPy IndexError: both work
        x[jnp.array([0, 1]), jnp.array([0, 1, 2])]
    with pytest.raises(IndexError, match="size 0"):
        jnp.ones((0, 3))[0]
    with pytest.raises(IndexError, match="static"):
        jaxlite.make_jaxpr(lambda x, i: x[i:])(jnp.ones(4), 1)


def test_traced_boolean_mask_errors_clearly():
    with pytest.raises(jnp.indexing.NonConcreteBooleanIndexError, match=r"jnp\.where.*size="):
        jaxlite.make_jaxpr(lambda x: x[x > 0])(jnp.ones(3))
    with pytest.raises(IndexError):
        jaxlite.make_jaxpr(lambda x: x.at[x > 0].set(0.0))(jnp.ones(3))


# ---- take, take_along_axis, nonzero and friends ------------------------------------------------


@SETTINGS
@given(shapes(min_dims=1, max_dims=3, min_side=1), st.data())
def test_take_matches_numpy(shape, data):
    x = data_for(shape)
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    n = x.size if axis is None else shape[axis]
    ishape = data.draw(shapes(max_dims=2, min_side=0, max_side=3))
    ind = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)),
                                        max_size=int(np.prod(ishape)))), np.int32).reshape(ishape)
    want = np.take(x, ind, axis=axis)
    assert_same(jnp.take(jnp.asarray(x), jnp.asarray(ind), axis=axis), want)
    (out,) = traced_values(lambda x, i: jnp.take(x, i, axis=axis), x, ind)
    assert_same(out, want)
    for mode in ("clip", "wrap"):
        big = ind * 3 - 1
        assert_same(jnp.take(jnp.asarray(x), jnp.asarray(big), axis=axis, mode=mode),
                    np.take(x, big, axis=axis, mode=mode))


def test_take_modes_like_jax():
    x = jnp.arange(5.0)
    out = np.asarray(jnp.take(x, jnp.array([7, -1, -6])))  # default 'fill': NaN out of bounds
    assert np.isnan(out[0]) and out[1] == 4.0 and np.isnan(out[2])
    assert_same(jnp.take(jnp.arange(5), jnp.array([7, -1])), np.array([np.iinfo(np.int32).min, 4], np.int32))
    assert_same(jnp.take(jnp.arange(5), jnp.array([7, -1, -6]), mode="clip"), np.array([4, 0, 0], np.int32))
    assert_same(jnp.take(x, jnp.array([7]), fill_value=-3.0), np.array([-3.0], np.float32))
    assert_same(jnp.take(jnp.arange(5, dtype=jnp.uint8), jnp.array([7])), np.array([255], np.uint8))
    with pytest.raises(NotImplementedError):
        jnp.take(x, jnp.array([1]), mode="raise")
    with pytest.raises(ValueError, match="integer"):
        jnp.take(x, jnp.array([1.0]))
    with pytest.raises(TypeError):
        jnp.take(x, [1, 2])


@SETTINGS
@given(shapes(min_dims=1, max_dims=3, min_side=1), st.data())
def test_take_along_axis_matches_numpy(shape, data):
    x = data_for(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    ishape = list(shape)
    ishape[axis] = data.draw(st.integers(0, 4))
    n = shape[axis]
    ind = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)),
                                        max_size=int(np.prod(ishape)))), np.int32).reshape(ishape)
    want = np.take_along_axis(x, ind, axis)
    assert_same(jnp.take_along_axis(jnp.asarray(x), jnp.asarray(ind), axis), want)
    (out,) = traced_values(lambda x, i: jnp.take_along_axis(x, i, axis), x, ind)
    assert_same(out, want)


def test_take_along_axis_broadcasts_and_fills():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    assert_same(jnp.take_along_axis(x, jnp.array([[0, 1]]), axis=1), x[:, [0, 1]])
    out = np.asarray(jnp.take_along_axis(jnp.arange(5.0), jnp.array([7, -1]), axis=0))
    assert np.isnan(out[0]) and out[1] == 4.0
    assert_same(jnp.take_along_axis(jnp.arange(5.0), jnp.array([-1, 9]), axis=0, mode="clip"),
                np.array([4.0, 4.0], np.float32))
    assert_same(jnp.take_along_axis(x, jnp.array([5, 0]), axis=None), np.array([5.0, 0.0], np.float32))
    with pytest.raises(ValueError, match="same number of dimensions"):
        jnp.take_along_axis(x, jnp.array([0]), axis=1)


@SETTINGS
@given(shapes(min_dims=1, max_dims=3), st.integers(0, 6), st.data())
def test_nonzero_family_matches_numpy(shape, size, data):
    bits = data.draw(st.lists(st.integers(0, 2), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    a = np.asarray(bits, np.int32).reshape(shape)
    for got, want in zip(jnp.nonzero(a), np.nonzero(a)):
        assert_same(got, want.astype(np.int32))
    assert_same(jnp.argwhere(a), np.argwhere(a).astype(np.int32))
    assert_same(jnp.flatnonzero(a), np.flatnonzero(a).astype(np.int32))
    assert_same(jnp.where(a)[0], np.nonzero(a)[0].astype(np.int32))

    def padded(z, fill):
        z = z[:size]
        return np.concatenate([z, np.full(size - len(z), fill)]).astype(np.int32)

    want = [padded(z, -1) for z in np.nonzero(a)]
    for got, w in zip(jnp.nonzero(a, size=size, fill_value=-1), want):
        assert_same(got, w)
    traced = traced_values(lambda a: jnp.nonzero(a, size=size, fill_value=-1), a)
    for got, w in zip(traced, want):
        assert_same(got, w)
    (aw,) = traced_values(lambda a: jnp.argwhere(a, size=size, fill_value=-1), a)
    assert_same(aw, np.stack(want, axis=1) if want else np.zeros((size, 0), np.int32))
    (fnz,) = traced_values(lambda a: jnp.flatnonzero(a, size=size), a)
    assert_same(fnz, padded(np.flatnonzero(a), 0))


def test_nonzero_edge_cases():
    with pytest.raises(ValueError, match="0d"):
        jnp.nonzero(jnp.array(1))
    with pytest.raises(jaxlite.ConcretizationTypeError, match="size"):
        jaxlite.make_jaxpr(jnp.nonzero)(jnp.ones(3))
    assert jnp.argwhere(jnp.array(1)).shape == (1, 0)
    assert jnp.argwhere(jnp.array(0)).shape == (0, 0)
    got = jnp.nonzero(jnp.eye(2), size=3, fill_value=(7, 8))
    assert_same(got[0], np.array([0, 1, 7], np.int32))
    assert_same(got[1], np.array([0, 1, 8], np.int32))


def test_index_helpers_match_numpy():
    for args in [(3,), (3, 1), (4, -1, 2), (2, 0, 5)]:
        for jf, nf in [(jnp.tril_indices, np.tril_indices), (jnp.triu_indices, np.triu_indices)]:
            for got, want in zip(jf(*args), nf(*args)):
                assert_same(got, want.astype(np.int32))
    a = np.ones((3, 5))
    for got, want in zip(jnp.triu_indices_from(a, 1), np.triu_indices_from(a, 1)):
        assert_same(got, want.astype(np.int32))
    for got, want in zip(jnp.tril_indices_from(a, -1), np.tril_indices_from(a, -1)):
        assert_same(got, want.astype(np.int32))
    for got, want in zip(jnp.diag_indices(3, 4), np.diag_indices(3, 4)):
        assert_same(got, want.astype(np.int32))
    assert len(jnp.diag_indices_from(np.ones((2, 2, 2)))) == 3
    with pytest.raises(ValueError):
        jnp.diag_indices_from(np.ones((2, 3)))
    for got, want in zip(jnp.ix_(np.array([0, 1]), np.array([2])), np.ix_(np.array([0, 1]), np.array([2]))):
        assert_same(got, want.astype(np.int32))


@SETTINGS
@given(shapes(min_dims=1, max_dims=3, min_side=1), st.data())
def test_unravel_and_ravel_multi_index(shape, data):
    total = int(np.prod(shape))
    flat = np.asarray(data.draw(st.lists(st.integers(0, total - 1), min_size=0, max_size=5)), np.int32)
    want = np.unravel_index(flat, shape)
    for got, w in zip(jnp.unravel_index(flat, shape), want):
        assert_same(got, w.astype(np.int32))
    traced = traced_values(lambda f: jnp.unravel_index(f, shape), flat)
    for got, w in zip(traced, want):
        assert_same(got, w.astype(np.int32))
    for order in ("C", "F"):
        coords = np.unravel_index(flat, shape, order=order)
        back = jnp.ravel_multi_index(tuple(c.astype(np.int32) for c in coords), shape, order=order)
        assert_same(back, flat)
    # JAX wraps negative flat indices once and clips the rest (NumPy raises).
    got = jnp.unravel_index(jnp.array([-1, total + 5, -total - 3]), shape)
    want = np.unravel_index(np.array([total - 1, total - 1, 0]), shape)
    for g, w in zip(got, want):
        assert_same(g, w.astype(np.int32))


def test_ravel_multi_index_modes():
    idx = (jnp.array([0, 5]), jnp.array([1, -1]))
    assert_same(jnp.ravel_multi_index(idx, (2, 3), mode="clip"), np.array([1, 3], np.int32))
    assert_same(jnp.ravel_multi_index(idx, (2, 3), mode="wrap"), np.array([1, 5], np.int32))
    with pytest.raises(ValueError, match="invalid entry"):
        jnp.ravel_multi_index(idx, (2, 3))
    with pytest.raises(jaxlite.ConcretizationTypeError):
        jaxlite.make_jaxpr(lambda a: jnp.ravel_multi_index((a,), (3,)))(jnp.array([1]))


def test_against_jax_when_available():
    jax = pytest.importorskip("jax")
    rjnp = jax.numpy
    x = np.arange(60.0, dtype=np.float32).reshape(3, 4, 5)
    cases = [
        lambda n: n.asarray(x)[n.array([7, -8]), 1:, None],
        lambda n: n.asarray(x).at[n.array([0, 0, 2]), :, 1].add(1.0),
        lambda n: n.asarray(x).at[1, n.array([9, 1])].set(0.0),
        lambda n: n.asarray(x).at[n.array([9, 1])].get(mode="fill", fill_value=-2.0),
        lambda n: n.take(n.asarray(x), n.array([[1, -1], [7, 2]]), axis=2),
        lambda n: n.take_along_axis(n.asarray(x), n.array([[[0], [9]]]), axis=1, mode="clip"),
        lambda n: n.nonzero(n.asarray(x) > 50, size=12, fill_value=-1),
        lambda n: n.unravel_index(n.array([-1, 70, -100]), (3, 4, 5)),
    ]
    for case in cases:
        mine, theirs = case(jnp), case(rjnp)
        mine = mine if isinstance(mine, tuple) else (mine,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        for m, t in zip(mine, theirs):
            np.testing.assert_array_equal(np.asarray(m), np.asarray(t))
            assert np.asarray(m).dtype == np.asarray(t).dtype
