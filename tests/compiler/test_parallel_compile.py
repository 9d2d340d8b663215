"""compiler/cpu/parallel_compile: splitting a module, compiling the parts side by side, and the
cache entries that hold several objects. Hand-built modules and programs, no jaxlite."""

import ctypes
import re

import llvmlite.binding as llvm
import numpy as np
import pytest
from llvmlite import ir

from compiler import primitives as P
from compiler import runtime
from compiler.cpu import codegen, parallel_compile, target
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import lower_cpu

f64, i64, ptr = ir.DoubleType(), ir.IntType(64), ir.PointerType()


def _module(entry="jaxlite_testentry", n_kernels=4):
    """Like codegen's modules: an entry calling internal kernels (one through a thunk), a
    helper two kernels share, a libm declaration and an external global."""
    m = ir.Module(name=entry)
    sqrt = ir.Function(m, ir.FunctionType(f64, [f64]), "sqrt")
    g = ir.GlobalVariable(m, i64, "jaxlite_num_threads")
    helper = ir.Function(m, ir.FunctionType(f64, [f64]), "helper")
    helper.linkage = "internal"
    b = ir.IRBuilder(helper.append_basic_block("entry"))
    b.ret(b.call(sqrt, [b.fmul(helper.args[0], ir.Constant(f64, 3.0))]))
    kernels = []
    for k in range(n_kernels):
        fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [ptr, i64]), f"k{k}")
        fn.linkage = "internal"
        fn.attributes.add("noinline")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        loop, done = fn.append_basic_block("loop"), fn.append_basic_block("done")
        b.branch(loop)
        b.position_at_end(loop)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), fn.blocks[0])
        p = b.gep(fn.args[0], [i], source_etype=f64)
        v = b.load(p, typ=f64)
        v = b.call(helper, [v]) if k < 2 else b.fadd(v, ir.Constant(f64, float(k)))
        b.store(v, p)
        nxt = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(nxt, loop)
        b.cbranch(b.icmp_signed("<", nxt, fn.args[1]), loop, done)
        b.position_at_end(done)
        b.ret_void()
        kernels.append(fn)
    thunk = ir.Function(m, ir.FunctionType(ir.VoidType(), [ptr, i64]), "k0_thunk")
    thunk.linkage = "internal"
    b = ir.IRBuilder(thunk.append_basic_block("entry"))
    b.call(kernels[0], thunk.args)
    b.ret_void()
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [ptr, i64]), entry)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.load(g, typ=i64)
    b.call(thunk, fn.args)
    for k in kernels[1:]:
        b.call(k, fn.args)
    b.ret_void()
    return m


def _defines(text):
    return re.findall(r'^define (?:internal )?\S+ @"([^"]+)"', text, re.M)


def test_small_or_unsplittable_modules_come_back_whole():
    m = _module()
    assert parallel_compile.split(m, m.name, 1) == [str(m)]
    assert parallel_compile.split(m, m.name, 2, min_weight=1e9) == [str(m)]  # rebuilt from pieces
    assert parallel_compile.split(m, "no_such_entry", 2, min_weight=0) == [str(m)]


def test_split_keeps_units_together_copies_helpers_and_renames_cross_calls():
    m = _module()
    parts = parallel_compile.split(m, m.name, 2, min_weight=0)
    assert len(parts) == 2
    defs = [_defines(t) for t in parts]
    every = [d.split(".")[-1] for ds in defs for d in ds]
    # each kernel, the thunk and the entry defined once; the shared helper wherever it is used
    assert sorted(d for d in every if d != "helper") == sorted(["k0", "k1", "k2", "k3", "k0_thunk", m.name])
    for ds, text in zip(defs, parts):
        names = [d.split(".")[-1] for d in ds]
        assert ("k0" in names) == ("k0_thunk" in names)  # a kernel stays with its thunk
        if {"k0", "k1"} & set(names):
            assert "helper" in names and 'define internal double @"helper"' in text
        assert 'declare double @"sqrt"' in text and '@"jaxlite_num_threads" = external global' in text
    entry_part = next(t for t, ds in zip(parts, defs) if m.name in ds)
    other = next(t for t, ds in zip(parts, defs) if m.name not in ds)
    renamed = 0
    for name in set(_defines(other)) - set(_defines(entry_part)):  # (not the copied helper)
        if f'@"{name}"' in entry_part:  # used from the entry's part: external, renamed, declared
            assert name.startswith(m.name + ".")
            assert f'define void @"{name}"' in other and f'declare void @"{name}"(ptr, i64)' in entry_part
            renamed += 1
        else:  # used in its own part only: internal, as it was
            assert not name.startswith(m.name + ".") and f'internal void @"{name}"' in other
    assert renamed >= 1


