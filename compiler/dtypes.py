"""The closed set of dtypes, their short names, and JAX's type-promotion lattice.

Only this module decides which dtypes exist and how two of them combine; the user-facing
canonicalisation (x64 on or off) is decided by the caller, who passes `x64`.
"""

from __future__ import annotations

import numpy as np

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)
# The dtype of tangents of integer and boolean values: no storage, as in JAX.
float0 = np.dtype([("float0", np.void, 0)])

SIGNED = (int8, int16, int32, int64)
UNSIGNED = (uint8, uint16, uint32, uint64)
INTEGER = SIGNED + UNSIGNED
FLOATING = (float16, float32, float64)
COMPLEX = (complex64, complex128)
ALL = (bool_,) + INTEGER + FLOATING + COMPLEX

SHORT_NAMES = {
    bool_: "bool", int8: "i8", int16: "i16", int32: "i32", int64: "i64",
    uint8: "u8", uint16: "u16", uint32: "u32", uint64: "u64",
    float16: "f16", float32: "f32", float64: "f64",
    complex64: "c64", complex128: "c128", float0: "float0",
}

# When x64 is off, 64-bit types are stored as their 32-bit counterparts (JAX's default).
_NARROW = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


def is_known(dtype) -> bool:
    return np.dtype(dtype) in SHORT_NAMES


def canonicalize(dtype, x64: bool) -> np.dtype:
    """The dtype a value of `dtype` is stored as; raises TypeError for unsupported dtypes."""
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{dtype!r} is not a valid dtype: {e}") from None
    if d not in SHORT_NAMES:
        raise TypeError(
            f"dtype {d} is not supported by jaxlite; use one of "
            f"{', '.join(str(t) for t in ALL)}"
        )
    return d if x64 else _NARROW.get(d, d)


def default_int(x64):
    return int64 if x64 else int32


def default_float(x64):
    return float64 if x64 else float32


def default_complex(x64):
    return complex128 if x64 else complex64


def is_float(d) -> bool:
    return np.dtype(d) in FLOATING


def is_inexact(d) -> bool:
    return np.dtype(d) in FLOATING or np.dtype(d) in COMPLEX


def is_complex(d) -> bool:
    return np.dtype(d) in COMPLEX


def is_integer(d) -> bool:
    return np.dtype(d) in INTEGER


def is_signed(d) -> bool:
    return np.dtype(d) in SIGNED


def is_unsigned(d) -> bool:
    return np.dtype(d) in UNSIGNED


def is_bool(d) -> bool:
    return np.dtype(d) == bool_


# ---- The promotion lattice ------------------------------------------------------------------
# Nodes are dtypes or the weak kinds "i*", "f*", "c*" (the type of a Python int/float/complex).
# The result of promoting a set of types is their least upper bound in this graph (JAX's
# documented lattice: https://jax.readthedocs.io/en/latest/type_promotion.html).
_LATTICE = {
    bool_: ["i*"],
    "i*": [uint8, int8],
    uint8: [uint16, int16], uint16: [uint32, int32], uint32: [uint64, int64], uint64: ["f*"],
    int8: [int16], int16: [int32], int32: [int64], int64: ["f*"],
    "f*": ["c*", float16],
    float16: [float32], float32: [float64, complex64], float64: [complex128],
    "c*": [complex64], complex64: [complex128], complex128: [],
}


def _upper_bounds():
    ub = {}
    for node in _LATTICE:
        seen, todo = {node}, [node]
        while todo:
            for nxt in _LATTICE[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        ub[node] = frozenset(seen)
    return ub


_UB = _upper_bounds()
_WEAK_KIND = {"i*": int32, "f*": float32, "c*": complex64}


def _node(dtype, weak):
    if not weak:
        return dtype
    if dtype in INTEGER:
        return "i*"
    if dtype in FLOATING:
        return "f*"
    if dtype in COMPLEX:
        return "c*"
    return dtype  # a weak bool is just bool


def _join(nodes):
    common = frozenset.intersection(*(_UB[n] for n in nodes))
    # The least element of the common upper bounds: the one whose own bounds cover them all.
    for c in common:
        if _UB[c] >= common:
            return c
    raise TypeError(f"no common type for {nodes}")  # unreachable for this lattice


def promote(pairs, x64: bool):
    """JAX's result type of (dtype, weak_type) pairs: returns (dtype, weak_type)."""
    nodes = {_node(np.dtype(d), w) for d, w in pairs}
    if len(nodes) == 1 and not isinstance(next(iter(nodes)), str):
        return next(iter(nodes)), False
    j = _join(nodes)
    if isinstance(j, str):
        kind = {"i*": default_int, "f*": default_float, "c*": default_complex}[j](x64)
        return kind, True  # JAX: the result is weak whenever the join is a weak kind
    return canonicalize(j, x64), False


def short_name(dtype) -> str:
    return SHORT_NAMES.get(np.dtype(dtype), str(dtype))


def finfo_max(dtype):
    return np.finfo(dtype).max if is_inexact(dtype) else np.iinfo(dtype).max


def lowest(dtype):
    """The smallest value of dtype (-inf for floats): the identity of max."""
    d = np.dtype(dtype)
    if d == bool_:
        return np.bool_(False)
    if is_inexact(d):
        return d.type(-np.inf)
    return d.type(np.iinfo(d).min)


def highest(dtype):
    """The largest value of dtype (+inf for floats): the identity of min."""
    d = np.dtype(dtype)
    if d == bool_:
        return np.bool_(True)
    if is_inexact(d):
        return d.type(np.inf)
    return d.type(np.iinfo(d).max)
