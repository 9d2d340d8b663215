"""jaxlite.numpy.linalg: decompositions, solvers and determinants on jaxlite.lax.linalg.

Solvers go through the LU factorisation (solve, inv, det, slogdet), spectral functions through
eigh / svd. Norms and the array-API extras (matrix_norm, vector_norm, trace, diagonal, cross,
...) live in _linalg_norm.py and are re-exported here.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from compiler import dtypes

from .. import lax
from . import ufuncs
from ._linalg_norm import (
    _check_square,
    _conj_t,
    _diag,
    _eye,
    _max_last,
    _min_last,
    _real_dtype,
    _sum_last,
    cross,
    diagonal,
    matrix_norm,
    norm,
    outer,
    svdvals,
    trace,
    vector_norm,
    where,
)
from ._util import broadcast_shapes, broadcast_to_shape, check_arraylike, promote_dtypes_inexact
from .linalg_ops import matmul, matrix_transpose, tensordot, vecdot

__all__ = [
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
    "EighResult",
    "QRResult",
    "SlogdetResult",
    "SVDResult",
]


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def _inexact(name, *xs):
    check_arraylike(f"linalg.{name}", *xs)
    return promote_dtypes_inexact(*xs)


# ---- Cholesky, eigh, svd, qr ------------------------------------------------------------------


def cholesky(a, *, upper=False, symmetrize_input=True):
    """Cholesky factor L with a = L @ L^H (or U = L^H when upper=True); NaNs where a is not
    positive definite, as JAX (NumPy raises)."""
    (a,) = _inexact("cholesky", a)
    _check_square("cholesky", a)
    L = lax.linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _conj_t(L) if upper else L


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix."""
    (a,) = _inexact("eigh", a)
    _check_square("eigh", a)
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"jaxlite.numpy.linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = lax.linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    """Eigenvalues of a Hermitian (symmetric) matrix, ascending."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def eig(a):
    """Eigenvalues and right eigenvectors of a general square matrix (complex results; not differentiable)."""
    raise NotImplementedError(
        "jaxlite.numpy.linalg.eig: general (non-symmetric) eigendecomposition is not available; "
        "use jnp.linalg.eigh for symmetric or Hermitian matrices"
    )


def eigvals(a):
    """Eigenvalues of a general square matrix (complex results)."""
    raise NotImplementedError(
        "jaxlite.numpy.linalg.eigvals: general (non-symmetric) eigenvalues are not available; "
        "use jnp.linalg.eigvalsh for symmetric or Hermitian matrices"
    )


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """(U, S, Vh) with a = U @ diag(S) @ Vh and S descending; S alone if compute_uv=False.

    hermitian=True is accepted and computed by the general SVD (same S; U and Vh may differ from
    an eigh-based answer by unit phases, as any SVD can)."""
    (a,) = _inexact("svd", a)
    if a.ndim < 2:
        raise ValueError(f"jaxlite.numpy.linalg.svd: a must have ndim >= 2, got shape {tuple(a.shape)}")
    if subset_by_index is not None:
        raise NotImplementedError("jaxlite.numpy.linalg.svd: subset_by_index is not supported")
    if not compute_uv:
        return lax.linalg.svd(a, full_matrices=False, compute_uv=False)
    u, s, vh = lax.linalg.svd(a, full_matrices=bool(full_matrices), compute_uv=True)
    return SVDResult(u, s, vh)


def qr(a, mode="reduced"):
    """QR decomposition; mode 'reduced', 'complete' or 'r' (R only)."""
    (a,) = _inexact("qr", a)
    if a.ndim < 2:
        raise ValueError(f"jaxlite.numpy.linalg.qr: a must have ndim >= 2, got shape {tuple(a.shape)}")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"jaxlite.numpy.linalg.qr: unsupported mode {mode!r}; use 'reduced', 'complete' or 'r'"
        )
    q, r = lax.linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


# ---- LU-based: solve, inv, det, slogdet --------------------------------------------------------


def _permute_rows(b, perm):
    """b[..., perm[...,i], :] for each batch element, as one batched gather."""
    nb = b.ndim - 2
    k = b.shape[-1]
    dn = lax.GatherDimensionNumbers(
        offset_dims=(nb + 1,),
        collapsed_slice_dims=(nb,),
        start_index_map=(nb,),
        operand_batching_dims=tuple(range(nb)),
        start_indices_batching_dims=tuple(range(nb)),
    )
    idx = lax.expand_dims(perm, (perm.ndim,))
    return lax.gather(b, idx, dn, (1,) * (nb + 1) + (k,), mode="promise_in_bounds")


