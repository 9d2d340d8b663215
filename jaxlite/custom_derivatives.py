"""custom_jvp and custom_vjp: functions with user-supplied derivative rules, as in JAX.

Calling one dispatches on the current trace:
- eager: the function runs as it is;
- a differentiation trace (JVPTrace, LinearizeTrace) uses the user's rule directly;
- staging (make_jaxpr, jit, control-flow bodies) records one `custom_jvp_call` /
  `custom_vjp_call` equation carrying the function as a jaxpr and the rule as an opaque callable,
  so that differentiating the staged program later still finds the rule (`jvp_rules` below).

Reverse mode of a custom_vjp function: the forward pass runs `fwd` on the primal values, and the
tangent program gets one `custom_lin` equation (residuals and tangents in); its transpose calls
`bwd`. Under make_jaxpr(grad(f)) bwd is traced there, so the backward pass is still plain IR.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ClosedJaxpr

from . import ad, core, tree_util
from .array import Array
from .core import bind, get_aval, set_current_trace
from .partial_eval import hoist_consts, trace_to_jaxpr


class Rule:
    """An opaque callable carried as an equation parameter; prints as its name."""

    __slots__ = ("fn", "name")

    def __init__(self, fn, name):
        self.fn = fn
        self.name = name

    def __call__(self, *args):
        return self.fn(*args)

    def __repr__(self):
        return self.name


def _name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


def _resolve_args(fun, args, kwargs, who):
    """Keyword arguments become positional (custom rules are called positionally, as in JAX)."""
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{who} {_name(fun)}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"{who} {_name(fun)}: keyword-only arguments are not supported; "
                        f"pass them positionally")
    return bound.args


def _is_array(x):
    return isinstance(x, (Array, core.Tracer, np.ndarray, np.generic))


def _check_pair(out, who, what):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{who} must produce a pair (list or tuple of length two) {what}, "
                        f"but got {out!r}.")
    return out


def _stage_call(prim, fun, args, **params):
    """Stage `fun` as the body of one `prim` equation (closed-over values become operands)."""
    closed = trace_to_jaxpr(fun, [get_aval(a) for a in args], _name(fun))
    jaxpr, consts = hoist_consts(closed)
    return bind(prim, *consts, *args, call_jaxpr=ClosedJaxpr(jaxpr, []), num_consts=len(consts), **params)


def _overrides(trace, method):
    return getattr(type(trace), method) is not getattr(core.Trace, method)


# ---- custom_jvp ----------------------------------------------------------------------------


def custom_jvp_call(fun, jvp, args, symbolic_zeros=False):
    """Apply `fun` (flat -> flat list) whose jvp is `jvp(primals, tangents) -> (outs, t_outs)`."""
    trace = ad.effective_trace(args)
    with set_current_trace(trace):
        if isinstance(trace, core.EvalTrace):
            return fun(*args)
        if _overrides(trace, "process_custom_jvp_call"):
            return trace.process_custom_jvp_call(P.custom_jvp_call_p, fun, jvp, args, symbolic_zeros)
        return _stage_call(P.custom_jvp_call_p, fun, args, jvp=jvp, symbolic_zeros=symbolic_zeros)


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp, num_consts, symbolic_zeros):
    # Closed-over values (the leading operands) are not differentiated, as in JAX.
    args, arg_tangents = primals[num_consts:], tangents[num_consts:]
    return jvp(list(args), [ad.instantiate(t) for t in arg_tangents])


ad.jvp_rules[P.custom_jvp_call_p] = _custom_jvp_call_jvp


class custom_jvp:  # noqa: N801 - JAX's name
    """A function with a custom forward-mode rule; reverse mode comes from transposing it.

    @custom_jvp
    def f(x): ...
    @f.defjvp
    def f_jvp(primals, tangents): ... return primal_out, tangent_out
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None
        self.symbolic_zeros = False

    def defjvp(self, jvp, symbolic_zeros=False):
        self.jvp = jvp
        self.symbolic_zeros = symbolic_zeros
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument: jvps[i](g_i, primal_out, *primals) -> tangent (None: zero)."""
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def jvp(primals, tangents):
            out = self(*primals)
            t_out = tree_util.tree_map(lambda o: ad.instantiate(ad.Zero(ad.tangent_aval(get_aval(o)))), out)
            for rule, g in zip(jvps, tangents, strict=True):
                if rule is not None:
                    t_out = tree_util.tree_map(_add_any, t_out, rule(g, out, *primals))
            return out, t_out

        self.defjvp(jvp)

    def __get__(self, obj, objtype=None):  # methods: bind self like a function would
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {name} using ``defjvp``.")
        args = _resolve_args(self.fun, args, kwargs, "custom_jvp")
        nondiff = {i % len(args): args[i] for i in self.nondiff_argnums}
        dyn = [a for i, a in enumerate(args) if i not in nondiff]
        flat, in_tree = tree_util.tree_flatten(dyn)
        box = {}

        def full(dyn_args):
            it = iter(dyn_args)
            return [nondiff[i] if i in nondiff else next(it) for i in range(len(args))]

        def fun_flat(*xs):
            out = self.fun(*full(tree_util.tree_unflatten(in_tree, xs)))
            leaves, box["out_tree"] = tree_util.tree_flatten(out)
            return leaves

        def jvp_flat(primals, tangents):
            ps = tree_util.tree_unflatten(in_tree, primals)
            ts = tree_util.tree_unflatten(in_tree, tangents)
            nd = [nondiff[i] for i in sorted(nondiff)]
            out = _check_pair(self.jvp(*nd, tuple(ps), tuple(ts)), "Custom JVP rule",
                              "representing primal and tangent outputs")
            return _flatten_jvp_out(name, out, box)

        outs = custom_jvp_call(fun_flat, Rule(jvp_flat, f"{name}_jvp"), flat, self.symbolic_zeros)
        return tree_util.tree_unflatten(box["out_tree"], outs)


def _add_any(a, b):
    return ad.add_tangents(a, b) if not isinstance(b, (int, float)) or b != 0 else a


def _flatten_jvp_out(name, out, box):
    primal_out, tangent_out = out
    p_leaves, p_tree = tree_util.tree_flatten(primal_out)
    t_leaves, t_tree = tree_util.tree_flatten(tangent_out)
    if p_tree != t_tree:
        raise TypeError(
            f"Custom JVP rule {name} must produce primal and tangent outputs with equal container "
            f"(pytree) structures, but got {p_tree} and {t_tree} respectively.")
    box["out_tree"] = p_tree
    tangents = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves, strict=True)):
        p_aval = get_aval(p)
        expected = ad.tangent_aval(p_aval)
        if expected.dtype == dtypes.float0:
            tangents.append(ad.Zero(expected))  # integer outputs have no tangent
            continue
        t_aval = get_aval(t)
        if t_aval.shape != expected.shape or t_aval.dtype != expected.dtype:
            path = tree_util.keystr(tree_util.tree_flatten_with_path(primal_out)[0][i][0])
            raise TypeError(
                f"Custom JVP rule {name} must produce primal and tangent outputs with corresponding "
                f"shapes and dtypes, but at output{path} the primal has type {p_aval.str_short()} "
                f"and the tangent {t_aval.str_short()} (expected {expected.str_short()}).")
        tangents.append(t)
    return p_leaves, tangents


# ---- custom_vjp ----------------------------------------------------------------------------


def custom_vjp_call(fun, fwd, bwd, args, out_trees=None):
    """Apply `fun` with reverse-mode rule fwd(*args) -> (res, outs), bwd(res, cts) -> arg cts."""
    trace = ad.effective_trace(args)
    with set_current_trace(trace):
        if isinstance(trace, core.EvalTrace):
            return fun(*args)
        if _overrides(trace, "process_custom_vjp_call"):
            return trace.process_custom_vjp_call(P.custom_vjp_call_p, fun, fwd, bwd, args, out_trees)
        return _stage_call(P.custom_vjp_call_p, fun, args, fwd=fwd, bwd=bwd)


def linearize_custom_vjp(fwd, bwd, primals, tangents):
    """Run fwd on the primals and stand a `custom_lin` equation in for the tangent map. Called
    with the current trace set to where tangent ops are staged. Only non-zero tangents of
    inexact inputs are operands (`lin_mask` says which inputs they belong to)."""
    res, outs = fwd(*primals)
    lin_mask = tuple(dtypes.is_inexact(get_aval(p).dtype) and type(t) is not ad.Zero
                     for p, t in zip(primals, tangents, strict=True))
    out_mask = [dtypes.is_inexact(get_aval(o).dtype) for o in outs]
    out_avals = tuple(ad.tangent_aval(get_aval(o)) for o, m in zip(outs, out_mask, strict=True) if m)
    lin = [t for t, m in zip(tangents, lin_mask, strict=True) if m]
    t_lin = iter(bind(P.custom_lin_p, *res, *lin, num_res=len(res), bwd=bwd, out_avals=out_avals,
                      lin_mask=lin_mask, out_mask=tuple(out_mask)) if out_avals and lin else [])
    t_outs = [next(t_lin) if m and lin else ad.Zero(ad.tangent_aval(get_aval(o)))
              for o, m in zip(outs, out_mask, strict=True)]
    return outs, t_outs


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd, bwd, num_consts):
    return linearize_custom_vjp(fwd, bwd, primals[num_consts:], tangents[num_consts:])


def _custom_lin_jvp(primals, tangents, **params):
    raise TypeError(ad.FORWARD_UNSUPPORTED[P.custom_vjp_call_p])


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals, lin_mask, out_mask):
    res = args[:num_res]
    it = iter(ad.instantiate(ct) for ct in cts)
    # bwd sees a cotangent for every output: float0 zeros for the integer ones, as in JAX
    cts = [next(it) if m else None for m in out_mask]
    cts_in = bwd(list(res), cts)  # one per primal input, Zero for none
    lin_cts = [ct for ct, m in zip(cts_in, lin_mask, strict=True) if m]
    return [None] * num_res + lin_cts


_NO_FORWARD = ("can't apply forward-mode autodiff (jvp) to a custom_vjp function: it only has a "
               "reverse-mode rule. Use grad/vjp, or define the function with custom_jvp.")
ad.FORWARD_UNSUPPORTED[P.custom_vjp_call_p] = _NO_FORWARD
ad.FORWARD_UNSUPPORTED[P.custom_lin_p] = _NO_FORWARD
ad.jvp_rules[P.custom_vjp_call_p] = _custom_vjp_call_jvp
ad.jvp_rules[P.custom_lin_p] = _custom_lin_jvp
ad.transpose_rules[P.custom_lin_p] = _custom_lin_transpose
ad.LINEAR_PRIMITIVES.add(P.custom_lin_p)


class custom_vjp:  # noqa: N801 - JAX's name
    """A function with a custom reverse-mode rule.

    @custom_vjp
    def f(x): ...
    def f_fwd(x): return f(x), residuals
    def f_bwd(residuals, g): return (cotangent of x,)
    f.defvjp(f_fwd, f_bwd)
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros=False, optimize_remat=False):
        self.fwd, self.bwd = fwd, bwd
        return fwd, bwd

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {name} using ``defvjp``.")
        args = _resolve_args(self.fun, args, kwargs, "custom_vjp")
        nondiff = {i % len(args): args[i] for i in self.nondiff_argnums}
        for i, a in nondiff.items():
            if any(_is_array(leaf) for leaf in tree_util.tree_leaves(a)):
                raise TypeError(
                    f"custom_vjp function {name}: argument {i} is in nondiff_argnums but is an "
                    f"array ({get_aval(tree_util.tree_leaves(a)[0]).str_short()}). nondiff_argnums "
                    f"is for non-array values (functions, Python ints, configuration); pass arrays "
                    f"as ordinary arguments and return None as their cotangent from the bwd rule.")
        dyn = [a for i, a in enumerate(args) if i not in nondiff]
        flat, in_tree = tree_util.tree_flatten(tuple(dyn))
        nd = [nondiff[i] for i in sorted(nondiff)]
        box = {}

        def full(dyn_args):
            it = iter(dyn_args)
            return [nondiff[i] if i in nondiff else next(it) for i in range(len(args))]

        def fun_flat(*xs):
            out = self.fun(*full(tree_util.tree_unflatten(in_tree, xs)))
            leaves, box["out_tree"] = tree_util.tree_flatten(out)
            return leaves

        def fwd_flat(*xs):
            pair = _check_pair(self.fwd(*full(tree_util.tree_unflatten(in_tree, xs))),
                               f"Custom VJP fwd rule {_name(self.fwd)}", "of primal outputs and residuals")
            out, res = pair
            leaves, box["out_tree"] = tree_util.tree_flatten(out)
            box["out_avals"] = [get_aval(o) for o in leaves]
            res_leaves, box["res_tree"] = tree_util.tree_flatten(res)
            return res_leaves, leaves

        arg_avals = tree_util.tree_unflatten(in_tree, [get_aval(x) for x in flat])

        def bwd_flat(res, cts):
            r = tree_util.tree_unflatten(box["res_tree"], res)
            cts = [np.zeros(a.shape, dtypes.float0) if c is None else c
                   for c, a in zip(cts, box["out_avals"], strict=True)]
            g = tree_util.tree_unflatten(box["out_tree"], cts)
            out = self.bwd(*nd, r, g)
            return _flatten_bwd_out(_name(self.bwd), out, arg_avals)

        outs = custom_vjp_call(fun_flat, fwd_flat, Rule(bwd_flat, f"{name}_bwd"), flat)
        return tree_util.tree_unflatten(box["out_tree"], outs)


