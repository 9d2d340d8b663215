"""Shape manipulation: reshape, transpose, squeeze, broadcasting, flipping, rolling, where/select/clip
and the dtype/shape queries; joining, splitting, tiling and atleast_nd come from _joining, pad from
_pad.

All shapes, axes, shifts and split points are static Python values; only `roll` with a traced
shift and `repeat` with traced repeats (given total_repeat_length) work on traced amounts.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array, wrap
from ..core import Tracer
from . import _eager, ufuncs
from ._joining import (
    ShapeError,
    _arr,
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    concat,
    concatenate,
    dsplit,
    dstack,
    hsplit,
    hstack,
    repeat,
    split,
    stack,
    tile,
    unstack,
    vsplit,
    vstack,
)
from ._pad import pad
from ._util import broadcast_shapes as _broadcast_shapes
from ._util import canonicalize_axes, canonicalize_axis, check_arraylike, promote_dtypes, to_array
from ._util import result_type as _result_type
from .creation import canonical_shape

__all__ = [
    "reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "swapaxes", "moveaxis",
    "rollaxis", "squeeze", "expand_dims", "concatenate", "concat", "stack", "unstack", "hstack",
    "vstack", "dstack", "column_stack", "append", "split", "array_split", "hsplit", "vsplit",
    "dsplit", "tile", "repeat", "broadcast_to", "broadcast_arrays", "broadcast_shapes", "flip",
    "fliplr", "flipud", "roll", "rot90", "pad", "atleast_1d", "atleast_2d", "atleast_3d", "where",
    "select", "clip", "ndim", "shape", "size", "result_type", "promote_types", "isscalar",
    "iscomplexobj", "isrealobj",
]


# ---- reshaping --------------------------------------------------------------------------------


def _resolve_shape(shape, old_shape, size, fname):
    try:
        dims = (operator.index(shape),)
    except TypeError:
        try:
            dims = tuple(operator.index(d) for d in shape)
        except TypeError:
            raise TypeError(f"jaxlite.numpy.{fname}: shape must be an int or a sequence of ints, "
                            f"got {shape!r}") from None
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1:
        raise ShapeError(f"jaxlite.numpy.{fname}: can only specify one unknown axis size with -1, got {dims}")
    if any(d < -1 for d in dims):
        raise ShapeError(f"jaxlite.numpy.{fname}: invalid shape {dims}: sizes must be >= 0 (or one -1)")
    known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"jaxlite.numpy.{fname}: cannot reshape array of shape {old_shape} (size "
                             f"{size}) into shape {dims}: the known sizes (product {known}) do not "
                             f"divide {size}")
        dims = tuple(size // known if d == -1 else d for d in dims)
    elif known != size:
        raise ShapeError(f"jaxlite.numpy.{fname}: cannot reshape array of shape {old_shape} (size "
                         f"{size}) into shape {dims} (size {known})")
    return dims


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """a with a new shape (one axis may be -1); order 'F' reads and writes column-major."""
    fast = _eager.reshape(a, shape, order)
    if fast is not None:
        return fast
    a = _arr("reshape", a, "a")
    if shape is None:
        if newshape is None:
            raise TypeError("jaxlite.numpy.reshape: missing the shape argument")
        shape = newshape
    dims = _resolve_shape(shape, tuple(a.shape), a.size, "reshape")
    if order == "C":
        return lax.reshape(a, dims)
    if order == "F":
        # Column-major is row-major on the reversed axes.
        rev_in = lax.transpose(a, tuple(range(a.ndim))[::-1])
        out = lax.reshape(rev_in, dims[::-1])
        return lax.transpose(out, tuple(range(len(dims)))[::-1])
    if order == "A":
        raise NotImplementedError("jaxlite.numpy.reshape: order='A' is not supported; use 'C' or 'F'")
    raise ValueError(f"jaxlite.numpy.reshape: order must be 'C' or 'F', got {order!r}")


def ravel(a, order="C"):
    """`a` flattened to one axis (row-major)."""
    a = _arr("ravel", a, "a")
    return reshape(a, (a.size,), order=order)


def _perm(axes, nd, fname):
    try:
        perm = tuple(operator.index(ax) for ax in axes)
    except TypeError:
        raise TypeError(f"jaxlite.numpy.{fname}: axes must be a sequence of ints, got {axes!r}") from None
    if len(perm) != nd or sorted(p % nd if nd else p for p in perm) != list(range(nd)) or any(
            not -nd <= p < nd for p in perm):
        raise ShapeError(f"jaxlite.numpy.{fname}: axes {axes} is not a permutation of the "
                         f"{nd} axes of the array")
    return tuple(p % nd for p in perm)


def transpose(a, axes=None):
    """`a` with its axes permuted by `axes` (reversed when None)."""
    a = _arr("transpose", a, "a")
    perm = tuple(range(a.ndim))[::-1] if axes is None else _perm(axes, a.ndim, "transpose")
    return lax.transpose(a, perm)


def permute_dims(a, /, axes):
    """`a` with its axes permuted by `axes` (the array API's transpose)."""
    return transpose(a, axes)


def matrix_transpose(x, /):
    x = _arr("matrix_transpose", x, "x")
    if x.ndim < 2:
        raise ValueError(f"jaxlite.numpy.matrix_transpose: needs at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -1, -2)


def swapaxes(a, axis1, axis2):
    """`a` with `axis1` and `axis2` exchanged."""
    a = _arr("swapaxes", a, "a")
    i = canonicalize_axis(axis1, a.ndim, "swapaxes")
    j = canonicalize_axis(axis2, a.ndim, "swapaxes")
    perm = list(range(a.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, perm)


def moveaxis(a, source, destination):
    """`a` with the axes `source` moved to `destination`, the others keeping their order."""
    a = _arr("moveaxis", a, "a")
    src = (source,) if np.ndim(source) == 0 else tuple(source)
    dst = (destination,) if np.ndim(destination) == 0 else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"jaxlite.numpy.moveaxis: source {source} and destination {destination} "
                         "must have the same number of elements")
    src = [canonicalize_axis(s, a.ndim, "moveaxis") for s in src]
    dst = [canonicalize_axis(d, a.ndim, "moveaxis") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"jaxlite.numpy.moveaxis: repeated axis in source {source} or destination "
                         f"{destination}")
    rest = [i for i in range(a.ndim) if i not in src]
    perm = [None] * a.ndim
    for s, d in zip(src, dst, strict=True):
        perm[d] = s
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return lax.transpose(a, perm)


def rollaxis(a, axis, start=0):
    """`a` with `axis` moved to position `start`."""
    a = _arr("rollaxis", a, "a")
    axis = canonicalize_axis(axis, a.ndim, "rollaxis")
    start = operator.index(start)
    if not -a.ndim <= start <= a.ndim:
        raise ValueError(f"jaxlite.numpy.rollaxis: start={start} is out of range for rank {a.ndim}")
    start %= a.ndim + 1
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def squeeze(a, axis=None):
    """`a` without its size-1 axes (or only those in `axis`)."""
    a = _arr("squeeze", a, "a")
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = canonicalize_axes(axis, a.ndim, "squeeze")
        bad = [ax for ax in axes if a.shape[ax] != 1]
        if bad:
            raise ValueError(f"jaxlite.numpy.squeeze: cannot squeeze axis {bad[0]} of shape {a.shape}: "
                             "only axes of size 1 can be removed")
    return lax.squeeze(a, axes)


def expand_dims(a, axis):
    """`a` with size-1 axes inserted at `axis`."""
    a = _arr("expand_dims", a, "a")
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    nd = a.ndim + len(axes)
    axes = [canonicalize_axis(ax, nd, "expand_dims") for ax in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"jaxlite.numpy.expand_dims: repeated axis in {axis}")
    return lax.expand_dims(a, axes)


# ---- broadcasting -----------------------------------------------------------------------------


def broadcast_shapes(*shapes):
    """The shape that the given shapes broadcast to."""
    shapes = [canonical_shape(s, "broadcast_shapes", "shapes") for s in shapes]
    return _broadcast_shapes(*shapes, fname="broadcast_shapes")


def broadcast_to(array, shape):
    """`array` broadcast to `shape`."""
    a = _arr("broadcast_to", array, "array")
    shape = canonical_shape(shape, "broadcast_to")
    if a.ndim > len(shape):
        raise ValueError(f"jaxlite.numpy.broadcast_to: cannot broadcast an array of shape {a.shape} "
                         f"to shape {shape}, which has fewer dimensions")
    lead = len(shape) - a.ndim
    if any(d not in (1, shape[lead + i]) for i, d in enumerate(a.shape)):
        raise ValueError(f"jaxlite.numpy.broadcast_to: incompatible shapes for broadcasting: "
                         f"{a.shape} cannot be broadcast to {shape}")
    if tuple(a.shape) == shape:
        return a
    keep = [i for i, d in enumerate(a.shape) if d == shape[lead + i]]
    if len(keep) != a.ndim:
        a = lax.reshape(a, tuple(a.shape[i] for i in keep))
    return lax.broadcast_in_dim(a, shape, tuple(lead + i for i in keep))


def broadcast_arrays(*args):
    """The arrays broadcast against each other."""
    check_arraylike("broadcast_arrays", *args)
    arrs = [to_array(a) for a in args]
    shp = _broadcast_shapes(*(tuple(a.shape) for a in arrs), fname="broadcast_arrays")
    return [broadcast_to(a, shp) for a in arrs]


# ---- flipping and rolling ---------------------------------------------------------------------


def flip(m, axis=None):
    """`m` reversed along `axis` (all axes when None)."""
    m = _arr("flip", m, "m")
    return lax.rev(m, canonicalize_axes(axis, m.ndim, "flip"))


def fliplr(m):
    """`m` reversed along axis 1."""
    m = _arr("fliplr", m, "m")
    if m.ndim < 2:
        raise ValueError("jaxlite.numpy.fliplr: needs an array of at least 2 dimensions, got shape "
                         f"{m.shape}")
    return lax.rev(m, (1,))


def flipud(m):
    """`m` reversed along axis 0."""
    m = _arr("flipud", m, "m")
    if m.ndim < 1:
        raise ValueError("jaxlite.numpy.flipud: needs an array of at least 1 dimension")
    return lax.rev(m, (0,))


def _roll_one(a, shift, axis):
    n = a.shape[axis]
    if n == 0:
        return a
    if isinstance(shift, (Array, Tracer)) and not isinstance(shift, Array):
        # Traced shift: read a window of the doubled array, starting n - (shift mod n).
        idt = shift.dtype if dtypes.is_integer(shift.dtype) else None
        if idt is None:
            raise TypeError(f"jaxlite.numpy.roll: shift must be an integer, got {shift.aval.str_short()}")
        s = ufuncs.remainder(lax.convert_element_type(shift, dtypes.default_int(core.config.x64)), n)
        doubled = lax.concatenate([a, a], axis)
        return lax.dynamic_slice_in_dim(doubled, lax.sub(wrap(np.asarray(n, s.dtype)), s), n, axis)
    s = operator.index(shift) % n
    if s == 0:
        return a
    tail, head = lax.slice_in_dim(a, n - s, n, 1, axis), lax.slice_in_dim(a, 0, n - s, 1, axis)
    return lax.concatenate([tail, head], axis)


def roll(a, shift, axis=None):
    """Shift elements along axes, wrapping around; a traced shift works too."""
    a = _arr("roll", a, "a")
    if isinstance(shift, Array):
        shift = np.asarray(shift)
    if isinstance(shift, np.ndarray):
        shift = shift.tolist()
    if axis is None:
        flat = lax.reshape(a, (a.size,))
        if isinstance(shift, (list, tuple)):
            if len(shift) != 1:
                raise ValueError("jaxlite.numpy.roll: with axis=None, shift must be a scalar")
            shift = shift[0]
        return lax.reshape(_roll_one(flat, shift, 0), a.shape)
    if isinstance(shift, Tracer) and shift.ndim:
        raise NotImplementedError("jaxlite.numpy.roll: a traced shift must be a scalar")
    shifts = shift if isinstance(shift, (list, tuple)) else [shift]
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"jaxlite.numpy.roll: shift {shift} and axis {axis} do not broadcast")
    for s, ax in zip(shifts, axes, strict=True):
        a = _roll_one(a, s, canonicalize_axis(ax, a.ndim, "roll"))
    return a


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes` (from the first towards the second)."""
    m = _arr("rot90", m, "m")
    if len(axes) != 2:
        raise ValueError(f"jaxlite.numpy.rot90: axes must have length 2, got {axes}")
    if m.ndim < 2:
        raise ValueError(f"jaxlite.numpy.rot90: needs an array of at least 2 dimensions, got shape {m.shape}")
    ax0, ax1 = (canonicalize_axis(ax, m.ndim, "rot90") for ax in axes)
    if ax0 == ax1:
        raise ValueError(f"jaxlite.numpy.rot90: axes must be different, got {axes}")
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return lax.rev(m, (ax0, ax1))
    perm = list(range(m.ndim))
    perm[ax0], perm[ax1] = perm[ax1], perm[ax0]
    if k == 1:
        return lax.transpose(lax.rev(m, (ax1,)), perm)
    return lax.rev(lax.transpose(m, perm), (ax1,))


# ---- where, select, clip ----------------------------------------------------------------------


def _as_bool(c):
    c = to_array(c)
    return c if c.dtype == dtypes.bool_ else ufuncs.not_equal(c, 0)


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """x where condition else y (promoted and broadcast); where(condition) is nonzero."""
    if x is None and y is None:
        from .indexing import nonzero

        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise TypeError("jaxlite.numpy.where: pass both x and y, or neither (the one-argument "
                        "form is jnp.nonzero)")
    fast = _eager.where(condition, x, y)
    if fast is not None:
        return fast
    check_arraylike("where", condition, x, y)
    x, y = promote_dtypes(x, y)
    return _select(_as_bool(condition), x, y)


def _select(c, x, y):
    """lax.select after broadcasting all three (a rank-0 predicate may stay rank 0)."""
    shp = _broadcast_shapes(tuple(c.shape), tuple(x.shape), tuple(y.shape), fname="where")
    if c.ndim or shp == ():
        c = broadcast_to(c, shp)
    return lax.select(c, broadcast_to(x, shp), broadcast_to(y, shp))


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise; default where none does."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"jaxlite.numpy.select: condlist must have length equal to choicelist "
                         f"({len(condlist)} vs {len(choicelist)})")
    if not condlist:
        raise ValueError("jaxlite.numpy.select: condlist must be non-empty")
    check_arraylike("select", *condlist, *choicelist, default)
    vals = promote_dtypes(*choicelist, default)
    out = vals[-1]
    for c, v in zip(reversed(condlist), reversed(vals[:-1]), strict=True):
        out = _select(_as_bool(c), v, out)
    return out


_NO = object()


def clip(arr=None, /, min=None, max=None, *, a=_NO, a_min=_NO, a_max=_NO):  # noqa: A002
    """Limit values to [min, max] (max wins when min > max, as NumPy); the old a/a_min/a_max
    keywords are accepted too."""
    if a is not _NO:
        arr = a
    if a_min is not _NO:
        min = a_min  # noqa: A001
    if a_max is not _NO:
        max = a_max  # noqa: A001
    if arr is None:
        raise TypeError("jaxlite.numpy.clip: missing the array argument")
    check_arraylike("clip", arr)
    for v in (arr, min, max):
        if v is not None and dtypes.is_complex(core.get_aval(v).dtype):
            raise ValueError("jaxlite.numpy.clip: complex values have no ordering and cannot be "
                             "clipped; clip jnp.real / jnp.imag instead")
    out = to_array(arr)
    if min is not None:
        out = ufuncs.maximum(min, out)
    if max is not None:
        out = ufuncs.minimum(max, out)
    return out


# ---- queries ----------------------------------------------------------------------------------


def _aval_shape(a):
    if isinstance(a, (Array, Tracer)):
        return tuple(a.shape)
    return tuple(np.shape(a))


def ndim(a):
    """The number of axes of `a`."""
    return len(_aval_shape(a))


def shape(a):
    """The shape of `a`."""
    return _aval_shape(a)


def size(a, axis=None):
    """The number of elements of `a` (along `axis` if given)."""
    s = _aval_shape(a)
    if axis is None:
        return int(np.prod(s, dtype=np.int64))
    return s[canonicalize_axis(axis, len(s), "size")]


def result_type(*args):
    """The dtype JAX's promotion gives these arrays, scalars and dtypes."""
    return _result_type(*args)


def promote_types(a, b):
    """The promotion of two dtypes on JAX's lattice (not narrowed to 32 bits)."""
    da, db = np.dtype(a), np.dtype(b)
    return dtypes.promote([(da, False), (db, False)], True)[0]


def isscalar(element):
    """Whether `element` is a scalar (a Python number or a 0-d array-like)."""
    if isinstance(element, (bool, int, float, complex, np.generic)):
        return True
    if isinstance(element, (Array, Tracer, np.ndarray)):
        return element.ndim == 0
    return False


def iscomplexobj(x):
    """Whether `x` has a complex dtype."""
    if x is None:
        return False
    try:
        dt = core.get_aval(x).dtype if not isinstance(x, (list, tuple)) else np.asarray(x).dtype
    except TypeError:
        dt = np.asarray(x).dtype
    return dtypes.is_complex(dt) if dt in dtypes.ALL else np.issubdtype(dt, np.complexfloating)


def isrealobj(x):
    """Whether `x` does not have a complex dtype."""
    return not iscomplexobj(x)
