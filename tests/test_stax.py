"""jaxlite.example_libraries.stax: layer shapes, NumPy references, and a small training run."""

import numpy as np
import pytest

from jaxlite import numpy as jnp
from jaxlite import random
from jaxlite.ad_api import value_and_grad
from jaxlite.example_libraries import optimizers, stax
from jaxlite.jit import jit
from jaxlite.tree_util import tree_leaves

KEY = random.PRNGKey(0)
X = np.random.RandomState(0).randn(6, 5).astype(np.float32)


def _np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_dense_shapes_and_formula():
    init_fun, apply_fun = stax.Dense(3)
    out_shape, (W, b) = init_fun(KEY, (-1, 5))
    assert out_shape == (-1, 3) and W.shape == (5, 3) and b.shape == (3,)
    assert W.dtype == np.float32
    np.testing.assert_allclose(np.asarray(apply_fun((W, b), X)),
                               X @ np.asarray(W) + np.asarray(b), rtol=1e-5, atol=1e-6)
    out_shape, _ = init_fun(KEY, (2, 4, 5))
    assert out_shape == (2, 4, 3)


def test_dense_custom_initializers():
    init_fun, _ = stax.Dense(2, W_init=lambda k, s: jnp.ones(s), b_init=lambda k, s: jnp.zeros(s))
    _, (W, b) = init_fun(KEY, (1, 3))
    np.testing.assert_array_equal(np.asarray(W), np.ones((3, 2)))
    np.testing.assert_array_equal(np.asarray(b), np.zeros(2))


