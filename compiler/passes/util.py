"""Small helpers shared by the rewrites: substitution of atoms and hashable params."""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from ..ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var


class Subst:
    """A map from replaced variables to their replacement atoms, followed transitively."""

    def __init__(self):
        self.map = {}

    def __call__(self, a):
        while isinstance(a, Var) and a in self.map:
            a = self.map[a]
        return a

    def __setitem__(self, v, a):
        self.map[v] = a

    def __bool__(self):
        return bool(self.map)

    def eqn(self, eqn):
        if not self.map:
            return eqn
        return Eqn(eqn.prim, [self(a) for a in eqn.invars], eqn.outvars, eqn.params)


def rebuild(closed: ClosedJaxpr, eqns, subst: Subst | None = None, constvars=None, consts=None):
    j = closed.jaxpr
    outvars = [subst(v) for v in j.outvars] if subst else list(j.outvars)
    jaxpr = Jaxpr(list(j.constvars if constvars is None else constvars), list(j.invars), outvars, list(eqns))
    return ClosedJaxpr(jaxpr, list(closed.consts if consts is None else consts))


def _sub_jaxprs(params):
    for v in params.values():
        for x in v if isinstance(v, (tuple, list)) else (v,):
            if isinstance(x, ClosedJaxpr):
                yield x.jaxpr
            elif isinstance(x, Jaxpr):
                yield x


def is_effectful(eqn) -> bool:
    """Whether eqn has a side effect (an effectful primitive, or one inside a sub-program it
    runs): passes must keep it, even unused, and keep effects in program order."""
    if eqn.prim.effectful:
        return True
    return any(is_effectful(e) for j in _sub_jaxprs(eqn.params) for e in j.eqns)


def literal_key(lit: Literal):
    """Bit-exact identity of a literal: -0.0 and 0.0 differ, every NaN of one pattern is one."""
    val = np.asarray(lit.val, dtype=lit.aval.dtype)
    return ("lit", lit.aval.dtype.str, val.tobytes())


def freeze(value):
    """A hashable stand-in for a params value; raises TypeError when there is none."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (ClosedJaxpr, Jaxpr)):
        return ("jaxpr", id(value))
    hash(value)
    return value


def is_literal_scalar(a, value) -> bool:
    """Whether atom `a` is a Literal equal to `value` (exactly, with the sign of zero)."""
    if not isinstance(a, Literal):
        return False
    v = np.asarray(a.val, dtype=a.aval.dtype)
    if v.shape != ():
        return False
    ref = np.asarray(value, dtype=a.aval.dtype)
    return v.tobytes() == ref.tobytes()


class JaxprBuilder:
    """Builds a Jaxpr equation by equation, typing each output with its shape rule:

    jb = JaxprBuilder(); x = jb.arg(ShapedArray((3,), f32))
    y = jb.op(P.sin_p, x); closed = jb.build([y])
    """

    def __init__(self):
        self.invars, self.constvars, self.consts, self.eqns = [], [], [], []

    def arg(self, aval):
        v = Var(aval)
        self.invars.append(v)
        return v

    def const(self, value):
        from ..ir import ShapedArray

        value = np.asarray(value)
        v = Var(ShapedArray(value.shape, value.dtype))
        self.constvars.append(v)
        self.consts.append(value)
        return v

    def op(self, prim, *ins, **params):
        from ..primitives import shape_rules

        out = shape_rules[prim](*(a.aval for a in ins), **params)
        outs = [Var(a) for a in (out if prim.multiple_results else [out])]
        self.eqns.append(Eqn(prim, list(ins), outs, params))
        return outs if prim.multiple_results else outs[0]

    def build(self, outs) -> ClosedJaxpr:
        return ClosedJaxpr(
            Jaxpr(list(self.constvars), list(self.invars), list(outs), list(self.eqns)), list(self.consts)
        )


def lit(value, dtype, weak=False):
    """A scalar Literal of `dtype`."""
    from ..ir import ShapedArray

    return Literal(np.asarray(value, dtype=dtype), ShapedArray((), dtype, weak))


class Emitter:
    """Appends typed equations to `out` (rewrites that expand one equation into several); the
    structural helpers skip the equation when it would be the identity."""

    def __init__(self, out):
        self.out = out

    def __call__(self, prim, *ins, **params):
        aval = P.shape_rules[prim](*(a.aval for a in ins), **params)
        v = Var(aval)
        self.out.append(Eqn(prim, list(ins), [v], params))
        return v

    def convert(self, x, dtype):
        if x.aval.dtype == dtype:
            return x
        return self(P.convert_element_type_p, x, new_dtype=np.dtype(dtype), weak_type=False)

    def transpose(self, x, perm):
        perm = tuple(int(p) for p in perm)
        return x if perm == tuple(range(len(perm))) else self(P.transpose_p, x, permutation=perm)

    def reshape(self, x, shape):
        shape = tuple(int(d) for d in shape)
        if tuple(x.aval.shape) == shape:
            return x
        return self(P.reshape_p, x, new_sizes=shape, dimensions=None)
