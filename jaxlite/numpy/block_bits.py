"""jnp.block (arrays assembled from nested lists), packbits / unpackbits, and the text forms
array_repr / array_str."""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp
from compiler import dtypes

from ._util import canonicalize_axis, check_arraylike

__all__ = ["array_repr", "array_str", "block", "packbits", "unpackbits"]


def block(arrays):
    """Assemble an array from nested lists of blocks: the innermost lists are joined along the
    last axis, the next along the one before, and so on."""

    def depth(x, path):
        if isinstance(x, tuple):
            raise TypeError(f"jaxlite.numpy.block: {path} is a tuple; only lists may nest blocks")
        if not isinstance(x, list):
            return 0
        if not x:
            raise ValueError(f"jaxlite.numpy.block: {path} is an empty list")
        ds = {depth(e, f"{path}[{i}]") for i, e in enumerate(x)}
        if len(ds) != 1:
            raise ValueError(f"jaxlite.numpy.block: the lists under {path} nest to different depths {sorted(ds)}")
        return 1 + ds.pop()

    def leaves(x):
        return [a for e in x for a in leaves(e)] if isinstance(x, list) else [jnp.asarray(x)]

    d = depth(arrays, "arrays")
    ndim = max([d] + [a.ndim for a in leaves(arrays)])

    def assemble(x, level):
        if not isinstance(x, list):
            a = jnp.asarray(x)
            return jnp.reshape(a, (1,) * (ndim - a.ndim) + a.shape)
        return jnp.concatenate([assemble(e, level + 1) for e in x], axis=level - d)

    return assemble(arrays, 0)


def _bit_weights(bitorder, fname):
    if bitorder not in ("big", "little"):
        raise ValueError(f"jaxlite.numpy.{fname}: bitorder must be 'big' or 'little', got {bitorder!r}")
    w = 1 << np.arange(8, dtype=np.uint8)
    return w[::-1] if bitorder == "big" else w


def packbits(a, axis=None, bitorder="big"):
    """Groups of 8 truthy/falsy entries along axis packed into uint8 bytes (zero padded)."""
    check_arraylike("packbits", a)
    a = jnp.asarray(a)
    if not (dtypes.is_integer(a.dtype) or dtypes.is_bool(a.dtype)):
        raise TypeError(f"jaxlite.numpy.packbits: a must be boolean or integer, got {a.dtype}")
    weights = _bit_weights(bitorder, "packbits")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim, "packbits")
    bits = jnp.moveaxis(a != 0, axis, -1).astype(np.uint8)
    n = bits.shape[-1]
    bits = jnp.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, -n % 8)])
    grouped = jnp.reshape(bits, bits.shape[:-1] + (-1, 8))
    packed = jnp.sum(grouped * weights, axis=-1, dtype=np.uint8)
    return jnp.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of the uint8 array a along axis (8 per byte), optionally cut or padded to count."""
    check_arraylike("unpackbits", a)
    a = jnp.asarray(a)
    if a.dtype != np.uint8:
        raise TypeError(f"jaxlite.numpy.unpackbits: a must be uint8, got {a.dtype}")
    weights = _bit_weights(bitorder, "unpackbits")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim, "unpackbits")
    moved = jnp.moveaxis(a, axis, -1)
    bits = ((moved[..., None] & weights) != 0).astype(np.uint8)
    bits = jnp.reshape(bits, moved.shape[:-1] + (-1,))
    if count is not None:
        n = bits.shape[-1]
        count = count if count >= 0 else max(n + count, 0)
        bits = bits[..., :count] if count <= n else jnp.pad(
            bits, [(0, 0)] * (bits.ndim - 1) + [(0, count - n)])
    return jnp.moveaxis(bits, -1, axis)


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """NumPy's repr of the array's value (a host-side string)."""
    return np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """NumPy's str of the array's value (a host-side string)."""
    return np.array_str(np.asarray(a), max_line_width, precision, suppress_small)
