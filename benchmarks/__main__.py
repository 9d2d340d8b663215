"""Run every benchmark in one process: `python -m benchmarks [--repeat N] [--quick] [--out DIR]`.

- jit workloads 1-7 of the jit issue (benchmarks.jit_workloads: 1, 2, 7; benchmarks.jit_models:
  3-6), side by side with NumPy and JAX (skipped with a note when not installed; Numba is not
  measured: it has no array-level jit for these NumPy programs without rewriting them as loops);
- the simulators 8-9 of the control-flow issue (benchmarks.simulators: a heat equation and an
  n-body system stepped with scan, forward and grad), with JAX and Numba (plain loops, forward);
- eager per-op overhead (benchmarks.eager_overhead) and eager per-example gradients
  (benchmarks.per_example_grads);
- pmap: data-parallel MLP steps/s and a 1M-element psum on 1 and 2 CPU devices, beside JAX
  (benchmarks.pmap_bench);
- sorting in jit (jnp.sort, argsort, rows of 2-D) beside NumPy and JAX (benchmarks.sort_bench).

Writes <out>/all.json (every figure, with the machine and the date) and <out>/jit_ratios.png
(jaxlite / JAX per workload, with the issue's goals; needs matplotlib, the `bench` extra) and
prints the table. Default out: benchmarks/results.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform

# The goals as jaxlite / JAX time ratios.
GOALS = {
    "1 arithmetic chain": 0.5,
    "2 transcendental chain": 0.5,
    "3 softmax 4096x4096": 0.7,
    "3 logsumexp 4096x4096": 0.7,
    "4 MLP train step": 1.0,
    "5 per-example grads": 0.35,
    "6 compile train_step": 0.5,
    "6 compile per_example": 0.5,
    "7 dispatch (3 elements)": 1.0,
    "8 heat 1D forward": 1.0,  # the control-flow issue's simulators (benchmarks.simulators)
    "8 heat 1D grad": 1.0,
    "9 n-body forward": 0.5,
    "9 n-body grad": 0.5,
}
WARM_GOAL = 0.1


def _value(r):
    return r["median_ms"] if "median_ms" in r else r["median_us"] / 1e3


def jit_rows(workloads, models, simulators=None):
    """[(name, {lib: ms}, ratio to JAX or None, goal)] in workload order."""
    rows = []
    merged = {**workloads, **models, **(simulators or {})}
    for name in sorted(merged, key=lambda n: (n[0], n)):
        by_lib = {lib: _value(r) for lib, r in merged[name].items()}
        ratio = by_lib["jaxlite"] / by_lib["jax"] if "jax" in by_lib and by_lib["jax"] else None
        rows.append((name, by_lib, ratio, GOALS.get(name)))
        if "jaxlite warm cache" in by_lib and "jax" in by_lib:
            rows.append(
                (
                    name + " (warm cache)",
                    {"jaxlite": by_lib["jaxlite warm cache"], "jax": by_lib["jax"]},
                    by_lib["jaxlite warm cache"] / by_lib["jax"],
                    WARM_GOAL,
                )
            )
    return rows


def format_table(rows):
    out = [
        "| workload | jaxlite | JAX | NumPy | Numba | jaxlite / JAX | goal | met |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(by_lib, lib, us):
        if lib not in by_lib:
            return "-"
        return f"{by_lib[lib] * 1e3:.2f} us" if us else f"{by_lib[lib]:.2f} ms"

    for name, by_lib, ratio, goal in rows:
        us = name.startswith("7")
        r = f"{ratio:.2f}x" if ratio is not None else "-"
        g = f"<= {goal}x" if goal is not None else "-"
        met = "-" if ratio is None or goal is None else ("yes" if ratio <= goal else "no")
        libs = " | ".join(cell(by_lib, lib, us) for lib in ("jaxlite", "jax", "numpy", "numba"))
        out.append(f"| {name} | {libs} | {r} | {g} | {met} |")
    return "\n".join(out)


def plot(rows, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib is not installed (pip install jaxlite[bench]); no plot written")
        return None
    rows = [r for r in rows if r[2] is not None]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.5))
    names = [r[0] for r in rows]
    ratios = [r[2] for r in rows]
    colors = ["tab:green" if r[3] is None or r[2] <= r[3] else "tab:red" for r in rows]
    ax.barh(names, ratios, color=colors)
    for i, r in enumerate(rows):
        if r[3] is not None:
            ax.plot([r[3], r[3]], [i - 0.4, i + 0.4], color="black", lw=2)
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("jaxlite time / JAX time (log scale; black tick: the issue's goal; < 1 is faster)")
    ax.set_title("jaxlite jit on the CPU against JAX, one run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip the eager benchmarks")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    args = parser.parse_args()
    repeat = 5 if args.quick else args.repeat
    os.makedirs(args.out, exist_ok=True)

    from . import eager_overhead, jit_models, jit_workloads, per_example_grads, simulators

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }
    print("running jit workloads 1, 2, 7 ...", flush=True)
    results["jit_workloads"] = jit_workloads.run(repeat=repeat)
    print("running jit workloads 3-6 ...", flush=True)
    results["jit_models"] = jit_models.run(repeat=repeat)
    print("running simulators 8-9 (scan) ...", flush=True)
    results["simulators"] = simulators.run(repeat=repeat)
    if not args.quick:
        print("running eager benchmarks ...", flush=True)
        results["eager_overhead"] = eager_overhead.run()
        results["per_example_grads_eager"] = per_example_grads.run(64, 5)
        print("running pmap benchmarks ...", flush=True)
        from . import pmap_bench

        results["pmap"] = pmap_bench.run(repeat=repeat)
        print(pmap_bench.format_table(results["pmap"]))
    print("running sort benchmarks ...", flush=True)
    from . import sort_bench

    sizes = (100_000, 1_000_000) if args.quick else (100_000, 1_000_000, 10_000_000)
    results["sort"] = sort_bench.run(sizes=sizes, repeat=repeat)
    print(sort_bench.format_table(results["sort"]))
    rows = jit_rows(results["jit_workloads"], results["jit_models"], results["simulators"])
    results["jit_table"] = [
        {"workload": n, "ms": by_lib, "ratio_to_jax": r, "goal": g} for n, by_lib, r, g in rows
    ]
    with open(os.path.join(args.out, "all.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    png = plot(rows, os.path.join(args.out, "jit_ratios.png"))
    print()
    print(format_table(rows))
    warm = results["jit_models"].get("6 compile per_example", {}).get("jaxlite warm cache", {})
    if "fresh_output_pages_ms" in warm:
        print(
            f"(6 per_example, warm cache: of its {warm['median_ms']:.1f} ms, the first call faults in its "
            f"outputs' fresh pages, which steady calls reuse; that alone takes "
            f"{warm['fresh_output_pages_ms']:.1f} ms on one thread here)"
        )
    print(f"\nwrote {os.path.join(args.out, 'all.json')}" + (f" and {png}" if png else ""))


if __name__ == "__main__":
    main()
