"""Joining, splitting, tiling and repeating arrays, and atleast_nd (re-exported by shape_ops).

Split points, section counts and repeats are static, except `repeat` with traced repeats and a
static total_repeat_length.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..array import Array, wrap
from ..core import Tracer
from ._util import canonicalize_axis, check_arraylike, check_dtype_arg, convert, promote_dtypes, to_array
from .creation import canonical_shape, concrete_scalar


class ShapeError(TypeError, ValueError):
    """Incompatible shapes. JAX raises TypeError here and NumPy ValueError; catch either."""


def _arr(fname, a, name=None):
    check_arraylike(fname, a, names=None if name is None else [name])
    return to_array(a)



# ---- joining ----------------------------------------------------------------------------------


def _sequence(fname, arrays):
    if isinstance(arrays, (Array, Tracer, np.ndarray)):
        if np.ndim(arrays) == 0:
            raise ValueError(f"jaxlite.numpy.{fname}: needs a sequence of arrays, got a 0-d array")
        arrays = to_array(arrays)
        return [lax.index_in_dim(arrays, i, 0, keepdims=False) for i in range(arrays.shape[0])]
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(f"jaxlite.numpy.{fname}: needs a list or tuple of arrays, got "
                        f"{type(arrays).__name__}")
    check_arraylike(fname, *arrays)
    return list(arrays)


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis (axis=None flattens them first)."""
    arrays = _sequence("concatenate", arrays)
    dtype = check_dtype_arg(dtype, "concatenate")
    if not arrays:
        raise ValueError("jaxlite.numpy.concatenate: needs at least one array to concatenate")
    arrays = promote_dtypes(*arrays) if len(arrays) > 1 else [to_array(arrays[0])]
    if dtype is not None:
        arrays = [convert(x, dtype, False) for x in arrays]
    if axis is None:
        arrays = [lax.reshape(x, (x.size,)) for x in arrays]
        axis = 0
    nd = arrays[0].ndim
    if nd == 0:
        raise ValueError("jaxlite.numpy.concatenate: zero-dimensional arrays cannot be concatenated")
    axis = canonicalize_axis(axis, nd, "concatenate")
    shapes = [tuple(x.shape) for x in arrays]
    if any(len(s) != nd for s in shapes):
        raise ShapeError(f"jaxlite.numpy.concatenate: arrays must have the same number of "
                         f"dimensions, got shapes {', '.join(map(str, shapes))}")
    for s in shapes:
        if s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ShapeError(f"jaxlite.numpy.concatenate: shapes {', '.join(map(str, shapes))} differ "
                             f"in a dimension other than the concatenation axis {axis}")
    return lax.concatenate(arrays, axis)


def concat(arrays, /, *, axis=0):
    """Join `arrays` along an existing `axis` (the array API's name for concatenate)."""
    return concatenate(arrays, axis=axis)


def stack(arrays, axis=0, out=None, dtype=None):
    """Join same-shaped arrays along a new axis."""
    if out is not None:
        raise NotImplementedError("jaxlite.numpy.stack: the out argument is not supported")
    arrays = _sequence("stack", arrays)
    if not arrays:
        raise ValueError("jaxlite.numpy.stack: needs at least one array to stack")
    arrays = [to_array(x) for x in arrays]
    shapes = {tuple(x.shape) for x in arrays}
    if len(shapes) != 1:
        raise ValueError(f"jaxlite.numpy.stack: all input arrays must have the same shape, got "
                         f"{', '.join(str(tuple(x.shape)) for x in arrays)}")
    nd = arrays[0].ndim + 1
    axis = canonicalize_axis(axis, nd, "stack")
    return concatenate([lax.expand_dims(x, (axis,)) for x in arrays], axis, dtype=dtype)


def unstack(x, /, *, axis=0):
    """Split `x` along `axis` into a tuple of arrays without that axis."""
    x = _arr("unstack", x, "x")
    if x.ndim == 0:
        raise ValueError("jaxlite.numpy.unstack: cannot unstack a 0-d array")
    axis = canonicalize_axis(axis, x.ndim, "unstack")
    return tuple(lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis]))


