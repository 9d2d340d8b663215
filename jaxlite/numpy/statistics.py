"""Statistics built on the reductions: nanmean/nanvar/nanstd, quantiles and medians (via the sort
primitive), average, cov, corrcoef and trapezoid. The public names are re-exported by `reductions.py`.

Quantiles follow JAX where it differs from NumPy: q outside [0, 1] is clamped rather than
rejected (q may be traced), method='nearest' rounds halves down, and results are in the input's
inexact dtype (float32 for ints) with q converted to it.
"""

from __future__ import annotations

import math

import numpy as np

from compiler import dtypes

from .. import lax
from ._util import canonicalize_axes, canonicalize_axis, check_arraylike, check_dtype_arg, convert, to_array
from .reductions import (
    _bcast_to,
    _var_dtypes,
    abs2,
    arraylike,
    diff,
    mean,
    no_out,
    promote_inexact,
    reduction,
    replace_nan,
    safe_normalizer,
    scalar,
    sum,
    upcast_f16,
    var,
    where_mask,
)
from .reductions import _slice_axis as slice_axis
from .sorting import take_last
from .ufuncs import isnan

__all__: list = []  # exported through reductions.py


def _valid(a, where, name):
    ok = lax.bitwise_not(isnan(a))
    return ok if where is None else lax.bitwise_and(ok, where_mask(where, a.shape, name))


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """numpy.nanmean: the mean of the non-NaN elements (NaN for an all-NaN slice)."""
    no_out(out, "nanmean")
    a = arraylike("nanmean", a)
    if not dtypes.is_inexact(a.dtype):
        return mean(a, axis, dtype, keepdims=keepdims, where=where)
    dt = check_dtype_arg(dtype, "nanmean") or a.dtype
    cdt = upcast_f16(dt)
    total = reduction("nanmean", "sum", replace_nan(a, 0), axis, cdt, keepdims, None, where)
    n = reduction("nanmean", "sum", _valid(a, where, "nanmean"), axis, cdt, keepdims)
    out = lax.div(total, n)
    return out if out.dtype == dt else lax.convert_element_type(out, dt)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    """numpy.nanvar: the variance of the non-NaN elements over count - ddof (NaN if <= 0)."""
    no_out(out, "nanvar")
    a = arraylike("nanvar", a)
    if not dtypes.is_inexact(a.dtype):
        return var(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean)
    cdt, dt = _var_dtypes(a, dtype, "nanvar")
    a = convert(a, cdt, False)
    axes = canonicalize_axes(axis, a.ndim, "nanvar")
    valid = _valid(a, where, "nanvar")
    if mean is None:
        mu = nanmean(a, axis, keepdims=True, where=where)
    else:
        mu = to_array(mean)
        mu = mu if mu.ndim == a.ndim else lax.expand_dims(mu, axes)
    centered = abs2(lax.sub(a, _bcast_to(convert(mu, a.dtype, False), a.shape)))
    rdt = centered.dtype
    centered = lax.select(valid, centered, lax.full(centered.shape, 0, rdt))
    total = reduction("nanvar", "sum", centered, axis, rdt, keepdims)
    n = reduction("nanvar", "sum", valid, axis, rdt, keepdims)
    out = lax.div(total, safe_normalizer(n, ddof, rdt))
    return out if out.dtype == dt else lax.convert_element_type(out, dt)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    """numpy.nanstd: sqrt(nanvar)."""
    no_out(out, "nanstd")
    return lax.sqrt(nanvar(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean))


