"""lax convolutions: conv_general_dilated and the conveniences JAX builds on it.

Dimension numbers may be given as None (NCHW / OIHW / NCHW), a ConvDimensionNumbers of axis
permutations, or three strings such as ('NHWC', 'HWIO', 'NHWC'); padding as 'VALID', 'SAME',
'SAME_LOWER' or explicit (lo, hi) pairs. All are resolved here, so the primitive only carries
integers.
"""

from __future__ import annotations

import operator

from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import ConvDimensionNumbers, dilate_dim, window_out_dim

from .. import core
from ..core import bind
from ._base import operands, shape_of

__all__ = [
    "ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated",
    "conv_general_permutations", "conv_general_shape", "conv_transpose", "conv_transpose_shape_tuple",
    "conv_with_general_padding", "padtype_to_pads",
]

_PAD_TYPES = ("VALID", "SAME", "SAME_LOWER")


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """The explicit (lo, hi) pairs of a padding string for windows over `in_shape`."""
    if not isinstance(padding, str):
        return tuple((int(lo), int(hi)) for lo, hi in padding)
    kind = padding.upper()
    if kind not in _PAD_TYPES:
        raise ValueError(f"padtype_to_pads: unknown padding {padding!r}; use one of {_PAD_TYPES} "
                         "or a sequence of (lo, hi) pairs")
    if kind == "VALID":
        return ((0, 0),) * len(in_shape)
    pads = []
    for d, w, s in zip(in_shape, window_shape, window_strides, strict=True):
        out = -(-int(d) // int(s))
        total = max((out - 1) * int(s) + int(w) - int(d), 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return tuple(pads)


def conv_general_permutations(dimension_numbers):
    """Axis permutations (lhs, rhs, out) for a triple of spec strings like 'NHWC'."""
    specs = tuple(dimension_numbers)
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for spec, (a, b), what in zip(specs, pairs, ("lhs", "rhs", "out")):
        if spec.count(a) != 1 or spec.count(b) != 1 or len(set(spec)) != len(spec):
            raise TypeError(f"conv_general_dilated: the {what} spec {spec!r} must name {a!r} and "
                            f"{b!r} once each and repeat no letter")
    spatial = [set(s) - set(p) for s, p in zip(specs, pairs)]
    if not spatial[0] == spatial[1] == spatial[2]:
        raise TypeError(f"conv_general_dilated: the specs {specs} must name the same spatial axes")
    rhs_spec = specs[1]

    def perm(spec, pair):
        rest = [i for i, ch in enumerate(spec) if ch not in pair]
        rest.sort(key=lambda i: rhs_spec.index(spec[i]))  # spatial axes in the kernel's order
        return (spec.index(pair[0]), spec.index(pair[1])) + tuple(rest)

    return tuple(perm(s, p) for s, p in zip(specs, pairs))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """Resolve None / ConvDimensionNumbers / spec strings to a ConvDimensionNumbers."""
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise TypeError(f"conv_general_dilated: lhs and rhs need one rank, got shapes "
                        f"{tuple(lhs_shape)} and {tuple(rhs_shape)}")
    if dimension_numbers is None:
        default = tuple(range(nd))
        return ConvDimensionNumbers(default, default, default)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return ConvDimensionNumbers(*(tuple(int(a) for a in s) for s in dimension_numbers))
    if len(dimension_numbers) != 3:
        raise TypeError("conv_general_dilated: dimension_numbers must be None, a "
                        f"ConvDimensionNumbers or three spec strings, got {dimension_numbers!r}")
    if all(isinstance(s, str) for s in dimension_numbers):
        for s in dimension_numbers:
            if len(s) != nd:
                raise TypeError(f"conv_general_dilated: spec {s!r} has {len(s)} letters for "
                                f"operands of rank {nd}")
        return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))
    return ConvDimensionNumbers(*(tuple(int(a) for a in s) for s in dimension_numbers))


