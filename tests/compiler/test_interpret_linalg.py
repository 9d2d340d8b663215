"""The linear-algebra primitives in NumPy: factorisations checked by reconstruction."""

import itertools

import numpy as np
import pytest

from compiler import primitives as P
from compiler.interpret_linalg import LINALG_IMPLS
from compiler.ir import ShapedArray

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
BATCHES = [(), (3,), (2, 2)]


def tol(dtype):
    return 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def rand(shape, dtype, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * r.standard_normal(shape)
    return x.astype(dtype)


def H(a):
    return np.conj(np.swapaxes(a, -1, -2))


def run(prim, *args, **params):
    """Apply the impl and check its outputs against the primitive's shape rule."""
    outs = LINALG_IMPLS[prim](*args, **params)
    rule = P.shape_rules[prim](*(ShapedArray(a.shape, a.dtype) for a in args), **params)
    outs_l = outs if prim.multiple_results else [outs]
    rule_l = rule if prim.multiple_results else [rule]
    assert [(o.shape, o.dtype) for o in outs_l] == [(a.shape, a.dtype) for a in rule_l]
    return outs


def close(a, b, dtype):
    np.testing.assert_allclose(a, b, rtol=tol(dtype), atol=tol(dtype) * 10)


def spd(batch, n, dtype, seed=0):
    a = rand(batch + (n, n), dtype, seed)
    return (a @ H(a) + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_cholesky_reconstructs(dtype, batch):
    a = spd(batch, 4, dtype)
    # Only the lower triangle is read: garbage above must not matter.
    garbage = a + np.triu(rand(a.shape, dtype, 1), 1) * 100
    L = run(P.cholesky_p, garbage)
    assert not np.triu(L, 1).any()
    close(L @ H(L), a, dtype)


def test_cholesky_not_positive_definite_is_nan():
    a = spd((3,), 3, np.float64)
    a[1] = -a[1]
    L = run(P.cholesky_p, a)
    assert np.isnan(L[1]).all()
    close(L[[0, 2]] @ H(L[[0, 2]]), a[[0, 2]], np.float64)


def op(a, lower, transpose_a, conjugate_a, unit_diagonal):
    """op(a) built from the named triangle only, independently of the implementation."""
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t - np.diagonal(t, axis1=-2, axis2=-1)[..., None] * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    if conjugate_a:
        t = np.conj(t)
    return np.swapaxes(t, -1, -2) if transpose_a else t


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=5)))
def test_triangular_solve_residual(dtype, flags):
    left_side, lower, transpose_a, conjugate_a, unit_diagonal = flags
    n, k, batch = 4, 3, (2,)
    # A well-conditioned triangle, with garbage in the triangle that must not be read.
    a = rand(batch + (n, n), dtype) + (4 * np.eye(n)).astype(dtype)
    b = rand(batch + ((n, k) if left_side else (k, n)), dtype, 1)
    x = run(
        P.triangular_solve_p,
        a,
        b,
        left_side=left_side,
        lower=lower,
        transpose_a=transpose_a,
        conjugate_a=conjugate_a,
        unit_diagonal=unit_diagonal,
    )
    opa = op(a.astype(np.complex128), lower, transpose_a, conjugate_a, unit_diagonal)
    close(opa @ x if left_side else x @ opa, b, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 4), (2, 3, 5, 2)])
def test_lu_reconstructs(dtype, shape):
    a = rand(shape, dtype)
    lu, pivots, perm = run(P.lu_p, a)
    m, n = shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k)
    U = np.triu(lu[..., :k, :])
    permuted = np.take_along_axis(a, perm[..., :, None].astype(np.int64), axis=-2)
    close(L @ U, permuted, dtype)
    # The permutation is the pivots' row swaps replayed; partial pivoting keeps |L| <= 1 (for
    # real dtypes: complex LAPACK pivots on |re| + |im|).
    for i in np.ndindex(shape[:-2]):
        p = list(range(m))
        for j, q in enumerate(pivots[i]):
            p[j], p[q] = p[q], p[j]
        np.testing.assert_array_equal(perm[i], p)
    if not np.issubdtype(dtype, np.complexfloating):
        assert np.all(np.abs(L) <= 1 + 1e-6)


def test_lu_singular_still_factors():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    lu, pivots, perm = run(P.lu_p, a)
    L, U = np.tril(lu, -1) + np.eye(2), np.triu(lu)
    close(L @ U, a[perm], np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 5, 3)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_qr_reconstructs(dtype, shape, full_matrices):
    a = rand(shape, dtype)
    q, r = run(P.qr_p, a, full_matrices=full_matrices)
    close(q @ r, a, dtype)
    close(H(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2), dtype)
    assert not np.tril(r, -1).any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("lower", [True, False])
def test_eigh_reconstructs(dtype, batch, lower):
    raw = rand(batch + (4, 4), dtype)
    # The Hermitian matrix the named triangle describes (the diagonal's imaginary part ignored).
    tri = np.tril(raw, -1) if lower else np.triu(raw, 1)
    a = tri + H(tri) + np.real(np.diagonal(raw, axis1=-2, axis2=-1))[..., None] * np.eye(4)
    v, w = run(P.eigh_p, raw, lower=lower, sort_eigenvalues=True)
    assert np.all(np.diff(w, axis=-1) >= 0)
    close((v * w[..., None, :]) @ H(v), a, dtype)
    close(H(v) @ v, np.broadcast_to(np.eye(4), a.shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 4)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_reconstructs(dtype, shape, full_matrices):
    a = rand(shape, dtype)
    s, u, vt = run(P.svd_p, a, full_matrices=full_matrices, compute_uv=True)
    k = min(shape[-2:])
    assert np.all(s >= 0) and np.all(np.diff(s, axis=-1) <= 0)
    close((u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :], a, dtype)
    for m in (u, H(vt)):
        close(H(m) @ m, np.broadcast_to(np.eye(m.shape[-1]), m.shape[:-2] + (m.shape[-1],) * 2), dtype)
    (s_only,) = run(P.svd_p, a, full_matrices=full_matrices, compute_uv=False)
    close(s_only, s, dtype)


def test_svd_of_nan_is_nan_not_an_error():
    a = np.stack([np.full((2, 2), np.nan), np.eye(2)])
    s, u, vt = run(P.svd_p, a, full_matrices=False, compute_uv=True)
    assert np.isnan(s[0]).all()
    close(s[1], [1.0, 1.0], np.float64)


@pytest.mark.parametrize(
    "prim, params",
    [
        (P.cholesky_p, {}),
        (P.lu_p, {}),
        (P.qr_p, {"full_matrices": True}),
        (P.eigh_p, {"lower": True, "sort_eigenvalues": True}),
        (P.svd_p, {"full_matrices": True, "compute_uv": True}),
    ],
)
@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (3, 3)])
def test_float16_and_empty(prim, params, shape):
    a = (np.eye(shape[-1]) * 2).astype(np.float16) + np.zeros(shape, np.float16)
    run(prim, a, **params)


def test_triangular_solve_empty():
    a, b = np.zeros((2, 0, 0), np.float32), np.zeros((2, 0, 3), np.float32)
    run(P.triangular_solve_p, a, b, left_side=True, lower=True, transpose_a=False)
    a, b = np.eye(3, dtype=np.float32)[None], np.zeros((1, 3, 0), np.float32)
    run(P.triangular_solve_p, a, b, left_side=True, lower=True, transpose_a=False)
