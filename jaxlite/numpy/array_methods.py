"""Operators and methods of jaxlite.Array and of every Tracer, installed at import time.

Both kinds of value get the same methods, so user code cannot tell an eager Array from a traced
value by its interface. The arithmetic operators are the jnp functions themselves, which carry
the eager fast path.
"""

from __future__ import annotations

import numpy as np

from .. import core
from ..array import Array
from . import _eager
from . import ufuncs as U

_OPERAND_TYPES = (Array, core.Tracer, np.ndarray, np.generic, bool, int, float, complex)


def _defer_to_tracers(binop):
    """`array + tracer` must reach the tracer's trace: return NotImplemented for unknown types
    so that Python tries the reflected method."""

    def method(self, other):
        if not isinstance(other, _OPERAND_TYPES) and not hasattr(other, "__jax_array__"):
            return NotImplemented
        return binop(self, other)

    return method


def _swap(f):
    return lambda x, y: f(y, x)


def _matmul(x, y):
    from . import linalg_ops

    return linalg_ops.matmul(x, y)


_BINARY = {
    "add": U.add, "sub": U.subtract, "mul": U.multiply, "truediv": U.true_divide,
    "floordiv": U.floor_divide, "mod": U.remainder, "pow": U.power, "matmul": _matmul,
    "and": U.bitwise_and, "or": U.bitwise_or, "xor": U.bitwise_xor,
    "lshift": U.left_shift, "rshift": U.right_shift, "divmod": U.divmod,
}
_COMPARE = {"eq": U.equal, "ne": U.not_equal, "lt": U.less, "le": U.less_equal,
            "gt": U.greater, "ge": U.greater_equal}


def _method(name):
    """A method that calls jaxlite.numpy.<name>(self, ...), looked up at call time."""

    def m(self, *args, **kwargs):
        import jaxlite.numpy as jnp

        return getattr(jnp, name)(self, *args, **kwargs)

    m.__name__ = name
    return m


_METHODS = [
    "sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "any", "all",
    "cumsum", "cumprod", "ptp", "clip", "round", "conj", "conjugate", "dot", "trace", "diagonal",
    "nonzero", "repeat", "sort", "argsort", "searchsorted", "squeeze", "swapaxes", "take", "ravel",
    "nansum", "nanmean",
]


def _reshape(self, *shape, order="C"):
    import jaxlite.numpy as jnp

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return jnp.reshape(self, shape, order=order)


def _transpose(self, *axes):
    import jaxlite.numpy as jnp

    if len(axes) == 1 and isinstance(axes[0], (tuple, list)) or not axes:
        axes = axes[0] if axes else None
    return jnp.transpose(self, axes)


def _astype(self, dtype, copy=False):
    import jaxlite.numpy as jnp

    return jnp.asarray(self, dtype=dtype)


def _getitem(self, idx):
    fast = _eager.getitem(self, idx)
    if fast is not None:
        return fast
    from . import indexing

    return indexing.getitem(self, idx)


def _at(self):
    from . import indexing

    return indexing.IndexUpdateHelper(self)


def _view(self, dtype=None):
    from .. import lax

    return self if dtype is None else lax.bitcast_convert_type(self, dtype)


def install(cls):
    for name, fn in _BINARY.items():
        setattr(cls, f"__{name}__", _defer_to_tracers(fn))
        setattr(cls, f"__r{name}__", _defer_to_tracers(_swap(fn)))
    for name, fn in _COMPARE.items():
        setattr(cls, f"__{name}__", _defer_to_tracers(fn))
    cls.__neg__ = lambda self: U.negative(self)
    cls.__pos__ = lambda self: U.positive(self)
    cls.__abs__ = lambda self: U.absolute(self)
    cls.__invert__ = lambda self: U.invert(self)
    cls.__round__ = lambda self, ndigits=None: U.round(self, ndigits or 0)
    cls.__getitem__ = _getitem
    cls.at = property(_at)
    cls.reshape = _reshape
    cls.flatten = _method("ravel")
    cls.transpose = _transpose
    cls.T = property(lambda self: _transpose(self))
    cls.mT = property(lambda self: __import__("jaxlite.numpy", fromlist=["x"]).swapaxes(self, -1, -2))
    cls.astype = _astype
    cls.view = _view
    cls.real = property(lambda self: U.real(self))
    cls.imag = property(lambda self: U.imag(self))
    for name in _METHODS:
        setattr(cls, name, _method(name))


install(Array)
install(core.Tracer)
