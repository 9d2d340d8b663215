"""The native radix sort (cpu/emit_radix.py) against the interpreter's NumPy sort, bit for bit:
every real dtype, any axis, NaNs of both signs, infinities, signed zeros, many ties (stability
through an iota payload), one, two and several operands, rows split across threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import dtypes
from compiler import primitives as P
from compiler.cpu import parallel
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.sort_step import RADIX_MIN_LENGTH, uses_radix
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu

DTYPES = [
    dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
    dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.bool_,
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


_compiled = {}


def run_sort(operands, dimension, num_keys=1):
    sig = (tuple((x.shape, x.dtype.str) for x in operands), dimension, num_keys)
    if sig not in _compiled:
        jb = JaxprBuilder()
        ins = [jb.arg(ShapedArray(x.shape, x.dtype)) for x in operands]
        closed = jb.build(jb.op(P.sort_p, *ins, dimension=dimension, is_stable=True, num_keys=num_keys))
        _compiled[sig] = (closed, compile_cpu(closed, check=True))
    closed, exe = _compiled[sig]
    assert exe.program.count("interpret") == 0, exe.program.report()
    got = exe(*operands)
    want = eval_jaxpr(closed.jaxpr, closed.consts, *operands)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        # bit for bit: the same elements in the same places (signed zeros and NaN payloads too)
        assert np.asarray(g).tobytes() == np.asarray(w).tobytes()
    return exe


def keys(dtype, shape, seed, spread=7):
    """Few distinct values (stability matters), the extremes, and for floats NaNs of both signs,
    infinities and zeros of both signs."""
    r = np.random.RandomState(seed)
    dtype = np.dtype(dtype)
    if dtype == dtypes.bool_:
        return r.rand(*shape) < 0.5
    if dtypes.is_float(dtype):
        x = (r.randint(-spread, spread + 1, shape) * r.choice([1.0, 0.001, 1e3], shape)).astype(dtype)
        flat = x.reshape(-1)
        specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).tiny], dtype)
        pick = r.rand(flat.size) < 0.3
        flat[pick] = r.choice(specials, int(pick.sum()))
        return x
    info = np.iinfo(dtype)
    x = r.randint(-spread, spread + 1, shape).astype(np.int64)
    x = np.where(x == spread, info.max, np.where(x == -spread, info.min, x))
    return np.clip(x, info.min, info.max).astype(dtype)


def iota(shape, dimension, dtype=np.int32):
    return np.broadcast_to(
        np.arange(shape[dimension], dtype=dtype).reshape([-1 if d == dimension else 1 for d in range(len(shape))]),
        shape,
    ).copy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_one_operand_and_argsort(dtype):
    x = keys(dtype, (400,), 0)
    exe = run_sort([x], 0)
    assert "radix sort" in exe.program.report()
    run_sort([x, iota(x.shape, 0)], 0)  # argsort: stability is the iota's order


@settings(max_examples=40)
@given(
    dtype=st.sampled_from(DTYPES),
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    length=st.sampled_from([128, 257, 700]),
    where=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_hypothesis_shapes_axes_dtypes(dtype, shape, length, where, seed):
    where = min(where, len(shape))
    shape = tuple(shape[:where]) + (length,) + tuple(shape[where:])
    x = keys(dtype, shape, seed, spread=1 + seed % 50)
    run_sort([x, iota(shape, where)], where)


@pytest.mark.parametrize("dtype", [dtypes.int8, dtypes.float16, dtypes.float32, dtypes.float64])
def test_both_sides_of_the_radix_threshold(dtype):
    first = next(n for n in range(1, 1000) if uses_radix(1, n, dtype))
    assert first >= RADIX_MIN_LENGTH
    for n, kind in ((first - 1, "merge sort"), (first, "radix sort")):
        x = keys(dtype, (3, n), n)
        exe = run_sort([x, iota(x.shape, 1)], 1)
        assert kind in exe.program.report()


@pytest.mark.parametrize("payload", [np.float64, np.int8, np.bool_, np.uint16])
def test_key_value_payload_dtypes(payload):
    x = keys(dtypes.float32, (2, 600), 3)
    run_sort([x, keys(payload, x.shape, 4)], 1)


def test_several_payloads_travel_through_an_index():
    shape = (4, 500)
    ops = [keys(dtypes.int16, shape, 5), keys(dtypes.float64, shape, 6), iota(shape, 1, np.int64)]
    ops.append(keys(dtypes.bool_, shape, 7))
    run_sort(ops, 1)
    run_sort([o.T.copy() for o in ops[:2]] + [iota(shape[::-1], 0)], 0)


def test_several_keys_keep_the_merge_sort():
    shape = (2, 400)
    ops = [keys(dtypes.int32, shape, 8), keys(dtypes.float32, shape, 9), iota(shape, 1)]
    exe = run_sort(ops, 1, num_keys=2)
    assert "merge sort" in exe.program.report()


def test_one_digit_passes_are_skipped_and_results_still_right():
    # every element shares its high bytes: the passes on those bytes are skipped, leaving an odd
    # number of passes (the copy back from the temporaries)
    x = np.arange(1000, dtype=np.int64)[::-1].copy() % 256
    run_sort([x, iota(x.shape, 0)], 0)
    run_sort([np.full(600, -0.0, np.float32)], 0)  # all ties: the input order
    run_sort([np.zeros((0, 300), np.float32)], 1)  # no rows


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_rows_split_across_threads(threads, monkeypatch):
    old_threads, old_grain = parallel.num_threads(), parallel.GRAIN.value
    try:
        parallel.set_num_threads(threads)
        parallel.set_grain(1)  # every row its own chunk where possible
        x = keys(dtypes.float32, (37, 300), 10, spread=100)
        run_sort([x, iota(x.shape, 1)], 1)
        run_sort([x.T.copy(), iota(x.T.shape, 0)], 0)
    finally:
        parallel.set_num_threads(old_threads)
        parallel.set_grain(old_grain)


@pytest.mark.parametrize("dtype", [dtypes.float16, dtypes.float32, dtypes.float64])
def test_nan_payloads_and_signed_zeros_come_back_exactly(dtype):
    # Keys travel as order keys; NumPy's quiet NaN and +0.0 come back from them directly, any
    # other NaN bits and -0.0 through the restoring pass. Rows with neither, with one, with both.
    r = np.random.RandomState(11)
    uint = np.dtype(f"u{np.dtype(dtype).itemsize}")
    quiet = np.array(np.nan, dtype).view(uint)
    for specials in ([np.nan, 0.0], [-0.0], ["payload"], ["payload", -0.0, -np.nan]):
        x = (r.randint(-3, 4, (3, 400)) * 0.5).astype(dtype)
        flat = x.reshape(-1)
        for k, v in enumerate(specials):
            if v == "payload":  # a quiet NaN with a payload bit, both signs
                bits = flat[k::5].view(uint)
                bits[:] = quiet | 1
                bits[::2] |= np.array(1 << (8 * uint.itemsize - 1), uint.type)
            else:
                flat[k::5] = v
        run_sort([x], 1)
        run_sort([x.T.copy(), iota(x.T.shape, 0)], 0)
