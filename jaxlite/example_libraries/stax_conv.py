"""stax's convolution and pooling layers (re-exported by `stax`), with JAX's signatures.

Convolutions take their layout as three spec strings (`GeneralConv(('NHWC', 'HWIO', 'NHWC'),
...)`; `Conv` and `ConvTranspose` use exactly that). Pooling layers take the window over the
spatial axes only; `spec` (default: batch first, features last) says where the batch and
feature axes are. AvgPool divides by the number of input elements under each window, so near a
'SAME'-padded edge it averages only real elements, as JAX's stax does.
"""

from __future__ import annotations

import functools

from .. import lax, random
from .. import numpy as jnp
from ..nn.initializers import glorot_normal, normal

__all__ = [
    "AvgPool", "Conv", "Conv1DTranspose", "ConvTranspose", "GeneralConv", "GeneralConvTranspose",
    "MaxPool", "SumPool",
]


def _kernel_shape(rhs_spec, lhs_spec, input_shape, out_chan, filter_shape):
    sizes = iter(filter_shape)
    in_chan = input_shape[lhs_spec.index("C")]
    return tuple(out_chan if c == "O" else in_chan if c == "I" else next(sizes) for c in rhs_spec)


def _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init, b_init,
                shape_fn, apply_conv):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    strides = tuple(strides) if strides else (1,) * len(filter_shape)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        kernel_shape = _kernel_shape(rhs_spec, lhs_spec, input_shape, out_chan, filter_shape)
        output_shape = shape_fn(input_shape, kernel_shape, strides, padding, dimension_numbers)
        bias_shape = tuple(out_chan if c == "C" else 1 for c in out_spec)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return apply_conv(inputs, W, strides, padding, dimension_numbers) + b

    return init_fun, apply_fun


def GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID",
                W_init=None, b_init=normal(1e-6)):
    """A convolution layer with explicit dimension numbers (three spec strings)."""
    n = len(filter_shape)

    def apply_conv(x, W, strides, padding, dn):
        return lax.conv_general_dilated(x, W, strides, padding, (1,) * n, (1,) * n, dn)

    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init, b_init,
                       lax.conv_general_shape, apply_conv)


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID",
                         W_init=None, b_init=normal(1e-6)):
    """A transposed-convolution layer with explicit dimension numbers."""

    def apply_conv(x, W, strides, padding, dn):
        return lax.conv_transpose(x, W, strides, padding, dimension_numbers=dn)

    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init, b_init,
                       lax.conv_transpose_shape_tuple, apply_conv)


Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))
ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))


def _non_spatial_axes(spec, ndim):
    return (0, ndim - 1) if spec is None else (spec.index("N"), spec.index("C"))


def _pooling_layer(reducer, init_val, rescaler=None):
    def PoolingLayer(window_shape, strides=None, padding="VALID", spec=None):
        window_shape = tuple(window_shape)
        strides = tuple(strides) if strides else (1,) * len(window_shape)
        rescale = rescaler(window_shape, strides, padding) if rescaler else None
        full_window, full_strides = window_shape, strides
        for i in sorted(_non_spatial_axes(spec, len(window_shape) + 2)):
            full_window = full_window[:i] + (1,) + full_window[i:]
            full_strides = full_strides[:i] + (1,) + full_strides[i:]

        def init_fun(rng, input_shape):
            pads = lax.padtype_to_pads(input_shape, full_window, full_strides, padding)
            # Plain arithmetic rather than a shape rule: a batch size of -1 must stay -1.
            out_shape = tuple((d + lo + hi - w) // s + 1
                              for d, w, s, (lo, hi) in zip(input_shape, full_window, full_strides, pads))
            return out_shape, ()

        def apply_fun(params, inputs, **kwargs):
            out = lax.reduce_window(inputs, init_val, reducer, full_window, full_strides, padding)
            return rescale(out, inputs, spec) if rescale else out

        return init_fun, apply_fun

    return PoolingLayer


def _normalize_by_window_size(window_shape, strides, padding):
    def rescale(outputs, inputs, spec):
        axes = _non_spatial_axes(spec, inputs.ndim)
        spatial = tuple(d for i, d in enumerate(inputs.shape) if i not in axes)
        counts = lax.reduce_window(jnp.ones(spatial, inputs.dtype), 0.0, lax.add, window_shape,
                                   strides, padding)
        for i in sorted(axes):
            counts = jnp.expand_dims(counts, i)
        return outputs / counts

    return rescale


MaxPool = _pooling_layer(lax.max, -jnp.inf)
MaxPool.__doc__ = "Layer constructor: the maximum over each window (stax.MaxPool(window_shape, strides, padding))."
SumPool = _pooling_layer(lax.add, 0.0)
SumPool.__doc__ = "Layer constructor: the sum over each window (stax.SumPool(window_shape, strides, padding, spec))."
AvgPool = _pooling_layer(lax.add, 0.0, _normalize_by_window_size)
AvgPool.__doc__ = (
    "Layer constructor: the mean over the real (unpadded) elements of each window "
    "(stax.AvgPool(window_shape, strides, padding, spec))."
)
