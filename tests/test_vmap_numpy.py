"""jnp, jnp.linalg, jax.nn and scipy.special functions under vmap equal a Python loop over slices.

Same harness as the primitive tests: hypothesis draws shapes, batch sizes, which operands are
batched and along which axis; vmap (and vmap of vmap) must equal the stacked loop.
"""

from __future__ import annotations

import numpy as np
import pytest
from _vmap_harness import (
    Case,
    bools,
    check_every_axis,
    check_nested,
    check_single,
    concat_gens,
    f32,
    ints,
    normal,
    uniform,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxlite.nn as nn
import jaxlite.numpy as jnp
import jaxlite.scipy.special as sp

CASES: list[Case] = []


def case(name, fn, gen, rtol=2e-5):
    CASES.append(Case(name, (), fn, gen, rtol))


M = lambda d: (d[0], d[1])  # noqa: E731
V = lambda d: (d[0],)  # noqa: E731
T3 = lambda d: (d[0], d[1], d[2])  # noqa: E731
SQ = lambda d: (d[0], d[0])  # noqa: E731
pos, unit, anyf = uniform(0.2, 3), uniform(-0.9, 0.9), uniform(-3, 3)

# ---- Elementwise ----------------------------------------------------------------------------------

UNARY = {
    pos: ["log", "log10", "log2", "sqrt", "reciprocal", "cbrt"],
    unit: ["arcsin", "arccos", "arctanh", "asin", "acos", "atanh"],
    anyf: [
        "abs",
        "absolute",
        "arctan",
        "arcsinh",
        "atan",
        "asinh",
        "ceil",
        "conj",
        "conjugate",
        "cos",
        "cosh",
        "deg2rad",
        "degrees",
        "exp",
        "exp2",
        "expm1",
        "fabs",
        "fix",
        "floor",
        "imag",
        "isfinite",
        "isinf",
        "isnan",
        "isneginf",
        "isposinf",
        "negative",
        "positive",
        "rad2deg",
        "radians",
        "real",
        "rint",
        "round",
        "sign",
        "signbit",
        "sin",
        "sinc",
        "sinh",
        "square",
        "tan",
        "tanh",
        "trunc",
        "angle",
        "copy",
        "ravel",
        "zeros_like",
        "ones_like",
    ],
}
for gen, names in UNARY.items():
    for n in names:
        case(n, getattr(jnp, n), gen)
case("arccosh", jnp.arccosh, uniform(1.1, 3))
case("log1p", jnp.log1p, uniform(-0.5, 3))
case("logical_not", jnp.logical_not, bools())
case("invert", jnp.invert, ints(-9, 9))
case("full_like", lambda x: jnp.full_like(x, 2.5), anyf)

BINARY = [
    "add",
    "arctan2",
    "atan2",
    "copysign",
    "divide",
    "equal",
    "fmax",
    "fmin",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "less",
    "less_equal",
    "logaddexp",
    "logaddexp2",
    "maximum",
    "minimum",
    "multiply",
    "nextafter",
    "not_equal",
    "subtract",
    "true_divide",
]
for n in BINARY:
    case(n, getattr(jnp, n), concat_gens(anyf, uniform(-3, 3, lambda d: (d[1],))))
for n in ["floor_divide", "fmod", "mod", "remainder", "divmod"]:
    case(n, getattr(jnp, n), concat_gens(anyf, uniform(0.5, 2, lambda d: (d[1],))))
for n in ["power", "pow", "float_power"]:
    case(n, getattr(jnp, n), concat_gens(pos, uniform(-2, 2)))
for n in ["logical_and", "logical_or", "logical_xor"]:
    case(n, getattr(jnp, n), concat_gens(bools(), bools()))
for n in ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]:
    case(n, getattr(jnp, n), concat_gens(ints(-50, 50), ints(0, 4)))
