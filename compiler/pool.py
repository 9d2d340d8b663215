"""A pool of large buffers for compiled programs' outputs and temporaries.

A fresh 40 MB NumPy array costs ~25 ms of page faults on first touch (glibc serves large
allocations with a new mmap every time and unmaps them on free), more than a whole fused
elementwise kernel over it. Programs therefore take their large buffers (>= MIN_BYTES) from
here, keyed by size rounded up to a page:

- a block is a private anonymous `mmap`; its pages stay mapped while it sits in the pool.
  Private (MAP_PRIVATE, as malloc's are), not `mmap.mmap(-1, n)`'s default MAP_SHARED: a shared
  anonymous mapping is shmem, whose faults cost more (342 MB of fresh outputs: ~200-300 ms
  against ~150-250 ms, 2-core VM), and a forked child would write into the parent's buffers.
  No MADV_HUGEPAGE: shmem never got huge pages anyway, and on the VMs this runs on (free page
  reporting from order 11) a fresh huge page usually faults 512 host pages: the per-example
  gradients' first call took 1.5-1.8 s with it against 0.2-0.45 s without;
- `prefetch(sizes)` (called by the compiler as soon as a program's output avals are known)
  maps and faults in fresh blocks on a background thread while the program compiles, so the
  first call finds its large outputs' pages ready instead of faulting them inside the call
  (the thread holds no lock and no GIL while faulting). A call never waits for it: it takes a
  block being populated as it is (the rest faults in the call), maps its own for a job still
  queued, and finished blocks join the free lists;
- `empty(shape, dtype)` hands out a block as a NumPy array. The array is a view of a per-lease
  1-D "owner" array; NumPy's base collapsing stops at that owner (its own base is not an
  ndarray), so every view of the output, however derived, keeps the owner alive. A
  `weakref.finalize` on the owner returns the block when the last view dies: an output that is
  still referenced is never handed out again;
- temporaries (`lease`/`give_back`) go back as soon as the call returns.

The free lists hold at most `JAXLITE_POOL_BYTES` (default 1 GiB; 0 disables the pool); a block
that does not fit is unmapped. list.append/pop are atomic under the GIL, so finalizers may run
on any thread without a lock; the byte count is approximate under races, which is harmless.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import mmap
import os
import threading
import weakref

import numpy as np

MIN_BYTES = 1 << 18  # below this, malloc reuses memory well and a finalizer costs more
# Prefetching fewer bytes than this is not worth a thread (~0.1 ms to start one).
PREFETCH_MIN_BYTES = 1 << 24
_PAGE = mmap.PAGESIZE
_FLAGS = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
_MADV_POPULATE_WRITE = 23  # Linux 5.14: fault every page of a range in, writable, in one call

STATS = collections.Counter()  # fresh, reused, released, dropped, prefetched, prefetch_parked, prefetch_cancelled


def _madvise():
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int
    return fn


_MADVISE = _madvise()


# One madvise call holds the process's mmap lock for its whole range: an mmap or munmap on the
# compiling thread (LLVM's large mallocs) then waited for all of it (stalls of 0.4 s measured
# for 340 MB in one call). In 1 MiB steps the lock is let go every ~0.5 ms, and a block handed
# over to a call stops being populated within one step. (8 MiB steps still stalled loading a
# program from the disk cache: its few mmap/mprotect calls each waited a step, 2-70 ms in all
# for a warm per-example gradients' first call against 0.4 ms with 1 MiB steps.)
_POPULATE_STEP = 1 << 20


# Cleared while a program's object code is linked (`populating_paused`): RuntimeDyld's handful
# of mmap/mprotect calls each wait for the populating step in flight, and on a VM whose pages
# fault on the host too that added 10-30 ms to a cold per-example gradients' compile.
_may_populate = threading.Event()
_may_populate.set()
_pause_lock = threading.Lock()
_pauses = 0


@contextlib.contextmanager
def populating_paused():
    """Stop the prefetch thread between steps for the duration (nesting and threads allowed)."""
    global _pauses
    with _pause_lock:
        _pauses += 1
        _may_populate.clear()
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0:
                _may_populate.set()


def _populate(block, handed, lock):
    """Fault the pages of `block` in until `handed()`. MADV_POPULATE_WRITE (a ctypes call: no
    GIL) never changes a page's contents, so it may go on while the block's new owner writes
    to it; the fallback, writing a zero to every page, runs a step at a time under `lock` and
    only while the block is not handed over (the handing over takes the same lock)."""
    view = np.frombuffer(block, np.uint8)
    start, n = view.ctypes.data, len(view)
    try:
        for off in range(0, n, _POPULATE_STEP):
            size = min(_POPULATE_STEP, n - off)
            _may_populate.wait()
            if handed():
                return
            if _MADVISE is None or _MADVISE(start + off, size, _MADV_POPULATE_WRITE) != 0:
                with lock:
                    if handed():
                        return
                    view[off : off + size : _PAGE] = 0
    finally:
        del view  # the block must not stay exported (give_back may close it)


class _Prefetch:
    """One block for the prefetch thread: queued, then running (mapped, being populated), then
    parked in the free list; or cancelled (queued when a call needed it: the call maps its own)
    or handed (running when a call needed it: the call takes it as it is)."""

    __slots__ = ("size", "block", "state")

    def __init__(self, size):
        self.size, self.block, self.state = size, None, "queued"


def _limit_from_env():
    v = os.environ.get("JAXLITE_POOL_BYTES", "").strip()
    return int(v) if v.isdigit() else 1 << 30


class BufferPool:
    def __init__(self, limit_bytes=None):
        self.limit = _limit_from_env() if limit_bytes is None else int(limit_bytes)
        self._free = collections.defaultdict(list)  # rounded size -> [mmap]
        self._free_bytes = 0
        self._pending = {}  # rounded size -> deque of unclaimed _Prefetch (no empty deques)
        self._plock = threading.Lock()

    @staticmethod
    def _round(nbytes):
        return -(-nbytes // _PAGE) * _PAGE

    def lease(self, nbytes):
        """A block (mmap) of at least nbytes, reused when one of that size is free."""
        size = self._round(nbytes)
        try:
            block = self._free[size].pop()
            self._free_bytes -= size
            STATS["reused"] += 1
            return block
        except IndexError:
            pass
        if self._pending:
            block = self._claim(size)
            if block is not None:
                return block
        STATS["fresh"] += 1
        return mmap.mmap(-1, size, flags=_FLAGS)

    def _claim(self, size):
        """A block the prefetch thread is populating (taken as it is: the call never waits), or
        None after cancelling a queued job (the caller maps its own; both cores fault)."""
        with self._plock:
            queue = self._pending.get(size)
            if not queue:
                return None
            p = queue.popleft()
            if not queue:
                del self._pending[size]
            if p.state == "queued":
                p.state = "cancelled"
                STATS["prefetch_cancelled"] += 1
                return None
            p.state = "handed"
            STATS["prefetched"] += 1
            return p.block

    def prefetch(self, sizes):
        """Map and fault in, on a background thread, fresh blocks for buffers of these byte
        sizes, beyond the free blocks of those sizes already here; nothing when the pool is off,
        when they would not fit in its limit, or when they total under PREFETCH_MIN_BYTES."""
        if self.limit <= 0:
            return
        want = collections.Counter(self._round(n) for n in sizes if n >= MIN_BYTES)
        with self._plock:
            room = self.limit - self._free_bytes - sum(p.size for q in self._pending.values() for p in q)
            jobs = []
            for size, count in sorted(want.items(), reverse=True):
                for _ in range(count - len(self._free[size]) - len(self._pending.get(size, ()))):
                    if size <= room:
                        room -= size
                        jobs.append(_Prefetch(size))
            if sum(p.size for p in jobs) < PREFETCH_MIN_BYTES:
                return
            for p in jobs:
                self._pending.setdefault(p.size, collections.deque()).append(p)
        threading.Thread(target=self._run_prefetch, args=(jobs,), name="jaxlite-prefetch", daemon=True).start()

    def _run_prefetch(self, jobs):
        for p in jobs:
            if p.state != "queued":
                continue
            try:
                block = mmap.mmap(-1, p.size, flags=_FLAGS)
            except (OSError, ValueError):  # no memory now: the call maps (and reports) its own
                block = None
            with self._plock:
                if p.state != "queued" or block is None:
                    self._unqueue(p)
                    if block is not None:
                        block.close()  # cancelled meanwhile; no page was touched
                    continue
                STATS["fresh"] += 1
                p.block, p.state = block, "running"
            _populate(block, lambda p=p: p.state == "handed", self._plock)
            with self._plock:
                if p.state == "handed":  # a call owns it now
                    continue
                p.state = "parked"
                self._unqueue(p)
            STATS["prefetch_parked"] += 1
            self.give_back(block)

    def _unqueue(self, p):
        queue = self._pending.get(p.size)
        if queue is not None and p in queue:
            queue.remove(p)
            if not queue:
                del self._pending[p.size]

    def give_back(self, block):
        size = len(block)
        if self._free_bytes + size > self.limit:
            STATS["dropped"] += 1
            try:
                block.close()
            except BufferError:  # still exported somewhere (should not happen): let GC unmap it
                pass
            return
        self._free_bytes += size
        self._free[size].append(block)
        STATS["released"] += 1

    def empty(self, shape, dtype):
        """An uninitialised C-contiguous array, pooled when large."""
        dtype = np.dtype(dtype)
        count = 1
        for d in shape:
            count *= d
        nbytes = count * dtype.itemsize
        if nbytes < MIN_BYTES or self.limit <= 0:
            return np.empty(shape, dtype)
        block = self.lease(nbytes)
        owner = np.frombuffer(block, dtype, count)
        weakref.finalize(owner, self.give_back, block)
        return owner.reshape(shape)

    def clear(self):
        for blocks in self._free.values():
            for b in blocks:
                try:
                    b.close()
                except BufferError:
                    pass
        self._free.clear()
        self._free_bytes = 0

    @property
    def free_bytes(self):
        return self._free_bytes

    def prefetching(self) -> bool:
        """Whether the prefetch thread has blocks still to fault in (it keeps a core busy)."""
        return bool(self._pending)


POOL = BufferPool()
empty = POOL.empty

__all__ = ["MIN_BYTES", "POOL", "STATS", "BufferPool", "empty"]
