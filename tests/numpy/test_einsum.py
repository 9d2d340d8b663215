"""Products (jaxlite.numpy.linalg_ops): einsum on random specs, matmul, dot, vdot, vecdot, inner,
outer, tensordot, kron, matrix_transpose — against NumPy, eagerly and as traced programs."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

SETTINGS = settings(max_examples=30, deadline=None)


def run_traced(f, *args):
    closed = jaxlite.make_jaxpr(f)(*args)
    outs = eval_jaxpr(closed.jaxpr, [np.asarray(c) for c in closed.consts], *[np.asarray(a) for a in args])
    return outs[0] if len(outs) == 1 else outs


def check_both(f, args, expected, rtol=1e-5, atol=1e-5, dtype=None):
    eager = f(*args)
    traced = run_traced(f, *args)
    for got in (np.asarray(eager), np.asarray(traced)):
        assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
        if dtype is not None:
            assert got.dtype == dtype, (got.dtype, dtype)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return eager


def rand(rng, shape, dtype=np.float32):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# ---- einsum: random specs -------------------------------------------------------------------------


@st.composite
def einsum_specs(draw):
    """(subscripts, shapes): 1-3 operands over letters 'abcde', with repeated indices inside an
    operand (diagonals), labels summed away, ellipses whose axes broadcast (size 1 against n),
    and implicit or explicit outputs."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 4)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    use_ell = draw(st.booleans())
    ell_sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))] if use_ell else []
    terms, shapes = [], []
    for _ in range(n_ops):
        labels = draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4))
        shape = [sizes[c] for c in labels]
        term = "".join(labels)
        if use_ell:
            k = draw(st.integers(0, len(ell_sizes)))
            ell = [draw(st.sampled_from([1, d])) for d in ell_sizes[len(ell_sizes) - k :]]
            pos = draw(st.integers(0, len(labels)))
            term = term[:pos] + "..." + term[pos:]
            shape = shape[:pos] + ell + shape[pos:]
        terms.append(term)
        shapes.append(tuple(shape))
    spec = ",".join(terms)
    if draw(st.booleans()):
        used = sorted({c for t in terms for c in t if c != "."})
        out = draw(st.permutations(draw(st.lists(st.sampled_from(used), unique=True)) if used else []))
        out = "".join(out)
        if use_ell:
            pos = draw(st.integers(0, len(out)))
            out = out[:pos] + "..." + out[pos:]
        spec += "->" + out
    return spec, shapes


@SETTINGS
@given(spec=einsum_specs(), seed=st.integers(0, 2**16), optimize=st.sampled_from([True, False, "greedy"]))
def test_einsum_random_specs(spec, seed, optimize):
    subscripts, shapes = spec
    rng = np.random.default_rng(seed)
    ops = [rand(rng, s) for s in shapes]
    expected = np.einsum(subscripts, *[o.astype(np.float64) for o in ops])
    f = lambda *xs: jnp.einsum(subscripts, *xs, optimize=optimize)  # noqa: E731
    check_both(f, ops, expected, rtol=1e-4, atol=1e-4, dtype=np.float32)


@SETTINGS
@given(spec=einsum_specs(), seed=st.integers(0, 2**16))
def test_einsum_random_specs_int_and_x64(spec, seed):
    subscripts, shapes = spec
    rng = np.random.default_rng(seed)
    ops = [rand(rng, s, np.int32) for s in shapes]
    check_both(lambda *xs: jnp.einsum(subscripts, *xs), ops, np.einsum(subscripts, *ops), dtype=np.int32)
    with jaxlite.enable_x64():
        ops = [rand(rng, s, np.float64) for s in shapes]
        check_both(
            lambda *xs: jnp.einsum(subscripts, *xs),
            ops,
            np.einsum(subscripts, *ops),
            rtol=1e-12,
            atol=1e-12,
            dtype=np.float64,
        )


@pytest.mark.parametrize(
    "subscripts,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("iij->ji", [(3, 3, 2)]),
        ("iji->j", [(2, 4, 2)]),
        ("i,i", [(4,), (4,)]),
        ("i,j->ij", [(2,), (3,)]),
        ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),
        ("i...,i...->...", [(2, 1, 3), (2, 4, 1)]),
        ("ij,ij->ij", [(1, 3), (2, 3)]),  # a named size-1 axis broadcasts (as JAX and NumPy)
        ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 5), (5, 2)]),
        ("abc,cd,ae->bde", [(2, 3, 4), (4, 2), (2, 3)]),
        ("", [()]),
        (",->", [(), ()]),
        ("i,->i", [(3,), ()]),
        ("ij->", [(0, 3)]),
        ("ij,jk", [(2, 0), (0, 3)]),
    ],
)
def test_einsum_cases(subscripts, shapes):
    rng = np.random.default_rng(0)
    ops = [rand(rng, s) for s in shapes]
    expected = np.einsum(subscripts, *[o.astype(np.float64) for o in ops])
    check_both(lambda *xs: jnp.einsum(subscripts, *xs), ops, expected, dtype=np.float32)


