"""Staging Python functions into Jaxprs: the tracing behind make_jaxpr, jit and control flow."""

from __future__ import annotations

import functools

import numpy as np

from compiler.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, ShapedArray, Var
from compiler.primitives import shape_rules
from compiler.typecheck import check_jaxpr

from . import core, tree_util
from .array import wrap
from .core import Tracer


class DynamicJaxprTracer(Tracer):
    __slots__ = ("_var",)

    def __init__(self, trace, var):
        self._trace = trace
        self._var = var

    @property
    def aval(self):
        return self._var.aval


class DynamicJaxprTrace(core.Trace):
    """Records every primitive applied to its tracers as an equation."""

    def __init__(self, parent=None):
        self.parent = parent if parent is not None else core.current_trace()
        self.eqns = []
        self.invars = []
        self.constvars = []
        self.constvals = []
        self._const_ids = {}  # id(value) -> Var: each captured constant becomes one constvar
        self._keep_alive = []
        self.finished = False

    def new_arg(self, aval) -> DynamicJaxprTracer:
        v = Var(aval)
        self.invars.append(v)
        return DynamicJaxprTracer(self, v)

    def to_atom(self, x, what="operand"):
        if isinstance(x, DynamicJaxprTracer) and x._trace is self:
            return x._var
        if isinstance(x, DynamicJaxprTracer) and x._trace.finished:
            raise core.UnexpectedTracerError(
                f"{what}: encountered a tracer ({x}) from a function whose tracing has finished. "
                "A traced value was probably stored in a global or a closure and used later; "
                "return it from the function instead.")
        key = id(x)
        var = self._const_ids.get(key)
        if var is not None:
            return var
        if isinstance(x, Tracer):
            aval, val = x.aval, x  # a tracer of an enclosing transformation: a constant here
        else:
            val, weak = core.canonical_value(x, what)
            if val.ndim == 0:
                return Literal(val, ShapedArray((), val.dtype, weak))
            aval = ShapedArray(val.shape, val.dtype, weak)
        var = Var(aval)
        self._const_ids[key] = var
        self._keep_alive.append(x)  # keeps id(x) from being reused while tracing
        self.constvars.append(var)
        self.constvals.append(val)
        return var

    def process_primitive(self, prim, args, params):
        atoms = [self.to_atom(a, f"{prim.name} operand {i}") for i, a in enumerate(args)]
        out = shape_rules[prim](*(a.aval for a in atoms), **params)
        out_avals = out if prim.multiple_results else [out]
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, atoms, outvars, dict(params)))
        tracers = [DynamicJaxprTracer(self, v) for v in outvars]
        return tracers if prim.multiple_results else tracers[0]

    def to_closed_jaxpr(self, outs) -> ClosedJaxpr:
        outvars = [self.to_atom(o, f"output {i}") for i, o in enumerate(outs)]
        jaxpr = Jaxpr(list(self.constvars), list(self.invars), outvars, list(self.eqns))
        self.finished = True
        closed = ClosedJaxpr(jaxpr, list(self.constvals))
        check_jaxpr(closed)
        return closed

    def __repr__(self):
        return "DynamicJaxprTrace"


def trace_to_jaxpr(fun, in_avals, debug_name="function"):
    """Stage `fun(*flat_args) -> flat list of outputs` into a ClosedJaxpr.

    Constants captured from enclosing transformations are left in `consts` as tracers; the
    caller passes them on as explicit operands (see `hoist_consts`).
    """
    trace = DynamicJaxprTrace()
    args = [trace.new_arg(a) for a in in_avals]
    with core.set_current_trace(trace):
        outs = fun(*args)
    return trace.to_closed_jaxpr(outs)


def literal_value(lit: Literal):
    return wrap(np.asarray(lit.val, lit.aval.dtype), lit.aval.weak_type)


