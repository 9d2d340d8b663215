"""Structured steps of a kernels.Program: native loops and branches around nested step lists.

A control-flow equation (scan, while, cond) becomes one of these, not an interpreter callback.
Its sub-jaxprs are fused by the same fusion code into nested step lists (`body`, `cond`,
`branches`) over the one buffer table of the Program, and their temporaries live in the one
arena (planned by `plan_arena`, which walks nested steps). The back end emits the loops and
branches in the entry function around the nested steps' kernel calls.

- The carried state of a loop lives in `state` buffers (the equation's outputs). Before the loop
  `init` copies the operands in; an iteration's body reads `state` and writes new values into
  temporaries; `carry` copies them back at the end of the iteration (no hazard: a new value is
  never a state buffer).
- Stacked inputs and outputs of a scan are addressed per iteration through `slice` buffers: a
  slice of buffer `base` whose base pointer is base + index * slice size, index being the
  scan's iteration index (counting down for `reverse`).
- `outer` lists every buffer defined outside the loop that the loop touches: it stays live (its
  arena space untouched) for the whole loop, not just until its last textual use.
"""

from __future__ import annotations

from ..ir import Literal
from .kernels import InterpretStep, render_value


def _src(a):
    return render_value(a.val, a.aval.dtype) if isinstance(a, Literal) else f"b{a}"


def _nested(steps, out, pad="  "):
    inner = []
    for s in steps:
        s.render(inner)
    out.extend(pad + line for line in inner)


class CopyStep:
    """dst = src: a buffer copy, or a scalar literal stored into a 0-d buffer."""

    def __init__(self, dst, src):
        self.dst, self.src = dst, src

    def buffers_read(self):
        return [] if isinstance(self.src, Literal) else [self.src]

    def buffers_written(self):
        return [self.dst]

    def render(self, out):
        out.append(f"copy b{self.dst} = {_src(self.src)}")


class _ControlStep:
    blocks = ()  # names of the attributes holding nested step lists, in execution order

    def sub_blocks(self):
        return [getattr(self, name) for name in self.blocks]

    def buffers_read(self):
        return list(self.outer)

    def buffers_written(self):
        return list(self.state)


class ScanStep(_ControlStep):
    blocks = ("body",)

    def __init__(self, loop, length, reverse, init, state, xs, ys, body, carry, outer):
        self.loop, self.length, self.reverse = loop, int(length), bool(reverse)
        self.init, self.state = init, state  # init: [(state buffer, operand)]
        self.xs, self.ys = xs, ys  # slice buffer ids
        self.body, self.carry, self.outer = body, carry, outer  # carry: [(state, new value)]

    def render(self, out):
        order = "reverse " if self.reverse else ""
        out.append(
            f"scan L{self.loop} {order}length={self.length} state=({', '.join(f'b{b}' for b in self.state)}) "
            f"xs=({', '.join(f'b{b}' for b in self.xs)}) ys=({', '.join(f'b{b}' for b in self.ys)}):"
        )
        for st, src in self.init:
            out.append(f"  init b{st} = {_src(src)}")
        _nested(self.body, out)
        for st, new in self.carry:
            out.append(f"  carry b{st} = b{new}")


class WhileStep(_ControlStep):
    blocks = ("cond", "body")

    def __init__(self, loop, init, state, cond, pred, body, carry, outer):
        self.loop, self.init, self.state = loop, init, state
        self.cond, self.pred = cond, pred  # pred: the 0-d bool buffer the cond steps write
        self.body, self.carry, self.outer = body, carry, outer

    def render(self, out):
        out.append(f"while L{self.loop} state=({', '.join(f'b{b}' for b in self.state)}):")
        for st, src in self.init:
            out.append(f"  init b{st} = {_src(src)}")
        out.append("  cond:")
        _nested(self.cond, out, "    ")
        out.append(f"  while b{self.pred}:")
        _nested(self.body, out, "    ")
        for st, new in self.carry:
            out.append(f"    carry b{st} = b{new}")