def test_parts_compile_side_by_side_and_link_into_one_program():
    m = _module(entry="jaxlite_pc_link_test")
    parts = parallel_compile.split(m, m.name, 2, min_weight=0)
    assert len(parts) == 2
    objs = parallel_compile.compile_parts(parts, target.new_target_machine, target.pipeline_options)
    address = target.load_objects(objs, m.name)
    x = np.arange(8, dtype=np.float64)
    ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(address)(x.ctypes.data, 8)
    want = np.sqrt(np.sqrt(np.arange(8.0) * 3) * 3) + 2 + 3
    np.testing.assert_allclose(x, want, rtol=1e-15)


def test_a_part_that_does_not_parse_raises_on_the_calling_thread():
    with pytest.raises(RuntimeError, match="parsing error"):
        parallel_compile.compile_parts(
            ["define void @f() {\n  ret void\n}", "this is not IR"], target.new_target_machine, target.pipeline_options
        )
    assert llvm.parse_assembly("").verify() is None  # llvmlite still usable afterwards


def test_split_of_a_real_program_parses_and_covers_every_function():
    jb = JaxprBuilder()
    xs = [jb.arg(ShapedArray((64 + 8 * k, 512), np.float32)) for k in range(4)]
    outs = [jb.op(P.tanh_p, jb.op(P.mul_p, x, x)) for x in xs]
    _, program = lower_cpu(jb.build(outs))
    module = codegen.build_module(program, "jaxlite_pc_real")
    whole = llvm.parse_assembly(str(module))
    before = {f.name for f in whole.functions if not f.is_declaration}
    parts = parallel_compile.split(codegen.build_module(program, "jaxlite_pc_real"), "jaxlite_pc_real", 2, min_weight=0)
    assert len(parts) == 2
    after = []
    for text in parts:
        mod = llvm.parse_assembly(text)
        mod.verify()
        after += [f.name.split(".")[-1] for f in mod.functions if not f.is_declaration]
    assert sorted(after) == sorted(before)


# ---- Cache entries with several objects ----------------------------------------------------------


def test_pack_and_unpack():
    assert parallel_compile.pack([b"\x7fELF one"]) == b"\x7fELF one"  # one object: as it is
    assert parallel_compile.unpack(b"\x7fELF one") == [b"\x7fELF one"]
    objs = [b"\x7fELF a" * 3, b"\x7fELF bb", b"\x7fELF c" * 100]
    packed = parallel_compile.pack(objs)
    assert packed.startswith(parallel_compile.MULTI_MAGIC)
    assert parallel_compile.unpack(packed) == objs
    assert parallel_compile.unpack(packed[:-1]) is None  # truncated
    assert parallel_compile.unpack(packed + b"x") is None  # trailing bytes
    assert parallel_compile.unpack(packed[: len(parallel_compile.MULTI_MAGIC) + 2]) is None
    n = len(parallel_compile.MULTI_MAGIC)
    assert parallel_compile.unpack(packed[:n] + b"\x01\x00\x00\x00" + packed[n + 4 :]) is None  # count 1
    assert parallel_compile.unpack(b"") is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "bad_container"])