def eval_jaxpr(jaxpr: Jaxpr, consts, *args):
    """Evaluate by binding every equation on the current trace, so that whatever
    transformation is active (jvp, vmap, staging) transforms the program equation by equation."""
    env = {}

    def read(v):
        return literal_value(v) if isinstance(v, Literal) else env[v]

    env.update(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        out = core.bind(eqn.prim, *(read(v) for v in eqn.invars), **eqn.params)
        env.update(zip(eqn.outvars, out if eqn.prim.multiple_results else [out], strict=True))
    return [read(v) for v in jaxpr.outvars]


def hoist_consts(closed: ClosedJaxpr):
    """Move all consts to the front of invars: returns (Jaxpr with no constvars, consts)."""
    j = closed.jaxpr
    return Jaxpr([], j.constvars + j.invars, j.outvars, j.eqns), list(closed.consts)


def _flat_fun(fun, in_tree, out_tree_box):
    def flat(*flat_args):
        args, kwargs = tree_util.tree_unflatten(in_tree, flat_args)
        out = fun(*args, **kwargs)
        flat_out, out_tree = tree_util.tree_flatten(out)
        for i, o in enumerate(flat_out):
            if not core.is_valid_value(o):
                raise TypeError(
                    f"{getattr(fun, '__name__', 'function')} returned a value of type "
                    f"{type(o).__name__} at output {tree_util.keystr(tree_util.tree_flatten_with_path(out)[0][i][0])}, "
                    "which is not a valid jaxlite type (arrays and scalars only)")
        out_tree_box.append(out_tree)
        return flat_out

    return flat


def _static_args(args, static_argnums):
    n = len(args)
    static = {i % n if i < 0 else i for i in static_argnums}
    for i in static:
        if not 0 <= i < n:
            raise ValueError(f"static_argnums {static_argnums} out of range for {n} arguments")
    return static


def flatten_fun_args(fun, args, kwargs, static_argnums=()):
    """Split static arguments off and flatten the rest: (flat_fun, flat_args, out_tree_box)."""
    static = _static_args(args, static_argnums)
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static)

    def with_static(*dyn, **kw):
        it = iter(dyn)
        full = [args[i] if i in static else next(it) for i in range(len(args))]
        return fun(*full, **kw)

    flat_args, in_tree = tree_util.tree_flatten((dyn_args, kwargs))
    box = []
    return _flat_fun(with_static, in_tree, box), flat_args, box


def make_jaxpr(fun, static_argnums=(), return_shape=False):
    """`make_jaxpr(f)(*args)` gives the ClosedJaxpr of f staged at the args' shapes and dtypes."""
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)

    @functools.wraps(fun)
    def staged(*args, **kwargs):
        flat_fun, flat_args, box = flatten_fun_args(fun, args, kwargs, static_argnums)
        in_avals = [core.get_aval(a) for a in flat_args]
        closed = trace_to_jaxpr(flat_fun, in_avals, getattr(fun, "__name__", "fun"))
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in closed.out_avals]
            return closed, tree_util.tree_unflatten(box[0], shapes)
        return closed

    return staged


class ShapeDtypeStruct:
    """A shape and dtype standing in for an array: what eval_shape returns for each output."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape)))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other):
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))


def eval_shape(fun, *args, **kwargs):
    """Shapes and dtypes of fun's outputs, without running it."""
    def to_aval_arg(x):
        if isinstance(x, ShapeDtypeStruct):
            return _AbstractArg(ShapedArray(x.shape, x.dtype, x.weak_type))
        return x

    args, kwargs = tree_util.tree_map(to_aval_arg, (args, kwargs))
    flat_args, in_tree = tree_util.tree_flatten((args, kwargs))
    box = []
    flat_fun = _flat_fun(fun, in_tree, box)
    in_avals = [a.aval if isinstance(a, _AbstractArg) else core.get_aval(a) for a in flat_args]
    closed = trace_to_jaxpr(flat_fun, in_avals)
    shapes = [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in closed.out_avals]
    return tree_util.tree_unflatten(box[0], shapes)


class _AbstractArg:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval
