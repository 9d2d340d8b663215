"""Collectives over named axes: psum, pmean, pmax, pmin, all_gather, axis_index, ppermute.

The wrappers bind primitives whose params name the axes; the axis environment (batching.py)
must bind every name they use, or they raise NameError("unbound axis name: ..."). Their
batching rules say what a collective means for the axis one vmap maps: a psum over the mapped
axis is a sum over the batch axis, whose result is the same for every example (unbatched).
Names the trace does not own are passed on to the trace below with the batch axis carried along.

Differentiation follows JAX's vmap/pmap semantics: psum is linear and its transpose is psum again
(each example's cotangent reaches every example it summed), all_gather transposes to
psum_scatter, ppermute to the inverse permutation. The jvp/transpose rules are registered into the AD
tables when jaxlite.ad_rules is importable (see `_register_ad_rules`).
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from .. import batching, core, tree_util
from ..array import Array, wrap
from ..batching import batch_rules, bdim_to, broadcast_batch, moveaxis, shape_of
from ..core import Tracer, bind
from . import elementwise as E
from . import indexing as I
from . import structural as S

__all__ = ["psum", "pmean", "pmax", "pmin", "all_gather", "axis_index", "ppermute", "axis_size"]


def _names(axis_name, fn):
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    if not names:
        raise ValueError(f"{fn}: axis_name must name at least one axis")
    for n in names:
        if isinstance(n, int) and not isinstance(n, bool):
            raise NotImplementedError(
                f"{fn}: positional (integer) axes are not supported; name the axis with "
                f"vmap(..., axis_name=...) and pass that name")
        batching.lookup_axis(n)  # NameError: unbound axis name
    return names


def _array(x):
    return x if isinstance(x, (Tracer, Array)) else Array(x)


def axis_size(axis_name):
    """Size of a bound axis (the product for a tuple of names), as jax.lax.axis_size."""
    return batching.axis_size(_names(axis_name, "axis_size"))


def _no_groups(axis_index_groups, fn):
    if axis_index_groups is not None:
        raise NotImplementedError(f"{fn}: axis_index_groups is not supported")


def psum(x, axis_name, *, axis_index_groups=None):
    """Sum of x over the named mapped axes; the same value for every index along them."""
    _no_groups(axis_index_groups, "psum")
    names = _names(axis_name, "psum")
    return tree_util.tree_map(lambda v: bind(P.psum_p, _array(v), axes=names), x)


def pmean(x, axis_name, *, axis_index_groups=None):
    _no_groups(axis_index_groups, "pmean")
    names = _names(axis_name, "pmean")
    n = batching.axis_size(names)

    def mean(v):
        s = bind(P.psum_p, _array(v), axes=names)
        if not dtypes.is_inexact(s.dtype):  # as jnp's true division
            s = E.convert_element_type(s, dtypes.default_float(core.config.x64))
        return E.div(s, n)

    return tree_util.tree_map(mean, x)


def pmax(x, axis_name, *, axis_index_groups=None):
    _no_groups(axis_index_groups, "pmax")
    names = _names(axis_name, "pmax")
    return tree_util.tree_map(lambda v: bind(P.pmax_p, _array(v), axes=names), x)


def pmin(x, axis_name, *, axis_index_groups=None):
    _no_groups(axis_index_groups, "pmin")
    names = _names(axis_name, "pmin")
    return tree_util.tree_map(lambda v: bind(P.pmin_p, _array(v), axes=names), x)


def _all_gather_one(v, name, axis, tiled):
    v = _array(v)
    nd = len(shape_of(v))
    limit = nd if tiled else nd + 1
    if not -limit <= axis < limit:
        raise ValueError(f"all_gather: axis={axis} is out of bounds for rank {nd}")
    return bind(P.all_gather_p, v, axis_name=name, all_gather_dimension=axis % limit,
                axis_size=batching.lookup_axis(name).size, tiled=bool(tiled))


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Stack (or with tiled=True, concatenate) the values of every index along the named axes."""
    _no_groups(axis_index_groups, "all_gather")
    names = _names(axis_name, "all_gather")

    def gather(v):
        if len(names) == 1:
            return _all_gather_one(v, names[0], axis, tiled)
        # Several names: gather the innermost first; the first name varies slowest.
        v = _array(v)
        nd = len(shape_of(v))
        ax = axis % (nd if tiled else nd + 1)
        for n in reversed(names):
            v = _all_gather_one(v, n, ax, False)
        shape = list(shape_of(v))
        k = len(names)
        merged = int(np.prod(shape[ax:ax + k]))
        if tiled:
            return S.reshape(v, shape[:ax] + [merged * shape[ax + k]] + shape[ax + k + 1:])
        return S.reshape(v, shape[:ax] + [merged] + shape[ax + k:])

    return tree_util.tree_map(gather, x)


