"""A differentiable simulator: recover unknown spring constants from an observed trajectory.

A chain of unit masses hangs off a wall: spring i joins mass i-1 to mass i (spring 0 joins the
wall to mass 0). The simulation steps the chain with semi-implicit Euler inside `lax.scan`, so
`grad` differentiates through every step and `jit` compiles the whole loop. We
  1. show the gradient of a final-state loss with respect to the initial conditions and the
     spring constants, then
  2. fit the spring constants by gradient descent (Adam) so the simulated trajectory matches
     one observed from the true constants.

Swap `import jaxlite as jax` for `import jax` and it runs the same.
"""

import sys
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp

DT = 0.01


def forces(x, k):
    """Spring forces on each mass; x holds displacements from rest, k the spring constants."""
    stretch = x - jnp.concatenate([jnp.zeros(1, x.dtype), x[:-1]])  # spring i's extension
    tension = k * stretch
    # Spring i pulls mass i back and mass i-1 forward.
    return -tension + jnp.concatenate([tension[1:], jnp.zeros(1, x.dtype)])


def simulate(x0, v0, k, steps):
    """Semi-implicit Euler: update the velocity with the new force, then the position with the
    new velocity. Returns the final (x, v) and the positions at every step."""

    def step(carry, _):
        x, v = carry
        v = v + DT * forces(x, k)
        x = x + DT * v
        return (x, v), x

    (x, v), xs = jax.lax.scan(step, (x0, v0), None, length=steps)
    return (x, v), xs


def trajectory_loss(k, x0, v0, observed):
    _, xs = simulate(x0, v0, k, observed.shape[0])
    return jnp.mean((xs - observed) ** 2)


def final_state_loss(x0, v0, k, steps, target):
    (x, v), _ = simulate(x0, v0, k, steps)
    return jnp.sum((x - target) ** 2) + 0.1 * jnp.sum(v ** 2)


def main(steps=300, iters=300, lr=0.05, seed=0, verbose=True):
    rng = np.random.default_rng(seed)
    n = 4
    k_true = jnp.asarray(np.array([1.0, 2.0, 1.5, 0.8], np.float32))
    x0 = jnp.asarray(rng.uniform(-0.5, 0.5, n).astype(np.float32))
    v0 = jnp.zeros(n)
    _, observed = simulate(x0, v0, k_true, steps)

    # 1. Gradient of a final-state loss with respect to initial conditions and parameters.
    g = jax.jit(jax.grad(final_state_loss, argnums=(0, 1, 2)), static_argnums=3)
    gx0, gv0, gk = g(x0, v0, k_true, steps, jnp.zeros(n))
    if verbose:
        print(f"d loss / d x0 = {np.round(np.asarray(gx0), 4)}")
        print(f"d loss / d v0 = {np.round(np.asarray(gv0), 4)}")
        print(f"d loss / d k  = {np.round(np.asarray(gk), 4)}")

    # 2. Fit the spring constants, starting from a uniform guess. Adam, written out by hand;
    # the constants are parameterized by their logarithms to keep them positive.
    loss_and_grad = jax.jit(jax.value_and_grad(
        lambda log_k: trajectory_loss(jnp.exp(log_k), x0, v0, observed)))
    log_k = jnp.log(jnp.full(n, 1.2))
    m = jnp.zeros(n)
    s = jnp.zeros(n)
    b1, b2, eps = 0.9, 0.999, 1e-8
    start = time.perf_counter()
    for it in range(1, iters + 1):
        loss, grad = loss_and_grad(log_k)
        m = b1 * m + (1 - b1) * grad
        s = b2 * s + (1 - b2) * grad ** 2
        log_k = log_k - lr * (m / (1 - b1 ** it)) / (jnp.sqrt(s / (1 - b2 ** it)) + eps)
        if verbose and (it % max(1, iters // 10) == 0 or it == 1):
            print(f"iter {it:4d}  loss {float(loss):.3e}  k {np.round(np.asarray(jnp.exp(log_k)), 3)}")
    k_fit = np.asarray(jnp.exp(log_k))
    if verbose:
        print(f"fitted k = {np.round(k_fit, 3)}   true k = {np.asarray(k_true)}   "
              f"({time.perf_counter() - start:.2f} s)")
    return k_fit, np.asarray(k_true)


if __name__ == "__main__":
    k_fit, k_true = main()
    sys.exit(0 if np.allclose(k_fit, k_true, rtol=0.02) else 1)
