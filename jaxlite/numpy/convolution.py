"""1-D convolution and correlation, polynomials (polyval, polyadd, polysub, polymul) and the
vector cross product. Public names are re-exported by `sorting.py`.

convolve multiplies v into a Toeplitz matrix of the longer signal built with reshapes (no gather,
no Python loop over samples) and sums the overlapping products; inputs are promoted to an inexact
dtype, as JAX does.
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import core, lax
from ._util import canonicalize_axis, check_arraylike, promote_dtypes, to_array
from .reductions import promote_inexact
from .ufuncs import add, multiply, subtract

__all__: list = []  # exported through sorting.py

_MODES = ("full", "same", "valid")


def _signals(name, a, v, mode):
    check_arraylike(name, a, v, names=["a", "v"])
    if mode not in _MODES:
        raise ValueError(f"jaxlite.numpy.{name}: mode must be one of {_MODES}, got {mode!r}")
    a, v = promote_inexact(a, v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"jaxlite.numpy.{name}: only 1-dimensional inputs are supported, got "
                         f"shapes {tuple(a.shape)} and {tuple(v.shape)}")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"jaxlite.numpy.{name}: inputs cannot be empty, got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    return a, v


def _full_convolution(a, v, preferred_element_type):
    """sum_j v[j] a[k - j] over the j where 0 <= k - j < n, for k < n + m - 1.

    T[j, c] = a[c - j] comes from m copies of [a, 0 * m] laid end to end and re-read with rows one
    shorter, which shifts each row right by one more place. The products outside the overlap are
    masked rather than multiplied by the padding zeros, so a NaN or inf in v stays where NumPy
    puts it."""
    n, m = a.shape[0], v.shape[0]
    width = n + m
    padded = lax.pad(a, lax.full((), 0, a.dtype), [(0, m, 0)])
    tiled = lax.reshape(lax.broadcast_in_dim(padded, (m, width), (1,)), (m * width,))
    toeplitz = lax.reshape(lax.slice(tiled, (0,), (m * (width - 1),)), (m, width - 1))
    shape = (m, width - 1)
    shift = lax.sub(lax.broadcasted_iota(dtypes.int32, shape, 1),
                    lax.broadcasted_iota(dtypes.int32, shape, 0))
    overlap = lax.bitwise_and(lax.ge(shift, lax.full((), 0, dtypes.int32)),
                              lax.lt(shift, lax.full((), n, dtypes.int32)))
    terms = lax.mul(toeplitz, lax.broadcast_in_dim(v, shape, (0,)))
    terms = lax.select(overlap, terms, lax.full(shape, 0, terms.dtype))
    out = lax.reduce_sum(terms, (0,))
    if preferred_element_type is not None:
        out = lax.convert_element_type(out, preferred_element_type)
    return out


def _convolve(a, v, mode, preferred_element_type):
    if v.shape[0] > a.shape[0]:  # convolution commutes; the Toeplitz matrix uses the longer one
        a, v = v, a
    n, m = a.shape[0], v.shape[0]
    full = _full_convolution(a, v, preferred_element_type)
    if mode == "full":
        return full
    start, length = ((m - 1) // 2, n) if mode == "same" else (m - 1, n - m + 1)
    return lax.slice(full, (start,), (start + length,))


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """numpy.convolve of two 1-D arrays (modes 'full', 'same', 'valid')."""
    a, v = _signals("convolve", a, v, mode)
    return _convolve(a, v, mode, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """numpy.correlate: c[k] = sum_n a[n + k] * conj(v[n])."""
    a, v = _signals("correlate", a, v, mode)
    v = lax.rev(lax.conj(v) if dtypes.is_complex(v.dtype) else v, (0,))
    if v.shape[0] > a.shape[0] and mode != "full":
        # NumPy centres 'same' and 'valid' on the first argument: correlate the other way round
        # and flip back (conjugated), which is what it does internally.
        out = _convolve(lax.rev(v, (0,)), lax.rev(a, (0,)), mode, preferred_element_type)
        return lax.rev(out, (0,))
    return _convolve(a, v, mode, preferred_element_type)


def _poly(name, *ps):
    check_arraylike(name, *ps)
    ps = [to_array(p) for p in ps]
    for p in ps:
        if p.ndim != 1:
            raise ValueError(f"jaxlite.numpy.{name}: polynomial coefficients must be 1-D, got shape "
                             f"{tuple(p.shape)}")
    return ps


def polyval(p, x, *, unroll=16):
    """numpy.polyval by Horner's rule (p[0] is the highest power); ints stay ints."""
    check_arraylike("polyval", p, x, names=["p", "x"])
    p, x = promote_dtypes(to_array(p), x)
    if p.ndim != 1:
        raise ValueError(f"jaxlite.numpy.polyval: p must be 1-D, got shape {tuple(p.shape)}")
    y = lax.full(x.shape, 0, p.dtype)
    for i in range(p.shape[0]):  # jnp add/multiply: bool coefficients mean or/and, as JAX
        y = add(multiply(y, x), lax.index_in_dim(p, i, 0, keepdims=False))
    return y