def axis_index(axis_name):
    """The position along the named axis (row-major over a tuple of names), as int32."""
    names = _names(axis_name, "axis_index")
    out = None
    for n in names:
        i = bind(P.axis_index_p, axis_name=n)
        out = i if out is None else E.add(E.mul(out, np.int32(batching.lookup_axis(n).size)), i)
    return out


def ppermute(x, axis_name, perm):
    """Send x from index src to index dst for each (src, dst) in perm; other indices get zeros."""
    names = _names(axis_name, "ppermute")
    if len(names) != 1:
        raise NotImplementedError("ppermute: only one axis name is supported")
    size = batching.lookup_axis(names[0]).size
    perm = tuple((int(s), int(d)) for s, d in perm)
    for s, d in perm:
        if not (0 <= s < size and 0 <= d < size):
            raise ValueError(f"ppermute: perm entry ({s}, {d}) out of range for axis size {size}")
    return tree_util.tree_map(
        lambda v: bind(P.ppermute_p, _array(v), axis_name=names[0], perm=perm), x)


# ---- Batching rules -----------------------------------------------------------------------------


def _reduce_collective_batch(prim, reduce):
    def rule(axis_data, vals, dims, *, axes, axis_index_groups=None):
        (x,), (d,) = vals, dims
        if axis_data.name is None or axis_data.name not in axes:
            return bind(prim, x, axes=axes), d
        rest = tuple(a for a in axes if a != axis_data.name)
        y = reduce(x, d, axis_data.size)
        return (bind(prim, y, axes=rest) if rest else y), None

    rule.__name__ = f"{prim.name}_batch"
    return rule


def _sum_over(x, d, size):
    if d is not None:
        return S.reduce_sum(x, (d,))
    if x.dtype == dtypes.bool_:
        raise TypeError("psum: boolean operands are not supported; convert to an integer type")
    return E.mul(x, size)  # the same value at every index


def _max_over(x, d, size):
    return x if d is None else S.reduce_max(x, (d,))


def _min_over(x, d, size):
    return x if d is None else S.reduce_min(x, (d,))


batch_rules[P.psum_p] = _reduce_collective_batch(P.psum_p, _sum_over)
batch_rules[P.pmax_p] = _reduce_collective_batch(P.pmax_p, _max_over)
batch_rules[P.pmin_p] = _reduce_collective_batch(P.pmin_p, _min_over)


def all_gather_batch(axis_data, vals, dims, *, axis_name, all_gather_dimension, axis_size,
                     tiled=False):
    (x,), (d,) = vals, dims
    dim = all_gather_dimension
    if axis_name != axis_data.name:
        if d is not None:
            x, dim = moveaxis(x, d, 0), dim + 1
        out = bind(P.all_gather_p, x, axis_name=axis_name, all_gather_dimension=dim,
                   axis_size=axis_size, tiled=tiled)
        return out, (None if d is None else 0)
    y = broadcast_batch(x, axis_data.size, dim) if d is None else moveaxis(x, d, dim)
    if tiled:
        shape = list(shape_of(y))
        y = S.reshape(y, shape[:dim] + [shape[dim] * shape[dim + 1]] + shape[dim + 2:])
    return y, None


