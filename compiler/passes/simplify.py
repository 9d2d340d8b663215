"""Algebraic simplification, only where the result is bit-for-bit the same.

x * 1, x / 1, x - 0 and x + (-0.0) keep x exactly (floats included: the signs of zeros and NaNs
survive); x + 0 does not for floats (-0. + 0. is 0.), so it is only dropped for integers.
Movement ops that change nothing (same shape, identity permutation, no axes) disappear.
"""

from __future__ import annotations

from .. import primitives as P
from ..ir import ClosedJaxpr, Var
from .util import Subst, is_literal_scalar, rebuild


def _same_type(a, aval):
    return a.aval.shape == aval.shape and a.aval.dtype == aval.dtype


def _identity_operand(eqn):
    """The operand that eqn's output always equals, or None."""
    p, ins, out = eqn.prim, eqn.invars, eqn.outvars[0].aval if eqn.outvars else None
    params = eqn.params
    if p is P.stop_gradient_p:  # the identity outside of differentiation
        return ins[0]
    if p in (P.reshape_p, P.broadcast_in_dim_p, P.squeeze_p, P.expand_dims_p, P.copy_p):
        if _same_type(ins[0], out) and params.get("dimensions") in (None, (), []):
            return ins[0]
        if p is P.broadcast_in_dim_p and _same_type(ins[0], out):
            return ins[0]
        return None
    if p is P.transpose_p:
        return ins[0] if list(params["permutation"]) == list(range(len(params["permutation"]))) else None
    if p is P.rev_p:
        return ins[0] if not params["dimensions"] else None
    if p is P.slice_p:
        return ins[0] if _same_type(ins[0], out) else None
    if p is P.convert_element_type_p:
        return ins[0] if _same_type(ins[0], out) else None
    if p in (
        P.reduce_sum_p,
        P.reduce_prod_p,
        P.reduce_max_p,
        P.reduce_min_p,
        P.reduce_and_p,
        P.reduce_or_p,
        P.reduce_xor_p,
    ):
        return ins[0] if not params["axes"] else None
    if p is P.integer_pow_p:
        return ins[0] if params["y"] == 1 else None
    if p is P.select_n_p and len(ins) == 2:
        return ins[1]  # a single case
    if len(ins) == 2 and out is not None:
        x, y = ins
        kind = out.dtype.kind
        if kind == "b":
            return None
        if p is P.mul_p:
            if is_literal_scalar(y, 1) and _same_type(x, out):
                return x
            if is_literal_scalar(x, 1) and _same_type(y, out):
                return y
        if p is P.div_p and is_literal_scalar(y, 1) and _same_type(x, out):
            return x
        if p is P.sub_p and is_literal_scalar(y, 0) and _same_type(x, out):
            return x
        if p is P.add_p:
            zero = -0.0 if kind in "fc" else 0
            if is_literal_scalar(y, zero) and _same_type(x, out):
                return x
            if is_literal_scalar(x, zero) and _same_type(y, out):
                return y
    return None


def simplify(closed: ClosedJaxpr) -> ClosedJaxpr:
    subst = Subst()
    kept = []
    negated = {}  # neg(neg(x)) is x, for every dtype (integers wrap both ways)
    for eqn in closed.jaxpr.eqns:
        eqn = subst.eqn(eqn)
        if not eqn.prim.multiple_results and len(eqn.outvars) == 1:
            out = eqn.outvars[0]
            same = _identity_operand(eqn)
            if same is None and eqn.prim is P.neg_p and eqn.invars[0] in negated:
                same = negated[eqn.invars[0]]
            if same is not None:
                subst[out] = same
                continue
            if eqn.prim is P.neg_p and isinstance(eqn.invars[0], Var):
                negated[out] = eqn.invars[0]
        kept.append(eqn)
    return rebuild(closed, kept, subst)
