"""block, packbits/unpackbits, array_repr/array_str, histogramdd/histogram2d against NumPy."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp

rng = np.random.default_rng(0)


def test_block():
    A, B = np.ones((2, 2)), np.zeros((2, 3))
    for arrays in ([[A, B], [np.full((1, 5), 2.0)]], [1, 2, np.array([3, 4])], [[1, 2], [3, 4]],
                   [[[A]], [[A]]], 3.0):
        np.testing.assert_array_equal(jnp.block(arrays), np.block(arrays))
    with pytest.raises(ValueError, match="different depths"):
        jnp.block([A, [B]])
    with pytest.raises(TypeError, match="tuple"):
        jnp.block((A, B))


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_packbits_unpackbits(axis, bitorder):
    x = rng.random((3, 11)) > 0.5
    packed = np.packbits(x, axis=axis, bitorder=bitorder)
    got = jaxlite.jit(lambda v: jnp.packbits(v, axis=axis, bitorder=bitorder))(x)
    np.testing.assert_array_equal(got, packed)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(jnp.packbits(x.astype(np.int32) * 5, axis=axis, bitorder=bitorder), packed)
    for count in (None, 3, -2, 30):
        np.testing.assert_array_equal(jnp.unpackbits(packed, axis=axis, count=count, bitorder=bitorder),
                                      np.unpackbits(packed, axis=axis, count=count, bitorder=bitorder))
    with pytest.raises(TypeError, match="unpackbits: a must be uint8"):
        jnp.unpackbits(np.ones(3, np.int32))


def test_array_repr_str():
    x = np.linspace(0, 1, 4, dtype=np.float32)
    assert jnp.array_repr(jnp.asarray(x)) == np.array_repr(x)
    assert jnp.array_str(jnp.asarray(x), precision=2) == np.array_str(x, precision=2)


def test_histogramdd_and_2d():
    s = rng.normal(size=(60, 3)).astype(np.float32)
    for kw in [{"bins": (3, 4, 2)}, {"bins": 3, "range": [(-1, 1)] * 3, "density": True},
               {"bins": [np.array([-3, 0, 3.0])] * 3, "weights": s[:, 0]}]:
        got, edges = jnp.histogramdd(s, **kw)
        want, wedges = np.histogramdd(s, **kw)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        for e, w in zip(edges, wedges):
            np.testing.assert_allclose(e, w, rtol=1e-6, atol=1e-6)
    x, y = s[:, 0], s[:, 1]
    got = jaxlite.jit(lambda a, b: jnp.histogram2d(a, b, bins=5, range=[(-2, 2), (-3, 3)]))(x, y)
    want = np.histogram2d(x, y, bins=5, range=[(-2, 2), (-3, 3)])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    edges = np.array([-2, 0, 0.5, 2.0])
    np.testing.assert_allclose(jnp.histogram2d(x, y, bins=edges)[0], np.histogram2d(x, y, bins=edges)[0])
    with pytest.raises(ValueError, match="histogramdd: sample must have shape"):
        jnp.histogramdd(np.ones(3))
