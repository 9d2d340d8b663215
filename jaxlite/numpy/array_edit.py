"""NumPy's functions that edit, select from or rebuild arrays (delete, insert, choose, put, ...).

Index arguments that decide an output's shape (delete's and insert's `obj`, compress's condition
without `size=`, trim_zeros' data) must be concrete, as in JAX; values may be traced. Functions
that NumPy runs in place (put, place, fill_diagonal, put_along_axis) need `inplace=False`, as in
JAX, and return the new array.
"""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp

from .. import lax
from ..core import ConcretizationTypeError, Tracer
from ._util import canonicalize_axis, check_arraylike, to_array

__all__ = [
    "apply_along_axis",
    "apply_over_axes",
    "astype",
    "choose",
    "compress",
    "delete",
    "extract",
    "fill_diagonal",
    "fromfunction",
    "insert",
    "mask_indices",
    "piecewise",
    "place",
    "put",
    "put_along_axis",
    "resize",
    "trim_zeros",
    "vander",
]


def _concrete(x, fname, what):
    """The NumPy value of x, or JAX's error when it is traced (it decides a shape)."""
    if isinstance(x, Tracer):
        value = x.to_concrete_value()
        if value is None:
            raise ConcretizationTypeError(
                f"jaxlite.numpy.{fname}: {what} decides the output's shape, so it must be concrete "
                f"(not traced under jit/vmap/grad); got {x.aval}. Pass it as a static argument")
        return np.asarray(value)
    return np.asarray(x)


def _no_inplace(fname, inplace):
    if inplace:
        raise ValueError(
            f"jaxlite.numpy.{fname} cannot modify arrays in place (they are immutable); pass "
            "inplace=False to get the modified array back")


def astype(x, dtype, /, *, copy=False, device=None):
    """x converted to dtype (jnp.astype, the array API's function form of x.astype)."""
    check_arraylike("astype", x)
    return to_array(x).astype(dtype)


# ---- removing and inserting -------------------------------------------------------------------


def _axis_and_array(arr, axis, fname):
    arr = jnp.asarray(arr)
    if axis is None:
        return jnp.ravel(arr), 0
    return arr, canonicalize_axis(axis, arr.ndim, fname)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """arr without the entries `obj` (an int, slice, int array or boolean mask) along `axis`."""
    arr, axis = _axis_and_array(arr, axis, "delete")
    n = arr.shape[axis]
    if isinstance(obj, slice):
        drop = np.arange(n)[obj]
    else:
        drop = _concrete(obj, "delete", "obj")
        if drop.dtype == np.bool_:
            if drop.shape != (n,):
                raise ValueError(f"jaxlite.numpy.delete: a boolean obj must have shape ({n},), "
                                 f"got {drop.shape}")
            drop = np.flatnonzero(drop)
        elif drop.dtype.kind not in "iu":
            raise TypeError(f"jaxlite.numpy.delete: obj must be integers, a slice or a boolean "
                            f"mask, got dtype {drop.dtype}")
        if np.any((drop < -n) | (drop >= n)):
            raise IndexError(f"jaxlite.numpy.delete: index out of bounds for axis {axis} of size {n}: "
                             f"{drop.tolist()}")
        drop = np.where(drop < 0, drop + n, drop)
    keep = np.setdiff1d(np.arange(n), drop)
    return jnp.take(arr, keep, axis=axis)


