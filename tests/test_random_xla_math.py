"""jaxlite.random_xla_math: XLA CPU's float32 log/log1p/exp/erf/erf_inv, bit for bit.

The fma emulation is checked against exact rational arithmetic (no JAX needed); the functions
against live JAX on many inputs when JAX is installed, and compiled against eager everywhere.
"""

from fractions import Fraction

import numpy as np
import pytest

from jaxlite import random_xla_math as M
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
