"""Set operations on sorted data: unique (and the Array API unique_*), union1d, intersect1d,
setdiff1d, setxor1d, isin. Public names are re-exported by `sorting.py`.

Their output length depends on the values, so eagerly it is read from the data, and under tracing
a static `size=` is required (JAX's rule): the result is then truncated or padded to `size`, with
`fill_value` or JAX's default padding. Everything else is sort + cumsum + gather/scatter, so one
code path serves both.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

from compiler import dtypes

from .. import core, lax
from ..array import Array
from ._util import canonicalize_axis, check_arraylike, convert, promote_dtypes, to_array
from .reductions import arraylike, scalar
from .sorting import index_dtype, ravel, scatter_1d, searchsorted, take_1d
from .ufuncs import isnan

__all__: list = []  # exported through sorting.py


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def _sorted_with_perm(x):
    """Stable sort of a 1-D x and the permutation that sorts it."""
    iota = lax.iota(index_dtype(), x.shape[0])
    return lax.sort((x, iota), 0, is_stable=True, num_keys=1)


def _differs(hi, lo, equal_nan):
    ne = lax.ne(hi, lo)
    if equal_nan and dtypes.is_inexact(hi.dtype):
        ne = lax.bitwise_and(ne, lax.bitwise_not(lax.bitwise_and(isnan(hi), isnan(lo))))
    return ne


def _first_of_run(cols, n, equal_nan):
    """True where a sorted row starts a new run of equal rows (cols: the row's columns, each (n,))."""
    if n == 0:
        return lax.full((0,), False, dtypes.bool_)
    if not cols:  # zero-width rows are all equal
        return lax.lt(lax.iota(dtypes.int32, n), scalar(1, dtypes.int32))
    new = None
    for c in cols:
        d = _differs(lax.slice(c, (1,), (n,)), lax.slice(c, (0,), (n - 1,)), equal_nan)
        new = d if new is None else lax.bitwise_or(new, d)
    return lax.concatenate([lax.full((1,), True, dtypes.bool_), new], 0)


def output_length(name, count, size, what):
    """The static output length: size=, or the concrete count (eager only)."""
    if size is not None:
        size = operator.index(size)
        if size < 0:
            raise ValueError(f"jaxlite.numpy.{name}: size must be non-negative, got {size}")
        return size
    try:
        return int(count)
    except core.ConcretizationTypeError:
        raise core.ConcretizationTypeError(
            f"jaxlite.numpy.{name}: the number of {what} depends on the values of the input, which "
            f"are not known while tracing (under jit, make_jaxpr, vmap, ...). Pass a static size= "
            f"argument (and optionally fill_value=) to fix the output length.") from None


def compact(keep, length):
    """Positions of the first `length` True entries of keep (0 for unused slots), and whether each
    slot is used. Kept entries are scattered to slot cumsum(keep) - 1; the rest drop."""
    n = keep.shape[0]
    idt = index_dtype()
    slot = lax.sub(lax.cumsum(lax.convert_element_type(keep, idt), 0), scalar(1, idt))
    target = lax.select(keep, slot, lax.full((n,), length, idt))
    pos = scatter_1d(lax.full((length,), 0, idt), target, lax.iota(idt, n))
    count = lax.reduce_sum(lax.convert_element_type(keep, idt), (0,))
    used = lax.lt(lax.iota(idt, length), count)
    return pos, used


def _default_pad(values, used, fill_value, nan_min=False):
    """The padding value: fill_value, else (JAX's behaviour) the smallest result, or 0 when there
    is none. nan_min: a NaN among the results makes it NaN (setxor1d, which takes a min)."""
    if fill_value is not None:
        return convert(fill_value, values.dtype, False)
    zero = lax.full((), 0, values.dtype)
    if values.shape[0] == 0:
        return zero
    if nan_min:
        top = lax.full(values.shape, dtypes.highest(values.dtype), values.dtype)
        smallest = lax.reduce_min(lax.select(used, values, top), (0,))
    else:
        smallest = lax.index_in_dim(values, 0, 0, keepdims=False)  # results are sorted
    return lax.select(lax.index_in_dim(used, 0, 0, keepdims=False), smallest, zero)


def _pad(values, used, fill):
    return lax.select(used, values, lax.full(values.shape, fill, values.dtype))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):  # noqa: A002 - NumPy's name
    """numpy.unique (sorted). Under tracing size= is required; padding slots hold fill_value (by
    default the smallest unique value), index 0-th index and count 0, as JAX."""
    ar = arraylike("unique", ar)
    if axis is None:
        x = ravel(ar)
        n = x.shape[0]
        s, perm = _sorted_with_perm(x)
        cols = [s]
    else:
        axis = canonicalize_axis(axis, ar.ndim, "unique")
        moved = lax.transpose(ar, (axis,) + tuple(d for d in range(ar.ndim) if d != axis))
        n, rest = moved.shape[0], moved.shape[1:]
        m = 1
        for d in rest:
            m *= d
        rows = lax.reshape(moved, (n, m))
        cols = [lax.index_in_dim(rows, j, 1, keepdims=False) for j in range(m)]
        iota = lax.iota(index_dtype(), n)
        *cols, perm = lax.sort((*cols, iota), 0, is_stable=True, num_keys=max(m, 1)) if m else (iota,)
    keep = _first_of_run(cols, n, equal_nan)
    count = lax.reduce_sum(lax.convert_element_type(keep, index_dtype()), (0,))
    length = output_length("unique", count, size, "unique values")
    if n == 0 and length > 0 and fill_value is None:
        raise ValueError("jaxlite.numpy.unique: for zero-sized input with nonzero size argument, "
                         "fill_value must be specified")
    idt = index_dtype()
    if n == 0:
        pos, used = lax.full((length,), 0, idt), lax.full((length,), False, dtypes.bool_)
    else:
        pos, used = compact(keep, length)
    fill = None if fill_value is None else convert(fill_value, ar.dtype, False)
    empty_fill = 0 if fill is None else fill  # only used for zero-length results
    if axis is None:
        vals = take_1d(s, pos) if n else lax.full((length,), empty_fill, ar.dtype)
        if n and fill is not None:
            vals = _pad(vals, used, fill)
    else:
        picked = [take_1d(c, pos) if n else lax.full((length,), empty_fill, ar.dtype) for c in cols]
        if n and fill is not None:
            picked = [_pad(p, used, fill) for p in picked]
        stacked = (lax.concatenate([lax.reshape(p, (length, 1)) for p in picked], 1) if picked
                   else lax.full((length, 0), 0, ar.dtype))
        vals = lax.reshape(stacked, (length,) + tuple(rest))
        order = list(range(1, ar.ndim))
        order.insert(axis, 0)
        vals = lax.transpose(vals, tuple(order))
    outs = [vals]
    if return_index:
        outs.append(take_1d(perm, pos) if n else lax.full((length,), 0, idt))
    if return_inverse:
        if n:
            group = lax.sub(lax.cumsum(lax.convert_element_type(keep, idt), 0), scalar(1, idt))
            inv = scatter_1d(lax.full((n,), 0, idt), perm, group)
        else:
            inv = lax.full((0,), 0, idt)
        outs.append(lax.reshape(inv, tuple(ar.shape)) if axis is None else inv)
    if return_counts:
        if n:
            group = lax.sub(lax.cumsum(lax.convert_element_type(keep, idt), 0), scalar(1, idt))
            counts = scatter_1d(lax.full((length,), 0, idt), group, lax.full((n,), 1, idt), add=True)
        else:
            counts = lax.full((length,), 0, idt)
        outs.append(counts)
    return outs[0] if len(outs) == 1 else tuple(outs)


