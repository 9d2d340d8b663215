"""jaxlite.numpy sorting, searching, set operations, binning, convolution and polynomials against
NumPy (and JAX where installed), eagerly and through make_jaxpr + the reference interpreter."""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

# The interpreter computes through NaN and inf on purpose (JAX never warns).
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning:compiler.*"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning:jaxlite.*")]

# JNP_MAX_EXAMPLES=500 for a deeper local run; the default keeps the file under a minute.
SETTINGS = settings(max_examples=int(os.environ.get("JNP_MAX_EXAMPLES", 25)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ---- Shared helpers ---------------------------------------------------------------------------


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(f, *args):
    """f(*args) eagerly and through make_jaxpr + eval_jaxpr: same dtypes, shapes and values.
    Returns the eager outputs as NumPy arrays (a list when f returns several)."""
    args = [jaxlite.Array(a) for a in args]
    out = f(*args)
    eager = [np.asarray(o) for o in _flat(out)]
    closed = jaxlite.make_jaxpr(f)(*args)
    staged = eval_jaxpr(closed.jaxpr, [np.asarray(c) for c in closed.consts],
                        *[np.asarray(a) for a in args])
    assert len(staged) == len(eager)
    for e, s in zip(eager, staged):
        assert e.dtype == s.dtype and e.shape == s.shape, (e.dtype, e.shape, s.dtype, s.shape)
        np.testing.assert_allclose(s, e, rtol=1e-6, atol=1e-6, equal_nan=True)
    return eager if isinstance(out, (tuple, list)) else eager[0]


def same(actual, expected, dtype=None, rtol=0.0, atol=0.0):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


def np_ref(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args, **kw)


@st.composite
def arrays(draw, dtypes=("float32", "float64", "int32", "bool"), min_dims=0, max_dims=3, min_side=0,
           max_side=5, nan=False, small=False):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                  max_side=max_side))
    if dtype.kind == "f":
        # Few distinct values, so that ties (and -0. vs 0.) are common.
        base = st.sampled_from([-2.0, -0.0, 0.0, 1.0, 1.5, 3.0]) if small else st.floats(-50, 50, width=32)
        elems = base | (st.just(np.nan) if nan else st.nothing())
    elif dtype.kind == "i":
        elems = st.integers(-3, 3) if small else st.integers(-50, 50)
    else:
        elems = st.booleans()
    return draw(hnp.arrays(dtype, shape, elements=elems))


def x64_for(*xs):
    return jaxlite.enable_x64(any(np.asarray(x).dtype == np.float64 for x in xs))


INT = np.int32  # searchsorted, digitize: int32 even under x64, as JAX


def idx_dtype():
    """argsort's and unique's index dtype: the default int."""
    return np.dtype(np.int64 if jaxlite.config.x64 else np.int32)

# ---- sort, argsort, lexsort, partition --------------------------------------------------------


@SETTINGS
@given(st.data())
def test_sort_and_argsort(data):
    x = data.draw(arrays(min_dims=1, nan=True, small=True))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    with x64_for(x):
        got = check(lambda a: jnp.sort(a, axis), x)
        same(got, np.sort(x, axis), x.dtype)
        idx = check(lambda a: jnp.argsort(a, axis), x)
        same(idx, np.argsort(x, axis, kind="stable"), idx_dtype())  # stable: ties keep their order
        # Descending: a stable order of -x (NaNs first), ties still in original order.
        didx = check(lambda a: jnp.argsort(a, axis, descending=True), x)
        flat = x.ravel() if axis is None else x
        ax = 0 if axis is None else axis
        key = -flat.astype(np.float64)  # no infs in the data: -inf is free to stand for NaN
        if x.dtype.kind == "f":
            key = np.where(np.isnan(flat), -np.inf, key)
        want = np.argsort(key, ax, kind="stable")
        same(didx, want, idx_dtype())
        dsorted = check(lambda a: jnp.sort(a, axis, descending=True), x)
        same(dsorted, np.flip(np.sort(flat, ax), ax), x.dtype)