def hstack(tup, dtype=None):
    """Join arrays column-wise (along axis 1; axis 0 for 1-D arrays)."""
    arrs = atleast_1d(*_sequence("hstack", tup)) if len(tup) else []
    arrs = [arrs] if not isinstance(arrs, list) else arrs
    return concatenate(arrs, 0 if arrs and arrs[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    """Join arrays row-wise (along axis 0, after making them at least 2-D)."""
    arrs = atleast_2d(*_sequence("vstack", tup)) if len(tup) else []
    arrs = [arrs] if not isinstance(arrs, list) else arrs
    return concatenate(arrs, 0, dtype=dtype)


def dstack(tup, dtype=None):
    """Join arrays depth-wise (along axis 2, after making them at least 3-D)."""
    arrs = atleast_3d(*_sequence("dstack", tup)) if len(tup) else []
    arrs = [arrs] if not isinstance(arrs, list) else arrs
    return concatenate(arrs, 2, dtype=dtype)


def column_stack(tup):
    """Stack 1-D arrays as columns of a 2-D array (2-D arrays are joined along axis 1)."""
    arrs = [to_array(x) for x in _sequence("column_stack", tup)]
    arrs = [lax.reshape(x, (x.shape[0], 1)) if x.ndim == 1 else atleast_2d(x) for x in arrs]
    return concatenate(arrs, 1)


def append(arr, values, axis=None):
    """`arr` with `values` appended along `axis` (both raveled when `axis` is None)."""
    if axis is None:
        arr, values = _arr("append", arr, "arr"), _arr("append", values, "values")
        return concatenate([lax.reshape(arr, (arr.size,)), lax.reshape(values, (values.size,))], 0)
    return concatenate([arr, values], axis)


# ---- splitting --------------------------------------------------------------------------------


def _split_points(fname, n, indices_or_sections, even):
    ios = indices_or_sections
    if isinstance(ios, Tracer):
        ios = concrete_scalar(ios, fname, "indices_or_sections") if ios.ndim == 0 else np.asarray(ios)
    if np.ndim(ios) == 0:
        k = operator.index(np.asarray(ios).item() if not isinstance(ios, int) else ios)
        if k <= 0:
            raise ValueError(f"jaxlite.numpy.{fname}: number of sections must be larger than 0, got {k}")
        if even and n % k:
            raise ValueError(f"jaxlite.numpy.{fname}: array split does not result in an equal "
                             f"division: an axis of size {n} cannot be split into {k} sections")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return list(np.cumsum([0] + sizes))
    pts = [operator.index(i) for i in np.asarray(ios).tolist()]
    return [0] + pts + [n]


def _split(fname, ary, indices_or_sections, axis, even):
    ary = _arr(fname, ary, "ary")
    axis = canonicalize_axis(axis, ary.ndim, fname)
    n = ary.shape[axis]
    pts = _split_points(fname, n, indices_or_sections, even)
    out = []
    for lo, hi in zip(pts[:-1], pts[1:], strict=True):
        lo, hi, _ = slice(lo, hi).indices(n)
        out.append(lax.slice_in_dim(ary, lo, max(lo, hi), 1, axis))
    return out


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given static indices."""
    return _split("split", ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    """Like split, but a section count need not divide the axis (first pieces are longer)."""
    return _split("array_split", ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D arrays); see split."""
    a = _arr("hsplit", ary, "ary")
    if a.ndim == 0:
        raise ValueError("jaxlite.numpy.hsplit: needs an array of at least 1 dimension")
    return split(a, indices_or_sections, 0 if a.ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    """Split along axis 0; see split."""
    a = _arr("vsplit", ary, "ary")
    if a.ndim < 2:
        raise ValueError("jaxlite.numpy.vsplit: needs an array of at least 2 dimensions, got shape "
                         f"{a.shape}")
    return split(a, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    """Split along axis 2; see split."""
    a = _arr("dsplit", ary, "ary")
    if a.ndim < 3:
        raise ValueError("jaxlite.numpy.dsplit: needs an array of at least 3 dimensions, got shape "
                         f"{a.shape}")
    return split(a, indices_or_sections, 2)


# ---- tiling and repeating ---------------------------------------------------------------------


def tile(A, reps):  # noqa: N803 - NumPy's name
    """Repeat `A` `reps` times along each axis."""
    a = _arr("tile", A, "A")
    reps = canonical_shape(reps, "tile", "reps")
    nd = max(len(reps), a.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    shape = (1,) * (nd - a.ndim) + tuple(a.shape)
    # One broadcast to the interleaved (r0, s0, r1, s1, ...) shape, then merge each pair.
    inter = tuple(v for pair in zip(reps, shape, strict=True) for v in pair)
    a = lax.reshape(a, shape)
    b = lax.broadcast_in_dim(a, inter, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(b, tuple(r * s for r, s in zip(reps, shape, strict=True)))


def _static_repeats(repeats):
    """repeats as a NumPy int array when it is known now, else None."""
    if isinstance(repeats, Tracer):
        v = repeats.to_concrete_value()
        return None if v is None else np.asarray(v)
    if isinstance(repeats, (list, tuple)):
        return np.asarray(repeats)
    return np.asarray(repeats)


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element `repeats` times along axis (flattened when axis is None)."""
    a = _arr("repeat", a, "a")
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    axis = canonicalize_axis(axis, a.ndim, "repeat")
    n = a.shape[axis]
    reps = _static_repeats(repeats)
    if reps is not None:
        if not (dtypes.is_integer(reps.dtype) or dtypes.is_bool(reps.dtype)) or reps.ndim > 1:
            raise TypeError("jaxlite.numpy.repeat: repeats must be an int or a 1-d integer array, got "
                            f"{repeats!r}")
        if (reps < 0).any():
            raise ValueError(f"jaxlite.numpy.repeat: repeats may not contain negative values, got {reps}")
        if reps.ndim == 0 and (total_repeat_length is None or total_repeat_length == n * int(reps)):
            r = int(reps)
            # Broadcast a new axis after `axis` and merge the two: no gather needed.
            shp = tuple(a.shape)
            b = lax.broadcast_in_dim(a, shp[:axis + 1] + (r,) + shp[axis + 1:],
                                     tuple(range(axis + 1)) + tuple(range(axis + 2, a.ndim + 1)))
            return lax.reshape(b, shp[:axis] + (n * r,) + shp[axis + 1:])
        reps = np.broadcast_to(reps, (n,)) if reps.size == 1 else reps
        if reps.shape != (n,):
            raise ValueError(f"jaxlite.numpy.repeat: repeats of shape {reps.shape} do not match "
                             f"axis {axis} of size {n}")
        src = np.repeat(np.arange(n), reps)
        if total_repeat_length is not None:
            # JAX pads with the last element and truncates past total_repeat_length.
            total = operator.index(total_repeat_length)
            src = src[:total] if len(src) >= total else np.concatenate(
                [src, np.full(total - len(src), max(n - 1, 0))])
        from .indexing import take

        return take(a, wrap(src.astype(np.int32)), axis=axis, mode="clip")
    if total_repeat_length is None:
        raise core.ConcretizationTypeError(
            "jaxlite.numpy.repeat: under tracing, traced repeats need a static total_repeat_length "
            "(the output's size); pass total_repeat_length= or make repeats static")
    return _repeat_traced(a, repeats, axis, operator.index(total_repeat_length))


def _repeat_traced(a, repeats, axis, total):
    from .indexing import take

    n = a.shape[axis]
    idt = dtypes.default_int(core.config.x64)
    reps = lax.convert_element_type(repeats, idt)
    if reps.ndim == 0:
        reps = lax.broadcast_in_dim(reps, (n,), ())
    ends = lax.cumsum(reps, 0)  # element i fills output slots [ends[i-1], ends[i])
    # Output slot p comes from the number of elements whose block ends at or before p:
    # mark each block end with +1 (ends past the output are dropped) and prefix-sum.
    marks = lax.scatter_add(
        lax.full((total,), 0, idt), lax.reshape(ends, (n, 1)), lax.full((n,), 1, idt),
        lax.ScatterDimensionNumbers((), (0,), (0,)), mode="fill")
    src = lax.cumsum(marks, 0)
    return take(a, src, axis=axis, mode="clip")


# ---- atleast ----------------------------------------------------------------------------------


def _atleast(fname, arys, fix):
    check_arraylike(fname, *arys)
    out = [fix(to_array(a)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    """The arrays, each with at least one axis."""
    return _atleast("atleast_1d", arys, lambda a: lax.reshape(a, (1,)) if a.ndim == 0 else a)


def atleast_2d(*arys):
    """The arrays, each with at least two axes (new axes in front)."""
    return _atleast("atleast_2d", arys,
                    lambda a: lax.reshape(a, (1,) * (2 - a.ndim) + tuple(a.shape)) if a.ndim < 2 else a)


def _to_3d(a):
    if a.ndim == 0:
        return lax.reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return lax.reshape(a, (1, a.shape[0], 1))
    if a.ndim == 2:
        return lax.reshape(a, tuple(a.shape) + (1,))
    return a


def atleast_3d(*arys):
    """The arrays, each with at least three axes (as NumPy places them)."""
    return _atleast("atleast_3d", arys, _to_3d)