def _flatten_bwd_out(name, out, arg_avals):
    if not isinstance(out, (tuple, list)) or len(out) != len(arg_avals):
        raise TypeError(
            f"Custom VJP bwd rule {name} must produce a tuple of length equal to the number of "
            f"(non-nondiff) arguments of the primal function ({len(arg_avals)}), but got {out!r}.")
    try:
        cts = tree_util.broadcast_prefix(tuple(out), arg_avals)
    except ValueError as e:
        raise TypeError(f"Custom VJP bwd rule {name} must produce an output with the same "
                        f"container (pytree) structure as the args tuple of the primal function. "
                        f"{e}") from None
    paths = tree_util.tree_flatten_with_path(arg_avals)[0]
    result = []
    for (path, x_aval), ct in zip(paths, cts, strict=True):
        aval = ad.tangent_aval(x_aval)
        if ct is None or aval.dtype == dtypes.float0:
            result.append(ad.Zero(aval))
            continue
        ct_aval = get_aval(ct)
        if ct_aval.weak_type and ct_aval.shape == aval.shape and ct_aval.dtype != aval.dtype:
            from . import lax  # a Python scalar cotangent takes the argument's dtype

            ct, ct_aval = lax.convert_element_type(ct, aval.dtype), aval
        if ct_aval.shape != aval.shape or ct_aval.dtype != aval.dtype:
            raise ValueError(
                f"Custom VJP bwd rule {name} must produce an output with the same shape/dtypes as "
                f"the args tuple of the primal function, but at output{tree_util.keystr(path)} it "
                f"produced {ct_aval.str_short()} for an argument of type {aval.str_short()}.")
        result.append(ct)
    return result
