"""Every primitive under vmap equals a Python loop over slices, stacked (single and nested vmap).

Each case is a per-example function written on jaxlite.lax and a generator of one example's
operands. Hypothesis draws the shapes, the batch sizes, which operands are batched and along
which axis (negative axes included), and the output axis.
"""

from __future__ import annotations

import numpy as np
import pytest
from _vmap_harness import (
    Case,
    check_every_axis,
    check_nested,
    check_single,
    concat_gens,
    f32,
    i32,
    ints,
    normal,
    uniform,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import primitives as P
from jaxlite import lax
from jaxlite.batching import batch_rules, vmap
from jaxlite.core import bind
from jaxlite.lax import linalg as L
from jaxlite.partial_eval import make_jaxpr

CASES: list[Case] = []


def case(name, prims, fn, gen):
    prims = prims if isinstance(prims, tuple) else (prims,)
    CASES.append(Case(name, prims, fn, gen))


M = lambda d: (d[0], d[1])  # noqa: E731
V = lambda d: (d[0],)  # noqa: E731

# ---- Elementwise ----------------------------------------------------------------------------------

DOMAINS = {
    "log": (0.1, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "log1p": (-0.5, 3), "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9), "acosh": (1.1, 3), "erf_inv": (-0.9, 0.9),
    "lgamma": (0.1, 4), "digamma": (0.1, 4), "tan": (-1.2, 1.2),
}
for p in [P.neg_p, P.sign_p, P.abs_p, P.floor_p, P.ceil_p, P.is_finite_p, P.exp_p, P.exp2_p,
          P.log_p, P.log1p_p, P.expm1_p, P.sqrt_p, P.rsqrt_p, P.cbrt_p, P.sin_p, P.cos_p, P.tan_p,
          P.asin_p, P.acos_p, P.atan_p, P.sinh_p, P.cosh_p, P.tanh_p, P.asinh_p, P.acosh_p,
          P.atanh_p, P.logistic_p, P.erf_p, P.erfc_p, P.erf_inv_p, P.lgamma_p, P.digamma_p,
          P.copy_p]:
    lo, hi = DOMAINS.get(p.name, (-2, 2))
    case(p.name, p, (lambda p: lambda x: bind(p, x))(p), uniform(lo, hi))

case("round", P.round_p, lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), uniform(-3, 3))
case("integer_pow", P.integer_pow_p, lambda x: lax.integer_pow(x, 3), uniform(-2, 2))
case("not", P.not_p, lax.bitwise_not, ints(-5, 5))
case("complex_parts", (P.complex_p, P.real_p, P.imag_p, P.conj_p),
     lambda x, y: lax.real(lax.conj(lax.complex(x, y))) * lax.imag(lax.complex(x, y)),
     concat_gens(normal(M), normal(M)))
case("complex_scalar", P.complex_p, lambda x, y: lax.imag(lax.complex(x, y)),
     concat_gens(normal(M), normal(())))

for p in [P.add_p, P.sub_p, P.mul_p, P.max_p, P.min_p, P.atan2_p, P.nextafter_p, P.eq_p, P.ne_p,
          P.lt_p, P.le_p, P.gt_p, P.ge_p]:
    fn = (lambda p: lambda x, y: bind(p, x, y))(p)
    case(p.name, p, fn, concat_gens(normal(M), normal(M)))
    case(p.name + "_scalar", p, fn, concat_gens(normal(M), normal(())))
    case(p.name + "_scalar_first", p, fn, concat_gens(normal(()), normal(M)))
case("div", P.div_p, lax.div, concat_gens(normal(M), uniform(0.5, 2)))
case("rem", P.rem_p, lax.rem, concat_gens(normal(M), uniform(0.5, 2)))
case("pow", P.pow_p, lax.pow, concat_gens(uniform(0.5, 2), normal(M)))
case("int_div", P.div_p, lax.div, concat_gens(ints(-20, 20), ints(1, 5)))
for p in [P.and_p, P.or_p, P.xor_p]:
    case(p.name, p, (lambda p: lambda x, y: bind(p, x, y))(p),
         concat_gens(ints(-9, 9), ints(-9, 9, lambda d: ())))
for p in [P.shift_left_p, P.shift_right_logical_p, P.shift_right_arithmetic_p]:
    case(p.name, p, (lambda p: lambda x, y: bind(p, x, y))(p),
         concat_gens(ints(-99, 99), ints(0, 5)))
case("select_n", P.select_n_p, lambda c, x, y: lax.select_n(c, x, y),
     concat_gens(lambda rng, d: [rng.random(M(d)) > 0.5], normal(M), normal(M)))
case("select_n_scalar_pred", P.select_n_p, lambda c, x, y: lax.select_n(c, x, y),
     concat_gens(lambda rng, d: [np.asarray(rng.random() > 0.5)], normal(M), normal(M)))
case("select_n_int_pred", P.select_n_p, lambda c, x, y, z: lax.select_n(c, x, y, z),
     concat_gens(ints(0, 3), normal(M), normal(M), normal(M)))
case("clamp", P.clamp_p, lax.clamp, concat_gens(normal(()), normal(M), uniform(0.5, 1, lambda d: ())))
case("clamp_full", P.clamp_p, lax.clamp, concat_gens(normal(M), normal(M), normal(M)))
case("convert_element_type", P.convert_element_type_p,
     lambda x: lax.convert_element_type(x * 5, np.int32), normal(M))
case("bitcast_convert_type", P.bitcast_convert_type_p,
     lambda x: lax.bitcast_convert_type(x, np.int32), normal(M))
case("stop_gradient", P.stop_gradient_p, lambda x: bind(P.stop_gradient_p, x) * 2, normal(M))
case("iota", P.iota_p, lambda x: x + lax.broadcasted_iota(f32, x.shape, 1), normal(M))
case("xla_math_pow", P.xla_math_p, lambda x, y: bind(P.xla_math_p, x, y, fn="pow"),
     concat_gens(uniform(0.5, 2), normal(M)))
case("xla_math_fma_scalar", P.xla_math_p, lambda x, y, z: bind(P.xla_math_p, x, y, z, fn="fma"),
     concat_gens(normal(M), normal(()), normal(M)))

# ---- Reductions ---------------------------------------------------------------------------------

T3 = lambda d: (d[0], d[1], d[2])  # noqa: E731
for p, fn in [(P.reduce_sum_p, lax.reduce_sum), (P.reduce_prod_p, lax.reduce_prod),
              (P.reduce_max_p, lax.reduce_max), (P.reduce_min_p, lax.reduce_min)]:
    for axes in [(0,), (1,), (0, 2), (0, 1, 2)]:
        case(f"{p.name}{axes}", p, (lambda fn, axes: lambda x: fn(x, axes))(fn, axes), uniform(0.5, 1.5, T3))
for p, fn in [(P.reduce_and_p, lax.reduce_and), (P.reduce_or_p, lax.reduce_or),
              (P.reduce_xor_p, lax.reduce_xor)]:
    case(p.name, p, (lambda fn: lambda x: fn(x, (1,)))(fn), ints(-9, 9, T3))
    case(p.name + "_bool", p, (lambda fn: lambda x: fn(x > 0, (0, 2)))(fn), ints(-9, 9, T3))
for p, fn in [(P.argmax_p, lax.argmax), (P.argmin_p, lax.argmin)]:
    for ax in (0, 2):
        case(f"{p.name}{ax}", p, (lambda fn, ax: lambda x: fn(x, ax, np.int32))(fn, ax), normal(T3))
for p, fn in [(P.cumsum_p, lax.cumsum), (P.cumprod_p, lax.cumprod), (P.cummax_p, lax.cummax),
              (P.cummin_p, lax.cummin), (P.cumlogsumexp_p, lax.cumlogsumexp)]:
    case(p.name, p, (lambda fn: lambda x: fn(x, 1))(fn), uniform(0.5, 1.5, T3))
    case(p.name + "_rev", p, (lambda fn: lambda x: fn(x, 0, reverse=True))(fn), uniform(0.5, 1.5, T3))

# ---- Shape operations ---------------------------------------------------------------------------

case("broadcast_in_dim", P.broadcast_in_dim_p,
     lambda x: lax.broadcast_in_dim(x, (3, x.shape[0], 2, x.shape[1]), (1, 3)), normal(M))
case("broadcast_in_dim_ones", P.broadcast_in_dim_p,
     lambda x: lax.broadcast_in_dim(x, (x.shape[0], 4), (0, 1)), normal(lambda d: (d[0], 1)))
case("broadcast_scalar", P.broadcast_in_dim_p, lambda x: lax.broadcast_in_dim(x, (2, 3), ()), normal(()))
case("reshape", P.reshape_p, lambda x: lax.reshape(x, (x.shape[1] * x.shape[0],)), normal(M))
case("reshape_dims", P.reshape_p, lambda x: lax.reshape(x, (x.size,), (1, 0, 2)), normal(T3))
case("transpose", P.transpose_p, lambda x: lax.transpose(x, (2, 0, 1)), normal(T3))
case("squeeze", P.squeeze_p, lambda x: lax.squeeze(x, (0, 2)), normal(lambda d: (1, d[0], 1)))
case("expand_dims", P.expand_dims_p, lambda x: lax.expand_dims(x, (0, 2)), normal(M))
case("rev", P.rev_p, lambda x: lax.rev(x, (0, 2)), normal(T3))
case("concatenate", P.concatenate_p, lambda x, y, z: lax.concatenate([x, y, z], 1),
     concat_gens(normal(M), normal(lambda d: (d[0], 2)), normal(M)))
case("pad", P.pad_p, lambda x, v: lax.pad(x, v, ((1, 2, 0), (-1, 1, 1))),
     concat_gens(normal(lambda d: (d[0], d[1] + 1)), normal(())))
case("slice", P.slice_p, lambda x: lax.slice(x, (0, 1, 0), x.shape, (2, 1, 2)),
     normal(lambda d: (d[0], d[1] + 1, d[2])))
case("dynamic_slice", P.dynamic_slice_p, lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 2)),
     concat_gens(normal(lambda d: (d[0] + 2, d[1] + 1)), ints(-1, 5, lambda d: ()), ints(0, 4, lambda d: ())))
