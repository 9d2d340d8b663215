"""jaxlite.numpy reductions: sum, prod, max, min, any, all, mean, var, std, argmax/argmin, the
simple nan-reductions, cumulative sums and products, and differences.

Everything is written on lax reductions (reduce_sum, reduce_max, argmax, cumsum, ...), so it works
eagerly and under tracing alike. Result dtypes are JAX's, which differ from NumPy's in places:
sum/prod of bool and narrow ints give the default int, mean/var of ints give float32 (float64 only
for 64-bit ints), reductions drop the weak type, cumsum keeps narrow int dtypes. The statistics
(quantiles, median, average, cov, nanvar, trapezoid, ...) live in `statistics.py`.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array
from ..core import Tracer
from . import _eager
from ._util import (
    canonicalize_axes,
    canonicalize_axis,
    check_arraylike,
    check_dtype_arg,
    convert,
    promote_dtypes,
    result_type,
    to_array,
)
from .ufuncs import isnan

__all__ = [
    "sum", "prod", "max", "min", "amax", "amin", "any", "all", "mean", "var", "std", "argmax",
    "argmin", "nansum", "nanprod", "nanmax", "nanmin", "nanargmax", "nanargmin", "ptp",
    "count_nonzero", "cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "nancumsum",
    "nancumprod", "diff", "ediff1d",
]

# Imported at the bottom: statistics.py needs the helpers defined here.
_STATISTICS = ["nanmean", "nanvar", "nanstd", "median", "nanmedian", "percentile", "quantile",
               "nanpercentile", "nanquantile", "average", "cov", "corrcoef", "trapezoid"]


class OutArgumentError(TypeError, NotImplementedError):
    """`out=` is refused. JAX raises NotImplementedError, NumPy users expect TypeError: both catch it."""


def no_out(out, name):
    if out is not None:
        raise OutArgumentError(
            f"jaxlite.numpy.{name}: the `out` argument is not supported because jaxlite arrays are "
            f"immutable; use the returned array instead (x = jnp.{name}(...))")


def arraylike(name, a):
    check_arraylike(name, a)
    return to_array(a)


def scalar(v, dtype):
    return lax.full((), v, dtype)


def inexact_dtype(dt):
    """JAX's to_inexact_dtype: floats stay; ints of <= 32 bits and bool go to float32, 64-bit
    ints to float64 (so under x64 jnp.mean(int32) is float32, as in JAX)."""
    dt = np.dtype(dt)
    if dtypes.is_inexact(dt):
        return dt
    return dtypes.float64 if dt.itemsize == 8 and core.config.x64 else dtypes.float32


def promote_inexact(*args):
    """All arguments to one inexact dtype (JAX's promote_dtypes_inexact), strong or weak."""
    args = [to_array(a) for a in args]
    dt, weak = result_type(*args, return_weak_type_flag=True)
    if not dtypes.is_inexact(dt):
        dt = dtypes.default_float(core.config.x64) if weak else inexact_dtype(dt)
    return [convert(a, dt, weak) for a in args]


def upcast_f16(dt):
    # Half precision sums lose everything past 2048; JAX accumulates them in float32.
    return dtypes.float32 if dt == dtypes.float16 else dt


def ne_zero(x):
    return x if x.dtype == dtypes.bool_ else lax.ne(x, scalar(0, x.dtype))


def where_mask(where, shape, name):
    """The `where=` argument as a bool array of exactly `shape` (it may broadcast to it)."""
    check_arraylike(name, where)
    m = ne_zero(to_array(where))
    if tuple(m.shape) != tuple(shape):
        nd = len(shape)
        ms = tuple(m.shape)
        ok = len(ms) <= nd and builtins.all(d in (1, s) for d, s in zip(ms[::-1], shape[::-1], strict=False))
        if not ok:
            raise ValueError(
                f"jaxlite.numpy.{name}: where= of shape {ms} does not broadcast to the array's "
                f"shape {tuple(shape)}")
        keep = [i for i, d in enumerate(ms) if d == shape[nd - len(ms) + i]]
        m = lax.reshape(m, tuple(ms[i] for i in keep))
        m = lax.broadcast_in_dim(m, tuple(shape), tuple(nd - len(ms) + i for i in keep))
    return m


def keep_dims(x, axes, keepdims):
    return lax.expand_dims(x, axes) if keepdims and axes else x


def _or_combine(x, y):
    return lax.bitwise_or(x, y) if x.dtype == dtypes.bool_ else lax.add(x, y)


def _and_combine(x, y):
    return lax.bitwise_and(x, y) if x.dtype == dtypes.bool_ else lax.mul(x, y)


# op -> (lax reducer, binary combine for `initial`, identity used under `where`)
_MONOIDS = {
    "sum": (lax.reduce_sum, _or_combine, 0),
    "prod": (lax.reduce_prod, _and_combine, 1),
    "max": (lax.reduce_max, lax.max, None),
    "min": (lax.reduce_min, lax.min, None),
    "any": (lax.reduce_or, lax.bitwise_or, False),
    "all": (lax.reduce_and, lax.bitwise_and, True),
}


def reduction(name, op, a, axis, dtype, keepdims=False, initial=None, where=None, compute_dtype=None):
    """The one reduction loop: convert, mask with `where`, reduce, fold in `initial`, keepdims."""
    reducer, combine, identity = _MONOIDS[op]
    axes = canonicalize_axes(axis, a.ndim, name)
    cdt = compute_dtype or dtype
    a = convert(a, cdt, False)
    if initial is not None:
        check_arraylike(name, initial)
        if np.ndim(initial) if not isinstance(initial, (Array, Tracer)) else initial.ndim:
            raise ValueError(f"jaxlite.numpy.{name}: initial= must be a scalar, got shape "
                             f"{np.shape(initial)}")
        initial = convert(initial, cdt, False)
    if where is not None:
        fill = identity if identity is not None else initial
        if fill is None:
            raise ValueError(
                f"jaxlite.numpy.{name}: reduction operation {name} does not have an identity, so "
                f"to use a where mask one has to specify 'initial'")
        a = lax.select(where_mask(where, a.shape, name), a, lax.full(a.shape, fill, cdt))
    elif identity is None and initial is None and builtins.any(a.shape[d] == 0 for d in axes):
        raise ValueError(
            f"jaxlite.numpy.{name}: zero-size array to reduction operation {name} which has no "
            f"identity (shape {tuple(a.shape)}, axis={axis}); pass initial= to give one")
    out = reducer(a, axes) if axes else a
    if initial is not None:
        out = combine(out, initial)
    if out.dtype != dtype:
        out = lax.convert_element_type(out, dtype)
    return keep_dims(out, axes, keepdims)


def _sum_dtype(dt, promote_integers):
    x64 = core.config.x64
    if dtypes.is_bool(dt):
        return dtypes.default_int(x64)
    if promote_integers and dtypes.is_integer(dt):
        if dtypes.is_unsigned(dt):
            target = dtypes.uint64 if x64 else dtypes.uint32
        else:
            target = dtypes.default_int(x64)
        return target if dt.itemsize < target.itemsize else dt
    return dt


def _sum_like(op):
    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
          promote_integers=True):
        fast = _eager.reduce(op, a, axis, dtype, keepdims, (out, initial, where))
        if fast is not None:
            return fast
        no_out(out, op)
        a = arraylike(op, a)
        dt = check_dtype_arg(dtype, op) or _sum_dtype(a.dtype, promote_integers)
        return reduction(op, op, a, axis, dt, keepdims, initial, where, upcast_f16(dt))

    f.__name__ = f.__qualname__ = op
    f.__doc__ = f"numpy.{op} with JAX's dtypes (bool and narrow ints give the default int)."
    return f