case("ldexp", jnp.ldexp, concat_gens(anyf, ints(-3, 3)))
case("int_floor_divide", jnp.floor_divide, concat_gens(ints(-20, 20), ints(1, 5)))
case(
    "operators",
    lambda x, y: ((x + y) * 2 - x / (1 + y * y) ** 2) @ jnp.ones((x.shape[1],)),
    concat_gens(anyf, anyf),
)
case("where", jnp.where, concat_gens(bools(), anyf, uniform(-1, 1, lambda d: ())))
case("select", lambda c1, c2, x: jnp.select([c1, c2], [x, -x], 7.0), concat_gens(bools(), bools(), anyf))
case("clip", lambda x, lo: jnp.clip(x, lo, 1.5), concat_gens(anyf, uniform(-2, 0, lambda d: ())))
case("astype", lambda x: (x * 3).astype(jnp.int32), anyf)

# ---- Reductions and statistics ------------------------------------------------------------------

for n in [
    "sum",
    "prod",
    "mean",
    "var",
    "std",
    "max",
    "min",
    "amax",
    "amin",
    "ptp",
    "median",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
    "nanvar",
    "nanstd",
    "nanprod",
    "nanmedian",
    "argmax",
    "argmin",
    "nanargmax",
    "nanargmin",
    "cumsum",
    "cumprod",
    "nancumsum",
    "count_nonzero",
    "average",
    "logsumexp",
]:
    fn = getattr(jnp, n, None) or getattr(nn, n)
    for axis in (None, 0, -1):
        case(
            f"{n}_axis{axis}", (lambda fn, axis: lambda x: fn(x, axis=axis))(fn, axis), uniform(0.5, 1.5, T3)
        )
case("sum_keepdims", lambda x: jnp.sum(x, axis=(0, 2), keepdims=True), normal(T3))
case("all_any", lambda x: (jnp.all(x, axis=1), jnp.any(x)), bools(T3))
case("quantile", lambda x: jnp.quantile(x, 0.3, axis=1), normal(T3))
case("percentile", lambda x: jnp.percentile(x, jnp.array([10.0, 90.0]), axis=0), normal(M))
case("nanquantile", lambda x: jnp.nanquantile(x, 0.5, axis=-1), normal(M))
case(
    "average_weights",
    lambda x, w: jnp.average(x, axis=1, weights=w),
    concat_gens(normal(M), uniform(0.5, 1, lambda d: (d[1],))),
)
case("cov", lambda x: jnp.cov(x), normal(lambda d: (d[0], d[1] + 1)), rtol=1e-4)
case("corrcoef", lambda x: jnp.corrcoef(x), normal(lambda d: (2, d[1] + 3)), rtol=1e-4)
case("histogram", lambda x: jnp.histogram(x, bins=4, range=(-2.0, 2.0))[0], normal(V))
case("bincount", lambda x: jnp.bincount(x, length=6), ints(0, 6, V))
case("digitize", lambda x: jnp.digitize(x, jnp.array([-1.0, 0.0, 1.0])), normal(M))
case("trapezoid", lambda y: jnp.trapezoid(y, axis=0), normal(M))
case("diff", lambda x: jnp.diff(x, axis=0), normal(lambda d: (d[0] + 1, d[1])))
case("ediff1d", lambda x: jnp.ediff1d(x), normal(lambda d: (d[0] + 1,)))

# ---- Sorting and searching ----------------------------------------------------------------------

case("sort", lambda x: jnp.sort(x, axis=0), normal(T3))
case("argsort", lambda x: jnp.argsort(x, axis=-1), normal(M))
case("partition", lambda x: jnp.partition(x, 1, axis=-1)[..., 1], normal(lambda d: (d[0], d[1] + 1)))
case(
    "argpartition", lambda x: jnp.take_along_axis(x, jnp.argpartition(x, 0, axis=-1), -1)[..., :1], normal(M)
)
case("searchsorted", lambda a, v: jnp.searchsorted(jnp.sort(a), v), concat_gens(normal(V), normal(M)))
case("lexsort", lambda a, b: jnp.lexsort((a, b)), concat_gens(ints(0, 3, V), ints(0, 3, V)))
case("top_of_sort", lambda x: jnp.sort(x)[..., -1], normal(M))
case("isin", lambda x, t: jnp.isin(x, t), concat_gens(ints(0, 5), ints(0, 5, (3,))))
case("nonzero_size", lambda x: jnp.nonzero(x > 0, size=3, fill_value=-1)[0], normal(V))
case("argwhere_size", lambda x: jnp.argwhere(x > 0, size=2), normal(M))

# ---- Shape manipulation -------------------------------------------------------------------------

