"""SortSteps with one key and long rows -> a native LSD radix sort (stable by construction).

Each row's key bits are mapped to an unsigned integer whose order is the sort order
(`_order_key`), then sorted by 8-bit digits, least significant first; a pass moves each element
to the next free slot of its digit's bucket, in row order, so equal keys keep their order
(stable, as the interpreter's NumPy sort). One read of the row counts all the digits' buckets at
once; a pass where every element has the same digit is skipped (small integers, bools, floats of
one sign and magnitude range pay for the bytes that differ only).

What travels: the order keys themselves (a pass's digit is a shift; the output is the inverse
map, `_from_order_key`); with two operands the second one's values (argsort's iota,
sort_key_val's values); with more, an index, and the other operands are gathered through it at
the end. The order key forgets the sign of a zero and a NaN's payload, so a row holding -0.0 or
a NaN other than NumPy's quiet NaN (noted while the keys are built) gets one more pass that puts
those exact bits back (`_restore_zeros_and_nans`). With `inner == 1` the output rows themselves
are the first pair of work arrays.

The order is the interpreter's (JAX's total order for lax.sort): integers and bools by value;
floats by value with -0.0 equal to 0.0 and every NaN equal to the others and after +inf.

Rows are independent: many rows are split across threads with `jaxlite_parallel_for`; each
chunk mallocs its own work arrays (the arena is shared by all threads).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from .. import dtypes
from . import parallel, threadpool
from .types import i1, i32, i64, ptr, void

DIGIT_BITS = 8
BUCKETS = 1 << DIGIT_BITS


def _carried_bytes(s):
    """Bytes per element of what travels with the keys (0: nothing)."""
    if len(s.ins) == 1:
        return 0
    if len(s.ins) == 2:
        return np.dtype(s.dtypes[1]).itemsize
    return 4 if s.length < 2**31 else 8


class _Fn:
    """Loop helpers over one LLVM function; loop variables live in entry-block cells that
    LLVM's SROA turns into registers."""

    def __init__(self, fn):
        self.fn = fn
        self.entry = fn.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)

    def var(self, t, init):
        with self.b.goto_block(self.entry):
            c = self.b.alloca(t)
        self.b.store(init, c)
        return c

    def for_(self, lo, hi, body):
        b = self.b
        i = self.var(i64, lo)
        head, block, after = (self.fn.append_basic_block(n) for n in ("head", "body", "after"))
        b.branch(head)
        b.position_at_end(head)
        iv = b.load(i, typ=i64)
        b.cbranch(b.icmp_signed("<", iv, hi), block, after)
        b.position_at_end(block)
        body(iv)
        b.store(b.add(b.load(i, typ=i64), c(1)), i)
        b.branch(head)
        b.position_at_end(after)

    def if_(self, cond, then):
        with self.b.if_then(cond):
            then()


def c(v, t=i64):
    return ir.Constant(t, v)


def _order_key(b, dt, bits):
    """An unsigned integer of the key's width whose unsigned order is the sort order."""
    t = bits.type
    width = t.width
    sign = c(1 << (width - 1), t)
    if dtypes.is_float(dt):
        exp_bits = {16: 5, 32: 8, 64: 11}[width]
        inf = c(((1 << exp_bits) - 1) << (width - 1 - exp_bits), t)
        magnitude = b.and_(bits, c((1 << (width - 1)) - 1, t))
        negative = b.icmp_unsigned("!=", b.and_(bits, sign), c(0, t))
        # negative numbers: all bits flipped (larger magnitude first); others: the sign bit set
        key = b.select(negative, b.not_(bits), b.or_(bits, sign))
        key = b.select(b.icmp_unsigned("==", magnitude, c(0, t)), sign, key)  # -0.0 is 0.0
        return b.select(b.icmp_unsigned(">", magnitude, inf), c(-1, t), key)  # NaNs last, equal
    if dtypes.is_signed(dt):
        return b.xor(bits, sign)
    return bits  # unsigned integers and bools (bytes 0/1)


