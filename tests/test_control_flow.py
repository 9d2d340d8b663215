"""lax.cond / switch / while_loop / fori_loop / scan / map / associative_scan: each against a
Python-loop reference eagerly, under jit, under vmap (batched predicates included) and under
jvp / grad (check_grads in float64). Error cases are in test_control_flow_errors.py."""

import math

import numpy as np
import pytest

from jaxlite import numpy as jnp
from jaxlite.ad_api import grad, jvp, value_and_grad
from jaxlite.batching import vmap
from jaxlite.checkpoint import checkpoint
from jaxlite.config import enable_x64
from jaxlite.control_flow import associative_scan, cond, fori_loop, map, scan, switch, while_loop
from jaxlite.jit import jit
from jaxlite.test_util import check_grads


@pytest.fixture
def x64():
    with enable_x64():
        yield


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def tree_close(a, b, tol=1e-5):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            tree_close(x, y, tol)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            tree_close(a[k], b[k], tol)
    else:
        close(a, b, tol)


# ---- The constructs and their Python references ----------------------------------------------


def f_cond(x, y):
    return cond(x > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: jnp.cos(b) - a, x, y)


def r_cond(x, y):
    return math.sin(x) * y if x > 0 else math.cos(y) - x


def f_cond_pytree(x, y):
    out = cond(x < y, lambda p: {"s": p[0] * p[1], "d": (p[0] - p[1], p[0])},
               lambda p: {"s": p[0] + p[1], "d": (p[1] * 2.0, jnp.exp(p[1]))}, (x, y))
    return out["s"] + out["d"][0] * out["d"][1]


def r_cond_pytree(x, y):
    if x < y:
        return x * y + (x - y) * x
    return x + y + 2 * y * math.exp(y)


BRANCHES = [lambda x: x * x, lambda x: jnp.sin(x) + 1.0, lambda x: -3.0 * x]
R_BRANCHES = [lambda x: x * x, lambda x: math.sin(x) + 1.0, lambda x: -3.0 * x]


def f_switch(i, x):
    return switch(i, BRANCHES, x)


def r_switch(i, x):
    return R_BRANCHES[min(max(int(i), 0), 2)](x)


def f_while(x):
    # the number of steps depends on x: a batched predicate under vmap
    def body(c):
        k, v = c
        return k + 1, v * 1.5 + 0.25

    return while_loop(lambda c: c[1] < 10.0, body, (0, x))


def r_while(x):
    k = 0
    while x < 10.0:
        k, x = k + 1, x * 1.5 + 0.25
    return k, x


def f_fori(x, w):
    return fori_loop(0, 6, lambda i, c: c * w + jnp.sin(c) * i, x)


def r_fori(x, w):
    for i in range(6):
        x = x * w + math.sin(x) * i
    return x


def f_scan(c0, xs, w):
    def step(carry, x):
        a, b = carry["a"], carry["b"]
        a2 = jnp.tanh(a * w + x[0])
        b2 = b + a * x[1]
        return {"a": a2, "b": b2}, (a2 * b, x[0] - b)

    return scan(step, {"a": c0, "b": c0 * 0.5}, (xs[0], xs[1]))


def r_scan(c0, xs, w):
    a, b, ys0, ys1 = c0, c0 * 0.5, [], []
    for x0, x1 in zip(xs[0], xs[1], strict=True):
        a2, b2 = math.tanh(a * w + x0), b + a * x1
        ys0.append(a2 * b)
        ys1.append(x0 - b)
        a, b = a2, b2
    return {"a": a, "b": b}, (np.array(ys0), np.array(ys1))


def f_scan_rev(c, xs):
    return scan(lambda c, x: (c * x + 1.0, c), c, xs, reverse=True, unroll=2)


def r_scan_rev(c, xs):
    ys = [None] * len(xs)
    for i in reversed(range(len(xs))):
        ys[i] = c
        c = c * xs[i] + 1.0
    return c, np.array(ys)


def f_scan_len(c):
    return scan(lambda c, _: (jnp.sin(c) + c, c * c), c, None, length=4)


def r_scan_len(c):
    ys = []
    for _ in range(4):
        ys.append(c * c)
        c = math.sin(c) + c
    return c, np.array(ys)


def flat(t):
    if isinstance(t, dict):
        return [y for k in sorted(t) for y in flat(t[k])]
    if isinstance(t, (tuple, list)):
        return [y for x in t for y in flat(x)]
    return [t]


# ---- Eager and jit against the reference ------------------------------------------------------

XS = (np.array([0.3, -0.2, 0.7, 0.1], np.float32), np.array([1.0, 0.5, -0.5, 2.0], np.float32))