case("reshape", lambda x: jnp.reshape(x, (-1,)), normal(T3))
case("reshape_method", lambda x: x.reshape(x.shape[1], -1).T, normal(T3))
case("transpose", lambda x: jnp.transpose(x, (1, 2, 0)), normal(T3))
case("swapaxes", lambda x: jnp.swapaxes(x, 0, 2), normal(T3))
case("moveaxis", lambda x: jnp.moveaxis(x, 0, -1), normal(T3))
case("expand_squeeze", lambda x: jnp.squeeze(jnp.expand_dims(x, (0, 2)), 0), normal(M))
case("flip", lambda x: (jnp.flip(x, 1), jnp.fliplr(x), jnp.flipud(x)), normal(M))
case("rot90", lambda x: jnp.rot90(x), normal(M))
case("roll", lambda x: jnp.roll(x, 2, axis=1), normal(M))
case("roll_flat", lambda x: jnp.roll(x, -1), normal(M))
case("tile", lambda x: jnp.tile(x, (2, 1)), normal(M))
case("repeat", lambda x: jnp.repeat(x, 2, axis=0), normal(M))
case("concatenate", lambda x, y: jnp.concatenate([x, y, x], axis=1), concat_gens(normal(M), normal(M)))
case(
    "stack",
    lambda x, y: (
        jnp.stack([x, y], axis=1),
        jnp.hstack([x, y]),
        jnp.vstack([x, y]),
        jnp.dstack([x, y]),
        jnp.column_stack([x, y]),
    ),
    concat_gens(normal(M), normal(M)),
)
case("split", lambda x: jnp.split(x, 2, axis=1), normal(lambda d: (d[0], 2 * d[1])))
case("array_split", lambda x: jnp.array_split(x, 2, axis=0), normal(lambda d: (d[0] + 1, d[1])))
case("broadcast_to", lambda x: jnp.broadcast_to(x, (3,) + x.shape), normal(M))
case(
    "broadcast_arrays",
    lambda x, y: jnp.broadcast_arrays(x, y),
    concat_gens(normal(M), normal(lambda d: (d[1],))),
)
case("atleast", lambda x: (jnp.atleast_1d(x), jnp.atleast_2d(x), jnp.atleast_3d(x)), normal(()))
case("pad_constant", lambda x: jnp.pad(x, ((1, 2), (0, 1)), constant_values=3.0), normal(M))
for mode in ["edge", "reflect", "wrap", "symmetric"]:
    case(
        f"pad_{mode}",
        (lambda m: lambda x: jnp.pad(x, 1, mode=m))(mode),
        normal(lambda d: (d[0] + 1, d[1] + 1)),
    )
case("append", lambda x, y: jnp.append(x, y, axis=0), concat_gens(normal(M), normal(M)))
case(
    "diag_family",
    lambda x: (jnp.diag(x), jnp.diagonal(x, 1), jnp.trace(x), jnp.tril(x), jnp.triu(x, 1)),
    normal(SQ),
)
case("diagflat", lambda v: jnp.diagflat(v), normal(V))
case("unstack", lambda x: jnp.unstack(x, axis=1), normal(M))
case(
    "ravel_unravel",
    lambda i: jnp.ravel_multi_index(jnp.unravel_index(i, (3, 4)), (3, 4), mode="clip"),
    ints(0, 12, V),
)
case("meshgrid", lambda x, y: jnp.meshgrid(x, y), concat_gens(normal(V), normal(lambda d: (d[1],))))

# ---- Indexing -----------------------------------------------------------------------------------