def unique_values(x, /, *, size=None, fill_value=None):
    """Array API unique_values: sorted, NaNs kept apart (equal_nan=False)."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    """The unique values of `x` and how often each occurs (array API)."""
    v, c = unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueCountsResult(v, c)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """The unique values of `x` and the indices that rebuild `x` from them (array API)."""
    v, inv = unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueInverseResult(v, inv)


def unique_all(x, /, *, size=None, fill_value=None):
    """Unique values, first indices, inverse indices and counts of `x` (array API)."""
    v, i, inv, c = unique(x, True, True, True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueAllResult(v, i, inv, c)


def _flat_pair(name, ar1, ar2):
    check_arraylike(name, ar1, ar2, names=["ar1", "ar2"])
    a1, a2 = promote_dtypes(to_array(ar1), to_array(ar2))
    return ravel(a1), ravel(a2)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """numpy.union1d: the sorted unique values of both arrays."""
    a1, a2 = _flat_pair("union1d", ar1, ar2)
    return unique(lax.concatenate([a1, a2], 0), size=size, fill_value=fill_value)


def _members(s2, v):
    """For each v, whether it occurs in the sorted 1-D s2, and the index of its first occurrence."""
    n2 = s2.shape[0]
    if n2 == 0:
        return lax.full(v.shape, False, dtypes.bool_), lax.full(v.shape, 0, dtypes.int32)
    j = searchsorted(s2, v, side="left")
    found = lax.bitwise_and(lax.lt(j, scalar(n2, dtypes.int32)), lax.eq(take_1d(s2, j), v))
    return found, j


def _sorted_set(a, assume_unique):
    s, perm = _sorted_with_perm(a)
    n = a.shape[0]
    keep = lax.full((n,), True, dtypes.bool_) if assume_unique else _first_of_run([s], n, True)
    return s, perm, keep


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """numpy.intersect1d: sorted values found in both (return_indices: their first positions)."""
    a1, a2 = _flat_pair("intersect1d", ar1, ar2)
    n1, n2 = a1.shape[0], a2.shape[0]
    s1, p1, k1 = _sorted_set(a1, assume_unique)
    s2, p2 = _sorted_with_perm(a2)
    found, j = _members(s2, s1)
    keep = lax.bitwise_and(k1, found)
    count = lax.reduce_sum(lax.convert_element_type(keep, index_dtype()), (0,))
    length = output_length("intersect1d", count, size, "common values")
    if n1 == 0:
        vals = lax.full((length,), 0 if fill_value is None else fill_value, a1.dtype)
        empty = lax.full((length,), 0, index_dtype())
        return (vals, empty, empty) if return_indices else vals
    pos, used = compact(keep, length)
    vals = take_1d(s1, pos)
    # Padding: fill_value, else the first common value (JAX's default).
    vals = _pad(vals, used, _default_pad(vals, used, fill_value))
    if not return_indices:
        return vals
    i1 = _pad(take_1d(p1, pos), used, scalar(n1, p1.dtype))
    i2 = _pad(take_1d(p2, take_1d(j, pos)), used, scalar(n2, p2.dtype)) if n2 else \
        lax.full((length,), n2, p1.dtype)
    return vals, i1, i2


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """numpy.setdiff1d: sorted unique values of ar1 not in ar2 (padding defaults to 0, as JAX)."""
    a1, a2 = _flat_pair("setdiff1d", ar1, ar2)
    s1, _, k1 = _sorted_set(a1, assume_unique)
    s2 = lax.sort(a2, 0)
    found, _ = _members(s2, s1)
    keep = lax.bitwise_and(k1, lax.bitwise_not(found))
    count = lax.reduce_sum(lax.convert_element_type(keep, index_dtype()), (0,))
    length = output_length("setdiff1d", count, size, "values in the difference")
    pad = convert(0 if fill_value is None else fill_value, a1.dtype, False)
    if a1.shape[0] == 0:
        return lax.full((length,), pad, a1.dtype)
    pos, used = compact(keep, length)
    return _pad(take_1d(s1, pos), used, pad)


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """numpy.setxor1d: sorted values in exactly one of the arrays."""
    a1, a2 = _flat_pair("setxor1d", ar1, ar2)
    s1, _, k1 = _sorted_set(a1, assume_unique)
    s2, _, k2 = _sorted_set(a2, assume_unique)
    only1 = lax.bitwise_and(k1, lax.bitwise_not(_members(s2, s1)[0]))
    only2 = lax.bitwise_and(k2, lax.bitwise_not(_members(s1, s2)[0]))
    vals = lax.concatenate([s1, s2], 0)
    drop = lax.bitwise_not(lax.concatenate([only1, only2], 0))
    # Kept values first (drop=False sorts first), each group in ascending order.
    drop, vals = lax.sort((drop, vals), 0, is_stable=True, num_keys=2)
    keep = lax.bitwise_not(drop)
    count = lax.reduce_sum(lax.convert_element_type(keep, index_dtype()), (0,))
    length = output_length("setxor1d", count, size, "values in the symmetric difference")
    if vals.shape[0] == 0:
        return lax.full((length,), 0 if fill_value is None else fill_value, vals.dtype)
    pos, used = compact(keep, length)
    out = take_1d(vals, pos)
    return _pad(out, used, _default_pad(out, used, fill_value, nan_min=True))


_ISIN_METHODS = ("auto", "compare_all", "binary_search", "sort")


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """numpy.isin: whether each element occurs in test_elements (NaN never matches)."""
    check_arraylike("isin", element, test_elements, names=["element", "test_elements"])
    if method not in _ISIN_METHODS:
        raise ValueError(f"jaxlite.numpy.isin: method must be one of {_ISIN_METHODS}, got {method!r}")
    e, t = promote_dtypes(to_array(element), to_array(test_elements))
    t = ravel(t)
    flat = ravel(e)
    if method == "compare_all":
        n = t.shape[0]
        eb = lax.broadcast_in_dim(flat, (flat.shape[0], n), (0,))
        tb = lax.broadcast_in_dim(t, (flat.shape[0], n), (1,))
        found = lax.reduce_or(lax.eq(eb, tb), (1,))
    else:
        found, _ = _members(lax.sort(t, 0), flat)
    found = lax.reshape(found, tuple(e.shape))
    return lax.bitwise_not(found) if invert else found
