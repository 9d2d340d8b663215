"""The native support object (cpu/parallel's dispatcher: compiled once, disk-cached, linked at
load) and the pool's background prefetch of a program's fresh output blocks."""

import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from compiler import pool

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import numpy as np
from compiler import primitives as P, runtime
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu

rows = int(sys.argv[1])  # 512 rows: a kernel split across threads; 4 rows: a serial one
jb = JaxprBuilder()
x = jb.arg(ShapedArray((rows, 256), np.float32))
exe = compile_cpu(jb.build([jb.op(P.add_p, jb.op(P.tanh_p, x), lit(1.0, np.float32))]))
a = np.linspace(-3, 3, rows * 256, dtype=np.float32).reshape(rows, 256)
(out,) = exe(a)
ok = bool(np.allclose(out, np.tanh(a) + 1, rtol=1e-6, atol=1e-6))
print(json.dumps({"stats": dict(runtime.STATS), "ok": ok}))
"""


def run(cache_dir, rows=512):
    env = dict(os.environ, JAXLITE_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.pop("JAXLITE_DISABLE_DISK_CACHE", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(rows)], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ok"]
    return out["stats"]


def support_entries(cache_dir):
    return sorted(pathlib.Path(cache_dir).glob("*.support"))


def test_support_is_compiled_once_then_loaded_from_the_disk_cache(tmp_path):
    cache = tmp_path / "cache"
    first = run(cache)
    assert first.get("support_compiles") == 1 and first.get("support_writes") == 1
    (entry,) = support_entries(cache)
    assert entry.read_bytes().startswith(b"JAXLITE-OBJ1\n")
    second = run(cache)
    assert second.get("support_hits") == 1 and second.get("support_compiles", 0) == 0
    assert second.get("llvm_compiles", 0) == 0 and second.get("disk_hits") == 1


def test_programs_without_split_steps_never_load_the_support(tmp_path):
    stats = run(tmp_path / "cache", rows=4)
    assert not any(k.startswith("support") for k in stats), stats
    assert not support_entries(tmp_path / "cache")


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_corrupted_support_entry_is_rebuilt(tmp_path, damage):
    cache = tmp_path / "cache"
    run(cache)
    (entry,) = support_entries(cache)
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[-50] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    entry.write_bytes(bytes(data))
    again = run(cache)  # the program's own entry is intact: only the support is rebuilt
    assert again.get("support_corrupt") == 1 and again.get("support_compiles") == 1
    assert again.get("llvm_compiles", 0) == 0
    assert run(cache).get("support_hits") == 1


def test_concurrent_processes_share_one_support_entry(tmp_path):
    cache = tmp_path / "cache"
    results = [None] * 3

    def go(i):
        results[i] = run(cache)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.get("support_compiles", 0) + r.get("support_hits", 0) == 1 for r in results)
    assert len(support_entries(cache)) == 1
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]
    assert run(cache).get("support_hits") == 1


# ---- prefetch ---------------------------------------------------------------------------------

BIG = pool.PREFETCH_MIN_BYTES + 12345  # not a whole number of pages: rounded like a lease


def wait_until(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "prefetch thread did not finish"
        time.sleep(0.005)


def test_a_prefetched_block_serves_the_next_lease():
    p = pool.BufferPool(limit_bytes=1 << 30)
    before = dict(pool.STATS)
    p.prefetch([BIG])
    block = p.lease(BIG)  # waits for the block being faulted, or cancels a queued one
    assert len(block) == p._round(BIG)
    fresh = pool.STATS["fresh"] - before.get("fresh", 0)
    served = pool.STATS["prefetched"] - before.get("prefetched", 0)
    assert (served, fresh) in ((1, 1), (0, 1))  # one mapping in all: the thread's or the lease's
    wait_until(lambda: not p._pending)
    assert p.free_bytes == 0  # the lease has it; a cancelled job maps nothing


def test_an_unclaimed_prefetch_joins_the_free_list_and_is_reused():
    p = pool.BufferPool(limit_bytes=1 << 30)
    p.prefetch([BIG, 100])  # small sizes are not pooled, so not prefetched
    wait_until(lambda: p.free_bytes == p._round(BIG))
    reused = pool.STATS["reused"]
    block = p.lease(BIG)
    assert pool.STATS["reused"] == reused + 1
    a = np.frombuffer(block, np.float32)
    a[:] = 7.0  # writable, private memory
    assert float(a.sum()) == 7.0 * a.size
    del a
    p.prefetch([BIG])  # a free block of that size now exists elsewhere: the lease holds it
    wait_until(lambda: not p._pending)
    p.give_back(block)
    p.prefetch([BIG])  # one free block covers one buffer: nothing to do
    assert not p._pending and p.free_bytes == 2 * p._round(BIG)


def test_prefetch_respects_the_limit_and_the_minimum():
    p = pool.BufferPool(limit_bytes=BIG // 2)
    p.prefetch([BIG])
    assert not p._pending
    p = pool.BufferPool(limit_bytes=1 << 30)
    p.prefetch([pool.MIN_BYTES] * 3)  # under PREFETCH_MIN_BYTES in all: not worth a thread
    assert not p._pending
    p = pool.BufferPool(limit_bytes=0)
    p.prefetch([BIG])
    assert not p._pending


def test_concurrent_leases_never_share_a_prefetched_block():
    p = pool.BufferPool(limit_bytes=1 << 30)
    n = 6
    p.prefetch([BIG] * n)
    got = []

    def take():
        got.append(p.lease(BIG))

    threads = [threading.Thread(target=take) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: not p._pending)
    assert len({id(b) for b in got}) == n
    addresses = {np.frombuffer(b, np.uint8).ctypes.data for b in got}
    assert len(addresses) == n
    for b in got:
        p.give_back(b)


def test_jit_outputs_come_from_prefetched_blocks_and_stay_correct():
    import jaxlite.numpy as jnp
    from jaxlite.jit import jit

    pool.POOL.clear()  # no free blocks left by earlier tests: this program's are all fresh
    a = np.linspace(-1, 1, 64 * 1024, dtype=np.float32).reshape(64, 1024)
    f = jit(lambda x: (jnp.outer(x.ravel()[:4096] + 0.5, x[0]), x * 2.0))  # 16 MiB + 256 KiB
    before = dict(pool.STATS)
    out, twice = f(a)
    wait_until(lambda: not pool.POOL._pending)
    kinds = ("fresh", "prefetched", "prefetch_parked", "prefetch_cancelled")
    delta = {k: pool.STATS[k] - before.get(k, 0) for k in kinds}
    # both pooled outputs were prefetched: each job served the call, or finished first and was
    # parked in the free list, or was cancelled by the call; each block was mapped once
    assert delta["prefetched"] + delta["prefetch_parked"] + delta["prefetch_cancelled"] == 2, delta
    assert delta["fresh"] == 2, delta
    np.testing.assert_array_equal(np.asarray(out), np.outer(a.ravel()[:4096] + 0.5, a[0]))
    np.testing.assert_array_equal(np.asarray(twice), a * 2.0)
    out2, _ = f(a * 0.5)  # the second call reuses the blocks the first call's outputs freed
    np.testing.assert_array_equal(np.asarray(out2), np.outer(a.ravel()[:4096] * 0.5 + 0.5, a[0] * 0.5))


@pytest.mark.parametrize("madvise", ["populate", "touch"])
def test_a_block_handed_over_while_populating_keeps_what_its_owner_writes(monkeypatch, madvise):
    if madvise == "touch":  # kernels without MADV_POPULATE_WRITE: the thread writes zeros
        monkeypatch.setattr(pool, "_MADVISE", None)
    size = 1 << 27  # 16 steps of populating: the lease usually lands while the thread works
    for _ in range(3):
        p = pool.BufferPool(limit_bytes=1 << 30)
        p.prefetch([size])
        wait_until(lambda p=p: p._pending[size][0].state != "queued" if p._pending else True)
        block = p.lease(size)
        a = np.frombuffer(block, np.uint8)
        a[:] = 0xA5  # the new owner writes every byte while the thread may still be populating
        wait_until(lambda p=p: not p._pending)
        time.sleep(0.05)  # a step that was in flight has ended
        assert (a == 0xA5).all()
        del a


def test_loop_free_entry_points_are_not_optimised_but_loop_ones_are():
    from ir_text import entry_names, function_attributes

    from compiler import primitives as P  # noqa: N812
    from compiler.ir import ShapedArray
    from compiler.passes.util import JaxprBuilder
    from compiler.pipeline import compile_cpu
    from jaxlite import lax
    from jaxlite.jit import jit

    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((64, 256), np.float32))
    exe = compile_cpu(jb.build([jb.op(P.tanh_p, x)]))
    entry = exe.native.entry_name
    assert "optnone" in function_attributes(exe.llvm_ir(), entry)
    assert "optnone" in function_attributes(exe.llvm_ir(), entry + "_direct")
    assert "optnone" not in function_attributes(exe.llvm_ir(), "k0")  # 16k elements: optimised
    a = np.linspace(-2, 2, 64 * 256, dtype=np.float32).reshape(64, 256)
    np.testing.assert_allclose(exe(a)[0], np.tanh(a), rtol=4e-6, atol=1e-6)
    # a loop in the entry: it stays optimised (its per-iteration code runs many times)
    f = jit(lambda v: lax.fori_loop(0, 10, lambda i, c: c * 0.5 + 1.0, v))
    compiled = f.lower(a).compile()
    ir_text = compiled.as_text()
    (name,) = entry_names(ir_text)
    assert "optnone" not in function_attributes(ir_text, name)
    want = a.copy()
    for _ in range(10):
        want = want * np.float32(0.5) + np.float32(1.0)
    np.testing.assert_array_equal(np.asarray(f(a)), want)


def test_populating_waits_while_paused_and_resumes_after():
    """While a program is linked (runtime._load) the prefetch thread stops between steps."""
    p = pool.BufferPool(limit_bytes=1 << 30)
    with pool.populating_paused():
        with pool.populating_paused():  # nesting: the outer pause still holds after the inner
            pass
        p.prefetch([BIG])
        wait_until(lambda: any(q.state == "running" for q in p._pending.get(p._round(BIG), ())))
        time.sleep(0.1)
        assert p.free_bytes == 0 and p._pending  # stuck before its first step: nothing parked
    wait_until(lambda: p.free_bytes == p._round(BIG))
    assert not p._pending


def test_gc_is_paused_while_tracing_and_compiling_and_restored_after():
    import gc

    from compiler import gc_pause
    from jaxlite.jit import jit

    seen = []

    def f(x):
        seen.append(gc.isenabled())  # runs while the function is traced
        return x * 2.0

    assert gc.isenabled()
    np.testing.assert_array_equal(np.asarray(jit(f)(np.ones(3, np.float32))), np.full(3, 2.0, np.float32))
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller's own setting is left as it was
    try:
        with gc_pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError), gc_pause.paused():
        raise ValueError("an error inside still restores the collector")
    assert gc.isenabled()