sum = _sum_like("sum")  # noqa: A001 - NumPy's name
prod = _sum_like("prod")


def _extremum(op):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        fast = _eager.reduce(op, a, axis, None, keepdims, (out, initial, where))
        if fast is not None:
            return fast
        no_out(out, op)
        a = arraylike(op, a)
        return reduction(op, op, a, axis, a.dtype, keepdims, initial, where)

    f.__name__ = f.__qualname__ = op
    f.__doc__ = f"numpy.{op}: NaN propagates; an empty reduction needs initial=."
    return f


max = _extremum("max")  # noqa: A001
min = _extremum("min")  # noqa: A001
amax, amin = max, min


def _logical(op):
    def f(a, axis=None, out=None, keepdims=False, *, where=None):
        no_out(out, op)
        a = ne_zero(arraylike(op, a))
        return reduction(op, op, a, axis, dtypes.bool_, keepdims, None, where)

    f.__name__ = f.__qualname__ = op
    f.__doc__ = f"numpy.{op}: truth of the elements (x != 0, so NaN counts as true)."
    return f


any = _logical("any")  # noqa: A001
all = _logical("all")  # noqa: A001


def _count(shape, axes):
    return math.prod(shape[d] for d in axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """numpy.mean; ints and bool average in float32 (float64 for 64-bit ints), as JAX."""
    fast = _eager.reduce("mean", a, axis, dtype, keepdims, (out, where))
    if fast is not None:
        return fast
    no_out(out, "mean")
    a = arraylike("mean", a)
    dt = check_dtype_arg(dtype, "mean") or inexact_dtype(a.dtype)
    cdt = upcast_f16(dt)
    axes = canonicalize_axes(axis, a.ndim, "mean")
    total = reduction("mean", "sum", a, axis, cdt, keepdims, None, where)
    if where is None:
        n = scalar(_count(a.shape, axes), cdt)
    else:
        n = reduction("mean", "sum", where_mask(where, a.shape, "mean"), axis, cdt, keepdims)
    out = lax.div(total, n)
    return out if out.dtype == dt else lax.convert_element_type(out, dt)


def _var_dtypes(a, dtype, name):
    """(computation dtype, result dtype): the variance of complex values is real, as NumPy."""
    dt = check_dtype_arg(dtype, name)
    if dt is None:
        cdt = inexact_dtype(a.dtype)
        dt = real_dtype(cdt)
    else:
        cdt = dt if dtypes.is_inexact(dt) else inexact_dtype(a.dtype)
        if dtypes.is_complex(a.dtype) and not dtypes.is_complex(cdt):
            cdt = a.dtype
    return upcast_f16(cdt), dt


_REAL = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}


