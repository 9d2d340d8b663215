"""The Primitive type, the registry of the closed set, and helpers for shape rules.

A primitive has a name, a group and whether it returns several results; nothing else. Every
interpretation (NumPy, jvp, transpose, batching, LLVM, CUDA) is a dict keyed by primitive in the
module of that interpretation. `shape_rules[p](*avals, **params)` gives the output aval (or list
of avals when `p.multiple_results`) and raises TypeError naming the primitive on bad input.
"""

from __future__ import annotations

import numpy as np

ELEMENTWISE = "elementwise"
COMPARISON = "comparison"
BITWISE = "bitwise"
CONVERSION = "conversion"
CREATION = "creation"
REDUCE = "reduce"
CUMULATIVE = "cumulative"
MOVEMENT = "movement"
INDEXING = "indexing"
DOT = "dot"
SORT = "sort"
LINALG = "linalg"
CONTROL = "control"
CALL = "call"
COLLECTIVE = "collective"


class Primitive:
    """A named operation. Deliberately behaviour-free: rules live in tables elsewhere."""

    __slots__ = ("name", "group", "multiple_results", "effectful")

    def __init__(self, name, group, multiple_results=False, effectful=False):
        self.name = name
        self.group = group
        self.multiple_results = multiple_results
        # An effectful primitive (a debug print, an io callback) runs for its side effect: passes
        # never delete, merge or reorder its equations relative to each other.
        self.effectful = effectful

    def __repr__(self):
        return self.name


ALL_PRIMITIVES: list[Primitive] = []
shape_rules: dict = {}


def declare(name, group, rule, multiple_results=False, effectful=False) -> Primitive:
    prim = Primitive(name, group, multiple_results, effectful)
    ALL_PRIMITIVES.append(prim)
    shape_rules[prim] = rule
    return prim


def by_name(name) -> Primitive:
    for p in ALL_PRIMITIVES:
        if p.name == name:
            return p
    raise KeyError(name)


def _fail(name, msg, *avals):
    shapes = ", ".join(a.str_short() for a in avals)
    raise TypeError(f"{name}: {msg} (operands: {shapes})")


def _check_axes(name, axes, ndim, aval):
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not 0 <= ax < ndim:
            _fail(name, f"axis {ax} out of range for rank {ndim}", aval)
    if len(set(axes)) != len(axes):
        _fail(name, f"repeated axes {axes}", aval)


