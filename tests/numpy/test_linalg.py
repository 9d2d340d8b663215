"""jaxlite.numpy.linalg and jaxlite.scipy.linalg against NumPy/SciPy, eagerly and traced.

Batched functions are compared with a Python loop of np.linalg calls over the batch.
"""

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxlite
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from compiler.interpret import eval_jaxpr

SETTINGS = settings(max_examples=20, deadline=None)
DTYPES = [np.float32, np.float64]
TOL = {np.float32: 2e-4, np.float64: 1e-10}


def run_traced(f, *args):
    closed = jaxlite.make_jaxpr(f)(*args)
    outs = eval_jaxpr(closed.jaxpr, [np.asarray(c) for c in closed.consts], *[np.asarray(a) for a in args])
    return outs[0] if len(outs) == 1 else outs


def check_both(f, args, expected, rtol, atol=None):
    """f eagerly and traced against `expected` (an array or a tuple of arrays)."""
    atol = rtol if atol is None else atol
    eager = f(*args)
    traced = run_traced(f, *args)
    exp = expected if isinstance(expected, tuple) else (expected,)
    got_e = tuple(eager) if isinstance(eager, tuple) else (eager,)
    got_t = tuple(traced) if isinstance(traced, list) else (traced,)
    assert len(exp) == len(got_e) == len(got_t)
    for e, ge, gt in zip(exp, got_e, got_t):
        for g in (np.asarray(ge), np.asarray(gt)):
            assert g.shape == np.shape(e), (g.shape, np.shape(e))
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    return eager


def loop(fn, *arrays, batch):
    """Stack fn over the batch axes (a reference for batched linalg)."""
    outs = [fn(*(a[idx] for a in arrays)) for idx in np.ndindex(*batch)]
    if isinstance(outs[0] if outs else None, tuple):
        return tuple(
            np.array([o[i] for o in outs]).reshape(batch + np.shape(outs[0][i])) for i in range(len(outs[0]))
        )
    return np.array(outs).reshape(batch + (np.shape(outs[0]) if outs else ()))


def well_conditioned(rng, batch, n, dtype):
    return (rng.standard_normal(batch + (n, n)) + 2 * n * np.eye(n) * rng.choice([-1, 1])).astype(dtype)


def spd(rng, batch, n, dtype):
    a = rng.standard_normal(batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


batch_shapes = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)
sizes = st.integers(1, 5)
seeds = st.integers(0, 2**16)


# ---- LU-based ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(batch=batch_shapes, n=sizes, k=st.integers(1, 3), seed=seeds, data=st.data())
def test_solve_batched(dtype, batch, n, k, seed, data):
    rng = np.random.default_rng(seed)
    with jaxlite.enable_x64(dtype == np.float64):
        a = well_conditioned(rng, batch, n, dtype)
        # b's batch axes broadcast against a's (here: a prefix dropped or a 1).
        b_batch = data.draw(st.sampled_from([batch, batch[1:], tuple(1 for _ in batch)]))
        b = rng.standard_normal(b_batch + (n, k)).astype(dtype)
        full = np.broadcast_shapes(batch, b_batch)
        bb = np.broadcast_to(b, full + (n, k))
        ab = np.broadcast_to(a, full + (n, n))
        check_both(jnp.linalg.solve, (a, b), loop(np.linalg.solve, ab, bb, batch=full), TOL[dtype])
        v = rng.standard_normal((n,)).astype(dtype)  # a vector b: NumPy 2's b.ndim == 1 rule
        check_both(
            jnp.linalg.solve, (a, v), loop(lambda m: np.linalg.solve(m, v), a, batch=batch), TOL[dtype]
        )


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(batch=batch_shapes, n=st.integers(0, 5), seed=seeds)
def test_inv_det_slogdet_batched(dtype, batch, n, seed):
    rng = np.random.default_rng(seed)
    with jaxlite.enable_x64(dtype == np.float64):
        a = well_conditioned(rng, batch, n, dtype)
        if n:
            check_both(jnp.linalg.inv, (a,), loop(np.linalg.inv, a, batch=batch), TOL[dtype])
        det = loop(np.linalg.det, a.astype(np.float64), batch=batch)
        check_both(jnp.linalg.det, (a,), det, TOL[dtype], atol=TOL[dtype] * np.abs(det).max(initial=1))
        sign, logdet = loop(lambda m: tuple(np.linalg.slogdet(m)), a.astype(np.float64), batch=batch)
        check_both(lambda x: tuple(jnp.linalg.slogdet(x)), (a,), (sign, logdet), TOL[dtype])
        assert jnp.linalg.det(a).dtype == dtype


