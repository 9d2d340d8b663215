"""SortSteps (passes/sort_step.py) -> a native stable merge sort per row.

Each row (every index of the axes other than the sorted one) is sorted through an index array:
idx = 0..n-1 is merge-sorted bottom-up (runs of width 1, 2, 4, ... merged between two index
arrays), comparing the key operands lexicographically at the indexed positions; then every
operand is gathered through the final order. Merging takes the left element unless the right
one is strictly less, so equal keys keep their order (stable, as the interpreter's NumPy sort;
a stable answer is valid for is_stable=False too).

The order is the interpreter's (NumPy's, JAX's): NaN after every number (NaNs equal to each
other), -0.0 equal to 0.0, integers and bools by value; complex keys by real part, then
imaginary part, each in that float order (so NaN+0j sorts after 1+2j but 0+nanj before it, as
in JAX). Complex values move as [2 x part] aggregates. Loop variables live in stack cells
that LLVM's SROA turns into registers.
"""

from __future__ import annotations

from llvmlite import ir

from .. import dtypes
from ..passes.sort_step import uses_radix
from . import emit_radix
from .types import i64, mem_type, ptr, void


class _Sorter:
    def __init__(self, cx, s, name):
        self.cx, self.s = cx, s
        n_ops = len(s.ins)
        self.fn = ir.Function(cx.module, ir.FunctionType(void, [ptr] * (2 * n_ops + 4)), name)
        self.fn.linkage = "internal"
        self.fn.attributes.add("noinline")
        self.entry = self.fn.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)
        args = list(self.fn.args)
        self.ins, self.outs = args[:n_ops], args[n_ops : 2 * n_ops]
        self.idx, self.tmp, self.keys, self.keys_tmp = args[2 * n_ops :]

    def var(self, t, init):
        with self.b.goto_block(self.entry):
            c = self.b.alloca(t)
        self.b.store(init, c)
        return c

    def get(self, cell, t=i64):
        return self.b.load(cell, typ=t)

    def c(self, v):
        return ir.Constant(i64, v)

    def while_(self, cond, body):
        b = self.b
        head, block, after = (self.fn.append_basic_block(n) for n in ("head", "body", "after"))
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(cond(), block, after)
        b.position_at_end(block)
        body()
        b.branch(head)
        b.position_at_end(after)

    def for_(self, count, body):
        i = self.var(i64, self.c(0))

        def step():
            body(self.get(i))
            self.b.store(self.b.add(self.get(i), self.c(1)), i)

        self.while_(lambda: self.b.icmp_signed("<", self.get(i), count), step)

    def element(self, k, row, j):
        """A pointer to element j (along the sorted axis) of operand k's row (row: its offset)."""
        dt = self.s.dtypes[k]
        off = self.b.add(row, self.b.mul(j, self.c(self.s.inner)))
        return dt, self.b.gep(self.ins[k], [off], source_etype=mem_type(dt))

    def less(self, row, a, b_, first):
        """key[a] < key[b] lexicographically over the key operands (an i1); `first` holds the
        first key's values at a and b (carried along with the indices)."""
        b = self.b
        result = ir.Constant(ir.IntType(1), 0)
        undecided = ir.Constant(ir.IntType(1), 1)
        for k in range(self.s.num_keys):
            dt = self.s.dtypes[k]
            if k == 0:
                x, y = first
            else:
                _, pa = self.element(k, row, a)
                _, pb = self.element(k, row, b_)
                x, y = b.load(pa, typ=mem_type(dt)), b.load(pb, typ=mem_type(dt))
            lt, gt = _lt(b, dt, x, y), _lt(b, dt, y, x)
            result = b.or_(result, b.and_(undecided, lt))
            undecided = b.and_(undecided, b.not_(b.or_(lt, gt)))
        return result


def _lt(b, dt, x, y):
    if dtypes.is_complex(dt):
        # real parts, then imaginary parts, each in the float order below (NaN last): the
        # interpreter's lexsort and JAX's complex sort order. x, y are [2 x part] values.
        part = dtypes.float32 if dt == dtypes.complex64 else dtypes.float64
        xr, xi, yr, yi = (b.extract_value(v, k) for v in (x, y) for k in (0, 1))
        re_lt, re_gt = _lt(b, part, xr, yr), _lt(b, part, yr, xr)
        return b.or_(re_lt, b.and_(b.not_(re_gt), _lt(b, part, xi, yi)))
    if dtypes.is_float(dt):
        # numbers before NaN; -0.0 == 0.0 (an ordered compare says so)
        x_nan, y_nan = b.fcmp_unordered("uno", x, x), b.fcmp_unordered("uno", y, y)
        return b.or_(b.fcmp_ordered("<", x, y), b.and_(b.not_(x_nan), y_nan))
    if dtypes.is_signed(dt):
        return b.icmp_signed("<", x, y)
    return b.icmp_unsigned("<", x, y)  # unsigned integers and bools (bytes 0/1)


