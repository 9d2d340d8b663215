"""Rules of the control-flow primitives (cond, while, scan) for jvp, reverse mode and vmap.

Each rule transforms a sub-program by re-tracing it under the transformation (`jvp_jaxpr`,
`batching.batch_jaxpr`) and binds the same primitive on the transformed program, so a loop stays
one loop. Reverse mode:
- cond: linearize runs the primal cond, and stages the jvp cond into the tangent program; its
  transpose is a cond of the transposed branches (the taken branch recomputes its primal part).
- scan: linearize splits the body in two, as partial evaluation does: a primal scan that also
  returns the body's residuals stacked per step (residuals that are loop constants are passed
  through, not stacked), and a linear scan over those residuals. The transpose of a linear scan
  is a scan running the other way whose carry accumulates the cotangents of its constants.
- while: forward mode only; its transpose raises JAX's error naming scan / fori_loop.
Loop carries are given a tangent (or a batch axis) when any step gives them one: a fixpoint.
"""

from __future__ import annotations

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Var

from . import ad
from .ad_calls import transposed_body
from .batching import batch_jaxpr, batch_rules, bdim_to, moveaxis
from .core import bind, get_aval, set_current_trace
from .partial_eval import hoist_consts, trace_to_jaxpr

# ---- Helpers ------------------------------------------------------------------------------------


def _stage(fun, in_avals, name):
    """Trace fun into a ClosedJaxpr without consts, plus the consts it captured (to prepend)."""
    jaxpr, consts = hoist_consts(trace_to_jaxpr(fun, list(in_avals), name))
    return ClosedJaxpr(jaxpr, []), consts


def _inexact(aval):
    return dtypes.is_inexact(aval.dtype)


def _nonzero(tangents):
    return [type(t) is not ad.Zero for t in tangents]


def jvp_jaxpr(closed, nonzero, instantiate):
    """The jvp of `closed` as a program (primals, nonzero tangents) -> (outs, nonzero out
    tangents). Returns (program, its consts, out_nonzero); `instantiate[i]` forces output i's
    tangent to be present (when its type has tangents)."""
    avals = closed.in_avals
    n = len(avals)
    tan_avals = [ad.tangent_aval(a) for a, nz in zip(avals, nonzero, strict=True) if nz]
    out_nz = []

    def fun(*args):
        it = iter(args[n:])
        tangents = [next(it) if nz else ad.Zero(ad.tangent_aval(a))
                    for a, nz in zip(avals, nonzero, strict=True)]
        outs, t_outs = ad.jvp_flat(lambda *xs: ad.eval_jaxpr(closed.jaxpr, closed.consts, *xs),
                                   list(args[:n]), tangents)
        t_outs = [ad.instantiate(t) if inst and type(t) is ad.Zero and _inexact(o) else t
                  for t, inst, o in zip(t_outs, instantiate, closed.out_avals, strict=True)]
        out_nz[:] = _nonzero(t_outs)
        return list(outs) + [t for t in t_outs if type(t) is not ad.Zero]

    prog, consts = _stage(fun, list(avals) + tan_avals, "jvp")
    return prog, consts, list(out_nz)


def _carry_fixpoint(body, const_flags, carry_flags, x_flags, num_carry, step):
    """Flags (tangent present / batched) of a loop carry: grow until the body keeps them."""
    carry_flags = list(carry_flags)
    while True:
        out = step(body, const_flags + carry_flags + x_flags)[:num_carry]
        new = [a or b for a, b in zip(carry_flags, out, strict=True)]
        if new == carry_flags:
            return carry_flags
        carry_flags = new


def _merge_consts(traced):
    from .control_flow import _merge_branch_consts

    return _merge_branch_consts(traced)


def _permute(prog, in_order, out_order=None):
    j = prog.jaxpr
    outs = j.outvars if out_order is None else [j.outvars[i] for i in out_order]
    return ClosedJaxpr(Jaxpr([], [j.invars[i] for i in in_order], outs, j.eqns), [])


def _zeros_for(aval):
    return ad.zeros_like_aval(aval)


# ---- cond ---------------------------------------------------------------------------------------


def cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    nz = [b and _inexact(get_aval(p)) for b, p in zip(_nonzero(tangents[1:]), ops, strict=True)]
    out_nz = [False] * len(branches[0].out_avals)
    for br in branches:
        out_nz = [a or b for a, b in zip(out_nz, jvp_jaxpr(br, nz, [False] * len(out_nz))[2], strict=True)]
    out_nz = [b and _inexact(a) for b, a in zip(out_nz, branches[0].out_avals, strict=True)]
    traced = [jvp_jaxpr(br, nz, out_nz)[:2] for br in branches]
    new_branches, consts = _merge_consts(traced)
    t_in = [ad.instantiate(t) for t, b in zip(tangents[1:], nz, strict=True) if b]
    outs = bind(P.cond_p, index, *consts, *ops, *t_in, branches=new_branches)
    n = len(out_nz)
    it = iter(outs[n:])
    return outs[:n], [next(it) if b else ad.Zero(ad.tangent_aval(a))
                      for b, a in zip(out_nz, branches[0].out_avals, strict=True)]


