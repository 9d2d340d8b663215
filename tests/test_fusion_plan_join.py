"""Fusion plans a producer's join into a group incrementally (_Graph.plan_join); it must give
exactly the points a full re-plan of the group gives, on real programs."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from compiler.cpu.coverage import why_not_native
from compiler.passes import fusion
from compiler.pipeline import optimize


def _programs():
    k = jax.random.PRNGKey(0)
    yield "normal", jax.make_jaxpr(lambda k: jax.random.normal(k, (64,)))(k)

    def mlp(w, x):
        h = jnp.tanh(x @ w + 1.0)
        return jnp.sum(jax.nn.log_softmax(h) * 0.5)

    w, x = np.ones((8, 8), np.float32), np.ones((4, 8), np.float32)
    yield "mlp grad", jax.make_jaxpr(jax.grad(mlp))(w, x)
    yield "broadcasts", jax.make_jaxpr(lambda a, b: jnp.exp(a[:, None] * b[None, :]).sum(0) + b)(
        np.ones(5, np.float32), np.ones(7, np.float32)
    )


@pytest.mark.parametrize("name, closed", list(_programs()), ids=lambda v: v if isinstance(v, str) else "")
def test_incremental_plans_equal_full_plans(name, closed):
    closed = optimize(closed)
    g = fusion._Graph(closed.jaxpr, why_not_native)
    groups = {id(grp): grp for grp in fusion._form_groups(g).values()}.values()
    joined = [grp for grp in groups if len(grp.members) > 1 and grp.points is not None]
    assert joined, "the program should fuse something"
    for grp in joined:
        assert g.plan(grp, grp.members) == grp.points, name
