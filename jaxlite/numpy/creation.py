"""Array creation (array, zeros, arange, linspace, eye, ...) and the diagonal helpers.

Everything is built from lax.iota, comparisons and select, so each function traces; only the
arguments JAX also needs concretely (shapes, `num`, arange's bounds) are read as Python values.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array, wrap
from ..core import Tracer
from . import ufuncs
from ._util import (
    _SCALARS,
    canonicalize_axis,
    check_arraylike,
    check_dtype_arg,
    convert,
    promote_dtypes_inexact,
    result_type,
    to_array,
)

__all__ = [
    "array", "asarray", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
    "empty_like", "arange", "linspace", "logspace", "geomspace", "eye", "identity", "meshgrid",
    "tri", "tril", "triu", "diag", "diagonal", "diagflat", "trace", "indices", "copy",
]


def _is_jax_value(x):
    return isinstance(x, (Array, Tracer)) or hasattr(x, "__jax_array__")


def _x64():
    return core.config.x64


def _default_float():
    return dtypes.default_float(_x64())


def _default_int():
    return dtypes.default_int(_x64())


def canonical_shape(shape, fname, argname="shape"):
    """A static shape as a tuple of non-negative Python ints (an int means a 1-d shape)."""
    try:
        dims = (operator.index(shape),)
    except TypeError:
        if isinstance(shape, (Array, Tracer)) or not hasattr(shape, "__iter__"):
            dims = None
        else:
            try:
                dims = tuple(operator.index(d) for d in shape)
            except TypeError:
                dims = None
        if dims is None:
            if isinstance(shape, Tracer) or (isinstance(shape, (tuple, list)) and
                                             any(isinstance(d, Tracer) for d in shape)):
                raise core.ConcretizationTypeError(
                    f"jaxlite.numpy.{fname}: {argname} must be static (concrete Python ints), but "
                    f"it depends on a traced value: {shape}. Shapes cannot depend on traced values; "
                    f"pass them as static arguments (static_argnums).") from None
            raise TypeError(
                f"jaxlite.numpy.{fname}: {argname} must be an int or a sequence of ints, "
                f"got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise TypeError(f"jaxlite.numpy.{fname}: {argname} {dims} has a negative dimension; "
                        "every dimension must be >= 0")
    return dims


def concrete_scalar(x, fname, argname):
    """x as a Python number, raising JAX's ConcretizationTypeError for traced values."""
    if isinstance(x, Tracer):
        v = x.to_concrete_value()
        if v is None:
            raise core.ConcretizationTypeError(
                f"jaxlite.numpy.{fname}: argument {argname!r} must be a concrete value, but it is "
                f"traced ({x.aval.str_short()}). The value sets the output's shape, so it must be "
                f"known while tracing: pass it as a static argument (static_argnums).")
        x = v
    if isinstance(x, (Array, np.ndarray, np.generic)):
        if np.ndim(x) != 0:
            raise TypeError(f"jaxlite.numpy.{fname}: {argname} must be a scalar, got shape {np.shape(x)}")
        return np.asarray(x).item()
    return x


# ---- array / asarray ------------------------------------------------------------------------


def _leaves(obj, out):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            _leaves(o, out)
    else:
        out.append(obj)
    return out


def _check_leaf(x, fname):
    if x is None:
        raise ValueError(f"jaxlite.numpy.{fname}: None is not a valid array element")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"jaxlite.numpy.{fname}: value {x!r} is a string; only numeric values "
                        "can become arrays")


def _stack_nested(obj, dtype, fname):
    """Stack a nested list holding jaxlite values with lax (so traced elements stay traced)."""
    if not isinstance(obj, (list, tuple)):
        x = to_array(obj.__jax_array__() if hasattr(obj, "__jax_array__") else obj)
        return convert(x, dtype, False)
    if not obj:
        return wrap(np.zeros((0,), dtype))
    parts = [_stack_nested(o, dtype, fname) for o in obj]
    if len({p.shape for p in parts}) != 1:
        raise ValueError(f"jaxlite.numpy.{fname}: setting an array element with a sequence: the "
                         f"nested sequence is ragged (element shapes {[p.shape for p in parts]})")
    return lax.concatenate([lax.expand_dims(p, (0,)) for p in parts], 0)


