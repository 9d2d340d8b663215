"""log, log1p, exp, erf, erf_inv, pow, rsqrt and fma as JAX's jit computes them on the CPU.

`jaxlite.random` needs these to reproduce JAX's streams bit for bit: XLA evaluates them with
its own polynomial approximations (Cephes-style `log`/`exp` as in Eigen for float32, its own
`exp` for float64, a rational `log1p` near zero, Giles' `erf_inv` polynomials built on that
`log1p`, a hardware estimate refined by Newton steps for `rsqrt`), calls glibc's scalar
`log`, `erf`, `pow` and `powf` for the rest, and LLVM contracts every multiply whose only use
is an add or subtract into one fused multiply-add. The `xla_math` primitive (jaxlite/xla_math.py)
computes exactly that operation sequence: one scalar LLVM emitter (compiler/cpu/xla_math.py),
read from XLA's optimised LLVM IR and object code (`XLA_FLAGS=--xla_dump_to=...`), that jit
fuses into its loops and that eager code runs as a native kernel of its own, so both give XLA's
bits (checked against JAX on 1e5+ inputs per function and dtype in
tests/compiler/test_cpu_xla_math.py). Other dtypes (float16) fall back to the lax primitives.
"""

from __future__ import annotations

import numpy as np

from . import lax
from . import xla_math as _xla


def _exact(name, fallback):
    def fn(*xs):
        dtype = np.result_type(*(x.dtype for x in xs))
        return _xla.call(name, *xs) if _xla.supports(name, dtype) else fallback(*xs)

    fn.__name__ = name
    fn.__doc__ = f"{name} with the bits of JAX's jit on the CPU (float32 and float64 where XLA has them)."
    return fn


log = _exact("log", lax.log)
log1p = _exact("log1p", lax.log1p)
exp = _exact("exp", lax.exp)
erf = _exact("erf", lax.erf)
erf_inv = _exact("erf_inv", lax.erf_inv)
pow = _exact("pow", lax.pow)  # noqa: A001 - jax.lax's name
rsqrt = _exact("rsqrt", lax.rsqrt)
fma = _exact("fma", lambda a, b, c: lax.add(lax.mul(a, b), c))
