"""The NumPy meaning of the control-flow primitives (cond, while, scan): Python loops running
their sub-jaxprs with eval_jaxpr. Merged into `interpret.impl_rules` as CONTROL_IMPLS. Eager
jaxlite code and the CPU back end's interpreter callbacks both run through these.
"""

from __future__ import annotations

import numpy as np

from . import primitives as P


def _eval(closed, *args):
    from .interpret import eval_jaxpr  # interpret.py imports this module while loading

    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def cond_impl(index, *ops, branches):
    i = int(np.clip(int(index), 0, len(branches) - 1))
    return _eval(branches[i], *ops)


def while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cconsts = args[:cond_nconsts]
    bconsts = args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = list(args[cond_nconsts + body_nconsts:])
    while bool(_eval(cond_jaxpr, *cconsts, *carry)[0]):
        carry = _eval(body_jaxpr, *bconsts, *carry)
    return carry


def scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse=False, unroll=1):
    consts = args[:num_consts]
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    y_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for step in range(length):
        i = length - 1 - step if reverse else step
        outs = _eval(jaxpr, *consts, *carry, *(x[i] for x in xs))
        carry = outs[:num_carry]
        for y, o in zip(ys, outs[num_carry:]):
            y[i] = o
    return carry + ys


CONTROL_IMPLS = {P.cond_p: cond_impl, P.while_p: while_impl, P.scan_p: scan_impl}
