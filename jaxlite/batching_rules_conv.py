"""Batching rules for convolution and windowed reductions.

A vmapped convolution stays one convolution: the vmapped axis is folded into the batch axis
(batched lhs), into the kernel's out-features (batched rhs), or, when both are batched, into
the feature groups (each example's image meets only its own kernel). Windowed reductions get a
window of size 1 along the vmapped axis.
"""

from __future__ import annotations

from compiler import primitives as P

from .ad_rules_conv import reshape_axis_into, reshape_axis_out_of
from .batching import batch_rules, moveaxis, shape_of
from .core import bind


def conv_general_dilated_batch(axis_data, vals, dims, **params):
    lhs, rhs = vals
    ld, rd = dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    G, B = params["feature_group_count"], params["batch_group_count"]
    size = axis_data.size
    # The vmapped axis goes first; the specs then number the axes after it.
    if ld is not None:
        lhs = moveaxis(lhs, ld, 0)
    if rd is not None:
        rhs = moveaxis(rhs, rd, 0)

    def conv(x, w, **changes):
        return bind(P.conv_general_dilated_p, x, w, **{**params, **changes})

    if ld is not None and rd is not None:
        if B > 1:  # examples become extra batch groups
            x = reshape_axis_into(0, lhs_spec[0], lhs)
            changes = {"batch_group_count": B * size}
        else:  # examples become extra feature groups
            x = reshape_axis_into(0, lhs_spec[1], lhs)
            changes = {"feature_group_count": G * size}
        out = conv(x, reshape_axis_into(0, rhs_spec[0], rhs), **changes)
        return reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    if ld is not None:
        if B == 1:
            out = conv(reshape_axis_into(0, lhs_spec[0], lhs), rhs)
        else:  # keep the batch groups outermost: (groups, examples, batch per group)
            x = reshape_axis_out_of(lhs_spec[0] + 1, B, lhs)
            x = reshape_axis_into(0, lhs_spec[0] + 1, x)
            x = reshape_axis_into(lhs_spec[0], lhs_spec[0], x)
            out = conv(x, rhs)
        return reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
    if G == 1 and B == 1:
        out = conv(lhs, reshape_axis_into(0, rhs_spec[0], rhs))
        return reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    # Groups must stay the major part of the kernel's out-features: (groups, examples, rest).
    groups = max(G, B)
    w = reshape_axis_out_of(rhs_spec[0] + 1, groups, rhs)
    w = reshape_axis_into(0, rhs_spec[0] + 1, w)
    w = reshape_axis_into(rhs_spec[0], rhs_spec[0], w)
    out = conv(lhs, w)
    out = reshape_axis_out_of(out_spec[1], groups, out)
    out = reshape_axis_out_of(out_spec[1] + 1, size, out)
    return reshape_axis_into(out_spec[1], out_spec[1] + 1, out), out_spec[1]


def _reduce_window_batch(prim):
    def rule(axis_data, vals, dims, *, window_dimensions, window_strides, padding, base_dilation,
             window_dilation):
        (x,), (d,) = vals, dims
        assert len(shape_of(x)) == len(window_dimensions) + 1
        out = bind(prim, x, window_dimensions=_insert(window_dimensions, d, 1),
                   window_strides=_insert(window_strides, d, 1),
                   padding=_insert(padding, d, (0, 0)), base_dilation=_insert(base_dilation, d, 1),
                   window_dilation=_insert(window_dilation, d, 1))
        return out, d

    return rule


def _insert(params, d, value):
    params = list(params)
    params.insert(d, value)
    return tuple(params)


batch_rules[P.conv_general_dilated_p] = conv_general_dilated_batch
for _prim in (P.reduce_window_sum_p, P.reduce_window_max_p, P.reduce_window_min_p):
    batch_rules[_prim] = _reduce_window_batch(_prim)
