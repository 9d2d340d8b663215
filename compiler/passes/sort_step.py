"""sort equations become SortSteps: a native stable sort per row. One key and rows of at least
`uses_radix` elements (a few dozen): an LSD radix sort (cpu/emit_radix.py, its own work memory); otherwise
a merge sort (cpu/emit_sort.py) with the work arrays described below.

The step sorts `rows` independent rows of `length` elements; element j of a row lives at
row_offset + j * inner (row-major: outer * length * inner + j * inner + i for the row (outer,
i)). Two int64 index arrays of `length` elements, temporaries in the arena, hold the order,
and two arrays of the first key travel with them, so that most comparisons read memory in
order rather than through the indices (10x faster on 1M floats than indirect loads).
"""

from __future__ import annotations

from math import prod

import numpy as np

from .. import dtypes
from ..ir import Literal

# Shorter rows go to the merge sort: clearing and scanning the radix digit counts (256 per key
# byte) costs more than sorting a few dozen elements by comparison. Measured (float32 rows of
# 32 and float64 rows of 64 break even; twice as long, the radix sort is 2x faster):
RADIX_MIN_LENGTH = 32
RADIX_MIN_LENGTH_PER_KEY_BYTE = 16


def uses_radix(num_keys, length, key_dtype) -> bool:
    per_byte = RADIX_MIN_LENGTH_PER_KEY_BYTE * np.dtype(key_dtype).itemsize
    # (its digit counts are uint32: rows of 2**31 elements and more go to the merge sort;
    # complex keys, two parts compared lexicographically, go to the merge sort too)
    real_key = not dtypes.is_complex(key_dtype)
    return num_keys == 1 and real_key and max(RADIX_MIN_LENGTH, per_byte) <= length < 2**31


def why_not(eqn):
    """None when the sort becomes a SortStep, else why it stays an interpreter step."""
    if any(isinstance(a, Literal) for a in eqn.invars):
        return "a literal operand (constant folding normally removes it)"
    return None


class SortStep:
    def __init__(self, ins, outs, work, dtypes_, rows, length, inner, num_keys, eqn):
        self.ins, self.outs = list(ins), list(outs)
        self.idx, self.tmp, self.keys, self.keys_tmp = work
        self.dtypes = [np.dtype(d) for d in dtypes_]
        self.rows, self.length, self.inner, self.num_keys, self.eqn = rows, length, inner, num_keys, eqn

    def buffers_read(self):
        return list(self.ins)

    def buffers_written(self):
        return list(self.outs) + [self.idx, self.tmp, self.keys, self.keys_tmp]

    def render(self, out):
        ins, outs = ", ".join(f"b{b}" for b in self.ins), ", ".join(f"b{b}" for b in self.outs)
        kinds = ",".join(dtypes.short_name(d) for d in self.dtypes)
        out.append(
            f"sort[{kinds}] ({ins}) -> ({outs}) rows={self.rows} length={self.length} inner={self.inner} "
            f"keys={self.num_keys} work=b{self.idx},b{self.tmp},b{self.keys},b{self.keys_tmp}"
        )

    def report_line(self, i):
        kind = "radix" if uses_radix(self.num_keys, self.length, self.dtypes[0]) else "merge"
        return f"  step {i}: native {kind} sort of {self.rows} row(s) of {self.length}, {self.num_keys} key(s)"


def build_sort_step(eqn, buf_of, new_temp):
    shape = eqn.invars[0].aval.shape
    d = eqn.params["dimension"] % max(1, len(shape))
    length = shape[d] if shape else 1
    inner = prod(shape[d + 1 :])
    rows = prod(shape[:d]) * inner if length else 0
    num_keys = eqn.params.get("num_keys", 1)
    radix = uses_radix(num_keys, length, eqn.invars[0].aval.dtype)
    n = 1 if radix else max(1, length)  # the radix sort mallocs its own work arrays
    return SortStep(
        [buf_of(v) for v in eqn.invars],
        [buf_of(v) for v in eqn.outvars],
        [new_temp((n,), np.int64), new_temp((n,), np.int64)]
        + [new_temp((n,), eqn.invars[0].aval.dtype) for _ in range(2)],
        [v.aval.dtype for v in eqn.invars],
        rows,
        length,
        inner,
        num_keys,
        eqn,
    )
