"""jaxlite.scipy.stats against scipy.stats (valid parameters) and JAX (every edge case: outside
the support, invalid parameters, infinities and nans), grad checks in float64, vmap and jit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as sst

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.scipy import special as jsp
from jaxlite.scipy import stats
from jaxlite.test_util import check_grads

X = np.array([-np.inf, -3.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.5, 12.0, np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-6, 0.02, 0.3, 0.5, 0.9, 1 - 1e-6, 1.0, 1.1, np.nan])
K = np.array([-1.0, 0.0, 1.0, 1.5, 2.0, 5.0, 30.0])
POS = np.array([0.4, 1.0, 3.5])  # valid shape/scale parameters
BAD = np.array([-1.0, 0.0])  # invalid ones (JAX's answers are the spec)

# name -> (function names, argument grids (first is the evaluation point), scipy counterpart)
CONTINUOUS = {
    "norm": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], [X, [-1.0, 0.5], POS], sst.norm),
    "cauchy": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], [X, [-1.0, 0.5], POS], sst.cauchy),
    "logistic": (["logpdf", "pdf", "cdf", "sf"], [X, [-1.0, 0.5], POS], sst.logistic),
    "laplace": (["logpdf", "pdf", "cdf"], [X, [-1.0, 0.5], POS], sst.laplace),
    "expon": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], [X, [-1.0, 0.5], POS], sst.expon),
    "uniform": (["logpdf", "pdf", "cdf"], [X, [-1.0, 0.5], POS], sst.uniform),
    "t": (["logpdf", "pdf"], [X, [0.7, 3.0, 30.0], [-1.0, 0.5], POS], sst.t),
    "gamma": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], [X, POS, [0.0, 0.5], POS], sst.gamma),
    "beta": (
        ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"],
        [np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.9, 1.0, 1.5, np.nan]), POS, [0.6, 5.0], [0.0, 0.2], [1.0, 1.5]],
        sst.beta,
    ),
}
QUANTILES = {
    "norm": (["ppf", "isf"], [Q, [-1.0, 0.5], POS], sst.norm),
    "cauchy": (["ppf", "isf"], [Q[3:8], [-1.0, 0.5], POS], sst.cauchy),  # JAX has no guards at 0, 1
    "logistic": (["ppf", "isf"], [Q, [-1.0, 0.5], POS], sst.logistic),
    "expon": (["ppf"], [Q, [-1.0, 0.5], POS], sst.expon),
    "uniform": (["ppf"], [Q, [-1.0, 0.5], POS], sst.uniform),
}
DISCRETE = {
    "poisson": (["logpmf", "pmf", "cdf"], [K, [0.5, 4.0, 25.0], [0.0, 1.0]], sst.poisson),
    "bernoulli": (["logpmf", "pmf"], [np.array([-1.0, 0.0, 1.0, 2.0]), [0.0, 0.3, 1.0], [0.0, 1.0]], sst.bernoulli),
}


def grid(axes):
    """Broadcastable arrays whose product spans every combination of the axes' values."""
    n = len(axes)
    return [np.asarray(a, np.float64).reshape([-1 if i == j else 1 for j in range(n)]) for i, a in enumerate(axes)]


def _cases(table):
    for dist, (fns, axes, ref) in table.items():
        for fn in fns:
            yield pytest.param(dist, fn, axes, ref, id=f"{dist}.{fn}")


ALL = list(_cases(CONTINUOUS)) + list(_cases(QUANTILES)) + list(_cases(DISCRETE))


@pytest.fixture(autouse=True)
def x64():
    with jaxlite.enable_x64():
        yield


@pytest.mark.parametrize("dist,fn,axes,ref", ALL)
def test_matches_scipy(dist, fn, axes, ref):
    # A nan evaluation point is left to the JAX comparison: JAX and scipy differ there.
    args = grid([axes[0][~np.isnan(axes[0])]] + axes[1:])
    got = np.asarray(getattr(getattr(stats, dist), fn)(*args))
    if dist == "bernoulli":  # scipy's bernoulli takes no loc in cdf/ppf; logpmf/pmf do
        want = getattr(ref, fn)(args[0], args[1], loc=args[2])
    else:
        want = getattr(ref, fn)(*args)
    assert got.shape == np.broadcast(*args).shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-12, equal_nan=True, err_msg=f"{dist}.{fn}")