case("getitem_int", lambda x, i: jnp.asarray(x)[i], concat_gens(normal(lambda d: (4, d[1])), ints(-4, 4, ())))
case("getitem_slices", lambda x: x[1:, ::2], normal(lambda d: (d[0] + 1, d[1])))
case("getitem_newaxis_ellipsis", lambda x: x[..., None, 0], normal(T3))
case(
    "getitem_array",
    lambda x, i: jnp.asarray(x)[i],
    concat_gens(normal(lambda d: (4, d[1])), ints(0, 4, (3,))),
)
case(
    "getitem_two_arrays",
    lambda x, i, j: jnp.asarray(x)[i, j],
    concat_gens(normal((4, 5)), ints(0, 4, V), ints(0, 5, V)),
)
case("getitem_mask_where", lambda x: jnp.where(x > 0, x, 0.0).sum(), normal(M))
case("take", lambda x, i: jnp.take(x, i, axis=1), concat_gens(normal(lambda d: (d[0], 4)), ints(0, 4, (3,))))
case("take_clip", lambda x, i: jnp.take(x, i, mode="clip"), concat_gens(normal(M), ints(-2, 20, V)))
case("take_along_axis", lambda x, i: jnp.take_along_axis(x, i, axis=0), concat_gens(normal(M), ints(0, 1, M)))
case(
    "at_set",
    lambda x, i, v: jnp.asarray(x).at[i].set(v),
    concat_gens(normal(lambda d: (4, d[1])), ints(0, 4, ()), normal(lambda d: (d[1],))),
)
case(
    "at_add_dup",
    lambda x, i: jnp.asarray(x).at[i].add(1.0),
    concat_gens(normal(lambda d: (4,)), ints(0, 4, (5,))),
)
case(
    "at_mul_min_max",
    lambda x, i, v: (jnp.asarray(x).at[i].mul(v), jnp.asarray(x).at[i].min(v), jnp.asarray(x).at[i].max(v)),
    concat_gens(normal((5,)), ints(0, 5, (2,)), normal(())),
)
case(
    "at_get",
    lambda x, i: jnp.asarray(x).at[i].get(mode="fill", fill_value=-1.0),
    concat_gens(normal((4,)), ints(-6, 6, V)),
)
case("one_hot", lambda y: nn.one_hot(y, 5), ints(0, 5, V))
case(
    "interp",
    lambda x, fp: jnp.interp(x, jnp.array([0.0, 1.0, 2.0]), fp),
    concat_gens(uniform(-1, 3, V), normal((3,))),
)

# ---- Contractions and linear algebra ------------------------------------------------------------

case("dot", jnp.dot, concat_gens(normal(M), normal(lambda d: (d[1], d[2]))))
case("matmul", jnp.matmul, concat_gens(normal(T3), normal(lambda d: (d[2], 2))))
case("matmul_vec", lambda a, b: a @ b, concat_gens(normal(V), normal(lambda d: (d[0], d[1]))))
case(
    "vdot_inner_outer",
    lambda a, b: (jnp.vdot(a, b), jnp.inner(a, b), jnp.outer(a, b)),
    concat_gens(normal(V), normal(V)),
)
case(
    "vecdot_matvec",
    lambda a, m: (jnp.vecdot(a, a), jnp.matvec(m, a), jnp.vecmat(a, m)),
    concat_gens(normal(V), normal(SQ)),
)
case(
    "tensordot",
    lambda a, b: jnp.tensordot(a, b, axes=([0, 2], [2, 0])),
    concat_gens(normal(T3), normal(lambda d: (d[2], 2, d[0]))),
)
case(
    "einsum",
    lambda a, b: jnp.einsum("ij,jk->ki", a, b),
    concat_gens(normal(M), normal(lambda d: (d[1], d[2]))),
)
case("einsum_trace_batch", lambda a: jnp.einsum("bii->b", a), normal(lambda d: (d[1], d[0], d[0])))
case("kron", jnp.kron, concat_gens(normal(M), normal((2, 2))))
case("cross", jnp.cross, concat_gens(normal((3,)), normal((3,))))
case("convolve", lambda a, v: jnp.convolve(a, v), concat_gens(normal(lambda d: (d[0] + 2,)), normal((3,))))
case(
    "correlate",
    lambda a, v: jnp.correlate(a, v, mode="same"),
    concat_gens(normal(lambda d: (d[0] + 2,)), normal((2,))),
)
case("polyval", lambda p, x: jnp.polyval(p, x), concat_gens(normal((3,)), normal(V)))


def spd(rng, d):
    a = rng.standard_normal((d[0], d[0]))
    return [(a @ a.T + d[0] * np.eye(d[0])).astype(f32)]


def well_conditioned(rng, d):
    return [(rng.standard_normal((d[0], d[0])) + 3 * np.eye(d[0])).astype(f32)]


