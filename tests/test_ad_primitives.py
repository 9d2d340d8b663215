"""Derivatives of every differentiable primitive: check_grads to order 2, forward and reverse,
in float64, on hypothesis-drawn shapes (rank-0 operands of elementwise ops included), plus the
coverage of the rule tables."""

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxlite  # noqa: F401 - installs the array operators
from compiler import dtypes
from compiler import primitives as P
from compiler.primitives import GatherDimensionNumbers, ScatterDimensionNumbers
from jaxlite import ad, lax
from jaxlite.ad import jvp
from jaxlite.config import enable_x64
from jaxlite.lax.ad_util import stop_gradient
from jaxlite.test_util import check_grads

# Modules that register derivative rules beside their other rules (collectives, call and
# control-flow primitives); some may not exist yet in a given checkout.
for _mod in ("jaxlite.lax.parallel", "jaxlite.jit", "jaxlite.control_flow"):
    try:
        importlib.import_module(_mod)
    except ImportError:
        pass


@pytest.fixture(autouse=True)
def x64():
    with enable_x64():
        yield


SETTINGS = settings(max_examples=4, deadline=None, derandomize=True)
shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
nonscalar_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


def rand(rng, shape, lo=None, hi=None):
    if lo is None:
        return rng.standard_normal(shape)
    return rng.uniform(lo, hi, shape)


def away_from_zero(rng, shape, lo=0.3, hi=1.5):
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


# ---- Elementwise: (function, domain of each operand) ------------------------------------------

ANY = (None, None)
POS = (0.3, 2.0)
UNIT = (-0.85, 0.85)

UNARY = {
    "neg": (lax.neg, ANY), "exp": (lax.exp, ANY), "exp2": (lax.exp2, ANY), "log": (lax.log, POS),
    "log1p": (lax.log1p, (-0.7, 2.0)), "expm1": (lax.expm1, ANY), "sqrt": (lax.sqrt, POS),
    "rsqrt": (lax.rsqrt, POS), "cbrt": (lax.cbrt, POS), "sin": (lax.sin, ANY), "cos": (lax.cos, ANY),
    "tan": (lax.tan, (-1.2, 1.2)), "asin": (lax.asin, UNIT), "acos": (lax.acos, UNIT),
    "atan": (lax.atan, ANY), "sinh": (lax.sinh, ANY), "cosh": (lax.cosh, ANY), "tanh": (lax.tanh, ANY),
    "asinh": (lax.asinh, ANY), "acosh": (lax.acosh, (1.3, 3.0)), "atanh": (lax.atanh, UNIT),
    "logistic": (lax.logistic, ANY), "erf": (lax.erf, ANY), "erfc": (lax.erfc, ANY),
    "erf_inv": (lax.erf_inv, UNIT), "lgamma": (lax.lgamma, (0.5, 4.0)),
    "digamma": (lax.digamma, (0.5, 4.0)), "copy": (lambda x: lax.add(x, 0.0) * 1.0, ANY),
    "abs": (lax.abs, "nonzero"), "square": (lambda x: lax.integer_pow(x, 2), ANY),
    "cube": (lambda x: lax.integer_pow(x, 3), ANY),
    "recip2": (lambda x: lax.integer_pow(x, -2), "nonzero"),
    "ipow0": (lambda x: lax.integer_pow(x, 0) + x, ANY),
    "ipow1": (lambda x: lax.integer_pow(x, 1), ANY),
    "convert": (lambda x: lax.convert_element_type(x, np.complex128).real, ANY),
    "copy_p": (lambda x: jaxlite.core.bind(P.copy_p, x), ANY),
}

BINARY = {
    "add": (lax.add, ANY, ANY), "sub": (lax.sub, ANY, ANY), "mul": (lax.mul, ANY, ANY),
    "div": (lax.div, ANY, "nonzero"), "rem": (lax.rem, ANY, (0.7, 1.9)), "pow": (lax.pow, POS, ANY),
    "max": (lax.max, ANY, ANY), "min": (lax.min, ANY, ANY), "atan2": (lax.atan2, ANY, "nonzero"),
}


