"""Argument checking, dtype promotion and broadcasting shared by the jaxlite.numpy functions."""

from __future__ import annotations

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array
from ..core import Tracer

_SCALARS = (bool, int, float, complex)


def check_arraylike(fname, *args, names=None):
    """Raise JAX's TypeError for arguments that are not arrays or scalars (lists, None, ...)."""
    for i, a in enumerate(args):
        if not isinstance(a, (Array, Tracer, np.ndarray, np.generic) + _SCALARS) and not hasattr(a, "__jax_array__"):
            which = f"argument {names[i]!r}" if names else f"argument {i}"
            hint = " (use jnp.asarray to convert a list or tuple)" if isinstance(a, (list, tuple)) else ""
            raise TypeError(
                f"jaxlite.numpy.{fname}: {which} has type {type(a).__name__}, but it requires "
                f"array or scalar arguments{hint}")


def aval_of(x):
    return core.get_aval(x)


def result_type_pairs(*args):
    pairs = []
    for a in args:
        if isinstance(a, (Array, Tracer)):
            pairs.append((a.dtype, a.weak_type))
        elif isinstance(a, _SCALARS):
            pairs.append(core.python_scalar_aval_dtype(a))
        elif isinstance(a, (np.dtype, type)) or isinstance(a, str):
            pairs.append((dtypes.canonicalize(a, core.config.x64), False))
        else:
            av = core.get_aval(a)
            pairs.append((av.dtype, av.weak_type))
    return pairs


def result_type(*args, return_weak_type_flag=False):
    dt, weak = dtypes.promote(result_type_pairs(*args), core.config.x64)
    return (dt, weak) if return_weak_type_flag else dt


def to_array(x):
    """A jaxlite value for x: Arrays and tracers pass through, the rest becomes an Array."""
    if isinstance(x, (Array, Tracer)):
        return x
    return Array(x)


def convert(x, dtype, weak):
    """x as (dtype, weak); a no-op when it already is."""
    if isinstance(x, (Array, Tracer)) and x.dtype == dtype and x.weak_type == weak:
        return x
    if isinstance(x, _SCALARS):
        if isinstance(x, int) and not isinstance(x, bool) and dtypes.is_integer(dtype):
            core.check_int_fits(x, dtype)
        from ..array import wrap

        with np.errstate(all="ignore"):
            return wrap(np.asarray(x, dtype), weak)
    return lax.convert_element_type(x, dtype, weak_type=weak)


def promote_dtypes(*args):
    """Convert all arguments to their common JAX dtype (keeping weak types where JAX does)."""
    if len(args) < 2:
        return [to_array(a) for a in args] if args else []
    dt, weak = result_type(*args, return_weak_type_flag=True)
    return [convert(a, dt, weak) for a in args]


def promote_dtypes_inexact(*args):
    """Like promote_dtypes, then ints and bools go to the default float (for sin, divide, ...)."""
    dt, weak = result_type(*args, return_weak_type_flag=True)
    if not dtypes.is_inexact(dt):
        # JAX: 64-bit ints (and weak Python ints) go to the default float, narrower ints and
        # bools to float32, so int32 stays float32 even with x64 on.
        wide = weak or dt.itemsize == 8
        dt = dtypes.default_float(core.config.x64) if wide else dtypes.float32
    return [convert(a, dt, weak) for a in args]


def promote_dtypes_numeric(*args):
    """Like promote_dtypes, but bool goes to the default int (for sum of bools and the like)."""
    dt, weak = result_type(*args, return_weak_type_flag=True)
    if dtypes.is_bool(dt):
        dt = dtypes.default_int(core.config.x64)
    return [convert(a, dt, weak) for a in args]


def broadcast_shapes(*shapes, fname="broadcast_shapes"):
    """NumPy's broadcasting rule, with an error naming the function and shapes."""
    nd = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
    out = []
    for i in range(nd):
        sizes = {p[i] for p in padded} - {1}
        if len(sizes) > 1:
            raise ValueError(
                f"jaxlite.numpy.{fname}: shapes {', '.join(str(tuple(s)) for s in shapes)} are "
                f"incompatible for broadcasting (axis {i - nd} has sizes {sorted(sizes)})")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to_shape(x, shape):
    """Broadcast x (an Array or tracer) to `shape` with one broadcast_in_dim (none if equal)."""
    xs = np.shape(x) if not isinstance(x, (Array, Tracer)) else x.shape
    if tuple(xs) == tuple(shape):
        return x
    nd = len(shape)
    if len(xs) > nd:
        raise ValueError(f"cannot broadcast shape {tuple(xs)} to {tuple(shape)}")
    lead = nd - len(xs)
    keep = [i for i, d in enumerate(xs) if d == shape[lead + i]]
    for i, d in enumerate(xs):
        if d != 1 and d != shape[lead + i]:
            raise ValueError(f"cannot broadcast shape {tuple(xs)} to {tuple(shape)}")
    if len(keep) != len(xs):  # drop size-1 axes that get stretched
        x = lax.reshape(x, tuple(xs[i] for i in keep))
    return lax.broadcast_in_dim(x, tuple(shape), tuple(lead + i for i in keep))


def broadcast_args(fname, *args):
    """Bring all (already promoted) arguments to one shape; rank-0 ones stay rank 0, since
    elementwise primitives broadcast scalars themselves."""
    shapes = [np.shape(a) if not isinstance(a, (Array, Tracer)) else a.shape for a in args]
    if len(set(shapes)) <= 1:
        return list(args)
    shape = broadcast_shapes(*shapes, fname=fname)
    return [a if s == () or tuple(s) == shape else broadcast_to_shape(a, shape)
            for a, s in zip(args, shapes)]


def canonicalize_axis(axis, ndim, fname):
    try:
        axis = int(axis)
    except TypeError:
        raise TypeError(f"jaxlite.numpy.{fname}: axis must be an int, got {type(axis).__name__}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"jaxlite.numpy.{fname}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def canonicalize_axes(axis, ndim, fname):
    """None -> all axes; int or sequence -> sorted tuple of non-negative axes (no repeats)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(canonicalize_axis(a, ndim, fname) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"jaxlite.numpy.{fname}: repeated axis in {axis}")
        return tuple(sorted(axes))
    return (canonicalize_axis(axis, ndim, fname),)


def check_dtype_arg(dtype, fname):
    if dtype is None:
        return None
    try:
        return dtypes.canonicalize(dtype, core.config.x64)
    except TypeError as e:
        raise TypeError(f"jaxlite.numpy.{fname}: {e}") from None
