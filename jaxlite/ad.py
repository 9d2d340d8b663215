"""Automatic differentiation: forward mode by rule, reverse mode as linearize + transpose.

Forward mode: a JVPTrace carries (primal, tangent) pairs and applies `jvp_rules[prim]`, whose ops
run on the parent trace. Tangents known to be zero are `Zero(aval)`, never materialised until a
rule needs a value (`instantiate`).

Reverse mode reuses the jvp rules; there is no second set of derivatives:
- linearize is partial evaluation of the jvp. LinearizeTrace runs each jvp rule with the current
  trace set to a TangentTrace: a staging trace that records only the ops that touch one of its
  own tracers (a tangent) and runs every other op -- the primal computation -- on the parent.
  The recorded program is linear in the input tangents; the parent values it reads are its
  constvars, the residuals.
- transposition: `backward_pass` walks that program in reverse with `transpose_rules`, binding the
  transposed ops on the current trace. So the backward pass is IR under make_jaxpr / jit, and it
  can be differentiated again (grad of grad), because it is made of ordinary primitives.

The rule tables (filled in ad_rules*.py, custom_derivatives.py, checkpoint.py):
  jvp_rules[p](primals, tangents, **params) -> (primal out, tangent out)  (lists if multiple)
  transpose_rules[p](ct, *args, **params) -> one cotangent (or None) per arg; linear args are
      UndefinedPrimal(aval), the others are values (residuals)
  linearize_rules[p](trace, primals, tangents, **params): reverse mode of call primitives whose
      residuals are not "whatever the jvp rule used" (remat)
  NON_DIFFERENTIABLE[p] = reason: outputs get zero tangents (float0 for integer/bool outputs)
  FORWARD_UNSUPPORTED[p] = message: no forward mode (custom_vjp)
"""

from __future__ import annotations

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Literal, ShapedArray, Var
from compiler.passes.util import is_effectful

from . import core
from .array import Array, wrap
from .core import Tracer, bind, set_current_trace
from .partial_eval import DynamicJaxprTrace, DynamicJaxprTracer, eval_jaxpr, literal_value  # noqa: F401

jvp_rules: dict = {}
transpose_rules: dict = {}
linearize_rules: dict = {}
NON_DIFFERENTIABLE: dict = {}
FORWARD_UNSUPPORTED: dict = {}
LINEAR_PRIMITIVES: set = set()  # linear in (some of) their operands: need a transpose rule

# ---- Zeros and tangent types --------------------------------------------------------------------


class Zero:
    """A tangent or cotangent known to be zero; `aval` is its (tangent) type."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def tangent_aval(aval) -> ShapedArray:
    """Tangents of inexact values have the value's type; of integers and bools, float0."""
    if dtypes.is_inexact(aval.dtype):
        return aval
    return ShapedArray(aval.shape, dtypes.float0)


def zeros_like_aval(aval):
    if aval.dtype == dtypes.float0:
        return np.zeros(aval.shape, dtypes.float0)
    zero = np.zeros((), aval.dtype)
    params = dict(shape=aval.shape, broadcast_dimensions=())
    trace = core.current_trace()
    if isinstance(trace, TangentTrace):  # a zero tangent belongs in the tangent program, not a residual
        return trace.stage(P.broadcast_in_dim_p, [zero], params)
    if not aval.shape:
        return wrap(zero, aval.weak_type)
    return bind(P.broadcast_in_dim_p, wrap(zero, aval.weak_type), **params)


def as_value(x):
    """A differentiable argument as a jaxlite value (Python and NumPy values become Arrays)."""
    if isinstance(x, (Tracer, Array)):
        return x
    return wrap(*core.canonical_value(x))


def instantiate(t):
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def add_tangents(a, b):
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return bind(P.add_p, a, b)


def concrete_value(x):
    if isinstance(x, Tracer):
        return x.to_concrete_value()
    if type(x) is Array:
        return x._value
    return np.asarray(x)


# ---- Forward mode -------------------------------------------------------------------------------


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return core.get_aval(self.primal)

    def to_concrete_value(self):
        # Python control flow on concrete values works under grad/jvp, as in JAX.
        return concrete_value(self.primal)


class LinearizeTracer(JVPTracer):
    __slots__ = ()


def no_rule_error(prim):
    return NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented")