CASES = [
    ("cond_true", f_cond, (0.7, 1.3), r_cond),
    ("cond_false", f_cond, (-0.7, 1.3), r_cond),
    ("cond_pytree", f_cond_pytree, (0.4, 1.1), r_cond_pytree),
    ("cond_pytree_f", f_cond_pytree, (1.4, 1.1), r_cond_pytree),
    ("switch", f_switch, (1, 0.6), r_switch),
    ("switch_clamp", f_switch, (7, 0.6), r_switch),
    ("switch_neg", f_switch, (-2, 0.6), r_switch),
    ("while", f_while, (0.5,), r_while),
    ("fori", f_fori, (0.4, 0.9), r_fori),
    ("scan", f_scan, (0.3, XS, 0.8), r_scan),
    ("scan_rev", f_scan_rev, (0.5, XS[1]), r_scan_rev),
    ("scan_len", f_scan_len, (0.5,), r_scan_len),
]


@pytest.mark.parametrize("name,f,args,ref", CASES, ids=[c[0] for c in CASES])
def test_eager_matches_python(name, f, args, ref):
    tree_close(f(*args), ref(*args))


@pytest.mark.parametrize("name,f,args,ref", CASES, ids=[c[0] for c in CASES])
def test_jit_matches_python(name, f, args, ref):
    tree_close(jit(f)(*args), ref(*args))


# ---- vmap against a loop over examples ----------------------------------------------------------


def _vmap_check(f, ref, batched_args, in_axes):
    n = next(np.shape(a)[0] for a, ax in zip(batched_args, in_axes, strict=True) if ax is not None)
    out = vmap(f, in_axes=in_axes)(*batched_args)
    for i in range(n):
        ex = [a[i] if ax is not None else a for a, ax in zip(batched_args, in_axes, strict=True)]
        want = ref(*[float(e) if np.ndim(e) == 0 and not isinstance(e, (int, np.integer)) else e
                     for e in ex])
        got = [np.asarray(o)[i] for o in flat(out)]
        for g, w in zip(got, flat(want), strict=True):
            close(g, w)


def test_vmap_cond_batched_predicate():
    x = np.array([-1.0, 0.5, 2.0, -0.1], np.float32)
    y = np.array([0.3, 0.2, -1.0, 4.0], np.float32)
    _vmap_check(f_cond, r_cond, (x, y), (0, 0))
    _vmap_check(f_cond_pytree, r_cond_pytree, (x, np.float32(0.1)), (0, None))


def test_vmap_cond_unbatched_predicate_batched_operand():
    y = np.array([0.3, 0.2, -1.0], np.float32)
    _vmap_check(f_cond, r_cond, (np.float32(0.5), y), (None, 0))
    _vmap_check(f_cond, r_cond, (np.float32(-0.5), y), (None, 0))


def test_vmap_switch_batched_index():
    i = np.array([0, 1, 2, 5, -1], np.int32)
    x = np.array([0.5, 0.6, 0.7, 0.8, 0.9], np.float32)
    _vmap_check(f_switch, lambda i, x: r_switch(i, float(x)), (i, x), (0, 0))
    _vmap_check(f_switch, lambda i, x: r_switch(i, float(x)), (i, np.float32(2.0)), (0, None))


def test_vmap_while_batched_predicate_runs_until_all_lanes_finish():
    x = np.array([0.5, 9.0, 3.0, 12.0], np.float32)  # 6, 1, 3 and 0 steps
    _vmap_check(f_while, r_while, (x,), (0,))


def test_vmap_fori_and_dynamic_trip_count():
    x = np.array([0.1, 0.4, -0.3], np.float32)
    _vmap_check(f_fori, r_fori, (x, np.float32(0.9)), (0, None))
    _vmap_check(f_fori, r_fori, (np.float32(0.2), x + 1), (None, 0))

    def dyn(n, x):
        return fori_loop(0, n, lambda i, c: c * 1.1 + i, x)

    def r_dyn(n, x):
        for i in range(int(n)):
            x = x * 1.1 + i
        return x

    n = np.array([0, 3, 5], np.int32)
    _vmap_check(dyn, r_dyn, (n, x), (0, 0))
    _vmap_check(dyn, r_dyn, (n, np.float32(1.0)), (0, None))
    close(jit(dyn)(4, 0.5), r_dyn(4, 0.5))


def test_vmap_scan():
    c = np.array([0.3, -0.4], np.float32)
    xs = (np.stack([XS[0], XS[0] * 2]), np.stack([XS[1], -XS[1]]))
    out = vmap(f_scan, in_axes=(0, 0, None))(c, xs, np.float32(0.8))
    for i in range(2):
        want = r_scan(float(c[i]), (xs[0][i], xs[1][i]), 0.8)
        for g, w in zip(flat(out), flat(want), strict=True):
            close(np.asarray(g)[i], w)
    # only the closed-over constant batched: the carry becomes batched through the body
    w = np.array([0.5, 0.8, 1.1], np.float32)
    _vmap_check(lambda w: f_scan(0.3, XS, w), lambda w: r_scan(0.3, XS, w), (w,), (0,))
    # xs batched on another axis
    xs_t = np.stack([XS[1], XS[1] * 0.5], axis=1)  # (4, 2): batch on axis 1
    out = vmap(f_scan_rev, in_axes=(None, 1))(np.float32(0.5), xs_t)
    for i in range(2):
        tree_close([np.asarray(o)[i] for o in out], list(r_scan_rev(0.5, xs_t[:, i])))