def _spatial_ints(value, n, default, what):
    if value is None:
        return (default,) * n
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"conv_general_dilated: {what} must be a sequence of ints, got {value!r}") from None
    if len(out) != n:
        raise ValueError(f"conv_general_dilated: {what}={value!r} needs {n} entries, one per "
                         "spatial axis")
    return out


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
    """General n-d convolution with dilation, padding and groups (jax.lax semantics)."""
    lhs, rhs = operands("conv_general_dilated", lhs, rhs)
    lshape, rshape = shape_of(lhs), shape_of(rhs)
    dn = conv_dimension_numbers(lshape, rshape, dimension_numbers)
    n = len(lshape) - 2
    strides = _spatial_ints(window_strides, n, 1, "window_strides")
    lhs_dilation = _spatial_ints(lhs_dilation, n, 1, "lhs_dilation")
    rhs_dilation = _spatial_ints(rhs_dilation, n, 1, "rhs_dilation")
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dilation):
            raise ValueError("conv_general_dilated: string padding is not supported with "
                             "lhs_dilation; give explicit (lo, hi) pairs or use conv_transpose")
        kernel = [dilate_dim(rshape[a], d) for a, d in zip(dn.rhs_spec[2:], rhs_dilation)]
        padding = padtype_to_pads([lshape[a] for a in dn.lhs_spec[2:]], kernel, strides, padding)
    else:
        try:
            padding = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
        except (TypeError, ValueError):
            raise TypeError(f"conv_general_dilated: padding must be a string or (lo, hi) pairs, "
                            f"got {padding!r}") from None
    pet = (None if preferred_element_type is None
           else dtypes.canonicalize(preferred_element_type, core.config.x64))
    return bind(P.conv_general_dilated_p, lhs, rhs, window_strides=strides, padding=padding,
                lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation, dimension_numbers=dn,
                feature_group_count=operator.index(feature_group_count),
                batch_group_count=operator.index(batch_group_count), precision=None,
                preferred_element_type=pet)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """NCHW / OIHW convolution without dilation."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """NCHW / OIHW convolution with dilations and explicit padding."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                precision=precision, preferred_element_type=preferred_element_type)


def conv_general_shape(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """The output shape of conv_general_dilated without dilation (used by stax)."""
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lsp = [lhs_shape[a] for a in dn.lhs_spec[2:]]
    ksp = [rhs_shape[a] for a in dn.rhs_spec[2:]]
    pads = padtype_to_pads(lsp, ksp, window_strides, padding)
    spatial = [window_out_dim(d, k, s, p) for d, k, s, p in zip(lsp, ksp, window_strides, pads)]
    shape = [0] * len(lhs_shape)
    for axis, size in zip(dn.out_spec, [lhs_shape[dn.lhs_spec[0]], rhs_shape[dn.rhs_spec[0]]] + spatial):
        shape[axis] = size
    return tuple(shape)


def _conv_transpose_padding(k, s, padding):
    # The padding that makes conv_transpose the gradient of a strided conv of that padding.
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        raise ValueError(f"conv_transpose: padding must be 'SAME', 'VALID' or (lo, hi) pairs, "
                         f"got {padding!r}")
    return lo, total - lo


def _default_transpose_specs(nd):
    table = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
             5: ("NHWDC", "HWDIO", "NHWDC")}
    if nd not in table:
        raise ValueError(f"conv_transpose: no default dimension_numbers for rank {nd}; pass them")
    return table[nd]


def _transpose_pads(rhs_shape, dn, strides, padding, rhs_dilation):
    if isinstance(padding, str):
        ks = [dilate_dim(rhs_shape[a], d) for a, d in zip(dn.rhs_spec[2:], rhs_dilation)]
        return tuple(_conv_transpose_padding(k, s, padding.upper()) for k, s in zip(ks, strides))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None):
    """Transposed ("deconvolution") convolution: a conv with lhs dilation by `strides`."""
    from .structural import rev, transpose

    lshape, rshape = shape_of(lhs), shape_of(rhs)
    nd = len(lshape)
    if dimension_numbers is None:
        dimension_numbers = _default_transpose_specs(nd)
    dn = conv_dimension_numbers(lshape, rshape, dimension_numbers)
    n = nd - 2
    rhs_dilation = _spatial_ints(rhs_dilation, n, 1, "rhs_dilation")
    strides = _spatial_ints(strides, n, 1, "strides")
    pads = _transpose_pads(rshape, dn, strides, padding, rhs_dilation)
    if transpose_kernel:  # flip the window and swap the kernel's in and out features
        rhs = rev(rhs, dn.rhs_spec[2:])
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        rhs = transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, (1,) * n, pads, strides, rhs_dilation, dn,
                                precision=precision, preferred_element_type=preferred_element_type)


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """The output shape of conv_transpose (used by stax)."""
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    n = len(lhs_shape) - 2
    strides = _spatial_ints(window_strides, n, 1, "strides")
    pads = _transpose_pads(rhs_shape, dn, strides, padding, (1,) * n)
    spatial = [
        window_out_dim(lhs_shape[la], rhs_shape[ra], 1, p, s)
        for la, ra, s, p in zip(dn.lhs_spec[2:], dn.rhs_spec[2:], strides, pads)
    ]
    shape = [0] * len(lhs_shape)
    for axis, size in zip(dn.out_spec, [lhs_shape[dn.lhs_spec[0]], rhs_shape[dn.rhs_spec[0]]] + spatial):
        shape[axis] = size
    return tuple(shape)
