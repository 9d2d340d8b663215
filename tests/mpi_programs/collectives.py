"""Run under mpirun: every ProcessGroup collective on every dtype, results saved for the test.

    mpirun -n N python collectives.py OUT_DIR

Each rank writes OUT_DIR/rank<r>.npz; tests/test_mpi.py rebuilds every rank's input with
`rank_input` and checks the results against NumPy on the stacked inputs.
"""

import sys

import numpy as np

DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "int8", "bool", "complex64", "complex128"]
OPS = ["sum", "max", "min"]


def rank_input(rank, dtype, shape):
    """Rank `rank`'s deterministic input of `dtype` and `shape` (small values: no overflow)."""
    rng = np.random.default_rng([rank, DTYPES.index(dtype), len(shape)])
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(0, 20, shape).astype(dtype)
    values = rng.standard_normal(shape)
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def perms(size):
    """The sendrecv permutations exercised: a ring shift, one pair (others get zeros), self pairs."""
    return {
        "shift": [(i, (i + 1) % size) for i in range(size)],
        "one_pair": [(0, size - 1)],
        "identity": [(i, i) for i in range(size)],
    }


def main(out_dir):
    import jaxlite.distributed as distributed

    distributed.initialize()
    group = distributed.process_group()
    rank, size = group.rank, group.size
    results = {"rank": np.array(rank), "size": np.array(size)}
    for dtype in DTYPES:
        x = rank_input(rank, dtype, (3, 4))
        for op in OPS:
            results[f"allreduce_{op}_{dtype}"] = group.allreduce(x, op)
        results[f"allreduce_scalar_{dtype}"] = group.allreduce(rank_input(rank, dtype, ()), "sum")
        results[f"allgather_{dtype}"] = group.allgather(x)
        results[f"alltoall_{dtype}"] = group.alltoall(rank_input(rank, dtype, (size, 2, 3)))
        for name, perm in perms(size).items():
            results[f"sendrecv_{name}_{dtype}"] = group.sendrecv(x, perm)
    results["allgather_empty"] = group.allgather(np.zeros((0, 3), np.float32))
    group.barrier()
    np.savez(f"{out_dir}/rank{rank}.npz", **results)
    distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
