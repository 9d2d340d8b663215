"""jaxlite.scipy.linalg: the factor-and-solve API of scipy.linalg, plus expm, on jaxlite.lax.

overwrite_* and check_finite arguments are accepted and ignored (arrays are immutable and JAX
does not check), as in jax.scipy.linalg.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import lax
from ..numpy import linalg as _np_linalg
from ..numpy import ufuncs
from ..numpy._linalg_norm import _conj_t, _eye, _mT, where
from ..numpy._util import broadcast_shapes, broadcast_to_shape, promote_dtypes_inexact
from ..numpy.linalg_ops import matmul
from .special import check_arraylike

__all__ = [
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "expm",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]


def _fname(name):
    return f"jaxlite.scipy.linalg.{name}"


def _inexact(name, *xs):
    check_arraylike(_fname(name), *xs)
    return promote_dtypes_inexact(*xs)


def _square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{_fname(name)}: a must have shape [..., n, n], got {tuple(a.shape)}")


def _as_matrix_rhs(name, a, b):
    """b as (batch..., n, k) with a's batch broadcast in; returns (a, b, was_vector)."""
    n = a.shape[-1]
    vector = b.ndim == a.ndim - 1
    if vector:
        b = lax.expand_dims(b, (b.ndim,))
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"{_fname(name)}: b of shape {tuple(b.shape)} does not match a of shape {tuple(a.shape)}"
        )
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], fname=f"scipy.linalg.{name}")
    return broadcast_to_shape(a, batch + a.shape[-2:]), broadcast_to_shape(b, batch + b.shape[-2:]), vector


def _finish(x, vector):
    return lax.squeeze(x, (x.ndim - 1,)) if vector else x


# ---- Cholesky ---------------------------------------------------------------------------------


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a positive-definite matrix (upper triangular unless `lower`)."""
    (a,) = _inexact("cholesky", a)
    _square("cholesky", a)
    L = lax.linalg.cholesky(a)
    return L if lower else _conj_t(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): the Cholesky factor (the other triangle is zero) and which one it is."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve a x = b given cho_factor(a)."""
    c, lower = c_and_lower
    c, b = _inexact("cho_solve", c, b)
    _square("cho_solve", c)
    c, b, vector = _as_matrix_rhs("cho_solve", c, b)
    # a = L L^H: solve L y = b then L^H x = y (with L = U^H when the factor is upper).
    y = lax.linalg.triangular_solve(
        c, b, left_side=True, lower=lower, transpose_a=not lower, conjugate_a=not lower
    )
    x = lax.linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower, conjugate_a=lower)
    return _finish(x, vector)


# ---- triangular and general solves ------------------------------------------------------------


def solve_triangular(
    a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None, check_finite=True
):
    """Solve op(a) x = b for triangular a; trans 0/'N' (a), 1/'T' (a^T) or 2/'C' (a^H)."""
    a, b = _inexact("solve_triangular", a, b)
    _square("solve_triangular", a)
    codes = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}
    if trans not in codes:
        raise ValueError(
            f"{_fname('solve_triangular')}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}"
        )
    t = codes[trans]
    a, b, vector = _as_matrix_rhs("solve_triangular", a, b)
    x = lax.linalg.triangular_solve(
        a,
        b,
        left_side=True,
        lower=bool(lower),
        transpose_a=t > 0,
        conjugate_a=t == 2,
        unit_diagonal=bool(unit_diagonal),
    )
    return _finish(x, vector)


def solve(
    a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, check_finite=True, assume_a="gen"
):
    """Solve a x = b; assume_a='pos' uses Cholesky, anything else LU."""
    a, b = _inexact("solve", a, b)
    _square("solve", a)
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower=True), b)
    a, b, vector = _as_matrix_rhs("solve", a, b)
    return _finish(_np_linalg.solve(a, b), vector)


