"""The compiler's passes, in order. Each is named for debug dumps (JAXLITE_DUMP_DIR=<dir> writes
one file per pass: the Jaxpr after it, then the fused program and the LLVM IR)."""

from __future__ import annotations

import itertools
import os

from .passes import canonicalize_dots, cse, dce, fold_constants, inline_calls, simplify
from .passes.conv import lower_windowed
from .passes.fusion import fuse
from .typecheck import check_jaxpr

PASSES = [
    ("inline", inline_calls),
    ("simplify", simplify),
    ("fold", fold_constants),
    ("cse", cse),
    ("dce", dce),
    ("windows", lower_windowed),  # conv -> per-tap gemms, reduce_window -> slices + combine
    ("dots", canonicalize_dots),  # gemm-ready operands; integer dots become multiply-reduce
    ("simplify-2", simplify),
    ("cse-2", cse),
    ("dce-2", dce),
]

_dump_counter = itertools.count()


def env_dumper():
    """A dump(name, text) writing into $JAXLITE_DUMP_DIR, or None when it is not set."""
    d = os.environ.get("JAXLITE_DUMP_DIR")
    if not d:
        return None
    os.makedirs(d, exist_ok=True)
    n = next(_dump_counter)

    def dump(name, text):
        with open(os.path.join(d, f"{n:04d}.{name}.txt"), "w") as f:
            f.write(text)

    return dump


def optimize(closed, dump=None, check=False):
    """Run the Jaxpr passes. `check` re-verifies the IR after every pass (tests)."""
    if dump:
        dump("input", str(closed))
    for name, run in PASSES:
        closed = run(closed)
        if check:
            check_jaxpr(closed)
        if dump:
            dump(name, str(closed))
    return closed


def lower_cpu(closed, dump=None, check=False):
    """Jaxpr -> (optimised ClosedJaxpr, kernels.Program) for the CPU back end."""
    from .cpu.coverage import why_not_native

    closed = optimize(closed, dump, check)
    program = fuse(closed, why_not_native)
    if dump:
        dump("fusion", program.render() + "\n\n" + program.report())
    return closed, program


def compile_cpu(closed, dump=None, check=False):
    """Jaxpr -> runtime.Executable, through the caches."""
    from . import gc_pause, pool, runtime

    # The outputs' pages are faulted in on another thread while this one compiles (pool.prefetch)
    pool.POOL.prefetch([v.aval.size * v.aval.dtype.itemsize for v in closed.jaxpr.outvars])
    dump = dump or env_dumper()
    with gc_pause.paused():
        closed, program = lower_cpu(closed, dump, check)
        exe = runtime.compile_program(program, closed.consts)
    if dump:
        dump("llvm", exe.llvm_ir())
    return exe
