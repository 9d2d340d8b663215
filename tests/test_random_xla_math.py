"""jaxlite.random_xla_math: the functions jaxlite.random computes as JAX's jit does (the xla_math
primitive), seen from jaxlite: bit for bit against live JAX when installed, the fma against
exact rational arithmetic, eager == jit, derivatives and vmap. The primitive's own comparison
with JAX over each function's domain and edge values is tests/compiler/test_cpu_xla_math.py.
"""

from fractions import Fraction

import numpy as np
import pytest

from jaxlite import random_xla_math as M
from jaxlite import xla_math as X
from jaxlite.ad_api import grad, jvp
from jaxlite.batching import vmap
from jaxlite.config import config
from jaxlite.jit import jit


def _exact_fma(a, b, c):
    """a * b + c rounded to nearest-even float32, from the exact rational value."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    lo = np.float32(float(exact))  # within one ulp; pick the nearest of the neighbours
    cands = [np.nextafter(lo, np.float32(-np.inf)), lo, np.nextafter(lo, np.float32(np.inf))]
    best = min(cands, key=lambda v: (abs(Fraction(float(v)) - exact), int(np.asarray(v).view(np.uint32)) & 1))
    return np.float32(best)


def _bits(x):
    return np.asarray(x, np.float32).view(np.uint32)


def test_fma_rounds_once_like_the_instruction():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(400).astype(np.float32)
    b = rng.standard_normal(400).astype(np.float32)
    c = rng.standard_normal(400).astype(np.float32)
    # halfway cases of the float64 sum: b = 1 + 2**-23, c far below a * b so p + c is a tie
    a[:50] = np.float32(1.0) + np.float32(2.0**-23) * np.arange(50, dtype=np.float32)
    b[:50] = np.float32(1.0 + 2.0**-23)
    c[:50] = np.float32(2.0**-48) * np.where(np.arange(50) % 2, 1, -1).astype(np.float32)
    expected = np.array([_exact_fma(x, y, z) for x, y, z in zip(a, b, c)], np.float32)
    np.testing.assert_array_equal(_bits(M.fma(a, b, c)), _bits(expected))
    plain = (a * b + c).astype(np.float32)
    assert np.any(_bits(plain) != _bits(expected))  # the test can tell one rounding from two


_INPUTS = {
    "log": lambda u: np.concatenate([u, u * 1e-30, u * 1e30, 1 + u * 1e-3]),
    "log1p": lambda u: np.concatenate([-u, u * 3, (u - 0.5) * 0.9, u * 1e-6]),
    "exp": lambda u: np.concatenate([(u - 0.5) * 170, (u - 0.5) * 2e-3]),
    "erf": lambda u: np.concatenate([(u - 0.5) * 10, u * 1e-3]),
    "erf_inv": lambda u: np.concatenate([u * 2 - 1, 1 - u * 1e-4]),
}


@pytest.mark.parametrize("name", sorted(_INPUTS))
def test_matches_live_jax_bit_for_bit(name):
    jax = pytest.importorskip("jax")
    ref_fn = {
        "log": jax.numpy.log,
        "log1p": jax.numpy.log1p,
        "exp": jax.numpy.exp,
        "erf": jax.lax.erf,
        "erf_inv": jax.lax.erf_inv,
    }[name]
    u = np.random.default_rng(1).random(100_000).astype(np.float32)
    x = _INPUTS[name](u).astype(np.float32)
    ref = np.asarray(jax.jit(ref_fn)(x))
    np.testing.assert_array_equal(_bits(getattr(M, name)(x)), _bits(ref))


def test_special_values_of_log_match_xla():
    x = np.array([0.0, -0.0, np.inf, -1.0, np.nan, 1.0], np.float32)
    out = np.asarray(M.log(x))
    assert out[0] == -np.inf and out[1] == -np.inf and out[2] == np.inf
    assert np.isnan(out[3]) and np.isnan(out[4]) and out[5] == 0.0


@pytest.mark.parametrize("name", ["log1p", "exp"])
def test_compiled_equals_eager(name):
    """Our back end must not contract or reorder the float operations (no fast-math)."""
    u = np.random.default_rng(2).random(4096).astype(np.float32)
    x = _INPUTS[name](u).astype(np.float32)
    fn = getattr(M, name)
    np.testing.assert_array_equal(_bits(jit(fn)(x)), _bits(fn(x)))


# ---- The xla_math primitive (float64 and pow/fma) seen from jaxlite ---------------------------

_F64_DOMAINS = {"log": (0.1, 5.0), "log1p": (-0.6, 3.0), "exp": (-30.0, 30.0), "erf": (-3.0, 3.0),
                "erf_inv": (-0.95, 0.95), "rsqrt": (0.1, 5.0)}


@pytest.fixture
def x64():
    old = config.jax_enable_x64
    config.update("jax_enable_x64", True)
    yield
    config.update("jax_enable_x64", old)


@pytest.mark.parametrize("fn", sorted(_F64_DOMAINS))
def test_primitive_eager_equals_jit_and_is_close_to_the_math(x64, fn):
    lo, hi = _F64_DOMAINS[fn]
    x = np.random.default_rng(3).uniform(lo, hi, 3000)
    eager = np.asarray(X.call(fn, x))
    np.testing.assert_array_equal(np.asarray(jit(lambda v: X.call(fn, v))(x)).view(np.uint64),
                                  eager.view(np.uint64))
    from scipy import special

    exact = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "erf": special.erf,
             "erf_inv": special.erfinv, "rsqrt": lambda v: 1 / np.sqrt(v)}[fn](x)
    rtol = {"log1p": 5e-14, "erf_inv": 5e-14}.get(fn, 4e-16)  # XLA's own approximations
    np.testing.assert_allclose(eager, exact, rtol=rtol, atol=0)


@pytest.mark.parametrize("fn", sorted(_F64_DOMAINS))
def test_primitive_derivative_is_the_function_derivative(x64, fn):
    lo, hi = _F64_DOMAINS[fn]
    x = np.linspace(lo, hi, 7)
    h = 1e-6
    _, tangent = jvp(lambda v: X.call(fn, v), (x,), (np.ones_like(x),))
    central = (np.asarray(X.call(fn, x + h)) - np.asarray(X.call(fn, x - h))) / (2 * h)
    np.testing.assert_allclose(np.asarray(tangent), central, rtol=1e-7, atol=1e-8)


def test_pow_and_fma_derivatives_and_vmap(x64):
    x, y = np.array([0.5, 1.5, 2.0]), np.array([-1.0, 0.5, 3.0])
    gx, gy = grad(lambda a, b: X.call("pow", a, b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(np.asarray(gx), y * x ** (y - 1), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(gy), np.log(x) * x**y, rtol=1e-13)
    assert float(grad(lambda a: X.call("pow", a, 0.0))(0.0)) == 0.0  # 0^0: 0, as lax.pow
    ga, gb, gc = grad(lambda a, b, c: X.call("fma", a, b, c).sum(), argnums=(0, 1, 2))(x, y, x)
    np.testing.assert_array_equal(np.asarray(ga), y)
    np.testing.assert_array_equal(np.asarray(gb), x)
    np.testing.assert_array_equal(np.asarray(gc), np.ones(3))
    batched = vmap(lambda a: X.call("pow", a, np.float64(0.5)))(np.stack([x, y * y]))
    np.testing.assert_array_equal(np.asarray(batched), np.stack([X.call("pow", x, 0.5), X.call("pow", y * y, 0.5)]))
    ft = vmap(lambda a, c: X.call("fma", a, np.float64(3.0), c), in_axes=(0, None))(np.stack([x, y]), x)
    np.testing.assert_array_equal(np.asarray(ft), np.stack([X.call("fma", x, 3.0, x), X.call("fma", y, 3.0, x)]))


def test_float32_pow_and_fma_are_the_primitive_too():
    x = np.linspace(0.05, 0.95, 50, dtype=np.float32)
    out = np.asarray(X.call("pow", x, np.float32(1 / 0.3)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x.astype(np.float64) ** (1 / np.float32(0.3)), rtol=1e-6)
    # rsqrt: XLA's one-Newton-step refinement of the hardware estimate, within 2 ulp of 1/sqrt
    np.testing.assert_allclose(np.asarray(X.call("rsqrt", x)), 1 / np.sqrt(x.astype(np.float64)), rtol=3e-7)


def test_grad_flows_through_float64_samplers(x64):
    from jaxlite import random as R

    k = R.PRNGKey(5)
    # truncated_normal's bounds enter through erf; its gradient is finite and jit agrees
    g = grad(lambda lo: R.truncated_normal(k, lo, 2.0, (4,), np.float64).sum())(-1.0)
    assert np.isfinite(float(g))
    np.testing.assert_array_equal(np.asarray(jit(lambda kk: R.normal(kk, (64,), np.float64))(k)),
                                  np.asarray(R.normal(k, (64,), np.float64)))
    keys = R.split(k, 3)
    batched = vmap(lambda kk: R.exponential(kk, (5,), np.float64))(keys)
    np.testing.assert_array_equal(np.asarray(batched),
                                  np.stack([np.asarray(R.exponential(kk, (5,), np.float64)) for kk in keys]))
