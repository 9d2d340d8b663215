"""jaxlite.numpy array creation against NumPy (and JAX where JAX deliberately differs), eagerly
and through make_jaxpr + eval_jaxpr."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
DTYPES = [np.float32, np.int32, np.bool_, np.int8, np.uint8, np.float16, np.complex64]


def traced_values(f, *args):
    """f staged with make_jaxpr and run by the interpreter (consts may be Arrays)."""
    closed = jaxlite.make_jaxpr(f)(*args)
    consts = [np.asarray(c) for c in closed.consts]
    return eval_jaxpr(closed.jaxpr, consts, *[np.asarray(a) for a in args])


def check(f, *args, want=None, rtol=0, atol=0):
    """f(*args) equals want (default: f eager) both eagerly and traced, dtype included."""
    eager = f(*args)
    eager = list(eager) if isinstance(eager, (list, tuple)) else [eager]
    wants = eager if want is None else (list(want) if isinstance(want, (list, tuple)) else [want])
    traced = traced_values(f, *args)
    for e, t, w in zip(eager, traced, wants):
        w = np.asarray(w)
        for got in (np.asarray(e), np.asarray(t)):
            assert got.shape == w.shape and got.dtype == w.dtype, (got.shape, got.dtype, w.shape, w.dtype)
            np.testing.assert_allclose(got.astype(w.dtype), w, rtol=rtol, atol=atol, equal_nan=True)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


# ---- array / asarray --------------------------------------------------------------------------


nested = st.recursive(
    st.lists(st.integers(-100, 100), min_size=1, max_size=3)
    | st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=3)
    | st.lists(st.booleans(), min_size=1, max_size=3),
    lambda inner: st.integers(1, 3).flatmap(lambda n: st.lists(inner, min_size=n, max_size=n)),
    max_leaves=12)


@SETTINGS
@given(nested)
def test_array_from_nested_lists_matches_numpy(obj):
    try:
        want = np.array(obj)
    except ValueError:
        with pytest.raises(ValueError):
            jnp.array(obj)
        return
    want = want.astype({"i": np.int32, "f": np.float32, "b": np.bool_}[want.dtype.kind])
    got = jnp.array(obj)
    assert got.dtype == want.dtype and got.shape == want.shape and not got.weak_type
    np.testing.assert_array_equal(np.asarray(got), want)
    assert_same_as = jnp.asarray(tuple(obj))
    np.testing.assert_array_equal(np.asarray(assert_same_as), want)


def test_array_dtypes_and_weak_types_like_jax():
    assert jnp.array(3).weak_type and jnp.array(3).dtype == np.int32
    assert jnp.asarray(3.0).weak_type and jnp.asarray(3.0).dtype == np.float32
    assert not jnp.array([1, 2]).weak_type
    assert jnp.array([1, 2.0]).dtype == np.float32
    assert jnp.array(np.ones(2)).dtype == np.float32  # x64 off
    assert jnp.array([np.int64(1), 2]).dtype == np.int32
    assert jnp.array([jnp.ones((), jnp.int8), 3]).dtype == np.int8
    assert jnp.array(jnp.asarray(1.0)).weak_type
    assert not jnp.array(jnp.asarray(1.0), dtype=jnp.float32).weak_type
    assert jnp.array([]).shape == (0,) and jnp.array([]).dtype == np.float32
    assert jnp.array([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(np.asarray(jnp.array([1.7, -1.7], dtype=jnp.int32)), [1, -1])
    assert jnp.array([1, 2], ndmin=3).shape == (1, 1, 2)
    assert jnp.array(np.float16(0.5)).dtype == np.float16
    x = jnp.arange(3)
    assert jnp.array(x) is not x and jnp.asarray(x) is not None


def test_array_errors():
    with pytest.raises(ValueError, match="None"):
        jnp.array(None)
    with pytest.raises(TypeError, match="string"):
        jnp.array("abc")
    with pytest.raises(ValueError):
        jnp.array([[1], [1, 2]])
    with pytest.raises(OverflowError):
        jnp.array([2**40])
    with pytest.raises(TypeError):
        jnp.array([1], dtype="not a dtype")


def test_array_of_tracers_stacks_them():
    def f(x, y):
        return jnp.array([[x, y], [y, 1.0]])

    check(f, np.float32(2.0), np.float32(3.0), want=np.array([[2.0, 3.0], [3.0, 1.0]], np.float32))
    check(lambda x: jnp.array([x, 1.5]), np.int32(2), want=np.array([2.0, 1.5], np.float32))
    check(lambda x: jnp.array([x, x + 1]), np.ones((2, 3), np.float32),
          want=np.stack([np.ones((2, 3)), 2 * np.ones((2, 3))]).astype(np.float32))
    check(lambda x: jnp.asarray((x, 2), dtype=jnp.int32), np.float32(1.5), want=np.array([1, 2], np.int32))
    prims = {e.prim.name for e in jaxlite.make_jaxpr(lambda x: jnp.array([x, 1.0]))(1.0).jaxpr.eqns}
    assert "concatenate" in prims


# ---- filled arrays ----------------------------------------------------------------------------


@SETTINGS
@given(shapes, st.sampled_from(DTYPES))
def test_zeros_ones_full_empty(shape, dtype):
    for jf, nf in [(jnp.zeros, np.zeros), (jnp.ones, np.ones), (jnp.empty, np.zeros)]:
        check(lambda: jf(shape, dtype), want=nf(shape, dtype))
    check(lambda: jnp.full(shape, 3, dtype), want=np.full(shape, 3, dtype))
    x = np.ones(shape, dtype)
    for jf, nf in [(jnp.zeros_like, np.zeros_like), (jnp.ones_like, np.ones_like),
                   (jnp.empty_like, np.zeros_like)]:
        check(lambda x: jf(x), x, want=nf(x))
        check(lambda x: jf(x, dtype=np.float32, shape=(2,)), x, want=nf(x, np.float32, shape=(2,)))
    check(lambda x: jnp.full_like(x, 2), x, want=np.full_like(x, 2))


def test_filled_defaults_and_weak_types():
    assert jnp.zeros(3).dtype == np.float32 and not jnp.zeros(3).weak_type
    assert jnp.full((2,), 1).weak_type and jnp.full((2,), 1).dtype == np.int32
    assert jnp.full((2,), 1.0).weak_type
    assert not jnp.full((2,), 1.5, dtype=int).weak_type
    assert jnp.zeros_like(jnp.asarray(1.0)).weak_type
    assert jnp.ones_like(3).weak_type and jnp.ones_like(3).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(jnp.full_like(jnp.ones(2, int), 2.7)), [2, 2])
    np.testing.assert_array_equal(np.asarray(jnp.full((2, 3), jnp.array([1, 2, 3]))), [[1, 2, 3]] * 2)
    assert jnp.zeros([2, 3]).shape == (2, 3) and jnp.zeros(np.int64(2)).shape == (2,)
    with pytest.raises(TypeError, match="negative"):
        jnp.zeros(-1)
    with pytest.raises(TypeError, match="shape"):
        jnp.zeros(2.0)
    with pytest.raises(TypeError):
        jnp.full_like([1, 2], 3)
    with pytest.raises(jaxlite.ConcretizationTypeError):
        jaxlite.make_jaxpr(lambda n: jnp.zeros(n))(3)


# ---- ranges -----------------------------------------------------------------------------------


@SETTINGS
@given(st.integers(-20, 20), st.integers(-20, 20), st.sampled_from([None, 1, 2, 3, -1, -4]))
def test_arange_ints_match_numpy(start, stop, step):
    want = np.arange(start, stop, step if step is not None else 1).astype(np.int32)
    check(lambda: jnp.arange(start, stop, step), want=want)
    if start >= 0:
        check(lambda: jnp.arange(start), want=np.arange(start).astype(np.int32))


@SETTINGS
@given(st.floats(-10, 10), st.floats(-10, 10), st.sampled_from([0.25, 0.1, 1.5, -0.3, -2.0]))
def test_arange_floats_match_numpy(start, stop, step):
    want = np.arange(start, stop, step)
    got = jnp.arange(start, stop, step)
    assert got.dtype == np.float32 and got.shape == want.shape and not got.weak_type
    # JAX computes start + i * step in float32 (NumPy in float64), so the last digits differ.
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_arange_details():
    check(lambda: jnp.arange(0.5, 5, dtype=int), want=np.array([0, 1, 2, 3, 4], np.int32))
    check(lambda: jnp.arange(5, dtype=jnp.float32), want=np.arange(5, dtype=np.float32))
    check(lambda: jnp.arange(2.5), want=np.arange(2.5, dtype=np.float32))
    assert jnp.arange(jnp.array(3)).shape == (3,)
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda: jnp.arange(5))().jaxpr.eqns]
    assert prims == ["iota"]
    with pytest.raises(jaxlite.ConcretizationTypeError, match="stop|start"):
        jaxlite.make_jaxpr(lambda n: jnp.arange(n))(3)
    with pytest.raises(TypeError, match="bool"):
        jnp.arange(True)
    with pytest.raises(ZeroDivisionError):
        jnp.arange(0, 5, 0)


@SETTINGS
@given(st.floats(-100, 100), st.floats(-100, 100), st.integers(0, 12), st.booleans())
def test_linspace_matches_numpy(start, stop, num, endpoint):
    want, wstep = np.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    got, step = jnp.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-4)
    if num > 1 or (num == 1 and not endpoint):
        np.testing.assert_allclose(float(step), wstep, rtol=1e-5, atol=1e-5)
    (traced,) = traced_values(lambda a, b: jnp.linspace(a, b, num, endpoint=endpoint),
                              np.float32(start), np.float32(stop))
    np.testing.assert_allclose(traced, want, rtol=1e-5, atol=1e-4)


def test_linspace_arrays_axis_and_dtypes():
    a, b = np.array([0.0, 1.0], np.float32), np.array([1.0, 3.0], np.float32)
    for axis in (0, 1, -1):
        check(lambda a, b: jnp.linspace(a, b, 5, axis=axis), a, b,
              want=np.linspace(a, b, 5, axis=axis).astype(np.float32), rtol=1e-6)
    check(lambda a: jnp.linspace(a, 5.0, 4, endpoint=False, axis=-1), a,
          want=np.linspace(a, 5.0, 4, endpoint=False, axis=-1).astype(np.float32), rtol=1e-6)
    # Integer dtypes are floored, as in JAX (NumPy truncates towards zero).
    check(lambda: jnp.linspace(-10, 10, 7, dtype=int), want=np.array([-10, -7, -4, 0, 3, 6, 10], np.int32))
    assert jnp.linspace(jnp.float16(0), 1, 3).dtype == np.float16
    assert jnp.linspace(0, 1j, 3).dtype == np.complex64
    out, step = jnp.linspace(0, 1, 1, retstep=True)
    assert np.isnan(float(step)) and out.shape == (1,)
    with pytest.raises(ValueError, match="non-negative"):
        jnp.linspace(0, 1, -1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # geomspace(0, ...) divides 0 by 0
def test_logspace_geomspace():
    check(lambda: jnp.logspace(0, 2, 3), want=np.logspace(0, 2, 3).astype(np.float32), rtol=1e-6)
    check(lambda: jnp.logspace(0, 3, 4, base=2, endpoint=False),
          want=np.logspace(0, 3, 4, base=2, endpoint=False).astype(np.float32), rtol=1e-6)
    check(lambda: jnp.logspace(0, 2, 3, dtype=int), want=np.array([1, 10, 100], np.int32))
    for a, b in [(1, 1000), (-1, -1000), (2.0, 0.5)]:
        check(lambda: jnp.geomspace(a, b, 4), want=np.geomspace(a, b, 4).astype(np.float32), rtol=1e-5)
    assert np.isnan(np.asarray(jnp.geomspace(0, 1000, 4))).all()  # JAX gives NaN, NumPy raises


# ---- matrices ---------------------------------------------------------------------------------


@SETTINGS
@given(st.integers(0, 5), st.none() | st.integers(0, 5), st.integers(-6, 6), st.sampled_from(DTYPES[:3]))
def test_eye_tri_identity(n, m, k, dtype):
    check(lambda: jnp.eye(n, m, k, dtype), want=np.eye(n, m, k, dtype))
    check(lambda: jnp.tri(n, m, k, dtype), want=np.tri(n, m, k, dtype))
    check(lambda: jnp.identity(n, dtype), want=np.identity(n, dtype))
    # k may be traced.
    check(lambda k: jnp.eye(n, m, k), np.int32(k), want=np.eye(n, m, k, np.float32))


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple), st.integers(-5, 5))
def test_tril_triu(shape, k):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) + 1
    check(lambda x: jnp.tril(x, k), x, want=np.tril(x, k))
    check(lambda x: jnp.triu(x, k), x, want=np.triu(x, k))
    check(lambda x, k: jnp.triu(x, k), x, np.int32(k), want=np.triu(x, k))


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple), st.integers(-5, 5), st.data())
def test_diagonal_and_trace(shape, offset, data):
    nd = len(shape)
    ax1 = data.draw(st.integers(-nd, nd - 1))
    ax2 = data.draw(st.integers(-nd, nd - 1).filter(lambda a: a % nd != ax1 % nd))
    x = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    check(lambda x: jnp.diagonal(x, offset, ax1, ax2), x, want=np.diagonal(x, offset, ax1, ax2))
    check(lambda x: jnp.trace(x, offset, ax1, ax2), x, want=np.trace(x, offset, ax1, ax2).astype(np.int32))
    check(lambda x: jnp.trace(x.astype(jnp.float32), offset, ax1, ax2, dtype=jnp.int32), x,
          want=np.trace(x, offset, ax1, ax2).astype(np.int32))


@SETTINGS
@given(st.integers(0, 5), st.integers(-4, 4))
def test_diag_and_diagflat(n, k):
    v = np.arange(n, dtype=np.float32) + 1
    check(lambda v: jnp.diag(v, k), v, want=np.diag(v, k))
    m = np.arange(n * (n + 1), dtype=np.float32).reshape(n, n + 1)
    check(lambda m: jnp.diag(m, k), m, want=np.diag(m, k))
    check(lambda m: jnp.diagflat(m, k), m, want=np.diagflat(m, k))


def test_matrix_dtypes_and_errors():
    assert jnp.trace(jnp.ones((3, 3), jnp.int8)).dtype == np.int32
    assert jnp.trace(jnp.ones((3, 3), jnp.uint8)).dtype == np.uint32
    assert jnp.trace(jnp.ones((3, 3), bool)).dtype == np.int32
    assert jnp.trace(jnp.ones((3, 3), jnp.float16)).dtype == np.float16
    with pytest.raises(ValueError, match="2-d"):
        jnp.tril(jnp.ones(3))
    with pytest.raises(ValueError, match="1-d or 2-d"):
        jnp.diag(jnp.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="two dimensions"):
        jnp.diagonal(jnp.ones(3))
    with pytest.raises(ValueError, match="same"):
        jnp.diagonal(jnp.ones((3, 3)), 0, 1, 1)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.diagonal(jnp.ones((3, 3)), 0, 0, 2)


# ---- grids ------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple))
def test_indices(dims):
    check(lambda: jnp.indices(dims), want=np.indices(dims).astype(np.int32))
    check(lambda: jnp.indices(dims, sparse=True),
          want=[i.astype(np.int32) for i in np.indices(dims, sparse=True)])


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.sampled_from(["xy", "ij"]), st.booleans())
def test_meshgrid(sizes, indexing, sparse):
    xs = [np.arange(n, dtype=np.float32) + 10 * i for i, n in enumerate(sizes)]
    want = np.meshgrid(*xs, indexing=indexing, sparse=sparse)
    check(lambda *xs: jnp.meshgrid(*xs, indexing=indexing, sparse=sparse), *xs, want=want)


def test_meshgrid_and_copy_errors():
    with pytest.raises(ValueError, match="1-d"):
        jnp.meshgrid(jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="indexing"):
        jnp.meshgrid(jnp.ones(2), indexing="yx")
    x = jnp.arange(3)
    y = jnp.copy(x)
    assert y is not x
    np.testing.assert_array_equal(np.asarray(y), np.arange(3))
    check(lambda x: jnp.copy(x), np.arange(3.0, dtype=np.float32), want=np.arange(3.0, dtype=np.float32))


def test_against_jax_when_available():
    jax = pytest.importorskip("jax")
    rjnp = jax.numpy
    cases = [
        lambda n: n.arange(0.0, 1.0, 0.1),
        lambda n: n.linspace(-10, 10, 7, dtype=int),
        lambda n: n.linspace(n.array([0.0, 1.0]), 3.0, 5, axis=1),
        lambda n: n.geomspace(1, 1000, 4),
        lambda n: n.logspace(0, 3, 5, base=3.0),
        lambda n: n.trace(n.ones((3, 3), n.uint8)),
        lambda n: n.eye(3, 4, -1, dtype=int),
        lambda n: n.full((2,), 7),
    ]
    for case in cases:
        mine, theirs = np.asarray(case(jnp)), np.asarray(case(rjnp))
        assert mine.dtype == theirs.dtype
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)
    assert jnp.full((2,), 7).weak_type == rjnp.full((2,), 7).weak_type
