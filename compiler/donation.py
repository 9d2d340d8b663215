"""When may a compiled program write an output into one of its input buffers (buffer donation)?

`jit(f, donate_argnums=...)` gives the program a donated input's memory as an output buffer,
so the native code reads the input and writes the output in the same memory. That is only
correct when no read of the input can see a value the output already overwrote. The rule here
is deliberately narrow, the elementwise update (`params - lr * grads`, `x * 2 + y`):

- exactly one step writes the output's storage, a loop kernel, with one plain `store` (not a
  reduction's update) at an index that visits every element once (a mixed-radix affine index
  of all its enclosing loops);
- no step after that kernel reads the input (steps before it may: they read it intact), and
  the input is not also an output as it is (copied out after the program ran);
- inside the kernel, every read of the input sits in the store's loop body, before the store,
  at the same index, and feeds the stored value: the element is read, then overwritten, and no
  other iteration reads it. (Kernels' buffer arguments are `noalias` to LLVM; a transformation
  allowed by that can only move accesses to different elements past each other, and the data
  dependence keeps the read of an element before its write.)

Anything else (gathers, gemms, sorts, control flow, interpreter steps touching the output) is
answered "no", and the caller falls back to a fresh output buffer.
"""

from __future__ import annotations

from .passes.control_steps import CONTROL_STEPS, walk_steps
from .passes.kernels import ArgUpdate, KernelStep, Let, Loop, Store, Update


def _touched(program, step):
    """(storages read, storages written) by a top-level step, nested steps included."""
    reads, writes = set(), set()
    for s in walk_steps([step]):
        reads.update(program.storage(b) for b in s.buffers_read() if isinstance(b, int))
        writes.update(program.storage(b) for b in s.buffers_written())
    return reads, writes


def can_alias(program, input_pos: int, output_slot: int) -> bool:
    """True when output buffer `output_slot` may live in input `input_pos`'s memory (positions
    in program.inputs, consts included, and program.output_buffers)."""
    src = program.storage(program.inputs[input_pos])
    outs = program.output_buffers
    if not 0 <= output_slot < len(outs):
        return False
    dst = outs[output_slot]
    inp = program.buffers[src]
    if dst.nbytes != inp.nbytes or dst.dtype != inp.dtype or dst.nbytes == 0:
        return False
    if ("input", input_pos) in [tuple(o) for o in program.outputs]:
        return False  # also returned as it is: copied out after the program ran
    writers, last_read = [], -1
    for i, step in enumerate(program.steps):
        reads, writes = _touched(program, step)
        if dst.id in writes:
            writers.append((i, step))
        if src in reads:
            last_read = i
    if len(writers) != 1:
        return False
    pos, step = writers[0]
    if isinstance(step, CONTROL_STEPS) or not isinstance(step, KernelStep) or last_read > pos:
        return False
    return _kernel_in_place(program, step.kernel, src, dst.id)


def _kernel_in_place(program, kernel, src, dst):
    found = []  # (store, its body, enclosing loops)

    def walk(stmts, loops):
        for s in stmts:
            if isinstance(s, Loop):
                if not walk(s.body, loops + [s]):
                    return False
            elif isinstance(s, (Update, ArgUpdate)):
                bufs = [s.buf] if isinstance(s, Update) else [s.val_buf, s.idx_buf]
                if dst in {program.storage(b) for b in bufs}:
                    return False  # a reduction reads its output back
            elif isinstance(s, Store) and program.storage(s.buf) == dst:
                found.append((s, stmts, loops))
            elif isinstance(s, Let) and s.op == "load_at" and program.storage(s.params["buf"]) == src:
                return False  # a computed address: any element
        return True

    if not walk(kernel.body, []) or len(found) != 1:
        return False
    store, body, loops = found[0]
    if not _visits_each_once(store.index, loops):
        return False
    # every load of the input: in the store's body, before it, same index, feeding the value
    lets = {}
    for s in body[: body.index(store)]:
        if isinstance(s, Let):
            lets[s.dst] = s
    feeding, todo = set(), [store.src]
    while todo:
        v = todo.pop()
        if v in feeding or v not in lets:
            continue
        feeding.add(v)
        todo.extend(a for a in lets[v].args if isinstance(a, int))
    for s in _all_statements(kernel.body):
        if isinstance(s, Let) and s.op == "load" and program.storage(s.params["buf"]) == src:
            if lets.get(s.dst) is not s or s.params["index"] != store.index or s.dst not in feeding:
                return False
    return True


def _all_statements(stmts):
    for s in stmts:
        yield s
        if isinstance(s, Loop):
            yield from _all_statements(s.body)


def _visits_each_once(index, loops):
    """The affine index takes a distinct value in every iteration of the enclosing loops."""
    terms = dict(index.terms)
    dims = []
    for lp in loops:
        c = terms.pop(lp.var, 0)
        if lp.extent > 1:
            if c <= 0:
                return False
            dims.append((c, lp.extent))
    if terms:  # a variable of no enclosing loop
        return False
    span = 0
    for c, e in sorted(dims):
        if c <= span:
            return False
        span += c * (e - 1)
    return True
