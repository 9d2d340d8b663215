"""Definition-by-loops references for convolution and windowed reductions (test oracles).

Written from XLA's operation semantics, one output element at a time, with nothing shared with
compiler/interpret_conv.py: a padded, dilated base is looked up index by index.
"""

from __future__ import annotations

import itertools

import numpy as np


def _dilate(d, k):
    return 0 if d == 0 else 1 + k * (d - 1)


def _base_lookup(x, lead, idx, padding, dilation, fill):
    """x[lead + position] for `idx` in padded, dilated coordinates (fill in holes and pads)."""
    pos = []
    for q, (lo, _), d, size in zip(idx, padding, dilation, x.shape[len(lead):]):
        r = q - lo
        if r < 0 or r % d or r // d >= size:
            return fill
        pos.append(r // d)
    return x[tuple(lead) + tuple(pos)]


def out_sizes(in_sizes, window, strides, padding, base_dilation, window_dilation):
    sizes = []
    for d, k, s, (lo, hi), bd, wd in zip(in_sizes, window, strides, padding, base_dilation,
                                         window_dilation):
        span, padded = _dilate(k, wd), _dilate(d, bd) + lo + hi
        sizes.append(0 if padded < span or span == 0 else (padded - span) // s + 1)
    return sizes


def conv_reference(lhs, rhs, strides, padding, lhs_dilation, rhs_dilation, specs,
                   feature_group_count=1, batch_group_count=1):
    """conv_general_dilated by its definition; specs = (lhs_spec, rhs_spec, out_spec) perms."""
    lhs_spec, rhs_spec, out_spec = specs
    x = np.transpose(lhs, lhs_spec).astype(np.float64)
    w = np.transpose(rhs, rhs_spec).astype(np.float64)
    N, C = x.shape[:2]
    O, I = w.shape[:2]
    G, B = feature_group_count, batch_group_count
    window = w.shape[2:]
    osz = out_sizes(x.shape[2:], window, strides, padding, lhs_dilation, rhs_dilation)
    out = np.zeros([N // B, O] + osz)
    for nb, o in itertools.product(range(N // B), range(O)):
        g = o // (O // G)  # feature group of this output feature
        b = o // (O // B)  # batch group of this output feature
        n = b * (N // B) + nb
        for p in itertools.product(*(range(s) for s in osz)):
            total = 0.0
            for ci in range(I):
                c = g * I + ci
                for k in itertools.product(*(range(s) for s in window)):
                    idx = [pp * s + kk * d for pp, s, kk, d in zip(p, strides, k, rhs_dilation)]
                    total += _base_lookup(x, (n, c), idx, padding, lhs_dilation, 0.0) * w[(o, ci) + k]
            out[(nb, o) + p] = total
    return np.transpose(out, np.argsort(out_spec))


def reduce_window_reference(x, op, init, window, strides, padding, base_dilation, window_dilation):
    """reduce_window by its definition: op over each window, pads and holes holding init."""
    osz = out_sizes(x.shape, window, strides, padding, base_dilation, window_dilation)
    out = np.full(osz, init, dtype=x.dtype)
    for p in itertools.product(*(range(s) for s in osz)):
        acc = init
        for k in itertools.product(*(range(s) for s in window)):
            idx = [pp * s + kk * d for pp, s, kk, d in zip(p, strides, k, window_dilation)]
            acc = op(acc, _base_lookup(x, (), idx, padding, base_dilation, init))
        out[p] = acc
    return out
