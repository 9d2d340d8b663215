"""Devices as threads, and the rendezvous their collectives meet at.

pmap runs one copy of the per-device program on each local device, each on its own thread
(`run_on_devices`). While a device's program runs, its thread knows which device it is
(`current()`: the local index and the shared `Rendezvous`). A collective (psum, all_gather, ...)
reached in that program -- through the interpreter, or through a compiled program's callback into
the interpreter -- calls `exchange`: every device deposits its operand; the last one to arrive
combines all operands in device order (so every device gets bit-identical results, whatever
order the threads arrived in) and wakes the others, which pick up their own result.

Deadlock and hangs: every device runs the same program, so they reach the same collectives in
the same order and a round always fills up. When that breaks -- a device raised, or finished
without reaching a collective its peers wait in, or signatures differ (data-dependent control
flow) -- the rendezvous is aborted and every waiting device raises `CollectiveError`. A wait also
gives up after `JAXLITE_COLLECTIVE_TIMEOUT` seconds (default 300).

Across processes: the last local arrival also speaks for its process to the process group
(jaxlite.distributed's contract: allreduce / allgather / alltoall / sendrecv, called by one thread
per process, in program order). The group is found through a provider that jaxlite installs
(`set_process_group_provider`), since the compiler never imports jaxlite. Global device index of
local device i is rank * local_count + i.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time

import numpy as np

from . import pool as _pool

_local = threading.local()
_provider = [lambda: None]


class CollectiveError(RuntimeError):
    """A collective could not complete: a peer device failed, diverged, or timed out."""


def set_process_group_provider(fn):
    """`fn()` returns the multi-process group (or None); installed by jaxlite.pmap."""
    _provider[0] = fn


def process_group():
    return _provider[0]()


def timeout_s() -> float:
    return float(os.environ.get("JAXLITE_COLLECTIVE_TIMEOUT", "300"))


class _Round:
    __slots__ = ("values", "sigs", "arrived", "results")

    def __init__(self, size):
        self.values = [None] * size
        self.sigs = [None] * size
        self.arrived = 0
        self.results = None


class Rendezvous:
    """The meeting point of `size` local devices mapped over `axis_name` (and, with a process
    group, of the same devices in every other process)."""

    def __init__(self, axis_name, size, group=None):
        self.axis_name = axis_name
        self.size = size
        self.group = group
        self.rank = group.rank if group is not None else 0
        self.nprocs = group.size if group is not None else 1
        self.global_size = size * self.nprocs
        self._cond = threading.Condition()
        self._round = _Round(size)
        self._error = None
        self._finished = []

    def global_index(self, index):
        return self.rank * self.size + index

    def abort(self, error):
        with self._cond:
            if self._error is None:
                self._error = error
            self._cond.notify_all()

    def finish(self, index):
        with self._cond:
            self._finished.append(index)
            self._cond.notify_all()

    def exchange(self, index, signature, value, combine):
        """Deposit `value` as device `index`; returns this device's part of combine(values)."""
        with self._cond:
            self._check()
            rnd = self._round
            rnd.values[index], rnd.sigs[index] = value, signature
            rnd.arrived += 1
            if rnd.arrived == self.size:
                self._round = _Round(self.size)
                try:
                    for i, s in enumerate(rnd.sigs):
                        if s != rnd.sigs[0]:
                            raise CollectiveError(
                                f"pmap over axis {self.axis_name!r}: devices reached different "
                                f"collectives (device 0: {rnd.sigs[0]}, device {i}: {s}); every "
                                "device must run the same collectives in the same order")
                    rnd.results = combine(rnd.values)
                except BaseException as e:
                    self._error = self._error or e
                    self._cond.notify_all()
                    raise
                self._cond.notify_all()
            else:
                deadline = time.monotonic() + timeout_s()
                while rnd.results is None:
                    self._check()
                    if self._finished:
                        err = CollectiveError(
                            f"pmap over axis {self.axis_name!r}: device {self._finished[0]} "
                            f"finished without reaching the collective {signature[0]} that device "
                            f"{index} waits in")
                        self._error = self._error or err
                        self._cond.notify_all()
                        raise err
                    left = deadline - time.monotonic()
                    if left <= 0:
                        err = CollectiveError(
                            f"pmap over axis {self.axis_name!r}: device {index} waited "
                            f"{timeout_s():.0f} s in {signature[0]} for its peers "
                            "(JAXLITE_COLLECTIVE_TIMEOUT)")
                        self._error = self._error or err
                        self._cond.notify_all()
                        raise err
                    self._cond.wait(left)
            return rnd.results[index]

    def _check(self):
        if self._error is not None:
            raise CollectiveError(
                f"pmap over axis {self.axis_name!r} aborted: another device failed "
                f"({type(self._error).__name__}: {self._error})")


