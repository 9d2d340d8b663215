"""The examples run end to end (with fewer steps than their defaults) and recover the parameters
they fit."""

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mass_spring_recovers_spring_constants(capsys):
    k_fit, k_true = _load("mass_spring").main(steps=200, iters=150)
    assert "fitted k" in capsys.readouterr().out
    np.testing.assert_allclose(k_fit, k_true, rtol=0.02)


def test_mass_spring_gradients_match_finite_differences():
    import jaxlite
    import jaxlite.numpy as jnp
    from jaxlite.ad_api import grad
    ms = _load("mass_spring")
    with jaxlite.enable_x64():
        x0, v0 = jnp.array([0.3, -0.2, 0.1]), jnp.array([0.0, 0.1, 0.0])
        k, target = jnp.array([1.0, 2.0, 1.5]), jnp.zeros(3)
        gk = np.asarray(grad(ms.final_state_loss, argnums=2)(x0, v0, k, 50, target))
        eps, fd = 1e-6, []
        for i in range(3):
            e = np.eye(3)[i] * eps
            fd.append((float(ms.final_state_loss(x0, v0, k + e, 50, target))
                       - float(ms.final_state_loss(x0, v0, k - e, 50, target))) / (2 * eps))
        np.testing.assert_allclose(gk, fd, rtol=1e-5, atol=1e-9)


def test_ode_fit_recovers_lotka_volterra_parameters(capsys):
    fitted, true = _load("ode_fit").main(iters=40)
    assert "fitted" in capsys.readouterr().out
    np.testing.assert_allclose(fitted, true, rtol=0.08)