@pytest.mark.parametrize("layer, ref", [
    (stax.Relu, lambda x: np.maximum(x, 0)),
    (stax.Tanh, np.tanh),
    (stax.Exp, np.exp),
    (stax.Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (stax.Softplus, lambda x: np.log1p(np.exp(x))),
    (stax.Elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    (stax.LeakyRelu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    (stax.Selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    (stax.Gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (stax.LogSoftmax, _np_log_softmax),
    (stax.Softmax, lambda x: np.exp(_np_log_softmax(x))),
    (stax.Identity, lambda x: x),
])
def test_elementwise_layers(layer, ref):
    init_fun, apply_fun = layer
    out_shape, params = init_fun(KEY, X.shape)
    assert out_shape == X.shape and params == ()
    np.testing.assert_allclose(np.asarray(apply_fun(params, X)), ref(X.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_flatten_fanout_fanin():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    shape, _ = stax.Flatten[0](KEY, (2, 3, 4))
    assert shape == (2, 12)
    np.testing.assert_array_equal(np.asarray(stax.Flatten[1]((), x)), x.reshape(2, 12))
    shapes, _ = stax.FanOut(3)[0](KEY, (2, 5))
    assert shapes == [(2, 5)] * 3
    assert len(stax.FanOut(3)[1]((), X)) == 3
    assert stax.FanInSum[0](KEY, [(6, 5), (6, 5)])[0] == (6, 5)
    np.testing.assert_allclose(np.asarray(stax.FanInSum[1]((), [X, 2 * X])), 3 * X)
    init_fun, apply_fun = stax.FanInConcat(axis=-1)
    assert init_fun(KEY, [(6, 5), (6, 2)])[0] == (6, 7)
    np.testing.assert_array_equal(np.asarray(apply_fun((), [X, X[:, :2]])),
                                  np.concatenate([X, X[:, :2]], -1))
    assert stax.FanInConcat(axis=0)[0](KEY, [(6, 5), (1, 5)])[0] == (7, 5)


@pytest.mark.parametrize("center, scale", [(True, True), (True, False), (False, True),
                                           (False, False)])
def test_batchnorm(center, scale):
    x = np.random.RandomState(1).randn(4, 3, 2).astype(np.float32) * 3 + 1
    init_fun, apply_fun = stax.BatchNorm(axis=(0, 1), center=center, scale=scale,
                                         beta_init=lambda k, s: jnp.full(s, 0.5),
                                         gamma_init=lambda k, s: jnp.full(s, 2.0))
    out_shape, (beta, gamma) = init_fun(KEY, x.shape)
    assert out_shape == x.shape
    assert (beta.shape if center else beta) == ((2,) if center else ())
    mean, var = x.mean((0, 1)), x.var((0, 1))
    want = (x - mean) / np.sqrt(var + 1e-5)
    want = want * (2.0 if scale else 1.0) + (0.5 if center else 0.0)
    np.testing.assert_allclose(np.asarray(apply_fun((beta, gamma), x)), want, rtol=1e-4,
                               atol=1e-5)


def test_dropout():
    init_fun, apply_fun = stax.Dropout(0.75)
    x = np.ones((200, 50), np.float32)
    y = np.asarray(apply_fun((), x, rng=KEY))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02  # rate is the keep probability, as in JAX
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    with pytest.raises(ValueError, match="PRNG key"):
        apply_fun((), x)
    np.testing.assert_array_equal(np.asarray(stax.Dropout(0.5, mode="test")[1]((), x, rng=KEY)), x)


def test_serial_parallel_shape_dependent():
    init_fun, apply_fun = stax.serial(
        stax.Dense(8), stax.Relu, stax.FanOut(2),
        stax.parallel(stax.Dense(4), stax.serial(stax.Dense(3), stax.Tanh)),
        stax.FanInConcat(), stax.shape_dependent(lambda s: stax.Dense(s[-1])), stax.LogSoftmax)
    out_shape, params = init_fun(KEY, (-1, 5))
    assert out_shape == (-1, 7)
    assert len(params) == 7 and params[1] == () and len(params[3]) == 2
    y = np.asarray(apply_fun(params, X))
    assert y.shape == (6, 7)
    np.testing.assert_allclose(np.exp(y).sum(-1), 1.0, rtol=1e-5)
    # The same network by hand in NumPy.
    (W1, b1), (W5, b5) = params[0], params[5]
    (W2, b2), [(W3, b3), ()] = params[3]
    h = np.maximum(X @ np.asarray(W1) + np.asarray(b1), 0)
    h = np.concatenate([h @ np.asarray(W2) + np.asarray(b2),
                        np.tanh(h @ np.asarray(W3) + np.asarray(b3))], -1)
    want = _np_log_softmax(h @ np.asarray(W5) + np.asarray(b5))
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    # Shapes and params of parallel on its own.
    shapes, p = stax.parallel(stax.Dense(2), stax.Identity)[0](KEY, [(1, 3), (1, 4)])
    assert tuple(shapes) == ((1, 2), (1, 4)) and p[1] == ()


def test_serial_threads_rng_to_dropout():
    init_fun, apply_fun = stax.serial(stax.Dense(20), stax.Dropout(0.5))
    _, params = init_fun(KEY, (-1, 5))
    a = apply_fun(params, X, rng=random.PRNGKey(1))
    b = apply_fun(params, X, rng=random.PRNGKey(2))
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match="PRNG key"):
        apply_fun(params, X)


# Convolution and pooling layers: tests/test_stax_conv.py


def test_mlp_trains_with_adam():
    rs = np.random.RandomState(0)
    x = rs.randn(128, 4).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int32) + (x[:, 2] > 0.5)
    targets = np.eye(3, dtype=np.float32)[labels]
    init_fun, predict = stax.serial(stax.Dense(32), stax.Relu, stax.Dense(32), stax.Tanh,
                                    stax.Dense(3), stax.LogSoftmax)
    _, params = init_fun(KEY, (-1, 4))
    opt_init, opt_update, get_params = optimizers.adam(1e-2)

    def loss(params, batch):
        inputs, tgt = batch
        return -jnp.mean(jnp.sum(predict(params, inputs) * tgt, axis=1))

    @jit
    def update(i, opt_state, batch):
        value, grads = value_and_grad(loss)(get_params(opt_state), batch)
        return value, opt_update(i, grads, opt_state)

    opt_state = opt_init(params)
    losses = []
    for i in range(150):
        value, opt_state = update(i, opt_state, (x, targets))
        losses.append(float(value))
    assert losses[-1] < 0.5 * losses[0]
    acc = np.mean(np.argmax(np.asarray(predict(get_params(opt_state), x)), 1) == labels)
    assert acc > 0.85
    assert all(np.isfinite(np.asarray(l)).all() for l in tree_leaves(get_params(opt_state)))


def test_against_jax():
    jax = pytest.importorskip("jax")
    from jax.example_libraries import stax as JS

    def net(S):
        return S.serial(S.Dense(16), S.Relu, S.FanOut(2),
                        S.parallel(S.serial(S.Dense(8), S.Tanh), S.serial(S.Dense(8), S.Gelu)),
                        S.FanInConcat(), S.BatchNorm(axis=0), S.Dense(3), S.LogSoftmax)
    ji, ja = net(JS)
    li, la = net(stax)
    jshape, jparams = ji(jax.random.PRNGKey(0), (-1, 5))
    lshape, lparams = li(random.PRNGKey(0), (-1, 5))
    assert jshape == lshape
    for a, b in zip(jax.tree_util.tree_leaves(jparams), tree_leaves(lparams)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(la(lparams, X)), np.asarray(ja(jparams, X)),
                               rtol=1e-4, atol=1e-4)