def _from_host(obj, dtype, fname):
    """A list, scalar or NumPy value (no jaxlite values inside) as an Array: (value, weak)."""
    if isinstance(obj, (list, tuple)):
        leaves = _leaves(obj, [])
        for leaf in leaves:
            _check_leaf(leaf, fname)
        if dtype is None:
            # JAX promotes the elements with its own lattice (Python ints are int32, ...).
            dtype = result_type(*leaves) if leaves else _default_float()
        with np.errstate(all="ignore"):
            try:
                val = np.array(obj, dtype=dtype)
            except OverflowError as e:
                raise OverflowError(f"jaxlite.numpy.{fname}: {e}; the value does not fit {dtype}") from None
        return wrap(val), False
    _check_leaf(obj, fname)
    if isinstance(obj, _SCALARS):
        return Array(obj), dtype is None
    try:
        val = np.asarray(obj)
    except Exception as e:  # noqa: BLE001 - report any conversion failure as JAX's TypeError
        raise TypeError(f"jaxlite.numpy.{fname}: cannot convert {type(obj).__name__} to an array: "
                        f"{e}") from None
    if val.dtype == object or val.dtype.kind in "USVO":
        raise TypeError(f"jaxlite.numpy.{fname}: value of type {type(obj).__name__} with dtype "
                        f"{val.dtype} is not a valid array type; only numeric arrays are supported")
    return Array(val), False


def array(object, dtype=None, copy=True, order="K", ndmin=0, *, device=None):  # noqa: A002
    """Create an array from nested lists/tuples, scalars, NumPy arrays or jaxlite values."""
    dtype = check_dtype_arg(dtype, "array")
    if order is not None and order not in ("K", "A", "C"):
        raise NotImplementedError(f"jaxlite.numpy.array: order={order!r} is not supported (only 'C')")
    if hasattr(object, "__jax_array__") and not isinstance(object, (Array, Tracer)):
        object = object.__jax_array__()  # noqa: A001
    if isinstance(object, (Array, Tracer)):
        out = object
        if copy and isinstance(out, Array):
            out = wrap(out._value, out._weak)  # buffers are never written: sharing is a copy
    elif isinstance(object, (list, tuple)) and any(_is_jax_value(v) for v in _leaves(object, [])):
        leaves = _leaves(object, [])
        for leaf in leaves:
            _check_leaf(leaf, "array")
        dt = dtype if dtype is not None else result_type(*leaves)
        out = _stack_nested(object, dt, "array")
    else:
        out, weak = _from_host(object, dtype, "array")
        if weak:
            out = wrap(out._value, True)
    if dtype is not None:
        out = convert(out, dtype, False)
    ndmin = operator.index(ndmin)
    if ndmin > out.ndim:
        out = lax.reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    """Convert to an array without copying what is already one."""
    return array(a, dtype=dtype, copy=bool(copy), order=order)


def copy(a, order=None):
    """A copy of a (jaxlite arrays are immutable, so this only matters for identity)."""
    check_arraylike("copy", a)
    return array(a, copy=True, order=order)


# ---- filled arrays --------------------------------------------------------------------------


def _filled(shape, value, dtype, fname, weak=False):
    shape = canonical_shape(shape, fname)
    dtype = check_dtype_arg(dtype, fname) or _default_float()
    return lax.broadcast_in_dim(wrap(np.asarray(value, dtype), weak), shape, ())


def zeros(shape, dtype=None, *, device=None):
    """An array of `shape` filled with zeros."""
    return _filled(shape, 0, dtype, "zeros")


def ones(shape, dtype=None, *, device=None):
    """An array of `shape` filled with ones."""
    return _filled(shape, 1, dtype, "ones")


def empty(shape, dtype=None, *, device=None):
    """Like zeros: an uninitialised buffer would make programs nondeterministic."""
    return _filled(shape, 0, dtype, "empty")


