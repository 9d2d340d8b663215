"""jnp.linalg's norms and array-API extras (vector_norm, matrix_norm, svdvals, trace, diagonal,
cross, outer), plus small matrix helpers shared with linalg.py. Written on lax only."""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import lax
from . import linalg_ops, ufuncs
from ._util import (
    broadcast_args,
    broadcast_shapes,
    broadcast_to_shape,
    canonicalize_axis,
    check_arraylike,
    check_dtype_arg,
    promote_dtypes,
    promote_dtypes_inexact,
    promote_dtypes_numeric,
    to_array,
)


def _fname(name):
    return f"jaxlite.numpy.linalg.{name}"


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{_fname(name)}: argument must have shape [..., n, n], got {tuple(a.shape)}")


def where(c, x, y):
    """select(c, x, y) with NumPy broadcasting of all three; x and y are promoted together
    (Python scalars take the other operand's dtype)."""
    x, y = promote_dtypes(x, y)
    c = to_array(c)
    if c.dtype != np.bool_:
        c = lax.ne(c, lax.full((), 0, c.dtype))
    shape = broadcast_shapes(c.shape, x.shape, y.shape, fname="where")
    return lax.select(*(broadcast_to_shape(v, shape) for v in (c, x, y)))


def _real_dtype(dt):
    return {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}.get(
        np.dtype(dt), np.dtype(dt)
    )


def _mT(x):
    return lax.transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def _conj_t(x):
    x = _mT(x)
    return lax.conj(x) if dtypes.is_complex(x.dtype) else x


def _eye(n, dtype):
    mask = lax.eq(lax.broadcasted_iota(np.int32, (n, n), 0), lax.broadcasted_iota(np.int32, (n, n), 1))
    return lax.convert_element_type(mask, dtype)


def _diag(x, offset=0):
    """The offset diagonal of the last two axes: slice the square block that holds it, then keep
    its diagonal with an iota mask and sum the other entries (all zeros) away."""
    n, m = x.shape[-2:]
    if offset >= 0:
        size = max(0, min(n, m - offset))
        r0, c0 = 0, offset
    else:
        size = max(0, min(n + offset, m))
        r0, c0 = -offset, 0
    r0, c0 = min(r0, n), min(c0, m)  # an offset past the edge leaves an empty diagonal
    nb = x.ndim - 2
    x = lax.slice(x, (0,) * nb + (r0, c0), tuple(x.shape[:-2]) + (r0 + size, c0 + size))
    shape = tuple(x.shape)
    mask = lax.eq(lax.broadcasted_iota(np.int32, shape, nb), lax.broadcasted_iota(np.int32, shape, nb + 1))
    zeros = lax.broadcast_in_dim(lax.full((), 0, x.dtype), shape, ())
    return lax.reduce_sum(lax.select(mask, x, zeros), (nb + 1,))


def _sum_last(x):
    return lax.reduce_sum(x, (x.ndim - 1,))


def _max_last(x):
    return lax.reduce_max(x, (x.ndim - 1,))


def _min_last(x):
    return lax.reduce_min(x, (x.ndim - 1,))


def _abs2(x):
    if dtypes.is_complex(x.dtype):
        return lax.add(lax.square(lax.real(x)), lax.square(lax.imag(x)))
    return lax.mul(x, x)


def _reduce_or_zero(fn, x, axes):
    """max/min over axes, with 0 for an empty reduction (what JAX's norms give)."""
    if any(x.shape[a] == 0 for a in axes):
        return lax.full(tuple(d for i, d in enumerate(x.shape) if i not in axes), 0, x.dtype)
    return fn(x, axes)


# ---- norms ------------------------------------------------------------------------------------


def _vector_norm(x, axes, ord):
    if isinstance(ord, str):
        raise ValueError(f"{_fname('norm')}: invalid order {ord!r} for vector norm")
    absx = ufuncs.abs(x)
    if ord is None or ord == 2:
        return lax.sqrt(lax.reduce_sum(_abs2(x), axes))
    if ord == np.inf:
        return _reduce_or_zero(lax.reduce_max, absx, axes)
    if ord == -np.inf:
        return _reduce_or_zero(lax.reduce_min, absx, axes)
    if ord == 0:
        nz = lax.ne(x, lax.full((), 0, x.dtype))
        return lax.reduce_sum(lax.convert_element_type(nz, absx.dtype), axes)
    if ord == 1:
        return lax.reduce_sum(absx, axes)
    try:
        p = float(ord)
    except TypeError:
        raise ValueError(f"{_fname('norm')}: invalid order {ord!r} for vector norm") from None
    powered = lax.pow(absx, lax.full((), p, absx.dtype))
    return lax.pow(lax.reduce_sum(powered, axes), lax.full((), 1.0 / p, absx.dtype))


