"""The linear-algebra primitives as native LAPACK calls (cpu/lapack.py) against the NumPy
interpreter, on hand-built IR (compiler only, no jaxlite).

Eigenvector and singular-vector signs: the interpreter calls NumPy's LAPACK, the native program
SciPy's (as JAX does). Both run the same reference algorithms, but the two OpenBLAS builds round
differently, and now and then a vector comes back negated (measured: 1 in ~10 random 5x5 float32
matrices for syevd). So vectors are compared to the interpreter up to a per-vector sign, and
exactly-signed to SciPy's own wrappers of the same routines.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu

f16, f32, f64 = dtypes.float16, dtypes.float32, dtypes.float64
TOL = {f32: 2e-4, f64: 1e-10}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def build(prim, avals, **params):
    jb = JaxprBuilder()
    ins = [jb.arg(ShapedArray(s, d)) for s, d in avals]
    outs = jb.op(prim, *ins, **params)
    return jb.build(outs if prim.multiple_results else [outs])


def run(prim, args, **params):
    """(native results, interpreter results, executable); the program has no callback."""
    closed = build(prim, [(a.shape, a.dtype) for a in args], **params)
    exe = compile_cpu(closed, check=True)
    assert exe.program.count("interpret") == 0, exe.program.report()
    got = [np.asarray(g) for g in exe(*args)]
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
    return got, want, exe


def close(g, w, dtype, scale=1.0):
    tol = TOL[np.dtype(dtype)] * scale
    np.testing.assert_allclose(g.astype(f64), w.astype(f64), rtol=tol, atol=tol, equal_nan=True)


def spd(rng, shape, dtype):
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def sign_fixed(v, axis=-2):
    """v with each vector (along `axis`) scaled so that its largest-magnitude entry is positive."""
    idx = np.expand_dims(np.argmax(np.abs(v), axis=axis), axis)
    return v * np.sign(np.take_along_axis(v, idx, axis=axis))


@pytest.mark.parametrize("dtype", [f32, f64])
def test_cholesky_reads_the_lower_triangle_and_gives_nan_for_non_pd_members(dtype):
    rng = np.random.default_rng(0)
    a = spd(rng, (4, 5, 5), dtype)
    a[2] = -a[2]  # not positive definite: that member only is NaN
    a[..., 0, 4] = 1e6  # the upper triangle is never read
    got, want, exe = run(P.cholesky_p, [a])
    close(got[0], want[0], dtype)
    assert np.isnan(got[0][2]).all() and not np.isnan(got[0][[0, 1, 3]]).any()
    assert (np.triu(got[0][[0, 1, 3]], 1) == 0).all()
    assert "LAPACK" in exe.program.report() and ("spotrf" if dtype == f32 else "dpotrf") in exe.program.report()


@pytest.mark.parametrize("dtype", [f32, f64])
def test_triangular_solve_every_flag(dtype):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)).astype(dtype)
    for left, lower, trans, unit in itertools.product([True, False], repeat=4):
        b = rng.standard_normal((2, 4, 3) if left else (2, 3, 4)).astype(dtype)
        params = dict(left_side=left, lower=lower, transpose_a=trans, conjugate_a=False, unit_diagonal=unit)
        got, want, _ = run(P.triangular_solve_p, [a, b], **params)
        close(got[0], want[0], dtype, scale=10)


def test_triangular_solve_of_a_singular_triangle_is_not_an_error():
    a = np.tril(np.ones((3, 3), f64))
    a[1, 1] = 0.0
    got, want, _ = run(P.triangular_solve_p, [a, np.ones((3, 2))], left_side=True, lower=True, transpose_a=False)
    assert not np.isfinite(got[0]).all()
    np.testing.assert_array_equal(np.isfinite(got[0]), np.isfinite(want[0]))


@pytest.mark.parametrize("dtype", [f32, f64])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 3), (2, 3, 6), (1, 1)])
def test_lu_pivots_and_permutation_match(dtype, shape):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape).astype(dtype)
    got, want, _ = run(P.lu_p, [a])
    close(got[0], want[0], dtype, scale=10)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], want[2])
    m, n = shape[-2:]
    k = min(m, n)
    lu = got[0].reshape(-1, m, n)
    for i, perm in enumerate(got[2].reshape(-1, m)):
        low = np.tril(lu[i], -1)[:, :k] + np.eye(m, k)
        up = np.triu(lu[i])[:k]
        close(low @ up, a.reshape(-1, m, n)[i][perm], dtype, scale=10)


def test_lu_of_a_singular_matrix_keeps_the_factorisation():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    got, want, _ = run(P.lu_p, [a])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)


@pytest.mark.parametrize("dtype", [f32, f64])
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6), (2, 1, 3)])
@pytest.mark.parametrize("full", [True, False])
def test_qr(dtype, shape, full):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape).astype(dtype)
    got, want, _ = run(P.qr_p, [a], full_matrices=full)
    close(got[0], want[0], dtype, scale=10)
    close(got[1], want[1], dtype, scale=10)


@pytest.mark.parametrize("dtype", [f32, f64])
@pytest.mark.parametrize("lower", [True, False])
def test_eigh_reads_one_triangle(dtype, lower):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 5, 5)).astype(dtype)  # not symmetric: one triangle is read
    got, want, _ = run(P.eigh_p, [a], lower=lower, sort_eigenvalues=True)
    close(got[1], want[1], dtype, scale=10)
    close(sign_fixed(got[0]), sign_fixed(want[0]), dtype, scale=10)


@pytest.mark.parametrize("dtype", [f32, f64])
def test_eigh_and_svd_signs_are_scipys_lapack(dtype):
    import scipy.linalg as sl

    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 6)).astype(dtype)
    h = (a + a.T) / 2
    (v, w), _, _ = run(P.eigh_p, [h], lower=True, sort_eigenvalues=True)
    w_ref, v_ref = sl.eigh(h, driver="evd")
    close(v, v_ref, dtype, scale=10)
    close(w, w_ref, dtype, scale=10)
    tall = np.ascontiguousarray(a[:, :4])
    (s, u, vt), _, _ = run(P.svd_p, [tall], full_matrices=True, compute_uv=True)
    u_ref, s_ref, vt_ref = sl.svd(tall, lapack_driver="gesdd")
    for g, ref in ((s, s_ref), (u, u_ref), (vt, vt_ref)):
        close(g, ref, dtype, scale=10)


@pytest.mark.parametrize("dtype", [f32, f64])
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6)])
@pytest.mark.parametrize("full,uv", [(True, True), (False, True), (False, False)])
def test_svd(dtype, shape, full, uv):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(shape).astype(dtype)
    got, want, _ = run(P.svd_p, [a], full_matrices=full, compute_uv=uv)
    close(got[0], want[0], dtype, scale=10)
    if uv:
        s, u, vt = got
        k = s.shape[-1]
        # a = u[:, :k] diag(s) vt[:k]: the vectors up to sign, and exactly the reconstruction
        close(sign_fixed(u[..., :k]), sign_fixed(want[1][..., :k]), dtype, scale=100)
        rec = (u[..., :k] * s[..., None, :]) @ vt[..., :k, :]
        close(rec, a, dtype, scale=100)


def test_float16_and_empty_matrices_stay_interpreter_steps():
    closed = build(P.cholesky_p, [((3, 3), f16)])
    assert compile_cpu(closed).program.count("interpret") == 1
    closed = build(P.lu_p, [((0, 3), f32)])
    exe = compile_cpu(closed)
    assert exe.program.count("interpret") == 1
    got = exe(np.zeros((0, 3), f32))
    assert [g.shape for g in got] == [(0, 3), (0,), (0,)]


@pytest.mark.parametrize(
    "prim,params",
    [
        (P.eigh_p, dict(lower=True, sort_eigenvalues=True)),
        (P.svd_p, dict(full_matrices=True, compute_uv=True)),
        (P.cholesky_p, {}),
    ],
)
def test_a_nan_member_gives_nan_results_and_leaves_the_batch_alone(prim, params):
    a = np.random.RandomState(7).randn(3, 4, 4).astype(f32)
    a = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4, dtype=f32)
    a[1, 2, 1] = np.nan  # read by every routine (the lower triangle)
    got, want, _ = run(prim, [a], **params)
    for g, w in zip(got, want, strict=True):
        # eigh and svd report the failure (all NaN); OpenBLAS's potrf may not see the NaN on the
        # diagonal and return a partly-NaN factor: either way, what the interpreter gives
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        assert np.isnan(g[1]).any() and not np.isnan(g[[0, 2]]).any()
