"""Row sums added in the order JAX's XLA CPU back end adds them, for bit-identical samplers.

`jaxlite.random.dirichlet` normalises exp(log-gamma draws) by their row sum, as JAX does, and
the last bit of every output depends on how that sum is associated. XLA 0.10.2's CPU back end
(read from `XLA_FLAGS=--xla_dump_to=...` dumps and recovered by probing rows of M, -M and ones,
whose sum counts the ones added after M and -M meet) sums a row of n elements as follows:

* n <= 32: one accumulator, left to right: ((x0 + x1) + x2) + ... LLVM vectorises the loop
  across rows, never along the row, so every row gets the same sequential order.
* n > 32: XLA's tree-reduction rewriter first turns the reduce into a reduce-window of size
  and stride 32 over the row zero-padded to m = ceil(n / 32) windows (floor(pad / 2) zeros in
  front, the rest behind); each window is summed left to right, then the m window sums are
  summed by the same rule (recursively, for n > 1024).

Adding the padding zeros changes nothing (only a row of negative zeros, absent from dirichlet,
would differ in sign), so the windows are simply clipped to the row. This holds while the array
has fewer than 4096 elements; from 4096 elements on XLA hands the whole softmax, exp and
log included, to the YNNPACK library, whose arithmetic is not reproduced here (see
docs/status.md). Written with slices and adds that neither our interpreter nor our jit back end
reassociates, so it gives the same bits eagerly and compiled, and it batches and
differentiates as the slices and adds do.
"""

from __future__ import annotations

from . import lax
from . import numpy as jnp

_WINDOW = 32  # the window of XLA CPU's TreeReductionRewriter


def _sequential(cols):
    acc = cols[0]
    for col in cols[1:]:
        acc = lax.add(acc, col)
    return acc


def _sum_columns(cols):
    n = len(cols)
    if n <= _WINDOW:
        return _sequential(cols)
    m = -(-n // _WINDOW)
    front = (m * _WINDOW - n) // 2  # padding zeros before the first element
    windows = []
    for w in range(m):
        lo, hi = max(0, w * _WINDOW - front), min(n, (w + 1) * _WINDOW - front)
        windows.append(_sequential(cols[lo:hi]))
    return _sum_columns(windows)


def xla_row_sum(x, keepdims=False):
    """The sum of `x` over its last axis, associated as XLA's CPU reduce associates it."""
    x = jnp.asarray(x)
    if x.ndim < 1:
        raise ValueError(f"xla_row_sum: x must have at least one axis, got shape {tuple(x.shape)}")
    n = x.shape[-1]
    if n == 0:
        out = jnp.zeros(x.shape[:-1], x.dtype)
    else:
        out = _sum_columns([lax.index_in_dim(x, i, -1, keepdims=False) for i in range(n)])
    return lax.expand_dims(out, (out.ndim,)) if keepdims else out


def xla_normalise(e):
    """e / sum(e, -1) as XLA's CPU code computes it: the row sum in XLA's order, then its
    reciprocal (XLA rewrites a division by a broadcast value into that) times every entry.
    A row of one element is divided by itself: XLA drops that reduce and keeps the division."""
    e = jnp.asarray(e)
    total = xla_row_sum(e, keepdims=True)
    if e.shape[-1] == 1:
        return e / total
    return e * (jnp.asarray(1.0, e.dtype) / total)
