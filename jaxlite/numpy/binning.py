"""Counting and interpolation on sorted data: histogram, histogram_bin_edges, bincount, interp.
Public names are re-exported by `sorting.py`.

Output lengths must be static: histogram takes an int number of bins (or an array of edges),
bincount needs `length=` under tracing. Counts are floats, as in JAX (NumPy gives ints).
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ._util import check_arraylike, convert, result_type, to_array
from .reductions import arraylike, promote_inexact, scalar
from .sorting import index_dtype, ravel, scatter_1d, searchsorted, take_1d
from .ufuncs import isnan, remainder

__all__: list = []  # exported through sorting.py


def _end(x, i):
    return lax.index_in_dim(x, i, 0, keepdims=False)


def _edges_and_data(name, a, bins, range, weights):
    check_arraylike(name, a)
    a = to_array(a)
    if weights is not None:
        check_arraylike(name, weights, names=["weights"])
        w = to_array(weights)
        if tuple(w.shape) != tuple(a.shape):
            raise ValueError(f"jaxlite.numpy.{name}: weights of shape {tuple(w.shape)} must have "
                             f"the input's shape {tuple(a.shape)}")
        a, w = promote_inexact(ravel(a), ravel(w))
    else:
        (a,) = promote_inexact(ravel(a))
        w = None
    a = convert(a, a.dtype, False)
    if dtypes.is_complex(a.dtype):
        raise TypeError(f"jaxlite.numpy.{name}: complex input has no order for binning")
    if isinstance(bins, str):
        raise NotImplementedError(f"jaxlite.numpy.{name}: string values for bins ({bins!r}) are not "
                                  f"implemented; pass a number of bins or an array of edges")
    if np.ndim(bins) if not hasattr(bins, "ndim") else bins.ndim:
        check_arraylike(name, bins, names=["bins"])
        edges = convert(to_array(bins), a.dtype, False)
        if edges.ndim != 1 or edges.shape[0] < 2:
            raise ValueError(f"jaxlite.numpy.{name}: bins must be an int or a 1-D array of at least "
                             f"two edges, got shape {tuple(edges.shape)}")
        return a, w, edges
    try:
        nbins = operator.index(bins)
    except core.ConcretizationTypeError:
        raise core.ConcretizationTypeError(
            f"jaxlite.numpy.{name}: the number of bins must be a static Python int (it fixes the "
            f"output shape); got a traced value. Pass an int or an array of bin edges.") from None
    except TypeError:
        raise TypeError(f"jaxlite.numpy.{name}: bins must be an int or a 1-D array of edges, got "
                        f"{type(bins).__name__}") from None
    if nbins < 1:
        raise ValueError(f"jaxlite.numpy.{name}: bins must be positive, got {nbins}")
    if range is not None:
        if len(range) != 2:
            raise ValueError(f"jaxlite.numpy.{name}: range must be a pair (min, max), got {range!r}")
        lo, hi = (convert(r, a.dtype, False) for r in range)
    elif a.size == 0:
        lo, hi = scalar(0, a.dtype), scalar(1, a.dtype)  # NumPy's range for no data
    else:
        lo, hi = lax.reduce_min(a, (0,)), lax.reduce_max(a, (0,))
    same = lax.eq(lo, hi)  # a constant sample gets a unit-wide range around it, as NumPy
    half = scalar(0.5, a.dtype)
    lo = lax.select(same, lax.sub(lo, half), lo)
    hi = lax.select(same, lax.add(hi, half), hi)
    # NumPy's linspace: start + i * step, with the last edge exactly `stop`.
    step = lax.div(lax.sub(hi, lo), scalar(nbins, a.dtype))
    i = lax.iota(a.dtype, nbins)
    body = lax.add(lax.mul(i, step), lo)
    edges = lax.concatenate([body, lax.reshape(hi, (1,))], 0)
    return a, w, edges


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002 - NumPy's name
    """numpy.histogram_bin_edges for an int number of bins (or given edges)."""
    return _edges_and_data("histogram_bin_edges", a, bins, range, weights)[2]


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """numpy.histogram: bins are half open [e_i, e_i+1) except the last, which includes its right
    edge; values outside the edges (and NaNs) are not counted. Returns (counts, edges)."""
    a, w, edges = _edges_and_data("histogram", a, bins, range, weights)
    nb = edges.shape[0] - 1
    idx = searchsorted(edges, a, side="right")
    idx = lax.select(lax.eq(a, _end(edges, nb)), lax.full(idx.shape, nb, idx.dtype), idx)
    if w is None:
        w = lax.full(a.shape, 1, a.dtype)
    counts = scatter_1d(lax.full((nb + 2,), 0, w.dtype), idx, w, add=True)
    counts = lax.slice(counts, (1,), (nb + 1,))
    if density:
        widths = lax.sub(lax.slice(edges, (1,), (nb + 1,)), lax.slice(edges, (0,), (nb,)))
        total = lax.reduce_sum(counts, (0,))
        counts = lax.div(lax.div(counts, total), convert(widths, counts.dtype, False))
    return counts, edges


def bincount(x, weights=None, minlength=0, *, length=None):
    """numpy.bincount. Negative values count in bin 0 and values >= length are dropped (JAX's
    rules, since a traced input cannot raise); under tracing pass a static length=."""
    x = arraylike("bincount", x)
    if not (dtypes.is_integer(x.dtype) or dtypes.is_bool(x.dtype)):
        raise TypeError(f"jaxlite.numpy.bincount: x must have an integer type; got {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"jaxlite.numpy.bincount: only 1-dimensional input is supported, got shape "
                         f"{tuple(x.shape)}")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise ValueError(f"jaxlite.numpy.bincount: minlength must be non-negative, got {minlength}")
    if x.dtype == dtypes.bool_:
        x = lax.convert_element_type(x, dtypes.int32)
    if length is None:
        try:
            top = int(lax.reduce_max(x, (0,))) + 1 if x.size else 0
        except core.ConcretizationTypeError:
            raise core.ConcretizationTypeError(
                "jaxlite.numpy.bincount: the output length depends on max(x), which is not known "
                "while tracing (under jit, make_jaxpr, vmap, ...). Pass a static length= argument.") from None
        length = builtins_max(minlength, top)
    else:
        length = operator.index(length)
    if weights is None:
        w = lax.full(x.shape, 1, index_dtype())
    else:
        check_arraylike("bincount", weights, names=["weights"])
        w = to_array(weights)
        if tuple(w.shape) != tuple(x.shape):
            raise ValueError(f"jaxlite.numpy.bincount: weights of shape {tuple(w.shape)} must have "
                             f"x's shape {tuple(x.shape)}")
        if w.dtype == dtypes.bool_:
            w = lax.convert_element_type(w, index_dtype())
        w = convert(w, w.dtype, False)
    idx = lax.max(x, scalar(0, x.dtype))
    return scatter_1d(lax.full((length,), 0, w.dtype), idx, w, add=True)


def builtins_max(a, b):
    return a if a >= b else b


def interp(x, xp, fp, left=None, right=None, period=None):
    """numpy.interp: piecewise-linear interpolation of (xp, fp) at x; left/right may be
    'extrapolate' (JAX) to continue the end segments."""
    check_arraylike("interp", x, xp, fp, names=["x", "xp", "fp"])
    x, xp = promote_inexact(x, xp)
    (fp,) = promote_inexact(fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape[0] != fp.shape[0]:
        raise ValueError(f"jaxlite.numpy.interp: xp and fp must be one-dimensional arrays of equal "
                         f"size, got shapes {tuple(xp.shape)} and {tuple(fp.shape)}")
    if xp.shape[0] == 0:
        raise ValueError("jaxlite.numpy.interp: the array of sample points xp is empty")
    if dtypes.is_complex(x.dtype):
        raise TypeError("jaxlite.numpy.interp: x and xp must be real")
    out_dt = result_type(x, fp)
    x, xp = convert(x, x.dtype, False), convert(xp, x.dtype, False)
    fp = convert(fp, out_dt, False)
    if period is not None:
        check_arraylike("interp", period, names=["period"])
        per = convert(period, x.dtype, False)
        x, xp = remainder(x, per), remainder(xp, per)
        xp, fp = lax.sort((xp, fp), 0, num_keys=1)
        n = xp.shape[0]
        xp = lax.concatenate([lax.sub(lax.slice(xp, (n - 1,), (n,)), per), xp,
                              lax.add(lax.slice(xp, (0,), (1,)), per)], 0)
        fp = lax.concatenate([lax.slice(fp, (n - 1,), (n,)), fp, lax.slice(fp, (0,), (1,))], 0)
        left = right = "extrapolate"  # NumPy ignores left/right with a period
    n = xp.shape[0]
    if n == 1:
        f = lax.full(x.shape, _end(fp, 0), out_dt)
    else:
        i32 = dtypes.int32
        i = lax.clamp(scalar(1, i32), searchsorted(xp, x, side="right"), scalar(n - 1, i32))
        im1 = lax.sub(i, scalar(1, i32))
        x0, x1, f0, f1 = take_1d(xp, im1), take_1d(xp, i), take_1d(fp, im1), take_1d(fp, i)
        dx = lax.sub(x1, x0)
        flat = lax.eq(dx, scalar(0, dx.dtype))
        t = lax.div(lax.sub(x, x0), lax.select(flat, lax.full(dx.shape, 1, dx.dtype), dx))
        f = lax.add(f0, lax.mul(convert(t, out_dt, False), lax.sub(f1, f0)))
        f = lax.select(flat, f1, f)  # repeated xp: the later sample wins, as NumPy
        at_end = lax.eq(x, _end(xp, n - 1))
        f = lax.select(at_end, lax.full(f.shape, _end(fp, n - 1), out_dt), f)
    for side, value, beyond in (("left", left, lax.lt(x, _end(xp, 0))),
                                ("right", right, lax.gt(x, _end(xp, n - 1)))):
        if isinstance(value, str):
            if value != "extrapolate":
                raise ValueError(f"jaxlite.numpy.interp: {side} must be a value or 'extrapolate', "
                                 f"got {value!r}")
            continue
        fill = _end(fp, 0 if side == "left" else n - 1) if value is None else convert(value, out_dt, False)
        f = lax.select(beyond, lax.full(f.shape, fill, out_dt), f)
    if n == 1:
        return f  # a single sample point answers everything, NaN included (NumPy and JAX agree)
    return lax.select(isnan(x), lax.full(f.shape, np.nan, out_dt), f)  # NaN in, NaN out