class DeviceContext:
    __slots__ = ("index", "rendezvous")

    def __init__(self, index, rendezvous):
        self.index, self.rendezvous = index, rendezvous


def current():
    """The device the calling thread runs a pmap shard for, or None."""
    return getattr(_local, "ctx", None)


@contextlib.contextmanager
def on_device(index, rendezvous):
    prev = current()
    _local.ctx = DeviceContext(index, rendezvous)
    try:
        yield
    finally:
        _local.ctx = prev


# ---- Device threads -------------------------------------------------------------------------


class _Worker(threading.Thread):
    def __init__(self, n):
        super().__init__(name=f"jaxlite-device-{n}", daemon=True)
        self.jobs = queue.SimpleQueue()
        self.start()

    def run(self):
        while True:
            job = self.jobs.get()
            job()


_workers: list[_Worker] = []
_pool_lock = threading.Lock()  # one pmap at a time owns the device threads


def _get_workers(n):
    while len(_workers) < n:
        _workers.append(_Worker(len(_workers)))
    return _workers[:n]


def run_on_devices(fn, n, axis_name, group=None):
    """Run fn(i) for local devices i < n, each on its own thread, with a fresh rendezvous.

    Returns the list of results; if any device raised, raises the first root-cause error (not
    the CollectiveErrors of peers it aborted) after every device has stopped.
    """
    if current() is not None:
        raise RuntimeError(
            "pmap: a pmap was called while running on a device of another pmap; nested pmap is "
            "not supported (use vmap inside pmap for a second mapped axis)")
    rdv = Rendezvous(axis_name, n, group)
    results, errors = [None] * n, [None] * n
    done = threading.Semaphore(0)

    def job_for(i):
        def job():
            try:
                with on_device(i, rdv):
                    results[i] = fn(i)
            except BaseException as e:  # noqa: BLE001 - handed to the caller below
                errors[i] = e
                rdv.abort(e)
            finally:
                rdv.finish(i)
                done.release()
        return job

    with _pool_lock:
        # device 0 runs on the calling thread: one pmap on one device hands nothing over
        for i, w in enumerate(_get_workers(n - 1), start=1):
            w.jobs.put(job_for(i))
        job_for(0)()
        for _ in range(n):
            done.acquire()
    failed = [(i, e) for i, e in enumerate(errors) if e is not None]
    if failed:
        roots = [(i, e) for i, e in failed if not isinstance(e, CollectiveError)] or failed
        i, err = roots[0]
        err.add_note(f"(raised on device {rdv.global_index(i)} of the pmap over axis {axis_name!r})")
        raise err
    return results


# ---- The collectives, as seen by one device ----------------------------------------------------


def device_for(names, what):
    """The calling thread's device context if it maps exactly `names`, else None."""
    ctx = current()
    names = names if isinstance(names, tuple) else (names,)
    if ctx is None or names != (ctx.rendezvous.axis_name,):
        return None
    return ctx


