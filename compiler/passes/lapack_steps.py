"""Linear-algebra equations become LapackSteps: calls into SciPy's LAPACK (and BLAS trsm).

A LapackStep names the operation, the float dtype (float32 or float64; float16 and complex stay
interpreter steps), the batch count and the matrix sizes, its operand and result buffers, and
the workspace it needs: temporaries in the program's arena, sized at compile time (LAPACK's
own workspace query, run here once per size through ctypes). The back end (cpu/lapack.py) emits
a loop over the batch around each call, with the layout copies: our buffers are row-major,
LAPACK is column-major, so each matrix is copied transposed into a column-major workspace, as
NumPy does before the same LAPACK routines, and the results are copied back. That makes the
arithmetic (and so the factor signs) the interpreter's (compiler/interpret_linalg.py).

Per operation (m x n matrices, k = min(m, n)):
- cholesky: potrf('L'); the upper triangle of the result is zero; info > 0 (not positive
  definite) fills that matrix with NaN, as the interpreter does.
- triangular_solve: trsm on the transposed problem (no copy of a): row-major X op(A) = B is
  column-major op(A)^T X^T = B^T, so side and triangle flip and b is copied to the result.
- lu: getrf; pivots 0-based int32, and the permutation replayed from them. A singular matrix
  still gets its factorisation (info > 0 is not a failure), as in the interpreter and JAX.
- qr: geqrf then orgqr (m x m Q when full_matrices).
- eigh: syevd('V'); info > 0 fills that matrix's v and w with NaN.
- svd: gesdd (jobz 'A', 'S' or 'N'); info > 0 fills that matrix's outputs with NaN.
"""

from __future__ import annotations

import ctypes
import functools
from math import prod

import numpy as np

from .. import dtypes
from .. import primitives as P
from ..ir import Literal

LAPACK_PRIMS = {P.cholesky_p, P.triangular_solve_p, P.lu_p, P.qr_p, P.eigh_p, P.svd_p}
_OP = {
    P.cholesky_p: "cholesky",
    P.triangular_solve_p: "trsm",
    P.lu_p: "lu",
    P.qr_p: "qr",
    P.eigh_p: "eigh",
    P.svd_p: "svd",
}


def why_not(eqn):
    """None when the equation becomes a LapackStep, else the reason it stays an interpreter step."""
    avals = [a.aval for a in eqn.invars] + [v.aval for v in eqn.outvars]
    if any(isinstance(a, Literal) for a in eqn.invars):
        return "a literal matrix operand (constant folding normally removes it)"
    dt = eqn.invars[0].aval.dtype
    if dt not in (dtypes.float32, dtypes.float64):
        return f"LAPACK calls are lowered for float32/float64; {dt} runs in the interpreter"
    if any(a.size == 0 for a in avals):
        return "empty matrices: degenerate sizes are left to the interpreter"
    if max(eqn.invars[0].aval.shape[-2:]) >= 2**31 // 8:
        return "matrix too large for 32-bit LAPACK integers"
    return None


class LapackStep:
    """One LAPACK operation over a batch of matrices. `ins`/`outs` are buffer ids in the
    primitive's operand/result order; `work` maps workspace names to temporary buffer ids;
    `dims` holds the sizes (batch, m, n, ...) and flags the back end needs."""

    def __init__(self, op, dtype, ins, outs, work, dims, eqn):
        self.op, self.dtype, self.ins, self.outs = op, np.dtype(dtype), list(ins), list(outs)
        self.work, self.dims, self.eqn = dict(work), dict(dims), eqn

    @property
    def routine_prefix(self):
        return "s" if self.dtype == dtypes.float32 else "d"

    def buffers_read(self):
        return list(self.ins)

    def buffers_written(self):
        return list(self.outs) + list(self.work.values())

    def render(self, out):
        dims = " ".join(f"{k}={v}" for k, v in sorted(self.dims.items()))
        work = " ".join(f"{k}=b{v}" for k, v in sorted(self.work.items()))
        ins, outs = ", ".join(f"b{b}" for b in self.ins), ", ".join(f"b{b}" for b in self.outs)
        out.append(f"lapack {self.op} {dtypes.short_name(self.dtype)}({ins}) -> ({outs}) {dims} work: {work}")

    def report_line(self, i):
        dims = " ".join(f"{k}={v}" for k, v in sorted(self.dims.items()))
        return f"  step {i}: LAPACK {self.routines()} {dims}"

    def routines(self):
        p = self.routine_prefix
        names = {
            "cholesky": ["potrf"],
            "trsm": ["trsm"],
            "lu": ["getrf"],
            "qr": ["geqrf", "orgqr"],
            "eigh": ["syevd"],
            "svd": ["gesdd"],
        }[self.op]
        return "+".join(p + n for n in names)


# ---- Workspace sizes (LAPACK's own query, at compile time) ---------------------------------


def _call(name, *args):
    """Call LAPACK routine `name` (Fortran convention: every argument by reference)."""
    from ..cpu.lapack import address

    fn = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * len(args)))(address(name))
    fn(*[ctypes.cast(ctypes.byref(a), ctypes.c_void_p) if not isinstance(a, int) else a for a in args])


