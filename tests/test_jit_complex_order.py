"""jit of complex orderings (cpu/emit_complex_order.py, the merge sort's complex keys): max, min,
clamp, comparisons, max/min reductions, argmax/argmin, cummax/cummin, scatter max/min and sorts
run natively (no interpreter callbacks) and equal eager (the NumPy interpreter) bit for bit,
for complex64 and complex128, on edge values (ties of real parts, signed zeros, infinities, NaN
in either part), and agree with JAX where JAX's answer does not depend on XLA's evaluation order.
"""

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import runtime
from jaxlite import grad, jvp, lax, vmap
from jaxlite.config import enable_x64
from jaxlite.jit import jit

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = [np.complex64, np.complex128]
NAN, INF = np.nan, np.inf
EDGE_PARTS = [-INF, -1.0, -0.0, 0.0, 1.0, 2.0, INF, NAN]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(params=DTYPES, ids=["c64", "c128"])
def dtype(request):
    if request.param == np.complex128:
        with enable_x64():
            yield request.param
    else:
        yield request.param


def edge_values(dtype):
    """Every (re, im) pair of the edge parts: 64 values."""
    return np.array([complex(a, b) for a in EDGE_PARTS for b in EDGE_PARTS], dtype)


def awkward(shape, dtype, seed=0, nan_rate=0.05):
    """Small integer parts (many ties of real parts), some infinities and NaNs in either part."""
    r = np.random.RandomState(seed)
    re = r.randint(-3, 4, shape).astype(np.float64)
    im = r.randint(-3, 4, shape).astype(np.float64)
    for part in (re, im):
        part[r.rand(*shape) < nan_rate] = NAN
        part[r.rand(*shape) < nan_rate / 2] = INF
        part[r.rand(*shape) < nan_rate / 2] = -0.0
    return (re + 1j * im).astype(dtype) if shape else np.asarray(complex(re, im), dtype)