def full(shape, fill_value, dtype=None, *, device=None):
    """An array of `shape` filled with `fill_value`."""
    shape = canonical_shape(shape, "full")
    check_arraylike("full", fill_value)
    dtype = check_dtype_arg(dtype, "full")
    fill = to_array(fill_value)
    if dtype is not None:
        fill = convert(fill, dtype, False)
    from .shape_ops import broadcast_to

    return broadcast_to(fill, shape)


def _like(fname, a, fill_value, dtype, shape):
    check_arraylike(fname, a)
    if fill_value is not None:
        check_arraylike(fname, fill_value)
    dtype = check_dtype_arg(dtype, fname)
    aval = core.get_aval(a)
    out_dtype = dtype if dtype is not None else aval.dtype
    weak = dtype is None and aval.weak_type
    shape = aval.shape if shape is None else canonical_shape(shape, fname)
    fill = convert(to_array(fill_value), out_dtype, weak)
    from .shape_ops import broadcast_to

    return broadcast_to(fill, shape)


def zeros_like(a, dtype=None, shape=None, *, device=None):
    """Zeros with the shape and dtype of `a` (or those given)."""
    return _like("zeros_like", a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None, *, device=None):
    """Ones with the shape and dtype of `a` (or those given)."""
    return _like("ones_like", a, 1, dtype, shape)


