"""NumPy indexing (`x[idx]`) and indexed updates (`x.at[idx].set(v)`) on lax.

An index is first parsed into one entry per output-relevant position: a new axis, a static
slice, a static int, or an integer array (static or traced). Then:
- only static ints and slices: lax.slice, rev, squeeze and expand_dims (small IR, like JAX);
- traced integer scalars as well: one dynamic_slice after the static slicing;
- anything else: one gather (or scatter, for updates) whose index vector has a component per
  indexed axis. Output dims are listed in NumPy's order (advanced-index dims in place or in
  front); new axes become size-1 batch dims of the indices, so no reshape is needed afterwards.
Out-of-bounds reads clamp (as JAX's x[idx]); out-of-bounds updates are dropped.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array, wrap
from ..core import Tracer
from . import _eager
from ._indexing_funcs import (
    argwhere,
    diag_indices,
    diag_indices_from,
    flatnonzero,
    ix_,
    nonzero,
    ravel_multi_index,
    take,
    take_along_axis,
    tril_indices,
    tril_indices_from,
    triu_indices,
    triu_indices_from,
    unravel_index,
)
from ._util import broadcast_shapes as _bshapes
from ._util import convert, to_array

__all__ = [
    "take", "take_along_axis", "nonzero", "argwhere", "flatnonzero", "diag_indices",
    "diag_indices_from", "tril_indices", "triu_indices", "tril_indices_from", "triu_indices_from",
    "unravel_index", "ravel_multi_index", "ix_",
]

CLIP = lax.GatherScatterMode.CLIP
FILL = lax.GatherScatterMode.FILL_OR_DROP
PROMISE = lax.GatherScatterMode.PROMISE_IN_BOUNDS


class NonConcreteBooleanIndexError(IndexError):
    """A boolean mask index whose value is not known while tracing (JAX's error class)."""


class IndexShapeError(IndexError, ValueError):
    """Index arrays that do not broadcast together (NumPy: IndexError, JAX: ValueError)."""


def _mode(mode, default):
    if mode is None:
        return default
    m = getattr(mode, "name", mode)
    m = m.lower() if isinstance(m, str) else m
    table = {"clip": CLIP, "fill": FILL, "drop": FILL, "fill_or_drop": FILL,
             "promise_in_bounds": PROMISE}
    if m not in table:
        raise ValueError(f"jaxlite.numpy indexing: unknown mode {mode!r}; use 'clip', 'fill', "
                         "'drop' or 'promise_in_bounds'")
    return table[m]


# ---- parsing ----------------------------------------------------------------------------------
# Entries: ("new", size) | ("slice", axis, start, step, count) | ("int", axis, i)
#        | ("array", axis, value) with value a NumPy int array or an integer Array / Tracer.


def _index_dtype_error(kind, pos):
    return TypeError(f"Indexer must have integer or boolean type, got indexer with type {kind} at "
                     f"position {pos}; convert it with .astype(int) (jaxlite.numpy indexing)")


def _classify(e, pos):
    """(kind, value) of one index element before axes are assigned."""
    if e is None:
        return "new", None
    if e is Ellipsis:
        return "ellipsis", None
    if isinstance(e, slice):
        return "slice", e
    if isinstance(e, (bool, np.bool_)):
        return "bool", bool(e)
    if isinstance(e, (int, np.integer)):
        return "int", int(e)
    if isinstance(e, (str, bytes)):
        raise TypeError(f"jaxlite.numpy indexing does not support string indexing; got idx={e!r}")
    if isinstance(e, (float, complex, np.inexact)):
        raise _index_dtype_error(type(e).__name__, pos)
    if isinstance(e, (list, tuple)) and any(isinstance(v, (Array, Tracer)) for v in e):
        from .creation import array

        return _classify(array(e), pos)  # a list holding traced values becomes one array
    if isinstance(e, (list, tuple, np.ndarray)):
        v = np.asarray(e)
        if v.size == 0 and v.dtype.kind == "f":
            v = v.astype(np.int32)  # [] means an empty integer index, as in NumPy
        if v.dtype == np.bool_:
            return ("bool", bool(v)) if v.ndim == 0 else ("mask", v)
        if v.dtype.kind not in "iu":
            raise _index_dtype_error(v.dtype, pos)
        return "static_array", v
    if isinstance(e, (Array, Tracer)):
        if e.dtype == dtypes.bool_:
            if isinstance(e, Array):
                return ("bool", bool(e)) if e.ndim == 0 else ("mask", np.asarray(e))
            v = e.to_concrete_value()
            if v is None:
                raise NonConcreteBooleanIndexError(
                    f"Array boolean indices must be concrete; got {e.aval.str_short()} at position "
                    f"{pos}. Under tracing the result's size would depend on the mask's values. "
                    "Use jnp.where(mask, x, other) to keep the shape, or jnp.nonzero(mask, size=n) "
                    "for a static number of indices.")
            return ("bool", bool(v)) if np.ndim(v) == 0 else ("mask", np.asarray(v))
        if not dtypes.is_integer(e.dtype):
            raise _index_dtype_error(e.dtype, pos)
        return "array", e
    if hasattr(e, "__index__"):
        return "int", operator.index(e)
    raise TypeError(f"jaxlite.numpy indexing: unsupported index element {e!r} of type "
                    f"{type(e).__name__} at position {pos}")


def _slice_bound(v, what, pos):
    if v is None:
        return None
    try:
        return operator.index(v)
    except TypeError:
        raise IndexError(f"Slice entries must be static integers; got {what}={v!r} at position "
                         f"{pos}. For a traced start use lax.dynamic_slice or "
                         "lax.dynamic_slice_in_dim (static size).") from None


def parse_index(shape, idx):
    """The entries of `idx` applied to an array of `shape` (NumPy's rules, JAX's errors)."""
    if isinstance(idx, list):
        raise TypeError("Using a non-tuple sequence for multidimensional indexing is not allowed; "
                        "use `arr[array(seq)]` instead of `arr[seq]` (jaxlite.numpy indexing)")
    idx = idx if isinstance(idx, tuple) else (idx,)
    items = [_classify(e, i) for i, e in enumerate(idx)]
    if sum(k == "ellipsis" for k, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(v.ndim if k == "mask" else 1 for k, v in items
               if k not in ("new", "ellipsis", "bool"))
    nd = len(shape)
    if used > nd:
        raise IndexError(f"Too many indices: array is {nd}-dimensional, but {used} were indexed "
                         f"(array shape {tuple(shape)})")
    if not any(k == "ellipsis" for k, _ in items):
        items.append(("ellipsis", None))
    entries, axis = [], 0
    for pos, (kind, v) in enumerate(items):
        if kind == "new":
            entries.append(("new", 1))
        elif kind == "bool":
            entries.append(("new", 1 if v else 0))
        elif kind == "ellipsis":
            if pos < len(idx):
                # A written Ellipsis separates advanced indices even when it spans no axes.
                entries.append(("sep",))
            for _ in range(nd - used):
                entries.append(("slice", axis, 0, 1, shape[axis]))
                axis += 1
        elif kind == "slice":
            s = slice(_slice_bound(v.start, "start", pos), _slice_bound(v.stop, "stop", pos),
                      _slice_bound(v.step, "step", pos))
            if s.step == 0:
                raise ValueError("slice step cannot be zero (jaxlite.numpy indexing)")
            start, stop, step = s.indices(shape[axis])
            entries.append(("slice", axis, start, step, len(range(start, stop, step))))
            axis += 1
        elif kind == "int":
            entries.append(("int", axis, v))
            axis += 1
        elif kind == "mask":
            seg = tuple(shape[axis:axis + v.ndim])
            if v.shape != seg:
                raise IndexError(f"boolean index did not match shape of indexed array in index "
                                 f"{pos}: got {v.shape}, expected {seg} (array shape {tuple(shape)})")
            for nz in np.nonzero(v):
                entries.append(("array", axis, nz.astype(np.int32)))
                axis += 1
        else:  # static or traced integer array
            entries.append(("array", axis, v))
            axis += 1
    return entries


# ---- reading ----------------------------------------------------------------------------------


def _is_static(entries):
    return all(e[0] in ("new", "slice", "int", "sep") for e in entries)


def _scalar_entries(entries):
    """Turn 0-d static arrays into ints; True if every remaining array entry is a 0-d value."""
    out = []
    for e in entries:
        if e[0] == "array" and isinstance(e[2], np.ndarray) and e[2].ndim == 0:
            e = ("int", e[1], int(e[2]))
        out.append(e)
    return out, all(e[0] != "array" or e[2].ndim == 0 for e in out)


def _clamped_int(i, n, axis):
    if n == 0:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size 0")
    i = i + n if i < 0 else i
    return min(max(i, 0), n - 1)  # JAX clamps static out-of-range ints too


def _basic(x, entries):
    """Static slices, static ints and traced scalar ints: slice, dynamic_slice, rev, squeeze."""
    nd = x.ndim
    start, limit, strides = [0] * nd, list(x.shape), [1] * nd
    rev, drop, dyn = [], [], {}
    for e in entries:
        if e[0] == "slice":
            _, ax, s, step, count = e
            if count == 0:
                start[ax], limit[ax] = 0, 0
            elif step > 0:
                start[ax], limit[ax], strides[ax] = s, s + (count - 1) * step + 1, step
            else:
                lo = s + (count - 1) * step
                start[ax], limit[ax], strides[ax] = lo, s + 1, -step
                if count > 1:
                    rev.append(ax)
        elif e[0] == "int":
            _, ax, i = e
            i = _clamped_int(i, x.shape[ax], ax)
            start[ax], limit[ax] = i, i + 1
            drop.append(ax)
        elif e[0] == "array":
            _, ax, v = e
            if x.shape[ax] == 0:
                raise IndexError(f"index is out of bounds for axis {ax} with size 0")
            dyn[ax] = v
            drop.append(ax)
    out = lax.slice(x, start, limit, strides)
    if dyn:
        starts = [_normalize(dyn[ax], out.shape[ax]) if ax in dyn else 0 for ax in range(nd)]
        sizes = [1 if ax in dyn else out.shape[ax] for ax in range(nd)]
        out = lax.dynamic_slice(out, starts, sizes)
    if rev:
        out = lax.rev(out, rev)
    out = lax.squeeze(out, drop)
    new_pos, empty_new, pos = [], [], 0
    for e in entries:
        if e[0] == "new":
            new_pos.append(pos)
            if e[1] == 0:
                empty_new.append(pos)
            pos += 1
        elif e[0] == "slice":
            pos += 1
    if new_pos:
        out = lax.expand_dims(out, new_pos)
    for p in empty_new:
        out = lax.slice_in_dim(out, 0, 0, 1, p)
    return out


def _index_dtype(values):
    x64 = core.config.x64
    wide = any(getattr(v, "dtype", None) is not None and np.dtype(v.dtype).itemsize == 8 for v in values)
    return np.dtype(np.int64) if (x64 and wide) else np.dtype(np.int32)


def _normalize(i, n, idt=None):
    """Index i (static or traced) with negative values wrapped once by n, as dtype idt."""
    if isinstance(i, np.ndarray):
        i = np.where(i < 0, i + n, i)
        return wrap(i.astype(idt or np.int32))
    if idt is not None and i.dtype != idt:
        signed = dtypes.is_signed(i.dtype)
        i = lax.convert_element_type(i, idt)
    else:
        signed = dtypes.is_signed(i.dtype)
        if not dtypes.is_integer(i.dtype) or i.dtype.itemsize < 4:
            i, signed = lax.convert_element_type(i, np.int32), True
    if not signed:
        return i
    n_arr = wrap(np.asarray(n, i.dtype))
    zero = wrap(np.zeros((), i.dtype))
    return lax.select(lax.lt(i, zero), lax.add(i, n_arr), i)


class _Plan:
    """A gather/scatter equivalent of an index: indices, dimension numbers, result shape."""

    def __init__(self, x_shape, entries, normalize=True):
        ents = [(("array", e[1], np.asarray(e[2])) if e[0] == "int" else e) for e in entries]
        adv = [k for k, e in enumerate(ents) if e[0] == "array"]
        try:
            bshape = _bshapes(*(tuple(ents[k][2].shape) for k in adv), fname="indexing")
        except ValueError:
            raise IndexShapeError("shape mismatch: indexing arrays could not be broadcast together with "
                             f"shapes {' '.join(str(tuple(ents[k][2].shape)) for k in adv)}") from None
        adjacent = bool(adv) and adv == list(range(adv[0], adv[-1] + 1))
        dims = []  # output dims in NumPy order: ("adv", j) | ("window", axis) | ("batch", entry)
        if adv and not adjacent:
            dims += [("adv", j) for j in range(len(bshape))]
        for k, e in enumerate(ents):
            if e[0] == "array":
                if adjacent and k == adv[0]:
                    dims += [("adv", j) for j in range(len(bshape))]
            elif e[0] == "slice" and e[3] == 1:
                dims.append(("window", e[1]))
            elif e[0] != "sep":
                dims.append(("batch", k))
        self.out_shape, self.batch_shape, self.offset_dims = [], [], []
        adv_batch_pos = []
        for pos, d in enumerate(dims):
            if d[0] == "window":
                self.out_shape.append(next(e[4] for e in ents if e[0] == "slice" and e[1] == d[1]))
                self.offset_dims.append(pos)
                continue
            if d[0] == "adv":
                size = bshape[d[1]]
                adv_batch_pos.append(len(self.batch_shape))
            else:
                e = ents[d[1]]
                size = e[1] if e[0] == "new" else e[4]  # a new axis or a strided slice
            self.out_shape.append(size)
            self.batch_shape.append(size)
        self.out_shape, self.batch_shape = tuple(self.out_shape), tuple(self.batch_shape)
        idt = _index_dtype([ents[k][2] for k in adv])
        comps, index_map, collapsed = [], [], []
        self.slice_sizes = list(x_shape)
        self.zero_size_axis = None
        for k, e in enumerate(ents):
            if e[0] == "array":
                ax, v = e[1], e[2]
                if normalize:
                    v = _normalize(v, x_shape[ax], idt)
                else:
                    v = wrap(v.astype(idt)) if isinstance(v, np.ndarray) else lax.convert_element_type(v, idt)
                comps.append(self._place(v, bshape, adv_batch_pos))
            elif e[0] == "slice" and e[3] != 1:
                ax, start, step = e[1], e[2], e[3]
                bpos = sum(1 for d in dims[:dims.index(("batch", k))] if d[0] != "window")
                it = lax.broadcasted_iota(idt, self.batch_shape, bpos)
                comps.append(lax.add(lax.mul(it, wrap(np.asarray(step, idt))), wrap(np.asarray(start, idt))))
            elif e[0] == "slice" and e[2] != 0:
                ax = e[1]
                comps.append(lax.broadcast_in_dim(wrap(np.asarray(e[2], idt)), self.batch_shape, ()))
            else:
                continue
            index_map.append(ax)
            if not (e[0] == "slice" and e[3] == 1):
                collapsed.append(ax)
                if x_shape[ax] == 0:
                    self.zero_size_axis = ax
                self.slice_sizes[ax] = 1
        for e in ents:
            if e[0] == "slice" and e[3] == 1:
                self.slice_sizes[e[1]] = e[4]
        if not comps and x_shape:
            # An explicit zero start for the first axis keeps the index vector non-empty.
            comps.append(lax.broadcast_in_dim(wrap(np.zeros((), idt)), self.batch_shape, ()))
            index_map.append(0)
        self.index_map, self.collapsed = tuple(index_map), tuple(sorted(collapsed))
        if comps:
            cols = [lax.broadcast_in_dim(c, self.batch_shape + (1,), tuple(range(len(self.batch_shape))))
                    for c in comps]
            self.indices = cols[0] if len(cols) == 1 else lax.concatenate(cols, len(self.batch_shape))
        else:
            self.indices = wrap(np.zeros(self.batch_shape + (0,), idt))

    def _place(self, v, bshape, adv_batch_pos):
        vs = tuple(v.shape)
        lead = len(bshape) - len(vs)
        keep = [i for i, d in enumerate(vs) if d == bshape[lead + i]]
        if len(keep) != len(vs):
            v = lax.reshape(v, tuple(vs[i] for i in keep))
        return lax.broadcast_in_dim(v, self.batch_shape, tuple(adv_batch_pos[lead + i] for i in keep))

    def gather_dnums(self):
        return lax.GatherDimensionNumbers(tuple(self.offset_dims), self.collapsed, self.index_map)

    def scatter_dnums(self):
        return lax.ScatterDimensionNumbers(tuple(self.offset_dims), self.collapsed, self.index_map)


def _empty_axis_result(x, plan, mode, fill_value):
    """Gathering along an axis of size 0: only an empty result or fill values make sense."""
    if int(np.prod(plan.out_shape)) == 0 or mode == FILL:
        from ._indexing_funcs import fill_scalar

        return lax.broadcast_in_dim(fill_scalar(x.dtype, fill_value, x.weak_type), plan.out_shape, ())
    raise IndexError(f"index is out of bounds for axis {plan.zero_size_axis} with size 0")


def gather_entries(x, entries, mode, fill_value=None, indices_are_sorted=False,
                   unique_indices=False, normalize=True):
    plan = _Plan(tuple(x.shape), entries, normalize)
    if plan.zero_size_axis is not None:
        return _empty_axis_result(x, plan, mode, fill_value)
    return lax.gather(x, plan.indices, plan.gather_dnums(), plan.slice_sizes,
                      indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                      mode=mode, fill_value=fill_value)


def getitem(x, idx, *, mode=None, fill_value=None, indices_are_sorted=False, unique_indices=False):
    """x[idx] with NumPy's indexing rules; out-of-bounds traced indices clamp (JAX)."""
    if mode is None:
        fast = _eager.getitem(x, idx)
        if fast is not None:
            return fast
    x = to_array(x)
    entries = parse_index(tuple(x.shape), idx)
    mode = _mode(mode, CLIP)
    if mode != FILL:
        entries, scalars_only = _scalar_entries(entries)
        if scalars_only:
            return _basic(x, entries)
    elif _is_static(entries) and all(
            -x.shape[e[1]] <= e[2] < x.shape[e[1]] for e in entries if e[0] == "int"):
        return _basic(x, entries)
    return gather_entries(x, entries, mode, fill_value, indices_are_sorted, unique_indices)


# ---- updating ---------------------------------------------------------------------------------


def _scatter(x, idx, y, scatter_fn, mode, indices_are_sorted, unique_indices, fname):
    x = to_array(x)
    entries = parse_index(tuple(x.shape), idx)
    y = convert(to_array(y), x.dtype, x.weak_type)
    if x.ndim == 0:
        if all(e[0] == "sep" for e in entries) and not y.ndim:
            return _COMBINE[scatter_fn](x, y)  # a rank-0 update needs no scatter
        # Index a 1-element view instead: the scatter then has an axis to address.
        flat = _scatter(lax.reshape(x, (1,)), (slice(None),) + (idx if isinstance(idx, tuple) else (idx,)),
                        lax.expand_dims(y, (0,)), scatter_fn, mode, indices_are_sorted, unique_indices, fname)
        return lax.reshape(flat, ())
    plan = _Plan(tuple(x.shape), entries)
    if tuple(y.shape) != plan.out_shape:
        from .shape_ops import broadcast_to

        try:
            y = broadcast_to(y, plan.out_shape)
        except ValueError:
            raise ValueError(f"jaxlite.numpy ndarray.at[...].{fname}: value of shape {tuple(y.shape)} "
                             f"cannot be broadcast to the indexed shape {plan.out_shape} (array "
                             f"shape {tuple(x.shape)})") from None
    if plan.zero_size_axis is not None or 0 in plan.out_shape:
        return x  # nothing is updated
    return scatter_fn(x, plan.indices, y, plan.scatter_dnums(), mode=_mode(mode, FILL),
                      indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)


_COMBINE = {lax.scatter: lambda x, y: y, lax.scatter_add: lax.add, lax.scatter_mul: lax.mul,
            lax.scatter_min: lax.min, lax.scatter_max: lax.max}


class _IndexUpdateRef:
    """`x.at[idx]`: functional indexed reads and updates (each returns a new array)."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None,
            out_sharding=None):
        return getitem(self.array, self.index, mode=mode, fill_value=fill_value,
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)

    def _update(self, values, fn, fname, mode, indices_are_sorted, unique_indices, array=None):
        return _scatter(self.array if array is None else array, self.index, values, fn, mode,
                        indices_are_sorted, unique_indices, fname)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update(values, lax.scatter, "set", mode, indices_are_sorted, unique_indices)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update(values, lax.scatter_add, "add", mode, indices_are_sorted, unique_indices)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from . import ufuncs

        return self.add(ufuncs.negative(values), indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update(values, lax.scatter_mul, "multiply", mode, indices_are_sorted, unique_indices)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from . import ufuncs
        from .creation import ones_like

        # As JAX: divide by the product of all updates hitting each element.
        den = self._update(values, lax.scatter_mul, "divide", mode, indices_are_sorted,
                           unique_indices, array=ones_like(self.array))
        return ufuncs.divide(self.array, den)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from . import ufuncs
        from .creation import ones_like

        exps = self._update(values, lax.scatter_mul, "power", mode, indices_are_sorted,
                            unique_indices, array=ones_like(self.array))
        return ufuncs.power(self.array, exps)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):  # noqa: A003
        return self._update(values, lax.scatter_min, "min", mode, indices_are_sorted, unique_indices)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):  # noqa: A003
        return self._update(values, lax.scatter_max, "max", mode, indices_are_sorted, unique_indices)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        raise NotImplementedError("jaxlite.numpy ndarray.at[...].apply is not supported; compute "
                                  "func(x[idx]) and use .at[idx].set(...) instead")


class IndexUpdateHelper:
    """The object behind `x.at`: `x.at[idx]` gives the update methods for that index."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"IndexUpdateHelper({self.array!r})"
