"""isclose/allclose/array_equal/array_equiv and the less common elementwise math against NumPy
(and JAX where installed), eagerly and under jit."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.test_util import check_grads

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning")]

SPECIAL = np.array([0.0, -0.0, 1.0, -3.5, 1e-40, 1.5e-45, 3e38, 8.0, np.inf, -np.inf, np.nan, 0.7],
                   np.float32)


def both(f, *args):
    """f eagerly and under jit: the same values and dtypes."""
    eager = f(*args)
    jitted = jaxlite.jit(f)(*args)
    for e, j in zip(np.atleast_1d(*[eager]) if not isinstance(eager, tuple) else eager,
                    np.atleast_1d(*[jitted]) if not isinstance(jitted, tuple) else jitted):
        e, j = np.asarray(e), np.asarray(j)
        assert e.dtype == j.dtype
        np.testing.assert_array_equal(e, j)
    return eager


@pytest.mark.parametrize("equal_nan", [False, True])
@pytest.mark.parametrize("rtol,atol", [(1e-5, 1e-8), (0.1, 0.0), (0.0, 0.5)])
def test_isclose_matches_numpy(equal_nan, rtol, atol):
    rng = np.random.default_rng(0)
    a = np.concatenate([SPECIAL, rng.normal(size=20).astype(np.float32)])
    b = np.concatenate([SPECIAL[::-1], a[len(SPECIAL):] * (1 + rng.normal(size=20) * 0.05)]).astype(np.float32)
    f = lambda x, y: jnp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)  # noqa: E731
    got = both(f, a, b)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    assert bool(jnp.allclose(a, b, rtol, atol, equal_nan)) == np.allclose(a, b, rtol, atol, equal_nan)
    assert bool(jnp.allclose(a, a, equal_nan=True))


def test_isclose_ints_broadcast_and_errors():
    np.testing.assert_array_equal(jnp.isclose(np.arange(4), 2), np.isclose(np.arange(4), 2))
    assert jnp.isclose(np.ones((2, 1)), np.ones(3)).shape == (2, 3)
    c = np.array([1 + 1j, np.inf + 0j, 2j])
    np.testing.assert_array_equal(jnp.isclose(c, c + 1e-9), np.isclose(c, c + 1e-9))
    with pytest.raises(TypeError, match="isclose"):
        jnp.isclose([1.0], 1.0)


def test_array_equal_and_equiv():
    x = np.array([1.0, 2.0, np.nan])
    for a, b, kw in [(x, x, {}), (x, x, {"equal_nan": True}), (x, x[:2], {}), ([1, 2], [1, 2], {}),
                     (np.ones((2, 2)), np.ones(2), {})]:
        got = jnp.array_equal(a, b, **kw)
        assert isinstance(got, jaxlite.Array) and got.dtype == np.bool_ and got.shape == ()
        assert bool(got) == np.array_equal(a, b, **kw)
    for a, b in [([1, 2], [[1, 2], [1, 2]]), ([1, 2], [[1, 2], [1, 3]]), ([1, 2], [1, 2, 3]), (3, [3, 3])]:
        assert bool(jnp.array_equiv(a, b)) == np.array_equiv(a, b)
    assert bool(jaxlite.jit(jnp.array_equal)(x[:2], x[:2]))


def test_gcd_lcm_bitwise_count():
    rng = np.random.default_rng(1)
    a = rng.integers(-60, 60, size=30).astype(np.int32)
    b = rng.integers(-60, 60, size=30).astype(np.int32)
    np.testing.assert_array_equal(both(jnp.gcd, a, b), np.gcd(a, b))
    np.testing.assert_array_equal(both(jnp.lcm, a, b), np.lcm(a, b))
    for dt in (np.int8, np.int32, np.uint16, np.uint8):
        x = rng.integers(np.iinfo(dt).min, np.iinfo(dt).max, size=20, dtype=dt)
        got = both(jnp.bitwise_count, x)
        np.testing.assert_array_equal(got, np.bitwise_count(x))
        assert got.dtype == np.uint8
    with pytest.raises(TypeError, match="gcd.*integers"):
        jnp.gcd(1.5, 2)


def test_frexp_modf_spacing_nan_to_num_i0():
    m, e = both(jnp.frexp, SPECIAL)
    M, E = np.frexp(SPECIAL)
    np.testing.assert_array_equal(m, M)
    np.testing.assert_array_equal(e, E)
    assert e.dtype == np.int32
    frac, whole = jnp.modf(SPECIAL[np.isfinite(SPECIAL)])
    F, W = np.modf(SPECIAL[np.isfinite(SPECIAL)])
    np.testing.assert_array_equal(frac, F)
    np.testing.assert_array_equal(whole, W)
    # JAX (the spec) gives -0.0 the spacing of the negative side; NumPy the positive one.
    no_negzero = SPECIAL[~((SPECIAL == 0) & np.signbit(SPECIAL))]
    np.testing.assert_array_equal(both(jnp.spacing, no_negzero), np.spacing(no_negzero))
    np.testing.assert_array_equal(jnp.nan_to_num(SPECIAL), np.nan_to_num(SPECIAL))
    np.testing.assert_array_equal(jnp.nan_to_num(SPECIAL, nan=-1, posinf=9, neginf=-9),
                                  np.nan_to_num(SPECIAL, nan=-1, posinf=9, neginf=-9))
    c = np.array([complex(np.nan, np.inf), 1 + 2j], np.complex64)
    np.testing.assert_array_equal(jnp.nan_to_num(c), np.nan_to_num(c))
    np.testing.assert_array_equal(jnp.nan_to_num(np.arange(3)), np.arange(3))
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(jnp.i0(x), np.i0(x), rtol=1e-5)
    np.testing.assert_array_equal(jnp.iscomplex(np.array([1 + 1j, 2])), [True, False])
    np.testing.assert_array_equal(jnp.isreal(np.array([1 + 1j, 2])), [False, True])


def test_unwrap_and_gradient():
    rng = np.random.default_rng(2)
    p = np.cumsum(rng.normal(size=(3, 12)) * 2, axis=1)
    np.testing.assert_allclose(both(jnp.unwrap, p.astype(np.float32)), np.unwrap(p.astype(np.float32)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jnp.unwrap(p, axis=0, period=4.0), np.unwrap(p, axis=0, period=4.0),
                               rtol=1e-5, atol=1e-5)
    f = rng.normal(size=(4, 5)).astype(np.float32)
    for got, want in zip(jnp.gradient(f), np.gradient(f)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jnp.gradient(f, 0.5, axis=1), np.gradient(f, 0.5, axis=1), rtol=1e-5)
    xs = np.array([0.0, 1.0, 3.0, 4.5], np.float32)
    np.testing.assert_allclose(jnp.gradient(f, xs, axis=0), np.gradient(f, xs, axis=0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        jnp.gradient(np.ones(1))


def test_grads():
    with jaxlite.enable_x64():
        x = np.array([0.3, -1.2, 2.6])
        check_grads(lambda v: jnp.gradient(v * v), (x,), order=1, modes=("fwd", "rev"))
        check_grads(lambda v: jnp.unwrap(v * 3.0), (x,), order=1, modes=("fwd", "rev"))
        check_grads(lambda v: jnp.modf(v * 2.0)[0], (x,), order=1, modes=("fwd", "rev"))
        check_grads(lambda v: jnp.nan_to_num(v * v), (x,), order=1, modes=("fwd", "rev"))


def test_against_jax():
    jax = pytest.importorskip("jax")
    a = SPECIAL
    b = SPECIAL[::-1].copy()
    np.testing.assert_array_equal(jnp.isclose(a, b), jax.numpy.isclose(a, b))
    # XLA on the CPU flushes subnormals, so JAX's frexp is off there; we match NumPy instead.
    normal = a[(np.abs(a) > 1e-30) | (a == 0)]
    np.testing.assert_array_equal(jnp.frexp(normal)[1], jax.numpy.frexp(normal)[1])
    np.testing.assert_array_equal(jnp.spacing(a), jax.numpy.spacing(a))
    np.testing.assert_array_equal(jnp.modf(normal)[0], jax.numpy.modf(normal)[0])
    ai, bi = np.array([12, -18, 0]), np.array([18, 12, 5])
    np.testing.assert_array_equal(jnp.gcd(ai, bi), jax.numpy.gcd(ai, bi))
    assert jnp.isclose(2, 2.0).dtype == jax.numpy.isclose(2, 2.0).dtype
