"""scan / fori_loop / while_loop / cond / switch under jit compile to native loops and branches:
results equal the eager (interpreter) results, under grad and vmap too, and the compiled
program calls no Python per iteration (the runtime counts entries into the interpreter)."""

import numpy as np
import pytest

from compiler import runtime
from jaxlite import numpy as jnp
from jaxlite.ad_api import grad, value_and_grad
from jaxlite.batching import vmap
from jaxlite.config import enable_x64
from jaxlite.control_flow import cond, fori_loop, scan, switch, while_loop
from jaxlite.jit import jit


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))


def close(a, b, tol=1e-5):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(a, b)


def tree_close(a, b, tol=1e-5):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            tree_close(x, y, tol)
    else:
        close(a, b, tol)


def native(f, *args, tol=1e-5):
    """jit(f)(*args) equals f(*args) eagerly, with no Python call from the compiled program
    (every body here uses compiled primitives only)."""
    before = runtime.STATS["interpreter_callbacks"]
    got = jit(f)(*args)
    assert runtime.STATS["interpreter_callbacks"] == before, "the compiled program called back into Python"
    tree_close(got, f(*args), tol)
    return got


def report(f, *args):
    return jit(f).lower(*args).compile().as_text()


X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3])
def test_scan_carries_and_stacked_outputs(reverse, unroll):
    def f(c, xs):
        def body(carry, x):
            a, b = carry
            a = a * 0.9 + jnp.sin(x["u"]) * b
            return (a, b + 1.0), (a * 2.0, jnp.sum(a) + x["v"])

        return scan(body, c, xs, reverse=reverse, unroll=unroll)

    native(f, (X[0], np.float32(0.5)), {"u": X, "v": np.arange(4, dtype=np.float32)})
    text = report(f, (X[0], np.float32(0.5)), {"u": X, "v": np.arange(4, dtype=np.float32)})
    assert "native scan loop" in text and "INTERPRETER CALLBACK" not in text


def test_scan_with_length_and_no_xs_and_zero_length():
    native(lambda c: scan(lambda c, _: (c * 1.5 + 1.0, c), c, None, length=6), X[1])
    native(lambda c, xs: scan(lambda c, x: (c + x, c * x), c, xs), X[0], np.zeros((0, 3), np.float32))
    native(lambda c: scan(lambda c, _: (c + 1.0, c), c, None, length=3), np.zeros((0, 2), np.float32))


def test_int_bool_and_0d_carries():
    def f(xs):
        def body(c, x):
            n, flag, s = c
            return (n + (x > 0).astype(jnp.int32), jnp.logical_xor(flag, x > 0.5), s + x), x * n

        return scan(body, (jnp.int32(0), jnp.bool_(False), jnp.float32(0)), xs)

    native(f, np.array([0.1, -2.0, 0.7, 3.0, -0.5], np.float32))


def test_float64_carries():
    with enable_x64():
        xs = np.linspace(0, 1, 7)
        native(lambda c, xs: scan(lambda c, x: (c * x + 1.0, c * c), c, xs), np.float64(0.3), xs, tol=1e-12)


def test_nested_scans_and_gemm_bodies():
    rng = np.random.default_rng(0)
    w = (rng.normal(size=(8, 8)) / 3).astype(np.float32)
    xs = rng.normal(size=(5, 3, 2, 8)).astype(np.float32)

    def f(w, h, xs):
        def inner(h, x):
            h = jnp.tanh(h @ w + x)
            return h, jnp.sum(h)

        def outer(h, blk):
            h, sums = scan(inner, h, blk)
            return h, jnp.max(sums)

        return scan(outer, h, xs)

    native(f, w, np.zeros((2, 8), np.float32), xs)
    assert report(f, w, np.zeros((2, 8), np.float32), xs).count("native scan loop") == 2


def _rnn_loss(w, h, xs):
    def body(h, x):
        h = jnp.tanh(h @ w + x)
        return h, jnp.sum(h * h)

    h, ys = scan(body, h, xs)
    return jnp.sum(h) + jnp.sum(ys)


def test_grad_of_scan_compiles_the_backward_scan():
    with enable_x64():
        rng = np.random.default_rng(1)
        w, h, xs = rng.normal(size=(4, 4)) / 2, rng.normal(size=(3, 4)), rng.normal(size=(10, 3, 4))
        g = native(grad(_rnn_loss, argnums=(0, 1, 2)), w, h, xs, tol=1e-10)
        text = report(grad(_rnn_loss, argnums=(0, 1, 2)), w, h, xs)
        assert text.count("native scan loop") >= 2 and "(reverse)" in text
        # against central differences of the compiled loss
        f = jit(_rnn_loss)
        eps, d = 1e-6, rng.normal(size=w.shape)
        fd = (f(w + eps * d, h, xs) - f(w - eps * d, h, xs)) / (2 * eps)
        np.testing.assert_allclose(np.sum(np.asarray(g[0]) * d), fd, rtol=1e-6)


