"""Reductions, cumulative ops, data movement, indexing, dot_general, sort, linear algebra."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import dtypes
from ..ir import ShapedArray
from ._base import (
    CUMULATIVE,
    DOT,
    INDEXING,
    LINALG,
    MOVEMENT,
    REDUCE,
    SORT,
    _check_axes,
    _fail,
    declare,
)
from .elementwise import _ANY, _INT, _REAL_FLOAT, _kind_ok, _real_of

# ---- Reductions -------------------------------------------------------------------------------


def _reduce_rule(name, kind):
    def rule(x, *, axes):
        _check_axes(name, axes, x.ndim, x)
        if not _kind_ok(kind, x.dtype):
            _fail(name, f"does not accept dtype {x.dtype}", x)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)

    return rule


reduce_sum_p = declare("reduce_sum", REDUCE, _reduce_rule("reduce_sum", _ANY))
reduce_prod_p = declare("reduce_prod", REDUCE, _reduce_rule("reduce_prod", _ANY))
reduce_max_p = declare("reduce_max", REDUCE, _reduce_rule("reduce_max", _ANY))
reduce_min_p = declare("reduce_min", REDUCE, _reduce_rule("reduce_min", _ANY))
reduce_and_p = declare("reduce_and", REDUCE, _reduce_rule("reduce_and", _INT))
reduce_or_p = declare("reduce_or", REDUCE, _reduce_rule("reduce_or", _INT))
reduce_xor_p = declare("reduce_xor", REDUCE, _reduce_rule("reduce_xor", _INT))


def _arg_rule(name):
    def rule(x, *, axes, index_dtype):
        if len(axes) != 1:
            _fail(name, f"reduces exactly one axis, got {axes}", x)
        _check_axes(name, axes, x.ndim, x)
        if x.shape[axes[0]] == 0:
            _fail(name, "the reduced axis is empty", x)
        if not dtypes.is_integer(index_dtype):
            _fail(name, f"index_dtype must be an integer type, got {index_dtype}", x)
        shape = tuple(d for i, d in enumerate(x.shape) if i != axes[0])
        return ShapedArray(shape, index_dtype)

    return rule


argmax_p = declare("argmax", REDUCE, _arg_rule("argmax"))
argmin_p = declare("argmin", REDUCE, _arg_rule("argmin"))


def _cumulative_rule(name, kind=_ANY):
    def rule(x, *, axis, reverse=False):
        _check_axes(name, (axis,), x.ndim, x)
        if not _kind_ok(kind, x.dtype):
            _fail(name, f"does not accept dtype {x.dtype}", x)
        return x

    return rule


cumsum_p = declare("cumsum", CUMULATIVE, _cumulative_rule("cumsum"))
cumprod_p = declare("cumprod", CUMULATIVE, _cumulative_rule("cumprod"))
cummax_p = declare("cummax", CUMULATIVE, _cumulative_rule("cummax"))
cummin_p = declare("cummin", CUMULATIVE, _cumulative_rule("cummin"))
cumlogsumexp_p = declare("cumlogsumexp", CUMULATIVE, _cumulative_rule("cumlogsumexp", _REAL_FLOAT))

# ---- Data movement ----------------------------------------------------------------------------


def _broadcast_in_dim_rule(x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    if len(bd) != x.ndim:
        _fail("broadcast_in_dim", f"broadcast_dimensions {bd} must have one entry per operand axis", x)
    for i, d in enumerate(bd):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            _fail("broadcast_in_dim", f"operand axis {i} cannot go to axis {d} of {shape}", x)
    if list(bd) != sorted(set(bd)):
        _fail("broadcast_in_dim", f"broadcast_dimensions {bd} must be strictly increasing", x)
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = declare("broadcast_in_dim", MOVEMENT, _broadcast_in_dim_rule)


def _reshape_rule(x, *, new_sizes, dimensions=None):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size or any(d < 0 for d in new_sizes):
        _fail("reshape", f"cannot reshape to {tuple(new_sizes)}: sizes differ", x)
    if dimensions is not None and sorted(dimensions) != list(range(x.ndim)):
        _fail("reshape", f"dimensions {dimensions} is not a permutation", x)
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = declare("reshape", MOVEMENT, _reshape_rule)


def _transpose_rule(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        _fail("transpose", f"permutation {permutation} is not a permutation of the axes", x)
    return ShapedArray([x.shape[p] for p in permutation], x.dtype, x.weak_type)


transpose_p = declare("transpose", MOVEMENT, _transpose_rule)


def _squeeze_rule(x, *, dimensions):
    _check_axes("squeeze", dimensions, x.ndim, x)
    if any(x.shape[d] != 1 for d in dimensions):
        _fail("squeeze", f"axes {dimensions} must all have size 1", x)
    return ShapedArray([d for i, d in enumerate(x.shape) if i not in dimensions], x.dtype, x.weak_type)


squeeze_p = declare("squeeze", MOVEMENT, _squeeze_rule)


def _expand_dims_rule(x, *, dimensions):
    nd = x.ndim + len(dimensions)
    _check_axes("expand_dims", dimensions, nd, x)
    it = iter(x.shape)
    shape = [1 if i in dimensions else next(it) for i in range(nd)]
    return ShapedArray(shape, x.dtype, x.weak_type)


expand_dims_p = declare("expand_dims", MOVEMENT, _expand_dims_rule)


def _rev_rule(x, *, dimensions):
    _check_axes("rev", dimensions, x.ndim, x)
    return x


rev_p = declare("rev", MOVEMENT, _rev_rule)


def _concatenate_rule(*xs, dimension):
    if not xs:
        raise TypeError("concatenate: needs at least one operand")
    x0 = xs[0]
    _check_axes("concatenate", (dimension,), x0.ndim, x0)
    for x in xs:
        if x.dtype != x0.dtype or x.ndim != x0.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape)) if i != dimension
        ):
            _fail("concatenate", f"operands must agree in dtype and in every axis but {dimension}", *xs)
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, x0.dtype, all(x.weak_type for x in xs))


concatenate_p = declare("concatenate", MOVEMENT, _concatenate_rule)


def _pad_rule(x, padding_value, *, padding_config):
    if padding_value.ndim or padding_value.dtype != x.dtype:
        _fail("pad", "padding_value must be a scalar of the operand's dtype", x, padding_value)
    if len(padding_config) != x.ndim:
        _fail("pad", f"padding_config needs one (lo, hi, interior) per axis, got {padding_config}", x)
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            _fail("pad", "interior padding must be >= 0", x)
        n = lo + hi + d + max(d - 1, 0) * interior
        if n < 0:
            _fail("pad", f"negative padding {padding_config} removes more than the axis holds", x)
        shape.append(n)
    return ShapedArray(shape, x.dtype, x.weak_type)


pad_p = declare("pad", MOVEMENT, _pad_rule)


def _slice_rule(x, *, start_indices, limit_indices, strides=None):
    strides = strides or (1,) * x.ndim
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        _fail("slice", "start_indices, limit_indices and strides need one entry per axis", x)
    shape = []
    for d, s, e, st in zip(x.shape, start_indices, limit_indices, strides):
        if not (0 <= s <= e <= d) or st < 1:
            _fail("slice", f"bad slice start={start_indices} limit={limit_indices} strides={strides}", x)
        shape.append((e - s + st - 1) // st)
    return ShapedArray(shape, x.dtype, x.weak_type)


slice_p = declare("slice", MOVEMENT, _slice_rule)


def _check_index_scalars(name, idx, n, *avals):
    if len(idx) != n:
        _fail(name, f"needs {n} start indices, got {len(idx)}", *avals)
    for i in idx:
        if i.ndim or not dtypes.is_integer(i.dtype):
            _fail(name, "start indices must be integer scalars", *avals, *idx)


def _dynamic_slice_rule(x, *idx, slice_sizes):
    _check_index_scalars("dynamic_slice", idx, x.ndim, x)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= d for s, d in zip(slice_sizes, x.shape)):
        _fail("dynamic_slice", f"slice_sizes {slice_sizes} do not fit the operand", x)
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


dynamic_slice_p = declare("dynamic_slice", INDEXING, _dynamic_slice_rule)


def _dynamic_update_slice_rule(x, update, *idx):
    _check_index_scalars("dynamic_update_slice", idx, x.ndim, x, update)
    if update.dtype != x.dtype or update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape)):
        _fail("dynamic_update_slice", "update must have the operand's dtype and rank and fit in it", x, update)
    return x


dynamic_update_slice_p = declare("dynamic_update_slice", INDEXING, _dynamic_update_slice_rule)


class GatherScatterMode:
    """How out-of-bounds indices behave: clamped, filled/dropped, or promised in bounds."""

    CLIP = "clip"
    FILL_OR_DROP = "fill"
    PROMISE_IN_BOUNDS = "promise_in_bounds"


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


def _gather_rule(x, idx, *, dimension_numbers, slice_sizes, mode, fill_value=None,
                 indices_are_sorted=False, unique_indices=False):
    dn = dimension_numbers
    if not dtypes.is_integer(idx.dtype) or idx.ndim < 1:
        _fail("gather", "indices must be an integer array whose last axis indexes the operand", x, idx)
    if idx.shape[-1] != len(dn.start_index_map):
        _fail("gather", f"last axis of indices must have size len(start_index_map)={len(dn.start_index_map)}", x, idx)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= d for s, d in zip(slice_sizes, x.shape)):
        _fail("gather", f"slice_sizes {slice_sizes} do not fit the operand", x, idx)
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    if any(slice_sizes[d] != 1 for d in dropped):
        _fail("gather", "collapsed and batching dims must have slice size 1", x, idx)
    offset_sizes = [s for i, s in enumerate(slice_sizes) if i not in dropped]
    batch_shape = list(idx.shape[:-1])
    out_rank = len(batch_shape) + len(offset_sizes)
    if len(dn.offset_dims) != len(offset_sizes) or any(not 0 <= d < out_rank for d in dn.offset_dims):
        _fail("gather", f"offset_dims {dn.offset_dims} do not match the slice", x, idx)
    offs, bats = iter(offset_sizes), iter(batch_shape)
    shape = [next(offs) if i in dn.offset_dims else next(bats) for i in range(out_rank)]
    return ShapedArray(shape, x.dtype, x.weak_type)


gather_p = declare("gather", INDEXING, _gather_rule)


def _scatter_rule(name):
    def rule(x, idx, updates, *, dimension_numbers, mode, indices_are_sorted=False,
             unique_indices=False, update_jaxpr=None):
        dn = dimension_numbers
        if not dtypes.is_integer(idx.dtype) or idx.ndim < 1:
            _fail(name, "indices must be an integer array whose last axis indexes the operand", x, idx, updates)
        if idx.shape[-1] != len(dn.scatter_dims_to_operand_dims):
            _fail(name, "last axis of indices must have size len(scatter_dims_to_operand_dims)", x, idx, updates)
        if updates.dtype != x.dtype:
            _fail(name, "updates must have the operand's dtype", x, idx, updates)
        window_rank = x.ndim - len(dn.inserted_window_dims) - len(dn.operand_batching_dims)
        if len(dn.update_window_dims) != window_rank or updates.ndim != idx.ndim - 1 + window_rank:
            _fail(name, f"update_window_dims {dn.update_window_dims} do not match the operand", x, idx, updates)
        scatter_shape = [d for i, d in enumerate(updates.shape) if i not in dn.update_window_dims]
        if scatter_shape != list(idx.shape[:-1]):
            _fail(name, "the updates' scatter axes must match the indices' batch axes", x, idx, updates)
        return x

    return rule


scatter_p = declare("scatter", INDEXING, _scatter_rule("scatter"))
scatter_add_p = declare("scatter_add", INDEXING, _scatter_rule("scatter_add"))
scatter_mul_p = declare("scatter_mul", INDEXING, _scatter_rule("scatter_mul"))
scatter_min_p = declare("scatter_min", INDEXING, _scatter_rule("scatter_min"))
scatter_max_p = declare("scatter_max", INDEXING, _scatter_rule("scatter_max"))

# ---- Contraction, sorting, linear algebra -----------------------------------------------------


def _dot_general_rule(lhs, rhs, *, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        _fail("dot_general", f"dimension_numbers {dimension_numbers} are unbalanced", lhs, rhs)
    _check_axes("dot_general", tuple(lc) + tuple(lb), lhs.ndim, lhs)
    _check_axes("dot_general", tuple(rc) + tuple(rb), rhs.ndim, rhs)
    for a, b in list(zip(lc, rc)) + list(zip(lb, rb)):
        if lhs.shape[a] != rhs.shape[b]:
            _fail("dot_general", f"lhs axis {a} and rhs axis {b} differ in size", lhs, rhs)
    if lhs.dtype != rhs.dtype:
        _fail("dot_general", "operands must share one dtype", lhs, rhs)
    batch = [lhs.shape[d] for d in lb]
    lfree = [d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb]
    rfree = [d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb]
    dt = preferred_element_type or lhs.dtype
    return ShapedArray(batch + lfree + rfree, dt, lhs.weak_type and rhs.weak_type)


dot_general_p = declare("dot_general", DOT, _dot_general_rule)


def _sort_rule(*xs, dimension, is_stable=True, num_keys=1):
    if not xs or len({x.shape for x in xs}) != 1:
        _fail("sort", "operands must share one shape", *xs)
    _check_axes("sort", (dimension,), xs[0].ndim, xs[0])
    if not 1 <= num_keys <= len(xs):
        _fail("sort", f"num_keys={num_keys} must be between 1 and the number of operands", *xs)
    return list(xs)


sort_p = declare("sort", SORT, _sort_rule, multiple_results=True)


def _square_matrix(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or not dtypes.is_inexact(a.dtype):
        _fail(name, "needs a (batch of) square float or complex matrices", a)


def _cholesky_rule(a):
    _square_matrix("cholesky", a)
    return a.strip_weak_type()


cholesky_p = declare("cholesky", LINALG, _cholesky_rule)


def _triangular_solve_rule(a, b, *, left_side, lower, transpose_a, conjugate_a=False, unit_diagonal=False):
    _square_matrix("triangular_solve", a)
    m = a.shape[-1]
    k = b.shape[-2] if left_side else b.shape[-1]
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or k != m or a.dtype != b.dtype:
        _fail("triangular_solve", "b must match a's batch axes, dtype and size", a, b)
    return b.strip_weak_type()


triangular_solve_p = declare("triangular_solve", LINALG, _triangular_solve_rule)


def _lu_rule(a):
    if a.ndim < 2 or not dtypes.is_inexact(a.dtype):
        _fail("lu", "needs a (batch of) float or complex matrices", a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [a.strip_weak_type(), ShapedArray(batch + (min(m, n),), dtypes.int32),
            ShapedArray(batch + (m,), dtypes.int32)]


lu_p = declare("lu", LINALG, _lu_rule, multiple_results=True)


def _qr_rule(a, *, full_matrices):
    if a.ndim < 2 or not dtypes.is_inexact(a.dtype):
        _fail("qr", "needs a (batch of) float or complex matrices", a)
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = a.shape[:-2]
    return [ShapedArray(batch + (m, k), a.dtype), ShapedArray(batch + (k, n), a.dtype)]


qr_p = declare("qr", LINALG, _qr_rule, multiple_results=True)


def _eigh_rule(a, *, lower=True, sort_eigenvalues=True):
    _square_matrix("eigh", a)
    return [a.strip_weak_type(), ShapedArray(a.shape[:-1], _real_of(a.dtype))]


eigh_p = declare("eigh", LINALG, _eigh_rule, multiple_results=True)


def _svd_rule(a, *, full_matrices, compute_uv):
    if a.ndim < 2 or not dtypes.is_inexact(a.dtype):
        _fail("svd", "needs a (batch of) float or complex matrices", a)
    m, n = a.shape[-2:]
    k, batch = min(m, n), a.shape[:-2]
    s = ShapedArray(batch + (k,), _real_of(a.dtype))
    if not compute_uv:
        return [s]
    um, vn = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray(batch + (m, um), a.dtype), ShapedArray(batch + (vn, n), a.dtype)]


svd_p = declare("svd", LINALG, _svd_rule, multiple_results=True)

