"""kernels.Program -> one llvmlite ir.Module with one entry point.

    int32 entry(void **bufs, void *ctx, int32 (*callback)(void *ctx, int64 step, void **ptrs))

`bufs` holds the inputs, then the outputs, then the base of the temporaries' arena. A callback
gets the pointers of its step's operand buffers then result buffers. Loops and branches
(control_steps) are emitted in the entry function by codegen_control. Kernels are
internal functions whose buffer arguments are `noalias` (buffers never overlap: the program is
SSA and aliases are only read), which is what lets LLVM vectorise their inner loops. Gemm steps
call BLAS through the symbols `jaxlite_sgemm` / `jaxlite_dgemm` (bound to SciPy's BLAS when the
object is loaded). Interpreter steps call `callback`; a non-zero answer aborts the program and is
returned. Everything is built with IRBuilder; no IR text is written by hand.
"""

from __future__ import annotations

from llvmlite import ir

from .. import dtypes
from ..passes.control_steps import walk_steps
from ..passes.kernel_standalone import accumulating
from ..passes.kernels import ArgUpdate, GemmStep, InterpretStep, KernelStep, Let, Loop, Store, Update
from ..passes.lapack_steps import LapackStep
from ..passes.sort_step import SortStep
from . import codegen_control, emit_complex, emit_complex_order, emit_sort, lapack, parallel, scalar, vecmath
from .emit_indexing import ComputedAddresses
from .scalar import EmitContext
from .types import Pair, const, i1, i8, i32, i64, mem_type, ptr, void

CALLBACK_TYPE = ir.FunctionType(i32, [ptr, i64, ptr])
ENTRY_TYPE = ir.FunctionType(i32, [ptr, ptr, ptr])
BLAS_SYMBOLS = {
    dtypes.float32: "jaxlite_sgemm",
    dtypes.float64: "jaxlite_dgemm",
    dtypes.complex64: "jaxlite_cgemm",
    dtypes.complex128: "jaxlite_zgemm",
}


def _gemm_scalar(t, v):
    """alpha or beta: a float, or for cgemm/zgemm a [2 x part] complex number (v + 0i)."""
    return ir.Constant(t, [float(v), 0.0]) if isinstance(t, ir.ArrayType) else ir.Constant(t, v)


