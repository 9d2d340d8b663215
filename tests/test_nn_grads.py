"""Derivatives JAX defines by rule rather than by the formula: relu's kinks, softmax's shift."""

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp


def test_relu_derivative_is_zero_at_zero():
    assert float(jax.grad(jax.nn.relu)(0.0)) == 0.0
    assert float(jax.grad(jax.nn.relu)(2.0)) == 1.0
    np.testing.assert_array_equal(np.asarray(jax.vmap(jax.grad(jax.nn.relu))(jnp.asarray([-1.0, 0.0, 3.0]))),
                                  [0.0, 0.0, 1.0])


def test_relu6_derivative_is_zero_at_both_kinks():
    g = jax.grad(jax.nn.relu6)
    assert [float(g(v)) for v in (0.0, 3.0, 6.0, 7.0)] == [0.0, 1.0, 0.0, 0.0]


def test_softmax_gradient_ignores_the_max_shift():
    x = jnp.asarray([1.0, 1.0, 1.0])  # a three-way tie for the max
    g = np.asarray(jax.grad(lambda v: jax.nn.softmax(v)[0])(x))
    np.testing.assert_allclose(g, [2 / 9, -1 / 9, -1 / 9], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.grad(jax.scipy.special.logsumexp)(x)), [1 / 3] * 3, rtol=1e-6)
