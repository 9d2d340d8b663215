"""jaxlite.example_libraries.optimizers against hand-written NumPy update formulas (and JAX)."""

import pickle

import numpy as np
import pytest

from jaxlite import numpy as jnp
from jaxlite.ad_api import grad
from jaxlite.example_libraries import optimizers as O
from jaxlite.jit import jit
from jaxlite.tree_util import tree_flatten, tree_leaves

RNG = np.random.RandomState(0)
PARAMS = {"w": RNG.randn(3, 4).astype(np.float32), "b": RNG.randn(4).astype(np.float32),
          "s": np.float32(0.5)}
# b's gradient is zero on even steps: exercises the g_sq == 0 branches of adagrad/sm3.
GRADS = [{k: np.asarray(RNG.randn(*np.shape(v)) * (k != "b" or j % 2), np.float32)
          for k, v in PARAMS.items()} for j in range(4)]
LR = 0.1


# ---- NumPy references: (init, update(i, g, state) -> state, params(state)) for one array ----

def _ref_sgd():
    return (lambda x: x, lambda i, g, x: x - LR * g, lambda x: x)


def _ref_momentum(nesterov):
    mass = 0.9

    def update(i, g, s):
        x, v = s
        v = mass * v + g
        return (x - LR * (mass * v + g) if nesterov else x - LR * v), v
    return (lambda x: (x, np.zeros_like(x)), update, lambda s: s[0])


def _ref_adagrad():
    mom = 0.9

    def update(i, g, s):
        x, gsq, m = s
        gsq = gsq + g * g
        inv = np.where(gsq > 0, 1 / np.sqrt(np.where(gsq > 0, gsq, 1)), 0)
        m = (1 - mom) * g * inv + mom * m
        return x - LR * m, gsq, m
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x)), update, lambda s: s[0])


def _ref_rmsprop(with_momentum):
    gamma, eps, mom_c = 0.9, 1e-8, 0.9

    def update(i, g, s):
        x, avg, mom = s
        avg = avg * gamma + g * g * (1 - gamma)
        step = LR * g / np.sqrt(avg + eps)
        if not with_momentum:
            return x - step, avg, mom
        mom = mom_c * mom + step
        return x - mom, avg, mom
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x)), update, lambda s: s[0])


def _ref_adam(maxnorm):
    b1, b2, eps = 0.9, 0.999, 1e-8

    def update(i, g, s):
        x, m, v = s
        m = (1 - b1) * g + b1 * m
        if maxnorm:
            v = np.maximum(b2 * v, np.abs(g))
            return x - LR / (1 - b1 ** (i + 1)) * m / (v + eps), m, v
        v = (1 - b2) * g * g + b2 * v
        mhat, vhat = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
        return x - LR * mhat / (np.sqrt(vhat) + eps), m, v
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x)), update, lambda s: s[0])


def _ref_sm3():
    mom = 0.9

    def init(x):
        x1 = np.atleast_1d(x)
        return x1, np.zeros_like(x1), [np.zeros(n) for n in x1.shape], np.shape(x)

    def update(i, g, s):
        x, m, vs, shape = s
        g = np.reshape(g, x.shape)
        acc = None
        for ax, v in enumerate(vs):
            view = v.reshape([-1 if a == ax else 1 for a in range(x.ndim)])
            acc = view if acc is None else np.minimum(acc, view)
        acc = acc + g * g
        inv = np.where(acc > 0, 1 / np.sqrt(np.where(acc > 0, acc, 1)), 0)
        m = (1 - mom) * g * inv + mom * m
        x = x - LR * m
        vs = [acc.max(axis=tuple(a for a in range(x.ndim) if a != ax)) for ax in range(x.ndim)]
        return x, m, vs, shape
    return init, update, lambda s: s[0].reshape(s[3])


CASES = {
    "sgd": (lambda: O.sgd(LR), _ref_sgd),
    "momentum": (lambda: O.momentum(LR, 0.9), lambda: _ref_momentum(False)),
    "nesterov": (lambda: O.nesterov(LR, 0.9), lambda: _ref_momentum(True)),
    "adagrad": (lambda: O.adagrad(LR), _ref_adagrad),
    "rmsprop": (lambda: O.rmsprop(LR), lambda: _ref_rmsprop(False)),
    "rmsprop_momentum": (lambda: O.rmsprop_momentum(LR), lambda: _ref_rmsprop(True)),
    "adam": (lambda: O.adam(LR), lambda: _ref_adam(False)),
    "adamax": (lambda: O.adamax(LR), lambda: _ref_adam(True)),
    "sm3": (lambda: O.sm3(LR), _ref_sm3),
}


def _reference(ref_maker, steps):
    out = {}
    for k, x0 in PARAMS.items():
        init, update, get = ref_maker()
        s = init(np.asarray(x0, np.float64))
        for i, g in enumerate(GRADS[:steps]):
            s = update(i, np.asarray(g[k], np.float64), s)
        out[k] = get(s)
    return out


@pytest.mark.parametrize("use_jit", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_reference(name, use_jit):
    make, ref_maker = CASES[name]
    init_fun, update_fun, get_params = make()
    if use_jit:
        update_fun = jit(update_fun)
    state = init_fun(PARAMS)
    for i, g in enumerate(GRADS):
        state = update_fun(i, g, state)
    got = get_params(state)
    want = _reference(ref_maker, len(GRADS))
    for k in PARAMS:
        assert got[k].shape == np.shape(PARAMS[k]) and got[k].dtype == np.float32, k
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=2e-5, atol=2e-6, err_msg=k)