class _KernelEmitter(ComputedAddresses):
    def __init__(self, cx, program, kernel, fn):
        self.cx, self.program, self.kernel, self.fn = cx, program, kernel, fn
        self.param = dict(zip(kernel.params, fn.args, strict=False))
        self.values, self.dtypes, self.loop_vars = {}, {}, {}

    @property
    def b(self):
        return self.cx.b

    def address(self, buf, index):
        b = self.b
        storage = self.param[self.program.storage(buf)]
        offset = self.affine(index)
        return b.gep(storage, [offset], inbounds=True, source_etype=mem_type(self.program.buffers[buf].dtype))

    def affine(self, index):
        b = self.b
        acc = None
        for v, c in index.terms:
            term = (
                self.loop_vars[v] if c == 1 else b.mul(self.loop_vars[v], ir.Constant(i64, c), flags=["nsw"])
            )
            acc = term if acc is None else b.add(acc, term, flags=["nsw"])
        if acc is None:
            return ir.Constant(i64, index.const)
        return b.add(acc, ir.Constant(i64, index.const), flags=["nsw"]) if index.const else acc

    def load(self, buf, index):
        dtype = self.program.buffers[buf].dtype
        if dtype.kind == "c":
            return emit_complex.load(self.b, self.address(buf, index), dtype)
        v = self.b.load(self.address(buf, index), typ=mem_type(dtype), align=dtype.itemsize)
        return self.b.icmp_unsigned("!=", v, ir.Constant(i8, 0)) if dtype == dtypes.bool_ else v

    def store(self, buf, index, value):
        dtype = self.program.buffers[buf].dtype
        if dtype.kind == "c":
            return emit_complex.store(self.b, value, self.address(buf, index), dtype)
        if dtype == dtypes.bool_:
            value = self.b.zext(value, i8)
        self.b.store(value, self.address(buf, index), align=dtype.itemsize)

    def block(self, stmts):
        for s in stmts:
            getattr(self, "_" + type(s).__name__)(s)

    def _Loop(self, s: Loop):
        if s.extent == 0:
            return
        b = self.b
        if s.extent == 1:
            self.loop_vars[s.var] = ir.Constant(i64, 0)
            self.block(s.body)
            return
        pre = b.block
        body = self.fn.append_basic_block(f"loop{s.var}")
        after = self.fn.append_basic_block(f"after{s.var}")
        b.branch(body)
        b.position_at_end(body)
        i = b.phi(i64, name=f"i{s.var}")
        i.add_incoming(ir.Constant(i64, 0), pre)
        self.loop_vars[s.var] = i
        self.block(s.body)
        nxt = b.add(i, ir.Constant(i64, 1), flags=["nuw", "nsw"])
        i.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_unsigned("<", nxt, ir.Constant(i64, s.extent)), body, after)
        b.position_at_end(after)

    def ranged_loop(self, s: Loop, start, end):
        """The loop `s` over [start, end) (runtime values) instead of [0, extent)."""
        b = self.b
        pre = b.block
        body = self.fn.append_basic_block(f"loop{s.var}")
        after = self.fn.append_basic_block(f"after{s.var}")
        b.cbranch(b.icmp_signed("<", start, end), body, after)
        b.position_at_end(body)
        i = b.phi(i64, name=f"i{s.var}")
        i.add_incoming(start, pre)
        self.loop_vars[s.var] = i
        self.block(s.body)
        nxt = b.add(i, ir.Constant(i64, 1), flags=["nuw", "nsw"])
        i.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, end), body, after)
        b.position_at_end(after)

    def _Let(self, s: Let):
        if s.op == "load":
            v = self.load(s.params["buf"], s.params["index"])
        elif s.op == "const":
            v = const(s.dtype, s.params["value"])
        elif s.op == "index":
            v = self.affine(s.params["index"])
        elif s.op == "load_at":
            v = self.load_at(s.params["buf"], self.values[s.args[0]])
        else:
            args = [self.values[a] for a in s.args]
            in_dtypes = [self.dtypes[a] for a in s.args]
            v = scalar.emit(self.cx, s.op, args, in_dtypes, s.dtype, s.params)
        self.values[s.dst], self.dtypes[s.dst] = v, s.dtype

    def _Store(self, s: Store):
        self.store(s.buf, s.index, self.values[s.src])

    def _Update(self, s: Update):
        dtype = self.program.buffers[s.buf].dtype
        acc = self.load(s.buf, s.index)
        params = accumulating(dtype)
        v = scalar.emit(self.cx, s.combine, [acc, self.values[s.src]], [dtype, dtype], dtype, params)
        for part in v if isinstance(v, Pair) else (v,):  # a complex sum: both parts
            if s.reassoc and isinstance(part, ir.Instruction):
                part.flags.append("reassoc")
        self.store(s.buf, s.index, v)

    def _ArgUpdate(self, s: ArgUpdate):
        b = self.b
        dtype = self.program.buffers[s.val_buf].dtype
        best = self.load(s.val_buf, s.index)
        old = self.load(s.idx_buf, s.index)
        v = self.values[s.src]
        op = ">" if s.kind == "max" else "<"
        if dtype.kind == "c":  # NumPy's complex argmax/argmin (emit_complex_order.arg_better)
            better, new_best = emit_complex_order.arg_update(self.cx, dtype, s.kind, v, best)
            self.store(s.val_buf, s.index, new_best)
            self.store(s.idx_buf, s.index, b.select(better, self.values[s.pos], old))
            return
        if dtypes.is_float(dtype):
            better = b.fcmp_ordered(op, v, best)
            first_nan = b.and_(b.fcmp_unordered("uno", v, v), b.fcmp_ordered("ord", best, best))
            better = b.or_(better, first_nan)
        elif dtypes.is_signed(dtype):
            better = b.icmp_signed(op, v, best)
        else:
            better = b.icmp_unsigned(op, v, best)
        self.store(s.val_buf, s.index, b.select(better, v, best))
        self.store(s.idx_buf, s.index, b.select(better, self.values[s.pos], old))


