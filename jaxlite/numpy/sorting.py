"""jaxlite.numpy sorting and searching: sort, argsort, lexsort, partition, searchsorted, digitize.

All sorting goes through the one multi-operand `sort` primitive (stable, NaNs last, -0. == 0.);
argsort sorts an iota alongside the keys. searchsorted is a branchless binary search with a static
number of steps, so it traces. Set operations (unique, ...) are in `setops.py`, histograms,
bincount and interp in `binning.py`, convolutions and polynomials in `convolution.py`; their
public names are re-exported from here.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes
from compiler.primitives import GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers

from .. import core, lax
from ..array import Array
from ..core import Tracer
from ._util import canonicalize_axis, check_arraylike, check_dtype_arg, promote_dtypes, to_array
from .reductions import arraylike, scalar
from .ufuncs import isnan

__all__ = ["sort", "argsort", "lexsort", "partition", "argpartition", "sort_complex",
           "searchsorted", "digitize"]

_SETOPS = ["unique", "unique_values", "unique_counts", "unique_inverse", "unique_all", "union1d",
           "intersect1d", "setdiff1d", "setxor1d", "isin"]
_BINNING = ["histogram", "histogram_bin_edges", "bincount", "interp"]
_CONVOLUTION = ["convolve", "correlate", "polyval", "polyadd", "polysub", "polymul", "cross"]

# ---- Gather / scatter helpers shared by the modules built on sorting --------------------------


def take_last(x, idx):
    """x[..., idx] row by row: x has shape B + (n,), idx integer B + (k,) -> B + (k,).

    Indices are clamped into range (callers clamp or mask themselves where it matters)."""
    nb = x.ndim - 1
    idx = lax.reshape(idx, tuple(idx.shape) + (1,))
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(nb,), start_index_map=(nb,),
                                operand_batching_dims=tuple(range(nb)),
                                start_indices_batching_dims=tuple(range(nb)))
    return lax.gather(x, idx, dn, (1,) * (nb + 1), mode=GatherScatterMode.CLIP)


def take_1d(x, idx):
    """x[idx] for a 1-D x and integer idx of any shape (clamped into range)."""
    idx = lax.reshape(idx, tuple(idx.shape) + (1,))
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    return lax.gather(x, idx, dn, (1,), mode=GatherScatterMode.CLIP)


def scatter_1d(operand, idx, updates, add=False):
    """operand.at[idx].set(updates) (or .add) for 1-D operand and idx; out-of-range idx drop."""
    idx = lax.reshape(idx, tuple(idx.shape) + (1,))
    dn = ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                 scatter_dims_to_operand_dims=(0,))
    fn = lax.scatter_add if add else lax.scatter
    return fn(operand, idx, updates, dn, mode=GatherScatterMode.FILL_OR_DROP)


def index_dtype():
    return dtypes.default_int(core.config.x64)


def ravel(x):
    return lax.reshape(x, (x.size,))


# ---- Sorting ----------------------------------------------------------------------------------


def _prepare(name, a, axis, kind, order):
    if kind is not None:
        raise TypeError(f"jaxlite.numpy.{name}: the 'kind' argument is not supported. Use "
                        f"stable=True or stable=False to specify sort stability.")
    if order is not None:
        raise TypeError(f"jaxlite.numpy.{name}: the 'order' argument is not supported "
                        f"(jaxlite has no structured dtypes)")
    a = arraylike(name, a)
    if axis is None:
        return ravel(a), 0
    return a, canonicalize_axis(axis, a.ndim, name)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """numpy.sort: NaNs last (first when descending); axis=None sorts the flattened array."""
    a, axis = _prepare("sort", a, axis, kind, order)
    if descending:  # reverse, sort stably, reverse: a stable descending order
        return lax.rev(lax.sort(lax.rev(a, (axis,)), axis, is_stable=stable), (axis,))
    return lax.sort(a, axis, is_stable=stable)


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False, dtype=None):
    """numpy.argsort, stable by default (ties keep their order, also when descending)."""
    a, axis = _prepare("argsort", a, axis, kind, order)
    idt = check_dtype_arg(dtype, "argsort") or index_dtype()
    if descending:
        a = lax.rev(a, (axis,))
    iota = lax.broadcasted_iota(idt, a.shape, axis)
    _, perm = lax.sort((a, iota), axis, is_stable=stable, num_keys=1)
    if descending:
        perm = lax.rev(lax.sub(lax.full((), a.shape[axis] - 1, idt), perm), (axis,))
    return perm


def lexsort(keys, axis=-1):
    """numpy.lexsort: indices sorting by the last key first, then the one before, ..."""
    if isinstance(keys, (Array, Tracer, np.ndarray)):
        keys = [lax.index_in_dim(to_array(keys), i, 0, keepdims=False) for i in range(len(keys))]
    keys = tuple(keys)
    if not keys:
        raise TypeError("jaxlite.numpy.lexsort: need a sequence of keys with len > 0")
    check_arraylike("lexsort", *keys)
    keys = [to_array(k) for k in keys]
    shapes = {tuple(k.shape) for k in keys}
    if len(shapes) != 1:
        raise ValueError(f"jaxlite.numpy.lexsort: all keys need the same shape, got {sorted(shapes)}")
    shape = shapes.pop()
    axis = canonicalize_axis(axis, len(shape), "lexsort")
    iota = lax.broadcasted_iota(index_dtype(), shape, axis)
    return lax.sort((*keys[::-1], iota), axis, is_stable=True, num_keys=len(keys))[-1]


def _kth(name, a, kth, axis):
    n = a.shape[axis]
    kth = operator.index(kth)
    if not -n <= kth < n:
        raise ValueError(f"jaxlite.numpy.{name}: kth={kth} is out of bounds for axis {axis} of size {n}")


def partition(a, kth, axis=-1):
    """numpy.partition; a full sort is a valid partition (the kth element is in place, smaller
    ones before it, larger ones after)."""
    a = arraylike("partition", a)
    axis = canonicalize_axis(axis, a.ndim, "partition")
    _kth("partition", a, kth, axis)
    return lax.sort(a, axis)


def argpartition(a, kth, axis=-1):
    """numpy.argpartition, via a stable argsort."""
    a = arraylike("argpartition", a)
    axis = canonicalize_axis(axis, a.ndim, "argpartition")
    _kth("argpartition", a, kth, axis)
    return argsort(a, axis)


def sort_complex(a):
    """numpy.sort_complex: sort (by real part, then imaginary) and return a complex array."""
    a = sort(a, axis=-1)
    if not dtypes.is_complex(a.dtype):
        wide = a.dtype == dtypes.float64 or (a.dtype.itemsize == 8 and core.config.x64)
        a = lax.convert_element_type(a, dtypes.complex128 if wide else dtypes.complex64)
    return a


# ---- Searching --------------------------------------------------------------------------------


def _real_lt(x, y):
    """x < y in the sort order: NaN above everything."""
    lt = lax.lt(x, y)
    if not dtypes.is_inexact(x.dtype):
        return lt
    return lax.bitwise_or(lt, lax.bitwise_and(lax.bitwise_not(isnan(x)), isnan(y)))


def sort_lt(x, y):
    """The strict order the sort primitive uses (complex: real part, then imaginary)."""
    if dtypes.is_complex(x.dtype):
        xr, yr, xi, yi = lax.real(x), lax.real(y), lax.imag(x), lax.imag(y)
        same_re = lax.bitwise_not(lax.bitwise_or(_real_lt(xr, yr), _real_lt(yr, xr)))
        return lax.bitwise_or(_real_lt(xr, yr), lax.bitwise_and(same_re, _real_lt(xi, yi)))
    return _real_lt(x, y)


_SEARCH_METHODS = ("scan", "scan_unrolled", "sort", "compare_all")


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """numpy.searchsorted on a sorted 1-D `a` (NaNs sort last), as int32 like JAX."""
    check_arraylike("searchsorted", a, v, names=["a", "v"])
    if side not in ("left", "right"):
        raise ValueError(f"jaxlite.numpy.searchsorted: invalid argument side={side!r}, expected "
                         f"'left' or 'right'")
    if method not in _SEARCH_METHODS:
        raise ValueError(f"jaxlite.numpy.searchsorted: invalid method={method!r}, expected one of "
                         f"{_SEARCH_METHODS}")
    a, v = to_array(a), to_array(v)
    if a.ndim != 1:
        raise ValueError(f"jaxlite.numpy.searchsorted: a should be 1-dimensional, got shape "
                         f"{tuple(a.shape)}")
    n = a.shape[0]
    if n == 0:
        return lax.full(v.shape, 0, dtypes.int32)
    if sorter is not None:
        check_arraylike("searchsorted", sorter, names=["sorter"])
        a = take_1d(a, to_array(sorter))
    a, v = promote_dtypes(a, v)
    # pred(a[i]) holds on a prefix of `a`; the answer is the length of that prefix.
    if side == "left":
        def pred(ai):
            return sort_lt(ai, v)
    else:
        def pred(ai):
            return lax.bitwise_not(sort_lt(v, ai))
    if method == "compare_all":
        vb = lax.broadcast_in_dim(v, tuple(v.shape) + (n,), tuple(range(v.ndim)))
        ab = lax.broadcast_in_dim(a, tuple(v.shape) + (n,), (v.ndim,))
        hits = lax.convert_element_type(pred_full(side, ab, vb), dtypes.int32)
        return lax.reduce_sum(hits, (v.ndim,))
    count = lax.full(v.shape, 0, dtypes.int32)
    step = 1 << (n.bit_length() - 1)
    while step:
        cand = lax.add(count, scalar(step, dtypes.int32))
        at = take_1d(a, lax.clamp(scalar(0, dtypes.int32), lax.sub(cand, scalar(1, dtypes.int32)),
                                  scalar(n - 1, dtypes.int32)))
        ok = lax.bitwise_and(lax.le(cand, scalar(n, dtypes.int32)), pred(at))
        count = lax.select(ok, cand, count)
        step >>= 1
    return count


def pred_full(side, ab, vb):
    return sort_lt(ab, vb) if side == "left" else lax.bitwise_not(sort_lt(vb, ab))


def digitize(x, bins, right=False, *, method=None):
    """numpy.digitize for increasing or decreasing bins (decided on the values, without Python
    control flow, so it traces)."""
    check_arraylike("digitize", x, bins, names=["x", "bins"])
    x, bins = to_array(x), to_array(bins)
    if bins.ndim != 1:
        raise ValueError(f"jaxlite.numpy.digitize: bins must be a 1-dimensional array, got shape "
                         f"{tuple(bins.shape)}")
    n = bins.shape[0]
    if n == 0:
        return lax.full(x.shape, 0, dtypes.int32)
    side = "left" if right else "right"
    kw = {} if method is None else {"method": method}
    up = searchsorted(bins, x, side, **kw)
    down = lax.sub(scalar(n, dtypes.int32), searchsorted(lax.rev(bins, (0,)), x, side, **kw))
    increasing = lax.ge(lax.index_in_dim(bins, n - 1, 0, False), lax.index_in_dim(bins, 0, 0, False))
    return lax.select(increasing, up, down)


# The modules built on these helpers; their public names belong to this module's surface.
from . import binning as _binning  # noqa: E402
from . import convolution as _convolution  # noqa: E402
from . import setops as _setops  # noqa: E402

for _mod, _names in ((_setops, _SETOPS), (_binning, _BINNING), (_convolution, _CONVOLUTION)):
    for _name in _names:
        globals()[_name] = getattr(_mod, _name)
    __all__ += _names
del _mod, _names, _name
