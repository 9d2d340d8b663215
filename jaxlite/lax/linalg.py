"""jaxlite.lax.linalg: factorizations and triangular solves, as jax.lax.linalg."""

from __future__ import annotations

from compiler import primitives as P

from ..core import bind
from . import elementwise as E
from . import structural as S


def _symmetrize(x):
    nd = len(x.shape)
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return E.div(E.add(x, E.conj(S.transpose(x, perm)) if x.dtype.kind == "c" else S.transpose(x, perm)), 2)


def cholesky(x, *, symmetrize_input: bool = True):
    """Lower Cholesky factor; NaNs where x is not positive definite (as JAX)."""
    if symmetrize_input:
        x = _symmetrize(x)
    return bind(P.cholesky_p, x)


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False, conjugate_a=False,
                     unit_diagonal=False):
    return bind(P.triangular_solve_p, a, b, left_side=bool(left_side), lower=bool(lower),
                transpose_a=bool(transpose_a), conjugate_a=bool(conjugate_a),
                unit_diagonal=bool(unit_diagonal))


def lu(x):
    """(lu, pivots, permutation) with P @ x = L @ U, as jax.lax.linalg.lu."""
    out = bind(P.lu_p, x)
    return tuple(out)


def qr(x, *, full_matrices=True):
    q, r = bind(P.qr_p, x, full_matrices=bool(full_matrices))
    return q, r


def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True):
    """(v, w): eigenvectors as columns of v and ascending eigenvalues w, as jax.lax.linalg.eigh."""
    if symmetrize_input:
        x = _symmetrize(x)
    v, w = bind(P.eigh_p, x, lower=bool(lower), sort_eigenvalues=bool(sort_eigenvalues))
    return v, w


def svd(x, *, full_matrices=True, compute_uv=True):
    """(u, s, vh), or s alone when compute_uv is False, as jax.lax.linalg.svd."""
    out = bind(P.svd_p, x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return out[0]
    s, u, vt = out
    return u, s, vt