@functools.cache
def query_lwork(name, *ints_and_chars):
    """The optimal `lwork` (and `liwork` for syevd) of routine `name` for these sizes: the
    routine called with lwork = -1. Arguments are given as ('c', 'V') / ('i', n) / ('w',) for
    a dummy array / ('q',) for the work query cell / ('iq',) for syevd's iwork query cell."""
    real = ctypes.c_float if name[0] == "s" else ctypes.c_double
    args, work, iwork = [], real(0), ctypes.c_int(0)
    dummy = (real * 4)()
    idummy = (ctypes.c_int * 4)()
    for spec in ints_and_chars:
        kind = spec[0]
        if kind == "c":
            args.append(ctypes.c_char(spec[1].encode()))
        elif kind == "i":
            args.append(ctypes.c_int(spec[1]))
        elif kind == "w":
            args.append(ctypes.addressof(dummy))
        elif kind == "iw":
            args.append(ctypes.addressof(idummy))
        elif kind == "q":
            args.append(work)
        elif kind == "iq":
            args.append(iwork)
    _call(name, *args)
    return int(np.ceil(work.value)), int(iwork.value)


def _lwork(prefix, op, m, n, dims):
    """(lwork, liwork) for the step's routines."""
    k = min(m, n)
    c, i, w, q = (lambda v: ("c", v)), (lambda v: ("i", v)), ("w",), ("q",)
    neg = i(-1)
    if op == "qr":
        qc = dims["qcols"]
        a, _ = query_lwork(prefix + "geqrf", i(m), i(n), w, i(m), w, q, neg, i(0))
        b, _ = query_lwork(prefix + "orgqr", i(m), i(qc), i(k), w, i(m), w, q, neg, i(0))
        return max(a, b, n, qc, 1), 0
    if op == "eigh":
        lw, liw = query_lwork(prefix + "syevd", c("V"), c("L"), i(n), w, i(n), w, q, neg, ("iq",), neg, i(0))
        return max(lw, 1 + 6 * n + 2 * n * n), max(liw, 3 + 5 * n)
    if op == "svd":
        jobz = dims["jobz"]
        ldu, ldvt = dims["ldu"], dims["ldvt"]
        lw, _ = query_lwork(
            prefix + "gesdd", c(jobz), i(m), i(n), w, i(m), w, w, i(ldu), w, i(ldvt), q, neg, ("iw",), i(0)
        )
        minimum = 3 * k + max(max(m, n), 7 * k) if jobz == "N" else 4 * k * k + 6 * k + max(m, n)
        return max(lw, minimum), 8 * k
    return 0, 0


# ---- Building the step ----------------------------------------------------------------------


def build_lapack_step(eqn, buf_of, new_temp):
    """The LapackStep of `eqn` (why_not(eqn) is None). buf_of(var) gives the buffer of a
    variable; new_temp(shape, dtype) a new temporary."""
    op = _OP[eqn.prim]
    a = eqn.invars[0].aval
    dt = a.dtype
    *batch, m, n = a.shape
    nb = prod(batch)
    ins = [buf_of(v) for v in eqn.invars]
    outs = [buf_of(v) for v in eqn.outvars]
    dims = {"batch": nb, "m": m, "n": n}
    work = {}
    prefix = "s" if dt == dtypes.float32 else "d"
    if op == "cholesky":
        work["a"] = new_temp((n, n), dt)
    elif op == "trsm":
        bshape = eqn.invars[1].aval.shape
        dims.update(
            rows=bshape[-2],
            cols=bshape[-1],
            left_side=int(bool(eqn.params["left_side"])),
            lower=int(bool(eqn.params["lower"])),
            transpose_a=int(bool(eqn.params["transpose_a"])),
            unit_diagonal=int(bool(eqn.params.get("unit_diagonal", False))),
        )
    elif op == "lu":
        work["a"] = new_temp((m, n), dt)
    elif op == "qr":
        qc = m if eqn.params["full_matrices"] else min(m, n)
        dims["qcols"] = qc
        work["a"] = new_temp((m, max(n, qc)), dt)
        work["tau"] = new_temp((min(m, n),), dt)
    elif op == "eigh":
        dims["lower"] = int(bool(eqn.params.get("lower", True)))
        work["a"] = new_temp((n, n), dt)
    elif op == "svd":
        k = min(m, n)
        full, uv = eqn.params["full_matrices"], eqn.params["compute_uv"]
        jobz = "N" if not uv else "A" if full else "S"
        um, vn = (m, n) if full else (k, k)
        dims.update(jobz=jobz, ucols=um, vtrows=vn, ldu=m if uv else 1, ldvt=vn if uv else 1)
        work["a"] = new_temp((m, n), dt)
        if uv:
            work["u"] = new_temp((m, um), dt)
            work["vt"] = new_temp((vn, n), dt)
    lwork, liwork = _lwork(prefix, op, m, n, dims)
    if lwork:
        dims["lwork"] = lwork
        work["work"] = new_temp((lwork,), dt)
    if liwork:
        dims["liwork"] = liwork
        work["iwork"] = new_temp((liwork,), dtypes.int32)
    return LapackStep(op, dt, ins, outs, work, dims, eqn)