def test_sort_details():
    x = np.array([3.0, np.nan, -np.nan, 1, -0.0, 0.0], np.float32)
    out = np.asarray(jnp.sort(x))
    same(out, [-0.0, 0.0, 1, 3, np.nan, np.nan])
    assert np.signbit(out[0]) and not np.signbit(out[1])  # -0. and 0. tie; stable
    same(jnp.sort(np.array([3.0, np.nan, 1, 2], np.float32), descending=True), [np.nan, 3, 2, 1])
    same(jnp.argsort(np.array([1, 2, 1, 2]), descending=True), [1, 3, 0, 2], INT)
    same(jnp.argsort(np.ones(3, np.float32), dtype=jnp.int16), [0, 1, 2], np.int16)
    same(jnp.sort(np.array([1 + 2j, 1 + 1j, 5j], np.complex64)), [5j, 1 + 1j, 1 + 2j])
    same(jnp.sort_complex(np.array([3, 1, 2], np.int32)), [1, 2, 3], np.complex64)
    with pytest.raises(TypeError, match="kind"):
        jnp.sort(np.ones(3), kind="quicksort")
    with pytest.raises(TypeError, match="order"):
        jnp.argsort(np.ones(3), order="x")
    with pytest.raises(ValueError, match=r"jaxlite.numpy.sort: axis -1 .* rank 0"):
        jnp.sort(jaxlite.Array(np.array(1.0, np.float32)))
    with pytest.raises(ValueError, match=r"axis 2 .* rank 2"):
        jnp.argsort(np.ones((2, 2)), axis=2)


@SETTINGS
@given(st.data())
def test_lexsort_and_partition(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6))
    k1 = data.draw(hnp.arrays(np.int32, shape, elements=st.integers(0, 2)))
    k2 = data.draw(hnp.arrays(np.float32, shape, elements=st.sampled_from([0.0, 1.0, np.nan])))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    got = check(lambda a, b: jnp.lexsort((a, b), axis), k1, k2)
    same(got, np.lexsort((k1, k2), axis), INT)
    x = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(-5, 5, width=32)))
    kth = data.draw(st.integers(-shape[axis], shape[axis] - 1))
    part = check(lambda a: jnp.partition(a, kth, axis), x)
    s = np.sort(x, axis)
    k = kth % shape[axis]
    same(np.take(part, k, axis), np.take(s, k, axis))
    pivot = np.expand_dims(np.take(part, k, axis), axis)
    assert np.all(np.take(part, range(k), axis) <= pivot)
    assert np.all(np.take(part, range(k + 1, shape[axis]), axis) >= pivot)
    idx = check(lambda a: jnp.argpartition(a, kth, axis), x)
    same(np.take_along_axis(x, idx, axis), part)


def test_lexsort_and_partition_errors():
    with pytest.raises(TypeError, match="len > 0"):
        jnp.lexsort(())
    with pytest.raises(ValueError, match="same shape"):
        jnp.lexsort((np.ones(2), np.ones(3)))
    with pytest.raises(ValueError, match="kth=5"):
        jnp.partition(np.arange(5), 5)
    same(jnp.lexsort(np.array([[1, 2, 1], [0, 0, 0]])), [0, 2, 1], INT)


# ---- searchsorted, digitize -------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_searchsorted(data):
    a = np.sort(data.draw(arrays(dtypes=("float32", "float64", "int32"), min_dims=1, max_dims=1,
                                 max_side=9, nan=True, small=True)))
    v = data.draw(arrays(dtypes=(a.dtype.name,), nan=True, small=True))
    side = data.draw(st.sampled_from(["left", "right"]))
    method = data.draw(st.sampled_from(["scan", "scan_unrolled", "sort", "compare_all"]))
    with x64_for(a):
        got = check(lambda p, q: jnp.searchsorted(p, q, side, method=method), a, v)
        same(got, np.searchsorted(a, v, side), INT)
        perm = np.argsort(data.draw(hnp.arrays(np.float32, a.shape, elements=st.floats(0, 1, width=32))))
        shuffled = np.empty_like(a)
        shuffled[perm] = a
        got = check(lambda p, q, s: jnp.searchsorted(p, q, side, sorter=s), shuffled, v, perm.astype(INT))
        same(got, np.searchsorted(a, v, side), INT)
        increasing = data.draw(st.booleans())
        bins = np.unique(a[~np.isnan(a)]) if a.dtype.kind == "f" else np.unique(a)
        bins = bins if increasing else bins[::-1]
        right = data.draw(st.booleans())
        got = check(lambda p, b: jnp.digitize(p, b, right), v, bins)
        if v.dtype.kind == "f" and np.isnan(v).any() and bins.size:
            return  # NumPy's digitize of NaN with decreasing bins differs; JAX follows the sort order
        same(got, np.digitize(v, bins, right), INT)


