"""lax.conv_general_dilated, conv_transpose and reduce_window: against definition-by-loops
references and JAX, their derivatives (check_grads), vmap against a loop, and jit."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

import jaxlite
from jaxlite import lax
from jaxlite.test_util import check_grads

_REF = pathlib.Path(__file__).resolve().parent / "compiler" / "conv_reference.py"
_spec = importlib.util.spec_from_file_location("conv_reference", _REF)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

rng = np.random.RandomState(0)

# (lhs shape, rhs shape, dimension_numbers, strides, padding, lhs_dilation, rhs_dilation, G, B)
CASES = [
    ((2, 3, 7), (4, 3, 3), None, (1,), "VALID", None, None, 1, 1),
    ((2, 7, 3), (3, 3, 4), ("NWC", "WIO", "NWC"), (2,), "SAME", None, (2,), 1, 1),
    ((2, 5, 6, 3), (3, 2, 3, 4), ("NHWC", "HWIO", "NHWC"), (1, 2), "SAME_LOWER", None, (2, 1), 1, 1),
    ((2, 4, 5, 6), (6, 4, 3, 2), ("NCHW", "OIHW", "NCHW"), (1, 1), ((1, 1), (0, 1)), (1, 1), (1, 1), 1, 1),
    ((2, 6, 5, 7), (4, 3, 3, 2), ("NCHW", "OIHW", "NCHW"), (2, 1), ((1, -1), (2, 1)), (2, 1), (1, 2), 2, 1),
    ((4, 3, 5, 4), (4, 3, 3, 2), ("NCHW", "OIHW", "NCHW"), (2, 1), ((1, 1), (2, 1)), (1, 2), (1, 1), 1, 2),
    ((4, 5, 4, 3), (3, 4, 3, 2), ("NHWC", "IOHW", "CNHW"), (1, 1), "VALID", None, None, 1, 4),
    ((1, 2, 4, 3, 5), (3, 2, 2, 2, 3), ("NCHWD", "OIHWD", "NCHWD"), (1, 2, 1), "SAME", None, None, 1, 1),
]


def _args(case, dtype=np.float32):
    ls, rs = case[:2]
    return rng.randn(*ls).astype(dtype), rng.randn(*rs).astype(dtype)


def _fun(case):
    _, _, dn, strides, padding, ld, rd, G, B = case

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, ld, rd, dn, G, B)

    return f


def _explicit(case):
    """The reference's integer form of a case (string specs and padding resolved by hand)."""
    ls, rs, dn, strides, padding, ld, rd, G, B = case
    n = len(ls) - 2
    specs = lax.conv_dimension_numbers(ls, rs, dn)
    ld, rd = ld or (1,) * n, rd or (1,) * n
    if isinstance(padding, str):
        spatial = [ls[a] for a in specs.lhs_spec[2:]]
        kernel = [(rs[a] - 1) * d + 1 for a, d in zip(specs.rhs_spec[2:], rd)]
        pads = []
        for d, k, s in zip(spatial, kernel, strides):
            total = 0 if padding == "VALID" else max((-(-d // s) - 1) * s + k - d, 0)
            lo = total // 2 if padding == "SAME" else total - total // 2
            pads.append((lo, total - lo))
        padding = pads
    return strides, padding, ld, rd, specs, G, B


@pytest.mark.parametrize("case", CASES)
def test_conv_matches_reference(case):
    x, w = _args(case)
    got = np.asarray(_fun(case)(x, w))
    want = ref.conv_reference(x, w, *_explicit(case))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_conv_matches_jax(case):
    jax = pytest.importorskip("jax")
    x, w = _args(case)
    _, _, dn, strides, padding, ld, rd, G, B = case
    want = jax.lax.conv_general_dilated(x, w, strides, padding, ld, rd, dn, G, B)
    np.testing.assert_allclose(np.asarray(_fun(case)(x, w)), np.asarray(want), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    dict(strides=(2, 2), padding="SAME"),
    dict(strides=(2, 1), padding="VALID", rhs_dilation=(1, 2)),
    dict(strides=(1, 2), padding=((1, 2), (0, 1))),
    dict(strides=(2, 2), padding="SAME", transpose_kernel=True),
    dict(strides=(3,), padding="VALID", dimension_numbers=("NCH", "OIH", "NCH")),
])
def test_conv_transpose_matches_jax(kwargs):
    jax = pytest.importorskip("jax")
    if "dimension_numbers" in kwargs:
        x, w = rng.randn(2, 3, 5).astype(np.float32), rng.randn(4, 3, 3).astype(np.float32)
    else:
        x, w = rng.randn(2, 5, 6, 3).astype(np.float32), rng.randn(3, 2, 3, 4).astype(np.float32)
    if kwargs.get("transpose_kernel"):  # the kernel of the conv being transposed: O matches x
        w = rng.randn(3, 2, 4, 3).astype(np.float32)
    got = lax.conv_transpose(x, w, **kwargs)
    want = jax.lax.conv_transpose(x, w, **kwargs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


def test_conv_and_conv_with_general_padding_match_jax():
    jax = pytest.importorskip("jax")
    x, w = rng.randn(2, 3, 6, 5).astype(np.float32), rng.randn(4, 3, 2, 2).astype(np.float32)
    np.testing.assert_allclose(np.asarray(lax.conv(x, w, (1, 2), "SAME")),
                               np.asarray(jax.lax.conv(x, w, (1, 2), "SAME")), rtol=1e-5, atol=1e-5)
    args = (x, w, (2, 1), ((1, 0), (0, 2)), (1, 2), (2, 1))
    np.testing.assert_allclose(np.asarray(lax.conv_with_general_padding(*args)),
                               np.asarray(jax.lax.conv_with_general_padding(*args)), rtol=1e-5, atol=1e-5)


def test_dimension_numbers_and_padtype_match_jax():
    jax = pytest.importorskip("jax")
    for specs in [("NHWC", "HWIO", "NHWC"), ("NCHW", "OIHW", "NCHW"), ("CHWN", "IHWO", "HWNC")]:
        got = lax.conv_dimension_numbers((1,) * 4, (1,) * 4, specs)
        want = jax.lax.conv_dimension_numbers((1,) * 4, (1,) * 4, specs)
        assert tuple(map(tuple, got)) == tuple(map(tuple, want))
    for padding in ("SAME", "SAME_LOWER", "VALID"):
        got = lax.padtype_to_pads((7, 8, 5), (3, 2, 4), (2, 3, 1), padding)
        want = jax.lax.padtype_to_pads((7, 8, 5), (3, 2, 4), (2, 3, 1), padding)
        assert [tuple(p) for p in got] == [tuple(p) for p in want]


def test_conv_errors_name_the_argument():
    x, w = np.ones((1, 3, 5, 5), np.float32), np.ones((4, 2, 3, 3), np.float32)
    with pytest.raises(TypeError, match="conv_general_dilated: .*feature_group_count"):
        lax.conv_general_dilated(x, w, (1, 1), "VALID")
    with pytest.raises(ValueError, match="conv_general_dilated: window_strides"):
        lax.conv_general_dilated(x, np.ones((4, 3, 3, 3), np.float32), (1,), "VALID")
    with pytest.raises(TypeError, match="spec 'NHW'"):
        lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NHW", "OIHW", "NCHW"))
    with pytest.raises(ValueError, match="padtype_to_pads: unknown padding 'FULL'"):
        lax.conv_general_dilated(x, np.ones((4, 3, 3, 3), np.float32), (1, 1), "FULL")


# ---- reduce_window --------------------------------------------------------------------------------

RW_CASES = [
    ((7,), (3,), (1,), "VALID", None, None),
    ((3, 7, 6), (1, 3, 2), (1, 2, 1), ((0, 1), (1, 2), (0, 0)), (1, 2, 1), (1, 1, 2)),
    ((2, 6, 5, 3), (1, 2, 2, 1), (1, 2, 2, 1), "SAME", None, None),
    ((5, 6), (3, 2), (2, 1), "SAME", None, (2, 1)),
]
MONOIDS = [(lax.add, 0.0, np.add), (lax.max, -np.inf, np.maximum), (lax.min, np.inf, np.minimum)]


def _rw(case, comp, init):
    _, window, strides, padding, bd, wd = case

    def f(x):
        return lax.reduce_window(x, init, comp, window, strides, padding, bd, wd)

    return f


@pytest.mark.parametrize("case", RW_CASES)
@pytest.mark.parametrize("comp, init, op", MONOIDS, ids=["sum", "max", "min"])
def test_reduce_window_matches_reference_and_jax(comp, init, op, case):
    x = rng.randn(*case[0]).astype(np.float32)
    got = np.asarray(_rw(case, comp, init)(x))
    jax = pytest.importorskip("jax")
    jcomp = {lax.add: jax.lax.add, lax.max: jax.lax.max, lax.min: jax.lax.min}[comp]
    want = jax.lax.reduce_window(x, init, jcomp, *case[1:])
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6, atol=1e-6)


def test_reduce_window_explicit_padding_matches_reference():
    x = rng.randn(3, 7, 6).astype(np.float32)
    case = RW_CASES[1]
    for comp, init, op in MONOIDS:
        want = ref.reduce_window_reference(x, op, np.float32(init), *case[1:])
        np.testing.assert_allclose(np.asarray(_rw(case, comp, init)(x)), want, rtol=1e-6)


GENERIC = [(lax.mul, 1.0, np.multiply), (lambda a, b: a + b, 0.0, np.add),
           (lambda a, b: lax.max(a, b) * 1.0, -np.inf, np.maximum)]


@pytest.mark.parametrize("case", RW_CASES)
@pytest.mark.parametrize("comp, init, op", GENERIC, ids=["mul", "lambda_add", "lambda_max"])
def test_reduce_window_generic_matches_reference(comp, init, op, case):
    x = (0.5 + rng.rand(*case[0])).astype(np.float32)
    want = ref.reduce_window_reference(x, op, np.float32(init), *ref_args(x, case))
    np.testing.assert_allclose(np.asarray(_rw(case, comp, init)(x)), want, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jaxlite.jit(_rw(case, comp, init))(x)), want, rtol=1e-5)


def ref_args(x, case):
    _, window, strides, padding, bd, wd = case
    nd = x.ndim
    bd, wd = bd or (1,) * nd, wd or (1,) * nd
    if isinstance(padding, str):
        spans = [(w - 1) * d + 1 for w, d in zip(window, wd)]
        padding = lax.padtype_to_pads(x.shape, spans, strides, padding)
    return window, strides, padding, bd, wd


def test_reduce_window_integers_and_non_identity_init_match_jax():
    jax = pytest.importorskip("jax")
    for case in RW_CASES:
        x = rng.randint(0, 16, size=case[0]).astype(np.int32)
        got = _rw(case, lax.bitwise_or, 0)(x)
        want = jax.lax.reduce_window(x, 0, jax.lax.bitwise_or, *case[1:])
        np.testing.assert_array_equal(got, want)
        # init 2 is not the identity: XLA folds it in once and skips pads and holes.
        y = (0.5 + rng.rand(*case[0])).astype(np.float32)
        np.testing.assert_allclose(_rw(case, lax.add, 2.0)(y),
                                   jax.lax.reduce_window(y, 2.0, jax.lax.add, *case[1:]), rtol=1e-5)
        np.testing.assert_allclose(_rw(case, lax.mul, 3.0)(y),
                                   jax.lax.reduce_window(y, 3.0, jax.lax.mul, *case[1:]), rtol=1e-5)


def _argmax_comp(lax_mod):
    def comp(a, b):
        (av, ai), (bv, bi) = a, b
        pick = av >= bv
        return lax_mod.select(pick, av, bv), lax_mod.select(pick, ai, bi)

    return comp


def test_reduce_window_pytree_operands():
    x = rng.randn(2, 9).astype(np.float32)
    idx = np.broadcast_to(np.arange(9, dtype=np.int32), x.shape)
    vals, arg = lax.reduce_window((x, idx), (-np.inf, np.int32(0)), _argmax_comp(lax), (1, 3), (1, 2), "VALID")
    windows = np.stack([x[:, i:i + 3] for i in range(0, 7, 2)], axis=1)
    np.testing.assert_array_equal(vals, windows.max(-1))
    np.testing.assert_array_equal(arg, np.arange(0, 7, 2) + windows.argmax(-1))
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.reduce_window((x, idx), -np.inf, _argmax_comp(lax), (1, 3), (1, 2), "VALID")
    with pytest.raises(TypeError, match="keep each operand's shape and dtype"):
        lax.reduce_window(x, 1.0, lambda a, b: (a * b).astype(np.int32), (1, 3), (1, 1), "VALID")


def test_reduce_window_generic_grad_and_vmap():
    with jaxlite.enable_x64():
        x = 0.5 + rng.rand(3, 7)
        f = lambda v: lax.reduce_window(v, 1.0, lax.mul, (2, 3), (1, 2), "SAME")  # noqa: E731
        check_grads(f, (x,), order=2, modes=("fwd", "rev"))
        got = jaxlite.vmap(f)(np.stack([x, 2 * x]))
        np.testing.assert_allclose(got, np.stack([f(x), f(2 * x)]), rtol=1e-12)


# ---- derivatives ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES[:7])
def test_conv_check_grads(case):
    with jaxlite.enable_x64():
        x, w = _args(case, np.float64)
        check_grads(_fun(case), (x, w), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("case", RW_CASES)
@pytest.mark.parametrize("comp, init, op", MONOIDS, ids=["sum", "max", "min"])
def test_reduce_window_check_grads(comp, init, op, case):
    with jaxlite.enable_x64():
        x = rng.randn(*case[0])
        check_grads(_rw(case, comp, init), (x,), order=2, modes=("fwd", "rev"))


def test_max_pool_gradient_goes_to_the_maximum():
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]], np.float32)
    g = jaxlite.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), "VALID").sum())(x)
    np.testing.assert_array_equal(np.asarray(g), [[0, 1, 0, 0], [0, 0, 1, 0]])


