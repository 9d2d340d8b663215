"""jaxlite.nn: activation functions, softmax and friends, as jax.nn (written on jaxlite.numpy/lax).

Dtypes follow JAX: functions built from jnp operations promote as those do (relu keeps ints;
relu6, leaky_relu and the smooth activations give the default float for integer input).
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import core, lax
from ..custom_derivatives import custom_jvp
from ..numpy import ufuncs as U
from ..numpy._linalg_norm import where
from ..numpy._util import promote_dtypes_inexact, to_array
from ..scipy.special import (
    check_arraylike,
    keep_dims,
    log_softmax_impl,
    logsumexp,
    masked_sum,
    reduce_axes,
    softmax_impl,
)

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mish",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_sign",
    "softmax",
    "softplus",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "standardize",
    "swish",
    "tanh",
]


def _check(name, *xs):
    check_arraylike(f"jaxlite.nn.{name}", *xs)


def _float(name, x):
    _check(name, x)
    return promote_dtypes_inexact(x)[0]


def _c(value, like):
    return lax.full((), value, like.dtype)


_where = where


# ---- piecewise-linear activations -------------------------------------------------------------


def identity(x):
    """Returns `x` unchanged (as an array)."""
    _check("identity", x)
    return to_array(x)


def _kink_free_jvp(fn, inside):
    """fn with derivative `inside(x)` (0 or 1): JAX defines relu's derivative at its kinks as 0,
    where max/min would split it evenly."""
    f = custom_jvp(fn)

    @f.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), where(inside(x), t, U.multiply(t, 0))

    return f


_relu = _kink_free_jvp(lambda x: U.maximum(x, 0), lambda x: U.greater(x, 0))
_relu6 = _kink_free_jvp(lambda x: U.minimum(U.maximum(x, 0), 6.0),
                        lambda x: U.logical_and(U.greater(x, 0), U.less(x, 6)))


def relu(x):
    """max(x, 0); integer inputs stay integer; the derivative at 0 is 0, as in JAX."""
    _check("relu", x)
    return _relu(to_array(x))


def relu6(x):
    """min(max(x, 0), 6), with derivative 0 at both kinks."""
    _check("relu6", x)
    return _relu6(to_array(x))


def leaky_relu(x, negative_slope=1e-2):
    """`x` where positive, `negative_slope * x` elsewhere."""
    _check("leaky_relu", x)
    x = to_array(x)
    return _where(U.greater_equal(x, 0), x, U.multiply(negative_slope, x))


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    _check("hard_tanh", x)
    x = to_array(x)
    return _where(U.greater(x, 1), 1, _where(U.less(x, -1), -1, x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    _check("hard_sigmoid", x)
    return U.true_divide(relu6(U.add(x, 3.0)), 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    x = _float("hard_silu", x)
    return U.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def sparse_plus(x):
    """Sparse plus: 0 for x <= -1, (x + 1)**2 / 4 for -1 < x < 1, x for x >= 1."""
    x = _float("sparse_plus", x)
    quad = U.true_divide(U.square(U.add(x, 1.0)), 4.0)
    return _where(U.less_equal(x, -1.0), 0.0, _where(U.greater_equal(x, 1.0), x, quad))


def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1."""
    x = _float("sparse_sigmoid", x)
    return U.multiply(0.5, U.minimum(U.maximum(U.add(x, 1.0), 0.0), 2.0))


# ---- smooth activations -----------------------------------------------------------------------


def sigmoid(x):
    """1 / (1 + exp(-x)) (integer input is promoted, where JAX raises)."""
    return lax.logistic(_float("sigmoid", x))


def softplus(x):
    """log(1 + exp(x)), computed as logaddexp(x, 0)."""
    return U.logaddexp(_float("softplus", x), 0.0)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    x = _float("log_sigmoid", x)
    return lax.neg(softplus(lax.neg(x)))


def soft_sign(x):
    """`x / (|x| + 1)`."""
    x = _float("soft_sign", x)
    return lax.div(x, lax.add(lax.abs(x), _c(1, x)))


def silu(x):
    """x * sigmoid(x)."""
    x = _float("silu", x)
    return lax.mul(x, lax.logistic(x))


swish = silu


def mish(x):
    """Mish: `x * tanh(softplus(x))`."""
    x = _float("mish", x)
    return lax.mul(x, lax.tanh(softplus(x)))


def squareplus(x, b=4):
    """Squareplus: `(x + sqrt(x**2 + b)) / 2`, a smooth relu."""
    x = _float("squareplus", x)
    return U.true_divide(U.add(x, U.sqrt(U.add(U.square(x), b))), 2)


def tanh(x):
    """Hyperbolic tangent (jax.nn.tanh is jax.numpy.tanh)."""
    return U.tanh(_float("tanh", x))


