"""The meaning of `xla_math`: the back end's own emitter, run as a native loop.

NumPy cannot express XLA's operation sequences (fused multiply-adds, glibc's scalar log/pow), so
the interpreter calls the kernel compiled from the same emitter that jit fuses into its loops
(compiler/cpu/xla_math.py): eager, interpreted and compiled results are the same bits.
"""

from __future__ import annotations

from . import primitives as P


def xla_math_impl(*xs, fn):
    from .cpu import xla_math

    return xla_math.evaluate(fn, *xs)


XLA_MATH_IMPLS = {P.xla_math_p: xla_math_impl}
