"""Splitting large loop kernels across the cores, inside the generated code.

A kernel whose outermost loop (var 0) has independent iterations is compiled as
`k(bufs..., i64 start, i64 end, i1 with_init)`: `with_init` runs its reduction-identity init
loops, [start, end) bounds the outer loop. The entry point reads two process globals at every
call (so changing them needs no recompilation and does not change the cache key):

    jaxlite_num_threads     int32  threads a kernel may use (set_num_threads, default below)
    jaxlite_parallel_grain  int64  minimum loop-body iterations per thread (default 2**18)

and runs T = min(threads, work // grain, outer extent, MAX_THREADS) chunks: T == 1 is a plain
call; otherwise the init loops run once, then T - 1 detached helper threads (pthread_create) and
the calling thread claim chunks from a shared atomic counter (each chunk runs `thunk(block)` on a
block of pointers and bounds); the caller waits only for chunks already claimed, so a helper
that a busy machine does not schedule in time costs nothing but its share of the work (see
`_define_parallel_for`). Creating a thread costs ~20-50 us, so the grain keeps kernels under ~0.1 ms
on one thread. No Python is involved: the ctypes call that runs the program has released the GIL.

Iterations are independent when every access to a buffer the kernel writes has the same
outer-loop coefficient c0 > 0 and constant, non-negative inner coefficients, and an inner span
(sum of coef * (extent - 1)) below c0: different outer iterations touch disjoint elements. Full
reductions (c0 == 0) stay on one thread. The rounding of parallel elementwise and row-wise
kernels is identical to the serial one (each element is computed by the same code path; see
`chunk_align`).

Default thread count: JAXLITE_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs this process may
run on.
"""

from __future__ import annotations

import ctypes
import os

from llvmlite import ir

from ..passes.kernels import ArgUpdate, Let, Loop, Store, Update
from .types import i1, i32, i64, ptr

MAX_THREADS = 64
DEFAULT_GRAIN = 1 << 18
# Kernels with fewer loop-body iterations are compiled serial only (no split variant, no
# dispatch code): they could never reach two default grains, and this keeps small programs'
# code, compile time and rounding exactly as in the serial compiler.
MIN_SPLIT_WORK = 1 << 14