# JAX takes seconds to compile its incomplete gamma and beta functions: those comparisons are slow.
SLOW_IN_JAX = {f"{d}.{f}" for d in ("gamma", "beta") for f in ("cdf", "logcdf", "sf", "logsf")} | {"poisson.cdf"}
INVALID = [
    pytest.param(d, fn, axes, id=f"{d}.{fn}", marks=[pytest.mark.slow] if f"{d}.{fn}" in SLOW_IN_JAX else [])
    for d, (fns, axes, _) in itertools.chain(CONTINUOUS.items(), QUANTILES.items(), DISCRETE.items())
    for fn in fns
]


@pytest.mark.parametrize("dist,fn,axes", INVALID)
def test_edge_cases_match_jax(dist, fn, axes):
    jax = pytest.importorskip("jax")
    jstats = pytest.importorskip("jax.scipy.stats")
    # Every parameter also takes invalid values (<= 0 for shapes and scales, p outside [0, 1]).
    axes = [axes[0]] + [np.concatenate([a, BAD, [np.nan]]) for a in axes[1:]]
    if dist == "gamma" and fn in ("cdf", "logcdf", "sf", "logsf"):
        # shape a = 0: JAX answers nan for z < 1 and 1 above; we answer nan throughout (scipy)
        axes[1] = axes[1][axes[1] != 0]
    args = grid(axes)
    got = np.asarray(getattr(getattr(stats, dist), fn)(*args))
    with jax.enable_x64(True):
        f = getattr(getattr(jstats, dist), fn)
        # jit: one compile rather than one per op (XLA's fused cauchy.logcdf gives nan at -inf, where
        # JAX's eager answer and scipy's are -inf: compared eagerly)
        want = np.asarray((f if dist == "cauchy" and fn.startswith("log") else jax.jit(f))(*args))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12, equal_nan=True, err_msg=f"{dist}.{fn}")


def test_bernoulli_cdf_ppf_against_jax_and_scipy():
    k = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])[:, None]
    p = np.array([0.0, 0.3, 1.0, 1.5, np.nan])[None, :]
    q = np.array([0.0, 0.5, 0.7, 1.0, 1.2])[:, None]
    valid = slice(0, 3)
    np.testing.assert_allclose(stats.bernoulli.cdf(k, p)[:, valid], sst.bernoulli.cdf(k, p[:, valid]))
    # scipy answers -1 at q = 0 (below the support); JAX and jaxlite answer 0 there
    np.testing.assert_allclose(stats.bernoulli.ppf(q, p)[1:3, valid], sst.bernoulli.ppf(q[1:3], p[:, valid]))
    np.testing.assert_array_equal(stats.bernoulli.ppf(q, p)[[0, 3], 1], [0, 1])
    assert np.isnan(np.asarray(stats.bernoulli.cdf(k, p))[:, 3:]).all()
    assert np.isnan(np.asarray(stats.bernoulli.ppf(q, p))[-1]).all()


def test_multivariate_normal():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    mean = rng.standard_normal(3)
    x = rng.standard_normal((5, 3))
    mvn = stats.multivariate_normal
    np.testing.assert_allclose(mvn.logpdf(x, mean, cov), sst.multivariate_normal.logpdf(x, mean, cov), rtol=1e-10)
    np.testing.assert_allclose(mvn.pdf(x[0], mean, cov), sst.multivariate_normal.pdf(x[0], mean, cov), rtol=1e-10)
    np.testing.assert_allclose(mvn.logpdf(x, mean, 2.0), sst.multivariate_normal.logpdf(x, mean, 2.0), rtol=1e-10)
    np.testing.assert_allclose(mvn.logpdf(0.3, 0.1, 2.0), sst.norm.logpdf(0.3, 0.1, np.sqrt(2.0)), rtol=1e-10)
    covs = np.stack([cov, 2 * cov])  # batched covariances broadcast against x
    want = [sst.multivariate_normal.logpdf(x[1], mean, c) for c in covs]
    np.testing.assert_allclose(mvn.logpdf(x[1], mean, covs), want, rtol=1e-10)
    with pytest.raises(ValueError, match="incompatible shapes"):
        mvn.logpdf(x, mean, np.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        mvn.logpdf(x, mean, cov, allow_singular=True)


def test_dirichlet():
    alpha = np.array([0.7, 2.0, 3.5])
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])  # components along axis 0
    want = [sst.dirichlet.logpdf(x[:, i], alpha) for i in range(2)]
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, alpha), want, rtol=1e-10)
    np.testing.assert_allclose(stats.dirichlet.logpdf(x[:2], alpha), want, rtol=1e-10)  # last implied
    np.testing.assert_allclose(stats.dirichlet.pdf(x[:, 0], alpha), np.exp(want[0]), rtol=1e-10)
    assert np.asarray(stats.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)) == -np.inf  # off the simplex
    with pytest.raises(ValueError, match="one-dimensional"):
        stats.dirichlet.logpdf(x, alpha[None])
    with pytest.raises(ValueError, match="one entry fewer"):
        stats.dirichlet.logpdf(x[:1], alpha)


