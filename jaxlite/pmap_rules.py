"""Transformation rules of the `pmap` primitive: jvp, linearize, transpose, batching.

The body is a per-device program; operands flagged `mapped` carry the devices on axis 0, the
others are shared; every output is stacked on axis 0. Each rule re-traces the body under its
transformation with the per-device types and the pmap axis bound (so collectives inside see
it), and binds `pmap` again with the new body -- pmap of the jvp, pmap of the linearization
(primal and tangent calls), pmap of the transpose, pmap of the batched body -- as JAX does.

Transposing: a cotangent of a shared (unmapped) operand is the sum of every device's
cotangent, summed over the stacked device axis after the call.
"""

from __future__ import annotations

from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Var

from . import ad
from .ad_calls import linearized_body, transposed_body
from .batching import AxisData, batch_jaxpr, batch_rules, extend_axis_env, moveaxis
from .core import bind, get_aval, set_current_trace
from .partial_eval import hoist_consts, trace_to_jaxpr

pmap_p = P.pmap_p


def _axis(params):
    return extend_axis_env(AxisData(params["axis_name"], params["global_axis_size"], params["axis_name"]))


def _device_aval(aval, mapped):
    return aval.update(shape=aval.shape[1:]) if mapped else aval


def _trace_body(fun, avals, params, what):
    with _axis(params):
        jaxpr, consts = hoist_consts(trace_to_jaxpr(fun, list(avals), f"{params['name']}_{what}"))
    return ClosedJaxpr(jaxpr, []), consts


def _bind(consts, operands, mapped, body, params):
    new = {**params, "jaxpr": body, "mapped": (False,) * len(consts) + tuple(mapped)}
    return bind(pmap_p, *consts, *operands, **new)


# ---- forward mode ---------------------------------------------------------------------------


def pmap_jvp(primals, tangents, *, jaxpr, mapped, **params):
    params = {**params, "mapped": mapped}
    nonzero = [type(t) is not ad.Zero for t in tangents]
    t_avals = [ad.tangent_aval(a) for a, nz in zip(jaxpr.in_avals, nonzero, strict=True) if nz]
    n_in, box = len(primals), {}

    def body(*args):
        xs, it = args[:n_in], iter(args[n_in:])
        ts = [next(it) if nz else ad.Zero(ad.tangent_aval(a))
              for a, nz in zip(jaxpr.in_avals, nonzero, strict=True)]
        outs, t_outs = ad.jvp_flat(lambda *v: ad.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *v), list(xs), ts)
        box["nz"] = [type(t) is not ad.Zero for t in t_outs]
        return list(outs) + [t for t in t_outs if type(t) is not ad.Zero]

    body_j, consts = _trace_body(body, list(jaxpr.in_avals) + t_avals, params, "jvp")
    nz_t = [t for t in tangents if type(t) is not ad.Zero]
    t_mapped = [m for m, nz in zip(mapped, nonzero, strict=True) if nz]
    results = _bind(consts, list(primals) + nz_t, list(mapped) + t_mapped, body_j, params)
    n_out = len(jaxpr.out_avals)
    outs, t_it = results[:n_out], iter(results[n_out:])
    t_outs = [next(t_it) if nz else ad.Zero(ad.tangent_aval(get_aval(o)))
              for o, nz in zip(outs, box["nz"], strict=True)]
    return outs, t_outs


# ---- reverse mode: linearize into a primal pmap and a tangent pmap ----------------------------


