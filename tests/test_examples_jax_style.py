"""The JAX-style examples (MLP from scratch, DP-SGD, VAE) run short versions of themselves, and,
where JAX is installed, the same source with `import jaxlite as jax` swapped for `import jax`
reaches the same losses from the same initial parameters on the same data."""

import importlib.util
import itertools
import math
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
SWAPS = [
    ("import jaxlite as jax", "import jax"),
    ("import jaxlite.numpy as jnp", "import jax.numpy as jnp"),
    ("from jaxlite.", "from jax."),
]
_counter = itertools.count()


def _load(name, backend="jaxlite"):
    """The example module; with backend='jax', its source with the three import lines swapped."""
    source = (EXAMPLES / f"{name}.py").read_text()
    if backend == "jax":
        for old, new in SWAPS:
            assert old in source or old == "from jaxlite.", (name, old)
            source = source.replace(old, new)
        assert "import jaxlite" not in source and "from jaxlite" not in source
    module_name = f"example_{name}_{backend}_{next(_counter)}"
    spec = importlib.util.spec_from_loader(module_name, loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, str(EXAMPLES / f"{name}.py"), "exec"), module.__dict__)
    return module


def _as_numpy(tree):
    """Parameters as plain NumPy arrays in plain lists/tuples, to feed either library."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(_as_numpy(t) for t in tree)
    return np.array(tree)


# ---- short runs (no JAX needed) ------------------------------------------------------------------
# Thresholds were measured once with jaxlite (values in the comments) and leave a margin.


def test_mlp_from_scratch_learns(capsys):
    results = _load("mlp_from_scratch").main(steps=60)
    out = capsys.readouterr().out
    assert "test set accuracy" in out
    losses = results["losses"]
    assert losses[0] > 2.0  # log(10) at the start
    assert np.mean(losses[-5:]) < 1.9  # measured 1.53
    assert results["test_accuracy"] > 0.6  # measured 0.81


def test_mlp_from_scratch_update_is_plain_sgd():
    mlp = _load("mlp_from_scratch")
    import jaxlite as jax

    (x, y), _ = mlp.load_data()
    params = mlp.init_random_params(0.1, mlp.LAYER_SIZES, np.random.default_rng(1))
    batch = (x[:32], y[:32])
    new = mlp.make_update(0.5)(params, batch)
    grads = jax.grad(mlp.loss)(params, batch)
    for (w, b), (nw, nb), (dw, db) in zip(params, new, grads):
        np.testing.assert_allclose(np.asarray(nw), w - 0.5 * np.asarray(dw), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(nb), b - 0.5 * np.asarray(db), rtol=1e-5, atol=1e-6)


def test_dp_sgd_reports_private_and_plain_accuracy(capsys):
    results = _load("dp_sgd").main(steps=40)
    out = capsys.readouterr().out
    assert "SGD:" in out and "DP-SGD:" in out and "-DP for q=" in out
    for name in ("SGD", "DP-SGD"):
        losses = results[name]["losses"]
        assert losses[0] > 2.0 and np.mean(losses[-5:]) < 1.9  # measured 0.66 (SGD), 1.54 (DP-SGD)
        assert results[name]["test_accuracy"] > 0.55  # measured 0.90, 0.74
    assert 0 < results["epsilon"] < 4  # measured 2.78 after 40 steps (7.66 after the default 600)


def test_dp_sgd_clips_each_example_and_adds_noise_of_the_stated_scale():
    dp = _load("dp_sgd")
    import jaxlite as jax

    (x, y), _ = dp.load_data()
    _, params = dp.init_random_params(jax.random.PRNGKey(0), (-1, 64))
    batch = (x[:16] * 4.0, y[:16])  # scaled inputs: most raw gradients exceed the clip
    clip = 0.5
    clipped = jax.vmap(dp.clipped_grad, in_axes=(None, None, 0))(params, clip, batch)
    norms = np.sqrt(sum(np.sum(np.asarray(g) ** 2, axis=tuple(range(1, g.ndim))) for g in jax.tree_util.tree_leaves(clipped)))
    raw = [jax.grad(dp.loss)(params, (batch[0][i : i + 1], batch[1][i : i + 1])) for i in range(16)]
    raw_norms = np.array([np.sqrt(sum(np.sum(np.asarray(g) ** 2) for g in jax.tree_util.tree_leaves(r))) for r in raw])
    assert (raw_norms > clip).sum() >= 8
    np.testing.assert_allclose(norms, np.minimum(raw_norms, clip), rtol=1e-4)
    # Without noise, the private gradient is the mean of the clipped ones; with noise, the
    # difference has the standard deviation noise_multiplier * clip / batch_size.
    key = jax.random.PRNGKey(3)
    quiet = dp.private_grad(params, batch, key, clip, 0.0)
    for g, q in zip(jax.tree_util.tree_leaves(clipped), jax.tree_util.tree_leaves(quiet)):
        np.testing.assert_allclose(np.asarray(q), np.asarray(g).mean(0), rtol=1e-4, atol=1e-7)
    noisy = dp.private_grad(params, batch, key, clip, 2.0)
    diff = np.concatenate([(np.asarray(n) - np.asarray(q)).ravel() for n, q in zip(jax.tree_util.tree_leaves(noisy), jax.tree_util.tree_leaves(quiet))])
    assert diff.size > 4000
    np.testing.assert_allclose(diff.std(), 2.0 * clip / 16, rtol=0.05)


def test_rdp_accountant_matches_its_definition_by_quadrature():
    """RDP of order a of the subsampled Gaussian is log E_{x~N(0,s^2)}[((1-q) + q e^{(2x-1)/(2s^2)})^a] / (a-1);
    the example sums the binomial expansion of that expectation."""
    from scipy import integrate, stats

    dp = _load("dp_sgd")
    for q, sigma in [(0.0457, 1.1), (0.01, 0.8), (0.2, 2.0)]:
        for order in (2, 3, 5, 8, 16):

            def integrand(x):
                return stats.norm.pdf(x, 0, sigma) * ((1 - q) + q * math.exp((2 * x - 1) / (2 * sigma**2))) ** order

            a, _ = integrate.quad(integrand, -30 * sigma, 30 * sigma, limit=400, epsabs=0, epsrel=1e-12)
            np.testing.assert_allclose(dp.rdp_subsampled_gaussian(q, sigma, order), math.log(a) / (order - 1), rtol=1e-7)
    # Without subsampling it is the Gaussian mechanism's a / (2 sigma^2).
    assert dp.rdp_subsampled_gaussian(1.0, 1.5, 7) == pytest.approx(7 / (2 * 1.5**2))
    eps_few, _ = dp.epsilon(0.05, 1.1, 100, 1e-5)
    eps_many, _ = dp.epsilon(0.05, 1.1, 1000, 1e-5)
    assert 0 < eps_few < eps_many
    with pytest.raises(ValueError, match="rdp_subsampled_gaussian: order"):
        dp.rdp_subsampled_gaussian(0.1, 1.0, 1.5)


def test_vae_elbo_improves(capsys):
    results = _load("vae").main(steps=60)
    out = capsys.readouterr().out
    assert "test ELBO" in out
    assert results["test_elbo_before"] < -40  # measured -54.8
    assert results["test_elbo"] > -37  # measured -27.4
    assert np.mean(results["elbos"][-5:]) > np.mean(results["elbos"][:5]) + 10


# ---- the same programs under JAX ---------------------------------------------------------------


def _both():
    pytest.importorskip("jax")


def test_mlp_from_scratch_matches_jax():
    _both()
    lite, ref = _load("mlp_from_scratch"), _load("mlp_from_scratch", "jax")
    train_data, _ = lite.load_data()
    params = lite.init_random_params(0.1, lite.LAYER_SIZES, np.random.default_rng(0))
    _, losses_lite = lite.train(params, train_data, steps=40)
    _, losses_ref = ref.train(params, train_data, steps=40)
    np.testing.assert_allclose(losses_lite, losses_ref, rtol=1e-4)
    assert losses_lite[-1] < 0.9 * losses_lite[0]  # measured 1.96 from 2.38


@pytest.mark.parametrize("private", [False, True])
def test_dp_sgd_matches_jax(private):
    _both()
    lite, ref = _load("dp_sgd"), _load("dp_sgd", "jax")
    import jaxlite

    train_data, _ = lite.load_data()
    params = _as_numpy(lite.init_random_params(jaxlite.random.PRNGKey(0), (-1, 64))[1])
    _, losses_lite = lite.train(params, train_data, steps=30, private=private)
    _, losses_ref = ref.train(params, train_data, steps=30, private=private)
    np.testing.assert_allclose(losses_lite, losses_ref, rtol=1e-4)
    assert losses_lite[-1] < 0.85 * losses_lite[0]  # measured 0.74 of the start (private), less without noise


def test_vae_matches_jax():
    _both()
    lite, ref = _load("vae"), _load("vae", "jax")
    train_images, _ = lite.load_data()
    params = _as_numpy(lite.init_params(0))
    _, elbos_lite = lite.train(params, train_images, steps=30)
    _, elbos_ref = ref.train(params, train_images, steps=30)
    np.testing.assert_allclose(elbos_lite, elbos_ref, rtol=1e-4)
    assert elbos_lite[-1] > elbos_lite[0] + 5


def test_examples_print_plain_progress_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)  # `from tqdm import tqdm` now fails
    mlp = _load("mlp_from_scratch")
    assert mlp.tqdm is None
    mlp.main(steps=20)
    captured = capsys.readouterr()
    assert "step   10  minibatch loss" in captured.out and "step   20  minibatch loss" in captured.out
    assert "it/s" not in captured.err and "step/s" not in captured.err