def _draw(rng, shape, domain):
    if domain == "nonzero":
        return away_from_zero(rng, shape)
    return rand(rng, shape, *domain)


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary(name, shape, seed):
    f, domain = UNARY[name]
    check_grads(f, (_draw(np.random.default_rng(seed), shape, domain),), 2)


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shape=nonscalar_shapes, which_scalar=st.sampled_from([None, 0, 1]), seed=st.integers(0, 2**16))
def test_binary_with_rank0_broadcasting(name, shape, which_scalar, seed):
    f, dx, dy = BINARY[name]
    rng = np.random.default_rng(seed)
    x = _draw(rng, () if which_scalar == 0 else shape, dx)
    y = _draw(rng, () if which_scalar == 1 else shape, dy)
    check_grads(f, (x, y), 2)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_complex_parts(shape, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)

    def f(x, y):
        z = lax.complex(x, y)
        w = lax.mul(z, lax.conj(z)) + lax.exp(z)
        return lax.real(w) + lax.imag(w) * 2.0 + lax.abs(z)

    check_grads(f, (x, y), 2)


@SETTINGS
@given(shape=nonscalar_shapes, seed=st.integers(0, 2**16))
def test_select_n_and_clamp(shape, seed):
    rng = np.random.default_rng(seed)
    x, y, z = (rng.standard_normal(shape) for _ in range(3))
    check_grads(lambda x, y: lax.select(lax.gt(x, 0.0), x, y), (x, y), 2)
    check_grads(lambda x, y, z: lax.select_n(lax.convert_element_type(lax.abs(x) * 2, np.int32) % 3,
                                             x, y, z), (x, y, z), 2)
    check_grads(lambda x: lax.clamp(-0.5, x, 0.5), (x,), 2)
    check_grads(lambda lo, x, hi: lax.clamp(lo, x, hi), (np.float64(-0.4), x, np.float64(0.45)), 2)


@pytest.mark.parametrize("f", [lax.sign, lax.floor, lax.ceil, lax.round, stop_gradient,
                               lambda x: lax.nextafter(x, x + 1)], ids=lambda f: getattr(f, "__name__", "f"))
def test_zero_derivative_primitives(f):
    x = np.linspace(-2.3, 2.1, 5)
    _, t = jvp(f, (x,), (np.ones(5),))
    np.testing.assert_array_equal(np.asarray(t), np.zeros(5))


# ---- Reductions, cumulative ops, movement ---------------------------------------------------


@pytest.mark.parametrize("red", ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"])
@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_reductions(red, shape, data, seed):
    axes = data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1).map(tuple))
    x = np.random.default_rng(seed).standard_normal(shape)
    check_grads(lambda x: getattr(lax, red)(x, axes), (x,), 2)


def test_reduce_prod_with_zeros():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    check_grads(lambda x: lax.reduce_prod(x, (1,)), (x,), 2)
    g = ad.grad(lambda x: lax.reduce_prod(x, (0,)))(np.array([0.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [6.0, 0.0, 0.0])


@pytest.mark.parametrize("op", ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"])
@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), reverse=st.booleans(), seed=st.integers(0, 2**16))
def test_cumulative(op, shape, data, reverse, seed):
    axis = data.draw(st.integers(0, len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape)
    check_grads(lambda x: getattr(lax, op)(x, axis, reverse), (x,), 2)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_movement(shape, data, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)))
    check_grads(lambda x: lax.transpose(x, perm), (x,), 2)
    check_grads(lambda x: lax.reshape(x, (x.size,), perm if nd else None), (x,), 2)
    new_dims = (0, nd + 1)
    check_grads(lambda x: lax.expand_dims(x, new_dims), (x,), 2)
    check_grads(lambda x: lax.squeeze(lax.expand_dims(x, (0,)), (0,)), (x,), 2)
    out_shape = (2,) + tuple(d if d != 1 else data.draw(st.sampled_from([1, 2])) for d in shape)
    check_grads(lambda x: lax.broadcast_in_dim(x, out_shape, tuple(range(1, nd + 1))), (x,), 2)
    if nd:
        check_grads(lambda x: lax.rev(x, (nd - 1,)), (x,), 2)
        y = rng.standard_normal(shape)
        check_grads(lambda x, y: lax.concatenate([x, y, x], nd - 1), (x, y), 2)


