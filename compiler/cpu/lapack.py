"""LapackSteps (passes/lapack_steps.py) -> native calls into SciPy's LAPACK.

The routines are SciPy's `cython_lapack` capsules (trsm: `cython_blas`), the library SciPy
ships, bound to the symbols `jaxlite_<routine>` when the object code is loaded, as cpu/blas.py
does for gemm. Every step becomes one internal function `lapack<k>(operands..., results...,
workspaces...)`: a loop over the batch, around the layout copies and the call(s). Every LAPACK
argument is passed by reference, from cells on the function's stack. The `info` a routine
returns is read and never raises: a failure fills that matrix's results with NaN (see
lapack_steps for which failures count), the rest of the batch is unaffected.
"""

from __future__ import annotations

import functools

from llvmlite import ir

from .blas import _get_name, _get_pointer
from .types import i1, i8, i32, i64, ptr, reg_type, void

LAPACK_ROUTINES = ("potrf", "getrf", "geqrf", "orgqr", "syevd", "gesdd")
BLAS_ROUTINES = ("trsm",)


@functools.cache
def address(name: str) -> int:
    """The address of SciPy's LAPACK (or BLAS, for trsm) routine `name`, e.g. 'dpotrf'."""
    from .blas import scipy_capsules

    table = scipy_capsules("cython_blas" if name[1:] in BLAS_ROUTINES else "cython_lapack").__pyx_capi__
    capsule = table[name]
    return _get_pointer(capsule, _get_name(capsule))


def symbols():
    """(symbol, address) pairs for the loader (cpu/target.py)."""
    return [(f"jaxlite_{p}{r}", address(p + r)) for p in "sd" for r in LAPACK_ROUTINES + BLAS_ROUTINES]


class _Fn:
    """An internal function under construction, with loop and copy helpers."""

    def __init__(self, cx, name, nargs, et):
        self.cx, self.et = cx, et
        self.fn = ir.Function(cx.module, ir.FunctionType(void, [ptr] * nargs), name)
        self.fn.linkage = "internal"
        self.fn.attributes.add("noinline")
        self.entry = self.fn.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)

    def cell(self, t, value=None):
        """A stack cell (allocated once, in the entry block) holding `value`."""
        b = self.b
        with b.goto_block(self.entry):
            c = b.alloca(t)
            if value is not None:
                b.store(ir.Constant(t, value), c)
        return c

    def char(self, ch):
        return self.cell(i8, ord(ch))

    def int(self, v):
        return self.cell(i32, int(v))

    def at(self, base, index, et=None):
        index = ir.Constant(i64, index) if isinstance(index, int) else index
        return self.b.gep(base, [index], source_etype=et or self.et)

    def call(self, routine, args):
        f = self.cx.declare(f"jaxlite_{routine}", void, [ptr] * len(args), pure=False)
        self.b.call(f, args)

    def loop(self, count, body):
        """for i in 0..count: body(i) (count: a Python int or an i64 value)."""
        b = self.b
        n = ir.Constant(i64, count) if isinstance(count, int) else count
        pre = b.block
        block, after = self.fn.append_basic_block("loop"), self.fn.append_basic_block("after")
        b.cbranch(b.icmp_signed("<", ir.Constant(i64, 0), n), block, after)
        b.position_at_end(block)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), pre)
        body(i)
        nxt = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, n), block, after)
        b.position_at_end(after)

    def copy2d(self, dst, src, rows, cols, dst_strides, src_strides, keep=None):
        """dst[i, j] = src[i, j] (element strides per axis) for i < rows, j < cols; where
        keep(i, j) is false, a zero instead (the other triangle of a factor)."""
        b = self.b

        def row(i):
            def col(j):
                off = lambda st: b.add(  # noqa: E731
                    b.mul(i, ir.Constant(i64, st[0])), b.mul(j, ir.Constant(i64, st[1]))
                )
                v = b.load(self.at(src, off(src_strides)), typ=self.et)
                if keep is not None:
                    v = b.select(keep(i, j), v, ir.Constant(self.et, 0.0))
                b.store(v, self.at(dst, off(dst_strides)))

            self.loop(cols, col)

        self.loop(rows, row)

    def fill_nan(self, base, count):
        nan = ir.Constant(self.et, float("nan"))
        self.loop(count, lambda i: self.b.store(nan, self.at(base, i)))

    def failed(self, info):
        return self.b.icmp_signed("!=", self.b.load(info, typ=i32), ir.Constant(i32, 0))


