"""Multi-process runs: `initialize()` and the process group that pmap's collectives use across
processes.

The contract between pmap and a multi-process back end (MPI through mpi4py):

    process_group() -> ProcessGroup | None      None in a single-process run

    class ProcessGroup:
        rank: int                                this process's index, 0 <= rank < size
        size: int                                the number of processes
        allreduce(x: np.ndarray, op) -> ndarray  op in {"sum", "max", "min"}; same shape as x
        allgather(x) -> ndarray                  shape (size, *x.shape), in rank order
        alltoall(x) -> ndarray                   x.shape[0] == size; out[i] = rank i's x[rank]
        sendrecv(x, perm) -> ndarray             perm: [(src_rank, dst_rank)]; a rank that
                                                 receives nothing gets zeros
        barrier() -> None

Every process calls the collectives in the same order (pmap runs one program per process, and
its collectives rendezvous in program order), so matching calls pair up without tags.

This module is a single-process placeholder until the MPI back end lands (issue 7).
"""

from __future__ import annotations

_group = None


def process_group():
    """The group of processes this run spans, or None for a single process."""
    return _group


def is_initialized() -> bool:
    """Whether initialize() has set up a multi-process run (always False in this build)."""
    return _group is not None


def initialize(coordinator_address=None, num_processes=None, process_id=None, local_device_ids=None):
    """Join a multi-process run (jax.distributed.initialize); not available in this build."""
    raise RuntimeError(
        "jaxlite.distributed.initialize: the multi-process back end is not available in this build"
    )
