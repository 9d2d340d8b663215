"""Index-producing and index-consuming functions (re-exported by jaxlite.numpy.indexing):
take, take_along_axis, nonzero and friends, the triangle/diagonal index helpers, and
unravel_index / ravel_multi_index."""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes
from compiler.interpret_indexing import default_fill_value

from .. import core, lax
from ..array import Array, wrap
from ..core import Tracer
from . import ufuncs
from ._util import canonicalize_axis, check_arraylike, convert, promote_dtypes, to_array
from .creation import canonical_shape


def _idt():
    return dtypes.default_int(core.config.x64)


def fill_scalar(dtype, fill_value, weak=False):
    """The rank-0 value out-of-bounds gathers produce: fill_value, or JAX's default (NaN,
    the minimum signed int, the maximum unsigned int, True)."""
    if fill_value is None:
        return wrap(np.asarray(default_fill_value(dtype), dtype), weak)
    return convert(to_array(fill_value), dtype, weak)


def _int_indices(fname, indices):
    ind = to_array(indices)
    if not dtypes.is_integer(ind.dtype):
        raise ValueError(f"jaxlite.numpy.{fname}: indices must have an integer type, got {ind.dtype}")
    return ind


def _full_slices(shape, axes):
    return [("slice", ax, 0, 1, shape[ax]) for ax in axes]


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of a at `indices` along axis. JAX's default mode is 'fill' (NaN / the minimum
    int for out-of-bounds indices); 'clip' clamps without wrapping negatives; 'wrap' wraps."""
    from .indexing import CLIP, FILL, PROMISE, gather_entries

    if out is not None:
        raise NotImplementedError("jaxlite.numpy.take: the out argument is not supported")
    check_arraylike("take", a, indices)
    a = to_array(a)
    ind = _int_indices("take", indices)
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    axis = canonicalize_axis(axis, a.ndim, "take")
    n = a.shape[axis]
    mode = "fill" if mode is None else mode
    if mode == "raise":
        raise NotImplementedError("jaxlite.numpy.take: mode='raise' is not supported (it needs "
                                  "the index values); use 'fill', 'clip' or 'wrap'")
    normalize = True
    if mode == "wrap":
        if n == 0:
            raise IndexError("jaxlite.numpy.take: cannot wrap indices into an empty axis")
        ind, gmode, normalize = ufuncs.remainder(ind, n), CLIP, False
    elif mode == "clip":
        gmode, normalize = CLIP, False
    elif mode == "fill":
        gmode = FILL
    elif mode == "promise_in_bounds":
        gmode = PROMISE
    else:
        raise ValueError(f"jaxlite.numpy.take: invalid mode {mode!r}; use 'fill', 'clip' or 'wrap'")
    entries = (_full_slices(a.shape, range(axis)) + [("array", axis, ind)] +
               _full_slices(a.shape, range(axis + 1, a.ndim)))
    return gather_entries(a, entries, gmode, fill_value, indices_are_sorted, unique_indices, normalize)


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """out[..., i, ...] = arr[..., indices[..., i, ...], ...] along axis; the other axes of
    arr and indices broadcast. Negative indices wrap; out-of-bounds ones fill (JAX's default)."""
    from .indexing import _mode, _normalize

    check_arraylike("take_along_axis", arr, indices)
    a = to_array(arr)
    ind = _int_indices("take_along_axis", indices)
    if axis is None:
        if ind.ndim != 1:
            raise ValueError(f"jaxlite.numpy.take_along_axis: with axis=None, indices must be 1-d, "
                             f"got shape {ind.shape}")
        a = lax.reshape(a, (a.size,))
        axis = 0
    if ind.ndim != a.ndim:
        raise ValueError(f"jaxlite.numpy.take_along_axis: indices and arr must have the same number "
                         f"of dimensions; {ind.ndim} vs. {a.ndim} (shapes {ind.shape} and {a.shape})")
    axis = canonicalize_axis(axis, a.ndim, "take_along_axis")
    shape = []
    for d, (sa, si) in enumerate(zip(a.shape, ind.shape, strict=True)):
        if d == axis:
            shape.append(None)
        elif sa != si and 1 not in (sa, si):
            raise ValueError(f"jaxlite.numpy.take_along_axis: shapes {a.shape} and {ind.shape} do "
                             f"not broadcast outside axis {axis}")
        else:
            shape.append(si if sa == 1 else sa)
    from .shape_ops import broadcast_to

    a = broadcast_to(a, tuple(a.shape[axis] if s is None else s for s in shape))
    ind = broadcast_to(ind, tuple(ind.shape[axis] if s is None else s for s in shape))
    gmode = _mode(mode, lax.GatherScatterMode.FILL_OR_DROP)
    out_shape = tuple(ind.shape)
    if a.size == 0 or ind.size == 0:
        if ind.size == 0 or gmode == lax.GatherScatterMode.FILL_OR_DROP:
            return lax.broadcast_in_dim(fill_scalar(a.dtype, fill_value, a.weak_type), out_shape, ())
        raise IndexError(f"jaxlite.numpy.take_along_axis: index out of bounds for axis {axis} with size 0")
    ind = _normalize(ind, a.shape[axis], _idt() if ind.dtype.itemsize <= 4 else ind.dtype)
    batch = tuple(d for d in range(a.ndim) if d != axis)
    dn = lax.GatherDimensionNumbers((), (axis,), (axis,), batch, batch)
    return lax.gather(a, lax.reshape(ind, out_shape + (1,)), dn, (1,) * a.ndim, mode=gmode,
                      fill_value=fill_value)


# ---- nonzero ----------------------------------------------------------------------------------


def _concrete(a):
    if isinstance(a, Array):
        return np.asarray(a)
    if isinstance(a, Tracer):
        v = a.to_concrete_value()
        return None if v is None else np.asarray(v)
    return np.asarray(a)


def _fills(fill_value, nd, fname):
    if fill_value is None:
        return [0] * nd
    if isinstance(fill_value, (tuple, list)):
        if len(fill_value) != nd:
            raise ValueError(f"jaxlite.numpy.{fname}: fill_value must be a scalar or a tuple of "
                             f"length {nd}, got {fill_value!r}")
        return list(fill_value)
    return [fill_value] * nd


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements, one array per axis. Under tracing `size` must be given:
    the first `size` indices are returned, padded with fill_value (0 by default)."""
    check_arraylike("nonzero", a)
    a = to_array(a)
    if a.ndim == 0:
        raise ValueError("jaxlite.numpy.nonzero: calling nonzero on 0d arrays is not allowed; use "
                         "jnp.atleast_1d(scalar).nonzero() instead")
    fills = _fills(fill_value, a.ndim, "nonzero")
    v = _concrete(a)
    if v is not None:
        nz = np.nonzero(v)
        if size is not None:
            size = operator.index(size)
            nz = [np.concatenate([z[:size], np.full(max(0, size - len(z)), f)])
                  for z, f in zip(nz, fills, strict=True)]
        return tuple(wrap(np.asarray(z).astype(_idt())) for z in nz)
    if size is None:
        raise core.ConcretizationTypeError(
            "jaxlite.numpy.nonzero: the size argument must be given (statically) to use nonzero, "
            "argwhere, flatnonzero or the one-argument where under tracing, because the number of "
            f"nonzero elements of the traced {a.aval.str_short()} is not known; pass size=")
    size = operator.index(size)
    idt, m = _idt(), a.size
    if m == 0:
        return tuple(lax.broadcast_in_dim(convert(to_array(f), idt, False), (size,), ()) for f in fills)
    mask = lax.reshape(a if a.dtype == dtypes.bool_ else lax.ne(a, wrap(np.zeros((), a.dtype))), (m,))
    ones = lax.convert_element_type(mask, idt)
    # Slot of each nonzero element in the output; zeros go to slot `size`, which is dropped.
    slot = lax.select(mask, lax.sub(lax.cumsum(ones, 0), wrap(np.asarray(1, idt))),
                      lax.full((m,), size, idt))
    flat = lax.scatter(lax.full((size,), 0, idt), lax.reshape(slot, (m, 1)), lax.iota(idt, m),
                       lax.ScatterDimensionNumbers((), (0,), (0,)), mode="fill")
    valid = lax.lt(lax.iota(idt, size), lax.reduce_sum(ones, (0,)))
    out = []
    for k, (d, f) in enumerate(zip(a.shape, fills, strict=True)):
        stride = int(np.prod(a.shape[k + 1:], dtype=np.int64))
        c = lax.rem(lax.div(flat, wrap(np.asarray(stride, idt))), wrap(np.asarray(d, idt)))
        out.append(lax.select(valid, c, lax.broadcast_in_dim(convert(to_array(f), idt, False), (size,), ())))
    return tuple(out)


def argwhere(a, *, size=None, fill_value=None):
    """Indices of nonzero elements as rows of an (N, a.ndim) array."""
    check_arraylike("argwhere", a)
    a = to_array(a)
    if a.ndim == 0:
        n = len(nonzero(lax.reshape(a, (1,)), size=size)[0])
        return wrap(np.zeros((n, 0), _idt()))
    cols = nonzero(a, size=size, fill_value=fill_value)
    return lax.concatenate([lax.reshape(c, (c.shape[0], 1)) for c in cols], 1)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero entries of `a` raveled (give `size` under jit)."""
    check_arraylike("flatnonzero", a)
    a = to_array(a)
    return nonzero(lax.reshape(a, (a.size,)), size=size, fill_value=fill_value)[0]


# ---- index helpers ----------------------------------------------------------------------------


def diag_indices(n, ndim=2):
    """Index arrays for the main diagonal of an `ndim`-dimensional array of side `n`."""
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0 or ndim < 0:
        raise ValueError(f"jaxlite.numpy.diag_indices: n ({n}) and ndim ({ndim}) must be >= 0")
    return (lax.iota(_idt(), n),) * ndim


def diag_indices_from(arr):
    """Index arrays for the main diagonal of `arr` (all sides equal)."""
    check_arraylike("diag_indices_from", arr)
    shp = tuple(np.shape(arr)) if not isinstance(arr, (Array, Tracer)) else tuple(arr.shape)
    if len(shp) < 2 or len(set(shp)) != 1:
        raise ValueError(f"jaxlite.numpy.diag_indices_from: needs a square array of at least 2 "
                         f"dimensions, got shape {shp}")
    return diag_indices(shp[0], len(shp))


def _tri_indices(fname, np_fn, n, k, m):
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    k = operator.index(k)
    return tuple(wrap(r.astype(_idt())) for r in np_fn(n, k, m))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (diagonal offset `k`) of an n x m array."""
    return _tri_indices("tril_indices", np.tril_indices, n, k, m)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (diagonal offset `k`) of an n x m array."""
    return _tri_indices("triu_indices", np.triu_indices, n, k, m)


def _tri_from(fname, arr, k, fn):
    check_arraylike(fname, arr)
    shp = tuple(np.shape(arr)) if not isinstance(arr, (Array, Tracer)) else tuple(arr.shape)
    if len(shp) != 2:
        raise ValueError(f"jaxlite.numpy.{fname}: needs a 2-d array, got shape {shp}")
    return fn(shp[0], k, shp[1])


def tril_indices_from(arr, k=0):
    """tril_indices for the shape of the 2-D `arr`."""
    return _tri_from("tril_indices_from", arr, k, tril_indices)


def triu_indices_from(arr, k=0):
    """triu_indices for the shape of the 2-D `arr`."""
    return _tri_from("triu_indices_from", arr, k, triu_indices)


def unravel_index(indices, shape):
    """Flat indices to a tuple of coordinate arrays. As JAX: negative indices wrap once and
    out-of-range ones are clipped (NumPy raises)."""
    check_arraylike("unravel_index", indices)
    ind = _int_indices("unravel_index", indices)
    shape = canonical_shape(shape, "unravel_index")
    total = int(np.prod(shape, dtype=np.int64))
    dt, weak = ind.dtype, ind.weak_type

    def c(v):
        return wrap(np.asarray(v, dt), weak)

    if dtypes.is_signed(dt):
        ind = lax.select(lax.lt(ind, c(0)), lax.add(ind, c(total)), ind)
    if total > 0:
        ind = lax.clamp(c(0), ind, c(total - 1))
    out = []
    for d in reversed(shape):
        out.append(lax.rem(ind, c(d)) if d else ind)
        ind = lax.div(ind, c(d)) if d else ind
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Coordinate arrays to flat indices; mode 'raise' (concrete values only), 'clip' or 'wrap'."""
    dims = canonical_shape(dims, "ravel_multi_index", "dims")
    if len(multi_index) != len(dims):
        raise ValueError(f"jaxlite.numpy.ravel_multi_index: got {len(multi_index)} index arrays "
                         f"for {len(dims)} dimensions")
    check_arraylike("ravel_multi_index", *multi_index)
    if order not in ("C", "F"):
        raise ValueError(f"jaxlite.numpy.ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    idx = [to_array(i) for i in multi_index]
    for i in idx:
        if not dtypes.is_integer(i.dtype):
            raise TypeError("jaxlite.numpy.ravel_multi_index: only integer indices are allowed, got "
                            f"{i.dtype}")
    idx = promote_dtypes(*idx) if len(idx) > 1 else idx
    if mode == "raise":
        for i, d in zip(idx, dims, strict=True):
            v = _concrete(i)
            if v is None:
                raise core.ConcretizationTypeError(
                    "jaxlite.numpy.ravel_multi_index: mode='raise' needs concrete index values; "
                    "use mode='clip' or mode='wrap' under tracing")
            if ((v < 0) | (v >= d)).any():
                raise ValueError("jaxlite.numpy.ravel_multi_index: invalid entry in coordinates array")
    elif mode == "clip":
        idx = [ufuncs.minimum(ufuncs.maximum(i, 0), d - 1) for i, d in zip(idx, dims, strict=True)]
    elif mode == "wrap":
        idx = [ufuncs.remainder(i, d) for i, d in zip(idx, dims, strict=True)]
    else:
        raise ValueError(f"jaxlite.numpy.ravel_multi_index: invalid mode {mode!r}; use 'raise', 'clip' or "
                         "'wrap'")
    strides = [int(np.prod(dims[k + 1:], dtype=np.int64)) for k in range(len(dims))] if order == "C" else \
        [int(np.prod(dims[:k], dtype=np.int64)) for k in range(len(dims))]
    out = None
    for i, s in zip(idx, strides, strict=True):
        term = ufuncs.multiply(i, s)
        out = term if out is None else ufuncs.add(out, term)
    return out


def ix_(*args):
    """Open-mesh index arrays: the k-th 1-d argument is shaped to broadcast along axis k."""
    check_arraylike("ix_", *args)
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = to_array(a)
        if a.ndim != 1:
            raise ValueError(f"jaxlite.numpy.ix_: cross index must be 1 dimensional, got shape {a.shape}")
        if a.dtype == dtypes.bool_:
            a = nonzero(a)[0]
        out.append(lax.reshape(a, tuple(a.shape[0] if j == k else 1 for j in range(n))))
    return tuple(out)