# ---- Quantiles --------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, a, q, axis, method, keepdims, ignore_nan, percent=False):
    check_arraylike(name, a, q, names=["a", "q"])
    if method not in _METHODS:
        raise ValueError(f"jaxlite.numpy.{name}: method must be one of {', '.join(map(repr, _METHODS))}; "
                         f"got {method!r}")
    (a,) = promote_inexact(a)
    if dtypes.is_complex(a.dtype):
        raise TypeError(f"jaxlite.numpy.{name}: complex input ({a.dtype}) has no order for quantiles")
    dt = a.dtype
    a = convert(a, dt, False)
    q = convert(q, dt, False)  # q takes a's dtype (JAX): a float64 q does not widen a float32 a
    if percent:
        q = lax.div(q, scalar(100, dt))
    axes = canonicalize_axes(axis, a.ndim, name)
    keep = [d for d in range(a.ndim) if d not in axes]
    batch = tuple(a.shape[d] for d in keep)
    n = math.prod(a.shape[d] for d in axes)
    k = q.size
    if n == 0 or k == 0 or math.prod(batch) == 0:  # nothing to gather from (or into)
        res = lax.full(batch + (k,), np.nan, dt)
    else:
        x = lax.reshape(lax.transpose(a, keep + list(axes)), batch + (n,))
        res = _quantile_rows(x, lax.reshape(q, (k,)), method, ignore_nan)
    # q's axes come first, then the kept axes (or the input's axes with size-1 reduced ones).
    nb = len(batch)
    res = lax.transpose(res, (nb,) + tuple(range(nb)))
    tail = tuple(1 if d in axes else a.shape[d] for d in range(a.ndim)) if keepdims else batch
    return lax.reshape(res, tuple(q.shape) + tail)


