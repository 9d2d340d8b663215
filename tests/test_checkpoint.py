"""checkpoint / remat: residuals traded for recomputation, counted from the IR, with the same
gradients; policies; higher order; staging."""

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import primitives as P
from jaxlite.ad import grad, jvp, value_and_grad
from jaxlite.checkpoint import checkpoint, checkpoint_policies, remat, saved_residuals
from jaxlite.partial_eval import make_jaxpr


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def chain(n, layer=jnp.sin):
    def f(x):
        for _ in range(n):
            x = layer(x)
        return x

    return f


def count_prims(jaxpr, name):
    """Occurrences of a primitive, inside call bodies too."""
    total = 0
    for eqn in jaxpr.eqns:
        total += eqn.prim.name == name
        for v in eqn.params.values():
            if hasattr(v, "jaxpr") and hasattr(v, "consts"):
                total += count_prims(v.jaxpr, name)
    return total


def test_fifty_layer_chain_trades_residuals_for_recomputation():
    f = chain(50)
    x = 0.7
    plain = saved_residuals(f, x)
    remat_ = saved_residuals(checkpoint(f), x)
    assert len(plain) == 50  # cos(x_i) of every layer
    assert len(remat_) == 1 and remat_[0][1] == "from argument 0"  # only the input
    close(grad(checkpoint(f))(x), grad(f)(x))
    # In the backward program the forward pass is recomputed inside the remat: 49 more sin (the
    # last layer's output is not needed to differentiate it, so it is not recomputed).
    plain_ir = make_jaxpr(grad(f))(x).jaxpr
    remat_ir = make_jaxpr(grad(checkpoint(f)))(x).jaxpr
    assert count_prims(plain_ir, "sin") == 50 and count_prims(remat_ir, "sin") == 50 + 49
    assert count_prims(plain_ir, "cos") == count_prims(remat_ir, "cos") == 50
    assert count_prims(remat_ir, "remat") == 1


def test_per_layer_checkpoint():
    layer = checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    f = chain(10, layer)
    # each checkpointed layer saves only its input
    assert len(saved_residuals(f, 0.3)) == 10
    close(grad(f)(0.3), grad(chain(20))(0.3))


def _mlp(ws, x):
    for w in ws:
        x = jnp.tanh(x @ w)
    return jnp.sum(x ** 2)


def _mlp_data():
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((4, 4)).astype(np.float32) * 0.5 for _ in range(3)]
    return ws, rng.standard_normal((5, 4)).astype(np.float32)


def test_policies():
    ws, x = _mlp_data()
    expected = grad(_mlp)(ws, x)
    counts = {}
    for name, policy in [("none", checkpoint_policies.nothing_saveable),
                         ("dots", checkpoint_policies.dots_saveable),
                         ("dots_nb", checkpoint_policies.dots_with_no_batch_dims_saveable),
                         ("all", checkpoint_policies.everything_saveable)]:
        f = checkpoint(_mlp, policy=policy)
        for a, b in zip(grad(f)(ws, x), expected):
            close(a, b, 1e-5)
        counts[name] = len(saved_residuals(f, ws, x))
        ir = make_jaxpr(grad(f))(ws, x).jaxpr
        remat_body = next(e for e in ir.eqns if e.prim is P.remat_p).params["jaxpr"].jaxpr
        counts[name + "_dots_recomputed"] = count_prims(remat_body, "dot_general")
    plain = len(saved_residuals(_mlp, ws, x))
    assert counts["none"] == 4  # the three weights and x
    assert counts["none"] < counts["dots"] == counts["dots_nb"] < plain + 1
    assert counts["none_dots_recomputed"] > counts["dots_dots_recomputed"]
    assert counts["all"] >= counts["dots"]


def test_default_policy_is_nothing_saveable_and_remat_is_an_alias():
    ws, x = _mlp_data()
    assert remat is checkpoint
    assert len(saved_residuals(checkpoint(_mlp), ws, x)) == 4


def test_higher_order_and_forward_mode():
    f = checkpoint(lambda x: jnp.sin(x) * jnp.exp(x))
    x = 0.4
    close(grad(grad(f))(x), 2 * np.exp(x) * np.cos(x), 1e-5)
    close(grad(grad(grad(f)))(x), 2 * np.exp(x) * (np.cos(x) - np.sin(x)), 1e-5)
    _, t = jvp(f, (x,), (1.0,))
    close(t, np.exp(x) * (np.sin(x) + np.cos(x)))
    v, g = value_and_grad(f)(x)
    close(v, np.sin(x) * np.exp(x))


def test_closures_static_args_and_eager():
    w = np.float32(3.0)
    f = checkpoint(lambda x: jnp.sin(x * w))
    close(f(0.5), np.sin(1.5))  # eager: just runs
    close(grad(f)(0.5), 3.0 * np.cos(1.5))
    g = checkpoint(lambda x, n: x ** n if n > 1 else x, static_argnums=(1,))
    close(grad(g)(2.0, 3), 12.0)
    # a closed-over value that is itself being differentiated
    close(grad(lambda a: checkpoint(lambda x: jnp.sin(x * a))(2.0))(0.5), 2.0 * np.cos(1.0))


def test_staging_and_jit():
    f = checkpoint(chain(3))
    text = str(make_jaxpr(f)(1.0))
    assert "remat" in text and "prevent_cse=True" in text
    jit = pytest.importorskip("jaxlite.jit").jit
    close(jit(grad(f))(0.3), grad(chain(3))(0.3))
    close(grad(jit(f))(0.3), grad(chain(3))(0.3))


def test_policy_must_be_callable():
    with pytest.raises(TypeError, match="policy must be callable"):
        checkpoint(jnp.sin, policy="dots")
