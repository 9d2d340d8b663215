"""Which equations on complex numbers the CPU back end compiles (coverage.py asks here first
for any equation with a complex operand or result).

Native: the elementwise emitters of emit_complex.py, every equation that only moves values
(views, pad, concatenate, gather, dynamic slices, scatter), sums and products (reductions,
cumulative scans, scatter-add/mul), orderings (max/min/clamp/comparisons, max/min reductions,
scans and scatters, argmax/argmin, sorts: emit_complex_order.py, the merge sort), matrix
products (BLAS cgemm/zgemm) and native control flow. The rest runs in the interpreter, each with
its reason in REASONS (none today) or the generic one below.
"""

from __future__ import annotations

from .. import primitives as P
from ..passes.fusion import VIEWS
from ..passes.kernel_indexing import INDEXED_VIEWS
from . import emit_complex

# Orderings (emit_complex_order.py): elementwise max/min/clamp/comparisons are emitters; these
# are max/min reductions, scans and scatters, argmax/argmin and sorts with complex operands.
_NATIVE_ORDER = {
    P.reduce_max_p,
    P.reduce_min_p,
    P.argmax_p,
    P.argmin_p,
    P.cummax_p,
    P.cummin_p,
    P.scatter_max_p,
    P.scatter_min_p,
    P.sort_p,
}
_NATIVE_OTHER = {
    P.reduce_sum_p,
    P.reduce_prod_p,
    P.cumsum_p,
    P.cumprod_p,
    P.scatter_p,
    P.scatter_add_p,
    P.scatter_mul_p,
    P.dot_general_p,
    P.cond_p,
    P.while_p,
    P.scan_p,
} | _NATIVE_ORDER
REASONS = {}


def why_not(eqn):
    """None when the back end compiles `eqn` (which has a complex operand or result) natively,
    else the reason it runs in the interpreter."""
    p = eqn.prim
    if p in emit_complex.EMITTERS or p in VIEWS or p in INDEXED_VIEWS or p in _NATIVE_OTHER:
        return None
    if p in REASONS:
        return REASONS[p]
    return f"{p.name} on complex numbers is not lowered yet (no complex emitter)"
