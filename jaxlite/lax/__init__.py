"""jaxlite.lax: thin wrappers that bind primitives, with jax.lax's names and signatures."""

from . import linalg
from .elementwise import (
    RoundingMethod, abs, acos, acosh, add, asin, asinh, atan, atan2, atanh, bitcast_convert_type,
    bitwise_and, bitwise_not, bitwise_or, bitwise_xor, broadcasted_iota, cbrt, ceil, clamp, complex,
    conj, convert_element_type, cos, cosh, digamma, div, eq, erf, erf_inv, erfc, exp, exp2, expm1,
    floor, ge, gt, imag, integer_pow, iota, is_finite, le, lgamma, log, log1p, logistic, lt, max,
    min, mul, ne, neg, nextafter, pow, real, reciprocal, rem, round, rsqrt, select, select_n,
    shift_left, shift_right_arithmetic, shift_right_logical, sign, sin, sinh, sqrt, square, sub,
    tan, tanh,
)
from .indexing import (
    GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers, dynamic_index_in_dim,
    dynamic_slice, dynamic_slice_in_dim, dynamic_update_index_in_dim, dynamic_update_slice,
    dynamic_update_slice_in_dim, gather, scatter, scatter_add, scatter_max, scatter_min,
    scatter_mul,
)
from .structural import (
    Precision, argmax, argmin, broadcast, broadcast_in_dim, concatenate, cumlogsumexp, cummax,
    cummin, cumprod, cumsum, dot, dot_general, expand_dims, full, index_in_dim, pad, reduce,
    reduce_and, reduce_max, reduce_min, reduce_or, reduce_prod, reduce_sum, reduce_xor, reshape,
    rev, slice, slice_in_dim, sort, sort_key_val, squeeze, transpose,
)

__all__ = [n for n in dir() if not n.startswith("_")]

# Modules that need the whole lax namespace above to exist first.
from .ad_util import stop_gradient  # noqa: E402
from .parallel import all_gather, axis_index, axis_size, pmax, pmean, pmin, ppermute, psum  # noqa: E402
from .parallel_pmap import all_to_all, psum_scatter  # noqa: E402
from ..control_flow import (  # noqa: E402
    associative_scan, cond, fori_loop, map, scan, switch, while_loop,
)

__all__ = [n for n in dir() if not n.startswith("_")]
from .convolution import (  # noqa: E402
    ConvDimensionNumbers, conv, conv_dimension_numbers, conv_general_dilated,
    conv_general_permutations, conv_general_shape, conv_transpose, conv_transpose_shape_tuple,
    conv_with_general_padding, padtype_to_pads,
)
from .windowed import reduce_window  # noqa: E402
from .composites import (  # noqa: E402
    batch_matmul, bessel_i0e, bessel_i1e, betainc, broadcast_shapes, clz, collapse, full_like,
    igamma, igammac, optimization_barrier, population_count, split, tile, top_k,
)

__all__ = [n for n in dir() if not n.startswith("_")]
