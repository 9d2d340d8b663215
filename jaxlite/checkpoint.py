"""checkpoint / remat: recompute a function's forward pass in the backward pass instead of
saving its intermediates, with JAX's `policy` for what may be saved anyway.

`checkpoint(f)(*args)` stages f into a `remat` equation (eagerly it just runs f). Its rules:
- forward mode: the jvp of the body, inline;
- reverse mode (`linearize_rules`): the primal outputs are computed on the parent as usual, but
  the tangent program gets one `remat` equation whose body *recomputes* the primal values it
  needs from the remat's inputs (plus whatever the policy saved) and applies the tangent ops. So
  the residuals are the inputs and the saved values, not every intermediate;
- transpose: a `remat` equation whose body is the transposed body: the backward pass recomputes
  inside one equation, which a compiler must not merge with the forward pass (prevent_cse).
"""

from __future__ import annotations

import functools

from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Literal

from . import ad, core, tree_util
from .ad_calls import call_transpose_rule
from .core import bind, get_aval, set_current_trace
from .partial_eval import flatten_fun_args, hoist_consts, trace_to_jaxpr


class Policy:
    """policy(prim, *avals, **params) -> True if the primitive's output may be saved."""

    __slots__ = ("name", "fn")

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def __call__(self, prim, *avals, **params):
        return self.fn(prim, *avals, **params)

    def __repr__(self):
        return self.name


def _is_dot(prim, *avals, **params):
    return prim is P.dot_general_p


def _is_unbatched_dot(prim, *avals, **params):
    return prim is P.dot_general_p and not params["dimension_numbers"][1][0]


class checkpoint_policies:  # noqa: N801 - JAX's namespace
    """Policies for checkpoint(policy=...): which intermediate values to save for the backward pass."""

    everything_saveable = Policy("everything_saveable", lambda *a, **k: True)
    nothing_saveable = Policy("nothing_saveable", lambda *a, **k: False)
    dots_saveable = Policy("dots_saveable", _is_dot)
    checkpoint_dots = dots_saveable
    dots_with_no_batch_dims_saveable = Policy("dots_with_no_batch_dims_saveable", _is_unbatched_dot)
    checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
    """Make `fun` recompute its forward pass when differentiated, saving only its inputs (and,
    with `policy`, the outputs of the primitives the policy allows)."""
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be callable (e.g. "
                        f"jax.checkpoint_policies.dots_saveable), got {policy!r}")

    @functools.wraps(fun)
    def remat_fun(*args, **kwargs):
        flat_fun, flat_args, box = flatten_fun_args(fun, args, kwargs, static_argnums)
        trace = ad.effective_trace(flat_args)
        if isinstance(trace, core.EvalTrace):
            return fun(*args, **kwargs)
        with set_current_trace(trace):
            closed = trace_to_jaxpr(flat_fun, [get_aval(a) for a in flat_args], "checkpoint")
            jaxpr, consts = hoist_consts(closed)
            outs = bind(P.remat_p, *consts, *flat_args, jaxpr=ClosedJaxpr(jaxpr, []),
                        prevent_cse=bool(prevent_cse), policy=policy)
        return tree_util.tree_unflatten(box[0], outs)

    return remat_fun


remat = checkpoint


def _remat_jvp(primals, tangents, *, jaxpr, prevent_cse, policy):
    return ad.jvp_flat(lambda *xs: ad.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *xs), primals, tangents)


def _eval_saving(jaxpr, args, policy, saved):
    """Evaluate on the current trace; record the outputs the policy allows saving."""
    env = dict(zip(jaxpr.invars, args, strict=True))
    read = lambda v: ad.literal_value(v) if isinstance(v, Literal) else env[v]  # noqa: E731
    for eqn in jaxpr.eqns:
        out = bind(eqn.prim, *(read(v) for v in eqn.invars), **eqn.params)
        outs = out if eqn.prim.multiple_results else [out]
        env.update(zip(eqn.outvars, outs, strict=True))
        if policy is not None and policy(eqn.prim, *(v.aval for v in eqn.invars), **eqn.params):
            saved.update(zip(eqn.outvars, outs, strict=True))
    return [read(v) for v in jaxpr.outvars]


