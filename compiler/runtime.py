"""Executables, their buffers, and the compile cache (in memory and on disk).

Compilation is render -> hash -> (memory cache | disk cache | LLVM) -> load:

- the key is the SHA-256 of the rendered Program (its exact text: buffers, steps, kernels with
  bit-exact constants), a codegen version, and `cpu.target.fingerprint()` (llvmlite and LLVM
  versions, host CPU name and features);
- the in-memory cache maps keys to loaded native code; the disk cache (JAXLITE_CACHE_DIR, else
  ~/.cache/jaxlite; JAXLITE_DISABLE_DISK_CACHE=1 turns it off) holds object code. An entry is
  MAGIC + sha256(payload) + payload, written to a temporary file in the same directory and
  renamed into place (atomic: readers see the old entry or the new one, never half of one), and
  checked when read: a truncated or corrupted entry is removed and recompiled. The directory is
  created with mode 0o700;
- programs with split steps call one dispatcher (cpu/threadpool.runtime_module) that is not in
  their object code: it is compiled once per cache directory (entry `<key>.support`, same
  format and checks) and linked once per process, before the first object that names it;
- a large program is compiled in parts on several threads (cpu/parallel_compile; when the
  dispatcher must be compiled too, it is one more part) and its entry holds all the objects
  (parallel_compile.pack), loaded together and finalized once.

An Executable is called with NumPy arrays of exactly its input avals (C-contiguous) and returns
NumPy outputs; large outputs and temporaries come from `pool.POOL` (reused blocks, no fresh
page faults; an output's block returns to the pool only when the last view of it dies). Its
native entry takes one array of buffer pointers (or, up to MAX_DIRECT_SLOTS, the pointers as
arguments); the ctypes function is built once per executable, so a call is one foreign call
plus taking its outputs. Calls are thread-safe: every call has its own outputs and temporaries,
and the native code keeps no state. Large loop kernels and very large gemms are split across
threads inside the native code (cpu/parallel).
"""

from __future__ import annotations

import collections
import ctypes
import hashlib
import os
import tempfile
import threading
import warnings

import numpy as np

from . import pool as _pool
from .cpu import codegen, parallel, parallel_compile, target, threadpool
from .passes.control_steps import walk_steps
from .passes.kernels import InterpretStep

# 12: LAPACK steps, native sort; gemm row/column split, optnone tiny kernels, one parallel_for
# 17: parallel_for over a persistent thread pool (cpu/threadpool), its runtime a separate
#     support object (`<key>.support`) linked at load; gemms from 2**22 multiply-adds split;
#     complex64/complex128 kernels and cgemm/zgemm; optnone entry points (loop-free programs);
#     radix sort for one key and rows of a few dozen elements or more (cpu/emit_radix)
# 18: large programs compiled in parts on several threads (cpu/parallel_compile); an entry may
#     hold several objects (parallel_compile.pack)
# 19: complex asin/acos/atan/asinh/acosh/atanh native (cpu/emit_complex_inverse)
# 20: complex orderings native (cpu/emit_complex_order: max/min/clamp/compare, max/min folds,
#     argmax/argmin; complex sort keys in the merge sort)
CODEGEN_VERSION = "jaxlite-cpu-20"
MAGIC = b"JAXLITE-OBJ1\n"

# llvm_compiles (parallel_compiles: those compiled in parts, see cpu/parallel_compile),
# memory_hits, disk_hits, disk_writes, disk_corrupt, and interpreter_callbacks:
# entries from native code into Python (a native loop makes none per iteration; tests count them)
STATS = collections.Counter()

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
_lock = threading.RLock()
_memory = {}  # key -> _Native
_settings = {"cache_dir": None}


# ---- The disk cache ---------------------------------------------------------------------------


def set_cache_dir(path):
    """Override JAXLITE_CACHE_DIR for this process (None: back to the environment)."""
    _settings["cache_dir"] = path


def cache_dir():
    if os.environ.get("JAXLITE_DISABLE_DISK_CACHE", "").strip().lower() in ("1", "true", "yes", "on"):
        return None
    d = _settings["cache_dir"] or os.environ.get("JAXLITE_CACHE_DIR")
    return d or os.path.join(os.path.expanduser("~"), ".cache", "jaxlite")


def _entry_path(key, suffix=".o"):
    d = cache_dir()
    return None if d is None else os.path.join(d, f"{key}{suffix}")