case("dynamic_update_slice", P.dynamic_update_slice_p,
     lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
     concat_gens(normal(lambda d: (d[0] + 2, d[1] + 1)), normal((2, 2)), ints(-1, 5, lambda d: ()),
                 ints(0, 4, lambda d: ())))

# ---- Gather and scatter -------------------------------------------------------------------------

ROWS = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
POINTS = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0, 1), start_index_map=(0, 1))


def gather_rows(x, idx):
    return lax.gather(x, idx, ROWS, (1, x.shape[1]), mode="clip")


def gather_points(x, idx):
    return lax.gather(x, idx, POINTS, (1, 1), mode="fill", fill_value=-1.0)


case("gather_rows", P.gather_p, gather_rows,
     concat_gens(normal(M), ints(0, 4, lambda d: (d[2], 1))))
case("gather_points_fill", P.gather_p, gather_points,
     concat_gens(normal(M), ints(-1, 5, lambda d: (d[2], 2))))
SROWS = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                    scatter_dims_to_operand_dims=(0,))
for p, fn in [(P.scatter_p, lax.scatter), (P.scatter_add_p, lax.scatter_add),
              (P.scatter_mul_p, lax.scatter_mul), (P.scatter_min_p, lax.scatter_min),
              (P.scatter_max_p, lax.scatter_max)]:
    unique = fn is lax.scatter
    scatter_fn = (lambda fn, u: lambda x, i, v: fn(x, i, v, SROWS, mode="clip", unique_indices=u))(fn, unique)
    case(p.name, p, scatter_fn,
         lambda rng, d: [rng.standard_normal(M(d)).astype(f32),
                         rng.permutation(d[0])[: min(d[0], d[2])].reshape(-1, 1).astype(i32),
                         rng.standard_normal((min(d[0], d[2]), d[1])).astype(f32)])

