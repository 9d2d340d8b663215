"""Lower convolutions and windowed reductions to ops the back end already compiles well.

- reduce_window_{sum,max,min}: pad with the reduction's identity (holes for base dilation
  included), then one strided slice per window tap and a chain of add/max/min. Slices are views
  to fusion, so the whole window reduction becomes one loop kernel over the output.
- conv_general_dilated: a sum of per-tap matrix products. The image is laid out as
  (batch, spatial..., features) and padded/dilated with zeros once; each tap of the kernel is a
  strided slice of it (the image samples under that tap for every output position) multiplied by
  the kernel's (in-features, out-features) matrix at that tap, which the dots pass turns into a
  BLAS gemm. Feature and batch groups become the gemm's batch axis. The taps' products are added
  in one fused kernel.

Per-tap gemms, rather than one im2col gemm, need no concatenate of the taps (a copy of the
image per tap) and keep each gemm's operands in the layout the slice already has; measured on
the 8x8-digits CNN in benchmarks/conv_bench.py.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..ir import ClosedJaxpr, Eqn, Literal, ShapedArray, Var
from .util import Subst, rebuild

WINDOWED = (P.conv_general_dilated_p, P.reduce_window_sum_p, P.reduce_window_max_p,
            P.reduce_window_min_p)
_COMBINE = {P.reduce_window_sum_p: P.add_p, P.reduce_window_max_p: P.max_p,
            P.reduce_window_min_p: P.min_p}


class _Emitter:
    """Appends typed equations to `out`."""

    def __init__(self, out):
        self.out = out

    def __call__(self, prim, *ins, **params):
        aval = P.shape_rules[prim](*(a.aval for a in ins), **params)
        v = Var(aval)
        self.out.append(Eqn(prim, list(ins), [v], params))
        return v

    def transpose(self, x, perm):
        perm = tuple(int(p) for p in perm)
        return x if perm == tuple(range(len(perm))) else self(P.transpose_p, x, permutation=perm)

    def reshape(self, x, shape):
        shape = tuple(int(d) for d in shape)
        if x.aval.shape == shape:
            return x
        return self(P.reshape_p, x, new_sizes=shape, dimensions=None)

    def pad(self, x, value, config):
        if all(tuple(c) == (0, 0, 0) for c in config):
            return x
        return self(P.pad_p, x, scalar(value, x.aval.dtype), padding_config=tuple(config))

    def slice(self, x, start, limit, strides):
        if tuple(start) == (0,) * len(start) and tuple(limit) == x.aval.shape and set(strides) <= {1}:
            return x
        strides = None if set(strides) <= {1} else tuple(int(s) for s in strides)
        return self(P.slice_p, x, start_indices=tuple(int(s) for s in start),
                    limit_indices=tuple(int(s) for s in limit), strides=strides)

    def zeros(self, aval):
        return self(P.broadcast_in_dim_p, scalar(0, aval.dtype), shape=aval.shape,
                    broadcast_dimensions=())


def scalar(value, dtype):
    return Literal(np.asarray(value, dtype=dtype), ShapedArray((), dtype))


def identity_of(prim, dtype):
    if prim is P.reduce_window_sum_p:
        return 0
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return info.min if prim is P.reduce_window_max_p else info.max
    return -np.inf if prim is P.reduce_window_max_p else np.inf


def _tap_slices(emit, x, lead, window, strides, dilation, out_spatial, trail):
    """Strided slices of x, one per window tap, over its axes lead..lead+len(window)."""
    shape = x.aval.shape
    for tap in np.ndindex(*window):
        start = [0] * lead + [t * d for t, d in zip(tap, dilation)] + [0] * trail
        limit = list(shape[:lead])
        limit += [s + (o - 1) * st + 1 for s, o, st in zip(start[lead:], out_spatial, strides)]
        limit += list(shape[len(shape) - trail:])
        yield tap, emit.slice(x, start, limit, [1] * lead + list(strides) + [1] * trail)


def _lower_reduce_window(eqn, emit):
    (x,), p = eqn.invars, eqn.params
    out_aval = eqn.outvars[0].aval
    init = identity_of(eqn.prim, x.aval.dtype)
    if out_aval.size == 0 or 0 in p["window_dimensions"]:
        return emit(P.broadcast_in_dim_p, scalar(init, out_aval.dtype), shape=out_aval.shape,
                    broadcast_dimensions=())
    config = [(lo, hi, d - 1) for (lo, hi), d in zip(p["padding"], p["base_dilation"])]
    base = emit.pad(x, init, config)
    acc = None
    for _, tap in _tap_slices(emit, base, 0, p["window_dimensions"], p["window_strides"],
                              p["window_dilation"], out_aval.shape, 0):
        acc = tap if acc is None else emit(_COMBINE[eqn.prim], acc, tap)
    return acc


def _lower_conv(eqn, emit):
    lhs, rhs = eqn.invars
    p = eqn.params
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    G, B = p["feature_group_count"], p["batch_group_count"]
    out_aval = eqn.outvars[0].aval
    n = lhs.aval.ndim - 2
    N, C = lhs.aval.shape[lhs_spec[0]], lhs.aval.shape[lhs_spec[1]]
    O, I = rhs.aval.shape[rhs_spec[0]], rhs.aval.shape[rhs_spec[1]]
    window = [rhs.aval.shape[a] for a in rhs_spec[2:]]
    out_spatial = [out_aval.shape[a] for a in out_spec[2:]]
    if out_aval.size == 0 or C == 0 or 0 in window:
        return emit.zeros(out_aval)
    pet = p["preferred_element_type"]
    x = emit.transpose(lhs, (lhs_spec[0], *lhs_spec[2:], lhs_spec[1]))  # (N, spatial..., C)
    w = emit.transpose(rhs, (*rhs_spec[2:], rhs_spec[1], rhs_spec[0]))  # (window..., I, O)
    config = [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(p["padding"], p["lhs_dilation"])]
    x = emit.pad(x, 0, config + [(0, 0, 0)])
    acc = None
    for tap, xs in _tap_slices(emit, x, 1, window, p["window_strides"], p["rhs_dilation"],
                               out_spatial, 1):
        ws = emit.slice(w, list(tap) + [0, 0], [t + 1 for t in tap] + [I, O], [1] * (n + 2))
        ws = emit.reshape(ws, (I, O))
        if G > 1:  # (N, S, G, C/G) x (C/G, G, O/G) -> (G, N, S, O/G)
            xs = emit.reshape(xs, (N, *out_spatial, G, C // G))
            ws = emit.reshape(ws, (I, G, O // G))
            dn = (((n + 2,), (0,)), ((n + 1,), (1,)))
        elif B > 1:  # (B, N/B, S, C) x (C, B, O/B) -> (B, N/B, S, O/B)
            xs = emit.reshape(xs, (B, N // B, *out_spatial, C))
            ws = emit.reshape(ws, (I, B, O // B))
            dn = (((n + 2,), (0,)), ((0,), (1,)))
        else:  # (N, S, C) x (C, O) -> (N, S, O)
            dn = (((n + 1,), (0,)), ((), ()))
        prod = emit(P.dot_general_p, xs, ws, dimension_numbers=dn, precision=None,
                    preferred_element_type=pet)
        acc = prod if acc is None else emit(P.add_p, acc, prod)
    if G > 1:  # (G, N, S, O/G) -> (N, S, G, O/G) -> (N, S, O)
        acc = emit.transpose(acc, (*range(1, n + 2), 0, n + 2))
        acc = emit.reshape(acc, (N, *out_spatial, O))
    elif B > 1:  # (B, N/B, S, O/B) -> (N/B, S, B, O/B) -> (N/B, S, O)
        acc = emit.transpose(acc, (*range(1, n + 2), 0, n + 2))
        acc = emit.reshape(acc, (N // B, *out_spatial, O))
    # acc is (N, spatial..., O): axis k of the result reads axis perm[k] of acc.
    perm = [0] * (n + 2)
    perm[out_spec[0]], perm[out_spec[1]] = 0, n + 1
    for i, a in enumerate(out_spec[2:]):
        perm[a] = 1 + i
    return emit.transpose(acc, perm)


def lower_windowed(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Rewrite every conv_general_dilated and reduce_window_* of the top-level Jaxpr."""
    if not any(e.prim in WINDOWED for e in closed.jaxpr.eqns):
        return closed
    subst = Subst()
    kept = []
    emit = _Emitter(kept)
    for eqn in closed.jaxpr.eqns:
        eqn = subst.eqn(eqn)
        if eqn.prim is P.conv_general_dilated_p:
            subst[eqn.outvars[0]] = _lower_conv(eqn, emit)
        elif eqn.prim in _COMBINE:
            subst[eqn.outvars[0]] = _lower_reduce_window(eqn, emit)
        else:
            kept.append(eqn)
    return rebuild(closed, kept, subst)
