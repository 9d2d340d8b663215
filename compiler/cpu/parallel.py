"""Splitting large loop kernels across the cores, inside the generated code.

A kernel whose outermost loop (var 0) has independent iterations is compiled as
`k(bufs..., i64 start, i64 end, i1 with_init)`: `with_init` runs its reduction-identity init
loops, [start, end) bounds the outer loop. The entry point reads two process globals at every
call (so changing them needs no recompilation and does not change the cache key):

    jaxlite_num_threads     int32  threads a kernel may use (set_num_threads, default below)
    jaxlite_parallel_grain  int64  minimum loop-body iterations per thread (default 2**15)

and runs T = min(threads, work // grain, outer extent, MAX_THREADS) chunks: T == 1 is a plain
call; otherwise the init loops run once, then the calling thread and the workers of a
persistent pool claim chunks from a shared atomic counter (each chunk runs `thunk(block)` on a
block of pointers and bounds); the caller waits only for chunks already claimed, so a worker
that a busy machine does not schedule in time costs nothing but its share of the work (see
cpu/threadpool). Waking a sleeping worker costs a few microseconds, so the grain keeps kernels
above ~0.1 ms on one thread. No Python is involved: the ctypes call that runs the program has
released the GIL.

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
from . import threadpool
from .types import i1, i32, i64, ptr

MAX_THREADS = 64
# 2**15 iterations per thread (~20-50 us of an elementwise loop): handing a chunk to an awake pool
# worker costs well under a microsecond, waking a sleeping one tens (the MLP train step's
# [128, 512] bias-tanh kernels split at this grain; 2**18 was sized for a thread per call).
DEFAULT_GRAIN = 1 << 15
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
        *threadpool.symbols(),
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


def emit_parallel_call(b, fn, entry_alloca, kernel_fn, thunk, args, extent, work_items, align=1):
    """In the entry function at builder `b`: run kernel_fn (through its thunk) over [0, extent)
    on T threads. Chunk bounds are rounded up to multiples of `align` (see `chunk_align`). The
    call site only stores the argument pointers; the thread logic is one shared function per
    module (`threadpool.parallel_for`), so a program with many split steps stays small to compile."""
    cells = entry_alloca(ptr, max(1, len(args)))
    for j, a in enumerate(args):
        b.store(a, b.gep(cells, [ir.Constant(i64, j)], source_etype=ptr))
    const = lambda v: ir.Constant(i64, v)  # noqa: E731
    call_args = [thunk, cells, const(len(args)), const(extent), const(work_items), const(align)]
    b.call(threadpool.parallel_for(fn.module), call_args)