def pmap_linearize(trace, primals, tangents, *, jaxpr, mapped, **params):
    params = {**params, "mapped": mapped}
    nonzero = [type(t) is not ad.Zero for t in tangents]
    box = {}
    primal_body = linearized_body(jaxpr, nonzero, box)
    with _axis(params):
        pj, pconsts = hoist_consts(trace_to_jaxpr(primal_body, list(jaxpr.in_avals), params["name"]))
    lin = box["lin"]
    n_out = len(lin.out_avals)
    operands_in = list(pconsts) + list(primals)
    in_mapped = [False] * len(pconsts) + list(mapped)
    position = {v: i for i, v in enumerate(pj.invars)}
    forwarded = [position.get(v) if isinstance(v, Var) else None for v in pj.outvars[n_out:]]
    pj = Jaxpr(pj.constvars, pj.invars, pj.outvars[:n_out] + [
        v for v, f in zip(pj.outvars[n_out:], forwarded, strict=True) if f is None], pj.eqns)
    with set_current_trace(trace.parent):
        results = bind(pmap_p, *operands_in, **{**params, "jaxpr": ClosedJaxpr(pj, []),
                                                "mapped": tuple(in_mapped)})
    outs, computed = results[:n_out], iter(results[n_out:])
    residuals, res_mapped = [], []
    for f in forwarded:
        if f is None:
            residuals.append(next(computed))
            res_mapped.append(True)
        else:
            residuals.append(operands_in[f])
            res_mapped.append(in_mapped[f])
    lj = lin.jaxpr.jaxpr
    tj, keep = ad.dce_jaxpr(Jaxpr([], lj.constvars + lj.invars, lj.outvars, lj.eqns))
    n_res = len(residuals)
    lin_tangents = [t for t in tangents if type(t) is not ad.Zero]
    t_mapped = [m for m, nz in zip(mapped, nonzero, strict=True) if nz]
    operands = [o for o, k in zip(residuals + lin_tangents, keep, strict=True) if k]
    op_mapped = [m for m, k in zip(res_mapped + t_mapped, keep, strict=True) if k]
    tj = Jaxpr([], [v for v, k in zip(tj.invars, keep, strict=True) if k], tj.outvars, tj.eqns)
    if not any(keep[n_res:]) or not tj.outvars:
        t_outs, nz_out = iter([]), [False] * n_out
    else:
        with set_current_trace(trace.tangent_trace):
            t_outs = iter(bind(pmap_p, *operands, **{**params, "jaxpr": ClosedJaxpr(tj, []),
                                                     "mapped": tuple(op_mapped)}))
        nz_out = lin.out_nonzero
    t_outs = [next(t_outs) if nz else ad.Zero(ad.tangent_aval(get_aval(o)))
              for nz, o in zip(nz_out, outs, strict=True)]
    return outs, t_outs


def pmap_transpose(cts, *args, jaxpr, mapped, **params):
    params = {**params, "mapped": mapped}
    linear = [ad.is_undefined(a) for a in args]
    res = [a for a, lin in zip(args, linear, strict=True) if not lin]
    res_mapped = [m for m, lin in zip(mapped, linear, strict=True) if not lin]
    ct_mask = [type(ct) is not ad.Zero for ct in cts]
    nz_cts = [ct for ct in cts if type(ct) is not ad.Zero]
    dev_args = [ad.UndefinedPrimal(_device_aval(a.aval, m)) if lin else a
                for a, m, lin in zip(args, mapped, linear, strict=True)]
    dev_cts = [ad.Zero(_device_aval(ct.aval, True)) if type(ct) is ad.Zero else ct for ct in cts]
    transposed = transposed_body(jaxpr, dev_args, linear, dev_cts, ct_mask)
    avals = [_device_aval(get_aval(v), m) for v, m in zip(res, res_mapped, strict=True)]
    avals += [_device_aval(get_aval(ct), True) for ct in nz_cts]
    with _axis(params):
        tj, consts = hoist_consts(trace_to_jaxpr(transposed, avals, f"{params['name']}_transpose"))
    tj, _ = ad.dce_jaxpr(tj)
    outs = iter(_bind(consts, res + nz_cts, res_mapped + [True] * len(nz_cts), ClosedJaxpr(tj, []),
                      params))
    from .lax import structural as S

    result = []
    for m, lin in zip(mapped, linear, strict=True):
        if not lin:
            result.append(None)
            continue
        ct = next(outs)
        result.append(ct if m else S.reduce_sum(ct, (0,)))  # a shared operand: every device's part
    return result


# ---- batching -------------------------------------------------------------------------------


def pmap_batch(axis_data, vals, dims, *, jaxpr, mapped, **params):
    params = {**params, "mapped": mapped}
    moved = []
    for v, d, m in zip(vals, dims, mapped, strict=True):
        if d is None:
            moved.append(v)
        else:  # the batch axis right after the device axis (mapped) or first (shared)
            moved.append(moveaxis(v, d, 1 if m else 0))
    in_batched = [d is not None for d in dims]
    with _axis(params):
        batched, out_batched = batch_jaxpr(jaxpr, axis_data, in_batched, False)
    body, consts = hoist_consts(batched)
    outs = _bind(consts, moved, mapped, ClosedJaxpr(body, []), params)
    return outs, [1 if b else None for b in out_batched]


ad.jvp_rules[pmap_p] = pmap_jvp
ad.linearize_rules[pmap_p] = pmap_linearize
ad.transpose_rules[pmap_p] = pmap_transpose
ad.LINEAR_PRIMITIVES.add(pmap_p)
batch_rules[pmap_p] = pmap_batch
