"""Common-subexpression elimination: one equation per (primitive, operands, params)."""

from __future__ import annotations

from ..ir import ClosedJaxpr, Literal
from .util import Subst, freeze, is_effectful, literal_key, rebuild


def cse(closed: ClosedJaxpr) -> ClosedJaxpr:
    subst = Subst()
    seen = {}
    kept = []
    for eqn in closed.jaxpr.eqns:
        eqn = subst.eqn(eqn)
        if is_effectful(eqn):  # two prints of one value are two prints
            kept.append(eqn)
            continue
        try:
            key = (
                eqn.prim,
                tuple(literal_key(a) if isinstance(a, Literal) else a for a in eqn.invars),
                freeze(eqn.params),
                # Weak types differ between otherwise equal eqns; keep them apart so the
                # jaxpr's avals stay what the front end traced.
                tuple(v.aval for v in eqn.outvars),
            )
        except TypeError:  # unhashable params: keep the equation as it is
            kept.append(eqn)
            continue
        prev = seen.get(key)
        if prev is None:
            seen[key] = eqn
            kept.append(eqn)
        else:
            for old, new in zip(eqn.outvars, prev.outvars, strict=False):
                subst[old] = new
    return rebuild(closed, kept, subst)
