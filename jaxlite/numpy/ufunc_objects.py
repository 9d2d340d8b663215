"""jnp.ufunc and frompyfunc, and the ufunc methods JAX's binary functions carry
(`jnp.add.outer`, `jnp.multiply.reduce`, `jnp.maximum.accumulate`, `jnp.add.at`, ...).

The functions in ufuncs.py stay plain functions (their eager fast path is untouched); this
module attaches the methods to them as attributes. Known ufuncs use their jnp reduction and
cumulative function; associative ones (add, maximum, logical_and, ...) otherwise reduce by
pairwise halving; any other function folds left to right with lax.scan, as NumPy's loop does.
"""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp

from .. import lax
from ..control_flow import scan
from ._util import canonicalize_axis

__all__ = ["frompyfunc", "ufunc"]


class ufunc:  # noqa: N801 - NumPy's and JAX's name
    """A function of `nin` arrays broadcast elementwise, with NumPy's ufunc methods
    (outer, reduce, accumulate, at) for binary functions."""

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None,
                 associative=False):
        self._func = func
        self._associative = associative
        self.nin, self.nout = int(nin), int(nout)
        self.nargs = self.nin if nargs is None else int(nargs)
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")

    def __repr__(self):
        return f"<jnp.ufunc '{self.__name__}'>"

    def __call__(self, *args, out=None, where=None):
        if out is not None or where is not None:
            raise NotImplementedError(f"{self.__name__}: out= and where= are not supported "
                                      "(arrays are immutable; use jnp.where on the result)")
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__}: expected {self.nin} arguments, got {len(args)}")
        return self._func(*args)

    def _binary(self, method):
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{self.__name__}.{method} needs a binary ufunc with one output; "
                             f"this one has nin={self.nin}, nout={self.nout}")

    def outer(self, A, B, /):
        """func(a, b) for every pair of an element a of A and b of B: shape A.shape + B.shape."""
        self._binary("outer")
        A, B = jnp.asarray(A), jnp.asarray(B)
        return self(jnp.reshape(A, A.shape + (1,) * B.ndim), B)

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
        """func folded over `axis` (None: all axes), starting from `initial` if given."""
        self._binary("reduce")
        if out is not None or where is not None:
            raise NotImplementedError(f"{self.__name__}.reduce: out= and where= are not supported")
        a = jnp.asarray(a, dtype=dtype)
        if axis is None:
            result = self.reduce(jnp.ravel(a), 0, initial=initial)
            return jnp.reshape(result, (1,) * a.ndim) if keepdims else result
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        for ax in sorted((canonicalize_axis(x, a.ndim, "ufunc.reduce") for x in axes), reverse=True):
            a = self._reduce_axis(a, ax, keepdims)
        if initial is not None:
            a = self(jnp.asarray(initial, a.dtype), a)
        return a

    def _reduce_axis(self, a, axis, keepdims):
        if a.shape[axis] == 0:
            if self.identity is None:
                raise ValueError(f"{self.__name__}.reduce: zero-size axis {axis} and no identity")
            shape = a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:]
            return jnp.full(shape, self.identity, a.dtype)
        if not self._associative:  # NumPy's order: ((a0 . a1) . a2) ...
            moved = jnp.moveaxis(a, axis, 0)
            last, _ = scan(lambda c, x: (self._func(c, x), None), moved[0], moved[1:])
            return jnp.expand_dims(last, axis) if keepdims else last
        while a.shape[axis] > 1:  # pairwise halving: log2(n) applications of func
            n = a.shape[axis]
            even = lax.slice_in_dim(a, 0, n - n % 2, 2, axis)
            odd = lax.slice_in_dim(a, 1, n, 2, axis)
            head = self(even, odd)
            a = jnp.concatenate([head, lax.slice_in_dim(a, n - 1, n, 1, axis)], axis) if n % 2 else head
        return a if keepdims else jnp.squeeze(a, axis)

    def accumulate(self, a, axis=0, dtype=None, out=None):
        """The running func-fold along axis (cumsum for add)."""
        self._binary("accumulate")
        if out is not None:
            raise NotImplementedError(f"{self.__name__}.accumulate: out= is not supported")
        a = jnp.asarray(a, dtype=dtype)
        axis = canonicalize_axis(axis, a.ndim, "accumulate")
        if a.shape[axis] == 0:
            return a
        moved = jnp.moveaxis(a, axis, 0)

        def step(carry, x):
            new = self._func(carry, x)
            return new, new

        _, rest = scan(step, moved[0], moved[1:])
        return jnp.moveaxis(jnp.concatenate([moved[:1], rest.astype(moved.dtype)]), 0, axis)

    def at(self, a, indices, b=None, /, *, inplace=True):
        """a with a[indices] = func(a[indices], b) (repeated indices apply once each for the
        known ufuncs add, multiply, minimum, maximum; once in total for others)."""
        if inplace:
            raise ValueError(f"jaxlite.numpy.{self.__name__}.at cannot modify arrays in place; "
                             "pass inplace=False to get the new array")
        a = jnp.asarray(a)
        ref = a.at[indices]
        known = {"add": ref.add, "multiply": ref.multiply, "minimum": ref.min, "maximum": ref.max}
        if b is not None and self.__name__ in known:
            return known[self.__name__](b)
        value = self(a[indices]) if b is None else self(a[indices], b)
        return ref.set(value)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A jnp.ufunc of `func`, which must be written with jnp/lax operations."""
    return ufunc(func, nin, nout, identity=identity)


# ---- the methods of JAX's binary ufuncs, attached to jnp's functions ----------------------------

_IDENTITIES = {"add": 0, "multiply": 1, "logical_and": True, "logical_or": False, "logical_xor": False,
               "bitwise_and": -1, "bitwise_or": 0, "bitwise_xor": 0, "maximum": None, "minimum": None}
_FAST_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
                "logical_and": "all", "logical_or": "any"}
_FAST_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}
_ASSOCIATIVE = {"add", "multiply", "maximum", "minimum", "logical_and", "logical_or", "logical_xor",
                "bitwise_and", "bitwise_or", "bitwise_xor", "fmax", "fmin", "logaddexp", "logaddexp2"}


def _attach(name):
    fn = getattr(jnp, name)
    u = ufunc(fn, 2, 1, name=name, identity=_IDENTITIES.get(name), associative=name in _ASSOCIATIVE)
    fn.outer, fn.at, fn.nin, fn.nout, fn.identity = u.outer, u.at, 2, 1, u.identity
    fast = _FAST_REDUCE.get(name)

    def reduce(a, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
        if fast is not None and out is None and initial is None:
            a = jnp.asarray(a, dtype=dtype)
            return getattr(jnp, fast)(a, axis=axis, keepdims=keepdims, where=where)
        return u.reduce(a, axis, dtype, out, keepdims, initial, where)

    acc = _FAST_ACCUMULATE.get(name)

    def accumulate(a, axis=0, dtype=None, out=None):
        if acc is not None and out is None:
            return getattr(jnp, acc)(jnp.asarray(a, dtype=dtype), axis=axis)
        return u.accumulate(a, axis, dtype, out)

    fn.reduce, fn.accumulate = reduce, accumulate


for _name in ["add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
              "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
              "power", "fmax", "fmin", "logaddexp", "logaddexp2", "hypot", "arctan2", "equal",
              "not_equal", "less", "less_equal", "greater", "greater_equal"]:
    _attach(_name)
