"""jaxlite.flatten_util.ravel_pytree: a pytree of arrays as one flat vector, and back."""

from __future__ import annotations

import warnings

import numpy as np

from . import lax
from . import numpy as jnp
from .tree_util import tree_flatten, tree_unflatten

__all__ = ["ravel_pytree"]


class _HashablePartial:
    """functools.partial that compares and hashes by its function and arguments.

    The unravel function is then usable as a static argument of jit (two ravels of same-shaped
    trees give equal unravel functions, so no retrace).
    """

    def __init__(self, f, *args):
        self.f = f
        self.args = args

    def __eq__(self, other):
        return (type(other) is _HashablePartial and self.f is other.f
                and self.args == other.args)

    def __hash__(self):
        return hash((self.f, self.args))

    def __call__(self, *args):
        return self.f(*self.args, *args)

    def __repr__(self):
        return f"<unravel function {self.f.__name__}>"


def ravel_pytree(pytree):
    """Ravel a pytree of arrays into a 1-D array, returning it and the inverse function.

    Leaves of mixed dtypes are promoted to their common result dtype; `unravel(flat)` splits a
    vector of that dtype back and casts each piece to its leaf's original dtype and shape.
    """
    leaves, treedef = tree_flatten(pytree)
    flat, unravel_list = _ravel_list(leaves)
    return flat, _HashablePartial(_unravel_pytree, treedef, unravel_list)


def _unravel_pytree(treedef, unravel_list, flat):
    return tree_unflatten(treedef, unravel_list(flat))


def _ravel_list(leaves):
    if not leaves:
        return jnp.array([], jnp.float32), _HashablePartial(_unravel_empty)
    from_dtypes = tuple(jnp.result_type(leaf) for leaf in leaves)
    to_dtype = jnp.result_type(*from_dtypes)
    shapes = tuple(tuple(np.shape(leaf)) for leaf in leaves)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    indices = tuple(int(i) for i in np.cumsum(sizes))
    if all(dt == to_dtype for dt in from_dtypes):
        flat = jnp.concatenate([jnp.ravel(leaf) for leaf in leaves])
        return flat, _HashablePartial(_unravel_list_single_dtype, indices, shapes)
    flat = jnp.concatenate([jnp.ravel(lax.convert_element_type(leaf, to_dtype))
                            for leaf in leaves])
    return flat, _HashablePartial(_unravel_list, indices, shapes, from_dtypes, to_dtype)


def _unravel_empty(flat):
    return []


def _check_flat(flat, indices, to_dtype=None):
    shape = np.shape(flat)
    if len(shape) != 1 or shape[0] != indices[-1]:
        raise ValueError(f"ravel_pytree's unravel function expected a 1-D array of length "
                         f"{indices[-1]}, got shape {shape}")
    if to_dtype is not None:
        dtype = jnp.result_type(flat)
        if dtype != to_dtype:
            raise TypeError(f"ravel_pytree's unravel function was given an array of dtype "
                            f"{dtype} but expected dtype {to_dtype}; cast it first")


def _unravel_list_single_dtype(indices, shapes, flat):
    _check_flat(flat, indices)
    chunks = jnp.split(flat, indices[:-1])
    return [chunk.reshape(shape) for chunk, shape in zip(chunks, shapes)]


def _unravel_list(indices, shapes, from_dtypes, to_dtype, flat):
    _check_flat(flat, indices, to_dtype)
    chunks = jnp.split(flat, indices[:-1])
    # Casting back may lose precision (float32 -> float16), which is what the user asked for.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [lax.convert_element_type(chunk.reshape(shape), dtype)
                for chunk, shape, dtype in zip(chunks, shapes, from_dtypes)]
