"""Counter-based random bits: the Threefry-2x32 block cipher (Salmon et al., SC 2011).

`threefry2x32(k0, k1, x0, x1)` encrypts the counter pairs (x0, x1) under the key (k0, k1) and
returns the two uint32 halves of the cipher text. All operands are uint32; rank-0 operands
broadcast against the others, as for elementwise primitives. It is one primitive (rather than
~100 lax bit operations) so that eager use and the interpreter run it as a few NumPy passes.
"""

from __future__ import annotations

from .. import dtypes
from ..ir import ShapedArray
from ._base import _fail, declare

RANDOM = "random"


def _threefry2x32_rule(*avals):
    if len(avals) != 4:
        raise TypeError(f"threefry2x32: takes 4 operands (k0, k1, x0, x1), got {len(avals)}")
    if any(a.dtype != dtypes.uint32 for a in avals):
        _fail("threefry2x32", "all operands must be uint32", *avals)
    shapes = {a.shape for a in avals if a.ndim > 0}
    if len(shapes) > 1:
        _fail("threefry2x32", "operand shapes must be equal or rank 0", *avals)
    shape = shapes.pop() if shapes else ()
    out = ShapedArray(shape, dtypes.uint32)
    return [out, out]


threefry2x32_p = declare("threefry2x32", RANDOM, _threefry2x32_rule, multiple_results=True)

__all__ = ["RANDOM", "threefry2x32_p"]
