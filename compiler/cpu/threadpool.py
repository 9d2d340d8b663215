"""`jaxlite_parallel_for`: the generated code's work-sharing loop over a persistent thread pool.

    void jaxlite_parallel_for(thunk, ptr *args, i64 n, i64 extent, i64 work, i64 align)

T = min(threads, work // grain, extent, MAX_THREADS) threads; T == 1 runs the thunk once over
everything (init loops included). Otherwise [0, extent) is cut into min(T * CHUNKS_PER_THREAD,
extent) chunks, the init loops run once, the job is published to the pool's workers, and the
caller and the workers claim chunks from one shared counter until none is left. The caller then
waits only for chunks that were claimed: a worker that a busy machine does not schedule in time
costs nothing but its share of the work.

Why a pool: the earlier version created T - 1 detached threads per call (each with a cold stack,
cold caches and, for gemm chunks, OpenBLAS's per-thread set-up), and the caller polled with
sched_yield for them. Splitting the MLP train step's gemms that way cost ~3 ms more CPU a step
(6.3 -> 9.3 ms) and lost; on this pool the same split costs about the CPU of one thread.
Workers never spin for long: between jobs a worker polls briefly (`WORKER_SPIN`, ~0.2 ms), then
sleeps in the kernel (a futex on Linux, sched_yield polling elsewhere), so an idle pool takes no
CPU from other processes, unlike OpenBLAS's own spinning pool.

Jobs and workers meet in one process-wide state block (`STATE`, owned by Python so that a
forked child can reset it, see `_after_fork`):

    BUSY       0 free, 1 while a caller has a job out; a second concurrent caller runs serially
    WORKERS    workers started so far (grown up to threads - 1 on demand)
    WORD       (generation << 32) | next chunk: claimed by compare-and-swap, so a worker that
               wakes late, with a stale generation, can never claim a chunk of a newer job
    T .. ARGS  the current job (valid while its generation is in WORD and it has open chunks)
    GEN        the generation as a 32-bit futex word that sleeping workers wait on
    SLEEPERS   workers asleep on GEN (the caller only makes the wake-up syscall when > 0)
    DONE       chunks finished (32-bit futex word the caller may sleep on)
    WAITING    non-zero while the caller sleeps on DONE

A job is published by closing WORD (next = CLOSED) before its fields are written and opening it
after, so a worker's claim sees either the whole new job or fails its compare-and-swap.
Chunk bounds depend only on (extent, T, align), never on which thread runs a chunk: results are
deterministic for a given thread count.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

from llvmlite import ir

from .types import i32, i64, ptr

# state words (i64 each); the groups are 64 bytes apart (a cache line)
BUSY, WORKERS = 0, 1
WORD, T, EXTENT, ALIGN, N, THUNK, ARGS = 8, 9, 10, 11, 12, 13, 14
GEN, SLEEPERS = 16, 17
DONE, WAITING = 24, 25
STATE = (ctypes.c_int64 * 32)()
CLOSED = 0x7FFFFFFF
MAX_POOL_ARGS = 256  # kernels with more buffers run serially (the worker's block is fixed-size)
# Polls (with a pause hint, ~25 ns each) of a futex word before sleeping on it. An idle worker
# polls ~0.2 ms: the train step's jobs come closer together than that, and a worker that has
# gone to sleep takes tens of microseconds to wake. A caller waiting for the last chunks polls
# less: if a worker shares its core, polling takes that core from the worker.
WORKER_SPIN, CALLER_SPIN = 8000, 1000
# Chunks per thread: a job is cut finer than one chunk per thread so that the threads balance
# when one of them runs slower (a busy machine, a worker that woke late): whoever is free takes
# the next chunk. Each gemm chunk re-packs the shared operand (~5% of a chunk at two per thread).
CHUNKS_PER_THREAD = 2
_FUTEX_SYSCALL = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98}
FUTEX_WAIT, FUTEX_WAKE = 128, 129  # the _PRIVATE variants

NAME = "jaxlite_parallel_for"
_FOR_TYPE = ir.FunctionType(ir.VoidType(), [ptr, ptr, i64, i64, i64, i64])
_THUNK_TYPE = ir.FunctionType(ptr, [ptr])


def futex_syscall() -> int:
    """The futex system call number on this host, or 0 (then waits poll with sched_yield)."""
    if not sys.platform.startswith("linux"):
        return 0
    return _FUTEX_SYSCALL.get(platform.machine().lower(), 0)


def _is_x86():
    return platform.machine().lower() in ("x86_64", "amd64")


def _after_fork():
    # a forked child has none of the parent's threads: start its own workers when needed
    STATE[BUSY] = 0
    STATE[WORKERS] = 0
    STATE[SLEEPERS] = 0
    STATE[WAITING] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def symbols():
    libc = ctypes.CDLL(None)
    return [
        ("jaxlite_pool_state", ctypes.addressof(STATE)),
        ("jaxlite_syscall", ctypes.cast(libc.syscall, ctypes.c_void_p).value),
    ]


class _Callee:
    """llvmlite calls through a pointer when given a value with a function type."""

    def __init__(self, value, ftype):
        self.value, self.function_type, self.type = value, ftype, ptr

    def get_reference(self):
        return self.value.get_reference()


def _decl(module, name, ret, args, var_arg=False):
    return module.globals.get(name) or ir.Function(module, ir.FunctionType(ret, args, var_arg=var_arg), name)


def _global(module, name, t):
    return module.globals.get(name) or ir.GlobalVariable(module, t, name)


class _Em:
    """Helpers over one function being built."""

    def __init__(self, module, fn):
        self.module, self.fn = module, fn
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        # declared as one i64: the symbol is the address of the first of the 32 words
        self.state = _global(module, "jaxlite_pool_state", i64)

    def word(self, k):
        return self.b.gep(self.state, [ir.Constant(i64, k)], source_etype=i64)

    def word32(self, k):  # the first 4 bytes of word k (GEN and DONE: only ever used as 32 bits)
        return self.b.bitcast(self.word(k), ir.PointerType(i32))

    def load(self, k, t=i64):
        return self.b.load_atomic(self.word(k) if t is i64 else self.word32(k), "seq_cst", t.width // 8, typ=t)

    def store(self, k, v):
        self.b.store_atomic(v, self.word(k) if v.type is i64 else self.word32(k), "seq_cst", v.type.width // 8)

    def rmw(self, op, k, v):
        return self.b.atomic_rmw(op, self.word(k) if v.type is i64 else self.word32(k), v, "seq_cst")

    def block(self, name):
        return self.fn.append_basic_block(name)

    def counted(self, name, lo, hi, body):
        """for k in lo..hi-1: body(k)"""
        b = self.b
        pre = b.block
        loop, after = self.block(name), self.block(name + "_end")
        b.cbranch(b.icmp_signed("<", lo, hi), loop, after)
        b.position_at_end(loop)
        k = b.phi(i64)
        k.add_incoming(lo, pre)
        body(k)
        nxt = b.add(k, ir.Constant(i64, 1))
        k.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, hi), loop, after)
        b.position_at_end(after)

    def fill(self, blk, args, n, lo, hi, with_init):
        """A chunk's block: the n argument pointers, then lo, hi, with_init."""
        b = self.b

        def copy(j):
            arg = b.load(b.gep(args, [j], source_etype=ptr), typ=ptr)
            b.store(b.ptrtoint(arg, i64), b.gep(blk, [j], source_etype=i64))

        self.counted("fill", ir.Constant(i64, 0), n, copy)
        for off, v in ((0, lo), (1, hi), (2, with_init)):
            b.store(v, b.gep(blk, [b.add(n, ir.Constant(i64, off))], source_etype=i64))

    def futex(self, k, op, val):
        """futex(word32 k, op, val) when the host has futexes; sched_yield otherwise."""
        nr = futex_syscall()
        if not nr:
            if op == FUTEX_WAIT:
                self.b.call(_decl(self.module, "jaxlite_sched_yield", i32, []), [])
            return
        syscall = _decl(self.module, "jaxlite_syscall", i64, [i64], var_arg=True)
        null = ir.Constant(ptr, None)
        c = lambda v: ir.Constant(i64, v)  # noqa: E731
        self.b.call(syscall, [c(nr), self.word32(k), c(op), val, null, null, c(0)])

    def wait_while_equal(self, k, value, sleepers_word, name, spin):
        """Return once word32 k != value: poll `spin` times, then sleep on it (counted in
        `sleepers_word`, so the waker knows to make the wake-up call)."""
        b = self.b
        head, poll, check, sleep, out = (self.block(name + x) for x in ("_head", "_poll", "_check", "_sleep", "_out"))
        pre = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), pre)
        b.cbranch(b.icmp_unsigned("!=", self.load(k, i32), value), out, poll)
        b.position_at_end(poll)
        if _is_x86():  # a spin-wait hint: frees the core's pipeline while polling
            b.call(_decl(self.module, "llvm.x86.sse2.pause", ir.VoidType(), []), [])
        nxt = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(nxt, poll)
        b.cbranch(b.icmp_signed("<", nxt, ir.Constant(i64, spin)), head, check)
        b.position_at_end(check)
        self.rmw("add", sleepers_word, ir.Constant(i64, 1))
        b.branch(sleep)
        b.position_at_end(sleep)
        # the kernel re-checks the word before sleeping: a change since our last look wakes us
        self.futex(k, FUTEX_WAIT, b.zext(value, i64))
        sleeping_done = self.block(name + "_woken")
        b.cbranch(b.icmp_unsigned("!=", self.load(k, i32), value), sleeping_done, sleep)
        b.position_at_end(sleeping_done)
        self.rmw("sub", sleepers_word, ir.Constant(i64, 1))
        b.branch(out)
        b.position_at_end(out)


