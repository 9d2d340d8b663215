"""Which equations on complex numbers the CPU back end compiles (coverage.py asks here first
for any equation with a complex operand or result).

Native: the elementwise emitters of emit_complex.py, every equation that only moves values
(views, pad, concatenate, gather, dynamic slices, scatter), sums and products (reductions,
cumulative scans, scatter-add/mul), matrix products (BLAS cgemm/zgemm) and native control flow.
The rest runs in the interpreter, each with its reason below.
"""

from __future__ import annotations

from .. import primitives as P
from ..passes.fusion import VIEWS
from ..passes.kernel_indexing import INDEXED_VIEWS
from . import emit_complex

_ORDER = "complex numbers have no native order (lexicographic compare is interpreted)"
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
}
REASONS = {
    P.reduce_max_p: _ORDER,
    P.reduce_min_p: _ORDER,
    P.argmax_p: _ORDER,
    P.argmin_p: _ORDER,
    P.cummax_p: _ORDER,
    P.cummin_p: _ORDER,
    P.scatter_max_p: _ORDER,
    P.scatter_min_p: _ORDER,
    P.max_p: _ORDER,
    P.min_p: _ORDER,
    P.clamp_p: _ORDER,
    P.sort_p: "complex sort keys (lexicographic) are not lowered; the merge sort takes real keys",
}


def why_not(eqn):
    """None when the back end compiles `eqn` (which has a complex operand or result) natively,
    else the reason it runs in the interpreter."""
    p = eqn.prim
    if p in emit_complex.EMITTERS or p in VIEWS or p in INDEXED_VIEWS or p in _NATIVE_OTHER:
        return None
    if p in REASONS:
        return REASONS[p]
    return f"{p.name} on complex numbers is not lowered yet (no complex emitter)"
