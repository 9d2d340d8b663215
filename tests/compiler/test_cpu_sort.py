"""The native merge sort (cpu/emit_sort.py) against the interpreter's NumPy sort, on hand-built
IR: every real dtype, every axis, several keys, NaN and signed zeros, stability, empty rows."""

from __future__ import annotations

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.interpret import eval_jaxpr
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def check_sort(operands, dimension, num_keys):
    jb = JaxprBuilder()
    ins = [jb.arg(ShapedArray(x.shape, x.dtype)) for x in operands]
    closed = jb.build(jb.op(P.sort_p, *ins, dimension=dimension, is_stable=True, num_keys=num_keys))
    exe = compile_cpu(closed, check=True)
    assert exe.program.count("interpret") == 0, exe.program.report()
    assert "merge sort" in exe.program.report() or "radix sort" in exe.program.report()
    got = exe(*operands)
    want = eval_jaxpr(closed.jaxpr, closed.consts, *operands)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        # bit for bit: the same elements in the same places (signed zeros and NaNs included)
        assert np.asarray(g).tobytes() == np.asarray(w).tobytes()


def keys(dtype, shape, seed):
    r = np.random.RandomState(seed)
    if dtype == dtypes.bool_:
        return r.rand(*shape) < 0.5
    if dtypes.is_float(dtype):
        x = r.randint(-3, 4, shape).astype(dtype)  # many ties: stability matters
        flat = x.reshape(-1)
        flat[::5] = np.nan
        flat[1::7] = -0.0
        flat[2::11] = np.inf
        flat[3::13] = -np.inf
        return x
    info = np.iinfo(dtype)
    x = r.randint(-3, 4, shape)
    x[..., 0] = info.max
    x = np.where(x < 0, info.min if info.min else 0, x)
    return x.astype(dtype)


@pytest.mark.parametrize(
    "dtype",
    [dtypes.float32, dtypes.float64, dtypes.float16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint32,
     dtypes.int8, dtypes.bool_],
)  # fmt: skip
@pytest.mark.parametrize("dimension", [0, 1, 2])
def test_one_operand_every_dtype_and_axis(dtype, dimension):
    check_sort([keys(dtype, (5, 9, 3), 0)], dimension, 1)


@pytest.mark.parametrize("num_keys", [1, 2, 3])
def test_several_operands_and_keys_stable(num_keys):
    shape = (4, 33)
    ops = [keys(dtypes.float32, shape, 1), keys(dtypes.int32, shape, 2), keys(dtypes.float64, shape, 3)]
    ops.append(np.arange(np.prod(shape), dtype=np.int32).reshape(shape))  # an iota payload: the order
    check_sort(ops, 1, num_keys)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (1,), (1000,), (7, 1)])
def test_lengths_empty_one_and_long(shape):
    check_sort([keys(dtypes.float32, shape, 4)], len(shape) - 1, 1)
