"""Large programs compiled in parts on several threads (compiler/cpu/parallel_compile) give the
very same results as the same programs compiled as one module.

Each program is compiled twice in this process, once split and once whole; each compile gets a
program key of its own (a test-only CODEGEN_VERSION), since one process never loads one
object twice. The split is forced on two parts whatever the machine's cores, and the prefetch
rule (no split while the pool faults in outputs) is switched off where it would apply.
"""

import itertools

import numpy as np
import pytest
from _threads import run_at_once

import jaxlite
import jaxlite.numpy as jnp
from benchmarks.jit_models import make_fns, make_problem
from compiler import runtime
from compiler.cpu import parallel_compile
from jaxlite import lax
from jaxlite.tree_util import tree_leaves

_fresh = itertools.count()


def _compile_and_run(monkeypatch, make, args, split, counted=None):
    """Leaves of `make()(*args)` (make returns a new jit), compiled split or whole; checks that
    STATS counted a parallel compile exactly when split (or when `counted`, if given)."""
    with monkeypatch.context() as m:
        m.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
        m.setattr(parallel_compile, "MIN_SPLIT_WEIGHT", 0 if split else float("inf"))
        m.setattr(parallel_compile, "usable_threads", lambda n: 2)
        m.setattr(runtime._pool.POOL, "prefetching", lambda: False)
        before = runtime.STATS["parallel_compiles"], runtime.STATS["llvm_compiles"]
        out = [np.asarray(x) for x in tree_leaves(make()(*args))]
        compiles = runtime.STATS["parallel_compiles"] - before[0], runtime.STATS["llvm_compiles"] - before[1]
    assert compiles[1] >= 1, "the program was not compiled (a cache hit?)"
    assert (compiles[0] >= 1) == (split if counted is None else counted)
    return out


def _same_both_ways(monkeypatch, make, args):
    split = _compile_and_run(monkeypatch, make, args, True)
    whole = _compile_and_run(monkeypatch, make, args, False)
    assert len(split) == len(whole)
    for a, b in zip(split, whole):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)  # bit for bit (NaN positions included)
    return split


def test_mlp_train_step_split_equals_whole(monkeypatch):
    params, xs, ys = make_problem()
    out = _same_both_ways(monkeypatch, lambda: make_fns(jaxlite)["train_step"], (params, xs, ys))
    assert np.isfinite(out[0]) and out[0] > 0  # the loss


def test_per_example_gradients_split_equal_whole(monkeypatch):
    params, xs, ys = make_problem()
    out = _same_both_ways(monkeypatch, lambda: make_fns(jaxlite)["per_example"], (params, xs, ys))
    assert out[0].shape == (xs.shape[0],) + params[0][0].shape


def _control_flow(x, w):
    """A while loop and a scan around large elementwise kernels and a product."""

    def cond(c):
        return c[0] < 3

    def body(c):
        i, v = c
        return i + 1, jnp.tanh(v @ w) * 0.5 + v

    _, v = lax.while_loop(cond, body, (0, x))

    def step(carry, row):
        carry = jnp.exp(-jnp.abs(carry)) + row
        return carry, jnp.sum(carry * row)

    last, sums = lax.scan(step, v[0], v)
    return v, last, sums, jnp.log1p(jnp.abs(v)).sum(axis=0)


