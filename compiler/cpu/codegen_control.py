"""Native loops and branches in the entry function, around nested steps (passes/control_steps).

- scan: a counted loop `for i in 0..length`; the iteration's index is i, or length-1-i for a
  reverse scan; each slice buffer's pointer is its base's plus index * slice size, computed at
  the top of the iteration; the nested steps follow, then the carry copies.
- while: a header block runs the cond steps and branches on the bool they wrote; the body block
  runs the body steps and the carry copies, then jumps back to the header.
- cond: the index is clamped into [0, branches - 1] (as JAX does) and a `switch` selects the
  branch's block.

Copies are `llvm.memcpy` calls of a buffer's bytes (LLVM turns small fixed ones into moves);
carries of SWAP_MIN_BYTES and more are double-buffered instead (pointer swaps, see _Swaps).
Nothing here calls back into Python: a Python call inside a loop only happens for a nested step
the back end cannot compile (an InterpretStep, listed in the report).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from .. import dtypes
from ..ir import Literal
from ..passes.control_steps import CondStep, CopyStep, ScanStep, WhileStep
from . import emit_complex
from .types import Pair, const, i1, i8, i64, mem_type, ptr, void


class Env:
    """What the entry function's emitter shares with this module."""

    def __init__(self, cx, fn, program, ptr_of, dynamic_ptrs, emit_steps):
        self.cx, self.fn, self.program = cx, fn, program
        self.ptr_of, self.dynamic_ptrs, self.emit_steps = ptr_of, dynamic_ptrs, emit_steps

    @property
    def b(self):
        return self.cx.b


def emit(env, s):
    {CopyStep: _copy_step, ScanStep: _scan, WhileStep: _while, CondStep: _cond}[type(s)](env, s)


def _copy(env, dst, src):
    b, program = env.b, env.program
    buf = program.buffers[dst]
    if isinstance(src, Literal):
        value = np.asarray(src.val, dtype=buf.dtype)
        v = const(buf.dtype, value.reshape(-1)[0] if value.size else 0)
        if buf.dtype == dtypes.bool_:
            v = b.zext(v, i8)
        for k in range(int(np.prod(buf.shape, dtype=np.int64))):  # literals are scalars
            addr = b.gep(env.ptr_of(dst), [ir.Constant(i64, k)], source_etype=mem_type(buf.dtype))
            if isinstance(v, Pair):  # complex: two parts
                emit_complex.store(b, v, addr, buf.dtype)
            else:
                b.store(v, addr)
        return
    if src == dst or buf.nbytes == 0:
        return
    _memcpy(env, env.ptr_of(dst), env.ptr_of(src), buf.nbytes)


def _memcpy(env, dst, src, nbytes):
    memcpy = env.cx.declare("llvm.memcpy.p0.p0.i64", void, [ptr, ptr, i64, i1], pure=False)
    env.b.call(memcpy, [dst, src, ir.Constant(i64, nbytes), ir.Constant(i1, 0)])


def _copy_step(env, s):
    _copy(env, s.dst, s.src)


def _bind_slices(env, slices, index):
    b, program = env.b, env.program
    for sl in slices:
        buf = program.buffers[sl]
        offset = b.mul(index, ir.Constant(i64, buf.nbytes))
        env.dynamic_ptrs[sl] = b.gep(env.ptr_of(buf.base), [offset], source_etype=i8)


# Carries of at least this many bytes are double-buffered: the state and the new value swap
# pointers at the end of an iteration instead of being copied (smaller ones: a copy is cheaper
# than keeping two more pointers live across the loop).
SWAP_MIN_BYTES = 256


class _Swaps:
    """The double-buffered carries of a loop: (state storage, new value) pairs whose pointers
    are phis in the loop header, swapped at its latch. The new value is a temporary of the
    body's own (planned live for the whole loop), used by no other carry."""

    def __init__(self, env, carry):
        program = env.program
        news = [new for _, new in carry]
        self.env, self.pairs = env, []
        for st, new in carry:
            buf = program.buffers[new]
            key = program.storage(st)
            if buf.kind == "temp" and news.count(new) == 1 and key != new and buf.nbytes >= SWAP_MIN_BYTES:
                self.pairs.append((key, new))
        self.orig = {key: env.ptr_of(key) for key, _ in self.pairs}  # where the result belongs
        self.fixed = {new: env.ptr_of(new) for _, new in self.pairs}
        self.saved = {k: env.dynamic_ptrs.get(k) for pair in self.pairs for k in pair}
        self.swapped = {st for st, _ in self.pairs}

    def header(self, pre):
        """Phis at the top of the loop header: (current state, buffer for the new value)."""
        b = self.env.b
        self.phis = []
        for key, new in self.pairs:
            cur, oth = b.phi(ptr), b.phi(ptr)
            cur.add_incoming(self.orig[key], pre)
            oth.add_incoming(self.fixed[new], pre)
            self.env.dynamic_ptrs[key], self.env.dynamic_ptrs[new] = cur, oth
            self.phis.append((cur, oth))

    def latch(self):
        block = self.env.b.block
        for cur, oth in self.phis:
            cur.add_incoming(oth, block)
            oth.add_incoming(cur, block)

    def restore(self):
        for k, v in self.saved.items():
            if v is None:
                self.env.dynamic_ptrs.pop(k, None)
            else:
                self.env.dynamic_ptrs[k] = v


