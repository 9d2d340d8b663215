"""Derivatives of reductions, cumulative ops, data movement, indexing, dot_general and sort.
Most are linear: the jvp applies the primitive to the tangent, the transpose moves the cotangent
back (sum what was broadcast, pad what was sliced, scatter what was gathered).
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import GatherDimensionNumbers, ScatterDimensionNumbers

from . import lax
from .ad import (
    LINEAR_PRIMITIVES,
    Zero,
    defbilinear,
    defjvp_zero,
    deflinear,
    instantiate,
    is_undefined,
    jvp_flat,
    jvp_rules,
    tangent_aval,
    transpose_rules,
    zeros_like_aval,
)
from .ad_rules import select
from .core import bind, get_aval


def _zeros(aval):
    return zeros_like_aval(aval.update(weak_type=False))


def _jvp_via(fun, prim):
    """A jvp rule from the jvp of `fun`, an implementation of `prim` on lax ops that is
    differentiable everywhere (the primal value comes from the primitive itself)."""

    def rule(primals, tangents, **params):
        ans = bind(prim, *primals, **params)
        _, (t,) = jvp_flat(lambda *xs: [fun(*xs, **params)], primals, tangents)
        return ans, t

    return rule


# ---- Reductions ---------------------------------------------------------------------------------


def _reduce_sum_transpose(ct, x, *, axes):
    kept = [d for d in range(x.aval.ndim) if d not in axes]
    return [lax.broadcast_in_dim(ct, x.aval.shape, kept)]


deflinear(P.reduce_sum_p, _reduce_sum_transpose)


def _reduce_chooser_jvp(prim):
    # The tangent is the mean of the tangents where the extremum is attained (as JAX).
    def rule(primals, tangents, *, axes):
        (x,), (g,) = primals, tangents
        ans = bind(prim, x, axes=axes)
        kept = [d for d in range(x.ndim) if d not in axes]
        hit = lax.convert_element_type(lax.eq(x, lax.broadcast_in_dim(ans, x.shape, kept)), x.dtype)
        t = lax.div(lax.reduce_sum(lax.mul(g, hit), axes), lax.reduce_sum(hit, axes))
        return ans, t

    return rule


jvp_rules[P.reduce_max_p] = _reduce_chooser_jvp(P.reduce_max_p)
jvp_rules[P.reduce_min_p] = _reduce_chooser_jvp(P.reduce_min_p)


def _tree_prod(x, *, axes):
    """reduce_prod as a tree of pairwise products: exact derivatives at zeros, any order."""
    kept = [d for d in range(x.ndim) if d not in axes]
    kept_shape = tuple(x.shape[d] for d in kept)
    n = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    if n == 0:
        return lax.full(kept_shape, 1, x.dtype)
    x = lax.reshape(lax.transpose(x, kept + list(axes)), kept_shape + (n,))
    last = len(kept_shape)
    while n > 1:
        if n % 2:
            x = lax.pad(x, lax.full((), 1, x.dtype), [(0, 0, 0)] * last + [(0, 1, 0)])
            n += 1
        x = lax.mul(lax.slice_in_dim(x, 0, n, 2, last), lax.slice_in_dim(x, 1, n, 2, last))
        n //= 2
    return lax.reshape(x, kept_shape)


jvp_rules[P.reduce_prod_p] = _jvp_via(_tree_prod, P.reduce_prod_p)
for _p in (P.reduce_and_p, P.reduce_or_p, P.reduce_xor_p):
    defjvp_zero(_p, "boolean/integer reduction")
for _p in (P.argmax_p, P.argmin_p):
    defjvp_zero(_p, "integer-valued (an index)")

# ---- Cumulative ops: cumsum is linear; the others differentiate a parallel prefix scan ------


def _prefix_scan(fn, x, axis):
    """Inclusive scan of the associative `fn` along `axis`, in log depth, on lax ops only."""
    n = x.shape[axis]
    if n < 2:
        return x
    evens = lax.slice_in_dim(x, 0, n, 2, axis)
    odds = lax.slice_in_dim(x, 1, n, 2, axis)
    n_odd = odds.shape[axis]
    pairs = _prefix_scan(fn, fn(lax.slice_in_dim(evens, 0, n_odd, 1, axis), odds), axis)
    n_even = evens.shape[axis]
    rest = fn(lax.slice_in_dim(pairs, 0, n_even - 1, 1, axis), lax.slice_in_dim(evens, 1, n_even, 1, axis))
    out_even = lax.concatenate([lax.slice_in_dim(evens, 0, 1, 1, axis), rest], axis)
    zero = lax.full((), 0, x.dtype)
    cfg = [(0, 0, 0)] * x.ndim
    cfg_e, cfg_o = list(cfg), list(cfg)
    cfg_e[axis] = (0, n - (2 * n_even - 1), 1)
    cfg_o[axis] = (1, n - 2 * n_odd, 1)
    return lax.add(lax.pad(out_even, zero, cfg_e), lax.pad(pairs, zero, cfg_o))


def _logaddexp(a, b):
    m = lax.max(a, b)
    d = lax.sub(a, b)
    d = select(lax.ne(d, d), 0.0, d)  # both -inf (or both +inf): no correction term
    return lax.add(m, lax.log1p(lax.exp(lax.neg(lax.abs(d)))))


def _cumulative_via_scan(fn):
    def scan(x, *, axis, reverse=False):
        if reverse:
            x = lax.rev(x, (axis,))
        out = _prefix_scan(fn, x, axis)
        return lax.rev(out, (axis,)) if reverse else out

    return scan


deflinear(P.cumsum_p, lambda ct, x, *, axis, reverse=False: [lax.cumsum(ct, axis, not reverse)])
jvp_rules[P.cumprod_p] = _jvp_via(_cumulative_via_scan(lax.mul), P.cumprod_p)
jvp_rules[P.cummax_p] = _jvp_via(_cumulative_via_scan(lax.max), P.cummax_p)
jvp_rules[P.cummin_p] = _jvp_via(_cumulative_via_scan(lax.min), P.cummin_p)
jvp_rules[P.cumlogsumexp_p] = _jvp_via(_cumulative_via_scan(_logaddexp), P.cumlogsumexp_p)

# ---- Data movement ---------------------------------------------------------------------------


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    expanded = [i for i, d in enumerate(x.aval.shape) if d == 1 and shape[bd[i]] != 1]
    sum_dims = tuple(sorted([d for d in range(len(shape)) if d not in bd] + [bd[i] for i in expanded]))
    summed = lax.reduce_sum(ct, sum_dims) if sum_dims else ct
    return [lax.reshape(summed, x.aval.shape)]


def _inverse(permutation):
    return tuple(int(i) for i in np.argsort(permutation))


def _reshape_transpose(ct, x, *, new_sizes, dimensions=None):
    if dimensions is None:
        return [lax.reshape(ct, x.aval.shape)]
    permuted = tuple(x.aval.shape[d] for d in dimensions)
    return [lax.transpose(lax.reshape(ct, permuted), _inverse(dimensions))]


def _pad_transpose(ct, x, padding_value, *, padding_config):
    ct_x = ct_v = None
    if is_undefined(x) or is_undefined(padding_value):
        # Zero-extend where negative edges cropped, then read the operand's positions.
        grow = [(max(-lo, 0), max(-hi, 0), 0) for lo, hi, _ in padding_config]
        full = lax.pad(ct, lax.full((), 0, ct.dtype), grow) if any(g[0] or g[1] for g in grow) else ct
        shape = x.aval.shape if is_undefined(x) else np.shape(x)
        start = [max(lo, 0) for lo, _, _ in padding_config]
        limit = [s + (d - 1) * (i + 1) + 1 if d else s
                 for s, d, (_, _, i) in zip(start, shape, padding_config, strict=True)]
        strides = [i + 1 for _, _, i in padding_config]
        part = lax.slice(full, start, limit, strides)
        if is_undefined(x):
            ct_x = part
        if is_undefined(padding_value):
            every = tuple(range(np.ndim(ct)))
            ct_v = lax.sub(lax.reduce_sum(ct, every), lax.reduce_sum(part, every))
    return [ct_x, ct_v]


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides=None):
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    if 0 in np.shape(ct):
        return [_zeros(x.aval)]
    cfg = []
    for d, s, n, st in zip(shape, start_indices, np.shape(ct), strides, strict=True):
        last = s + (n - 1) * st
        cfg.append((s, d - last - 1, st - 1))
    return [lax.pad(ct, lax.full((), 0, ct.dtype), cfg)]


def _concatenate_transpose(ct, *xs, dimension):
    out, start = [], 0
    for x in xs:
        size = (x.aval if is_undefined(x) else get_aval(x)).shape[dimension]
        out.append(lax.slice_in_dim(ct, start, start + size, 1, dimension) if is_undefined(x) else None)
        start += size
    return out


deflinear(P.broadcast_in_dim_p, _broadcast_in_dim_transpose)
deflinear(P.reshape_p, _reshape_transpose)
deflinear(P.transpose_p, lambda ct, x, *, permutation: [lax.transpose(ct, _inverse(permutation))])
deflinear(P.squeeze_p, lambda ct, x, *, dimensions: [lax.reshape(ct, x.aval.shape)])
deflinear(P.expand_dims_p, lambda ct, x, *, dimensions: [lax.reshape(ct, x.aval.shape)])
deflinear(P.rev_p, lambda ct, x, *, dimensions: [lax.rev(ct, dimensions)])
deflinear(P.concatenate_p, _concatenate_transpose)
deflinear(P.pad_p, _pad_transpose)
deflinear(P.slice_p, _slice_transpose)

# ---- Dynamic slicing, gather, scatter ----------------------------------------------------------


def _dynamic_slice_transpose(ct, x, *idx, slice_sizes):
    return [lax.dynamic_update_slice(_zeros(x.aval), ct, idx)] + [None] * len(idx)


def _dynamic_update_slice_transpose(ct, x, update, *idx):
    upd_aval = update.aval if is_undefined(update) else get_aval(update)
    ct_x = lax.dynamic_update_slice(ct, _zeros(upd_aval), idx) if is_undefined(x) else None
    ct_u = lax.dynamic_slice(ct, idx, upd_aval.shape) if is_undefined(update) else None
    return [ct_x, ct_u] + [None] * len(idx)


deflinear(P.dynamic_slice_p, _dynamic_slice_transpose, linear_args=(0,))
deflinear(P.dynamic_update_slice_p, _dynamic_update_slice_transpose, linear_args=(0, 1))


def _scatter_dnums(dn: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(
        update_window_dims=dn.offset_dims, inserted_window_dims=dn.collapsed_slice_dims,
        scatter_dims_to_operand_dims=dn.start_index_map, operand_batching_dims=dn.operand_batching_dims,
        scatter_indices_batching_dims=dn.start_indices_batching_dims)


def _gather_dnums(dn: ScatterDimensionNumbers) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(
        offset_dims=dn.update_window_dims, collapsed_slice_dims=dn.inserted_window_dims,
        start_index_map=dn.scatter_dims_to_operand_dims, operand_batching_dims=dn.operand_batching_dims,
        start_indices_batching_dims=dn.scatter_indices_batching_dims)


def _scatter_slice_sizes(dn, operand_shape, updates_shape):
    sizes, window = [], iter(dn.update_window_dims)
    for i in range(len(operand_shape)):
        dropped = i in dn.inserted_window_dims or i in dn.operand_batching_dims
        sizes.append(1 if dropped else updates_shape[next(window)])
    return sizes


def _gather_updates(x, idx, dn, updates_shape, mode):
    """What each update window of a scatter with dimension numbers `dn` reads from `x`."""
    return lax.gather(x, idx, _gather_dnums(dn), _scatter_slice_sizes(dn, np.shape(x), updates_shape),
                      mode=mode, fill_value=0)


def _gather_jvp(primals, tangents, **params):
    (x, idx), (g, _) = primals, tangents
    ans = bind(P.gather_p, x, idx, **params)
    if type(g) is Zero:
        return ans, Zero(tangent_aval(get_aval(ans)))
    return ans, bind(P.gather_p, g, idx, **dict(params, fill_value=0))


def _gather_transpose(ct, x, idx, *, dimension_numbers, slice_sizes, mode, fill_value=None,
                      indices_are_sorted=False, unique_indices=False):
    out = lax.scatter_add(_zeros(x.aval), idx, ct, _scatter_dnums(dimension_numbers),
                          indices_are_sorted=indices_are_sorted, unique_indices=unique_indices, mode=mode)
    return [out, None]


jvp_rules[P.gather_p] = _gather_jvp
transpose_rules[P.gather_p] = _gather_transpose


def _scatter_add_transpose(ct, x, idx, updates, *, dimension_numbers, mode, indices_are_sorted=False,
                           unique_indices=False, update_jaxpr=None):
    upd_shape = (updates.aval if is_undefined(updates) else get_aval(updates)).shape
    ct_u = _gather_updates(ct, idx, dimension_numbers, upd_shape, mode) if is_undefined(updates) else None
    return [ct if is_undefined(x) else None, None, ct_u]


deflinear(P.scatter_add_p, _scatter_add_transpose, linear_args=(0, 2))


def _scatter_params(params):
    return {k: v for k, v in params.items() if k != "update_jaxpr"}


def _scatter_jvp(primals, tangents, **params):
    (x, idx, u), (tx, _, tu) = primals, tangents
    params = _scatter_params(params)
    ans = bind(P.scatter_p, x, idx, u, **params)
    tx, tu = instantiate(tx), instantiate(tu)
    if params.get("unique_indices"):
        return ans, bind(P.scatter_p, tx, idx, tu, **params)
    # With repeated indices one update wins each position: find which by scattering ids (as JAX),
    # then the tangent is the scatter-add of the masked operand and winning-update tangents.
    dn = params["dimension_numbers"]
    scatter_shape = tuple(d for i, d in enumerate(np.shape(u)) if i not in dn.update_window_dims)
    n = int(np.prod(scatter_shape, dtype=np.int64))
    ids = lax.reshape(lax.add(lax.iota(dtypes.int32, n), 1), scatter_shape)
    scatter_axes = [i for i in range(np.ndim(u)) if i not in dn.update_window_dims]
    update_ids = lax.broadcast_in_dim(ids, np.shape(u), scatter_axes)
    scattered = bind(P.scatter_p, lax.full(np.shape(x), 0, dtypes.int32), idx, update_ids, **params)
    won = lax.eq(update_ids, _gather_updates(scattered, idx, dn, np.shape(u), params["mode"]))
    kept = lax.eq(scattered, 0)
    t = lax.scatter_add(select(kept, tx, 0.0), idx, select(won, tu, 0.0), dn, mode=params["mode"])
    return ans, t


def _scatter_transpose(ct, x, idx, u, **params):  # only reached with unique indices
    params = _scatter_params(params)
    dn, mode = params["dimension_numbers"], params["mode"]
    u_aval = u.aval if is_undefined(u) else get_aval(u)
    ct_x = bind(P.scatter_p, ct, idx, _zeros(u_aval), **params) if is_undefined(x) else None
    ct_u = _gather_updates(ct, idx, dn, u_aval.shape, mode) if is_undefined(u) else None
    return [ct_x, None, ct_u]


jvp_rules[P.scatter_p] = _scatter_jvp
transpose_rules[P.scatter_p] = _scatter_transpose
LINEAR_PRIMITIVES.add(P.scatter_p)


def _scatter_mul_jvp(primals, tangents, **params):
    (x, idx, u), (tx, _, tu) = primals, tangents
    params = _scatter_params(params)
    ans = bind(P.scatter_mul_p, x, idx, u, **params)
    t = Zero(tangent_aval(get_aval(ans)))
    if type(tx) is not Zero:
        t = bind(P.scatter_mul_p, tx, idx, u, **params)
    if type(tu) is not Zero:
        if not params.get("unique_indices"):
            raise NotImplementedError(
                "scatter_mul gradients with respect to the updates are only implemented if "
                "`unique_indices=True`")
        dn = params["dimension_numbers"]
        read = _gather_updates(x, idx, dn, np.shape(u), params["mode"])
        contrib = lax.scatter_add(_zeros(get_aval(x)), idx, lax.mul(tu, read), dn, mode=params["mode"])
        t = contrib if type(t) is Zero else lax.add(t, contrib)
    return ans, t


def _scatter_mul_transpose(ct, x, idx, u, **params):  # linear in the operand only
    return [bind(P.scatter_mul_p, ct, idx, u, **_scatter_params(params)), None, None]


jvp_rules[P.scatter_mul_p] = _scatter_mul_jvp
transpose_rules[P.scatter_mul_p] = _scatter_mul_transpose
LINEAR_PRIMITIVES.add(P.scatter_mul_p)


def _scatter_extremum_jvp(prim):
    # Ties share the tangent equally among the operand and every update attaining the result.
    def rule(primals, tangents, **params):
        (x, idx, u), (tx, _, tu) = primals, tangents
        params = _scatter_params(params)
        dn, mode = params["dimension_numbers"], params["mode"]
        ans = bind(prim, x, idx, u, **params)
        one_x = lax.full(np.shape(x), 1, x.dtype)
        won = lax.convert_element_type(lax.eq(u, _gather_updates(ans, idx, dn, np.shape(u), mode)), x.dtype)
        kept = lax.convert_element_type(lax.eq(x, ans), x.dtype)
        count = lax.add(kept, lax.scatter_add(lax.mul(one_x, 0.0), idx, won, dn, mode=mode))
        t = lax.mul(instantiate(tx), kept)
        t_u = lax.mul(instantiate(tu), won)
        t = lax.add(t, lax.scatter_add(_zeros(get_aval(x)), idx, t_u, dn, mode=mode))
        return ans, lax.div(t, count)

    return rule


jvp_rules[P.scatter_min_p] = _scatter_extremum_jvp(P.scatter_min_p)
jvp_rules[P.scatter_max_p] = _scatter_extremum_jvp(P.scatter_max_p)

# ---- dot_general ---------------------------------------------------------------------------


def _dot_transpose(ct, known, undefined_aval, c_u, c_k, b_u, b_k, undefined_is_lhs):
    """The cotangent of one dot_general operand: contract ct with the other (`known`) operand
    over the known operand's free dims, then lay the result out as the undefined operand."""
    f_u = [d for d in range(undefined_aval.ndim) if d not in c_u and d not in b_u]
    f_k = [d for d in range(np.ndim(known)) if d not in c_k and d not in b_k]
    nb = len(b_u)
    start = nb + len(f_u) if undefined_is_lhs else nb  # ct is (batch, lhs free, rhs free)
    ct_fk = tuple(range(start, start + len(f_k)))
    if known.dtype != ct.dtype:  # preferred_element_type made ct wider than the operands
        known = lax.convert_element_type(known, ct.dtype)
    out = lax.dot_general(ct, known, ((ct_fk, tuple(f_k)), (tuple(range(nb)), tuple(b_k))))
    # out is (batch, f_u, then known's contracting dims in ascending order)
    layout = list(b_u) + f_u + [c_u[list(c_k).index(d)] for d in sorted(c_k)]
    out = lax.transpose(out, tuple(int(i) for i in np.argsort(layout)))
    return out if out.dtype == undefined_aval.dtype else lax.convert_element_type(out, undefined_aval.dtype)


