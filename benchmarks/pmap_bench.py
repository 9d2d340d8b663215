"""pmap on CPU devices: data-parallel MLP training steps/s on 1 and 2 devices, and the cost of a
psum of 1M float32 between 2 devices, jaxlite side by side with JAX (forced host devices).

Run: python -m benchmarks.pmap_bench [--json PATH] [--repeat N]
Each (library, device count) runs in its own subprocess, since both libraries fix the device
count at first use. Timings are medians of `repeat` runs; the machine is shared and noisy, so
compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

from .timing import median_seconds

SIZES = [64, 256, 256, 10]
GLOBAL_BATCH = 1024  # 2048 rows hit a jit slowdown of its own (see the pmap report)
PSUM_ELEMENTS = 1 << 20


def worker(lib, n, repeat):
    """Measure one library on n devices (runs in a fresh process)."""
    if lib == "jax":
        import jax
        from jax import lax

        jax.config.update("jax_platforms", "cpu")
    else:
        import jaxlite as jax
        from jaxlite import lax

        jax.config.update("jax_num_cpu_devices", n)
    jnp = jax.numpy
    assert jax.local_device_count() >= n, f"{lib}: only {jax.local_device_count()} devices"
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((a, b)).astype(np.float32) * np.sqrt(2 / a), np.zeros(b, np.float32))
              for a, b in zip(SIZES[:-1], SIZES[1:], strict=False)]

    def loss(params, x, y):
        for w, b in params[:-1]:
            x = jnp.tanh(x @ w + b)
        w, b = params[-1]
        logits = x @ w + b
        return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))

    def step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        grads = lax.pmean(grads, "batch")
        return jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads), lax.pmean(value, "batch")

    train = jax.pmap(step, "batch")
    x = rng.standard_normal((n, GLOBAL_BATCH // n, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], (n, GLOBAL_BATCH // n))]
    rep = jax.tree_util.tree_map(lambda a: np.broadcast_to(a, (n, *a.shape)), params)
    x, y = jax.pmap(lambda a: a)(x), jax.pmap(lambda a: a)(y)  # already on the devices
    state = {"p": jax.pmap(lambda p: p)(rep)}

    def run_step():
        state["p"], value = train(state["p"], x, y)
        value.block_until_ready()

    step_s = median_seconds(run_step, repeat, number=5, warmup=True)

    big = jax.pmap(lambda a: a)(rng.standard_normal((n, PSUM_ELEMENTS)).astype(np.float32))
    psum = jax.pmap(lambda a: lax.psum(a, "i"), "i")
    scale = jax.pmap(lambda a: a * 2.0, "i")  # same data in and out, no communication
    psum_s = median_seconds(lambda: psum(big).block_until_ready(), repeat, number=5, warmup=True)
    scale_s = median_seconds(lambda: scale(big).block_until_ready(), repeat, number=5, warmup=True)
    return {"train_steps_per_s": 1 / step_s, "psum_1M_ms": psum_s * 1e3, "scale_1M_ms": scale_s * 1e3,
            "psum_overhead_ms": (psum_s - scale_s) * 1e3}


def _spawn(lib, n, repeat):
    env = dict(os.environ)
    if lib == "jax":
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n}"
        env["JAX_PLATFORMS"] = "cpu"
    env.setdefault("JAXLITE_CACHE_DIR", "/tmp/cache-pmap-bench")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "benchmarks.pmap_bench", "--worker", lib, str(n), "--repeat", str(repeat)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=root)
    if out.returncode != 0:
        raise RuntimeError(f"pmap_bench worker {lib} on {n} devices failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(repeat=7):
    libs = ["jaxlite"]
    try:
        import importlib.util

        if importlib.util.find_spec("jax") is not None:
            libs.append("jax")
        else:
            print("note: JAX is not installed; its column is skipped")
    except ImportError:
        pass
    results = {}
    for n in (1, 2):
        for lib in libs:
            results.setdefault(f"{n} device(s)", {})[lib] = _spawn(lib, n, repeat)
    return results


def format_table(results):
    lines = ["| devices | library | MLP train steps/s | psum 1M f32 (ms) | x*2 1M f32 (ms) | psum overhead (ms) |",
             "|---|---|---|---|---|---|"]
    for devs, by_lib in results.items():
        for lib, r in by_lib.items():
            lines.append(f"| {devs} | {lib} | {r['train_steps_per_s']:.1f} | {r['psum_1M_ms']:.2f} | "
                         f"{r['scale_1M_ms']:.2f} | {r['psum_overhead_ms']:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), args.repeat)))
        return
    results = run(args.repeat)
    print(format_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