def _from_order_key(b, dt, key):
    """The bits `_order_key` maps to `key`: exact except for -0.0 (comes back as 0.0) and NaNs
    (come back as NumPy's quiet NaN, 0x7fc00000 in float32); see `_restore_zeros_and_nans`."""
    t = key.type
    width = t.width
    sign = c(1 << (width - 1), t)
    if dtypes.is_float(dt):
        exp_bits = {16: 5, 32: 8, 64: 11}[width]
        quiet_nan = c(((1 << (exp_bits + 1)) - 1) << (width - 2 - exp_bits), t)
        positive = b.icmp_unsigned("!=", b.and_(key, sign), c(0, t))
        bits = b.select(positive, b.xor(key, sign), b.not_(key))
        return b.select(b.icmp_unsigned("==", key, c(-1, t)), quiet_nan, bits)
    if dtypes.is_signed(dt):
        return b.xor(key, sign)
    return key


def _digit(b, key, d):
    shifted = b.lshr(key, c(DIGIT_BITS * d, key.type)) if d else key
    return b.zext(b.trunc(shifted, ir.IntType(DIGIT_BITS)), i64)


def _emit_rows(module, s, name):
    """void name(ins..., outs..., i64 start, i64 end, i1 with_init): sorts rows [start, end)."""
    n_ops = len(s.ins)
    fn = ir.Function(module, ir.FunctionType(void, [ptr] * (2 * n_ops) + [i64, i64, i1]), name)
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    F = _Fn(fn)
    b = F.b
    args = list(fn.args)
    ins, outs, start, end = args[:n_ops], args[n_ops : 2 * n_ops], args[2 * n_ops], args[2 * n_ops + 1]
    n, inner = s.length, s.inner
    kdt = s.dtypes[0]
    kw = np.dtype(kdt).itemsize
    kt = ir.IntType(8 * kw)
    cw = _carried_bytes(s)
    ct = ir.IntType(8 * cw) if cw else None
    malloc = threadpool._decl(module, "jaxlite_malloc", ptr, [i64])
    free = threadpool._decl(module, "jaxlite_free", void, [ptr])
    trap = module.declare_intrinsic("llvm.trap", fnty=ir.FunctionType(void, []))

    def alloc(nbytes):
        p = b.call(malloc, [c(nbytes)])
        # the runtime has no error path out of a worker thread; malloc returns NULL only when
        # the machine is out of memory, where NumPy would fail as well
        F.if_(b.icmp_unsigned("==", b.ptrtoint(p, i64), c(0)), lambda: (b.call(trap, []), None))
        return p

    is_float = dtypes.is_float(kdt)
    direct = inner == 1  # the output rows double as the first pair of work arrays
    k_tmp = alloc(n * kw)
    k_own = None if direct else alloc(n * kw)
    c_tmp = alloc(n * cw) if cw else None
    c_own = alloc(n * cw) if cw and not (direct and n_ops == 2) else None
    counts = alloc(kw * BUCKETS * 4)  # uint32 counts: rows are shorter than 2**31 (sort_step.uses_radix)

    def at(p, t, j):
        return b.gep(p, [j], source_etype=t)

    def row_body(r):
        row = b.add(b.mul(b.sdiv(r, c(inner)), c(n * inner)), b.srem(r, c(inner)))

        def strided(p, t, j):  # element j of this row of operand p
            return at(p, t, b.add(row, b.mul(j, c(inner))))

        k0 = at(outs[0], kt, row) if direct else k_own
        c0 = at(outs[1], ct, row) if direct and n_ops == 2 else c_own
        F.for_(c(0), c(kw * BUCKETS), lambda j: b.store(c(0, i32), at(counts, i32, j)))

        lossy = F.var(i1, c(0, i1))  # a -0.0 or a NaN that the order key does not keep exactly

        def init(j):
            bits = b.load(strided(ins[0], kt, j), typ=kt)
            key = _order_key(b, kdt, bits)
            b.store(key, at(k0, kt, j))  # the keys travel as order keys: digits are plain shifts
            if is_float:
                changed = b.icmp_unsigned("!=", _from_order_key(b, kdt, key), bits)
                b.store(b.or_(b.load(lossy, typ=i1), changed), lossy)
            if n_ops == 2:
                b.store(b.load(strided(ins[1], ct, j), typ=ct), at(c0, ct, j))
            elif cw:
                b.store(b.trunc(j, ct) if cw < 8 else j, at(c0, ct, j))
            for d in range(kw):
                cell = at(counts, i32, b.add(c(d * BUCKETS), _digit(b, key, d)))
                b.store(b.add(b.load(cell, typ=i32), c(1, i32)), cell)

        F.for_(c(0), c(n), init)
        src, dst = F.var(ptr, k0), F.var(ptr, k_tmp)
        csrc, cdst = (F.var(ptr, c0), F.var(ptr, c_tmp)) if cw else (None, None)
        for d in range(kw):
            base = c(d * BUCKETS)
            ks = b.load(src, typ=ptr)
            first = _digit(b, b.load(at(ks, kt, c(0)), typ=kt), d)
            one_bucket = b.icmp_unsigned("==", b.load(at(counts, i32, b.add(base, first)), typ=i32), c(n, i32))
            with b.if_then(b.not_(one_bucket)):
                _scatter_pass(F, kt, ct, counts, base, d, src, dst, csrc, cdst, n)

        ks = b.load(src, typ=ptr)
        cs = b.load(csrc, typ=ptr) if cw else None

        def out(j):
            key = _from_order_key(b, kdt, b.load(at(ks, kt, j), typ=kt))
            b.store(key, at(k0, kt, j) if direct else strided(outs[0], kt, j))
            if n_ops == 2 and not direct:
                b.store(b.load(at(cs, ct, j), typ=ct), strided(outs[1], ct, j))
            elif n_ops == 2:  # an odd number of passes left the values in the temporaries
                F.if_(moved, lambda: b.store(b.load(at(cs, ct, j), typ=ct), at(c0, ct, j)))
            if n_ops > 2:
                p = b.load(at(cs, ct, j), typ=ct)
                p = b.zext(p, i64) if cw < 8 else p
                for k in range(1, n_ops):
                    t = ir.IntType(8 * np.dtype(s.dtypes[k]).itemsize)
                    b.store(b.load(strided(ins[k], t, p), typ=t), strided(outs[k], t, j))

        moved = b.icmp_unsigned("!=", b.ptrtoint(ks, i64), b.ptrtoint(k0, i64))
        F.for_(c(0), c(n), out)
        if is_float:
            F.if_(b.load(lossy, typ=i1), lambda: _restore_zeros_and_nans(F, kdt, kt, n, strided, ins[0], outs[0]))

    F.for_(start, end, row_body)
    for p in (k_tmp, k_own, c_tmp, c_own, counts):
        if p is not None:
            b.call(free, [p])
    b.ret_void()
    return fn


