"""Batching rules: elementwise, reductions, shape operations, dot_general, sort, linear algebra.

Every rule has the signature `rule(axis_data, vals, dims, **params) -> (out, out_dim)` and runs
with the parent trace current. Rules keep the batch axis where it already is whenever the
primitive allows it, so eager vmap does not pay for transposes it does not need.
"""

from __future__ import annotations

from compiler import primitives as P

from .batching import (
    batch_rules,
    bdim_to,
    broadcast_batch,
    moveaxis,
    ndim_of,
    shape_of,
    to_physical_axis,
)
from .core import bind
from .lax import structural as S

# ---- Constructors -----------------------------------------------------------------------------


def defvectorized(prim):
    """A primitive applied independently to every element (or every slice it does not name)."""

    def rule(axis_data, vals, dims, **params):
        return bind(prim, *vals, **params), dims[0]

    rule.__name__ = f"{prim.name}_batch"
    batch_rules[prim] = rule


def _broadcasting_rule(prim, scalar_ok=lambda i: True):
    """Elementwise primitives whose operands share one shape, or (where `scalar_ok(i)`) are
    rank 0. Unbatched rank-0 operands stay scalars; the others get the batch axis at the
    position of the first full-rank batched operand."""

    def rule(axis_data, vals, dims, **params):
        ranks = [ndim_of(v) - (d is not None) for v, d in zip(vals, dims, strict=False)]
        full_rank = max(ranks)
        logical = next(
            (shape_of(v)[:d] + shape_of(v)[d + 1:] if d is not None else shape_of(v)
             for v, d, r in zip(vals, dims, ranks, strict=False) if r == full_rank), ())
        target = next((d for d, r in zip(dims, ranks, strict=False) if d is not None and r == full_rank), 0)
        size = axis_data.size
        new = []
        for i, (v, d, r) in enumerate(zip(vals, dims, ranks, strict=False)):
            if d is None and r == 0 and scalar_ok(i):
                new.append(v)
            elif d is None:
                v = S.broadcast_in_dim(v, logical, ()) if r < full_rank else v
                new.append(broadcast_batch(v, size, target))
            elif r < full_rank:  # a batched scalar: (size,) -> full shape
                full = list(logical)
                full.insert(target, size)
                new.append(S.broadcast_in_dim(v, full, (target,)))
            else:
                new.append(moveaxis(v, d, target))
        return bind(prim, *new, **params), target

    rule.__name__ = f"{prim.name}_batch"
    return rule


def defbroadcasting(prim, scalar_ok=lambda i: True):
    batch_rules[prim] = _broadcasting_rule(prim, scalar_ok)


def _never_batched(prim):
    """Primitives without operands are never given a batched value; listed for the coverage test."""

    def rule(axis_data, vals, dims, **params):
        return bind(prim, *vals, **params), None

    batch_rules[prim] = rule


# ---- Elementwise ------------------------------------------------------------------------------

_UNARY = [
    P.neg_p, P.sign_p, P.abs_p, P.floor_p, P.ceil_p, P.round_p, P.is_finite_p, P.exp_p, P.exp2_p,
    P.log_p, P.log1p_p, P.expm1_p, P.sqrt_p, P.rsqrt_p, P.cbrt_p, P.sin_p, P.cos_p, P.tan_p,
    P.asin_p, P.acos_p, P.atan_p, P.sinh_p, P.cosh_p, P.tanh_p, P.asinh_p, P.acosh_p, P.atanh_p,
    P.logistic_p, P.erf_p, P.erfc_p, P.erf_inv_p, P.lgamma_p, P.digamma_p, P.real_p, P.imag_p,
    P.conj_p, P.not_p, P.copy_p, P.integer_pow_p, P.convert_element_type_p,
    P.bitcast_convert_type_p,
]
for _p in _UNARY:
    defvectorized(_p)

_NARY = [
    P.add_p, P.sub_p, P.mul_p, P.div_p, P.rem_p, P.pow_p, P.max_p, P.min_p, P.atan2_p,
    P.nextafter_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p, P.shift_right_logical_p,
    P.shift_right_arithmetic_p, P.complex_p, P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p,
]
for _p in _NARY:
    defbroadcasting(_p)
defbroadcasting(P.select_n_p, scalar_ok=lambda i: i == 0)  # only the predicate may be a scalar
defbroadcasting(P.clamp_p, scalar_ok=lambda i: i != 1)  # only the bounds may be scalars
_never_batched(P.iota_p)

# ---- Reductions and cumulative ops ------------------------------------------------------------


def _reduce_batch(prim):
    def rule(axis_data, vals, dims, *, axes, **params):
        (x,), (d,) = vals, dims
        axes = tuple(to_physical_axis(a, d) for a in axes)
        return bind(prim, x, axes=axes, **params), d - sum(a < d for a in axes)

    rule.__name__ = f"{prim.name}_batch"
    return rule


for _p in (P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p, P.reduce_and_p,
           P.reduce_or_p, P.reduce_xor_p, P.argmax_p, P.argmin_p):
    batch_rules[_p] = _reduce_batch(_p)


def _cumulative_batch(prim):
    def rule(axis_data, vals, dims, *, axis, **params):
        (x,), (d,) = vals, dims
        return bind(prim, x, axis=to_physical_axis(axis, d), **params), d

    return rule


for _p in (P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p, P.cumlogsumexp_p):
    batch_rules[_p] = _cumulative_batch(_p)

# ---- Shape operations -------------------------------------------------------------------------


def broadcast_in_dim_batch(axis_data, vals, dims, *, shape, broadcast_dimensions):
    # The batch axis goes right after the output axis of the operand axis before it, which keeps
    # broadcast_dimensions increasing without moving the operand.
    (x,), (d,) = vals, dims
    bd = broadcast_dimensions
    pos = bd[d - 1] + 1 if d > 0 else 0
    new_shape = list(shape)
    new_shape.insert(pos, axis_data.size)
    new_bd = list(bd[:d]) + [pos] + [b + 1 for b in bd[d:]]
    return bind(P.broadcast_in_dim_p, x, shape=tuple(new_shape),
                broadcast_dimensions=tuple(new_bd)), pos


def reshape_batch(axis_data, vals, dims, *, new_sizes, dimensions=None):
    (x,), (d,) = vals, dims
    x = moveaxis(x, d, 0)
    if dimensions is not None:
        x = S.transpose(x, (0,) + tuple(i + 1 for i in dimensions))
    return S.reshape(x, (axis_data.size,) + tuple(new_sizes)), 0


def transpose_batch(axis_data, vals, dims, *, permutation):
    (x,), (d,) = vals, dims
    perm = []
    for j in range(len(permutation) + 1):
        if j == d:
            perm.append(d)
        else:
            p = permutation[j if j < d else j - 1]
            perm.append(to_physical_axis(p, d))
    return bind(P.transpose_p, x, permutation=tuple(perm)), d


