"""LLVM for the host: initialisation, the target machine, optimisation, object code, loading.

Compiled programs go through object code in every case: IR -> optimised IR -> `emit_object`
-> loaded into one process-wide MCJIT engine with `add_object_file`. The same bytes are what
the disk cache stores, so a cache hit skips IR building, optimisation and code generation and
only links the object (about a millisecond). External symbols are resolved at load time: the
C library's math functions from the process, BLAS from the addresses registered here.
"""

from __future__ import annotations

import functools
import threading

import llvmlite
import llvmlite.binding as llvm

from . import blas, lapack, parallel, xla_math

_lock = threading.RLock()  # llvmlite serialises compilation anyway; loading must not interleave


@functools.cache
def _init():
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.add_symbol("jaxlite_sgemm", blas.address("sgemm"))
    llvm.add_symbol("jaxlite_dgemm", blas.address("dgemm"))
    llvm.add_symbol("jaxlite_cgemm", blas.address("cgemm"))
    llvm.add_symbol("jaxlite_zgemm", blas.address("zgemm"))
    for name, address in parallel.symbols() + lapack.symbols() + xla_math.symbols():
        llvm.add_symbol(name, address)
    # BLAS policy (see cpu/parallel): one thread, raised per call for large products only.
    parallel.BLAS_SET_THREADS.value = blas.set_threads_address() or None
    blas.set_num_threads(1)
    return True


@functools.cache
def host():
    """(cpu name, feature string): the target is the host CPU with all its features."""
    _init()
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


@functools.cache
def target_machine():
    return new_target_machine()


def new_target_machine():
    """A target machine of its own (cpu/parallel_compile gives each compiling thread one)."""
    cpu, features = host()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    # Large code model, static relocations: every address is a 64-bit absolute. MCJIT places the
    # sections of each loaded object wherever mmap puts them; after many loads (and large pool
    # mmaps) text and constants can end up more than 2 GiB apart, and the small model's 32-bit
    # PC-relative relocations then abort inside finalize_object (seen in the full test run).
    return target.create_target_machine(cpu=cpu, features=features, opt=3, reloc="static", codemodel="large")


def fingerprint() -> str:
    """What the disk cache key must include besides the program: tool versions and the CPU."""
    from . import vecmath

    cpu, features = host()
    major, minor, patch = llvm.llvm_version_info
    return (
        f"llvmlite {llvmlite.__version__}; LLVM {major}.{minor}.{patch}; cpu {cpu}; features {features}; "
        f"libmvec {vecmath.available()}"
    )


@functools.cache
def _engine():
    _init()
    return llvm.create_mcjit_compiler(llvm.parse_assembly(""), target_machine())


def optimize(ir_text: str, speed_level=3):
    """Parse, verify and optimise; returns the llvm.ModuleRef."""
    with _lock:
        _init()
        tm = target_machine()
        mod = llvm.parse_assembly(ir_text)
        mod.triple = tm.triple
        mod.data_layout = str(tm.target_data)
        mod.verify()
        pb = llvm.create_pass_builder(tm, pipeline_options(speed_level))
        pb.getModulePassManager().run(mod, pb)
        return mod


def pipeline_options(speed_level=3):
    pto = llvm.create_pipeline_tuning_options(speed_level=speed_level)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    # No unrolling: vectorised loops keep their width; unrolling their bodies and scalar
    # tails cost ~30% of compile time (MLP train step: 0.57 -> 0.39 s) for no measured
    # run-time gain on workloads 1-3.
    pto.loop_unrolling = False
    return pto


def emit_object(mod) -> bytes:
    with _lock:
        return target_machine().emit_object(mod)


_loaded = []  # keeps object bytes alive for the process's life (code is never unloaded)


_pool = {}  # "address": cpu/threadpool's dispatcher, once linked into this process


def pool_linked() -> bool:
    return "address" in _pool


def link_pool_runtime(obj: bytes):
    """Link cpu/threadpool's runtime (object code from runtime.load_support, the one path that
    compiles and caches it) once per process and publish `jaxlite_parallel_for` for the programs
    loaded after it, which only declare it."""
    from . import threadpool

    with _lock:
        if pool_linked():
            return
        _pool["address"] = load_objects([obj], "jaxlite_pool_parallel_for")
        llvm.add_symbol(threadpool.NAME, _pool["address"])


def load_object(obj: bytes, entry_name: str) -> int:
    """Link object code into the process; returns the address of `entry_name`."""
    return load_objects([obj], entry_name)


def load_objects(objs, entry_name: str) -> int:
    """Link a program's object code (several objects when it was compiled in parts, see
    cpu/parallel_compile: they call each other by name) into the process, finalizing once;
    returns the address of `entry_name`."""
    with _lock:
        engine = _engine()
        for obj in objs:
            engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        _loaded.extend(objs)
        addr = engine.get_function_address(entry_name)
        if not addr:
            raise RuntimeError(f"compiled object has no symbol {entry_name}")
        return addr


def symbol_address(name: str) -> int:
    with _lock:
        return _engine().get_function_address(name)
