"""jnp.linalg and jax.scipy.linalg under jit: LAPACK calls in the native program (no interpreter
callback), equal to the eager results; gradients and vmap of them compiled too."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from jaxlite import lax


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


rng = np.random.default_rng(0)
A = rng.standard_normal((4, 4)).astype(np.float32)
SPD = (A @ A.T + 4 * np.eye(4)).astype(np.float32)
B = rng.standard_normal((4, 3)).astype(np.float32)
TALL = rng.standard_normal((5, 3)).astype(np.float32)
BATCH = rng.standard_normal((3, 4, 4)).astype(np.float32)


CASES = {
    "cholesky": (jnp.linalg.cholesky, (SPD,)),
    "solve": (jnp.linalg.solve, (A, B)),
    "inv": (jnp.linalg.inv, (A,)),
    "det": (jnp.linalg.det, (A,)),
    "slogdet": (lambda a: jnp.linalg.slogdet(a)[1], (A,)),
    "qr": (lambda a: jnp.linalg.qr(a), (TALL,)),
    "eigvalsh": (jnp.linalg.eigvalsh, (SPD,)),
    "eigh_abs": (lambda a: jnp.abs(jnp.linalg.eigh(a)[1]), (SPD,)),
    "svdvals": (lambda a: jnp.linalg.svd(a, compute_uv=False), (TALL,)),
    "svd_rec": (lambda a: (lambda u, s, vt: (u * s) @ vt)(*jnp.linalg.svd(a, full_matrices=False)), (TALL,)),
    "cho_solve": (lambda a, b: jsl.cho_solve(jsl.cho_factor(a, lower=True), b), (SPD, B)),
    "solve_triangular": (lambda a, b: jsl.solve_triangular(a, b, lower=True, trans=1), (SPD, B)),
    "lu": (lambda a: jsl.lu(a), (A,)),
    "lu_factor": (lambda a: jsl.lu_factor(a), (A,)),
    "lu_solve": (lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b), (A, B)),
    "batched_inv": (jnp.linalg.inv, (BATCH,)),
    "batched_lu": (lambda a: lax.linalg.lu(a), (BATCH,)),
}


def _callbacks(f, *args):
    return jax.jit(f).lower(*args).compile().report()


@pytest.mark.parametrize("name", sorted(CASES))
def test_jit_equals_eager_without_callbacks(name):
    f, args = CASES[name]
    report = _callbacks(f, *args)
    assert "INTERPRETER CALLBACK" not in report, report
    assert "LAPACK" in report, report
    got, want = jax.jit(f)(*args), f(*args)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-4, atol=2e-4)


def test_cholesky_of_a_non_pd_matrix_is_nan_under_jit():
    got = jax.jit(lax.linalg.cholesky)(-SPD)
    assert np.isnan(np.asarray(got)).all()


GRAD_CASES = {
    "logdet_chol": lambda a: jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(a @ a.T + 4 * jnp.eye(4))))),
    "solve": lambda a: jnp.sum(jnp.linalg.solve(a, jnp.ones((4, 2))) ** 2),
    "slogdet": lambda a: jnp.linalg.slogdet(a)[1],
    "eigvalsh": lambda a: jnp.sum(jnp.linalg.eigvalsh(a + a.T) ** 3),
    "svdvals": lambda a: jnp.sum(jnp.linalg.svd(a, compute_uv=False)),
    "qr": lambda a: jnp.sum(jnp.linalg.qr(a)[1] ** 2),
    "triangular": lambda a: jnp.sum(jsl.solve_triangular(a + 4 * jnp.eye(4), jnp.ones((4,)), lower=True)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_under_jit_equals_eager(name):
    f = GRAD_CASES[name]
    report = _callbacks(jax.grad(f), A)
    assert "INTERPRETER CALLBACK" not in report, report
    np.testing.assert_allclose(np.asarray(jax.jit(jax.grad(f))(A)), np.asarray(jax.grad(f)(A)), rtol=1e-3, atol=1e-4)


def test_vmap_of_linalg_under_jit():
    f = jax.vmap(lambda a: jnp.linalg.solve(a + 4 * jnp.eye(4), jnp.arange(4.0)))
    got = jax.jit(f)(BATCH)
    want = np.stack([np.linalg.solve(x + 4 * np.eye(4), np.arange(4.0)) for x in BATCH])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-5)


def test_float64_under_x64():
    with jax.enable_x64():
        a = SPD.astype(np.float64)
        report = _callbacks(jnp.linalg.cholesky, a)
        assert "dpotrf" in report
        np.testing.assert_allclose(np.asarray(jax.jit(jnp.linalg.cholesky)(a)), np.linalg.cholesky(a), rtol=1e-12)


def test_linalg_and_sort_inside_a_native_loop():
    def body(carry, a):
        m = a @ a.T + 4 * jnp.eye(4)
        x = jnp.linalg.solve(m, carry)
        return jnp.sort(x), jnp.linalg.cholesky(m)[0, 0]

    f = lambda c, xs: lax.scan(body, c, xs)  # noqa: E731
    report = _callbacks(f, np.ones(4, np.float32), BATCH)
    assert "INTERPRETER CALLBACK" not in report, report
    got, want = jax.jit(f)(np.ones(4, np.float32), BATCH), f(np.ones(4, np.float32), BATCH)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-5)