def _lu_solve(lu, perm, b):
    """Solve with a factorisation P a = L U: x = U^-1 L^-1 P b (b is (..., n, k))."""
    if lu.shape[-1] == 0:
        return b
    y = lax.linalg.triangular_solve(
        lu, _permute_rows(b, perm), left_side=True, lower=True, unit_diagonal=True
    )
    return lax.linalg.triangular_solve(lu, y, left_side=True, lower=False)


def solve(a, b):
    """Solve a @ x = b. As NumPy 2: b is a vector (..., n) only when b.ndim == 1; otherwise it
    is a stack of (n, k) matrices whose batch axes broadcast against a's."""
    a, b = _inexact("solve", a, b)
    _check_square("solve", a)
    n = a.shape[-1]
    vector = b.ndim == 1
    if vector:
        b = lax.reshape(b, (b.shape[0], 1))
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"jaxlite.numpy.linalg.solve: b must have shape ({n},) or (..., {n}, k) to match a of "
            f"shape {tuple(a.shape)}, got {(tuple(b.shape)[:1] if vector else tuple(b.shape))}; "
            f"for a batch of vectors use solve(a, b[..., None])[..., 0]"
        )
    try:
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], fname="linalg.solve")
    except ValueError:
        raise ValueError(
            f"jaxlite.numpy.linalg.solve: batch axes of a {tuple(a.shape)} and b "
            f"{tuple(b.shape)} do not broadcast"
        ) from None
    a = broadcast_to_shape(a, batch + (n, n))
    b = broadcast_to_shape(b, batch + b.shape[-2:])
    lu, _, perm = lax.linalg.lu(a)
    x = _lu_solve(lu, perm, b)
    if vector:
        x = lax.squeeze(x, (x.ndim - 1,))
    return x


def inv(a):
    """Inverse via LU; a singular matrix gives infs or NaNs, as JAX (NumPy raises)."""
    (a,) = _inexact("inv", a)
    _check_square("inv", a)
    n = a.shape[-1]
    eye = broadcast_to_shape(_eye(n, a.dtype), a.shape)
    lu, _, perm = lax.linalg.lu(a)
    return _lu_solve(lu, perm, eye)


def _lu_parts(a):
    """(diagonal of U, parity of P as 0/1 int32) for a batch of square matrices."""
    lu, pivots, _ = lax.linalg.lu(a)
    n = a.shape[-1]
    swaps = lax.ne(pivots, lax.broadcasted_iota(np.int32, pivots.shape, pivots.ndim - 1))
    nswaps = (
        _sum_last(lax.convert_element_type(swaps, np.int32)) if n else lax.full(a.shape[:-2], 0, np.int32)
    )
    return _diag(lu), lax.rem(nswaps, 2)


def det(a):
    """Determinant: product of U's diagonal times the sign of the row permutation."""
    (a,) = _inexact("det", a)
    _check_square("det", a)
    if a.shape[-1] == 0:
        return lax.full(a.shape[:-2], 1, a.dtype)
    d, parity = _lu_parts(a)
    prod = lax.reduce_prod(d, (d.ndim - 1,))
    return where(lax.eq(parity, lax.full((), 1, np.int32)), lax.neg(prod), prod)


def slogdet(a, *, method=None):
    """(sign, log|det|): sign is 0 and logabsdet -inf for singular matrices."""
    (a,) = _inexact("slogdet", a)
    _check_square("slogdet", a)
    if method not in (None, "lu"):
        raise ValueError(f"jaxlite.numpy.linalg.slogdet: unsupported method {method!r}; use 'lu'")
    real_dt = _real_dtype(a.dtype)
    if a.shape[-1] == 0:
        return SlogdetResult(lax.full(a.shape[:-2], 1, a.dtype), lax.full(a.shape[:-2], 0, real_dt))
    d, parity = _lu_parts(a)
    absd = ufuncs.abs(d)
    logabs = _sum_last(lax.log(absd))
    zero = lax.eq(absd, lax.full((), 0, real_dt))
    any_zero = lax.reduce_or(zero, (zero.ndim - 1,))
    if dtypes.is_complex(a.dtype):
        unit = where(zero, lax.full((), 1, a.dtype), lax.div(d, lax.convert_element_type(absd, a.dtype)))
        sign = lax.reduce_prod(unit, (unit.ndim - 1,))
    else:
        sign = lax.reduce_prod(lax.sign(d), (d.ndim - 1,))
    sign = where(lax.eq(parity, lax.full((), 1, np.int32)), lax.neg(sign), sign)
    sign = where(any_zero, lax.full((), 0, a.dtype), sign)
    logabs = where(any_zero, lax.full((), -np.inf, real_dt), logabs)
    return SlogdetResult(sign, logabs)