LA = jnp.linalg
case(
    "linalg_inv_det_solve",
    lambda a, b: (LA.inv(a), LA.det(a), LA.solve(a, b), LA.slogdet(a)[1]),
    concat_gens(well_conditioned, normal(V)),
    rtol=2e-4,
)
case(
    "linalg_cholesky_eigh",
    lambda a: (LA.cholesky(a), LA.eigvalsh(a), jnp.abs(LA.eigh(a)[1][:, -1])),
    spd,
    rtol=2e-4,
)
case(
    "linalg_qr_svd",
    lambda a: (jnp.abs(jnp.diagonal(LA.qr(a)[1])), LA.svd(a, compute_uv=False), LA.svdvals(a)),
    normal(lambda d: (d[0] + 1, d[0])),
    rtol=2e-4,
)
case(
    "linalg_norms",
    lambda a, v: (LA.norm(a), LA.norm(a, axis=0), LA.vector_norm(v), LA.matrix_norm(a), LA.norm(v, ord=1)),
    concat_gens(normal(M), normal(V)),
    rtol=1e-4,
)
case("linalg_matrix_power_pinv", lambda a: (LA.matrix_power(a, 3), LA.pinv(a)), well_conditioned, rtol=2e-3)
case("linalg_multi_dot", lambda a, b: LA.multi_dot([a, b, a]), concat_gens(normal(SQ), normal(SQ)), rtol=1e-4)

case(
    "linalg_more",
    lambda a, b: (
        LA.cond(a),
        LA.diagonal(a),
        LA.matrix_transpose(a),
        LA.outer(b, b),
        LA.trace(a),
        LA.vecdot(b, b),
        LA.matrix_rank(a),
        LA.lstsq(a, b)[0],
    ),
    concat_gens(well_conditioned, normal(V)),
    rtol=2e-3,
)
case("sort_complex", lambda x, y: jnp.sort_complex(x + 1j * y), concat_gens(normal(V), normal(V)))

# ---- Creation, aliases, set operations ----------------------------------------------------------

case(
    "creation_in_mapped_fn",
    lambda x: (
        x + jnp.arange(x.shape[-1]) + jnp.zeros(x.shape) + jnp.full(x.shape, 2.0) + jnp.empty_like(x) * 0,
        jnp.eye(3) * x[0, 0],
        jnp.linspace(0.0, x[0, 0], 4),
        jnp.geomspace(1.0, 4.0, 3) * x[0, 0],
        jnp.logspace(0.0, 1.0, 3) * x[0, 0],
        jnp.tri(3) * x[0, 0],
        jnp.indices((2, 2)).sum() + x,
        jnp.ix_(jnp.arange(2), jnp.arange(3))[0] * x[0, 0],
        jnp.empty((2,)) * 0 + x[0, 0],
    ),
    normal(M),
)
case(
    "index_helpers",
    lambda x: (
        x[jnp.diag_indices(x.shape[0])],
        x[jnp.diag_indices_from(x)],
        x[jnp.tril_indices(x.shape[0])],
        x[jnp.triu_indices(x.shape[0], 1)],
        x[jnp.tril_indices_from(x, -1)],
        x[jnp.triu_indices_from(x)],
    ),
    normal(SQ),
)
case(
    "aliases",
    lambda x, i: (
        jnp.acosh(1.5 + jnp.abs(x)),
        jnp.around(x, 1),
        jnp.bitwise_invert(i),
        jnp.bitwise_not(i),
        jnp.bitwise_left_shift(i, 1),
        jnp.bitwise_right_shift(i, 1),
        jnp.concat([x, x]),
        jnp.cumulative_sum(x, axis=0),
        jnp.cumulative_prod(x, axis=1),
        jnp.matrix_transpose(x),
        jnp.permute_dims(x, (1, 0)),
        jnp.rollaxis(x, 1),
        jnp.nancumprod(x, axis=0),
        jnp.nanpercentile(x, 50.0),
    ),
    concat_gens(normal(M), ints(-9, 9)),
)
case(
    "splits",
    lambda x: (jnp.hsplit(x, 2), jnp.vsplit(x, 2), jnp.dsplit(x, 2)),
    normal(lambda d: (2, 2 * d[1], 2)),
)
case("histogram_bin_edges", lambda x: jnp.histogram_bin_edges(x, bins=3, range=(-1.0, 1.0)) * x[0], normal(V))
case(
    "poly_arith",
    lambda p, q: (jnp.polyadd(p, q), jnp.polysub(p, q), jnp.polymul(p, q)),
    concat_gens(normal((3,)), normal((2,))),
)
case(
    "unique_sized",
    lambda x: (
        jnp.unique(x, size=4, fill_value=-1),
        jnp.unique_counts(x, size=4, fill_value=-1).counts,
        jnp.unique_inverse(x, size=4, fill_value=-1).inverse_indices,
        jnp.unique_all(x, size=4, fill_value=-1).indices,
    ),
    ints(0, 4, (5,)),
)
case(
    "set_ops_sized",
    lambda a, b: (
        jnp.union1d(a, b, size=6, fill_value=-1),
        jnp.intersect1d(a, b, size=3, fill_value=-1),
        jnp.setdiff1d(a, b, size=3, fill_value=-1),
        jnp.setxor1d(a, b, size=6, fill_value=-1),
    ),
    concat_gens(ints(0, 5, (3,)), ints(0, 5, (3,))),
)
case("flatnonzero", lambda x: jnp.flatnonzero(x > 0, size=3, fill_value=-1), normal(M))

