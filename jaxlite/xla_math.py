"""`xla_math`: log, log1p, exp, erf, erf_inv, pow, rsqrt and fma with the bits of JAX's jit on the CPU.

An internal primitive (compiler/primitives/xla_math.py; the operation sequences and their
sources are in compiler/cpu/xla_math.py) for `jaxlite.random`, whose streams must equal JAX's
bit for bit. Eagerly it runs a native kernel built from the same emitter that jit fuses into its
loops, so eager and compiled results agree by construction. Derivatives are those of the
functions themselves, written with the ordinary primitives; vmap broadcasts like any
elementwise primitive.
"""

from __future__ import annotations

import math

import numpy as np

from compiler import primitives as P
from compiler.primitives.xla_math import FUNCTIONS

from . import ad, lax
from .batching_rules import defbroadcasting
from .core import bind, get_aval

xla_math_p = P.xla_math_p


def supports(fn, dtype) -> bool:
    """Whether `fn` has an XLA-exact version for `dtype`."""
    return np.dtype(dtype) in FUNCTIONS[fn][1]


def call(fn, *xs):
    """fn(*xs) as XLA computes it; the operands share one float dtype (rank 0 broadcasts)."""
    return bind(xla_math_p, *xs, fn=fn)


# ---- jvp: the partial derivatives, operand by operand ------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _c(value, like):
    return np.asarray(value, get_aval(like).dtype)


def _pow_dx(g, ans, x, y):
    # y * x^(y - 1), and 0 where y == 0 (as lax.pow's rule: 0^0 has derivative 0 in x)
    y_is_zero = lax.eq(y, _c(0.0, y))
    jac = lax.mul(lax.select(y_is_zero, lax.full_like(y, 1.0), y), lax.pow(x, lax.sub(y, _c(1.0, y))))
    return lax.mul(g, lax.select(y_is_zero, lax.full_like(jac, 0.0), jac))


def _pow_dy(g, ans, x, y):
    safe_x = lax.select(lax.eq(x, _c(0.0, x)), lax.full_like(x, 1.0), x)
    return lax.mul(g, lax.mul(lax.log(safe_x), ans))


_PARTIALS = {
    "log": [lambda g, ans, x: lax.div(g, x)],
    "log1p": [lambda g, ans, x: lax.div(g, lax.add(x, _c(1.0, x)))],
    "exp": [lambda g, ans, x: lax.mul(g, ans)],
    "erf": [lambda g, ans, x: lax.mul(g, lax.mul(_c(_TWO_OVER_SQRT_PI, x), lax.exp(lax.neg(lax.mul(x, x)))))],
    "erf_inv": [lambda g, ans, x: lax.mul(g, lax.div(lax.exp(lax.mul(ans, ans)), _c(_TWO_OVER_SQRT_PI, x)))],
    "pow": [_pow_dx, _pow_dy],
    "rsqrt": [lambda g, ans, x: lax.mul(g, lax.mul(_c(-0.5, x), lax.div(ans, x)))],
    "fma": [
        lambda g, ans, x, y, z: lax.mul(g, y),
        lambda g, ans, x, y, z: lax.mul(g, x),
        lambda g, ans, x, y, z: g,
    ],
}
assert set(_PARTIALS) == set(FUNCTIONS)


def xla_math_jvp(primals, tangents, *, fn):
    ans = bind(xla_math_p, *primals, fn=fn)
    t_out = ad.Zero(ad.tangent_aval(get_aval(ans)))
    full = [ad._broadcast_like(x, ans) for x in primals]  # rank-0 operands broadcast
    for partial, g in zip(_PARTIALS[fn], tangents, strict=True):
        if type(g) is not ad.Zero:
            t_out = ad.add_tangents(t_out, partial(ad._broadcast_like(g, ans), ans, *full))
    return ans, t_out


ad.jvp_rules[xla_math_p] = xla_math_jvp
defbroadcasting(xla_math_p)