def test_searchsorted_details():
    same(jnp.searchsorted(np.array([1.0, 2, np.nan], np.float32), np.array([np.nan, 3.0], np.float32)),
         [2, 2], INT)
    same(jnp.searchsorted(np.ones((0,), np.float32), np.ones(2, np.float32)), [0, 0], INT)
    assert jnp.searchsorted(np.array([1, 2, 3]), 2).shape == ()
    with pytest.raises(ValueError, match="side='x'"):
        jnp.searchsorted(np.array([1, 2, 3]), 2, side="x")
    with pytest.raises(ValueError, match=r"1-dimensional.*\(2, 2\)"):
        jnp.searchsorted(np.ones((2, 2)), 2)
    same(jnp.digitize(np.array([0.0, 1, 2.5, 6]), np.array([3.0, 2, 1]), right=True), [3, 3, 1, 0], INT)
    same(jnp.digitize(np.array([0.0, 1]), np.zeros(0)), [0, 0], INT)


# ---- unique and the set operations ------------------------------------------------------------


def _np_unique(x, **kw):
    return _flat(np.unique(x, return_index=True, return_inverse=True, return_counts=True, **kw))


@SETTINGS
@given(st.data())
def test_unique(data):
    x = data.draw(arrays(nan=True, small=True, max_side=6))
    equal_nan = data.draw(st.booleans())
    with x64_for(x):
        _check_unique(x, data, equal_nan)


def _check_unique(x, data, equal_nan):
    want = _np_unique(x, equal_nan=equal_nan)
    got = jnp.unique(jaxlite.Array(x), True, True, True, equal_nan=equal_nan)
    for g, w, dt in zip(got, want, [x.dtype] + [idx_dtype()] * 3):
        same(g, w, dt)
    # With size=: padded with fill_value (or the smallest value), index 0-th, count 0; traceable.
    size = data.draw(st.integers(1, 8))
    fill = data.draw(st.none() | st.just(1))
    if x.size == 0 and fill is None:
        with pytest.raises(ValueError, match="fill_value"):
            jnp.unique(jaxlite.Array(x), size=size)
        return
    got = check(lambda a: jnp.unique(a, True, True, True, size=size, fill_value=fill,
                                     equal_nan=equal_nan), x)
    n = min(size, want[0].size)
    pad = size - n
    fill_v = np.array(fill if fill is not None else want[0][:1].tolist() or [0], x.dtype)
    same(got[0], np.concatenate([want[0][:n], np.broadcast_to(fill_v, (pad,))]), x.dtype)
    same(got[1], np.concatenate([want[1][:n], np.full(pad, want[1][0] if want[1].size else 0)]), idx_dtype())
    same(got[2], want[2], idx_dtype())
    same(got[3], np.concatenate([want[3][:n], np.zeros(pad, int)]), idx_dtype())


@SETTINGS
@given(st.data())
def test_unique_axis(data):
    x = data.draw(arrays(dtypes=("int32", "float32"), min_dims=1, max_dims=3, min_side=1, max_side=4,
                         small=True))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    got = [np.asarray(g) for g in jnp.unique(jaxlite.Array(x), True, True, True, axis=axis)]
    want = _np_unique(x, axis=axis)
    for g, w in zip(got, want):
        same(g, w.reshape(-1) if g.ndim == 1 and w.ndim > 1 else w)
    size = want[0].shape[axis] + 1
    got = check(lambda a: jnp.unique(a, axis=axis, size=size, fill_value=7), x)
    assert got.shape[axis % x.ndim] == size


