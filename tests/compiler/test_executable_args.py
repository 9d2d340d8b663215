"""A compiled program reads exactly the bytes its input types declare, so the runtime refuses
arrays of another shape, dtype or layout instead of reading out of bounds or misreading a view."""

import numpy as np
import pytest

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ShapedArray
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import compile_cpu


@pytest.fixture(scope="module")
def exe():
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((4, 4), dtypes.float32))
    return compile_cpu(jb.build([jb.op(P.mul_p, x, x)]))


def test_exact_arrays_run(exe):
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_array_equal(exe(x)[0], x * x)


@pytest.mark.parametrize(
    "bad, error, words",
    [
        (np.zeros((4, 8), np.float32), TypeError, "float32[4, 8]"),
        (np.zeros((4, 4), np.float64), TypeError, "float64[4, 4]"),
        (np.zeros((4, 8), np.float32)[:, :4], ValueError, "C-contiguous"),
        ([[0.0] * 4] * 4, TypeError, "numpy.ndarray"),
    ],
)
def test_other_arrays_are_refused_with_a_clear_error(exe, bad, error, words):
    with pytest.raises(error, match="argument 0") as e:
        exe(bad)
    assert words in str(e.value)


def test_argument_count_is_checked(exe):
    with pytest.raises(TypeError, match="takes 1 arguments, got 2"):
        exe(np.zeros((4, 4), np.float32), np.zeros((4, 4), np.float32))
