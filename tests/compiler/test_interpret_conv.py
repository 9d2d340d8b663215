"""conv_general_dilated and reduce_window_*: the NumPy meaning against definition-by-loops
references, the shape rules' errors, and the jit rewrite (compiler only, no jaxlite)."""

from __future__ import annotations

import numpy as np
import pytest
from conv_reference import conv_reference, reduce_window_reference

from compiler import primitives as P
from compiler.interpret import eval_jaxpr, impl_rules
from compiler.ir import ShapedArray
from compiler.passes.conv import lower_windowed
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu, optimize
from compiler.primitives import ConvDimensionNumbers as DN
from compiler.typecheck import check_jaxpr

rng = np.random.RandomState(0)

NCHW = DN((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3))
NHWC = DN((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))  # ('NHWC', 'HWIO', 'NHWC')

# (lhs shape, rhs shape, dimension numbers, strides, padding, lhs_dilation, rhs_dilation, G, B)
CONV_CASES = [
    ((2, 3, 7), (4, 3, 3), DN((0, 1, 2), (0, 1, 2), (0, 1, 2)), (1,), ((0, 0),), (1,), (1,), 1, 1),
    ((2, 7, 3), (3, 3, 4), DN((0, 2, 1), (2, 1, 0), (0, 2, 1)), (2,), ((1, 2),), (1,), (2,), 1, 1),
    ((2, 4, 5, 6), (6, 4, 3, 2), NCHW, (1, 1), ((1, 1), (0, 1)), (1, 1), (1, 1), 1, 1),
    ((2, 5, 6, 3), (3, 2, 3, 4), NHWC, (1, 2), ((1, 0), (2, 1)), (1, 1), (2, 1), 1, 1),
    ((2, 6, 5, 7), (4, 3, 3, 2), NCHW, (2, 1), ((1, -1), (2, 1)), (2, 1), (1, 2), 2, 1),
    ((1, 6, 5, 4), (6, 1, 2, 2), NCHW, (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 6, 1),
    ((4, 3, 5, 4), (4, 3, 3, 2), NCHW, (2, 1), ((1, 1), (2, 1)), (1, 2), (1, 1), 1, 2),
    ((4, 5, 4, 3), (3, 4, 3, 2), DN((0, 3, 1, 2), (1, 0, 2, 3), (3, 0, 1, 2)), (1, 1), ((0, 0),) * 2,
     (1, 1), (1, 1), 1, 4),
    ((2, 8, 8, 3), (6, 6, 3, 4), NHWC, (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1, 1),  # big window
    ((2, 6, 7, 8), (4, 3, 5, 6), NCHW, (1, 1), ((0, 0), (1, 0)), (1, 1), (1, 1), 2, 1),
    ((4, 6, 7, 8), (4, 6, 5, 6), NCHW, (2, 1), ((1, 0), (0, 0)), (1, 1), (1, 1), 1, 2),
    ((1, 2, 4, 3, 5), (3, 2, 2, 2, 3), DN(*[tuple(range(5))] * 3), (1, 2, 1), ((1, 0), (0, 1), (1, 1)),
     (1, 1, 2), (1, 1, 1), 1, 1),
    ((2, 3, 2, 2), (4, 3, 3, 3), NCHW, (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1, 1),  # empty out
]


def _conv_params(dn, strides, padding, ld, rd, G, B, pet=None):
    return dict(window_strides=strides, padding=padding, lhs_dilation=ld, rhs_dilation=rd,
                dimension_numbers=dn, feature_group_count=G, batch_group_count=B, precision=None,
                preferred_element_type=pet)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_reference(case):
    ls, rs, dn, strides, padding, ld, rd, G, B = case
    x, w = rng.randn(*ls).astype(np.float32), rng.randn(*rs).astype(np.float32)
    params = _conv_params(dn, strides, padding, ld, rd, G, B)
    got = impl_rules[P.conv_general_dilated_p](x, w, **params)
    aval = P.shape_rules[P.conv_general_dilated_p](ShapedArray(ls, np.float32),
                                                   ShapedArray(rs, np.float32), **params)
    assert got.shape == aval.shape and got.dtype == np.float32
    want = conv_reference(x, w, strides, padding, ld, rd, dn, G, B)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv_integer_and_preferred_element_type():
    x = rng.randint(-100, 100, (2, 3, 5)).astype(np.int8)
    w = rng.randint(-100, 100, (2, 3, 2)).astype(np.int8)
    dn = DN((0, 1, 2), (0, 1, 2), (0, 1, 2))
    params = _conv_params(dn, (1,), ((0, 0),), (1,), (1,), 1, 1, pet=np.dtype(np.int32))
    got = impl_rules[P.conv_general_dilated_p](x, w, **params)
    assert got.dtype == np.int32
    want = conv_reference(x.astype(np.int64), w.astype(np.int64), (1,), ((0, 0),), (1,), (1,), dn)
    np.testing.assert_array_equal(got, want.astype(np.int32))


RW_CASES = [
    ((7,), (3,), (1,), ((0, 0),), (1,), (1,)),
    ((7,), (3,), (2,), ((1, 2),), (1,), (2,)),
    ((3, 7, 6), (1, 3, 2), (1, 2, 1), ((0, 1), (1, 2), (0, 0)), (1, 2, 1), (1, 1, 2)),
    ((2, 6, 6, 3), (1, 2, 2, 1), (1, 2, 2, 1), ((0, 0), (0, 1), (0, 1), (0, 0)), (1,) * 4, (1,) * 4),
    ((5, 4), (2, 2), (1, 1), ((-1, 0), (0, -1)), (1, 1), (1, 1)),
    ((4, 4), (5, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1)),  # empty output
]
REDUCERS = [(P.reduce_window_sum_p, np.add, 0.0), (P.reduce_window_max_p, np.maximum, -np.inf),
            (P.reduce_window_min_p, np.minimum, np.inf)]


def _rw_params(window, strides, padding, bd, wd):
    return dict(window_dimensions=window, window_strides=strides, padding=padding, base_dilation=bd,
                window_dilation=wd)


@pytest.mark.parametrize("case", RW_CASES)
@pytest.mark.parametrize("prim, op, init", REDUCERS, ids=lambda v: getattr(v, "name", ""))
def test_reduce_window_matches_reference(prim, op, init, case):
    shape, window, strides, padding, bd, wd = case
    x = rng.randn(*shape).astype(np.float32)
    got = impl_rules[prim](x, **_rw_params(window, strides, padding, bd, wd))
    want = reduce_window_reference(x, op, np.float32(init), window, strides, padding, bd, wd)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_reduce_window_integer_identity():
    x = rng.randint(-50, 50, (6,)).astype(np.int32)
    params = _rw_params((3,), (1,), ((2, 2),), (1,), (1,))
    got = impl_rules[P.reduce_window_max_p](x, **params)
    info = np.iinfo(np.int32)
    want = reduce_window_reference(x, np.maximum, np.int32(info.min), (3,), (1,), ((2, 2),), (1,), (1,))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("params, match", [
    (dict(feature_group_count=2), "feature_group_count"),
    (dict(window_strides=(1,)), "window_strides"),
    (dict(window_strides=(0, 1)), "positive"),
    (dict(padding=((0, 0), (-9, 0))), "crops"),
    (dict(dimension_numbers=DN((0, 1, 2, 2), (0, 1, 2, 3), (0, 1, 2, 3))), "permutation"),
])
def test_conv_shape_rule_errors(params, match):
    base = _conv_params(NCHW, (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1, 1)
    base.update(params)
    with pytest.raises(TypeError, match=f"conv_general_dilated: .*{match}"):
        P.shape_rules[P.conv_general_dilated_p](ShapedArray((2, 3, 5, 5), np.float32),
                                                ShapedArray((4, 3, 2, 2), np.float32), **base)


def test_conv_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="share one dtype"):
        P.shape_rules[P.conv_general_dilated_p](
            ShapedArray((2, 3, 5, 5), np.float32), ShapedArray((4, 3, 2, 2), np.float64),
            **_conv_params(NCHW, (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1, 1))


def test_reduce_window_shape_rule_errors():
    with pytest.raises(TypeError, match="reduce_window_max: .*window_dimensions"):
        P.shape_rules[P.reduce_window_max_p](ShapedArray((4, 4), np.float32),
                                             **_rw_params((2,), (1, 1), ((0, 0),) * 2, (1, 1), (1, 1)))


# ---- the jit rewrite ------------------------------------------------------------------------------


def _conv_program(case):
    ls, rs, dn, strides, padding, ld, rd, G, B = case
    jb = JaxprBuilder()
    x, w = jb.arg(ShapedArray(ls, np.float32)), jb.arg(ShapedArray(rs, np.float32))
    y = jb.op(P.conv_general_dilated_p, x, w, **_conv_params(dn, strides, padding, ld, rd, G, B))
    return jb.build([y]), [rng.randn(*ls).astype(np.float32), rng.randn(*rs).astype(np.float32)]


def _assert_lowered_equal(closed, args, rtol=2e-5):
    lowered = lower_windowed(closed)
    check_jaxpr(lowered)
    names = {e.prim.name for e in lowered.jaxpr.eqns}
    assert not names & {"conv_general_dilated", "reduce_window_sum", "reduce_window_max",
                        "reduce_window_min"}
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    for got in (eval_jaxpr(lowered.jaxpr, lowered.consts, *args), compile_cpu(closed, check=True)(*args)):
        for g, v in zip(got, want):
            assert g.shape == v.shape and g.dtype == v.dtype
            np.testing.assert_allclose(g, v, rtol=rtol, atol=rtol)
    return lowered


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_rewrite_matches_interpreter(case, tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    closed, args = _conv_program(case)
    lowered = _assert_lowered_equal(closed, args)
    names = [e.prim.name for e in lowered.jaxpr.eqns]
    dn, out_shape = case[2], closed.jaxpr.outvars[0].aval.shape
    out_positions = int(np.prod([out_shape[a] for a in dn.out_spec[2:]]))
    if out_positions:  # one gemm per tap, or per output position when that is fewer
        taps = int(np.prod([case[1][a] for a in dn.rhs_spec[2:]]))
        assert names.count("dot_general") == min(taps, out_positions)


@pytest.mark.parametrize("case", RW_CASES)
@pytest.mark.parametrize("prim", [r[0] for r in REDUCERS], ids=lambda p: p.name)
def test_reduce_window_rewrite_matches_interpreter(prim, case, tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    shape, window, strides, padding, bd, wd = case
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray(shape, np.float32))
    closed = jb.build([jb.op(prim, x, **_rw_params(window, strides, padding, bd, wd))])
    _assert_lowered_equal(closed, [rng.randn(*shape).astype(np.float32)], rtol=1e-6)


def test_pooling_becomes_one_fused_kernel():
    # A 2x2 stride-2 max pool of an unpadded NHWC image: four strided views combined by max in
    # one loop kernel; no gemm, no interpreter callback.
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((8, 6, 6, 4), np.float32))
    y = jb.op(P.reduce_window_max_p, x, **_rw_params((1, 2, 2, 1), (1, 2, 2, 1), ((0, 0),) * 4,
                                                       (1,) * 4, (1,) * 4))
    closed = optimize(jb.build([y]))
    assert [e.prim.name for e in closed.jaxpr.eqns].count("max") == 3
    exe = compile_cpu(jb.build([y]))
    assert exe.program.count("interpret") == 0 and exe.program.count("gemm") == 0
    assert exe.program.count("kernel") == 1


@pytest.mark.parametrize("strategy", ["tap", "position", "im2col"])
@pytest.mark.parametrize("case", CONV_CASES)
def test_every_conv_strategy_matches_interpreter(case, strategy, monkeypatch):
    from compiler.passes import conv as conv_pass

    monkeypatch.setattr(conv_pass, "STRATEGY", strategy)
    closed, args = _conv_program(case)
    lowered = lower_windowed(closed)
    check_jaxpr(lowered)
    assert "conv_general_dilated" not in {e.prim.name for e in lowered.jaxpr.eqns}
    (want,), (got,) = eval_jaxpr(closed.jaxpr, closed.consts, *args), eval_jaxpr(lowered.jaxpr, lowered.consts, *args)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)