def _align(a1, a2):
    n = a1.shape[0] if a1.shape[0] > a2.shape[0] else a2.shape[0]
    zero = lax.full((), 0, a1.dtype)
    return [lax.pad(a, zero, [(n - a.shape[0], 0, 0)]) for a in (a1, a2)]


def polyadd(a1, a2):
    """numpy.polyadd: sum of two coefficient arrays, aligned at the constant term."""
    a1, a2 = promote_dtypes(*_poly("polyadd", a1, a2))
    a1, a2 = _align(a1, a2)
    return lax.bitwise_or(a1, a2) if a1.dtype == dtypes.bool_ else lax.add(a1, a2)


def polysub(a1, a2):
    """numpy.polysub: a1 - a2, aligned at the constant term."""
    a1, a2 = promote_dtypes(*_poly("polysub", a1, a2))
    a1, a2 = _align(a1, a2)
    return lax.sub(a1, a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    """numpy.polymul via a full convolution (float result, as JAX). trim_leading_zeros needs
    concrete inputs, since it changes the output shape."""
    a1, a2 = promote_inexact(*_poly("polymul", a1, a2))
    if trim_leading_zeros:
        try:
            a1, a2 = (_trim_leading(a) for a in (a1, a2))
        except core.ConcretizationTypeError:
            raise core.ConcretizationTypeError(
                "jaxlite.numpy.polymul: trim_leading_zeros=True needs concrete coefficients (the "
                "output length depends on them); use trim_leading_zeros=False under tracing") from None
    if a1.shape[0] == 0 or a2.shape[0] == 0:
        return lax.full((1,), 0, a1.dtype)
    return _convolve(a1, a2, "full", None)


def _trim_leading(a):
    vals = np.asarray(a)  # raises ConcretizationTypeError's sibling under tracing
    nz = np.flatnonzero(vals)
    start = int(nz[0]) if nz.size else a.shape[0] - 1 if a.shape[0] else 0
    return lax.slice(a, (start,), (a.shape[0],))


def _move_last(x, axis, name):
    axis = canonicalize_axis(axis, x.ndim, name)
    perm = [d for d in range(x.ndim) if d != axis] + [axis]
    return lax.transpose(x, perm)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """numpy.cross of 2- or 3-vectors along the given axes (broadcasting the others)."""
    check_arraylike("cross", a, b, names=["a", "b"])
    a, b = promote_dtypes(to_array(a), to_array(b))
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _move_last(a, axisa, "cross"), _move_last(b, axisb, "cross")
    da, db = a.shape[-1], b.shape[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise ValueError(f"jaxlite.numpy.cross: incompatible dimensions for cross product "
                         f"(dimension must be 2 or 3), got {da} and {db}")

    def comp(x, i):
        return lax.index_in_dim(x, i, x.ndim - 1, keepdims=False)

    a0, a1, b0, b1 = comp(a, 0), comp(a, 1), comp(b, 0), comp(b, 1)
    c2 = subtract(multiply(a0, b1), multiply(a1, b0))
    if da == 2 and db == 2:
        return c2
    if da == 3 and db == 3:
        a2, b2 = comp(a, 2), comp(b, 2)
        c0 = subtract(multiply(a1, b2), multiply(a2, b1))
        c1 = subtract(multiply(a2, b0), multiply(a0, b2))
    elif da == 2:
        b2 = comp(b, 2)
        c0, c1 = multiply(a1, b2), subtract(0, multiply(a0, b2))
    else:
        a2 = comp(a, 2)
        c0, c1 = subtract(0, multiply(a2, b1)), multiply(a2, b0)
    shape = c2.shape
    parts = [lax.broadcast_in_dim(to_array(c), shape, tuple(range(len(shape) - c.ndim, len(shape))))
             if c.shape != shape else c for c in (c0, c1, c2)]
    out = lax.concatenate([lax.expand_dims(c, (len(shape),)) for c in parts], len(shape))
    axisc = canonicalize_axis(axisc, out.ndim, "cross")
    perm = list(range(out.ndim - 1))
    perm.insert(axisc, out.ndim - 1)
    return lax.transpose(out, perm)
