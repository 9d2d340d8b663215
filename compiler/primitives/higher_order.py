"""Primitives of the transformations: collectives, calls (jit), autodiff."""

from __future__ import annotations

from .. import dtypes
from ..ir import ShapedArray
from ._base import CALL, COLLECTIVE, ELEMENTWISE, _fail, declare
from .elementwise import _ANY, _kind_ok, _nary_rule

# ---- Collectives over named axes (vmap, pmap) -------------------------------------------------
# Axis names are hashable Python values bound by vmap/pmap while tracing. Outside any mapped
# axis the NumPy meaning is an error (compiler/interpret_collectives.py).


def _names_rule(name):
    def rule(x, *, axes, axis_index_groups=None):
        if not isinstance(axes, tuple) or not axes:
            _fail(name, f"axes must be a non-empty tuple of axis names, got {axes!r}", x)
        if not _kind_ok(_ANY, x.dtype):
            _fail(name, f"does not accept dtype {x.dtype}", x)
        return x

    return rule


psum_p = declare("psum", COLLECTIVE, _names_rule("psum"))
pmax_p = declare("pmax", COLLECTIVE, _names_rule("pmax"))
pmin_p = declare("pmin", COLLECTIVE, _names_rule("pmin"))


def _all_gather_rule(x, *, axis_name, all_gather_dimension, axis_size, tiled=False):
    d = all_gather_dimension
    if not 0 <= d <= x.ndim - (1 if tiled else 0):
        _fail("all_gather", f"all_gather_dimension {d} out of range", x)
    shape = list(x.shape)
    if tiled:
        shape[d] *= axis_size
    else:
        shape.insert(d, axis_size)
    return ShapedArray(shape, x.dtype, x.weak_type)


all_gather_p = declare("all_gather", COLLECTIVE, _all_gather_rule)
axis_index_p = declare("axis_index", COLLECTIVE, lambda *, axis_name: ShapedArray((), dtypes.int32))


def _ppermute_rule(x, *, axis_name, perm):
    srcs, dsts = [s for s, _ in perm], [d for _, d in perm]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        _fail("ppermute", f"perm {perm} sends from or to one index twice", x)
    return x


ppermute_p = declare("ppermute", COLLECTIVE, _ppermute_rule)

# ---- Calls (jit) ------------------------------------------------------------------------------
# `jit` calls a sub-program: params `jaxpr` (a ClosedJaxpr whose consts are hoisted into leading
# operands, so `consts` is empty) and `name`. Operands are the jaxpr's invars, in order.


def _jit_rule(*avals, jaxpr, name="jit"):
    ins = jaxpr.in_avals
    if len(avals) != len(ins) or any(a.shape != b.shape or a.dtype != b.dtype for a, b in zip(avals, ins)):
        got = ", ".join(a.str_short() for a in avals)
        want = ", ".join(a.str_short() for a in ins)
        raise TypeError(f"jit {name}: operands ({got}) do not match the called jaxpr's inputs ({want})")
    return list(jaxpr.out_avals)


jit_p = declare("jit", CALL, _jit_rule, multiple_results=True)

# ---- Automatic differentiation (jaxlite/ad.py, custom_derivatives.py, checkpoint.py) ----------
# stop_gradient: identity, zero derivative. Call primitives carry a ClosedJaxpr body without consts
# (closed-over values lead the operands) and rules as callables: custom_jvp_call, custom_vjp_call,
# remat. custom_lin stands in for a custom_vjp function in linearized programs (never runs forward).
stop_gradient_p = declare("stop_gradient", ELEMENTWISE, _nary_rule("stop_gradient", _ANY))


def _call_rule(name, param):
    def rule(*avals, **params):
        expected = params[param].in_avals
        if len(avals) != len(expected) or any(
                a.shape != e.shape or a.dtype != e.dtype for a, e in zip(avals, expected)):
            _fail(name, f"operands do not match the body's inputs "
                        f"({', '.join(e.str_short() for e in expected)})", *avals)
        return list(params[param].out_avals)
    return rule


custom_jvp_call_p = declare("custom_jvp_call", CALL, _call_rule("custom_jvp_call", "call_jaxpr"), True)
custom_vjp_call_p = declare("custom_vjp_call", CALL, _call_rule("custom_vjp_call", "call_jaxpr"), True)
custom_lin_p = declare("custom_lin", CALL, lambda *avals, out_avals, **_: list(out_avals), True)
remat_p = declare("remat", CALL, _call_rule("remat", "jaxpr"), multiple_results=True)
