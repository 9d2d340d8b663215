"""Derivatives of convolution and windowed reductions.

conv_general_dilated is bilinear. Each operand's cotangent is itself a convolution, as in JAX:
- lhs: ct convolved with the spatially flipped kernel, in- and out-features swapped, strides
  turned into lhs dilation, padded so the result has lhs's shape;
- rhs: lhs convolved with ct, batch and feature roles swapped, strides turned into rhs dilation.
Feature groups on one side are batch groups on the other.

reduce_window_sum is linear; its transpose spreads the cotangent back over each window: pad
(with interior holes for the strides), then a window sum. reduce_window_max/min differentiate
through a select chain over the window's taps (the tangent of the first extremal element), so
the rule is made of primitives that have derivatives of every order.
"""

from __future__ import annotations

import numpy as np

from compiler import primitives as P
from compiler.primitives import ConvDimensionNumbers, dilate_dim

from . import lax
from .ad import Zero, defbilinear, deflinear, instantiate, jvp_rules, tangent_aval
from .core import bind, get_aval


def reshape_axis_out_of(src, size1, x):
    """Split axis `src` of x into (size1, rest), size1 the major part."""
    shape = list(np.shape(x))
    shape[src:src + 1] = [size1, shape[src] // size1]
    return lax.reshape(x, shape)


def reshape_axis_into(src, dst, x):
    """Merge axis `src` into axis `dst` (numbered without src) as its major part."""
    nd = np.ndim(x)
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    shape = [np.shape(x)[i] for i in range(nd) if i != src]
    shape[dst] *= np.shape(x)[src]
    return lax.reshape(lax.transpose(x, perm), shape)


def _swap01(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _as_dtype(ct, dtype):
    return ct if ct.dtype == dtype else lax.convert_element_type(ct, dtype)


def _lhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation, rhs_dilation):
    pads = []
    for d, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                           lhs_dilation, rhs_dilation):
        before = dilate_dim(k, rd) - lo - 1
        after = dilate_dim(d, ld) + dilate_dim(k, rd) - 1 - dilate_dim(o, s) - before
        pads.append((before, after))
    return tuple(pads)


def _rhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation, rhs_dilation):
    pads = []
    for d, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                           lhs_dilation, rhs_dilation):
        hi = dilate_dim(o, s) - dilate_dim(d, ld) + dilate_dim(k, rd) - lo - 1
        pads.append((lo, hi))
    return tuple(pads)


def _conv(lhs, rhs, **params):
    return bind(P.conv_general_dilated_p, lhs, rhs, **params)


def _conv_lhs_transpose(ct, x, w, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count, precision=None,
                        preferred_element_type=None):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    x_aval = x.aval
    ct = _as_dtype(ct, x_aval.dtype)
    G, B = feature_group_count, batch_group_count
    groups = G
    if G > 1 or B > 1:  # the group axis moves from the kernel's out- to its in-features
        w = reshape_axis_out_of(rhs_spec[0], max(G, B), w)
        w = reshape_axis_into(rhs_spec[0], rhs_spec[1], w)
        groups = max(G, B)
    in_sp = [x_aval.shape[a] for a in lhs_spec[2:]]
    k_sp = [np.shape(w)[a] for a in rhs_spec[2:]]
    out_sp = [np.shape(ct)[a] for a in out_spec[2:]]
    pads = _lhs_padding(in_sp, k_sp, window_strides, out_sp, padding, lhs_dilation, rhs_dilation)
    out = _conv(ct, lax.rev(w, rhs_spec[2:]), window_strides=tuple(lhs_dilation), padding=pads,
                lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
                dimension_numbers=ConvDimensionNumbers(out_spec, _swap01(rhs_spec), lhs_spec),
                feature_group_count=groups, batch_group_count=1, precision=None,
                preferred_element_type=None)
    if B > 1:  # the batch groups came out as feature groups: move them back into the batch
        out = reshape_axis_out_of(lhs_spec[1], B, out)
        out = reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    return out


def _conv_rhs_transpose(ct, x, w, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count, precision=None,
                        preferred_element_type=None):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    w_aval = w.aval
    ct = _as_dtype(ct, w_aval.dtype)
    in_sp = [np.shape(x)[a] for a in lhs_spec[2:]]
    k_sp = [w_aval.shape[a] for a in rhs_spec[2:]]
    out_sp = [np.shape(ct)[a] for a in out_spec[2:]]
    pads = _rhs_padding(in_sp, k_sp, window_strides, out_sp, padding, lhs_dilation, rhs_dilation)
    return _conv(x, ct, window_strides=tuple(rhs_dilation), padding=pads,
                 lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(window_strides),
                 dimension_numbers=ConvDimensionNumbers(_swap01(lhs_spec), _swap01(out_spec),
                                                        _swap01(rhs_spec)),
                 feature_group_count=batch_group_count, batch_group_count=feature_group_count,
                 precision=None, preferred_element_type=None)


defbilinear(P.conv_general_dilated_p, _conv_lhs_transpose, _conv_rhs_transpose)

# ---- reduce_window ------------------------------------------------------------------------------


def _reduce_window_sum_transpose(ct, x, *, window_dimensions, window_strides, padding, base_dilation,
                                 window_dilation):
    shape = x.aval.shape
    pads = _lhs_padding(shape, window_dimensions, window_strides, np.shape(ct), padding,
                        base_dilation, window_dilation)
    config = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)]
    spread = lax.pad(ct, lax.full((), 0, ct.dtype), config)
    ones = (1,) * len(shape)
    return [bind(P.reduce_window_sum_p, spread, window_dimensions=tuple(window_dimensions),
                 window_strides=tuple(base_dilation), padding=((0, 0),) * len(shape),
                 base_dilation=ones, window_dilation=tuple(window_dilation))]


deflinear(P.reduce_window_sum_p, _reduce_window_sum_transpose)


def window_taps(x, fill, *, window_dimensions, window_strides, padding, base_dilation,
                window_dilation, out_shape):
    """The window's taps as strided slices of x padded (and base-dilated) with `fill`."""
    config = [(lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation)]
    if any(c != (0, 0, 0) for c in config):
        x = lax.pad(x, lax.full((), fill, x.dtype), config)
    taps = []
    for tap in np.ndindex(*window_dimensions):
        start = [t * d for t, d in zip(tap, window_dilation)]
        limit = [s + (o - 1) * st + 1 for s, o, st in zip(start, out_shape, window_strides)]
        taps.append(lax.slice(x, start, limit, window_strides))
    return taps


def _reduce_window_chooser_jvp(prim, better):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        ans = bind(prim, x, **params)
        if type(t) is Zero:
            return ans, Zero(tangent_aval(get_aval(ans)))
        out_shape = np.shape(ans)
        if 0 in out_shape:
            return ans, lax.full(out_shape, 0, ans.dtype)
        worst = -np.inf if prim is P.reduce_window_max_p else np.inf
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            worst = info.min if prim is P.reduce_window_max_p else info.max
        xs = window_taps(x, worst, out_shape=out_shape, **params)
        ts = window_taps(instantiate(t), 0, out_shape=out_shape, **params)
        best_x, best_t = xs[0], ts[0]
        for xi, ti in zip(xs[1:], ts[1:]):
            take = better(xi, best_x)  # strict: the first extremal tap wins ties
            best_x, best_t = lax.select(take, xi, best_x), lax.select(take, ti, best_t)
        return ans, best_t

    return rule


jvp_rules[P.reduce_window_max_p] = _reduce_window_chooser_jvp(P.reduce_window_max_p, lax.gt)
jvp_rules[P.reduce_window_min_p] = _reduce_window_chooser_jvp(P.reduce_window_min_p, lax.lt)