def same_bits(got, want):
    """Equal values, dtypes and shapes; NaN matches NaN and zeros keep their sign."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape, got.dtype, want.dtype)
    if got.dtype.kind != "c":
        np.testing.assert_array_equal(got, want)
        return
    for g, w in ((got.real, want.real), (got.imag, want.imag)):
        nan = np.isnan(w)
        assert np.array_equal(np.isnan(g), nan), (got, want)
        assert np.array_equal(g[~nan], w[~nan]), (got, want)
        assert np.array_equal(np.signbit(g[~nan]), np.signbit(w[~nan])), (got, want)


def native_equals_eager(f, *args):
    """jit(f) runs with no interpreter callbacks and equals f run eagerly."""
    before = runtime.STATS["interpreter_callbacks"]
    got = jit(f)(*args)
    assert runtime.STATS["interpreter_callbacks"] == before, "an interpreter callback ran"
    want = f(*args)
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want, strict=True):
            same_bits(g, w)
    else:
        same_bits(got, want)
    return got


@pytest.fixture
def jax_x64():
    """JAX with x64 on (complex128 stays complex128) for one test, then as it was."""
    jax = pytest.importorskip("jax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", before)


# ---- Elementwise ---------------------------------------------------------------------------


def test_max_min_clamp_and_comparisons_on_every_edge_pair(dtype):
    v = edge_values(dtype)
    x, y = (a.ravel() for a in np.meshgrid(v, v, indexing="ij"))

    def f(x, y):
        return (
            lax.max(x, y),
            lax.min(x, y),
            jnp.maximum(y, x),
            lax.lt(x, y),
            lax.le(x, y),
            lax.gt(x, y),
            lax.ge(x, y),
        )

    native_equals_eager(f, x, y)


def test_clamp_on_edge_values(dtype):
    v = edge_values(dtype)
    lo, x, hi = (a.ravel() for a in np.meshgrid(v[::3], v, v[::5], indexing="ij"))
    native_equals_eager(lax.clamp, lo, x, hi)
    scalar_bounds = lambda x: lax.clamp(np.asarray(-1 + 1j, dtype), x, np.asarray(1 + 0j, dtype))  # noqa: E731
    native_equals_eager(scalar_bounds, v)


def test_elementwise_orders_match_jax(dtype, jax_x64):
    jax = jax_x64
    v = edge_values(dtype)
    x, y = (a.ravel() for a in np.meshgrid(v, v, indexing="ij"))
    for ours, theirs in ((lax.max, jax.lax.max), (lax.min, jax.lax.min)):
        same_bits(jit(ours)(x, y), np.asarray(theirs(x, y)))
    lo, xs, hi = (a.ravel() for a in np.meshgrid(v[::3], v, v[::5], indexing="ij"))
    same_bits(jit(lax.clamp)(lo, xs, hi), np.asarray(jax.lax.clamp(lo, xs, hi)))


# ---- Reductions, argmax, cumulative scans ----------------------------------------------------

SHAPES_AXES = [
    ((), ()),
    ((7,), (0,)),
    ((0,), (0,)),
    ((3, 5), (0,)),
    ((3, 5), (1,)),
    ((3, 5), (0, 1)),
    ((2, 0, 3), (1,)),
    ((4, 3, 6), (0, 2)),
    ((64, 129), (1,)),
]


@pytest.mark.parametrize("shape,axes", SHAPES_AXES)
def test_max_min_reductions(dtype, shape, axes):
    x = awkward(shape, dtype, seed=len(shape) + sum(axes))
    native_equals_eager(lambda x: (lax.reduce_max(x, axes), lax.reduce_min(x, axes)), x)


@pytest.mark.parametrize("shape,axes", [s for s in SHAPES_AXES if len(s[1]) == 1 and 0 not in s[0]])
def test_argmax_argmin(dtype, shape, axes):
    x = awkward(shape, dtype, seed=3)
    (axis,) = axes
    native_equals_eager(lambda x: (jnp.argmax(x, axis=axis), jnp.argmin(x, axis=axis)), x)
    got = jit(lambda x: jnp.argmax(x, axis=axis))(x)
    np.testing.assert_array_equal(got, np.argmax(x, axis=axis))  # NumPy: the first NaN wins


def test_argmax_of_all_lowest_values_and_nan_first(dtype):
    low = np.full(5, complex(-INF, -INF), dtype)
    native_equals_eager(lambda x: (jnp.argmax(x), jnp.argmin(x)), low)
    first_nan = np.array([1, complex(NAN, 0), complex(0, NAN), 5], dtype)
    got = jit(lambda x: (jnp.argmax(x), jnp.argmin(x)))(first_nan)
    assert int(got[0]) == 1 and int(got[1]) == 1


@pytest.mark.parametrize("shape,axis", [((9,), 0), ((0,), 0), ((4, 6), 0), ((4, 6), 1), ((3, 40, 2), 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cummax_cummin(dtype, shape, axis, reverse):
    x = awkward(shape, dtype, seed=5)
    native_equals_eager(
        lambda x: (lax.cummax(x, axis=axis, reverse=reverse), lax.cummin(x, axis=axis, reverse=reverse)), x
    )


def test_nan_free_reductions_and_scans_match_jax(dtype, jax_x64):
    jax = jax_x64
    # Ties and infinities, no NaN, no -inf real part: XLA folds its identity -inf+0j into the
    # result (jax.lax.reduce_max([-inf-1j]) is -inf+0j, a value not in the operand); jaxlite
    # keeps NumPy's answer (-inf-1j), see test_max_of_minus_infinities_is_an_element.
    x = awkward((6, 50), dtype, seed=7, nan_rate=0.0)
    x[0, :3] = [complex(INF, -INF), complex(1, INF), complex(INF, 0)]
    x[1, :4] = [complex(-0.0, 1), complex(0.0, 1), complex(2, -0.0), complex(2, 0.0)]
    for ours, theirs in (
        (lambda x: lax.reduce_max(x, (1,)), lambda x: jax.lax.reduce_max(x, (1,))),
        (lambda x: lax.reduce_min(x, (0, 1)), lambda x: jax.lax.reduce_min(x, (0, 1))),
        (lambda x: lax.cummax(x, axis=1), lambda x: jax.lax.cummax(x, axis=1)),
        (lambda x: lax.cummin(x, axis=0, reverse=True), lambda x: jax.lax.cummin(x, axis=0, reverse=True)),
    ):
        np.testing.assert_array_equal(jit(ours)(x), np.asarray(theirs(x)))
    empty = np.zeros((0,), dtype)
    same_bits(jit(lambda x: lax.reduce_max(x, (0,)))(empty), np.asarray(jax.lax.reduce_max(empty, (0,))))


def test_max_of_minus_infinities_is_an_element(dtype):
    x = np.array([complex(-INF, -1), complex(-INF, -2)], dtype)
    got = jit(lambda x: (lax.reduce_max(x, (0,)), lax.cummax(x, axis=0), lax.reduce_min(-x, (0,))))(x)
    same_bits(got[0], x[0])
    same_bits(got[1], np.array([x[0], x[0]], dtype))
    same_bits(got[2], -x[0])
    same_bits(jit(lambda x: lax.reduce_max(x, (0,)))(x[:0]), np.asarray(complex(-INF, 0), dtype))  # identity


def test_a_complex_max_after_an_elementwise_chain_is_one_kernel():
    def f(z):
        w = (z + 1) * (0.5 - 1j)  # exact on these small integer parts: bit-equal to eager
        return jnp.max(w, axis=1), jnp.argmin(w, axis=0)

    z = awkward((30, 40), np.complex64, seed=9, nan_rate=0.01)
    compiled = jit(f).lower(z).compile()
    assert compiled.program.count("interpret") == 0
    assert compiled.program.count("kernel") <= 2  # max and argmin: one each (different domains)
    g = lambda z: jnp.max(jnp.exp(0.1j * z) * z + 1, axis=1)  # noqa: E731 (transcendental chain)
    only_max = jit(g).lower(z).compile()
    assert only_max.program.count("kernel") == 1 and only_max.program.count("interpret") == 0
    native_equals_eager(f, z)


# ---- Scatters ------------------------------------------------------------------------------


def test_scatter_max_min_with_duplicates(dtype):
    x = awkward((6,), dtype, seed=11)
    idx = np.array([0, 0, 2, 5, 5, 5, 3, 9], np.int32)  # 9 is out of bounds: dropped
    upd = awkward((8,), dtype, seed=12, nan_rate=0.2)
    native_equals_eager(lambda x, u: (jnp.asarray(x).at[idx].max(u), jnp.asarray(x).at[idx].min(u)), x, upd)
    rows = awkward((4, 3), dtype, seed=13)
    native_equals_eager(
        lambda r, u: jnp.asarray(r).at[np.array([1, 1, 3])].max(u), rows, awkward((3, 3), dtype, seed=14)
    )


def test_scatter_max_matches_jax_when_no_nan_meets_an_earlier_value(dtype, jax_x64):
    jax = jax_x64
    x = awkward((5,), dtype, seed=15, nan_rate=0.0)
    idx = np.array([0, 0, 1, 4, 4, 2], np.int32)
    upd = awkward((6,), dtype, seed=16, nan_rate=0.0)
    upd[1] = complex(NAN, 0)  # the last update of slot 0: JAX's fold takes it too
    got = jit(lambda x, u: (jnp.asarray(x).at[idx].max(u), jnp.asarray(x).at[idx].min(u)))(x, upd)
    want = (jax.numpy.asarray(x).at[idx].max(upd), jax.numpy.asarray(x).at[idx].min(upd))
    for g, w in zip(got, want, strict=True):
        same_bits(g, np.asarray(w))


# ---- Sorts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,dim", [((), 0), ((0,), 0), ((8,), 0), ((5, 7), 0), ((5, 7), 1), ((3, 100), 1)])
def test_sort_complex_keys(dtype, shape, dim):
    x = awkward(shape, dtype, seed=17)
    if shape == ():
        native_equals_eager(lambda x: lax.sort(x.reshape(1), dimension=0), x)
        return
    native_equals_eager(lambda x: (lax.sort(x, dimension=dim), jnp.argsort(x, axis=dim)), x)


def test_sort_edge_values_and_multi_key(dtype):
    v = edge_values(dtype)[np.random.RandomState(0).permutation(64)]
    native_equals_eager(jnp.sort, v)
    keys2 = awkward((64,), dtype, seed=19)
    real_keys = np.random.RandomState(1).randint(0, 3, 64).astype(np.float32)
    native_equals_eager(lambda a, b: lax.sort((a, b), num_keys=2), real_keys, keys2)  # complex 2nd key
    native_equals_eager(lambda a, b: lax.sort((b, a), num_keys=2), real_keys, keys2)  # complex 1st key
    native_equals_eager(lambda k, v: lax.sort_key_val(k, v), keys2, real_keys)


def test_real_keys_carry_complex_values_through_the_radix_sort(dtype):
    keys = np.random.RandomState(2).randn(3, 300).astype(np.float32)
    vals = awkward((3, 300), dtype, seed=21)
    native_equals_eager(lambda k, v: lax.sort_key_val(k, v), keys, vals)
    native_equals_eager(lambda k, v, w: lax.sort((k, v, w), num_keys=1), keys, vals, vals[::-1])


def test_sort_matches_jax(dtype, jax_x64):
    jax = jax_x64
    x = awkward((4, 60), dtype, seed=23, nan_rate=0.1)
    same_bits(jit(lambda x: lax.sort(x, dimension=1))(x), np.asarray(jax.lax.sort(x, dimension=1)))
    v = edge_values(dtype)[::-1]
    same_bits(jit(jnp.sort)(v), np.asarray(jax.numpy.sort(v)))


# ---- Transformations -----------------------------------------------------------------------


def test_vmap_of_complex_orderings(dtype):
    x = awkward((5, 12), dtype, seed=25)

    def f(row):
        return jnp.max(row), jnp.argmax(row), lax.cummin(row, axis=0), jnp.sort(row)

    got = jit(vmap(f))(x)
    for k, g in enumerate(got):
        same_bits(g, np.stack([np.asarray(f(r)[k]) for r in x]))


def test_grad_through_a_complex_sort():
    # sorting is a permutation: the gradient flows back through the gather (max of complex is
    # not differentiable in JAX, so only the sort is checked)
    def f(x):
        z = x * (1 + 0.5j) + jnp.flip(x) * 1j
        s = jnp.sort(z)
        return jnp.sum(jnp.real(s) * jnp.arange(1.0, x.shape[0] + 1) + jnp.imag(s) ** 2)

    x = np.random.RandomState(4).randn(9).astype(np.float32)
    np.testing.assert_allclose(jit(grad(f))(x), grad(f)(x), rtol=1e-6)
    jax = pytest.importorskip("jax")

    def f_jax(x):
        jnp_ = jax.numpy
        z = x * (1 + 0.5j) + jnp_.flip(x) * 1j
        s = jnp_.sort(z)
        return jnp_.sum(jnp_.real(s) * jnp_.arange(1.0, x.shape[0] + 1) + jnp_.imag(s) ** 2)

    np.testing.assert_allclose(jit(grad(f))(x), np.asarray(jax.grad(f_jax)(x)), rtol=1e-5)


def test_the_derivative_of_a_complex_clamp_follows_the_operand_it_returns(dtype):
    # JAX cannot differentiate a complex clamp (its rule compares complex numbers); ours passes
    # on the tangent of the operand the value came from (XLA's real-part rule)
    v = edge_values(dtype)[::3]
    lo, x, hi = (a.ravel() for a in np.meshgrid(v[:8], v, v[-8:], indexing="ij"))
    x_low = x.real <= lo.real
    pick_lo = x_low & (lo.real <= hi.real)
    pick_x = ~x_low & (x.real <= hi.real)
    picks = [pick_lo, pick_x, ~(pick_lo | pick_x)]
    same_bits(jit(lax.clamp)(lo, x, hi), np.select(picks, [lo, x, hi]))
    f = jit(lambda a, b, c, ta, tb, tc: jvp(lax.clamp, (a, b, c), (ta, tb, tc))[1])
    for k in range(3):
        tangents = [np.full(x.shape, float(j == k), dtype) for j in range(3)]
        np.testing.assert_array_equal(f(lo, x, hi, *tangents), picks[k].astype(dtype))
