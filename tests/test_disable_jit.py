"""jaxlite.disable_jit(): jit-decorated functions run as plain Python, with concrete values."""

from __future__ import annotations

import numpy as np

import jaxlite
import jaxlite.numpy as jnp


def test_disable_jit_runs_python_every_call_with_concrete_values(capsys):
    seen = []

    @jaxlite.jit
    def f(x):
        seen.append(type(x))
        print("value", float(x[0]))  # a concrete value: would fail while tracing
        if x[0] > 0:  # Python control flow on a value
            return x * 2
        return x

    with jaxlite.disable_jit():
        np.testing.assert_allclose(f(jnp.ones(2)), [2.0, 2.0])
        np.testing.assert_allclose(f(-jnp.ones(2)), [-1.0, -1.0])
        f(jnp.ones(2))
    assert capsys.readouterr().out.splitlines() == ["value 1.0", "value -1.0", "value 1.0"]
    assert seen == [jaxlite.Array] * 3


def test_outside_disable_jit_the_function_is_traced_once():
    seen = []

    @jaxlite.jit
    def g(x):
        seen.append(type(x))
        return x * 2

    with jaxlite.disable_jit():
        g(jnp.ones(2))
        g(jnp.ones(2))
    g(jnp.ones(2))
    g(jnp.ones(2))
    assert seen[:2] == [jaxlite.Array] * 2
    assert len(seen) == 3 and issubclass(seen[2], jaxlite.core.Tracer)


def test_disable_jit_restores_and_nests():
    f = jaxlite.jit(lambda x: x + 1)
    with jaxlite.disable_jit():
        assert jaxlite.config.jax_disable_jit
        with jaxlite.disable_jit(False):
            assert not jaxlite.config.jax_disable_jit
        assert jaxlite.config.jax_disable_jit
        np.testing.assert_allclose(jaxlite.grad(lambda x: f(x) * x)(2.0), 5.0)
    assert not jaxlite.config.jax_disable_jit
