"""The NumPy meaning of the linear-algebra primitives, batched over leading axes.

Semantics are those of the primitives behind `jax.lax.linalg` (checked against JAX 0.10 on CPU,
which calls LAPACK as NumPy and SciPy do, so factor signs agree too):
- cholesky reads only the lower triangle and returns the lower factor with zeros above; a
  matrix that is not positive definite comes back all NaN (JAX's primitive does; its
  `lax.linalg.cholesky` wrapper symmetrises first and applies tril after, both outside the
  primitive).
- triangular_solve reads only the named triangle (and not the diagonal when unit_diagonal);
  conjugate_a conjugates independently of transpose_a. A singular triangle gives inf/NaN, not an
  error (BLAS trsm, as in XLA).
- lu returns (lu, pivots, permutation) with int32 0-based pivots and a[permutation] = L @ U.
- eigh returns (v, w), w ascending, reading only the lower (or upper) triangle.
- svd returns [s] or [s, u, vt] (that order), s descending.
Failures to converge give NaN, never an exception. float16 is computed in float32 (LAPACK has
no half precision) and every output is cast to the dtype the shape rule names.
SciPy is imported inside the functions so that `import compiler` stays fast.
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .primitives import cholesky_p, eigh_p, lu_p, qr_p, svd_p, triangular_solve_p


def _work(a):
    a = np.asarray(a)
    return a.astype(np.float32) if a.dtype == dtypes.float16 else a


def _real_dtype(dt):
    return np.finfo(dt).dtype  # complex64 -> float32; floats map to themselves


def _adjoint(a):
    return np.conj(np.swapaxes(a, -1, -2))


def _per_matrix(fn, a, outs):
    """Apply fn to each matrix of the batch, filling NaN where LAPACK gives up.

    The fallback when a batched NumPy call raises for one bad member: the rest stay exact.
    """
    from numpy.linalg import LinAlgError

    for i in np.ndindex(a.shape[:-2]):
        try:
            res = fn(a[i])
        except LinAlgError:
            for o in outs:
                o[i] = np.nan
            continue
        for o, r in zip(outs, res if isinstance(res, tuple) else (res,), strict=True):
            o[i] = r
    return outs


# ---- cholesky -------------------------------------------------------------------------------


def cholesky_impl(a):
    a = np.asarray(a)
    w = _work(a)
    # Rebuild the Hermitian matrix from the lower triangle so the upper one is never read.
    herm = np.tril(w) + _adjoint(np.tril(w, -1))
    try:
        factor = np.linalg.cholesky(herm)
    except np.linalg.LinAlgError:
        (factor,) = _per_matrix(np.linalg.cholesky, herm, [np.empty_like(herm)])
    return factor.astype(a.dtype, copy=False)


# ---- triangular_solve -----------------------------------------------------------------------


def triangular_solve_impl(a, b, *, left_side, lower, transpose_a, conjugate_a=False, unit_diagonal=False):
    from scipy.linalg import get_blas_funcs

    a, b = np.asarray(a), np.asarray(b)
    out_dtype = b.dtype
    wa, wb = _work(a), _work(b)
    out = np.empty(wb.shape, wb.dtype)
    if out.size == 0:
        return out.astype(out_dtype)
    if wa.shape[-1] == 0:
        return np.zeros(b.shape, out_dtype)
    # trsm's trans_a: 0 = op(a) is a, 1 = a^T, 2 = a^H. Conjugation without transposition has
    # no flag, so conjugate a itself then.
    if transpose_a:
        trans = 2 if conjugate_a and dtypes.is_complex(wa.dtype) else 1
    else:
        trans = 0
        if conjugate_a:
            wa = np.conj(wa)
    (trsm,) = get_blas_funcs(("trsm",), (wa[(0,) * (wa.ndim - 2)], wb[(0,) * (wb.ndim - 2)]))
    for i in np.ndindex(wa.shape[:-2]):
        out[i] = trsm(
            1.0,
            wa[i],
            wb[i],
            side=0 if left_side else 1,
            lower=int(bool(lower)),
            trans_a=trans,
            diag=int(bool(unit_diagonal)),
        )
    return out.astype(out_dtype, copy=False)


# ---- lu -------------------------------------------------------------------------------------


def lu_impl(a):
    from scipy.linalg import get_lapack_funcs

    a = np.asarray(a)
    w = _work(a)
    *batch, m, n = w.shape
    k = min(m, n)
    lu = np.empty(w.shape, w.dtype)
    pivots = np.zeros((*batch, k), np.int32)
    if w.size:
        (getrf,) = get_lapack_funcs(("getrf",), (w[(0,) * len(batch)],))
        for i in np.ndindex(*batch):
            # A singular matrix (info > 0) still has a valid factorisation; keep it, as JAX does.
            lu[i], pivots[i], _ = getrf(w[i])
    else:
        lu[...] = w
    # Replay the row swaps on 0..m-1 to get the permutation with a[perm] = L @ U.
    nb = int(np.prod(batch, dtype=np.int64))
    flat_perm = np.tile(np.arange(m, dtype=np.int32), (nb, 1))
    flat_piv = pivots.reshape(nb, k)
    rows = np.arange(nb)
    for j in range(k):
        p = flat_piv[:, j]
        at_j, at_p = flat_perm[rows, j].copy(), flat_perm[rows, p].copy()
        flat_perm[rows, j], flat_perm[rows, p] = at_p, at_j
    return [lu.astype(a.dtype, copy=False), pivots, flat_perm.reshape(*batch, m)]


# ---- qr -------------------------------------------------------------------------------------


def qr_impl(a, *, full_matrices):
    a = np.asarray(a)
    q, r = np.linalg.qr(_work(a), mode="complete" if full_matrices else "reduced")
    return [q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)]


# ---- eigh -----------------------------------------------------------------------------------


def eigh_impl(a, *, lower=True, sort_eigenvalues=True):
    a = np.asarray(a)
    w_in = _work(a)
    uplo = "L" if lower else "U"
    try:
        w, v = np.linalg.eigh(w_in, UPLO=uplo)
    except np.linalg.LinAlgError:
        w = np.empty(w_in.shape[:-1], _real_dtype(w_in.dtype))
        v = np.empty_like(w_in)
        _per_matrix(lambda x: np.linalg.eigh(x, UPLO=uplo), w_in, [w, v])
    # LAPACK's syevd already returns ascending eigenvalues; unsorted order is unspecified, so
    # sort_eigenvalues=False may return the same.
    return [v.astype(a.dtype, copy=False), w.astype(_real_dtype(a.dtype), copy=False)]


# ---- svd ------------------------------------------------------------------------------------


def svd_impl(a, *, full_matrices, compute_uv):
    a = np.asarray(a)
    w_in = _work(a)
    real = _real_dtype(a.dtype)
    *batch, m, n = w_in.shape
    k = min(m, n)
    try:
        res = np.linalg.svd(w_in, full_matrices=full_matrices, compute_uv=compute_uv)
    except np.linalg.LinAlgError:
        um, vn = (m, n) if full_matrices else (k, k)
        s = np.empty((*batch, k), _real_dtype(w_in.dtype))
        outs = [s]
        if compute_uv:
            outs = [np.empty((*batch, m, um), w_in.dtype), s, np.empty((*batch, vn, n), w_in.dtype)]
        _per_matrix(
            lambda x: np.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv), w_in, outs
        )
        res = tuple(outs) if compute_uv else s
    if not compute_uv:
        return [res.astype(real, copy=False)]
    u, s, vt = res
    return [s.astype(real, copy=False), u.astype(a.dtype, copy=False), vt.astype(a.dtype, copy=False)]


LINALG_IMPLS = {
    cholesky_p: cholesky_impl,
    triangular_solve_p: triangular_solve_impl,
    lu_p: lu_impl,
    qr_p: qr_impl,
    eigh_p: eigh_impl,
    svd_p: svd_impl,
}
