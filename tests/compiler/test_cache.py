"""The persistent compile cache: reuse across processes, corruption, concurrent writers, privacy.

Each scenario runs compilations in fresh processes (a process never loads one object twice), with
JAXLITE_CACHE_DIR pointing into pytest's tmp_path.
"""

import json
import multiprocessing
import os
import pathlib
import stat
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import numpy as np
from compiler import primitives as P, runtime
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder, lit
from compiler.pipeline import compile_cpu

scale = float(sys.argv[1])
jb = JaxprBuilder()
x = jb.arg(ShapedArray((64,), np.float32))
y = jb.op(P.mul_p, jb.op(P.tanh_p, x), lit(scale, np.float32))
exe = compile_cpu(jb.build([jb.op(P.reduce_sum_p, y, axes=(0,)), y]))
out = exe(np.ones(64, np.float32))
print(json.dumps({"stats": dict(runtime.STATS), "sum": float(out[0]), "key": exe.native.key}))
"""


def run_compile(cache_dir, scale=2.0):
    env = dict(os.environ, JAXLITE_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.pop("JAXLITE_DISABLE_DISK_CACHE", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(scale)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def entries(cache_dir):
    return sorted(
        p for p in pathlib.Path(cache_dir).iterdir() if p.suffix == ".o" and not p.name.startswith(".")
    )


def test_a_second_process_reuses_the_disk_cache(tmp_path):
    cache = tmp_path / "cache"
    first = run_compile(cache)
    assert first["stats"].get("llvm_compiles") == 1 and first["stats"].get("disk_writes") == 1
    second = run_compile(cache)
    assert second["stats"].get("llvm_compiles", 0) == 0 and second["stats"].get("disk_hits") == 1
    assert second["sum"] == first["sum"] == pytest.approx(64 * 2 * np.tanh(1.0), rel=1e-6)
    other = run_compile(cache, scale=3.0)  # another program: another entry
    assert other["stats"].get("llvm_compiles") == 1 and len(entries(cache)) == 2
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700


@pytest.mark.parametrize(
    "damage",
    [
        "flip",
        pytest.param("truncate", marks=pytest.mark.slow),
        pytest.param("empty", marks=pytest.mark.slow),
        pytest.param("garbage", marks=pytest.mark.slow),
    ],
)
def test_a_corrupted_entry_is_recompiled(tmp_path, damage):
    cache = tmp_path / "cache"
    first = run_compile(cache)
    (entry,) = entries(cache)
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[-100] ^= 0xFF
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(os.urandom(len(data)))
    entry.write_bytes(bytes(data))
    second = run_compile(cache)
    assert second["stats"].get("disk_corrupt") == 1 and second["stats"].get("llvm_compiles") == 1
    assert second["sum"] == first["sum"]
    third = run_compile(cache)  # the rewritten entry is good again
    assert third["stats"].get("llvm_compiles", 0) == 0 and third["stats"].get("disk_hits") == 1


def _worker(args):
    """Compile in this (spawned) process, writing into the shared cache directory."""
    cache_dir, scale = args
    os.environ["JAXLITE_CACHE_DIR"] = cache_dir
    namespace = {}
    sys.argv = ["worker", str(scale)]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(SCRIPT, namespace)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_concurrent_writers_do_not_corrupt_the_cache(tmp_path):
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:  # two programs, each compiled and written by two processes at once
        results = pool.map(_worker, [(str(cache), 2.0 if i % 2 else 5.0) for i in range(4)])
    assert all(r["stats"].get("llvm_compiles", 0) + r["stats"].get("disk_hits", 0) == 1 for r in results)
    assert len({r["sum"] for r in results}) == 2
    assert len(entries(cache)) == 2
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]  # no stray temporaries
    for scale in (2.0, 5.0):  # every entry reads back intact
        again = run_compile(cache, scale)
        assert again["stats"].get("disk_hits") == 1 and again["stats"].get("disk_corrupt", 0) == 0


def test_disk_cache_can_be_turned_off(tmp_path, monkeypatch):
    from compiler import runtime

    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JAXLITE_DISABLE_DISK_CACHE", "1")
    assert runtime.cache_dir() is None
    monkeypatch.delenv("JAXLITE_DISABLE_DISK_CACHE")
    assert runtime.cache_dir() == str(tmp_path / "cache")


def test_entry_format_is_checked_in_process(tmp_path, monkeypatch):
    from compiler import runtime

    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "c"))
    runtime.disk_store("k" * 64, b"payload bytes")
    assert runtime.disk_load("k" * 64) == b"payload bytes"
    path = tmp_path / "c" / ("k" * 64 + ".o")
    path.write_bytes(path.read_bytes()[:-1])
    before = runtime.STATS["disk_corrupt"]
    assert runtime.disk_load("k" * 64) is None
    assert runtime.STATS["disk_corrupt"] == before + 1 and not path.exists()
