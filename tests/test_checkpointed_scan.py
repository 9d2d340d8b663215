"""checkpointed_scan: same values and gradients as lax.scan, residual memory ~ n/k instead of n."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.ad_api import grad
from jaxlite.checkpoint import checkpoint, saved_residuals
from jaxlite.experimental import checkpointed_scan
from jaxlite.jit import jit
from jaxlite.lax import scan

D = 8


def step(c, x):
    c = jnp.sin(c) * x + 0.9 * c
    return c, jnp.sum(c * c)


def free_step(c, _):
    c = jnp.tanh(c) * 0.5 + jnp.cos(c)
    return c, c[0]


def loss_with(scan_fn):
    def loss(c0, xs):
        c, ys = scan_fn(step, c0, xs)
        return jnp.sum(c) + jnp.sum(ys)
    return loss


def _args(n):
    return jnp.linspace(-1.0, 1.0, D), jnp.linspace(0.1, 1.0, n)


@pytest.mark.parametrize("n,k", [(100, 10), (100, 7), (12, 12), (12, 50), (9, 1)])
def test_values_and_gradients_match_plain_scan(n, k):
    with jaxlite.enable_x64():
        c0, xs = _args(n)
        ref = loss_with(scan)
        got = loss_with(lambda f, c, x: checkpointed_scan(f, c, x, checkpoint_every=k))
        np.testing.assert_allclose(float(got(c0, xs)), float(ref(c0, xs)), rtol=1e-12)
        g_ref = grad(ref, argnums=(0, 1))(c0, xs)
        g_got = grad(got, argnums=(0, 1))(c0, xs)
        for a, b in zip(g_got, g_ref):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


def test_stacked_outputs_and_reverse_match_plain_scan():
    c0, xs = _args(30)
    for reverse in (False, True):
        c1, ys1 = scan(step, c0, xs, reverse=reverse)
        c2, ys2 = checkpointed_scan(step, c0, xs, checkpoint_every=4, reverse=reverse)
        np.testing.assert_allclose(np.asarray(c2), np.asarray(c1), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(ys2), np.asarray(ys1), rtol=1e-6)


def _carry_residual_elements(fun, *args):
    """Elements of the residuals reverse mode saves, counting only those shaped like stacked
    carries (leading axis, then the carry's shape)."""
    return sum(int(np.prod(aval.shape)) for aval, _ in saved_residuals(fun, *args)
               if aval.shape[1:] == (D,))


def _free_loss(scan_fn, n):
    def loss(c0):
        c, ys = scan_fn(free_step, c0, None, n)
        return jnp.sum(c) + jnp.sum(ys)
    return loss


def test_saved_residuals_grow_with_n_over_k():
    c0 = jnp.linspace(-1.0, 1.0, D)
    n = 120
    plain = sum(int(np.prod(a.shape)) for a, _ in saved_residuals(_free_loss(scan, n), c0))
    sizes = {}
    for k in (6, 12, 30):
        fn = _free_loss(lambda f, c, xs, ln: checkpointed_scan(f, c, xs, ln, checkpoint_every=k), n)
        sizes[k] = sum(int(np.prod(a.shape)) for a, _ in saved_residuals(fn, c0))
        # The outer scan stores one carry per chunk: n/k of them, nothing per step.
        assert _carry_residual_elements(fn, c0) == (n // k) * D
    assert plain >= n * D  # plain scan saves at least one carry-sized residual per step
    assert sizes[6] <= (n // 6) * D + D < plain
    assert sizes[30] * 4 < sizes[6] * 1.01  # k five times larger: about five times less
    # Doubling n doubles the checkpointed residuals at fixed k (n/k), as for plain scan (n).
    fn2 = _free_loss(lambda f, c, xs, ln: checkpointed_scan(f, c, xs, ln, checkpoint_every=12),
                     2 * n)
    assert _carry_residual_elements(fn2, c0) == 2 * (n // 12) * D


def test_checkpoint_around_whole_scan_matches():
    with jaxlite.enable_x64():
        c0, xs = _args(20)
        ref = loss_with(scan)
        rem = loss_with(lambda f, c, x: checkpoint(lambda c_, x_: scan(f, c_, x_))(c, x))
        np.testing.assert_allclose(np.asarray(grad(rem)(c0, xs)), np.asarray(grad(ref)(c0, xs)),
                                   rtol=1e-12)


def test_under_jit():
    c0, xs = _args(40)
    got = jit(grad(loss_with(lambda f, c, x: checkpointed_scan(f, c, x, checkpoint_every=8))))
    np.testing.assert_allclose(np.asarray(got(c0, xs)), np.asarray(grad(loss_with(scan))(c0, xs)),
                               rtol=1e-5)


def test_errors():
    c0, xs = _args(10)
    with pytest.raises(ValueError, match="checkpoint_every"):
        checkpointed_scan(step, c0, xs, checkpoint_every=0)
    with pytest.raises(ValueError, match="length"):
        checkpointed_scan(free_step, c0, None, checkpoint_every=2)
    with pytest.raises(ValueError, match="does not match"):
        checkpointed_scan(step, c0, xs, length=5, checkpoint_every=2)
