"""LLVM types of the closed dtype set. Bools are i1 in registers and one byte in memory."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from llvmlite import ir

from .. import dtypes

i1, i8, i32, i64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
f16, f32, f64 = ir.HalfType(), ir.FloatType(), ir.DoubleType()
ptr = ir.PointerType()
void = ir.VoidType()

_FLOATS = {dtypes.float16: f16, dtypes.float32: f32, dtypes.float64: f64}


def reg_type(dtype):
    """The type of a scalar value of `dtype` in a register."""
    dtype = np.dtype(dtype)
    if dtype == dtypes.bool_:
        return i1
    if dtype in _FLOATS:
        return _FLOATS[dtype]
    if dtypes.is_integer(dtype):
        return ir.IntType(dtype.itemsize * 8)
    raise NotImplementedError(f"no LLVM type for {dtype}")


class Pair(NamedTuple):
    """A complex value in registers: its real and imaginary parts (emit_complex.py)."""

    re: ir.Value
    im: ir.Value


def widened(fn):
    """Decorates `fn(o, z, ...)`, an emitter on complex Pairs given `o`, its part dtype's real
    operations: for complex64 it is computed in float64 (`type(o)` for that dtype) and rounded
    once at the end (intermediate squares and exponentials that overflow float32 do not)."""

    def emit(o, *zs):
        if o.dt == dtypes.float64:
            return fn(o, *zs)
        b, wide = o.b, type(o)(o.cx, dtypes.float64)
        r = fn(wide, *(Pair(b.fpext(z.re, f64), b.fpext(z.im, f64)) for z in zs))
        t = reg_type(o.dt)
        return Pair(b.fptrunc(r.re, t), b.fptrunc(r.im, t))

    return emit


_PARTS = {dtypes.complex64: f32, dtypes.complex128: f64}


def mem_type(dtype):
    """The type of an element of `dtype` in memory (complex: [2 x part], NumPy's interleaved
    layout, so GEPs stride over whole numbers)."""
    dtype = np.dtype(dtype)
    if dtype in _PARTS:
        return ir.ArrayType(_PARTS[dtype], 2)
    return i8 if dtype == dtypes.bool_ else reg_type(dtype)


def supported(dtype) -> bool:
    d = np.dtype(dtype)
    return d == dtypes.bool_ or d in _FLOATS or dtypes.is_integer(d)


def const(dtype, value):
    """An LLVM constant of `dtype` holding `value` exactly."""
    dtype = np.dtype(dtype)
    v = np.asarray(value, dtype=dtype)
    if dtype in _PARTS:
        return Pair(ir.Constant(_PARTS[dtype], float(v.real)), ir.Constant(_PARTS[dtype], float(v.imag)))
    t = reg_type(dtype)
    if dtype == dtypes.bool_:
        return ir.Constant(i1, int(bool(v)))
    if dtype in _FLOATS:
        return ir.Constant(t, float(v))  # float16/32 values are exact as Python floats
    bits = dtype.itemsize * 8
    iv = int(v)
    if iv >= 1 << (bits - 1):
        iv -= 1 << bits  # the two's-complement reading of an unsigned value
    return ir.Constant(t, iv)
