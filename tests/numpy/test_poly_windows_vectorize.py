"""Windows, polynomial helpers, vectorize, the index tricks and the host-data readers against
NumPy (and JAX where installed)."""

import io

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.test_util import check_grads


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
@pytest.mark.parametrize("M", [0, 1, 2, 7, 16])
def test_windows(name, M):
    got = getattr(jnp, name)(M)
    want = getattr(np, name)(M)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_kaiser():
    for M, beta in [(1, 3.0), (8, 5.0), (11, 0.0), (6, 14.0)]:
        np.testing.assert_allclose(jnp.kaiser(M, beta), np.kaiser(M, beta), rtol=2e-5, atol=1e-6)
    with pytest.raises(TypeError, match="hamming: M must be a concrete integer"):
        jnp.hamming(2.5)


def test_polynomials():
    p = np.array([3.0, 2.0, -1.0, 5.0])
    np.testing.assert_allclose(jnp.poly(np.array([1.0, 2.0, -3.0])), np.poly([1.0, 2.0, -3.0]))
    for m in range(5):
        np.testing.assert_allclose(jnp.polyder(p, m), np.polyder(p, m))
    np.testing.assert_allclose(jnp.polyint(p), np.polyint(p), rtol=1e-6)
    np.testing.assert_allclose(jnp.polyint(p, 2, k=[1.0, 2.0]), np.polyint(p, 2, k=[1.0, 2.0]), rtol=1e-6)
    q, r = jnp.polydiv(p, np.array([1.0, 2.0]))
    Q, R = np.polydiv(p, [1.0, 2.0])
    np.testing.assert_allclose(q, Q)
    np.testing.assert_allclose(r[-len(R):], R)
    assert r.shape == p.shape  # JAX keeps the remainder's leading zeros unless asked
    np.testing.assert_allclose(jnp.polydiv(p, np.array([1.0, 2.0]), trim_leading_zeros=True)[1], R)
    x = np.linspace(0, 1, 12)
    y = 3 * x**2 - x + 0.5 + 0.01 * np.sin(7 * x)
    np.testing.assert_allclose(jnp.polyfit(x, y, 2), np.polyfit(x, y, 2), rtol=1e-4)
    Y = np.stack([y, 2 * y], 1)
    np.testing.assert_allclose(jnp.polyfit(x, Y, 1), np.polyfit(x, Y, 1), rtol=1e-4)
    w = np.linspace(1, 2, 12)
    np.testing.assert_allclose(jnp.polyfit(x, y, 2, w=w), np.polyfit(x, y, 2, w=w), rtol=1e-4)
    c, V = jnp.polyfit(x, y, 2, cov=True)
    C, VV = np.polyfit(x, y, 2, cov=True)
    np.testing.assert_allclose(V, VV, rtol=2e-2)
    with pytest.raises(ValueError, match="poly: seq_of_zeros must be 1-D"):
        jnp.poly(np.eye(2))


def test_polynomial_grads():
    with jaxlite.enable_x64():
        z = np.array([0.3, -1.2, 2.6])
        check_grads(jnp.poly, (z,), order=2)
        check_grads(lambda p: jnp.polyint(jnp.polyder(p * p)), (z,), order=2)
        x = np.linspace(0, 1, 7)
        check_grads(lambda y: jnp.polyfit(x, y, 2), (np.sin(3 * x),), order=1)