def _emit_claim(module):
    """`void jaxlite_pool_claim(i64 gen, ptr blk)`: run chunks of job `gen` until none is left;
    `blk` is the caller's scratch block (MAX_POOL_ARGS + 3 words)."""
    name = "jaxlite_pool_claim"
    if module.globals.get(name) is not None:
        return module.globals[name]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [i64, ptr]), name)
    fn.linkage = "internal"
    gen, blk = fn.args
    em = _Em(module, fn)
    b = em.b
    one, mask = ir.Constant(i64, 1), ir.Constant(i64, 0xFFFFFFFF)
    loop, try_claim, work, out = (em.block(x) for x in ("claim", "try", "work", "out"))
    b.branch(loop)
    b.position_at_end(loop)
    w = em.load(WORD)
    t = em.load(T)
    same_job = b.icmp_unsigned("==", b.lshr(w, ir.Constant(i64, 32)), gen)
    k = b.and_(w, mask)
    b.cbranch(b.and_(same_job, b.icmp_signed("<", k, t)), try_claim, out)
    b.position_at_end(try_claim)
    pair = b.cmpxchg(em.word(WORD), w, b.add(w, one), "seq_cst", "seq_cst")
    b.cbranch(b.extract_value(pair, 1), work, loop)
    b.position_at_end(work)
    # chunk k of job `gen` is ours: the job's fields stay put until its last chunk is done
    extent, align, n = em.load(EXTENT), em.load(ALIGN), em.load(N)
    thunk, args = b.inttoptr(em.load(THUNK), ptr), b.inttoptr(em.load(ARGS), ptr)

    def bound(j):
        q = b.sdiv(b.mul(j, extent), t)
        q = b.mul(b.sdiv(b.add(q, b.sub(align, one)), align), align)
        return b.select(b.icmp_signed("<", extent, q), extent, q)

    em.fill(blk, args, n, bound(k), bound(b.add(k, one)), ir.Constant(i64, 0))
    b.call(_Callee(thunk, _THUNK_TYPE), [blk])
    em.rmw("add", DONE, ir.Constant(i32, 1))
    with b.if_then(b.icmp_signed("!=", em.load(WAITING), ir.Constant(i64, 0))):
        em.futex(DONE, FUTEX_WAKE, ir.Constant(i64, 1))
    b.branch(loop)
    b.position_at_end(out)
    b.ret_void()
    return fn


