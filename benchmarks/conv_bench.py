"""The 8x8-digits stax CNN of examples/cnn_digits.py: jaxlite's jit against JAX's, per step.

Run: python -m benchmarks.conv_bench [--repeat N] [--json PATH]
  - train step: value_and_grad of the cross-entropy plus optimizers.adam's update, one jit,
    batch 128 (Conv16-Relu-MaxPool-Conv32-Relu-AvgPool-Dense64-Relu-Dense10-LogSoftmax, NHWC)
  - forward pass (predict) on the 397 test images
  - first call (trace + compile, empty compile cache) of the train step
  - jaxlite's conv lowering strategies (compiler/passes/conv.py STRATEGY): "auto" (per output
    position when the window has more taps than the output has positions), "tap" (always per
    tap), "position" (always per output position), "im2col" (one gemm over concatenated taps)
Medians and minima of repeated runs in one process; the machine is shared and noisy, so
compare ratios within one run (the minima are the steadier figure under load). JAX is
optional (skipped with a note when it is not installed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

from .timing import times

BATCH = 128


def _data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    return x[:BATCH], digits.target[:BATCH].astype(np.int32), x[1400:]


def _build(jax, jnp, stax, optimizers):
    init_fun, predict = stax.serial(
        stax.Conv(16, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Conv(32, (3, 3), padding="SAME"), stax.Relu, stax.AvgPool((2, 2), strides=(2, 2)),
        stax.Flatten, stax.Dense(64), stax.Relu, stax.Dense(10), stax.LogSoftmax)
    _, params = init_fun(jax.random.PRNGKey(0), (-1, 8, 8, 1))
    opt_init, opt_update, get_params = optimizers.adam(1e-3)

    def loss(params, x, y):
        return -jnp.mean(jnp.sum(predict(params, x) * jax.nn.one_hot(y, 10), axis=-1))

    @jax.jit
    def step(state, x, y):
        value, grads = jax.value_and_grad(loss)(get_params(state), x, y)
        return value, opt_update(0, grads, state)

    return opt_init(params), step, jax.jit(predict), get_params


def _measure(jax, jnp, stax, optimizers, repeat):
    x, y, x_test = _data()
    state, step, predict, get_params = _build(jax, jnp, stax, optimizers)
    t = time.perf_counter()
    value, _ = step(state, x, y)
    float(value)
    first = time.perf_counter() - t
    params = get_params(state)
    predict(params, x_test).block_until_ready()

    def run_step():
        value, _ = step(state, x, y)
        float(value)

    steps = times(run_step, repeat)
    forwards = times(lambda: predict(params, x_test).block_until_ready(), repeat)
    return {
        "train step ms (median)": 1e3 * statistics.median(steps),
        "(best)": 1e3 * min(steps),
        "forward 397 ms (median)": 1e3 * statistics.median(forwards),
        "(best) ": 1e3 * min(forwards),
        "first call s": first,
    }


def run(repeat=50):
    import jaxlite
    import jaxlite.numpy as jnp
    from compiler.passes import conv as conv_pass
    from jaxlite.example_libraries import optimizers, stax

    results = {}
    for strategy in ("auto", "tap", "position", "im2col"):
        conv_pass.STRATEGY = strategy
        with tempfile.TemporaryDirectory() as cache:
            os.environ["JAXLITE_CACHE_DIR"] = cache
            results[f"jaxlite ({strategy})"] = _measure(jaxlite, jnp, stax, optimizers, repeat)
    conv_pass.STRATEGY = "auto"
    try:
        import jax
        import jax.numpy as jjnp
        from jax.example_libraries import optimizers as joptimizers
        from jax.example_libraries import stax as jstax
    except ImportError:
        results["jax"] = "not installed"
    else:
        results["jax"] = _measure(jax, jjnp, jstax, joptimizers, repeat)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = run(args.repeat)
    for name, figures in results.items():
        if isinstance(figures, str):
            print(f"{name:20s} {figures}")
            continue
        print(f"{name:20s} " + "  ".join(f"{k} {v:8.3f}" for k, v in figures.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