def test_optimizer_state_is_a_pytree_and_crosses_jit():
    init_fun, update_fun, get_params = O.adam(1e-2)
    state = init_fun(PARAMS)
    assert isinstance(state, O.OptimizerState)
    assert len(tree_leaves(state)) == 3 * len(PARAMS)

    @jit
    def step(i, state):
        return update_fun(i, GRADS[0], state)

    state = step(0, state)
    assert isinstance(state, O.OptimizerState)
    assert set(get_params(state)) == set(PARAMS)


def test_mismatched_grad_tree_raises():
    init_fun, update_fun, _ = O.sgd(0.1)
    state = init_fun(PARAMS)
    with pytest.raises(TypeError, match="did not match the parameter tree"):
        update_fun(0, {"w": GRADS[0]["w"]}, state)


def test_schedules():
    np.testing.assert_allclose(O.constant(0.3)(7), 0.3)
    np.testing.assert_allclose(O.exponential_decay(1.0, 10, 0.5)(20), 0.25, rtol=1e-6)
    np.testing.assert_allclose(O.inverse_time_decay(1.0, 10, 1.0)(5), 1 / 1.5, rtol=1e-6)
    np.testing.assert_allclose(O.inverse_time_decay(1.0, 10, 1.0, staircase=True)(15), 0.5,
                               rtol=1e-6)
    poly = O.polynomial_decay(1.0, 10, 0.1, power=2.0)
    np.testing.assert_allclose(float(poly(5)), 0.25 * 0.9 + 0.1, rtol=1e-6)
    np.testing.assert_allclose(float(poly(50)), 0.1, rtol=1e-6)
    pc = O.piecewise_constant([2, 5], [1.0, 0.5, 0.1])
    assert [float(pc(i)) for i in (0, 2, 3, 5, 6)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1])
    assert float(jit(pc)(3)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="one shorter"):
        O.piecewise_constant([1, 2], [1.0, 2.0])
    sched = O.exponential_decay(0.1, 1, 0.5)
    assert O.make_schedule(sched) is sched
    assert O.make_schedule(0.2)(100) == 0.2
    with pytest.raises(TypeError):
        O.make_schedule([0.1, 0.2])


def test_schedule_drives_step_size():
    init_fun, update_fun, get_params = O.sgd(O.exponential_decay(1.0, 1, 0.5))
    state = init_fun(np.float32(0.0))
    for i in range(3):
        state = jit(update_fun)(i, np.float32(1.0), state)
    np.testing.assert_allclose(float(get_params(state)), -(1 + 0.5 + 0.25), rtol=1e-6)


def test_l2_norm_and_clip_grads():
    tree = {"a": np.array([3.0, 0.0], np.float32), "b": [np.float32(4.0)]}
    np.testing.assert_allclose(float(O.l2_norm(tree)), 5.0)
    clipped = O.clip_grads(tree, 1.0)
    np.testing.assert_allclose(np.asarray(clipped["a"]), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(float(clipped["b"][0]), 0.8, rtol=1e-6)
    same = O.clip_grads(tree, 10.0)
    np.testing.assert_allclose(np.asarray(same["a"]), tree["a"])
    np.testing.assert_allclose(float(grad(lambda t: O.l2_norm(t))(tree)["b"][0]), 0.8, rtol=1e-6)


def test_unpack_pack_roundtrip_through_pickle():
    init_fun, update_fun, get_params = O.momentum(0.1, 0.9)
    state = update_fun(0, GRADS[0], init_fun(PARAMS))
    marked = O.unpack_optimizer_state(state)
    assert isinstance(marked["w"], O.JoinPoint)
    restored = O.pack_optimizer_state(pickle.loads(pickle.dumps(marked)))
    assert tree_flatten(restored)[1] == tree_flatten(state)[1]
    for a, b in zip(tree_leaves(restored), tree_leaves(state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(TypeError, match="JoinPoint"):
        O.pack_optimizer_state({"w": 1.0})


def test_minimises_a_quadratic():
    target = jnp.array([1.0, -2.0, 3.0])

    def loss(p):
        return jnp.sum((p["x"] - target) ** 2)

    init_fun, update_fun, get_params = O.adam(0.1)
    state = init_fun({"x": jnp.zeros(3)})

    @jit
    def step(i, state):
        return update_fun(i, grad(loss)(get_params(state)), state)

    for i in range(300):
        state = step(i, state)
    np.testing.assert_allclose(np.asarray(get_params(state)["x"]), np.asarray(target), atol=1e-2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_jax(name):
    jax = pytest.importorskip("jax")
    from jax.example_libraries import optimizers as JO
    args = {"momentum": (LR, 0.9), "nesterov": (LR, 0.9)}.get(name, (LR,))
    ji, ju, jg = getattr(JO, name)(*args)
    li, lu, lg = getattr(O, name)(*args)
    js, ls = ji(PARAMS), li(PARAMS)
    ju, lu = jax.jit(ju), jit(lu)
    for i, g in enumerate(GRADS):
        js, ls = ju(i, g, js), lu(i, g, ls)
    want, got = jg(js), lg(ls)
    for k in PARAMS:
        np.testing.assert_allclose(np.asarray(got[k]), np.asarray(want[k]), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
