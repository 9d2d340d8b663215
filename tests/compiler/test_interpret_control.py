"""The NumPy meaning of cond / while / scan on hand-built IR (no jaxlite), and their shape rules."""

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.typecheck import check_jaxpr

F32 = ShapedArray((), dtypes.float32)
I32 = ShapedArray((), dtypes.int32)
V3 = ShapedArray((3,), dtypes.float32)


def _unary(prim, aval=F32):
    jb = JaxprBuilder()
    x = jb.arg(aval)
    return jb.build([jb.op(prim, x)])


def test_cond_runs_the_indexed_branch_and_clamps():
    branches = (_unary(P.neg_p), _unary(P.sin_p), _unary(P.exp_p))
    jb = JaxprBuilder()
    i, x = jb.arg(I32), jb.arg(F32)
    (out,) = jb.op(P.cond_p, i, x, branches=branches)
    closed = jb.build([out])
    check_jaxpr(closed)
    for idx, want in [(0, -0.5), (1, np.sin(0.5)), (2, np.exp(0.5)), (7, np.exp(0.5)), (-3, -0.5)]:
        (got,) = eval_jaxpr(closed.jaxpr, closed.consts, np.int32(idx), np.float32(0.5))
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_while_loops_until_the_predicate_fails():
    cj = JaxprBuilder()
    lim, c = cj.arg(F32), cj.arg(F32)
    cond = cj.build([cj.op(P.lt_p, c, lim)])
    bj = JaxprBuilder()
    k, c = bj.arg(F32), bj.arg(F32)
    body = bj.build([bj.op(P.mul_p, c, k)])
    jb = JaxprBuilder()
    lim, k, x = jb.arg(F32), jb.arg(F32), jb.arg(F32)
    (out,) = jb.op(P.while_p, lim, k, x, cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=1, body_nconsts=1)
    closed = jb.build([out])
    check_jaxpr(closed)
    (got,) = eval_jaxpr(closed.jaxpr, closed.consts, np.float32(100), np.float32(3), np.float32(1))
    assert got == 243


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_carries_and_stacks(reverse):
    bj = JaxprBuilder()
    w, c, x = bj.arg(F32), bj.arg(F32), bj.arg(F32)
    new_c = bj.op(P.add_p, bj.op(P.mul_p, c, w), x)
    body = bj.build([new_c, bj.op(P.mul_p, c, lit(2.0, dtypes.float32))])
    jb = JaxprBuilder()
    w, c, xs = jb.arg(F32), jb.arg(F32), jb.arg(ShapedArray((4,), dtypes.float32))
    outs = jb.op(P.scan_p, w, c, xs, jaxpr=body, num_consts=1, num_carry=1, length=4,
                 reverse=reverse, unroll=1)
    closed = jb.build(outs)
    check_jaxpr(closed)
    xs_v = np.array([1, 2, 3, 4], np.float32)
    c_out, ys = eval_jaxpr(closed.jaxpr, closed.consts, np.float32(0.5), np.float32(1), xs_v)
    c_ref, ys_ref = 1.0, np.zeros(4, np.float32)
    for i in (reversed(range(4)) if reverse else range(4)):
        ys_ref[i] = c_ref * 2
        c_ref = c_ref * 0.5 + xs_v[i]
    np.testing.assert_allclose(c_out, c_ref)
    np.testing.assert_allclose(ys, ys_ref)
    assert ys.shape == (4,) and ys.dtype == np.float32


def test_shape_rules_reject_mismatches():
    with pytest.raises(TypeError, match="cond"):
        P.shape_rules[P.cond_p](F32, F32, branches=(_unary(P.neg_p),))  # float index
    with pytest.raises(TypeError, match="branch 1"):
        P.shape_rules[P.cond_p](I32, F32, branches=(_unary(P.neg_p), _unary(P.neg_p, V3)))
    with pytest.raises(TypeError, match="leading axis"):
        P.shape_rules[P.scan_p](F32, ShapedArray((3,), dtypes.float32), jaxpr=_unary(P.neg_p),
                                num_consts=0, num_carry=1, length=4)
    with pytest.raises(TypeError, match="bool scalar"):
        P.shape_rules[P.while_p](F32, cond_jaxpr=_unary(P.neg_p), body_jaxpr=_unary(P.neg_p),
                                 cond_nconsts=0, body_nconsts=0)
