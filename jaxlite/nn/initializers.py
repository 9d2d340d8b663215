"""jaxlite.nn.initializers: parameter initializers with jax.nn.initializers' API.

Every initializer is a function `init(key, shape, dtype=...) -> Array`; the factories
(`uniform(scale)`, `variance_scaling(...)`, `glorot_uniform()`, ...) return one. Randomness comes
from `jaxlite.random`, so the same key gives the same numbers as JAX wherever jaxlite.random does.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np

from compiler import dtypes

from .. import numpy as jnp
from .. import random
from ..config import config

__all__ = [
    "Initializer",
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

# Standard deviation of a standard normal truncated to (-2, 2): dividing by it makes the
# truncated_normal variance-scaling samples have exactly the requested variance.
_TRUNC_STD = 0.87962566103423978


class Initializer(Protocol):
    def __call__(self, key: Any, shape: Sequence[int], dtype: Any = jnp.float_) -> Any:
        ...


def _canon_dtype(dtype):
    return dtypes.canonicalize(dtype, config.x64)


def _canon_shape(name, shape):
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"jaxlite.nn.initializers.{name}: shape must be a sequence of "
                        f"integers, got {shape!r}") from None


def _require_float(name, dtype):
    if not jnp.issubdtype(dtype, jnp.floating):
        raise NotImplementedError(
            f"jaxlite.nn.initializers.{name}: dtype {dtype} is not supported; only real "
            "floating dtypes are implemented (complex initializers are not)")


def zeros(key, shape, dtype=jnp.float_):
    """An initializer returning an array of zeros (the key is ignored)."""
    return jnp.zeros(_canon_shape("zeros", shape), _canon_dtype(dtype))


def ones(key, shape, dtype=jnp.float_):
    """An initializer returning an array of ones (the key is ignored)."""
    return jnp.ones(_canon_shape("ones", shape), _canon_dtype(dtype))


def constant(value, dtype=jnp.float_) -> Initializer:
    """An initializer filling the array with `value`."""
    def init(key, shape, dtype=dtype):
        return jnp.full(_canon_shape("constant", shape), value, dtype=_canon_dtype(dtype))
    return init


def uniform(scale=1e-2, dtype=jnp.float_) -> Initializer:
    """Samples uniformly from [0, scale)."""
    def init(key, shape, dtype=dtype):
        dtype = _canon_dtype(dtype)
        shape = _canon_shape("uniform", shape)
        return random.uniform(key, shape, dtype) * jnp.array(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=jnp.float_) -> Initializer:
    """Samples from a centred normal with standard deviation `stddev`."""
    def init(key, shape, dtype=dtype):
        dtype = _canon_dtype(dtype)
        shape = _canon_shape("normal", shape)
        return random.normal(key, shape, dtype) * jnp.array(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=jnp.float_, lower=-2.0, upper=2.0) -> Initializer:
    """Samples a standard normal truncated to [lower, upper], then scales it by `stddev`.

    As in JAX, `stddev` is the scale of the untruncated normal, not the result's std.
    """
    def init(key, shape, dtype=dtype):
        dtype = _canon_dtype(dtype)
        shape = _canon_shape("truncated_normal", shape)
        return random.truncated_normal(key, lower, upper, shape, dtype) * jnp.array(stddev, dtype)
    return init


def _axes_size(shape, axes):
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[a] for a in axes)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): input/output sizes times the receptive field (all other axes)."""
    if len(shape) <= 1:
        raise ValueError(
            f"jaxlite.nn.initializers.variance_scaling: can't compute input and output sizes of "
            f"a {len(shape)}-dimensional weights tensor of shape {shape}; it must be at least 2D")
    in_size = _axes_size(shape, in_axis)
    out_size = _axes_size(shape, out_axis)
    batch_size = _axes_size(shape, batch_axis)
    receptive_field_size = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field_size, out_size * receptive_field_size


def variance_scaling(
    scale,
    mode: Literal["fan_in", "fan_out", "fan_avg"],
    distribution: Literal["truncated_normal", "normal", "uniform"],
    in_axis=-2,
    out_axis=-1,
    batch_axis=(),
    dtype=jnp.float_,
) -> Initializer:
    """Samples with variance `scale / n`, n from `mode` ("fan_in", "fan_out" or their mean).

    `distribution` is "truncated_normal" (to +-2 std, rescaled to the exact variance),
    "normal", or "uniform" (on [-sqrt(3 var), sqrt(3 var)]). The fans count the axes named by
    `in_axis`/`out_axis` (ints or sequences) times every axis not named (the receptive field);
    `batch_axis` axes are left out of both.
    """
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode!r}; expected "
                         "'fan_in', 'fan_out' or 'fan_avg'")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution!r}; expected 'truncated_normal', 'normal' or 'uniform'")

    def init(key, shape, dtype=dtype):
        shape = _canon_shape("variance_scaling", shape)
        dtype = _canon_dtype(dtype)
        _require_float("variance_scaling", dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out,
                       "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = jnp.array(scale / denominator, dtype=dtype)
        if distribution == "truncated_normal":
            stddev = jnp.sqrt(variance) / jnp.array(_TRUNC_STD, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)

    return init


def _named_scaling(scale, mode, distribution, name, doc):
    """A named variance_scaling preset with JAX's signature (in_axis, out_axis, batch_axis, dtype)."""

    def preset(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float_) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
                                batch_axis=batch_axis, dtype=dtype)

    preset.__name__ = preset.__qualname__ = name
    preset.__doc__ = f'{doc}: variance_scaling({scale}, "{mode}", "{distribution}").'
    return preset


glorot_uniform = _named_scaling(1.0, "fan_avg", "uniform", "glorot_uniform", "Glorot/Xavier uniform")
glorot_normal = _named_scaling(1.0, "fan_avg", "truncated_normal", "glorot_normal", "Glorot/Xavier normal")
lecun_uniform = _named_scaling(1.0, "fan_in", "uniform", "lecun_uniform", "LeCun uniform")
lecun_normal = _named_scaling(1.0, "fan_in", "truncated_normal", "lecun_normal", "LeCun normal")
he_uniform = _named_scaling(2.0, "fan_in", "uniform", "he_uniform", "He/Kaiming uniform")
he_normal = _named_scaling(2.0, "fan_in", "truncated_normal", "he_normal", "He/Kaiming normal")

xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def orthogonal(scale=1.0, column_axis=-1, dtype=jnp.float_) -> Initializer:
    """A (semi-)orthogonal matrix: the axis `column_axis` against all other axes flattened.

    Q of a QR factorisation of a normal matrix, with column signs fixed by diag(R) so the result
    is uniformly (Haar) distributed, times `scale`.
    """
    def init(key, shape, dtype=dtype):
        shape = _canon_shape("orthogonal", shape)
        dtype = _canon_dtype(dtype)
        _require_float("orthogonal", dtype)
        if len(shape) < 2:
            raise ValueError("jaxlite.nn.initializers.orthogonal: requires at least a 2D shape, "
                             f"got {shape}")
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        matrix_shape = (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols)
        a = random.normal(key, matrix_shape, dtype)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diag(r))[None, :]
        if n_rows < n_cols:
            q = q.T
        q = jnp.reshape(q, tuple(np.delete(shape, column_axis)) + (n_cols,))
        q = jnp.moveaxis(q, -1, column_axis)
        return jnp.array(scale, dtype) * q
    return init
