"""psum of 1M float32 across processes on MPI: the cost of each layer, in one run.

    mpirun -n 2 python -m benchmarks.mpi_psum [--repeat 50]

Times, per call (median over `repeat`, after a warm-up), of the same 4 MB sum:
- mpi4py's Allreduce on a preallocated buffer (the floor: MPI's own transport),
- jaxlite.distributed's ProcessGroup.allreduce (adds a fresh output buffer and dtype dispatch),
- a pmap'd lax.psum with one device per process (adds pmap dispatch, the device thread and the
  rendezvous, and moving the shard in and out).
Rank 0 prints the table. With 2 processes on 2 shared cores, MPICH's busy-polling waits compete
with the work; compare the rows of one run.
"""

from __future__ import annotations

import argparse

import numpy as np

import jaxlite as jax
from jaxlite import lax

from .timing import median_seconds

N = 1 << 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    jax.distributed.initialize()
    group = jax.distributed.process_group()
    from mpi4py import MPI

    x = np.random.default_rng(group.rank).standard_normal(N).astype(np.float32)
    out = np.empty_like(x)
    psum = jax.pmap(lambda v: lax.psum(v, "i"), axis_name="i")
    shard = x[None]
    want = group.allreduce(x)
    np.testing.assert_allclose(np.asarray(psum(shard))[0], want, rtol=1e-5, atol=1e-5)
    rows = {
        "mpi4py Allreduce (preallocated)": lambda: MPI.COMM_WORLD.Allreduce([x, MPI.FLOAT], [out, MPI.FLOAT]),
        "ProcessGroup.allreduce": lambda: group.allreduce(x, "sum"),
        "pmap(psum), 1 device per process": lambda: np.asarray(psum(shard)),
    }
    results = {name: median_seconds(fn, args.repeat, warmup=True) for name, fn in rows.items()}
    if group.rank == 0:
        print(f"psum of {N} float32 over {group.size} processes, median of {args.repeat}:")
        floor = results["mpi4py Allreduce (preallocated)"]
        for name, t in results.items():
            print(f"  {name:36s} {t * 1e3:8.3f} ms  ({t / floor:5.2f}x MPI)")


if __name__ == "__main__":
    main()
