"""Which primitives the CPU back end compiles, and why the others are not compiled yet.

`why_not_native(eqn)` answers None when the back end emits the equation natively (a loop
kernel or a gemm call) and a reason otherwise; such equations run as a callback into the NumPy
interpreter from inside the native program (listed in the compiled program's report). This is
the phase-1 state: each reason below names the planned lowering.
"""

from __future__ import annotations

from .. import dtypes
from .. import primitives as P
from ..passes.dot import is_canonical_gemm
from ..passes.fusion import ARG_REDUCE, COMBINE, VIEWS
from ..passes.kernel_indexing import INDEXED_VIEWS
from ..passes.kernel_standalone import STANDALONE
from ..passes.lapack_steps import LAPACK_PRIMS
from ..passes.lapack_steps import why_not as lapack_why_not
from ..passes.sort_step import why_not as sort_why_not
from . import complex_coverage, emit_complex
from .scalar import EMITTERS
from .types import supported

_WINDOWED = "rewritten by passes/conv.py into pad, strided slices, gemms and fused kernels first"
_HOST = "a Python function: host callbacks run as interpreter steps by design"

_NATIVE_CONTROL = (P.cond_p, P.while_p, P.scan_p)

REASONS = {
    P.jit_p: "inlined by the pipeline before lowering; interpreted only if it survives",
    P.remat_p: "inlined by the pipeline before lowering; interpreted only if it survives",
    P.custom_jvp_call_p: "inlined by the pipeline before lowering; interpreted only if it survives",
    P.custom_vjp_call_p: "inlined by the pipeline before lowering; interpreted only if it survives",
    P.custom_lin_p: "only exists inside linearized programs, which are transposed, never run",
    P.conv_general_dilated_p: _WINDOWED,
    P.reduce_window_sum_p: _WINDOWED,
    P.reduce_window_max_p: _WINDOWED,
    P.reduce_window_min_p: _WINDOWED,
    P.pmap_p: "runs its body (compiled once) on one thread per device: compiler/pmap_exec.py",
    P.debug_callback_p: _HOST,
    P.pure_callback_p: _HOST,
    P.io_callback_p: _HOST,
}


def why_not_native(eqn):
    prim = eqn.prim
    avals = [a.aval for a in eqn.invars] + [v.aval for v in eqn.outvars]
    if prim in REASONS:
        return REASONS[prim]
    if prim in LAPACK_PRIMS:
        return lapack_why_not(eqn)
    if prim.group == P.COLLECTIVE:
        return "collectives: vmap removes them; under pmap they call the device rendezvous"
    if any(dtypes.is_complex(a.dtype) for a in avals):
        reason = complex_coverage.why_not(eqn)
        if reason is not None or prim in emit_complex.EMITTERS:
            return reason
        avals = [a for a in avals if not dtypes.is_complex(a.dtype)]
    unsupported = sorted({str(a.dtype) for a in avals if not supported(a.dtype)})
    if unsupported:
        return f"dtype {', '.join(unsupported)} is not lowered yet"
    if prim is P.sort_p:
        return sort_why_not(eqn)
    if prim in EMITTERS or prim in COMBINE or prim in ARG_REDUCE or prim is P.iota_p:
        if prim is P.integer_pow_p and eqn.params["y"] < 0 and avals[0].dtype.kind in "iub":
            return "negative integer powers of integers are an error"
        return None
    if prim in INDEXED_VIEWS:
        return None
    if prim in STANDALONE:
        return None
    if prim in VIEWS:
        if prim is P.reshape_p and eqn.params.get("dimensions") is not None:
            return "reshape with `dimensions` (a transpose first) is not lowered yet"
        return None
    if prim is P.dot_general_p:
        return None if is_canonical_gemm(eqn) else "a dot the canonicalisation left in place"
    if prim in _NATIVE_CONTROL:
        return None  # loops and branches in the entry function (passes/fusion_control.py)
    if prim.group == P.CONTROL:
        return "control flow arrives in its own issue (native loops and branches)"
    return "not lowered yet"


def coverage_table():
    """{primitive name: 'native' or 'interpreter: reason'} for the whole closed set (for docs and
    the coverage test). 'native' means: for the real and integer dtypes, and for complex ones
    where complex_coverage.py says so."""
    table = {}
    for prim in P.ALL_PRIMITIVES:
        if prim in REASONS:
            table[prim.name] = f"interpreter: {REASONS[prim]}"
        elif prim in EMITTERS or prim in emit_complex.EMITTERS or prim in COMBINE or prim in ARG_REDUCE:
            table[prim.name] = "native (loop kernel)"
        elif prim in VIEWS or prim is P.iota_p:
            table[prim.name] = "native (loop kernel)"
        elif prim in INDEXED_VIEWS:
            table[prim.name] = "native (computed, clamped loads inside fused loop kernels)"
        elif prim in STANDALONE:
            table[prim.name] = "native (a loop kernel of its own; scatters and scans run serially)"
        elif prim is P.sort_p:
            table[prim.name] = "native (stable radix sort: one real key, long rows; else merge sort)"
        elif prim in LAPACK_PRIMS:
            table[prim.name] = "native (SciPy's LAPACK, float32/float64; float16 and complex: interpreter)"
        elif prim is P.dot_general_p:
            table[prim.name] = "native (BLAS gemm, cgemm/zgemm for complex; a loop kernel for integers and bools)"
        elif prim.group == P.COLLECTIVE:
            table[prim.name] = "interpreter: collectives only have a meaning under vmap/pmap"
        elif prim in _NATIVE_CONTROL:
            table[prim.name] = "native (a loop or branch in the entry function around nested steps)"
        elif prim.group == P.CONTROL:
            table[prim.name] = "interpreter: control flow arrives in its own issue"
        else:
            table[prim.name] = "interpreter: not lowered yet"
    return table