# Kernels run once per call with fewer loop-body iterations than this are compiled without
# optimisation (LLVM's `optnone`: no IR passes, fast instruction selection). A tiny loop over a
# few thousand elements costs microseconds either way, while optimising and vectorising it costs
# milliseconds of compile time; a program has many of them (the MLP train step: 14 of 21
# kernels). Kernels inside native loops are always optimised. Part of the cache key.
LIGHT_KERNEL_WORK = 1 << 11


def _emit_kernel(cx, program, kernel, split=False, light=False):
    """`split`: the kernel takes (start, end, with_init) after its buffers (see cpu/parallel).
    `light`: compiled without optimisation (see LIGHT_KERNEL_WORK)."""
    extra = parallel.SPLIT_ARGS if split else []
    fn = ir.Function(cx.module, ir.FunctionType(void, [ptr] * len(kernel.params) + extra), kernel.name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    if light:
        fn.attributes.add("noinline")
        fn.attributes.add("optnone")
    if split:
        # One copy of a split kernel: inlined into its thunk and its serial, init, first-chunk
        # and fallback call sites it would be optimised and compiled five times over, for no
        # run-time gain (a call per kernel is nothing next to its loops).
        fn.attributes.add("noinline")
    for a in fn.args[: len(kernel.params)]:
        a.add_attribute("noalias")
    cx.b = ir.IRBuilder(fn.append_basic_block("entry"))
    em = _KernelEmitter(cx, program, kernel, fn)
    if not split:
        em.block(kernel.body)
    else:
        start, end, with_init = fn.args[len(kernel.params) :]
        *head, main = kernel.body
        for s in head:
            if isinstance(s, Loop):  # a reduction's init loop: once, by the caller
                with cx.b.if_then(with_init):
                    em.block([s])
            else:
                em.block([s])
        em.ranged_loop(main, start, end)
    cx.b.ret_void()
    return fn


# Products with fewer multiply-adds are one BLAS call on the calling thread; larger ones are
# split in blocks of rows or columns of C run side by side (single-threaded BLAS per block, on
# the persistent pool of cpu/threadpool). The split takes the dimension whose blocks share the
# smaller operand: row blocks each pack all of op(B) (k x n), column blocks each pack all of
# op(A) (m x k). With per-call threads (each new thread re-creating OpenBLAS's buffers) this
# lost below 2**28; on the pool, the MLP train step's gemms (2**25 to 2**26 multiply-adds, ~0.5
# to 1 ms each on one core) split at the same CPU time as one thread. Below ~2**22 (~40 us) a
# worker's wake-up is a large part of the work. Part of the cache key.
SPLIT_GEMM_MACS = 1 << 22


def gemm_splittable(s: GemmStep) -> bool:
    return (
        s.batch == 1 and max(s.m, s.n) >= 2 and s.k > 0 and s.n > 0 and s.m > 0 and s.m * s.n * s.k >= SPLIT_GEMM_MACS
    )


def gemm_split_columns(s: GemmStep) -> bool:
    """Split C by columns when a column block's duplicated operand (op(A), m x k) is the smaller."""
    return s.n > s.m


def _emit_gemm_chunk(cx, s: GemmStep, name):
    """`void name(a, b, c, i64 start, i64 end, i1)`: rows (or columns, see `gemm_split_columns`)
    [start, end) of C = op(A) @ op(B), one single-threaded BLAS call. The program's threads run
    chunks of a large gemm side by side (cpu/parallel), rather than OpenBLAS's spinning worker
    pool, which stalls on a busy machine."""
    et = mem_type(s.dtype)
    fn = ir.Function(cx.module, ir.FunctionType(void, [ptr, ptr, ptr, *parallel.SPLIT_ARGS]), name)
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    a, bm, c, start, end, _ = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    gemm = cx.declare(BLAS_SYMBOLS[s.dtype], void, [ptr] * 13, pure=False)
    count = b.sub(end, start)
    work, done = fn.append_basic_block("work"), fn.append_basic_block("done")
    b.cbranch(b.icmp_signed(">", count, ir.Constant(i64, 0)), work, done)
    b.position_at_end(done)
    b.ret_void()
    b.position_at_end(work)
    cols = gemm_split_columns(s)
    # column-major BLAS sees C^T (n x m) = op(B)^T @ op(A)^T: a row block of C is a column block
    # of C^T (BLAS n), a column block of C a row block of C^T (BLAS m)
    blas_m = b.trunc(count, i32) if cols else ir.Constant(i32, s.n)
    blas_n = ir.Constant(i32, s.m) if cols else b.trunc(count, i32)
    vals = [
        (i8, ir.Constant(i8, ord("T" if s.trans_b else "N"))),
        (i8, ir.Constant(i8, ord("T" if s.trans_a else "N"))),
        (i32, blas_m),
        (i32, blas_n),
        (i32, ir.Constant(i32, s.k)),
        (et, _gemm_scalar(et, 1.0)),
        (i32, ir.Constant(i32, max(1, s.k if s.trans_b else s.n))),
        (i32, ir.Constant(i32, max(1, s.m if s.trans_a else s.k))),
        (et, _gemm_scalar(et, 0.0)),
        (i32, ir.Constant(i32, max(1, s.n))),
    ]
    cells = []
    for t, v in vals:
        cell = b.alloca(t)
        b.store(v, cell)
        cells.append(cell)
    if cols:  # columns [start, end) of op(B) and of C
        b_cols = b.gep(bm, [b.mul(start, ir.Constant(i64, s.k if s.trans_b else 1))], source_etype=et)
        a_rows, c_part = a, b.gep(c, [start], source_etype=et)
        bm = b_cols
    else:  # rows [start, end) of op(A) and of C
        a_rows = b.gep(a, [b.mul(start, ir.Constant(i64, 1 if s.trans_a else s.k))], source_etype=et)
        c_part = b.gep(c, [b.mul(start, ir.Constant(i64, s.n))], source_etype=et)
    ta, tb, m_, n_, k_, alpha, lda, ldb, beta, ldc = cells
    b.call(gemm, [ta, tb, m_, n_, k_, alpha, bm, lda, a_rows, ldb, beta, c_part, ldc])
    b.ret_void()
    return fn


def _emit_gemm(cx, fn, s: GemmStep, ptr_of, slots):
    b = cx.b
    if s.m == 0 or s.n == 0:
        return
    c = ptr_of(s.c)
    et = mem_type(s.dtype)
    if s.k == 0:  # an empty sum: zeros (BLAS is not asked about degenerate sizes)
        memset = cx.declare("llvm.memset.p0.i64", void, [ptr, i8, i64, i1], pure=False)
        nbytes = s.batch * s.m * s.n * s.dtype.itemsize
        b.call(memset, [c, ir.Constant(i8, 0), ir.Constant(i64, nbytes), ir.Constant(i1, 0)])
        return
    gemm = cx.declare(BLAS_SYMBOLS[s.dtype], void, [ptr] * 13, pure=False)
    # Row-major C = op(A) @ op(B) is column-major C^T = op(B)^T @ op(A)^T: BLAS gets B first.
    vals = {
        "transa": (i8, ord("T" if s.trans_b else "N")),
        "transb": (i8, ord("T" if s.trans_a else "N")),
        "m": (i32, s.n),
        "n": (i32, s.m),
        "k": (i32, s.k),
        "lda": (i32, max(1, s.k if s.trans_b else s.n)),
        "ldb": (i32, max(1, s.m if s.trans_a else s.k)),
        "ldc": (i32, max(1, s.n)),
        "alpha": (et, 1.0),
        "beta": (et, 0.0),
    }
    cells = {}
    for name, (t, v) in vals.items():
        cells[name] = slots(t)
        b.store(_gemm_scalar(t, v), cells[name])
    a_ptr, b_ptr = ptr_of(s.b), ptr_of(s.a)

    def call(a, bb, cc):
        b.call(
            gemm,
            [
                cells["transa"],
                cells["transb"],
                cells["m"],
                cells["n"],
                cells["k"],
                cells["alpha"],
                a,
                cells["lda"],
                bb,
                cells["ldb"],
                cells["beta"],
                cc,
                cells["ldc"],
            ],
        )

    macs = s.m * s.n * s.k
    if s.batch == 1:
        parallel.emit_blas_threads(b, cx.module, macs, lambda: call(a_ptr, b_ptr, c))
        return
    parallel.emit_blas_threads(b, cx.module, macs, lambda: _gemm_loop(b, fn, s, call, a_ptr, b_ptr, c, et))


def _gemm_loop(b, fn, s, call, a_ptr, b_ptr, c, et):
    pre = b.block
    body, after = fn.append_basic_block("gemm_batch"), fn.append_basic_block("gemm_done")
    b.branch(body)
    b.position_at_end(body)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), pre)
    off = lambda per: b.mul(i, ir.Constant(i64, per))  # noqa: E731
    call(
        b.gep(a_ptr, [off(s.k * s.n)], source_etype=et),
        b.gep(b_ptr, [off(s.m * s.k)], source_etype=et),
        b.gep(c, [off(s.m * s.n)], source_etype=et),
    )
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_unsigned("<", nxt, ir.Constant(i64, s.batch)), body, after)
    b.position_at_end(after)