def jvp_rule(prim):
    rule = jvp_rules.get(prim)
    if rule is not None:
        return rule
    if prim in NON_DIFFERENTIABLE:
        return _zero_tangents_rule(prim)
    raise no_rule_error(prim)


def _zero_tangents_rule(prim):
    def rule(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(core.get_aval(o))) for o in out]
        return out, Zero(tangent_aval(core.get_aval(out)))

    return rule


class _ADTrace(core.Trace):
    tracer_type = JVPTracer

    def split(self, x):
        if isinstance(x, self.tracer_type) and x._trace is self:
            return x.primal, x.tangent
        return x, Zero(tangent_aval(core.get_aval(x)))

    def primal_of(self, x):
        """x without this trace's tangent (any other value, even a non-array, as it is)."""
        return x.primal if isinstance(x, self.tracer_type) and x._trace is self else x

    def lift(self, primal, tangent):
        return primal if type(tangent) is Zero else self.tracer_type(self, primal, tangent)

    def _split_all(self, args):
        pairs = [self.split(a) for a in args]
        return [p for p, _ in pairs], [t for _, t in pairs]

    def _wrap(self, prim, out, t_out):
        if prim.multiple_results:
            return [self.lift(o, t) for o, t in zip(out, t_out, strict=True)]
        return self.lift(out, t_out)

    def rule_trace(self):
        """The trace jvp rules run on: the parent (forward) or the tangent trace (linearize)."""
        raise NotImplementedError

    def process_primitive(self, prim, args, params):
        primals, tangents = self._split_all(args)
        if all(type(t) is Zero for t in tangents):
            with set_current_trace(self.parent):
                return bind(prim, *primals, **params)
        out, t_out = self._apply_rule(prim, primals, tangents, params)
        return self._wrap(prim, out, t_out)

    def _apply_rule(self, prim, primals, tangents, params):
        rule = jvp_rule(prim)
        with set_current_trace(self.rule_trace()):
            return rule(primals, tangents, **params)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros):
        primals, tangents = self._split_all(args)
        if all(type(t) is Zero for t in tangents):
            from .custom_derivatives import custom_jvp_call

            with set_current_trace(self.parent):
                return custom_jvp_call(fun, jvp, primals, symbolic_zeros)
        with set_current_trace(self.rule_trace()):
            outs, t_outs = jvp(primals, [instantiate(t) for t in tangents])
        return [self.lift(o, t) for o, t in zip(outs, t_outs, strict=True)]

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        primals, tangents = self._split_all(args)
        from .custom_derivatives import custom_vjp_call, linearize_custom_vjp

        if all(type(t) is Zero for t in tangents):
            with set_current_trace(self.parent):
                return custom_vjp_call(fun, fwd, bwd, primals, out_trees)
        if type(self) is JVPTrace and not self.feeds_linearize():
            raise TypeError(FORWARD_UNSUPPORTED[P.custom_vjp_call_p])
        with set_current_trace(self.rule_trace()):
            outs, t_outs = linearize_custom_vjp(fwd, bwd, primals, tangents)
        return [self.lift(o, t) for o, t in zip(outs, t_outs, strict=True)]


class JVPTrace(_ADTrace):
    tracer_type = JVPTracer

    def __init__(self, parent=None):
        self.parent = parent if parent is not None else core.current_trace()

    def rule_trace(self):
        return self.parent

    def feeds_linearize(self):
        """A jvp run inside a linearization (a rule inlining a call body) stages its tangent ops
        into a tangent program that will be transposed: reverse-only rules are fine there."""
        return isinstance(self.parent, TangentTrace)

    def _apply_rule(self, prim, primals, tangents, params):
        if prim in FORWARD_UNSUPPORTED and not self.feeds_linearize():
            raise TypeError(FORWARD_UNSUPPORTED[prim])
        return super()._apply_rule(prim, primals, tangents, params)

    def __repr__(self):
        return "JVPTrace"


# ---- Linearize: the jvp, partially evaluated -----------------------------------------------------


