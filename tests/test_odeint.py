"""odeint: accuracy against closed-form solutions, adjoint gradients, vmap and jit."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.ad_api import grad, jacrev
from jaxlite.batching import vmap
from jaxlite.experimental.ode import odeint
from jaxlite.jit import jit

T = np.linspace(0.0, 2.0, 6)


def decay(y, t, k):
    return -k * y


def oscillator(state, t, omega):
    x, v = state["x"], state["v"]
    return {"x": v, "v": -omega ** 2 * x}


def test_exponential_decay_matches_closed_form():
    with jaxlite.enable_x64():
        ys = odeint(decay, jnp.array([1.0, -2.0]), jnp.asarray(T), 0.7)
        want = np.exp(-0.7 * T)[:, None] * np.array([1.0, -2.0])
        np.testing.assert_allclose(np.asarray(ys), want, rtol=1e-6, atol=1e-8)


def test_oscillator_pytree_state_matches_closed_form():
    with jaxlite.enable_x64():
        y0 = {"x": jnp.array(1.0), "v": jnp.array(0.5)}
        ys = odeint(oscillator, y0, jnp.asarray(T), 1.3)
        assert set(ys) == {"x", "v"} and ys["x"].shape == (len(T),)
        w = 1.3
        x = np.cos(w * T) + 0.5 / w * np.sin(w * T)
        v = -w * np.sin(w * T) + 0.5 * np.cos(w * T)
        np.testing.assert_allclose(np.asarray(ys["x"]), x, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(ys["v"]), v, rtol=1e-6, atol=1e-7)


def test_float32_default():
    ys = odeint(decay, jnp.array([1.0]), jnp.asarray(T, jnp.float32), 0.7)
    assert ys.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(ys)[:, 0], np.exp(-0.7 * T), rtol=1e-5)


def _fd(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        out[i] = (float(f(jnp.asarray(x + e))) - float(f(jnp.asarray(x - e)))) / (2 * eps)
    return out


def test_grad_decay_wrt_y0_and_rate_matches_analytic_and_fd():
    with jaxlite.enable_x64():
        t = jnp.asarray(T)

        def loss(y0, k):
            ys = odeint(decay, y0, t, k)
            return jnp.sum(ys[-1] ** 2) + jnp.sum(ys[2])

        y0, k = jnp.array([1.0, -2.0]), jnp.array(0.7)
        gy, gk = grad(loss, argnums=(0, 1))(y0, k)
        e_end, e2 = np.exp(-0.7 * T[-1]), np.exp(-0.7 * T[2])
        y0n = np.array([1.0, -2.0])
        np.testing.assert_allclose(np.asarray(gy), 2 * y0n * e_end ** 2 + e2, rtol=1e-5)
        dk = np.sum(y0n ** 2 * -2 * T[-1] * e_end ** 2) + np.sum(y0n * -T[2] * e2)
        np.testing.assert_allclose(float(gk), dk, rtol=1e-5)
        np.testing.assert_allclose(np.asarray(gy), _fd(lambda y: loss(y, k), y0), rtol=1e-5)
        np.testing.assert_allclose(float(gk), _fd(lambda kk: loss(y0, kk), k), rtol=1e-5)


def test_grad_oscillator_pytree_args_vs_fd():
    with jaxlite.enable_x64():
        t = jnp.asarray(T)

        def loss(x0, omega):
            ys = odeint(oscillator, {"x": x0, "v": jnp.array(0.2)}, t, omega)
            return jnp.sum(ys["x"] ** 2) + ys["v"][-1]

        x0, omega = jnp.array(0.8), jnp.array(1.3)
        gx, gw = grad(loss, argnums=(0, 1))(x0, omega)
        np.testing.assert_allclose(float(gx), _fd(lambda a: loss(a, omega), x0), rtol=1e-5)
        np.testing.assert_allclose(float(gw), _fd(lambda w: loss(x0, w), omega), rtol=1e-5)


def test_grad_wrt_times():
    # dL/dt_end for L = y(t_end) is f(y(t_end)) = -k y(t_end); the first time moves y0's
    # start, so dL/dt_0 = +k y(t_end).
    with jaxlite.enable_x64():
        def loss(t):
            return odeint(decay, jnp.array(1.5), t, 0.7)[-1]

        gt = np.asarray(grad(loss)(jnp.asarray(T)))
        y_end = 1.5 * np.exp(-0.7 * (T[-1] - T[0]))
        np.testing.assert_allclose(gt[-1], -0.7 * y_end, rtol=1e-5)
        np.testing.assert_allclose(gt[0], 0.7 * y_end, rtol=1e-5)
        np.testing.assert_allclose(gt[1:-1], 0.0, atol=1e-7)


def test_grad_of_closed_over_parameter():
    # The rate is captured by func rather than passed in *args: its gradient must still flow.
    with jaxlite.enable_x64():
        def loss(k):
            return odeint(lambda y, t: -k * y, jnp.array(1.0), jnp.asarray(T))[-1]

        np.testing.assert_allclose(float(grad(loss)(jnp.array(0.7))),
                                   -T[-1] * np.exp(-0.7 * T[-1]), rtol=1e-5)


def test_vmap_over_initial_conditions():
    with jaxlite.enable_x64():
        y0s = jnp.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
        t = jnp.asarray(T)

        def rhs(y, t, w):
            return jnp.stack([y[1], -w ** 2 * y[0]])

        ys = vmap(lambda y0: odeint(rhs, y0, t, 1.1))(y0s)
        assert ys.shape == (3, len(T), 2)
        for b in range(3):
            np.testing.assert_allclose(np.asarray(ys[b]), np.asarray(odeint(rhs, y0s[b], t, 1.1)),
                                       rtol=1e-6, atol=1e-9)
        x0, v0 = np.asarray(y0s[:, :1]), np.asarray(y0s[:, 1:])
        want = x0 * np.cos(1.1 * T) + v0 / 1.1 * np.sin(1.1 * T)
        np.testing.assert_allclose(np.asarray(ys[:, :, 0]), want, rtol=1e-6, atol=1e-7)


def test_jit_forward_and_grad():
    with jaxlite.enable_x64():
        t = jnp.asarray(T)
        f = jit(lambda y0, k: odeint(decay, y0, t, k))
        ys = f(jnp.array([1.0]), jnp.array(0.7))
        np.testing.assert_allclose(np.asarray(ys)[:, 0], np.exp(-0.7 * T), rtol=1e-6)
        g = jit(grad(lambda k: odeint(decay, jnp.array([1.0]), t, k)[-1, 0]))(jnp.array(0.7))
        np.testing.assert_allclose(float(g), -T[-1] * np.exp(-0.7 * T[-1]), rtol=1e-5)


def test_jacrev_through_odeint():
    with jaxlite.enable_x64():
        t = jnp.asarray(T)
        jac = jacrev(lambda y0: odeint(decay, y0, t, 0.5)[-1])(jnp.array([1.0, 3.0]))
        np.testing.assert_allclose(np.asarray(jac), np.exp(-0.5 * T[-1]) * np.eye(2), rtol=1e-6)


def test_bad_args_raise():
    with pytest.raises(TypeError, match="odeint.*args"):
        odeint(lambda y, t, s: -y, jnp.array(1.0), jnp.asarray(T), "fast")
    with pytest.raises(ValueError, match="1-D"):
        odeint(decay, jnp.array(1.0), jnp.array(1.0), 0.7)


def test_matches_jax_when_installed():
    jax = pytest.importorskip("jax")
    from jax.experimental.ode import odeint as jodeint
    jax.config.update("jax_enable_x64", True)
    try:
        want = jodeint(lambda y, t, k: -k * y * jax.numpy.sin(t), 1.0, T, 0.7)
    finally:
        jax.config.update("jax_enable_x64", False)
    with jaxlite.enable_x64():
        got = odeint(lambda y, t, k: -k * y * jnp.sin(t), jnp.array(1.0), jnp.asarray(T), 0.7)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9)