# ---- nn and scipy.special -----------------------------------------------------------------------

for n in [
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "swish",
    "gelu",
    "elu",
    "celu",
    "selu",
    "leaky_relu",
    "softplus",
    "soft_sign",
    "log_sigmoid",
    "hard_tanh",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "mish",
    "squareplus",
    "sparse_plus",
    "sparse_sigmoid",
    "tanh",
    "identity",
]:
    case(f"nn_{n}", getattr(nn, n), anyf)
case("nn_gelu_exact", lambda x: nn.gelu(x, approximate=False), anyf)
for n in ["softmax", "log_softmax", "logsumexp", "standardize"]:
    case(f"nn_{n}", (lambda fn: lambda x: fn(x, axis=-1))(getattr(nn, n)), normal(M), rtol=1e-4)
case("nn_glu", lambda x: nn.glu(x, axis=0), normal(lambda d: (2 * d[0], d[1])))
case("nn_softmax_where", lambda x, m: nn.softmax(x, where=m), concat_gens(normal(M), bools()), rtol=1e-4)
for n in ["erf", "erfc", "expit", "gammaln", "ndtr", "log_ndtr", "i0", "i0e", "i1", "i1e", "entr"]:
    case(f"sp_{n}", getattr(sp, n), pos)
for n in ["erfinv", "logit"]:
    case(f"sp_{n}", getattr(sp, n), uniform(0.1, 0.9))
case("sp_ndtri", sp.ndtri, uniform(0.1, 0.9))
case("sp_digamma_gamma", lambda x: (sp.digamma(x), sp.gamma(x)), pos, rtol=1e-4)
for n in ["xlogy", "xlog1py", "rel_entr", "kl_div", "beta", "betaln"]:
    case(f"sp_{n}", getattr(sp, n), concat_gens(pos, pos), rtol=1e-4)
case("sp_logsumexp_b", lambda x, b: sp.logsumexp(x, axis=0, b=b), concat_gens(normal(M), pos), rtol=1e-4)
case("sp_gammainc", lambda a, x: (sp.gammainc(a, x), sp.gammaincc(a, x)), concat_gens(pos, pos), rtol=1e-4)
case("sp_betainc", sp.betainc, concat_gens(pos, pos, uniform(0.1, 0.9)), rtol=1e-4)

case(
    "sp_more",
    lambda x: (sp.multigammaln(x + 2.0, 2), sp.gammasgn(x - 1.5), sp.factorial(jnp.floor(x))),
    pos,
    rtol=1e-4,
)

# ---- Comparisons and less common math (comparisons_math.py) ------------------------------------

