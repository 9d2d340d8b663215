"""NumPy meanings of the elementwise primitives that no single NumPy ufunc gets exactly right.

Each function takes NumPy arrays (or NumPy scalars) of the dtypes the shape rule accepts, with
rank-0 operands broadcasting, and returns a value of exactly the dtype the shape rule gives.
`interpret.py` registers plain ufuncs for the ops where NumPy is already exact; everything here
exists because of a case where NumPy and XLA disagree, named in the comment beside it.
"""

from __future__ import annotations

import numpy as np

from . import dtypes

_UNSIGNED_OF_SIZE = {d.itemsize: d for d in dtypes.UNSIGNED}
_SIGNED_OF_SIZE = {d.itemsize: d for d in dtypes.SIGNED}
_COMPLEX_OF_REAL = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _all_ones(dtype):
    return ~np.zeros((), dtype)


def make_complex(re, im, dtype):
    # Not `re + 1j * im`: that turns an infinite part into NaNs (inf * 0j).
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), dtype)
    out.real = re
    out.imag = im
    return out


# ---- Arithmetic ------------------------------------------------------------------------------


def div(x, y):
    if x.dtype.kind in "fc":
        return np.divide(x, y)
    return _integer_div(x, y)


def _integer_div(x, y):
    # XLA: the quotient rounds toward zero (NumPy's // floors); x / 0 is all ones (-1 signed,
    # the maximum unsigned); INT_MIN / -1 wraps to INT_MIN. NumPy would warn on all of these.
    by_zero = y == 0
    safe_y = np.where(by_zero, 1, y)
    with np.errstate(all="ignore"):
        remainder = np.fmod(x, safe_y)
        quotient = np.floor_divide(x - remainder, safe_y)  # exact, so floor == truncation
    return np.where(by_zero, _all_ones(x.dtype), quotient)


def rem(x, y):
    # C fmod semantics (the sign of the dividend) for floats and integers alike; XLA gives the
    # dividend for an integer remainder by zero, where np.fmod gives 0 and warns.
    if x.dtype.kind == "f":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.fmod(x, y)
    by_zero = y == 0
    with np.errstate(all="ignore"):
        remainder = np.fmod(x, np.where(by_zero, 1, y))
    return np.where(by_zero, x, remainder)


def _lexicographic_greater(x, y):
    return (x.real > y.real) | ((x.real == y.real) & (x.imag > y.imag))


def pow_(x, y):
    out = np.power(x, y)
    if y.ndim == 0 and y == 0.5 and x.dtype.kind == "f":
        # NumPy computes x ** 0.5 with a scalar exponent as sqrt(x): NaN at -inf and -0. at -0.
        # where C's pow (and XLA) give +inf and +0.; adding 0.0 turns -0. into +0.
        out = np.where(x == -np.inf, np.inf, out) + 0.0
    return out


def max_(x, y):
    # Complex max is `x > y ? x : y` in lexicographic order, so a NaN does not propagate when it
    # is the first operand (JAX: max(nan+0j, 1+0j) == 1+0j); np.maximum always propagates it.
    # Real floats: np.maximum propagates NaN as XLA does. Known deviation: on a tie of zeros
    # NumPy returns the second operand, XLA the IEEE answer (max(0., -0.) is 0.); the values
    # compare equal, so no test can see it except through the sign of a zero.
    if x.dtype.kind == "c":
        return np.where(_lexicographic_greater(x, y), x, y)
    return np.maximum(x, y)


def min_(x, y):
    if x.dtype.kind == "c":
        return np.where(_lexicographic_greater(y, x), x, y)
    return np.minimum(x, y)


def sign(x):
    kind = x.dtype.kind
    if kind == "f":
        return np.copysign(np.sign(x), x)  # JAX: sign(-0.) is -0.; np.sign gives +0.
    if kind == "c":
        # JAX computes x / |x| part by part: sign(inf+0j) is nan+0j where NumPy says 1+0j.
        magnitude = np.abs(x)
        zero = magnitude == 0
        safe = np.where(zero, 1, magnitude)
        with np.errstate(invalid="ignore"):
            re = np.where(zero, 0, x.real / safe)
            im = np.where(zero, 0, x.imag / safe)
        return make_complex(re, im, x.dtype)
    return np.sign(x)


def round_(x, *, rounding_method=0):
    if rounding_method == 1:
        return np.rint(x)  # to nearest even
    # Away from zero. Not floor(|x| + 0.5): in float32 0.49999997 + 0.5 rounds up to 1.
    whole = np.trunc(x)
    with np.errstate(invalid="ignore"):
        half_or_more = np.abs(x - whole) >= 0.5  # x - trunc(x) is exact; NaN for infinities
    return np.copysign(np.where(half_or_more, np.abs(whole) + 1, np.abs(whole)), x)


