"""eval_jaxpr on hand-built Jaxprs (compiler.ir only), against NumPy written out directly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, ShapedArray, Var
from compiler.typecheck import check_jaxpr

f32, i8, i32 = np.dtype(np.float32), np.dtype(np.int8), np.dtype(np.int32)
MATMUL = dict(dimension_numbers=(((1,), (0,)), ((), ())), precision=None, preferred_element_type=None)


def var(shape, dtype=f32):
    return Var(ShapedArray(shape, dtype))


def eqn(prim, invars, outvar, **params):
    outvars = outvar if isinstance(outvar, list) else [outvar]
    return Eqn(prim, list(invars), outvars, params)


def mlp_jaxpr(batch=4, n_in=3, hidden=5, n_out=2):
    """tanh(x @ w1 + b1) @ w2 + b2, then * 0.5 + 1 through rank-0 literals."""
    x = var((batch, n_in))
    w1, b1, w2, b2 = var((n_in, hidden)), var((hidden,)), var((hidden, n_out)), var((n_out,))
    h, b1_wide, h_biased, act = (var((batch, hidden)) for _ in range(4))
    o, b2_wide, o_biased, scaled, shifted = (var((batch, n_out)) for _ in range(5))
    eqns = [
        eqn(P.dot_general_p, [x, w1], h, **MATMUL),
        eqn(P.broadcast_in_dim_p, [b1], b1_wide, shape=(batch, hidden), broadcast_dimensions=(1,)),
        eqn(P.add_p, [h, b1_wide], h_biased),
        eqn(P.tanh_p, [h_biased], act),
        eqn(P.dot_general_p, [act, w2], o, **MATMUL),
        eqn(P.broadcast_in_dim_p, [b2], b2_wide, shape=(batch, n_out), broadcast_dimensions=(1,)),
        eqn(P.add_p, [o, b2_wide], o_biased),
        eqn(P.mul_p, [o_biased, Literal(0.5, ShapedArray((), f32))], scaled),
        eqn(P.add_p, [scaled, Literal(1.0, ShapedArray((), f32))], shifted),
    ]
    return Jaxpr(constvars=[w1, b1, w2, b2], invars=[x], outvars=[shifted, act], eqns=eqns)


def test_mlp_forward_matches_numpy():
    jaxpr = mlp_jaxpr()
    check_jaxpr(jaxpr)
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = (rng.standard_normal(v.aval.shape).astype(f32) for v in jaxpr.constvars)
    x = rng.standard_normal((4, 3)).astype(f32)

    out, hidden = eval_jaxpr(jaxpr, [w1, b1, w2, b2], x)

    want_hidden = np.tanh(x @ w1 + b1)
    want = (want_hidden @ w2 + b2) * np.float32(0.5) + np.float32(1.0)
    assert isinstance(out, np.ndarray) and out.dtype == f32 and out.shape == (4, 2)
    assert hidden.dtype == f32 and hidden.shape == (4, 5)
    np.testing.assert_allclose(hidden, want_hidden, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


def test_literals_take_their_aval_dtype():
    # A Python scalar literal must not widen an int8 or float32 computation (NEP 50 would make a
    # bare Python int an int64 were it alone).
    x, y, z = var((3,), i8), var((3,), i8), var((), i32)
    jaxpr = Jaxpr([], [x], [y, z], [
        eqn(P.add_p, [x, Literal(100, ShapedArray((), i8))], y),
        eqn(P.mul_p, [Literal(6, ShapedArray((), i32)), Literal(7, ShapedArray((), i32))], z),
    ])
    check_jaxpr(jaxpr)
    y_val, z_val = eval_jaxpr(jaxpr, [], np.array([1, 27, 100], i8))
    assert y_val.dtype == i8 and z_val.dtype == i32 and z_val.shape == ()
    np.testing.assert_array_equal(y_val, np.array([101, 127, -56], i8))  # wraps, as XLA
    assert z_val == 42


def test_outputs_may_be_inputs_or_literals():
    x = var((2,))
    jaxpr = Jaxpr([], [x], [x, Literal(2.5, ShapedArray((), f32))], [])
    check_jaxpr(jaxpr)
    a = np.array([1.0, 2.0], f32)
    out, literal = eval_jaxpr(jaxpr, [], a)
    np.testing.assert_array_equal(out, a)
    assert isinstance(literal, np.ndarray) and literal.dtype == f32 and literal == 2.5


def test_multiple_results_primitive():
    keys, values, sorted_keys, sorted_values = var((4,)), var((4,), i32), var((4,)), var((4,), i32)
    jaxpr = Jaxpr([], [keys, values], [sorted_values, sorted_keys], [
        eqn(P.sort_p, [keys, values], [sorted_keys, sorted_values], dimension=0, is_stable=True, num_keys=1),
    ])
    check_jaxpr(jaxpr)
    keys_in = np.array([3.0, np.nan, -1.0, 0.0], f32)
    got_values, got_keys = eval_jaxpr(jaxpr, [], keys_in, np.arange(4, dtype=i32))
    np.testing.assert_array_equal(got_keys, np.array([-1.0, 0.0, 3.0, np.nan], f32))
    np.testing.assert_array_equal(got_values, np.array([2, 3, 0, 1], i32))


def test_a_jit_call_runs_its_sub_jaxpr():
    inner_x, inner_y = var((3,)), var((3,))
    inner = ClosedJaxpr(Jaxpr([], [inner_x], [inner_y], [eqn(P.sin_p, [inner_x], inner_y)]), [])
    x, y, z = var((3,)), var((3,)), var((3,))
    jaxpr = Jaxpr([], [x], [z], [
        eqn(P.jit_p, [x], [y], jaxpr=inner, name="inner"),
        eqn(P.neg_p, [y], z),
    ])
    check_jaxpr(jaxpr)
    a = np.array([0.0, 1.0, 2.0], f32)
    (out,) = eval_jaxpr(jaxpr, [], a)
    np.testing.assert_allclose(out, -np.sin(a), rtol=1e-6)


def test_no_numpy_warnings_for_inf_and_nan():
    x, y, z = var((3,)), var((3,)), var((3,))
    jaxpr = Jaxpr([], [x], [z], [eqn(P.log_p, [x], y), eqn(P.div_p, [y, x], z)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (out,) = eval_jaxpr(jaxpr, [], np.array([0.0, -1.0, 1.0], f32))
    assert out[0] == -np.inf and np.isnan(out[1]) and out[2] == 0


def test_argument_count_mismatch_is_a_type_error():
    jaxpr = mlp_jaxpr()
    with pytest.raises(TypeError, match="takes 4 consts and 1 arguments, got 0 and 1"):
        eval_jaxpr(jaxpr, [], np.zeros((4, 3), f32))


def test_a_primitive_without_a_rule_is_named():
    mystery = P.Primitive("mystery", P.ELEMENTWISE)  # deliberately not declared
    x, y = var((2,)), var((2,))
    jaxpr = Jaxpr([], [x], [y], [eqn(mystery, [x], y)])
    with pytest.raises(NotImplementedError, match="mystery"):
        eval_jaxpr(jaxpr, [], np.zeros(2, f32))
