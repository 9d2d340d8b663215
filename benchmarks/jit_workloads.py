"""jit workloads 1, 2 and 7 of the jit issue: jaxlite against NumPy and JAX (when installed).

Run: python -m benchmarks.jit_workloads [--json PATH] [--n N]
  1. arithmetic chain on x, y of N (10M) float32
  2. transcendental chain on the same inputs
  7. dispatch of a jitted `v * 2.0 + 1.0` on a 3-element float32 array, result blocked on
Medians of repeated runs in one process; ratios are jaxlite / JAX and jaxlite / NumPy. Compile
times (first call minus a steady call) are reported separately. The machine is shared and
noisy: compare ratios from one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .timing import median_seconds


def arith(xp):
    def f(x, y):
        x2 = x * x
        return (x * y + 0.5 * x2 - y) / (1 + x2) + 3 * y - x * y * y + 0.25 * x2 * y

    return f


def transcendental(xp):
    def f(x, y):
        x2 = x * x
        return (
            xp.tanh(x) * y + xp.exp(-x2) * 0.5 + xp.sin(y) / (1 + x2) + 0.1 * x * y - xp.sqrt(xp.abs(y) + 1)
        )

    return f


def _libs():
    import jaxlite
    import jaxlite.numpy as jnp
    from jaxlite.jit import jit

    libs = {
        "numpy": {"xp": np, "jit": lambda f: f, "put": np.asarray, "block": lambda r: r},
        "jaxlite": {
            "xp": jnp,
            "jit": jit,
            "put": jaxlite.device_put,
            "block": lambda r: r.block_until_ready(),
        },
    }
    try:
        import jax
        import jax.numpy as jjnp

        jax.config.update("jax_platforms", "cpu")
        libs["jax"] = {
            "xp": jjnp,
            "jit": jax.jit,
            "put": jax.device_put,
            "block": lambda r: r.block_until_ready(),
        }
    except ImportError:
        print("note: JAX is not installed; its column is skipped")
    return libs


def run(n=10_000_000, repeat=15, dispatch_number=2000):
    rng = np.random.RandomState(0)
    x_np = rng.randn(n).astype(np.float32)
    y_np = rng.randn(n).astype(np.float32)
    v_np = np.arange(3, dtype=np.float32)
    results = {}
    for lib, L in _libs().items():
        xp, jit, put, block = L["xp"], L["jit"], L["put"], L["block"]
        x, y, v = put(x_np), put(y_np), put(v_np)
        block(jit(lambda a: a - 1.0)(v))  # one-time start-up (LLVM, XLA) is not a compile time
        for name, make in (("1 arithmetic chain", arith), ("2 transcendental chain", transcendental)):
            f = jit(make(xp))
            t0 = time.perf_counter()
            block(f(x, y))
            first = time.perf_counter() - t0
            steady = median_seconds(lambda f=f, b=block, x=x, y=y: b(f(x, y)), repeat)
            results.setdefault(name, {})[lib] = {
                "median_ms": steady * 1e3,
                "compile_ms": None if lib == "numpy" else max(0.0, first - steady) * 1e3,
            }
        g = jit(lambda v: v * 2.0 + 1.0)
        t0 = time.perf_counter()
        block(g(v))
        first = time.perf_counter() - t0
        steady = median_seconds(lambda g=g, b=block, v=v: b(g(v)), 7, dispatch_number)
        results.setdefault("7 dispatch (3 elements)", {})[lib] = {
            "median_us": steady * 1e6,
            "compile_ms": None if lib == "numpy" else max(0.0, first - steady) * 1e3,
        }
    _check_results(x_np, y_np)
    return results


def _check_results(x_np, y_np):
    """The timed programs must also be right: jaxlite against NumPy on a prefix."""
    import jaxlite.numpy as jnp
    from jaxlite.jit import jit

    xs, ys = x_np[:100_000], y_np[:100_000]
    for make in (arith, transcendental):
        got = np.asarray(jit(make(jnp))(xs, ys))
        np.testing.assert_allclose(got, make(np)(xs, ys), rtol=2e-5, atol=2e-5)


def _table(results):
    lines = []
    for name, by_lib in results.items():
        unit = "median_ms" if "median_ms" in next(iter(by_lib.values())) else "median_us"
        label = "ms" if unit == "median_ms" else "us"
        cells = [f"{lib} {r[unit]:.2f} {label}" for lib, r in by_lib.items()]
        jl = by_lib["jaxlite"][unit]
        ratios = [f"jaxlite/{lib} {jl / r[unit]:.2f}x" for lib, r in by_lib.items() if lib != "jaxlite"]
        compile_ms = ", ".join(
            f"{lib} {r['compile_ms']:.0f} ms" for lib, r in by_lib.items() if lib != "numpy"
        )
        lines.append(f"{name}: " + "; ".join(cells) + " | " + "; ".join(ratios) + f" | compile: {compile_ms}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--n", type=int, default=10_000_000, help="elements per input (default 10M)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    results = run(args.n, args.repeat)
    print(_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
