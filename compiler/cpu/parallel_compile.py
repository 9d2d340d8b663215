"""Compiling one large program's LLVM on several cores at once.

A program's module (codegen.build_module) is split into parts, and each part is parsed,
optimised and compiled to object code on its own thread, in its own LLVMContext, with its own
TargetMachine and pass builder. The objects are loaded into the one MCJIT engine together
(target.load_objects), which resolves the calls between them by name.

Why llvmlite's lock is bypassed, and why that is safe. llvmlite wraps every call into its C
library in one process-wide lock (llvmlite/binding/ffi.py, `_lib_fn_wrapper.__call__`), so
threads going through its API compile one after another. LLVM itself allows concurrent work
on different LLVMContexts: nothing a module, its context, a TargetMachine or a pass builder
owns is shared with another context (the pass and target registries are read-only after
initialisation, and LLVM's statistics and pass timers are off). Only the two long calls are
made without the lock, through the ctypes function that llvmlite wraps (`_cfn`; a ctypes
call of a CDLL function releases the GIL): running the module pass manager on a part, and
emitting a part's object code to memory. Both touch only objects that this module created
for that one part and that no other thread sees. Everything else (parsing, verifying,
creating and disposing the context, target machine and pass builder, reading the memory
buffer) goes through llvmlite's API under its lock. When a future llvmlite no longer has
these wrappers (`unlocked_calls` finds none), programs are compiled serially, unsplit.
(The policy of when to split, given the thread setting and the cores, is runtime.program_objects.)

How a module is split (`split`). The unit of work is a function the entry point references
(a kernel's thunk, a gemm chunk's thunk, a LAPACK or sort routine, a kernel called directly)
together with every function it reaches (a thunk takes its kernel along); the entry and its
`_direct` wrapper are one more unit. Units are balanced over the parts by estimated compile
time (`_weight`; heaviest first, into the lightest part). A function two units reach (none today) is
duplicated into both when internal. A function called from another part gets external
linkage and a process-wide unique name, `<entry name>.<name>` (every program shares one
engine, and the entry name is unique to the program's content); the callers' parts declare
it. Declarations and global variables are copied into every part (unused ones cost nothing).
The split works on each function's rendered text, which llvmlite writes with every global
name quoted (`@"name"`), so references are found and renamed exactly.
"""

from __future__ import annotations

import ctypes
import os
import re
import struct
import threading

import llvmlite.binding as llvm
from llvmlite.binding import ffi

# A module whose weighted size (see `_weight`) is below this compiles as one part. Measured on
# this machine (2 cores; jit of k independent elementwise kernels, optimise + emit, medians of
# 5): weight 38 took 11.3 ms either way, 55-71 saved 1-2 ms of 12-13, 207 went 28 -> 19 ms and
# 814 90 -> 53 ms. Below ~100 (~10 ms of LLVM time) a second context, thread and copied
# declarations cost about what the overlap saves.
MIN_SPLIT_WEIGHT = 100
# The compile-time model behind `_weight`, in units of about 0.1 ms of LLVM time on this
# machine, fitted to the MLP programs compiled one function per module: an optimised function
# costs about one unit per instruction, plus ~60 when it has a loop (the vectoriser's work);
# an optnone function (no IR passes, fast instruction selection) about 0.3 per instruction.
LOOP_WEIGHT = 60
OPTNONE_WEIGHT = 0.3

_NAME = re.compile(r'@"((?:[^"\\]|\\.)*)"')


# ---- Finding the unlocked calls ----------------------------------------------------------------


def unlocked_calls():
    """(run module pass manager, emit to memory) as raw ctypes functions, or None when this
    llvmlite does not wrap them the way this module expects."""
    try:
        run = ffi.lib.LLVMPY_RunNewModulePassManager._cfn
        emit = ffi.lib.LLVMPY_TargetMachineEmitToMemory._cfn
    except AttributeError:
        return None
    if not (callable(run) and callable(emit)) or emit.restype is not ffi.LLVMMemoryBufferRef:
        return None
    return run, emit


_CALLS = {"found": None}


def _calls():
    if _CALLS["found"] is None:
        _CALLS["found"] = unlocked_calls() or False
    return _CALLS["found"] or None


def available() -> bool:
    return _calls() is not None


