"""jaxlite.nn.initializers: statistics, shapes/dtypes, orthogonality, and bits against JAX."""

import numpy as np
import pytest

from jaxlite import random
from jaxlite.batching import vmap
from jaxlite.config import enable_x64
from jaxlite.jit import jit
from jaxlite.nn import initializers as I

KEY = random.PRNGKey(0)


def test_zeros_ones_constant():
    z = I.zeros(KEY, (2, 3))
    assert z.shape == (2, 3) and z.dtype == np.float32 and not np.asarray(z).any()
    o = I.ones(KEY, (4,), np.int32)
    assert o.dtype == np.int32 and np.asarray(o).tolist() == [1] * 4
    c = I.constant(2.5)(KEY, (2, 2))
    np.testing.assert_array_equal(np.asarray(c), np.full((2, 2), 2.5, np.float32))
    assert I.constant(3, dtype=np.int32)(KEY, (1,)).dtype == np.int32


def test_default_dtype_follows_x64():
    assert I.normal()(KEY, (2,)).dtype == np.float32
    with enable_x64():
        assert I.normal()(KEY, (2,)).dtype == np.float64
        assert I.glorot_uniform()(KEY, (2, 3)).dtype == np.float64
    assert I.glorot_uniform()(KEY, (2, 3), np.float16).dtype == np.float16


def test_uniform_normal_truncated_statistics():
    u = np.asarray(I.uniform(0.5)(KEY, (200, 200)))
    assert u.min() >= 0 and u.max() < 0.5 and abs(u.mean() - 0.25) < 0.01
    n = np.asarray(I.normal(2.0)(KEY, (200, 200)))
    assert abs(n.std() - 2.0) < 0.05 and abs(n.mean()) < 0.05
    t = np.asarray(I.truncated_normal(1.0)(KEY, (200, 200)))
    assert t.min() >= -2 and t.max() <= 2 and abs(t.std() - 0.8796) < 0.02
    t2 = np.asarray(I.truncated_normal(1.0, lower=0.0, upper=1.0)(KEY, (100,)))
    assert t2.min() >= 0 and t2.max() <= 1


FAN_CASES = [
    # (shape, kwargs, fan_in, fan_out)
    ((300, 200), {}, 300, 200),
    ((3, 3, 40, 60), {}, 9 * 40, 9 * 60),  # conv HWIO: receptive field 3x3
    ((5, 30, 40), {"batch_axis": 0}, 30, 40),
    ((20, 30, 10), {"in_axis": (0, 1), "out_axis": 2}, 600, 10),
    ((50, 40), {"in_axis": -1, "out_axis": -2}, 40, 50),
]


@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("case", range(len(FAN_CASES)))
def test_variance_scaling_variance(mode, distribution, case):
    shape, kw, fan_in, fan_out = FAN_CASES[case]
    denom = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = I.variance_scaling(2.0, mode, distribution, **kw)(KEY, shape)
    assert w.shape == shape and w.dtype == np.float32
    w = np.asarray(w, np.float64)
    np.testing.assert_allclose(w.var(), 2.0 / denom, rtol=0.1)
    if distribution == "uniform":
        assert np.abs(w).max() <= np.sqrt(3 * 2.0 / denom) * (1 + 1e-6)
    if distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * np.sqrt(2.0 / denom) / 0.8796256610342398 * (1 + 1e-6)


@pytest.mark.parametrize("name, scale, mode", [
    ("glorot_uniform", 1.0, "fan_avg"), ("glorot_normal", 1.0, "fan_avg"),
    ("xavier_uniform", 1.0, "fan_avg"), ("xavier_normal", 1.0, "fan_avg"),
    ("he_uniform", 2.0, "fan_in"), ("he_normal", 2.0, "fan_in"),
    ("kaiming_uniform", 2.0, "fan_in"), ("kaiming_normal", 2.0, "fan_in"),
    ("lecun_uniform", 1.0, "fan_in"), ("lecun_normal", 1.0, "fan_in"),
])
def test_named_variance_scalings(name, scale, mode):
    fan_in, fan_out = 400, 100
    w = np.asarray(getattr(I, name)()(KEY, (fan_in, fan_out)))
    denom = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    np.testing.assert_allclose(w.var(), scale / denom, rtol=0.1)
    dist = "uniform" if name.endswith("uniform") else "truncated_normal"
    same = I.variance_scaling(scale, mode, dist)(KEY, (fan_in, fan_out))
    np.testing.assert_array_equal(w, np.asarray(same))


def test_variance_scaling_errors():
    with pytest.raises(ValueError, match="mode"):
        I.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(ValueError, match="distribution"):
        I.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="at least 2D"):
        I.glorot_uniform()(KEY, (5,))


@pytest.mark.parametrize("shape, column_axis", [((6, 4), -1), ((4, 6), -1), ((3, 2, 5), -1),
                                                ((5, 3, 2), 0), ((4, 4), -1)])
def test_orthogonal(shape, column_axis):
    w = np.asarray(I.orthogonal(scale=2.0, column_axis=column_axis)(KEY, shape), np.float64)
    assert w.shape == shape
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) / 2.0
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="2D"):
        I.orthogonal()(KEY, (3,))


def test_under_jit_and_vmap():
    init = I.he_normal()
    a = jit(init, static_argnums=1)(KEY, (8, 4))
    np.testing.assert_allclose(np.asarray(a), np.asarray(init(KEY, (8, 4))), rtol=1e-6)
    keys = random.split(KEY, 3)
    b = vmap(lambda k: I.glorot_uniform()(k, (5, 2)))(keys)
    assert b.shape == (3, 5, 2)
    np.testing.assert_array_equal(np.asarray(b[1]),
                                  np.asarray(I.glorot_uniform()(keys[1], (5, 2))))


@pytest.mark.parametrize("name, args, shape", [
    ("uniform", (), (3, 4)), ("normal", (0.5,), (3, 4)), ("truncated_normal", (), (5, 4)),
    ("glorot_uniform", (), (3, 4, 5)), ("glorot_normal", (), (6, 5)), ("he_uniform", (), (6, 5)),
    ("he_normal", (), (6, 5)), ("lecun_uniform", (), (6, 5)), ("lecun_normal", (), (6, 5)),
    ("orthogonal", (), (6, 5)), ("orthogonal", (), (3, 8)), ("orthogonal", (2.0, 0), (3, 2, 4)),
    ("constant", (1.5,), (2, 3)),
])
def test_against_jax(name, args, shape):
    jax = pytest.importorskip("jax")
    want = getattr(jax.nn.initializers, name)(*args)(jax.random.PRNGKey(3), shape)
    got = getattr(I, name)(*args)(random.PRNGKey(3), shape)
    assert got.dtype == want.dtype and got.shape == want.shape
    if name.endswith("uniform") or name == "constant":
        # Uniform sampling is bit-identical to JAX's; the others go through transcendental
        # functions (erf_inv, QR) whose last bits differ.
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    else:
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