def insert(arr, obj, values, axis=None):
    """arr with `values` inserted before the indices `obj` (int, slice or ints) along `axis`."""
    arr, axis = _axis_and_array(arr, axis, "insert")
    n = arr.shape[axis]
    index = np.arange(n + 1)[obj] if isinstance(obj, slice) else _concrete(obj, "insert", "obj")
    if index.dtype.kind not in "iu":
        raise TypeError(f"jaxlite.numpy.insert: obj must be integers or a slice, got {index.dtype}")
    if np.any((index < -n) | (index > n)):
        raise IndexError(f"jaxlite.numpy.insert: index {index.tolist()} is out of bounds for axis "
                         f"{axis} of size {n}")
    index = np.where(index < 0, index + n, index)
    values = jnp.asarray(values, dtype=arr.dtype)
    if index.ndim == 0:
        # NumPy: a scalar index inserts values whose first axis runs along `axis`.
        values = jnp.reshape(values, (1,) * (arr.ndim - values.ndim) + values.shape)
        values = jnp.moveaxis(values, 0, axis)
        count = values.shape[axis]
        new_at = int(index) + np.arange(count)
    else:
        index = index.ravel()
        count = index.size
        order = np.argsort(index, kind="stable")
        new_at = np.empty(count, int)
        new_at[order] = index[order] + np.arange(count)
    shape = list(arr.shape)
    shape[axis] = count
    values = jnp.broadcast_to(values, shape)
    old_at = np.setdiff1d(np.arange(n + count), new_at)
    source = np.empty(n + count, int)  # output position -> row of concatenate([arr, values])
    source[old_at] = np.arange(n)
    source[new_at] = n + np.arange(count)
    return jnp.take(jnp.concatenate([arr, values], axis=axis), source, axis=axis)


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of `a` along `axis` where `condition` is true (size= pads to a static length)."""
    if out is not None:
        raise NotImplementedError("jaxlite.numpy.compress: out is not supported (arrays are immutable)")
    check_arraylike("compress", condition, a)
    condition = jnp.ravel(jnp.asarray(condition)).astype(bool)
    a, axis = _axis_and_array(a, axis, "compress")
    n = a.shape[axis]
    if condition.shape[0] > n:
        raise ValueError(f"jaxlite.numpy.compress: condition has {condition.shape[0]} entries, more "
                         f"than axis {axis} of size {n}")
    if size is None:
        keep = np.flatnonzero(_concrete(condition, "compress", "condition (without size=)"))
        return jnp.take(a, keep, axis=axis)
    (keep,) = jnp.nonzero(condition, size=size, fill_value=n)
    moved = jnp.moveaxis(a, axis, 0)
    filler = jnp.full((1,) + moved.shape[1:], fill_value, dtype=a.dtype)
    return jnp.moveaxis(jnp.concatenate([moved, filler])[keep], 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of ravel(arr) where ravel(condition) is nonzero."""
    check_arraylike("extract", condition, arr)
    return compress(jnp.ravel(condition), jnp.ravel(arr), size=size, fill_value=fill_value)