def test_lu_edge_cases():
    np.testing.assert_array_equal(jnp.linalg.det(np.ones((3, 3), np.float32)), 0)
    sign, logdet = jnp.linalg.slogdet(np.ones((3, 3), np.float32))
    assert float(sign) == 0 and float(logdet) == -np.inf
    sign, logdet = jnp.linalg.slogdet(np.eye(2, dtype=np.complex64) * 1j)
    assert complex(sign) == pytest.approx(-1) and float(logdet) == pytest.approx(0)
    assert complex(jnp.linalg.det(np.eye(2, dtype=np.complex64) * 1j)) == pytest.approx(-1)
    np.testing.assert_array_equal(jnp.linalg.det(np.ones((2, 0, 0), np.float32)), [1, 1])
    assert np.all(np.isinf(np.asarray(jnp.linalg.inv(np.ones((2, 2), np.float32)))))  # JAX: no error
    assert jnp.linalg.solve(np.eye(3, dtype=np.int32), np.ones(3, np.int32)).dtype == np.float32
    z = (np.eye(3) * (2 + 1j) + 0.1).astype(np.complex64)
    np.testing.assert_allclose(jnp.linalg.inv(z), np.linalg.inv(z), rtol=1e-5, atol=1e-6)


def test_lu_errors():
    with pytest.raises(ValueError, match=r"jaxlite.numpy.linalg.inv.*\(2, 3\)"):
        jnp.linalg.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="linalg.det"):
        jnp.linalg.det(np.ones(3))
    with pytest.raises(ValueError, match=r"b\[\.\.\., None\]"):
        jnp.linalg.solve(np.ones((2, 3, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="broadcast"):
        jnp.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(TypeError, match="jaxlite.numpy.linalg.solve"):
        jnp.linalg.solve([[1.0]], np.ones(1))


# ---- decompositions ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(batch=batch_shapes, n=sizes, seed=seeds)
def test_cholesky_eigh(dtype, batch, n, seed):
    rng = np.random.default_rng(seed)
    tol = TOL[dtype] * 10
    with jaxlite.enable_x64(dtype == np.float64):
        a = spd(rng, batch, n, dtype)
        check_both(jnp.linalg.cholesky, (a,), np.linalg.cholesky(a), tol, atol=tol * n)
        check_both(
            lambda x: jnp.linalg.cholesky(x, upper=True),
            (a,),
            np.swapaxes(np.linalg.cholesky(a), -1, -2),
            tol,
            atol=tol * n,
        )
        w_ref = np.linalg.eigvalsh(a)
        check_both(jnp.linalg.eigvalsh, (a,), w_ref, tol, atol=tol * n)
        w, v = jnp.linalg.eigh(a)
        w, v = np.asarray(w), np.asarray(v)
        np.testing.assert_allclose(
            (v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a, rtol=tol, atol=tol * n * n
        )
        traced_w, traced_v = run_traced(lambda x: tuple(jnp.linalg.eigh(x)), a)
        np.testing.assert_allclose(traced_w, w_ref, rtol=tol, atol=tol * n)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(batch=batch_shapes, m=sizes, n=sizes, seed=seeds, full=st.booleans())
def test_svd_qr(dtype, batch, m, n, seed, full):
    rng = np.random.default_rng(seed)
    tol = TOL[dtype] * 10
    with jaxlite.enable_x64(dtype == np.float64):
        a = rng.standard_normal(batch + (m, n)).astype(dtype)
        s_ref = np.linalg.svd(a, compute_uv=False)
        check_both(lambda x: jnp.linalg.svd(x, compute_uv=False), (a,), s_ref, tol)
        check_both(jnp.linalg.svdvals, (a,), s_ref, tol)
        u, s, vh = (np.asarray(t) for t in jnp.linalg.svd(a, full_matrices=full))
        k = min(m, n)
        assert u.shape == batch + (m, m if full else k) and vh.shape == batch + (n if full else k, n)
        np.testing.assert_allclose(
            (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, rtol=tol, atol=tol * 10
        )
        mode = "complete" if full else "reduced"
        q, r = (np.asarray(t) for t in jnp.linalg.qr(a, mode=mode))
        np.testing.assert_allclose(q @ r, a, rtol=tol, atol=tol * 10)
        np.testing.assert_allclose(np.triu(r), r, atol=0)
        np.testing.assert_allclose(
            np.swapaxes(q, -1, -2) @ q,
            np.broadcast_to(np.eye(q.shape[-1]), batch + (q.shape[-1],) * 2),
            atol=tol * 10,
        )
        r_only = run_traced(lambda x: jnp.linalg.qr(x, mode="r"), a)
        np.testing.assert_allclose(np.abs(r_only), np.abs(np.linalg.qr(a, mode="r")), rtol=tol, atol=tol * 10)


# ---- SVD-based ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(m=sizes, n=sizes, k=st.integers(0, 2), seed=seeds)
def test_lstsq(dtype, m, n, k, seed):
    rng = np.random.default_rng(seed)
    tol = TOL[dtype] * 10
    with jaxlite.enable_x64(dtype == np.float64):
        a = rng.standard_normal((m, n)).astype(dtype)
        b = rng.standard_normal((m, k) if k else (m,)).astype(dtype)
        x, resid, rank, s = np.linalg.lstsq(a.astype(np.float64), b.astype(np.float64))
        check_both(lambda a, b: tuple(jnp.linalg.lstsq(a, b))[::3], (a, b), (x, s), tol)
        assert int(jnp.linalg.lstsq(a, b)[2]) == rank
        # JAX's residuals: |b - a x|^2 per column whatever the shape; NumPy's only when m > n = rank.
        r_ours = np.asarray(jnp.linalg.lstsq(a, b)[1])
        r_np = np.asarray(jnp.linalg.lstsq(a, b, numpy_resid=True)[1])
        assert r_np.shape == resid.shape
        np.testing.assert_allclose(r_np, resid, rtol=tol * 10, atol=tol * 10)
        expected_r = ((b.reshape(m, -1) - a @ x.reshape(n, -1)) ** 2).sum(0)
        np.testing.assert_allclose(r_ours, expected_r, rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(batch=batch_shapes, m=sizes, n=sizes, seed=seeds, rank_def=st.booleans())
def test_pinv_rank_cond(dtype, batch, m, n, seed, rank_def):
    rng = np.random.default_rng(seed)
    tol = TOL[dtype] * 10
    with jaxlite.enable_x64(dtype == np.float64):
        a = rng.standard_normal(batch + (m, n))
        if rank_def and min(m, n) > 1:  # an exactly repeated column makes it rank deficient
            a[..., :, -1] = a[..., :, 0]
        a = a.astype(dtype)
        rtol = 10 * max(m, n) * np.finfo(dtype).eps  # JAX's default, NumPy's is 1e-15
        check_both(
            jnp.linalg.pinv, (a,), np.linalg.pinv(a.astype(np.float64), rtol=rtol), tol * 10, atol=tol * 100
        )
        check_both(jnp.linalg.matrix_rank, (a,), np.linalg.matrix_rank(a), 0)
        if m == n:
            for p in [None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"]:
                if rank_def and p not in (None, 2, -2):
                    continue  # the inverse is inf/NaN there: covered by test_cond_singular
                ref = np.linalg.cond(a.astype(np.float64), p)
                if np.all(np.isfinite(ref)) and np.max(ref) < 1e4:
                    check_both(lambda x: jnp.linalg.cond(x, p), (a,), ref, tol * 100)


def test_cond_singular():
    assert float(jnp.linalg.cond(np.ones((2, 2), np.float32), 1)) == np.inf
    assert float(jnp.linalg.cond(np.ones((2, 2), np.float32), "fro")) == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@given(n=sizes, p=st.integers(-3, 6), seed=seeds)
@SETTINGS
def test_matrix_power(dtype, n, p, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.int32:
        a = rng.integers(-2, 3, (2, n, n)).astype(dtype)
        if p < 0:
            return
        check_both(
            lambda x: jnp.linalg.matrix_power(x, p),
            (a,),
            loop(lambda m: np.linalg.matrix_power(m, p), a, batch=(2,)),
            0,
        )
        assert jnp.linalg.matrix_power(a, p).dtype == np.int32
    else:
        a = (rng.standard_normal((2, n, n)) / n + np.eye(n)).astype(dtype)
        ref = loop(lambda m: np.linalg.matrix_power(m.astype(np.float64), p), a, batch=(2,))
        check_both(lambda x: jnp.linalg.matrix_power(x, p), (a,), ref, 1e-3, atol=1e-3 * np.abs(ref).max())


def test_multi_dot():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3,), (3, 10), (10, 2), (2, 7), (7,)]]
    check_both(lambda *xs: jnp.linalg.multi_dot(xs), arrays, np.linalg.multi_dot(arrays), 1e-4)
    mats = arrays[1:4]
    check_both(lambda *xs: jnp.linalg.multi_dot(xs), mats, np.linalg.multi_dot(mats), 1e-4)
    # the chain order is chosen by cost: (10x2 first) here
    text = str(jaxlite.make_jaxpr(lambda *xs: jnp.linalg.multi_dot(xs))(*mats))
    assert text.count("dot_general") == 2
    with pytest.raises(ValueError, match="at least two"):
        jnp.linalg.multi_dot([arrays[1]])
    with pytest.raises(ValueError, match="2-d"):
        jnp.linalg.multi_dot([arrays[1], np.ones((10, 2, 2))])


# ---- norms and array-API extras ------------------------------------------------------------------

VECTOR_ORDS = [None, 1, 2, 0, np.inf, -np.inf, 3, 0.5, -1]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@SETTINGS
@given(data=st.data(), seed=seeds)
def test_norm(dtype, data, seed):
    rng = np.random.default_rng(seed)
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    x = x.astype(dtype)
    keepdims = data.draw(st.booleans())
    nd = len(shape)
    if nd >= 2 and data.draw(st.booleans()):
        axis = tuple(
            data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=lambda a: a % nd))
        )
        ord_ = data.draw(st.sampled_from(MATRIX_ORDS))
    else:
        axis = data.draw(st.integers(-nd, nd - 1))
        ord_ = data.draw(st.sampled_from(VECTOR_ORDS))
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
    with jaxlite.enable_x64(dtype == np.float64):
        ref = np.linalg.norm(
            x.astype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64), ord_, axis, keepdims
        )
        out = check_both(lambda v: jnp.linalg.norm(v, ord_, axis, keepdims), (x,), ref, tol)
        assert out.dtype == np.dtype(dtype).type(0).real.dtype
    # axis=None flattens for ord=None, whatever the rank
    check_both(
        lambda v: jnp.linalg.norm(v, keepdims=keepdims), (x,), np.linalg.norm(x, keepdims=keepdims), 1e-4
    )


def test_norm_misc():
    assert jnp.linalg.norm(np.arange(6).reshape(2, 3)).dtype == np.float32
    assert float(jnp.linalg.norm(np.zeros((0, 3), np.float32), ord=2, axis=(0, 1))) == 0
    assert float(jnp.linalg.norm(np.zeros((0,), np.float32), ord=np.inf)) == 0
    with pytest.raises(ValueError, match="matrix norm"):
        jnp.linalg.norm(np.ones((2, 2)), ord=3)
    with pytest.raises(ValueError, match="vector norm"):
        jnp.linalg.norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match="improper number of dimensions"):
        jnp.linalg.norm(np.ones((2, 2, 2)), ord=2)
    with pytest.raises(ValueError, match="duplicate"):
        jnp.linalg.norm(np.ones((2, 2)), axis=(0, -2))
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.linalg.norm(np.ones((2, 2)), axis=2)
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    check_both(
        lambda v: jnp.linalg.vector_norm(v, axis=(0, 2), ord=1, keepdims=True),
        (x,),
        np.abs(x).sum((0, 2), keepdims=True),
        1e-6,
    )
    check_both(lambda v: jnp.linalg.vector_norm(v), (x,), np.linalg.norm(x.ravel()), 1e-6)
    check_both(
        lambda v: jnp.linalg.matrix_norm(v, ord=np.inf), (x,), np.linalg.norm(x, np.inf, (-2, -1)), 1e-6
    )


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=4),
    offset=st.integers(-4, 4),
    seed=seeds,
)
def test_trace_diagonal(shape, offset, seed):
    x = np.random.default_rng(seed).integers(-5, 5, shape).astype(np.int32)
    check_both(lambda v: jnp.linalg.diagonal(v, offset=offset), (x,), np.diagonal(x, offset, -2, -1), 0)
    check_both(lambda v: jnp.linalg.trace(v, offset=offset), (x,), np.trace(x, offset, -2, -1), 0)
    assert jnp.linalg.trace(x).dtype == np.int32


