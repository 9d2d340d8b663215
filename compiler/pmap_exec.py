"""Running pmap's per-device program: compiled once, one thread per local device.

`run_shards(per_device_args, ...)` takes each device's operands and returns each device's
outputs; `pmap_impl` is the `pmap` primitive's meaning on stacked operands (mapped ones are split
along axis 0, the others shared) and stacks the outputs. The body is compiled with the CPU
pipeline once per ClosedJaxpr (cached weakly on it); `interpret=True` runs it with the NumPy
interpreter instead (the oracle). Collectives inside reach compiler/rendezvous.py.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from . import rendezvous

_executables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_compile_lock = threading.Lock()


def executable(closed):
    exe = _executables.get(closed)
    if exe is None:
        from .pipeline import compile_cpu

        with _compile_lock:
            exe = _executables.get(closed)
            if exe is None:
                exe = _executables[closed] = compile_cpu(closed)
    return exe


def run_shards(per_device_args, *, jaxpr, axis_name, axis_size, global_axis_size, mapped=None,
               devices=None, name="pmap", interpret=False):
    """Each device's outputs (a list of lists of ndarrays), running devices concurrently."""
    group = rendezvous.process_group()
    nprocs = group.size if group is not None else 1
    if axis_size * nprocs != global_axis_size:
        raise ValueError(
            f"pmap {name}: {axis_size} local devices in each of {nprocs} processes do not make "
            f"the traced axis size {global_axis_size}; trace and run with the same process group")
    avals = jaxpr.in_avals
    if interpret:
        from .interpret import eval_jaxpr

        def run(args):
            return eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)
    else:
        run = executable(jaxpr).run

    def device(i):
        args = [np.ascontiguousarray(a, dtype=av.dtype) for a, av in zip(per_device_args[i], avals, strict=True)]
        return list(run(args))

    return rendezvous.run_on_devices(device, axis_size, axis_name, group)


def split_operands(args, mapped, n):
    return [[a[i] if m else a for a, m in zip(args, mapped, strict=True)] for i in range(n)]


def pmap_impl(*args, jaxpr, axis_name, axis_size, global_axis_size, mapped, devices=None,
              name="pmap", interpret=False):
    args = [np.asarray(a) for a in args]
    outs = run_shards(split_operands(args, mapped, axis_size), jaxpr=jaxpr, axis_name=axis_name,
                      axis_size=axis_size, global_axis_size=global_axis_size, name=name,
                      interpret=interpret)
    n_out = len(jaxpr.out_avals)
    return [np.stack([np.asarray(outs[i][k]) for i in range(axis_size)]) for k in range(n_out)]