def _emit_worker(module, claim):
    """`ptr jaxlite_pool_worker(ptr seen)`: a pool thread's body; `seen` is the generation at
    its start (jobs up to it are not its business). It never returns."""
    name = "jaxlite_pool_worker"
    if module.globals.get(name) is not None:
        return module.globals[name]
    fn = ir.Function(module, ir.FunctionType(ptr, [ptr]), name)
    fn.linkage = "internal"
    em = _Em(module, fn)
    b = em.b
    blk = b.alloca(i64, size=ir.Constant(i64, MAX_POOL_ARGS + 3))
    start = b.trunc(b.ptrtoint(fn.args[0], i64), i32)
    entry = b.block
    loop = em.block("jobs")
    b.branch(loop)
    b.position_at_end(loop)
    seen = b.phi(i32)
    seen.add_incoming(start, entry)
    em.wait_while_equal(GEN, seen, SLEEPERS, "idle", WORKER_SPIN)
    g = em.load(GEN, i32)
    b.call(claim, [b.zext(g, i64), blk])
    seen.add_incoming(g, b.block)
    b.branch(loop)
    return fn


def parallel_for(module):
    """The declaration of `jaxlite_parallel_for` in a program's module. Its one definition is in
    the runtime module (`runtime_module`), compiled and loaded once per process."""
    return _decl(module, NAME, ir.VoidType(), list(_FOR_TYPE.args))


