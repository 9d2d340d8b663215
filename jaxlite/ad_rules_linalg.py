"""Derivatives of the linear-algebra primitives, from the matrix-calculus literature:

- cholesky: Murray, "Differentiation of the Cholesky decomposition" (2016):
  dL = L Phi(L^-1 dA L^-H), Phi = lower triangle with the diagonal halved.
- triangular_solve: differentiate op(A) X = B (left) or X op(A) = B (right).
- lu: from P A = L U, L^-1 P dA U^-1 = L^-1 dL + dU U^-1 (strictly lower + upper parts).
- qr: from A = Q R with Q^H Q = I and R upper triangular (Walter & Lehmann; Seeger et al. 2017).
- eigh: first-order perturbation theory (Seeger et al. 2017): dw = diag(V^H dA V),
  dV = V (F o V^H dA V) with F_ij = 1/(w_j - w_i) off the diagonal.
- svd: Townsend, "Differentiating the singular value decomposition" (2016), thin form.

Each tangent is written on lax ops (dot_general, triangular_solve, select, ...) with the
primal factors as residuals, so it transposes with the generic rules.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from . import lax
from .ad import LINEAR_PRIMITIVES, Zero, defjvp, jvp_rules, tangent_aval, transpose_rules, zeros_like_aval
from .core import bind, get_aval


def _swap(x):
    nd = np.ndim(x)
    return lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _h(x):
    """Conjugate transpose of the last two axes."""
    x = _swap(x)
    return lax.conj(x) if dtypes.is_complex(x.dtype) else x


def _mm(a, b):
    """Batched matrix product over the leading axes (a and b share them)."""
    nb = np.ndim(a) - 2
    batch = tuple(range(nb))
    return lax.dot_general(a, b, (((nb + 1,), (nb,)), (batch, batch)))


def _band_mask(shape, k, lower):
    """Boolean mask of shape `shape`: j - i <= k (lower) or j - i >= k (upper), for the last two
    axes (row i, column j)."""
    nd = len(shape)
    rows = lax.broadcasted_iota(dtypes.int32, shape, nd - 2)
    cols = lax.broadcasted_iota(dtypes.int32, shape, nd - 1)
    diff = lax.sub(cols, rows)
    return lax.le(diff, k) if lower else lax.ge(diff, k)


def _where_mask(mask, x):
    return lax.select(mask, x, zeros_like_aval(get_aval(x).update(weak_type=False)))


def tril(x, k=0):
    return _where_mask(_band_mask(np.shape(x), k, True), x)


def triu(x, k=0):
    return _where_mask(_band_mask(np.shape(x), k, False), x)


def _eye_like(shape, dtype):
    nd = len(shape)
    rows = lax.broadcasted_iota(dtypes.int32, shape, nd - 2)
    cols = lax.broadcasted_iota(dtypes.int32, shape, nd - 1)
    return lax.convert_element_type(lax.eq(rows, cols), dtype)


def _diagonal(x):
    """The diagonal of (a batch of) square matrices, as the last axis."""
    return lax.reduce_sum(lax.mul(x, _eye_like(np.shape(x), x.dtype)), (np.ndim(x) - 1,))


def _col_scale(x, v):
    """x[..., i, j] * v[..., j]."""
    nd = np.ndim(x)
    return lax.mul(x, lax.broadcast_in_dim(v, np.shape(x), tuple(range(nd - 2)) + (nd - 1,)))


def _as(x, dtype):
    return x if x.dtype == dtype else lax.convert_element_type(x, dtype)


# ---- cholesky -----------------------------------------------------------------------------


def _cholesky_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    L = bind(P.cholesky_p, a)
    solve = lambda b, **kw: lax.linalg.triangular_solve(L, b, lower=True, **kw)  # noqa: E731
    x = solve(solve(da, left_side=False, transpose_a=True, conjugate_a=True), left_side=True)
    shape = np.shape(x)
    half_diag = lax.sub(lax.full(shape, 1, x.dtype), lax.mul(_eye_like(shape, x.dtype), 0.5))
    return L, _mm(L, lax.mul(tril(x), half_diag))


jvp_rules[P.cholesky_p] = _cholesky_jvp

# ---- triangular_solve ----------------------------------------------------------------------


def _triangular_solve_jvp_a(g, ans, a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    k = 1 if unit_diagonal else 0
    g = tril(g, -k) if lower else triu(g, k)  # only this triangle of a is read
    g = lax.neg(g)
    g = _swap(g) if transpose_a else g
    g = lax.conj(g) if conjugate_a else g
    rhs = _mm(g, ans) if left_side else _mm(ans, g)
    return lax.linalg.triangular_solve(a, rhs, left_side=left_side, lower=lower, transpose_a=transpose_a,
                                       conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)


def _triangular_solve_jvp_b(g, ans, a, b, **params):
    return bind(P.triangular_solve_p, a, g, **params)


def _triangular_solve_transpose(ct, a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    # The transpose (not the adjoint) of b -> op(a)^-1 b is ct -> op(a)^-T ct.
    ct_b = lax.linalg.triangular_solve(a, ct, left_side=left_side, lower=lower,
                                       transpose_a=not transpose_a, conjugate_a=conjugate_a,
                                       unit_diagonal=unit_diagonal)
    return [None, ct_b]


defjvp(P.triangular_solve_p, _triangular_solve_jvp_a, _triangular_solve_jvp_b)
transpose_rules[P.triangular_solve_p] = _triangular_solve_transpose
LINEAR_PRIMITIVES.add(P.triangular_solve_p)

# ---- lu ------------------------------------------------------------------------------------


def _lu_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    lu, pivots, perm = bind(P.lu_p, a)
    shape = np.shape(a)
    m, n = shape[-2:]
    k = min(m, n)
    batch = shape[:-2]
    nb = len(batch)
    # P dA as a product with the permutation matrix (rows[i] = dA[perm[i]])
    pmat = lax.eq(lax.broadcast_in_dim(perm, batch + (m, m), tuple(range(nb + 1))),
                  lax.broadcasted_iota(perm.dtype, batch + (m, m), nb + 1))
    x = _mm(_as(pmat, a.dtype), da)
    no_pad = [(0, 0, 0)] * nb
    zero = lax.full((), 0, a.dtype)
    l = tril(lax.slice_in_dim(lu, 0, k, 1, nb + 1), -1)
    l = lax.pad(l, zero, no_pad + [(0, 0, 0), (0, m - k, 0)])
    l = lax.add(l, _eye_like(batch + (m, m), a.dtype))
    u = triu(lax.slice_in_dim(lu, 0, k, 1, nb))
    u = lax.pad(u, zero, no_pad + [(0, n - k, 0), (0, 0, 0)])
    u_eye = lax.mul(_eye_like(batch + (n, n), a.dtype), lax.convert_element_type(
        lax.ge(lax.broadcasted_iota(dtypes.int32, batch + (n, n), nb), k), a.dtype))
    u = lax.add(u, u_eye)
    la = lax.linalg.triangular_solve(l, x, left_side=True, lower=True, unit_diagonal=True)
    lau = lax.linalg.triangular_solve(u, la, left_side=False, lower=False)
    lu_dot = lax.add(_mm(l, tril(lau, -1)), _mm(triu(lau), u))
    int_zero = lambda v: Zero(tangent_aval(get_aval(v)))  # noqa: E731
    return [lu, pivots, perm], [lu_dot, int_zero(pivots), int_zero(perm)]


jvp_rules[P.lu_p] = _lu_jvp

# ---- qr ------------------------------------------------------------------------------------


def _qr_jvp(primals, tangents, *, full_matrices):
    (a,), (da,) = primals, tangents
    q, r = bind(P.qr_p, a, full_matrices=full_matrices)
    m, n = np.shape(a)[-2:]
    if m < n or (full_matrices and m > n):
        raise NotImplementedError(
            "Unimplemented case of QR decomposition derivative: needs m >= n, and "
            "full_matrices=False unless the matrix is square")
    dx_rinv = lax.linalg.triangular_solve(r, da, left_side=False, lower=False)  # dA R^-1
    qt_dx_rinv = _mm(_h(q), dx_rinv)
    low = tril(qt_dx_rinv, -1)
    omega = lax.sub(low, _h(low))  # the skew-Hermitian Q^H dQ
    if dtypes.is_complex(a.dtype):  # its diagonal keeps the imaginary part of Q^H dA R^-1
        imag_diag = lax.sub(qt_dx_rinv, _as(lax.real(qt_dx_rinv), a.dtype))
        omega = lax.add(omega, lax.mul(_eye_like(np.shape(omega), a.dtype), imag_diag))
    dq = lax.add(_mm(q, lax.sub(omega, qt_dx_rinv)), dx_rinv)
    dr = _mm(lax.sub(qt_dx_rinv, omega), r)
    return [q, r], [dq, dr]


jvp_rules[P.qr_p] = _qr_jvp

# ---- eigh ----------------------------------------------------------------------------------


def _eigh_jvp(primals, tangents, *, lower=True, sort_eigenvalues=True):
    (a,), (da,) = primals, tangents
    v, w = bind(P.eigh_p, a, lower=lower, sort_eigenvalues=sort_eigenvalues)
    shape = np.shape(a)
    nd = len(shape)
    lead = tuple(range(nd - 2))
    w_cols = lax.broadcast_in_dim(w, shape, lead + (nd - 1,))  # [i, j] = w_j
    w_rows = lax.broadcast_in_dim(w, shape, lead + (nd - 2,))  # [i, j] = w_i
    eye = _eye_like(shape, w.dtype)
    f = lax.sub(lax.div(lax.full(shape, 1, w.dtype), lax.add(lax.sub(w_cols, w_rows), eye)), eye)
    vhdav = _mm(_mm(_h(v), da), v)
    dv = _mm(v, lax.mul(_as(f, a.dtype), vhdav))
    dw = _diagonal(vhdav)
    dw = lax.real(dw) if dtypes.is_complex(dw.dtype) else dw
    return [v, w], [dv, dw]


jvp_rules[P.eigh_p] = _eigh_jvp

# ---- svd -----------------------------------------------------------------------------------


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (a,), (da,) = primals, tangents
    shape = np.shape(a)
    m, n = shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            "Singular value decomposition JVP not implemented for full matrices; use "
            "full_matrices=False")
    s, u, vt = bind(P.svd_p, a, full_matrices=False, compute_uv=True)
    v = _h(vt)
    ds_mat = _mm(_mm(_h(u), da), v)  # U^H dA V, k x k
    ds = _diagonal(ds_mat)
    ds = lax.real(ds) if dtypes.is_complex(ds.dtype) else ds
    if not compute_uv:
        return [s], [ds]
    k = min(m, n)
    kshape = shape[:-2] + (k, k)
    nd = len(kshape)
    lead = tuple(range(nd - 2))
    s_cols = lax.broadcast_in_dim(s, kshape, lead + (nd - 1,))  # [i, j] = s_j
    s_rows = lax.broadcast_in_dim(s, kshape, lead + (nd - 2,))  # [i, j] = s_i
    eye = _eye_like(kshape, s.dtype)
    sq_diff = lax.mul(lax.add(s_cols, s_rows), lax.sub(s_cols, s_rows))  # s_j^2 - s_i^2
    f = _as(lax.sub(lax.div(lax.full(kshape, 1, s.dtype), lax.add(sq_diff, eye)), eye), a.dtype)
    s_is_zero = lax.convert_element_type(lax.eq(s, 0.0), s.dtype)
    s_inv = lax.sub(lax.div(lax.full(np.shape(s), 1, s.dtype), lax.add(s, s_is_zero)), s_is_zero)
    s_c, s_inv_c = _as(s, a.dtype), _as(s_inv, a.dtype)
    ds_s = _col_scale(ds_mat, s_c)  # dP S
    s_ds = _swap(_col_scale(_swap(ds_mat), s_c))  # S dP
    du_core = lax.mul(f, lax.add(ds_s, _h(ds_s)))
    if dtypes.is_complex(a.dtype):  # the phase freedom: imaginary diagonal of dP, over s
        skew = lax.mul(lax.sub(ds_mat, _h(ds_mat)), 0.5)
        du_core = lax.add(du_core, _col_scale(lax.mul(skew, _eye_like(kshape, a.dtype)), s_inv_c))
    du = _mm(u, du_core)
    dv = _mm(v, lax.mul(f, lax.add(s_ds, _h(s_ds))))
    if m > n:  # the part of dA V outside U's span
        dav = _mm(da, v)
        du = lax.add(du, _col_scale(lax.sub(dav, _mm(u, _mm(_h(u), dav))), s_inv_c))
    if n > m:
        dahu = _mm(_h(da), u)
        dv = lax.add(dv, _col_scale(lax.sub(dahu, _mm(v, _mm(vt, dahu))), s_inv_c))
    return [s, u, vt], [ds, du, _h(dv)]


jvp_rules[P.svd_p] = _svd_jvp