def _dot_lhs_transpose(ct, x, y, *, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    return _dot_transpose(ct, y, x.aval, lc, rc, lb, rb, True)


def _dot_rhs_transpose(ct, x, y, *, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    return _dot_transpose(ct, x, y.aval, rc, lc, rb, lb, False)


defbilinear(P.dot_general_p, _dot_lhs_transpose, _dot_rhs_transpose)

# ---- sort: permute the tangents the way the keys were permuted -----------------------------


def _take_along(x, perm, axis):
    nd = np.ndim(x)
    others = tuple(d for d in range(nd) if d != axis)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(axis,), start_index_map=(axis,),
                                operand_batching_dims=others, start_indices_batching_dims=others)
    return lax.gather(x, lax.expand_dims(perm, (nd,)), dn, (1,) * nd, mode="promise_in_bounds")


def _sort_jvp(primals, tangents, *, dimension, is_stable=True, num_keys=1):
    shape = np.shape(primals[0])
    iota = lax.broadcasted_iota(dtypes.int32, shape, dimension)
    *outs, perm = bind(P.sort_p, *primals, iota, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    t_out = [t if type(t) is Zero else _take_along(t, perm, dimension) for t in tangents]
    return outs, t_out


jvp_rules[P.sort_p] = _sort_jvp

# Collectives (psum, pmax, pmin, all_gather, ppermute, axis_index) register their rules in
# jaxlite/lax/parallel.py, beside their batching rules.
