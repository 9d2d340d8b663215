"""Rules of the scan primitive: jvp, linearize (primal scan + linear scan), transpose, batching.
See control_flow_rules.py for the overview."""

from __future__ import annotations

from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Var

from . import ad
from .ad_calls import linearized_body
from .batching import batch_jaxpr, batch_rules, bdim_to, moveaxis
from .control_flow_rules import _carry_fixpoint, _inexact, _nonzero, _permute, _stage, jvp_jaxpr
from .core import bind, get_aval, set_current_trace
from .partial_eval import hoist_consts, trace_to_jaxpr


def _split(seq, num_consts, num_carry):
    return (list(seq[:num_consts]), list(seq[num_consts:num_consts + num_carry]),
            list(seq[num_consts + num_carry:]))


def _tangent_flags(jaxpr, primals, tangents, num_consts, num_carry):
    """Which inputs have a tangent (carry: fixpoint over the body), all of inexact type."""
    nz = [b and _inexact(get_aval(p)) for b, p in zip(_nonzero(tangents), primals, strict=True)]
    c_nz, carry_nz, x_nz = _split(nz, num_consts, num_carry)
    n_out = len(jaxpr.out_avals)
    carry_nz = _carry_fixpoint(jaxpr, c_nz, carry_nz, x_nz, num_carry,
                               lambda b, f: jvp_jaxpr(b, f, [False] * n_out)[2])
    carry_nz = [b and _inexact(a) for b, a in zip(carry_nz, jaxpr.in_avals[num_consts:], strict=False)]
    return c_nz, carry_nz, x_nz


def scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    c_nz, carry_nz, x_nz = _tangent_flags(jaxpr, primals, tangents, num_consts, num_carry)
    n_ys = len(jaxpr.out_avals) - num_carry
    prog, jconsts, out_nz = jvp_jaxpr(jaxpr, c_nz + carry_nz + x_nz, carry_nz + [False] * n_ys)
    k, nc, nx = len(jconsts), num_consts, len(x_nz)
    n_ct, n_kt, n_xt = sum(c_nz), sum(carry_nz), sum(x_nz)
    # program inputs: jconsts, consts, carry, xs, const tangents, carry tangents, x tangents
    p0 = k + nc + num_carry + nx
    ins = (list(range(k + nc)) + list(range(p0, p0 + n_ct))
           + list(range(k + nc, k + nc + num_carry)) + list(range(p0 + n_ct, p0 + n_ct + n_kt))
           + list(range(k + nc + num_carry, p0)) + list(range(p0 + n_ct + n_kt, p0 + n_ct + n_kt + n_xt)))
    n_out = num_carry + n_ys
    n_yt = sum(out_nz[num_carry:])
    outs_order = (list(range(num_carry)) + list(range(n_out, n_out + n_kt))
                  + list(range(num_carry, n_out)) + list(range(n_out + n_kt, n_out + n_kt + n_yt)))
    body = _permute(prog, ins, outs_order)
    consts, init, xs = _split(primals, num_consts, num_carry)
    t_c, t_k, t_x = _split(tangents, num_consts, num_carry)
    pick = lambda ts, flags: [ad.instantiate(t) for t, b in zip(ts, flags, strict=True) if b]  # noqa: E731
    outs = bind(P.scan_p, *jconsts, *consts, *pick(t_c, c_nz), *init, *pick(t_k, carry_nz),
                *xs, *pick(t_x, x_nz), jaxpr=body, num_consts=k + nc + n_ct,
                num_carry=num_carry + n_kt, length=length, reverse=reverse, unroll=unroll)
    carry_out, carry_t = outs[:num_carry], iter(outs[num_carry:num_carry + n_kt])
    ys, ys_t = outs[num_carry + n_kt:num_carry + n_kt + n_ys], iter(outs[num_carry + n_kt + n_ys:])
    out_avals = [get_aval(o) for o in carry_out + ys]
    flags = carry_nz + out_nz[num_carry:]
    t_iters = [carry_t] * num_carry + [ys_t] * n_ys
    t_outs = [next(it) if b else ad.Zero(ad.tangent_aval(a))
              for b, a, it in zip(flags, out_avals, t_iters, strict=True)]
    return carry_out + ys, t_outs