P2 = lambda d: (d[0] + 1, d[1] + 1)  # noqa: E731  (at least 2 along each axis)
case("isclose", lambda x, y: jnp.isclose(x, y, rtol=0.3), concat_gens(anyf, anyf))
case("allclose", lambda x, y: jnp.allclose(x, y, atol=2.0), concat_gens(anyf, anyf))
case("array_equal", lambda x, y: jnp.array_equal(x, y), concat_gens(ints(0, 2), ints(0, 2)))
case("array_equiv", lambda x, y: jnp.array_equiv(x, y), concat_gens(ints(0, 2), ints(0, 2, V)))
case("gcd_lcm", lambda x, y: (jnp.gcd(x, y), jnp.lcm(x, y)), concat_gens(ints(-30, 30), ints(-30, 30)))
case("bitwise_count", jnp.bitwise_count, ints(-300, 300))
case("frexp_modf", lambda x: (*jnp.frexp(x * 9), *jnp.modf(x * 9)), anyf)
case("spacing", jnp.spacing, anyf)
case("nan_to_num", lambda x: jnp.nan_to_num(jnp.log(x)), anyf)
case("i0", jnp.i0, anyf, rtol=1e-4)
case("iscomplex_isreal", lambda x: (jnp.iscomplex(x), jnp.isreal(x)), anyf)
case("unwrap", lambda x: jnp.unwrap(x * 4, axis=-1), anyf, rtol=1e-4)
case("gradient", lambda x: jnp.gradient(x), normal(P2))


# ---- Editing and rebuilding arrays (array_edit.py) ------------------------------------------------

W2 = lambda d: (d[0], d[1] + 2)  # noqa: E731  (at least 3 columns)
case("delete", lambda x: jnp.delete(x, [0, 2], axis=1), normal(W2))
case("insert", lambda x, v: jnp.insert(x, 1, v, axis=0), concat_gens(normal(M), normal(lambda d: (d[1],))))
case("compress", lambda x: jnp.compress(jnp.array([True, False, True]), x, axis=1), normal(W2))
case("extract", lambda x: jnp.extract(x > 0, x, size=3, fill_value=9.0), normal(M))
case("choose", lambda i, x, y: jnp.choose(i, [x, y], mode="clip"), concat_gens(ints(0, 2), normal(M), normal(M)))
case("resize", lambda x: jnp.resize(x, (3, 5)), normal(M))
case("trim_zeros", lambda x: jnp.trim_zeros(jnp.array([0.0, 1.0, 2.0, 0.0])).sum() * x, normal(M))
case("put", lambda x, v: jnp.put(x, jnp.array([0, 1]), v, inplace=False), concat_gens(normal(M), normal((2,))))
case("put_along_axis", lambda x, i, v: jnp.put_along_axis(x, i, v, 1, inplace=False),
     concat_gens(normal(M), ints(0, 1, lambda d: (d[0], 1)), normal(lambda d: (d[0], 1))))
case("place", lambda x, m, v: jnp.place(x, m, v, inplace=False), concat_gens(normal(M), bools(), normal((3,))))
case("fill_diagonal", lambda x, v: jnp.fill_diagonal(x, v, inplace=False), concat_gens(normal(M), normal(())))
case("vander", lambda x: jnp.vander(x, 3), normal(V))
case("piecewise", lambda x: jnp.piecewise(x, [x < 0, x > 1], [lambda v: -v, 5.0, jnp.sin]), anyf)
case("apply_along_axis", lambda x: jnp.apply_along_axis(lambda r: r.sum() * r[0], 1, x), normal(T3))
case("apply_over_axes", lambda x: jnp.apply_over_axes(jnp.sum, x, [0, 2]), normal(T3))
case("fromfunction", lambda x: jnp.fromfunction(lambda i, j: i * x + j, (2, 3)), normal(()))
case("mask_indices", lambda x: x[jnp.mask_indices(3, jnp.triu, 1)], normal(lambda d: (3, 3)))


# ---- Windows, polynomials, vectorize, index tricks (poly_windows.py, vectorize_index.py) --------

for n in ["bartlett", "blackman", "hamming", "hanning"]:
    case(n, (lambda w: lambda x: x * w(x.shape[-1]))(getattr(jnp, n)), normal(M))
case("kaiser", lambda x: x * jnp.kaiser(x.shape[-1], 4.0), normal(M), rtol=1e-4)
case("poly", jnp.poly, normal(V), rtol=1e-4)
case("polyder_polyint", lambda p: (jnp.polyder(p, 2), jnp.polyint(p, 2, k=[1.0, 2.0])), normal(lambda d: (d[0] + 2,)))
case("polydiv", lambda u, v: jnp.polydiv(u, v + 4.0), concat_gens(normal((5,)), normal((2,))), rtol=1e-4)
case("polyfit", lambda y: jnp.polyfit(jnp.linspace(0.0, 1.0, 6), y, 2), normal((6,)), rtol=1e-3)
case("vectorize", lambda x, y: jnp.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(x, y),
     concat_gens(normal(M), normal(lambda d: (d[1],))))
