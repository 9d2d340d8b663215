"""Control-flow primitives: cond, while, scan. Each carries its sub-programs as ClosedJaxpr params
whose consts are empty (closed-over values are hoisted into leading operands by the front end in
jaxlite/control_flow.py), so a sub-program's operands are always explicit.

- cond(index, *ops; branches): runs branches[clamp(index)](*ops); index is an int32 scalar.
- while(*cond_consts, *body_consts, *init; cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
  carry = init; while cond_jaxpr(cond_consts, carry): carry = body_jaxpr(body_consts, carry).
- scan(*consts, *init, *xs; jaxpr, num_consts, num_carry, length, reverse, unroll): the body maps
  (consts, carry, x slices) -> (carry, y slices); ys are stacked along a new leading axis.
"""

from __future__ import annotations

from .. import dtypes
from ..ir import ShapedArray
from ._base import CONTROL, _fail, declare


def _same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _types(avals):
    return ", ".join(a.str_short() for a in avals)


def _cond_rule(index, *ops, branches):
    if not branches:
        _fail("cond", "needs at least one branch", index)
    if index.shape != () or not dtypes.is_integer(index.dtype):
        _fail("cond", f"index must be an integer scalar, got {index.str_short()}", index)
    for i, br in enumerate(branches):
        if len(br.in_avals) != len(ops) or not all(_same(a, b) for a, b in zip(ops, br.in_avals)):
            _fail("cond", f"branch {i} takes ({_types(br.in_avals)}), not the operands", *ops)
        if len(br.out_avals) != len(branches[0].out_avals) or not all(
                _same(a, b) for a, b in zip(br.out_avals, branches[0].out_avals)):
            _fail("cond", f"branch {i} returns ({_types(br.out_avals)}) but branch 0 returns "
                          f"({_types(branches[0].out_avals)})", index)
    return [a.update(weak_type=a.weak_type) for a in branches[0].out_avals]


def _while_rule(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    init = avals[cond_nconsts + body_nconsts:]
    cins = cond_jaxpr.in_avals
    if len(cins) != cond_nconsts + len(init):
        _fail("while", "cond_jaxpr's inputs do not match the operands", *avals)
    outs = cond_jaxpr.out_avals
    if len(outs) != 1 or outs[0].shape != () or outs[0].dtype != dtypes.bool_:
        _fail("while", f"cond_jaxpr must return one bool scalar, got ({_types(outs)})", *avals)
    bouts = body_jaxpr.out_avals
    if len(bouts) != len(init) or not all(_same(a, b) for a, b in zip(bouts, init)):
        _fail("while", f"body_jaxpr returns ({_types(bouts)}), not the carry ({_types(init)})", *avals)
    return list(init)


def _scan_rule(*avals, jaxpr, num_consts, num_carry, length, reverse=False, unroll=1):
    k = num_consts + num_carry
    consts, init, xs = avals[:num_consts], avals[num_consts:k], avals[k:]
    for x in xs:
        if not x.shape or x.shape[0] != length:
            _fail("scan", f"each scanned input needs a leading axis of length {length}", *xs)
    x_slices = [x.update(shape=x.shape[1:]) for x in xs]
    ins = jaxpr.in_avals
    want = list(consts) + list(init) + x_slices
    if len(ins) != len(want) or not all(_same(a, b) for a, b in zip(ins, want)):
        _fail("scan", f"body takes ({_types(ins)}) but gets ({_types(want)})", *avals)
    outs = jaxpr.out_avals
    carry_out, ys = outs[:num_carry], outs[num_carry:]
    if len(carry_out) != num_carry or not all(_same(a, b) for a, b in zip(carry_out, init)):
        _fail("scan", f"body returns carry ({_types(carry_out)}), not ({_types(init)})", *avals)
    return list(init) + [ShapedArray((length,) + y.shape, y.dtype, y.weak_type) for y in ys]


cond_p = declare("cond", CONTROL, _cond_rule, multiple_results=True)
while_p = declare("while", CONTROL, _while_rule, multiple_results=True)
scan_p = declare("scan", CONTROL, _scan_rule, multiple_results=True)
