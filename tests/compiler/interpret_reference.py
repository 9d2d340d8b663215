"""Shared strategies, checks and reference helpers for the interpreter's tests.

References are written another way than the rules (Python integers wrapped to the bit width,
extended-precision NumPy, per-element loops), so a shared mistake is unlikely.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compiler import primitives as P
from compiler.interpret import impl_rules
from compiler.ir import ShapedArray

INTS = [np.dtype(t) for t in (np.int8, np.int32, np.uint8, np.uint32)]
FLOATS = [np.dtype(t) for t in (np.float16, np.float32, np.float64)]
COMPLEX = [np.dtype(np.complex64)]
ALL_DTYPES = [np.dtype(np.bool_)] + INTS + FLOATS + COMPLEX
RTOL = {np.float16: 4e-3, np.float32: 1e-5, np.float64: 1e-12, np.complex64: 1e-5, np.complex128: 1e-12}
SPECIAL_FLOATS = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, math.nan, math.inf, -math.inf]
EXAMPLES = settings(max_examples=30, deadline=None)

# ---- Strategies ----------------------------------------------------------------------------


def elements(dtype, bound=30.0, finite=False):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        width, bound = dtype.itemsize * 8, min(bound, float(np.finfo(dtype).max))
        specials = [v for v in SPECIAL_FLOATS if not finite or math.isfinite(v)]
        # No subnormals: XLA on CPU flushes them to zero, NumPy does not, and neither is the spec.
        normal = st.floats(-bound, bound, width=width, allow_subnormal=False)
        return st.one_of(st.sampled_from(specials), normal)
    if dtype.kind == "c":
        # Finite, in eighths: no subnormal parts, whose division edge cases are XLA's own.
        eighths = st.integers(-80, 80).map(lambda k: k / 8)
        return st.builds(complex, eighths, eighths)
    return hnp.from_dtype(dtype)


def arrays(dtype, shape, **kw):
    return hnp.arrays(dtype, shape, elements=elements(dtype, **kw))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def accepted(prim, arity, shape=(), **params):
    """The test dtypes the shape rule takes for `prim` (so the rule decides, not this file)."""
    ok = []
    for d in ALL_DTYPES:
        try:
            P.shape_rules[prim](*[ShapedArray(shape, d)] * arity, **params)
            ok.append(d)
        except TypeError:
            pass
    return ok


# ---- Checks --------------------------------------------------------------------------------


def run(prim, *args, **params):
    """Run the rule; assert its result has exactly the shape and dtype of the shape rule."""
    with np.errstate(all="ignore"):
        out = impl_rules[prim](*args, **params)
    want = P.shape_rules[prim](*(ShapedArray(np.shape(a), a.dtype) for a in args), **params)
    outs, wants = (out, want) if prim.multiple_results else ([out], [want])
    outs = [np.asarray(o) for o in outs]
    for o, w in zip(outs, wants):
        assert (o.shape, o.dtype) == (w.shape, w.dtype), f"{prim}: got {o.dtype}{o.shape}, rule says {w}"
    return outs if prim.multiple_results else outs[0]


def _clip_to_finite(v, dtype):
    # Overflow may land one rounding either side of the largest finite value: +-inf and values
    # beyond the dtype's range compare as its largest finite value.
    big = np.finfo(dtype).max
    if v.dtype.kind != "c":
        return np.clip(v, -big, big)
    out = np.empty(v.shape, v.dtype)
    out.real, out.imag = np.clip(v.real, -big, big), np.clip(v.imag, -big, big)
    return out


def assert_matches(got, want, dtype=None, rtol=None, atol=None):
    dtype = np.dtype(dtype or got.dtype)
    want = np.asarray(want)
    assert got.shape == want.shape
    if dtype.kind in "fc":
        wide = np.complex128 if dtype.kind == "c" else np.float64
        with np.errstate(all="ignore"):
            got, want = _clip_to_finite(got.astype(wide), dtype), _clip_to_finite(want.astype(wide), dtype)
        tolerance = dict(rtol=rtol or RTOL[dtype.type], atol=atol or 4 * np.finfo(dtype).tiny)
        np.testing.assert_allclose(got, want, equal_nan=True, **tolerance)
    else:
        np.testing.assert_array_equal(got, want.astype(dtype))


def wrap(values, dtype):
    """Python integers (any size) reduced into dtype's range, two's complement: the reference
    for integer overflow."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.array([bool(v) for v in np.ravel(values)], bool).reshape(np.shape(values))
    info, span = np.iinfo(dtype), 2 ** (8 * dtype.itemsize)
    flat = [((int(v) - info.min) % span) + info.min for v in np.ravel(values)]
    return np.array(flat, dtype=dtype).reshape(np.shape(values))


def per_element(fn, *arrays_, otype=object):
    b = np.broadcast_arrays(*arrays_)
    flat = [fn(*vals) for vals in zip(*(a.ravel().tolist() for a in b))]
    out = np.empty(len(flat), otype)
    out[:] = flat
    return out.reshape(b[0].shape if b else ())


def extended(fn):
    """A float/complex reference computed in long double and rounded back to the dtype."""
    def ref(*xs):
        dt = xs[0].dtype
        wide = np.clongdouble if dt.kind == "c" else np.longdouble
        with np.errstate(all="ignore"):
            return np.asarray(fn(*(x.astype(wide) for x in xs))).astype(dt)
    return ref


def max_ref(a, b):
    if isinstance(a, complex):  # lexicographic: `a > b ? a : b`
        return a if (a.real, a.imag) > (b.real, b.imag) else b
    return math.nan if a != a or b != b else max(a, b)


def min_ref(a, b):
    if isinstance(a, complex):
        return a if (b.real, b.imag) > (a.real, a.imag) else b
    return math.nan if a != a or b != b else min(a, b)