class CondStep(_ControlStep):
    blocks = ("branches",)

    def __init__(self, index, branches, state, outer):
        self.index = index  # buffer id of the integer scalar, or a Literal
        self.branches, self.state, self.outer = branches, state, outer

    def sub_blocks(self):
        return list(self.branches)

    def render(self, out):
        n = len(self.branches)
        out.append(f"cond {_src(self.index)} clamped to 0..{n - 1} -> ({', '.join(f'b{b}' for b in self.state)}):")
        for i, br in enumerate(self.branches):
            out.append(f"  branch {i}:")
            _nested(br, out, "    ")


CONTROL_STEPS = (ScanStep, WhileStep, CondStep)


def walk_steps(steps):
    """Every step, nested ones included, in program order (a control step before its body)."""
    for s in steps:
        yield s
        if isinstance(s, CONTROL_STEPS):
            for block in s.sub_blocks():
                yield from walk_steps(block)


def report_lines(s, i, pad="  "):
    """The compiled report's lines for control step `s` (step number i)."""
    from .kernels import GemmStep, KernelStep

    nested = [x for block in s.sub_blocks() for x in walk_steps(block)]
    nk = sum(isinstance(x, KernelStep) for x in nested)
    ng = sum(isinstance(x, GemmStep) for x in nested)
    ni = sum(isinstance(x, InterpretStep) for x in nested)
    what = {
        ScanStep: lambda: f"native scan loop L{s.loop} of {s.length} iterations{' (reverse)' if s.reverse else ''}",
        WhileStep: lambda: f"native while loop L{s.loop}",
        CondStep: lambda: f"native branch over {len(s.branches)} case(s)",
    }[type(s)]()
    line = f"{pad}step {i}: {what}; nested: {nk} kernel(s), {ng} gemm call(s), {ni} interpreter callback(s)"
    lines = [line]
    for x in nested:
        if isinstance(x, InterpretStep):
            lines.append(f"{pad}  INTERPRETER CALLBACK {x.eqn.prim.name} inside the loop: {x.reason}")
    k = 0
    for block in s.sub_blocks():
        for x in block:
            if isinstance(x, CONTROL_STEPS):
                lines += report_lines(x, f"{i}.{k}", pad + "  ")
                k += 1
    return lines


def plan_arena(buffers, steps):
    """Offsets of temporaries in one arena, reusing the space of dead ones (first fit). Lifetimes
    are positions in the flattened step order; a loop's outer buffers live for the whole loop."""

    def storage(b):
        while buffers[b].kind == "alias":
            b = buffers[b].base
        return b

    first, last = {}, {}
    clock = [0]

    def mark(bufs, t):
        for b in bufs:
            st = storage(b)
            if buffers[st].kind == "temp":
                first[st] = min(first.get(st, t), t)
                last[st] = max(last.get(st, t), t)

    def walk(steps):
        for s in steps:
            if isinstance(s, CONTROL_STEPS):
                start = clock[0]
                clock[0] += 1
                for block in s.sub_blocks():
                    walk(block)
                    if isinstance(s, WhileStep) and block is s.cond:
                        mark([s.pred], clock[0])  # read by the loop header after the cond steps
                        clock[0] += 1
                outer = list(s.buffers_read()) + list(s.buffers_written())
                # new carries may be double-buffered with the state: live for the whole loop
                outer += [new for _, new in getattr(s, "carry", ())]
                mark(outer, start)
                mark(outer, clock[0])
                clock[0] += 1
            else:
                mark(list(s.buffers_read()) + list(s.buffers_written()), clock[0])
                clock[0] += 1

    walk(steps)
    live, top = [], 0  # (offset, size, last use)
    for b in sorted(first, key=lambda b: (first[b], b)):
        live = [x for x in live if x[2] >= first[b]]
        size = max(64, -(-buffers[b].nbytes // 64) * 64)
        offset = 0
        for lo, sz, _ in sorted(live):
            if offset + size <= lo:
                break
            offset = max(offset, lo + sz)
        buffers[b].offset = offset
        live.append((offset, size, last[b]))
        top = max(top, offset + size)
    for b in buffers.values():  # temps no step touches still need a home
        if b.kind == "temp" and b.offset is None:
            b.offset = 0
    return top
