"""The CPU back end against the NumPy interpreter, on hand-built IR (compiler only, no jaxlite).

Arithmetic, comparisons, conversions, integer ops and movement are compared bit for bit (the
generated code performs the interpreter's operations in the same order; LLVM does not contract
or reassociate them). Transcendental functions call the C library and are compared within a
few ulps; sums are reassociated (several accumulators) and compared with a tolerance.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu

f16, f32, f64 = dtypes.float16, dtypes.float32, dtypes.float64
i8, i32, i64, u8, u32 = dtypes.int8, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint32
BOOL = dtypes.bool_
rng = np.random.RandomState(0)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def A(shape, dtype=f32):
    return ShapedArray(shape, dtype)


def check(closed, args, exact=True, rtol=None, atol=0.0, names=None):
    exe = compile_cpu(closed, check=True)
    got = exe(*args)
    want = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        what = names[k] if names else f"output {k}"
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, w.shape, g.dtype, w.dtype)
        if exact and rtol is None:
            np.testing.assert_array_equal(g, w, err_msg=what)
        else:
            np.testing.assert_allclose(
                g.astype(f64), w.astype(f64), rtol=rtol, atol=atol, equal_nan=True, err_msg=what
            )
    return exe


def special(dtype, n=64, seed=0):
    """n values of dtype: its edge values (signed zeros, infinities, NaN, denormals, integer
    limits) first, then random ones."""
    r = np.random.RandomState(seed)
    if dtype == BOOL:
        return np.resize(np.array([True, False]), n)
    if dtypes.is_float(dtype):
        tiny = np.finfo(dtype).tiny
        edge = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.5,
            -2.5,
            3.75,
            1e-3,
            tiny / 4,
            -tiny / 4,
            tiny,
            np.finfo(dtype).max,
            -np.finfo(dtype).max,
            np.inf,
            -np.inf,
            np.nan,
            100.0,
            -100.0,
            0.9999,
        ]
        vals = np.concatenate([np.array(edge), r.randn(max(0, n - len(edge))) * 4])
    else:
        info = np.iinfo(dtype)
        edge = [0, 1, info.max, info.min, 7, info.max - 1] + (
            [-1, -7, info.min + 1] if info.min else [2, 200]
        )
        vals = np.concatenate(
            [
                np.array(edge, dtype=object),
                r.randint(max(info.min, -1000), min(info.max, 1000), max(0, n - len(edge))),
            ]
        )
    return np.array(list(vals[:n])).astype(dtype) if n else np.zeros(0, dtype)


EXACT_UNARY_FLOAT = [
    P.neg_p,
    P.sign_p,
    P.abs_p,
    P.floor_p,
    P.ceil_p,
    P.is_finite_p,
    P.sqrt_p,
    P.rsqrt_p,
    P.not_p,
    P.copy_p,
]
LIBM_UNARY = [
    P.exp_p,
    P.exp2_p,
    P.log_p,
    P.log1p_p,
    P.expm1_p,
    P.cbrt_p,
    P.sin_p,
    P.cos_p,
    P.tan_p,
    P.asin_p,
    P.acos_p,
    P.atan_p,
    P.sinh_p,
    P.cosh_p,
    P.tanh_p,
    P.asinh_p,
    P.acosh_p,
    P.atanh_p,
    P.logistic_p,
    P.erf_p,
    P.erfc_p,
    P.lgamma_p,
]
TOL = {f32: (4e-6, 1e-6), f64: (1e-13, 1e-15), f16: (2e-3, 1e-4)}


def _unary_program(dtype, prims_, extra=()):
    jb = JaxprBuilder()
    x = jb.arg(A((64,), dtype))
    outs, names = [], []
    for p in prims_:
        if p is P.not_p and dtypes.is_float(dtype):
            continue
        outs.append(jb.op(p, x))
        names.append(p.name)
    for name, p, params in extra:
        outs.append(jb.op(p, x, **params))
        names.append(name)
    return jb.build(outs), names


@pytest.mark.parametrize("dtype", [f32, f64, f16])
def test_exact_float_unary(dtype):
    extra = [
        ("round0", P.round_p, {"rounding_method": 0}),
        ("round1", P.round_p, {"rounding_method": 1}),
        ("pow3", P.integer_pow_p, {"y": 3}),
        ("pow-2", P.integer_pow_p, {"y": -2}),
        ("pow0", P.integer_pow_p, {"y": 0}),
        ("pow7", P.integer_pow_p, {"y": 7}),
    ]
    closed, names = _unary_program(dtype, EXACT_UNARY_FLOAT, extra)
    check(closed, [special(dtype)], names=names)


@pytest.mark.parametrize("dtype", [f32, f64, f16])
def test_libm_unary_within_a_few_ulps(dtype):
    closed, names = _unary_program(dtype, [p for p in LIBM_UNARY if p is not P.lgamma_p])
    x = special(dtype)
    rtol, atol = TOL[dtype]
    check(closed, [x], exact=False, rtol=rtol, atol=atol, names=names)
    # lgamma of a denormal: the C library's 709.78 is right where SciPy (the oracle) says inf.
    closed, names = _unary_program(dtype, [P.lgamma_p])
    check(
        closed,
        [np.where(np.abs(x) < np.finfo(dtype).tiny, 1.0, x).astype(dtype)],
        exact=False,
        rtol=rtol,
        atol=atol,
        names=names,
    )


@pytest.mark.parametrize("dtype", [i8, i32, i64, u8, u32, BOOL])
def test_integer_unary(dtype):
    ps = [P.not_p, P.copy_p] if dtype == BOOL else [P.neg_p, P.sign_p, P.abs_p, P.not_p, P.copy_p]
    extra = (
        [] if dtype == BOOL else [("pow2", P.integer_pow_p, {"y": 2}), ("pow5", P.integer_pow_p, {"y": 5})]
    )
    closed, names = _unary_program(dtype, ps, extra)
    check(closed, [special(dtype)], names=names)


FLOAT_BINARY = [
    P.add_p,
    P.sub_p,
    P.mul_p,
    P.div_p,
    P.rem_p,
    P.max_p,
    P.min_p,
    P.nextafter_p,
    P.eq_p,
    P.ne_p,
    P.lt_p,
    P.le_p,
    P.gt_p,
    P.ge_p,
]
INT_BINARY = [
    P.add_p,
    P.sub_p,
    P.mul_p,
    P.div_p,
    P.rem_p,
    P.max_p,
    P.min_p,
    P.and_p,
    P.or_p,
    P.xor_p,
    P.shift_left_p,
    P.shift_right_logical_p,
    P.shift_right_arithmetic_p,
    P.eq_p,
    P.ne_p,
    P.lt_p,
    P.le_p,
    P.gt_p,
    P.ge_p,
]
BOOL_BINARY = [
    P.and_p,
    P.or_p,
    P.xor_p,
    P.max_p,
    P.min_p,
    P.eq_p,
    P.ne_p,
    P.lt_p,
    P.le_p,
    P.gt_p,
    P.ge_p,
    P.shift_left_p,
    P.shift_right_logical_p,
    P.shift_right_arithmetic_p,
]


def _pairs(dtype):
    v = special(dtype, 24 if dtype != BOOL else 2)
    x, y = np.meshgrid(v, v)  # every edge value against every other
    return x.ravel(), y.ravel()


def _binary_program(dtype, prims_, n):
    jb = JaxprBuilder()
    x, y = jb.arg(A((n,), dtype)), jb.arg(A((n,), dtype))
    outs = [jb.op(p, x, y) for p in prims_]
    return jb.build(outs), [p.name for p in prims_]


@pytest.mark.parametrize("dtype", [f32, f64, f16])
def test_float_binary(dtype):
    x, y = _pairs(dtype)
    closed, names = _binary_program(dtype, FLOAT_BINARY, x.size)
    check(closed, [x, y], names=names)
    closed, names = _binary_program(dtype, [P.pow_p, P.atan2_p], x.size)
    rtol, atol = TOL[dtype]
    check(closed, [x, y], exact=False, rtol=rtol, atol=atol, names=names)


@pytest.mark.parametrize("dtype", [i8, i32, i64, u8, u32, BOOL])
def test_integer_binary(dtype):
    x, y = _pairs(dtype)
    if dtype != BOOL:  # shift counts: small, negative and past the width
        y = np.where(np.arange(y.size) % 3 == 0, (y % 11).astype(dtype), y).astype(dtype)
    closed, names = _binary_program(dtype, BOOL_BINARY if dtype == BOOL else INT_BINARY, x.size)
    check(closed, [x, y], names=names)


def test_scalar_operands_broadcast_and_select_clamp():
    jb = JaxprBuilder()
    x, y, s = jb.arg(A((50,))), jb.arg(A((50,))), jb.arg(A(()))
    which = jb.op(P.gt_p, x, y)
    k = jb.op(P.convert_element_type_p, jb.op(P.floor_p, x), new_dtype=i32, weak_type=False)
    outs = [
        jb.op(P.select_n_p, which, x, y),
        jb.op(P.select_n_p, k, x, y, jb.op(P.mul_p, x, s)),  # int32 selector, clamped as the interpreter
        jb.op(P.select_n_p, jb.op(P.lt_p, s, lit(0.0, f32)), x, y),  # a scalar predicate
        jb.op(P.clamp_p, lit(-1.0, f32), x, s),
        jb.op(P.clamp_p, y, x, jb.op(P.add_p, y, lit(1.0, f32))),
        jb.op(P.mul_p, s, x),
        jb.op(P.add_p, s, lit(3.0, f32)),  # a 0-d result
    ]
    x_, y_ = special(f32, 50), special(f32, 50)[::-1].copy()
    for sv in (0.5, -2.0, np.nan):
        check(jb.build(outs), [x_, y_, np.array(sv, f32)])


CONVERT_DTYPES = [BOOL, i8, i32, i64, u8, u32, f16, f32, f64]


@pytest.mark.parametrize("src", CONVERT_DTYPES)
def test_conversions(src):
    jb = JaxprBuilder()
    x = jb.arg(A((64,), src))
    outs = [jb.op(P.convert_element_type_p, x, new_dtype=d, weak_type=False) for d in CONVERT_DTYPES]
    if src.itemsize in (1, 4, 8):
        same_width = [d for d in CONVERT_DTYPES if d.itemsize == src.itemsize and d != BOOL]
        outs += [jb.op(P.bitcast_convert_type_p, x, new_dtype=d) for d in same_width]
    v = special(src)
    if dtypes.is_float(src):  # values around the integer limits, where saturation starts
        with np.errstate(over="ignore"):
            v[-8:] = np.array([127.5, -128.9, 255.9, 256.0, 2.0**31, -(2.0**31) - 512, 4.3e9, -1.5]).astype(
                src
            )
    check(jb.build(outs), [v])


def test_iota_and_index_arithmetic():
    jb = JaxprBuilder()
    x = jb.arg(A((4, 5)))
    io0 = jb.op(P.iota_p, dtype=i32, shape=(4, 5), dimension=0)
    io1 = jb.op(P.iota_p, dtype=f32, shape=(4, 5), dimension=1)
    b = jb.op(P.iota_p, dtype=BOOL, shape=(4, 5), dimension=1)
    y = jb.op(P.add_p, x, io1)
    onehot = jb.op(P.eq_p, io0, jb.op(P.convert_element_type_p, x, new_dtype=i32, weak_type=False))
    check(jb.build([io0, y, onehot, b]), [(rng.rand(4, 5) * 4).astype(f32)])


# ---- reductions ---------------------------------------------------------------------------------

REDUCE_AXES = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("dtype", [f32, f64, i32, u8, BOOL])
def test_reductions_over_every_axis_set(dtype):
    x = special(dtype, 7 * 5 * 3).reshape(7, 5, 3)
    if dtypes.is_float(dtype):
        x = np.where(np.isfinite(x), x, 1.5).astype(dtype)
        x[3, 2, 1] = np.nan
    jb = JaxprBuilder()
    a = jb.arg(A((7, 5, 3), dtype))
    kinds = {
        f32: [P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p],
        f64: [P.reduce_sum_p, P.reduce_max_p, P.reduce_min_p],
        i32: [
            P.reduce_sum_p,
            P.reduce_prod_p,
            P.reduce_max_p,
            P.reduce_min_p,
            P.reduce_and_p,
            P.reduce_or_p,
            P.reduce_xor_p,
        ],
        u8: [P.reduce_sum_p, P.reduce_max_p, P.reduce_min_p, P.reduce_and_p, P.reduce_or_p],
        BOOL: [
            P.reduce_sum_p,
            P.reduce_prod_p,
            P.reduce_max_p,
            P.reduce_min_p,
            P.reduce_and_p,
            P.reduce_or_p,
            P.reduce_xor_p,
        ],
    }[dtype]
    outs = [jb.op(p, a, axes=axes) for p in kinds for axes in REDUCE_AXES]
    names = [f"{p.name}{axes}" for p in kinds for axes in REDUCE_AXES]
    check(
        jb.build(outs),
        [x],
        exact=not dtypes.is_float(dtype),
        rtol=1e-5 if dtypes.is_float(dtype) else None,
        atol=1e-4 if dtypes.is_float(dtype) else 0.0,
        names=names,
    )  # sums are reassociated


@pytest.mark.parametrize("dtype", [f32, i32, u8, BOOL])
def test_argmax_argmin_first_index_and_first_nan(dtype):
    x = (rng.randint(0, 3, (6, 5, 4)) if dtype != BOOL else rng.rand(6, 5, 4) > 0.5).astype(dtype)
    if dtype == f32:
        x[1, 2, :] = np.nan
        x[2, :, 1] = np.nan
        x[0, 0, 0] = -np.inf
    jb = JaxprBuilder()
    a = jb.arg(A(x.shape, dtype))
    outs = [
        jb.op(p, a, axes=(ax,), index_dtype=d)
        for p in (P.argmax_p, P.argmin_p)
        for ax in range(3)
        for d in (i32, np.dtype(np.int64))
    ]
    check(jb.build(outs), [x])


def test_empty_arrays_and_empty_reductions():
    jb = JaxprBuilder()
    x = jb.arg(A((0, 3)))
    e = jb.op(P.exp_p, x)
    outs = [
        e,
        jb.op(P.reduce_sum_p, e, axes=(0,)),
        jb.op(P.reduce_max_p, x, axes=(0,)),
        jb.op(P.reduce_min_p, x, axes=(0, 1)),
        jb.op(P.reduce_sum_p, x, axes=(1,)),
        jb.op(P.transpose_p, e, permutation=(1, 0)),
    ]
    check(jb.build(outs), [np.zeros((0, 3), f32)])


def test_chain_into_row_and_column_reductions():
    jb = JaxprBuilder()
    x, y = jb.arg(A((33, 17))), jb.arg(A((33, 17)))
    z = jb.op(P.tanh_p, jb.op(P.add_p, jb.op(P.mul_p, x, y), lit(0.25, f32)))
    outs = [jb.op(P.reduce_sum_p, z, axes=(1,)), jb.op(P.reduce_max_p, z, axes=(0,)), z]
    check(
        jb.build(outs), [rng.randn(33, 17).astype(f32), rng.randn(33, 17).astype(f32)], rtol=1e-5, atol=1e-6
    )


# ---- movement inside kernels ------------------------------------------------------------------------


def test_movement_fused_into_kernels():
    jb = JaxprBuilder()
    x, r = jb.arg(A((4, 6))), jb.arg(A((6,)))
    t = jb.op(P.transpose_p, jb.op(P.sin_p, x), permutation=(1, 0))  # (6, 4)
    b = jb.op(P.broadcast_in_dim_p, r, shape=(6, 4), broadcast_dimensions=(0,))
    s = jb.op(P.add_p, t, b)
    split = jb.op(P.reshape_p, s, new_sizes=(2, 3, 4), dimensions=None)
    rev = jb.op(P.rev_p, split, dimensions=(0, 2))
    sl = jb.op(P.slice_p, rev, start_indices=(0, 1, 0), limit_indices=(2, 3, 4), strides=(1, 1, 2))
    sq = jb.op(
        P.expand_dims_p,
        jb.op(
            P.squeeze_p,
            jb.op(P.slice_p, sl, start_indices=(1, 0, 0), limit_indices=(2, 2, 2), strides=None),
            dimensions=(0,),
        ),
        dimensions=(2,),
    )
    merged = jb.op(P.reshape_p, jb.op(P.cos_p, x), new_sizes=(24,), dimensions=None)
    bcast_col = jb.op(P.broadcast_in_dim_p, jb.op(P.exp_p, r), shape=(4, 6), broadcast_dimensions=(1,))
    outs = [sl, sq, merged, jb.op(P.mul_p, x, bcast_col)]
    check(jb.build(outs), [rng.randn(4, 6).astype(f32), rng.randn(6).astype(f32)], rtol=1e-6)


def test_size_one_axes_and_scalars():
    jb = JaxprBuilder()
    x, s = jb.arg(A((1, 5, 1))), jb.arg(A(()))
    y = jb.op(P.mul_p, jb.op(P.reshape_p, x, new_sizes=(5,), dimensions=None), s)
    b = jb.op(P.broadcast_in_dim_p, x, shape=(3, 5, 2), broadcast_dimensions=(0, 1, 2))
    check(
        jb.build([y, b, jb.op(P.exp_p, s)]), [rng.randn(1, 5, 1).astype(f32), np.array(2.0, f32)], rtol=1e-6
    )


# ---- gemm ---------------------------------------------------------------------------------------

GEMM_CASES = [
    ((4, 5), (5, 3), (((1,), (0,)), ((), ()))),
    ((5, 4), (5, 3), (((0,), (0,)), ((), ()))),
    ((4, 5), (3, 5), (((1,), (1,)), ((), ()))),
    ((5, 4), (3, 5), (((0,), (1,)), ((), ()))),
    ((3, 4, 5), (3, 5, 2), (((2,), (1,)), ((0,), (0,)))),
    ((4, 3, 5), (5, 2, 3), (((2,), (0,)), ((1,), (2,)))),
    ((2, 3, 4, 5), (4, 5, 6), (((2, 3), (0, 1)), ((), ()))),
    ((5,), (5,), (((0,), (0,)), ((), ()))),
    ((3, 5), (5,), (((1,), (0,)), ((), ()))),
    ((3,), (4,), (((), ()), ((), ()))),
    ((0, 5), (5, 3), (((1,), (0,)), ((), ()))),
    ((4, 0), (0, 3), (((1,), (0,)), ((), ()))),  # k == 0: zeros
    ((2, 0, 5), (2, 5, 3), (((2,), (1,)), ((0,), (0,)))),
]


@pytest.mark.parametrize("dtype", [f32, f64, f16, i32, i8, BOOL])
def test_dots(dtype):
    jb = JaxprBuilder()
    outs = []
    args = []
    for ls, rs, dims in GEMM_CASES:
        x, y = jb.arg(A(ls, dtype)), jb.arg(A(rs, dtype))
        outs.append(
            jb.op(P.dot_general_p, x, y, dimension_numbers=dims, precision=None, preferred_element_type=None)
        )
        args += [(rng.randn(*ls) * 3).astype(dtype), (rng.randn(*rs) * 3).astype(dtype)]
    exact = dtype in (i32, i8, BOOL)
    check(
        jb.build(outs), args, exact=exact, rtol=None if exact else (1e-2 if dtype == f16 else 1e-5), atol=1e-5
    )


def test_dot_preferred_element_type_and_epilogue():
    jb = JaxprBuilder()
    x, w, b = jb.arg(A((8, 5), i8)), jb.arg(A((5, 3), i8)), jb.arg(A((3,)))
    h = jb.op(
        P.dot_general_p,
        x,
        w,
        dimension_numbers=(((1,), (0,)), ((), ())),
        precision=None,
        preferred_element_type=f32,
    )
    h = jb.op(
        P.tanh_p, jb.op(P.add_p, h, jb.op(P.broadcast_in_dim_p, b, shape=(8, 3), broadcast_dimensions=(1,)))
    )
    check(
        jb.build([h]),
        [
            rng.randint(-9, 9, (8, 5)).astype(i8),
            rng.randint(-9, 9, (5, 3)).astype(i8),
            rng.randn(3).astype(f32),
        ],
        rtol=1e-5,
    )


# ---- interpreter callbacks ----------------------------------------------------------------------


def test_interpreter_steps_between_native_steps():
    jb = JaxprBuilder()
    x, t = jb.arg(A((5, 4))), jb.arg(A((4, 4)))
    # a complex triangular solve is not lowered: it runs in the interpreter between native kernels
    z, tri = jb.op(P.complex_p, jb.op(P.mul_p, x, lit(-0.5, f32)), x), jb.op(P.complex_p, t, t)
    s = jb.op(P.real_p, jb.op(P.triangular_solve_p, tri, z, left_side=False, lower=True, transpose_a=False))
    c = jb.op(P.cumsum_p, jb.op(P.exp_p, s), axis=1, reverse=True)
    cat = jb.op(P.concatenate_p, c, x, dimension=0)
    exe = check(
        jb.build([jb.op(P.reduce_sum_p, cat, axes=(0,)), s]),
        [rng.randn(5, 4).astype(f32), np.tril(rng.rand(4, 4)).astype(f32) + 2 * np.eye(4, dtype=f32)],
        rtol=1e-5,
    )
    assert exe.program.count("interpret") == 1  # the solve; complex, real, cumsum, concatenate: native


def test_errors_in_callbacks_propagate_and_the_program_stays_usable():
    jb = JaxprBuilder()
    x = jb.arg(A((3,)))
    bad = jb.op(P.psum_p, jb.op(P.exp_p, x), axes=("i",))  # no such axis outside vmap/pmap
    exe = compile_cpu(jb.build([bad]))
    with pytest.raises(Exception):
        exe(np.ones(3, f32))
    with pytest.raises(Exception):
        exe(np.ones(3, f32))


# ---- the compiled module ------------------------------------------------------------------------


def test_one_module_one_entry_and_vectorised_inner_loops():
    jb = JaxprBuilder()
    x, y = jb.arg(A((4000,))), jb.arg(A((4000,)))  # above codegen.LIGHT_KERNEL_WORK
    z = jb.op(P.sub_p, jb.op(P.mul_p, jb.op(P.add_p, x, y), x), lit(3.0, f32))
    s = jb.op(P.reduce_sum_p, jb.op(P.mul_p, x, y), axes=(0,))
    exe = compile_cpu(jb.build([z, s]))
    ir_text = exe.llvm_ir()
    defines = [ln for ln in ir_text.splitlines() if ln.startswith("define")]
    public = [d for d in defines if " internal " not in d]
    assert all(exe.native.entry_name in d for d in public)  # the entry (and its direct variant)
    assert "<16 x float>" in ir_text or "<8 x float>" in ir_text
    assert "fadd reassoc <" in ir_text  # the sum is vectorised too
    assert "kernel/fusion report" in exe.as_text()


def test_tiny_kernels_are_compiled_light_and_stay_correct():
    from ir_text import function_attributes

    from compiler.cpu import codegen

    n = codegen.LIGHT_KERNEL_WORK // 2  # a tiny kernel: optnone, no IR passes
    jb = JaxprBuilder()
    x = jb.arg(A((n,)))
    y = jb.op(P.add_p, jb.op(P.tanh_p, x), jb.op(P.exp_p, jb.op(P.neg_p, jb.op(P.mul_p, x, x))))
    s = jb.op(P.reduce_sum_p, y, axes=(0,))
    exe = compile_cpu(jb.build([y, s]))
    assert "optnone" in function_attributes(exe.llvm_ir(), "k0")  # the kernel, not just the entry
    xs = rng.randn(n).astype(f32)
    got_y, got_s = exe(xs)
    want = np.tanh(xs.astype(np.float64)) + np.exp(-(xs.astype(np.float64) ** 2))
    np.testing.assert_allclose(got_y, want, rtol=4e-6, atol=1e-6)
    np.testing.assert_allclose(got_s, want.sum(), rtol=1e-5)


def test_transcendental_loops_call_vector_math():
    from compiler.cpu import vecmath

    if not vecmath.host_isas():
        pytest.skip("no libmvec or no AVX2 on this host: transcendental loops stay scalar")
    jb = JaxprBuilder()
    x = jb.arg(A((4096,)))
    y = jb.op(P.add_p, jb.op(P.tanh_p, x), jb.op(P.exp_p, jb.op(P.neg_p, jb.op(P.mul_p, x, x))))
    exe = compile_cpu(jb.build([y]))
    ir_text = exe.llvm_ir()
    assert "call <16 x float> @_ZGVeN16v_tanhf" in ir_text or "call <8 x float> @_ZGVdN8v_tanhf" in ir_text
    xs = rng.randn(4096).astype(f32)
    np.testing.assert_allclose(exe(xs)[0], np.tanh(xs) + np.exp(-xs * xs), rtol=4e-6, atol=1e-6)


# ---- random programs ------------------------------------------------------------------------------

FLOAT_OPS = {
    1: [P.neg_p, P.abs_p, P.sqrt_p, P.floor_p, P.sign_p],
    2: [P.add_p, P.sub_p, P.mul_p, P.div_p, P.max_p, P.min_p],
}
INT_OPS = {
    1: [P.neg_p, P.abs_p, P.not_p, P.sign_p],
    2: [P.add_p, P.sub_p, P.mul_p, P.div_p, P.rem_p, P.max_p, P.min_p, P.and_p, P.xor_p, P.shift_left_p],
}


@st.composite
def programs(draw):
    dtype = draw(st.sampled_from([f32, f64, i32, u8]))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    ops = FLOAT_OPS if dtypes.is_float(dtype) else INT_OPS
    jb = JaxprBuilder()
    n_in = draw(st.integers(1, 3))
    vals = [jb.arg(A(shape if draw(st.booleans()) or i == 0 else (), dtype)) for i in range(n_in)]
    for _ in range(draw(st.integers(1, 8))):
        choice = draw(st.integers(0, 9))
        if choice < 4:
            vals.append(jb.op(draw(st.sampled_from(ops[1])), draw(st.sampled_from(vals))))
        elif choice < 8:
            a, b = draw(st.sampled_from(vals)), draw(st.sampled_from(vals))
            if a.aval.shape != b.aval.shape and a.aval.ndim and b.aval.ndim:
                continue
            vals.append(jb.op(draw(st.sampled_from(ops[2])), a, b))
        elif choice == 8:
            a, b = draw(st.sampled_from(vals)), draw(st.sampled_from(vals))
            if a.aval.shape != b.aval.shape:
                continue
            vals.append(jb.op(P.select_n_p, jb.op(P.lt_p, a, b), a, b))
        else:
            a = draw(st.sampled_from(vals))
            if a.aval.ndim:
                vals.append(jb.op(P.rev_p, a, dimensions=(0,)))
    outs = draw(st.lists(st.sampled_from(vals), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2**31 - 1))
    big = [v for v in vals if v.aval.ndim]
    if big and draw(st.booleans()):
        v = draw(st.sampled_from(big))
        outs.append(jb.op(P.reduce_max_p, v, axes=tuple(range(v.aval.ndim))))
    args = [
        special(dtype, v.aval.size, seed + k)[:: -1 if k % 2 else 1].reshape(v.aval.shape)
        for k, v in enumerate(jb.invars)
    ]
    return jb.build(outs), args


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_elementwise_programs(case):
    closed, args = case
    check(closed, [np.asarray(a, order="C") for a in args])