def _default_threads():
    for var in ("JAXLITE_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "").strip().split(",")[0]
        if v.isdigit() and int(v) > 0:
            return int(v)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


NUM_THREADS = ctypes.c_int32(_default_threads())
GRAIN = ctypes.c_int64(DEFAULT_GRAIN)

# BLAS threading policy. OpenBLAS's worker threads spin-wait; on a loaded or shared machine a
# 2-thread sgemm of MLP size (128x784x512) was measured at 55 ms against 1.2 ms on one thread.
# So BLAS runs on ONE thread by default, and a gemm of at least BLAS_PARALLEL_MACS multiply-adds
# (m*n*k; default 2**27, about a 512^3 product, ~5 ms on one core) raises it to the jaxlite
# thread count for that call only, then back to one. JAXLITE_BLAS_PARALLEL_MACS overrides the
# threshold (0: never). The switch is process-wide in OpenBLAS, so a concurrent small gemm may
# briefly run threaded: a performance effect, never a correctness one.
BLAS_PARALLEL_MACS = ctypes.c_int64(
    int(os.environ["JAXLITE_BLAS_PARALLEL_MACS"])
    if os.environ.get("JAXLITE_BLAS_PARALLEL_MACS", "").strip().isdigit()
    else 1 << 27
)
BLAS_SET_THREADS = ctypes.c_void_p(0)  # openblas_set_num_threads, when the library has one


def set_blas_parallel_macs(n: int):
    BLAS_PARALLEL_MACS.value = max(0, int(n))


def set_num_threads(n: int):
    if int(n) < 1:
        raise ValueError(f"set_num_threads: the thread count must be >= 1, got {n}")
    NUM_THREADS.value = min(int(n), MAX_THREADS)


def num_threads() -> int:
    return NUM_THREADS.value


def set_grain(n: int):
    """Minimum loop-body iterations per thread (1 makes every splittable kernel parallel)."""
    GRAIN.value = max(1, int(n))


def symbols():
    """(name, address) pairs the loaded object code needs."""
    libc = ctypes.CDLL(None)
    return [
        ("jaxlite_num_threads", ctypes.addressof(NUM_THREADS)),
        ("jaxlite_parallel_grain", ctypes.addressof(GRAIN)),
        ("jaxlite_blas_parallel_macs", ctypes.addressof(BLAS_PARALLEL_MACS)),
        ("jaxlite_blas_set_threads", ctypes.addressof(BLAS_SET_THREADS)),
        ("jaxlite_pthread_create", ctypes.cast(libc.pthread_create, ctypes.c_void_p).value),
        ("jaxlite_pthread_join", ctypes.cast(libc.pthread_join, ctypes.c_void_p).value),
        ("jaxlite_pthread_detach", ctypes.cast(libc.pthread_detach, ctypes.c_void_p).value),
        ("jaxlite_sched_yield", ctypes.cast(libc.sched_yield, ctypes.c_void_p).value),
        ("jaxlite_malloc", ctypes.cast(libc.malloc, ctypes.c_void_p).value),
        ("jaxlite_free", ctypes.cast(libc.free, ctypes.c_void_p).value),
    ]


# ---- Analysis ---------------------------------------------------------------------------------


def split_plan(program, kernel):
    """The outer extent E when the kernel's outer loop may be split, else None."""
    body = kernel.body
    if getattr(kernel, "serial", False):  # scatters: writes at computed addresses
        return None
    if not body or not isinstance(body[-1], Loop) or body[-1].var != 0 or body[-1].extent < 2:
        return None
    main = body[-1]
    accesses = []  # (buf, index, extents of the loops around it)

    def walk(stmts, extents):
        for s in stmts:
            if isinstance(s, Loop):  # (split inner loops reuse a variable with other extents)
                walk(s.body, {**extents, s.var: s.extent})
            elif isinstance(s, (Store, Update)):
                accesses.append((s.buf, s.index, extents))
            elif isinstance(s, ArgUpdate):
                accesses.extend([(s.val_buf, s.index, extents), (s.idx_buf, s.index, extents)])
            elif isinstance(s, Let) and s.op == "load":
                accesses.append((s.params["buf"], s.params["index"], extents))

    walk([main], {})
    written = {program.storage(b) for b, _, _ in accesses if b in _written(main)}
    written |= {program.storage(b) for b in kernel.stores}
    pattern, slabs = {}, {}
    for buf, index, extents in accesses:
        st = program.storage(buf)
        if st not in written:
            continue
        c0 = index.coef(0)
        span = 0
        for v, c in index.terms:
            if v == 0:
                continue
            if c < 0 or v not in extents:
                return None
            span += c * (extents[v] - 1)
        if c0 <= 0 or span >= c0:
            return None
        pattern.setdefault(st, set()).add((c0, index.const))
        # Inner loops split into pieces (passes/kernel_indexing) access one buffer with several
        # constants; still disjoint when every access stays inside its outer iteration's slab.
        slabs.setdefault(st, []).append(0 <= index.const and index.const + span < c0)
    for st, pats in pattern.items():
        if len({c0 for c0, _ in pats}) != 1 or (len(pats) > 1 and not all(slabs[st])):
            return None
    return main.extent


def _written(main):
    out = set()

    def walk(stmts):
        for s in stmts:
            if isinstance(s, Loop):
                walk(s.body)
            elif isinstance(s, (Store, Update)):
                out.add(s.buf)
            elif isinstance(s, ArgUpdate):
                out.update((s.val_buf, s.idx_buf))

    walk([main])
    return out


def chunk_align(kernel) -> int:
    """When the split loop is the innermost one, LLVM vectorises it with a scalar tail, and a
    transcendental function's vector and scalar versions may round differently (within their
    documented ulp bounds). Chunks that start on multiples of 64 elements keep every element on
    the same path as in the serial run, so results do not depend on the thread count."""
    return 1 if any(isinstance(s, Loop) for s in kernel.body[-1].body) else 64


def work(kernel) -> int:
    n = 1
    for d in kernel.domain:
        n *= d
    return n


# ---- Code generation --------------------------------------------------------------------------

SPLIT_ARGS = [i64, i64, i1]  # start, end, with_init


def _global(module, name, t):
    g = module.globals.get(name)
    if g is None:
        g = ir.GlobalVariable(module, t, name)
    return g


def emit_blas_threads(b, module, macs, gemm_calls):
    """Around `gemm_calls()` (which emits the gemm calls): threaded BLAS when the product is
    at least the runtime threshold and more than one thread is allowed."""
    fp = b.load(_global(module, "jaxlite_blas_set_threads", i64), typ=i64)
    nt = b.load(_global(module, "jaxlite_num_threads", i32), typ=i32)
    limit = b.load(_global(module, "jaxlite_blas_parallel_macs", i64), typ=i64)
    big = b.and_(
        b.and_(
            b.icmp_signed(">", limit, ir.Constant(i64, 0)), b.icmp_signed("<=", limit, ir.Constant(i64, macs))
        ),
        b.and_(b.icmp_signed(">", nt, ir.Constant(i32, 1)), b.icmp_signed("!=", fp, ir.Constant(i64, 0))),
    )
    set_threads = b.inttoptr(fp, ptr)
    ftype = ir.FunctionType(ir.VoidType(), [i32])

    def call_set(n):
        with b.if_then(big):
            b.call(_Callee(set_threads, ftype), [n])

    call_set(nt)
    gemm_calls()
    call_set(ir.Constant(i32, 1))


class _Callee:
    """llvmlite calls through a pointer when given a value with a function type."""

    def __init__(self, value, ftype):
        self.value, self.function_type, self.type = value, ftype, ptr

    def get_reference(self):
        return self.value.get_reference()


def emit_thunk(module, kernel_fn, n_params):
    """`ptr <kernel>_thunk(ptr block)`: block = n_params pointers, then start, end and with_init
    (i64 each)."""
    fn = ir.Function(module, ir.FunctionType(ptr, [ptr]), kernel_fn.name + "_thunk")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    (block,) = fn.args
    slot = lambda k: b.gep(block, [ir.Constant(i64, k)], source_etype=i64)  # noqa: E731
    params = [b.load(slot(k), typ=ptr) for k in range(n_params)]
    start = b.load(slot(n_params), typ=i64)
    end = b.load(slot(n_params + 1), typ=i64)
    with_init = b.icmp_signed("!=", b.load(slot(n_params + 2), typ=i64), ir.Constant(i64, 0))
    b.call(kernel_fn, [*params, start, end, with_init])
    b.ret(ir.Constant(ptr, None))
    return fn


PARALLEL_FOR = "jaxlite_parallel_for"
_FOR_TYPE = ir.FunctionType(ir.VoidType(), [ptr, ptr, i64, i64, i64, i64])


def emit_parallel_call(b, fn, entry_alloca, kernel_fn, thunk, args, extent, work_items, align=1):
    """In the entry function at builder `b`: run kernel_fn (through its thunk) over [0, extent)
    on T threads. Chunk bounds are rounded up to multiples of `align` (see `chunk_align`). The
    call site only stores the argument pointers; the thread logic is one shared function per
    process (`support_module`), so a program with many split steps stays small to compile."""
    cells = entry_alloca(ptr, max(1, len(args)))
    for j, a in enumerate(args):
        b.store(a, b.gep(cells, [ir.Constant(i64, j)], source_etype=ptr))
    const = lambda v: ir.Constant(i64, v)  # noqa: E731
    b.call(_parallel_for(fn.module), [thunk, cells, const(len(args)), const(extent), const(work_items), const(align)])


# The shared control block of one parallel run (i64 slots), heap-allocated so that helper
# threads that start late (a busy machine) never touch a returned stack frame:
_NEXT, _DONE, _REFS, _T, _EXTENT, _ALIGN, _N, _THUNK, _ARGS = range(9)


def _decl(module, name, ret, args):
    return module.globals.get(name) or ir.Function(module, ir.FunctionType(ret, args), name)


def _parallel_for(module):
    """The declaration of the dispatcher: it is compiled once, in `support_module`, not into every
    program (it alone cost ~60 ms of LLVM time per program: 30% of the per-example gradients'
    compile), and programs link against it when they are loaded (runtime.load_support)."""
    return _decl(module, PARALLEL_FOR, ir.VoidType(), list(_FOR_TYPE.args))


def support_module() -> ir.Module:
    """The process-wide native support code every program with a split step calls."""
    module = ir.Module(name="jaxlite_support")
    _define_parallel_for(module)
    return module


def _define_parallel_for(module):
    """`void jaxlite_parallel_for(thunk, ptr *args, i64 n, i64 extent, i64 work, i64 align)`:
    T = min(threads, work // grain, extent, MAX_THREADS) chunks; T == 1 runs the thunk once over
    everything (init loops included). Otherwise the init loops run once, then T - 1 detached
    helper threads and the caller claim chunks from a shared counter until none is left; the
    caller waits only for chunks that were claimed, never for a helper that has not started: on
    a shared machine a new thread may wait milliseconds for a core, and the caller then simply
    runs every chunk itself (fork-join with a join would wait for it). The control block is on
    the heap and freed by whichever of the caller and the helpers leaves last."""
    fn = ir.Function(module, _FOR_TYPE, PARALLEL_FOR)
    fn.attributes.add("noinline")
    create = _decl(module, "jaxlite_pthread_create", i32, [ptr, ptr, ptr, ptr])
    detach = _decl(module, "jaxlite_pthread_detach", i32, [i64])
    sched_yield = _decl(module, "jaxlite_sched_yield", i32, [])
    malloc = _decl(module, "jaxlite_malloc", ptr, [i64])
    claim, release = _emit_claim_loop(module), _emit_release(module)
    helper = _emit_helper(module, claim, release)
    thunk_type = ir.FunctionType(ptr, [ptr])
    thunk, args, n, extent, work_items, align = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    one, zero = ir.Constant(i64, 1), ir.Constant(i64, 0)
    nt = b.sext(b.load(_global(module, "jaxlite_num_threads", i32), typ=i32), i64)
    grain = b.load(_global(module, "jaxlite_parallel_grain", i64), typ=i64)
    grain = b.select(b.icmp_signed("<", grain, one), one, grain)
    t = b.sdiv(work_items, grain)
    for cap in (nt, extent, ir.Constant(i64, MAX_THREADS)):
        t = b.select(b.icmp_signed("<", cap, t), cap, t)
    t = b.select(b.icmp_signed("<", t, one), one, t)
    stride = b.add(n, ir.Constant(i64, 3))  # a chunk's block: n pointers, start, end, with_init
    serial, try_par, go, par = (fn.append_basic_block(x) for x in ("serial", "try_parallel", "go", "parallel"))
    b.cbranch(b.icmp_signed("<=", t, one), serial, try_par)
    b.position_at_end(serial)  # the whole range in one call, init loops included
    _serial(b, fn, thunk, thunk_type, args, n, extent)
    b.ret_void()

    b.position_at_end(try_par)
    # control slots, the arguments, then one block per chunk and one for the init loops
    words = b.add(b.add(ir.Constant(i64, _ARGS), n), b.mul(stride, b.add(t, one)))
    ctl = b.call(malloc, [b.mul(words, ir.Constant(i64, 8))])
    slot = lambda k: b.gep(ctl, [k if isinstance(k, ir.Value) else ir.Constant(i64, k)], source_etype=i64)  # noqa: E731
    b.cbranch(b.icmp_unsigned("==", b.ptrtoint(ctl, i64), zero), serial, go)  # no memory: serial
    b.position_at_end(go)
    for k, v in ((_NEXT, zero), (_DONE, zero), (_REFS, t), (_T, t), (_EXTENT, extent), (_ALIGN, align), (_N, n)):
        b.store(v, slot(k))
    b.store(b.ptrtoint(thunk, i64), slot(_THUNK))
    _counted(b, fn, "copy", zero, n, lambda j: b.store(
        b.ptrtoint(b.load(b.gep(args, [j], source_etype=ptr), typ=ptr), i64), slot(b.add(j, ir.Constant(i64, _ARGS)))
    ))
    init = b.gep(ctl, [b.add(b.add(ir.Constant(i64, _ARGS), n), b.mul(stride, t))], source_etype=i64)
    _fill(b, fn, ctl, init, n, zero, zero, one)
    b.call(_Callee(thunk, thunk_type), [init])  # the init loops, once, before any chunk
    b.branch(par)

    b.position_at_end(par)
    tid = b.alloca(i64)

    def spawn(k):
        rc = b.call(create, [tid, ir.Constant(ptr, None), helper, ctl])
        ok, no, cont = (fn.append_basic_block(x) for x in ("spawned", "unspawned", "next"))
        b.cbranch(b.icmp_signed("==", rc, ir.Constant(i32, 0)), ok, no)
        b.position_at_end(ok)
        b.call(detach, [b.load(tid, typ=i64)])
        b.branch(cont)
        b.position_at_end(no)  # that helper never runs: its reference goes now
        b.atomic_rmw("sub", slot(_REFS), one, "seq_cst")
        b.branch(cont)
        b.position_at_end(cont)

    _counted(b, fn, "spawn", one, t, spawn)
    b.call(claim, [ctl])
    wait, waited = fn.append_basic_block("wait"), fn.append_basic_block("waited")
    b.branch(wait)
    b.position_at_end(wait)  # chunks claimed by helpers that are still running them
    done = b.load_atomic(slot(_DONE), "seq_cst", 8, typ=i64)
    spin = fn.append_basic_block("spin")
    b.cbranch(b.icmp_signed("<", done, t), spin, waited)
    b.position_at_end(spin)
    b.call(sched_yield, [])
    b.branch(wait)
    b.position_at_end(waited)
    b.call(release, [ctl])
    b.ret_void()

    return fn


def _serial(b, fn, thunk, thunk_type, args, n, extent):
    blk = b.alloca(i64, size=b.add(n, ir.Constant(i64, 3)))
    _counted(b, fn, "copy0", ir.Constant(i64, 0), n, lambda j: b.store(
        b.ptrtoint(b.load(b.gep(args, [j], source_etype=ptr), typ=ptr), i64), b.gep(blk, [j], source_etype=i64)
    ))
    for off, v in ((0, ir.Constant(i64, 0)), (1, extent), (2, ir.Constant(i64, 1))):
        b.store(v, b.gep(blk, [b.add(n, ir.Constant(i64, off))], source_etype=i64))
    b.call(_Callee(thunk, thunk_type), [blk])


def _counted(b, fn, name, lo, hi, body):
    """for k in lo..hi-1: body(k)"""
    pre = b.block
    loop, after = fn.append_basic_block(name), fn.append_basic_block(name + "_end")
    b.cbranch(b.icmp_signed("<", lo, hi), loop, after)
    b.position_at_end(loop)
    k = b.phi(i64)
    k.add_incoming(lo, pre)
    body(k)
    nxt = b.add(k, ir.Constant(i64, 1))
    k.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, hi), loop, after)
    b.position_at_end(after)


