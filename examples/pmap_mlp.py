"""Data-parallel training of the digits MLP (examples/train_mlp.py's model) with pmap.

Each step takes the same global batch; it is split across the devices (and across processes
under MPI), every device computes the gradient of its shard, `lax.pmean` averages the gradients
over the devices, and every device applies the same update to its replica of the parameters.
The mean of equal-sized shards' mean losses is the global mean, so the losses match
single-device training on the global batch, whatever the device count:

    python examples/pmap_mlp.py --devices 4
    mpirun -n 2 python examples/pmap_mlp.py --devices 1      # with jaxlite's MPI back end

Swap `import jaxlite as jax` for `import jax` (and set XLA_FLAGS=--xla_force_host_platform_
device_count=N) and it runs the same in JAX.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_mlp import init_params, loss  # noqa: E402

import jaxlite as jax  # noqa: E402
from jaxlite import lax  # noqa: E402

MPI_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE")


def launched_under_mpi() -> bool:
    return any(int(os.environ.get(v, "1") or 1) > 1 for v in MPI_SIZE_VARS)


def load_data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[digits.target]
    return x, labels


def batches(x, labels, global_batch, steps, seed=0):
    """The same sequence of global batches for every device count and process."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.choice(len(x), global_batch, replace=False)
        yield x[idx], labels[idx]


def make_train_step(lr):
    def train_step(params, xb, yb):
        value, grads = jax.value_and_grad(loss)(params, xb, yb)
        grads = lax.pmean(grads, "batch")
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        return params, lax.pmean(value, "batch")

    return jax.pmap(train_step, "batch")


def replicate(tree, n):
    return jax.tree_util.tree_map(lambda a: np.broadcast_to(np.asarray(a), (n, *np.shape(a))), tree)


def train(n_devices, steps=20, global_batch=256, lr=0.5, seed=0):
    """Losses of `steps` data-parallel steps on `n_devices` local devices (of this process)."""
    x, labels = load_data()
    n_proc, rank = jax.process_count(), jax.process_index()
    shards = n_proc * n_devices
    if global_batch % shards:
        raise ValueError(f"pmap_mlp: the global batch {global_batch} must divide evenly over "
                         f"{shards} devices")
    per_process = global_batch // n_proc
    params = replicate(init_params(np.random.default_rng(seed), [64, 64, 10]), n_devices)
    step = make_train_step(lr)
    losses = []
    for xb, yb in batches(x, labels, global_batch, steps, seed):
        mine = slice(rank * per_process, (rank + 1) * per_process)  # this process's rows
        xs = xb[mine].reshape(n_devices, -1, xb.shape[1])
        ys = yb[mine].reshape(n_devices, -1, yb.shape[1])
        params, value = step(params, xs, ys)
        losses.append(float(np.asarray(value)[0]))
    return losses


def train_single_device(steps=20, global_batch=256, lr=0.5, seed=0):
    """The reference: the same steps without pmap, on the whole global batch."""
    x, labels = load_data()
    params = init_params(np.random.default_rng(seed), [64, 64, 10])
    grad_fn = jax.jit(jax.value_and_grad(loss))
    losses = []
    for xb, yb in batches(x, labels, global_batch, steps, seed):
        value, grads = grad_fn(params, xb, yb)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        losses.append(float(value))
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2, help="CPU devices in this process")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=256, help="global batch size")
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args(argv)
    if launched_under_mpi():
        jax.distributed.initialize()
    jax.config.update("jax_num_cpu_devices", args.devices)
    start = time.perf_counter()
    losses = train(args.devices, args.steps, args.batch, args.lr)
    elapsed = time.perf_counter() - start
    if jax.process_index() == 0:
        for i in range(0, len(losses), max(1, len(losses) // 10)):
            print(f"step {i:4d}  loss {losses[i]:.6f}")
        print(f"final loss {losses[-1]:.6f}  ({jax.device_count()} devices in "
              f"{jax.process_count()} process(es), {args.steps} steps in {elapsed:.2f} s)")
    return losses


if __name__ == "__main__":
    main()