def _matrix_norm(x, r, c, ord):
    if ord is None or ord == "fro":
        return lax.sqrt(lax.reduce_sum(_abs2(x), (r, c)))
    if ord in ("nuc", 2, -2):
        others = [i for i in range(x.ndim) if i not in (r, c)]
        xt = lax.transpose(x, others + [r, c])
        if 0 in xt.shape[-2:]:
            return lax.full(xt.shape[:-2], 0, _real_dtype(x.dtype))
        s = svdvals(xt)
        return _sum_last(s) if ord == "nuc" else _max_last(s) if ord == 2 else _min_last(s)
    absx = ufuncs.abs(x)
    if ord in (1, -1):
        sums, other = lax.reduce_sum(absx, (r,)), c - (c > r)
    elif ord in (np.inf, -np.inf):
        sums, other = lax.reduce_sum(absx, (c,)), r - (r > c)
    else:
        raise ValueError(f"{_fname('norm')}: invalid order {ord!r} for matrix norm")
    return _reduce_or_zero(lax.reduce_max if ord in (1, np.inf) else lax.reduce_min, sums, (other,))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, as numpy.linalg.norm (ints promote to the default float; complex
    inputs give real norms)."""
    check_arraylike("linalg.norm", x)
    (x,) = promote_dtypes_inexact(x)
    if axis is None:
        if ord is None:
            axes = tuple(range(x.ndim))
            out = lax.sqrt(lax.reduce_sum(_abs2(x), axes))
            return lax.reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{_fname('norm')}: improper number of dimensions to norm: an array of "
                f"shape {tuple(x.shape)} with ord={ord!r} needs an explicit axis"
            )
        axis = tuple(range(x.ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(canonicalize_axis(a, x.ndim, "linalg.norm") for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{_fname('norm')}: duplicate value in axis={axis}")
    if len(axes) == 1:
        out = _vector_norm(x, axes, ord)
    elif len(axes) == 2:
        out = _matrix_norm(x, axes[0], axes[1], ord)
    else:
        raise ValueError(
            f"{_fname('norm')}: improper number of axes for norm: axis={axis}. Pass one "
            f"axis for a vector norm, or two for a matrix norm"
        )
    return lax.expand_dims(out, sorted(axes)) if keepdims else out


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The array API's vector norm: over all axes (flattened) by default, or over several."""
    check_arraylike("linalg.vector_norm", x)
    (x,) = promote_dtypes_inexact(x)
    if axis is None:
        out = _vector_norm(lax.reshape(x, (x.size,)), (0,), ord)
        return lax.reshape(out, (1,) * x.ndim) if keepdims else out
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(sorted(canonicalize_axis(a, x.ndim, "linalg.vector_norm") for a in axes))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{_fname('vector_norm')}: duplicate value in axis={axis}")
    out = _vector_norm(x, axes, ord)
    return lax.expand_dims(out, axes) if keepdims else out


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix norm `ord` ('fro', 'nuc', 1, 2, inf, ...) over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def svdvals(x, /):
    """Singular values, descending."""
    check_arraylike("linalg.svdvals", x)
    (x,) = promote_dtypes_inexact(x)
    if x.ndim < 2:
        raise ValueError(f"{_fname('svdvals')}: x must have ndim >= 2, got shape {tuple(x.shape)}")
    return lax.linalg.svd(x, full_matrices=False, compute_uv=False)


# ---- array-API extras --------------------------------------------------------------------------


def diagonal(x, /, *, offset=0):
    """The offset diagonal of each matrix in a stack (last two axes)."""
    check_arraylike("linalg.diagonal", x)
    (x,) = promote_dtypes(x)
    if x.ndim < 2:
        raise ValueError(f"{_fname('diagonal')}: x must have ndim >= 2, got shape {tuple(x.shape)}")
    return _diag(x, int(offset))


def trace(x, /, *, offset=0, dtype=None):
    """Sum of the offset diagonal of each matrix in a stack (last two axes)."""
    check_arraylike("linalg.trace", x)
    dt = check_dtype_arg(dtype, "linalg.trace")
    (x,) = promote_dtypes_numeric(x)
    if x.ndim < 2:
        raise ValueError(f"{_fname('trace')}: x must have ndim >= 2, got shape {tuple(x.shape)}")
    if dt is not None:
        x = lax.convert_element_type(x, dt)
    return _sum_last(_diag(x, int(offset)))


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along `axis` of each operand (NumPy's rule: the vector axis is
    moved last in each, the other axes broadcast, and the result's vector axis goes to `axis`)."""
    check_arraylike("linalg.cross", x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(
            f"{_fname('cross')}: operands must have ndim >= 1, got shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    moved = []
    for x in (x1, x2):
        ax = canonicalize_axis(axis, x.ndim, "linalg.cross")
        if x.shape[ax] != 3:
            raise ValueError(
                f"{_fname('cross')}: both operands must have size 3 along axis {axis}, "
                f"got shapes {tuple(x1.shape)} and {tuple(x2.shape)}"
            )
        moved.append(lax.transpose(x, [i for i in range(x.ndim) if i != ax] + [ax]))
    a = [lax.index_in_dim(moved[0], i, moved[0].ndim - 1, keepdims=False) for i in range(3)]
    b = [lax.index_in_dim(moved[1], i, moved[1].ndim - 1, keepdims=False) for i in range(3)]

    def term(i, j):
        out = ufuncs.subtract(ufuncs.multiply(a[i], b[j]), ufuncs.multiply(a[j], b[i]))
        return lax.expand_dims(out, (out.ndim,))

    terms = list(broadcast_args("linalg.cross", term(1, 2), term(2, 0), term(0, 1)))
    out = lax.concatenate(terms, terms[0].ndim - 1)
    ax = canonicalize_axis(axis, out.ndim, "linalg.cross")
    return lax.transpose(out, list(range(ax)) + [out.ndim - 1] + list(range(ax, out.ndim - 1)))


def outer(x1, x2, /):
    """Outer product of two 1-d arrays (the array API's stricter numpy.outer)."""
    check_arraylike("linalg.outer", x1, x2)
    if np.ndim(x1) != 1 or np.ndim(x2) != 1:
        raise ValueError(
            f"{_fname('outer')}: input arrays must be one-dimensional, got shapes "
            f"{np.shape(x1)} and {np.shape(x2)}"
        )
    return linalg_ops.outer(x1, x2)