def test_a_damaged_multi_object_entry_is_detected_and_removed(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "c"))
    key = "m" * 64
    objs = [b"\x7fELF first" * 50, b"\x7fELF second" * 70]
    runtime.disk_store(key, parallel_compile.pack(objs))
    assert runtime.disk_load(key, parse=parallel_compile.unpack) == objs
    path = tmp_path / "c" / (key + ".o")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:-7]
    elif damage == "flip":
        data[-30] ^= 0x10
    if damage == "bad_container":  # intact checksum around an inconsistent container
        runtime.disk_store(key, parallel_compile.pack(objs)[:-5])
    else:
        path.write_bytes(bytes(data))
    before = runtime.STATS["disk_corrupt"]
    assert runtime.disk_load(key, parse=parallel_compile.unpack) is None
    assert runtime.STATS["disk_corrupt"] == before + 1 and not path.exists()


def test_a_split_program_is_one_cache_entry_and_reloads(tmp_path, monkeypatch):
    """Compiled in parts, stored as one entry; the entry read back gives the same objects."""
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setattr(parallel_compile, "MIN_SPLIT_WEIGHT", 0)
    monkeypatch.setattr(parallel_compile, "usable_threads", lambda n: 2)
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", runtime.CODEGEN_VERSION + "-test-entry")
    jb = JaxprBuilder()
    xs = [jb.arg(ShapedArray((64 + 8 * k, 512), np.float32)) for k in range(3)]
    _, program = lower_cpu(jb.build([jb.op(P.exp_p, x) for x in xs]))
    key = runtime.program_key(program)
    before = runtime.STATS["parallel_compiles"]
    objs, llvm_ir = runtime.program_objects(
        key, lambda: codegen.build_module(program, "jaxlite_pc_entry"), "jaxlite_pc_entry"
    )
    assert runtime.STATS["parallel_compiles"] == before + 1 and len(objs) == 2 and llvm_ir is None
    assert [p.name for p in (tmp_path / "c").iterdir() if p.suffix == ".o"] == [key + ".o"]
    again, _ = runtime.program_objects(key, lambda: pytest.fail("rebuilt despite the cache"), "jaxlite_pc_entry")
    assert again == objs


SPLIT_SCRIPT = r"""
import json
import numpy as np
from compiler import primitives as P, runtime
from compiler.cpu import parallel_compile
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu

parallel_compile.MIN_SPLIT_WEIGHT = 0
parallel_compile.usable_threads = lambda n: 2
jb = JaxprBuilder()
xs = [jb.arg(ShapedArray((64 + 8 * k, 512), np.float32)) for k in range(3)]
exe = compile_cpu(jb.build([jb.op(P.reduce_sum_p, jb.op(P.exp_p, x), axes=(0, 1)) for x in xs]))
outs = exe(*[np.full((64 + 8 * k, 512), 0.001 * (k + 1), np.float32) for k in range(3)])
print(json.dumps({"stats": dict(runtime.STATS), "sums": [float(o) for o in outs]}))
"""


def _run_split_script(cache):
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, JAXLITE_CACHE_DIR=str(cache), PYTHONPATH=root)
    env.pop("JAXLITE_DISABLE_DISK_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", SPLIT_SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_split_program_reloads_from_disk_in_another_process_and_damage_is_caught(tmp_path):
    cache = tmp_path / "cache"
    first = _run_split_script(cache)
    assert first["stats"].get("parallel_compiles") == 1 and first["stats"].get("disk_writes") == 1
    want = [np.float32(np.exp(np.float32(0.001 * (k + 1)))) * (64 + 8 * k) * 512 for k in range(3)]
    np.testing.assert_allclose(first["sums"], want, rtol=1e-5)
    (entry,) = [p for p in cache.iterdir() if p.suffix == ".o"]
    assert parallel_compile.MULTI_MAGIC in entry.read_bytes()  # one entry, several objects
    second = _run_split_script(cache)  # loaded and linked from the entry: no LLVM at all
    assert second["stats"].get("llvm_compiles", 0) == 0 and second["stats"].get("disk_hits") == 1
    assert second["sums"] == first["sums"]
    entry.write_bytes(entry.read_bytes()[:-1000])  # truncated inside the last object
    third = _run_split_script(cache)
    assert third["stats"].get("disk_corrupt") == 1 and third["stats"].get("parallel_compiles") == 1
    assert third["sums"] == first["sums"]