def test_einsum_interleaved_and_path():
    rng = np.random.default_rng(1)
    a, b = rand(rng, (2, 3)), rand(rng, (3, 4))
    np.testing.assert_allclose(jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), a @ b, rtol=1e-5)
    b2 = rand(rng, (3, 2))
    np.testing.assert_allclose(
        jnp.einsum(a, [Ellipsis, 1], b2, [1, Ellipsis]),
        np.einsum(a, [Ellipsis, 1], b2, [1, Ellipsis]),
        rtol=1e-5,
    )
    path, _ = jnp.einsum_path("ij,jk,kl->il", a, b, rand(rng, (4, 1)))
    assert path[0] == "einsum_path" and len(path) == 3
    c = rand(rng, (4, 1))
    explicit = jnp.einsum("ij,jk,kl->il", a, b, c, optimize=[(1, 2), (0, 1)])
    np.testing.assert_allclose(explicit, a @ b @ c, rtol=1e-5)


def test_einsum_dtypes():
    i8 = np.ones((2, 3), np.int8)
    assert jnp.einsum("ij,jk", i8, i8.T).dtype == np.int8
    assert jnp.einsum("ij->", i8, preferred_element_type=jnp.int32).dtype == np.int32
    assert jnp.einsum("ij,jk", i8, i8.T, preferred_element_type=jnp.float32).dtype == np.float32
    assert (
        jnp.einsum("ij,j", i8, np.ones(3, np.float16), preferred_element_type=jnp.float32).dtype == np.float32
    )
    b = np.array([[True, False], [False, False]])
    np.testing.assert_array_equal(jnp.einsum("ij,jk", b, b), [[True, False], [False, False]])
    assert jnp.einsum("ij,jk", b, b).dtype == np.bool_
    assert jnp.einsum("ij,j", np.ones((2, 2), np.float32), np.ones(2, np.int32)).dtype == np.float32
    z = rand(np.random.default_rng(0), (2, 2), np.complex64)
    np.testing.assert_allclose(jnp.einsum("ij,jk", z, z), z @ z, rtol=1e-5)


def test_einsum_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="number of subscripts"):
        jnp.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="correct number of indices"):
        jnp.einsum("i", x)
    with pytest.raises(ValueError, match="label 'j'"):
        jnp.einsum("ij,jk", x, np.ones((4, 2)))
    with pytest.raises(ValueError, match="more than once"):
        jnp.einsum("ij->ii", x)
    with pytest.raises(ValueError, match="did not appear"):
        jnp.einsum("ij->k", x)
    with pytest.raises(ValueError, match="diagonal"):
        jnp.einsum("ii", x)
    with pytest.raises(TypeError, match="jaxlite.numpy.einsum"):
        jnp.einsum("i,j", [1, 2], [3, 4])


def test_einsum_jaxpr_uses_batch_dims():
    a, b = np.ones((5, 2, 3), np.float32), np.ones((5, 3, 4), np.float32)
    text = str(jaxlite.make_jaxpr(lambda a, b: jnp.einsum("bij,bjk->bik", a, b))(a, b))
    assert text.count("dot_general") == 1, text
    text = str(jaxlite.make_jaxpr(lambda a: jnp.einsum("iij->ij", a))(np.ones((3, 3, 2), np.float32)))
    assert "dot_general" not in text and "reduce_sum" in text, text


# ---- matmul and friends -----------------------------------------------------------------------------


@st.composite
def matmul_shapes(draw):
    """Operand shapes for matmul: 1-d or N-d, with batch axes that broadcast."""
    m, k, n = draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, base_shape=batch, max_dims=3)).input_shapes
    a = (k,) if draw(st.integers(0, 4)) == 0 else tuple(sa) + (m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else tuple(sb) + (k, n)
    return a, b


@SETTINGS
@given(
    shapes=matmul_shapes(),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.int32, np.complex64, np.bool_]),
)
def test_matmul(shapes, seed, dtype):
    rng = np.random.default_rng(seed)
    a, b = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    expected = np.matmul(a, b)
    check_both(jnp.matmul, (a, b), expected, dtype=np.dtype(dtype))
    check_both(lambda x, y: x @ y, (a, b), expected, dtype=np.dtype(dtype))


def test_matmul_one_dot_general():
    a, b = np.ones((4, 2, 3), np.float32), np.ones((4, 3, 5), np.float32)
    text = str(jaxlite.make_jaxpr(lambda a, b: a @ b)(a, b))
    assert text.count("dot_general") == 1, text
    assert len(re.findall(r"= \w+\[|= \w+ ", text)) == 1, text  # nothing but the dot_general
    # Broadcast batch axes (1 against 4) are not materialised: still one dot_general.
    text = str(jaxlite.make_jaxpr(lambda a, b: a @ b)(np.ones((1, 2, 3), np.float32), b))
    assert text.count("dot_general") == 1 and "broadcast_in_dim" not in text, text


