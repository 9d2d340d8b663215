"""Sorting in jit: jaxlite's native radix sort against NumPy and JAX (when installed).

Run: python -m benchmarks.sort_bench [--sizes 100000 1000000 10000000] [--repeat N] [--json PATH]

Workloads, for each size N and dtype (float32, float64, int32, int16):
  sort      jnp.sort of N elements (1-D)          NumPy: np.sort (its default, unstable
            introsort / SIMD quicksort) and np.sort(kind="stable")
  argsort   jnp.argsort of N elements (stable)     NumPy: np.argsort(kind="stable")
  rows      jnp.sort along the last axis of (N / 1000, 1000) rows (many short rows)
float64 runs with x64 enabled in both jaxlite and JAX. Medians of repeated runs in one process;
the machine is shared and noisy: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from .timing import median_seconds

DTYPES = ("float32", "float64", "int32", "int16")


def _data(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        x = rng.standard_normal(n).astype(dtype)
        x[rng.integers(0, n, max(1, n // 100))] = np.nan  # NaNs and zeros of both signs
        x[rng.integers(0, n, max(1, n // 100))] = -0.0
        return x
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)


def _libs():
    import jaxlite
    import jaxlite.numpy as jnp

    jaxlite.config.update("jax_enable_x64", True)
    libs = {
        "jaxlite": (jaxlite.jit, jnp, jaxlite.device_put, lambda r: r.block_until_ready()),
    }
    try:
        import jax
        import jax.numpy as jjnp

        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_enable_x64", True)
        libs["jax"] = (jax.jit, jjnp, jax.device_put, lambda r: r.block_until_ready())
    except ImportError:
        print("note: jax is not installed; JAX columns skipped")
    return libs


def _workloads(xp):
    return {
        "sort": lambda a: xp.sort(a),
        "argsort": lambda a: xp.argsort(a),
        "rows": lambda a: xp.sort(a.reshape(-1, 1000), axis=-1),
    }


def _numpy_timed(x_np):
    rows = x_np.reshape(-1, 1000)
    return {
        "sort": [("numpy", lambda: np.sort(x_np)), ("numpy stable", lambda: np.sort(x_np, kind="stable"))],
        "argsort": [("numpy stable", lambda: np.argsort(x_np, kind="stable"))],
        "rows": [
            ("numpy", lambda: np.sort(rows, axis=-1)),
            ("numpy stable", lambda: np.sort(rows, axis=-1, kind="stable")),
        ],
    }


def run(sizes=(100_000, 1_000_000, 10_000_000), repeat=7):
    """{f"{workload} {dtype} n={n}": {lib: {"median_ms": ...}}}, checked against NumPy."""
    libs = _libs()
    results = {}
    for n in sizes:
        for dtype in DTYPES:
            x_np = _data(dtype, n)
            refs = {
                "sort": np.sort(x_np, kind="stable"),
                "argsort": np.argsort(x_np, kind="stable"),
                "rows": np.sort(x_np.reshape(-1, 1000), axis=-1, kind="stable"),
            }
            timed = _numpy_timed(x_np)
            for lib, (jit, xp, put, block) in libs.items():
                x = put(x_np)
                for name, f in _workloads(xp).items():
                    g = jit(f)
                    got = np.asarray(block(g(x)))
                    if lib == "jaxlite" and got.tobytes() != refs[name].astype(got.dtype).tobytes():
                        raise AssertionError(f"sort_bench: jaxlite {name} {dtype} n={n} differs from NumPy")
                    timed[name].append((lib, lambda g=g, x=x, block=block: block(g(x))))
            for name, fns in timed.items():
                key = f"{name} {dtype} n={n}"
                for lib, fn in fns:
                    results.setdefault(key, {})[lib] = {"median_ms": median_seconds(fn, repeat, warmup=True) * 1e3}
    return results


def format_table(results):
    libs = ("jaxlite", "numpy", "numpy stable", "jax")
    out = ["| workload | " + " | ".join(libs) + " | jaxlite / NumPy | jaxlite / JAX |", "|---" * 7 + "|"]
    for key, by_lib in results.items():
        ms = {lib: r["median_ms"] for lib, r in by_lib.items()}
        cells = [f"{ms[lib]:.2f} ms" if lib in ms else "-" for lib in libs]
        fastest_np = min(ms[lib] for lib in ("numpy", "numpy stable") if lib in ms)
        vs_np = f"{ms['jaxlite'] / fastest_np:.2f}x"
        vs_jax = f"{ms['jaxlite'] / ms['jax']:.2f}x" if "jax" in ms else "-"
        out.append(f"| {key} | " + " | ".join(cells) + f" | {vs_np} | {vs_jax} |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results = run(tuple(args.sizes), args.repeat)
    print(format_table(results))
    print("(jaxlite / NumPy: against the faster of NumPy's default and stable sorts)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