def _sum(vals):
    if len(vals) == 1:
        return np.asarray(vals[0])  # callers copy results into their own buffers
    first = np.asarray(vals[0])
    acc = _pool.empty(first.shape, first.dtype)  # large sums reuse pooled pages (no faults)
    np.add(first, vals[1], out=acc, casting="unsafe")
    for v in vals[2:]:
        np.add(acc, v, out=acc, casting="unsafe")
    return acc


def _reduce(kind):
    def combine(vals):
        if kind == "sum":
            return _sum(vals)
        return (np.maximum if kind == "max" else np.minimum).reduce(np.stack(vals), axis=0)
    return combine


def _gathered(rdv, vals):
    """All devices' values (global order) stacked on a new leading axis."""
    local = np.stack([np.asarray(v) for v in vals])
    if rdv.group is None:
        return local
    allv = np.asarray(rdv.group.allgather(local))  # (P, L, ...)
    return allv.reshape((rdv.global_size,) + local.shape[1:])


def reduce(ctx, x, kind):
    rdv = ctx.rendezvous
    local = _reduce(kind)

    def combine(vals):
        out = local(vals)
        if rdv.group is not None:
            out = np.asarray(rdv.group.allreduce(out, kind)).astype(out.dtype, copy=False)
        return [out] * rdv.size

    return rdv.exchange(ctx.index, (f"p{kind}", x.shape, x.dtype.str), x, combine)


def all_gather(ctx, x, dim, tiled):
    rdv = ctx.rendezvous

    def combine(vals):
        g = _gathered(rdv, vals)
        out = np.concatenate(list(g), axis=dim) if tiled else np.moveaxis(g, 0, dim)
        return [np.ascontiguousarray(out)] * rdv.size

    return rdv.exchange(ctx.index, ("all_gather", x.shape, x.dtype.str, dim, tiled), x, combine)


def axis_index(ctx):
    return np.int32(ctx.rendezvous.global_index(ctx.index))


def ppermute(ctx, x, perm):
    rdv = ctx.rendezvous
    src_of = {d: s for s, d in perm}

    def combine(vals):
        if rdv.group is not None and rdv.size == 1:  # one device per process: ranks are devices
            return [np.asarray(rdv.group.sendrecv(vals[0], list(perm))).astype(x.dtype, copy=False)]
        every = _gathered(rdv, vals)
        outs = []
        for i in range(rdv.size):
            s = src_of.get(rdv.global_index(i))
            outs.append(np.zeros_like(vals[i]) if s is None else every[s])
        return outs

    return rdv.exchange(ctx.index, ("ppermute", x.shape, x.dtype.str, tuple(perm)), x, combine)


def all_to_all(ctx, x, split_axis, concat_axis):
    rdv = ctx.rendezvous
    n_all, n_loc = rdv.global_size, rdv.size

    def combine(vals):
        # chunks[s][t]: local device s's chunk for global device t
        chunks = [np.split(np.asarray(v), n_all, axis=split_axis) for v in vals]
        if rdv.group is None:
            return [np.concatenate([chunks[s][t] for s in range(n_loc)], axis=concat_axis)
                    for t in range(n_loc)]
        send = np.stack([np.stack([np.stack([chunks[s][p * n_loc + t] for t in range(n_loc)])
                                   for s in range(n_loc)]) for p in range(rdv.nprocs)])
        recv = np.asarray(rdv.group.alltoall(send))  # recv[q, s, t]: from device q*L+s for t
        return [np.concatenate([recv[q, s, t] for q in range(rdv.nprocs) for s in range(n_loc)],
                               axis=concat_axis) for t in range(n_loc)]

    sig = ("all_to_all", x.shape, x.dtype.str, split_axis, concat_axis)
    return rdv.exchange(ctx.index, sig, x, combine)


def psum_scatter(ctx, x, dim, tiled):
    total = reduce(ctx, x, "sum")
    g = ctx.rendezvous.global_index(ctx.index)
    if tiled:
        return np.split(total, ctx.rendezvous.global_size, axis=dim)[g]
    return np.take(total, g, axis=dim)
