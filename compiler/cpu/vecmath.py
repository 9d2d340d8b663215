"""Vectorised math through glibc's libmvec, by telling LLVM's loop vectoriser about it.

A scalar C library function (expf, sinf, ...) keeps a loop scalar: LLVM has no vector version
of its own and llvmlite exposes no vector-library option. But the loop vectoriser honours the
VFABI attribute "vector-function-abi-variant" on a callee: it names the vector variants that
exist (`_ZGV_LLVM_N16v_expf(_ZGVeN16v_expf)`: 16 lanes, AVX-512). We attach it to each libm
declaration for the ISAs the host has, declare the variants (kept by llvm.compiler.used), and
load libmvec.so.1 into the process so that the object code links. The vectoriser then calls
the 16-wide (float32) or 8-wide (float64) routine per vector of a loop, scalar libm in the
remainder. Accuracy: glibc documents at most 4 ulp for libmvec; tests compare within a few ulp.

Without libmvec (another C library), or without AVX2, code stays scalar and correct.
"""

from __future__ import annotations

import functools

from llvmlite import ir

from .types import f32, f64, ptr

# The functions libmvec (glibc 2.35+) provides, by arity.
UNARY = {
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cbrt",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "exp",
    "exp10",
    "exp2",
    "expm1",
    "log",
    "log10",
    "log1p",
    "log2",
    "sin",
    "sinh",
    "tan",
    "tanh",
}
BINARY = {"atan2", "hypot", "pow"}
_ISAS = (("e", "avx512f", 16, 8), ("d", "avx2", 8, 4))  # VFABI ISA letter, feature, f32 / f64 lanes


@functools.cache
def available() -> bool:
    import llvmlite.binding as llvm

    from .target import _init

    _init()
    try:
        llvm.load_library_permanently("libmvec.so.1")
    except RuntimeError:
        return False
    return bool(llvm.address_of_symbol("_ZGVdN8v_expf"))


@functools.cache
def host_isas():
    from .target import host

    if not available():
        return ()
    features = set(f[1:] for f in host()[1].split(",") if f.startswith("+"))
    return tuple(isa for isa in _ISAS if isa[1] in features)


def variants(name: str, t):
    """[(vector function name, lanes)] for scalar libm function `name` of type t (f32/f64)."""
    base = name[:-1] if t is f32 else name
    arity = 1 if base in UNARY else 2 if base in BINARY else 0
    if not arity:
        return []
    out = []
    for letter, _, lanes32, lanes64 in host_isas():
        lanes = lanes32 if t is f32 else lanes64
        out.append((f"_ZGV{letter}N{lanes}{'v' * arity}_{name}", lanes, arity))
    return out


def attach(module, fn, name, t, used):
    """Give declaration `fn` of libm's `name` its vector variants; records them in `used`."""
    found = variants(name, t)
    if not found:
        return
    mappings = []
    for vname, lanes, arity in found:
        vt = ir.VectorType(t, lanes)
        if vname not in module.globals:
            vfn = ir.Function(module, ir.FunctionType(vt, [vt] * arity), vname)
            vfn.attributes.add("nounwind")
            vfn.attributes.add("readnone")
            used.append(vfn)
        mappings.append(f"_ZGV_LLVM_N{lanes}{'v' * arity}_{name}({vname})")
    # llvmlite checks attribute names against LLVM's enum attributes; a string attribute goes in
    # as its rendered text.
    set.add(fn.attributes, f'"vector-function-abi-variant"="{",".join(mappings)}"')


def finish(module, used):
    """Keep the vector declarations alive until the vectoriser has run."""
    if not used:
        return
    arr = ir.ArrayType(ptr, len(used))
    g = ir.GlobalVariable(module, arr, "llvm.compiler.used")
    g.linkage = "appending"
    g.section = "llvm.metadata"
    g.initializer = ir.Constant(arr, used)


__all__ = ["attach", "available", "finish", "f64"]
