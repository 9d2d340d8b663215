"""The program that fusion produces and back ends compile: buffers, steps, and loop kernels.

A Program is a list of steps over buffers. A buffer is an input, an output, a temporary (an
offset into one per-call arena) or an alias (a reshape of another buffer's contiguous storage).
Steps are:

- KernelStep: a loop kernel written in a small loop IR (below), compiled to native code;
- GemmStep: C[b] = op(A[b]) @ op(B[b]) in row-major order, one BLAS gemm per batch entry;
- InterpretStep: an equation the back end does not compile yet; the native program calls back
  into the NumPy interpreter for it (listed, with the reason, in the back end's coverage table).

The loop IR is structured so that control flow fits later: a kernel body is a list of
statements, `Loop` nests statements, and scalar values are SSA ids defined by `Let`. Array
addresses are `Affine` expressions of the enclosing loop variables, in elements. Branches (`If`)
and loops with carried values (`While`) are the planned extensions; nothing here assumes that
a body is straight-line.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes


class Affine:
    """const + sum(coef * loop_var): an element offset or an index, exact integer arithmetic."""

    __slots__ = ("const", "terms")

    def __init__(self, const=0, terms=()):
        self.const = int(const)
        self.terms = tuple(sorted((int(v), int(c)) for v, c in terms if c != 0))

    @staticmethod
    def var(v):
        return Affine(0, ((v, 1),))

    def __add__(self, other):
        if isinstance(other, int):
            return Affine(self.const + other, self.terms)
        coefs = dict(self.terms)
        for v, c in other.terms:
            coefs[v] = coefs.get(v, 0) + c
        return Affine(self.const + other.const, coefs.items())

    def __mul__(self, k):
        return Affine(self.const * k, ((v, c * k) for v, c in self.terms))

    def coef(self, v):
        for var, c in self.terms:
            if var == v:
                return c
        return 0

    def depth(self):
        return max((v for v, _ in self.terms), default=-1)

    def __eq__(self, other):
        return isinstance(other, Affine) and self.const == other.const and self.terms == other.terms

    def __hash__(self):
        return hash((self.const, self.terms))

    def __str__(self):
        parts = [(f"i{v}" if c == 1 else f"{c}*i{v}") for v, c in self.terms]
        if self.const or not parts:
            parts.append(str(self.const))
        return " + ".join(parts)

    __repr__ = __str__


def linear(point, shape) -> Affine:
    """The row-major element offset of `point` (one Affine per axis) in an array of `shape`."""
    out, stride = Affine(), 1
    for p, d in zip(reversed(point), reversed(shape), strict=False):
        out = out + p * stride
        stride *= d
    return out


def render_value(value, dtype) -> str:
    """Bit-exact text of a scalar constant (the rendered program is a cache key)."""
    v = np.asarray(value, dtype=dtype)
    if v.dtype.kind == "f":
        return f"{v.item()!r}:{dtypes.short_name(dtype)}#{v.tobytes().hex()}"
    return f"{v.item()!r}:{dtypes.short_name(dtype)}"


# ---- Loop IR ---------------------------------------------------------------------------------


class Loop:
    __slots__ = ("var", "extent", "body")

    def __init__(self, var, extent, body):
        self.var, self.extent, self.body = var, int(extent), body

    def render(self, pad, out):
        out.append(f"{pad}for i{self.var} in 0..{self.extent}:")
        for s in self.body:
            s.render(pad + "  ", out)


class Let:
    """dst = op(args): op is 'load' (params: buf, index), 'const' (value), 'index' (index:
    an Affine, as int64), or a Primitive applied to SSA args with its params."""

    __slots__ = ("dst", "dtype", "op", "args", "params")

    def __init__(self, dst, dtype, op, args=(), params=None):
        self.dst, self.dtype, self.op, self.args, self.params = (
            dst,
            np.dtype(dtype),
            op,
            tuple(args),
            params or {},
        )

    def render(self, pad, out):
        t = dtypes.short_name(self.dtype)
        if self.op == "load":
            rhs = f"load b{self.params['buf']}[{self.params['index']}]"
        elif self.op == "const":
            rhs = f"const {render_value(self.params['value'], self.dtype)}"
        elif self.op == "index":
            rhs = f"index {self.params['index']}"
        elif self.op == "load_at":  # a computed address (passes/kernel_indexing.py)
            rhs = f"load b{self.params['buf']}[%{self.args[0]}]"
        else:
            params = "".join(f" {k}={_render_param(v)}" for k, v in sorted(self.params.items()))
            rhs = f"{self.op.name}{params} " + " ".join(f"%{a}" for a in self.args)
        out.append(f"{pad}%{self.dst}:{t} = {rhs.rstrip()}")


def _render_param(v):
    if isinstance(v, np.dtype):
        return dtypes.short_name(v)
    return repr(v)


class Store:
    __slots__ = ("buf", "index", "src")

    def __init__(self, buf, index, src):
        self.buf, self.index, self.src = buf, index, src

    def render(self, pad, out):
        out.append(f"{pad}store b{self.buf}[{self.index}] = %{self.src}")


class Update:
    """buf[index] = combine(buf[index], src): a reduction step. `reassoc` allows the back end to
    reorder the combination (several partial accumulators), a documented rounding difference."""

    __slots__ = ("buf", "index", "src", "combine", "reassoc")

    def __init__(self, buf, index, src, combine, reassoc):
        self.buf, self.index, self.src, self.combine, self.reassoc = buf, index, src, combine, reassoc

    def render(self, pad, out):
        flag = " reassoc" if self.reassoc else ""
        out.append(f"{pad}update{flag} b{self.buf}[{self.index}] {self.combine.name}= %{self.src}")


class ArgUpdate:
    """The arg-reduction step: if src beats val_buf[index] (strictly; the first NaN wins), store
    src there and pos into idx_buf[index]. `kind` is 'max' or 'min'."""

    __slots__ = ("val_buf", "idx_buf", "index", "src", "pos", "kind")

    def __init__(self, val_buf, idx_buf, index, src, pos, kind):
        self.val_buf, self.idx_buf, self.index, self.src, self.pos, self.kind = (
            val_buf,
            idx_buf,
            index,
            src,
            pos,
            kind,
        )

    def render(self, pad, out):
        bufs = f"(b{self.val_buf}, b{self.idx_buf})"
        out.append(f"{pad}arg{self.kind} {bufs}[{self.index}] <- (%{self.src}, %{self.pos})")


class Kernel:
    """A loop kernel. `params` are the storage buffers it touches, in argument order."""

    def __init__(self, name, params, body, domain, prims, loads, stores):
        self.name, self.params, self.body = name, params, body
        self.domain, self.prims = tuple(domain), list(prims)
        self.loads, self.stores = loads, stores

    def render(self, pad, out):
        out.append(f"{pad}kernel {self.name}({', '.join(f'b{b}' for b in self.params)}):")
        for s in self.body:
            s.render(pad + "  ", out)


# ---- Program ---------------------------------------------------------------------------------


class Buffer:
    __slots__ = ("id", "shape", "dtype", "kind", "index", "base", "offset", "loop")

    def __init__(self, id, shape, dtype, kind, index=None, base=None, loop=None):
        self.id, self.shape, self.dtype, self.kind = id, tuple(shape), np.dtype(dtype), kind
        self.index, self.base, self.offset = index, base, None
        self.loop = loop  # a "slice": the loop whose iteration index selects it (control_steps)

    @property
    def nbytes(self):
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def render(self):
        where = {
            "input": f"input {self.index}",
            "output": f"output {self.index}",
            "temp": f"temp @{self.offset}",
            "alias": f"alias of b{self.base}",
            "slice": f"slice of b{self.base} at L{self.loop}",
        }[self.kind]
        return f"b{self.id}: {dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}] {where}"


class KernelStep:
    def __init__(self, kernel):
        self.kernel = kernel

    def buffers_read(self):
        return self.kernel.loads

    def buffers_written(self):
        return self.kernel.stores

    def render(self, out):
        self.kernel.render("", out)


class GemmStep:
    """c[b] = op(a[b]) @ op(b[b]) for b < batch; a is (m, k) or, trans_a, (k, m); b is (k, n)
    or, trans_b, (n, k); row-major, dtype float32 or float64."""

    def __init__(self, a, b, c, dtype, batch, m, n, k, trans_a, trans_b, eqn):
        self.a, self.b, self.c, self.dtype = a, b, c, np.dtype(dtype)
        self.batch, self.m, self.n, self.k = batch, m, n, k
        self.trans_a, self.trans_b, self.eqn = trans_a, trans_b, eqn

    def buffers_read(self):
        return [self.a, self.b]

    def buffers_written(self):
        return [self.c]

    def render(self, out):
        out.append(
            f"gemm {dtypes.short_name(self.dtype)} b{self.c} = b{self.a}{'^T' if self.trans_a else ''} "
            f"@ b{self.b}{'^T' if self.trans_b else ''} batch={self.batch} m={self.m} n={self.n} k={self.k}"
        )


class InterpretStep:
    """An equation run by the NumPy interpreter, called back from the native program.
    `ins` holds buffer ids, or Literals for literal operands."""

    def __init__(self, index, eqn, ins, outs, reason):
        self.index, self.eqn, self.ins, self.outs, self.reason = index, eqn, ins, outs, reason

    def buffers_read(self):
        return [a for a in self.ins if isinstance(a, int)]

    def buffers_written(self):
        return list(self.outs)

    def render(self, out):
        ins = ", ".join(
            f"b{a}" if isinstance(a, int) else render_value(a.val, a.aval.dtype) for a in self.ins
        )
        outs = ", ".join(f"b{b}" for b in self.outs)
        out.append(f"interpret #{self.index} {self.eqn.prim.name}({ins}) -> ({outs})")


class Program:
    def __init__(self, buffers, inputs, outputs, steps, arena_bytes, in_avals, out_avals):
        self.buffers = buffers  # id -> Buffer
        self.inputs = inputs  # buffer ids, in argument order
        self.outputs = outputs  # per output: ("buffer", id) | ("input", i) | ("literal", Literal)
        self.steps = steps
        self.arena_bytes = arena_bytes
        self.in_avals, self.out_avals = in_avals, out_avals

    @property
    def output_buffers(self):
        return sorted((b for b in self.buffers.values() if b.kind == "output"), key=lambda b: b.index)

    def storage(self, buf_id):
        b = self.buffers[buf_id]
        while b.kind == "alias":
            b = self.buffers[b.base]
        return b.id

    def count(self, kind):
        """Steps of `kind` ('kernel', 'gemm', 'interpret', 'loop', 'branch'), nested ones included."""
        from .control_steps import CondStep, ScanStep, WhileStep, walk_steps

        cls = {
            "kernel": KernelStep,
            "gemm": GemmStep,
            "interpret": InterpretStep,
            "loop": (ScanStep, WhileStep),
            "branch": CondStep,
        }[kind]
        return sum(isinstance(s, cls) for s in walk_steps(self.steps))

    def render(self) -> str:
        out = [f"program arena={self.arena_bytes}"]
        out += [self.buffers[i].render() for i in sorted(self.buffers)]
        out.append(
            "outputs "
            + ", ".join(
                f"b{o[1]}"
                if o[0] == "buffer"
                else f"input {o[1]}"
                if o[0] == "input"
                else render_value(o[1].val, o[1].aval.dtype)
                for o in self.outputs
            )
        )
        for s in self.steps:
            s.render(out)
        return "\n".join(out)

    def report(self) -> str:
        lines = [
            f"{self.count('kernel')} kernel(s), {self.count('gemm')} gemm call(s), "
            f"{self.count('interpret')} interpreter callback(s); temporaries {self.arena_bytes} bytes"
        ]
        if self.count("loop") or self.count("branch"):
            lines[0] += f"; {self.count('loop')} native loop(s), {self.count('branch')} native branch(es)"
        for i, s in enumerate(self.steps):
            if isinstance(s, KernelStep):
                k = s.kernel
                lines.append(
                    f"  step {i}: kernel {k.name} over [{','.join(map(str, k.domain))}] fuses "
                    f"{' '.join(k.prims) or '(copy)'}; reads {len(k.loads)} buffer(s), writes {len(k.stores)}"
                )
            elif isinstance(s, GemmStep):
                lines.append(
                    f"  step {i}: {'s' if s.dtype == dtypes.float32 else 'd'}gemm batch={s.batch} "
                    f"m={s.m} n={s.n} k={s.k} trans_a={s.trans_a} trans_b={s.trans_b}"
                )
            elif isinstance(s, InterpretStep):
                lines.append(f"  step {i}: INTERPRETER CALLBACK {s.eqn.prim.name}: {s.reason}")
            elif hasattr(s, "report_line"):  # a LAPACK call (passes/lapack_steps.py)
                lines.append(s.report_line(i))
            else:
                from .control_steps import report_lines

                lines += report_lines(s, i)
        return "\n".join(lines)