# ---- SVD-based: lstsq, pinv, matrix_rank, cond -------------------------------------------------


def _eps(dtype):
    return float(np.finfo(dtype).eps)


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least-squares solution via the SVD: (x, residuals, rank, singular values).

    As JAX, residuals are |b - a x|^2 summed over rows whatever the rank, unless numpy_resid=True
    (then they are empty unless the rank is full and m > n, which needs a concrete rank)."""
    a, b = _inexact("lstsq", a, b)
    if a.ndim != 2:
        raise TypeError(f"jaxlite.numpy.linalg.lstsq: a must be a 2-d matrix, got shape {tuple(a.shape)}")
    vector = b.ndim == 1
    if vector:
        b = lax.reshape(b, (b.shape[0], 1))
    if b.ndim != 2 or b.shape[0] != a.shape[0]:
        raise TypeError(
            f"jaxlite.numpy.linalg.lstsq: b must have shape ({a.shape[0]},) or "
            f"({a.shape[0]}, k) to match a of shape {tuple(a.shape)}"
        )
    m, n = a.shape
    real_dt = _real_dtype(a.dtype)
    if rcond is None:
        rcond = _eps(real_dt) * max(m, n)
    u, s, vh = lax.linalg.svd(a, full_matrices=False)
    if s.shape[0] == 0:
        cutoff = lax.full((), 0, real_dt)
    else:
        cutoff = lax.mul(lax.full((), rcond, real_dt), _max_last(s))
    keep = lax.gt(s, cutoff)
    safe = where(keep, s, lax.full((), 1, real_dt))
    s_inv = where(keep, lax.div(lax.full((), 1, real_dt), safe), lax.full((), 0, real_dt))
    rank = _sum_last(lax.convert_element_type(keep, np.int32)) if s.shape[0] else lax.full((), 0, np.int32)
    uhb = matmul(_conj_t(u), b)
    x = matmul(
        _conj_t(vh),
        lax.mul(uhb, lax.broadcast_in_dim(lax.convert_element_type(s_inv, a.dtype), uhb.shape, (0,))),
    )
    r = lax.sub(b, matmul(a, x))
    resid = lax.reduce_sum(
        lax.real(lax.mul(lax.conj(r), r)) if dtypes.is_complex(r.dtype) else lax.mul(r, r), (0,)
    )
    if numpy_resid and not (int(rank) == n and m > n):
        resid = lax.full((0,), 0, real_dt)
    if vector:
        x = lax.reshape(x, (n,))
    return x, resid, rank, s


def pinv(a, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse via the SVD; singular values at or below
    rtol * max(s) count as zero (rtol defaults to 10 * max(m, n) * eps, as JAX)."""
    (a,) = _inexact("pinv", a)
    if a.ndim < 2:
        raise ValueError(f"jaxlite.numpy.linalg.pinv: a must have ndim >= 2, got shape {tuple(a.shape)}")
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return lax.full(a.shape[:-2] + (n, m), 0, a.dtype)
    u, s, vh = lax.linalg.svd(a, full_matrices=False)
    if rtol is None:
        rtol = 10 * max(m, n) * _eps(s.dtype)
    check_arraylike("linalg.pinv", rtol)
    cutoff = ufuncs.multiply(rtol, _max_last(s))
    keep = ufuncs.greater(s, lax.expand_dims(cutoff, (cutoff.ndim,)))
    zero, one = lax.full((), 0, s.dtype), lax.full((), 1, s.dtype)
    s_inv = where(keep, lax.div(one, where(keep, s, one)), zero)
    v = _conj_t(vh)  # (..., n, k)
    scaled = lax.mul(
        v,
        lax.broadcast_in_dim(
            lax.convert_element_type(s_inv, a.dtype), v.shape, tuple(range(v.ndim - 2)) + (v.ndim - 1,)
        ),
    )
    return matmul(scaled, _conj_t(u))