def _linearize_by_jvp(prim, jvp):
    """Reverse mode of a primitive with no loop to split: the primal result from the parent,
    the tangents from the jvp staged into the tangent program (recomputing the primal there)."""
    def rule(trace, primals, tangents, **params):
        with set_current_trace(trace.parent):
            outs = bind(prim, *primals, **params)
        with set_current_trace(trace.tangent_trace):
            _, t_outs = jvp(primals, tangents, **params)
        return outs, t_outs

    return rule


def cond_transpose(cts, index, *ops, branches):
    if ad.is_undefined(index):
        raise TypeError("cond: the branch index cannot be linear")
    linear = [ad.is_undefined(x) for x in ops]
    res = [x for x, lin in zip(ops, linear, strict=True) if not lin]
    mask = _nonzero(cts)
    nz_cts = [ct for ct in cts if type(ct) is not ad.Zero]

    avals = [get_aval(v) for v in res + nz_cts]
    traced = [_stage(transposed_body(br, ops, linear, cts, mask), avals, "cond_transpose")
              for br in branches]
    new_branches, consts = _merge_consts(traced)
    outs = iter(bind(P.cond_p, index, *consts, *res, *nz_cts, branches=new_branches))
    return [None] + [next(outs) if lin else None for lin in linear]


def cond_batch(axis_data, vals, dims, *, branches):
    from .lax import elementwise as E
    from .lax import structural as S

    index, ops, op_dims = vals[0], vals[1:], dims[1:]
    ops = [v if d is None else moveaxis(v, d, 0) for v, d in zip(ops, op_dims, strict=True)]
    in_b = [d is not None for d in op_dims]
    if dims[0] is not None:
        # A batched predicate: every branch runs on the whole batch, each lane picks its result.
        index = moveaxis(index, dims[0], 0)
        index = E.clamp(0, index, len(branches) - 1)
        results = []
        for br in branches:
            bj, _ = batch_jaxpr(br, axis_data, in_b, True)
            results.append(ad.eval_jaxpr(bj.jaxpr, bj.consts, *ops))
        outs = []
        for cases in zip(*results, strict=True):
            shape = tuple(cases[0].shape)
            which = S.broadcast_in_dim(index, shape, (0,))
            outs.append(E.select_n(which, *cases))
        return outs, [0] * len(outs)
    out_b = [False] * len(branches[0].out_avals)
    for br in branches:
        out_b = [a or b for a, b in zip(out_b, batch_jaxpr(br, axis_data, in_b, False)[1], strict=True)]
    traced = [hoist_consts(batch_jaxpr(br, axis_data, in_b, out_b)[0]) for br in branches]
    new_branches, consts = _merge_consts([(ClosedJaxpr(j, []), c) for j, c in traced])
    outs = bind(P.cond_p, index, *consts, *ops, branches=new_branches)
    return outs, [0 if b else None for b in out_b]


# ---- while --------------------------------------------------------------------------------------


def while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    nc, nb = cond_nconsts, body_nconsts
    cc, bc, init = primals[:nc], primals[nc:nc + nb], primals[nc + nb:]
    nz = [b and _inexact(get_aval(p)) for b, p in zip(_nonzero(tangents), primals, strict=True)]
    bc_nz, carry_nz = nz[nc:nc + nb], nz[nc + nb:]
    n = len(init)
    carry_nz = _carry_fixpoint(body_jaxpr, bc_nz, carry_nz, [], n,
                               lambda b, f: jvp_jaxpr(b, f, [False] * n)[2])
    carry_nz = [b and _inexact(get_aval(x)) for b, x in zip(carry_nz, init, strict=True)]
    if not any(carry_nz):
        outs = bind(P.while_p, *primals, cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr,
                    cond_nconsts=nc, body_nconsts=nb)
        return outs, [ad.Zero(ad.tangent_aval(get_aval(o))) for o in outs]
    body, jconsts, _ = jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, carry_nz)
    # jvp program inputs: jconsts, bc, carry, bc tangents, carry tangents -> consts first
    k, n_bt, n_ct = len(jconsts), sum(bc_nz), sum(carry_nz)
    idx = list(range(k + nb + n + n_bt + n_ct))
    consts_part = idx[:k + nb] + idx[k + nb + n:k + nb + n + n_bt]
    carry_part = idx[k + nb:k + nb + n] + idx[k + nb + n + n_bt:]
    body = _permute(body, consts_part + carry_part)
    cj = cond_jaxpr.jaxpr
    t_avals = [ad.tangent_aval(get_aval(x)) for x, b in zip(init, carry_nz, strict=True) if b]
    cond = ClosedJaxpr(Jaxpr([], cj.invars + [Var(a) for a in t_avals], cj.outvars, cj.eqns), [])
    bc_t = [ad.instantiate(t) for t, b in zip(tangents[nc:nc + nb], bc_nz, strict=True) if b]
    carry_t = [ad.instantiate(t) for t, b in zip(tangents[nc + nb:], carry_nz, strict=True) if b]
    outs = bind(P.while_p, *cc, *jconsts, *bc, *bc_t, *init, *carry_t, cond_jaxpr=cond, body_jaxpr=body,
                cond_nconsts=nc, body_nconsts=k + nb + n_bt)
    it = iter(outs[n:])
    return outs[:n], [next(it) if b else ad.Zero(ad.tangent_aval(get_aval(o)))
                      for b, o in zip(carry_nz, outs[:n], strict=True)]


