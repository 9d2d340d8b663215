"""jit of indexing, padding, scans and random bits: compiled natively (no interpreter callback),
equal to eager results, with the fusion pinned by kernel counts."""

import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxlite.numpy as jnp
import jaxlite.random as R
from jaxlite import grad, lax, vmap
from jaxlite.config import config
from jaxlite.jit import jit
from jaxlite.tree_util import tree_leaves

sys.path.insert(0, os.path.dirname(__file__))
from _random_cases import CASES, SEEDS  # noqa: E402
from random_fixtures import FIXTURES  # noqa: E402

rng = np.random.RandomState(0)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def program(f, *args):
    return f.lower(*args).compile().program


def same(f, *args, kernels=None, rtol=None):
    """jit(f)(*args) equals f(*args) (bit for bit unless rtol); no callbacks; kernel count."""
    jf = jit(f)
    args = [jnp.asarray(a) for a in args]
    got, want = tree_leaves(jf(*args)), tree_leaves(f(*args))
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        if rtol is None:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-6)
    p = program(jf, *args)
    assert p.count("interpret") == 0, p.report()
    if kernels is not None:
        assert p.count("kernel") == kernels, p.report()
    return p


def f32(*shape):
    return rng.randn(*shape).astype(np.float32)


# ---- pad and concatenate ----------------------------------------------------------------------


def test_pad_times_two_is_one_kernel():
    x = f32(5, 7)
    same(lambda x: jnp.pad(x, ((1, 2), (3, 0))) * 2, x, kernels=1)
    same(lambda x: lax.pad(x, np.float32(-1), [(-1, 2, 1), (2, -3, 2)]) + 1, x, kernels=1)
    same(lambda x: jnp.pad(x, 2, mode="constant", constant_values=4.0).sum(axis=1), x, kernels=1, rtol=1e-6)


def test_concatenate_and_stack_fuse_into_the_consumer():
    a, b = f32(3, 4), f32(2, 4)
    same(lambda a, b: jnp.tanh(jnp.concatenate([a, b, a])), a, b, kernels=1, rtol=1e-6)
    # Operands are read at computed points, so a computed operand (-a) is materialised first.
    same(lambda a: jnp.stack([a, -a], axis=1) * 3, a, kernels=2)
    same(lambda a: jnp.concatenate([a[:, :1], a[:, 1:] * 2], axis=1), a)


# ---- dynamic slices ----------------------------------------------------------------------------


@pytest.mark.parametrize("start", [0, 2, 4, -3, 100])
def test_dynamic_slice_and_update_clamp_like_lax(start):
    x = f32(6, 5)
    i = np.int32(start)
    same(lambda x, i: lax.dynamic_slice(x, (i, 1), (2, 3)) * 2, x, i, kernels=1)
    same(lambda x, i: lax.dynamic_update_slice(x, jnp.ones((2, 5), x.dtype), (i, 0)), x, i)
    same(lambda x, i: lax.dynamic_slice_in_dim(x, i, 3, axis=1) + 1, x, i)
    same(lambda x, i: lax.dynamic_index_in_dim(x, i, 0, keepdims=False), x, i)


def test_dynamic_update_slice_gradient():
    x, u = f32(6, 3), f32(2, 3)

    def loss(x, u, i):
        return jnp.sum(jnp.sin(lax.dynamic_update_slice(x, u, (i, 0))) ** 2)

    for i in (0, 3, 5, -2):
        same(grad(loss, argnums=(0, 1)), x, u, np.int32(i), rtol=1e-5)


# ---- gather and scatter -------------------------------------------------------------------------


def test_take_rows_and_embedding_lookup():
    table, idx = f32(10, 4), np.array([3, 0, 9, 3, 7], np.int32)
    same(lambda t, i: t[i] * 2, table, idx, kernels=1)
    same(lambda t, i: jnp.take(t, i, axis=0), table, idx)
    same(lambda t, i: t[i, 1:3], table, idx)
    same(lambda t, i: t[:, i % 4], table, idx)
    same(lambda t, i: t[i[:2], i[2:4]], table, idx)


def test_out_of_bounds_modes():
    x, idx = f32(5), np.array([0, 4, 7, -1, -7, 100], np.int32)
    same(lambda x, i: x[i], x, idx)  # jnp normalises negatives, then fills/clips
    same(lambda x, i: x.at[i].get(mode="fill", fill_value=-3.0), x, idx)
    same(lambda x, i: x.at[i].get(mode="clip"), x, idx)
    same(lambda x, i: jnp.take(x, i, mode="clip"), x, idx)
    same(lambda x, i: x.at[i].add(1.0, mode="drop"), x, idx)
    same(lambda x, i: x.at[i].set(9.0, mode="clip"), x, idx)


def test_take_along_axis():
    x = f32(4, 6)
    idx = rng.randint(0, 6, size=(4, 3)).astype(np.int32)
    same(lambda x, i: jnp.take_along_axis(x, i, axis=1), x, idx)
    same(lambda x, i: jnp.take_along_axis(x, i[:, :1], axis=1) - x, x, idx)
    same(grad(lambda x, i: jnp.sum(jnp.take_along_axis(x, i, axis=1) ** 2)), x, idx)


