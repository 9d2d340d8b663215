"""The NumPy meaning of gather and the scatter family: XLA's general semantics, vectorised.

Both primitives follow https://openxla.org/xla/operation_semantics (#gather, #scatter) with the
index vector always on the last axis of `indices`, plus JAX's explicit batching dims (what vmap
of an indexing operation produces). Every index row becomes a full operand start vector; the
window is then addressed with broadcast fancy indices, so there is no Python loop over rows.

Out-of-bounds behaviour, checked against JAX 0.10 on CPU:
- gather CLIP: each start index is clamped to [0, dim - slice_size], so the slice fits.
- gather FILL_OR_DROP: a slice any part of which is out of bounds is replaced, whole, by
  `fill_value`; when that is None, NaN for inexact dtypes, the minimum of signed integers, the
  maximum of unsigned integers and True for bool (what `lax.gather(..., mode='fill')` gives).
- scatter FILL_OR_DROP: an update window any part of which is out of bounds is dropped whole.
- scatter CLIP: start indices are clamped like gather's.
- PROMISE_IN_BOUNDS: the caller promises; to stay memory safe and deterministic we behave like
  CLIP for gather (what XLA's clamping of dynamic slices does) and like FILL_OR_DROP for scatter
  (so a broken promise never writes somewhere else).
Negative indices are out of bounds here: jnp normalises them before binding.
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .primitives import (
    GatherScatterMode,
    gather_p,
    scatter_add_p,
    scatter_max_p,
    scatter_min_p,
    scatter_mul_p,
    scatter_p,
)

_MODES = {
    "clip": GatherScatterMode.CLIP,
    "fill": GatherScatterMode.FILL_OR_DROP,
    "fill_or_drop": GatherScatterMode.FILL_OR_DROP,
    "drop": GatherScatterMode.FILL_OR_DROP,
    "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS,
}


def _canonical_mode(mode):
    # JAX's GatherScatterMode.from_any(None) is FILL_OR_DROP; accept enum-like objects by name.
    if mode is None:
        return GatherScatterMode.FILL_OR_DROP
    key = getattr(mode, "name", mode)
    if isinstance(key, str) and key.lower() in _MODES:
        return _MODES[key.lower()]
    raise ValueError(f"gather/scatter: unknown mode {mode!r}; use one of {sorted(_MODES)}")


def default_fill_value(dtype):
    """What JAX fills out-of-bounds gathered slices with when fill_value is None."""
    d = np.dtype(dtype)
    if dtypes.is_inexact(d):
        return d.type(np.nan)
    if dtypes.is_bool(d):
        return np.bool_(True)
    if dtypes.is_unsigned(d):
        return d.type(np.iinfo(d).max)
    return d.type(np.iinfo(d).min)


def _as_int64(indices):
    # uint64 values above int64's range would wrap to negatives and clamp the wrong way.
    if indices.dtype == np.uint64:
        indices = np.minimum(indices, np.uint64(np.iinfo(np.int64).max))
    return indices.astype(np.int64, copy=False)


def _start_vectors(indices, operand_ndim, index_map, operand_batching_dims, indices_batching_dims):
    """One full operand start vector per index row: (n, operand_ndim) int64.

    Dims named by `index_map` take the index row; batching dims take the row's own coordinate
    along the matching indices batch axis (an implicit iota); all other dims start at 0.
    """
    batch_shape = indices.shape[:-1]
    n = int(np.prod(batch_shape, dtype=np.int64))
    rows = _as_int64(indices).reshape(n, indices.shape[-1])
    starts = np.zeros((n, operand_ndim), np.int64)
    if len(index_map):
        starts[:, list(index_map)] = rows
    if len(operand_batching_dims):
        coords = np.indices(batch_shape, dtype=np.int64).reshape(len(batch_shape), n)
        for od, idim in zip(operand_batching_dims, indices_batching_dims, strict=True):
            starts[:, od] = coords[idim]
    return starts


def _in_bounds(starts, operand_shape, window):
    upper = np.asarray(operand_shape, np.int64) - np.asarray(window, np.int64)
    return np.all((starts >= 0) & (starts <= upper), axis=1)


def _clamp(starts, operand_shape, window):
    upper = np.asarray(operand_shape, np.int64) - np.asarray(window, np.int64)
    return np.clip(starts, 0, np.maximum(upper, 0))


def _window_indices(starts, window):
    """Broadcastable fancy indices addressing every window element: result (n, *window)."""
    n, nd = starts.shape
    ix = []
    for d in range(nd):
        shape = [1] * (nd + 1)
        shape[0] = n
        start = starts[:, d].reshape(shape)
        shape = [1] * (nd + 1)
        shape[d + 1] = window[d]
        ix.append(start + np.arange(window[d], dtype=np.int64).reshape(shape))
    return tuple(ix)


class _Plan:
    """How one gather/scatter addresses the operand.

    Only the `varying` dims (those named by the index map or batching dims) have per-row starts;
    the `fixed` ones always start at 0, so they become plain slices moved to the back of a view.
    Fancy indexing then copies whole trailing blocks (x[idx] copies rows) instead of
    addressing every element. With no varying dim at all, the view gets a leading length-1 axis
    so that there is still one index array (of zeros) giving every row its own copy.
    """

    def __init__(self, nd, window, varying):
        self.varying = sorted(set(varying))
        self.fixed = [d for d in range(nd) if d not in self.varying]
        self.order = self.varying + self.fixed
        self.window = list(window)

    def view(self, arr):
        cut = tuple(slice(None) if d in self.varying else slice(0, self.window[d]) for d in range(arr.ndim))
        view = arr[cut + (Ellipsis,)].transpose(self.order)  # the Ellipsis keeps 0-d a view
        return view if self.varying else view[None]

    def indices(self, starts):
        """Index arrays broadcasting to (n, *varying windows other than 1).

        Unit windows (collapsed dims) get no axis, so the common x[idx] and x.at[idx].add(v)
        index with flat arrays, which NumPy's take and ufunc.at handle on fast paths.
        """
        if not self.varying:
            return (np.zeros(starts.shape[0], np.int64),)
        sizes = [self.window[d] for d in self.varying]
        keep = [0] + [1 + k for k, w in enumerate(sizes) if w != 1]
        return tuple(
            i.reshape([i.shape[k] for k in keep]) for i in _window_indices(starts[:, self.varying], sizes)
        )

    def value_shape(self, n, squeezed):
        """The shape of n rows of window values in plan order, unit varying windows removed
        when `squeezed` (the shape fancy indexing with `indices` gives and takes)."""
        sizes = [self.window[d] for d in self.order]
        if squeezed:
            nvar = len(self.varying)
            sizes = [w for w in sizes[:nvar] if w != 1] + sizes[nvar:]
        return (n, *sizes)

    def to_plan_order(self):
        return [0] + [1 + d for d in self.order]


# ---- gather ---------------------------------------------------------------------------------


def gather_impl(
    operand,
    indices,
    *,
    dimension_numbers,
    slice_sizes,
    mode,
    fill_value=None,
    indices_are_sorted=False,
    unique_indices=False,
):
    operand, indices = np.asarray(operand), np.asarray(indices)
    dn = dimension_numbers
    mode = _canonical_mode(mode)
    slice_sizes = tuple(int(s) for s in slice_sizes)
    batch_shape = tuple(indices.shape[:-1])
    nb = len(batch_shape)
    starts = _start_vectors(
        indices, operand.ndim, dn.start_index_map, dn.operand_batching_dims, dn.start_indices_batching_dims
    )
    fill = mode == GatherScatterMode.FILL_OR_DROP
    valid = _in_bounds(starts, operand.shape, slice_sizes) if fill else None
    # Clamping also makes FILL_OR_DROP's reads safe: its bad rows are overwritten below.
    starts = _clamp(starts, operand.shape, slice_sizes)
    plan = _Plan(operand.ndim, slice_sizes, tuple(dn.start_index_map) + tuple(dn.operand_batching_dims))
    n = starts.shape[0]
    # A fresh copy, (n, *window in plan order) once the unit axes are back.
    vals = plan.view(operand)[plan.indices(starts)].reshape(plan.value_shape(n, False))
    if fill and not valid.all():
        value = default_fill_value(operand.dtype) if fill_value is None else fill_value
        vals[~valid] = np.asarray(value).astype(operand.dtype)
    vals = vals.reshape(batch_shape + vals.shape[1:])
    # Output axis i is an offset axis iff i is in offset_dims (taken in increasing order, as the
    # shape rule does), holding the next window dim that is neither collapsed nor batching; the
    # other output axes are the indices' batch axes, in order. The dropped (size 1) window axes
    # go last, where the final reshape removes them.
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    kept = iter(d for d in range(operand.ndim) if d not in dropped)
    out_rank = nb + operand.ndim - len(dropped)
    offset_set = set(dn.offset_dims)
    perm, b = [], 0
    for i in range(out_rank):
        if i in offset_set:
            perm.append(nb + plan.order.index(next(kept)))
        else:
            perm.append(b)
            b += 1
    perm += [nb + plan.order.index(d) for d in sorted(dropped)]
    out = vals.transpose(perm)
    return out.reshape(out.shape[:out_rank])


# ---- scatter --------------------------------------------------------------------------------


def _prepare_scatter(out, indices, updates, dn, mode):
    """A view of `out` (see _Plan), its fancy indices and the update values in plan order, with
    the rows that are out of bounds removed."""
    nd = out.ndim
    mode = _canonical_mode(mode)
    uwd = list(dn.update_window_dims)
    scatter_axes = [i for i in range(updates.ndim) if i not in set(uwd)]
    not_window = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    window_operand_dims = [d for d in range(nd) if d not in not_window]
    window = [1] * nd
    for od, ud in zip(window_operand_dims, uwd, strict=True):
        window[od] = updates.shape[ud]
    starts = _start_vectors(
        indices,
        nd,
        dn.scatter_dims_to_operand_dims,
        dn.operand_batching_dims,
        dn.scatter_indices_batching_dims,
    )
    n = starts.shape[0]
    plan = _Plan(nd, window, tuple(dn.scatter_dims_to_operand_dims) + tuple(dn.operand_batching_dims))
    vals = updates.transpose(scatter_axes + uwd).reshape((n, *window)).transpose(plan.to_plan_order())
    if mode == GatherScatterMode.CLIP:
        starts = _clamp(starts, out.shape, window)
    # After clamping this only removes windows larger than the operand, which cannot fit at all.
    valid = _in_bounds(starts, out.shape, window)
    if not valid.all():
        starts, vals = starts[valid], vals[valid]
    return plan.view(out), plan.indices(starts), vals.reshape(plan.value_shape(len(starts), True))


def _scatter_impl(ufunc):
    def impl(
        operand,
        indices,
        updates,
        *,
        dimension_numbers,
        mode,
        indices_are_sorted=False,
        unique_indices=False,
        update_jaxpr=None,
    ):
        out = np.array(operand, copy=True)
        view, ix, vals = _prepare_scatter(
            out, np.asarray(indices), np.asarray(updates), dimension_numbers, mode
        )
        # ufunc.at is unbuffered: every update of a repeated index is combined, in index order.
        ufunc.at(view, ix, vals)
        return out

    return impl


def scatter_impl(
    operand,
    indices,
    updates,
    *,
    dimension_numbers,
    mode,
    indices_are_sorted=False,
    unique_indices=False,
    update_jaxpr=None,
):
    out = np.array(operand, copy=True)
    view, ix, vals = _prepare_scatter(out, np.asarray(indices), np.asarray(updates), dimension_numbers, mode)
    if unique_indices:
        view[ix] = vals
        return out
    # JAX leaves the winner of repeated indices undefined, and NumPy's fancy assignment does not
    # promise an order either; we make the last update in row-major index order win, explicitly.
    nvar = len(ix)
    shape = np.broadcast_shapes(*(i.shape for i in ix))
    flat = np.ravel_multi_index(tuple(np.broadcast_to(i, shape).ravel() for i in ix), view.shape[:nvar])
    blocks = vals.reshape((flat.size,) + vals.shape[len(shape) :])  # one trailing block per position
    n_positions = int(np.prod(view.shape[:nvar], dtype=np.int64))
    if n_positions <= 8 * flat.size + 4096:
        # Dense and O(n): each position records the largest row that writes it.
        winner = np.full(n_positions, -1, np.int64)
        np.maximum.at(winner, flat, np.arange(flat.size, dtype=np.int64))
        positions = np.flatnonzero(winner >= 0)
        rows = winner[positions]
    else:  # few writes into a huge operand: a sort is cheaper than a table per position
        positions, first_in_rev = np.unique(flat[::-1], return_index=True)
        rows = flat.size - 1 - first_in_rev
    view[np.unravel_index(positions, view.shape[:nvar])] = blocks[rows]
    return out


INDEXING_IMPLS = {
    gather_p: gather_impl,
    scatter_p: scatter_impl,
    scatter_add_p: _scatter_impl(np.add),
    scatter_mul_p: _scatter_impl(np.multiply),
    scatter_min_p: _scatter_impl(np.minimum),
    scatter_max_p: _scatter_impl(np.maximum),
}