def disk_load(key, suffix=".o", stat="disk", parse=None):
    """The verified payload of entry `key` (or `parse(payload)`, when given: None there means a
    bad entry too), else None (a bad entry is removed and counted in STATS[stat + "_corrupt"];
    a good one in STATS[stat + "_hits"])."""
    path = _entry_path(key, suffix)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = len(MAGIC) + 65
    if data[: len(MAGIC)] == MAGIC and len(data) > head:
        digest, payload = data[len(MAGIC) : head - 1], data[head:]
        if data[head - 1 : head] == b"\n" and hashlib.sha256(payload).hexdigest().encode() == digest:
            value = payload if parse is None else parse(payload)
            if value is not None:
                STATS[stat + "_hits"] += 1
                return value
    STATS[stat + "_corrupt"] += 1
    try:
        os.unlink(path)
    except OSError:
        pass
    return None


def disk_store(key, payload: bytes, suffix=".o", stat="disk"):
    path = _entry_path(key, suffix)
    if path is None:
        return
    d = os.path.dirname(path)
    try:
        os.makedirs(d, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".o")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        STATS[stat + "_writes"] += 1
    except OSError as e:  # a read-only or full disk only costs the next process a compile
        warnings.warn(
            f"jaxlite: could not write the compile cache entry {path}: {e}", RuntimeWarning, stacklevel=2
        )


def set_num_threads(n: int):
    """Threads for large loop kernels and large gemms (default: JAXLITE_NUM_THREADS, else
    OMP_NUM_THREADS, else the usable CPUs). Takes effect at the next call, without recompiling;
    see cpu/parallel for the policy and `parallel.set_grain` for the size threshold."""
    target._init()
    parallel.set_num_threads(n)


# ---- Native code ------------------------------------------------------------------------------


class _Native:
    __slots__ = ("key", "entry_name", "address", "cfunc", "direct", "llvm_ir")

    def __init__(self, key, entry_name, address, direct_address, n_slots, llvm_ir):
        self.key, self.entry_name, self.address, self.llvm_ir = key, entry_name, address, llvm_ir
        self.cfunc = _ENTRY(address)
        self.direct = None
        if direct_address:
            self.direct = ctypes.CFUNCTYPE(ctypes.c_int32, *[ctypes.c_void_p] * (n_slots + 2))(direct_address)


def content_key(*parts: str) -> str:
    """The cache key of object code made from `parts` (IR text, a rendered program, ...) by this
    code generator on this CPU."""
    return hashlib.sha256("\n".join([CODEGEN_VERSION, target.fingerprint(), *parts]).encode()).hexdigest()


def object_code(key, llvm_ir_text, suffix=".o", stat="disk", compiles="llvm_compiles"):
    """(object code, its optimised LLVM module or None): cache entry `key` read from disk, else
    `llvm_ir_text()` optimised, compiled (counted in STATS[compiles]) and stored."""
    obj = disk_load(key, suffix, stat)
    if obj is not None:
        return obj, None
    mod = target.optimize(llvm_ir_text())
    obj = target.emit_object(mod)
    STATS[compiles] += 1
    disk_store(key, obj, suffix, stat)
    return obj, mod