def real_dtype(dt):
    return _REAL.get(np.dtype(dt), np.dtype(dt))


def _correction(ddof, correction, name):
    if correction is None:
        return ddof
    if not isinstance(ddof, (int, np.integer)) or ddof != 0:
        raise ValueError(f"jaxlite.numpy.{name}: ddof and correction can't be provided simultaneously")
    return correction


def abs2(x):
    """|x|^2, real for complex x."""
    if dtypes.is_complex(x.dtype):
        return lax.add(lax.square(lax.real(x)), lax.square(lax.imag(x)))
    return lax.mul(x, x)


def safe_normalizer(n, ddof, dtype):
    """n - ddof, or NaN where that is <= 0 (JAX returns NaN there, never inf)."""
    d = lax.sub(n, convert(ddof, dtype, False))
    return lax.select(lax.gt(d, scalar(0, dtype)), d, lax.full(d.shape, np.nan, dtype))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """numpy.var: the mean of |x - mean|^2 over n - ddof (NaN when n <= ddof, as JAX)."""
    no_out(out, "var")
    a = arraylike("var", a)
    ddof = _correction(ddof, correction, "var")
    cdt, dt = _var_dtypes(a, dtype, "var")
    a = convert(a, cdt, False)
    axes = canonicalize_axes(axis, a.ndim, "var")
    mean_fn = globals()["mean"]  # the parameter `mean` shadows the function, as in NumPy's signature
    if mean is None:
        mu = mean_fn(a, axis, keepdims=True, where=where)
    else:
        mu = to_array(mean)
        if mu.ndim != a.ndim:
            mu = lax.expand_dims(mu, axes)
    centered = abs2(lax.sub(a, _bcast_to(convert(mu, a.dtype, False), a.shape)))
    rdt = centered.dtype
    total = reduction("var", "sum", centered, axis, rdt, keepdims, None, where)
    if where is None:
        n = scalar(_count(a.shape, axes), rdt)
    else:
        n = reduction("var", "sum", where_mask(where, a.shape, "var"), axis, rdt, keepdims)
    out = lax.div(total, safe_normalizer(n, ddof, rdt))
    return out if out.dtype == dt else lax.convert_element_type(out, dt)