def test_cross_outer():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3,)).astype(np.float32)
    check_both(jnp.linalg.cross, (a, b), np.cross(a, b), 1e-5)
    check_both(lambda u, v: jnp.linalg.cross(u, v, axis=0), (a.T, b), np.cross(a.T, b, axis=0), 1e-5)
    check_both(jnp.linalg.outer, (b, b), np.outer(b, b), 1e-6)
    with pytest.raises(ValueError, match="one-dimensional"):
        jnp.linalg.outer(a, b)
    with pytest.raises(ValueError, match="size 3"):
        jnp.linalg.cross(np.ones(2), np.ones(2))


# ---- jaxlite.scipy.linalg -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(
    n=sizes,
    k=st.integers(0, 3),
    seed=seeds,
    lower=st.booleans(),
    trans=st.sampled_from([0, 1, 2, "N", "T", "C"]),
)
def test_scipy_solvers(dtype, n, k, seed, lower, trans):
    rng = np.random.default_rng(seed)
    tol = TOL[dtype] * 10
    with jaxlite.enable_x64(dtype == np.float64):
        a = well_conditioned(rng, (), n, dtype)
        b = rng.standard_normal((n, k) if k else (n,)).astype(dtype)
        tri = np.tril(a) if lower else np.triu(a)
        check_both(
            lambda t, v: jsl.solve_triangular(t, v, trans=trans, lower=lower),
            (tri, b),
            sl.solve_triangular(tri, b, trans=trans, lower=lower),
            tol,
        )
        check_both(
            lambda t, v: jsl.solve_triangular(t, v, lower=lower, unit_diagonal=True),
            (tri, b),
            sl.solve_triangular(tri, b, lower=lower, unit_diagonal=True),
            tol,
            atol=tol * 1e3,
        )
        s = spd(rng, (), n, dtype)
        check_both(
            lambda m, v: jsl.cho_solve(jsl.cho_factor(m, lower=lower), v),
            (s, b),
            sl.cho_solve(sl.cho_factor(s, lower=lower), b),
            tol,
        )
        c, low = jsl.cho_factor(s, lower=lower)
        assert low == lower
        np.testing.assert_allclose(np.asarray(c), sl.cholesky(s, lower=lower), rtol=tol, atol=tol)
        lu_piv = sl.lu_factor(a)
        check_both(lambda m: tuple(jsl.lu_factor(m)), (a,), lu_piv, tol)
        check_both(
            lambda m, v: jsl.lu_solve(jsl.lu_factor(m), v, trans=trans if trans in (0, 1, 2) else 0),
            (a, b),
            sl.lu_solve(lu_piv, b, trans=trans if trans in (0, 1, 2) else 0),
            tol,
        )
        check_both(lambda m, v: jsl.solve(m, v), (a, b), sl.solve(a, b), tol)
        check_both(lambda m, v: jsl.solve(m, v, assume_a="pos"), (s, b), sl.solve(s, b, assume_a="pos"), tol)
        check_both(lambda m: tuple(jsl.lu(m)), (a,), sl.lu(a), tol)
        check_both(jsl.det, (a,), sl.det(a), tol, atol=tol * abs(sl.det(a)))
        check_both(jsl.inv, (a,), sl.inv(a), tol)
        check_both(
            lambda m: jsl.eigh(m, eigvals_only=True), (s,), sl.eigh(s, eigvals_only=True), tol, atol=tol * n
        )


