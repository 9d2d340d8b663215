"""NumPy meaning of convolution and windowed reductions (the oracle for the jit rewrite).

Both are computed the same way: dilate and pad the base with the reduction's identity (zero for
a convolution), then visit the window one tap at a time. Each tap is a strided view of the
padded base holding, for every output position, the element under that tap; a convolution
contracts it with the kernel's slice at that tap, a reduction combines it into the result.
Memory stays at one padded copy and the output, whatever the window size.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import dtypes
from . import primitives as P
from .interpret import pad
from .ir import ShapedArray


def window_taps(base, window, strides, dilation, out_shape, lead=0):
    """Yield (tap index, view) for every tap of the window over the trailing axes of `base`
    (already padded); its first `lead` axes are carried along whole."""
    for tap in itertools.product(*(range(w) for w in window)):
        index = (slice(None),) * lead + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s) if o else slice(0, 0)
            for t, d, s, o in zip(tap, dilation, strides, out_shape)
        )
        yield tap, base[index]


def identity_of(prim, dtype):
    """The value padding and base-dilation holes hold: the reduction's identity."""
    if prim is P.reduce_window_sum_p:
        return np.zeros((), dtype)
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return np.asarray(info.min if prim is P.reduce_window_max_p else info.max, dtype)
    return np.asarray(-np.inf if prim is P.reduce_window_max_p else np.inf, dtype)


def _reduce_window(prim, combine):
    def impl(x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        x = np.asarray(x)
        out_shape = P.shape_rules[prim](ShapedArray(x.shape, x.dtype), window_dimensions=window_dimensions,
                                        window_strides=window_strides, padding=padding,
                                        base_dilation=base_dilation,
                                        window_dilation=window_dilation).shape
        init = identity_of(prim, x.dtype)
        config = [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)]
        base = pad(x, init, padding_config=config)
        out = np.full(out_shape, init, x.dtype)
        if 0 in out_shape:
            return out
        for _, view in window_taps(base, window_dimensions, window_strides, window_dilation, out_shape):
            combine(out, view, out=out)
        return out

    return impl


def conv_general_dilated(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                         dimension_numbers, feature_group_count, batch_group_count, precision=None,
                         preferred_element_type=None):
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    out_dtype = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    # float16 accumulates in float32, integers in the result type, as dot_general does.
    compute = dtypes.float32 if out_dtype == dtypes.float16 else out_dtype
    x = np.transpose(lhs, lhs_spec).astype(compute)  # (N, C, spatial...)
    w = np.transpose(rhs, rhs_spec).astype(compute)  # (O, I, spatial...)
    n, c = x.shape[:2]
    o, i = w.shape[:2]
    G, B = feature_group_count, batch_group_count
    config = [(0, 0, 0), (0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(padding, lhs_dilation)]
    base = pad(x, np.zeros((), compute), padding_config=config)
    out_spatial = [
        P.window_out_dim(d, k, s, p, ld, rd)
        for d, k, s, p, ld, rd in zip(x.shape[2:], w.shape[2:], window_strides, padding,
                                      lhs_dilation, rhs_dilation)
    ]
    # Groups as explicit axes: feature groups split C and O, batch groups split N and O (the
    # group is the major part of the split axis, as XLA numbers them).
    acc = np.zeros((B, n // B, G, o // (G * B)) + tuple(out_spatial), compute)
    wg = w.reshape((B * G, o // (G * B), i) + w.shape[2:])
    if 0 not in out_spatial:
        for tap, view in window_taps(base, w.shape[2:], window_strides, rhs_dilation, out_spatial, 2):
            xv = view.reshape((B, n // B, G, c // G) + view.shape[2:])
            wt = wg[(slice(None),) * 3 + tap].reshape(B, G, o // (G * B), i)
            acc += np.einsum("bngc...,bgoc->bngo...", xv, wt)
    # (B, N/B, G, O/(G B), spatial) -> (N/B, O, spatial) with O numbered (B, G, O/(G B)).
    acc = np.moveaxis(acc, 0, 1).reshape((n // B, o) + tuple(out_spatial))
    return np.transpose(acc, np.argsort(out_spec)).astype(out_dtype, copy=False)


WINDOW_IMPLS = {
    P.conv_general_dilated_p: conv_general_dilated,
    P.reduce_window_sum_p: _reduce_window(P.reduce_window_sum_p, np.add),
    P.reduce_window_max_p: _reduce_window(P.reduce_window_max_p, np.maximum),
    P.reduce_window_min_p: _reduce_window(P.reduce_window_min_p, np.minimum),
}
