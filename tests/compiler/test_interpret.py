"""compiler/interpret.py's elementwise, conversion and creation rules against references.

Every rule is checked twice: its output has exactly the aval `shape_rules` gives, and its values
match a reference from interpret_reference.py's toolbox. Gather/scatter and linear algebra are
tested beside their own modules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from interpret_reference import (
    ALL_DTYPES,
    EXAMPLES,
    FLOATS,
    RTOL,
    SHAPES,
    accepted,
    arrays,
    assert_matches,
    extended,
    max_ref,
    min_ref,
    per_element,
    run,
    wrap,
)

from compiler import primitives as P

# ---- Unary elementwise -------------------------------------------------------------------------


def _sign(v):
    if isinstance(v, complex):
        return v / abs(v) if v else 0j
    if isinstance(v, float):
        return v if v == 0 or v != v else math.copysign(1.0, v)
    return (v > 0) - (v < 0)


def _round_away(v):
    if not math.isfinite(v):
        return v
    whole = math.floor(abs(v))
    return math.copysign(whole + (abs(v) - whole >= 0.5), v)


def _digamma(x):
    """psi by reflection, recurrence and the asymptotic series; NaN at the poles."""
    if math.isnan(x) or x == -math.inf or (x <= 0 and x == math.floor(x)):
        return math.nan
    if x == math.inf:
        return math.inf
    if x < 0.5:
        # tan has period pi: reduce x exactly first, or pi * x loses the digits near a pole.
        return _digamma(1 - x) - math.pi / math.tan(math.pi * (x - round(x)))
    acc = 0.0
    while x < 20:  # where the series' next term is below 1e-15
        acc -= 1 / x
        x += 1
    inv2 = 1 / (x * x)
    return acc + math.log(x) - 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 / 240)))


def _safe(fn, on_error):
    def call(v):
        try:
            return fn(v)
        except (ValueError, OverflowError):
            return on_error(v)
    return call


def _int_or_extended(int_fn, float_fn):
    def ref(x):
        if x.dtype.kind in "biu":
            return wrap(per_element(int_fn, x), x.dtype)
        return extended(float_fn)(x)
    return ref


UNARY = {
    "neg": _int_or_extended(lambda v: -v, np.negative),
    "abs": lambda x: wrap(per_element(abs, x), x.dtype) if x.dtype.kind in "iu" else per_element(abs, x),
    "sign": lambda x: per_element(_sign, x),
    "floor": lambda x: per_element(_safe(math.floor, lambda v: v), x),
    "ceil": lambda x: per_element(_safe(math.ceil, lambda v: v), x),
    "is_finite": lambda x: per_element(math.isfinite, x),
    "exp": extended(np.exp), "exp2": extended(np.exp2), "log": extended(np.log),
    "log1p": extended(np.log1p), "expm1": extended(np.expm1), "sqrt": extended(np.sqrt),
    "rsqrt": extended(lambda x: 1 / np.sqrt(x)), "cbrt": extended(np.cbrt),
    "sin": extended(np.sin), "cos": extended(np.cos), "tan": extended(np.tan),
    "asin": extended(np.arcsin), "acos": extended(np.arccos), "atan": extended(np.arctan),
    "sinh": extended(np.sinh), "cosh": extended(np.cosh), "tanh": extended(np.tanh),
    "asinh": extended(np.arcsinh), "acosh": extended(np.arccosh), "atanh": extended(np.arctanh),
    "logistic": extended(lambda x: 1 / (1 + np.exp(-x))),
    "erf": lambda x: per_element(math.erf, x), "erfc": lambda x: per_element(math.erfc, x),
    "lgamma": lambda x: per_element(_safe(math.lgamma, lambda v: math.inf), x),
    "digamma": lambda x: per_element(_digamma, x),
    "real": lambda x: per_element(lambda v: complex(v).real, x),
    "imag": lambda x: per_element(lambda v: complex(v).imag, x),
    "conj": lambda x: per_element(lambda v: v.conjugate(), x),
    "not": _int_or_extended(lambda v: not v if isinstance(v, bool) else ~v, None),
    "copy": lambda x: x.copy(),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@EXAMPLES
@given(data=st.data())
def test_unary(name, data):
    prim = P.by_name(name)
    dtype = data.draw(st.sampled_from(accepted(prim, 1)), label="dtype")
    x = data.draw(arrays(dtype, SHAPES), label="x")
    got = run(prim, x)
    # Next to their roots lgamma and digamma are only accurate to a few ulps absolute.
    near_roots = name in ("lgamma", "digamma") and dtype.kind == "f"
    assert_matches(got, UNARY[name](x), atol=4 * np.finfo(dtype).eps if near_roots else None)
    if name == "copy":
        assert not np.shares_memory(got, x)


@EXAMPLES
@given(data=st.data())
def test_erf_inv_inverts_erf(data):
    x = data.draw(arrays(data.draw(st.sampled_from(FLOATS)), SHAPES, bound=1.5))
    got = run(P.erf_inv_p, x).astype(np.float64)
    inside = np.abs(x) < 0.99
    round_trip = per_element(math.erf, got[inside]).astype(float)
    np.testing.assert_allclose(round_trip, x[inside], rtol=5 * RTOL[x.dtype.type], atol=1e-6)
    assert np.isnan(got[np.abs(x) > 1]).all()
    assert (got[x == 1] == np.inf).all() and (got[x == -1] == -np.inf).all()


@EXAMPLES
@given(data=st.data())
def test_round(data):
    x = data.draw(arrays(data.draw(st.sampled_from(FLOATS)), SHAPES))
    assert_matches(run(P.round_p, x, rounding_method=0), per_element(_round_away, x))
    assert_matches(run(P.round_p, x, rounding_method=1), per_element(_safe(round, lambda v: v), x))


@EXAMPLES
@given(data=st.data())
def test_integer_pow(data):
    dtype = data.draw(st.sampled_from(accepted(P.integer_pow_p, 1)))
    y = data.draw(st.integers(0 if dtype.kind in "iu" else -3, 6))
    x = data.draw(arrays(dtype, SHAPES, bound=4.0))
    got = run(P.integer_pow_p, x, y=y)
    if dtype.kind in "iu":
        want = wrap(per_element(lambda v: v**y, x), dtype)
    else:
        want = extended(lambda v: v**y)(x)
    assert_matches(got, want)


def test_integer_pow_rejects_negative_integer_powers():
    with pytest.raises(TypeError, match="negative"):
        run(P.integer_pow_p, np.int32(2), y=-1)


# ---- Binary elementwise ------------------------------------------------------------------------


def _trunc_div(a, b):
    if b == 0:
        return -1  # all ones, wrapped into the dtype
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _fmod(a, b):
    try:
        return math.fmod(a, b)
    except ValueError:  # fmod(x, 0) and fmod(inf, y)
        return math.nan


def _nextafter(x, y):
    if x != x or y != y:
        return x + y
    if x == y:
        return y
    bits = x.view(np.int64 if x.dtype.itemsize == 8 else np.int32 if x.dtype.itemsize == 4 else np.int16)
    if x == 0:
        return np.copysign(np.array(bits.dtype.type(1)).view(x.dtype), y)
    return (bits + (1 if (x < y) == (x > 0) else -1)).view(x.dtype)


def _shift(kind):
    def ref(x, s):
        bits = 8 * x.dtype.itemsize
        if x.dtype == np.bool_:
            return per_element(lambda a, c: a if kind == "arith" else a and not c, x, s)
        counts = s.astype(object) % 2**bits  # the count is read as unsigned
        as_signed = wrap(x.astype(object), np.dtype(f"int{bits}"))
        as_unsigned = x.astype(object) % 2**bits

        def one(a_signed, a_unsigned, c):
            if kind == "left":
                return a_unsigned << c if c < bits else 0
            if kind == "logical":
                return a_unsigned >> c if c < bits else 0
            return int(a_signed) >> min(c, bits - 1)

        return wrap(per_element(one, as_signed, as_unsigned, counts), x.dtype)
    return ref


def _ordered(v):
    return (v.real, v.imag) if isinstance(v, complex) else v


def _int_or_float(int_fn, float_fn):
    def ref(x, y):
        if x.dtype.kind in "iu":
            return wrap(per_element(int_fn, x, y), x.dtype)
        return float_fn(x, y)
    return ref


BINARY = {
    "add": _int_or_float(lambda a, b: a + b, extended(np.add)),
    "sub": _int_or_float(lambda a, b: a - b, extended(np.subtract)),
    "mul": _int_or_float(lambda a, b: a * b, extended(np.multiply)),
    "div": _int_or_float(_trunc_div, extended(np.divide)),
    "rem": _int_or_float(
        lambda a, b: a - b * _trunc_div(a, b) if b else a, lambda x, y: per_element(_fmod, x, y)
    ),
    "pow": extended(np.power),
    "max": lambda x, y: per_element(max_ref, x, y), "min": lambda x, y: per_element(min_ref, x, y),
    "atan2": extended(np.arctan2),
    "nextafter": lambda x, y: per_element(lambda a, b: _nextafter(x.dtype.type(a), x.dtype.type(b)), x, y),
    "and": lambda x, y: wrap(per_element(lambda a, b: a & b, x, y), x.dtype),
    "or": lambda x, y: wrap(per_element(lambda a, b: a | b, x, y), x.dtype),
    "xor": lambda x, y: wrap(per_element(lambda a, b: a ^ b, x, y), x.dtype),
    "shift_left": _shift("left"), "shift_right_logical": _shift("logical"),
    "shift_right_arithmetic": _shift("arith"),
    "eq": lambda x, y: per_element(lambda a, b: a == b, x, y),
    "ne": lambda x, y: per_element(lambda a, b: a != b, x, y),
    # Complex order is lexicographic where the rule allows it (JAX itself rejects complex lt).
    "lt": lambda x, y: per_element(lambda a, b: _ordered(a) < _ordered(b), x, y),
    "le": lambda x, y: per_element(lambda a, b: _ordered(a) <= _ordered(b), x, y),
    "gt": lambda x, y: per_element(lambda a, b: _ordered(a) > _ordered(b), x, y),
    "ge": lambda x, y: per_element(lambda a, b: _ordered(a) >= _ordered(b), x, y),
    "complex": lambda x, y: per_element(complex, x, y),
}


def operand_pair(data, dtype, **kw):
    """Two operands of one shape, or one of them rank 0 (elementwise operands broadcast so)."""
    shape = data.draw(SHAPES, label="shape")
    scalar = data.draw(st.sampled_from(["none", "left", "right"]), label="rank-0 operand")
    x = data.draw(arrays(dtype, () if scalar == "left" else shape, **kw), label="x")
    y = data.draw(arrays(dtype, () if scalar == "right" else shape, **kw), label="y")
    return x, y


@pytest.mark.parametrize("name", sorted(BINARY))
@EXAMPLES
@given(data=st.data())
def test_binary(name, data):
    prim = P.by_name(name)
    dtype = data.draw(st.sampled_from(accepted(prim, 2)), label="dtype")
    x, y = operand_pair(data, dtype)
    if name.startswith("shift") and dtype.kind in "iu":  # mostly counts near the bit width
        counts = st.integers(-2 if dtype.kind == "i" else 0, 8 * dtype.itemsize + 2)
        y = data.draw(hnp.arrays(dtype, y.shape, elements=counts))
    assert_matches(run(prim, x, y), BINARY[name](x, y))


# ---- Selection, conversion, creation -----------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_select_n(data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    shape = data.draw(SHAPES)
    which_dtype = data.draw(st.sampled_from([np.dtype(np.bool_), np.dtype(np.int32)]))
    n = data.draw(st.integers(1, 2 if which_dtype == np.bool_ else 5))
    cases = [data.draw(arrays(dtype, shape)) for _ in range(n)]
    which_shape = data.draw(st.sampled_from([(), shape]))
    in_range = st.integers(0, n - 1).map(which_dtype.type)
    which = data.draw(hnp.arrays(which_dtype, which_shape, elements=in_range))
    got = run(P.select_n_p, which, *cases)
    want = np.empty(shape, dtype)
    for index in np.ndindex(*shape):
        want[index] = cases[int(which[index] if which.ndim else which)][index]
    assert_matches(got, want)


@EXAMPLES
@given(data=st.data())
def test_clamp(data):
    dtype = data.draw(st.sampled_from(accepted(P.clamp_p, 3)))
    x = data.draw(arrays(dtype, SHAPES))
    lo, hi = (data.draw(arrays(dtype, data.draw(st.sampled_from([(), x.shape])))) for _ in range(2))
    want = per_element(lambda a, b, c: min_ref(max_ref(a, b), c), x, lo, hi)
    assert_matches(run(P.clamp_p, lo, x, hi), want)


def _convert_one(v, dtype):
    if isinstance(v, complex) and dtype.kind != "c":
        v = v.real  # complex -> real drops the imaginary part, also for bool (as JAX)
    if dtype == np.bool_:
        return v != 0
    if dtype.kind in "iu":
        if isinstance(v, float):
            info = np.iinfo(dtype)
            if v != v:
                return 0
            return info.max if v >= info.max + 1 else info.min if v <= info.min - 1 else math.trunc(v)
        return int(v)
    return complex(v) if dtype.kind == "c" else float(v)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_convert_element_type(data):
    src, dst = data.draw(st.sampled_from(ALL_DTYPES)), data.draw(st.sampled_from(ALL_DTYPES))
    x = data.draw(arrays(src, SHAPES, bound=5e9))
    got = run(P.convert_element_type_p, x, new_dtype=dst, weak_type=False)
    values = per_element(lambda v: _convert_one(v, dst), x)
    with np.errstate(all="ignore"):
        want = wrap(values, dst) if dst.kind in "iu" or dst == np.bool_ else values.astype(dst)
    assert_matches(got, want)


@EXAMPLES
@given(data=st.data())
def test_bitcast_convert_type(data):
    src = data.draw(st.sampled_from(ALL_DTYPES))
    dst = data.draw(st.sampled_from([d for d in ALL_DTYPES if d.itemsize == src.itemsize]))
    x = data.draw(arrays(src, SHAPES))
    raw = np.frombuffer(x.tobytes(), np.uint8 if dst == np.bool_ else dst).reshape(x.shape)
    got = run(P.bitcast_convert_type_p, x, new_dtype=dst)
    if dst == np.bool_:
        np.testing.assert_array_equal(got, raw != 0)
    else:
        assert got.tobytes() == raw.tobytes()  # bit for bit, NaN payloads included


@EXAMPLES
@given(data=st.data())
def test_iota(data):
    dtype = data.draw(st.sampled_from([d for d in ALL_DTYPES if d.kind in "iuf"]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    dimension = data.draw(st.integers(0, len(shape) - 1))
    assert_matches(run(P.iota_p, dtype=dtype, shape=shape, dimension=dimension), np.indices(shape)[dimension])


# ---- Every primitive whose rule lives in interpret.py has a test ----------------------------

TESTED_IN_STRUCTURAL_FILE = {
    *(f"reduce_{n}" for n in ("sum", "prod", "max", "min", "and", "or", "xor")),
    "argmax", "argmin", *(f"cum{n}" for n in ("sum", "prod", "max", "min", "logsumexp")),
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims", "rev", "concatenate",
    "pad", "slice", "dynamic_slice", "dynamic_update_slice", "dot_general", "sort",
}
TESTED_HERE = set(UNARY) | set(BINARY) | {
    "erf_inv", "round", "integer_pow", "select_n", "clamp", "convert_element_type",
    "bitcast_convert_type", "iota",
}


def test_every_interpreter_primitive_has_a_test():
    from compiler.interpret_ad import AD_IMPLS
    from compiler.interpret_calls import CALL_IMPLS
    from compiler.interpret_collectives import COLLECTIVE_IMPLS
    from compiler.interpret_control import CONTROL_IMPLS  # tests/compiler/test_interpret_control.py
    from compiler.interpret_conv import WINDOW_IMPLS  # tests/compiler/test_interpret_conv.py
    from compiler.interpret_indexing import INDEXING_IMPLS
    from compiler.interpret_linalg import LINALG_IMPLS
    from compiler.interpret_random import RANDOM_IMPLS  # tests/compiler/test_interpret_random.py
    from compiler.interpret_xla_math import XLA_MATH_IMPLS  # tests/compiler/test_cpu_xla_math.py

    # Those families are tested beside their own modules.
    elsewhere = set().union(INDEXING_IMPLS, LINALG_IMPLS, CALL_IMPLS, AD_IMPLS, COLLECTIVE_IMPLS,
                            RANDOM_IMPLS, CONTROL_IMPLS, WINDOW_IMPLS, XLA_MATH_IMPLS)
    own = {p.name for p in P.ALL_PRIMITIVES if p not in elsewhere}
    untested = own - TESTED_HERE - TESTED_IN_STRUCTURAL_FILE
    assert not untested, f"interpret.py rules without a test: {sorted(untested)}"
