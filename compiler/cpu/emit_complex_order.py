"""Ordering complex numbers in loop kernels: max, min, clamp, comparisons, and the combine steps
of max/min reductions, scans, scatters and argmax/argmin.

Complex values are (re, im) register pairs (emit_complex.py); every function takes `o`, the part
dtype's real operations (emit_complex._Ops). The order is lexicographic: real parts first, then
imaginary parts. Where NaNs go follows what the interpreter computes (compiler/interpret*.py),
which is JAX's answer wherever JAX's answer does not depend on XLA's evaluation order:

- max / min (elementwise): JAX's `x > y ? x : y` (min: `y > x ? x : y`), so a NaN only comes
  out of the second operand, and ties (0 and -0) give the second operand;
- clamp(lo, x, hi): XLA's complex clamp compares REAL PARTS only,
  m = x.re <= lo.re ? lo : x, then m.re <= hi.re ? m : hi (checked against jax.lax.clamp on
  every combination of -inf, -1, -0, 0, 1, 2, inf, nan parts);
- lt/le/gt/ge (JAX rejects them; jaxlite accepts them): NumPy's complex comparisons;
- accumulating max/min (reduce_max/min, cummax/cummin, scatter_max/min; `accumulate=True`):
  NumPy's maximum/minimum with the accumulator first: the first element with a NaN part wins,
  otherwise lexicographic with ties keeping the accumulator. (JAX folds lax.max in XLA's own
  order, a tree for reductions and an associative scan for cummax, so with NaNs its answer
  depends on that order; scatters agree with it exactly when no NaN meets an earlier value);
- argmax/argmin: NumPy's: the first NaN's index, else the first extreme's.
"""

from __future__ import annotations

import numpy as np

from .. import primitives as P
from .types import Pair


def _has_nan(o, z):
    return o.b.or_(o.b.fcmp_unordered("uno", z.re, z.re), o.b.fcmp_unordered("uno", z.im, z.im))


def lex_gt(o, x, y):
    """x > y lexicographically (false whenever the deciding parts hold a NaN)."""
    return o.b.or_(o.cmp(">", x.re, y.re), o.b.and_(o.cmp("==", x.re, y.re), o.cmp(">", x.im, y.im)))


def select(o, cond, x, y):
    return Pair(o.sel(cond, x.re, y.re), o.sel(cond, x.im, y.im))


def cmax(o, x, y):
    return select(o, lex_gt(o, x, y), x, y)


def cmin(o, x, y):
    return select(o, lex_gt(o, y, x), x, y)


def _numpy_ge(o, x, y, strict=False):
    """NumPy's CGE (CGT when strict): (x.re > y.re and no NaN in the imaginary parts) or
    (x.re == y.re and x.im >= y.im)."""
    b = o.b
    no_nan_im = b.and_(b.fcmp_ordered("ord", x.im, x.im), b.fcmp_ordered("ord", y.im, y.im))
    first = b.and_(o.cmp(">", x.re, y.re), no_nan_im)
    return b.or_(first, b.and_(o.cmp("==", x.re, y.re), o.cmp(">" if strict else ">=", x.im, y.im)))


def accumulate(o, kind, acc, v):
    """NumPy's maximum/minimum(acc, v): keeps a NaN accumulator, takes a NaN `v`, else the
    lexicographic extreme (ties keep the accumulator)."""
    keep = _numpy_ge(o, acc, v) if kind == "max" else _numpy_ge(o, v, acc)
    return select(o, o.b.or_(_has_nan(o, acc), keep), acc, v)


def arg_better(o, kind, v, best):
    """Whether `v` replaces the running argmax/argmin `best`: a first NaN, or a strictly more
    extreme number while no NaN has been seen."""
    b = o.b
    v_nan, best_nan = _has_nan(o, v), _has_nan(o, best)
    beats = _numpy_ge(o, v, best, strict=True) if kind == "max" else _numpy_ge(o, best, v, strict=True)
    return b.and_(b.not_(best_nan), b.or_(v_nan, beats))


def arg_update(cx, dtype, kind, v, best):
    """(replace?, the new running extreme) of an argmax/argmin step on `dtype` values."""
    from .emit_complex import PART, _Ops  # emit_complex imports this module

    o = _Ops(cx, PART[np.dtype(dtype)])
    better = arg_better(o, kind, v, best)
    return better, select(o, better, v, best)


def clamp(o, lo, x, hi):
    m = select(o, o.cmp("<=", x.re, lo.re), lo, x)
    return select(o, o.cmp("<=", m.re, hi.re), m, hi)


_COMPARE = {P.lt_p: (False, True), P.le_p: (False, False), P.gt_p: (True, True), P.ge_p: (True, False)}


def compare(o, prim, x, y):
    """NumPy's complex lt/le/gt/ge (gt(x, y) is lt(y, x))."""
    swap, strict = _COMPARE[prim]
    small, big = (y, x) if swap else (x, y)
    return _numpy_ge(o, big, small, strict=strict)


EMITTERS = {P.max_p, P.min_p, P.clamp_p, *_COMPARE}


def emit(o, prim, args, params):
    if prim is P.max_p or prim is P.min_p:
        kind = "max" if prim is P.max_p else "min"
        if params.get("accumulate"):
            return accumulate(o, kind, *args)
        return cmax(o, *args) if kind == "max" else cmin(o, *args)
    if prim is P.clamp_p:
        return clamp(o, *args)
    return compare(o, prim, *args)
