"""The typed SSA IR: abstract values, variables, equations, Jaxprs, and their printer."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import dtypes


class ShapedArray:
    """The abstract value (aval) of an array: shape, dtype and JAX's weak-type bit."""

    __slots__ = ("shape", "dtype", "weak_type", "_hash", "size")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self._hash = hash((self.shape, self.dtype, self.weak_type))
        self.size = math.prod(self.shape)  # read in the compiler's inner loops: computed once

    ndim = property(lambda self: len(self.shape))

    def __eq__(self, other):
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self):
        return self._hash

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak_type(self):
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype, False)

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{weak})"


def aval_of_value(x) -> ShapedArray:
    """The aval of a concrete NumPy value (no weak type, no canonicalisation)."""
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


class Var:
    """An SSA variable. Identity is the object; the printer assigns names."""

    __slots__ = ("aval", "count")
    _counter = itertools.count()

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.count = next(Var._counter)

    def __repr__(self):
        return f"Var({self.count}:{self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in the IR."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val})"


Atom = Var | Literal


@dataclass(eq=False)
class Eqn:
    """outvars = prim[params](*invars)."""

    prim: Any
    invars: list
    outvars: list
    params: dict


@dataclass(eq=False)
class Jaxpr:
    constvars: list
    invars: list
    outvars: list
    eqns: list

    def __str__(self):
        return pp_jaxpr(self)

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]


@dataclass(eq=False)
class ClosedJaxpr:
    """A Jaxpr with values bound to its constvars."""

    jaxpr: Jaxpr
    consts: list

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)

    def __str__(self):
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__


# ---- Printing, in the style of JAX's make_jaxpr --------------------------------------------


def _names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in itertools.count(1):
        for combo in itertools.product(letters, repeat=n):
            yield "".join(combo)


class _Namer:
    def __init__(self):
        self.names = {}
        self.gen = _names()

    def __call__(self, v):
        if isinstance(v, Literal):
            val = v.val
            if isinstance(val, np.ndarray):
                val = val.item() if val.ndim == 0 else val
            if isinstance(val, (bool, np.bool_)):
                text = str(bool(val))
            elif v.aval.dtype.kind == "f":
                text = repr(float(val))
            else:
                text = str(val)
            return f"{text}:{v.aval.str_short()}"
        if v not in self.names:
            self.names[v] = next(self.gen)
        return self.names[v]


def _pp_param(value, namer, indent):
    if isinstance(value, (Jaxpr, ClosedJaxpr)):
        inner = value.jaxpr if isinstance(value, ClosedJaxpr) else value
        return _pp(inner, _Namer(), indent + 4).lstrip()
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, tuple) and value and all(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):
        inner = "\n".join(" " * (indent + 4) + _pp_param(v, namer, indent + 4) for v in value)
        return "(\n" + inner + "\n" + " " * indent + ")"
    return str(value)


def _pp_eqn(eqn, namer, indent):
    outs = " ".join(f"{namer(v)}:{v.aval.str_short()}" for v in eqn.outvars) or "_"
    ins = " ".join(namer(v) for v in eqn.invars)
    name = getattr(eqn.prim, "name", str(eqn.prim))
    pad = " " * indent
    if not eqn.params:
        return f"{pad}{outs} = {name} {ins}".rstrip()
    params = [f"{k}={_pp_param(v, namer, indent + 4)}" for k, v in sorted(eqn.params.items())]
    flat = f"{pad}{outs} = {name}[{' '.join(params)}] {ins}".rstrip()
    if len(flat) <= 100 and "\n" not in flat:
        return flat
    body = "\n".join(" " * (indent + 2) + p for p in params)
    return f"{pad}{outs} = {name}[\n{body}\n{pad}] {ins}".rstrip()


def _pp(jaxpr, namer, indent):
    binders = lambda vs: " ".join(f"{namer(v)}:{v.aval.str_short()}" for v in vs)
    pad = " " * indent
    consts, ins = binders(jaxpr.constvars), binders(jaxpr.invars)
    head = f"{{ lambda {consts}; {ins}. let"
    eqns = "\n".join(_pp_eqn(e, namer, indent + 4) for e in jaxpr.eqns)
    outs = ", ".join(namer(v) for v in jaxpr.outvars)
    tail = f"{pad}  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}"
    return pad + head + ("\n" + eqns if eqns else "") + "\n" + tail


def pp_jaxpr(jaxpr: Jaxpr) -> str:
    return _pp(jaxpr, _Namer(), 0)