def gelu(x, approximate=True):
    """Gaussian error linear unit: the tanh approximation by default, x * ndtr(x) otherwise."""
    x = _float("gelu", x)
    if approximate:
        inner = lax.mul(
            _c(np.sqrt(2 / np.pi), x), lax.add(x, lax.mul(_c(0.044715, x), lax.integer_pow(x, 3)))
        )
        return lax.mul(x, lax.mul(_c(0.5, x), lax.add(_c(1, x), lax.tanh(inner))))
    return lax.mul(lax.mul(_c(0.5, x), x), lax.erfc(lax.mul(lax.neg(x), _c(np.sqrt(0.5), x))))


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise (expm1 of a clamped x, so no overflow)."""
    x = _float("elu", x)
    pos = lax.gt(x, _c(0, x))
    neg_part = U.multiply(alpha, lax.expm1(_where(pos, _c(0, x), x)))
    return _where(pos, x, neg_part)


def celu(x, alpha=1.0):
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""
    x = _float("celu", x)
    return U.add(U.maximum(x, 0.0), U.multiply(alpha, U.expm1(U.true_divide(U.minimum(x, 0.0), alpha))))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants."""
    x = _float("selu", x)
    return lax.mul(_c(_SELU_SCALE, x), elu(x, _SELU_ALPHA))


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times sigmoid of the second half."""
    _check("glu", x)
    x = to_array(x)
    ax = reduce_axes(x, axis, "jaxlite.nn.glu")[0] if x.ndim else None
    if ax is None or x.shape[ax] % 2:
        raise ValueError(
            f"jaxlite.nn.glu: axis {axis} of x (shape {tuple(x.shape)}) must exist and have even size"
        )
    half = x.shape[ax] // 2
    a = lax.slice_in_dim(x, 0, half, axis=ax)
    b = lax.slice_in_dim(x, half, 2 * half, axis=ax)
    return U.multiply(a, sigmoid(b))


# ---- softmax family ---------------------------------------------------------------------------


def softmax(x, axis=-1, where=None):
    """exp(x - max) / sum(exp(x - max)) over axis; masked-out entries (where=False) are 0."""
    return softmax_impl(x, axis, where, "jaxlite.nn.softmax")


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) over axis; masked-out entries are -inf."""
    return log_softmax_impl(x, axis, where, "jaxlite.nn.log_softmax")


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon), with mean and variance over axis when not given
    (variance as mean(x^2) - mean^2, clipped at 0, as JAX's default)."""
    x = _float("standardize", x)
    axes = reduce_axes(x, axis, "jaxlite.nn.standardize")
    if where is not None:
        _check("standardize", where)
        where = U.not_equal(where, False) if to_array(where).dtype != np.bool_ else to_array(where)
        where = _broadcast_mask(where, x)

    def masked_mean(v):
        total = keep_dims(masked_sum(v, axes, where), axes)
        if where is None:
            count = float(np.prod([x.shape[a] for a in axes], dtype=np.int64))
            return U.true_divide(total, count)
        ones = lax.convert_element_type(where, v.dtype)
        return U.true_divide(total, keep_dims(lax.reduce_sum(ones, axes), axes))

    if mean is None:
        mean = masked_mean(x)
    if variance is None:
        variance = U.maximum(U.subtract(masked_mean(lax.mul(x, x)), U.square(mean)), 0)
    return U.multiply(U.subtract(x, mean), lax.rsqrt(U.add(variance, epsilon)))


def _broadcast_mask(where, x):
    from ..numpy._util import broadcast_to_shape

    return broadcast_to_shape(where, x.shape)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """x[..., None] == arange(num_classes) as `dtype` (default float); out-of-range indices give
    all-zero rows. num_classes must be a concrete int."""
    try:
        num_classes = operator.index(num_classes)
    except core.ConcretizationTypeError:
        raise core.ConcretizationTypeError(
            "jaxlite.nn.one_hot: num_classes must be a concrete int, not a traced value; pass it as "
            "a Python int (or a static argument under jit)"
        ) from None
    except TypeError:
        raise TypeError(f"jaxlite.nn.one_hot: num_classes must be an int, got {num_classes!r}") from None
    _check("one_hot", x)
    x = to_array(x)
    if x.dtype == np.bool_:
        x = lax.convert_element_type(x, np.int32)
    out_dtype = (
        dtypes.default_float(core.config.x64)
        if dtype is None
        else dtypes.canonicalize(dtype, core.config.x64)
    )
    nd = x.ndim + 1
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(f"jaxlite.nn.one_hot: axis must be an int, got {axis!r}") from None
    if not -nd <= ax < nd:
        raise ValueError(f"jaxlite.nn.one_hot: axis {axis} is out of bounds for the output's rank {nd}")
    ax %= nd
    shape = tuple(x.shape[:ax]) + (num_classes,) + tuple(x.shape[ax:])
    classes = lax.broadcasted_iota(x.dtype, shape, ax)
    xb = lax.broadcast_in_dim(x, shape, tuple(i for i in range(nd) if i != ax))
    return lax.convert_element_type(lax.eq(xb, classes), out_dtype)

from . import initializers  # noqa: E402,F401 - jax.nn.initializers without a separate import
from .attention import dot_product_attention, log1mexp, logmeanexp  # noqa: E402,F401

__all__ += ["dot_product_attention", "log1mexp", "logmeanexp"]
