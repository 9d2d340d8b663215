"""jit workloads 3-6 of the jit issue: jaxlite against NumPy and JAX (when installed).

Run: python -m benchmarks.jit_models [--json PATH] [--repeat N]
  3. row softmax (nn.softmax) and row logsumexp (scipy.special.logsumexp) of 4096x4096 float32
  4. MLP 784-512-512-10 tanh train step, batch 128: value_and_grad of the mean cross-entropy
     and the SGD update in one jit
  5. per-example gradients of that MLP: jit(vmap(grad(loss), in_axes=(None, 0, 0))), batch 128
     (NumPy: the hand-vectorised einsum backward pass)
  6. compile time (first call minus a steady call) of 4 and 5, with an empty compile cache, and
     with a warm persistent cache in a second process (the child run of this module)
Medians of repeated runs in one process, jaxlite and JAX taking turns (timing.interleaved_medians);
the machine is shared and noisy, so compare ratios from one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import mmap
import subprocess
import sys
import tempfile
import time

import numpy as np

from .timing import interleaved_medians, median_seconds

SIZES = (784, 512, 512, 10)
BATCH = 128


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    params = [
        (rng.standard_normal((m, n)).astype(np.float32) / np.float32(np.sqrt(m)), np.zeros(n, np.float32))
        for m, n in zip(SIZES[:-1], SIZES[1:])
    ]
    xs = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    ys = rng.integers(0, SIZES[-1], BATCH).astype(np.int32)
    return params, xs, ys


def make_fns(J):
    """The workload functions written against a JAX-like module J (jax or jaxlite)."""
    jnp = J.numpy

    def forward(params, x):
        h = x
        for w, b in params[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = params[-1]
        return h @ w + b

    def loss(params, x, y):  # mean cross-entropy of a batch
        z = forward(params, x)
        logp = J.nn.log_softmax(z, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def train_step(params, x, y):
        value, grads = J.value_and_grad(loss)(params, x, y)
        new = J.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)
        return value, new

    def example_loss(params, x, y):  # one example
        z = forward(params, x[None])[0]
        return -J.nn.log_softmax(z)[y]

    return {
        "softmax": J.jit(lambda a: J.nn.softmax(a, axis=-1)),
        "logsumexp": J.jit(lambda a: J.scipy.special.logsumexp(a, axis=-1)),
        "train_step": J.jit(train_step),
        "per_example": J.jit(J.vmap(J.grad(example_loss), in_axes=(None, 0, 0))),
    }


# ---- NumPy references ---------------------------------------------------------------------------


def np_softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_logsumexp(a):
    m = a.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=-1, keepdims=True)))[:, 0]


def _np_forward(params, x):
    hs = [x]
    for w, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ w + b))
    w, b = params[-1]
    return hs, hs[-1] @ w + b


def np_train_step(params, x, y):
    hs, z = _np_forward(params, x)
    p = np_softmax(z)
    n = x.shape[0]
    value = -np.mean(np.log(p[np.arange(n), y]))
    dz = p
    dz[np.arange(n), y] -= 1
    dz /= n
    grads = []
    for i in reversed(range(len(params))):
        w, _ = params[i]
        grads.append((hs[i].T @ dz, dz.sum(0)))
        if i:
            dz = (dz @ w.T) * (1 - hs[i] ** 2)
    grads.reverse()
    return value, [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(params, grads)]


def np_per_example(params, x, y):
    """Per-example gradients, hand-vectorised: the batch axis carried through with einsum."""
    hs, z = _np_forward(params, x)
    dz = np_softmax(z)
    dz[np.arange(x.shape[0]), y] -= 1
    grads = []
    for i in reversed(range(len(params))):
        w, _ = params[i]
        grads.append((np.einsum("bi,bj->bij", hs[i], dz), dz))
        if i:
            dz = (dz @ w.T) * (1 - hs[i] ** 2)
    grads.reverse()
    return grads


# ---- Running ------------------------------------------------------------------------------------


def _libs():
    import jaxlite
    import jaxlite.scipy.special  # noqa: F401

    libs = {"jaxlite": (jaxlite, _block_jaxlite)}
    try:
        import jax
        import jax.scipy.special  # noqa: F401

        jax.config.update("jax_platforms", "cpu")
        libs["jax"] = (jax, jax.block_until_ready)
    except ImportError:
        print("note: JAX is not installed; its column is skipped")
    return libs


def _block_jaxlite(r):
    from jaxlite.tree_util import tree_leaves

    for x in tree_leaves(r):
        x.block_until_ready()
    return r


def _compile_time(fn, args, block, repeat=5):
    t = time.perf_counter()
    block(fn(*args))
    first = time.perf_counter() - t
    steady = median_seconds(lambda: block(fn(*args)), repeat)
    return first, steady


def run(repeat=15, warm_child=True):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4096, 4096)).astype(np.float32)
    params, xs, ys = make_problem()
    results = {}
    from compiler import runtime

    cold_dir = tempfile.mkdtemp(prefix="jaxlite-bench-cache-")
    runtime.set_cache_dir(cold_dir)  # compile times with an empty cache, not a warm one
    workloads = (
        ("3 softmax 4096x4096", "softmax", (a,), np_softmax),
        ("3 logsumexp 4096x4096", "logsumexp", (a,), np_logsumexp),
        ("4 MLP train step", "train_step", (params, xs, ys), np_train_step),
        ("5 per-example grads", "per_example", (params, xs, ys), np_per_example),
    )
    calls = {name: {} for name, *_ in workloads}  # workload -> {library: one blocked call}
    firsts = {}
    for lib, (J, block) in _libs().items():
        fns = make_fns(J)
        for name, key, args, _ in workloads:
            f = fns[key]
            t = time.perf_counter()
            block(f(*args))
            firsts[name, lib] = time.perf_counter() - t
            calls[name][lib] = lambda f=f, args=args, block=block: block(f(*args))
    for name, key, _, _ in workloads:
        # jaxlite and JAX take turns, so a slow phase of the machine falls on both
        for lib, steady in interleaved_medians(calls[name], repeat).items():
            results.setdefault(name, {})[lib] = {"median_ms": steady * 1e3}
            if key in ("train_step", "per_example"):
                comp = {"median_ms": max(0.0, firsts[name, lib] - steady) * 1e3}
                results.setdefault(f"6 compile {key}", {})[lib] = comp
    # NumPy on its own afterwards: its OpenBLAS workers spin on a core for a while after each
    # matmul, which would slow whichever library took the next turn
    for name, _, args, np_fn in workloads:
        steady = median_seconds(lambda f=np_fn, args=args: f(*args), repeat)
        results[name]["numpy"] = {"median_ms": steady * 1e3}
    _check(a, params, xs, ys)
    if warm_child:  # a second process reusing the cache this one filled
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.jit_models", "--warm-child", cold_dir],
            capture_output=True,
            text=True,
            check=True,
        )
        warm = json.loads(out.stdout.strip().splitlines()[-1])
        first_touch = warm.pop("per_example fresh pages")
        for key, ms in warm.items():
            results[f"6 compile {key}"]["jaxlite warm cache"] = {"median_ms": ms}
        results["6 compile per_example"]["jaxlite warm cache"]["fresh_output_pages_ms"] = first_touch
    return results


def warm_child(cache_dir):
    """Compile times of workloads 4 and 5 in a fresh process whose disk cache is warm."""
    from compiler import runtime

    runtime.set_cache_dir(cache_dir)
    import jaxlite
    import jaxlite.scipy.special  # noqa: F401

    params, xs, ys = make_problem()
    fns = make_fns(jaxlite)
    # One-time start-up, as in the parent: LLVM, and the thread pool's runtime (a kernel large
    # enough to be split across threads links it). The parent linked that runtime before it
    # switched to `cache_dir`, so it is not in there: without this the train step's first call
    # compiled it (~70 ms), which a second process with one warm cache never does.
    jaxlite.jit(lambda v: v - 1.0)(np.zeros(1 << 16, np.float32))
    out = {}
    for key in ("train_step", "per_example"):
        first, steady = _compile_time(fns[key], (params, xs, ys), _block_jaxlite)
        out[key] = max(0.0, first - steady) * 1e3
    out["llvm_compiles"] = runtime.STATS["llvm_compiles"]
    out["per_example fresh pages"] = _first_touch_ms(fns["per_example"](params, xs, ys))
    print(json.dumps({k: v for k, v in out.items() if k != "llvm_compiles"}))


def _first_touch_ms(outputs):
    """What the first call pays and a steady call (pooled outputs) does not: faulting in fresh
    pages for outputs of these sizes, one byte written per page on one thread (the call itself
    spreads it over the cores and a prefetch thread, so this is an upper bound for it)."""
    from jaxlite.tree_util import tree_leaves

    nbytes = sum(np.asarray(x).nbytes for x in tree_leaves(outputs))
    t = time.perf_counter()
    pages = np.empty(nbytes, np.uint8)
    pages[:: mmap.PAGESIZE] = 1
    return (time.perf_counter() - t) * 1e3


def _check(a, params, xs, ys):
    """The timed programs must be right: jaxlite against the NumPy references."""
    import jaxlite

    fns = make_fns(jaxlite)
    np.testing.assert_allclose(np.asarray(fns["softmax"](a[:64])), np_softmax(a[:64]), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(fns["logsumexp"](a[:64])), np_logsumexp(a[:64]), rtol=1e-5)
    value, new = fns["train_step"](params, xs, ys)
    value_np, new_np = np_train_step(params, xs, ys)
    np.testing.assert_allclose(float(value), value_np, rtol=1e-4)
    for (w, b), (wn, bn) in zip(new, new_np):
        np.testing.assert_allclose(np.asarray(w), wn, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(b), bn, rtol=1e-4, atol=1e-5)
    got = fns["per_example"](params, xs, ys)
    for (gw, gb), (ew, eb) in zip(got, np_per_example(params, xs, ys)):
        np.testing.assert_allclose(np.asarray(gw), ew, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(np.asarray(gb), eb, rtol=1e-3, atol=1e-5)


def table(results):
    lines = []
    for name, by_lib in results.items():
        cells = [f"{lib} {r['median_ms']:.2f} ms" for lib, r in by_lib.items()]
        ratios = ""
        if "jax" in by_lib:
            ratios = f" | jaxlite/jax {by_lib['jaxlite']['median_ms'] / by_lib['jax']['median_ms']:.2f}x"
            if "jaxlite warm cache" in by_lib:
                warm = by_lib["jaxlite warm cache"]["median_ms"] / by_lib["jax"]["median_ms"]
                ratios += f", warm/jax {warm:.3f}x"
        lines.append(f"{name}: " + "; ".join(cells) + ratios)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warm-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_child:
        warm_child(args.warm_child)
        return
    results = run(args.repeat)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
