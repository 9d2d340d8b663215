"""Fusion never orders steps in a cycle: a group runs only once all its inputs exist, so whether
an eqn may join a group is decided on the graph of groups, not of single eqns."""

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp


def _two_heads(w1, w2, x):
    # A VAE encoder's two heads and its KL term: the backward pass of softplus and of the square
    # fused into groups that fed each other through the two gemms (examples/vae.py hit it).
    mu = x @ w1
    s = jax.nn.softplus(x @ w2)
    return jnp.sum(jnp.log(s) - mu**2.0 - s)


def test_gradient_of_two_gemm_heads_compiles_and_matches_eager():
    rng = np.random.default_rng(0)
    w1, w2 = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    grad = jax.grad(_two_heads, argnums=(0, 1))
    compiled = jax.jit(grad).lower(w1, w2, x).compile()
    assert compiled.program.count("gemm") >= 4
    for got, want in zip(compiled(w1, w2, x), grad(w1, w2, x)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
