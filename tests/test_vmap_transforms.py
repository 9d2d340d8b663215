"""vmap composed with the higher-order primitives: jit, custom_jvp, custom_vjp, checkpoint, and
the batching of a Jaxpr (batch_jaxpr) that control flow and pmap build on."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from jaxlite import ad
from jaxlite.ad import grad, jvp
from jaxlite.batching import AxisData, batch_jaxpr, vmap
from jaxlite.checkpoint import checkpoint
from jaxlite.custom_derivatives import custom_jvp, custom_vjp
from jaxlite.jit import jit
from jaxlite.lax import parallel as par
from jaxlite.partial_eval import eval_jaxpr as eval_jaxpr_bind
from jaxlite.partial_eval import make_jaxpr

f32 = np.float32
rng = np.random.default_rng(0)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---- jit ------------------------------------------------------------------------------------------


def test_vmap_of_jit_and_jit_of_vmap():
    w = rng.standard_normal((3, 4)).astype(f32)
    xs = rng.standard_normal((5, 3)).astype(f32)

    @jit
    def f(x):
        return jnp.tanh(x @ w)

    want = np.tanh(xs @ w)
    close(vmap(f)(xs), want)
    close(jit(vmap(f))(xs), want)
    close(vmap(f, in_axes=1)(xs.T), want)
    text = str(make_jaxpr(vmap(f))(xs))
    assert text.count("jit[") == 1 and "f32[5,4]" in text  # still one call, with a batched body


def test_vmap_of_jit_with_collective_and_unbatched_args():
    xs = rng.standard_normal((4, 3)).astype(f32)
    b = np.ones(3, f32)

    @jit
    def centered(x, b):
        return x - par.pmean(x, "i") + b

    close(vmap(centered, in_axes=(0, None), axis_name="i")(xs, b), xs - xs.mean(0) + 1)


def test_grad_and_vmap_through_jit():
    xs = rng.standard_normal((4, 3)).astype(f32)
    f = jit(lambda x: jnp.sum(jnp.sin(x) ** 2))
    close(vmap(grad(f))(xs), 2 * np.sin(xs) * np.cos(xs))
    close(grad(lambda v: jnp.sum(vmap(f)(v)))(xs), 2 * np.sin(xs) * np.cos(xs))


# ---- custom_jvp / custom_vjp -------------------------------------------------------------------


@custom_jvp
def twice_slope(x):
    return jnp.sin(x)


@twice_slope.defjvp
def _twice_slope_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.sin(x), 2.0 * t  # deliberately not cos(x): shows which rule ran


def test_custom_jvp_rule_survives_vmap():
    xs = rng.standard_normal(5).astype(f32)
    close(vmap(twice_slope)(xs), np.sin(xs))
    close(vmap(grad(twice_slope))(xs), np.full(5, 2.0))
    close(grad(lambda v: jnp.sum(vmap(twice_slope)(v)))(xs), np.full(5, 2.0))
    close(jvp(vmap(twice_slope), (xs,), (np.ones(5, f32),))[1], np.full(5, 2.0))
    # staged under vmap: one custom_jvp_call whose body is batched; its derivative still custom
    closed = make_jaxpr(vmap(twice_slope))(xs)
    assert [e.prim for e in closed.eqns] == [P.custom_jvp_call_p]
    close(grad(lambda v: jnp.sum(ad.eval_jaxpr(closed.jaxpr, closed.consts, v)[0]))(xs), np.full(5, 2.0))


def test_custom_jvp_call_primitive_is_batched():
    closed = make_jaxpr(twice_slope)(np.float32(0.0))
    xs = rng.standard_normal(4).astype(f32)
    f = lambda x: eval_jaxpr_bind(closed.jaxpr, closed.consts, x)[0]  # noqa: E731
    close(vmap(f)(xs), np.sin(xs))
    close(vmap(grad(f))(xs), np.full(4, 2.0))
    close(grad(lambda v: jnp.sum(vmap(f)(v)))(xs), np.full(4, 2.0))


@custom_vjp
def scaled_mul(w, x):
    return w * x


def _scaled_mul_fwd(w, x):
    return w * x, (w, x)


def _scaled_mul_bwd(res, g):
    w, x = res
    return 10.0 * g * x, g * w  # the w-cotangent is scaled: shows which rule ran


scaled_mul.defvjp(_scaled_mul_fwd, _scaled_mul_bwd)


def test_custom_vjp_rule_survives_vmap():
    w = np.float32(1.5)
    xs = rng.standard_normal(4).astype(f32)
    close(vmap(scaled_mul, in_axes=(None, 0))(w, xs), w * xs)
    # per-example gradients use the custom rule
    close(vmap(grad(scaled_mul), in_axes=(None, 0))(w, xs), 10 * xs)
    # grad of a vmapped custom_vjp: the unbatched w gets the sum of per-example cotangents
    gw, gx = grad(lambda w, v: jnp.sum(vmap(scaled_mul, in_axes=(None, 0))(w, v)), argnums=(0, 1))(w, xs)
    close(gw, 10 * xs.sum())
    close(gx, np.full(4, w))
    # both batched
    ws = rng.standard_normal(4).astype(f32)
    close(grad(lambda a, b: jnp.sum(vmap(scaled_mul)(a, b)))(ws, xs), 10 * xs)


def test_custom_vjp_call_primitive_is_batched():
    closed = make_jaxpr(scaled_mul)(np.float32(1.0), np.float32(2.0))
    f = lambda w, x: eval_jaxpr_bind(closed.jaxpr, closed.consts, w, x)[0]  # noqa: E731
    xs = rng.standard_normal(3).astype(f32)
    close(vmap(f, in_axes=(None, 0))(np.float32(2.0), xs), 2 * xs)
    close(grad(lambda w: jnp.sum(vmap(f, in_axes=(None, 0))(w, xs)))(np.float32(2.0)), 10 * xs.sum())
    close(vmap(grad(f), in_axes=(None, 0))(np.float32(2.0), xs), 10 * xs)


# ---- checkpoint ---------------------------------------------------------------------------------


def test_checkpoint_under_vmap():
    w = rng.standard_normal((3, 3)).astype(f32)
    xs = rng.standard_normal((4, 3)).astype(f32)

    @checkpoint
    def layer(x):
        return jnp.tanh(x @ w)

    loss = lambda x: jnp.sum(layer(layer(x)))  # noqa: E731
    per = vmap(grad(loss))(xs)
    close(per, np.stack([np.asarray(grad(loss)(x)) for x in xs]))
    close(grad(lambda v: jnp.sum(vmap(loss)(v)))(xs), per)
    assert "remat" in str(make_jaxpr(vmap(layer))(xs))


# ---- batch_jaxpr --------------------------------------------------------------------------------


def test_batch_jaxpr_flags_and_cache():
    closed = make_jaxpr(lambda x, y: (x * 2.0, y + 1.0, jnp.sum(x)))(np.ones(3, f32), np.ones(2, f32))
    axis = AxisData(None, 5)
    batched, out_b = batch_jaxpr(closed, axis, [True, False], False)
    assert out_b == [True, False, True]
    assert [a.shape for a in batched.in_avals] == [(5, 3), (2,)]
    again, _ = batch_jaxpr(closed, axis, [True, False], False)
    assert again is batched
    forced, out_f = batch_jaxpr(closed, axis, [True, False], True)
    assert out_f == [True, True, True] and forced.out_avals[1].shape == (5, 2)
    xs = rng.standard_normal((5, 3)).astype(f32)
    outs = eval_jaxpr(forced.jaxpr, forced.consts, xs, np.zeros(2, f32))
    close(outs[0], xs * 2)
    close(outs[2], xs.sum(1))


def test_batch_jaxpr_binds_the_axis_name():
    closed_fn = lambda x: x - par.pmean(x, "k")  # noqa: E731
    xs = rng.standard_normal((3, 2)).astype(f32)
    closed = make_jaxpr(vmap(lambda x: jit(closed_fn)(x), axis_name="k"))(xs)
    close(eval_jaxpr(closed.jaxpr, closed.consts, xs)[0], xs - xs.mean(0))


def test_unknown_primitive_error_names_it():
    from jaxlite.batching import BatchTrace, batch_rules

    saved = batch_rules.pop(P.cumsum_p)
    try:
        with pytest.raises(NotImplementedError, match="cumsum has no batching rule"):
            vmap(lambda x: jnp.cumsum(x))(np.ones((2, 3), f32))
    finally:
        batch_rules[P.cumsum_p] = saved
    assert BatchTrace