def _quantile_rows(x, q, method, ignore_nan):
    """Quantiles of each row of x (shape B + (n,)) at q (shape (k,)): shape B + (k,)."""
    dt = x.dtype
    *batch, n = x.shape
    batch = tuple(batch)
    nb = len(batch)
    out_shape = batch + (q.shape[0],)
    s = lax.sort(x, nb)  # NaNs last
    nan = isnan(x)
    if ignore_nan:
        count = reduction("quantile", "sum", lax.bitwise_not(nan), -1, dt, True)
        count = _bcast_to(count, out_shape)
    else:
        count = lax.full(out_shape, n, dt)
    qb = lax.broadcast_in_dim(q, out_shape, (nb,))
    last = lax.sub(count, scalar(1, dt))
    # Clamp q into [0, 1] (JAX's behaviour for traced q); an all-NaN row has last == -1 and
    # lands on index 0, which holds a NaN.
    pos = lax.max(lax.min(lax.mul(qb, last), last), scalar(0, dt))
    lo_f, hi_f = lax.floor(pos), lax.ceil(pos)
    zero, top = scalar(0, dtypes.int32), scalar(n - 1, dtypes.int32)
    lo = lax.clamp(zero, lax.convert_element_type(lo_f, dtypes.int32), top)
    hi = lax.clamp(zero, lax.convert_element_type(hi_f, dtypes.int32), top)
    lo_v, hi_v = take_last(s, lo), take_last(s, hi)
    if method == "lower":
        res = lo_v
    elif method == "higher":
        res = hi_v
    elif method == "nearest":
        res = lax.select(lax.le(lax.sub(pos, lo_f), scalar(0.5, dt)), lo_v, hi_v)  # halves go down
    elif method == "midpoint":
        res = lax.mul(lax.add(lo_v, hi_v), scalar(0.5, dt))
    else:
        w = lax.sub(pos, lo_f)
        lerp = lax.add(lax.mul(lo_v, lax.sub(scalar(1, dt), w)), lax.mul(hi_v, w))
        res = lax.select(lax.eq(lo, hi), lo_v, lerp)  # exact at sample points, inf included
    if not ignore_nan:
        has_nan = _bcast_to(reduction("quantile", "any", nan, -1, dtypes.bool_, True), out_shape)
        res = lax.select(has_nan, lax.full(out_shape, np.nan, dt), res)
    return res


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, interpolation=None):
    """numpy.quantile with methods linear, lower, higher, midpoint and nearest."""
    no_out(out, "quantile")
    return _quantile("quantile", a, q, axis, interpolation or method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    """numpy.nanquantile: quantiles of the non-NaN elements (NaN for an all-NaN slice)."""
    no_out(out, "nanquantile")
    return _quantile("nanquantile", a, q, axis, interpolation or method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    """numpy.percentile: quantile at q / 100."""
    no_out(out, "percentile")
    return _quantile("percentile", a, q, axis, interpolation or method, keepdims, False, True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    """numpy.nanpercentile: nanquantile at q / 100."""
    no_out(out, "nanpercentile")
    return _quantile("nanpercentile", a, q, axis, interpolation or method, keepdims, True, True)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """numpy.median (NaN if the slice holds a NaN; NaN for an empty slice, as NumPy)."""
    no_out(out, "median")
    return _quantile("median", a, 0.5, axis, "midpoint", keepdims, False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """numpy.nanmedian: the median of the non-NaN elements."""
    no_out(out, "nanmedian")
    return _quantile("nanmedian", a, 0.5, axis, "midpoint", keepdims, True)


# ---- Weighted averages and covariance ---------------------------------------------------------


def _place_weights(a, w, axis):
    """Broadcast 1-D (or per-axis) weights w along `axis` of a, as numpy.average."""
    if axis is None:
        raise ValueError(f"jaxlite.numpy.average: axis must be specified when the shapes of a "
                         f"{tuple(a.shape)} and weights {tuple(w.shape)} differ")
    given = [canonicalize_axis(ax, a.ndim, "average")
             for ax in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    expected = tuple(a.shape[ax] for ax in given)
    if tuple(w.shape) != expected:
        raise ValueError(f"jaxlite.numpy.average: weights of shape {tuple(w.shape)} must have the "
                         f"shape {expected} of a {tuple(a.shape)} along axis {axis}")
    order = sorted(range(len(given)), key=lambda i: given[i])
    w = lax.transpose(w, order)
    return lax.broadcast_in_dim(w, tuple(a.shape), tuple(given[i] for i in order))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """numpy.average: sum(a * w) / sum(w); returned=True also gives sum(w), shaped like the result."""
    a = arraylike("average", a)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        axes = canonicalize_axes(axis, a.ndim, "average")
        wsum = lax.full(avg.shape, math.prod(a.shape[d] for d in axes), avg.dtype)
    else:
        check_arraylike("average", weights, names=["weights"])
        a, w = promote_inexact(a, weights)
        a, w = convert(a, a.dtype, False), convert(w, a.dtype, False)
        if tuple(w.shape) != tuple(a.shape):
            w = _place_weights(a, w, axis)
        wsum = sum(w, axis, keepdims=keepdims)
        avg = lax.div(sum(lax.mul(a, w), axis, keepdims=keepdims), wsum)
    return (avg, _bcast_to(wsum, avg.shape)) if returned else avg


def _rows(name, x, rowvar, dtype):
    x = arraylike(name, x)
    if x.ndim > 2:
        raise ValueError(f"jaxlite.numpy.{name}: input has more than 2 dimensions (shape {tuple(x.shape)})")
    (x,) = promote_inexact(x)
    x = convert(x, check_dtype_arg(dtype, name) or x.dtype, False)
    if x.ndim < 2:
        x = lax.reshape(x, (1, x.size))
    if not rowvar and x.shape[0] != 1:
        x = lax.transpose(x, (1, 0))
    return x


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None):
    """numpy.cov: rows are variables (columns with rowvar=False), with frequency and analytic
    weights; a single variable gives a 0-d result."""
    x = _rows("cov", m, rowvar, dtype)
    if y is not None:
        yy = _rows("cov", y, rowvar, dtype)
        x, yy = promote_inexact(x, yy)
        x = lax.concatenate([x, yy], 0)
    nobs = x.shape[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    for wname, wv in (("fweights", fweights), ("aweights", aweights)):
        if wv is None:
            continue
        check_arraylike("cov", wv, names=[wname])
        wv = to_array(wv)
        if wv.ndim != 1 or wv.shape[0] != nobs:
            raise ValueError(f"jaxlite.numpy.cov: {wname} must be 1-D with one weight per "
                             f"observation ({nobs}), got shape {tuple(wv.shape)}")
        if wname == "fweights" and not dtypes.is_integer(wv.dtype):
            raise TypeError(f"jaxlite.numpy.cov: fweights must be integers, got {wv.dtype}")
        wv = convert(wv, x.dtype, False)
        w = wv if w is None else lax.mul(w, wv)
    if w is None:
        avg = mean(x, 1)
        fact = scalar(nobs - ddof, x.dtype)
    else:
        w = convert(w, x.dtype, False)
        avg, w_sum = average(x, 1, w, returned=True)
        w_sum = lax.index_in_dim(w_sum, 0, 0, False)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = lax.sub(w_sum, scalar(ddof, x.dtype))
        else:
            aw = convert(to_array(aweights), x.dtype, False)
            fact = lax.sub(w_sum, lax.div(lax.mul(scalar(ddof, x.dtype), sum(lax.mul(w, aw))), w_sum))
    fact = lax.max(fact, scalar(0, fact.dtype)) if not dtypes.is_complex(fact.dtype) else fact
    xc = lax.sub(x, _bcast_to(lax.expand_dims(avg, (1,)), x.shape))
    xw = xc if w is None else lax.mul(xc, _bcast_to(lax.expand_dims(w, (0,)), x.shape))
    rhs = lax.conj(xc) if dtypes.is_complex(xc.dtype) else xc
    c = lax.dot_general(xw, rhs, (((1,), (1,)), ((), ())))
    c = lax.div(c, fact)
    return lax.reshape(c, ()) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar=True, dtype=None):
    """numpy.corrcoef: cov normalised by the standard deviations, real part clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return lax.div(c, c)
    n = c.shape[0]
    eye = lax.eq(lax.broadcasted_iota(dtypes.int32, (n, n), 0), lax.broadcasted_iota(dtypes.int32, (n, n), 1))
    d = lax.reduce_sum(lax.select(eye, c, lax.full(c.shape, 0, c.dtype)), (1,))
    std = lax.sqrt(lax.real(d) if dtypes.is_complex(d.dtype) else d)
    one = scalar(1, std.dtype)
    std = convert(std, c.dtype, False)
    c = lax.div(c, lax.broadcast_in_dim(std, (n, n), (0,)))
    c = lax.div(c, lax.broadcast_in_dim(std, (n, n), (1,)))
    if dtypes.is_complex(c.dtype):
        re = lax.clamp(lax.neg(one), lax.real(c), one)
        im = lax.clamp(lax.neg(one), lax.imag(c), one)
        return lax.complex(re, im)
    return lax.clamp(lax.neg(one), c, one)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """numpy.trapezoid: the trapezoidal rule along axis, with sample points x or spacing dx."""
    check_arraylike("trapezoid", y)
    if x is None:
        (y,) = promote_inexact(y)
        d = None
    else:
        check_arraylike("trapezoid", x)
        y, x = promote_inexact(y, x)
    if y.ndim == 0:
        raise ValueError("jaxlite.numpy.trapezoid: y must be at least one dimensional")
    axis = canonicalize_axis(axis, y.ndim, "trapezoid")
    n = y.shape[axis]
    if n < 2:
        return sum(slice_axis(y, 0, 0, axis), axis)
    mid = lax.add(slice_axis(y, 1, n, axis), slice_axis(y, 0, n - 1, axis))
    if x is None:
        check_arraylike("trapezoid", dx)
        d = convert(dx, y.dtype, False)
    else:
        if x.ndim == 1:
            if x.shape[0] != n:
                raise ValueError(f"jaxlite.numpy.trapezoid: x has length {x.shape[0]} but y has "
                                 f"{n} samples along axis {axis}")
            shape = [1] * y.ndim
            shape[axis] = n
            x = lax.reshape(x, tuple(shape))
        elif x.shape != y.shape:
            raise ValueError(f"jaxlite.numpy.trapezoid: x of shape {tuple(x.shape)} must be 1-D "
                             f"or have y's shape {tuple(y.shape)}")
        d = _bcast_to(diff(x, axis=axis), mid.shape)
    return lax.mul(sum(lax.mul(mid, d), axis), scalar(0.5, y.dtype))
