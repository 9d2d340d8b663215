"""Batching rules for dynamic slicing, gather and scatter.

Batched indices turn dynamic_slice / dynamic_update_slice into one gather / scatter. A gather or
scatter whose operand and indices are both batched uses the operand_batching_dims /
indices_batching_dims of the dimension numbers, so it stays one primitive, with no per-example
loop and no iota-concatenated index arrays.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers

from .array import wrap
from .batching import batch_rules, bdim_to, broadcast_batch, moveaxis, ndim_of, shape_of
from .core import bind, get_aval
from .lax import elementwise as E
from .lax import structural as S


def _shift(dims, by=1):
    return tuple(d + by for d in dims)


def _index_matrix(idx, dims, size):
    """The scalar start indices of a dynamic slice as one (size, n) int array."""
    dt = np.result_type(*(get_aval(i).dtype for i in idx))
    cols = []
    for i, d in zip(idx, dims, strict=False):
        i = E.convert_element_type(i, dt)
        i = broadcast_batch(i, size, 0) if d is None else i
        cols.append(S.reshape(i, (size, 1)))
    return S.concatenate(cols, 1)


def dynamic_slice_batch(axis_data, vals, dims, *, slice_sizes):
    x, idx = vals[0], vals[1:]
    xd, idims = dims[0], dims[1:]
    size = axis_data.size
    if all(d is None for d in idims):
        zero = wrap(np.zeros((), get_aval(idx[0]).dtype if idx else dtypes.int32))
        idx = list(idx)
        idx.insert(xd, zero)
        sizes = list(slice_sizes)
        sizes.insert(xd, size)
        return bind(P.dynamic_slice_p, x, *idx, slice_sizes=tuple(sizes)), xd
    nd = len(slice_sizes)
    indices = _index_matrix(idx, idims, size)
    if xd is None:
        dn = GatherDimensionNumbers(offset_dims=_shift(range(nd)), collapsed_slice_dims=(),
                                    start_index_map=tuple(range(nd)))
        sizes = tuple(slice_sizes)
    else:
        x = moveaxis(x, xd, 0)
        dn = GatherDimensionNumbers(offset_dims=_shift(range(nd)), collapsed_slice_dims=(),
                                    start_index_map=_shift(range(nd)), operand_batching_dims=(0,),
                                    start_indices_batching_dims=(0,))
        sizes = (1,) + tuple(slice_sizes)
    out = bind(P.gather_p, x, indices, dimension_numbers=dn, slice_sizes=sizes,
               mode=GatherScatterMode.CLIP, fill_value=None, indices_are_sorted=False,
               unique_indices=False)
    return out, 0


def dynamic_update_slice_batch(axis_data, vals, dims):
    x, upd, idx = vals[0], vals[1], vals[2:]
    xd, ud, idims = dims[0], dims[1], dims[2:]
    size = axis_data.size
    x, upd = bdim_to(x, xd, size, 0), bdim_to(upd, ud, size, 0)
    if all(d is None for d in idims):
        zero = wrap(np.zeros((), get_aval(idx[0]).dtype if idx else dtypes.int32))
        return bind(P.dynamic_update_slice_p, x, upd, zero, *idx), 0
    nd = len(idx)
    indices = _index_matrix(idx, idims, size)
    dn = ScatterDimensionNumbers(update_window_dims=_shift(range(nd)), inserted_window_dims=(),
                                 scatter_dims_to_operand_dims=_shift(range(nd)),
                                 operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))
    out = bind(P.scatter_p, x, indices, upd, dimension_numbers=dn, mode=GatherScatterMode.CLIP,
               indices_are_sorted=True, unique_indices=True, update_jaxpr=None)
    return out, 0


def gather_batch(axis_data, vals, dims, *, dimension_numbers, slice_sizes, **params):
    (x, idx), (xd, id_) = vals, dims
    dn = dimension_numbers
    size = axis_data.size
    if id_ is None:  # only the operand: its batch axis is one more offset (window) axis
        x = moveaxis(x, xd, 0)
        new = GatherDimensionNumbers(
            offset_dims=(0,) + _shift(dn.offset_dims),
            collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
            start_index_map=_shift(dn.start_index_map),
            operand_batching_dims=_shift(dn.operand_batching_dims),
            start_indices_batching_dims=dn.start_indices_batching_dims)
        sizes = (size,) + tuple(slice_sizes)
        return bind(P.gather_p, x, idx, dimension_numbers=new, slice_sizes=sizes, **params), 0
    # The indices are batched: their batch axis (moved in front, away from the index vector
    # axis) becomes the leading output axis.
    idx = moveaxis(idx, id_, 0)
    if xd is None:
        new = GatherDimensionNumbers(
            offset_dims=_shift(dn.offset_dims), collapsed_slice_dims=dn.collapsed_slice_dims,
            start_index_map=dn.start_index_map, operand_batching_dims=dn.operand_batching_dims,
            start_indices_batching_dims=_shift(dn.start_indices_batching_dims))
        return bind(P.gather_p, x, idx, dimension_numbers=new, slice_sizes=tuple(slice_sizes),
                    **params), 0
    x = moveaxis(x, xd, 0)
    new = GatherDimensionNumbers(
        offset_dims=_shift(dn.offset_dims), collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
        start_index_map=_shift(dn.start_index_map),
        operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
        start_indices_batching_dims=(0,) + _shift(dn.start_indices_batching_dims))
    sizes = (1,) + tuple(slice_sizes)
    return bind(P.gather_p, x, idx, dimension_numbers=new, slice_sizes=sizes, **params), 0


def _scatter_batch(prim):
    def rule(axis_data, vals, dims, *, dimension_numbers, **params):
        (x, idx, upd), (xd, id_, ud) = vals, dims
        dn = dimension_numbers
        size = axis_data.size
        # The operand always ends up batched (each example writes into its own copy).
        x = bdim_to(x, xd, size, 0)
        if id_ is None:  # the batch axis is one more window axis of the updates
            upd = bdim_to(upd, ud, size, 0)
            new = ScatterDimensionNumbers(
                update_window_dims=(0,) + _shift(dn.update_window_dims),
                inserted_window_dims=_shift(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=_shift(dn.operand_batching_dims),
                scatter_indices_batching_dims=dn.scatter_indices_batching_dims)
            return bind(prim, x, idx, upd, dimension_numbers=new, **params), 0
        idx = moveaxis(idx, id_, 0)
        upd = bdim_to(upd, ud, size, 0)
        new = ScatterDimensionNumbers(
            update_window_dims=_shift(dn.update_window_dims),
            inserted_window_dims=_shift(dn.inserted_window_dims),
            scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
            operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
            scatter_indices_batching_dims=(0,) + _shift(dn.scatter_indices_batching_dims))
        return bind(prim, x, idx, upd, dimension_numbers=new, **params), 0

    rule.__name__ = f"{prim.name}_batch"
    return rule


batch_rules.update({
    P.dynamic_slice_p: dynamic_slice_batch,
    P.dynamic_update_slice_p: dynamic_update_slice_batch,
    P.gather_p: gather_batch,
})
for _p in (P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p, P.scatter_max_p):
    batch_rules[_p] = _scatter_batch(_p)

del ndim_of, shape_of
