"""jax_debug_nans / jax_debug_infs: FloatingPointError at the first primitive producing a nan or
an inf, eagerly, under grad, and under jit (compiled run checked, then re-run op by op)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.config import config


@pytest.fixture
def nans():
    with jaxlite.debug_nans():
        yield


def test_eager_names_the_primitive(nans):
    with pytest.raises(FloatingPointError, match=r"^invalid value \(nan\) encountered in log$"):
        jnp.log(-1.0)
    x = jnp.array([1.0, -1.0])
    with pytest.raises(FloatingPointError, match=r"encountered in sqrt"):
        jnp.sqrt(x) + 1.0  # the first culprit, not the add after it
    # jnp fast paths (sum, matmul) are not exempt
    with pytest.raises(FloatingPointError, match="reduce_sum"):
        jnp.sum(jnp.array([np.inf, -np.inf]))


def test_clean_programs_run_unchanged(nans):
    x = np.linspace(0.5, 2.0, 5, dtype=np.float32)
    f = lambda x: jnp.sum(jnp.log(x) * jnp.sqrt(x))  # noqa: E731
    np.testing.assert_allclose(f(x), np.sum(np.log(x) * np.sqrt(x)), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.jit(f)(x), f(x), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.grad(f)(x), jaxlite.jit(jaxlite.grad(f))(x), rtol=1e-6)
    assert jnp.isnan(jnp.array([1.0])).dtype == np.bool_  # bool outputs are never checked


def test_jit_reruns_op_by_op_to_name_the_culprit(nans, caplog):
    calls = []

    def f(x):
        calls.append(1)
        return jnp.exp(x) * 0.0 + jnp.log(x - 3.0)

    jf = jaxlite.jit(f)
    np.testing.assert_allclose(jf(np.float32(5.0)), np.log(2.0), rtol=1e-6)
    with pytest.raises(FloatingPointError, match=r"^invalid value \(nan\) encountered in log$"):
        jf(np.float32(1.0))
    assert "de-optimized" in caplog.text


def test_grad_checks_the_backward_pass_too(nans):
    with pytest.raises(FloatingPointError, match="sqrt"):
        jaxlite.grad(lambda x: jnp.sqrt(x))(-1.0)
    # d/dx sqrt(x) at 0 is inf * 1: caught only as an inf
    assert jaxlite.grad(lambda x: jnp.sqrt(x))(0.0) == np.inf
    with jaxlite.debug_infs(), pytest.raises(FloatingPointError, match=r"\(inf\)"):
        jaxlite.grad(lambda x: jnp.sqrt(x))(0.0)


def test_infs_flag_and_scoping():
    with jaxlite.debug_infs():
        with pytest.raises(FloatingPointError, match=r"^invalid value \(inf\) encountered in div$"):
            jnp.array(1.0) / 0.0
        with pytest.raises(FloatingPointError, match=r"encountered in exp"):
            jaxlite.jit(lambda x: jnp.exp(x) * 2.0)(np.float32(1000.0))
        assert np.isnan(jnp.log(-1.0))  # nans are not checked by debug_infs
    assert jnp.array(1.0) / 0.0 == np.inf  # restored on exit
    config.update("jax_debug_nans", True)
    try:
        with pytest.raises(FloatingPointError):
            jnp.log(-1.0)
    finally:
        config.update("jax_debug_nans", False)
    assert np.isnan(jnp.log(-1.0))


def test_environment_variable():
    code = "import jaxlite.numpy as jnp\ntry:\n    jnp.log(-1.0)\nexcept FloatingPointError as e:\n    print(e)\n"
    env = {**os.environ, "JAX_DEBUG_NANS": "1", "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "invalid value (nan) encountered in log", out.stderr


def test_matches_jax_messages():
    jax = pytest.importorskip("jax")
    messages = []
    for lib in (jax, jaxlite):
        with lib.debug_nans(True):
            try:
                lib.jit(lambda x: lib.numpy.sin(x) + lib.numpy.log(x))(-2.0)
            except FloatingPointError as e:
                messages.append(str(e))
    assert messages[0] == messages[1] == "invalid value (nan) encountered in log"
