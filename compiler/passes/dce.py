"""Dead-code elimination: drop equations none of whose outputs is used, unless they have an effect."""

from __future__ import annotations

from .. import primitives as P
from ..ir import ClosedJaxpr, Eqn, Var
from .util import is_effectful, rebuild


def dce(closed: ClosedJaxpr) -> ClosedJaxpr:
    j = closed.jaxpr
    live = {v for v in j.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(j.eqns):
        if not any(v in live for v in eqn.outvars) and not is_effectful(eqn):
            continue
        if eqn.prim is P.jit_p:  # clean the called program too; its signature stays
            eqn = Eqn(eqn.prim, eqn.invars, eqn.outvars, {**eqn.params, "jaxpr": dce(eqn.params["jaxpr"])})
        kept.append(eqn)
        live.update(v for v in eqn.invars if isinstance(v, Var))
    kept.reverse()
    return rebuild(closed, kept)
