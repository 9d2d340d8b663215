"""lax composites (top_k, split, tile, bit counts, ...), nn.dot_product_attention / log1mexp /
logmeanexp, and the small top-level functions, against NumPy and JAX where installed."""

import numpy as np
import pytest

import jaxlite
import jaxlite.nn as nn
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite.test_util import check_grads

rng = np.random.default_rng(0)


def test_top_k():
    x = np.array([[3.0, 1, 3, 2, 7], [0, 5, 5, 5, -1]], np.float32)
    values, indices = lax.top_k(x, 3)
    np.testing.assert_array_equal(values, [[7, 3, 3], [5, 5, 5]])
    np.testing.assert_array_equal(indices, [[4, 0, 2], [1, 2, 3]])  # ties: lower index first
    y = rng.normal(size=(3, 4, 9)).astype(np.float32)
    v, i = jaxlite.jit(lambda a: lax.top_k(a, 4))(y)
    np.testing.assert_array_equal(v, -np.sort(-y, axis=-1)[..., :4])
    np.testing.assert_array_equal(np.take_along_axis(y, np.asarray(i), -1), v)
    with pytest.raises(ValueError, match="top_k: k=10"):
        lax.top_k(y, 10)
    with jaxlite.enable_x64():
        check_grads(lambda a: lax.top_k(a, 2)[0], (rng.normal(size=(2, 5)),), order=1)


def test_structural_composites():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(lax.tile(a, (2, 1, 3)), np.tile(a, (2, 1, 3)))
    parts = lax.split(a, [1, 3], axis=2)
    np.testing.assert_array_equal(parts[1], a[:, :, 1:])
    np.testing.assert_array_equal(lax.collapse(a, 1), a.reshape(2, 12))
    np.testing.assert_array_equal(lax.collapse(a, 0, 2), a.reshape(6, 4))
    b, c = rng.random((4, 2, 3)), rng.random((4, 3, 5))
    np.testing.assert_allclose(lax.batch_matmul(b, c), b @ c, rtol=1e-5)
    full = lax.full_like(np.ones((2, 3), np.int32), 7)
    assert full.dtype == np.int32 and full.shape == (2, 3)
    assert lax.broadcast_shapes((2, 1), (3,)) == (2, 3)
    with pytest.raises(ValueError, match="split: sizes"):
        lax.split(a, [1, 1], axis=2)
    assert lax.optimization_barrier(a) is a


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.uint32])
def test_bit_counts(dtype):
    info = np.iinfo(dtype)
    x = np.concatenate([rng.integers(info.min, info.max, 30, dtype=dtype), np.array([0, 1, info.max, info.min], dtype)])
    bits = info.bits
    as_unsigned = x.astype(np.dtype(f"uint{bits}")) if info.min < 0 else x
    want_pop = np.array([bin(int(u)).count("1") for u in as_unsigned])
    want_clz = np.array([bits - int(u).bit_length() for u in as_unsigned])
    np.testing.assert_array_equal(lax.population_count(x), want_pop)
    np.testing.assert_array_equal(lax.clz(x), want_clz)
    assert lax.clz(x).dtype == dtype


def test_special_function_names():
    x = np.linspace(0.1, 4, 7)
    sp = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(lax.bessel_i0e(x), sp.i0e(x), rtol=1e-5)
    np.testing.assert_allclose(lax.bessel_i1e(x), sp.i1e(x), rtol=1e-5)
    np.testing.assert_allclose(lax.igamma(2.0, x), sp.gammainc(2.0, x), rtol=1e-5)
    np.testing.assert_allclose(lax.igammac(2.0, x), sp.gammaincc(2.0, x), rtol=1e-5)
    np.testing.assert_allclose(lax.betainc(2.0, 3.0, x / 5), sp.betainc(2.0, 3.0, x / 5), rtol=1e-5)


