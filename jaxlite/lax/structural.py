"""lax shape operations, reductions, cumulative ops, dot_general and sort."""

from __future__ import annotations

import builtins

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from .. import core
from ..core import bind
from ._base import normalize_axis, operands, shape_of


def _ints(xs, name, what):
    try:
        return tuple(int(operator_index(x)) for x in xs)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a sequence of ints, got {xs!r}") from None


def operator_index(x):
    import operator

    return operator.index(x)


# ---- Shape operations -------------------------------------------------------------------------


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Broadcast `operand` to `shape`, its axes landing at `broadcast_dimensions`."""
    shape = _ints(shape, "broadcast_in_dim", "shape")
    bd = _ints(broadcast_dimensions, "broadcast_in_dim", "broadcast_dimensions")
    if shape_of(operand) == shape and bd == tuple(range(len(shape))):
        return operand
    return bind(P.broadcast_in_dim_p, operand, shape=shape, broadcast_dimensions=bd)


def broadcast(operand, sizes):
    """Add leading axes of `sizes` to `operand`."""
    sizes = _ints(sizes, "broadcast", "sizes")
    nd = len(shape_of(operand))
    return broadcast_in_dim(operand, sizes + shape_of(operand),
                            tuple(range(len(sizes), len(sizes) + nd)))


def reshape(operand, new_sizes, dimensions=None):
    """`operand` with shape `new_sizes` (row-major; `dimensions` transposes first)."""
    new_sizes = _ints(new_sizes, "reshape", "new_sizes")
    dims = None if dimensions is None else _ints(dimensions, "reshape", "dimensions")
    if dims is not None and dims == tuple(range(len(dims))):
        dims = None
    if shape_of(operand) == new_sizes and dims is None:
        return operand
    return bind(P.reshape_p, operand, new_sizes=new_sizes, dimensions=dims)


def transpose(operand, permutation):
    """Permute the axes of `operand`: output axis i is input axis `permutation[i]`."""
    perm = _ints(permutation, "transpose", "permutation")
    if perm == tuple(range(len(perm))) and len(perm) == len(shape_of(operand)):
        return operand
    return bind(P.transpose_p, operand, permutation=perm)


def squeeze(array, dimensions):
    """Remove the size-1 axes `dimensions`."""
    nd = len(shape_of(array))
    dims = tuple(sorted(normalize_axis(d, nd, "squeeze", "dimensions") for d in dimensions))
    if not dims:
        return array
    return bind(P.squeeze_p, array, dimensions=dims)


def expand_dims(array, dimensions):
    """Insert size-1 axes at `dimensions`."""
    nd = len(shape_of(array)) + len(dimensions)
    dims = tuple(sorted(normalize_axis(d, nd, "expand_dims", "dimensions") for d in dimensions))
    if not dims:
        return array
    return bind(P.expand_dims_p, array, dimensions=dims)


def rev(operand, dimensions):
    """Reverse `operand` along `dimensions`."""
    dims = tuple(sorted(_ints(dimensions, "rev", "dimensions")))
    return operand if not dims else bind(P.rev_p, operand, dimensions=dims)


def concatenate(operands_, dimension):
    """Join `operands` along axis `dimension`."""
    ops = operands("concatenate", *operands_)
    if len(ops) == 1:
        return ops[0]
    return bind(P.concatenate_p, *ops, dimension=int(dimension))


def pad(operand, padding_value, padding_config):
    """Pad with `padding_value`: `padding_config` is (low, high, interior) per axis; negative low/high crop."""
    operand, padding_value = operands("pad", operand, padding_value)
    cfg = tuple(tuple(int(v) for v in c) for c in padding_config)
    return bind(P.pad_p, operand, padding_value, padding_config=cfg)


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001 - JAX's name
    """The static slice `operand[start:limit:stride]` per axis."""
    start = _ints(start_indices, "slice", "start_indices")
    limit = _ints(limit_indices, "slice", "limit_indices")
    strides = None if strides is None else _ints(strides, "slice", "strides")
    if strides is not None and builtins.all(s == 1 for s in strides):
        strides = None
    if start == (0,) * len(start) and limit == shape_of(operand) and strides is None:
        return operand
    return bind(P.slice_p, operand, start_indices=start, limit_indices=limit, strides=strides)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """The static slice `[start_index:limit_index:stride]` of `operand` along `axis`."""
    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "slice_in_dim")
    start = [0] * len(shape)
    limit = list(shape)
    strides = [1] * len(shape)
    n = shape[axis]
    s = 0 if start_index is None else int(start_index)
    e = n if limit_index is None else int(limit_index)
    start[axis] = s + n if s < 0 else s
    limit[axis] = e + n if e < 0 else e
    strides[axis] = int(stride)
    return slice(operand, start, limit, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """The entry `index` of `operand` along `axis`, keeping that axis with size 1 if `keepdims`."""
    shape = shape_of(operand)
    axis = normalize_axis(axis, len(shape), "index_in_dim")
    index = int(index)
    n = shape[axis]
    if not -n <= index < n:
        raise IndexError(f"index_in_dim: index {index} is out of bounds for axis {axis} of size {n}")
    index %= n
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


# ---- Reductions -------------------------------------------------------------------------------


def _reducer(prim):
    def op(operand, axes):
        nd = len(shape_of(operand))
        axes = tuple(sorted({normalize_axis(a, nd, prim.name, "axes") for a in axes}))
        return bind(prim, operand, axes=axes)

    op.__name__ = prim.name
    op.__doc__ = f"Reduce `operand` over `axes` (lax primitive `{prim.name}`)."
    return op


reduce_sum = _reducer(P.reduce_sum_p)
reduce_prod = _reducer(P.reduce_prod_p)
reduce_max = _reducer(P.reduce_max_p)
reduce_min = _reducer(P.reduce_min_p)
reduce_and = _reducer(P.reduce_and_p)
reduce_or = _reducer(P.reduce_or_p)
reduce_xor = _reducer(P.reduce_xor_p)


def argmax(operand, axis, index_dtype):
    """Index of the largest value along `axis` (the first one on ties; NaN counts as largest), as `index_dtype`."""
    nd = len(shape_of(operand))
    axis = normalize_axis(axis, nd, "argmax")
    return bind(P.argmax_p, operand, axes=(axis,),
                index_dtype=dtypes.canonicalize(index_dtype, core.config.x64))


def argmin(operand, axis, index_dtype):
    """Index of the smallest value along `axis` (the first one on ties; NaN counts as smallest), as `index_dtype`."""
    nd = len(shape_of(operand))
    axis = normalize_axis(axis, nd, "argmin")
    return bind(P.argmin_p, operand, axes=(axis,),
                index_dtype=dtypes.canonicalize(index_dtype, core.config.x64))


def reduce(operands_, init_values, computation, dimensions):
    """lax.reduce for the monoids JAX recognises (add, mul, max, min, and, or with their
    identities); other computations need a general reduction the compiler does not have."""
    from . import elementwise as E

    single = not isinstance(operands_, (tuple, list))
    ops = (operands_,) if single else tuple(operands_)
    inits = (init_values,) if single else tuple(init_values)
    monoids = {E.add: (reduce_sum, 0), E.mul: (reduce_prod, 1), E.max: (reduce_max, None),
               E.min: (reduce_min, None), E.bitwise_and: (reduce_and, None),
               E.bitwise_or: (reduce_or, None)}
    if computation in monoids and len(ops) == 1:
        fn, _ = monoids[computation]
        out = fn(ops[0], dimensions)
        init = inits[0]
        combined = computation(out, init)
        return combined
    raise TypeError(
        "lax.reduce: only the monoid computations lax.add, lax.mul, lax.max, lax.min, "
        "lax.bitwise_and and lax.bitwise_or on a single operand are supported; "
        "use reduce_sum / reduce_max etc., or jnp reductions")


# ---- Cumulative -------------------------------------------------------------------------------


def _cumulative(prim):
    def op(operand, axis=0, reverse=False):
        nd = len(shape_of(operand))
        axis = normalize_axis(axis, nd, prim.name)
        return bind(prim, operand, axis=axis, reverse=bool(reverse))

    op.__name__ = prim.name
    op.__doc__ = f"Cumulative {prim.name.removeprefix('cum')} along `axis` (from the end if `reverse`)."
    return op


cumsum = _cumulative(P.cumsum_p)
cumprod = _cumulative(P.cumprod_p)
cummax = _cumulative(P.cummax_p)
cummin = _cumulative(P.cummin_p)
cumlogsumexp = _cumulative(P.cumlogsumexp_p)

# ---- Contraction and sorting ------------------------------------------------------------------


class Precision:
    """Precision of matrix products (DEFAULT, HIGH, HIGHEST); on the CPU every choice computes in full precision."""
    DEFAULT = None
    HIGH = "high"
    HIGHEST = "highest"


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Generalised tensor contraction: `dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))`."""
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((_ints(lc, "dot_general", "contracting dims"), _ints(rc, "dot_general", "contracting dims")),
          (_ints(lb, "dot_general", "batch dims"), _ints(rb, "dot_general", "batch dims")))
    pet = None if preferred_element_type is None else dtypes.canonicalize(preferred_element_type, core.config.x64)
    lhs, rhs = operands("dot_general", lhs, rhs)
    return bind(P.dot_general_p, lhs, rhs, dimension_numbers=dn, precision=None,
                preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """lax.dot: vector.vector, matrix.vector or matrix.matrix."""
    ls, rs = shape_of(lhs), shape_of(rhs)
    if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2):
        raise TypeError(f"dot: needs operands of rank 1 or 2, got shapes {ls} and {rs}")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())), precision, preferred_element_type)


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort `operand` (or a tuple of operands by the first `num_keys`) along `dimension`."""
    single = not isinstance(operand, (tuple, list))
    ops = (operand,) if single else tuple(operand)
    nd = len(shape_of(ops[0]))
    dimension = normalize_axis(dimension, nd, "sort", "dimension")
    outs = bind(P.sort_p, *ops, dimension=dimension, is_stable=bool(is_stable), num_keys=int(num_keys))
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """Sort `keys` along `dimension` and permute `values` the same way; returns (keys, values)."""
    k, v = sort((keys, values), dimension, is_stable, 1)
    return k, v


def full(shape, fill_value, dtype=None):
    """An array of `shape` filled with `fill_value` (of `dtype`, or the value's)."""
    from .elementwise import convert_element_type

    shape = _ints(shape, "full", "shape") if np.ndim(shape) else (int(shape),)
    if dtype is None:
        val = fill_value
    else:
        val = convert_element_type(fill_value, dtype)
    if not isinstance(val, (core.Tracer,)) and not hasattr(val, "_value"):
        from ..array import Array

        val = Array(val)
    if shape_of(val) != ():
        raise TypeError(f"full: fill_value must be a scalar, got shape {shape_of(val)}")
    return broadcast_in_dim(val, shape, ())