def emit(cx, s, ptr_of, name):
    """Emit step `s` as function `name` and call it at cx.b's position."""
    et = reg_type(s.dtype)
    work_names = sorted(s.work)
    bufs = list(s.ins) + list(s.outs) + [s.work[w] for w in work_names]
    f = _Fn(cx, name, len(bufs), et)
    args = f.fn.args
    ins, outs = args[: len(s.ins)], args[len(s.ins) : len(s.ins) + len(s.outs)]
    work = dict(zip(work_names, args[len(s.ins) + len(s.outs) :], strict=True))
    _EMITTERS[s.op](f, s, ins, outs, work)
    f.b.ret_void()
    cx.b.call(f.fn, [ptr_of(buf) for buf in bufs])


def _batched(f, s, body):
    """Loop over the batch; body(i) gets the batch index (an i64)."""
    if s.dims["batch"] == 1:
        body(ir.Constant(i64, 0))
    else:
        f.loop(s.dims["batch"], body)


def _nth(f, base, i, size, et=None):
    """The i-th matrix of `size` elements in `base`."""
    return f.at(base, f.b.mul(i, ir.Constant(i64, size)), et)


def _le(f):
    return lambda i, j: f.b.icmp_signed("<=", j, i)  # lower triangle (j <= i)


def _ge(f):
    return lambda i, j: f.b.icmp_signed("<=", i, j)  # upper triangle (i <= j)


def _cholesky(f, s, ins, outs, work):
    n = s.dims["n"]
    w, info = work["a"], f.int(0)
    uplo, nn = f.char("L"), f.int(n)

    def one(i):
        a, out = _nth(f, ins[0], i, n * n), _nth(f, outs[0], i, n * n)
        f.copy2d(w, a, n, n, (1, n), (n, 1))  # row-major in, column-major workspace
        f.call(s.routine_prefix + "potrf", [uplo, nn, w, nn, info])
        with f.b.if_else(f.failed(info)) as (bad, good):
            with bad:
                f.fill_nan(out, n * n)
            with good:
                f.copy2d(out, w, n, n, (n, 1), (1, n), keep=_le(f))

    _batched(f, s, one)


def _trsm(f, s, ins, outs, work):
    d = s.dims
    mm, rows, cols = d["n"], d["rows"], d["cols"]
    # Row-major X op(A) = B is column-major op(A)^T X^T = B^T (and the left side likewise): the
    # side and the triangle flip, the transposition stays.
    side = f.char("R" if d["left_side"] else "L")
    uplo = f.char("U" if d["lower"] else "L")
    trans = f.char("T" if d["transpose_a"] else "N")
    diag = f.char("U" if d["unit_diagonal"] else "N")
    m_, n_, lda, ldb = f.int(cols), f.int(rows), f.int(max(1, mm)), f.int(max(1, cols))
    alpha = f.cell(f.et, 1.0)
    memcpy = f.cx.declare("llvm.memcpy.p0.p0.i64", void, [ptr, ptr, i64, i1], pure=False)
    nbytes = d["batch"] * rows * cols * s.dtype.itemsize
    f.b.call(memcpy, [outs[0], ins[1], ir.Constant(i64, nbytes), ir.Constant(i1, 0)])

    def one(i):
        a, x = _nth(f, ins[0], i, mm * mm), _nth(f, outs[0], i, rows * cols)
        f.call(s.routine_prefix + "trsm", [side, uplo, trans, diag, m_, n_, alpha, a, lda, x, ldb])

    _batched(f, s, one)


def _lu(f, s, ins, outs, work):
    m, n = s.dims["m"], s.dims["n"]
    k = min(m, n)
    w, info = work["a"], f.int(0)
    mm, nn = f.int(m), f.int(n)
    b = f.b

    def one(i):
        a, lu = _nth(f, ins[0], i, m * n), _nth(f, outs[0], i, m * n)
        piv, perm = _nth(f, outs[1], i, k, i32), _nth(f, outs[2], i, m, i32)
        f.copy2d(w, a, m, n, (1, m), (n, 1))
        # info > 0 (an exactly singular U) still leaves a valid factorisation: kept, as in JAX.
        f.call(s.routine_prefix + "getrf", [mm, nn, w, mm, piv, info])
        f.copy2d(lu, w, m, n, (n, 1), (1, m))

        def zero_based(j):
            p = f.at(piv, j, i32)
            v = b.sub(b.load(p, typ=i32), ir.Constant(i32, 1))
            # LAPACK's pivots lie in 1..m; the clamp only guards memory against a broken library.
            v = b.select(b.icmp_signed("<", v, ir.Constant(i32, 0)), ir.Constant(i32, 0), v)
            v = b.select(b.icmp_signed(">", v, ir.Constant(i32, m - 1)), ir.Constant(i32, m - 1), v)
            b.store(v, p)

        f.loop(k, zero_based)
        f.loop(m, lambda r: b.store(b.trunc(r, i32), f.at(perm, r, i32)))

        def swap(j):  # replay the row swaps on 0..m-1: a[perm] = L @ U
            p = b.sext(b.load(f.at(piv, j, i32), typ=i32), i64)
            x, y = f.at(perm, j, i32), f.at(perm, p, i32)
            vx, vy = b.load(x, typ=i32), b.load(y, typ=i32)
            b.store(vy, x)
            b.store(vx, y)

        f.loop(k, swap)

    _batched(f, s, one)


