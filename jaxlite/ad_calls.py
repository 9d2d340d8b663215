"""Reverse mode of call primitives (a primitive whose `body_param` is a ClosedJaxpr it runs):
the call is split into two calls of the same primitive, as JAX's partial evaluation of jit does.

- linearize: the body is linearized while staged, giving a primal body (primals -> outputs and
  residuals), bound on the parent, and a linear body (residuals, tangents -> output tangents),
  bound in the tangent program. So grad(jit(f)) runs the forward pass as one call.
- transpose: the transposed linear body is one more call of the primitive. So the backward pass
  is one call too (and for remat, the recomputation lives inside it).

`call_linearize_rule(prim, "jaxpr")` and `call_transpose_rule(prim, "jaxpr")` build the rules;
jit's are registered here when jit exists, remat's in checkpoint.py.
"""

from __future__ import annotations

from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Var

from . import ad
from .core import bind, get_aval, set_current_trace
from .partial_eval import hoist_consts, trace_to_jaxpr


def linearized_body(body: ClosedJaxpr, nonzero, box):
    """A function of the body's primal inputs returning its outputs followed by the residuals
    of its linearization in the inputs marked `nonzero`; the LinearFunction lands in box["lin"]
    (read it after staging the function)."""

    def primal_body(*xs):
        fixed = list(xs)

        def run(*lin_args):  # only the inputs with a tangent are linearized
            it = iter(lin_args)
            args = [next(it) if nz else x for x, nz in zip(fixed, nonzero, strict=True)]
            return ad.eval_jaxpr(body.jaxpr, body.consts, *args), []

        outs, lin, _ = ad.linearize_flat(run, [x for x, nz in zip(fixed, nonzero, strict=True) if nz])
        box["lin"] = lin
        return outs + lin.residuals

    return primal_body


def transposed_body(body: ClosedJaxpr, args, linear, cts, ct_mask):
    """The transpose of a linear body as a function of (non-linear args, non-zero cts) that
    returns the instantiated cotangents of the linear args: what a transpose rule stages."""
    n_res = sum(1 for lin in linear if not lin)

    def transposed(*vals):
        it = iter(vals[:n_res])
        args_in = [a if lin else next(it) for a, lin in zip(args, linear, strict=True)]
        it = iter(vals[n_res:])
        cts_in = [next(it) if m else ct for ct, m in zip(cts, ct_mask, strict=True)]
        cts_out = ad.backward_pass(body.jaxpr, body.consts, args_in, cts_in)
        return [ad.instantiate(ct) for ct, lin in zip(cts_out, linear, strict=True) if lin]

    return transposed


def _with_body(params, body_param, jaxpr):
    return {**params, body_param: ClosedJaxpr(jaxpr, [])}


def call_linearize_rule(prim, body_param):
    def rule(trace, primals, tangents, **params):
        body = params[body_param]
        nonzero = [type(t) is not ad.Zero for t in tangents]
        box = {}
        primal_body = linearized_body(body, nonzero, box)
        name = str(params.get("name", prim.name))
        pj, pconsts = hoist_consts(trace_to_jaxpr(primal_body, [get_aval(p) for p in primals], name))
        lin = box["lin"]
        n_out = len(lin.out_avals)
        # A residual that is an input of the call is passed along, not returned by it.
        operands_in = list(pconsts) + list(primals)
        position = {v: i for i, v in enumerate(pj.invars)}
        forwarded = [position.get(v) if isinstance(v, Var) else None for v in pj.outvars[n_out:]]
        pj = Jaxpr(pj.constvars, pj.invars, pj.outvars[:n_out] + [
            v for v, f in zip(pj.outvars[n_out:], forwarded, strict=True) if f is None], pj.eqns)
        with set_current_trace(trace.parent):
            results = bind(prim, *operands_in, **_with_body(params, body_param, pj))
        outs, computed = results[:n_out], iter(results[n_out:])
        residuals = [operands_in[f] if f is not None else next(computed) for f in forwarded]
        lj = lin.jaxpr.jaxpr
        tj, used = ad.dce_jaxpr(Jaxpr([], lj.constvars + lj.invars, lj.outvars, lj.eqns))
        n_res = len(residuals)
        lin_tangents = [t for t in tangents if type(t) is not ad.Zero]
        # unused residuals are dropped; unused tangents too (an integer input's float0 slot)
        keep = used
        operands = [o for o, k in zip(residuals + lin_tangents, keep, strict=True) if k]
        tj = Jaxpr([], [v for v, k in zip(tj.invars, keep, strict=True) if k], tj.outvars, tj.eqns)
        if not any(k for k in keep[n_res:]) or not tj.outvars:
            t_outs = iter([])  # no tangent reaches an output
            nz_out = [False] * n_out
        else:
            with set_current_trace(trace.tangent_trace):
                t_outs = iter(bind(prim, *operands, **_with_body(params, body_param, tj)))
            nz_out = lin.out_nonzero
        t_outs = [next(t_outs) if nz else ad.Zero(a) for nz, a in zip(nz_out, lin.out_avals, strict=True)]
        return outs, t_outs

    return rule


def call_transpose_rule(prim, body_param):
    def rule(cts, *args, **params):
        body = params[body_param]
        linear = [ad.is_undefined(a) for a in args]
        res = [a for a, lin in zip(args, linear, strict=True) if not lin]
        ct_mask = [type(ct) is not ad.Zero for ct in cts]
        nz_cts = [ct for ct in cts if type(ct) is not ad.Zero]

        transposed = transposed_body(body, args, linear, cts, ct_mask)
        avals = [get_aval(v) for v in res + nz_cts]
        tj, consts = hoist_consts(trace_to_jaxpr(transposed, avals, f"{prim.name}_transpose"))
        tj, _ = ad.dce_jaxpr(tj)
        outs = iter(bind(prim, *consts, *res, *nz_cts, **_with_body(params, body_param, tj)))
        return [next(outs) if lin else None for lin in linear]

    return rule


if hasattr(P, "jit_p"):
    ad.linearize_rules.setdefault(P.jit_p, call_linearize_rule(P.jit_p, "jaxpr"))
    ad.transpose_rules.setdefault(P.jit_p, call_transpose_rule(P.jit_p, "jaxpr"))
    ad.LINEAR_PRIMITIVES.add(P.jit_p)
