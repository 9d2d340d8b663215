"""jit(jnp.sort / jnp.argsort / lax.sort) on long rows (the native radix sort) against NumPy's
stable sort and eager jaxlite, bit for bit, and against JAX where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def x64():
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


def floats(shape, dtype=np.float32, seed=0):
    r = np.random.default_rng(seed)
    x = np.round(r.standard_normal(shape), 1).astype(dtype)  # many ties
    flat = x.reshape(-1)
    flat[::17] = np.nan
    flat[1::19] = -np.nan
    flat[2::7] = -0.0
    flat[3::11] = 0.0
    flat[4::23] = np.inf
    flat[5::29] = -np.inf
    return x


def same(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    assert got.tobytes() == want.tobytes()


def no_callbacks(f, *args):
    report = jax.jit(f).lower(*args).compile().report()
    assert "INTERPRETER CALLBACK" not in report, report
    return report


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32", "int64", "uint16", "bool"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_sort_and_argsort_match_numpy_stable(dtype, axis, x64):
    x = (
        floats((300, 400), dtype)
        if dtype.startswith("float")
        else np.random.default_rng(1)
        .integers(0 if dtype == "bool" else -50, 2 if dtype == "bool" else 50, (300, 400))
        .astype(dtype)
    )
    report = no_callbacks(lambda a: jnp.sort(a, axis=axis), x)
    assert "radix sort" in report
    same(jax.jit(lambda a: jnp.sort(a, axis=axis))(x), np.sort(x, axis=axis, kind="stable"))
    idx = jax.jit(lambda a: jnp.argsort(a, axis=axis))(x)
    same(idx, np.argsort(x, axis=axis, kind="stable").astype(np.asarray(idx).dtype))


def test_descending_is_stable_with_nans_first():
    x = floats((5000,))
    same(jax.jit(lambda a: jnp.sort(a, descending=True))(x), np.sort(x[::-1], kind="stable")[::-1])
    got = np.asarray(jax.jit(lambda a: jnp.argsort(a, descending=True))(x))
    same(got, np.asarray(jnp.argsort(x, descending=True)))  # eager (the interpreter) is the oracle
    # ties keep their index order when descending too
    assert all(got[i] < got[i + 1] for i in range(len(x) - 1) if x[got[i]] == x[got[i + 1]])


def test_multi_operand_lax_sort_and_sort_key_val(x64):
    r = np.random.default_rng(2)
    k = floats((4, 3000), np.float64, 3)
    v1 = r.standard_normal(k.shape).astype(np.float32)
    v2 = r.integers(0, 9, k.shape).astype(np.int8)
    f = lambda a, b, c: lax.sort((a, b, c), dimension=1, num_keys=1)  # noqa: E731
    no_callbacks(f, k, v1, v2)
    order = np.argsort(k, axis=1, kind="stable")
    for got, op in zip(jax.jit(f)(k, v1, v2), (k, v1, v2), strict=True):
        same(got, np.take_along_axis(op, order, axis=1))
    ks, vs = jax.jit(lambda a, b: lax.sort_key_val(a, b, dimension=0))(k.T.copy(), v1.T.copy())
    order0 = np.argsort(k.T, axis=0, kind="stable")
    same(ks, np.take_along_axis(k.T, order0, 0))
    same(vs, np.take_along_axis(v1.T, order0, 0))


def test_two_keys_and_lexsort_equal_numpy():
    r = np.random.default_rng(4)
    a, b = r.integers(0, 5, 2000).astype(np.int32), floats((2000,), seed=5)
    same(jax.jit(jnp.lexsort)((b, a)), np.lexsort((b, a)).astype(np.int32))
    got = jax.jit(lambda p, q: lax.sort((p, q), num_keys=2))(a, b)
    order = np.lexsort((b, a))
    same(got[0], a[order])
    same(got[1], b[order])


@pytest.mark.parametrize("shape", [(0,), (3, 0), (1,), (2, 1)])
def test_empty_and_tiny(shape):
    x = floats(shape)
    same(jax.jit(jnp.sort)(x), np.sort(x, kind="stable"))
    same(jax.jit(jnp.argsort)(x), np.argsort(x, kind="stable").astype(np.int32))


def test_zero_d_flattens_with_axis_none_and_is_an_error_otherwise():
    x = np.float32(-0.0)
    same(jax.jit(lambda a: jnp.sort(a, axis=None))(x), np.sort(x, axis=None))
    with pytest.raises(ValueError, match="sort"):  # as in JAX: axis -1 of a 0-d array
        jax.jit(jnp.sort)(x)


def test_grad_through_a_long_sort():
    x = np.random.default_rng(6).standard_normal(2000).astype(np.float32)
    g = jax.jit(jax.grad(lambda a: jnp.sum(jnp.sort(a)[-10:] ** 2)))(x)
    want = np.zeros_like(x)
    top = np.argsort(x, kind="stable")[-10:]
    want[top] = 2 * x[top]
    same(g, want)


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16"])
def test_equals_jax(dtype):
    jax_ = pytest.importorskip("jax")
    jjnp = pytest.importorskip("jax.numpy")
    jax_.config.update("jax_platforms", "cpu")
    x = (
        floats((3, 2000), dtype, 7)
        if dtype.startswith("float")
        else np.random.default_rng(8).integers(-100, 100, (3, 2000)).astype(dtype)
    )
    for axis in (0, 1):
        same(jax.jit(lambda a: jnp.sort(a, axis=axis))(x), np.asarray(jax_.jit(lambda a: jjnp.sort(a, axis=axis))(x)))
        same(
            jax.jit(lambda a: jnp.argsort(a, axis=axis))(x),
            np.asarray(jax_.jit(lambda a: jjnp.argsort(a, axis=axis))(x)),
        )
