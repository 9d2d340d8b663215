"""jnp.vectorize (a function of core-shaped arguments, mapped with vmap over broadcast loop
axes) and NumPy's index tricks mgrid, ogrid, r_, c_ (index_exp and s_ are NumPy's own)."""

from __future__ import annotations

import functools
import re

import numpy as np

import jaxlite.numpy as jnp

__all__ = ["c_", "index_exp", "mgrid", "ogrid", "r_", "s_", "vectorize"]

index_exp, s_ = np.index_exp, np.s_

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^{_DIMS}(?:,\s*{_DIMS})*->{_DIMS}(?:,\s*{_DIMS})*$")


def _parse_signature(signature):
    sig = signature.replace(" ", "")
    if not _SIGNATURE.match(sig):
        raise ValueError(f"jaxlite.numpy.vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = sig.split("->")

    def groups(s):
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\(([^)]*)\)", s)]

    return groups(ins), groups(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """pyfunc mapped over the leading (broadcast) axes of its arguments with vmap.

    Without `signature` every argument is mapped elementwise (pyfunc sees scalars); with one,
    e.g. "(n),(n)->()", pyfunc sees arguments of the core shapes. Arguments named or numbered
    in `excluded`, and keyword arguments, are passed through unmapped."""
    from ..batching import vmap

    if any(not isinstance(e, (int, str)) for e in excluded):
        raise TypeError(f"jaxlite.numpy.vectorize: excluded must hold ints and strings, got {excluded!r}")
    core_in, core_out = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        # Excluded arguments and None (as JAX) pass through unmapped.
        fixed = {i: a for i, a in enumerate(args) if i in excluded or a is None}
        mapped = [jnp.asarray(a) for i, a in enumerate(args) if i not in fixed]
        cores = core_in if core_in is not None else [()] * len(mapped)
        if len(cores) != len(mapped):
            raise TypeError(f"jaxlite.numpy.vectorize: the signature {signature!r} has {len(cores)} "
                            f"inputs, but {len(mapped)} (non-excluded) arguments were passed")
        sizes = {}
        loops = []
        for a, dims in zip(mapped, cores):
            if a.ndim < len(dims):
                raise ValueError(f"jaxlite.numpy.vectorize: an argument of shape {a.shape} has fewer "
                                 f"axes than its core dimensions {dims} in {signature!r}")
            core_shape = a.shape[a.ndim - len(dims):]
            for d, s in zip(dims, core_shape):
                if sizes.setdefault(d, s) != s:
                    raise ValueError(f"jaxlite.numpy.vectorize: core dimension {d!r} has sizes "
                                     f"{sizes[d]} and {s} in {signature!r}")
            loops.append(a.shape[:a.ndim - len(dims)])
        loop_shape = np.broadcast_shapes(*loops) if loops else ()
        mapped = [jnp.broadcast_to(a, loop_shape + a.shape[a.ndim - len(d):])
                  for a, d in zip(mapped, cores)]

        def core_fn(*margs):
            it = iter(margs)
            full = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
            kw = dict(kwargs)
            return pyfunc(*full, **kw)

        f = core_fn
        for _ in loop_shape:
            f = vmap(f)
        out = f(*mapped)
        if core_out is not None and len(core_out) > 1 and not isinstance(out, tuple):
            raise ValueError(f"jaxlite.numpy.vectorize: {signature!r} has {len(core_out)} outputs, "
                             "but the function returned one")
        return out

    return wrapped


# ---- index tricks --------------------------------------------------------------------------------


def _slice_to_array(s):
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):  # a complex step is a number of points, stop included
        return jnp.linspace(start, s.stop, int(abs(step)))
    return jnp.arange(start, s.stop, step)


class _Grid:
    """mgrid[0:3, 0:2]: the dense (mgrid) or open (ogrid) index grid of slices; a complex step
    (0:1:5j) is a number of points, the stop included."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _slice_to_array(key)
        axes = [_slice_to_array(k) for k in key]
        dtype = jnp.result_type(*axes)
        axes = [a.astype(dtype) for a in axes]
        grids = jnp.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        return list(grids) if self.sparse else jnp.stack(grids)


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


class _Concatenator:
    """r_ and c_: concatenate slices (as aranges), scalars and arrays along an axis; a leading
    string "axis[,ndmin[,trans1d]]" sets the axis, the minimum rank and where 1-D axes go."""

    def __init__(self, axis, ndmin, trans1d):
        self.defaults = (axis, ndmin, trans1d)

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.defaults
        if items and isinstance(items[0], str):
            directive = items.pop(0)
            if directive in ("r", "c"):
                raise NotImplementedError(
                    "jaxlite.numpy.r_: the matrix directives 'r' and 'c' are not supported")
            try:
                vals = [int(v) for v in directive.split(",")]
            except ValueError:
                raise ValueError(f"jaxlite.numpy.r_: bad directive {directive!r}") from None
            axis, ndmin, trans1d = (vals + [ndmin, trans1d][len(vals) - 1:])[:3]
        arrays = []
        for item in items:
            a = _slice_to_array(item) if isinstance(item, slice) else jnp.asarray(item)
            if a.ndim < ndmin:
                a = _raise_rank(a, ndmin, trans1d)
            arrays.append(a)
        if any(a.ndim == 0 for a in arrays):
            arrays = [jnp.atleast_1d(a) for a in arrays]
        return jnp.concatenate(arrays, axis=axis) if arrays else jnp.zeros(0)


def _raise_rank(a, ndmin, trans1d):
    k = a.ndim
    a = jnp.reshape(a, (1,) * (ndmin - k) + a.shape)
    if trans1d == -1:
        return a
    lo = trans1d if trans1d >= 0 else trans1d + ndmin - k + 1
    order = list(range(ndmin))
    # NumPy: the original axes move to start at trans1d; the new unit axes fill the rest.
    return jnp.transpose(a, order[:lo] + order[ndmin - k:] + order[lo:ndmin - k])


r_ = _Concatenator(0, 1, -1)
c_ = _Concatenator(-1, 2, 0)
