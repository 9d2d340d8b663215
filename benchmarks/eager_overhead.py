"""Eager per-op overhead on tiny arrays: jaxlite against NumPy (and JAX, when installed).

Run: python -m benchmarks.eager_overhead [--json PATH]
Each op is timed as the median of several repeats of a timeit loop, in one process, so the
ratios compare like with like on this (shared, noisy) machine.
"""

import argparse
import json
import statistics
import timeit

import numpy as np


def _ops(xp, asarray):
    a = asarray(np.arange(3, dtype=np.float32))
    b = asarray(np.ones(3, dtype=np.float32))
    m = asarray(np.eye(3, dtype=np.float32))
    return {
        "x + y": lambda: a + b,
        "x * 2.0": lambda: a * 2.0,
        "sin(x)": lambda: xp.sin(a),
        "exp(x) * y": lambda: xp.exp(a) * b,
        "x > y": lambda: a > b,
        "maximum(x, 0)": lambda: xp.maximum(a, 0.0),
        "sum(x)": lambda: xp.sum(a),
        "m @ m": lambda: m @ m,
        "x[1]": lambda: a[1],
        "reshape": lambda: xp.reshape(a, (3, 1)),
        "where": lambda: xp.where(a > b, a, b),
    }


def _time(fn, number=2000, repeat=7):
    fn()  # warm caches
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


def run():
    import jaxlite.numpy as jnp

    libs = {"numpy": (np, np.asarray), "jaxlite": (jnp, jnp.asarray)}
    try:
        import jax
        import jax.numpy as jjnp

        jax.config.update("jax_platforms", "cpu")
        libs["jax"] = (jjnp, lambda v: jax.block_until_ready(jjnp.asarray(v)))
    except ImportError:
        print("note: JAX is not installed; its column is skipped")
    results = {}
    for lib, (xp, asarray) in libs.items():
        for name, fn in _ops(xp, asarray).items():
            results.setdefault(name, {})[lib] = _time(fn)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", default="benchmarks/results/eager_overhead.json")
    args = parser.parse_args()
    results = run()
    cols = [c for c in ("numpy", "jaxlite", "jax") if c in next(iter(results.values()))]
    print(f"{'op':16s}" + "".join(f"{c + ' us':>12s}" for c in cols) + f"{'jaxlite/np':>12s}"
          + (f"{'jax/np':>10s}" if "jax" in cols else ""))
    ratios = []
    for name, r in results.items():
        ratio = r["jaxlite"] / r["numpy"]
        ratios.append(ratio)
        line = f"{name:16s}" + "".join(f"{r[c]:12.2f}" for c in cols) + f"{ratio:12.2f}"
        if "jax" in r:
            line += f"{r['jax'] / r['numpy']:10.1f}"
        print(line)
    gmean = float(np.exp(np.mean(np.log(ratios))))
    print(f"geometric mean jaxlite/numpy: {gmean:.2f}x")
    with open(args.json, "w") as f:
        json.dump({"per_op_us": results, "geomean_ratio_jaxlite_numpy": gmean}, f, indent=2)


if __name__ == "__main__":
    main()