# ---- LU ---------------------------------------------------------------------------------------


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): L and U packed in one matrix, and LAPACK-style row swaps (row i with piv[i])."""
    (a,) = _inexact("lu_factor", a)
    lu_, piv, _ = lax.linalg.lu(a)
    return lu_, piv


def _pivots_to_permutation(piv, m):
    """Apply the swaps (i, piv[i]) in order to iota(m). A static loop of min(m, n) steps, each a
    few selects; fine for the matrix sizes this API sees (a fori_loop would keep the IR small)."""
    shape = piv.shape[:-1] + (m,)
    last = len(shape) - 1
    iota = lax.broadcasted_iota(np.int32, shape, last)

    def spread(v):  # (..., 1) -> (..., m)
        return lax.broadcast_in_dim(v, shape, tuple(range(len(shape))))

    perm = iota
    for i in range(piv.shape[-1]):
        at_j = lax.eq(iota, spread(lax.index_in_dim(piv, i, last, keepdims=True)))
        p_i = lax.index_in_dim(perm, i, last, keepdims=True)
        p_j = lax.reduce_sum(lax.select(at_j, perm, lax.full(shape, 0, np.int32)), (last,))
        at_i = lax.eq(iota, lax.full(shape, i, np.int32))
        perm = lax.select(at_i, spread(lax.expand_dims(p_j, (last,))), lax.select(at_j, spread(p_i), perm))
    return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve a x = b (trans 0), a^T x = b (1) or a^H x = b (2) given lu_factor(a)."""
    lu_, piv = lu_and_piv
    lu_, b = _inexact("lu_solve", lu_, b)
    _square("lu_solve", lu_)
    n = lu_.shape[-1]
    lu_, b, vector = _as_matrix_rhs("lu_solve", lu_, b)
    piv = broadcast_to_shape(piv, lu_.shape[:-2] + piv.shape[-1:])
    perm = _pivots_to_permutation(piv, n)
    if trans in (0, "N"):
        x = _np_linalg._lu_solve(lu_, perm, b)
    elif trans in (1, 2, "T", "C"):
        conj = trans in (2, "C")
        # a = P^T L U, so a^T x = b is U^T L^T (P x) = b.
        y = lax.linalg.triangular_solve(
            lu_, b, left_side=True, lower=False, transpose_a=True, conjugate_a=conj
        )
        z = lax.linalg.triangular_solve(
            lu_, y, left_side=True, lower=True, transpose_a=True, conjugate_a=conj, unit_diagonal=True
        )
        inv_perm = lax.sort_key_val(
            perm, lax.broadcasted_iota(np.int32, perm.shape, perm.ndim - 1), dimension=perm.ndim - 1
        )[1]
        x = _np_linalg._permute_rows(z, inv_perm)
    else:
        raise ValueError(f"{_fname('lu_solve')}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    return _finish(x, vector)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p @ l @ u, or (p @ l, u) when permute_l."""
    (a,) = _inexact("lu", a)
    if a.ndim < 2:
        raise ValueError(f"{_fname('lu')}: a must have ndim >= 2, got shape {tuple(a.shape)}")
    lu_, _, perm = lax.linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    nb = a.ndim - 2
    rows = lax.broadcasted_iota(np.int32, (m, k), 0)
    cols = lax.broadcasted_iota(np.int32, (m, k), 1)
    l_part = lax.slice(lu_, (0,) * (nb + 2), a.shape[:-2] + (m, k))
    zero = lax.full((), 0, a.dtype)
    l_mat = lax.add(
        where(lax.gt(rows, cols), l_part, zero), lax.convert_element_type(lax.eq(rows, cols), a.dtype)
    )
    u_part = lax.slice(lu_, (0,) * (nb + 2), a.shape[:-2] + (k, n))
    u_mat = where(
        lax.le(lax.broadcasted_iota(np.int32, (k, n), 0), lax.broadcasted_iota(np.int32, (k, n), 1)),
        u_part,
        zero,
    )
    # a[perm] = l u, so p[perm[i], i] = 1.
    full = perm.shape + (m,)
    onehot = lax.eq(
        lax.broadcast_in_dim(perm, full, tuple(range(perm.ndim))),
        lax.broadcasted_iota(np.int32, full, perm.ndim),
    )
    p = _mT(lax.convert_element_type(onehot, a.dtype))
    if permute_l:
        return matmul(p, l_mat), u_mat
    return p, l_mat, u_mat


# ---- re-exports with scipy's signatures --------------------------------------------------------


def inv(a, overwrite_a=False, check_finite=True):
    """The inverse of a square matrix."""
    return _np_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant of a square matrix."""
    return _np_linalg.det(a)


def eigh(
    a,
    b=None,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    turbo=True,
    eigvals=None,
    type=1,
    check_finite=True,
):  # noqa: A002 - scipy's name
    """(w, v) of a Hermitian matrix (w ascending); only the standard problem (b=None)."""
    if b is not None:
        raise NotImplementedError(
            f"{_fname('eigh')}: the generalized problem (b is not None) is not supported"
        )
    if eigvals is not None:
        raise NotImplementedError(f"{_fname('eigh')}: eigvals= (a subset) is not supported")
    w, v = _np_linalg.eigh(a, UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """The QR decomposition (`mode` 'full', 'economic' or 'r', as SciPy)."""
    if pivoting:
        raise NotImplementedError(f"{_fname('qr')}: pivoting=True is not supported")
    modes = {"full": "complete", "economic": "reduced", "r": "r"}
    if mode not in modes:
        raise ValueError(f"{_fname('qr')}: mode must be 'full', 'economic' or 'r', got {mode!r}")
    out = _np_linalg.qr(a, mode=modes[mode])
    return (out,) if mode == "r" else tuple(out)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """The singular value decomposition `u, s, vh` (only `s` unless `compute_uv`)."""
    out = _np_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


# ---- expm -------------------------------------------------------------------------------------

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# Pade coefficients b_j and the largest 1-norm for which each degree is accurate to unit roundoff.
_PADE7 = (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0)
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA7 = 3.925724783138660
_THETA13 = 5.371920351148152


def _scaled_sum(terms, coeffs, like):
    out = None
    for t, c in zip(terms, coeffs, strict=True):
        v = lax.mul(t, lax.full((), c, like.dtype))
        out = v if out is None else lax.add(out, v)
    return out


def _pade(A, eye, coeffs):
    """(U, V) with exp(A) ~ (V - U)^-1 (V + U): odd and even parts of the Pade numerator."""
    A2 = matmul(A, A)
    if len(coeffs) == 8:  # degree 7
        A4 = matmul(A2, A2)
        A6 = matmul(A4, A2)
        U = matmul(A, _scaled_sum([A6, A4, A2, eye], coeffs[7:0:-2], A))
        V = _scaled_sum([A6, A4, A2, eye], coeffs[6::-2], A)
        return U, V
    A4 = matmul(A2, A2)
    A6 = matmul(A4, A2)
    b = coeffs
    inner_u = matmul(A6, _scaled_sum([A6, A4, A2], (b[13], b[11], b[9]), A))
    U = matmul(A, lax.add(inner_u, _scaled_sum([A6, A4, A2, eye], (b[7], b[5], b[3], b[1]), A)))
    inner_v = matmul(A6, _scaled_sum([A6, A4, A2], (b[12], b[10], b[8]), A))
    V = lax.add(inner_v, _scaled_sum([A6, A4, A2, eye], (b[6], b[4], b[2], b[0]), A))
    return U, V


def expm(A, *, upper_triangular=False, max_squarings=16):
    """Matrix exponential by scaling and squaring with a Pade approximant (degree 13 in double
    precision, 7 in single). The number of squarings depends on the values, so all
    `max_squarings` squarings are staged and each is selected in or out."""
    (A,) = _inexact("expm", A)
    _square("expm", A)
    n = A.shape[-1]
    if n == 0:
        return A
    double = A.dtype in (dtypes.float64, dtypes.complex128)
    coeffs, theta = (_PADE13, _THETA13) if double else (_PADE7, _THETA7)
    absA = ufuncs.abs(A)
    norm1 = lax.reduce_max(lax.reduce_sum(absA, (A.ndim - 2,)), (A.ndim - 2,))
    ratio = lax.div(norm1, lax.full((), theta, norm1.dtype))
    s = lax.ceil(lax.div(lax.log(ratio), lax.full((), np.log(2.0), norm1.dtype)))
    s = lax.clamp(
        lax.full((), 0, s.dtype),
        where(lax.ne(s, s), lax.full((), 0, s.dtype), s),
        lax.full((), float(max_squarings), s.dtype),
    )
    scale = lax.exp2(lax.neg(s))
    bdims = tuple(range(A.ndim - 2))
    A_scaled = lax.mul(A, lax.broadcast_in_dim(lax.convert_element_type(scale, A.dtype), A.shape, bdims))
    eye = broadcast_to_shape(_eye(n, A.dtype), A.shape)
    U, V = _pade(A_scaled, eye, coeffs)
    R = _np_linalg.solve(lax.sub(V, U), lax.add(V, U))
    s_full = lax.broadcast_in_dim(s, A.shape, bdims)
    for i in range(int(max_squarings)):
        R = lax.select(lax.lt(lax.full(A.shape, float(i), s.dtype), s_full), matmul(R, R), R)
    return R