def test_poisson_entropy():
    mu = np.array([0.0, 0.3, 2.0, 9.5, 40.0, 99.0, 150.0])
    np.testing.assert_allclose(stats.poisson.entropy(mu), sst.poisson.entropy(mu), rtol=1e-6)
    # scipy's sum does not converge for large mu: sum the pmf directly around the mean
    for m in (1e3, 1e4):
        k = np.arange(int(m - 20 * np.sqrt(m)), int(m + 20 * np.sqrt(m)))
        logp = sst.poisson.logpmf(k, m)
        np.testing.assert_allclose(stats.poisson.entropy(m), -np.sum(np.exp(logp) * logp), rtol=1e-10)


def test_incomplete_gamma_and_beta_match_scipy():
    a = np.array([1e-2, 0.5, 1.0, 2.5, 10.0, 60.0, 400.0])[:, None]
    x = np.array([0.0, 1e-3, 0.3, 1.0, 2.0, 9.0, 11.0, 60.0, 500.0, np.inf])
    np.testing.assert_allclose(jsp.gammainc(a, x), sps.gammainc(a, x), rtol=1e-10, atol=1e-14)
    q = sps.gammaincc(a, x)
    np.testing.assert_allclose(jsp.gammaincc(a, x), q, rtol=1e-9, atol=1e-300)
    aa = np.array([0.3, 1.0, 5.0, 100.0])[:, None, None]
    b = np.array([0.2, 1.0, 3.0, 40.0])[:, None]
    xx = np.array([0.0, 1e-4, 0.2, 0.5, 0.9, 0.999, 1.0])
    np.testing.assert_allclose(jsp.betainc(aa, b, xx), sps.betainc(aa, b, xx), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(
    "f,args",
    [
        (lambda x, s: stats.norm.logcdf(x, 0.3, s), (-1.3, 1.7)),
        (lambda x, a: stats.gamma.cdf(x, a), (1.7, 2.5)),
        (lambda x, a: stats.beta.cdf(x, a, 2.0), (0.35, 1.5)),
        (lambda x, df: stats.t.logpdf(x, df), (0.7, 4.0)),
        (lambda x, mu: stats.poisson.cdf(3.0, mu) + x, (0.2, 2.5)),
        (lambda x, s: stats.expon.logcdf(x, 0.1, s), (0.9, 1.5)),
    ],
)
def test_grads(f, args):
    check_grads(f, args, order=1, modes=("fwd", "rev"), rtol=1e-5, atol=1e-7)


def test_vmap_and_jit_agree_with_eager():
    x = np.linspace(-2, 4, 12).reshape(3, 4)
    a = np.array([0.5, 2.0, 7.0])
    eager = stats.gamma.cdf(x, a[:, None])
    np.testing.assert_allclose(jaxlite.jit(stats.gamma.cdf)(x, a[:, None]), eager, rtol=1e-12)
    np.testing.assert_allclose(jaxlite.vmap(stats.gamma.cdf)(x, a), eager, rtol=1e-12)
    f = lambda x, s: stats.norm.logpdf(x, 0.0, s) + stats.beta.logpdf(x / 5 + 0.5, 2.0, 3.0)  # noqa: E731
    np.testing.assert_allclose(jaxlite.jit(jaxlite.vmap(f))(x, a), f(x, a[:, None]), rtol=1e-12)


def test_float32_and_errors():
    with jaxlite.enable_x64(False):
        out = stats.norm.logpdf(np.float32(0.5))
        assert out.dtype == np.float32
        assert stats.gamma.cdf(2, 3).dtype == np.float32  # integers promote to the default float
    with pytest.raises(TypeError, match="norm.logpdf"):
        stats.norm.logpdf([0.5, 1.0])
    assert jnp.isnan(stats.beta.logpdf(0.5, -1.0, 2.0))
