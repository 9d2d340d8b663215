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

# ---- pmap's collectives and its call (issue 7) --------------------------------------------------
# all_to_all is always tiled here (lax.all_to_all expresses the untiled form with a reshape):
# each index splits x along `split_axis` into `axis_size` chunks, sends chunk j to index j, and
# concatenates what it receives along `concat_axis`, in index order.


def _all_to_all_rule(x, *, axis_name, split_axis, concat_axis, axis_size):
    if not (0 <= split_axis < x.ndim and 0 <= concat_axis < x.ndim):
        _fail("all_to_all", f"split_axis {split_axis} / concat_axis {concat_axis} out of range", x)
    if x.shape[split_axis] % axis_size:
        _fail("all_to_all", f"split_axis {split_axis} of size {x.shape[split_axis]} is not "
                            f"divisible by the axis size {axis_size}", x)
    shape = list(x.shape)
    shape[split_axis] //= axis_size
    shape[concat_axis] *= axis_size
    return ShapedArray(shape, x.dtype, x.weak_type)


all_to_all_p = declare("all_to_all", COLLECTIVE, _all_to_all_rule)


def _psum_scatter_rule(x, *, axis_name, scatter_dimension, axis_size, tiled=False):
    d = scatter_dimension
    if not 0 <= d < x.ndim:
        _fail("psum_scatter", f"scatter_dimension {d} out of range", x)
    shape = list(x.shape)
    if tiled:
        if shape[d] % axis_size:
            _fail("psum_scatter", f"dimension {d} of size {shape[d]} is not divisible by the "
                                  f"axis size {axis_size}", x)
        shape[d] //= axis_size
    else:
        if shape[d] != axis_size:
            _fail("psum_scatter", f"dimension {d} has size {shape[d]}, not the axis size "
                                  f"{axis_size} (use tiled=True to scatter blocks)", x)
        del shape[d]
    return ShapedArray(shape, x.dtype, x.weak_type)


psum_scatter_p = declare("psum_scatter", COLLECTIVE, _psum_scatter_rule)

# pmap: params `jaxpr` (the per-device program, a ClosedJaxpr without consts), `axis_name`,
# `axis_size` (the local devices: the leading size of mapped operands), `global_axis_size`
# (all processes' devices: what collectives see), `mapped` (one bool per operand: split along
# axis 0, or the same value for every device), `devices` (device ids or None) and `name`.
# Every output is stacked along a new leading axis of size `axis_size`.


def _pmap_rule(*avals, jaxpr, axis_name, axis_size, global_axis_size, mapped, devices=None,
               name="pmap"):
    ins = jaxpr.in_avals
    if len(avals) != len(ins) or len(mapped) != len(avals):
        _fail("pmap", f"{name}: {len(avals)} operands for a body of {len(ins)} inputs", *avals)
    for a, b, m in zip(avals, ins, mapped, strict=True):
        shape = a.shape[1:] if m else a.shape
        if (m and (a.ndim == 0 or a.shape[0] != axis_size)) or shape != b.shape or a.dtype != b.dtype:
            _fail("pmap", f"{name}: operand {a.str_short()} (mapped={m}) does not match the "
                          f"body's input {b.str_short()} over {axis_size} devices", *avals)
    return [ShapedArray((axis_size, *a.shape), a.dtype, a.weak_type) for a in jaxpr.out_avals]


pmap_p = declare("pmap", CALL, _pmap_rule, multiple_results=True)