def squeeze_batch(axis_data, vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    phys = tuple(to_physical_axis(a, d) for a in dimensions)
    return bind(P.squeeze_p, x, dimensions=phys), d - sum(a < d for a in phys)


def expand_dims_batch(axis_data, vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    x = moveaxis(x, d, 0)
    return bind(P.expand_dims_p, x, dimensions=tuple(a + 1 for a in dimensions)), 0


def rev_batch(axis_data, vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return bind(P.rev_p, x, dimensions=tuple(to_physical_axis(a, d) for a in dimensions)), d


def concatenate_batch(axis_data, vals, dims, *, dimension):
    xs = [bdim_to(v, d, axis_data.size, 0) for v, d in zip(vals, dims, strict=False)]
    return bind(P.concatenate_p, *xs, dimension=dimension + 1), 0


def pad_batch(axis_data, vals, dims, *, padding_config):
    (x, pv), (xd, pd) = vals, dims
    size = axis_data.size
    if pd is None:
        x = bdim_to(x, xd, size, 0)
        return bind(P.pad_p, x, pv, padding_config=((0, 0, 0),) + tuple(padding_config)), 0
    # A padding value per example: pad with zeros, then choose per position with a mask.
    from .lax import elementwise as E

    x = bdim_to(x, xd, size, 0)
    zero = E.convert_element_type(0, core_dtype(x))
    padded = bind(P.pad_p, x, zero, padding_config=((0, 0, 0),) + tuple(padding_config))
    inside = S.full(shape_of(x)[1:], True)
    mask = S.pad(inside, False, padding_config)
    mask = broadcast_batch(mask, size, 0)
    fill = S.broadcast_in_dim(pv, shape_of(padded), (0,))
    return E.select_n(mask, fill, padded), 0


def core_dtype(x):
    from .core import get_aval

    return get_aval(x).dtype


def slice_batch(axis_data, vals, dims, *, start_indices, limit_indices, strides=None):
    (x,), (d,) = vals, dims
    start, limit = list(start_indices), list(limit_indices)
    start.insert(d, 0)
    limit.insert(d, axis_data.size)
    if strides is not None:
        strides = list(strides)
        strides.insert(d, 1)
        strides = tuple(strides)
    return bind(P.slice_p, x, start_indices=tuple(start), limit_indices=tuple(limit),
                strides=strides), d


batch_rules.update({
    P.broadcast_in_dim_p: broadcast_in_dim_batch,
    P.reshape_p: reshape_batch,
    P.transpose_p: transpose_batch,
    P.squeeze_p: squeeze_batch,
    P.expand_dims_p: expand_dims_batch,
    P.rev_p: rev_batch,
    P.concatenate_p: concatenate_batch,
    P.pad_p: pad_batch,
    P.slice_p: slice_batch,
})

# ---- dot_general: the batch axis becomes a batch (or free) dimension of one matmul ------------


def dot_general_batch(axis_data, vals, dims, *, dimension_numbers, **params):
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    lc, lb = [to_physical_axis(a, ld) for a in lc], [to_physical_axis(a, ld) for a in lb]
    rc, rb = [to_physical_axis(a, rd) for a in rc], [to_physical_axis(a, rd) for a in rb]
    if ld is not None and rd is not None:
        dn = ((tuple(lc), tuple(rc)), ((ld, *lb), (rd, *rb)))
        out_d = 0
    elif ld is not None:  # a free dimension of lhs: it lands among lhs's free output axes
        dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
        out_d = len(lb) + sum(1 for i in range(ld) if i not in lc and i not in lb)
    else:
        dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
        lhs_free = ndim_of(lhs) - len(lc) - len(lb)
        out_d = len(lb) + lhs_free + sum(1 for i in range(rd) if i not in rc and i not in rb)
    return bind(P.dot_general_p, lhs, rhs, dimension_numbers=dn, **params), out_d


batch_rules[P.dot_general_p] = dot_general_batch

# ---- sort -------------------------------------------------------------------------------------


def sort_batch(axis_data, vals, dims, *, dimension, **params):
    target = next(d for d in dims if d is not None)
    xs = [bdim_to(v, d, axis_data.size, target) for v, d in zip(vals, dims, strict=False)]
    outs = bind(P.sort_p, *xs, dimension=to_physical_axis(dimension, target), **params)
    return outs, [target] * len(outs)


batch_rules[P.sort_p] = sort_batch

# ---- Linear algebra: the batch axis joins the leading batch axes of the matrices --------------


def _matrix_batch(prim):
    def rule(axis_data, vals, dims, **params):
        (x,), (d,) = vals, dims
        if d >= ndim_of(x) - 2:  # inside the matrix axes: move it in front
            x, d = moveaxis(x, d, 0), 0
        out = bind(prim, x, **params)
        return out, ([d] * len(out) if prim.multiple_results else d)

    rule.__name__ = f"{prim.name}_batch"
    return rule


for _p in (P.cholesky_p, P.lu_p, P.qr_p, P.eigh_p, P.svd_p):
    batch_rules[_p] = _matrix_batch(_p)


def triangular_solve_batch(axis_data, vals, dims, **params):
    (a, b), (ad, bd) = vals, dims
    size = axis_data.size
    a, b = bdim_to(a, ad, size, 0), bdim_to(b, bd, size, 0)
    return bind(P.triangular_solve_p, a, b, **params), 0


batch_rules[P.triangular_solve_p] = triangular_solve_batch