def empty_like(prototype, dtype=None, shape=None, *, device=None):
    """An array like `prototype`; as in JAX, it is filled with zeros."""
    return _like("empty_like", prototype, 0, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    """`fill_value` with the shape and dtype of `a` (or those given)."""
    return _like("full_like", a, fill_value, dtype, shape)


# ---- ranges ---------------------------------------------------------------------------------


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    """Evenly spaced values, computed as iota * step + start in the output dtype (as JAX)."""
    names = ("start", "stop", "step")
    vals = [concrete_scalar(v, "arange", n) if v is not None else None
            for v, n in zip((start, stop, step), names, strict=True)]
    for v, n in zip(vals, names, strict=True):
        if v is not None and not isinstance(v, (int, float, bool, np.number, np.bool_)):
            raise TypeError(f"jaxlite.numpy.arange: {n} must be a real number, got {v!r}")
    dtype = check_dtype_arg(dtype, "arange")
    if dtype is None:
        origs = [o for o in (start, stop, step) if o is not None]
        dtype = result_type(*origs)
    if dtypes.is_bool(dtype):
        raise TypeError("jaxlite.numpy.arange: cannot produce a bool range (iota does not accept "
                        "dtype bool); pass an integer or float dtype")
    if dtypes.is_complex(dtype):
        raise TypeError("jaxlite.numpy.arange: complex ranges are not supported")
    lo, hi, st = vals
    if hi is None and st is None:
        lo, hi, st = 0, lo, 1
    lo = 0 if lo is None else lo
    st = 1 if st is None else st
    if st == 0:
        raise ZeroDivisionError("jaxlite.numpy.arange: step must not be zero")
    n = max(0, math.ceil((hi - lo) / st))
    out = lax.iota(dtype, n)
    if st != 1:
        out = lax.mul(out, wrap(np.asarray(st).astype(dtype)))
    if lo != 0:
        out = lax.add(out, wrap(np.asarray(lo).astype(dtype)))
    return out


def _num_arg(num, fname):
    num = concrete_scalar(num, fname, "num")
    try:
        num = operator.index(num)
    except TypeError:
        raise TypeError(f"jaxlite.numpy.{fname}: num must be an integer, got {num!r}") from None
    if num < 0:
        raise ValueError(f"jaxlite.numpy.{fname}: number of samples, {num}, must be non-negative")
    return num


def _along(v, nd, axis):
    """v (of rank nd - 1) with a size-1 axis inserted at `axis` of an nd-rank result."""
    return lax.expand_dims(v, (axis,))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    """num evenly spaced samples from start to stop; start/stop may be arrays (then `axis` is
    where the samples go). Integer dtypes are floored, as JAX does (NumPy truncates)."""
    num = _num_arg(num, "linspace")
    check_arraylike("linspace", start, stop)
    dtype = check_dtype_arg(dtype, "linspace")
    start, stop = promote_dtypes_inexact(start, stop)
    cdt = start.dtype
    out_dtype = dtype if dtype is not None else cdt
    from .shape_ops import broadcast_arrays

    start, stop = broadcast_arrays(convert(start, cdt, False), convert(stop, cdt, False))
    bshape = tuple(start.shape)
    nd = len(bshape) + 1
    axis = canonicalize_axis(axis, nd, "linspace")
    out_shape = bshape[:axis] + (num,) + bshape[axis:]
    div = (num - 1) if endpoint else num
    nan = wrap(np.asarray(np.nan, cdt))
    if num == 0:
        out = lax.broadcast_in_dim(wrap(np.zeros((), cdt)), out_shape, ())
        step = lax.broadcast_in_dim(nan, bshape, ())
    elif num == 1 or div == 0:
        out = _along(start, nd, axis)
        step = lax.broadcast_in_dim(nan, bshape, ()) if div == 0 else lax.sub(stop, start)
    else:
        delta = lax.sub(stop, start)
        step = lax.div(delta, wrap(np.asarray(div, cdt)))
        nbody = num - 1 if endpoint else num
        body_shape = bshape[:axis] + (nbody,) + bshape[axis:]
        t = lax.div(lax.broadcasted_iota(cdt, body_shape, axis), wrap(np.asarray(div, cdt)))
        keep = tuple(i for i in range(nd) if i != axis)
        s = lax.broadcast_in_dim(start, body_shape, keep)
        e = lax.broadcast_in_dim(stop, body_shape, keep)
        one = wrap(np.asarray(1, cdt))
        # start*(1-t) + stop*t hits both ends exactly (start + k*step drifts away from stop).
        out = lax.add(lax.mul(s, lax.sub(one, t)), lax.mul(e, t))
        if endpoint:
            out = lax.concatenate([out, _along(stop, nd, axis)], axis)
    if dtypes.is_integer(out_dtype) and not dtypes.is_integer(cdt):
        out = lax.floor(lax.real(out) if dtypes.is_complex(cdt) else out)
    out = convert(out, out_dtype, False)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop): samples evenly spaced on a log scale."""
    num = _num_arg(num, "logspace")
    check_arraylike("logspace", start, stop, base)
    dtype = check_dtype_arg(dtype, "logspace")
    start, stop = promote_dtypes_inexact(start, stop)
    cdt = start.dtype
    lin = linspace(start, stop, num, endpoint=endpoint, axis=axis)
    b = convert(to_array(base), cdt, False)
    if b.ndim:
        b = lax.expand_dims(b, (canonicalize_axis(axis, lin.ndim, "logspace"),))
    out = ufuncs.power(b, lin)
    return out if dtype is None else convert(out, dtype, False)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Samples evenly spaced on a log scale between start and stop (both nonzero, one sign)."""
    num = _num_arg(num, "geomspace")
    check_arraylike("geomspace", start, stop)
    dtype = check_dtype_arg(dtype, "geomspace")
    start, stop = promote_dtypes_inexact(start, stop)
    # sign is NaN when start is 0 (as in JAX; NumPy raises): the log scale has no zero.
    sign = ufuncs.divide(start, ufuncs.absolute(start))
    lo = ufuncs.log10(ufuncs.divide(start, sign))
    hi = ufuncs.log10(ufuncs.divide(stop, sign))
    out = logspace(lo, hi, num, endpoint=endpoint, base=10.0, axis=axis)
    if np.ndim(sign):
        sign = lax.expand_dims(sign, (canonicalize_axis(axis, out.ndim, "geomspace"),))
    out = ufuncs.multiply(sign, out)
    return out if dtype is None else convert(out, dtype, False)


# ---- matrices -------------------------------------------------------------------------------