def scan_linearize(trace, primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    c_nz, carry_nz, x_nz = _tangent_flags(jaxpr, primals, tangents, num_consts, num_carry)
    nz = c_nz + carry_nz + x_nz
    n_ys = len(jaxpr.out_avals) - num_carry
    box = {}
    primal_body = linearized_body(jaxpr, nz, box)

    consts, init, xs = _split(primals, num_consts, num_carry)
    pj, pconsts = hoist_consts(trace_to_jaxpr(primal_body, jaxpr.in_avals, "scan_primal"))
    lin = box["lin"]
    n_out = num_carry + n_ys
    n_pc = len(pconsts) + num_consts  # leading invars of pj that are loop constants
    const_pos = {v: i for i, v in enumerate(pj.invars[:n_pc])}
    res_vars = pj.outvars[n_out:]
    fwd = [const_pos.get(v) if isinstance(v, Var) else None for v in res_vars]
    stacked = [v for v, f in zip(res_vars, fwd, strict=True) if f is None]
    body = ClosedJaxpr(Jaxpr([], pj.invars, pj.outvars[:n_out] + stacked, pj.eqns), [])
    with set_current_trace(trace.parent):
        outs = bind(P.scan_p, *pconsts, *primals, jaxpr=body, num_consts=n_pc, num_carry=num_carry,
                    length=length, reverse=reverse, unroll=unroll)
    primal_outs, stacked_vals = outs[:n_out], outs[n_out:]
    const_vals = list(pconsts) + consts
    fwd_idx = [f for f in fwd if f is not None]
    fwd_vals = [const_vals[f] for f in fwd_idx]

    # The linear scan: consts (forwarded residuals, const tangents), carry tangents, xs (stacked
    # residuals, x tangents).
    lj = lin.jaxpr.jaxpr
    carry_avals = jaxpr.in_avals[num_consts:num_consts + num_carry]
    t_avals = [ad.tangent_aval(a) for a, b in zip(jaxpr.in_avals, nz, strict=True) if b]
    n_fwd, n_ct, n_kt = len(fwd_vals), sum(c_nz), sum(carry_nz)
    res_slice_avals = [v.aval for v in stacked]
    ys_nz = lin.out_nonzero[num_carry:]

    def linear_body(*args):
        fr, ct, kt = args[:n_fwd], args[n_fwd:n_fwd + n_ct], args[n_fwd + n_ct:n_fwd + n_ct + n_kt]
        rest = args[n_fwd + n_ct + n_kt:]
        sr, xt = rest[:len(stacked)], rest[len(stacked):]
        fr_it, sr_it = iter(fr), iter(sr)
        res = [next(fr_it) if f is not None else next(sr_it) for f in fwd]
        t_out = iter(ad.eval_jaxpr(lj, res, *ct, *kt, *xt))
        full = [next(t_out) if b else None for b in lin.out_nonzero]
        carry_t = [full[i] if full[i] is not None else ad.zeros_like_aval(ad.tangent_aval(carry_avals[i]))
                   for i in range(num_carry) if carry_nz[i]]
        return carry_t + [t for t in full[num_carry:] if t is not None]

    lin_avals = ([v.aval for v in pj.invars[:n_pc]][i] for i in fwd_idx)
    in_avals = (list(lin_avals) + t_avals[:n_ct + n_kt] + res_slice_avals + t_avals[n_ct + n_kt:])
    lbody, lconsts = _stage(linear_body, in_avals, "scan_linear")
    t_c, t_k, t_x = _split(tangents, num_consts, num_carry)
    pick = lambda ts, flags: [ad.instantiate(t) for t, b in zip(ts, flags, strict=True) if b]  # noqa: E731
    with set_current_trace(trace.tangent_trace):
        carry_t0 = pick(t_k, carry_nz)
        t_outs = bind(P.scan_p, *lconsts, *fwd_vals, *pick(t_c, c_nz), *carry_t0, *stacked_vals,
                      *pick(t_x, x_nz), jaxpr=lbody, num_consts=len(lconsts) + n_fwd + n_ct,
                      num_carry=n_kt, length=length, reverse=reverse, unroll=unroll)
    it_k, it_y = iter(t_outs[:n_kt]), iter(t_outs[n_kt:])
    out_avals = [ad.tangent_aval(get_aval(o)) for o in primal_outs]
    flags = carry_nz + ys_nz
    iters = [it_k] * num_carry + [it_y] * n_ys
    tangents_out = [next(it) if b else ad.Zero(a) for b, a, it in zip(flags, out_avals, iters, strict=True)]
    return primal_outs, tangents_out


def scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    consts, init, xs = _split(args, num_consts, num_carry)
    # A carry operand given as a value is an instantiated zero tangent (a linear scan is linear
    # in its whole carry): it is transposed like the others and its cotangent dropped.
    known_carry = [not ad.is_undefined(c) for c in init]
    init = [ad.UndefinedPrimal(get_aval(c)) if k else c for c, k in zip(init, known_carry, strict=True)]
    c_lin = [ad.is_undefined(c) for c in consts]
    x_lin = [ad.is_undefined(x) for x in xs]
    res_c = [c for c, lin in zip(consts, c_lin, strict=True) if not lin]
    res_x = [x for x, lin in zip(xs, x_lin, strict=True) if not lin]
    ct_carry = [ad.instantiate(ct) for ct in cts[:num_carry]]
    ct_ys = cts[num_carry:]
    y_mask = _nonzero(ct_ys)
    nz_ys = [ct for ct in ct_ys if type(ct) is not ad.Zero]
    lin_c_avals = [c.aval for c in consts if ad.is_undefined(c)]
    ct_c0 = [ad.zeros_like_aval(a) for a in lin_c_avals]
    y_slice_avals = [a for a in jaxpr.out_avals[num_carry:]]
    n_rc, n_lc, n_rx = len(res_c), len(lin_c_avals), len(res_x)

    def tbody(*vals):
        rc, acc = vals[:n_rc], vals[n_rc:n_rc + n_lc]
        kc = vals[n_rc + n_lc:n_rc + n_lc + num_carry]
        rest = vals[n_rc + n_lc + num_carry:]
        rx, cy = rest[:n_rx], rest[n_rx:]
        rc_it, rx_it, cy_it = iter(rc), iter(rx), iter(cy)
        a_c = [c if lin else next(rc_it) for c, lin in zip(consts, c_lin, strict=True)]
        a_k = [ad.UndefinedPrimal(a) for a in jaxpr.in_avals[num_consts:num_consts + num_carry]]
        a_x = [ad.UndefinedPrimal(a) if lin else next(rx_it)
               for a, lin in zip(jaxpr.in_avals[num_consts + num_carry:], x_lin, strict=True)]
        ct_in = list(kc) + [next(cy_it) if m else ad.Zero(a)
                            for m, a in zip(y_mask, y_slice_avals, strict=True)]
        out = ad.backward_pass(jaxpr.jaxpr, jaxpr.consts, a_c + a_k + a_x, ct_in)
        oc, ok, ox = _split(out, num_consts, num_carry)
        oc_lin = [c for c, lin in zip(oc, c_lin, strict=True) if lin]
        new_acc = [ad.add_tangents(a, ct) for a, ct in zip(acc, oc_lin, strict=True)]
        return ([ad.instantiate(a) for a in new_acc] + [ad.instantiate(c) for c in ok]
                + [ad.instantiate(c) for c, lin in zip(ox, x_lin, strict=True) if lin])

    in_avals = ([get_aval(c) for c in res_c] + lin_c_avals
                + list(jaxpr.in_avals[num_consts:num_consts + num_carry])
                + [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in res_x]
                + [a for a, m in zip(y_slice_avals, y_mask, strict=True) if m])
    body, tconsts = _stage(tbody, in_avals, "scan_transpose")
    outs = bind(P.scan_p, *tconsts, *res_c, *ct_c0, *ct_carry, *res_x, *nz_ys, jaxpr=body,
                num_consts=len(tconsts) + n_rc, num_carry=n_lc + num_carry, length=length,
                reverse=not reverse, unroll=unroll)
    ct_c, ct_k, ct_x = iter(outs[:n_lc]), outs[n_lc:n_lc + num_carry], iter(outs[n_lc + num_carry:])
    return ([next(ct_c) if lin else None for lin in c_lin]
            + [None if k else ct for ct, k in zip(ct_k, known_carry, strict=True)]
            + [next(ct_x) if lin else None for lin in x_lin])


def scan_batch(axis_data, vals, dims, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    size = axis_data.size
    flags = [d is not None for d in dims]
    c_b, k_b, x_b = _split(flags, num_consts, num_carry)
    k_b = _carry_fixpoint(jaxpr, c_b, k_b, x_b, num_carry,
                          lambda b, f: batch_jaxpr(b, axis_data, f, False)[1])
    n_ys = len(jaxpr.out_avals) - num_carry
    bj, out_b = batch_jaxpr(jaxpr, axis_data, c_b + k_b + x_b, k_b + [False] * n_ys)
    body, bconsts = hoist_consts(bj)
    consts, init, xs = _split(vals, num_consts, num_carry)
    cd, kd, xd = _split(dims, num_consts, num_carry)
    consts = [c if d is None else moveaxis(c, d, 0) for c, d in zip(consts, cd, strict=True)]
    init = [bdim_to(c, d, size, 0) if b else c for c, d, b in zip(init, kd, k_b, strict=True)]
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, xd, strict=True)]
    outs = bind(P.scan_p, *bconsts, *consts, *init, *xs, jaxpr=ClosedJaxpr(body, []),
                num_consts=len(bconsts) + num_consts, num_carry=num_carry, length=length,
                reverse=reverse, unroll=unroll)
    return outs, [0 if b else None for b in k_b] + [1 if b else None for b in out_b[num_carry:]]


ad.jvp_rules[P.scan_p] = scan_jvp
ad.linearize_rules[P.scan_p] = scan_linearize
ad.transpose_rules[P.scan_p] = scan_transpose
ad.LINEAR_PRIMITIVES.add(P.scan_p)
batch_rules[P.scan_p] = scan_batch