def _carry_copies(env, carry, swaps):
    for st, new in carry:
        if env.program.storage(st) not in swaps.swapped:
            _copy(env, st, new)


def _scan(env, s: ScanStep):
    for st, src in s.init:
        _copy(env, st, src)
    if s.length == 0:
        return
    b, fn = env.b, env.fn
    swaps = _Swaps(env, s.carry)
    pre = b.block
    body = fn.append_basic_block(f"scan{s.loop}")
    after = fn.append_basic_block(f"scan{s.loop}_done")
    b.branch(body)
    b.position_at_end(body)
    i = b.phi(i64, name=f"L{s.loop}")
    i.add_incoming(ir.Constant(i64, 0), pre)
    swaps.header(pre)
    index = b.sub(ir.Constant(i64, s.length - 1), i) if s.reverse else i
    _bind_slices(env, s.xs + s.ys, index)
    env.emit_steps(s.body)
    _carry_copies(env, s.carry, swaps)
    nxt = env.b.add(i, ir.Constant(i64, 1), flags=["nuw", "nsw"])
    i.add_incoming(nxt, env.b.block)
    swaps.latch()
    env.b.cbranch(env.b.icmp_signed("<", nxt, ir.Constant(i64, s.length)), body, after)
    env.b.position_at_end(after)
    swaps.restore()
    if s.length % 2:  # after an odd number of swaps the result sits in the new value's buffer
        for key, new in swaps.pairs:
            _memcpy(env, swaps.orig[key], swaps.fixed[new], env.program.buffers[new].nbytes)


def _while(env, s: WhileStep):
    for st, src in s.init:
        _copy(env, st, src)
    b, fn = env.b, env.fn
    swaps = _Swaps(env, s.carry)
    pre = b.block
    head = fn.append_basic_block(f"while{s.loop}")
    body = fn.append_basic_block(f"while{s.loop}_body")
    after = fn.append_basic_block(f"while{s.loop}_done")
    b.branch(head)
    b.position_at_end(head)
    swaps.header(pre)
    env.emit_steps(s.cond)
    pred = env.b.load(env.ptr_of(s.pred), typ=i8)
    env.b.cbranch(env.b.icmp_unsigned("!=", pred, ir.Constant(i8, 0)), body, after)
    env.b.position_at_end(body)
    env.emit_steps(s.body)
    _carry_copies(env, s.carry, swaps)
    swaps.latch()
    env.b.branch(head)
    env.b.position_at_end(after)
    swaps.restore()
    for (key, new), (cur, _) in zip(swaps.pairs, swaps.phis, strict=True):
        # a run-time parity: copy back when the result ended in the other buffer
        moved = env.b.icmp_unsigned("!=", cur, swaps.orig[key])
        with env.b.if_then(moved):
            _memcpy(env, swaps.orig[key], cur, env.program.buffers[new].nbytes)


def _cond(env, s: CondStep):
    b, fn, n = env.b, env.fn, len(s.branches)
    if isinstance(s.index, Literal):
        k = int(np.clip(int(np.asarray(s.index.val)), 0, n - 1))
        env.emit_steps(s.branches[k])
        return
    dtype = env.program.buffers[s.index].dtype
    raw = b.load(env.ptr_of(s.index), typ=mem_type(dtype))
    if dtype == dtypes.bool_ or not dtypes.is_signed(dtype):
        idx = b.zext(raw, i64) if raw.type.width < 64 else raw
        idx = b.select(b.icmp_unsigned(">", idx, ir.Constant(i64, n - 1)), ir.Constant(i64, n - 1), idx)
    else:
        idx = b.sext(raw, i64) if raw.type.width < 64 else raw
        idx = b.select(b.icmp_signed("<", idx, ir.Constant(i64, 0)), ir.Constant(i64, 0), idx)
        idx = b.select(b.icmp_signed(">", idx, ir.Constant(i64, n - 1)), ir.Constant(i64, n - 1), idx)
    blocks = [fn.append_basic_block(f"branch{k}") for k in range(n)]
    after = fn.append_basic_block("branch_done")
    sw = b.switch(idx, blocks[-1])
    for k in range(n - 1):
        sw.add_case(ir.Constant(i64, k), blocks[k])
    for blk, steps in zip(blocks, s.branches, strict=True):
        env.b.position_at_end(blk)
        env.emit_steps(steps)
        env.b.branch(after)
    env.b.position_at_end(after)