def _fill(b, fn, ctl, blk, n, lo, hi, with_init):
    """A chunk's block: the argument pointers (from the control block), then lo, hi, with_init."""
    _counted(b, fn, "fill", ir.Constant(i64, 0), n, lambda j: b.store(
        b.load(b.gep(ctl, [b.add(j, ir.Constant(i64, _ARGS))], source_etype=i64), typ=i64),
        b.gep(blk, [j], source_etype=i64),
    ))
    for off, v in ((0, lo), (1, hi), (2, with_init)):
        b.store(v, b.gep(blk, [b.add(n, ir.Constant(i64, off))], source_etype=i64))


def _emit_claim_loop(module):
    """`void jaxlite_claim(ctl)`: run chunks from the shared counter until none is left."""
    name = "jaxlite_claim"
    if module.globals.get(name) is not None:
        return module.globals[name]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr]), name)
    fn.linkage = "internal"
    (ctl,) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    slot = lambda k: b.gep(ctl, [ir.Constant(i64, k)], source_etype=i64)  # noqa: E731
    one = ir.Constant(i64, 1)
    t = b.load(slot(_T), typ=i64)
    extent, align, n = (b.load(slot(k), typ=i64) for k in (_EXTENT, _ALIGN, _N))
    thunk = b.inttoptr(b.load(slot(_THUNK), typ=i64), ptr)
    stride = b.add(n, ir.Constant(i64, 3))
    blocks = b.gep(ctl, [b.add(ir.Constant(i64, _ARGS), n)], source_etype=i64)

    def bound(k):
        q = b.sdiv(b.mul(k, extent), t)
        q = b.mul(b.sdiv(b.add(q, b.sub(align, one)), align), align)
        return b.select(b.icmp_signed("<", extent, q), extent, q)

    loop, work, out = (fn.append_basic_block(x) for x in ("claim", "work", "out"))
    b.branch(loop)
    b.position_at_end(loop)
    k = b.atomic_rmw("add", slot(_NEXT), one, "seq_cst")
    b.cbranch(b.icmp_signed("<", k, t), work, out)
    b.position_at_end(work)
    blk = b.gep(blocks, [b.mul(k, stride)], source_etype=i64)
    _fill(b, fn, ctl, blk, n, bound(k), bound(b.add(k, one)), ir.Constant(i64, 0))
    b.call(_Callee(thunk, ir.FunctionType(ptr, [ptr])), [blk])
    b.atomic_rmw("add", slot(_DONE), one, "seq_cst")
    b.branch(loop)
    b.position_at_end(out)
    b.ret_void()
    return fn


def _emit_release(module):
    """`void jaxlite_release(ctl)`: drop one reference; the last one frees the control block."""
    name = "jaxlite_release"
    if module.globals.get(name) is not None:
        return module.globals[name]
    free = _decl(module, "jaxlite_free", ir.VoidType(), [ptr])
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr]), name)
    fn.linkage = "internal"
    (ctl,) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    left = b.atomic_rmw("sub", b.gep(ctl, [ir.Constant(i64, _REFS)], source_etype=i64), ir.Constant(i64, 1), "seq_cst")
    with b.if_then(b.icmp_signed("==", left, ir.Constant(i64, 1))):
        b.call(free, [ctl])
    b.ret_void()
    return fn


def _emit_helper(module, claim, release):
    """`ptr jaxlite_helper(ctl)`: a helper thread's body."""
    name = "jaxlite_helper"
    if module.globals.get(name) is not None:
        return module.globals[name]
    fn = ir.Function(module, ir.FunctionType(ptr, [ptr]), name)
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.call(claim, [fn.args[0]])
    b.call(release, [fn.args[0]])
    b.ret(ir.Constant(ptr, None))
    return fn
