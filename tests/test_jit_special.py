"""erf_inv and digamma under jit: native code (no interpreter callback), equal to eager."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.scipy.special as jss


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


X = np.linspace(-0.999, 0.999, 101).astype(np.float32)
POS = np.linspace(0.01, 30.0, 101).astype(np.float32)


@pytest.mark.parametrize(
    "f,x",
    [
        (jss.erfinv, X),
        (jss.digamma, POS),
        (lambda x: jnp.sum(jss.erfinv(x) ** 2), X),
        (jax.grad(lambda x: jnp.sum(jss.erfinv(x))), X),
    ],
)
def test_jit_equals_eager_without_callbacks(f, x):
    report = jax.jit(f).lower(x).compile().report()
    assert "INTERPRETER CALLBACK" not in report, report
    np.testing.assert_allclose(np.asarray(jax.jit(f)(x)), np.asarray(f(x)), rtol=2e-6, atol=1e-6)


def test_random_normal_under_jit_has_no_callback():
    key = jax.random.PRNGKey(0)
    f = lambda k: jax.random.normal(k, (1000,))  # noqa: E731
    report = jax.jit(f).lower(key).compile().report()
    assert "INTERPRETER CALLBACK" not in report, report
    np.testing.assert_allclose(np.asarray(jax.jit(f)(key)), np.asarray(f(key)), rtol=1e-5, atol=1e-6)