def test_unique_under_tracing_needs_size():
    x = np.array([3, 1, 1], np.int32)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="size="):
        jaxlite.make_jaxpr(jnp.unique)(x)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="size="):
        jaxlite.make_jaxpr(lambda a: jnp.intersect1d(a, a))(x)
    with pytest.raises(jaxlite.ConcretizationTypeError, match="length="):
        jaxlite.make_jaxpr(jnp.bincount)(x)
    same(jnp.unique(jaxlite.Array(np.array(3.0, np.float32)), return_inverse=True)[1], 0, INT)
    u = jnp.unique_all(np.array([3, 3, 1, 2]))
    same(u.values, [1, 2, 3]) and same(u.indices, [2, 3, 0]) and same(u.counts, [1, 1, 2])
    same(jnp.unique_inverse(np.array([[3, 3], [1, 2]])).inverse_indices, [[2, 2], [0, 1]])
    same(jnp.unique_values(np.array([np.nan, np.nan, 1.0])), [1, np.nan, np.nan])
    same(jnp.unique_counts(np.array([2, 2, 1])).counts, [1, 2])


@SETTINGS
@given(st.data())
def test_set_operations(data):
    a = data.draw(arrays(dtypes=("int32", "float32"), max_dims=2, small=True))
    b = data.draw(arrays(dtypes=(a.dtype.name,), max_dims=2, small=True))
    fw = dict(size=data.draw(st.integers(0, 6)), fill_value=9)
    for name in ["union1d", "intersect1d", "setdiff1d", "setxor1d"]:
        fn = getattr(jnp, name)
        want = getattr(np, name)(a, b)
        same(fn(jaxlite.Array(a), jaxlite.Array(b)), want, a.dtype)
        got = check(lambda p, q: fn(p, q, **fw), a, b)
        n = min(fw["size"], want.size)
        same(got, np.concatenate([want[:n], np.full(fw["size"] - n, 9, a.dtype)]), a.dtype)
    got = jnp.intersect1d(jaxlite.Array(a), jaxlite.Array(b), return_indices=True)
    for g, w in zip(got, np.intersect1d(a, b, return_indices=True)):
        same(g, w)
    invert = data.draw(st.booleans())
    same(check(lambda p, q: jnp.isin(p, q, invert=invert), a, b), np.isin(a, b, invert=invert), np.bool_)
    same(check(lambda p, q: jnp.isin(p, q, method="compare_all"), a, b), np.isin(a, b), np.bool_)


def test_set_operation_padding_follows_jax():
    a, b = np.array([0, 3, 1, 1, 5], INT), np.array([2, 1, 3, 9], INT)
    v, i1, i2 = jnp.intersect1d(a, b, size=4, return_indices=True)
    same(v, [1, 3, 1, 1]) and same(i1, [2, 1, 5, 5]) and same(i2, [1, 2, 4, 4])
    same(jnp.setdiff1d(np.array([7, 8]), np.array([7, 8]), size=2), [0, 0])
    same(jnp.setxor1d(a, b, size=6), [0, 2, 5, 9, 0, 0])
    same(jnp.union1d(np.array([3, 1]), np.array([2.0, 1])), [1, 2, 3], np.float32)
    same(jnp.isin(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])), [False, True])