def _offset_mask(n, m, k, cmp):
    """cmp(row + k, col) on an (n, m) grid, as a bool array; k may be traced."""
    rows = lax.broadcasted_iota(_default_int(), (n, m), 0)
    cols = lax.broadcasted_iota(_default_int(), (n, m), 1)
    if isinstance(k, (Array, Tracer)):
        if not dtypes.is_integer(k.dtype) or k.ndim:
            raise TypeError("jaxlite.numpy: diagonal offset k must be an integer scalar, got "
                            f"{k.aval.str_short()}")
        rows = lax.add(rows, lax.convert_element_type(k, _default_int()))
    else:
        k = operator.index(k)
        if k:
            rows = lax.add(rows, wrap(np.asarray(k, _default_int())))
    return cmp(rows, cols)


def _dims(n, m, fname):
    n = operator.index(concrete_scalar(n, fname, "N"))
    m = n if m is None else operator.index(concrete_scalar(m, fname, "M"))
    if n < 0 or m < 0:
        raise ValueError(f"jaxlite.numpy.{fname}: negative dimensions ({n}, {m}) are not allowed")
    return n, m


def eye(N, M=None, k=0, dtype=None, *, device=None):  # noqa: N803 - NumPy's names
    """An N x M array with ones on diagonal `k` and zeros elsewhere."""
    n, m = _dims(N, M, "eye")
    dtype = check_dtype_arg(dtype, "eye") or _default_float()
    return lax.convert_element_type(_offset_mask(n, m, k, lax.eq), dtype)


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    """An N x M array with ones at and below diagonal `k`."""
    n, m = _dims(N, M, "tri")
    dtype = check_dtype_arg(dtype, "tri") or _default_float()
    return lax.convert_element_type(_offset_mask(n, m, k, lax.ge), dtype)


def _triangle(fname, m, k, lower):
    check_arraylike(fname, m)
    m = to_array(m)
    if m.ndim < 2:
        raise ValueError(f"jaxlite.numpy.{fname}: argument must be at least 2-d, got shape {m.shape}")
    n, c = m.shape[-2:]
    mask = _offset_mask(n, c, k, lax.ge) if lower else lax.bitwise_not(
        _offset_mask(n, c, lax.sub(k, 1) if isinstance(k, (Array, Tracer)) else k - 1, lax.ge))
    mask = lax.broadcast_in_dim(mask, m.shape, (m.ndim - 2, m.ndim - 1))
    return lax.select(mask, m, lax.broadcast_in_dim(wrap(np.zeros((), m.dtype), m.weak_type), m.shape, ()))


def tril(m, k=0):
    """Lower triangle of (a stack of) matrices: entries above diagonal k become zero."""
    return _triangle("tril", m, k, True)


def triu(m, k=0):
    """Upper triangle of (a stack of) matrices: entries below diagonal k become zero."""
    return _triangle("triu", m, k, False)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The offset diagonal of the (axis1, axis2) planes, as a new last axis (NumPy's layout)."""
    check_arraylike("diagonal", a)
    a = to_array(a)
    offset = operator.index(concrete_scalar(offset, "diagonal", "offset"))
    if a.ndim < 2:
        raise ValueError("jaxlite.numpy.diagonal: needs an array of at least two dimensions, got shape "
                         f"{a.shape}")
    ax1 = canonicalize_axis(axis1, a.ndim, "diagonal")
    ax2 = canonicalize_axis(axis2, a.ndim, "diagonal")
    if ax1 == ax2:
        raise ValueError(f"jaxlite.numpy.diagonal: axis1 and axis2 cannot be the same (both {ax1})")
    perm = [i for i in range(a.ndim) if i not in (ax1, ax2)] + [ax1, ax2]
    x = lax.transpose(a, perm)
    lead = tuple(x.shape[:-2])
    n, m = x.shape[-2:]
    r0, c0 = (0, min(offset, m)) if offset >= 0 else (min(-offset, n), 0)
    length = max(0, min(n - r0, m - c0))
    x = lax.slice(x, (0,) * len(lead) + (r0, c0), lead + (r0 + length, m))
    w = m - c0
    if length == 0:
        return lax.reshape(x, lead + (0,))
    # Row-major, element (i, i) of the (length, w) block sits at flat position i * (w + 1).
    flat = lax.reshape(x, lead + (length * w,))
    return lax.slice(flat, (0,) * (len(lead) + 1), lead + ((length - 1) * (w + 1) + 1,),
                     (1,) * len(lead) + (w + 1,))


def diag(v, k=0):
    """Diagonal of a 2-d array, or a square matrix with the 1-d v on diagonal k."""
    check_arraylike("diag", v)
    v = to_array(v)
    k = operator.index(concrete_scalar(k, "diag", "k"))
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"jaxlite.numpy.diag: input must be 1-d or 2-d, got shape {v.shape}")
    n = v.shape[0] + abs(k)
    vals = lax.pad(v, wrap(np.zeros((), v.dtype), v.weak_type), [(0, abs(k), 0)])
    # out[r, r + k] = v[r] for k >= 0, out[c - k, c] = v[c] for k < 0.
    grid = lax.broadcast_in_dim(vals, (n, n), (0,) if k >= 0 else (1,))
    zero = lax.broadcast_in_dim(wrap(np.zeros((), v.dtype), v.weak_type), (n, n), ())
    return lax.select(_offset_mask(n, n, k, lax.eq), grid, zero)


