"""jit(donate_argnums / donate_argnames): donated Arrays are deleted, outputs are written into
their buffers when that is safe (and equal the undonated results either way), unusable
donations warn as in JAX, and a donating training loop neither changes results nor grows."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from compiler import donation
from compiler import pool as rt_pool
from jaxlite import tree_util


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def fresh(shape=(300, 400), seed=0):
    """An Array that owns its buffer (a computed result, large enough for the runtime pool)."""
    r = np.random.default_rng(seed)
    return jnp.asarray(r.standard_normal(shape).astype(np.float32)) * 1.0


def address(x):
    return np.asarray(x).__array_interface__["data"][0]


def test_output_written_into_the_donated_buffer_and_input_deleted():
    f = lambda x, y: x * 2.0 + y  # noqa: E731
    x, y = fresh(seed=1), fresh(seed=2)
    want = np.asarray(jax.jit(f)(x, y)).copy()
    where = address(x)
    got = jax.jit(f, donate_argnums=0)(x, y)
    assert x.is_deleted() and not y.is_deleted()
    assert address(got) == where  # written in place: no fresh output buffer
    np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize(
    "use",
    [
        lambda x: x + 1,
        lambda x: np.asarray(x),
        lambda x: repr(x),
        lambda x: x[0],
        lambda x: float(x.sum()),
        lambda x: jax.jit(lambda a: a * 2)(x),
        lambda x: x.block_until_ready(),
    ],
)
def test_a_deleted_array_raises_jax_error_but_keeps_shape_and_dtype(use):
    x = fresh((3,))
    jax.jit(lambda a: a * 3.0, donate_argnums=0)(x)
    assert x.is_deleted()
    assert x.shape == (3,) and x.dtype == np.float32
    with pytest.raises(RuntimeError, match=r"Array has been deleted with shape=float32\[3\]\."):
        use(x)


def test_delete_method():
    x = fresh((2, 2))
    assert not x.is_deleted()
    x.delete()
    assert x.is_deleted()


def test_unusable_donation_warns_like_jax_and_keeps_the_array():
    x = fresh((3,))
    with pytest.warns(UserWarning, match=r"Some donated buffers were not usable: float32\[3\]\.\nSee an expl"):
        s = jax.jit(lambda a: a.sum(), donate_argnums=0)(x)
    assert not x.is_deleted()
    np.testing.assert_allclose(float(s), float(np.asarray(x).sum()), rtol=1e-6)


def test_donate_argnames_by_keyword_and_by_position():
    f = jax.jit(lambda a, b: a + b, donate_argnames="b")
    for call in (lambda x, y: f(x, y), lambda x, y: f(x, b=y)):
        x, y = fresh((4,), 1), fresh((4,), 2)
        want = np.asarray(x) + np.asarray(y)
        np.testing.assert_array_equal(np.asarray(call(x, y)), want)
        assert not x.is_deleted() and y.is_deleted()


def test_static_and_donated_cannot_overlap():
    with pytest.raises(ValueError, match="cannot intersect"):
        jax.jit(lambda a, n: a * n, static_argnums=1, donate_argnums=1)
    with pytest.raises(ValueError, match="cannot intersect"):
        jax.jit(lambda a, n: a * n, static_argnames="n", donate_argnames="n")


def test_pytrees_of_donated_arguments():
    params = {"w": fresh((300, 400), 3), "b": fresh((7,), 4), "n": [fresh((5,), 5)]}
    before = {k: np.asarray(params[k]).copy() for k in ("w", "b")}
    where = address(params["w"])
    out = jax.jit(lambda p, s: tree_util.tree_map(lambda v: v * s, p), donate_argnums=0)(params, 2.0)
    assert all(v.is_deleted() for v in tree_util.tree_leaves(params))
    assert address(out["w"]) == where
    for k in ("w", "b"):
        np.testing.assert_array_equal(np.asarray(out[k]), before[k] * 2)


def test_never_aliases_memory_someone_else_can_see():
    f = jax.jit(lambda a: a + 1.0, donate_argnums=0)
    x = fresh()
    view = np.asarray(x)  # zero-copy: the caller still sees this memory
    kept = view.copy()
    out = f(x)
    assert x.is_deleted() and address(out) != address(view)
    np.testing.assert_array_equal(view, kept)  # untouched
    np.testing.assert_array_equal(np.asarray(out), kept + 1)

    x = fresh()
    other = jax.Array(np.asarray(x))  # read-only view wrapped: another Array on the same memory
    out = f(x)
    np.testing.assert_array_equal(np.asarray(other) + 1, np.asarray(out))

    user = np.ones((300, 400), np.float32)  # NumPy arguments are never written nor deleted
    out = f(user)
    np.testing.assert_array_equal(user, 1.0)
    np.testing.assert_array_equal(np.asarray(out), 2.0)


def test_same_buffer_passed_twice_is_copied():
    x = fresh(seed=6)
    want = np.asarray(x) + 1
    a, b = jax.jit(lambda p, q: (p + 1.0, q + 1.0), donate_argnums=(0, 1))(x, x)
    assert x.is_deleted()
    np.testing.assert_array_equal(np.asarray(a), want)
    np.testing.assert_array_equal(np.asarray(b), want)
    y = fresh(seed=7)
    want = np.asarray(y) * 2
    (c,) = jax.jit(lambda p, q: (p + q,), donate_argnums=0)(y, y)
    np.testing.assert_array_equal(np.asarray(c), want)


def test_unsafe_programs_get_a_fresh_buffer_with_the_same_results():
    cases = {
        "transpose": (lambda a: a.T + 0.0, (300, 300)),
        "reverse": (lambda a: a[::-1] * 2.0, (300, 400)),
        "matmul": (lambda a: a @ a, (300, 300)),
        "cumsum": (lambda a: jnp.cumsum(a, axis=1), (300, 400)),
        "sort": (lambda a: jnp.sort(a, axis=1), (300, 400)),
    }
    for name, (f, shape) in cases.items():
        x = fresh(shape, 8)
        want = np.asarray(jax.jit(f)(x)).copy()
        where = address(x)
        got = jax.jit(f, donate_argnums=0)(x)
        assert x.is_deleted(), name
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=name)
        assert address(got) != where, name


def test_roll_copies_the_input_first_so_the_sum_may_be_written_in_place():
    f = lambda a: jnp.roll(a, 1) + a  # noqa: E731
    x = fresh(seed=16)
    want = np.roll(np.asarray(x), 1) + np.asarray(x)
    where = address(x)
    got = jax.jit(f, donate_argnums=0)(x)
    np.testing.assert_array_equal(np.asarray(got), want)
    assert address(got) == where


def test_an_input_returned_as_it_is_is_not_overwritten():
    x = fresh(seed=17)
    want = np.asarray(x).copy()
    a, b = jax.jit(lambda v: (v + 1.0, v), donate_argnums=0)(x)
    np.testing.assert_array_equal(np.asarray(a), want + 1)
    np.testing.assert_array_equal(np.asarray(b), want)


def test_grad_and_vmap_inside_a_donating_jit():
    r = np.random.default_rng(9)
    xs = r.standard_normal((32, 400)).astype(np.float32)

    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    def step(w, x):
        g = jax.grad(loss)(w, x)
        per_example = jax.vmap(lambda xi: loss(w, xi[None]))(x)
        return w - 0.01 * g, jnp.mean(per_example)

    w0 = fresh((400, 300), 10)
    want_w, want_l = (np.asarray(v).copy() for v in jax.jit(step)(w0, xs))
    got_w, got_l = jax.jit(step, donate_argnums=0)(w0, xs)
    assert w0.is_deleted()
    np.testing.assert_array_equal(np.asarray(got_w), want_w)
    np.testing.assert_array_equal(np.asarray(got_l), want_l)


def test_training_loop_same_results_and_no_growth():
    r = np.random.default_rng(11)
    x = r.standard_normal((64, 300)).astype(np.float32)

    def step(p, x):
        def loss(p):
            h = jnp.tanh(x @ p["w1"] + p["b1"])
            return jnp.mean((h @ p["w2"]) ** 2)

        g = jax.grad(loss)(p)
        return tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g)

    def init():
        return {"w1": fresh((300, 400), 12), "b1": fresh((400,), 13), "w2": fresh((400, 300), 14)}

    plain, donating = jax.jit(step), jax.jit(step, donate_argnums=0)
    p, q = init(), init()
    for _ in range(8):
        p = plain(p, x)
    for _ in range(3):
        q = donating(q, x)
    where = {k: address(v) for k, v in q.items()}
    fresh_blocks = rt_pool.STATS["fresh"]
    for _ in range(5):
        q = donating(q, x)
        for k in q:  # every update lands in the buffer it replaces
            assert address(q[k]) == where[k], k
    assert rt_pool.STATS["fresh"] == fresh_blocks  # no new memory mapped while looping
    for k in p:
        np.testing.assert_array_equal(np.asarray(p[k]), np.asarray(q[k]))


def test_under_a_transformation_donation_is_ignored():
    f = jax.jit(lambda a: a * 2.0, donate_argnums=0)
    x = fresh((3,))
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda z: f(z))(x)), np.asarray(x) * 2)
    assert not x.is_deleted()
    g = jax.grad(lambda a: jnp.sum(f(a)))(x)
    np.testing.assert_array_equal(np.asarray(g), 2.0)
    assert not x.is_deleted()


def test_can_alias_rules_on_programs():
    from compiler import pipeline

    def program(f, *shapes):
        closed = jax.make_jaxpr(f)(*[np.zeros(s, np.float32) for s in shapes])
        return pipeline.compile_cpu(closed).program

    assert donation.can_alias(program(lambda a, b: a * b + 1.0, (64, 64), (64, 64)), 0, 0)
    assert donation.can_alias(program(lambda a, b: a * b + 1.0, (64, 64), (64, 64)), 1, 0)
    assert not donation.can_alias(program(lambda a: a.T * 1.0, (64, 64)), 0, 0)
    assert not donation.can_alias(program(lambda a: a @ a, (64, 64)), 0, 0)
    # the sum is complete before the product's kernel writes anything: in place is fine
    assert donation.can_alias(program(lambda a: a * jnp.sum(a), (64, 64)), 0, 0)
    # element i needs element n-1-i, which another iteration may already have overwritten
    assert not donation.can_alias(program(lambda a: a + a[::-1], (4096,)), 0, 0)
    assert not donation.can_alias(program(lambda a: jnp.sort(a), (4096,)), 0, 0)


def test_an_output_written_before_another_step_reads_the_input():
    # whether the cumsum runs before or after the elementwise output's kernel, results are right
    f = lambda a: (a * 2.0, jnp.cumsum(a), jnp.sort(a))  # noqa: E731
    x = fresh((70_000,), 15)
    want = [np.asarray(v).copy() for v in jax.jit(f)(x)]
    got = jax.jit(f, donate_argnums=0)(x)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), w)