# ---- histogram, bincount, interp --------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_histogram(data):
    x = data.draw(arrays(dtypes=("float32", "float64", "int32"), small=data.draw(st.booleans())))
    bins = data.draw(st.integers(1, 6))
    use_range = data.draw(st.booleans())
    rng = (-1.0, 2.0) if use_range else None
    w = data.draw(st.none() | hnp.arrays(np.float32, x.shape, elements=st.floats(0, 2, width=32)))
    density = data.draw(st.booleans())
    with x64_for(x):
        args = (x,) if w is None else (x, w)
        counts, edges = check(lambda a, *ww: jnp.histogram(a, bins, rng, *ww, density=density), *args)
        want_edges = np.histogram_bin_edges(x.astype(edges.dtype), bins, rng)
        same(edges, want_edges, rtol=1e-6, atol=1e-6)
        # Counts must be exact for the edges we produced (NumPy's right-edge-inclusive rule).
        want, _ = np_ref(np.histogram, x.astype(edges.dtype), edges, weights=w, density=density)
        same(counts, want, rtol=1e-5, atol=1e-6)
        assert counts.dtype.kind == "f"
        got = check(lambda a: jnp.histogram(a, np.array([-1.0, 0.0, 0.5, 3.0], np.float32))[0], x)
        same(got, np.histogram(x, np.array([-1.0, 0.0, 0.5, 3.0]))[0])


def test_histogram_details():
    counts, edges = jnp.histogram(np.array([2.0, 2, 2], np.float32), bins=2)
    same(counts, [0, 3], np.float32) and same(edges, [1.5, 2, 2.5])
    counts, edges = jnp.histogram(np.array([1.0, np.nan, 2], np.float32), bins=2, range=(0, 2))
    same(counts, [0, 2])  # NaN is not counted; 2.0 is in the last bin, which includes its right edge
    same(jnp.histogram_bin_edges(np.arange(6), bins=5), [0, 1, 2, 3, 4, 5], np.float32)
    with pytest.raises(NotImplementedError, match="bins"):
        jnp.histogram(np.arange(3), bins="auto")
    with pytest.raises(jaxlite.ConcretizationTypeError, match="bins"):
        jaxlite.make_jaxpr(lambda a, b: jnp.histogram(a, b))(np.arange(3.0), 3)


@SETTINGS
@given(st.data())
def test_bincount(data):
    x = data.draw(hnp.arrays(np.int32, data.draw(st.integers(0, 8)), elements=st.integers(0, 6)))
    w = data.draw(st.none() | hnp.arrays(np.float32, x.shape, elements=st.floats(-2, 2, width=32)))
    minlength = data.draw(st.integers(0, 9))
    want = np.bincount(x, w, minlength)
    got = jnp.bincount(jaxlite.Array(x), None if w is None else jaxlite.Array(w), minlength)
    same(got, want, np.float32 if w is not None else INT, rtol=1e-6, atol=1e-6)
    length = data.draw(st.integers(0, 9))
    args = (x,) if w is None else (x, w)
    got = check(lambda a, *ww: jnp.bincount(a, *ww, length=length), *args)
    padded = np.zeros(max(length, want.size))
    padded[:want.size] = want
    same(got, padded[:length], rtol=1e-6, atol=1e-6)


def test_bincount_details():
    same(jnp.bincount(np.array([0, -1, 1, 3])), [2, 1, 0, 1], INT)  # JAX: negatives count in bin 0
    same(jnp.bincount(np.array([True, False, True])), [1, 2], INT)
    with pytest.raises(TypeError, match="integer"):
        jnp.bincount(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="1-dimensional"):
        jnp.bincount(np.ones((2, 2), np.int32))


@SETTINGS
@given(st.data())
def test_interp(data):
    n = data.draw(st.integers(1, 6))
    xp = np.sort(data.draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-2.0, -1, 0, 0.5, 1, 3]))))
    fp = data.draw(hnp.arrays(np.float64, n, elements=st.floats(-10, 10)))
    x = data.draw(hnp.arrays(np.float64, data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
                             elements=st.floats(-4, 4) | st.sampled_from([-2.0, 0.5, 3.0, np.nan])))
    left, right = data.draw(st.sampled_from([(None, None), (-99.0, 99.0)]))
    with jaxlite.enable_x64():
        got = check(lambda a, b, c: jnp.interp(a, b, c, left, right), x, xp, fp)
        same(got, np.interp(x, xp, fp, left, right), np.float64, rtol=1e-9, atol=1e-9)
        if np.unique(xp).size == n:
            got = check(lambda a, b, c: jnp.interp(a, b, c, period=5.0), x, xp, fp)
            same(got, np.interp(x, xp, fp, period=5.0), rtol=1e-9, atol=1e-9)


