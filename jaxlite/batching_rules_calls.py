"""Batching rules for primitives that carry a sub-program (jit, remat, custom_jvp/vjp calls).

A call is batched by batching its body once (`batching.batch_jaxpr`, cached) and calling the
batched body: the call stays one call, and its body is one batched program. Constants the
batched body needs (a mask, an index array) are hoisted into leading operands, since call
bodies carry no consts.
"""

from __future__ import annotations

from compiler import primitives as P
from compiler.ir import ClosedJaxpr

from . import core
from .batching import BatchTrace, batch_jaxpr, batch_rules, bdim_to, extend_axis_env, moveaxis
from .core import bind
from .partial_eval import hoist_consts


def batch_body(axis_data, vals, dims, body: ClosedJaxpr, instantiate=False):
    """(batched body with no consts, its hoisted consts, operands with batch at 0, out flags)."""
    vals = [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims, strict=False)]
    in_batched = [d is not None for d in dims]
    batched, out_batched = batch_jaxpr(body, axis_data, in_batched, instantiate)
    jaxpr, consts = hoist_consts(batched)
    return ClosedJaxpr(jaxpr, []), consts, vals, out_batched


def jit_batch(axis_data, vals, dims, *, jaxpr, **params):
    body, consts, vals, out_batched = batch_body(axis_data, vals, dims, jaxpr)
    outs = bind(P.jit_p, *consts, *vals, jaxpr=body, **params)
    return outs, [0 if b else None for b in out_batched]


def remat_batch(axis_data, vals, dims, *, jaxpr, **params):
    body, consts, vals, out_batched = batch_body(axis_data, vals, dims, jaxpr)
    outs = bind(P.remat_p, *consts, *vals, jaxpr=body, **params)
    return outs, [0 if b else None for b in out_batched]


def stop_gradient_batch(axis_data, vals, dims):
    return bind(P.stop_gradient_p, vals[0]), dims[0]


batch_rules.update({
    P.jit_p: jit_batch,
    P.remat_p: remat_batch,
    P.stop_gradient_p: stop_gradient_batch,
})


# ---- Functions with custom derivatives ----------------------------------------------------------
# The user's rules are Python callables written for one example. Batched, each runs under a fresh
# BatchTrace whose inputs carry the batch where the operands do; every output (primal, tangent,
# residual, cotangent) comes back batched at axis 0, so the rules agree on where the batch is.


def _run_batched(axis_data, fn, args, dims):
    """Run fn(*args) for one example, args batched at `dims`: returns (trace, outputs)."""
    parent = core.current_trace()
    trace = BatchTrace(parent, axis_data)
    wrapped = [_wrap_arg(trace, a, d) for a, d in zip(args, dims, strict=False)]
    with core.set_current_trace(trace), extend_axis_env(axis_data):
        out = fn(*wrapped)
    return trace, out


def _wrap_arg(trace, x, d):
    from .ad import Zero, tangent_aval

    if type(x) is Zero:  # a symbolic zero keeps its per-example type
        shape = x.aval.shape if d is None else x.aval.shape[:d] + x.aval.shape[d + 1:]
        return Zero(tangent_aval(x.aval.update(shape=shape)))
    return None if x is None else trace.wrap(x, d)


def _batched_at_0(trace, x, size):
    from .ad import Zero

    if x is None:
        return None
    if type(x) is Zero:
        return Zero(x.aval.update(shape=(size,) + x.aval.shape))
    v, d = trace.unpack(x)
    return bdim_to(v, d, size, 0)


def _rule(fn, name):
    from .custom_derivatives import Rule

    return Rule(fn, name)


def batched_jvp_rule(axis_data, jvp, dims):
    size = axis_data.size

    def jvp_batched(primals, tangents):
        def call(*xs):
            n = len(primals)
            return jvp(list(xs[:n]), list(xs[n:]))

        trace, (outs, t_outs) = _run_batched(axis_data, call, list(primals) + list(tangents), dims + dims)
        return ([_batched_at_0(trace, o, size) for o in outs],
                [_batched_at_0(trace, t, size) for t in t_outs])

    return _rule(jvp_batched, f"{jvp!r}_batched")


def batched_fun(axis_data, fun, dims):
    def fun_batched(*xs):
        trace, outs = _run_batched(axis_data, fun, xs, dims)
        return [_batched_at_0(trace, o, axis_data.size) for o in outs]

    return fun_batched


