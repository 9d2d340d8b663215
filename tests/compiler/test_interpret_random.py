"""The threefry2x32 primitive on hand-built IR: Random123's known answers, broadcasting, types."""

import numpy as np
import pytest

from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.interpret_random import threefry2x32
from compiler.ir import Eqn, Jaxpr, ShapedArray, Var
from compiler.typecheck import check_jaxpr

U32 = np.dtype(np.uint32)

# (key, counter) -> cipher text, from the Random123 known-answer tests for threefry2x32_20
KNOWN = [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


def test_known_answers_through_eval_jaxpr():
    k0, k1 = Var(ShapedArray((), U32)), Var(ShapedArray((), U32))
    x0, x1 = Var(ShapedArray((3,), U32)), Var(ShapedArray((3,), U32))
    y0, y1 = Var(ShapedArray((3,), U32)), Var(ShapedArray((3,), U32))
    jaxpr = Jaxpr([], [k0, k1, x0, x1], [y0, y1], [Eqn(P.threefry2x32_p, [k0, k1, x0, x1], [y0, y1], {})])
    check_jaxpr(jaxpr)
    for key, ctr, expected in KNOWN:
        xs = [np.full(3, c, U32) for c in ctr]
        out = eval_jaxpr(jaxpr, [], *[np.uint32(k) for k in key], *xs)
        assert [int(o[0]) for o in out] == list(expected)
        assert all(o.dtype == U32 and o.shape == (3,) for o in out)


def test_elementwise_over_broadcast_keys_and_counters():
    keys = np.array([[1, 2], [3, 4], [5, 6]], U32)
    ctr = np.arange(6, dtype=U32).reshape(2, 3)
    a, b = threefry2x32(keys[:, 0], keys[:, 1], ctr[0], ctr[1])
    for i in range(3):
        ai, bi = threefry2x32(keys[i, 0], keys[i, 1], ctr[0, i], ctr[1, i])
        assert (a[i], b[i]) == (ai, bi)


def test_shape_rule_rejects_bad_operands():
    rule = P.shape_rules[P.threefry2x32_p]
    u = ShapedArray((3,), U32)
    assert rule(ShapedArray((), U32), ShapedArray((), U32), u, u) == [u, u]
    with pytest.raises(TypeError, match="uint32"):
        rule(u, u, u, ShapedArray((3,), np.dtype(np.int32)))
    with pytest.raises(TypeError, match="shapes"):
        rule(u, u, u, ShapedArray((4,), U32))
    with pytest.raises(TypeError, match="4 operands"):
        rule(u, u, u)