case("mgrid_ogrid", lambda x: (x * jnp.mgrid[0:2, 0:3].sum(), x * jnp.ogrid[0:2, 0:3][1].sum()), normal(M))
case("r_c_", lambda x, y: (jnp.r_[x, y], jnp.c_[x, y]), concat_gens(normal(V), normal(V)))
case("astype_fn", lambda x: jnp.astype(x * 3, jnp.int32), anyf)


case("block", lambda x, y: jnp.block([[x, y], [y, x]]), concat_gens(normal(M), normal(M)))
case("packbits", lambda x: jnp.packbits(x, axis=-1), bools())
case("unpackbits", lambda x: jnp.unpackbits(x.astype(jnp.uint8), axis=-1), ints(0, 255))
case("histogramdd", lambda x: jnp.histogramdd(x, bins=3, range=[(-2, 2)] * 2)[0], normal(lambda d: (d[0] + 2, 2)))
case("histogram2d", lambda x, y: jnp.histogram2d(x, y, bins=3, range=[(-2, 2)] * 2)[0], concat_gens(normal(V), normal(V)))


case("log1mexp", nn.log1mexp, pos)
case("logmeanexp", lambda x: nn.logmeanexp(x, axis=-1), normal(M))
case("dot_product_attention", lambda q, k: nn.dot_product_attention(q, k, k, is_causal=True),
     concat_gens(normal(lambda d: (d[0], 2, d[1])), normal(lambda d: (d[0], 1, d[1]))), rtol=1e-4)


case("frompyfunc", lambda x: jnp.frompyfunc(lambda a, b: a * b + 1, 2, 1).accumulate(x, axis=1), normal(M))
case("ufunc_methods", lambda x, y: (jnp.add.outer(x[0], y), jnp.subtract.reduce(x, axis=1)), concat_gens(normal(M), normal(V)))


# ---- The checks ---------------------------------------------------------------------------------

SETTINGS = settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
@SETTINGS
@given(data=st.data())
def test_vmap_matches_loop(c, data):
    check_single(c, data, staged=False)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_vmap_along_every_axis(c):
    check_every_axis(c)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
@settings(SETTINGS, max_examples=2)
@given(data=st.data())
def test_nested_vmap_matches_loop(c, data):
    check_nested(c, data)


# Functions whose result does not depend on array values (shapes, dtypes, static introspection):
# there is nothing to batch. Every other public function must appear in a case above.
STATIC = {
    "broadcast_shapes",
    "einsum_path",
    "iscomplexobj",
    "isrealobj",
    "isscalar",
    "issubdtype",
    "ndim",
    "promote_types",
    "result_type",
    "shape",
    "size",
    # data-dependent output length with no size= argument (not traceable in JAX either)
    "unique_values",
    # builds an Array from a host buffer (DLPack): there is no traced input to batch
    "from_dlpack",
    # read host data, format it as text, or answer questions about dtypes: no traced input
    "array_repr",
    "array_str",
    "can_cast",
    "frombuffer",
    "fromstring",
    "get_printoptions",
    "isdtype",
    "iterable",
    "load",
    "printoptions",
    "save",
    "savez",
    "set_printoptions",
    # raise NotImplementedError for every input (general eigenproblems)
    "eig",
    "eigvals",
}


def test_every_public_function_has_a_vmap_case():
    import pathlib
    import re
    import types

    src = pathlib.Path(__file__).read_text()
    missing = []
    for mod, prefix in [(jnp, "jnp"), (nn, "nn"), (sp, "sp"), (jnp.linalg, "LA")]:
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for n in names:
            v = getattr(mod, n)
            if isinstance(v, (types.ModuleType, type)) or not callable(v) or n in STATIC:
                continue
            if not (re.search(rf"\b{prefix}\.{n}\b", src) or f'"{n}"' in src):
                missing.append(f"{prefix}.{n}")
    assert not missing, f"add vmap cases for: {missing}"