def test_fori_loop_static_and_dynamic_trip_counts():
    body = lambda i, c: c * 0.5 + i  # noqa: E731
    native(lambda x: fori_loop(0, 10, body, x), X[0])
    native(lambda x, n: fori_loop(0, n, body, x), X[0], np.int32(7))
    native(lambda x, n: fori_loop(0, n, body, x), X[0], np.int32(0))
    g = jit(grad(lambda x: jnp.sum(fori_loop(0, 5, lambda i, c: jnp.sin(c) * 1.1, x))))(X[0])
    close(g, grad(lambda x: jnp.sum(fori_loop(0, 5, lambda i, c: jnp.sin(c) * 1.1, x)))(X[0]))


def test_while_loop():
    def f(x):
        return while_loop(lambda c: c[0] < 100.0, lambda c: (c[0] * 1.7 + 1.0, c[1] + 1), (x, jnp.int32(0)))

    native(f, np.float32(1.0))
    native(f, np.float32(500.0))
    assert "native while loop" in report(f, np.float32(1.0))


@pytest.mark.parametrize("index", [-3, 0, 1, 2, 9])
def test_switch_clamps_and_cond(index):
    branches = [lambda x: x * 2.0, lambda x: jnp.sin(x), lambda x: x]
    native(lambda i, x: switch(i, branches, x), np.int32(index), X[0])
    native(lambda p, x: cond(p, lambda x: x + 1.0, lambda x: x * x, x), np.bool_(index > 0), X[0])
    assert "native branch" in report(lambda i, x: switch(i, branches, x), np.int32(index), X[0])


def test_grad_of_cond_and_switch():
    def f(x, i):
        return jnp.sum(switch(i, [lambda x: jnp.sin(x), lambda x: x * x * 3.0, lambda x: jnp.exp(x)], x))

    for i in (0, 1, 2, 5):
        native(grad(f), X[1], np.int32(i))


def test_vmap_of_control_flow():
    # batched predicates: cond becomes a select, while runs until every lane is done
    xs = np.array([0.5, 3.0, 20.0, 60.0], np.float32)
    native(vmap(lambda x: cond(x > 1.0, lambda x: x * 2.0, lambda x: x - 1.0, x)), xs)
    native(vmap(lambda x: while_loop(lambda c: c < 50.0, lambda c: c * 2.0 + 1.0, x)), xs)
    native(vmap(lambda c, x: scan(lambda c, x: (c * x + 1.0, c), c, x)), xs, X)
    native(vmap(grad(lambda c, x: jnp.sum(scan(lambda c, x: (jnp.sin(c * x), c), c, x)[1]))), xs, X)


def test_value_and_grad_of_a_simulation_under_jit():
    def loss(v0, x0):
        def step(c, _):
            x, v = c
            a = -x - 0.1 * v
            v = v + 0.01 * a
            return (x + 0.01 * v, v), x

        (x, v), traj = scan(step, (x0, v0), None, length=200)
        return jnp.sum(x * x) + 0.1 * jnp.mean(traj)

    args = (X[0], X[1])
    native(value_and_grad(loss, argnums=(0, 1)), *args, tol=1e-4)


def test_a_jitted_scan_of_1000_steps_is_one_native_loop():
    rng = np.random.default_rng(2)
    w = (rng.normal(size=(16, 16)) / 8).astype(np.float32)

    def f(h, xs):
        return scan(lambda h, x: (jnp.tanh(h @ w) * 0.5 + x, jnp.sum(h)), h, xs)

    h, xs = np.ones((1, 16), np.float32), rng.normal(size=(1000, 1, 16)).astype(np.float32)
    native(f, h, xs, tol=1e-4)
    text = report(f, h, xs)
    assert "native scan loop L0 of 1000 iterations" in text and "0 interpreter callback(s)" in text


def test_results_match_jax_when_installed():
    jax = pytest.importorskip("jax")

    def body(c, x):
        return c * 0.9 + jnp.sin(x) * c, c * x

    def jbody(c, x):
        return c * 0.9 + jax.numpy.sin(x) * c, c * x

    got = jit(lambda c, xs: scan(body, c, xs, reverse=True))(X[0], X)
    want = jax.jit(lambda c, xs: jax.lax.scan(jbody, c, xs, reverse=True))(X[0], X)
    tree_close(got, tuple(np.asarray(w) for w in want))
    got = jit(lambda i, x: switch(i, [jnp.sin, jnp.cos], x))(np.int32(-4), X[0])
    close(got, np.asarray(jax.lax.switch(-4, [jax.numpy.sin, jax.numpy.cos], X[0])))
