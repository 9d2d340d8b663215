"""jax.lax functions that are compositions of other lax operations (no primitive of their own
here): top_k, split, tile, collapse, batch_matmul, bit counts, full_like, and the special
functions jax.lax exposes under its own names."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from compiler import dtypes

from ._base import dtype_of, shape_of
from .elementwise import add, bitwise_and, convert_element_type, iota, lt, select, shift_left, shift_right_logical
from .structural import broadcast_in_dim, dot_general, full, reshape, rev, slice_in_dim, sort

__all__ = ["batch_matmul", "bessel_i0e", "bessel_i1e", "betainc", "broadcast_shapes", "clz",
           "collapse", "full_like", "igamma", "igammac", "optimization_barrier",
           "population_count", "split", "tile", "top_k"]


def top_k(operand, k):
    """The k largest entries along the last axis, in descending order, and their indices (ties:
    the lower index first; NaN counts as the largest)."""
    shape = shape_of(operand)
    k = operator.index(k)
    if not shape:
        raise ValueError("top_k: operand must have at least one axis, got a scalar")
    if not 0 <= k <= shape[-1]:
        raise ValueError(f"top_k: k={k} must be between 0 and the last axis' size {shape[-1]}")
    last = len(shape) - 1
    index = broadcast_in_dim(iota(np.int32, shape[-1]), shape, (last,))
    # A stable ascending sort of the reversed row, reversed again: descending, ties in index order.
    values, indices = sort((rev(operand, (last,)), rev(index, (last,))), dimension=last, num_keys=1)
    values, indices = rev(values, (last,)), rev(indices, (last,))
    return slice_in_dim(values, 0, k, axis=last), slice_in_dim(indices, 0, k, axis=last)


def full_like(x, fill_value, dtype=None, shape=None, sharding=None):
    """An array like x (its shape and dtype unless given) filled with fill_value."""
    return full(shape_of(x) if shape is None else shape, fill_value,
                dtype_of(x) if dtype is None else dtype)


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (NumPy's rule)."""
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise ValueError(f"broadcast_shapes: incompatible shapes for broadcasting: {shapes}") from None


def collapse(operand, start_dimension, stop_dimension=None):
    """operand with axes start_dimension..stop_dimension-1 merged into one."""
    shape = shape_of(operand)
    nd = len(shape)
    stop = nd if stop_dimension is None else stop_dimension
    start, stop = start_dimension % (nd or 1), stop if stop >= 0 else stop + nd
    if not 0 <= start <= stop <= nd:
        raise ValueError(f"collapse: bad axis range [{start_dimension}, {stop_dimension}) for shape {shape}")
    size = int(np.prod(shape[start:stop]))
    return reshape(operand, shape[:start] + (size,) + shape[stop:])


def split(operand, sizes, axis=0):
    """Pieces of operand along axis with the given sizes (which must add up to the axis)."""
    shape = shape_of(operand)
    axis = operator.index(axis) % len(shape)
    sizes = [operator.index(s) for s in sizes]
    if any(s < 0 for s in sizes) or builtins.sum(sizes) != shape[axis]:
        raise ValueError(f"split: sizes {sizes} must be nonnegative and add up to axis {axis}'s "
                         f"size {shape[axis]}")
    starts = np.cumsum([0] + sizes)
    return [slice_in_dim(operand, int(a), int(b), axis=axis) for a, b in zip(starts[:-1], starts[1:])]


def tile(operand, multiples):
    """operand repeated multiples[i] times along each axis i."""
    shape = shape_of(operand)
    multiples = tuple(operator.index(m) for m in multiples)
    if len(multiples) != len(shape):
        raise ValueError(f"tile: multiples {multiples} needs one entry per axis of shape {shape}")
    wide = tuple(d for pair in zip(multiples, shape) for d in pair)
    spread = broadcast_in_dim(operand, wide, tuple(range(1, 2 * len(shape), 2)))
    return reshape(spread, tuple(m * s for m, s in zip(multiples, shape)))


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the leading batch axes: (..., m, k) @ (..., k, n)."""
    ls, rs = shape_of(lhs), shape_of(rhs)
    if len(ls) < 2 or len(ls) != len(rs) or ls[:-2] != rs[:-2]:
        raise ValueError(f"batch_matmul: operands need the same batch axes and rank >= 2, got "
                         f"{ls} and {rs}")
    nb = len(ls) - 2
    batch = tuple(range(nb))
    return dot_general(lhs, rhs, (((nb + 1,), (nb,)), (batch, batch)), precision=precision)


def _unsigned(x, fname):
    dt = dtype_of(x)
    if not dtypes.is_integer(dt):
        raise TypeError(f"{fname}: operand must be an integer array, got {dt}")
    return convert_element_type(x, np.dtype(f"uint{dt.itemsize * 8}")) if dt.kind == "i" else x, dt


def population_count(x):
    """The number of 1 bits of each element (of its two's complement bits for signed ints)."""
    u, dt = _unsigned(x, "population_count")
    count = full(shape_of(u), 0, u.dtype)
    for shift in range(dt.itemsize * 8):
        count = add(count, bitwise_and(shift_right_logical(u, full((), shift, u.dtype)), full((), 1, u.dtype)))
    return convert_element_type(count, dt)


def clz(x):
    """The number of leading zero bits of each element."""
    u, dt = _unsigned(x, "clz")
    bits = dt.itemsize * 8
    count = full(shape_of(u), bits, np.int32)
    # The highest set bit b leaves bits - 1 - b leading zeros; later (higher) bits overwrite.
    for b in range(bits):
        mask = shift_left(full((), 1, u.dtype), full((), b, u.dtype))
        is_set = lt(full((), 0, u.dtype), bitwise_and(u, mask))
        count = select(is_set, full(shape_of(u), bits - 1 - b, np.int32), count)
    return convert_element_type(count, dt)


def optimization_barrier(operand):
    """operand unchanged: jaxlite's compiler does not move work across it anyway."""
    return operand


def bessel_i0e(x):
    """The exponentially scaled modified Bessel function of order 0 (scipy.special.i0e)."""
    from ..scipy.special import i0e

    return i0e(x)


def bessel_i1e(x):
    """The exponentially scaled modified Bessel function of order 1 (scipy.special.i1e)."""
    from ..scipy.special import i1e

    return i1e(x)


def igamma(a, x):
    """The regularised lower incomplete gamma function P(a, x) (scipy.special.gammainc)."""
    from ..scipy.special import gammainc

    return gammainc(a, x)


def igammac(a, x):
    """The regularised upper incomplete gamma function Q(a, x) (scipy.special.gammaincc)."""
    from ..scipy.special import gammaincc

    return gammaincc(a, x)


def betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b) (scipy.special.betainc)."""
    from ..scipy.special import betainc as _betainc

    return _betainc(a, b, x)