class TangentTrace(DynamicJaxprTrace):
    """Stages ops on its own tracers (tangents); runs all others on the parent (they are known)."""

    def owns(self, x):
        return isinstance(x, DynamicJaxprTracer) and x._trace is self

    def process_primitive(self, prim, args, params):
        if not any(self.owns(a) for a in args):
            with set_current_trace(self.parent):
                return bind(prim, *args, **params)
        return DynamicJaxprTrace.process_primitive(self, prim, args, params)

    def stage(self, prim, args, params):
        return DynamicJaxprTrace.process_primitive(self, prim, args, params)

    def to_atom(self, x, what="operand"):
        # Computed values (Arrays, scalars included) are residuals: constvars holding the Array
        # itself, so they can be counted and are not baked in; Python/NumPy scalars stay literals.
        if type(x) is Array:
            var = self._const_ids.get(id(x))
            if var is None:
                var = Var(x.aval)
                self._const_ids[id(x)] = var
                self._keep_alive.append(x)
                self.constvars.append(var)
                self.constvals.append(x)
            return var
        return DynamicJaxprTrace.to_atom(self, x, what)

    def __repr__(self):
        return "TangentTrace"


def effective_trace(args):
    """The trace that should handle `args`: a tangent trace defers what it does not own."""
    trace = core.current_trace()
    while isinstance(trace, TangentTrace) and not any(trace.owns(a) for a in args):
        trace = trace.parent
    return trace


class LinearizeTrace(_ADTrace):
    tracer_type = LinearizeTracer

    def __init__(self, parent, tangent_trace):
        self.parent = parent
        self.tangent_trace = tangent_trace

    def rule_trace(self):
        return self.tangent_trace

    def _apply_rule(self, prim, primals, tangents, params):
        special = linearize_rules.get(prim)
        if special is not None:
            return special(self, primals, tangents, **params)
        return super()._apply_rule(prim, primals, tangents, params)

    def __repr__(self):
        return "LinearizeTrace"


class LinearFunction:
    """A linear map held as IR: `jaxpr` (residuals as consts) maps input tangents to the
    structurally non-zero output tangents (`out_nonzero`)."""

    def __init__(self, jaxpr: ClosedJaxpr, in_avals, out_avals, out_nonzero):
        self.jaxpr = jaxpr
        self.in_avals = list(in_avals)
        self.out_avals = list(out_avals)
        self.out_nonzero = list(out_nonzero)

    @property
    def residuals(self):
        return list(self.jaxpr.consts)

    def apply(self, tangents):
        """Forward: input tangents (values or Zero) -> output tangents (Zero where structural)."""
        args = [instantiate(t) for t in tangents]
        outs = iter(eval_jaxpr(self.jaxpr.jaxpr, self.jaxpr.consts, *args))
        return [next(outs) if nz else Zero(a) for nz, a in zip(self.out_nonzero, self.out_avals, strict=True)]

    def transpose(self, cts):
        """Reverse: output cotangents (values or Zero) -> input cotangents (values or Zero)."""
        cts = [ct for ct, nz in zip(cts, self.out_nonzero, strict=True) if nz]
        args = [UndefinedPrimal(a) for a in self.in_avals]
        return backward_pass(self.jaxpr.jaxpr, self.jaxpr.consts, args, cts)


def linearize_flat(fun, primals):
    """Run `fun(*primals) -> (outs, aux)` (flat lists) once, splitting off its linear part.

    Returns (primal outs, LinearFunction, aux) where aux values are stripped of tangents.
    """
    parent = core.current_trace()
    tangent_trace = TangentTrace(parent)
    trace = LinearizeTrace(parent, tangent_trace)
    in_avals = [tangent_aval(core.get_aval(p)) for p in primals]
    tracers = []
    for p, a in zip(primals, in_avals, strict=True):
        t = tangent_trace.new_arg(a)  # every input gets an invar, float0 ones stay unused
        tracers.append(trace.lift(p, t if a.dtype != dtypes.float0 else Zero(a)))
    with set_current_trace(trace):
        outs, aux = fun(*tracers)
        pairs = [trace.split(o) for o in outs]
        aux = [trace.primal_of(a) for a in aux]
        out_tangents = [t for _, t in pairs]
        staged = [t for t in out_tangents if type(t) is not Zero]
    out_primals = [p for p, _ in pairs]
    closed = dce_closed(tangent_trace.to_closed_jaxpr(staged))
    out_avals = [tangent_aval(core.get_aval(p)) for p in out_primals]
    lin = LinearFunction(closed, in_avals, out_avals, [type(t) is not Zero for t in out_tangents])
    return out_primals, lin, aux