def integer_pow(x, *, y):
    # Binary exponentiation by repeated multiplication, as XLA lowers integer_pow (np.power of a
    # float calls libm's pow, which can differ in the last bit); integers wrap on overflow.
    if y < 0 and x.dtype.kind in "iub":
        raise TypeError(f"integer_pow: integers cannot be raised to negative powers, got y={y}")
    result, base, n = None, x, abs(y)
    with np.errstate(all="ignore"):
        while n:
            if n & 1:
                result = base if result is None else np.multiply(result, base)
            n >>= 1
            if n:
                base = np.multiply(base, base)
        if result is None:
            return np.ones_like(x)
        return np.reciprocal(result) if y < 0 else result


def rsqrt(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.reciprocal(np.sqrt(x))


def logistic(x):
    if x.dtype.kind == "c":
        with np.errstate(all="ignore"):
            return np.reciprocal(1 + np.exp(-x))
    # exp(-|x|) never overflows, so neither tail computes inf / inf, and the negative tail keeps
    # its relative precision (1 - logistic(-x) would lose it).
    tail = np.exp(-np.abs(x))
    inverse = 1 / (1 + tail)
    return np.where(x >= 0, inverse, tail * inverse)


def complex_(x, y):
    return make_complex(x, y, _COMPLEX_OF_REAL[x.dtype])


# ---- Special functions (SciPy, imported on first use so `import compiler` stays fast) ------


def _scipy_special(name, fixup=None):
    def impl(x):
        from scipy import special

        # SciPy has no float16 loops: compute in float32 and round back, as XLA does.
        arg = x.astype(np.float32) if x.dtype == dtypes.float16 else x
        with np.errstate(all="ignore"):
            out = getattr(special, name)(arg)
            if fixup is not None:
                out = fixup(arg, out)
        return np.asarray(out).astype(x.dtype, copy=False)

    impl.__name__ = name
    return impl


def _lgamma_fixup(x, out):
    return np.where(np.isneginf(x), np.inf, out)  # JAX (and C's lgamma): lgamma(-inf) = inf


erf = _scipy_special("erf")
erfc = _scipy_special("erfc")
_erf_inv_f64 = _scipy_special("erfinv")


def erf_inv(x):
    # In float64 and rounded once: SciPy's float32 loop is off by an ulp for ~40% of inputs;
    # the compiled code (cpu/special_math.py) is correctly rounded, and eager must equal jit.
    x = np.asarray(x)
    if x.dtype in (dtypes.float16, dtypes.float32):
        return _erf_inv_f64(x.astype(np.float64)).astype(x.dtype)
    return _erf_inv_f64(x)
lgamma = _scipy_special("gammaln", _lgamma_fixup)


def digamma(x):
    from scipy import special

    # In float64 whatever the dtype. Negative x by reflection, psi(x) = psi(1 - x) - pi/tan(pi x),
    # with tan's argument reduced exactly first: SciPy's own reflection loses digits next to the
    # poles (psi(-2 + 2**-48) is 0.6% off). JAX gives NaN at every pole, 0 and -0 included.
    wide = np.asarray(x, np.float64)
    negative = wide < 0
    with np.errstate(all="ignore"):
        out = special.psi(np.where(negative, 1 - wide, wide))
        reflection = np.pi / np.tan(np.pi * (wide - np.round(wide)))
        out = np.where(negative, out - reflection, out)
    pole = (wide <= 0) & (wide == np.floor(wide))
    return np.where(pole, np.nan, out).astype(x.dtype)

# ---- Bitwise shifts --------------------------------------------------------------------------


def _shift_count(x, s):
    # XLA reads the count as unsigned: a negative count is huge and shifts every bit out.
    bits = x.dtype.itemsize * 8
    count = np.asarray(s).view(_UNSIGNED_OF_SIZE[x.dtype.itemsize])
    return np.minimum(count, bits - 1), count >= bits


def shift_left(x, s):
    if x.dtype == dtypes.bool_:  # one bit: any count >= 1 shifts it out
        return np.logical_and(x, np.logical_not(s))
    count, too_far = _shift_count(x, s)
    return np.where(too_far, 0, np.left_shift(x, count.astype(x.dtype)))


def shift_right_logical(x, s):
    if x.dtype == dtypes.bool_:
        return np.logical_and(x, np.logical_not(s))
    unsigned = _UNSIGNED_OF_SIZE[x.dtype.itemsize]
    count, too_far = _shift_count(x, s)
    shifted = np.right_shift(np.asarray(x).view(unsigned), count.astype(unsigned))
    return np.where(too_far, 0, shifted).view(x.dtype)


def shift_right_arithmetic(x, s):
    # The bits are read as signed even for unsigned types (JAX: uint8 255 >> 1 == 255), and a
    # count past the width fills with the sign bit.
    if x.dtype == dtypes.bool_:  # the only bit is the sign bit: x itself, broadcast against s
        return np.logical_or(x, np.logical_and(s, False))
    signed = _SIGNED_OF_SIZE[x.dtype.itemsize]
    count, _ = _shift_count(x, s)
    return np.right_shift(np.asarray(x).view(signed), count.astype(signed)).view(x.dtype)


# ---- Selection -------------------------------------------------------------------------------


def select_n(which, *cases):
    # An out-of-range selector is undefined in XLA; here it is clamped into range.
    if len(cases) == 1:
        return cases[0]
    if np.ndim(which) == 0:
        return cases[min(max(int(which), 0), len(cases) - 1)]
    if which.dtype == dtypes.bool_:
        return np.where(which, cases[1], cases[0])
    if len(cases) <= 32:  # np.choose takes a bounded number of arrays
        return np.choose(which, cases, mode="clip")
    stacked = np.stack(cases)
    index = np.clip(which, 0, len(cases) - 1)[None]
    return np.take_along_axis(stacked, index.astype(np.intp), axis=0)[0]


def clamp(lo, x, hi):
    # min(max(x, lo), hi): a NaN anywhere gives NaN, and lo > hi gives hi, as in JAX.
    if np.result_type(lo, x, hi).kind == "c":
        # XLA's complex clamp compares real parts only (checked against jax.lax.clamp on every
        # combination of -inf, -1, -0, 0, 1, 2, inf, nan parts): x.re <= lo.re gives lo, then
        # a real part above hi's (or NaN) gives hi.
        x, lo, hi = np.broadcast_arrays(x, lo, hi)
        m = np.where(x.real <= lo.real, lo, x)
        return np.where(m.real <= hi.real, m, hi)
    return np.minimum(np.maximum(x, lo), hi)


# ---- Conversions -----------------------------------------------------------------------------


def convert_element_type(x, *, new_dtype, weak_type=False):
    new_dtype = np.dtype(new_dtype)
    if x.dtype == new_dtype:
        return x
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        # JAX converts complex to real by dropping the imaginary part first, even for bool:
        # convert(2j, bool) is False (NumPy's astype says True).
        x = np.real(x)
    if new_dtype == dtypes.bool_:
        return np.not_equal(x, 0)  # NaN != 0, so NaN converts to True
    if x.dtype.kind == "f" and new_dtype.kind in "iu":
        return _float_to_integer(x, new_dtype)
    if (x.dtype.kind in "biu" and new_dtype.kind in "biu") or np.can_cast(x.dtype, new_dtype):
        return x.astype(new_dtype)  # integers wrap, silently; safe casts are exact
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(new_dtype)  # overflow to a narrower float gives inf


def _float_to_integer(x, new_dtype):
    # XLA truncates toward zero, saturates out-of-range values at the type's bounds and sends
    # NaN to 0; NumPy's cast gives an unspecified value there and warns.
    info = np.iinfo(new_dtype)
    wide = np.array(x, np.float64)  # a fresh copy: float16/32/64 values are exact in float64
    if new_dtype.itemsize < 8:  # both bounds are exact in float64: saturate by clipping
        np.minimum(np.maximum(wide, info.min, out=wide), info.max, out=wide)
        wide[wide != wide] = 0
        return wide.astype(new_dtype)
    too_big = wide >= float(info.max) + 1.0  # 2**63 or 2**64: exact, unlike the bound itself
    too_small = wide < float(info.min)
    wide[too_big | too_small | (wide != wide)] = 0
    out = wide.astype(new_dtype)
    out[too_big] = info.max
    out[too_small] = info.min
    return out


def bitcast_convert_type(x, *, new_dtype):
    new_dtype = np.dtype(new_dtype)
    if new_dtype == dtypes.bool_:
        # Only 0 and 1 are valid bool bytes in NumPy; any set bit reads as True.
        return np.asarray(x).view(np.uint8) != 0
    return np.asarray(x).view(new_dtype)


def iota(*, dtype, shape, dimension):
    line = np.arange(shape[dimension]).astype(dtype)
    along = [1] * len(shape)
    along[dimension] = shape[dimension]
    return np.ascontiguousarray(np.broadcast_to(line.reshape(along), shape))