def _bcast_to(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    keep = [i for i, d in enumerate(x.shape) if d == shape[i]]
    x = lax.reshape(x, tuple(x.shape[i] for i in keep))
    return lax.broadcast_in_dim(x, tuple(shape), tuple(keep))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """numpy.std: sqrt(var)."""
    no_out(out, "std")
    return lax.sqrt(var(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean,
                        correction=correction))


def _arg(name, lax_fn):
    def f(a, axis=None, out=None, keepdims=None):
        no_out(out, name)
        a = arraylike(name, a)
        if axis is None:
            flat, ax = lax.reshape(a, (a.size,)), 0
        else:
            flat, ax = a, canonicalize_axis(axis, a.ndim, name)
        if flat.shape[ax] == 0:
            raise ValueError(f"jaxlite.numpy.{name}: attempt to get {name} of an empty sequence "
                             f"(shape {tuple(a.shape)}, axis={axis})")
        res = lax_fn(flat, ax, dtypes.default_int(core.config.x64))
        if keepdims:
            res = lax.reshape(res, (1,) * a.ndim) if axis is None else lax.expand_dims(res, (ax,))
        return res

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"numpy.{name}: the first index of the extremum (the first NaN if there is one)."
    return f


argmax = _arg("argmax", lax.argmax)
argmin = _arg("argmin", lax.argmin)

# ---- NaN-ignoring reductions ------------------------------------------------------------------


def replace_nan(a, value):
    if not dtypes.is_inexact(a.dtype):
        return a
    return lax.select(isnan(a), lax.full(a.shape, value, a.dtype), a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """numpy.nansum: sum with NaNs counted as zero."""
    no_out(out, "nansum")
    return sum(replace_nan(arraylike("nansum", a), 0), axis, dtype, None, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """numpy.nanprod: product with NaNs counted as one."""
    no_out(out, "nanprod")
    return prod(replace_nan(arraylike("nanprod", a), 1), axis, dtype, None, keepdims, initial, where)


def _nan_extremum(name, op, fill):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        no_out(out, name)
        a = arraylike(name, a)
        if not dtypes.is_inexact(a.dtype):
            return op(a, axis, None, keepdims, initial, where)
        nan = isnan(a)
        res = op(replace_nan(a, fill), axis, None, keepdims, initial, where)
        if initial is not None:
            return res
        # An all-NaN slice has no answer: NaN, as NumPy (which also warns).
        all_nan = all(nan, axis, None, keepdims, where=where)
        return lax.select(all_nan, lax.full(res.shape, np.nan, res.dtype), res)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"numpy.{name}: ignores NaNs; an all-NaN slice gives NaN."
    return f


nanmax = _nan_extremum("nanmax", max, -np.inf)
nanmin = _nan_extremum("nanmin", min, np.inf)


def _nan_arg(name, extremum, arg):
    def f(a, axis=None, out=None, keepdims=None):
        no_out(out, name)
        a = arraylike(name, a)
        if not dtypes.is_inexact(a.dtype):
            return arg(a, axis, None, keepdims)
        ndim = a.ndim
        if axis is None:
            a, axis_ = lax.reshape(a, (a.size,)), 0
        else:
            axis_ = canonicalize_axis(axis, a.ndim, name)
        if a.shape[axis_] == 0:
            raise ValueError(f"jaxlite.numpy.{name}: attempt to get {name} of an empty sequence")
        nan = isnan(a)
        # The first index holding the NaN-ignoring extremum: exact even when -inf and NaN mix.
        best = extremum(a, axis_, keepdims=True)
        hit = lax.bitwise_and(lax.eq(a, _bcast_to(best, a.shape)), lax.bitwise_not(nan))
        res = argmax(hit, axis_)
        all_nan = all(nan, axis_)
        res = lax.select(all_nan, lax.full(res.shape, -1, res.dtype), res)  # JAX's -1; NumPy raises
        if keepdims:
            res = lax.reshape(res, (1,) * ndim) if axis is None else lax.expand_dims(res, (axis_,))
        return res

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"numpy.{name}: ignores NaNs; an all-NaN slice gives -1 (as JAX)."
    return f


nanargmax = _nan_arg("nanargmax", nanmax, argmax)
nanargmin = _nan_arg("nanargmin", nanmin, argmin)


def ptp(a, axis=None, out=None, keepdims=False):
    """numpy.ptp: max - min (in the input's dtype, so narrow ints may wrap, as NumPy)."""
    no_out(out, "ptp")
    a = arraylike("ptp", a)
    if a.dtype == dtypes.bool_:
        raise TypeError("jaxlite.numpy.ptp: boolean input is not supported (max - min is a "
                        "subtraction); convert with a.astype(int) first")
    return lax.sub(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def count_nonzero(a, axis=None, keepdims=False):
    """numpy.count_nonzero, as the default int."""
    a = ne_zero(arraylike("count_nonzero", a))
    return sum(a, axis, dtypes.default_int(core.config.x64), keepdims=keepdims)


# ---- Cumulative -------------------------------------------------------------------------------


def _cum_prepare(name, a, axis, dtype):
    a = arraylike(name, a)
    if axis is None:
        a, axis = lax.reshape(a, (a.size,)), 0
    axis = canonicalize_axis(axis, a.ndim, name)
    dt = check_dtype_arg(dtype, name)
    if dt is None:
        # Narrow ints keep their dtype (unlike sum); bool counts in the default int.
        dt = dtypes.default_int(core.config.x64) if a.dtype == dtypes.bool_ else a.dtype
    return convert(a, dt, False), axis


def _cumulative(name, lax_fn, nan_fill=None):
    def f(a, axis=None, dtype=None, out=None):
        no_out(out, name)
        a, axis = _cum_prepare(name, a, axis, dtype)
        if nan_fill is not None:
            a = replace_nan(a, nan_fill)
        if a.dtype == dtypes.bool_:  # cumsum with dtype=bool is a running or, cumprod a running and
            a = lax.convert_element_type(a, dtypes.int32)
            return ne_zero(lax_fn(a, axis))
        return lax_fn(a, axis)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"numpy.{name} along axis (the flattened array when axis is None)."
    return f


cumsum = _cumulative("cumsum", lax.cumsum)
cumprod = _cumulative("cumprod", lax.cumprod)
nancumsum = _cumulative("nancumsum", lax.cumsum, 0)
nancumprod = _cumulative("nancumprod", lax.cumprod, 1)


def _array_api_cumulative(name, fn, init):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = arraylike(name, x)
        if x.ndim == 0:
            raise ValueError(f"jaxlite.numpy.{name}: the input must be non-scalar to take a "
                             f"cumulative {name.split('_')[1]}; got a rank-0 array")
        if axis is None:
            if x.ndim > 1:
                raise ValueError(
                    f"jaxlite.numpy.{name}: the input array has rank {x.ndim}, however axis was "
                    f"not set to an explicit value. The axis argument is only optional for "
                    f"one-dimensional arrays.")
            axis = 0
        axis = canonicalize_axis(axis, x.ndim, name)
        out = fn(x, axis, dtype)
        if include_initial:
            cfg = [(0, 0, 0)] * x.ndim
            cfg[axis] = (1, 0, 0)
            out = lax.pad(out, scalar(init, out.dtype), cfg)
        return out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Array API {name}: axis is required for rank > 1; include_initial prepends {init}."
    return f


cumulative_sum = _array_api_cumulative("cumulative_sum", cumsum, 0)
cumulative_prod = _array_api_cumulative("cumulative_prod", cumprod, 1)

# ---- Differences ------------------------------------------------------------------------------


def _slice_axis(x, start, stop, axis):
    return lax.slice_in_dim(x, start, stop, 1, axis)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """numpy.diff: the n-th discrete difference along axis (!= for bools)."""
    a = arraylike("diff", a)
    if a.ndim == 0:
        raise ValueError("jaxlite.numpy.diff: requires input that is at least one dimensional; "
                         "got a rank-0 array")
    n = int(n)
    if n < 0:
        raise ValueError(f"jaxlite.numpy.diff: order n must be non-negative but got {n}")
    axis = canonicalize_axis(axis, a.ndim, "diff")
    if n == 0:
        return a
    parts = []
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            parts.append(None)
            continue
        check_arraylike("diff", extra, names=[name])
        extra = to_array(extra)
        if extra.ndim == 0:
            shape = list(a.shape)
            shape[axis] = 1
            extra = lax.broadcast_in_dim(extra, tuple(shape), ())
        parts.append(extra)
    if prepend is not None or append is not None:
        seq = [p for p in (parts[0], a, parts[1]) if p is not None]
        a = lax.concatenate(promote_dtypes(*seq), axis)
    for _ in range(n):
        m = a.shape[axis]
        if m == 0:
            break
        hi, lo = _slice_axis(a, 1, m, axis), _slice_axis(a, 0, m - 1, axis)
        a = lax.ne(hi, lo) if a.dtype == dtypes.bool_ else lax.sub(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """numpy.ediff1d: differences of the flattened array; to_begin/to_end take ary's dtype (JAX)."""
    a = arraylike("ediff1d", ary)
    if a.dtype == dtypes.bool_:
        raise TypeError("jaxlite.numpy.ediff1d: boolean input is not supported (differences are "
                        "subtractions); convert with a.astype(int) first")
    flat = lax.reshape(a, (a.size,))
    out = diff(flat) if a.size else flat
    pieces = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            pieces.append(None)
            continue
        check_arraylike("ediff1d", extra, names=[name])
        extra = to_array(extra)
        pieces.append(convert(lax.reshape(extra, (extra.size,)), out.dtype, out.weak_type))
    seq = [p for p in (pieces[0], out, pieces[1]) if p is not None]
    return lax.concatenate(seq, 0) if len(seq) > 1 else out


# statistics.py builds on the helpers above; its functions are part of this module's surface.
from . import statistics as _statistics  # noqa: E402

for _name in _STATISTICS:
    globals()[_name] = getattr(_statistics, _name)
__all__ += _STATISTICS
del _name
