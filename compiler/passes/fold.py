"""Constant folding of small equations whose operands are all literals and whose result is a
scalar: the result becomes a Literal. Bigger constants are left to the kernels, which compute
them in registers anyway."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..ir import ClosedJaxpr, Literal
from .util import Subst, rebuild

_FOLDABLE_GROUPS = {P.ELEMENTWISE, P.COMPARISON, P.BITWISE, P.CONVERSION, P.REDUCE}


def fold_constants(closed: ClosedJaxpr) -> ClosedJaxpr:
    from ..interpret import impl_rules

    subst = Subst()
    kept = []
    for eqn in closed.jaxpr.eqns:
        eqn = subst.eqn(eqn)
        out = eqn.outvars[0] if len(eqn.outvars) == 1 else None
        rule = impl_rules.get(eqn.prim)
        if (
            eqn.prim.group in _FOLDABLE_GROUPS
            and not eqn.prim.multiple_results
            and eqn.invars
            and out is not None
            and out.aval.shape == ()
            and rule is not None
            and out.aval.dtype.kind != "V"
            and all(isinstance(a, Literal) for a in eqn.invars)
        ):
            args = [np.asarray(a.val, dtype=a.aval.dtype) for a in eqn.invars]
            try:
                with np.errstate(all="ignore"):
                    val = np.asarray(rule(*args, **eqn.params), dtype=out.aval.dtype)
            except Exception:  # leave it for run time, where the error belongs
                kept.append(eqn)
                continue
            subst[out] = Literal(val.reshape(()), out.aval)
            continue
        kept.append(eqn)
    return rebuild(closed, kept, subst)
