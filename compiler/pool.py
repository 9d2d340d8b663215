"""A pool of large buffers for compiled programs' outputs and temporaries.

A fresh 40 MB NumPy array costs ~25 ms of page faults on first touch (glibc serves large
allocations with a new mmap every time and unmaps them on free), more than a whole fused
elementwise kernel over it. Programs therefore take their large buffers (>= MIN_BYTES) from
here, keyed by size rounded up to a page:

- a block is an anonymous `mmap` (madvise(MADV_HUGEPAGE) when >= 2 MiB, so first touches fault
  2 MiB pages, not 4 KiB ones); its pages stay mapped while it sits in the pool;
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
import mmap
import os
import weakref

import numpy as np

MIN_BYTES = 1 << 18  # below this, malloc reuses memory well and a finalizer costs more
_PAGE = mmap.PAGESIZE
_HUGE = 1 << 21

STATS = collections.Counter()  # fresh, reused, released, dropped


def _limit_from_env():
    v = os.environ.get("JAXLITE_POOL_BYTES", "").strip()
    return int(v) if v.isdigit() else 1 << 30


class BufferPool:
    def __init__(self, limit_bytes=None):
        self.limit = _limit_from_env() if limit_bytes is None else int(limit_bytes)
        self._free = collections.defaultdict(list)  # rounded size -> [mmap]
        self._free_bytes = 0

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
        block = mmap.mmap(-1, size)
        if size >= _HUGE and hasattr(mmap, "MADV_HUGEPAGE"):
            try:
                block.madvise(mmap.MADV_HUGEPAGE)
            except OSError:  # THP off in this kernel: ordinary pages
                pass
        STATS["fresh"] += 1
        return block

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
