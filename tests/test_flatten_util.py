"""jaxlite.flatten_util.ravel_pytree: round trips, dtype promotion, and transformations."""

import numpy as np
import pytest

from jaxlite import numpy as jnp
from jaxlite.ad_api import grad
from jaxlite.batching import vmap
from jaxlite.flatten_util import ravel_pytree
from jaxlite.jit import jit
from jaxlite.tree_util import tree_leaves, tree_structure


def _same_tree(a, b):
    assert tree_structure(a) == tree_structure(b)
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        assert np.shape(x) == np.shape(y) and jnp.result_type(x) == jnp.result_type(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_single_dtype_roundtrip():
    tree = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [np.float32(7.0)],
            "c": (np.ones((0, 2), np.float32),)}
    flat, unravel = ravel_pytree(tree)
    assert flat.shape == (7,) and flat.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(flat), [0, 1, 2, 3, 4, 5, 7])
    _same_tree(unravel(flat), tree)


def test_mixed_dtypes_promote_and_restore():
    tree = {"i": np.arange(3, dtype=np.int32), "h": np.ones((2, 2), np.float16),
            "b": np.array(True), "f": np.float32(2.5)}
    flat, unravel = ravel_pytree(tree)
    assert flat.dtype == np.float32 and flat.shape == (9,)
    back = unravel(flat)
    _same_tree(back, tree)
    with pytest.raises(TypeError, match="dtype"):
        unravel(flat.astype(np.int32))
    with pytest.raises(ValueError, match="length 9"):
        unravel(jnp.zeros(4, np.float32))


def test_integer_only_tree_stays_integer():
    flat, unravel = ravel_pytree([np.arange(2, dtype=np.int8), np.arange(3, dtype=np.int32)])
    assert flat.dtype == np.int32
    back = unravel(flat)
    assert back[0].dtype == np.int8 and back[1].dtype == np.int32


def test_empty_tree():
    flat, unravel = ravel_pytree({})
    assert flat.shape == (0,) and flat.dtype == np.float32
    assert unravel(flat) == {}


def test_unravel_is_hashable_and_equal_across_calls():
    tree = {"x": np.ones(2, np.float32)}
    _, u1 = ravel_pytree(tree)
    _, u2 = ravel_pytree({"x": np.zeros(2, np.float32)})
    assert u1 == u2 and hash(u1) == hash(u2)
    _, u3 = ravel_pytree({"x": np.zeros(3, np.float32)})
    assert u1 != u3


def test_under_jit_grad_vmap():
    params = {"w": np.arange(4, dtype=np.float32).reshape(2, 2), "b": np.float32(3.0)}

    def loss(p):
        flat, _ = ravel_pytree(p)
        return jnp.sum(flat ** 2)

    g = grad(loss)(params)
    np.testing.assert_allclose(np.asarray(g["w"]), 2 * params["w"])
    np.testing.assert_allclose(float(g["b"]), 6.0)

    flat, unravel = ravel_pytree(params)
    np.testing.assert_array_equal(np.asarray(jit(lambda p: ravel_pytree(p)[0])(params)),
                                  np.asarray(flat))
    _same_tree(jit(unravel)(flat), params)
    # Gradient of a function of the unravelled tree with respect to the flat vector.
    gflat = grad(lambda v: jnp.sum(unravel(v)["w"]) * unravel(v)["b"])(flat)
    np.testing.assert_allclose(np.asarray(gflat), [6, 3, 3, 3, 3])  # keys sorted: b, w

    batch = {"w": np.ones((5, 2, 2), np.float32), "b": np.arange(5, dtype=np.float32)}
    flats = vmap(lambda p: ravel_pytree(p)[0])(batch)
    assert flats.shape == (5, 5)
    np.testing.assert_array_equal(np.asarray(flats[:, 0]), np.arange(5))
    trees = vmap(unravel)(flats)
    _same_tree(trees, batch)


def test_against_jax():
    jax = pytest.importorskip("jax")
    from jax.flatten_util import ravel_pytree as jax_ravel
    tree = {"a": np.arange(3, dtype=np.int32), "b": (np.ones((2, 2), np.float16), 2.5),
            "c": np.array(True)}
    want, _ = jax_ravel(tree)
    got, unravel = ravel_pytree(tree)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    back = unravel(got)
    assert jax.tree_util.tree_map(lambda x: x.dtype, jax_ravel(tree)[1](want)) == {
        "a": back["a"].dtype, "b": (back["b"][0].dtype, back["b"][1].dtype), "c": back["c"].dtype}