def test_scipy_lu_rectangular():
    a = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    for got, ref in zip(jsl.lu(a), sl.lu(a)):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    pl, u = jsl.lu(a.T, permute_l=True)
    np.testing.assert_allclose(np.asarray(pl) @ np.asarray(u), a.T, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(
    batch=st.sampled_from([(), (2,)]),
    n=st.integers(0, 5),
    scale=st.sampled_from([1e-3, 0.5, 3.0, 20.0]),
    seed=seeds,
)
def test_expm(dtype, batch, n, scale, seed):
    rng = np.random.default_rng(seed)
    with jaxlite.enable_x64(dtype == np.float64):
        a = (rng.standard_normal(batch + (n, n)) * scale / max(n, 1)).astype(dtype)
        ref = (
            loop(lambda m: sl.expm(m.astype(np.float64)), a, batch=batch)
            if batch
            else sl.expm(a.astype(np.float64))
        )
        tol = 1e-4 if dtype == np.float32 else 1e-10
        check_both(jsl.expm, (a,), ref, tol, atol=tol * max(1.0, np.abs(ref).max(initial=0)))


def test_expm_known_values():
    with jaxlite.enable_x64():
        t = 1.3
        rot = np.array([[0, -t], [t, 0]])
        np.testing.assert_allclose(
            jsl.expm(rot), [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], rtol=1e-13
        )
        np.testing.assert_allclose(jsl.expm(np.zeros((3, 3))), np.eye(3))
        big = np.diag([50.0, -50.0])
        np.testing.assert_allclose(jsl.expm(big), np.diag(np.exp([50.0, -50.0])), rtol=1e-12)


def test_linalg_matches_jax_when_available():
    jax = pytest.importorskip("jax")
    import jax.numpy as rjnp

    rng = np.random.default_rng(0)
    a = well_conditioned(rng, (2,), 4, np.float32)
    for name in ["det", "inv", "pinv", "matrix_rank", "eigvalsh", "svdvals", "cond"]:
        x = spd(rng, (2,), 4, np.float32) if name == "eigvalsh" else a
        np.testing.assert_allclose(
            getattr(jnp.linalg, name)(x), getattr(rjnp.linalg, name)(x), rtol=1e-4, atol=1e-5, err_msg=name
        )
    ours, theirs = jnp.linalg.lstsq(a[0], a[1]), rjnp.linalg.lstsq(a[0], a[1])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-3, atol=1e-4)
    del jax
