"""jnp.ufunc / frompyfunc and the ufunc methods of jnp's binary functions against NumPy's."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp

rng = np.random.default_rng(0)
A = rng.integers(1, 5, size=(3, 4)).astype(np.float32)


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "minimum", "subtract", "divide",
                                  "logaddexp", "hypot"])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_reduce_accumulate_outer(name, axis):
    ours, theirs = getattr(jnp, name), getattr(np, name)
    if axis is None and name in ("subtract", "divide"):
        # NumPy refuses axis=None for these; jnp folds the flattened array left to right.
        np.testing.assert_allclose(ours.reduce(A, axis=None), theirs.reduce(A.ravel()), rtol=1e-5)
        return
    np.testing.assert_allclose(ours.reduce(A, axis=axis), theirs.reduce(A, axis=axis), rtol=1e-5)
    np.testing.assert_allclose(ours.reduce(A, axis=axis, keepdims=True),
                               theirs.reduce(A, axis=axis, keepdims=True), rtol=1e-5)
    if axis is not None:
        np.testing.assert_allclose(ours.accumulate(A, axis=axis), theirs.accumulate(A, axis=axis), rtol=1e-5)
    np.testing.assert_allclose(ours.outer(A[0], A[1, :2]), theirs.outer(A[0], A[1, :2]), rtol=1e-5)


def test_logical_bitwise_and_initial():
    b = rng.random((3, 5)) > 0.5
    for name in ["logical_and", "logical_or", "logical_xor"]:
        np.testing.assert_array_equal(getattr(jnp, name).reduce(b, axis=1), getattr(np, name).reduce(b, axis=1))
    i = rng.integers(0, 64, size=7)
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
        assert int(getattr(jnp, name).reduce(i)) == int(getattr(np, name).reduce(i))
    np.testing.assert_allclose(jnp.add.reduce(A, axis=0, initial=10.0), np.add.reduce(A, axis=0, initial=10.0))
    np.testing.assert_array_equal(jnp.add.reduce(np.zeros((0, 3)), axis=0), np.zeros(3))


def test_at():
    idx = np.array([0, 0, 2])
    want = np.zeros(4)
    np.add.at(want, idx, 1.0)
    np.testing.assert_array_equal(jnp.add.at(np.zeros(4), idx, 1.0, inplace=False), want)
    want = np.ones(4)
    np.multiply.at(want, idx, 3.0)
    np.testing.assert_array_equal(jnp.multiply.at(np.ones(4), idx, 3.0, inplace=False), want)
    with pytest.raises(ValueError, match="inplace=False"):
        jnp.add.at(np.zeros(4), idx, 1.0)


def test_frompyfunc():
    f = jnp.frompyfunc(lambda x, y: x * y + 1, 2, 1)
    g = np.frompyfunc(lambda x, y: x * y + 1, 2, 1)
    v = np.array([1.0, 2.0, 3.0])
    assert float(f(2.0, 3.0)) == 7.0
    np.testing.assert_allclose(f.reduce(v), np.asarray(g.reduce(v), float))
    np.testing.assert_allclose(f.accumulate(v), np.asarray(g.accumulate(v), float))
    np.testing.assert_allclose(f.outer(v, v[:2]), np.asarray(g.outer(v, v[:2]), float))
    np.testing.assert_allclose(jaxlite.jit(f.reduce)(v), 10.0)
    assert isinstance(f, jnp.ufunc) and f.nin == 2 and f.nout == 1
    with pytest.raises(ValueError, match="binary ufunc"):
        jnp.frompyfunc(jnp.sin, 1, 1).reduce(v)


def test_grad_through_methods():
    g = jaxlite.grad(lambda v: jnp.logaddexp.reduce(v))(np.arange(3.0, dtype=np.float32))
    e = np.exp(np.arange(3.0))
    np.testing.assert_allclose(g, e / e.sum(), rtol=1e-5)
    g = jaxlite.grad(lambda v: jnp.subtract.accumulate(v).sum())(np.arange(3.0, dtype=np.float32))
    np.testing.assert_allclose(g, [3.0, -2.0, -1.0])
