"""Run under mpirun: pmap's collectives across processes (with JAXLITE_NUM_CPU_DEVICES local
devices each, default 1) and a data-parallel training step, results saved for the test.

    mpirun -n N python pmap_training.py OUT_DIR

Each rank writes OUT_DIR/rank<r>.npz; tests/test_mpi.py computes the single-process references.
"""

import sys

import numpy as np

STEPS = 3
LEARNING_RATE = 0.5
GLOBAL_BATCH = 16
SIZES = (5, 8, 3)  # an MLP 5 -> 8 -> 3


def device_input(device):
    """Global device `device`'s shard for the collectives: shape (3, 4), float32."""
    return np.random.default_rng([7, device]).standard_normal((3, 4)).astype(np.float32)


def device_blocks(device, ndevices):
    """Global device `device`'s input for all_to_all and psum_scatter: one row per device."""
    return np.random.default_rng([8, device]).standard_normal((ndevices, 3)).astype(np.float32)


def init_params():
    rng = np.random.default_rng(0)
    return [
        (rng.standard_normal((m, n)).astype(np.float32) / np.sqrt(m), np.zeros(n, np.float32))
        for m, n in zip(SIZES[:-1], SIZES[1:])
    ]


def global_batch():
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((GLOBAL_BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], GLOBAL_BATCH)
    return inputs, np.eye(SIZES[-1], dtype=np.float32)[labels]


def loss(params, inputs, targets, jnp):
    h = inputs
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    log_probs = logits - jnp.log(jnp.sum(jnp.exp(logits), axis=-1, keepdims=True))
    return -jnp.mean(jnp.sum(log_probs * targets, axis=-1))


def main(out_dir):
    import jaxlite as jax
    import jaxlite.numpy as jnp
    from jaxlite import lax

    jax.distributed.initialize()
    rank, nprocs, nlocal = jax.process_index(), jax.process_count(), jax.local_device_count()
    ndevices = jax.device_count()
    assert ndevices == nprocs * nlocal
    mine = range(rank * nlocal, (rank + 1) * nlocal)  # this process's global device ids
    # pmap's inputs are this process's shards: leading axis = its local devices.
    x = np.stack([device_input(d) for d in mine])
    shift = [(i, (i + 1) % ndevices) for i in range(ndevices)]
    results = {
        "psum": jax.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(x),
        "pmean": jax.pmap(lambda v: lax.pmean(v, "i"), axis_name="i")(x),
        "pmax": jax.pmap(lambda v: lax.pmax(v, "i"), axis_name="i")(x),
        "all_gather": jax.pmap(lambda v: lax.all_gather(v, "i"), axis_name="i")(x),
        "ppermute": jax.pmap(lambda v: lax.ppermute(v, "i", shift), axis_name="i")(x),
        "axis_index": jax.pmap(lambda v: lax.axis_index("i"), axis_name="i")(x),
    }
    blocks = np.stack([device_blocks(d, ndevices) for d in mine])
    results["all_to_all"] = jax.pmap(lambda v: lax.all_to_all(v, "i", 0, 0), axis_name="i")(blocks)
    results["psum_scatter"] = jax.pmap(lambda v: lax.psum_scatter(v, "i"), axis_name="i")(blocks)

    def train_step(params, inputs, targets):
        value, grads = jax.value_and_grad(loss)(params, inputs, targets, jnp)
        grads = lax.pmean(grads, "i")
        new = jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)
        return new, lax.pmean(value, "i")

    step = jax.pmap(train_step, axis_name="i")
    inputs, targets = global_batch()
    per_device = GLOBAL_BATCH // ndevices
    batch = slice(rank * nlocal * per_device, (rank + 1) * nlocal * per_device)
    shards = [a[batch].reshape(nlocal, per_device, -1) for a in (inputs, targets)]
    params = jax.tree_util.tree_map(lambda p: np.stack([p] * nlocal), init_params())
    losses = []
    for _ in range(STEPS):
        params, value = step(params, *shards)
        losses.append(np.asarray(value))  # one value per local device
    results["losses"] = np.array(losses)
    for k, (w, b) in enumerate(params):
        results[f"w{k}"], results[f"b{k}"] = w, b  # one replica per local device
    results = {k: np.asarray(v) for k, v in results.items()}
    np.savez(f"{out_dir}/rank{rank}.npz", **results)


if __name__ == "__main__":
    main(sys.argv[1])
