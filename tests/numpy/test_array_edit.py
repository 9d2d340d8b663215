"""delete, insert, compress, choose, put, place, fill_diagonal, vander, piecewise, apply_* ...
against NumPy (and JAX where installed)."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.test_util import check_grads

A = np.arange(24, dtype=np.float32).reshape(4, 6)


def eq(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("obj,axis", [(0, 0), (-1, 1), ([0, 2], 1), (slice(1, None, 2), 1),
                                      (slice(None, 3), None), (np.array([True, False, True, False]), 0)])
def test_delete(obj, axis):
    eq(jnp.delete(A, obj, axis=axis), np.delete(A, obj, axis=axis))


@pytest.mark.parametrize("obj,values,axis", [
    (1, 99.0, 1), ([1, 3], [7.0, 8.0], 1), (2, [[5.0] * 6], 0), ([0, 0, 4], [1.0, 2.0, 3.0], None),
    (slice(0, 2), [7.0], 1), (1, [5.0, 6.0, 7.0, 8.0], 1), (-1, 0.5, 0), (6, [1.0], 1)])
def test_insert(obj, values, axis):
    eq(jnp.insert(A, obj, np.asarray(values, np.float32), axis=axis),
       np.insert(A, obj, values, axis=axis))


def test_delete_insert_errors():
    with pytest.raises(IndexError, match="delete: index out of bounds"):
        jnp.delete(A, 9, axis=0)
    with pytest.raises(jaxlite.errors.ConcretizationTypeError, match="delete: obj"):
        jaxlite.jit(lambda i: jnp.delete(A, i, axis=0))(1)


def test_compress_extract_choose():
    cond = np.array([True, False, True, True])
    eq(jnp.compress(cond, A, axis=0), np.compress(cond, A, axis=0))
    eq(jnp.compress(cond, A), np.compress(cond, A))
    padded = jaxlite.jit(lambda c: jnp.compress(c, A, axis=1, size=5, fill_value=-1))(
        np.array([1, 0, 1, 1, 0, 0], bool))
    eq(padded, np.concatenate([A[:, [0, 2, 3]], -np.ones((4, 2), np.float32)], axis=1))
    eq(jnp.extract(A % 3 == 0, A), np.extract(A % 3 == 0, A))
    idx = np.array([[0, 1, 2, 1, 0, 2]] * 4)
    choices = [A, A * 10, A * 100]
    eq(jnp.choose(idx, choices), np.choose(idx, choices))
    eq(jnp.choose(idx + 2, choices, mode="wrap"), np.choose(idx + 2, choices, mode="wrap"))
    eq(jnp.choose(idx + 2, choices, mode="clip"), np.choose(idx + 2, choices, mode="clip"))
    with pytest.raises(ValueError, match="choose: invalid entry"):
        jnp.choose(idx + 2, choices)


def test_resize_trim_zeros_vander():
    for shape in [(2, 4), 7, (3, 3), (0,)]:
        eq(jnp.resize(np.arange(5), shape), np.resize(np.arange(5), shape))
    z = np.array([0, 0, 1, 2, 0, 3, 0])
    for trim in ["fb", "f", "b"]:
        eq(jnp.trim_zeros(z, trim), np.trim_zeros(z, trim))
    x = np.array([1, 2, 3, -2])
    eq(jnp.vander(x), np.vander(x))
    eq(jnp.vander(x.astype(np.float32), 3, increasing=True), np.vander(x.astype(np.float32), 3, increasing=True))
    eq(jnp.vander(x, 0), np.vander(x, 0))


def test_functional_updates():
    eq(jnp.put(np.zeros(5), np.array([0, 3, 4]), np.array([1.0, 2.0]), inplace=False),
       np.array([1.0, 0, 0, 2.0, 1.0]))
    want = np.arange(6)
    np.place(want, want % 2 == 0, [10, 20])
    eq(jnp.place(np.arange(6), np.arange(6) % 2 == 0, np.array([10, 20]), inplace=False), want)
    for shape, wrap in [((4, 3), False), ((5, 3), True), ((3, 3, 3), False), ((3, 5), False)]:
        want = np.zeros(shape, np.float32)
        np.fill_diagonal(want, [1, 2], wrap=wrap)
        eq(jnp.fill_diagonal(np.zeros(shape, np.float32), np.array([1.0, 2.0]), wrap=wrap, inplace=False), want)
    idx = np.argsort(A, axis=1)[:, :2]
    want = A.copy()
    np.put_along_axis(want, idx, -1.0, 1)
    eq(jnp.put_along_axis(A, idx, -1.0, 1, inplace=False), want)
    with pytest.raises(ValueError, match="inplace=False"):
        jnp.put(A, np.array([0]), np.array([1.0]))


def test_piecewise_apply_fromfunction_mask_indices():
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    conds = [x < 0, x > 1]
    funcs = [lambda v: -v, 5.0, lambda v: v * 2]
    eq(jnp.piecewise(x, conds, funcs), np.piecewise(x, conds, funcs))
    eq(jnp.piecewise(x, conds, funcs[:2]), np.piecewise(x, conds, funcs[:2]))
    a = np.arange(24.0).reshape(2, 3, 4)
    for axis in (0, 1, 2):
        np.testing.assert_allclose(jnp.apply_along_axis(lambda r: r.sum() * r[0], axis, a),
                                   np.apply_along_axis(lambda r: r.sum() * r[0], axis, a))
    np.testing.assert_allclose(jnp.apply_over_axes(jnp.sum, a, [0, 2]), np.apply_over_axes(np.sum, a, [0, 2]))
    eq(jnp.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int),
       np.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int))
    for got, want in zip(jnp.mask_indices(4, jnp.triu, 1), np.mask_indices(4, np.triu, 1)):
        eq(got, want)
    eq(jnp.astype(np.arange(3), np.float32), np.arange(3, dtype=np.float32))


def test_grads():
    with jaxlite.enable_x64():
        x = np.array([0.3, -1.2, 2.6, 0.7])
        check_grads(lambda v: jnp.insert(v, [1, 3], v[:2] * 2), (x,), order=1)
        check_grads(lambda v: jnp.delete(v * v, [0, 2]), (x,), order=1)
        check_grads(lambda v: jnp.vander(v, 3), (x,), order=2)
        check_grads(lambda v: jnp.piecewise(v, [v < 0], [lambda u: u * u, lambda u: jnp.sin(u)]), (x,), order=1)
        check_grads(lambda v: jnp.fill_diagonal(jnp.outer(v, v), v, inplace=False), (x,), order=1)


def test_against_jax():
    jax = pytest.importorskip("jax")
    obj = np.array([1, 3])
    eq(jnp.insert(A, obj, 7.0, axis=1), jax.numpy.insert(A, obj, 7.0, axis=1))
    eq(jnp.fill_diagonal(A, 1.0, inplace=False), jax.numpy.fill_diagonal(A, 1.0, inplace=False))
    eq(jnp.vander(np.array([1.0, 2.0, 3.0])), jax.numpy.vander(np.array([1.0, 2.0, 3.0])))
    assert jnp.vander(np.array([1, 2])).dtype == jax.numpy.vander(np.array([1, 2])).dtype
