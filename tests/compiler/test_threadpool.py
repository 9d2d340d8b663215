"""The generated code's persistent worker pool (compiler/cpu/threadpool)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler.cpu import parallel, threadpool
from jaxlite.jit import jit


@pytest.fixture
def threads():
    saved = parallel.num_threads(), parallel.GRAIN.value

    def set_(n, grain=1):
        parallel.set_num_threads(n)
        parallel.set_grain(grain)

    yield set_
    parallel.set_num_threads(saved[0])
    parallel.set_grain(saved[1])


def _native_threads():
    """Threads of this process as the kernel sees them (the pool's workers are not Python's)."""
    return len(os.listdir("/proc/self/task"))


linux_only = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc/self/task")


@linux_only
def test_workers_are_started_once_and_reused(threads):
    threads(3)
    f = jit(lambda x: jnp.tanh(x) * 2.0 + 1.0)
    x = np.random.RandomState(0).randn(300, 70).astype(np.float32)
    want = np.tanh(x) * np.float32(2.0) + np.float32(1.0)
    np.testing.assert_allclose(np.asarray(f(x)), want, rtol=2e-6, atol=2e-6)
    assert threadpool.STATE[threadpool.WORKERS] >= 2  # threads - 1 workers
    before = _native_threads()
    for _ in range(50):
        np.testing.assert_allclose(np.asarray(f(x)), want, rtol=2e-6, atol=2e-6)
    # the earlier version started threads - 1 new threads per call
    assert _native_threads() <= before
    assert threadpool.STATE[threadpool.BUSY] == 0  # every job was handed back


def test_more_threads_later_grows_the_pool(threads):
    threads(2)
    f = jit(lambda x: jnp.sin(x) + x)
    x = np.linspace(-3, 3, 50_000, dtype=np.float32)
    one = np.asarray(f(x))
    for n in (4, 2, 5):
        threads(n)
        np.testing.assert_array_equal(np.asarray(f(x)), one)
        assert threadpool.STATE[threadpool.WORKERS] >= n - 1


def test_split_gemms_and_kernels_from_many_python_threads(threads, monkeypatch):
    from compiler.cpu import codegen

    monkeypatch.setattr(codegen, "SPLIT_GEMM_MACS", 1 << 16)  # (part of the cache key)
    threads(2)
    f = jit(lambda a, b: jnp.tanh(a @ b) + 1.0)
    rng = np.random.RandomState(4)
    pairs = [(rng.randn(90, 64).astype(np.float32), rng.randn(64, 120).astype(np.float32)) for _ in range(6)]
    assert "_thunk" in f.lower(*pairs[0]).compile().as_text()
    want = [np.asarray(f(a, b)) for a, b in pairs]
    for (a, b), w in zip(pairs, want, strict=True):
        np.testing.assert_allclose(w, np.tanh(a.astype(np.float64) @ b) + 1.0, rtol=1e-5, atol=1e-5)
    got, errors = [None] * len(pairs), []

    def work(i):
        try:
            for _ in range(30):  # callers that find the pool busy run their job themselves
                got[i] = np.asarray(f(*pairs[i]))
                np.testing.assert_array_equal(got[i], want[i])
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(pairs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]


_FORK_CHILD = """
import os, sys
import numpy as np
import jaxlite.numpy as jnp
from compiler.cpu import parallel, threadpool
from jaxlite.jit import jit

parallel.set_num_threads(2)
parallel.set_grain(1)
f = jit(lambda x: jnp.exp(-x * x) * 3.0)
x = np.linspace(-2, 2, 80_000, dtype=np.float32)
want = np.asarray(f(x))  # the parent's pool is running now
assert threadpool.STATE[threadpool.WORKERS] >= 1
pid = os.fork()
if pid == 0:  # the child: none of the parent's workers exist here
    code = 1
    try:
        ok = threadpool.STATE[threadpool.WORKERS] == 0
        for _ in range(20):
            ok = ok and np.array_equal(np.asarray(f(x)), want)
        code = 0 if ok and threadpool.STATE[threadpool.WORKERS] >= 1 else 3
    finally:
        os._exit(code)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 2)
"""


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_a_forked_child_starts_its_own_workers(tmp_path):
    # in a fresh interpreter: this test process may hold other libraries' threads (JAX's)
    env = {**os.environ, "JAXLITE_CACHE_DIR": str(tmp_path)}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", _FORK_CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
