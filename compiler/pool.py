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
  (the thread holds no lock and no GIL while faulting; a call that needs a block still queued
  maps its own, one being faulted is waited for, unclaimed ones join the free lists);
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


def _populate(block):
    """Fault every page of `block` in. A ctypes call releases the GIL; so does NumPy's strided
    store, the fallback where the kernel has no MADV_POPULATE_WRITE."""
    view = np.frombuffer(block, np.uint8)
    if _MADVISE is None or _MADVISE(view.ctypes.data, len(view), _MADV_POPULATE_WRITE) != 0:
        view[::_PAGE] = 0
    del view  # the block must not stay exported (give_back may close it)


class _Prefetch:
    """One block being mapped and faulted in by the prefetch thread."""

    __slots__ = ("size", "block", "state", "done")

    def __init__(self, size):
        self.size, self.block, self.state, self.done = size, None, "queued", threading.Event()


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
        """A prefetched block of this size: a finished one at once, one being faulted in after
        waiting for it; a queued one is cancelled (the caller maps its own: both cores fault)."""
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
        p.done.wait()
        if p.block is not None:
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
            with self._plock:
                if p.state != "queued":  # claimed by a call that maps its own
                    continue
                p.state = "running"
            try:
                block = mmap.mmap(-1, p.size, flags=_FLAGS)
                _populate(block)
                STATS["fresh"] += 1
            except (OSError, ValueError):  # no memory now: the call maps (and reports) its own
                block = None
            with self._plock:
                p.block, p.state = block, "done"
                queue = self._pending.get(p.size)
                unclaimed = queue is not None and p in queue
                if unclaimed:
                    queue.remove(p)
                    if not queue:
                        del self._pending[p.size]
            p.done.set()
            if unclaimed and block is not None:  # no call waits for it: it joins the free list
                STATS["prefetch_parked"] += 1
                self.give_back(block)

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


POOL = BufferPool()
empty = POOL.empty

__all__ = ["MIN_BYTES", "POOL", "STATS", "BufferPool", "empty"]
