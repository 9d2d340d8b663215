"""The NumPy meaning of every primitive, and `eval_jaxpr`: the spec and the test oracle.

`impl_rules[p](*values, **params)` computes primitive `p` on NumPy values and returns one value
(a list of values when `p.multiple_results`) whose shape and dtype are exactly what
`primitives.shape_rules[p]` says. Eager execution calls these rules for every op, so they are
built for tiny arrays:

- Where a NumPy ufunc already has XLA's meaning it is registered as it is (`add_p: np.add`):
  no wrapper layer.
- Inputs are np.ndarray or NumPy scalars of the avals' dtypes, never Python scalars (NEP 50
  would give a Python int the default int's dtype).
- Results may be NumPy scalars (np.float32(1.0)) rather than 0-d arrays, because that is what a
  ufunc returns for 0-d inputs and converting costs time on the hot path; callers that need an
  ndarray wrap with np.asarray. `eval_jaxpr` does so for its outputs.
- Results may be views of the inputs (transpose, reshape, slice, rev, real, ...): values are
  immutable, and a consumer that needs a fresh contiguous buffer makes one.
- The registered ufuncs may emit NumPy's RuntimeWarnings (log(0), 1/0). JAX never warns, so a
  caller that runs many ops should silence them once around its loop, as `eval_jaxpr` does; the
  rules here that compute on purpose through such cases silence them themselves.

Semantics follow XLA on CPU as JAX 0.10 exposes it. The choices that surprised us (each checked
against jax.lax in float32 and int32):

- Integer div rounds toward zero; x / 0 is -1 (all ones: the max for unsigned); INT_MIN / -1 is
  INT_MIN. Integer rem is C's fmod (sign of the dividend); x rem 0 is x.
- convert_element_type float -> int truncates, saturates at the bounds (inf -> max) and sends
  NaN to 0; float -> bool is x != 0 (NaN -> True); complex -> real drops the imaginary part, also
  for bool (2j -> False).
- Shift counts are read as unsigned: a count >= the bit width (negative counts included) gives
  0, or the sign fill for shift_right_arithmetic, which reads unsigned types as signed
  (uint8 255 >> 1 == 255).
- pow(-inf, 0.5) is +inf (C's pow); NumPy's pow with a scalar exponent 0.5 is sqrt, giving NaN.
- sign(-0.) is -0.; complex sign is x/|x| part by part, so sign(inf+0j) is nan+0j.
- digamma is NaN at every pole, 0 and -0 included; lgamma(-inf) is +inf.
- complex max/min is `x > y ? x : y` lexicographically, so NaN propagates only from the second
  operand. Real max/min propagate NaN. (Known deviation: a tie of zeros keeps NumPy's choice.)
  Complex clamp compares real parts only (XLA's rule); complex max/min reductions, scans and
  scatters are NumPy's (the first NaN wins) where XLA's answer depends on its fold order.
- argmax/argmin return the first NaN's index (NumPy agrees); sort puts NaNs last whatever their
  sign and treats -0. and 0. as equal (stable order kept).
- dynamic_slice / dynamic_update_slice only clamp the start so the window fits; the negative
  index wrap-around of lax.dynamic_slice happens in the front end, before the primitive.
- XLA on CPU flushes subnormals to zero, inputs and results (lax.mul(1e-45f, 1) is 0, and
  cbrt(1e-40f) gives -5.6e-16); we keep IEEE subnormals, as NumPy does.

Not matched on purpose: complex values with an infinite or NaN part follow NumPy's C99 complex
arithmetic, not XLA's own edge cases. Where the shape rules accept what JAX rejects (shifts of
bool, lt/le/gt/ge and argmax of complex, reductions of bool) the meaning is XLA's PRED or
lexicographic order, as written beside each rule.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Callable

import numpy as np

from . import dtypes
from . import interpret_elementwise as ew
from . import primitives as P
from .ir import Jaxpr, Literal

impl_rules: dict[P.Primitive, Callable] = {}

# Primitives that deliberately have no NumPy meaning, each with the reason.
UNSUPPORTED: dict[P.Primitive, str] = {}

# ---- Elementwise: plain ufuncs where NumPy is exact ------------------------------------------

impl_rules.update({
    P.neg_p: np.negative,  # wraps for INT_MIN and unsigned, as XLA
    P.abs_p: np.absolute,  # complex -> its real dtype; abs(INT_MIN) stays INT_MIN, as XLA
    P.floor_p: np.floor,
    P.ceil_p: np.ceil,
    P.is_finite_p: np.isfinite,
    P.exp_p: np.exp,
    P.exp2_p: np.exp2,
    P.log_p: np.log,
    P.log1p_p: np.log1p,
    P.expm1_p: np.expm1,
    P.sqrt_p: np.sqrt,
    P.cbrt_p: np.cbrt,
    P.sin_p: np.sin,
    P.cos_p: np.cos,
    P.tan_p: np.tan,
    P.asin_p: np.arcsin,
    P.acos_p: np.arccos,
    P.atan_p: np.arctan,
    P.sinh_p: np.sinh,
    P.cosh_p: np.cosh,
    P.tanh_p: np.tanh,
    P.asinh_p: np.arcsinh,
    P.acosh_p: np.arccosh,
    P.atanh_p: np.arctanh,
    P.real_p: np.real,
    P.imag_p: np.imag,
    P.conj_p: np.conjugate,
    P.not_p: np.invert,  # logical not on bool, bitwise not on integers
    P.add_p: np.add,
    P.sub_p: np.subtract,
    P.mul_p: np.multiply,  # integers wrap silently on arrays, as XLA
    P.atan2_p: np.arctan2,
    P.nextafter_p: np.nextafter,
    P.and_p: np.bitwise_and,
    P.or_p: np.bitwise_or,
    P.xor_p: np.bitwise_xor,
    P.eq_p: np.equal,
    P.ne_p: np.not_equal,
    P.lt_p: np.less,
    P.le_p: np.less_equal,
    P.gt_p: np.greater,
    P.ge_p: np.greater_equal,
})

# ---- Elementwise: the ones NumPy gets wrong somewhere (see interpret_elementwise) ------------

impl_rules.update({
    P.sign_p: ew.sign,
    P.round_p: ew.round_,
    P.rsqrt_p: ew.rsqrt,
    P.logistic_p: ew.logistic,
    P.erf_p: ew.erf,
    P.erfc_p: ew.erfc,
    P.erf_inv_p: ew.erf_inv,
    P.lgamma_p: ew.lgamma,
    P.digamma_p: ew.digamma,
    P.integer_pow_p: ew.integer_pow,
    P.div_p: ew.div,
    P.pow_p: ew.pow_,
    P.rem_p: ew.rem,
    P.max_p: ew.max_,
    P.min_p: ew.min_,
    P.shift_left_p: ew.shift_left,
    P.shift_right_logical_p: ew.shift_right_logical,
    P.shift_right_arithmetic_p: ew.shift_right_arithmetic,
    P.complex_p: ew.complex_,
    P.select_n_p: ew.select_n,
    P.clamp_p: ew.clamp,
    P.convert_element_type_p: ew.convert_element_type,
    P.bitcast_convert_type_p: ew.bitcast_convert_type,
    P.iota_p: ew.iota,
    P.copy_p: np.array,  # a fresh buffer, as the primitive promises
})

# ---- Reductions ------------------------------------------------------------------------------
# dtype= keeps the operand's dtype: NumPy would sum int8 as int64. On bool, add is logical or
# and multiply logical and, as XLA's PRED arithmetic.


def _reduction(ufunc, identity=None):
    def impl(x, *, axes):
        if identity is not None and np.size(x) == 0:
            # max/min of nothing is XLA's identity (-inf, INT_MIN, ...); only passed for empty
            # operands, because a complex -inf+0j initial would beat -inf-1j lexicographically.
            return ufunc.reduce(x, axis=tuple(axes), dtype=x.dtype, initial=identity(x.dtype))
        return ufunc.reduce(x, axis=tuple(axes), dtype=x.dtype)

    impl.__name__ = f"reduce_{ufunc.__name__}"
    return impl


impl_rules.update({
    P.reduce_sum_p: _reduction(np.add),
    P.reduce_prod_p: _reduction(np.multiply),
    P.reduce_max_p: _reduction(np.maximum, dtypes.lowest),
    P.reduce_min_p: _reduction(np.minimum, dtypes.highest),
    P.reduce_and_p: _reduction(np.bitwise_and),
    P.reduce_or_p: _reduction(np.bitwise_or),
    P.reduce_xor_p: _reduction(np.bitwise_xor),
})


def argmax(x, *, axes, index_dtype):
    return np.argmax(x, axis=axes[0]).astype(index_dtype)  # the first NaN wins, as in JAX


def argmin(x, *, axes, index_dtype):
    return np.argmin(x, axis=axes[0]).astype(index_dtype)


impl_rules[P.argmax_p] = argmax
impl_rules[P.argmin_p] = argmin


def _cumulative(ufunc):
    def impl(x, *, axis, reverse=False):
        if reverse:
            flipped = ufunc.accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype)
            return np.flip(flipped, axis)
        return ufunc.accumulate(x, axis=axis, dtype=x.dtype)

    impl.__name__ = f"cumulative_{ufunc.__name__}"
    return impl


impl_rules.update({
    P.cumsum_p: _cumulative(np.add),
    P.cumprod_p: _cumulative(np.multiply),
    P.cummax_p: _cumulative(np.maximum),
    P.cummin_p: _cumulative(np.minimum),
    P.cumlogsumexp_p: _cumulative(np.logaddexp),
})

# ---- Data movement ---------------------------------------------------------------------------


def broadcast_in_dim(x, *, shape, broadcast_dimensions):
    # Materialised, as XLA does: faster than np.broadcast_to for small arrays, and writable.
    out = np.empty(shape, x.dtype)
    if broadcast_dimensions:
        placed = [1] * len(shape)
        for operand_axis, out_axis in enumerate(broadcast_dimensions):
            placed[out_axis] = x.shape[operand_axis]
        x = x.reshape(placed)
    out[...] = x
    return out


def reshape(x, *, new_sizes, dimensions=None):
    if dimensions is not None:
        x = np.transpose(x, dimensions)
    return np.reshape(x, new_sizes)


def transpose(x, *, permutation):
    return np.transpose(x, permutation)


def squeeze(x, *, dimensions):
    return np.reshape(x, [d for i, d in enumerate(np.shape(x)) if i not in dimensions])


def expand_dims(x, *, dimensions):
    return np.expand_dims(x, tuple(dimensions))


def rev(x, *, dimensions):
    return np.flip(x, tuple(dimensions)) if dimensions else x


def concatenate(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


def pad(x, padding_value, *, padding_config):
    # Interior and positive edge padding first; negative edges then crop the padded result,
    # which is XLA's order (lax.pad([1,2,3], 0, [(-1, 2, 1)]) == [0,2,0,3,0,0]).
    grown_shape, placement, crop = [], [], []
    for d, (lo, hi, interior) in zip(np.shape(x), padding_config, strict=True):
        start, step = max(lo, 0), interior + 1
        spread = (d - 1) * step + 1 if d else 0
        grown = start + spread + max(hi, 0)
        grown_shape.append(grown)
        placement.append(slice(start, start + spread, step))
        crop.append(slice(max(-lo, 0), grown - max(-hi, 0)))
    out = np.full(grown_shape, padding_value, dtype=x.dtype)
    out[tuple(placement)] = x
    return out[tuple(crop)]


def slice_(x, *, start_indices, limit_indices, strides=None):
    strides = strides or (1,) * len(start_indices)
    bounds = zip(start_indices, limit_indices, strides, strict=True)
    return x[tuple(slice(s, e, st) for s, e, st in bounds)]


def _clamped_window(shape, starts, sizes):
    # XLA moves an out-of-range start so that the whole window fits; int() first because a
    # uint32 start near 2**32 is a huge start, not a negative one.
    window = []
    for start, size, d in zip(starts, sizes, shape, strict=True):
        s = min(max(int(start), 0), d - size)
        window.append(slice(s, s + size))
    return tuple(window)


def dynamic_slice(x, *starts, slice_sizes):
    return x[_clamped_window(np.shape(x), starts, slice_sizes)]


def dynamic_update_slice(x, update, *starts):
    out = np.array(x, copy=True)
    out[_clamped_window(out.shape, starts, np.shape(update))] = update
    return out


impl_rules.update({
    P.broadcast_in_dim_p: broadcast_in_dim,
    P.reshape_p: reshape,
    P.transpose_p: transpose,
    P.squeeze_p: squeeze,
    P.expand_dims_p: expand_dims,
    P.rev_p: rev,
    P.concatenate_p: concatenate,
    P.pad_p: pad,
    P.slice_p: slice_,
    P.dynamic_slice_p: dynamic_slice,
    P.dynamic_update_slice_p: dynamic_update_slice,
})

# ---- Contraction and sorting -----------------------------------------------------------------


def dot_general(lhs, rhs, *, dimension_numbers, precision=None, preferred_element_type=None):
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    out_dtype = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    # Operands are converted to the result type first, so int8 x int8 -> int32 cannot overflow
    # early; float16 is multiplied in float32 (NumPy's float16 matmul is a slow scalar loop and
    # XLA accumulates half precision in float32 on CPU).
    compute_dtype = dtypes.float32 if out_dtype == dtypes.float16 else out_dtype
    if (not lhs_batch and len(lhs_contract) == 1 and lhs.ndim <= 2 and rhs.ndim <= 2
            and lhs.dtype == compute_dtype):
        # The common matrix and vector products: one matmul, transposing a 2-D operand (a view)
        # when its contracted axis is not where matmul wants it.
        lhs_mat = lhs if lhs_contract[0] == lhs.ndim - 1 else lhs.T
        rhs_mat = rhs if rhs_contract[0] == 0 else rhs.T
        return np.matmul(lhs_mat, rhs_mat)
    lhs = ew.convert_element_type(np.asarray(lhs), new_dtype=compute_dtype)
    rhs = ew.convert_element_type(np.asarray(rhs), new_dtype=compute_dtype)
    lhs_free = [i for i in range(lhs.ndim) if i not in lhs_contract and i not in lhs_batch]
    rhs_free = [i for i in range(rhs.ndim) if i not in rhs_contract and i not in rhs_batch]
    sizes = lambda x, axes: [x.shape[i] for i in axes]  # noqa: E731
    batch_shape, m_shape, n_shape = sizes(lhs, lhs_batch), sizes(lhs, lhs_free), sizes(rhs, rhs_free)
    b, m, n = math.prod(batch_shape), math.prod(m_shape), math.prod(n_shape)
    k = math.prod(sizes(lhs, lhs_contract))
    # Batch, free, contracted for lhs and batch, contracted, free for rhs: then one (batched)
    # matmul, which NumPy hands to BLAS for floats.
    lhs_mat = np.transpose(lhs, [*lhs_batch, *lhs_free, *lhs_contract]).reshape(b, m, k)
    rhs_mat = np.transpose(rhs, [*rhs_batch, *rhs_contract, *rhs_free]).reshape(b, k, n)
    product = np.matmul(lhs_mat[0], rhs_mat[0]) if b == 1 else np.matmul(lhs_mat, rhs_mat)
    out = product.reshape(batch_shape + m_shape + n_shape)
    return out.astype(out_dtype, copy=False)


impl_rules[P.dot_general_p] = dot_general


def sort(*operands, dimension, is_stable=True, num_keys=1):
    # Always stable, which is a valid answer for is_stable=False too. NaNs sort last and -0. ties
    # with 0., as in JAX; complex keys order by real part, then imaginary part.
    keys = operands[:num_keys]
    if len(operands) == 1 and keys[0].dtype.kind != "c":
        return [np.sort(operands[0], axis=dimension, kind="stable")]
    if num_keys == 1 and keys[0].dtype.kind != "c":
        order = np.argsort(keys[0], axis=dimension, kind="stable")
    else:
        lex_keys = []  # np.lexsort sorts by its last key first
        for key in reversed(keys):
            lex_keys.extend((key.imag, key.real) if key.dtype.kind == "c" else (key,))
        order = np.lexsort(lex_keys, axis=dimension)
    return [np.take_along_axis(np.asarray(x), order, axis=dimension) for x in operands]


impl_rules[P.sort_p] = sort

# ---- Evaluating a Jaxpr ----------------------------------------------------------------------


def eval_jaxpr(jaxpr: Jaxpr, consts, *args) -> list:
    """Run `jaxpr` on NumPy values with `impl_rules`; returns the outputs as np.ndarrays."""
    if len(consts) != len(jaxpr.constvars) or len(args) != len(jaxpr.invars):
        raise TypeError(
            f"eval_jaxpr: the jaxpr takes {len(jaxpr.constvars)} consts and {len(jaxpr.invars)} "
            f"arguments, got {len(consts)} and {len(args)}"
        )
    env = {}

    def read(v):
        if isinstance(v, Literal):
            return np.asarray(v.val, dtype=v.aval.dtype)
        return env[v]

    def write(v, val):
        env[v] = val

    for v, val in zip(jaxpr.constvars, consts, strict=True):
        write(v, val)
    for v, val in zip(jaxpr.invars, args, strict=True):
        write(v, val)
    with np.errstate(all="ignore"):  # JAX computes inf and NaN silently
        for eqn in jaxpr.eqns:
            rule = impl_rules.get(eqn.prim)
            if rule is None:
                reason = UNSUPPORTED.get(eqn.prim, "no rule registered")
                raise NotImplementedError(f"eval_jaxpr: {eqn.prim} has no NumPy meaning: {reason}")
            out = rule(*(read(v) for v in eqn.invars), **eqn.params)
            if eqn.prim.multiple_results:
                for v, val in zip(eqn.outvars, out, strict=True):
                    write(v, val)
            else:
                write(eqn.outvars[0], out)
    return [np.asarray(read(v)) for v in jaxpr.outvars]


# ---- The families whose rules live in their own modules --------------------------------------
# Gather/scatter, linear algebra, calls, autodiff and collectives. Those modules import
# eval_jaxpr lazily, so importing them here is not circular.
for _module, _table in (
    ("interpret_indexing", "INDEXING_IMPLS"),
    ("interpret_linalg", "LINALG_IMPLS"),
    ("interpret_calls", "CALL_IMPLS"),
    ("interpret_ad", "AD_IMPLS"),
    ("interpret_collectives", "COLLECTIVE_IMPLS"),
    ("interpret_control", "CONTROL_IMPLS"),
    ("interpret_random", "RANDOM_IMPLS"),
    ("interpret_xla_math", "XLA_MATH_IMPLS"),
    ("interpret_conv", "WINDOW_IMPLS"),
):
    impl_rules.update(getattr(importlib.import_module(f"{__package__}.{_module}"), _table))
del _module, _table
