"""Transformation rules of the `jit` call primitive that live with jit (batching's is in
batching_rules_calls.py).

Forward and reverse mode differentiate the called body inline: the jvp of a call is the jvp
of its equations, run on the rule's trace. Under linearize that splits each equation into its
primal part (run or staged on the parent) and its tangent part (staged in the linear program),
so no transpose rule for `jit` is needed: `jit` never appears in a linear program. When the
whole computation is itself jitted (jit(grad(f))), the inlined body is compiled with the rest.
"""

from __future__ import annotations

from compiler import primitives as P

from . import ad


def jit_jvp(primals, tangents, *, jaxpr, name="jit"):
    return ad.jvp_flat(lambda *xs: ad.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *xs), primals, tangents)


ad.jvp_rules.setdefault(P.jit_p, jit_jvp)