def _qr(f, s, ins, outs, work):
    m, n, qc, lwork = s.dims["m"], s.dims["n"], s.dims["qcols"], s.dims["lwork"]
    k = min(m, n)
    w, tau, wk, info = work["a"], work["tau"], work["work"], f.int(0)
    mm, nn, kk, qq, lw = f.int(m), f.int(n), f.int(k), f.int(qc), f.int(lwork)
    p = s.routine_prefix

    def one(i):
        a, q, r = _nth(f, ins[0], i, m * n), _nth(f, outs[0], i, m * qc), _nth(f, outs[1], i, qc * n)
        f.copy2d(w, a, m, n, (1, m), (n, 1))
        f.call(p + "geqrf", [mm, nn, w, mm, tau, wk, lw, info])
        f.copy2d(r, w, qc, n, (n, 1), (1, m), keep=_ge(f))
        f.call(p + "orgqr", [mm, qq, kk, w, mm, tau, wk, lw, info])
        f.copy2d(q, w, m, qc, (qc, 1), (1, m))

    _batched(f, s, one)


def _eigh(f, s, ins, outs, work):
    n, lwork, liwork = s.dims["n"], s.dims["lwork"], s.dims["liwork"]
    w, info = work["a"], f.int(0)
    jobz, uplo = f.char("V"), f.char("L" if s.dims["lower"] else "U")
    nn, lw, liw = f.int(n), f.int(lwork), f.int(liwork)

    def one(i):
        a, v, ev = _nth(f, ins[0], i, n * n), _nth(f, outs[0], i, n * n), _nth(f, outs[1], i, n)
        f.copy2d(w, a, n, n, (1, n), (n, 1))
        f.call(s.routine_prefix + "syevd", [jobz, uplo, nn, w, nn, ev, work["work"], lw, work["iwork"], liw, info])
        with f.b.if_else(f.failed(info)) as (bad, good):
            with bad:
                f.fill_nan(v, n * n)
                f.fill_nan(ev, n)
            with good:
                f.copy2d(v, w, n, n, (n, 1), (1, n))

    _batched(f, s, one)


def _svd(f, s, ins, outs, work):
    d = s.dims
    m, n, um, vn = d["m"], d["n"], d["ucols"], d["vtrows"]
    k = min(m, n)
    uv = d["jobz"] != "N"
    w, info = work["a"], f.int(0)
    jobz, mm, nn = f.char(d["jobz"]), f.int(m), f.int(n)
    ldu, ldvt, lw = f.int(d["ldu"]), f.int(d["ldvt"]), f.int(d["lwork"])
    u_w, vt_w = (work["u"], work["vt"]) if uv else (w, w)

    def one(i):
        a, sv = _nth(f, ins[0], i, m * n), _nth(f, outs[0], i, k)
        f.copy2d(w, a, m, n, (1, m), (n, 1))
        call = [jobz, mm, nn, w, mm, sv, u_w, ldu, vt_w, ldvt, work["work"], lw, work["iwork"], info]
        f.call(s.routine_prefix + "gesdd", call)
        with f.b.if_else(f.failed(info)) as (bad, good):
            with bad:
                f.fill_nan(sv, k)
                if uv:
                    f.fill_nan(_nth(f, outs[1], i, m * um), m * um)
                    f.fill_nan(_nth(f, outs[2], i, vn * n), vn * n)
            with good:
                if uv:
                    f.copy2d(_nth(f, outs[1], i, m * um), u_w, m, um, (um, 1), (1, m))
                    f.copy2d(_nth(f, outs[2], i, vn * n), vt_w, vn, n, (n, 1), (1, vn))

    _batched(f, s, one)


_EMITTERS = {"cholesky": _cholesky, "trsm": _trsm, "lu": _lu, "qr": _qr, "eigh": _eigh, "svd": _svd}
