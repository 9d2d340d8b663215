"""lax.stop_gradient: the identity whose derivative is zero (a primitive, so it survives staging:
differentiating a jitted function that stops gradients still stops them)."""

from __future__ import annotations

from compiler import dtypes
from compiler import primitives as P

from .. import core
from ..array import Array
from ..core import bind

__all__ = ["stop_gradient"]


def stop_gradient(x):
    """Stop gradients through every array leaf of the pytree x (integer and boolean leaves pass
    through unchanged, as they have no gradient)."""
    from ..tree_util import tree_map

    def stop(v):
        if not dtypes.is_inexact(core.get_aval(v).dtype):
            return v
        if core.is_eager():
            return v if isinstance(v, Array) else Array(v)
        return bind(P.stop_gradient_p, v)

    return tree_map(stop, x)