@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_pad_and_slice(shape, data, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    cfg = [(data.draw(st.integers(-1 if d > 1 else 0, 2)), data.draw(st.integers(-1 if d > 1 else 0, 2)),
            data.draw(st.integers(0, 2))) for d in shape]
    check_grads(lambda x, v: lax.pad(x, v, cfg), (x, np.float64(0.7)), 2)
    starts = [data.draw(st.integers(0, d - 1)) for d in shape]
    limits = [data.draw(st.integers(s + 1, d)) for s, d in zip(starts, shape)]
    strides = [data.draw(st.integers(1, 2)) for _ in shape]
    check_grads(lambda x: lax.slice(x, starts, limits, strides), (x,), 2)


# ---- Indexing --------------------------------------------------------------------------------


def test_dynamic_slicing():
    rng = np.random.default_rng(0)
    x, u = rng.standard_normal((4, 5)), rng.standard_normal((2, 3))
    for start in [(1, 2), (3, 4), (-1, 0)]:  # clamped starts included
        check_grads(lambda x: lax.dynamic_slice(x, start, (2, 3)), (x,), 2)
        check_grads(lambda x, u: lax.dynamic_update_slice(x, u, start), (x, u), 2)


GDN = GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
SDN = ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                              scatter_dims_to_operand_dims=(0,))


@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_gather_and_scatters(mode):
    rng = np.random.default_rng(1)
    x, u = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    idx = np.array([[2], [0], [2]], np.int32)  # a repeated index
    if mode == "fill":
        idx = np.array([[2], [5], [0]], np.int32)  # one out of bounds
    check_grads(lambda x: lax.gather(x, idx, GDN, (1, 3), mode=mode, fill_value=0.5), (x,), 2)
    check_grads(lambda x, u: lax.scatter_add(x, idx, u, SDN, mode=mode), (x, u), 2)
    check_grads(lambda x, u: lax.scatter(x, idx, u, SDN, mode=mode), (x, u), 2)
    check_grads(lambda x, u: lax.scatter_max(x, idx, u, SDN, mode=mode), (x, u), 2)
    check_grads(lambda x, u: lax.scatter_min(x, idx, u, SDN, mode=mode), (x, u), 2)
    uniq = np.array([[2], [0], [1]], np.int32)
    check_grads(lambda x, u: lax.scatter(x, uniq, u, SDN, unique_indices=True, mode=mode), (x, u), 2)
    check_grads(lambda x, u: lax.scatter_mul(x, uniq, u, SDN, unique_indices=True, mode=mode), (x, u), 2)


def test_gather_with_batching_dims():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5))
    idx = np.array([[[1], [4]], [[0], [0]]], np.int32)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(1,), start_index_map=(1,),
                                operand_batching_dims=(0,), start_indices_batching_dims=(0,))
    check_grads(lambda x: lax.gather(x, idx, dn, (1, 1), mode="clip"), (x,), 2)


def test_scatter_mul_non_unique_updates_raise():
    x, u = np.ones((4, 3)), np.ones((2, 3))
    idx = np.array([[1], [1]], np.int32)
    with pytest.raises(NotImplementedError, match="unique_indices"):
        ad.grad(lambda u: lax.scatter_mul(x, idx, u, SDN).sum())(u)


# ---- dot_general and sort ---------------------------------------------------------------------

DOT_CASES = [
    ((3,), (3,), (((0,), (0,)), ((), ()))),
    ((2, 3), (3, 4), (((1,), (0,)), ((), ()))),
    ((2, 3), (4, 3), (((1,), (1,)), ((), ()))),
    ((5, 2, 3), (5, 3, 4), (((2,), (1,)), ((0,), (0,)))),
    ((2, 5, 3), (3, 4, 5), (((2,), (0,)), ((1,), (2,)))),
    ((2, 3, 4), (4, 3), (((1, 2), (1, 0)), ((), ()))),
    ((3,), (2,), (((), ()), ((), ()))),
]


@pytest.mark.parametrize("case", DOT_CASES, ids=str)
def test_dot_general(case):
    xs, ys, dn = case
    rng = np.random.default_rng(3)
    check_grads(lambda x, y: lax.dot_general(x, y, dn), (rng.standard_normal(xs), rng.standard_normal(ys)), 2)