def _attention_reference(q, k, v, keep, scale):
    reps = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, reps, axis=2), np.repeat(v, reps, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    logits = np.where(keep, logits, -1e30)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", w, v)


def test_dot_product_attention():
    q = rng.normal(size=(2, 5, 4, 8))
    k = rng.normal(size=(2, 5, 2, 8))
    v = rng.normal(size=(2, 5, 2, 8))
    mask = rng.random((2, 1, 5, 5)) > 0.3
    mask[..., 0] = True
    causal = np.tril(np.ones((5, 5), bool))
    for kw, keep in [({}, np.ones((1, 1, 5, 5), bool)), ({"mask": mask}, mask), ({"is_causal": True}, causal),
                     ({"local_window_size": (1, 0)}, causal & ~np.tril(np.ones((5, 5), bool), -2))]:
        got = nn.dot_product_attention(q.astype(np.float32), k.astype(np.float32), v.astype(np.float32), **kw)
        np.testing.assert_allclose(got, _attention_reference(q, k, v, keep, 1 / np.sqrt(8)), rtol=1e-4, atol=1e-5)
    got = nn.dot_product_attention(q[0], k[0], v[0], scale=0.5)
    np.testing.assert_allclose(got, _attention_reference(q[:1], k[:1], v[:1], True, 0.5)[0], rtol=1e-4, atol=1e-5)
    with jaxlite.enable_x64():
        check_grads(lambda a, b: nn.dot_product_attention(a, b, b, is_causal=True), (q[:1, :3], k[:1, :3]), order=1)
    with pytest.raises(ValueError, match="multiple of K"):
        nn.dot_product_attention(q, k[:, :, :1].repeat(3, 2), v[:, :, :1].repeat(3, 2))


def test_log1mexp_logmeanexp():
    x = np.array([1e-6, 0.1, 0.69, 0.7, 5.0, 50.0])
    np.testing.assert_allclose(nn.log1mexp(x.astype(np.float32)), np.log(-np.expm1(-x)), rtol=1e-5, atol=1e-20)
    a = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(nn.logmeanexp(a, axis=1), np.log(np.mean(np.exp(a), axis=1)), rtol=1e-5)
    np.testing.assert_allclose(nn.logmeanexp(a), np.log(np.mean(np.exp(a))), rtol=1e-5)
    w = a > 0
    w[:, 0] = True
    want = np.log(np.sum(np.exp(a) * w, axis=1) / w.sum(1))
    np.testing.assert_allclose(nn.logmeanexp(a, axis=1, where=w), want, rtol=1e-5)


def test_top_level_functions():
    tree = {"a": jnp.ones(2), "b": [jnp.zeros(3)]}
    assert jaxlite.block_until_ready(tree) is tree and jaxlite.copy_to_host_async(tree) is tree
    assert jaxlite.default_backend() == "cpu"
    aval = jaxlite.typeof(jnp.ones((2, 3)))
    assert aval.shape == (2, 3) and aval.dtype == np.float32
    assert jaxlite.process_indices() == [0]
    assert jaxlite.named_call(jnp.sin) is jnp.sin
    with jaxlite.named_scope("block"):
        pass
    assert "jaxlite" in jaxlite.print_environment_info(return_string=True)
    m = rng.normal(size=(3, 2)).astype(np.float32)
    f_t = jaxlite.linear_transpose(lambda x: m @ x, jaxlite.ShapeDtypeStruct((2,), np.float32))
    ct = np.arange(3.0, dtype=np.float32)
    (got,) = f_t(ct)
    np.testing.assert_allclose(got, m.T @ ct, rtol=1e-6)


def test_against_jax():
    jax = pytest.importorskip("jax")
    x = rng.normal(size=(3, 7)).astype(np.float32)
    for a, b in zip(lax.top_k(x, 3), jax.lax.top_k(x, 3)):
        np.testing.assert_array_equal(a, b)
    q = rng.normal(size=(2, 5, 4, 8)).astype(np.float32)
    kv = rng.normal(size=(2, 6, 2, 8)).astype(np.float32)
    lengths = np.array([2, 5], np.int32)
    for kw in [{}, {"query_seq_lengths": lengths}, {"key_value_seq_lengths": lengths + 1}]:
        np.testing.assert_allclose(nn.dot_product_attention(q, kv, kv, **kw),
                                   jax.nn.dot_product_attention(q, kv, kv, **kw), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nn.log1mexp(np.float32(0.5)), jax.nn.log1mexp(np.float32(0.5)), rtol=1e-6)


def test_dtypes_module_and_float0():
    assert jaxlite.float0 is jaxlite.dtypes.float0 is jnp.float0
    assert jaxlite.dtypes.canonicalize_dtype(np.float64) == np.float32
    with jaxlite.enable_x64():
        assert jaxlite.dtypes.canonicalize_dtype(np.float64) == np.float64
    assert jaxlite.dtypes.result_type(1, np.int8) == np.int8
    assert jaxlite.dtypes.result_type(1.0, np.int8) == np.float32
    assert jaxlite.dtypes.issubdtype(np.float32, np.floating)
