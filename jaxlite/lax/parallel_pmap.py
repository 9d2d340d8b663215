"""all_to_all and psum_scatter: the collectives that redistribute data between mapped indices.

`all_to_all` binds a tiled primitive (each index splits x along split_axis into axis-size
chunks, sends chunk j to index j, concatenates what it receives along concat_axis in index
order); the untiled form of JAX is the tiled one on x with a size-1 axis added at the concat
position, squeezing the split axis afterwards. `psum_scatter` sums over the axis and leaves
index j with block j of the sum along scatter_dimension.

Batching rules say what they mean for the axis one vmap maps (a transpose of the batch axis with
a chunk axis, a sum then a split); autodiff: both are linear; all_to_all transposes to the
inverse all_to_all (split and concat axes swapped) and psum_scatter to all_gather.
"""

from __future__ import annotations

from compiler import primitives as P

from .. import batching, tree_util
from ..batching import batch_rules, moveaxis, shape_of
from ..core import bind
from . import elementwise as E
from . import structural as S
from .parallel import _array, _names, _no_groups


def _one_name(axis_name, fn):
    names = _names(axis_name, fn)
    if len(names) != 1:
        raise ValueError(f"{fn}: exactly one axis name is supported, got {axis_name!r}")
    return names[0], batching.lookup_axis(names[0]).size


def _axis(ax, nd, fn, what):
    if not -nd <= ax < nd:
        raise ValueError(f"{fn}: {what}={ax} is out of bounds for an operand of rank {nd}")
    return ax % nd


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """Split x along split_axis over the mapped indices and concatenate the received chunks
    along concat_axis, as jax.lax.all_to_all."""
    _no_groups(axis_index_groups, "all_to_all")
    name, n = _one_name(axis_name, "all_to_all")

    def one(v):
        v = _array(v)
        shape = shape_of(v)
        nd = len(shape)
        s = _axis(split_axis, nd, "all_to_all", "split_axis")
        c = _axis(concat_axis, nd, "all_to_all", "concat_axis")
        if tiled:
            if shape[s] % n:
                raise ValueError(f"all_to_all: split_axis {s} of size {shape[s]} (shape {shape}) "
                                 f"is not divisible by the size {n} of axis {name!r}")
            return bind(P.all_to_all_p, v, axis_name=name, split_axis=s, concat_axis=c, axis_size=n)
        if shape[s] != n:
            raise ValueError(f"all_to_all: split_axis {s} has size {shape[s]} (shape {shape}) but "
                             f"axis {name!r} has size {n}; they must be equal (or use tiled=True)")
        pos = c if c <= s else c + 1
        s2 = s + 1 if s >= pos else s
        y = S.expand_dims(v, (pos,))
        y = bind(P.all_to_all_p, y, axis_name=name, split_axis=s2, concat_axis=pos, axis_size=n)
        return S.squeeze(y, (s2,))

    return tree_util.tree_map(one, x)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """Sum over the mapped axis; index j keeps block j of the sum along scatter_dimension."""
    _no_groups(axis_index_groups, "psum_scatter")
    name, n = _one_name(axis_name, "psum_scatter")

    def one(v):
        v = _array(v)
        shape = shape_of(v)
        d = _axis(scatter_dimension, len(shape), "psum_scatter", "scatter_dimension")
        if (shape[d] % n) if tiled else (shape[d] != n):
            need = "divisible by" if tiled else "equal to"
            raise ValueError(f"psum_scatter: dimension {d} of shape {shape} must be {need} the "
                             f"size {n} of axis {name!r}")
        return bind(P.psum_scatter_p, v, axis_name=name, scatter_dimension=d, axis_size=n,
                    tiled=bool(tiled))

    return tree_util.tree_map(one, x)


# ---- Batching -----------------------------------------------------------------------------------


def all_to_all_batch(axis_data, vals, dims, *, axis_name, split_axis, concat_axis, axis_size):
    (x,), (d,) = vals, dims
    if axis_name != axis_data.name:
        if d is None:
            return bind(P.all_to_all_p, x, axis_name=axis_name, split_axis=split_axis,
                        concat_axis=concat_axis, axis_size=axis_size), None
        return bind(P.all_to_all_p, moveaxis(x, d, 0), axis_name=axis_name,
                    split_axis=split_axis + 1, concat_axis=concat_axis + 1, axis_size=axis_size), 0
    n = axis_data.size
    x = batching.bdim_to(x, d, n, 0)
    shape = list(shape_of(x)[1:])
    a, c = split_axis, concat_axis
    m = shape[a] // n
    # label the axes: B = the sending example, K = the chunk (receiving example), M = within it
    y = S.reshape(x, [n] + shape[:a] + [n, m] + shape[a + 1:])
    in_labels = ["B"] + [lab for t in range(len(shape)) for lab in (("K", "M") if t == a else (t,))]
    out_labels = ["K"]
    for t in range(len(shape)):
        lab = "M" if t == a else t
        out_labels += ["B", lab] if t == c else [lab]
    z = S.transpose(y, [in_labels.index(lab) for lab in out_labels])
    out_shape = list(shape)
    out_shape[a] = m
    out_shape[c] *= n
    return S.reshape(z, [n] + out_shape), 0


def psum_scatter_batch(axis_data, vals, dims, *, axis_name, scatter_dimension, axis_size, tiled=False):
    (x,), (d,) = vals, dims
    sd = scatter_dimension
    if axis_name != axis_data.name:
        if d is None:
            return bind(P.psum_scatter_p, x, axis_name=axis_name, scatter_dimension=sd,
                        axis_size=axis_size, tiled=tiled), None
        return bind(P.psum_scatter_p, moveaxis(x, d, 0), axis_name=axis_name,
                    scatter_dimension=sd + 1, axis_size=axis_size, tiled=tiled), 0
    n = axis_data.size
    total = S.reduce_sum(x, (d,)) if d is not None else E.mul(x, n)
    if not tiled:
        return moveaxis(total, sd, 0), 0
    shape = list(shape_of(total))
    blocks = S.reshape(total, shape[:sd] + [n, shape[sd] // n] + shape[sd + 1:])
    return moveaxis(blocks, sd, 0), 0


batch_rules[P.all_to_all_p] = all_to_all_batch
batch_rules[P.psum_scatter_p] = psum_scatter_batch


# ---- Differentiation ----------------------------------------------------------------------------


def all_to_all_transpose(ct, x, *, axis_name, split_axis, concat_axis, axis_size):
    return [bind(P.all_to_all_p, ct, axis_name=axis_name, split_axis=concat_axis,
                 concat_axis=split_axis, axis_size=axis_size)]


def psum_scatter_transpose(ct, x, *, axis_name, scatter_dimension, axis_size, tiled=False):
    return [bind(P.all_gather_p, ct, axis_name=axis_name, all_gather_dimension=scatter_dimension,
                 axis_size=axis_size, tiled=tiled)]


def _register_ad_rules():
    from .. import ad

    ad.deflinear(P.all_to_all_p, all_to_all_transpose)
    ad.deflinear(P.psum_scatter_p, psum_scatter_transpose)


_register_ad_rules()