# ---- vmap and jit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0), (1, 2)])
def test_conv_vmap_matches_loop(case, in_axes):
    xs = rng.randn(3, *case[0]).astype(np.float32)
    ws = rng.randn(3, *case[1]).astype(np.float32)
    f = _fun(case)
    x0, w0 = xs[0], ws[0]
    want = np.stack([np.asarray(f(xs[i] if in_axes[0] is not None else x0,
                                  ws[i] if in_axes[1] is not None else w0)) for i in range(3)])
    xa = x0 if in_axes[0] is None else np.moveaxis(xs, 0, in_axes[0])
    wa = w0 if in_axes[1] is None else np.moveaxis(ws, 0, in_axes[1])
    got = jaxlite.vmap(f, in_axes=in_axes)(xa, wa)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", RW_CASES)
def test_reduce_window_vmap_matches_loop(case):
    xs = rng.randn(4, *case[0]).astype(np.float32)
    for comp, init, _ in MONOIDS:
        f = _rw(case, comp, init)
        got = jaxlite.vmap(f, in_axes=1)(np.moveaxis(xs, 0, 1))
        np.testing.assert_array_equal(np.asarray(got), np.stack([np.asarray(f(x)) for x in xs]))


def test_conv_vmap_of_grad_per_example():
    case = CASES[2]
    x, w = _args(case)
    xs = rng.randn(3, *case[0]).astype(np.float32)
    f = _fun(case)
    per_example = jaxlite.vmap(jaxlite.grad(lambda w, x: (f(x, w) ** 2).sum()), in_axes=(None, 0))(w, xs)
    loop = [np.asarray(jaxlite.grad(lambda w, x: (f(x, w) ** 2).sum())(w, xi)) for xi in xs]
    np.testing.assert_allclose(np.asarray(per_example), np.stack(loop), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [CASES[2], CASES[4], CASES[5]])
def test_conv_jit_and_grad_under_jit_match_eager(case, tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path))
    x, w = _args(case)
    f = _fun(case)

    def loss(x, w):
        y = f(x, w)
        return (lax.reduce_window(y, -np.inf, lax.max, (1,) * y.ndim, (1,) * y.ndim, "VALID") ** 2).sum()

    np.testing.assert_allclose(np.asarray(jaxlite.jit(f)(x, w)), np.asarray(f(x, w)), rtol=1e-5, atol=1e-5)
    g_eager = jaxlite.grad(loss, argnums=(0, 1))(x, w)
    g_jit = jaxlite.jit(jaxlite.grad(loss, argnums=(0, 1)))(x, w)
    for a, b in zip(g_jit, g_eager):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)


def test_make_jaxpr_shows_the_primitives():
    x, w = _args(CASES[2])
    text = str(jaxlite.make_jaxpr(_fun(CASES[2]))(x, w))
    assert "conv_general_dilated" in text
    text = str(jaxlite.make_jaxpr(_rw(RW_CASES[2], lax.max, -np.inf))(rng.randn(2, 6, 5, 3)))
    assert "reduce_window_max" in text
