"""lax dynamic slicing, gather and scatter."""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers

from .. import core
from ..array import Array
from ..core import bind
from ._base import normalize_axis, operands, shape_of

__all__ = [
    "GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers",
    "dynamic_slice", "dynamic_update_slice", "dynamic_slice_in_dim", "dynamic_index_in_dim",
    "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim", "gather", "scatter",
    "scatter_add", "scatter_mul", "scatter_min", "scatter_max",
]


def _index_scalars(idx, n, name):
    idx = list(idx)
    if len(idx) != n:
        raise TypeError(f"{name}: needs {n} start indices (one per axis), got {len(idx)}")
    out = []
    for i in idx:
        if isinstance(i, (int, np.integer)):
            out.append(Array(np.asarray(i, dtypes.default_int(core.config.x64))))
            continue
        if shape_of(i) != ():
            raise TypeError(f"{name}: start indices must be scalars, got shape {shape_of(i)}")
        if not dtypes.is_integer(core.get_aval(i).dtype):
            raise TypeError(f"{name}: start indices must be integers, got {core.get_aval(i).dtype}")
        out.append(i)
    return out


def dynamic_slice(operand, start_indices, slice_sizes):
    """Slice of size slice_sizes at start_indices (clamped so the slice fits, as XLA)."""
    nd = len(shape_of(operand))
    sizes = tuple(int(s) for s in slice_sizes)
    idx = _index_scalars(start_indices, nd, "dynamic_slice")
    return bind(P.dynamic_slice_p, operand, *idx, slice_sizes=sizes)


def dynamic_update_slice(operand, update, start_indices):
    """`operand` with `update` written at `start_indices` (clamped so it fits)."""
    nd = len(shape_of(operand))
    operand, update = operands("dynamic_update_slice", operand, update)
    idx = _index_scalars(start_indices, nd, "dynamic_update_slice")
    return bind(P.dynamic_update_slice_p, operand, update, *idx)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    """The slice `[start_index, start_index + slice_size)` of `operand` along `axis` (start clamped)."""
    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "dynamic_slice_in_dim")
    starts = [0] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = int(slice_size)
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    """The entry `index` of `operand` along `axis`, keeping that axis with size 1 if `keepdims`."""
    from .structural import squeeze

    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "dynamic_index_in_dim")
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """`operand` with `update` written from `start_index` along `axis`."""
    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "dynamic_update_slice_in_dim")
    starts = [0] * len(shape)
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    """`operand` with entry `index` along `axis` replaced by `update`."""
    from .structural import expand_dims

    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "dynamic_update_index_in_dim")
    if len(shape_of(update)) == len(shape) - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def _mode(mode, default):
    if mode is None:
        return default
    if isinstance(mode, str):
        m = mode.lower()
        aliases = {"clip": GatherScatterMode.CLIP, "fill": GatherScatterMode.FILL_OR_DROP,
                   "drop": GatherScatterMode.FILL_OR_DROP,
                   "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS}
        if m in aliases:
            return aliases[m]
    if mode in (GatherScatterMode.CLIP, GatherScatterMode.FILL_OR_DROP, GatherScatterMode.PROMISE_IN_BOUNDS):
        return mode
    raise ValueError(f"unknown gather/scatter mode {mode!r}; use 'clip', 'fill', 'drop' or 'promise_in_bounds'")


def _tuple_dn(dn, cls):
    return cls(*(tuple(int(v) for v in field) for field in dn))


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, indices_are_sorted=False,
           unique_indices=False, mode=None, fill_value=None):
    """XLA's gather: slices of `operand` of `slice_sizes` at `start_indices`, arranged by `dimension_numbers`."""
    dn = _tuple_dn(dimension_numbers, GatherDimensionNumbers)
    return bind(P.gather_p, operand, start_indices, dimension_numbers=dn,
                slice_sizes=tuple(int(s) for s in slice_sizes),
                mode=_mode(mode, GatherScatterMode.FILL_OR_DROP), fill_value=fill_value,
                indices_are_sorted=bool(indices_are_sorted), unique_indices=bool(unique_indices))


def _scatter(prim):
    def op(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
           unique_indices=False, mode=None):
        dn = _tuple_dn(dimension_numbers, ScatterDimensionNumbers)
        operand, updates = operands(prim.name, operand, updates)
        return bind(prim, operand, scatter_indices, updates, dimension_numbers=dn,
                    mode=_mode(mode, GatherScatterMode.FILL_OR_DROP),
                    indices_are_sorted=bool(indices_are_sorted), unique_indices=bool(unique_indices))

    op.__name__ = prim.name
    op.__doc__ = (f"XLA's {prim.name}: combine `updates` into `operand` at `scatter_indices`, "
                  "arranged by `dimension_numbers`.")
    return op


scatter = _scatter(P.scatter_p)
scatter_add = _scatter(P.scatter_add_p)
scatter_mul = _scatter(P.scatter_mul_p)
scatter_min = _scatter(P.scatter_min_p)
scatter_max = _scatter(P.scatter_max_p)