def batched_fwd_bwd(axis_data, fwd, bwd, dims):
    size = axis_data.size

    def fwd_batched(*xs):
        trace, (res, outs) = _run_batched(axis_data, fwd, xs, dims)
        return [_batched_at_0(trace, r, size) for r in res], [_batched_at_0(trace, o, size) for o in outs]

    def bwd_batched(res, cts):
        n = len(res)
        trace, cts_in = _run_batched(axis_data, lambda *a: bwd(list(a[:n]), list(a[n:])),
                                     list(res) + list(cts), [0] * (n + len(cts)))
        return [_ct_for_operand(trace, ct, d, size) for ct, d in zip(cts_in, dims, strict=False)]

    return fwd_batched, _rule(bwd_batched, f"{bwd!r}_batched")


def _ct_for_operand(trace, ct, d, size):
    """The cotangent of an operand batched at d (None: shared by all examples, so summed)."""
    from .ad import Zero
    from .lax import elementwise as E
    from .lax import structural as S

    if ct is None:
        return None
    if type(ct) is Zero:
        shape = ct.aval.shape
        return ct if d is None else Zero(ct.aval.update(shape=shape[:d] + (size,) + shape[d:]))
    v, vd = trace.unpack(ct)
    if d is not None:
        return bdim_to(v, vd, size, d)
    return E.mul(v, size) if vd is None else S.reduce_sum(v, (vd,))


def process_custom_jvp_call(trace, fun, jvp, args, symbolic_zeros):
    from .custom_derivatives import custom_jvp_call

    vals, dims = zip(*(trace.unpack(a) for a in args), strict=False) if args else ((), ())
    dims = list(dims)
    with core.set_current_trace(trace.parent):
        if all(d is None for d in dims):
            return custom_jvp_call(fun, jvp, list(vals), symbolic_zeros)
        outs = custom_jvp_call(batched_fun(trace.axis_data, fun, dims),
                               batched_jvp_rule(trace.axis_data, jvp, dims), list(vals), symbolic_zeros)
    return [trace.wrap(o, 0) for o in outs]


def process_custom_vjp_call(trace, fun, fwd, bwd, args, out_trees):
    from .custom_derivatives import custom_vjp_call

    vals, dims = zip(*(trace.unpack(a) for a in args), strict=False) if args else ((), ())
    dims = list(dims)
    with core.set_current_trace(trace.parent):
        if all(d is None for d in dims):
            return custom_vjp_call(fun, fwd, bwd, list(vals), out_trees)
        fwd_b, bwd_b = batched_fwd_bwd(trace.axis_data, fwd, bwd, dims)
        outs = custom_vjp_call(batched_fun(trace.axis_data, fun, dims), fwd_b, bwd_b, list(vals), out_trees)
    return [trace.wrap(o, 0) for o in outs]


def custom_jvp_call_batch(axis_data, vals, dims, *, call_jaxpr, jvp, num_consts, symbolic_zeros):
    body, consts, vals, _ = batch_body(axis_data, vals, dims, call_jaxpr, instantiate=True)
    arg_dims = [0 if d is not None else None for d in dims[num_consts:]]
    outs = bind(P.custom_jvp_call_p, *consts, *vals, call_jaxpr=body,
                jvp=batched_jvp_rule(axis_data, jvp, arg_dims), num_consts=len(consts) + num_consts,
                symbolic_zeros=symbolic_zeros)
    return outs, [0] * len(outs)


def custom_vjp_call_batch(axis_data, vals, dims, *, call_jaxpr, fwd, bwd, num_consts, **params):
    body, consts, vals, _ = batch_body(axis_data, vals, dims, call_jaxpr, instantiate=True)
    arg_dims = [0 if d is not None else None for d in dims[num_consts:]]
    fwd_b, bwd_b = batched_fwd_bwd(axis_data, fwd, bwd, arg_dims)
    outs = bind(P.custom_vjp_call_p, *consts, *vals, call_jaxpr=body, fwd=fwd_b, bwd=bwd_b,
                num_consts=len(consts) + num_consts, **params)
    return outs, [0] * len(outs)


def custom_lin_batch(axis_data, vals, dims, *, num_res, bwd, out_avals, lin_mask, out_mask):
    # Every operand is made batched, so the batched bwd returns batched cotangents for all.
    size = axis_data.size
    vals = [bdim_to(v, d, size, 0) for v, d in zip(vals, dims, strict=False)]
    n_primals = len(lin_mask)
    _, bwd_b = batched_fwd_bwd(axis_data, None, bwd, [0] * n_primals)
    out_avals = tuple(a.update(shape=(size,) + a.shape) for a in out_avals)
    outs = bind(P.custom_lin_p, *vals, num_res=num_res, bwd=bwd_b, out_avals=out_avals,
                lin_mask=lin_mask, out_mask=out_mask)
    return outs, [0] * len(outs)


batch_rules.update({
    P.custom_jvp_call_p: custom_jvp_call_batch,
    P.custom_vjp_call_p: custom_vjp_call_batch,
    P.custom_lin_p: custom_lin_batch,
})