def _scatter_pass(F, kt, ct, counts, base, d, src, dst, csrc, cdst, n):
    """One stable counting pass on digit d: exclusive prefix sums of the counts become each
    bucket's next free slot, elements move there in row order; then src and dst swap."""
    b = F.b
    total = F.var(i32, c(0, i32))

    def prefix(k):
        cell = b.gep(counts, [b.add(base, k)], source_etype=i32)
        v = b.load(cell, typ=i32)
        t = b.load(total, typ=i32)
        b.store(t, cell)
        b.store(b.add(t, v), total)

    F.for_(c(0), c(BUCKETS), prefix)
    ks, kd = b.load(src, typ=ptr), b.load(dst, typ=ptr)
    cs, cd = (b.load(csrc, typ=ptr), b.load(cdst, typ=ptr)) if ct else (None, None)

    def move(j):
        bits = b.load(b.gep(ks, [j], source_etype=kt), typ=kt)
        cell = b.gep(counts, [b.add(base, _digit(b, bits, d))], source_etype=i32)
        pos32 = b.load(cell, typ=i32)
        b.store(b.add(pos32, c(1, i32)), cell)
        pos = b.zext(pos32, i64)
        b.store(bits, b.gep(kd, [pos], source_etype=kt))
        if ct:
            b.store(b.load(b.gep(cs, [j], source_etype=ct), typ=ct), b.gep(cd, [pos], source_etype=ct))

    F.for_(c(0), c(n), move)
    for one, other in ((src, dst), (csrc, cdst)) if ct else ((src, dst),):
        a, z = b.load(one, typ=ptr), b.load(other, typ=ptr)
        b.store(z, one)
        b.store(a, other)


