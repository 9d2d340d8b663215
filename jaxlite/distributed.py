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
its collectives rendezvous in program order), so matching calls pair up without tags. Calls come
from one thread at a time: MPI orders collectives per communicator, not per thread.

Launch with the MPI implementation's own launcher and call `initialize()` first:

    mpirun -n 4 python train.py          # train.py: jaxlite.distributed.initialize()

`pip install "jaxlite[mpi]"` brings mpi4py and MPICH (its `mpirun`/`mpiexec`) from PyPI.
"""

from __future__ import annotations

import atexit
import os
import sys
import time

import numpy as np

_group = None
_INSTALL_HINT = 'pip install "jaxlite[mpi]" (mpi4py and the MPICH wheel, which ships mpirun)'
_OPS = ("sum", "max", "min")


def process_group():
    """The group of processes this run spans, or None for a single process."""
    return _group


def is_initialized() -> bool:
    """Whether `initialize()` has set up a multi-process run."""
    return _group is not None


def process_index() -> int:
    """This process's index in the run: its MPI rank after `initialize()`, else 0."""
    return 0 if _group is None else _group.rank


def process_count() -> int:
    """The number of processes in the run: the MPI size after `initialize()`, else 1."""
    return 1 if _group is None else _group.size


def _import_mpi():
    """mpi4py's MPI module (importing it initialises MPI), or a clear error naming the fix."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            f"jaxlite.distributed.initialize: multi-process runs use MPI through mpi4py, which is "
            f"not installed ({e}); install it with {_INSTALL_HINT}, then launch with "
            f"`mpirun -n N python your_program.py`"
        ) from None
    except (RuntimeError, OSError) as e:  # mpi4py is there but no MPI library could be loaded
        raise RuntimeError(
            f"jaxlite.distributed.initialize: mpi4py is installed but could not load an MPI "
            f"library ({e}); install one with {_INSTALL_HINT}"
        ) from None
    return MPI


def initialize(coordinator_address=None, num_processes=None, process_id=None, local_device_ids=None):
    """Join the MPI job this process was launched in (JAX's signature).

    MPI's launcher already tells every process its rank and the job's size, so the arguments are
    optional; when given they are checked against MPI's view. `coordinator_address` is accepted
    for source compatibility with JAX and unused: MPI does its own rendezvous. `local_device_ids`
    is checked and kept on the group (`ProcessGroup.local_device_ids`); it selects accelerators
    in JAX, and on the CPU every local device stays visible, as in JAX (set their number with
    `jax_num_cpu_devices`).
    """
    global _group
    if _group is not None:
        raise RuntimeError("jaxlite.distributed.initialize should only be called once.")
    if coordinator_address is not None and not isinstance(coordinator_address, str):
        raise TypeError(
            f"jaxlite.distributed.initialize: coordinator_address must be a 'host:port' string or "
            f"None, got {type(coordinator_address).__name__}"
        )
    local_ids = _check_local_device_ids(local_device_ids)
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD
    if num_processes is not None and int(num_processes) != comm.size:
        raise ValueError(
            f"jaxlite.distributed.initialize: num_processes={num_processes} but the MPI job has "
            f"{comm.size} processes; launch with `mpirun -n {num_processes}` or leave "
            f"num_processes=None to take MPI's size"
        )
    if process_id is not None and int(process_id) != comm.rank:
        raise ValueError(
            f"jaxlite.distributed.initialize: process_id={process_id} but this process is MPI rank "
            f"{comm.rank} of {comm.size}; leave process_id=None to take MPI's rank"
        )
    _group = ProcessGroup(comm, MPI, local_ids)
    _install_abort_hook()


def shutdown():
    """Leave the process group, after a barrier so that no process leaves while others still
    need it; a peer that has not arrived within JAXLITE_MPI_EXIT_TIMEOUT seconds (default 300,
    JAX's shutdown timeout) aborts the job.

    Called at exit too. MPI itself stays initialised until the interpreter exits, so
    `initialize()` may be called again. A no-op when not initialised, as in JAX.
    """
    global _group
    if _group is None:
        return
    _barrier_or_abort(_group, "shut down")
    _group = None


def _check_local_device_ids(ids):
    if ids is None:
        return None
    ids = (ids,) if isinstance(ids, int) else tuple(ids)
    if not all(isinstance(i, (int, np.integer)) and i >= 0 for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(
            f"jaxlite.distributed.initialize: local_device_ids must be distinct non-negative ints, got {ids}"
        )
    return tuple(int(i) for i in ids)


# A rank that dies with an exception while the others wait in a collective would hang the job
# forever (MPI has no timeouts); aborting the whole job instead makes the launcher end every rank.
# A rank that exits without an exception (sys.exit(1), or a program whose ranks diverged) meets
# the others in a barrier at exit, and aborts the job if they do not come in bounded time.
_previous_excepthook = None


def _install_abort_hook():
    global _previous_excepthook
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception
        atexit.register(shutdown)


def _exit_timeout_s() -> float:
    return float(os.environ.get("JAXLITE_MPI_EXIT_TIMEOUT", "300"))


def _barrier_or_abort(group, what):
    if group.size == 1:
        return
    request, timeout = group._comm.Ibarrier(), _exit_timeout_s()
    deadline, pause = time.monotonic() + timeout, 1e-4
    while not request.Test():
        if time.monotonic() > deadline:
            _abort_job(
                group,
                f"waited {timeout:g} s to {what} but other ranks did not arrive (still in a collective, "
                f"or stuck); aborting the MPI job (JAXLITE_MPI_EXIT_TIMEOUT sets the wait)",
            )
        time.sleep(pause)
        pause = min(2 * pause, 0.05)


def _abort_on_uncaught_exception(exc_type, exc, tb):
    _previous_excepthook(exc_type, exc, tb)  # print the traceback first
    group = _group
    if group is not None and group.size > 1:
        _abort_job(group, f"raised {exc_type.__name__}; aborting the MPI job")


# The launcher relays each rank's stderr through a pipe and stops relaying when the job is torn
# down: aborting right after the last write lost the traceback and this message in about 1 of
# 20 runs on a loaded machine. A short pause lets the relay drain first.
_ABORT_GRACE_S = 0.5


def _abort_job(group, message):
    sys.stderr.write(f"jaxlite.distributed: rank {group.rank} {message}\n")
    sys.stderr.flush()
    time.sleep(_ABORT_GRACE_S)
    group._comm.Abort(1)


class ProcessGroup:
    """The processes of an MPI job, with the collectives pmap needs on NumPy buffers."""

    def __init__(self, comm, MPI, local_device_ids=None):
        self._comm = comm
        self._MPI = MPI
        self.rank = comm.rank
        self.size = comm.size
        self.local_device_ids = local_device_ids
        self._mpi_types = {
            np.dtype(np.bool_): MPI.C_BOOL,
            np.dtype(np.int8): MPI.INT8_T, np.dtype(np.int16): MPI.INT16_T,
            np.dtype(np.int32): MPI.INT32_T, np.dtype(np.int64): MPI.INT64_T,
            np.dtype(np.uint8): MPI.UINT8_T, np.dtype(np.uint16): MPI.UINT16_T,
            np.dtype(np.uint32): MPI.UINT32_T, np.dtype(np.uint64): MPI.UINT64_T,
            np.dtype(np.float32): MPI.FLOAT, np.dtype(np.float64): MPI.DOUBLE,
            np.dtype(np.complex64): MPI.C_FLOAT_COMPLEX, np.dtype(np.complex128): MPI.C_DOUBLE_COMPLEX,
        }  # fmt: skip
        self._mpi_ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        # On bools NumPy's add and maximum are "or" and minimum is "and"; MPI's arithmetic ops
        # are not defined on C_BOOL, its logical ones are.
        self._bool_ops = {"sum": MPI.LOR, "max": MPI.LOR, "min": MPI.LAND}

    def __repr__(self):
        return f"ProcessGroup(rank={self.rank}, size={self.size}, backend=MPI)"

    def allreduce(self, x, op="sum"):
        """The elementwise `op` ("sum", "max" or "min") of `x` over all processes."""
        if op not in _OPS:
            raise ValueError(f"ProcessGroup.allreduce: op must be one of {_OPS}, got {op!r}")
        x = np.asarray(x, order="C")  # C order, keeping 0-d shapes (ascontiguousarray makes them 1-d)
        mpi_type = self._mpi_types.get(x.dtype)
        # MPI has no float16, and no max/min on complex: reduce those here, in rank order.
        if mpi_type is None or (op != "sum" and x.dtype.kind == "c"):
            ufunc = {"sum": np.add, "max": np.maximum, "min": np.minimum}[op]
            return ufunc.reduce(self.allgather(x), axis=0).astype(x.dtype, copy=False)
        mpi_op = self._bool_ops[op] if x.dtype == np.bool_ else self._mpi_ops[op]
        out = np.empty_like(x)
        self._comm.Allreduce([x.reshape(-1), mpi_type], [out.reshape(-1), mpi_type], op=mpi_op)
        return out

    def allgather(self, x):
        """Every process's `x`, stacked in rank order: shape (size, *x.shape)."""
        x = np.asarray(x, order="C")
        out = np.empty((self.size,) + x.shape, x.dtype)
        # Moving data needs no arithmetic, so bytes serve every dtype (float16 included).
        self._comm.Allgather([_bytes(x), self._MPI.BYTE], [_bytes(out), self._MPI.BYTE])
        return out

    def alltoall(self, x):
        """Block i of `x` (its leading index i) goes to process i; out[i] is what i sent here."""
        x = np.asarray(x, order="C")
        if x.ndim == 0 or x.shape[0] != self.size:
            raise ValueError(
                f"ProcessGroup.alltoall: the leading axis of x must equal the number of processes "
                f"({self.size}), got shape {x.shape}"
            )
        out = np.empty_like(x)
        self._comm.Alltoall([_bytes(x), self._MPI.BYTE], [_bytes(out), self._MPI.BYTE])
        return out

    def sendrecv(self, x, perm):
        """Send `x` along the pairs (src_rank, dst_rank) of `perm`; returns what this rank
        received, or zeros when no pair ends here (JAX's ppermute)."""
        x = np.asarray(x, order="C")
        perm = self._check_perm(perm)
        dst = next((d for s, d in perm if s == self.rank), None)
        src = next((s for s, d in perm if d == self.rank), None)
        out = np.zeros_like(x)
        if src == self.rank:  # a pair (r, r): this rank keeps its own value
            out[...] = x
            return out
        # Non-blocking both ways, so cycles of any length cannot deadlock on buffered sends.
        requests = []
        if src is not None:
            requests.append(self._comm.Irecv([_bytes(out), self._MPI.BYTE], source=src, tag=7))
        if dst is not None:
            requests.append(self._comm.Isend([_bytes(x), self._MPI.BYTE], dest=dst, tag=7))
        self._MPI.Request.Waitall(requests)
        return out

    def _check_perm(self, perm):
        try:
            pairs = [(int(s), int(d)) for s, d in perm]
        except (TypeError, ValueError):
            raise TypeError(
                f"ProcessGroup.sendrecv: perm must be a list of (src, dst) int pairs, got {perm!r}"
            ) from None
        for s, d in pairs:
            if not (0 <= s < self.size and 0 <= d < self.size):
                raise ValueError(
                    f"ProcessGroup.sendrecv: pair ({s}, {d}) in perm names a rank outside 0..{self.size - 1}"
                )
        srcs, dsts = [s for s, _ in pairs], [d for _, d in pairs]
        if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
            raise ValueError(
                f"ProcessGroup.sendrecv: perm must send from each rank at most once and to each rank "
                f"at most once, got {pairs}"
            )
        return pairs

    def barrier(self):
        self._comm.Barrier()


def _bytes(a):
    """A flat uint8 view of a C-contiguous array, for moving it through MPI as bytes."""
    return a.reshape(-1).view(np.uint8)
