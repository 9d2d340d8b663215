"""Float arithmetic on an IRBuilder under the names formulas use (`o.add(o.mul(x, y), o.c(1))`).

The hand-written math emitters (special_math, xla_math, emit_complex) each extend this with what
they need (libm calls, intrinsics, fma); keeping the arithmetic in one place keeps their
formulas readable without each carrying its own copy."""

from __future__ import annotations

from llvmlite import ir


class FloatOps:
    """Arithmetic of one LLVM float type `t` at the builder of the emit context `cx`."""

    def __init__(self, cx, t):
        self.cx, self.b, self.t = cx, cx.b, t

    def c(self, v):
        return ir.Constant(self.t, float(v))

    def add(self, x, y):
        return self.b.fadd(x, y)

    def sub(self, x, y):
        return self.b.fsub(x, y)

    def mul(self, x, y):
        return self.b.fmul(x, y)

    def div(self, x, y):
        return self.b.fdiv(x, y)

    def neg(self, x):
        return self.b.fneg(x)

    def cmp(self, op, x, y):
        return self.b.fcmp_ordered(op, x, y)

    def lt(self, x, y):
        return self.cmp("<", x, y)

    def eq(self, x, y):
        return self.cmp("==", x, y)

    def sel(self, cond, x, y):
        return self.b.select(cond, x, y)