def usable_threads(requested: int) -> int:
    """Parts to compile at once: the program's thread setting, at most the usable cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, int(requested)))


# ---- Splitting -----------------------------------------------------------------------------------


def _weight(fn, text):
    n = text.count("\n")
    if "optnone" in fn.attributes:
        return n * OPTNONE_WEIGHT
    return n + (LOOP_WEIGHT if " phi " in text else 0)


def split(module, entry_name: str, parts: int, min_weight=None):
    """The IR texts of up to `parts` modules that together define what `module` (an llvmlite
    ir.Module built by codegen.build_module with entry `entry_name`) defines; one text,
    `str(module)`, when it is too small to pay or cannot be split."""
    if parts < 2:
        return [str(module)]
    # Every global rendered once (the rendering is most of the cost here, ~10 ms for the MLP
    # programs); the whole module's text is assembled from the same pieces, as llvmlite does.
    text = {name: str(g) for name, g in module.globals.items()}
    head = [
        f'; ModuleID = "{module.name}"',
        f'target triple = "{module.triple}"',
        f'target datalayout = "{module.data_layout}"',
        "",
        *[t.get_declaration() for t in module.get_identified_types().values()],
    ]
    tail = module._get_metadata_lines()  # (llvmlite's own rendering; programs have none today)

    def whole():
        return ["\n".join([*head, *text.values(), *tail])]

    defined = {f.name: f for f in module.functions if not f.is_declaration}
    if entry_name not in defined:
        return whole()
    refs = {name: {r for r in _NAME.findall(text[name]) if r in defined and r != name} for name in defined}
    weight = {name: _weight(f, text[name]) for name, f in defined.items()}
    if sum(weight.values()) < (MIN_SPLIT_WEIGHT if min_weight is None else min_weight):
        return whole()
    roots = {entry_name, entry_name + "_direct"} & set(defined)
    units = [roots] + [{r} for r in sorted(set().union(*(refs[r] for r in roots)) - roots)]
    groups = _groups(units, refs)
    homes = {}
    for g in groups:
        for name in g:
            homes[name] = homes.get(name, 0) + 1
    # a function reached from two groups is copied into both, which only an internal one may be
    if len(groups) < 2 or any(n > 1 and defined[f].linkage not in ("internal", "private") for f, n in homes.items()):
        return whole()
    bins = [[0.0, set()] for _ in range(min(parts, len(groups)))]
    for w, g in sorted(((sum(weight[n] for n in g), g) for g in groups), key=lambda wg: -wg[0]):
        lightest = min(bins, key=lambda b: b[0])
        lightest[0] += w
        lightest[1] |= g
    return _render(module, defined, text, refs, [names for _, names in bins], entry_name, head, tail)


def _groups(units, refs):
    """Each unit with every function it reaches without passing through another unit's root;
    units that reach one another, other than from unit 0 (the entry's), are one group (a
    kernel called directly and through its thunk stays with the thunk)."""
    unit_of = {name: k for k, unit in enumerate(units) for name in unit}
    parent = list(range(len(units)))

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    members = []
    for k, unit in enumerate(units):
        seen, todo = set(unit), list(unit)
        while todo:
            for r in refs[todo.pop()]:
                if r in seen:
                    continue
                if r in unit_of and unit_of[r] != k:
                    if k:
                        parent[find(k)] = find(unit_of[r])
                    continue
                seen.add(r)
                todo.append(r)
        members.append(seen)
    groups = {}
    for k, m in enumerate(members):
        groups.setdefault(find(k), set()).update(m)
    return list(groups.values())


def _render(module, defined, text, refs, part_of, entry_name, head, tail):
    home = {}
    for k, names in enumerate(part_of):
        for n in names:
            home.setdefault(n, set()).add(k)
    # functions used from another part: external, renamed (a function in several parts is a
    # copied internal one, present in every part that uses it)
    exported = {r for k, names in enumerate(part_of) for n in names for r in refs[n] if k not in home[r]}
    rename = {r: f"{entry_name}.{r}" for r in exported if r not in (entry_name, entry_name + "_direct")}

    def renamed(t):
        return _NAME.sub(lambda m: f'@"{rename.get(m.group(1), m.group(1))}"', t) if rename else t

    out = []
    for names in part_of:
        needed = {r for n in names for r in refs[n] if r not in names}
        lines = list(head)
        for name in module.globals:
            if name in names:
                t = text[name]
                if name in exported:  # internal -> external: the linkage is the word after define
                    t = re.sub(r"^define (internal |private )?", "define ", t, count=1)
                lines.append(renamed(t))
            elif name in needed:
                f = defined[name]
                args = ", ".join(str(a) for a in f.ftype.args)
                lines.append(f'declare {f.ftype.return_type} @"{rename.get(name, name)}"({args})\n')
            elif name not in defined:
                lines.append(text[name])
        out.append("\n".join(lines + tail))
    return out


# ---- Compiling the parts ------------------------------------------------------------------------

_machines = []  # target machines not in use (each serves one thread at a time)
_machines_lock = threading.Lock()


def _take_machine(new_machine):
    with _machines_lock:
        if _machines:
            return _machines.pop()
    return new_machine()


def _give_machine(tm):
    with _machines_lock:
        _machines.append(tm)


def _compile_one(text, new_machine, pipeline_options):
    run_pm, emit = _calls()
    tm = _take_machine(new_machine)
    context = llvm.create_context()
    mod = pb = None
    try:
        mod = llvm.parse_assembly(text, context=context)
        mod.triple = tm.triple
        mod.data_layout = str(tm.target_data)
        mod.verify()
        pb = llvm.create_pass_builder(tm, pipeline_options())
        mpm = pb.getModulePassManager()
        run_pm(mpm, mod, pb)  # unlocked: see the module docstring
        with ffi.OutputString() as err:
            buf = emit(tm, mod, 1, err)  # unlocked: see the module docstring
            if not buf:
                raise RuntimeError(f"LLVM could not emit object code: {err}")
        try:
            return ctypes.string_at(ffi.lib.LLVMPY_GetBufferStart(buf), ffi.lib.LLVMPY_GetBufferSize(buf))
        finally:
            ffi.lib.LLVMPY_DisposeMemoryBuffer(buf)
    finally:
        if pb is not None:
            pb.close()
        if mod is not None:
            mod.close()
        context.close()
        _give_machine(tm)


def compile_parts(texts, new_machine, pipeline_options, threads=None):
    """Object code of each IR text, in order, the texts compiled side by side on `threads`
    threads (default: one per text; the calling thread is one of them), each taking the next
    text not yet taken. `new_machine()` makes a TargetMachine, `pipeline_options()` the pass
    pipeline's tuning options."""
    if _calls() is None:
        raise RuntimeError("parallel_compile: this llvmlite has no unlocked entry points (see available())")
    results, errors = [None] * len(texts), []
    order = iter(range(len(texts)))
    take = threading.Lock()

    def work():
        while not errors:
            with take:
                k = next(order, None)
            if k is None:
                return
            try:
                results[k] = _compile_one(texts[k], new_machine, pipeline_options)
            except BaseException as e:  # noqa: BLE001 - re-raised on the calling thread
                errors.append(e)

    n = len(texts) if threads is None else max(1, min(threads, len(texts)))
    helpers = [threading.Thread(target=work, daemon=True) for _ in range(n - 1)]
    for t in helpers:
        t.start()
    work()
    for t in helpers:
        t.join()
    if errors:
        raise errors[0]
    return results


# ---- Several objects in one cache entry ---------------------------------------------------------

MULTI_MAGIC = b"JAXLITE-OBJS1\n"


def pack(objects) -> bytes:
    """One payload for a program's objects: a single object as it is; several as MULTI_MAGIC,
    their count and lengths (little-endian u32, then u64 each), then the objects."""
    if len(objects) == 1:
        return objects[0]
    head = MULTI_MAGIC + struct.pack(f"<I{len(objects)}Q", len(objects), *map(len, objects))
    return head + b"".join(objects)


def unpack(payload: bytes):
    """The objects of a `pack`ed payload, or None when its container is inconsistent."""
    if not payload.startswith(MULTI_MAGIC):
        return [payload] if payload else None
    at = len(MULTI_MAGIC)
    if len(payload) < at + 4:
        return None
    (count,) = struct.unpack_from("<I", payload, at)
    at += 4
    if count < 2 or len(payload) < at + 8 * count:
        return None
    sizes = struct.unpack_from(f"<{count}Q", payload, at)
    at += 8 * count
    if any(s == 0 for s in sizes) or at + sum(sizes) != len(payload):
        return None
    out = []
    for s in sizes:
        out.append(payload[at : at + s])
        at += s
    return out
