"""jaxlite.pure_callback and jaxlite.experimental.io_callback, against JAX's documented behaviour:
result pytrees, vmap_method, removal when unused, no derivatives without custom_jvp."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.experimental import io_callback

SDS = jaxlite.ShapeDtypeStruct


def _recorder():
    calls = []

    def add(x, y):
        calls.append((np.shape(x), np.shape(y)))
        return np.asarray(x) + np.asarray(y)

    return calls, add


def _fun(cb, x, y, *, vmap_method):
    shape = jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y))
    return jaxlite.pure_callback(cb, SDS(shape, jnp.result_type(x, y)), x, y, vmap_method=vmap_method)


@pytest.mark.parametrize("wrap", [lambda f: f, jaxlite.jit], ids=["eager", "jit"])
def test_pure_callback_values_and_pytrees(wrap):
    x = np.arange(4.0, dtype=np.float32)

    def f(x):
        return jaxlite.pure_callback(
            lambda x, scale: {"a": np.sin(x) * scale, "b": (np.asarray(x, np.int32),)},
            {"a": SDS((4,), np.float32), "b": (SDS((4,), np.int32),)},
            x,
            scale=2.0,
        )

    out = wrap(f)(x)
    assert isinstance(out["a"], jaxlite.Array) and out["b"][0].dtype == np.int32
    np.testing.assert_allclose(out["a"], np.sin(x) * 2, rtol=1e-6)
    np.testing.assert_array_equal(out["b"][0], x.astype(np.int32))


# (vmap_method, the shapes the callback sees for x batched (4,) and y=1.0 unbatched, call count)
VMAP_CASES = [
    ("expand_dims", [((4,), (1,))]),
    ("broadcast_all", [((4,), (4,))]),
    ("sequential", [((), ())] * 4),
    ("sequential_unrolled", [((), ())] * 4),
    ("legacy_vectorized", [((4,), ())]),
]


@pytest.mark.parametrize("method,shapes", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
@pytest.mark.parametrize("wrap", [lambda f: f, jaxlite.jit], ids=["eager", "jit"])
def test_pure_callback_vmap_methods(method, shapes, wrap):
    calls, add = _recorder()
    f = wrap(jaxlite.vmap(partial(_fun, add, vmap_method=method), in_axes=(0, None)))
    out = f(jnp.arange(4.0), 1.0)
    np.testing.assert_allclose(out, np.arange(4.0) + 1)
    assert calls == shapes


def test_pure_callback_vmap_methods_match_jax():
    jax = pytest.importorskip("jax")
    for method, _ in VMAP_CASES:
        got, ours = _recorder()
        want, theirs = _recorder()
        jaxlite.vmap(partial(_fun, ours, vmap_method=method), in_axes=(None, 1))(np.ones(3), np.ones((3, 2)))
        jax.vmap(partial(_fun_jax, jax, theirs, vmap_method=method), in_axes=(None, 1))(np.ones(3), np.ones((3, 2)))
        assert got == want, method


def _fun_jax(jax, cb, x, y, *, vmap_method):
    shape = jax.numpy.broadcast_shapes(jax.numpy.shape(x), jax.numpy.shape(y))
    return jax.pure_callback(
        cb, jax.ShapeDtypeStruct(shape, jax.numpy.result_type(x, y)), x, y, vmap_method=vmap_method
    )


def test_legacy_vectorized_argument():
    calls, add = _recorder()
    f = lambda x: jaxlite.pure_callback(add, SDS((), np.float32), x, 1.0, vectorized=True)  # noqa: E731
    with pytest.warns(DeprecationWarning, match="vmap_method"):
        out = jaxlite.vmap(f)(jnp.arange(3.0))
    np.testing.assert_allclose(out, [1.0, 2.0, 3.0])
    assert calls == [((3,), ())]  # one call on the whole batch, as legacy_vectorized


def test_pure_callback_vmap_without_method_raises():
    calls, add = _recorder()
    with pytest.raises(NotImplementedError, match="vmap_method"):
        jaxlite.vmap(partial(_fun, add, vmap_method=None))(jnp.ones(3), jnp.ones(3))
    with pytest.raises(ValueError, match="vmap_method must be"):
        jaxlite.pure_callback(add, SDS((), np.float32), 1.0, 2.0, vmap_method="bogus")


def test_unused_pure_callback_is_removed_under_jit():
    calls, add = _recorder()
    jaxlite.jit(lambda x: (_fun(add, x, 1.0, vmap_method=None), x * 2)[1])(jnp.ones(3))
    assert calls == []
    jaxlite.jit(lambda x: _fun(add, x, 1.0, vmap_method=None) * 2)(jnp.ones(3))
    assert calls == [((3,), ())]


def test_pure_callback_has_no_derivative_unless_custom_jvp():
    calls, add = _recorder()
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jaxlite.grad(lambda x: _fun(add, x, 1.0, vmap_method=None).sum())(jnp.ones(3))

    @jaxlite.custom_jvp
    def sin(x):
        return jaxlite.pure_callback(np.sin, SDS(x.shape, x.dtype), x, vmap_method="expand_dims")

    sin.defjvp(lambda p, t: (sin(p[0]), jnp.cos(p[0]) * t[0]))
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    g = jaxlite.grad(lambda x: sin(x).sum())
    np.testing.assert_allclose(g(x), np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.jit(g)(x), np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.vmap(g)(np.stack([x, x])), np.stack([np.cos(x)] * 2), rtol=1e-6)


def test_pure_callback_result_checks():
    with pytest.raises(RuntimeError, match=r"shape \(4,\).*f32\[3\]"):
        jaxlite.pure_callback(lambda x: np.ones(4), SDS((3,), np.float32), jnp.ones(3))
    with pytest.raises(RuntimeError, match="shape"):
        jaxlite.jit(lambda x: jaxlite.pure_callback(lambda x: np.ones(4), SDS((3,), np.float32), x))(jnp.ones(3))
    with pytest.raises(TypeError, match="structure"):
        jaxlite.pure_callback(lambda x: (x, x), SDS((3,), np.float32), jnp.ones(3))
    with pytest.raises(ValueError, match="64-bit"):
        jaxlite.pure_callback(lambda x: x, SDS((3,), np.float64), jnp.ones(3))
    with pytest.raises(TypeError, match="ShapeDtypeStruct"):
        jaxlite.pure_callback(lambda x: x, 3, jnp.ones(3))
    # a result of another dtype is cast to the declared one, as in JAX
    out = jaxlite.pure_callback(lambda x: np.asarray(x, np.float64), SDS((3,), np.float32), jnp.ones(3))
    assert out.dtype == np.float32


def test_io_callback_is_kept_and_ordered():
    log = []

    def f(x):
        io_callback(lambda v: log.append(("first", float(v))), None, x)
        y = io_callback(lambda v: np.asarray(v * 10, np.float32), SDS((), np.float32), x)
        io_callback(lambda v: log.append(("last", float(v))), None, y)
        return x + 1  # neither callback's result is needed for the output

    for wrap in (lambda f: f, jaxlite.jit):
        log.clear()
        np.testing.assert_allclose(wrap(f)(np.float32(2.0)), 3.0)
        assert log == [("first", 2.0), ("last", 20.0)]


def test_io_callback_vmap_and_grad():
    seen = []
    cb = lambda v: (seen.append(np.shape(v)), np.asarray(v))[1]  # noqa: E731
    out = jaxlite.vmap(lambda x: io_callback(cb, SDS((), np.float32), x))(jnp.arange(3.0))
    np.testing.assert_allclose(out, np.arange(3.0))
    assert seen == [(), (), ()]
    with pytest.raises(ValueError, match="ordered IO callback"):
        jaxlite.vmap(lambda x: io_callback(cb, SDS((), np.float32), x, ordered=True))(jnp.arange(3.0))
    with pytest.raises(ValueError, match="IO callbacks do not support JVP"):
        jaxlite.grad(lambda x: io_callback(cb, SDS((), np.float32), x))(1.0)


def test_callbacks_in_jaxprs():
    text = str(jaxlite.make_jaxpr(lambda x: jaxlite.pure_callback(np.sin, SDS((2,), np.float32), x))(jnp.ones(2)))
    assert "pure_callback" in text and "f32[2]" in text
