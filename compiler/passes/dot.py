"""Canonical dots: every dot_general becomes either a plain (batched) matrix product that the
back end hands to BLAS gemm, or, for integer and bool operands (which BLAS does not multiply),
a broadcast-multiply-reduce that fusion turns into one loop kernel.

The canonical gemm form has 2-D operands (no batch) or 3-D operands with batch axis 0, one
contracting and one free axis each; each operand is either in (rows, contracted) order ("N") or
(contracted, rows) order ("T"), whichever needs no transpose of the original layout, so a
transposed operand costs nothing: gemm reads it with its trans flag. Complex dots are gemms too
(cgemm/zgemm with unit alpha and no conjugation: dot_general never conjugates).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .. import primitives as P
from ..ir import ClosedJaxpr, Eqn, Var
from .util import Emitter, Subst, rebuild

GEMM_DTYPES = (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)



def is_canonical_gemm(eqn) -> bool:
    if eqn.prim is not P.dot_general_p:
        return False
    lhs, rhs = (a.aval for a in eqn.invars)
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    out = eqn.outvars[0].aval
    if lhs.dtype not in GEMM_DTYPES or out.dtype != lhs.dtype or rhs.dtype != lhs.dtype:
        return False
    if len(lc) != 1 or len(rc) != 1:
        return False
    if lhs.ndim == 2 and rhs.ndim == 2 and not lb and not rb:
        return True
    return (
        lhs.ndim == 3
        and rhs.ndim == 3
        and tuple(lb) == (0,)
        and tuple(rb) == (0,)
        and lc[0] != 0
        and rc[0] != 0
    )


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def _lower_dot(eqn, out_eqns):
    emit = Emitter(out_eqns)
    lhs, rhs = eqn.invars
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lc, rc, lb, rb = (tuple(int(a) for a in axes) for axes in (lc, rc, lb, rb))
    out_aval = eqn.outvars[0].aval
    out_dtype = out_aval.dtype
    compute = dtypes.float32 if out_dtype == dtypes.float16 else out_dtype
    if is_canonical_gemm(eqn) and _prod([lhs.aval.shape[i] for i in lc]) != 1:
        return None
    ls, rs = lhs.aval.shape, rhs.aval.shape
    lfree = tuple(i for i in range(len(ls)) if i not in lc and i not in lb)
    rfree = tuple(i for i in range(len(rs)) if i not in rc and i not in rb)
    bshape = [ls[i] for i in lb]
    mshape, nshape, kshape = [ls[i] for i in lfree], [rs[i] for i in rfree], [ls[i] for i in lc]
    lhs, rhs = emit.convert(lhs, compute), emit.convert(rhs, compute)
    if _prod(kshape) == 1 and compute != dtypes.bool_:
        # An outer product (nothing to sum; per-example gradients are full of them): a
        # broadcast multiply, which fuses with its consumers (a transpose of the result is then
        # free) instead of a gemm with k=1 per batch entry plus a relayout copy. Exact: each
        # output is the one product, as BLAS computes it.
        nb, nm, nn = len(bshape), len(mshape), len(nshape)
        target = tuple(bshape + mshape + nshape)
        lt = emit.reshape(emit.transpose(lhs, lb + lfree + lc), bshape + mshape)
        rt = emit.reshape(emit.transpose(rhs, rb + rfree + rc), bshape + nshape)
        lbig = emit(P.broadcast_in_dim_p, lt, shape=target, broadcast_dimensions=tuple(range(nb + nm)))
        rdims = tuple(range(nb)) + tuple(range(nb + nm, nb + nm + nn))
        rbig = emit(P.broadcast_in_dim_p, rt, shape=target, broadcast_dimensions=rdims)
        return emit.convert(emit(P.mul_p, lbig, rbig), out_dtype)
    if compute in GEMM_DTYPES:
        identity = lambda perm: list(perm) == sorted(perm)  # noqa: E731
        lhs_t = not identity(lb + lfree + lc) and identity(lb + lc + lfree)
        rhs_t = not identity(rb + rc + rfree) and identity(rb + rfree + rc)
        B, M, N, K = _prod(bshape), _prod(mshape), _prod(nshape), _prod(kshape)
        lperm = lb + (lc + lfree if lhs_t else lfree + lc)
        rperm = rb + (rfree + rc if rhs_t else rc + rfree)
        batch = (B,) if lb else ()
        l2 = emit.reshape(emit.transpose(lhs, lperm), batch + ((K, M) if lhs_t else (M, K)))
        r2 = emit.reshape(emit.transpose(rhs, rperm), batch + ((N, K) if rhs_t else (K, N)))
        nb = len(batch)
        dims = (((nb + (0 if lhs_t else 1),), (nb + (1 if rhs_t else 0),)), ((0,), (0,)) if nb else ((), ()))
        prod = emit(
            P.dot_general_p, l2, r2, dimension_numbers=dims, precision=None, preferred_element_type=None
        )
        result = emit.reshape(prod, bshape + mshape + nshape)
    else:
        # Integers and bools: a product over the full (batch, m, n, k) space reduced over k. The
        # broadcasts are loads with zero strides, so the product is never materialised.
        nb, nm, nn, nk = len(bshape), len(mshape), len(nshape), len(kshape)
        target = tuple(bshape + mshape + nshape + kshape)
        lt = emit.transpose(lhs, lb + lfree + lc)
        rt = emit.transpose(rhs, rb + rfree + rc)
        ldims = tuple(range(nb + nm)) + tuple(range(nb + nm + nn, nb + nm + nn + nk))
        rdims = tuple(range(nb)) + tuple(range(nb + nm, nb + nm + nn + nk))
        lbig = emit(P.broadcast_in_dim_p, lt, shape=target, broadcast_dimensions=ldims)
        rbig = emit(P.broadcast_in_dim_p, rt, shape=target, broadcast_dimensions=rdims)
        is_bool = compute == dtypes.bool_
        prod = emit(P.and_p if is_bool else P.mul_p, lbig, rbig)
        axes = tuple(range(nb + nm + nn, len(target)))
        result = emit(P.reduce_or_p if is_bool else P.reduce_sum_p, prod, axes=axes) if axes else prod
    return emit.convert(result, out_dtype)


def _swappable_transposes(jaxpr):
    """{dot outvar: transpose eqn} for float matrix products whose only use is a transpose of
    their two matrix axes. Reverse mode writes weight gradients this way (dW^T = dz^T @ h, then a
    transpose); (A @ B)^T = B^T @ A^T is the same gemm with its operands swapped, so the product
    can be written in the wanted layout at no cost instead of copied (or read strided) later."""
    uses = {}
    for eqn in jaxpr.eqns:
        for a in eqn.invars:
            if isinstance(a, Var):
                uses[a] = uses.get(a, 0) + 1
    for v in jaxpr.outvars:
        if isinstance(v, Var):
            uses[v] = uses.get(v, 0) + 2
    dots = {e.outvars[0]: e for e in jaxpr.eqns if e.prim is P.dot_general_p}
    found = {}
    for eqn in jaxpr.eqns:
        if eqn.prim is not P.transpose_p or not isinstance(eqn.invars[0], Var):
            continue
        dot = dots.get(eqn.invars[0])
        if dot is None or uses.get(eqn.invars[0]) != 1:
            continue
        (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
        out = dot.outvars[0].aval
        if out.dtype not in GEMM_DTYPES or len(lc) != 1 or len(rc) != 1 or len(lb) != len(rb):
            continue
        lhs, rhs = (a.aval for a in dot.invars)
        if lhs.ndim != len(lb) + 2 or rhs.ndim != len(rb) + 2:  # one free axis each
            continue
        nb = len(lb)
        if tuple(eqn.params["permutation"]) == (*range(nb), nb + 1, nb):
            found[dot.outvars[0]] = eqn
    return found


def _swapped(dot, transpose):
    """The product `dot` with its operands swapped, defining `transpose`'s result directly."""
    (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
    params = {**dot.params, "dimension_numbers": ((tuple(rc), tuple(lc)), (tuple(rb), tuple(lb)))}
    return Eqn(P.dot_general_p, [dot.invars[1], dot.invars[0]], list(transpose.outvars), params)


def canonicalize_dots(closed: ClosedJaxpr) -> ClosedJaxpr:
    if not any(e.prim is P.dot_general_p for e in closed.jaxpr.eqns):
        return closed
    swaps = _swappable_transposes(closed.jaxpr)
    folded = {id(t) for t in swaps.values()}
    subst = Subst()
    kept = []
    for eqn in closed.jaxpr.eqns:
        if id(eqn) in folded:  # its dot already defined its result
            continue
        if eqn.prim is P.dot_general_p and eqn.outvars[0] in swaps:
            eqn = _swapped(eqn, swaps[eqn.outvars[0]])
        eqn = subst.eqn(eqn)
        if eqn.prim is P.dot_general_p:
            result = _lower_dot(eqn, kept)
            if result is not None:
                subst[eqn.outvars[0]] = result
                continue
        kept.append(eqn)
    return rebuild(closed, kept, subst)
