"""erf_inv and digamma compiled (cpu/special_math.py) against the interpreter, on hand-built IR.
The ulp bounds over the domains are in test_accuracy.py; here: special values, negative digamma,
float16, and that no interpreter callback is left."""

from __future__ import annotations

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu

f16, f32, f64 = dtypes.float16, dtypes.float32, dtypes.float64


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def run(prim, x):
    jb = JaxprBuilder()
    v = jb.arg(ShapedArray(x.shape, x.dtype))
    closed = jb.build([jb.op(prim, v)])
    exe = compile_cpu(closed, check=True)
    assert exe.program.count("interpret") == 0
    (got,) = exe(x)
    (want,) = eval_jaxpr(closed.jaxpr, closed.consts, x)
    assert got.dtype == want.dtype
    return np.asarray(got), np.asarray(want)


def same_bits_or_close(got, want, rtol):
    both_nan = np.isnan(got) & np.isnan(want)
    exact = (got == want) & (np.signbit(got) == np.signbit(want))
    close = np.isclose(got.astype(f64), want.astype(f64), rtol=rtol, atol=0)
    bad = ~(both_nan | exact | (close & np.isfinite(want)))
    assert not bad.any(), list(zip(got[bad], want[bad]))


@pytest.mark.parametrize("dtype", [f16, f32, f64])
def test_erf_inv_special_values_and_range(dtype):
    eps = np.finfo(dtype).eps
    special = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1.5, -1.01, 0.5, -0.5, 1 - eps, -(1 - eps)]
    r = np.random.RandomState(0)
    x = np.concatenate([special, r.uniform(-1, 1, 300), np.finfo(dtype).tiny * r.uniform(-4, 4, 20)])
    got, want = run(P.erf_inv_p, x.astype(dtype))
    same_bits_or_close(got, want, rtol=4 * eps)
    np.testing.assert_array_equal(got[:4], np.array([0.0, -0.0, np.inf, -np.inf], dtype))
    assert np.signbit(got[1]) and np.isnan(got[4:9]).all()


@pytest.mark.parametrize("dtype", [f16, f32, f64])
def test_digamma_poles_negative_and_positive(dtype):
    eps = np.finfo(dtype).eps
    special = [0.0, -0.0, -1.0, -2.0, -50.0, np.inf, -np.inf, np.nan, 1.0, 1.4616321449683622, 1e-30, 2.5]
    r = np.random.RandomState(1)
    x = np.concatenate([special, r.uniform(0, 40, 300), r.uniform(-10, 0, 300), r.uniform(1, 2, 100)])
    x = x.astype(dtype)
    got, want = run(P.digamma_p, x)
    assert np.isnan(got[:5]).all() and got[5] == np.inf and np.isnan(got[6:8]).all()
    positive = x > 0
    same_bits_or_close(got[positive], want[positive], rtol=32 * eps)
    # x < 0 through the reflection: relative accuracy is lost next to psi's negative roots
    # (in the interpreter as well), so there the absolute error is what is bounded.
    neg = (x < 0) & np.isfinite(x) & (x != np.floor(x))
    scale = np.maximum(1.0, np.abs(want[neg].astype(f64)))
    err = np.abs(got[neg].astype(f64) - want[neg].astype(f64)) / scale
    assert err.max() < 64 * eps, err.max()