def emit(cx, s, ptr_of, name, entry_fn, entry_alloca):
    """Emit SortStep `s` as function `name` and call it at cx.b's position (a radix sort for
    one key and long rows, see emit_radix; else the merge sort below)."""
    if uses_radix(s.num_keys, s.length, s.dtypes[0]):
        return emit_radix.emit(cx, s, ptr_of, name, entry_fn, entry_alloca)
    st = _Sorter(cx, s, name)
    b = st.b
    n, inner = s.length, s.inner

    def row_body(r):
        outer, i = b.sdiv(r, st.c(inner)), b.srem(r, st.c(inner))
        row = b.add(b.mul(outer, st.c(n * inner)), i)
        src, dst = st.var(ptr, st.idx), st.var(ptr, st.tmp)
        ksrc, kdst = st.var(ptr, st.keys), st.var(ptr, st.keys_tmp)
        kt = mem_type(s.dtypes[0])

        def init(j):
            b.store(j, b.gep(st.idx, [j], source_etype=i64))
            _, p0 = st.element(0, row, j)
            b.store(b.load(p0, typ=kt), b.gep(st.keys, [j], source_etype=kt))

        st.for_(st.c(n), init)
        width = st.var(i64, st.c(1))

        def merge_pass():
            w = st.get(width)
            lo = st.var(i64, st.c(0))

            def merge_runs():
                lo_v = st.get(lo)
                mid = _min(b, b.add(lo_v, w), st.c(n))
                hi = _min(b, b.add(mid, w), st.c(n))
                li, ri, k = st.var(i64, lo_v), st.var(i64, mid), st.var(i64, lo_v)
                s_ptr, d_ptr = st.get(src, ptr), st.get(dst, ptr)
                sk_ptr, dk_ptr = st.get(ksrc, ptr), st.get(kdst, ptr)

                def take():
                    left_ok = b.icmp_signed("<", st.get(li), mid)
                    right_ok = b.icmp_signed("<", st.get(ri), hi)
                    # read the heads only where they exist (clamped, the value is then unused)
                    li_c = _min(b, st.get(li), b.sub(st.c(n), st.c(1)))
                    ri_c = _min(b, st.get(ri), b.sub(st.c(n), st.c(1)))
                    lv = b.load(b.gep(s_ptr, [li_c], source_etype=i64), typ=i64)
                    rv = b.load(b.gep(s_ptr, [ri_c], source_etype=i64), typ=i64)
                    lk = b.load(b.gep(sk_ptr, [li_c], source_etype=kt), typ=kt)
                    rk = b.load(b.gep(sk_ptr, [ri_c], source_etype=kt), typ=kt)
                    r_less = st.less(row, rv, lv, (rk, lk))
                    right_first = b.and_(right_ok, b.or_(b.not_(left_ok), r_less))
                    b.store(b.select(right_first, rv, lv), b.gep(d_ptr, [st.get(k)], source_etype=i64))
                    b.store(b.select(right_first, rk, lk), b.gep(dk_ptr, [st.get(k)], source_etype=kt))
                    b.store(b.add(st.get(li), b.zext(b.not_(right_first), i64)), li)
                    b.store(b.add(st.get(ri), b.zext(right_first, i64)), ri)
                    b.store(b.add(st.get(k), st.c(1)), k)

                st.while_(lambda: b.icmp_signed("<", st.get(k), hi), take)
                b.store(b.add(lo_v, b.add(w, w)), lo)

            st.while_(lambda: b.icmp_signed("<", st.get(lo), st.c(n)), merge_runs)
            for one, other in ((src, dst), (ksrc, kdst)):
                s_old, d_old = st.get(one, ptr), st.get(other, ptr)
                b.store(d_old, one)
                b.store(s_old, other)
            b.store(b.add(w, w), width)

        st.while_(lambda: b.icmp_signed("<", st.get(width), st.c(n)), merge_pass)
        order, sorted_keys = st.get(src, ptr), st.get(ksrc, ptr)

        def gather(j):
            p = b.load(b.gep(order, [j], source_etype=i64), typ=i64)
            for k in range(len(s.ins)):
                dt, from_ = st.element(k, row, p)
                if k == 0:  # the first key is already in order
                    from_ = b.gep(sorted_keys, [j], source_etype=kt)
                off = b.add(row, b.mul(j, st.c(inner)))
                to = b.gep(st.outs[k], [off], source_etype=mem_type(dt))
                b.store(b.load(from_, typ=mem_type(dt)), to)

        st.for_(st.c(n), gather)

    st.for_(st.c(s.rows), row_body)
    b.ret_void()
    args = [ptr_of(x) for x in list(s.ins) + list(s.outs) + [s.idx, s.tmp, s.keys, s.keys_tmp]]
    cx.b.call(st.fn, args)


def _min(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)
