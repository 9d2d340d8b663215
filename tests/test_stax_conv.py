"""stax's convolution and pooling layers against NumPy references (and JAX's stax when installed)."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from jaxlite import random
from jaxlite.example_libraries import stax

_REF = pathlib.Path(__file__).resolve().parent / "compiler" / "conv_reference.py"
_spec = importlib.util.spec_from_file_location("conv_reference", _REF)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

KEY = random.PRNGKey(0)
rng = np.random.RandomState(0)
NHWC_SPECS = ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))  # ('NHWC', 'HWIO', 'NHWC') as axis perms


def _same_pads(sizes, window, strides):
    pads = []
    for d, k, s in zip(sizes, window, strides):
        total = max((-(-d // s) - 1) * s + k - d, 0)
        pads.append((total // 2, total - total // 2))
    return pads


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_conv_layer(padding):
    init_fun, apply_fun = stax.Conv(5, (3, 2), strides=(2, 1), padding=padding)
    out_shape, (W, b) = init_fun(KEY, (-1, 7, 6, 3))
    assert W.shape == (3, 2, 3, 5) and b.shape == (1, 1, 1, 5)
    x = rng.randn(4, 7, 6, 3).astype(np.float32)
    y = np.asarray(apply_fun((W, b), x))
    pads = [(0, 0)] * 2 if padding == "VALID" else _same_pads((7, 6), (3, 2), (2, 1))
    want = ref.conv_reference(x, np.asarray(W), (2, 1), pads, (1, 1), (1, 1), NHWC_SPECS) + np.asarray(b)
    assert out_shape == (-1,) + y.shape[1:]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_general_conv_layout():
    init_fun, apply_fun = stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (2, 2))
    out_shape, (W, b) = init_fun(KEY, (2, 3, 5, 5))
    assert out_shape == (2, 4, 4, 4) and W.shape == (4, 3, 2, 2) and b.shape == (1, 4, 1, 1)
    x = rng.randn(2, 3, 5, 5).astype(np.float32)
    perm = ((0, 1, 2, 3),) * 3
    want = ref.conv_reference(x, np.asarray(W), (1, 1), [(0, 0)] * 2, (1, 1), (1, 1), perm)
    np.testing.assert_allclose(np.asarray(apply_fun((W, b), x)), want + np.asarray(b), rtol=1e-5, atol=1e-5)


def _conv_transpose_reference(x, W, strides, padding):
    """A transposed convolution by scattering: each input pixel adds W (weighted) to the output."""
    n, h, w, c = x.shape
    kh, kw, _, o = W.shape
    full = np.zeros((n, (h - 1) * strides[0] + kh, (w - 1) * strides[1] + kw, o))
    for i in range(h):
        for j in range(w):
            contrib = np.einsum("nc,hwco->nhwo", x[:, i, j], W)
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += contrib
    if padding == "VALID":
        return full
    # SAME: the output has size input * stride, cropped as JAX's padding rule places it.
    out = []
    for axis, (d, k, s) in enumerate(zip((h, w), (kh, kw), strides)):
        total = k + s - 2
        lo_pad = k - 1 if s > k - 1 else -(-total // 2)
        out.append(k - 1 - lo_pad)
    return full[:, out[0]:out[0] + h * strides[0], out[1]:out[1] + w * strides[1]]


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_conv_transpose_layer(padding):
    init_fun, apply_fun = stax.ConvTranspose(4, (3, 3), strides=(2, 2), padding=padding)
    out_shape, (W, b) = init_fun(KEY, (-1, 4, 5, 2))
    x = rng.randn(3, 4, 5, 2).astype(np.float32)
    y = np.asarray(apply_fun((W, b), x))
    # conv_transpose (transpose_kernel=False) correlates: the scatter form uses the flipped kernel
    want = _conv_transpose_reference(x, np.asarray(W)[::-1, ::-1], (2, 2), padding) + np.asarray(b)
    assert out_shape == (-1,) + y.shape[1:]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_conv1d_transpose_layer_shape_and_jax():
    init_fun, apply_fun = stax.Conv1DTranspose(3, (4,), strides=(3,), padding="SAME")
    out_shape, params = init_fun(KEY, (2, 5, 2))
    x = rng.randn(2, 5, 2).astype(np.float32)
    y = np.asarray(apply_fun(params, x))
    assert out_shape == y.shape == (2, 15, 3)
    pytest.importorskip("jax")
    from jax.example_libraries import stax as jstax

    want = jstax.Conv1DTranspose(3, (4,), strides=(3,), padding="SAME")[1](
        tuple(np.asarray(p) for p in params), x)
    np.testing.assert_allclose(y, np.asarray(want), rtol=1e-5, atol=1e-5)


def _pool_reference(x, op, init, window, strides, pads):
    full_window = (1,) + tuple(window) + (1,)
    full_strides = (1,) + tuple(strides) + (1,)
    full_pads = [(0, 0)] + list(pads) + [(0, 0)]
    return ref.reduce_window_reference(x, op, init, full_window, full_strides, full_pads, (1,) * 4, (1,) * 4)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("layer", ["MaxPool", "SumPool", "AvgPool"])
def test_pooling_layers(layer, padding):
    window, strides = (3, 2), (2, 2)
    init_fun, apply_fun = getattr(stax, layer)(window, strides=strides, padding=padding)
    x = rng.randn(2, 7, 6, 3).astype(np.float32)
    out_shape, params = init_fun(KEY, (-1, 7, 6, 3))
    y = np.asarray(apply_fun(params, x))
    assert out_shape == (-1,) + y.shape[1:]
    pads = [(0, 0)] * 2 if padding == "VALID" else _same_pads((7, 6), window, strides)
    if layer == "MaxPool":
        want = _pool_reference(x, np.maximum, np.float32(-np.inf), window, strides, pads)
    else:
        want = _pool_reference(x, np.add, np.float32(0), window, strides, pads)
        if layer == "AvgPool":  # divide by the number of real (unpadded) elements per window
            counts = _pool_reference(np.ones_like(x), np.add, np.float32(0), window, strides, pads)
            want = want / counts
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_pooling_with_spec():
    init_fun, apply_fun = stax.AvgPool((2, 2), strides=(2, 2), spec="NCHW")
    x = rng.randn(2, 3, 6, 4).astype(np.float32)
    out_shape, _ = init_fun(KEY, x.shape)
    y = np.asarray(apply_fun((), x))
    want = x.reshape(2, 3, 3, 2, 2, 2).mean(axis=(3, 5))
    assert out_shape == y.shape == (2, 3, 3, 2)
    np.testing.assert_allclose(y, want, rtol=1e-6)


def test_cnn_shapes_chain_through_serial():
    init_fun, apply_fun = stax.serial(
        stax.Conv(8, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Conv(4, (3, 3)), stax.BatchNorm(), stax.AvgPool((2, 2)), stax.Flatten, stax.Dense(3),
        stax.LogSoftmax)
    out_shape, params = init_fun(KEY, (-1, 10, 10, 1))
    y = apply_fun(params, rng.randn(5, 10, 10, 1).astype(np.float32))
    assert out_shape == (-1, 3) and y.shape == (5, 3)
    np.testing.assert_allclose(np.exp(np.asarray(y)).sum(-1), 1.0, rtol=1e-5)


def test_cnn_loss_and_gradients_match_jax():
    # The CNN of examples/cnn_digits.py with the same parameters in jaxlite and in JAX.
    jax = pytest.importorskip("jax")
    from jax.example_libraries import stax as jstax

    import jaxlite
    from jaxlite import numpy as jnp

    def model(s):
        return s.serial(s.Conv(6, (3, 3), padding="SAME"), s.Relu, s.MaxPool((2, 2), strides=(2, 2)),
                        s.Conv(8, (3, 3), padding="SAME"), s.Relu, s.AvgPool((2, 2), strides=(2, 2)),
                        s.Flatten, s.Dense(10), s.LogSoftmax)

    init_fun, predict = model(stax)
    _, params = init_fun(KEY, (-1, 8, 8, 1))
    _, jpredict = model(jstax)
    x = rng.rand(16, 8, 8, 1).astype(np.float32)
    onehot = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 16)]

    def loss(predict, np_):
        return lambda p: -np_.mean(np_.sum(predict(p, x) * onehot, axis=-1))

    value, grads = jaxlite.value_and_grad(loss(predict, jnp))(params)
    jparams = jax.tree_util.tree_map(np.asarray, jaxlite.tree_util.tree_map(np.asarray, params))
    jvalue, jgrads = jax.value_and_grad(loss(jpredict, jax.numpy))(jparams)
    np.testing.assert_allclose(float(value), float(jvalue), rtol=1e-5)
    for g, jg in zip(jaxlite.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(jgrads)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(jg), rtol=1e-4, atol=1e-5)