def test_interp_details():
    xp, fp = np.array([1.0, 2, 4], np.float32), np.array([10.0, 20, 0], np.float32)
    same(jnp.interp(np.array([0.0, 5]), xp, fp, left="extrapolate", right="extrapolate"), [0, -10])
    same(jnp.interp(np.array([1.5], np.float32), np.array([1.0, 2]), np.array([1j, 2], np.complex64)),
         [1 + 0.5j], np.complex64)
    assert jnp.interp(np.array([1, 2]), np.array([1, 3]), np.array([0, 1])).dtype == np.float32
    with pytest.raises(ValueError, match="equal size"):
        jnp.interp(np.array([1.5]), np.ones((2, 2)), np.array([1.0, 2]))


# ---- convolve, correlate, polynomials, cross --------------------------------------------------


@SETTINGS
@given(st.data())
def test_convolve_correlate(data):
    a = data.draw(arrays(dtypes=("float64", "int32"), min_dims=1, max_dims=1, min_side=1, max_side=7))
    v = data.draw(arrays(dtypes=("float64", "int32"), min_dims=1, max_dims=1, min_side=1, max_side=7))
    mode = data.draw(st.sampled_from(["full", "same", "valid"]))
    with jaxlite.enable_x64():
        for name in ["convolve", "correlate"]:
            got = check(lambda p, q: getattr(jnp, name)(p, q, mode), a, v)
            want = getattr(np, name)(a.astype(np.float64), v.astype(np.float64), mode)
            same(got, want, np.float64 if np.float64 in (a.dtype, v.dtype) else np.float32,
                 rtol=1e-6, atol=1e-6)
    z = np.array([1j, 2], np.complex64)
    same(jnp.correlate(z, np.array([1j, 1], np.complex64), "full"), np.correlate(z, [1j, 1], "full"))