def matrix_rank(M, rtol=None, *, tol=None):
    """Number of singular values above rtol * max(s) (rtol defaults to max(m, n) * eps)."""
    (M,) = _inexact("matrix_rank", M)
    if M.ndim < 2:
        nz = lax.ne(M, lax.full((), 0, M.dtype))
        return lax.convert_element_type(lax.reduce_or(nz, tuple(range(M.ndim))), np.int32)
    s = svdvals(M)
    m, n = M.shape[-2:]
    if m == 0 or n == 0:
        return lax.full(M.shape[:-2], 0, np.int32)
    if tol is not None:
        cut = lax.convert_element_type(tol, s.dtype)
    else:
        r = _eps(s.dtype) * max(m, n) if rtol is None else rtol
        cut = lax.mul(lax.convert_element_type(r, s.dtype), _max_last(s))
    if getattr(cut, "ndim", 0):
        cut = lax.broadcast_in_dim(cut, s.shape, tuple(range(s.ndim - 1)))
    return _sum_last(lax.convert_element_type(lax.gt(s, cut), np.int32))


def cond(x, p=None):
    """Condition number in the p-norm (default 2: ratio of extreme singular values)."""
    (x,) = _inexact("cond", x)
    if x.ndim < 2:
        raise ValueError(f"jaxlite.numpy.linalg.cond: x must have ndim >= 2, got shape {tuple(x.shape)}")
    if p in (None, 2, -2):
        s = svdvals(x)
        big, small = _max_last(s), _min_last(s)
        return lax.div(small, big) if p == -2 else lax.div(big, small)
    _check_square("cond", x)
    r = lax.mul(norm(x, ord=p, axis=(-2, -1)), norm(inv(x), ord=p, axis=(-2, -1)))
    # NumPy's convention: a singular matrix (NaN from inf * 0) has condition number inf.
    x_nan = lax.reduce_or(lax.ne(x, x), (x.ndim - 2, x.ndim - 1))
    return where(lax.bitwise_and(lax.ne(r, r), lax.bitwise_not(x_nan)), lax.full((), np.inf, r.dtype), r)


# ---- matrix_power, multi_dot -------------------------------------------------------------------


def matrix_power(a, n):
    """a to the integer power n by repeated squaring (n is static); n < 0 inverts first."""
    check_arraylike("linalg.matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(
            f"jaxlite.numpy.linalg.matrix_power: exponent must be an integer, got {n!r}"
        ) from None
    # Integer matrices stay integer for n >= 0, as in JAX; inverting needs a float.
    (a,) = promote_dtypes_inexact(a) if n < 0 else (_as_array(a),)
    _check_square("matrix_power", a)
    if n == 0:
        return broadcast_to_shape(_eye(a.shape[-1], a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    result = None
    power = a
    while True:  # n is a Python int: this loop unrolls into O(log n) matmuls
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if not n:
            return result
        power = matmul(power, power)


def _as_array(a):
    from ._util import to_array

    return to_array(a)


def multi_dot(arrays, *, precision=None):
    """Product of a chain of matrices in the cheapest order (dynamic programming on shapes);
    the first and last may be vectors."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"jaxlite.numpy.linalg.multi_dot: needs at least two arrays, got {len(arrays)}")
    check_arraylike("linalg.multi_dot", *arrays)
    arrays = [_as_array(x) for x in arrays]
    shapes = [tuple(x.shape) for x in arrays]
    ok = all(x.ndim == 2 for x in arrays[1:-1]) and arrays[0].ndim in (1, 2) and arrays[-1].ndim in (1, 2)
    if not ok:
        raise ValueError(
            f"jaxlite.numpy.linalg.multi_dot: arrays must be 2-d, except the first and last, which "
            f"may be 1-d; got shapes {shapes}"
        )
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vec:
        arrays[0] = lax.reshape(arrays[0], (1,) + arrays[0].shape)
    if last_vec:
        arrays[-1] = lax.reshape(arrays[-1], arrays[-1].shape + (1,))
    dims = [arrays[0].shape[0]] + [x.shape[1] for x in arrays]
    for i in range(len(arrays) - 1):
        if arrays[i].shape[1] != arrays[i + 1].shape[0]:
            raise TypeError(
                f"jaxlite.numpy.linalg.multi_dot: shapes {shapes[i]} and "
                f"{shapes[i + 1]} (arrays {i} and {i + 1}) are not aligned"
            )
    order = _chain_order(dims)

    def product(i, j):
        if i == j:
            return arrays[i]
        k = order[i][j]
        return matmul(product(i, k), product(k + 1, j), precision=precision)

    out = product(0, len(arrays) - 1)
    if first_vec:
        out = lax.squeeze(out, (0,))
    if last_vec:
        out = lax.squeeze(out, (out.ndim - 1,))
    return out


def _chain_order(dims):
    """Classic matrix-chain DP: split[i][j] is where to split the product of arrays i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split