def jvp_flat(fun, primals, tangents, has_aux=False):
    """Forward mode on flat lists, tangents may be Zero: returns (outs, out tangents or Zero),
    and the aux values (tangents stripped) when `fun` returns (outs, aux) with has_aux."""
    trace = JVPTrace(core.current_trace())
    tracers = [trace.lift(p, t) for p, t in zip(primals, tangents, strict=True)]
    with set_current_trace(trace):
        outs = fun(*tracers)
        outs, aux = outs if has_aux else (outs, [])
        pairs = [trace.split(o) for o in outs]
        aux = [trace.primal_of(a) for a in aux]
    outs, t_outs = [p for p, _ in pairs], [t for _, t in pairs]
    return (outs, t_outs, aux) if has_aux else (outs, t_outs)


# ---- IR helpers: evaluation by bind, dead-code elimination ---------------------------------------


def dce_jaxpr(jaxpr: Jaxpr):
    """Drop equations whose outputs are unused, unless they have an effect (a debug print).
    Returns (jaxpr, used): used[i] says whether invar i is still read."""
    live = {v for v in jaxpr.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or is_effectful(eqn):
            kept.append(eqn)
            live.update(v for v in eqn.invars if isinstance(v, Var))
    kept.reverse()
    used_consts = [v for v in jaxpr.constvars if v in live]
    new = Jaxpr(used_consts, list(jaxpr.invars), list(jaxpr.outvars), kept)
    return new, [v in live for v in jaxpr.invars]


def dce_closed(closed: ClosedJaxpr) -> ClosedJaxpr:
    """DCE, also dropping unused constvars (residuals nobody reads)."""
    j = closed.jaxpr
    new, _ = dce_jaxpr(j)
    keep = set(new.constvars)
    consts = [c for v, c in zip(j.constvars, closed.consts, strict=True) if v in keep]
    return ClosedJaxpr(new, consts)


# ---- Transposition -----------------------------------------------------------------------------


class UndefinedPrimal:
    """A linear operand in transposition: its value is unknown, its cotangent is wanted."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x):
    return type(x) is UndefinedPrimal


def backward_pass(jaxpr: Jaxpr, consts, args, cts_out):
    """Transpose `jaxpr`, which is linear in the args given as UndefinedPrimal.

    Equations that read no linear variable compute residuals (under a remat: the recomputation);
    they run forward when a transpose rule first reads their value. Returns one cotangent per
    invar: a value or Zero for linear ones, None for the others.
    """
    primal_env, ct_env, linear = {}, {}, set()
    nonlinear_eqn = {}  # residual computations, run only if a transpose rule reads them

    def read_primal(v):
        if isinstance(v, Literal):
            return literal_value(v)
        if v not in primal_env:
            eqn = nonlinear_eqn[v]
            out = bind(eqn.prim, *(read_primal(u) for u in eqn.invars), **eqn.params)
            primal_env.update(zip(eqn.outvars, out if eqn.prim.multiple_results else [out], strict=True))
        return primal_env[v]

    def is_linear(v):
        return isinstance(v, Var) and v in linear

    def write_ct(v, ct):
        if ct is None or type(ct) is Zero or not is_linear(v):
            return
        if tuple(np.shape(ct)) != v.aval.shape:
            raise TypeError(f"internal error: cotangent of shape {np.shape(ct)} for a variable "
                            f"of type {v.aval.str_short()}")
        ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    primal_env.update(zip(jaxpr.constvars, consts, strict=True))
    for v, a in zip(jaxpr.invars, args, strict=True):
        if is_undefined(a):
            linear.add(v)
        else:
            primal_env[v] = a
    linear_eqns = []
    for eqn in jaxpr.eqns:
        if any(is_linear(v) for v in eqn.invars):
            linear.update(eqn.outvars)
            linear_eqns.append(eqn)
        elif is_effectful(eqn):  # a debug print in a recomputation runs, in order (as JAX)
            out = bind(eqn.prim, *(read_primal(u) for u in eqn.invars), **eqn.params)
            primal_env.update(zip(eqn.outvars, out if eqn.prim.multiple_results else [out], strict=True))
        else:
            nonlinear_eqn.update((v, eqn) for v in eqn.outvars)
    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        write_ct(v, ct)
    for eqn in reversed(linear_eqns):
        cts = [ct_env.pop(v) if v in ct_env else Zero(v.aval) for v in eqn.outvars]
        if all(type(c) is Zero for c in cts):
            continue
        invals = [UndefinedPrimal(v.aval) if is_linear(v) else read_primal(v) for v in eqn.invars]
        rule = transpose_rules.get(eqn.prim)
        if rule is None:
            raise NotImplementedError(f"Transpose rule (for reverse-mode differentiation) for "
                                      f"'{eqn.prim.name}' not implemented")
        cts_in = rule(cts if eqn.prim.multiple_results else cts[0], *invals, **eqn.params)
        for v, ct in zip(eqn.invars, cts_in, strict=True):
            write_ct(v, ct)
    return [(ct_env.get(v, Zero(v.aval)) if v in linear else None) for v in jaxpr.invars]


# ---- Rule constructors (most rules are one line with these) -------------------------------------


def _broadcast_like(g, ans):
    """Rank-0 operands of elementwise primitives broadcast: so must their tangents."""
    shape = tuple(np.shape(ans))
    if np.ndim(g) == 0 and shape:
        return bind(P.broadcast_in_dim_p, g, shape=shape, broadcast_dimensions=())
    return g


def defjvp(prim, *jvp_fns):
    """jvp_fns[i](g, ans, *primals, **params): the tangent contributed by operand i (None: none)."""
    elementwise = prim.group == P.ELEMENTWISE

    def rule(primals, tangents, **params):
        ans = bind(prim, *primals, **params)
        t_out = Zero(tangent_aval(core.get_aval(ans)))
        for fn, g in zip(jvp_fns, tangents, strict=True):
            if fn is None or type(g) is Zero:
                continue
            if elementwise:
                g = _broadcast_like(g, ans)
            t_out = add_tangents(t_out, fn(g, ans, *primals, **params))
        return ans, t_out

    jvp_rules[prim] = rule


def defjvp_zero(prim, reason):
    NON_DIFFERENTIABLE[prim] = reason


def deflinear(prim, transpose_rule, linear_args=None):
    """A primitive linear in `linear_args` (default: all operands): its jvp applies it to the
    tangents (the other operands keep their primal values)."""

    def rule(primals, tangents, **params):
        ans = bind(prim, *primals, **params)
        idx = range(len(primals)) if linear_args is None else linear_args
        if all(type(tangents[i]) is Zero for i in idx):
            return ans, Zero(tangent_aval(core.get_aval(ans)))
        args = [instantiate(tangents[i]) if i in idx else p for i, p in enumerate(primals)]
        return ans, bind(prim, *args, **params)

    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose_rule
    LINEAR_PRIMITIVES.add(prim)


def defbilinear(prim, lhs_transpose, rhs_transpose):
    """prim(x, y) linear in each operand: jvp prim(tx, y) + prim(x, ty); transposes per side."""

    def rule(primals, tangents, **params):
        x, y = primals
        tx, ty = tangents
        ans = bind(prim, x, y, **params)
        t = Zero(tangent_aval(core.get_aval(ans)))
        if type(tx) is not Zero:
            t = add_tangents(t, bind(prim, _elementwise_bcast(prim, tx, ans), y, **params))
        if type(ty) is not Zero:
            t = add_tangents(t, bind(prim, x, _elementwise_bcast(prim, ty, ans), **params))
        return ans, t

    def transpose(ct, x, y, **params):
        if is_undefined(x):
            return [lhs_transpose(ct, x, y, **params), None]
        return [None, rhs_transpose(ct, x, y, **params)]

    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose
    LINEAR_PRIMITIVES.add(prim)


def _elementwise_bcast(prim, g, ans):
    return _broadcast_like(g, ans) if prim.group == P.ELEMENTWISE else g


# Rules register themselves on import; they need the names above.
from . import (  # noqa: E402,F401,I001
    ad_calls, ad_rules, ad_rules_linalg, ad_rules_structural, checkpoint, custom_derivatives,
)
from . import ad_rules_conv  # noqa: E402,F401

_API = ("grad", "hessian", "jacfwd", "jacobian", "jacrev", "jvp", "linearize", "value_and_grad", "vjp")


def __getattr__(name):  # the user API lives in ad_api.py (which imports this module)
    if name in _API:
        from . import ad_api

        return getattr(ad_api, name)
    raise AttributeError(f"module 'jaxlite.ad' has no attribute {name!r}")
