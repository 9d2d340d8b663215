"""Compiled transcendental functions within their documented ulp bounds (compiler/cpu/accuracy.py,
docs/accuracy.md), with exact IEEE results for the special inputs and denormals preserved."""

import pytest

from compiler.cpu import accuracy

pytest.importorskip("scipy")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("dtype", [accuracy.f32, accuracy.f64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(accuracy.FUNCTIONS))
def test_within_documented_ulps_and_exact_on_special_values(name, dtype):
    r = accuracy.measure(name, dtype)
    bound = accuracy.BOUNDS[name][dtype == accuracy.f64]
    assert r["max_ulp"] <= bound, (name, dtype, r["max_ulp"], r["worst_input"])
    assert not r["special_mismatches"], r["special_mismatches"]


def test_ulp_metric():
    import numpy as np

    f32 = accuracy.f32
    ref = np.array([1.0, 1.0, np.inf, np.nan, 0.0], np.float64)
    got = np.array([1.0, np.nextafter(np.float32(1), np.float32(2)), np.inf, np.nan, -0.0], f32)
    err = accuracy.ulp_errors(got, ref, f32)
    assert list(err[:4]) == [0.0, 1.0, 0.0, 0.0]
    bad = accuracy.ulp_errors(np.array([np.nan, 3.0], f32), np.array([np.inf, np.inf]), f32)
    assert np.all(np.isinf(bad))


def test_denormals_are_not_flushed():
    assert accuracy.denormals_preserved() == {"float32": True, "float64": True}