def _jvp_recompute(jaxpr, xs, tangents, saved):
    """The tangent outputs of `jaxpr`, recomputing primal values (except the saved ones) on the
    current (staging) trace."""
    primal_env, tangent_env = {}, {}

    def read(v):
        if isinstance(v, Literal):
            return ad.literal_value(v), ad.Zero(ad.tangent_aval(v.aval))
        return primal_env[v], tangent_env[v]

    primal_env.update(zip(jaxpr.invars, xs, strict=True))
    tangent_env.update(zip(jaxpr.invars, tangents, strict=True))
    for eqn in jaxpr.eqns:
        ps, ts = zip(*(read(v) for v in eqn.invars), strict=True) if eqn.invars else ((), ())
        was_saved = bool(eqn.outvars) and eqn.outvars[0] in saved
        if all(type(t) is ad.Zero for t in ts):
            outs = None if was_saved else bind(eqn.prim, *ps, **eqn.params)
            touts = [ad.Zero(ad.tangent_aval(v.aval)) for v in eqn.outvars]
        elif eqn.prim in ad.linearize_rules:
            # Loops and calls (scan, remat, ...): split their primal recomputation from the
            # linear part, as reverse mode needs; a jvp rule would carry both in one loop.
            def call(*p, eqn=eqn):
                out = bind(eqn.prim, *p, **eqn.params)
                return (out if eqn.prim.multiple_results else [out]), []
            outs, lin, _ = ad.linearize_flat(call, list(ps))
            touts = lin.apply(list(ts))
            outs = outs if eqn.prim.multiple_results else outs[0]
        else:
            outs, touts = ad.jvp_rule(eqn.prim)(list(ps), list(ts), **eqn.params)
            touts = touts if eqn.prim.multiple_results else [touts]
        if was_saved:
            outs = [saved[v] for v in eqn.outvars]
        elif not eqn.prim.multiple_results:
            outs = [outs]
        primal_env.update(zip(eqn.outvars, outs, strict=True))
        tangent_env.update(zip(eqn.outvars, touts, strict=True))
    return [ad.instantiate(read(v)[1]) for v in jaxpr.outvars]


def _remat_linearize(trace, primals, tangents, *, jaxpr, prevent_cse, policy):
    body = jaxpr.jaxpr
    saved = {}
    with set_current_trace(trace.parent):
        outs = _eval_saving(body, primals, policy, saved)
    saved_vars = list(saved)
    res_vals = list(primals) + [saved[v] for v in saved_vars]
    nonzero = [type(t) is not ad.Zero for t in tangents]
    lin_vals = [t for t in tangents if type(t) is not ad.Zero]
    n_p, n_res = len(primals), len(res_vals)

    def tangent_body(*vals):
        lin = iter(vals[n_res:])
        ts = [next(lin) if nz else t for t, nz in zip(tangents, nonzero, strict=True)]
        return _jvp_recompute(body, vals[:n_p], ts, dict(zip(saved_vars, vals[n_p:n_res], strict=True)))

    avals = [get_aval(v) for v in res_vals] + [t.aval for t in lin_vals]
    tj, consts = hoist_consts(trace_to_jaxpr(tangent_body, avals, "remat_tangent"))
    tj, used = ad.dce_jaxpr(tj)
    # Residuals the tangent body never reads are not kept alive; linear operands always stay.
    n_nonlin = len(consts) + n_res
    keep = [u or i >= n_nonlin for i, u in enumerate(used)]
    operands = [o for o, k in zip(consts + res_vals + lin_vals, keep, strict=True) if k]
    tj = Jaxpr([], [v for v, k in zip(tj.invars, keep, strict=True) if k], tj.outvars, tj.eqns)
    with set_current_trace(trace.tangent_trace):
        t_outs = bind(P.remat_p, *operands, jaxpr=ClosedJaxpr(tj, []), prevent_cse=prevent_cse,
                      policy=policy)
    return outs, t_outs


ad.jvp_rules[P.remat_p] = _remat_jvp
ad.linearize_rules[P.remat_p] = _remat_linearize
ad.transpose_rules[P.remat_p] = call_transpose_rule(P.remat_p, "jaxpr")
ad.LINEAR_PRIMITIVES.add(P.remat_p)


def saved_residuals(fun, *args, **kwargs):
    """What reverse mode keeps from the forward pass of fun(*args): a list of (aval, source)
    pairs, as jax.ad_checkpoint.saved_residuals. Scalars are counted too."""
    flat_fun, flat_args, _ = flatten_fun_args(fun, args, kwargs)
    flat_args = [ad.as_value(a) for a in flat_args]
    _, lin, _ = ad.linearize_flat(lambda *xs: (flat_fun(*xs), []), flat_args)
    out = []
    for v, c in zip(lin.jaxpr.jaxpr.constvars, lin.jaxpr.consts, strict=True):
        idx = next((i for i, a in enumerate(flat_args) if a is c), None)
        out.append((v.aval, "from an intermediate" if idx is None else f"from argument {idx}"))
    return out
