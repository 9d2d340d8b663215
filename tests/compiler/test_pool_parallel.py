"""The output/temporary buffer pool and the parallel split of loop kernels (jit phase 2)."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import pool
from compiler.cpu import parallel
from jaxlite.jit import jit


@pytest.fixture
def threads():
    """Set (threads, grain) for one test; restores the defaults after."""
    saved = parallel.num_threads(), parallel.GRAIN.value, parallel.BLAS_PARALLEL_MACS.value

    def set_(n, grain=1, blas_macs=None):
        parallel.set_num_threads(n)
        parallel.set_grain(grain)
        if blas_macs is not None:
            parallel.set_blas_parallel_macs(blas_macs)

    yield set_
    parallel.set_num_threads(saved[0])
    parallel.set_grain(saved[1])
    parallel.set_blas_parallel_macs(saved[2])


def _ptr(a):
    return a.__array_interface__["data"][0]


# ---- The pool -----------------------------------------------------------------------------------


def test_pool_reuses_a_dead_block_and_never_a_live_one():
    p = pool.BufferPool(limit_bytes=1 << 26)
    a = p.empty((512, 256), np.float32)  # 512 KiB: pooled
    assert a.flags.c_contiguous and a.flags.writeable and a.shape == (512, 256)
    addr = _ptr(a)
    b = p.empty((512, 256), np.float32)
    assert _ptr(b) != addr  # a is alive
    view = a[3:].T  # a view outlives the array it was taken from
    del a
    gc.collect()
    c = p.empty((512, 256), np.float32)
    assert _ptr(c) != addr
    view[...] = 7.0
    del view
    gc.collect()
    d = p.empty((256, 512), np.float32)  # same byte size, any shape/dtype
    assert _ptr(d) == addr
    del b, c, d


def test_pool_small_arrays_and_limit():
    p = pool.BufferPool(limit_bytes=0)
    assert p.empty((4,), np.float64).base is None  # below MIN_BYTES or pool off: plain NumPy
    p = pool.BufferPool(limit_bytes=pool.MIN_BYTES)
    a, b = p.empty((pool.MIN_BYTES,), np.uint8), p.empty((pool.MIN_BYTES,), np.uint8)
    del a, b
    gc.collect()
    assert p.free_bytes == pool.MIN_BYTES  # the second block did not fit and was unmapped
    p.clear()
    assert p.free_bytes == 0


def test_jit_outputs_stay_correct_when_buffers_are_reused():
    n = 300_000  # 1.2 MB outputs: pooled
    f = jit(lambda x, y: x * y + 1.0)
    rng = np.random.RandomState(0)
    kept, expected = [], []
    for i in range(6):
        x, y = rng.randn(n).astype(np.float32), rng.randn(n).astype(np.float32)
        out = f(x, y)
        if i % 2 == 0:  # keep some alive, drop others (their blocks go back)
            kept.append(out)
            expected.append(x * y + np.float32(1.0))
        del out
        gc.collect()
    ptrs = [_ptr(np.asarray(o)) for o in kept]
    assert len(set(ptrs)) == len(ptrs)
    for o, e in zip(kept, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(o), e)


def test_jit_output_held_only_through_a_numpy_view_is_not_reused():
    f = jit(lambda x: x * 2.0)
    x = np.arange(100_000, dtype=np.float32)
    view = np.asarray(f(x))[10:20]  # the Array and the full array die; the view remains
    gc.collect()
    others = [f(x + 1.0) for _ in range(3)]
    np.testing.assert_array_equal(view, np.arange(10, 20, dtype=np.float32) * 2)
    np.testing.assert_array_equal(np.asarray(others[-1]), (x + 1) * 2)


def test_pooled_temporaries_across_calls():
    # softmax over rows keeps exp(x - max) in a large temporary: the arena comes from the pool
    def softmax(a):
        e = jnp.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    f = jit(softmax)
    rng = np.random.RandomState(1)
    for _ in range(3):
        a = rng.randn(300, 400).astype(np.float32)
        e = np.exp(a - a.max(-1, keepdims=True))
        np.testing.assert_allclose(np.asarray(f(a)), e / e.sum(-1, keepdims=True), rtol=2e-6, atol=1e-7)


# ---- Parallel kernels ---------------------------------------------------------------------------


def _programs():
    return [
        (lambda x, y: jnp.tanh(x) * y + jnp.exp(-x * x), ((1000, 37), (1000, 37))),
        (lambda x, y: (x * y).sum(axis=1), ((513, 40), (513, 40))),
        (lambda x, y: jnp.argmax(x + y, axis=-1), ((600, 33), (600, 33))),
        (lambda x, y: (x.T * 2.0 + y.T).max(axis=0), ((130, 129), (130, 129))),
        (lambda x, y: (x - x.max(axis=0)) * y, ((60, 300), (60, 300))),
        (lambda x, y: (x * y).sum(), ((700, 9), (700, 9))),  # full reduction: stays serial
    ]


@pytest.mark.parametrize("k", range(6))
def test_parallel_kernels_match_one_thread(threads, k):
    fun, shapes = _programs()[k]
    rng = np.random.RandomState(k)
    args = [rng.randn(*s).astype(np.float32) for s in shapes]
    f1 = jit(fun)
    threads(1)
    one = np.asarray(f1(*args))
    for n in (2, 3, 7):
        threads(n, grain=1)
        np.testing.assert_array_equal(np.asarray(f1(*args)), one)
    np.testing.assert_allclose(one, np.asarray(fun(*[jnp.asarray(a) for a in args])), rtol=2e-5, atol=2e-5)


def test_split_plan_is_conservative():
    from compiler.pipeline import lower_cpu
    from jaxlite.partial_eval import make_jaxpr

    def kernels(fun, *avals):
        _, program = lower_cpu(make_jaxpr(fun)(*avals))
        return program, [s.kernel for s in program.steps if hasattr(s, "kernel")]

    x = np.zeros((64, 32), np.float32)
    prog, (k,) = kernels(lambda a: a * 2.0 + 1.0, x)
    assert parallel.split_plan(prog, k) == 64 * 32  # contiguous: one collapsed loop
    prog, (k,) = kernels(lambda a: a.sum(axis=1), x)
    assert parallel.split_plan(prog, k) == 64
    prog, (k,) = kernels(lambda a: a.sum(), x)
    assert parallel.split_plan(prog, k) is None
    prog, (k,) = kernels(lambda a: a.sum(axis=0), x)  # outer loop is the reduced axis
    assert parallel.split_plan(prog, k) is None


def test_parallel_kernel_called_from_eight_threads(threads):
    threads(2, grain=1)
    f = jit(lambda x: jnp.sin(x) * 2.0 + x.sum(axis=-1, keepdims=True))
    inputs = [np.random.RandomState(i).randn(400, 50).astype(np.float32) for i in range(8)]
    want = [np.asarray(f(a)) for a in inputs]
    got = [None] * 8

    def work(i):
        for _ in range(20):
            got[i] = np.asarray(f(inputs[i]))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_threaded_blas_gives_the_same_products(threads):
    rng = np.random.RandomState(3)
    a, b = rng.randn(96, 80).astype(np.float32), rng.randn(80, 70).astype(np.float32)
    f = jit(lambda a, b: jnp.tanh(a @ b))
    threads(1)
    one = np.asarray(f(a, b))
    threads(2, blas_macs=1)  # every gemm "large": threaded BLAS for the call, then back
    # threaded BLAS may sum in another order: float32 rounding differences only
    np.testing.assert_allclose(np.asarray(f(a, b)), one, rtol=1e-6, atol=1e-6)
    want = np.tanh(a.astype(np.float64) @ b.astype(np.float64))
    np.testing.assert_allclose(one, want, rtol=1e-5, atol=2e-5)


def test_set_num_threads_validates():
    with pytest.raises(ValueError, match="set_num_threads"):
        parallel.set_num_threads(0)


def test_large_kernels_get_a_parallel_path_small_ones_do_not():
    big = jit(lambda x: x * 2.0 + 1.0).lower(np.zeros((256, 128), np.float32)).compile().as_text()
    small = jit(lambda x: x * 2.0 + 1.0).lower(np.zeros((16, 8), np.float32)).compile().as_text()
    assert "jaxlite_parallel_for" in big and "jaxlite_parallel_for" not in small
    # the dispatcher is linked from the process-wide support object, not compiled into programs
    assert "declare void @jaxlite_parallel_for" in big and "jaxlite_pthread_create" not in big


def test_outer_products_fuse_instead_of_k1_gemms():
    # per-example weight gradients are batched outer products followed by a relayout
    f = jit(lambda a, b: jnp.einsum("bi,bj->bji", a, b))
    a = np.random.RandomState(0).randn(8, 30).astype(np.float32)
    b = np.random.RandomState(1).randn(8, 20).astype(np.float32)
    report = f.lower(a, b).compile().as_text().split("\n\n")[0]
    assert "0 gemm call(s)" in report and "1 kernel(s)" in report, report
    np.testing.assert_array_equal(np.asarray(f(a, b)), np.einsum("bi,bj->bji", a, b))


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("m,n", [(301, 77), (77, 301)])  # split by rows, by columns
def test_split_gemm_blocks_match_one_thread(threads, monkeypatch, trans_a, trans_b, m, n):
    from compiler.cpu import codegen

    monkeypatch.setattr(codegen, "SPLIT_GEMM_MACS", 1 << 20)  # (part of the cache key)
    k = 129  # m*n*k above that threshold: the gemm is split
    rng = np.random.RandomState(5)
    a = rng.randn(*((k, m) if trans_a else (m, k))).astype(np.float32)
    b = rng.randn(*((n, k) if trans_b else (k, n))).astype(np.float32)
    f = jit(lambda a, b: (a.T if trans_a else a) @ (b.T if trans_b else b))
    assert "_thunk" in f.lower(a, b).compile().as_text()
    want = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
    threads(1)
    one = np.asarray(f(a, b))
    np.testing.assert_allclose(one, want, rtol=1e-4, atol=1e-3)
    for n_threads in (2, 3):
        threads(n_threads, grain=1)
        # each row or column block is one BLAS call over the same k: the same sums
        np.testing.assert_allclose(np.asarray(f(a, b)), one, rtol=1e-6, atol=1e-5)