def test_vectorize():
    f = jnp.vectorize(lambda x, y: x * y + 1)
    a, b = np.arange(3.0), np.ones((2, 1))
    np.testing.assert_array_equal(f(a, b), np.vectorize(lambda x, y: x * y + 1)(a, b))
    dot = jnp.vectorize(lambda u, v: u @ v, signature="(n),(n)->()")
    m = np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(dot(m, np.arange(3.0)), m @ np.arange(3.0))
    mm = jnp.vectorize(jnp.matmul, signature="(n,m),(m,k)->(n,k)")
    x, y = np.random.rand(5, 2, 3), np.random.rand(3, 4)
    np.testing.assert_allclose(mm(x, y), x @ y, rtol=1e-5)
    two = jnp.vectorize(lambda v: (v.sum(), v.max()), signature="(n)->(),()")
    s, mx = two(m)
    np.testing.assert_allclose(s, m.sum(1))
    np.testing.assert_allclose(mx, m.max(1))
    g = jnp.vectorize(lambda v, p: v**p, excluded={1})
    np.testing.assert_allclose(g(np.arange(3.0), 2), [0.0, 1.0, 4.0])
    np.testing.assert_allclose(jaxlite.jit(dot)(m, np.ones(3)), m.sum(1))
    with pytest.raises(ValueError, match="core dimension 'n'"):
        dot(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        jnp.vectorize(lambda v: v, signature="(n->()")


def test_index_tricks():
    np.testing.assert_array_equal(jnp.mgrid[0:3, 0:2], np.mgrid[0:3, 0:2])
    np.testing.assert_allclose(jnp.mgrid[0:1:5j, 1:3], np.mgrid[0:1:5j, 1:3])
    np.testing.assert_array_equal(jnp.mgrid[0:5:2], np.mgrid[0:5:2])
    for got, want in zip(jnp.ogrid[0:3, 0:4], np.ogrid[0:3, 0:4]):
        np.testing.assert_array_equal(got, want)
    a, b = np.array([1, 2, 3]), np.array([[4, 5, 6]])
    for key in [(1, 2, a, slice(0, 3)), ("0,2", a, a), ("-1", b, b), ("0,2,0", a, a), ("1,2,0", a, a),
                ("1,3,-1", a, a), (slice(0, 1, 3j), a)]:
        np.testing.assert_allclose(jnp.r_[key], np.r_[key])
    np.testing.assert_array_equal(jnp.c_[a, a], np.c_[a, a])
    np.testing.assert_array_equal(jnp.c_[np.ones((3, 2)), a], np.c_[np.ones((3, 2)), a])
    assert jnp.s_[1:2] == np.s_[1:2] and jnp.index_exp[1] == (1,)


def test_host_data_and_dtype_helpers():
    np.testing.assert_array_equal(jnp.frombuffer(np.arange(3, dtype=np.int32).tobytes(), dtype=np.int32),
                                  [0, 1, 2])
    np.testing.assert_array_equal(jnp.fromstring("1 2 3", sep=" "), [1.0, 2.0, 3.0])
    buf = io.BytesIO()
    jnp.save(buf, np.arange(4))
    buf.seek(0)
    loaded = jnp.load(buf)
    assert isinstance(loaded, jaxlite.Array)
    np.testing.assert_array_equal(loaded, np.arange(4))
    assert jnp.can_cast(np.int8, np.int16) and not jnp.can_cast(jnp.ones(2), np.int32)
    assert jnp.isdtype(np.float32, "real floating") and not jnp.isdtype(np.int32, "real floating")
    assert jnp.ones(2, dtype=jnp.bool).dtype == np.bool_ and jnp.single is np.float32
    assert jnp.iterable([1]) and not jnp.iterable(1)


def test_against_jax():
    jax = pytest.importorskip("jax")
    np.testing.assert_allclose(jnp.kaiser(9, 4.0), jax.numpy.kaiser(9, 4.0), rtol=1e-5)
    p = np.array([3.0, 2.0, -1.0, 5.0], np.float32)
    for got, want in zip(jnp.polydiv(p, p[:2]), jax.numpy.polydiv(p, p[:2])):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert jnp.polyder(np.array([1, 2, 3])).dtype == jax.numpy.polyder(np.array([1, 2, 3])).dtype
    np.testing.assert_array_equal(jnp.r_["0,2,0", 1:4, 4:7], jax.numpy.r_["0,2,0", 1:4, 4:7])
