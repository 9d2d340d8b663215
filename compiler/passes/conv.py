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

When the output has fewer positions than the window has taps (the kernel gradient's
convolution, whose window is the whole image), one gemm per output position contracting the
whole window is used instead, stacked with one concatenate: far fewer gemms and kernels, so a
much shorter compile. One im2col gemm over the concatenated taps ("im2col" below) measured 2x
slower per training step on the 8x8-digits CNN (benchmarks/conv_bench.py; more under load), so
it is only an option.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..ir import ClosedJaxpr, Literal, ShapedArray
from .util import Emitter, Subst, rebuild

# "auto": per output position when the output has fewer positions than the window has taps,
# else per tap. "tap" / "position" / "im2col" force one (benchmarks/conv_bench.py compares them).
STRATEGY = "auto"

WINDOWED = (P.conv_general_dilated_p, P.reduce_window_sum_p, P.reduce_window_max_p,
            P.reduce_window_min_p)
_COMBINE = {P.reduce_window_sum_p: P.add_p, P.reduce_window_max_p: P.max_p,
            P.reduce_window_min_p: P.min_p}


class _Emitter(Emitter):
    """The shared emitter plus the window helpers (pads, strided slices, zeros)."""

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


class _ConvShapes:
    def __init__(self, n, N, C, O, I, G, B, window, out_spatial, pet):
        self.n, self.N, self.C, self.O, self.I, self.G, self.B = n, N, C, O, I, G, B
        self.pet = pet
        self.window, self.out_spatial = list(window), list(out_spatial)