def program_objects(key, build_module, entry_name):
    """(object codes, optimised LLVM text or None) of a program: cache entry `key` (one entry
    even when the program was compiled in parts: cpu/parallel_compile.pack), else
    `build_module()` compiled, in parts on several threads when it is large enough to pay
    (counted in STATS["parallel_compiles"]; its optimised text is then rebuilt on demand)."""
    objs = disk_load(key, parse=parallel_compile.unpack)
    if objs is not None:
        return objs, None
    module = build_module()
    threads = parallel_compile.usable_threads(parallel.num_threads()) if parallel_compile.available() else 1
    if _pool.POOL.prefetching():
        # The prefetch thread is faulting in this program's outputs on another core (and holds
        # the process's mmap lock in steps, which LLVM's allocations wait for): compiling on
        # two threads beside it measured slower than on one (MLP per-example gradients, first
        # call: 235-255 ms against 205-210 ms, 2 cores).
        threads = 1
    texts = parallel_compile.split(module, entry_name, threads)
    # The thread pool's runtime, when this program is the first to need it and no cache has
    # it, compiles beside the program's parts instead of after them.
    support = _support_to_compile() if threadpool.NAME in module.globals and threads > 1 else None
    objs = None
    if len(texts) > 1 or support is not None:
        jobs = texts + ([support[1]] if support else [])
        try:
            objs = parallel_compile.compile_parts(jobs, target.new_target_machine, target.pipeline_options)
        except Exception as e:  # noqa: BLE001 - the serial path below reports a real LLVM error again
            STATS["parallel_compile_failures"] += 1
            warnings.warn(
                f"jaxlite: compiling a program in parts failed ({type(e).__name__}: {e}); compiling it whole",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            if support:
                _store_support(support[0], objs.pop())
            if len(texts) > 1:
                STATS["parallel_compiles"] += 1
    llvm_ir = None
    if objs is None:
        mod = target.optimize(texts[0] if len(texts) == 1 else str(module))
        objs, llvm_ir = [target.emit_object(mod)], str(mod)
    STATS["llvm_compiles"] += 1
    disk_store(key, parallel_compile.pack(objs))
    return objs, llvm_ir


def program_key(program) -> str:
    # compile-time code-shape thresholds change the object code, so they are part of the key
    shape = (
        f"split_gemm_macs={codegen.SPLIT_GEMM_MACS} min_split_work={parallel.MIN_SPLIT_WORK} "
        f"light_kernel_work={codegen.LIGHT_KERNEL_WORK}"
    )
    return content_key(shape, program.render())


def optimized_ir(program, entry_name) -> str:
    module = codegen.build_module(program, entry_name)
    return str(target.optimize(str(module)))


def load_support():
    """Compile (once per cache directory; entries `<key>.support`, same format and checks as the
    programs' `<key>.o`) and load (once per process) the native support code that programs with
    split steps link against (cpu/threadpool.runtime_module). STATS: support_compiles,
    support_hits, support_writes, support_corrupt."""
    with _lock:
        job = _support_to_compile()
        if job is not None:
            key, text = job
            _store_support(key, target.emit_object(target.optimize(text)))
        return True


def _support_to_compile():
    """(cache key, IR text) of the support code when it must be compiled: not linked into this
    process and not in the disk cache (a cached copy is linked here and then)."""
    with _lock:
        if target.pool_linked():
            return None
        text = str(threadpool.runtime_module())
        key = content_key("support", text)
        obj = disk_load(key, ".support", "support")
        if obj is None:
            return key, text
        target.link_pool_runtime(obj)
        return None


def _store_support(key, obj):
    STATS["support_compiles"] += 1
    disk_store(key, obj, ".support", "support")
    target.link_pool_runtime(obj)


def _load(objs, entry_name: str) -> int:
    # The dispatcher's name appears in an object's symbol table only when the object calls it:
    # programs without split steps never load (or compile) the support code.
    with _pool.populating_paused():
        if any(threadpool.NAME.encode() in obj for obj in objs):
            load_support()
        return target.load_objects(objs, entry_name)


def native_code(program) -> _Native:
    key = program_key(program)
    with _lock:
        native = _memory.get(key)
        if native is not None:
            STATS["memory_hits"] += 1
            return native
        entry_name = f"jaxlite_{key[:32]}"
        objs, llvm_ir = program_objects(key, lambda: codegen.build_module(program, entry_name), entry_name)
        address = _load(objs, entry_name)
        n_slots = len(program.inputs) + len(program.output_buffers) + 1
        direct = target.symbol_address(entry_name + "_direct") if n_slots <= codegen.MAX_DIRECT_SLOTS else 0
        native = _Native(key, entry_name, address, direct, n_slots, llvm_ir)
        _memory[key] = native
        return native


# ---- Executables ------------------------------------------------------------------------------


def _find_data_offset():
    """Where an ndarray object keeps its data pointer (right after the object header in NumPy's
    public PyArrayObject_fields). Reading it directly costs a tenth of `a.ctypes.data`; found
    and verified on live arrays rather than assumed."""
    probes = [np.empty(n, np.uint8) for n in (3, 17, 1000)]
    for off in range(8, 65, 8):
        if all(ctypes.c_void_p.from_address(id(a) + off).value == a.ctypes.data for a in probes):
            return off
    return None


_DATA_OFFSET = _find_data_offset()
_from_address = ctypes.c_void_p.from_address


def data_pointer(a: np.ndarray) -> int:
    if _DATA_OFFSET is None:
        return a.ctypes.data
    return _from_address(id(a) + _DATA_OFFSET).value


_registry = {}  # token -> Executable, for interpreter callbacks
_errors = threading.local()


@_CALLBACK
def _callback(ctx, step, ptrs):
    STATS["interpreter_callbacks"] += 1
    try:
        _registry[ctx]._interpret(step, ptrs)
        return 0
    except BaseException as e:  # noqa: BLE001 - re-raised by the caller after the native call
        _errors.error = e
        return 1


_CALLBACK_ADDRESS = ctypes.cast(_callback, ctypes.c_void_p).value


def _impl(prim):
    from .interpret import impl_rules
    from .interpret_calls import CALL_IMPLS

    rule = impl_rules.get(prim) or CALL_IMPLS.get(prim)
    if rule is None:
        raise NotImplementedError(f"{prim.name} has no NumPy meaning to fall back on")
    return rule


def _view(address, shape, dtype):
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes == 0:
        return np.empty(shape, dtype)
    raw = (ctypes.c_uint8 * nbytes).from_address(address)
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


class Executable:
    """A compiled program. `consts` are passed before the caller's arguments."""

    def __init__(self, program, native, consts=()):
        self.program, self.native = program, native
        self.consts = [
            np.asarray(c, dtype=a.dtype, order="C") for c, a in zip(consts, program.in_avals, strict=False)
        ]
        self._fn = native.cfunc
        outs = program.output_buffers
        self._out_specs = [(b.shape, b.dtype) for b in outs]
        self._n_in = len(program.inputs)
        self._n_slots = self._n_in + len(outs) + 1
        self._ptrs_type = ctypes.c_void_p * self._n_slots
        self._arena = program.arena_bytes
        self._interp = {s.index: s for s in walk_steps(program.steps) if isinstance(s, InterpretStep)}
        self._token = None
        if self._interp:
            with _lock:
                self._token = len(_registry) + 1
                _registry[self._token] = self
        self._plain_outputs = [o[1] for o in program.outputs] == [b.id for b in outs] and all(
            o[0] == "buffer" for o in program.outputs
        )
        self.run = self._make_run()  # run(args): args a sequence of exact, contiguous ndarrays

    def __call__(self, *args):
        """Run on NumPy arrays (exact dtypes and shapes, C-contiguous); returns NumPy arrays."""
        avals = self.program.in_avals[len(self.consts) :]
        if len(args) != len(avals):
            raise TypeError(f"compiled program: takes {len(avals)} arguments, got {len(args)}")
        for i, (a, aval) in enumerate(zip(args, avals)):
            if type(a) is not np.ndarray:
                raise TypeError(
                    f"compiled program: argument {i} must be a numpy.ndarray, got {type(a).__name__}"
                )
            # The native code reads exactly the declared bytes: anything else would read out of
            # bounds or misread a strided view, so it is refused rather than run.
            if a.shape != tuple(aval.shape) or a.dtype != np.dtype(aval.dtype.name):
                raise TypeError(
                    f"compiled program: argument {i} is {a.dtype}{list(a.shape)}, but the program was "
                    f"compiled for {aval.dtype.name}{list(aval.shape)}; pass an array of that shape and dtype"
                )
            if not a.flags.c_contiguous:
                raise ValueError(
                    f"compiled program: argument {i} is not C-contiguous; pass np.ascontiguousarray(x)"
                )
        return self.run(args)

    def _make_run(self):
        """The call path, with everything that does not change between calls bound once."""
        fn, ptrs_type, specs = self._fn, self._ptrs_type, self._out_specs
        # small outputs: plain np.empty (malloc reuses them; no pool bookkeeping on the fast path)
        small = all(int(np.prod(s, dtype=np.int64)) * d.itemsize < _pool.MIN_BYTES for s, d in specs)
        empty = np.empty if small else _pool.empty
        consts, arena_bytes, token = tuple(self.consts), self._arena, self._token
        cb = _CALLBACK_ADDRESS if token else None
        plain, off, at = self._plain_outputs, _DATA_OFFSET, _from_address
        lease, give_back, frombuffer, u8 = _pool.POOL.lease, _pool.POOL.give_back, np.frombuffer, np.uint8
        if off is None:

            def addr(a):
                return a.ctypes.data
        else:

            def addr(a):
                return at(id(a) + off).value

        direct = self.native.direct
        if direct is not None and len(specs) == 1 and not arena_bytes and plain:
            ((shape, dtype),) = specs

            def run(args):  # the common small case: one output, no temporaries
                if consts:
                    args = (*consts, *args)
                out = empty(shape, dtype)
                rc = direct(*[addr(a) for a in args], addr(out), None, token, cb)
                if rc:
                    self._raise(rc)
                return [out]

            return run

        def call(args, outs, arena_ptr):
            if direct is not None:
                return direct(*[addr(a) for a in args], *[addr(o) for o in outs], arena_ptr, token, cb)
            if arena_bytes:
                ptrs = ptrs_type(*[addr(a) for a in args], *[addr(o) for o in outs], arena_ptr)
            else:
                ptrs = ptrs_type(*[addr(a) for a in args], *[addr(o) for o in outs])
            return fn(ptrs, token, cb)

        pooled_arena = arena_bytes >= _pool.MIN_BYTES

        def run(args):
            if consts:
                args = (*consts, *args)
            outs = [empty(s, d) for s, d in specs]
            if not arena_bytes:
                rc = call(args, outs, None)
            elif pooled_arena and _pool.POOL.limit > 0:  # temporaries: a pooled block, back at once
                block = lease(arena_bytes)
                view = frombuffer(block, u8)
                try:
                    rc = call(args, outs, addr(view))  # mmap blocks are page-aligned
                finally:
                    del view
                    give_back(block)
            else:
                arena = np.empty(arena_bytes + 64, u8)
                rc = call(args, outs, (addr(arena) + 63) & ~63)
            if rc:
                self._raise(rc)
            return outs if plain else self._assemble(args, outs)

        return run

    def run_into(self, args, given):
        """`run(args)` with some output buffers supplied: `given` maps output slots (positions in
        program.output_buffers) to C-contiguous arrays of exactly that buffer's shape and dtype,
        which the program writes instead of fresh ones (buffer donation: the caller has checked
        `donation.can_alias` for each). Consts are prepended as in `run`."""
        args = (*self.consts, *args)
        outs = [given[k] if k in given else _pool.empty(s, d) for k, (s, d) in enumerate(self._out_specs)]
        arena = np.empty(self._arena + 64, np.uint8) if self._arena else None
        ptrs = [data_pointer(a) for a in (*args, *outs)]
        if arena is not None:
            ptrs.append((data_pointer(arena) + 63) & ~63)
        rc = self._fn(self._ptrs_type(*ptrs), self._token, _CALLBACK_ADDRESS if self._token else None)
        if rc:
            self._raise(rc)
        return outs if self._plain_outputs else self._assemble(args, outs)

    def _raise(self, rc):
        err = getattr(_errors, "error", None)
        _errors.error = None
        if err is not None:
            raise err
        raise RuntimeError(f"compiled program failed with code {rc}")

    def _assemble(self, args, outs):
        by_id = {b.id: o for b, o in zip(self.program.output_buffers, outs, strict=False)}
        results = []
        for kind, val in self.program.outputs:
            if kind == "buffer":
                results.append(by_id[val])
            elif kind == "input":
                results.append(np.array(args[val], copy=True))
            else:
                results.append(np.asarray(val.val, dtype=val.aval.dtype).reshape(()).copy())
        return results

    def _interpret(self, step_index, ptrs):
        """Run interpreter step `step_index`; `ptrs` points at its operand buffers' addresses,
        then its result buffers' (the native code passes the current ones, slices included)."""
        step = self._interp[step_index]
        prog = self.program
        bufs = [a for a in step.ins if isinstance(a, int)] + list(step.outs)
        addrs = (ctypes.c_void_p * max(1, len(bufs))).from_address(ptrs)
        where = {}
        for k, buf_id in enumerate(bufs):
            where.setdefault(buf_id, addrs[k])

        def view(buf_id):
            b = prog.buffers[buf_id]
            return _view(where[buf_id], b.shape, b.dtype)

        args = [view(a) if isinstance(a, int) else np.asarray(a.val, dtype=a.aval.dtype) for a in step.ins]
        with np.errstate(all="ignore"):
            out = _impl(step.eqn.prim)(*args, **step.eqn.params)
        outs = out if step.eqn.prim.multiple_results else [out]
        for buf_id, val in zip(step.outs, outs, strict=False):
            dst = view(buf_id)
            np.copyto(dst, np.asarray(val).astype(dst.dtype, copy=False), casting="unsafe")

    def report(self) -> str:
        return self.program.report()

    def llvm_ir(self) -> str:
        if self.native.llvm_ir is None:  # loaded from the disk cache: rebuild it for reading
            self.native.llvm_ir = optimized_ir(self.program, self.native.entry_name)
        return self.native.llvm_ir

    def as_text(self) -> str:
        return (
            "; ---- kernel/fusion report\n; " + self.report().replace("\n", "\n; ") + "\n\n" + self.llvm_ir()
        )


def compile_program(program, consts=()) -> Executable:
    return Executable(program, native_code(program), consts)


__all__ = ["Executable", "STATS", "compile_program", "native_code", "set_cache_dir", "set_num_threads"]
