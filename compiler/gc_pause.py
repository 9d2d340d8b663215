"""Python's cyclic garbage collector held off while a program is traced and compiled.

Tracing and IR building allocate tens of thousands of short-lived objects (tracers, equations,
llvmlite IR values), which trigger full collections that walk every object the process holds:
the per-example gradients' cold compile spent ~25 ms of ~200 in them, a warm-cache first call
~15 ms. Nothing these phases create needs the collector (their cycles die with the trace and are
collected at the next collection after it), so the collector is disabled for their duration and
restored afterwards. Nesting and threads share one counter: the collector comes back when the
last paused section ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0
_restore = False


@contextlib.contextmanager
def paused():
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