def _grouped_dot(emit, xs, ws, middle, k, sh):
    """Contract image samples xs (N, middle..., C) with kernel ws (k..., I, O) over C and the
    first k axes of `middle` (those must be ws's leading axes). Returns the canonical layout
    (N, rest of middle..., O), groups folded back into N or O."""
    N, C, O, I, G, B = sh.N, sh.C, sh.O, sh.I, sh.G, sh.B
    rest = list(middle[k:])
    m = len(middle)
    contract_x = tuple(range(1, 1 + k))
    contract_w = tuple(range(k))
    if G > 1:  # (N, M, G, C/G) x (K, C/G, G, O/G) -> (G, N, rest, O/G)
        xs = emit.reshape(xs, (N, *middle, G, C // G))
        ws = emit.reshape(ws, (*sh.window[:k], I, G, O // G))
        dn = ((contract_x + (m + 2,), contract_w + (k,)), ((m + 1,), (k + 1,)))
    elif B > 1:  # (B, N/B, M, C) x (K, C, B, O/B) -> (B, N/B, rest, O/B)
        xs = emit.reshape(xs, (B, N // B, *middle, C))
        ws = emit.reshape(ws, (*sh.window[:k], I, B, O // B))
        dn = ((tuple(a + 1 for a in contract_x) + (m + 2,), contract_w + (k,)), ((0,), (k + 1,)))
    else:  # (N, M, C) x (K, C, O) -> (N, rest, O)
        dn = ((contract_x + (m + 1,), contract_w + (k,)), ((), ()))
    out = emit(P.dot_general_p, xs, ws, dimension_numbers=dn, precision=None,
               preferred_element_type=sh.pet)
    if G > 1 or B > 1:  # (g, N', rest, O') -> (N', rest, g, O') -> (N', rest, O)
        r = len(rest)
        out = emit.transpose(out, (*range(1, r + 2), 0, r + 2))
        out = emit.reshape(out, (N // B, *rest, O))
    return out


def _conv_by_tap(emit, x, w, p, sh):
    """Sum over the kernel's taps of (image samples under the tap) @ (kernel at the tap)."""
    acc = None
    n, I, O = sh.n, sh.I, sh.O
    for tap, xs in _tap_slices(emit, x, 1, sh.window, p["window_strides"], p["rhs_dilation"],
                               sh.out_spatial, 1):
        ws = emit.slice(w, list(tap) + [0, 0], [t + 1 for t in tap] + [I, O], [1] * (n + 2))
        ws = emit.reshape(ws, (I, O))
        prod = _grouped_dot(emit, xs, ws, sh.out_spatial, 0, sh)
        acc = prod if acc is None else emit(P.add_p, acc, prod)
    return acc


def _conv_im2col(emit, x, w, p, sh):
    """One gemm over all taps: the taps' samples concatenated along the feature axis."""
    n, N, C, O, I, G, B, S = sh.n, sh.N, sh.C, sh.O, sh.I, sh.G, sh.B, sh.out_spatial
    K = int(np.prod(sh.window))
    cols = [xs for _, xs in _tap_slices(emit, x, 1, sh.window, p["window_strides"],
                                        p["rhs_dilation"], S, 1)]
    patches = cols[0] if K == 1 else emit(P.concatenate_p, *cols, dimension=n + 1)  # (N, S, K*C)
    if G > 1:  # (N, S, K, G, C/G) x (K, C/G, G, O/G) -> (G, N, S, O/G)
        xs = emit.reshape(patches, (N, *S, K, G, C // G))
        ws = emit.reshape(w, (K, I, G, O // G))
        dn = (((n + 1, n + 3), (0, 1)), ((n + 2,), (2,)))
    elif B > 1:  # (B, N/B, S, K*C) x (K*C, B, O/B) -> (B, N/B, S, O/B)
        xs = emit.reshape(patches, (B, N // B, *S, K * C))
        ws = emit.reshape(w, (K * I, B, O // B))
        dn = (((n + 2,), (0,)), ((0,), (1,)))
    else:  # (N, S, K*C) x (K*C, O) -> (N, S, O)
        xs, ws = patches, emit.reshape(w, (K * I, O))
        dn = (((n + 1,), (0,)), ((), ()))
    out = emit(P.dot_general_p, xs, ws, dimension_numbers=dn, precision=None,
               preferred_element_type=sh.pet)
    if G > 1 or B > 1:
        out = emit.transpose(out, (*range(1, n + 2), 0, n + 2))
        out = emit.reshape(out, (N // B, *S, O))
    return out


def _conv_by_position(emit, x, w, p, sh):
    """One gemm per output position, contracting the whole window: fewer gemms than taps when
    the window is larger than the output (the kernel gradient's convolution). The positions'
    results are stacked with one concatenate."""
    n, strides, dil = sh.n, p["window_strides"], p["rhs_dilation"]
    cols = []
    for pos in np.ndindex(*sh.out_spatial):
        start = [0] + [q * s for q, s in zip(pos, strides)] + [0]
        limit = [sh.N] + [b + (k - 1) * d + 1 for b, k, d in zip(start[1:], sh.window, dil)]
        xs = emit.slice(x, start, limit + [sh.C], [1] + list(dil) + [1])  # (N, window..., C)
        col = _grouped_dot(emit, xs, w, sh.window, n, sh)  # (N, O)
        cols.append(emit.reshape(col, (sh.N // sh.B, 1, sh.O)))
    acc = cols[0] if len(cols) == 1 else emit(P.concatenate_p, *cols, dimension=1)
    return emit.reshape(acc, (sh.N // sh.B, *sh.out_spatial, sh.O))


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
    x = emit.transpose(lhs, (lhs_spec[0], *lhs_spec[2:], lhs_spec[1]))  # (N, spatial..., C)
    w = emit.transpose(rhs, (*rhs_spec[2:], rhs_spec[1], rhs_spec[0]))  # (window..., I, O)
    config = [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(p["padding"], p["lhs_dilation"])]
    x = emit.pad(x, 0, config + [(0, 0, 0)])
    shapes = _ConvShapes(n, N, C, O, I, G, B, window, out_spatial, p["preferred_element_type"])
    by_position = int(np.prod(out_spatial)) < int(np.prod(window))
    if STRATEGY == "im2col":
        acc = _conv_im2col(emit, x, w, p, shapes)
    elif by_position if STRATEGY == "auto" else STRATEGY == "position":
        acc = _conv_by_position(emit, x, w, p, shapes)
    else:
        acc = _conv_by_tap(emit, x, w, p, shapes)
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