# ---- Derivatives ------------------------------------------------------------------------------


def test_grads_cond(x64):
    for x in (0.7, -0.7):
        check_grads(f_cond, (x, 1.3), order=2, modes=("fwd", "rev"))
        check_grads(f_cond_pytree, (x, 1.1), order=1, modes=("fwd", "rev"))
    check_grads(lambda x: f_switch(1, x), (0.6,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: f_switch(2, x), (0.6,), order=1, modes=("fwd", "rev"))


def test_grad_cond_values(x64):
    g = grad(f_cond, argnums=(0, 1))(0.7, 1.3)
    close(g[0], math.cos(0.7) * 1.3)
    close(g[1], math.sin(0.7))
    g = grad(f_cond, argnums=(0, 1))(-0.7, 1.3)
    close(g[0], -1.0)
    close(g[1], -math.sin(1.3))


def test_grads_while_forward_only(x64):
    check_grads(lambda x: f_while(x)[1], (0.5,), order=2, modes=("fwd",))
    _, t = jvp(lambda x: f_while(x)[1], (0.5,), (1.0,))
    steps = r_while(0.5)[0]
    close(t, 1.5 ** steps)


def test_grads_fori_static(x64):
    check_grads(f_fori, (0.4, 0.9), order=2, modes=("fwd", "rev"))


def test_grads_scan(x64):
    xs = tuple(np.asarray(a, np.float64) for a in XS)
    check_grads(lambda c, w: f_scan(c, xs, w), (0.3, 0.8), order=2, modes=("fwd", "rev"))
    check_grads(lambda c, x0, x1, w: f_scan(c, (x0, x1), w), (0.3, xs[0], xs[1], 0.8), order=1,
                modes=("fwd", "rev"))
    check_grads(f_scan_rev, (0.5, xs[1]), order=2, modes=("fwd", "rev"))
    check_grads(f_scan_len, (0.5,), order=2, modes=("fwd", "rev"))


def test_grad_scan_matches_unrolled_loop(x64):
    xs = tuple(np.asarray(a, np.float64) for a in XS)

    def loss(c, w):
        carry, ys = f_scan(c, xs, w)
        return carry["a"] + jnp.sum(ys[0] * ys[1])

    def unrolled(c, w):
        a, b, total = c, c * 0.5, 0.0
        for x0, x1 in zip(xs[0], xs[1], strict=True):
            a2, b2 = jnp.tanh(a * w + x0), b + a * x1
            total = total + (a2 * b) * (x0 - b)
            a, b = a2, b2
        return a + total

    v, g = value_and_grad(loss, argnums=(0, 1))(0.3, 0.8)
    v2, g2 = value_and_grad(unrolled, argnums=(0, 1))(0.3, 0.8)
    close(v, v2)
    tree_close(g, g2)
    tree_close(jit(grad(loss, argnums=(0, 1)))(0.3, 0.8), g2)


def test_per_example_grads_through_scan(x64):
    xs = np.asarray(XS[1], np.float64)

    def loss(w, c):
        return scan(lambda c, x: (jnp.sin(c * w) + x, c), c, xs)[0]

    cs = np.array([0.1, 0.5, -0.3])
    got = vmap(grad(loss), in_axes=(None, 0))(0.7, cs)
    for i, c in enumerate(cs):
        close(got[i], grad(loss)(0.7, float(c)))


def test_checkpointed_scan_body(x64):
    w = np.linspace(-1.0, 1.0, 9).reshape(3, 3)

    def step(c, x):
        return jnp.tanh(w @ c + x), jnp.sum(c)

    def loss(c, f):
        c, ys = scan(f, c, np.ones((5, 3)) * 0.1)
        return jnp.sum(c) + jnp.sum(ys)

    c0 = np.array([0.2, -0.1, 0.4])
    close(grad(lambda c: loss(c, checkpoint(step)))(c0), grad(lambda c: loss(c, step))(c0))
    check_grads(lambda c: loss(c, checkpoint(step)), (c0,), order=1, modes=("fwd", "rev"))


def test_grads_map_and_associative_scan(x64):
    x = np.linspace(0.1, 1.0, 7)
    check_grads(lambda x: map(jnp.sin, x), (x,), order=1)
    check_grads(lambda x: map(lambda v: v * v, x, batch_size=3), (x,), order=1)
    check_grads(lambda x: associative_scan(jnp.multiply, x), (x,), order=1)


# ---- map, associative_scan --------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3, 7, 10])
def test_map(batch_size):
    x = np.arange(7.0, dtype=np.float32)
    out = map(lambda v: {"a": v * 2, "b": jnp.sin(v)}, x, batch_size=batch_size)
    close(out["a"], x * 2)
    close(out["b"], np.sin(x))
    close(jit(lambda x: map(jnp.cos, x, batch_size=batch_size))(x), np.cos(x))


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan(n, reverse):
    x = np.arange(1.0, n + 1, dtype=np.float32)
    want = np.cumsum(x[::-1])[::-1] if reverse else np.cumsum(x)
    close(associative_scan(jnp.add, x, reverse=reverse), want)
    close(jit(lambda x: associative_scan(jnp.add, x, reverse=reverse))(x), want)
    # a pytree, non-commutative operator: the linear recurrence h = a h + b
    a = np.linspace(0.5, 1.5, n).astype(np.float32)
    b = np.linspace(-1.0, 1.0, n).astype(np.float32)

    def combine(p, q):
        return p[0] * q[0], q[0] * p[1] + q[1]

    _, h = associative_scan(combine, (a, b))
    ref, acc = [], 0.0
    for ai, bi in zip(a, b, strict=True):
        acc = ai * acc + bi
        ref.append(acc)
    close(h, ref)


def test_associative_scan_axis():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    close(associative_scan(jnp.add, x, axis=1), np.cumsum(x, axis=1))
    close(associative_scan(jnp.maximum, x[::-1], axis=0), np.maximum.accumulate(x[::-1], axis=0))


# ---- Types, weak types, IR ---------------------------------------------------------------------


def test_weakly_typed_carry_takes_the_body_type():
    out = fori_loop(0, 3, lambda i, x: x + 1.5, 0)
    assert np.asarray(out).dtype == np.float32
    close(out, 4.5)
    c, _ = scan(lambda c, x: (c + x, c), 0.0, np.arange(3, dtype=np.float32))
    assert np.asarray(c).dtype == np.float32


def test_jaxpr_prints_sub_programs():
    from jaxlite.partial_eval import make_jaxpr

    text = str(make_jaxpr(lambda x: fori_loop(0, 3, lambda i, c: c * 2, x))(1.0))
    assert "scan[" in text and "jaxpr={ lambda" in text and "length=3" in text
    text = str(make_jaxpr(f_cond)(1.0, 2.0))
    assert "cond[" in text and "branches=(" in text and "sin" in text and "cos" in text
    text = str(make_jaxpr(f_while)(1.0))
    assert "while[" in text and "cond_jaxpr=" in text and "body_jaxpr=" in text


def test_closed_over_tracers_and_nesting():
    def f(x):
        def outer(c, y):
            inner = fori_loop(0, 3, lambda i, v: v + x * y, c)
            return cond(inner > 2.0, lambda: inner * 0.5, lambda: inner + x), inner
        return scan(outer, 0.0, jnp.arange(4.0))

    def r(x):
        c, ys = 0.0, []
        for y in range(4):
            inner = c + 3 * x * y
            ys.append(inner)
            c = inner * 0.5 if inner > 2.0 else inner + x
        return c, np.array(ys)

    tree_close(f(0.4), r(0.4))
    tree_close(jit(f)(0.4), r(0.4))
    out = vmap(f)(np.array([0.1, 0.4], np.float32))
    for i, x in enumerate([0.1, 0.4]):
        tree_close([np.asarray(o)[i] for o in out], list(r(x)), tol=1e-4)
    with enable_x64():
        check_grads(lambda x: f(x)[0], (0.4,), order=1, modes=("fwd", "rev"))


def test_differentiable_simulation_through_scan(x64):
    rng = np.random.default_rng(0)
    pos0, vel0 = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)) * 0.1

    def sim(pos, vel, k):
        def step(s, _):
            p, v = s
            d = p[:, None, :] - p[None, :, :]
            r2 = jnp.sum(d * d, -1) + 0.1
            v = v - 0.01 * k * jnp.sum(d / r2[..., None] ** 1.5, 1)
            return (p + 0.01 * v, v), jnp.sum(v * v)

        (p, _), e = scan(step, (pos, vel), None, length=20)
        return jnp.sum(p ** 2) + jnp.mean(e)

    g = grad(sim, argnums=(0, 1, 2))(pos0, vel0, 0.5)
    tree_close(jit(grad(sim, argnums=(0, 1, 2)))(pos0, vel0, 0.5), g)
    check_grads(sim, (pos0, vel0, 0.5), order=1, modes=("fwd", "rev"))