# ---- dot_general, sort, linear algebra ----------------------------------------------------------

case("matmul", P.dot_general_p, lambda a, b: lax.dot(a, b),
     concat_gens(normal(M), normal(lambda d: (d[1], d[2]))))
case("matvec", P.dot_general_p, lambda a, b: lax.dot(a, b), concat_gens(normal(M), normal(lambda d: (d[1],))))
case("vecdot", P.dot_general_p, lambda a, b: lax.dot(a, b), concat_gens(normal(V), normal(V)))
case("dot_batch_dims", P.dot_general_p,
     lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))),
     concat_gens(normal(T3), normal(lambda d: (d[0], d[2], 2))))
case("dot_two_contractions", P.dot_general_p,
     lambda a, b: lax.dot_general(a, b, (((0, 2), (2, 0)), ((), ()))),
     concat_gens(normal(T3), normal(lambda d: (d[2], 3, d[0]))))
case("sort", P.sort_p, lambda x: lax.sort(x, 0), normal(T3))
case("sort_key_val", P.sort_p, lambda k, v: lax.sort_key_val(k, v, 1)[1],
     concat_gens(ints(0, 3, M), normal(M)))


def spd(rng, d):
    a = rng.standard_normal((d[0], d[0]))
    return [(a @ a.T + d[0] * np.eye(d[0])).astype(f32)]


