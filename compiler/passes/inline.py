"""Inlining of calls: the called program's equations replace the call.

`jit` calls, and the calls autodiff leaves in a forward program (remat, custom_jvp_call,
custom_vjp_call: outside of differentiation each just runs its body), are all inlined.

Variables of the callee get fresh Vars, so a callee inlined twice stays in SSA form. A callee
with consts of its own (not hoisted) contributes them as new constvars of the caller.
"""

from __future__ import annotations

from .. import primitives as P
from ..ir import ClosedJaxpr, Eqn, Literal, Var
from .util import Subst, rebuild

# call primitive -> the param holding its body
INLINED = {
    P.jit_p: "jaxpr",
    P.remat_p: "jaxpr",
    P.custom_jvp_call_p: "call_jaxpr",
    P.custom_vjp_call_p: "call_jaxpr",
}


def _inline_into(eqns_out, callee: ClosedJaxpr, args, new_constvars, new_consts):
    """Append callee's equations to eqns_out; returns the atoms of its outputs."""
    env = {}
    j = callee.jaxpr
    for v, val in zip(j.constvars, callee.consts, strict=False):
        cv = Var(v.aval)
        new_constvars.append(cv)
        new_consts.append(val)
        env[v] = cv
    for v, a in zip(j.invars, args, strict=False):
        env[v] = a

    def read(a):
        return a if isinstance(a, Literal) else env[a]

    for eqn in j.eqns:
        ins = [read(a) for a in eqn.invars]
        if eqn.prim in INLINED:
            results = _inline_into(eqns_out, eqn.params[INLINED[eqn.prim]], ins, new_constvars, new_consts)
            for v, r in zip(eqn.outvars, results, strict=False):
                env[v] = r
            continue
        outs = [Var(v.aval) for v in eqn.outvars]
        for v, o in zip(eqn.outvars, outs, strict=False):
            env[v] = o
        eqns_out.append(Eqn(eqn.prim, ins, outs, eqn.params))
    return [read(a) for a in j.outvars]


def inline_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    if not any(e.prim in INLINED for e in closed.jaxpr.eqns):
        return closed
    subst = Subst()
    new_constvars, new_consts = list(closed.jaxpr.constvars), list(closed.consts)
    kept = []
    for eqn in closed.jaxpr.eqns:
        eqn = subst.eqn(eqn)
        if eqn.prim in INLINED:
            results = _inline_into(kept, eqn.params[INLINED[eqn.prim]], eqn.invars, new_constvars, new_consts)
            for v, r in zip(eqn.outvars, results, strict=False):
                subst[v] = r
        else:
            kept.append(eqn)
    return rebuild(closed, kept, subst, new_constvars, new_consts)