@pytest.mark.parametrize("op", ["add", "mul", "min", "max", "set"])
def test_scatter_with_duplicates(op):
    x = f32(6, 3)
    idx = np.array([1, 1, 5, 0, 1, 5], np.int32)
    v = f32(6, 3)
    # jnp's normalisation of negative indices is a kernel of its own, before the scatter's.
    same(lambda x, i, v: getattr(x.at[i], op)(v), x, idx, v, kernels=2)
    same(lambda x, i, v: getattr(x.at[i], op)(v) * 2, x, idx, v, kernels=3)


def test_embedding_gradient_is_a_scatter_add():
    table, idx = f32(8, 4), np.array([[1, 2, 1], [7, 1, 0]], np.int32)

    def loss(t, i):
        return jnp.sum(jnp.tanh(t[i]) * 0.5)

    p = same(grad(loss), table, idx, rtol=1e-5)
    assert "scatter_add" in p.report()


def test_vmap_of_indexing():
    x, idx = f32(3, 7), rng.randint(0, 7, size=(3, 2)).astype(np.int32)
    same(vmap(lambda r, i: r[i]), x, idx)
    same(vmap(lambda r, i: r.at[i].add(1.0)), x, idx)
    same(vmap(lambda r, i: lax.dynamic_slice(r, (i[0],), (3,))), x, idx)


# ---- cumulative scans ---------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [jnp.cumsum, jnp.cumprod, lax.cummax, lax.cummin, lax.cumlogsumexp])
def test_cumulative(fn):
    x = f32(4, 5)
    for axis in (0, 1):
        same(lambda x: fn(x, axis=axis), x, kernels=1, rtol=1e-6)
        if fn in (lax.cummax, lax.cummin, lax.cumlogsumexp):
            same(lambda x: fn(x, axis=axis, reverse=True), x, rtol=1e-6)
    same(lambda x: jnp.cumsum(x.astype(np.int32)), x)


def test_cumsum_gradient():
    x = f32(7)
    same(grad(lambda x: jnp.sum(jnp.cumsum(x) ** 2)), x, rtol=1e-5)


# ---- random -------------------------------------------------------------------------------------

_EXACT = [e for e, exact in CASES if exact and "poisson" not in e]


@pytest.mark.parametrize("expr", _EXACT)
def test_jitted_random_is_bit_identical_to_the_fixtures(expr):
    prev = config.jax_enable_x64
    try:
        config.update("jax_enable_x64", False)
        dt = np.float32
        for seed in SEEDS[:2]:
            fn = lambda k: eval(expr, {"R": R, "jnp": jnp, "k": k, "dt": dt})  # noqa: E731
            key = R.PRNGKey(seed)
            out = np.asarray(jit(fn)(key))
            eager = np.asarray(fn(key))
            assert out.dtype == eager.dtype and out.shape == eager.shape
            np.testing.assert_array_equal(out.reshape(-1).view(np.uint8), eager.reshape(-1).view(np.uint8))
            want_dtype, shape, bits = FIXTURES[(expr, False, True, seed)]
            want = np.array(bits, f"u{np.dtype(want_dtype).itemsize}").view(want_dtype).reshape(shape)
            np.testing.assert_array_equal(out.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))
    finally:
        config.update("jax_enable_x64", prev)


def test_random_bits_compile_to_a_native_kernel():
    f = jit(lambda k: R.uniform(k, (1000,)))
    p = program(f, R.PRNGKey(0))
    assert "threefry2x32" in p.report() and p.count("interpret") == 0, p.report()


def test_scalar_empty_and_broadcast_indices():
    x = f32(5, 4)
    same(lambda x, i: x[i], x, np.int32(3))  # a 0-d index: one row
    same(lambda x, i: x[i, 2], x, np.int32(-1))  # a 0-d result
    same(lambda x, i: x[i], x, np.zeros(0, np.int32))  # empty
    same(lambda x, i: x[i[:, None], i[None, :2]], x, np.array([0, 4, 2], np.int32))  # broadcast
    same(lambda x, i: x.at[i].add(1.0), x, np.zeros((0,), np.int32))
    same(lambda v, i: v[i] * 2, np.float32(3.0) * np.ones(1, np.float32), np.int32(0))
    same(lambda x: jnp.cumsum(x[:0], axis=0), x)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=3), st.data())
def test_dynamic_slice_random_shapes_and_starts(shape, data):
    sizes = tuple(data.draw(st.integers(0, d)) for d in shape)
    starts = tuple(np.int32(data.draw(st.integers(-8, 8))) for _ in shape)
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    same(lambda x, *s: lax.dynamic_slice(x, s, sizes) + 1, x, *starts, kernels=1)
    upd = -np.ones(sizes, np.float32)
    same(lambda x, u, *s: lax.dynamic_update_slice(x, u, s) * 2, x, upd, *starts)