def runtime_module() -> ir.Module:
    """The pool's code: `jaxlite_pool_parallel_for` (bound to the symbol NAME when loaded), the
    claim loop and the worker body. One copy per process rather than one per program: a program
    with one parallel kernel (x * 2 + 1 over 256 x 128) took ~60 ms of LLVM time with its own
    copy of the thread logic, ~18 ms now (a serial one: ~7 ms)."""
    module = ir.Module(name="jaxlite_pool")
    from . import parallel

    fn = ir.Function(module, _FOR_TYPE, "jaxlite_pool_parallel_for")
    create = _decl(module, "jaxlite_pthread_create", i32, [ptr, ptr, ptr, ptr])
    detach = _decl(module, "jaxlite_pthread_detach", i32, [i64])
    claim = _emit_claim(module)
    worker = _emit_worker(module, claim)
    thunk, args, n, extent, work_items, align = fn.args
    em = _Em(module, fn)
    b = em.b
    one, zero = ir.Constant(i64, 1), ir.Constant(i64, 0)
    blk = b.alloca(i64, size=ir.Constant(i64, MAX_POOL_ARGS + 3))
    tid = b.alloca(i64)
    nt = b.sext(b.load(_global(module, "jaxlite_num_threads", i32), typ=i32), i64)
    grain = b.load(_global(module, "jaxlite_parallel_grain", i64), typ=i64)
    grain = b.select(b.icmp_signed("<", grain, one), one, grain)
    t = b.sdiv(work_items, grain)
    for cap in (nt, extent, ir.Constant(i64, parallel.MAX_THREADS)):
        t = b.select(b.icmp_signed("<", cap, t), cap, t)
    t = b.select(b.icmp_signed("<", t, one), one, t)
    threads = t
    t = b.mul(t, ir.Constant(i64, CHUNKS_PER_THREAD))  # the job's chunks
    t = b.select(b.icmp_signed("<", extent, t), extent, t)
    serial, try_pool, got_pool, run, unlock_serial = (
        em.block(x) for x in ("serial", "try_pool", "got_pool", "run", "unlock_serial")
    )
    small = b.icmp_signed("<=", n, ir.Constant(i64, MAX_POOL_ARGS))
    b.cbranch(b.and_(b.icmp_signed(">", threads, one), small), try_pool, serial)

    b.position_at_end(serial)  # the whole range in one call, init loops included
    em.fill(blk, args, n, zero, extent, one)
    b.call(_Callee(thunk, _THUNK_TYPE), [blk])
    b.ret_void()

    b.position_at_end(try_pool)  # one job at a time; a concurrent caller runs serially
    pair = b.cmpxchg(em.word(BUSY), zero, one, "seq_cst", "seq_cst")
    b.cbranch(b.extract_value(pair, 1), got_pool, serial)

    b.position_at_end(got_pool)
    gen_now = em.load(GEN, i32)
    want = b.sub(threads, one)

    def spawn(_):
        rc = b.call(create, [tid, ir.Constant(ptr, None), worker, b.inttoptr(b.zext(gen_now, i64), ptr)])
        ok, cont = em.block("spawned"), em.block("spawn_next")
        b.cbranch(b.icmp_signed("==", rc, ir.Constant(i32, 0)), ok, cont)
        b.position_at_end(ok)
        b.call(detach, [b.load(tid, typ=i64)])
        em.rmw("add", WORKERS, one)
        b.branch(cont)
        b.position_at_end(cont)

    em.counted("spawn", em.load(WORKERS), want, spawn)
    b.cbranch(b.icmp_signed(">", em.load(WORKERS), zero), run, unlock_serial)
    b.position_at_end(unlock_serial)  # no worker could be started
    em.store(BUSY, zero)
    b.branch(serial)

    b.position_at_end(run)
    em.fill(blk, args, n, zero, zero, one)
    b.call(_Callee(thunk, _THUNK_TYPE), [blk])  # the init loops, once, before any chunk
    g = b.add(b.zext(gen_now, i64), one)
    g = b.and_(g, ir.Constant(i64, 0xFFFFFFFF))
    hi = b.shl(g, ir.Constant(i64, 32))
    em.store(WORD, b.or_(hi, ir.Constant(i64, CLOSED)))  # late claims of the last job fail now
    em.store(DONE, ir.Constant(i32, 0))  # DONE and GEN are only ever accessed as 32-bit words
    em.store(WAITING, zero)
    for k, v in ((T, t), (EXTENT, extent), (ALIGN, align), (N, n)):
        em.store(k, v)
    em.store(THUNK, b.ptrtoint(thunk, i64))
    em.store(ARGS, b.ptrtoint(args, i64))
    em.store(WORD, hi)  # open: chunk 0 is next
    em.store(GEN, b.trunc(g, i32))
    with b.if_then(b.icmp_signed(">", em.load(SLEEPERS), zero)):
        em.futex(GEN, FUTEX_WAKE, ir.Constant(i64, 0x7FFFFFFF))
    b.call(claim, [g, blk])
    # every chunk is claimed; wait for those that workers are still running
    t32 = b.trunc(t, i32)
    wait, check, out = em.block("wait"), em.block("wait_check"), em.block("waited")
    b.branch(wait)
    b.position_at_end(wait)
    done = em.load(DONE, i32)
    b.cbranch(b.icmp_signed("<", done, t32), check, out)
    b.position_at_end(check)
    em.wait_while_equal(DONE, done, WAITING, "join", CALLER_SPIN)
    b.branch(wait)
    b.position_at_end(out)
    em.store(BUSY, zero)
    b.ret_void()
    return module
