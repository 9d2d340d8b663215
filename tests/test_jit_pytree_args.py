"""jit called with NumPy arrays inside pytree arguments (the path the MLP train step takes)."""

from __future__ import annotations

import numpy as np

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import core


def _step(params, x):
    (w, b), scale = params
    return jnp.tanh(x @ w + b) * scale


def test_pytree_numpy_arguments_are_not_copied_to_find_their_types(monkeypatch):
    rng = np.random.RandomState(0)
    w, b = rng.randn(6, 4).astype(np.float32), rng.randn(4).astype(np.float32)
    x, scale = rng.randn(3, 6).astype(np.float32), np.float32(2.0)
    f = jaxlite.jit(_step)
    want = np.tanh(x @ w + b) * scale
    np.testing.assert_allclose(np.asarray(f(((w, b), scale), x)), want, rtol=1e-5, atol=1e-6)

    copied = []
    real = core.canonical_value

    def spy(v, *a, **k):
        if type(v) is np.ndarray:
            copied.append(v.shape)
        return real(v, *a, **k)

    monkeypatch.setattr(core, "canonical_value", spy)
    w[0, 0] += 1.0  # the call reads the arrays as they are now
    want = np.tanh(x @ w + b) * scale
    np.testing.assert_allclose(np.asarray(f(((w, b), scale), x)), want, rtol=1e-5, atol=1e-6)
    assert copied == []  # an ndarray's aval comes from its shape and dtype alone


def test_pytree_float64_numpy_arguments_are_canonicalized():
    rng = np.random.RandomState(1)
    w, b = rng.randn(5, 3), rng.randn(3)  # float64: float32 without x64, as in JAX
    x = rng.randn(2, 5)
    out = jaxlite.jit(_step)(((w, b), 1.5), x)
    assert out.dtype == np.float32
    want = np.tanh(x.astype(np.float32) @ w.astype(np.float32) + b.astype(np.float32)) * np.float32(1.5)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-6)