def test_control_flow_program_split_equals_whole(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 256)).astype(np.float32)
    w = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
    v, last, sums, col = _same_both_ways(monkeypatch, lambda: jaxlite.jit(_control_flow), (x, w))
    ref = x.astype(np.float64)
    for _ in range(3):
        ref = np.tanh(ref @ w) * 0.5 + ref
    np.testing.assert_allclose(v, ref, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(col, np.log1p(np.abs(ref)).sum(axis=0), rtol=2e-4)


def _many_split_kernels(a, b, c):
    # distinct shapes: separate kernels, each large enough to be split across the thread pool
    return jnp.tanh(a) * 2.0 + 1.0, jnp.exp(-b * b).sum(axis=1), jnp.sqrt(jnp.abs(c)) - c, jnp.max(a, axis=0)


def test_thread_pool_split_kernels_split_equal_whole(monkeypatch):
    rng = np.random.default_rng(4)
    args = [rng.standard_normal(s).astype(np.float32) for s in ((512, 256), (384, 256), (320, 256))]
    outs = _same_both_ways(monkeypatch, lambda: jaxlite.jit(_many_split_kernels), args)
    a, b, c = args
    np.testing.assert_allclose(outs[0], np.tanh(a) * 2 + 1, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(outs[1], np.exp(-b * b).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(outs[2], np.sqrt(np.abs(c)) - c, rtol=1e-6)
    np.testing.assert_array_equal(outs[3], a.max(axis=0))


def test_small_programs_are_not_split(monkeypatch):
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
    monkeypatch.setattr(parallel_compile, "usable_threads", lambda n: 2)
    before = runtime.STATS["parallel_compiles"], runtime.STATS["llvm_compiles"]
    out = jaxlite.jit(lambda v: jnp.sin(v) * 2.0)(np.arange(8, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(out), np.sin(np.arange(8)) * 2, rtol=1e-6)
    assert runtime.STATS["llvm_compiles"] == before[1] + 1
    assert runtime.STATS["parallel_compiles"] == before[0]


def test_large_programs_are_split_at_the_default_threshold(monkeypatch):
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
    monkeypatch.setattr(parallel_compile, "usable_threads", lambda n: 2)
    params, xs, ys = make_problem()
    before = runtime.STATS["parallel_compiles"]
    make_fns(jaxlite)["train_step"](params, xs, ys)
    assert runtime.STATS["parallel_compiles"] == before + 1


def test_one_thread_setting_compiles_whole(monkeypatch):
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
    calls = []
    real = parallel_compile.usable_threads
    monkeypatch.setattr(parallel_compile, "usable_threads", lambda n: calls.append(n) or real(n))
    old = runtime.parallel.num_threads()
    runtime.set_num_threads(1)
    try:
        params, xs, ys = make_problem()
        before = runtime.STATS["parallel_compiles"]
        make_fns(jaxlite)["train_step"](params, xs, ys)
    finally:
        runtime.set_num_threads(old)
    assert calls == [1] and runtime.STATS["parallel_compiles"] == before


def test_without_the_unlocked_calls_programs_compile_whole(monkeypatch):
    """A future llvmlite without `_lib_fn_wrapper._cfn`: the serial path, same results."""
    monkeypatch.setattr(parallel_compile, "unlocked_calls", lambda: None)
    monkeypatch.setitem(parallel_compile._CALLS, "found", None)
    assert not parallel_compile.available()
    with pytest.raises(RuntimeError, match="no unlocked entry points"):
        parallel_compile.compile_parts(["; nothing"], None, None)
    monkeypatch.setattr(parallel_compile, "MIN_SPLIT_WEIGHT", 0)
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
    params, xs, ys = make_problem()
    before = runtime.STATS["parallel_compiles"], runtime.STATS["llvm_compiles"]
    value, _ = make_fns(jaxlite)["train_step"](params, xs, ys)
    assert runtime.STATS["parallel_compiles"] == before[0] and runtime.STATS["llvm_compiles"] == before[1] + 1
    monkeypatch.undo()
    assert parallel_compile.available()  # (found again once the patch is gone)
    np.testing.assert_array_equal(
        np.asarray(value),
        _compile_and_run(monkeypatch, lambda: make_fns(jaxlite)["train_step"], (params, xs, ys), True)[0],
    )


def test_eight_threads_first_call_a_split_program_at_once(monkeypatch):
    """Eight threads call a new large jit at once: one compiles it (in parts), all agree."""
    monkeypatch.setattr(runtime, "CODEGEN_VERSION", f"{runtime.CODEGEN_VERSION}-test-{next(_fresh)}")
    monkeypatch.setattr(parallel_compile, "usable_threads", lambda n: 2)
    monkeypatch.setattr(parallel_compile, "MIN_SPLIT_WEIGHT", 0)
    params, xs, ys = make_problem()
    f = make_fns(jaxlite)["train_step"]
    before = runtime.STATS["parallel_compiles"]

    def work(i):
        for _ in range(3):
            out = [np.asarray(x) for x in tree_leaves(f(params, xs, ys))]
        return out

    results = run_at_once(work)
    assert runtime.STATS["parallel_compiles"] == before + 1
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            np.testing.assert_array_equal(a, b)


def test_a_failing_part_falls_back_to_the_whole_module(monkeypatch):
    """A part LLVM refuses (a defect in the split) costs a warning and a serial compile, never
    a wrong or missing program."""
    real = parallel_compile._compile_one

    def refuse_the_second(text, *a):
        if "_direct" not in text:
            raise RuntimeError("refused for the test")
        return real(text, *a)

    monkeypatch.setattr(parallel_compile, "_compile_one", refuse_the_second)
    params, xs, ys = make_problem()
    before = runtime.STATS["parallel_compile_failures"]
    with pytest.warns(RuntimeWarning, match="compiling it whole"):
        out = _compile_and_run(monkeypatch, lambda: make_fns(jaxlite)["train_step"], (params, xs, ys), True, False)
    assert runtime.STATS["parallel_compile_failures"] == before + 1
    monkeypatch.undo()
    want = _compile_and_run(monkeypatch, lambda: make_fns(jaxlite)["train_step"], (params, xs, ys), True)
    for a, b in zip(out, want):
        np.testing.assert_array_equal(a, b)