case("cholesky", P.cholesky_p, lambda a: L.cholesky(a), spd)
case("triangular_solve", P.triangular_solve_p,
     lambda a, b: L.triangular_solve(L.cholesky(a), b, left_side=True, lower=True),
     concat_gens(spd, normal(lambda d: (d[0], d[1]))))
case("triangular_solve_right", P.triangular_solve_p,
     lambda a, b: L.triangular_solve(L.cholesky(a), b, left_side=False, lower=True, transpose_a=True),
     concat_gens(spd, normal(lambda d: (d[1], d[0]))))
case("lu", P.lu_p, lambda a: L.lu(a), normal(lambda d: (d[0], d[0] + 1)))
case("qr", P.qr_p, lambda a: L.qr(a, full_matrices=False), normal(lambda d: (d[0] + 1, d[0])))
case("eigh", P.eigh_p, lambda a: L.eigh(a)[1], spd)
case("svd", P.svd_p, lambda a: L.svd(a, compute_uv=False), normal(lambda d: (d[0], d[1] + 1)))

# ---- The checks ---------------------------------------------------------------------------------

SETTINGS = settings(max_examples=4, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
@SETTINGS
@given(data=st.data())
def test_vmap_matches_loop(c, data):
    check_single(c, data)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_vmap_along_every_axis(c):
    check_every_axis(c)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
@settings(SETTINGS, max_examples=3)
@given(data=st.data())
def test_nested_vmap_matches_loop(c, data):
    check_nested(c, data)


def test_every_primitive_has_a_batching_rule():
    missing = [p.name for p in P.ALL_PRIMITIVES if p not in batch_rules]
    assert not missing, f"primitives without a batching rule: {missing}"


def test_every_primitive_is_exercised_here_or_in_the_api_tests():
    covered = {p for c in CASES for p in c.prims} | {p for p in P.ALL_PRIMITIVES if p.group == P.COLLECTIVE}
    missing = [p.name for p in P.ALL_PRIMITIVES if p not in covered and p in batch_rules
               and p.group in _TABLE_GROUPS]
    assert not missing, f"add a vmap case for: {missing}"


_TABLE_GROUPS = {P.ELEMENTWISE, P.COMPARISON, P.BITWISE, P.CONVERSION, P.CREATION, P.REDUCE,
                 P.CUMULATIVE, P.MOVEMENT, P.INDEXING, P.DOT, P.SORT, P.LINALG, P.COLLECTIVE}


def test_batched_matmul_is_one_dot_general():
    def f(a, b):
        return lax.dot(lax.tanh(a), b)

    text = str(make_jaxpr(vmap(f))(np.ones((7, 2, 3), f32), np.ones((7, 3, 4), f32)))
    assert text.count("dot_general") == 1 and "((0,), (0,))" in text
    assert "concatenate" not in text and "while" not in text and "scan" not in text
