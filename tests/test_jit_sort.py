"""Sorting under jit: a native merge sort (no interpreter callback), equal to eager, with grad."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


rng = np.random.default_rng(0)
X = np.round(rng.standard_normal((6, 40)), 1).astype(np.float32)  # ties
X[0, 3] = np.nan
X[1, 5] = -0.0
I = rng.integers(-5, 5, (6, 40)).astype(np.int32)

CASES = {
    "sort_last": (lambda x, i: jnp.sort(x, axis=-1), (X, I)),
    "sort_first": (lambda x, i: jnp.sort(x, axis=0), (X, I)),
    "argsort": (lambda x, i: jnp.argsort(x, axis=-1), (X, I)),
    "argsort_int_stable": (lambda x, i: jnp.argsort(i, axis=-1, stable=True), (X, I)),
    "two_keys": (lambda x, i: lax.sort((i, x, i * 2), dimension=1, num_keys=2), (X, I)),
    "median": (lambda x, i: jnp.median(x, axis=1), (np.nan_to_num(X), I)),
    "grad": (jax.grad(lambda x, i: jnp.sum(jnp.sort(x * x, axis=-1)[:, -3:])), (np.nan_to_num(X), I)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_jit_equals_eager_without_callbacks(name):
    f, args = CASES[name]
    report = jax.jit(f).lower(*args).compile().report()
    assert "INTERPRETER CALLBACK" not in report, report
    assert "merge sort" in report
    got, want = jax.jit(f)(*args), f(*args)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        assert np.asarray(g).tobytes() == np.asarray(w).tobytes(), (g, w)