def _restore_zeros_and_nans(F, dt, kt, n, strided, keys_in, keys_out):
    """The sorted keys came back from order keys with every zero as 0.0 and every NaN as one
    NaN. Equal order keys keep their input order (stable), so the k-th zero (NaN) of the output
    is the k-th zero (NaN) of the input: one pass counts where the zeros and the NaNs start
    (after every negative number; at the end), a second copies their exact bits there."""
    b = F.b
    width = kt.width
    exp_bits = {16: 5, 32: 8, 64: 11}[width]
    inf = c(((1 << exp_bits) - 1) << (width - 1 - exp_bits), kt)
    low = c((1 << (width - 1)) - 1, kt)
    zeros_at, nans_at = F.var(i64, c(0)), F.var(i64, c(n))

    def count(j):
        bits = b.load(strided(keys_in, kt, j), typ=kt)
        magnitude = b.and_(bits, low)
        is_nan = b.icmp_unsigned(">", magnitude, inf)
        below_zero = b.and_(b.icmp_signed("<", bits, c(0, kt)), b.icmp_unsigned("!=", magnitude, c(0, kt)))
        below_zero = b.and_(below_zero, b.not_(is_nan))
        b.store(b.add(b.load(zeros_at, typ=i64), b.zext(below_zero, i64)), zeros_at)
        b.store(b.sub(b.load(nans_at, typ=i64), b.zext(is_nan, i64)), nans_at)

    F.for_(c(0), c(n), count)

    def place(j):
        bits = b.load(strided(keys_in, kt, j), typ=kt)
        magnitude = b.and_(bits, low)

        def put(cell):
            at = b.load(cell, typ=i64)
            b.store(bits, strided(keys_out, kt, at))
            b.store(b.add(at, c(1)), cell)

        F.if_(b.icmp_unsigned("==", magnitude, c(0, kt)), lambda: put(zeros_at))
        F.if_(b.icmp_unsigned(">", magnitude, inf), lambda: put(nans_at))

    F.for_(c(0), c(n), place)


def emit(cx, s, ptr_of, name, entry_fn, entry_alloca):
    """Emit SortStep `s` as a radix sort over its rows, called at cx.b's position; many rows
    run on several threads (work: about one pass over the row per key byte)."""
    rows_fn = _emit_rows(cx.module, s, name)
    args = [ptr_of(x) for x in list(s.ins) + list(s.outs)]
    work = s.rows * s.length * (np.dtype(s.dtypes[0]).itemsize + 1)
    if s.rows >= 2 and work >= parallel.MIN_SPLIT_WORK:
        thunk = parallel.emit_thunk(cx.module, rows_fn, len(args))
        parallel.emit_parallel_call(cx.b, entry_fn, entry_alloca, rows_fn, thunk, args, s.rows, work)
    else:
        cx.b.call(rows_fn, [*args, c(0), c(s.rows), c(1, i1)])