def diagflat(v, k=0):
    """A 2-D array with the flattened `v` on diagonal `k`."""
    check_arraylike("diagflat", v)
    v = to_array(v)
    return diag(lax.reshape(v, (v.size,)), k)


def sum_dtype(dtype):
    """The accumulation dtype of a sum: NumPy/JAX widen bool and small ints to the default int."""
    if dtypes.is_bool(dtype):
        return _default_int()
    if dtypes.is_integer(dtype) and dtype.itemsize < _default_int().itemsize:
        return _default_int() if dtypes.is_signed(dtype) else dtypes.canonicalize(
            np.uint64 if _x64() else np.uint32, _x64())
    return dtype


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along the offset diagonal of the (axis1, axis2) planes."""
    if out is not None:
        raise NotImplementedError("jaxlite.numpy.trace: the out argument is not supported (arrays are "
                                  "immutable)")
    check_arraylike("trace", a)
    dtype = check_dtype_arg(dtype, "trace")
    d = diagonal(a, offset, axis1, axis2)
    d = convert(d, dtype if dtype is not None else sum_dtype(d.dtype), False)
    return lax.reduce_sum(d, (d.ndim - 1,))


# ---- grids ----------------------------------------------------------------------------------


def indices(dimensions, dtype=None, sparse=False):
    """The index grid of a shape: stacked (dense) or a tuple of broadcastable aranges (sparse)."""
    dims = canonical_shape(dimensions, "indices", "dimensions")
    dtype = check_dtype_arg(dtype, "indices") or _default_int()
    nd = len(dims)
    if sparse:
        return tuple(lax.reshape(lax.iota(dtype, d), tuple(d if j == i else 1 for j in range(nd)))
                     for i, d in enumerate(dims))
    if nd == 0:
        return wrap(np.zeros((0,), dtype))
    return lax.concatenate([lax.broadcasted_iota(dtype, (1,) + dims, i + 1) for i in range(nd)], 0)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate grids from 1-d arrays; 'xy' swaps the first two output axes (Cartesian)."""
    check_arraylike("meshgrid", *xi)
    if indexing not in ("xy", "ij"):
        raise ValueError(f"jaxlite.numpy.meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [to_array(x) for x in xi]
    bad = [x.shape for x in xs if x.ndim != 1]
    if bad:
        raise ValueError(f"jaxlite.numpy.meshgrid: arguments must be 1-d, got shapes {[x.shape for x in xs]}")
    nd = len(xs)
    where = list(range(nd))
    if indexing == "xy" and nd >= 2:
        where[0], where[1] = 1, 0
    shape = [0] * nd
    for x, ax in zip(xs, where, strict=True):
        shape[ax] = x.shape[0]
    out = []
    for x, ax in zip(xs, where, strict=True):
        if sparse:
            out.append(lax.reshape(x, tuple(shape[ax] if j == ax else 1 for j in range(nd))))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(shape), (ax,)))
    return out
