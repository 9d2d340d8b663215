"""Per-example gradients of an MLP: vmap(grad(loss)) against the Python loop of grad, eager.

Run: python -m benchmarks.per_example_grads [--batch 64] [--json PATH]
Both run eagerly (no jit), so the ratio measures what batching buys: one batched program of
the same length as one example's, instead of `batch` programs. Medians of several repeats, in
one process; JAX's vmap(grad) under jit is shown for reference when JAX is installed.
"""

import argparse
import json
import os

import numpy as np

from .timing import median_seconds


def make_problem(batch, sizes=(784, 128, 10), seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((m, n)).astype(np.float32) / np.sqrt(m), np.zeros(n, np.float32))
              for m, n in zip(sizes[:-1], sizes[1:], strict=False)]
    xs = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    ys = rng.integers(0, sizes[-1], batch).astype(np.int32)
    return params, xs, ys


def make_loss(jnp):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = jnp.tanh(jnp.dot(h, w) + b)
        w, b = params[-1]
        z = jnp.dot(h, w) + b
        m = jnp.max(z)
        return m + jnp.log(jnp.sum(jnp.exp(z - m))) - z[y]

    return loss


def run(batch, repeat):
    import jaxlite.numpy as jnp
    from jaxlite.ad import grad
    from jaxlite.batching import vmap

    params, xs, ys = make_problem(batch)
    loss = make_loss(jnp)
    per_example = vmap(grad(loss), in_axes=(None, 0, 0))

    def batched():
        return [np.asarray(g) for g in _leaves(per_example(params, xs, ys))]

    def loop():
        return [[np.asarray(g) for g in _leaves(grad(loss)(params, x, y))]
                for x, y in zip(xs, ys, strict=True)]

    a, b = batched(), loop()
    for i, g in enumerate(a):  # the two agree before they are timed
        np.testing.assert_allclose(g, np.stack([row[i] for row in b]), rtol=1e-4, atol=1e-5)
    results = {"vmap_grad_s": median_seconds(batched, repeat, warmup=True),
               "loop_grad_s": median_seconds(loop, max(1, repeat // 2), warmup=True)}
    results["ratio_loop_over_vmap"] = results["loop_grad_s"] / results["vmap_grad_s"]
    try:
        import jax

        jax.config.update("jax_platforms", "cpu")
        jf = jax.jit(jax.vmap(jax.grad(make_loss(jax.numpy)), in_axes=(None, 0, 0)))
        results["jax_jit_vmap_grad_s"] = median_seconds(
            lambda: jax.block_until_ready(jf(params, xs, ys)), repeat, warmup=True)
    except ImportError:
        pass
    return results


def _leaves(tree):
    from jaxlite.tree_util import tree_leaves

    return tree_leaves(tree)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", default=os.path.join("benchmarks", "results", "per_example_grads.json"))
    args = parser.parse_args()
    r = run(args.batch, args.repeat)
    print(f"per-example gradients, MLP 784-128-10, batch {args.batch} (eager, median of {args.repeat})")
    print(f"  vmap(grad(loss))     {r['vmap_grad_s'] * 1e3:10.2f} ms")
    print(f"  loop of grad(loss)   {r['loop_grad_s'] * 1e3:10.2f} ms")
    if "jax_jit_vmap_grad_s" in r:
        print(f"  jax jit(vmap(grad))  {r['jax_jit_vmap_grad_s'] * 1e3:10.2f} ms  (reference)")
    print(f"  ratio loop / vmap    {r['ratio_loop_over_vmap']:10.1f}x")
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"batch": args.batch, **r}, f, indent=2)


if __name__ == "__main__":
    main()
