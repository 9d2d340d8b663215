"""Per-example gradients: vmap(grad(loss), in_axes=(None, 0, 0)) equals the loop of grad.

Also the DP-SGD step (per-example norms, clipping, mean), the compositions grad(vmap),
jacfwd/jacrev/hessian against vmap, collectives under grad, and what the IR looks like: one
batched dot_general per weight gradient, the same program size for any batch size, and no
primitive outside the closed set (no Python callbacks).
"""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import primitives as P
from jaxlite.ad import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from jaxlite.batching import vmap
from jaxlite.lax import parallel as par
from jaxlite.partial_eval import make_jaxpr
from jaxlite.tree_util import tree_leaves, tree_map

f32 = np.float32


def close(a, b, tol=2e-5):
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


def logsumexp(z):
    m = jnp.max(z)
    return m + jnp.log(jnp.sum(jnp.exp(z - m)))


def xent(logits, label):
    return logsumexp(logits) - logits[label]


# ---- Models -------------------------------------------------------------------------------------


def mlp_init(rng, sizes=(6, 8, 4)):
    return [(rng.standard_normal((m, n)).astype(f32) / np.sqrt(m), rng.standard_normal(n).astype(f32) * 0.1)
            for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(jnp.dot(h, w) + b)
    w, b = params[-1]
    return xent(jnp.dot(h, w) + b, y)


# A CNN-like model written with dense layers: patches taken from the image with `take`
# (a gather), one shared dense layer per patch (a convolution), relu, mean-pool, dense head.
IMG, PATCH, CLASSES = 6, 3, 3
_starts = [(r, c) for r in range(0, IMG - PATCH + 1, PATCH) for c in range(IMG - PATCH + 1)]
PATCH_INDEX = np.array([[(r + i) * IMG + c + j for i in range(PATCH) for j in range(PATCH)]
                        for r, c in _starts], np.int32)


def cnn_init(rng, channels=5):
    return {"conv_w": rng.standard_normal((PATCH * PATCH, channels)).astype(f32) / PATCH,
            "conv_b": np.zeros(channels, f32),
            "head_w": rng.standard_normal((channels, CLASSES)).astype(f32),
            "head_b": np.zeros(CLASSES, f32)}


def cnn_loss(params, image, label):
    flat = jnp.reshape(image, (IMG * IMG,))
    patches = jnp.take(flat, PATCH_INDEX, axis=0)  # (n_patches, PATCH*PATCH)
    feats = jnp.maximum(jnp.dot(patches, params["conv_w"]) + params["conv_b"], 0.0)
    pooled = jnp.mean(feats, axis=0)
    return xent(jnp.dot(pooled, params["head_w"]) + params["head_b"], label)


def data(rng, n, shape, classes):
    return rng.standard_normal((n,) + shape).astype(f32), rng.integers(0, classes, n).astype(np.int32)


def loop_grads(loss, params, xs, ys):
    per = [grad(loss)(params, x, y) for x, y in zip(xs, ys)]
    return tree_map(lambda *g: np.stack([np.asarray(v) for v in g]), *per)


# ---- Per-example gradients ----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_per_example_gradients_equal_the_loop(model):
    rng = np.random.default_rng(0)
    if model == "mlp":
        loss, params = mlp_loss, mlp_init(rng)
        xs, ys = data(rng, 7, (6,), 4)
    else:
        loss, params = cnn_loss, cnn_init(rng)
        xs, ys = data(rng, 5, (IMG, IMG), CLASSES)
    got = vmap(grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    close(got, loop_grads(loss, params, xs, ys))
    assert [g.shape for g in tree_leaves(got)] == [(len(xs),) + np.shape(p) for p in tree_leaves(params)]


def dp_sgd_update(loss, params, xs, ys, clip):
    grads = vmap(grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    sq = sum(jnp.sum(jnp.reshape(g, (g.shape[0], -1)) ** 2, axis=1) for g in tree_leaves(grads))
    norms = jnp.sqrt(sq)
    scale = jnp.minimum(1.0, clip / norms)
    clipped = tree_map(lambda g: jnp.mean(g * jnp.reshape(scale, (-1,) + (1,) * (g.ndim - 1)), axis=0), grads)
    return norms, clipped


def test_dp_sgd_norms_and_clipped_mean_equal_the_loop():
    rng = np.random.default_rng(1)
    params = mlp_init(rng)
    xs, ys = data(rng, 9, (6,), 4)
    norms, clipped = dp_sgd_update(mlp_loss, params, xs, ys, clip=0.5)
    want_norms, want_clipped = [], None
    for x, y in zip(xs, ys):
        g = [np.asarray(v, np.float64) for v in tree_leaves(grad(mlp_loss)(params, x, y))]
        n = np.sqrt(sum((v ** 2).sum() for v in g))
        want_norms.append(n)
        s = [v * min(1.0, 0.5 / n) / len(xs) for v in g]
        want_clipped = s if want_clipped is None else [a + b for a, b in zip(want_clipped, s)]
    close(norms, np.array(want_norms), tol=1e-4)
    close(tree_leaves(clipped), want_clipped, tol=1e-4)


def test_chunked_per_example_gradients():
    rng = np.random.default_rng(2)
    params = mlp_init(rng)
    xs, ys = data(rng, 10, (6,), 4)
    full = vmap(grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    chunked = vmap(grad(mlp_loss), in_axes=(None, 0, 0), chunk_size=3)(params, xs, ys)
    close(chunked, full)


# ---- The IR -------------------------------------------------------------------------------------


def _prims(closed):
    out = []
    for eqn in closed.jaxpr.eqns:
        out.append(eqn.prim)
        for v in eqn.params.values():
            if hasattr(v, "jaxpr") and hasattr(v, "consts"):
                out.extend(_prims(v))
    return out


def test_per_example_gradient_ir_has_no_loop_and_no_callbacks():
    rng = np.random.default_rng(3)
    params = mlp_init(rng)
    f = vmap(grad(mlp_loss), in_axes=(None, 0, 0))
    small = make_jaxpr(f)(params, *data(rng, 2, (6,), 4))
    large = make_jaxpr(f)(params, *data(rng, 16, (6,), 4))
    # The program does not grow with the batch: no per-example loop, no stack of slices.
    assert len(small.eqns) == len(large.eqns)
    prims = _prims(large)
    assert all(p in P.ALL_PRIMITIVES for p in prims)
    assert not any("callback" in p.name for p in prims)
    # Every weight gradient is one dot_general batched over the examples (per-example outer
    # products), never one dot per example.
    text = str(large)
    dots = [e for e in large.eqns if e.prim is P.dot_general_p]
    batched = [e for e in dots if e.params["dimension_numbers"][1][0]]
    assert len(batched) >= len(params), text
    assert "concatenate" not in text


# ---- Compositions -------------------------------------------------------------------------------


def test_grad_of_vmap_and_vmap_of_grad():
    rng = np.random.default_rng(4)
    params = mlp_init(rng)
    xs, ys = data(rng, 4, (6,), 4)

    def batch_loss(p):
        return jnp.sum(vmap(mlp_loss, in_axes=(None, 0, 0))(p, xs, ys))

    total = grad(batch_loss)(params)
    per = vmap(grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    close(total, tree_map(lambda g: np.asarray(g).sum(0), per), tol=1e-4)
    # vmap over the parameters' gradient with respect to a batch of inputs
    gx = vmap(grad(mlp_loss, argnums=1), in_axes=(None, 0, 0))(params, xs, ys)
    close(gx, np.stack([grad(mlp_loss, argnums=1)(params, x, y) for x, y in zip(xs, ys)]))


def test_jacobians_and_hessian_match_vmap_of_grad():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 4)).astype(f32)

    def f(x):
        return jnp.tanh(jnp.dot(w, x))

    x = rng.standard_normal(4).astype(f32)
    rows = vmap(lambda ct: vjp(f, x)[1](ct)[0])(np.eye(3, dtype=f32))
    close(jacrev(f)(x), rows)
    cols = vmap(lambda t: jvp(f, (x,), (t,))[1], out_axes=1)(np.eye(4, dtype=f32))
    close(jacfwd(f)(x), cols)
    g = lambda v: jnp.sum(f(v) ** 2)  # noqa: E731
    close(hessian(g)(x), vmap(lambda t: jvp(grad(g), (x,), (t,))[1])(np.eye(4, dtype=f32)), tol=1e-4)
    # a batch of Jacobians: vmap of jacrev
    xs = rng.standard_normal((5, 4)).astype(f32)
    close(vmap(jacrev(f))(xs), np.stack([np.asarray(jacrev(f)(v)) for v in xs]))


def test_value_and_grad_under_vmap_with_kwargs():
    rng = np.random.default_rng(6)
    params = mlp_init(rng)
    xs, ys = data(rng, 3, (6,), 4)
    vals, grads = vmap(value_and_grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    close(vals, np.array([mlp_loss(params, x, y) for x, y in zip(xs, ys)]))
    close(grads, loop_grads(mlp_loss, params, xs, ys))


# ---- Collectives under differentiation (JAX's vmap semantics) -----------------------------------


def test_grad_with_psum_matches_jax_semantics():
    xs = np.array([0.0, 3.0, 1.0], f32)
    # psum's transpose is psum: each example's cotangent reaches every example it summed.
    close(vmap(grad(lambda x: par.psum(x, "i")), axis_name="i")(xs), [3.0, 3.0, 3.0])
    close(vmap(grad(lambda x: x * par.psum(x, "i")), axis_name="i")(xs), np.full(3, 2 * xs.sum()))
    close(vmap(grad(lambda x: par.pmean(x, "i")), axis_name="i")(xs), [1.0, 1.0, 1.0])
    close(grad(lambda v: jnp.sum(vmap(lambda x: par.psum(x, "i"), axis_name="i")(v)))(xs), [3.0] * 3)
    # all_gather's transpose sums the gathered cotangents and takes this example's slice.
    c = np.array([1.0, 2.0, 3.0], f32)
    close(vmap(grad(lambda x: jnp.sum(par.all_gather(x, "i") * c)), axis_name="i")(xs), 3 * c)
    perm = [(0, 1), (1, 2), (2, 0)]
    close(vmap(grad(lambda x: 2.0 * par.ppermute(x, "i", perm)), axis_name="i")(xs), [2.0] * 3)
    # pmax: the tangent flows to the maximal example
    t = vmap(lambda x: jvp(lambda v: par.pmax(v, "i"), (x,), (x * 0 + 1.0,))[1], axis_name="i")(xs)
    close(t, [1.0, 1.0, 1.0])


def test_collective_grads_match_jax():
    jax = pytest.importorskip("jax")
    xs = np.array([0.5, 3.0, 1.0, -2.0], f32)
    cases = [
        (lambda x: x * par.psum(x * x, "i"), lambda x: x * jax.lax.psum(x * x, "i")),
        (lambda x: jnp.sin(x - par.pmean(x, "i")), lambda x: jax.numpy.sin(x - jax.lax.pmean(x, "i"))),
        (lambda x: jnp.sum(par.all_gather(x, "i") ** 2) * x,
         lambda x: jax.numpy.sum(jax.lax.all_gather(x, "i") ** 2) * x),
    ]
    for ours, theirs in cases:
        close(vmap(grad(ours), axis_name="i")(xs), jax.vmap(jax.grad(theirs), axis_name="i")(xs), tol=1e-4)
        close(grad(lambda v: jnp.sum(vmap(ours, axis_name="i")(v)))(xs),
              jax.grad(lambda v: jax.numpy.sum(jax.vmap(theirs, axis_name="i")(v)))(xs), tol=1e-4)


def test_per_example_gradients_match_jax():
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(7)
    params = mlp_init(rng)
    xs, ys = data(rng, 6, (6,), 4)

    def jax_loss(p, x, y):
        h = x
        for w, b in p[:-1]:
            h = jax.numpy.tanh(h @ w + b)
        z = h @ p[-1][0] + p[-1][1]
        return jax.nn.logsumexp(z) - z[y]

    ours = vmap(grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    theirs = jax.vmap(jax.grad(jax_loss), in_axes=(None, 0, 0))(params, xs, ys)
    close(ours, theirs, tol=1e-4)