def while_transpose(cts, *args, **params):
    raise ValueError(
        "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
        "dynamic start/stop values. Try using lax.scan, or using fori_loop with static "
        "start/stop.")


def while_batch(axis_data, vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    from .lax import elementwise as E
    from .lax import structural as S

    size = axis_data.size
    nc, nb = cond_nconsts, body_nconsts
    vals = [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims, strict=True)]
    flags = [d is not None for d in dims]
    cc, bc, init = vals[:nc], vals[nc:nc + nb], vals[nc + nb:]
    cc_b, bc_b, carry_b = flags[:nc], flags[nc:nc + nb], flags[nc + nb:]
    n = len(init)
    carry_b = _carry_fixpoint(body_jaxpr, bc_b, carry_b, [], n,
                              lambda b, f: batch_jaxpr(b, axis_data, f, False)[1])
    _, (pred_b,) = batch_jaxpr(cond_jaxpr, axis_data, cc_b + carry_b, False)
    if pred_b:
        carry_b = [True] * n  # lanes finish at different steps: every carry is per lane
    bj, _ = batch_jaxpr(body_jaxpr, axis_data, bc_b + carry_b, carry_b)
    cjb, _ = batch_jaxpr(cond_jaxpr, axis_data, cc_b + carry_b, False)
    init = [bdim_to(x, None, size, 0) if b and not f else x
            for x, b, f in zip(init, carry_b, flags[nc + nb:], strict=True)]
    if not pred_b:
        body, bconsts = hoist_consts(bj)
        cond, cconsts = hoist_consts(cjb)
        outs = bind(P.while_p, *cconsts, *cc, *bconsts, *bc, *init, cond_jaxpr=ClosedJaxpr(cond, []),
                    body_jaxpr=ClosedJaxpr(body, []), cond_nconsts=len(cconsts) + nc,
                    body_nconsts=len(bconsts) + nb)
        return outs, [0 if b else None for b in carry_b]
    # Run while any lane is still going; a finished lane keeps its carry (masked update).
    c_avals = [get_aval(x) for x in cc]
    b_avals = [get_aval(x) for x in bc]
    carry_avals = [get_aval(x) for x in init]

    def any_cond(*args):
        pred = ad.eval_jaxpr(cjb.jaxpr, cjb.consts, *args)[0]
        return [S.reduce_or(pred, (0,))]

    def masked_body(*args):
        c, b, carry = args[:nc], args[nc:nc + nb], args[nc + nb:]
        pred = ad.eval_jaxpr(cjb.jaxpr, cjb.consts, *c, *carry)[0]
        new = ad.eval_jaxpr(bj.jaxpr, bj.consts, *b, *carry)
        out = []
        for x_new, x_old in zip(new, carry, strict=True):
            keep = S.broadcast_in_dim(pred, tuple(x_new.shape), (0,))
            out.append(E.select(keep, x_new, x_old))
        return out

    cond, cconsts = _stage(any_cond, c_avals + carry_avals, "while_cond_batched")
    body, bconsts = _stage(masked_body, c_avals + b_avals + carry_avals, "while_body_batched")
    outs = bind(P.while_p, *cconsts, *cc, *bconsts, *cc, *bc, *init, cond_jaxpr=cond, body_jaxpr=body,
                cond_nconsts=len(cconsts) + nc, body_nconsts=len(bconsts) + nc + nb)
    return outs, [0] * n


ad.jvp_rules[P.cond_p] = cond_jvp
ad.linearize_rules[P.cond_p] = _linearize_by_jvp(P.cond_p, cond_jvp)
ad.transpose_rules[P.cond_p] = cond_transpose
ad.LINEAR_PRIMITIVES.add(P.cond_p)
ad.jvp_rules[P.while_p] = while_jvp
ad.linearize_rules[P.while_p] = _linearize_by_jvp(P.while_p, while_jvp)
ad.transpose_rules[P.while_p] = while_transpose
ad.LINEAR_PRIMITIVES.add(P.while_p)
batch_rules[P.cond_p] = cond_batch
batch_rules[P.while_p] = while_batch

from . import control_flow_scan  # noqa: E402,F401 - scan's rules