def build_module(program, entry_name: str) -> ir.Module:
    module = ir.Module(name=entry_name)
    cx = EmitContext(module)
    leaves = list(walk_steps(program.steps))  # loop bodies' and branches' steps included
    top_level = {id(s) for s in program.steps}
    kernel_fns, splits = {}, {}
    for s in leaves:
        if isinstance(s, KernelStep):
            extent = None
            if parallel.work(s.kernel) >= parallel.MIN_SPLIT_WORK:
                extent = parallel.split_plan(program, s.kernel)
            light = id(s) in top_level and parallel.work(s.kernel) < LIGHT_KERNEL_WORK
            kernel_fns[id(s)] = _emit_kernel(cx, program, s.kernel, split=extent is not None, light=light)
            if extent is not None:
                thunk = parallel.emit_thunk(module, kernel_fns[id(s)], len(s.kernel.params))
                splits[id(s)] = (extent, thunk)

    gemm_chunks = {}
    for k, s in enumerate(leaves):
        if isinstance(s, GemmStep) and gemm_splittable(s):
            chunk = _emit_gemm_chunk(cx, s, f"gemm{k}")
            gemm_chunks[id(s)] = (chunk, parallel.emit_thunk(module, chunk, 3))

    fn = ir.Function(module, ENTRY_TYPE, entry_name)
    fn.attributes.add("noinline")  # not copied again into `<entry>_direct`
    if all(isinstance(s, _LEAF_STEPS) for s in program.steps):
        # Without loops the entry is straight-line calls: optimising it only cost compile time
        # (~15 ms of the MLP train step's ~110 ms of LLVM time). Kernels keep their own
        # optimisation: optnone callers inline nothing, so each is compiled as it is.
        fn.attributes.add("optnone")
    bufs_arg, ctx_arg, cb_arg = fn.args
    entry_block = fn.append_basic_block("entry")
    b = cx.b = ir.IRBuilder(entry_block)
    n_in, n_out = len(program.inputs), len(program.output_buffers)
    base_ptrs = {}
    dynamic_ptrs = {}  # storage -> its pointer in the current loop iteration (codegen_control)

    def slot_ptr(k):
        return b.load(b.gep(bufs_arg, [ir.Constant(i64, k)], source_etype=ptr), typ=ptr)

    def ptr_of(buf_id):
        st = program.buffers[program.storage(buf_id)]
        if st.id in dynamic_ptrs:  # a slice, or a double-buffered loop carry
            return dynamic_ptrs[st.id]
        if st.id not in base_ptrs:
            with b.goto_block(entry_block):  # every pointer is computed once, up front
                if entry_block.is_terminated:
                    b.position_before(entry_block.terminator)
                if st.kind == "input":
                    p = slot_ptr(st.index)
                elif st.kind == "output":
                    p = slot_ptr(n_in + st.index)
                else:
                    p = b.gep(slot_ptr(n_in + n_out), [ir.Constant(i64, st.offset)], source_etype=i8)
            base_ptrs[st.id] = p
        return base_ptrs[st.id]

    def slots(t, count=None):
        with b.goto_block(entry_block):
            if entry_block.is_terminated:
                b.position_before(entry_block.terminator)
            return b.alloca(t, size=None if count is None else ir.Constant(i64, count))

    def emit_steps(steps):
        for s in steps:
            emit_step(s)

    def emit_step(s):
        if isinstance(s, KernelStep) and id(s) in splits:
            extent, thunk = splits[id(s)]
            args = [ptr_of(p) for p in s.kernel.params]
            parallel.emit_parallel_call(
                b,
                fn,
                slots,
                kernel_fns[id(s)],
                thunk,
                args,
                extent,
                parallel.work(s.kernel),
                parallel.chunk_align(s.kernel),
            )
        elif isinstance(s, KernelStep):
            b.call(kernel_fns[id(s)], [ptr_of(p) for p in s.kernel.params])
        elif isinstance(s, GemmStep) and id(s) in gemm_chunks:
            chunk, thunk = gemm_chunks[id(s)]
            args = [ptr_of(s.a), ptr_of(s.b), ptr_of(s.c)]
            # ~32 multiply-adds cost what one elementwise loop iteration does (the grain's unit)
            work = (s.m * s.n * s.k) >> 5
            if gemm_split_columns(s):  # column blocks start on 64-byte boundaries where they can
                parallel.emit_parallel_call(b, fn, slots, chunk, thunk, args, s.n, work, 16)
            else:
                parallel.emit_parallel_call(b, fn, slots, chunk, thunk, args, s.m, work)
        elif isinstance(s, GemmStep):
            _emit_gemm(cx, fn, s, ptr_of, slots)
        elif isinstance(s, LapackStep):
            lapack.emit(cx, s, ptr_of, f"lapack{len(cx.module.functions)}")
        elif isinstance(s, SortStep):
            emit_sort.emit(cx, s, ptr_of, f"sort{len(cx.module.functions)}", fn, slots)
        elif isinstance(s, InterpretStep):
            # the callback gets the step's own buffer pointers (inside a loop, a slice's
            # pointer is the current iteration's)
            bufs = [a for a in s.ins if isinstance(a, int)] + list(s.outs)
            cells = slots(ptr, max(1, len(bufs)))
            for k, buf in enumerate(bufs):
                b.store(ptr_of(buf), b.gep(cells, [ir.Constant(i64, k)], source_etype=ptr))
            rc = b.call(_IndirectCallee(cb_arg), [ctx_arg, ir.Constant(i64, s.index), cells])
            ok, fail = fn.append_basic_block("ok"), fn.append_basic_block("fail")
            b.cbranch(b.icmp_signed("==", rc, ir.Constant(i32, 0)), ok, fail)
            b.position_at_end(fail)
            b.ret(rc)
            b.position_at_end(ok)
        else:
            codegen_control.emit(codegen_control.Env(cx, fn, program, ptr_of, dynamic_ptrs, emit_steps), s)

    emit_steps(program.steps)
    b.ret(ir.Constant(i32, 0))
    vecmath.finish(module, cx.vector_decls)
    n_slots = n_in + n_out + 1
    if n_slots <= MAX_DIRECT_SLOTS:
        _emit_direct_entry(module, fn, n_slots)
    return module


MAX_DIRECT_SLOTS = 24
_LEAF_STEPS = (KernelStep, GemmStep, LapackStep, SortStep, InterpretStep)


def _emit_direct_entry(module, entry, n_slots):
    """`<entry>_direct(p0, ..., p[n-1], ctx, callback)`: the same program with the buffer pointers
    as arguments. Packing them here instead of in a ctypes array saves a microsecond a call."""
    fn = ir.Function(module, ir.FunctionType(i32, [ptr] * (n_slots + 2)), entry.name + "_direct")
    fn.attributes.add("noinline")  # a few stores and a call: nothing to optimise
    fn.attributes.add("optnone")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    slots = b.alloca(ptr, size=ir.Constant(i64, n_slots))
    for k in range(n_slots):
        b.store(fn.args[k], b.gep(slots, [ir.Constant(i64, k)], source_etype=ptr))
    b.ret(b.call(entry, [slots, fn.args[n_slots], fn.args[n_slots + 1]]))


class _IndirectCallee:
    """llvmlite calls through a pointer when given a value with a function type."""

    def __init__(self, value):
        self.value = value
        self.function_type = CALLBACK_TYPE
        self.type = ptr

    def get_reference(self):
        return self.value.get_reference()