@SETTINGS
@given(st.data())
def test_polynomials(data):
    p = data.draw(arrays(dtypes=("float32", "int32"), min_dims=1, max_dims=1, max_side=5, small=True))
    q = data.draw(arrays(dtypes=("float32", "int32"), min_dims=1, max_dims=1, min_side=1, max_side=5,
                         small=True))
    x = data.draw(arrays(dtypes=("float32", "int32"), max_dims=2, small=True))
    got = check(jnp.polyval, p, x)
    want = np.polyval(p.astype(np.float64), x.astype(np.float64)) if p.size else np.zeros(x.shape)
    same(got, want, rtol=1e-5, atol=1e-4)
    if p.size:
        same(check(jnp.polyadd, p, q), np.polyadd(p, q), rtol=1e-6)
        same(check(jnp.polysub, p, q), np.polysub(p, q), rtol=1e-6)
        got = check(jnp.polymul, p, q)
        want = np.convolve(p.astype(np.float64), q.astype(np.float64))  # untrimmed, as JAX
        same(got, want, np.float32, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(st.data())
def test_cross(data):
    da, db = data.draw(st.sampled_from([2, 3])), data.draw(st.sampled_from([2, 3]))
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    a = data.draw(hnp.arrays(np.float32, batch + (da,), elements=st.floats(-5, 5, width=32)))
    b = data.draw(hnp.arrays(np.float32, (db,), elements=st.floats(-5, 5, width=32)))
    got = check(jnp.cross, a, b)
    same(got, np_ref(np.cross, a, b), np.float32, rtol=1e-5, atol=1e-4)
    if da == 3 and db == 3 and batch:
        at = np.moveaxis(a, -1, 0)
        got = check(lambda p, q: jnp.cross(p, q, axisa=0, axisc=0), at, b)
        same(got, np.cross(at, b, axisa=0, axisc=0), rtol=1e-5, atol=1e-4)


def test_cross_and_poly_errors():
    with pytest.raises(ValueError, match="2 or 3"):
        jnp.cross(np.arange(4.0), np.ones(4))
    with pytest.raises(ValueError, match="empty"):
        jnp.convolve(np.zeros(0), np.array([1.0]))
    with pytest.raises(ValueError, match="mode"):
        jnp.convolve(np.ones(2), np.ones(2), mode="middle")
    with pytest.raises(TypeError, match="list"):
        jnp.polyval([1, 2], 2.0)
    same(jnp.polymul(np.array([0, 1, 2]), np.array([1, 2, 3]), trim_leading_zeros=True), [1, 4, 7, 6])


# ---- Against JAX, where installed -------------------------------------------------------------

JAX_CASES = [
    ("argsort", (np.array([1.0, np.nan, 1, 2], np.float32),), {"descending": True}),
    ("unique", (np.array([5, 3, 1, 1, 2, 3], INT),),
     {"size": 6, "return_index": True, "return_inverse": True, "return_counts": True}),
    ("unique", (np.array([5.0, 3, 1, np.nan, np.nan], np.float32),),
     {"size": 6, "fill_value": 9, "return_index": True, "return_counts": True}),
    ("unique", (np.array([[3, 1], [1, 2], [3, 1]], INT),),
     {"axis": 0, "return_inverse": True, "return_counts": True, "return_index": True}),
    ("intersect1d", (np.array([0, 3, 1, 1, 5], INT), np.array([2, 1, 3, 9], INT)),
     {"size": 4, "fill_value": 7, "return_indices": True}),
    ("setdiff1d", (np.array([3, 1, 1, 5], INT), np.array([2, 1], INT)), {"size": 4}),
    ("histogram", (np.array([0, 1, 2, 3, 4, 5], INT),), {"bins": 5}),
    ("histogram", (np.array([0.0, 1, 2, 3, 4, 5], np.float32),), {"bins": 3, "weights": np.arange(6.0),
                                                                 "density": True}),
    ("bincount", (np.array([0, 1, 1, 3], INT),), {"minlength": 6, "length": 3}),
    ("interp", (np.array([-1.0, 5, 370], np.float32), np.array([0.0, 90, 180, 270], np.float32),
                np.array([4.0, 2, 1, 3], np.float32)), {"period": 360}),
    ("convolve", (np.array([True, False]), np.array([True, True])), {}),
    ("correlate", (np.array([1.0, 2, 3, 4], np.float32), np.array([0, 1, 0.5], np.float32)), {}),
    ("polyval", (np.array([1, 2, 3], INT), np.array([1, 2], INT)), {}),
    ("polymul", (np.array([0, 1, 2], INT), np.array([1, 2, 3], INT)), {}),
    ("cross", (np.array([1.0, 2], np.float32), np.array([4.0, 5, 6], np.float32)), {}),
    ("digitize", (np.array([0.0, 1, 2.5, 6], np.float32), np.array([3.0, 2, 1], np.float32)), {}),
    ("searchsorted", (np.array([1, 2, 2, 3], INT), np.array([2, 0, 5], INT)), {"side": "right"}),
    ("partition", (np.array([5, 1, 4, 2, 3], INT), 2), {}),
    ("convolve", (np.array([np.nan, 1.0], np.float32), np.array([1.0, 2.0, 3.0], np.float32)), {}),
    ("correlate", (np.array([np.nan, 1.0], np.float32), np.array([1.0, 2.0, 3.0], np.float32)),
     {"mode": "same"}),
    ("setxor1d", (np.array([3.0, np.nan], np.float32), np.array([1.0, 2.0], np.float32)), {"size": 5}),
    ("intersect1d", (np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)), {"size": 3}),
    ("union1d", (np.array([3.0, np.nan], np.float32), np.array([1.0, 2.0], np.float32)), {"size": 6}),
]


@pytest.mark.parametrize("name,args,kwargs", JAX_CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(JAX_CASES)])
def test_matches_jax(name, args, kwargs):
    jax_np = pytest.importorskip("jax.numpy")
    want = _flat(getattr(jax_np, name)(*args, **kwargs))
    got = _flat(getattr(jnp, name)(*args, **kwargs))
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        if name == "partition":  # any valid partition; JAX's tail order is an implementation detail
            g, w = np.sort(g), np.sort(w)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, equal_nan=True)
