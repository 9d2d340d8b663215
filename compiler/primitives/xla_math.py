"""XLA-exact scalar math: functions computed with the operation sequence of XLA's CPU back end.

`xla_math(*xs, fn=name)` is elementwise (rank-0 operands broadcast, as for the other
elementwise primitives) and means "what JAX's jit computes for this function, bit for bit":
XLA evaluates some functions with its own polynomials and fused multiply-adds and others by
calling the C library, and `jaxlite.random` needs exactly those bits to reproduce JAX's streams.
The primitive exists so that both eager use (a native kernel per function and dtype) and jit
(the same scalar emitter inside fused loops) run one emitter: compiler/cpu/xla_math.py, which
documents each function. It is internal; users reach it only through the samplers.
"""

from __future__ import annotations

import numpy as np

from ..ir import ShapedArray
from ._base import ELEMENTWISE, _fail, declare
from .elementwise import broadcast_shapes_scalar

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

# fn -> (number of operands, dtypes it is defined for)
FUNCTIONS = {
    "log": (1, (_F32, _F64)),
    "log1p": (1, (_F32, _F64)),
    "exp": (1, (_F32, _F64)),
    "erf": (1, (_F32, _F64)),
    "erf_inv": (1, (_F32, _F64)),
    "pow": (2, (_F32, _F64)),
    "rsqrt": (1, (_F32, _F64)),
    "fma": (3, (_F32, _F64)),
}


def _xla_math_rule(*avals, fn):
    if fn not in FUNCTIONS:
        raise TypeError(f"xla_math: unknown function fn={fn!r}; expected one of {sorted(FUNCTIONS)}")
    arity, dts = FUNCTIONS[fn]
    if len(avals) != arity:
        raise TypeError(f"xla_math[fn={fn}]: takes {arity} operand(s), got {len(avals)}")
    if len({a.dtype for a in avals}) != 1:
        _fail(f"xla_math[fn={fn}]", "operands must share one dtype; convert them first", *avals)
    dt = avals[0].dtype
    if dt not in dts:
        names = ", ".join(str(d) for d in dts)
        _fail(f"xla_math[fn={fn}]", f"is defined for {names} only, got {dt}", *avals)
    shape = broadcast_shapes_scalar(f"xla_math[fn={fn}]", avals)
    return ShapedArray(shape, dt, all(a.weak_type for a in avals))


xla_math_p = declare("xla_math", ELEMENTWISE, _xla_math_rule)

__all__ = ["xla_math_p"]