def axis_index_batch(axis_data, vals, dims, *, axis_name):
    if axis_name != axis_data.name:
        return bind(P.axis_index_p, axis_name=axis_name), None
    return E.iota(np.int32, axis_data.size), 0


def ppermute_batch(axis_data, vals, dims, *, axis_name, perm):
    (x,), (d,) = vals, dims
    if axis_name != axis_data.name:
        return bind(P.ppermute_p, x, axis_name=axis_name, perm=perm), d
    size = axis_data.size
    x = bdim_to(x, d, size, 0)
    src_of = {dst: src for src, dst in perm}
    src = np.array([src_of.get(j, 0) for j in range(size)], np.int32).reshape(size, 1)
    rest = shape_of(x)[1:]
    dn = P.GatherDimensionNumbers(offset_dims=tuple(range(1, 1 + len(rest))),
                                  collapsed_slice_dims=(0,), start_index_map=(0,))
    out = I.gather(x, wrap(src), dn, (1,) + tuple(rest), mode="promise_in_bounds")
    if len(src_of) < size:  # indices nobody sends to receive zeros
        has_src = np.array([j in src_of for j in range(size)])
        mask = broadcast_to_rank(wrap(has_src), shape_of(out))
        out = E.select_n(mask, S.full(shape_of(out), 0, out.dtype), out)
    return out, 0


def broadcast_to_rank(v, shape):
    return S.broadcast_in_dim(v, shape, (0,))


batch_rules.update({
    P.all_gather_p: all_gather_batch,
    P.axis_index_p: axis_index_batch,
    P.ppermute_p: ppermute_batch,
})


# ---- Differentiation rules ------------------------------------------------------------------------
# Written against the AD tables' conventions: jvp(primals, tangents, **params) -> (out, out_tangent)
# with tangents possibly symbolic zeros; transpose(ct, *operands, **params) -> cotangents.


def psum_transpose(ct, x, *, axes, axis_index_groups=None):
    return [bind(P.psum_p, ct, axes=axes)]


def pmax_jvp_values(prim, x, t, axes):
    """Tangent of pmax/pmin: the tangent at the extremal indices, averaged over ties."""
    out = bind(prim, x, axes=axes)
    hit = E.convert_element_type(E.eq(x, out), x.dtype)
    count = bind(P.psum_p, hit, axes=axes)
    t_out = E.div(bind(P.psum_p, E.mul(t, hit), axes=axes), count)
    return out, t_out


def all_gather_transpose(ct, x, *, axis_name, all_gather_dimension, axis_size, tiled=False):
    # each index's cotangent is its block of the summed cotangents: a psum_scatter (as JAX)
    return [bind(P.psum_scatter_p, ct, axis_name=axis_name, scatter_dimension=all_gather_dimension,
                 axis_size=axis_size, tiled=tiled)]


def ppermute_transpose(ct, x, *, axis_name, perm):
    inverse = tuple((d, s) for s, d in perm)
    return [bind(P.ppermute_p, ct, axis_name=axis_name, perm=inverse)]





def pmax_jvp(primals, tangents, *, axes, axis_index_groups=None):
    return pmax_jvp_values(P.pmax_p, primals[0], tangents[0], axes)


def pmin_jvp(primals, tangents, *, axes, axis_index_groups=None):
    return pmax_jvp_values(P.pmin_p, primals[0], tangents[0], axes)


def _register_ad_rules():
    from .. import ad

    ad.deflinear(P.psum_p, psum_transpose)
    ad.deflinear(P.all_gather_p, all_gather_transpose)
    ad.deflinear(P.ppermute_p, ppermute_transpose)
    ad.jvp_rules[P.pmax_p] = pmax_jvp
    ad.jvp_rules[P.pmin_p] = pmin_jvp
    ad.defjvp_zero(P.axis_index_p, "axis_index returns an integer position")


_register_ad_rules()