@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_sort(shape, data, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    dim = data.draw(st.integers(0, len(shape) - 1))
    check_grads(lambda x: lax.sort(x, dim), (x,), 2)
    check_grads(lambda x, y: lax.sort((x, y), dim, num_keys=1), (x, y), 2)


# ---- Linear algebra (well-conditioned inputs) -----------------------------------------------


def _spd(rng, batch, n):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _fix_signs(m):
    # Eigen/singular vectors are defined up to sign: make the first row non-negative.
    import jaxlite.numpy as jnp

    return m * jnp.sign(m[..., :1, :])


@pytest.mark.parametrize("batch", [(), (2,)])
def test_linalg(batch):
    rng = np.random.default_rng(4)
    L = lax.linalg
    spd = _spd(rng, batch, 3)
    tri = np.tril(rng.standard_normal(batch + (3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal(batch + (3, 2))
    check_grads(L.cholesky, (spd,), 2)
    for left, lower, trans in [(True, True, False), (True, False, True), (False, True, True)]:
        a = tri if lower else np.swapaxes(tri, -1, -2)
        rhs = b if left else np.swapaxes(b, -1, -2)
        check_grads(lambda a, b: L.triangular_solve(a, b, left_side=left, lower=lower, transpose_a=trans),
                    (a, rhs), 2)
    check_grads(lambda a: L.triangular_solve(a, b, left_side=True, lower=True, unit_diagonal=True), (tri,), 2)
    check_grads(lambda a: L.lu(a)[0], (rng.standard_normal(batch + (3, 3)),), 2)
    check_grads(lambda a: L.qr(a, full_matrices=False), (rng.standard_normal(batch + (4, 3)),), 2)
    check_grads(lambda a: L.qr(a), (rng.standard_normal(batch + (3, 3)),), 2)
    check_grads(lambda a: L.eigh(a)[1], (spd,), 2)
    check_grads(lambda a: _fix_signs(L.eigh(a)[0]), (spd,), 2)
    for shape in [(4, 3), (3, 4), (3, 3)]:
        m = rng.standard_normal(batch + shape)
        check_grads(lambda a: L.svd(a, compute_uv=False), (m,), 2)

        def svd_canonical(a):
            u, s, vt = L.svd(a, full_matrices=False)
            sign = lax.sign(u[..., :1, :])
            nb = len(batch)
            return u * sign, s, vt * lax.transpose(sign, tuple(range(nb)) + (nb + 1, nb))

        check_grads(svd_canonical, (m,), 2)


def test_lu_rectangular():
    rng = np.random.default_rng(5)
    for shape in [(4, 3), (3, 4)]:
        check_grads(lambda a: lax.linalg.lu(a)[0], (rng.standard_normal(shape),), 2)


def test_unsupported_linalg_derivatives_raise():
    with pytest.raises(NotImplementedError, match="QR"):
        ad.jvp(lambda a: lax.linalg.qr(a, full_matrices=True), (np.ones((3, 2)),), (np.ones((3, 2)),))
    with pytest.raises(NotImplementedError, match="full matrices"):
        ad.jvp(lambda a: lax.linalg.svd(a, full_matrices=True), (np.eye(3, 2),), (np.ones((3, 2)),))


# ---- Coverage of the rule tables ------------------------------------------------------------


def test_every_primitive_has_a_jvp_rule_or_is_declared_non_differentiable():
    missing = [p.name for p in P.ALL_PRIMITIVES
               if p not in ad.jvp_rules and p not in ad.NON_DIFFERENTIABLE]
    assert not missing, f"primitives with no jvp rule and no NON_DIFFERENTIABLE entry: {missing}"
    both = [p.name for p in ad.NON_DIFFERENTIABLE if p in ad.jvp_rules]
    assert not both, f"declared non-differentiable but given a jvp rule: {both}"


def test_every_linear_primitive_has_a_transpose_rule():
    missing = [p.name for p in ad.LINEAR_PRIMITIVES if p not in ad.transpose_rules]
    assert not missing
    # and every primitive a jvp rule stages on a tangent is transposable: checked by the grads
    # above; here the ones no rule above reaches
    for p in (P.neg_p, P.reduce_sum_p, P.cumsum_p, P.custom_lin_p, P.remat_p):
        assert p in ad.transpose_rules


def test_integer_outputs_get_float0_tangents():
    x = np.array([1.5, -2.0, 3.0])
    _, t = jvp(lambda x: lax.argmax(x, 0, np.int32), (x,), (np.ones(3),))
    assert t.dtype == dtypes.float0
    (_, t), = [jvp(lambda x: lax.convert_element_type(x, np.int32), (x,), (np.ones(3),))]
    assert t.dtype == dtypes.float0 and t.shape == (3,)
    _, t = jvp(lambda x: lax.lt(x, 0.0), (x,), (np.ones(3),))
    assert t.dtype == dtypes.float0
