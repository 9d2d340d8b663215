"""The examples run end to end (with fewer steps than their defaults) and recover the parameters
they fit."""

import importlib.util
import os
import pathlib
import re
import resource
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mass_spring_recovers_spring_constants(capsys):
    k_fit, k_true = _load("mass_spring").main(steps=200, iters=150)
    assert "fitted k" in capsys.readouterr().out
    np.testing.assert_allclose(k_fit, k_true, rtol=0.02)


def test_mass_spring_gradients_match_finite_differences():
    import jaxlite
    import jaxlite.numpy as jnp
    from jaxlite.ad_api import grad
    ms = _load("mass_spring")
    with jaxlite.enable_x64():
        x0, v0 = jnp.array([0.3, -0.2, 0.1]), jnp.array([0.0, 0.1, 0.0])
        k, target = jnp.array([1.0, 2.0, 1.5]), jnp.zeros(3)
        gk = np.asarray(grad(ms.final_state_loss, argnums=2)(x0, v0, k, 50, target))
        eps, fd = 1e-6, []
        for i in range(3):
            e = np.eye(3)[i] * eps
            fd.append((float(ms.final_state_loss(x0, v0, k + e, 50, target))
                       - float(ms.final_state_loss(x0, v0, k - e, 50, target))) / (2 * eps))
        np.testing.assert_allclose(gk, fd, rtol=1e-5, atol=1e-9)


def test_ode_fit_recovers_lotka_volterra_parameters(capsys):
    fitted, true = _load("ode_fit").main(iters=40)
    assert "fitted" in capsys.readouterr().out
    np.testing.assert_allclose(fitted, true, rtol=0.08)


# ---- the README's example commands, as a user runs them ------------------------------------------

ROOT = EXAMPLES.parent
README_COMMANDS = re.findall(r"^python (examples/\w+\.py)\b", (ROOT / "README.md").read_text(), flags=re.M)
BUDGET_CPU_S = 60  # "under a minute on 2 cores"; CPU time, so a machine shared with others does not fail it
FAST = {"examples/train_mlp.py", "examples/mlp_from_scratch.py"}  # the others take > 20 s on a loaded machine


def test_readme_lists_every_example():
    on_disk = {f"examples/{p.name}" for p in EXAMPLES.glob("*.py")}
    assert on_disk == set(README_COMMANDS), "add a `python examples/<name>.py` line to the README's Examples"


@pytest.mark.parametrize(
    "script", [pytest.param(s, marks=() if s in FAST else pytest.mark.slow) for s in README_COMMANDS]
)
def test_readme_example_command_runs_within_budget(script, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAXLITE_")}
    env["PYTHONPATH"] = str(ROOT)
    env["JAXLITE_CACHE_DIR"] = str(tmp_path / "cache")  # a clean machine: nothing compiled yet
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "the example printed nothing"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < BUDGET_CPU_S, f"{script} took {cpu:.1f} s of CPU time, over its {BUDGET_CPU_S} s budget"
