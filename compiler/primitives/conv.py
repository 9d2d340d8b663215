"""Convolution and windowed reductions: conv_general_dilated and reduce_window_{sum,max,min}.

Both slide a window over the spatial axes of an operand whose base may be dilated (holes
between its elements: `lhs_dilation` / `base_dilation`) and edge-padded (`padding`, pairs of
(lo, hi), negative to crop), with a window that may itself be dilated (`rhs_dilation` /
`window_dilation`) and moves by `window_strides`. The front end resolves padding strings
('SAME', 'VALID') to explicit pairs before binding, so the IR only sees integers.

conv_general_dilated's dimension_numbers is a ConvDimensionNumbers of three permutations:
lhs_spec = (batch axis, feature axis, spatial axes...), rhs_spec = (out-feature axis,
in-feature axis, spatial axes...), out_spec = (batch axis, feature axis, spatial axes...),
spatial axes listed in the same (rhs) order in all three, as in JAX.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import dtypes
from ..ir import ShapedArray
from ._base import _fail, declare

WINDOW = "window"


class ConvDimensionNumbers(NamedTuple):
    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def dilate_dim(d, dilation):
    """The size of an axis of size `d` with `dilation - 1` holes between its elements."""
    return 0 if d == 0 else 1 + dilation * (d - 1)


def window_out_dim(in_dim, window, stride, pad, base_dilation=1, window_dilation=1):
    """How many window positions fit along one padded, dilated axis."""
    padded = dilate_dim(in_dim, base_dilation) + pad[0] + pad[1]
    span = dilate_dim(window, window_dilation)
    if padded < span or span == 0:
        return 0
    return (padded - span) // stride + 1


def _check_window_params(name, n, avals, **params):
    for key, value in params.items():
        if len(value) != n:
            _fail(name, f"{key}={tuple(value)} needs {n} entries, one per spatial axis", *avals)
        if key == "padding":
            if any(len(p) != 2 for p in value):
                _fail(name, f"padding={tuple(value)} must be (lo, hi) pairs", *avals)
        elif any(int(v) < 1 for v in value):
            _fail(name, f"{key}={tuple(value)} must be positive", *avals)


def _conv_rule(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
               feature_group_count, batch_group_count, precision=None, preferred_element_type=None):
    name = "conv_general_dilated"
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        _fail(name, "lhs and rhs must have one rank, at least 2", lhs, rhs)
    for spec, what in ((lhs_spec, "lhs_spec"), (rhs_spec, "rhs_spec"), (out_spec, "out_spec")):
        if sorted(spec) != list(range(lhs.ndim)):
            _fail(name, f"dimension_numbers.{what}={tuple(spec)} is not a permutation of the axes", lhs, rhs)
    if lhs.dtype != rhs.dtype:
        _fail(name, "lhs and rhs must share one dtype", lhs, rhs)
    if dtypes.is_bool(lhs.dtype):
        _fail(name, "does not accept bool operands", lhs, rhs)
    n = lhs.ndim - 2
    _check_window_params(name, n, (lhs, rhs), window_strides=window_strides, padding=padding,
                         lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation)
    G, B = feature_group_count, batch_group_count
    if G < 1 or B < 1 or (G > 1 and B > 1):
        _fail(name, f"feature_group_count={G} and batch_group_count={B} must be >= 1, not both > 1",
              lhs, rhs)
    batch, feat = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    out_feat, in_feat = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    if feat != in_feat * G:
        _fail(name, f"lhs features ({feat}) must equal rhs input features ({in_feat}) times "
              f"feature_group_count ({G})", lhs, rhs)
    if out_feat % G or out_feat % B:
        _fail(name, f"rhs output features ({out_feat}) must be divisible by feature_group_count "
              f"({G}) and batch_group_count ({B})", lhs, rhs)
    if batch % B:
        _fail(name, f"lhs batch ({batch}) must be divisible by batch_group_count ({B})", lhs, rhs)
    spatial = [
        window_out_dim(lhs.shape[ls], rhs.shape[rs], s, p, ld, rd)
        for ls, rs, s, p, ld, rd in zip(lhs_spec[2:], rhs_spec[2:], window_strides, padding,
                                        lhs_dilation, rhs_dilation)
    ]
    for (lo, hi), ls, ld in zip(padding, lhs_spec[2:], lhs_dilation):
        if dilate_dim(lhs.shape[ls], ld) + lo + hi < 0:
            _fail(name, f"padding {tuple(padding)} crops more than the axis holds", lhs, rhs)
    shape = [0] * lhs.ndim
    for axis, size in zip(out_spec, [batch // B, out_feat] + spatial):
        shape[axis] = size
    dt = preferred_element_type or lhs.dtype
    return ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)


conv_general_dilated_p = declare("conv_general_dilated", WINDOW, _conv_rule)


def _reduce_window_rule(name):
    def rule(x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        avals = (x,)
        if len(window_dimensions) != x.ndim or any(int(w) < 0 for w in window_dimensions):
            _fail(name, f"window_dimensions={tuple(window_dimensions)} needs one size >= 0 per axis",
                  *avals)
        _check_window_params(name, x.ndim, avals, window_strides=window_strides, padding=padding,
                             base_dilation=base_dilation, window_dilation=window_dilation)
        if dtypes.is_bool(x.dtype) or dtypes.is_complex(x.dtype) and name != "reduce_window_sum":
            _fail(name, f"does not accept dtype {x.dtype}", *avals)
        shape = []
        for d, w, s, p, bd, wd in zip(x.shape, window_dimensions, window_strides, padding,
                                      base_dilation, window_dilation):
            if dilate_dim(d, bd) + p[0] + p[1] < 0:
                _fail(name, f"padding {tuple(padding)} crops more than the axis holds", *avals)
            shape.append(window_out_dim(d, w, s, p, bd, wd))
        return ShapedArray(shape, x.dtype, x.weak_type)

    return rule


reduce_window_sum_p = declare("reduce_window_sum", WINDOW, _reduce_window_rule("reduce_window_sum"))
reduce_window_max_p = declare("reduce_window_max", WINDOW, _reduce_window_rule("reduce_window_max"))
reduce_window_min_p = declare("reduce_window_min", WINDOW, _reduce_window_rule("reduce_window_min"))

__all__ = [
    "WINDOW",
    "ConvDimensionNumbers",
    "conv_general_dilated_p",
    "dilate_dim",
    "reduce_window_max_p",
    "reduce_window_min_p",
    "reduce_window_sum_p",
    "window_out_dim",
]