def choose(a, choices, out=None, mode="raise"):
    """Element i of the result is choices[a[i]][i] (all broadcast together)."""
    if out is not None:
        raise NotImplementedError("jaxlite.numpy.choose: out is not supported (arrays are immutable)")
    check_arraylike("choose", a, *choices)
    a = jnp.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"jaxlite.numpy.choose: the index array must be integers, got {a.dtype}")
    n = len(choices)
    if mode == "raise":
        idx = _concrete(a, "choose", "a (with mode='raise'; use mode='clip' or 'wrap' under jit)")
        if np.any((idx < 0) | (idx >= n)):
            raise ValueError(f"jaxlite.numpy.choose: invalid entry in the index array (not in [0, {n}))")
    elif mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = jnp.clip(a, 0, n - 1)
    else:
        raise ValueError(f"jaxlite.numpy.choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    a, *choices = jnp.broadcast_arrays(a, *choices)
    stacked = jnp.stack(jnp.broadcast_arrays(*choices))
    return jnp.take_along_axis(stacked, a[None], axis=0)[0]


def resize(a, new_shape):
    """a's elements repeated cyclically to fill new_shape (zeros when a is empty)."""
    check_arraylike("resize", a)
    a = jnp.ravel(a)
    shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"jaxlite.numpy.resize: new_shape {shape} has a negative entry")
    total = int(np.prod(shape))
    if a.size == 0:
        return jnp.zeros(shape, a.dtype)
    reps = -(-total // a.size)
    return jnp.reshape(jnp.tile(a, reps)[:total], shape)


def trim_zeros(filt, trim="fb"):
    """filt without its leading ('f') and/or trailing ('b') zeros (filt must be concrete)."""
    check_arraylike("trim_zeros", filt)
    value = _concrete(filt, "trim_zeros", "filt")
    if value.ndim != 1:
        raise ValueError(f"jaxlite.numpy.trim_zeros: filt must be 1-D, got shape {value.shape}")
    nz = np.flatnonzero(value)
    if nz.size == 0:
        return jnp.asarray(filt)[:0]
    trim = trim.lower()
    start = nz[0] if "f" in trim else 0
    stop = nz[-1] + 1 if "b" in trim else value.size
    return jnp.asarray(filt)[start:stop]


# ---- functional updates -------------------------------------------------------------------------


def put(a, ind, v, mode=None, *, inplace=True):
    """a (flattened) with a.flat[ind] = v, v repeated cyclically; needs inplace=False."""
    _no_inplace("put", inplace)
    check_arraylike("put", a, ind, v)
    a = jnp.asarray(a)
    ind = jnp.ravel(jnp.asarray(ind))
    v = jnp.ravel(jnp.asarray(v, dtype=a.dtype))
    if ind.size == 0 or v.size == 0:
        return a
    v = jnp.resize(v, ind.shape) if v.size != ind.size else v
    if mode == "wrap":
        ind = ind % a.size
    elif mode == "clip":
        ind = jnp.clip(ind, 0, a.size - 1)
    elif mode not in (None, "raise", "fill", "drop"):
        raise ValueError(f"jaxlite.numpy.put: mode must be None, 'clip', 'wrap', 'fill' or 'drop', got {mode!r}")
    return jnp.ravel(a).at[ind].set(v, mode="drop").reshape(a.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """arr with arr[..., indices, ...] = values along `axis` (take_along_axis's inverse)."""
    _no_inplace("put_along_axis", inplace)
    check_arraylike("put_along_axis", arr, indices, values)
    arr, indices = jnp.asarray(arr), jnp.asarray(indices)
    if axis is None:
        return put_along_axis(jnp.ravel(arr), jnp.ravel(indices), jnp.ravel(values), 0,
                              inplace=False, mode=mode).reshape(arr.shape)
    axis = canonicalize_axis(axis, arr.ndim, "put_along_axis")
    if indices.ndim != arr.ndim:
        raise ValueError(f"jaxlite.numpy.put_along_axis: indices must have arr's rank {arr.ndim}, "
                         f"got shape {indices.shape}")
    shape = np.broadcast_shapes(tuple(1 if i == axis else s for i, s in enumerate(arr.shape)),
                                tuple(1 if i == axis else s for i, s in enumerate(indices.shape)))
    idx_shape = tuple(indices.shape[i] if i == axis else s for i, s in enumerate(shape))
    indices = jnp.broadcast_to(indices, idx_shape)
    where = tuple(indices if i == axis else lax.broadcasted_iota(np.int32, idx_shape, i)
                  for i in range(arr.ndim))
    values = jnp.broadcast_to(jnp.asarray(values, dtype=arr.dtype), idx_shape)
    return arr.at[where].set(values, mode=mode)


def place(arr, mask, vals, *, inplace=True):
    """arr with the entries where mask is true replaced by vals, repeated cyclically."""
    _no_inplace("place", inplace)
    check_arraylike("place", arr, mask, vals)
    arr, mask = jnp.asarray(arr), jnp.asarray(mask).astype(bool)
    vals = jnp.ravel(jnp.asarray(vals, dtype=arr.dtype))
    if mask.shape != arr.shape:
        raise ValueError(f"jaxlite.numpy.place: mask shape {mask.shape} must equal arr's {arr.shape}")
    if vals.size == 0:
        return arr
    flat_mask = jnp.ravel(mask)
    which = (jnp.cumsum(flat_mask) - 1) % vals.size
    return jnp.where(flat_mask, vals[which], jnp.ravel(arr)).reshape(arr.shape)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """a with its main diagonal set to val (repeated); a is 2-D or has equal dimensions."""
    _no_inplace("fill_diagonal", inplace)
    check_arraylike("fill_diagonal", a, val)
    a = jnp.asarray(a)
    if a.ndim < 2:
        raise ValueError(f"jaxlite.numpy.fill_diagonal: a must be at least 2-D, got shape {a.shape}")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError(f"jaxlite.numpy.fill_diagonal: all dimensions must be equal, got {a.shape}")
    if a.ndim == 2:
        step = a.shape[1] + 1
        end = a.size if wrap else min(a.shape[0], a.shape[1]) * a.shape[1]
    else:
        step = 1 + int(np.sum(np.cumprod(a.shape[:-1])))
        end = a.size
    flat_index = np.arange(0, end, step)
    val = jnp.resize(jnp.ravel(jnp.asarray(val, dtype=a.dtype)), flat_index.shape)
    return jnp.ravel(a).at[flat_index].set(val).reshape(a.shape)


# ---- building and mapping -------------------------------------------------------------------------


def vander(x, N=None, increasing=False):
    """Columns x**(N-1), ..., x**0 (or increasing powers)."""
    check_arraylike("vander", x)
    x = jnp.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"jaxlite.numpy.vander: x must be 1-D, got shape {x.shape}")
    N = x.shape[0] if N is None else int(N)
    if N < 0:
        raise ValueError(f"jaxlite.numpy.vander: N must be nonnegative, got {N}")
    powers = np.arange(N) if increasing else np.arange(N)[::-1]
    # Repeated products, as NumPy: exact for integers and no pow() for floats.
    cols = [jnp.ones_like(x)]
    for _ in range(1, N):
        cols.append(cols[-1] * x)
    if N == 0:
        return jnp.zeros((x.shape[0], 0), x.dtype)
    return jnp.stack([cols[p] for p in powers], axis=1)


def piecewise(x, condlist, funclist, *args, **kw):
    """Where condlist[i], funclist[i](x) (or the constant funclist[i]); one extra function is
    the default where no condition holds. Later conditions win, as in NumPy."""
    check_arraylike("piecewise", x)
    x = jnp.asarray(x)
    if isinstance(condlist, (list, tuple)):
        condlist = [jnp.asarray(c) for c in condlist]
    else:
        condlist = jnp.asarray(condlist)
        condlist = [condlist] if condlist.ndim == x.ndim else list(condlist)
    n = len(condlist)
    if len(funclist) == n + 1:
        otherwise = ~jnp.any(jnp.stack([c.astype(bool) for c in condlist]), axis=0) if n else True
        condlist = [otherwise, *condlist]
        funclist = [funclist[-1], *funclist[:-1]]
    elif len(funclist) != n:
        raise ValueError(f"jaxlite.numpy.piecewise: {len(funclist)} functions for {n} conditions; "
                         f"give {n} or {n + 1}")
    out = jnp.zeros_like(x)
    for cond, f in zip(condlist, funclist):
        value = f(x, *args, **kw) if callable(f) else f
        out = jnp.where(cond, jnp.asarray(value, dtype=x.dtype), out)
    return out


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to every 1-D slice of arr along axis (vmapped over the other axes)."""
    from ..batching import vmap

    check_arraylike("apply_along_axis", arr)
    arr = jnp.asarray(arr)
    axis = canonicalize_axis(axis, arr.ndim, "apply_along_axis")

    def func(row):
        return func1d(row, *args, **kwargs)

    for i in range(1, arr.ndim - axis):
        func = vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = vmap(func, in_axes=0, out_axes=0)
    return func(arr)


def apply_over_axes(func, a, axes):
    """func(a, axis) applied for each axis in turn, keeping the rank (as keepdims)."""
    check_arraylike("apply_over_axes", a)
    a = jnp.asarray(a)
    for axis in [axes] if np.ndim(axes) == 0 else axes:
        b = func(a, axis)
        if b.ndim == a.ndim - 1:
            b = jnp.expand_dims(b, axis)
        elif b.ndim != a.ndim:
            raise ValueError("jaxlite.numpy.apply_over_axes: func must return an array of rank "
                             f"{a.ndim} or {a.ndim - 1}, got shape {b.shape}")
        a = b
    return a


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """function applied to the index grid of `shape` (JAX maps it over scalar indices)."""
    from ..batching import vmap

    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    for i in range(len(shape)):
        in_axes = [0 if j == i else None for j in range(len(shape))]
        function = vmap(function, in_axes=tuple(in_axes[::-1]))
    return function(*(jnp.arange(s, dtype=dtype) for s in shape), **kwargs)


def mask_indices(n, mask_func, k=0, *, size=None):
    """The (row, column) indices where mask_func(ones((n, n)), k) is nonzero."""
    return jnp.nonzero(mask_func(jnp.ones((n, n)), k), size=size)