def test_matmul_dtypes_and_errors():
    i8, f32 = np.ones((2, 2), np.int8), np.ones((2, 2), np.float32)
    assert jnp.matmul(i8, i8).dtype == np.int8
    assert jnp.matmul(i8, f32).dtype == np.float32
    assert jnp.matmul(i8, i8, preferred_element_type=jnp.int32).dtype == np.int32
    with jaxlite.enable_x64():
        assert jnp.matmul(np.ones((2, 2)), np.ones((2, 2))).dtype == np.float64
    with pytest.raises(ValueError, match="ndim at least 1"):
        jnp.matmul(np.ones(3), 2.0)
    with pytest.raises(TypeError, match=r"\(2, 3\) and \(4, 2\)"):
        jnp.matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="do not broadcast"):
        jnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2)))
    with pytest.raises(TypeError, match="jaxlite.numpy.matmul"):
        jnp.matmul([[1.0]], np.ones((1, 1)))


@st.composite
def two_arrays(draw, min_dims=0, max_dims=3):
    sa = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=3))
    sb = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=3))
    return sa, sb


@SETTINGS
@given(shapes=two_arrays(), seed=st.integers(0, 2**16))
def test_dot_inner_outer_kron(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    a = rand(rng, sa)
    # dot: a's last axis against b's second-to-last (or only) axis.
    if len(sa) and len(sb):
        sb = list(sb)
        sb[-2 if len(sb) > 1 else 0] = sa[-1]
    b = rand(rng, tuple(sb))
    check_both(jnp.dot, (a, b), np.dot(a.astype(np.float64), b), dtype=np.float32)
    b2 = rand(rng, tuple(sb[:-1]) + (sa[-1],) if len(sa) and len(sb) else tuple(sb))
    check_both(jnp.inner, (a, b2), np.inner(a.astype(np.float64), b2), dtype=np.float32)
    check_both(jnp.outer, (a, b), np.outer(a, b), dtype=np.float32)
    check_both(jnp.kron, (a, b), np.kron(a, b), dtype=np.float32)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3), seed=st.integers(0, 2**16))
def test_vdot(shape, seed):
    rng = np.random.default_rng(seed)
    a, b = rand(rng, shape, np.complex64), rand(rng, shape[::-1], np.complex64)
    check_both(jnp.vdot, (a, b), np.vdot(a, b), dtype=np.complex64)
    with pytest.raises(TypeError, match="same number of elements"):
        jnp.vdot(np.ones(3), np.ones(4))


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_vecdot_matvec_vecmat(data, seed):
    rng = np.random.default_rng(seed)
    k = data.draw(st.integers(0, 4))
    m = data.draw(st.integers(1, 3))
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2)).input_shapes
    x1, x2 = rand(rng, tuple(sa) + (k,), np.complex64), rand(rng, tuple(sb) + (k,), np.complex64)
    check_both(jnp.vecdot, (x1, x2), np.vecdot(x1, x2), dtype=np.complex64)
    if len(sa) == len(sb):  # axis counts per operand, so it must name the same axis in both
        check_both(
            lambda a, b: jnp.vecdot(a, b, axis=0),
            (np.moveaxis(x1, -1, 0), np.moveaxis(x2, -1, 0)),
            np.vecdot(x1, x2),
            dtype=np.complex64,
        )
    mat = rand(rng, tuple(sa) + (m, k), np.complex64)
    check_both(jnp.matvec, (mat, x2), np.matvec(mat, x2), dtype=np.complex64)
    mat2 = rand(rng, tuple(sb) + (k, m), np.complex64)
    check_both(jnp.vecmat, (x1, mat2), np.vecmat(x1, mat2), dtype=np.complex64)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_tensordot(data, seed):
    rng = np.random.default_rng(seed)
    shared = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    ra = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    rb = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    a = rand(rng, ra + shared)
    b = rand(rng, shared + rb)
    n = len(shared)
    check_both(lambda x, y: jnp.tensordot(x, y, n), (a, b), np.tensordot(a, b, n), dtype=np.float32)
    # The same contraction given as axis lists, with b's axes permuted.
    perm = data.draw(st.permutations(range(b.ndim)))
    bp = np.transpose(b, perm)
    b_axes = [list(perm).index(i) for i in range(n)]
    a_axes = list(range(a.ndim - n, a.ndim))
    check_both(
        lambda x, y: jnp.tensordot(x, y, (a_axes, b_axes)),
        (a, bp),
        np.tensordot(a, bp, (a_axes, b_axes)),
        dtype=np.float32,
    )


def test_product_errors_and_transpose():
    with pytest.raises(TypeError, match="tensordot"):
        jnp.tensordot(np.ones((2, 3)), np.ones((3, 2)), 3)
    with pytest.raises(TypeError, match="equal length"):
        jnp.tensordot(np.ones((2, 3)), np.ones((3, 2)), ([1, 0], [0]))
    with pytest.raises(TypeError, match="dot"):
        jnp.dot(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="two-dimensional"):
        jnp.matrix_transpose(np.ones(3))
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    check_both(jnp.matrix_transpose, (x,), np.swapaxes(x, -1, -2))
    np.testing.assert_allclose(jnp.dot(np.ones((2, 3), np.int32), 2.0), np.full((2, 3), 2.0))
    assert jnp.dot(np.ones((2, 3), np.int32), 2.0).dtype == np.float32
