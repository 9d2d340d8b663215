"""Counter-based pseudo-random numbers with JAX's key semantics and bit-identical streams.

Keys are raw `uint32[2]` arrays (what `jax.random.PRNGKey` returns). `key(seed)` returns the same
raw representation: unlike JAX, whose `key()` makes a typed scalar key array of shape (), our
`key()` result has shape (2,) and dtype uint32, so `key_data(k)` is `k` itself.

Every stream is the Threefry-2x32 block cipher applied to counters, exactly as JAX's default
`threefry2x32` implementation does, in JAX 0.10's default *partitionable* mode
(`jax_threefry_partitionable=True`): the counter of element i of an output of shape S is the
64-bit flat index i split into (hi, lo) words, and the two cipher words are xor-ed (32-bit
draws), concatenated (64-bit) or truncated (8/16-bit). `set_threefry_partitionable(False)`
switches to JAX's older layout (counters 0..n-1 split into two halves), for reproducing results
made with that flag off. Samplers then turn bits into values with the same float arithmetic as
JAX (mantissa filling for uniforms, inverse erf for normals, ...).

Bit-identical to JAX (float32 and float64): keys, `split`, `fold_in`, `bits`, `uniform` (XLA
fuses its scaling `u * (max - min) + min` into one FMA; `_fma` reproduces that rounding),
`bernoulli`, `randint`, `permutation`, `choice`, `categorical`, `poisson`, and the samplers that
go through log, log1p, exp, erf, erf_inv or pow (`normal`, `truncated_normal`, `exponential`,
`laplace`, `logistic`, `gumbel`, `multivariate_normal`, `gamma`, `loggamma`, `beta`,
`dirichlet`), eagerly and under jit: XLA evaluates those functions with its own polynomials and
fused multiply-adds (or glibc's scalar log/erf/pow), which the `xla_math` primitive reproduces
operation for operation (`random_xla_math`), and dirichlet's row sum is added in XLA's order
(`random_xla_reduce`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from compiler import dtypes
from compiler import primitives as P

from . import ad, batching, core, lax
from . import numpy as jnp
from . import random_xla_math as xla_math
from .core import bind
from .lax import structural as S

__all__ = [
    "PRNGKey", "key", "key_data", "wrap_key_data", "split", "fold_in", "bits", "uniform",
    "normal", "truncated_normal", "bernoulli", "categorical", "randint", "permutation",
    "choice", "exponential", "laplace", "logistic", "gumbel", "multivariate_normal",
    "gamma", "loggamma", "beta", "dirichlet", "poisson", "set_threefry_partitionable",
    "threefry_2x32", "threefry2x32_p",
]

threefry2x32_p = P.threefry2x32_p
_U32 = np.dtype(np.uint32)
_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32, 64: np.dtype(np.uint64)}
_partitionable = [True]  # JAX 0.10's default for jax_threefry_partitionable


def set_threefry_partitionable(flag: bool):
    """Choose JAX's counter layout: True (JAX >= 0.5 default) or False (the original one)."""
    _partitionable[0] = bool(flag)


# ---- the primitive's rules ------------------------------------------------------------------


def threefry2x32_batch(axis_data, vals, dims):
    """Elementwise: move batch axes to the front and broadcast every operand to one shape."""
    size = axis_data.size
    ranks = [len(v.shape) - (d is not None) for v, d in zip(vals, dims, strict=True)]
    logical = next(tuple(v.shape[:d] + v.shape[d + 1:]) if d is not None else tuple(v.shape)
                   for v, d, r in zip(vals, dims, ranks, strict=True) if r == max(ranks))
    full = (size, *logical)
    new = []
    for v, d, r in zip(vals, dims, ranks, strict=True):
        if d is None:
            new.append(S.broadcast_in_dim(v, full, tuple(range(1 + len(logical) - r, len(full)))))
        else:
            v = jnp.moveaxis(v, d, 0)
            new.append(S.broadcast_in_dim(v, full, (0, *range(1 + len(logical) - r, len(full)))))
    return bind(threefry2x32_p, *new), [0, 0]


batching.batch_rules[threefry2x32_p] = threefry2x32_batch
ad.defjvp_zero(threefry2x32_p, "random bits are integers: nothing to differentiate")


# ---- keys -----------------------------------------------------------------------------------


def _is_concrete(x):
    return not isinstance(x, core.Tracer)


def _check_key(name, k):
    if isinstance(k, (int, float)) or not hasattr(k, "shape"):
        raise TypeError(f"random.{name}: expected a PRNG key (uint32[2] from random.PRNGKey or "
                        f"random.key), got {type(k).__name__} {k!r}")
    k = jnp.asarray(k)
    if tuple(k.shape) != (2,) or k.dtype != _U32:
        hint = " Use jax.vmap for a batch of keys." if k.shape[-1:] == (2,) and k.ndim > 1 else ""
        raise TypeError(f"random.{name}: expected a single PRNG key of shape (2,) and dtype "
                        f"uint32, got {k.dtype}{list(k.shape)}.{hint}")
    return k


def _seed_words(name, seed):
    if hasattr(seed, "shape") and tuple(np.shape(seed)) != ():
        raise TypeError(f"random.{name}: accepts a scalar seed, but was given an array of shape "
                        f"{tuple(np.shape(seed))} != (). Use jax.vmap for batching")
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        wide = core.config.x64  # a Python int is int64 under x64, else int32 (as in JAX)
        if isinstance(seed, np.integer):
            wide = wide and np.dtype(seed.dtype).itemsize == 8
        s = int(seed)
        core.check_int_fits(s, np.dtype(seed.dtype) if isinstance(seed, np.integer)
                            else (np.int64 if wide else np.int32))
        v = s & 0xFFFFFFFFFFFFFFFF
        return np.uint32(v >> 32 if wide else 0), np.uint32(v & 0xFFFFFFFF)
    seed = jnp.asarray(seed)
    if not dtypes.is_integer(seed.dtype):
        raise TypeError(f"random.{name}: PRNG key seed must be an integer; got {seed.dtype}")
    if seed.dtype.itemsize == 8:
        hi = lax.convert_element_type(
            lax.shift_right_logical(seed, np.asarray(32, seed.dtype)), _U32)
    else:
        hi = jnp.zeros((), _U32)
    return hi, lax.convert_element_type(seed, _U32)


def PRNGKey(seed, *, impl=None):
    """A raw uint32[2] key from an integer seed: (high word, low word) of the 64-bit seed."""
    if impl not in (None, "threefry2x32"):
        raise NotImplementedError(f"random.PRNGKey: only impl='threefry2x32' exists, got {impl!r}")
    hi, lo = _seed_words("PRNGKey", seed)
    if _is_concrete(hi) and _is_concrete(lo) and isinstance(hi, np.generic):
        return jnp.asarray(np.array([hi, lo], _U32))
    return jnp.stack([jnp.asarray(hi, _U32), jnp.asarray(lo, _U32)])


def key(seed, *, impl=None, dtype=None):
    """Like JAX's `key`, but returns the raw uint32[2] representation (see module docstring)."""
    if impl is not None and dtype is not None:
        raise ValueError("random.key: cannot specify both `impl` and `dtype`")
    return PRNGKey(seed, impl=impl if impl is not None else dtype)


def key_data(keys):
    """The raw uint32 words of keys: our keys are already raw."""
    return jnp.asarray(keys)


def wrap_key_data(key_bits_array, *, impl=None):
    """A key from its raw `uint32` data (keys are represented by that data in jaxlite)."""
    return jnp.asarray(key_bits_array)


def threefry_2x32(keypair, count):
    """Hash the uint32 array `count` under a key: the flat counters are split into two halves
    (zero-padded to even length) which feed the cipher's two words; the outputs, concatenated,
    are reshaped back to `count`'s shape."""
    k0, k1 = keypair
    count = jnp.asarray(count)
    flat = jnp.ravel(count)
    n = flat.shape[0]
    if n % 2:
        flat = jnp.concatenate([flat, jnp.zeros((1,), _U32)])
    half = flat.shape[0] // 2
    a, b = bind(threefry2x32_p, k0, k1, flat[:half], flat[half:])
    out = jnp.concatenate([a, b])
    return jnp.reshape(out[:n] if n % 2 else out, count.shape)


def _counters(shape):
    """The (hi, lo) words of the 64-bit flat index of every element of `shape`."""
    size = math.prod(shape)
    if size >= 2**32:
        raise NotImplementedError(f"random: arrays of {size} >= 2**32 elements are not supported")
    lo = jnp.reshape(lax.iota(_U32, size), shape)
    return jnp.zeros(shape, _U32), lo


def _words(k):
    return k[0], k[1]


def _split(k, shape):
    if _partitionable[0]:
        b1, b2 = bind(threefry2x32_p, *_words(k), *_counters(shape))
        return jnp.stack([b1, b2], axis=len(shape))
    num = math.prod(shape)
    return jnp.reshape(threefry_2x32(_words(k), lax.iota(_U32, num * 2)), (*shape, 2))


def split(key, num=2):
    """`num` (an int or a shape tuple) new keys, stacked on a trailing axis of 2 words."""
    k = _check_key("split", key)
    shape = tuple(int(d) for d in num) if isinstance(num, Sequence) else (int(num),)
    if any(d < 0 for d in shape):
        raise ValueError(f"random.split: num must be non-negative, got {num}")
    return _split(k, shape)


def fold_in(key, data):
    """A new key that depends on `key` and the 32-bit integer `data`."""
    k = _check_key("fold_in", key)
    if np.ndim(data):
        raise TypeError("random.fold_in: accepts a scalar, but was given an array of shape "
                        f"{np.shape(data)} != (). Use jax.vmap for batching.")
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        d = jnp.asarray(np.uint32(int(data) & 0xFFFFFFFF))
    else:
        d = jnp.asarray(data)
        if not dtypes.is_integer(d.dtype):
            raise TypeError(f"random.fold_in: data must be an integer, got {d.dtype}")
        d = lax.convert_element_type(d, _U32)
    a, b = bind(threefry2x32_p, *_words(k), jnp.zeros((1,), _U32), jnp.reshape(d, (1,)))
    return jnp.concatenate([a, b])


def _random_bits(k, bit_width, shape):
    dtype = _UINT[bit_width]
    if _partitionable[0]:
        b1, b2 = bind(threefry2x32_p, *_words(k), *_counters(shape))
        if bit_width == 64:
            hi = lax.convert_element_type(b1, dtype)
            lo = lax.convert_element_type(b2, dtype)
            return lax.bitwise_or(lax.shift_left(hi, jnp.asarray(32, dtype)), lo)
        out = lax.bitwise_xor(b1, b2)
        return out if bit_width == 32 else lax.convert_element_type(out, dtype)
    size = math.prod(shape)
    n_words = -(-bit_width * size // 32)
    if n_words >= 2**32 - 1:
        raise NotImplementedError("random: more than 2**32 - 1 words of bits in one call")
    words = threefry_2x32(_words(k), lax.iota(_U32, n_words))
    if bit_width == 64:
        hi, lo = (lax.convert_element_type(w, dtype) for w in (words[:size], words[size:]))
        out = lax.bitwise_or(lax.shift_left(hi, jnp.asarray(32, dtype)), lo)
    elif bit_width == 32:
        out = words
    else:  # each word holds 32 // bit_width draws, least significant first
        per = 32 // bit_width
        shifts = jnp.asarray(np.arange(per, dtype=np.uint32) * bit_width)
        parts = lax.shift_right_logical(jnp.broadcast_to(words[:, None], (n_words, per)),
                                        jnp.broadcast_to(shifts[None, :], (n_words, per)))
        parts = lax.bitwise_and(parts, jnp.asarray(np.iinfo(dtype).max, _U32))
        out = lax.convert_element_type(jnp.reshape(parts, (-1,)), dtype)[:size]
    return jnp.reshape(out, shape)


def _shape(name, shape):
    try:
        return tuple(int(d) for d in shape) if isinstance(shape, Sequence) else (int(shape),)
    except TypeError:
        raise TypeError(f"random.{name}: shape must be a tuple of ints, got {shape!r}") from None


def _float_dtype(name, dtype):
    d = dtypes.default_float(core.config.x64) if dtype is None else \
        dtypes.canonicalize(dtype, core.config.x64)
    if not dtypes.is_float(d):
        raise ValueError(f"random.{name}: dtype argument must be a float dtype, got {d}")
    return d


def bits(key, shape=(), dtype=None):
    """Uniform random unsigned integers (uint32, or uint64 under x64, by default)."""
    k = _check_key("bits", key)
    d = (np.dtype(np.uint64) if core.config.x64 else _U32) if dtype is None else \
        dtypes.canonicalize(dtype, core.config.x64)
    if d not in _UINT.values():
        raise ValueError(f"random.bits: dtype argument must be an unsigned int dtype, got {d}")
    return _random_bits(k, d.itemsize * 8, _shape("bits", shape))


def _uniform(k, shape, dtype, minval, maxval):
    info = np.finfo(dtype)
    nbits, nmant = info.bits, info.nmant
    uint = _UINT[nbits]
    unit = _is_const(minval, 0.0) and _is_const(maxval, 1.0)  # floats * 1 + 0 is exact
    minval = lax.convert_element_type(jnp.asarray(minval), dtype)
    maxval = lax.convert_element_type(jnp.asarray(maxval), dtype)
    b = _random_bits(k, nbits, shape)
    one_bits = np.array(1.0, dtype).view(uint)
    float_bits = lax.bitwise_or(lax.shift_right_logical(b, jnp.asarray(nbits - nmant, uint)),
                                jnp.asarray(one_bits, uint))
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), jnp.asarray(1.0, dtype))
    if unit:
        return jnp.reshape(floats, shape)
    return jnp.maximum(minval, jnp.reshape(_fma(floats, maxval - minval, minval), shape))


def _is_const(x, value):
    return isinstance(x, (int, float, np.number)) and float(x) == value


def _fma(a, b, c):
    """a * b + c rounded once, as XLA's CPU back end computes it (it contracts the multiply and
    add of the uniform's scaling into one fused multiply-add). Emulated with error-free
    transformations: the product is split exactly into p + e (Veltkamp/Dekker), then p + c into
    s + t (Knuth's two-sum), and s + (t + e) rounds once in all but rare double-rounding ties."""
    dtype = a.dtype
    split = jnp.asarray(2.0 ** ((np.finfo(dtype).nmant + 2) // 2) + 1, dtype)

    def halves(x):
        t = split * x
        hi = t - (t - x)
        return hi, x - hi

    a, b, c = (jnp.broadcast_to(v, np.broadcast_shapes(a.shape, b.shape, c.shape)) for v in (a, b, c))
    p = a * b
    ah, al = halves(a)
    bh, bl = halves(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)
    out = s + (t + e)
    # where the product or sum is not finite, or b is zero, the plain expression is exact enough
    return jnp.where(jnp.isfinite(out), out, p + c)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform floats in [minval, maxval): random mantissa bits under exponent 0, minus 1."""
    k = _check_key("uniform", key)
    return _uniform(k, _shape("uniform", shape), _float_dtype("uniform", dtype), minval, maxval)


# XLA's own log/log1p/exp/erf/erf_inv (the xla_math primitive): bit-identical to JAX
_log, _log1p, _exp = xla_math.log, xla_math.log1p, xla_math.exp
_erf, _erf_inv = xla_math.erf, xla_math.erf_inv


def _normal(k, shape, dtype):
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = _uniform(k, shape, dtype, lo, np.array(1.0, dtype))
    return lax.mul(jnp.asarray(np.sqrt(2), dtype), _erf_inv(u))


def normal(key, shape=(), dtype=None):
    """Standard normals: sqrt(2) * erf_inv(u) with u uniform in (-1, 1)."""
    k = _check_key("normal", key)
    return _normal(k, _shape("normal", shape), _float_dtype("normal", dtype))


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Normals conditioned on [lower, upper], by inverting the normal CDF of a uniform draw."""
    k = _check_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    shape = _shape("truncated_normal", shape)
    sqrt2 = jnp.asarray(np.sqrt(2), dtype)
    lower = lax.convert_element_type(jnp.asarray(lower), dtype)
    upper = lax.convert_element_type(jnp.asarray(upper), dtype)
    inv_sqrt2 = jnp.asarray(1.0, dtype) / sqrt2  # XLA turns x / constant into x * (1 / constant)
    a = _erf(lower * inv_sqrt2)
    b = _erf(upper * inv_sqrt2)
    out = sqrt2 * _erf_inv(_uniform(k, shape, dtype, a, b))
    lo = lax.nextafter(lax.stop_gradient(lower), jnp.full(np.shape(lower), np.inf, dtype))
    hi = lax.nextafter(lax.stop_gradient(upper), jnp.full(np.shape(upper), -np.inf, dtype))
    return jnp.clip(out, lo, hi)


def bernoulli(key, p=np.float32(0.5), shape=None, mode="low"):
    """Booleans that are True with probability p (uniform < p)."""
    k = _check_key("bernoulli", key)
    p = jnp.asarray(p)
    if not dtypes.is_float(p.dtype):
        p = p.astype(dtypes.default_float(core.config.x64))
    shape = np.shape(p) if shape is None else _shape("bernoulli", shape)
    if mode == "high":
        u1, u2 = _uniform(k, (2, *shape), p.dtype, 0.0, 1.0)
        u2 = u2 * jnp.asarray(2.0 ** -np.finfo(p.dtype).nmant, p.dtype)
        return u2 < p - u1
    return _uniform(k, shape, p.dtype, 0.0, 1.0) < p


def exponential(key, shape=(), dtype=None):
    """Samples of the standard exponential distribution (rate 1)."""
    k = _check_key("exponential", key)
    u = _uniform(k, _shape("exponential", shape), _float_dtype("exponential", dtype), 0.0, 1.0)
    return lax.neg(_log1p(lax.neg(u)))  # 1 - u lies in (0, 1]


def laplace(key, shape=(), dtype=None):
    """Samples of the standard Laplace distribution (location 0, scale 1)."""
    k = _check_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    lo = -1.0 + float(np.finfo(dtype).epsneg)
    u = _uniform(k, _shape("laplace", shape), dtype, lo, 1.0)
    return lax.mul(lax.sign(u), _log1p(lax.neg(lax.abs(u))))


def logistic(key, shape=(), dtype=None):
    """Samples of the standard logistic distribution."""
    k = _check_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    x = _uniform(k, _shape("logistic", shape), dtype, float(np.finfo(dtype).tiny), 1.0)
    return lax.sub(_log(x), _log1p(lax.neg(x)))


def _gumbel(k, shape, dtype, mode):
    info = np.finfo(dtype)
    if mode in ("high", "highest"):
        high, low = _uniform(k, (2, *shape), dtype, 0.0, 1.0)
        x = jnp.where(high >= 0.5, high,
                      high + jnp.asarray(2.0 ** -info.nmant, dtype) * low
                      + jnp.asarray(info.tiny, dtype))
        return lax.neg(_log(lax.neg(_log1p(lax.neg(x)))))
    return lax.neg(_log(lax.neg(_log(_uniform(k, shape, dtype, float(info.tiny), 1.0)))))


def gumbel(key, shape=(), dtype=None, mode=None):
    """Standard Gumbel draws, -log(-log(u)). mode='highest' for float32 is not implemented."""
    k = _check_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    mode = "low" if mode is None else mode
    if mode == "highest" and dtype == np.float32:
        raise NotImplementedError("random.gumbel: mode='highest' for float32 is not implemented; "
                                  "use mode='high'")
    return _gumbel(k, _shape("gumbel", shape), dtype, mode)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Indices drawn with probabilities softmax(logits) along `axis` (the Gumbel-max trick)."""
    k = _check_key("categorical", key)
    logits = jnp.asarray(logits)
    if not dtypes.is_float(logits.dtype):
        logits = logits.astype(dtypes.default_float(core.config.x64))
    mode = "low" if mode is None else mode
    axis = axis % logits.ndim if axis >= 0 else axis
    batch_shape = tuple(np.delete(logits.shape, axis))
    shape = batch_shape if shape is None else _shape("categorical", shape)
    if shape[len(shape) - len(batch_shape):] != batch_shape:
        raise ValueError(f"random.categorical: shape {shape} must end with the logits' batch "
                         f"shape {batch_shape} (logits {logits.shape} without axis {axis})")
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        ax = axis - logits.ndim if axis >= 0 else axis
        gshape = list(shape[len(shape) - len(batch_shape):])
        gshape.insert(ax % logits.ndim, logits.shape[ax])
        g = _gumbel(k, (*prefix, *gshape), logits.dtype, mode)
        return jnp.argmax(g + jnp.expand_dims(logits, tuple(range(len(prefix)))), axis=ax)
    logits = logits + _gumbel(k, logits.shape, logits.dtype, mode)
    n = math.prod(prefix)
    if n > logits.shape[axis]:
        raise ValueError(f"random.categorical: number of samples without replacement ({n}) "
                         f"cannot exceed number of categories ({logits.shape[axis]}).")
    idx = _top_k_indices(jnp.moveaxis(logits, axis, -1), n)
    idx = jnp.moveaxis(idx, -1, 0)
    return jnp.reshape(idx, shape)


def _top_k_indices(x, k):
    """Indices of the k largest entries on the last axis, ties to the lower index (lax.top_k)."""
    return jnp.argsort(-x, axis=-1, stable=True)[..., :k].astype(dtypes.int32)


def _clip_to(val, dtype):
    info, vinfo = np.iinfo(dtype), np.iinfo(val.dtype)
    lo, hi = max(info.min, vinfo.min), min(info.max, vinfo.max)
    return jnp.clip(val, jnp.asarray(lo, val.dtype), jnp.asarray(hi, val.dtype)).astype(dtype)


def randint(key, shape, minval, maxval, dtype=None):
    """Integers in [minval, maxval): two words of bits per value, reduced modulo the span."""
    k = _check_key("randint", key)
    shape = _shape("randint", shape)
    dtype = dtypes.default_int(core.config.x64) if dtype is None else \
        dtypes.canonicalize(dtype, core.config.x64)
    if not dtypes.is_integer(dtype):
        raise TypeError(f"random.randint: only accepts integer dtypes, got {dtype}")
    minval, maxval = jnp.asarray(minval), jnp.asarray(maxval)
    info = np.iinfo(dtype)
    if info.bits < 32:  # sampled in 32 bits to reduce the modulo bias, then cast (as JAX does)
        lo32 = jnp.clip(minval.astype(np.int32), int(info.min), int(info.max))
        hi32 = jnp.clip(maxval.astype(np.int32), int(info.min), int(info.max) + 1)
        return randint(k, shape, lo32, hi32, np.int32).astype(dtype)
    if not dtypes.is_integer(minval.dtype):
        minval = minval.astype(dtypes.default_int(core.config.x64))
    if not dtypes.is_integer(maxval.dtype):
        maxval = maxval.astype(dtypes.default_int(core.config.x64))
    top = np.iinfo(dtype).max
    top = min(top, np.iinfo(maxval.dtype).max)
    maxval_out_of_range = maxval > jnp.asarray(top, maxval.dtype)
    minval, maxval = _clip_to(minval, dtype), _clip_to(maxval, dtype)
    nbits = np.iinfo(dtype).bits
    k1, k2 = _split(k, (2,))
    higher, lower = _random_bits(k1, nbits, shape), _random_bits(k2, nbits, shape)
    udt = _UINT[nbits]
    span = lax.convert_element_type(maxval - minval, udt)
    span = jnp.where(maxval <= minval, jnp.ones_like(span), span)
    span = jnp.where(maxval_out_of_range & (maxval > minval), span + jnp.asarray(1, udt), span)
    span = jnp.broadcast_to(span, np.broadcast_shapes(np.shape(span), shape))
    mult = lax.rem(jnp.full(span.shape, 2 ** (nbits // 2), udt), span)
    mult = lax.rem(lax.mul(mult, mult), span)
    offset = lax.add(lax.mul(lax.rem(higher, span), mult), lax.rem(lower, span))
    offset = lax.rem(offset, span)
    return jnp.reshape(minval + lax.convert_element_type(offset, dtype), shape)


def _shuffle(k, x, axis):
    rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        pair = _split(k, (2,))
        k, sub = pair[0], pair[1]
        sort_keys = _random_bits(sub, 32, tuple(x.shape))
        _, x = lax.sort_key_val(sort_keys, x, axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A shuffled copy of x along `axis` (or of arange(x) for an integer x)."""
    k = _check_key("permutation", key)
    if not np.ndim(x):
        if not isinstance(x, (int, np.integer)) and not dtypes.is_integer(jnp.asarray(x).dtype):
            raise TypeError(f"random.permutation: x must be an integer or an array, got {x!r}")
        return _shuffle(k, jnp.arange(int(x)), 0)
    x = jnp.asarray(x)
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(k, x, axis)
    ind = _shuffle(k, jnp.arange(x.shape[axis]), 0)
    return jnp.take(x, ind, axis=axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Samples from a (an int n meaning arange(n), or an array along `axis`)."""
    k = _check_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError(f"random.choice: shape argument must be a sequence, got {shape}")
    arr = jnp.asarray(a)
    if arr.ndim == 0:
        n = int(a)
    else:
        axis = axis % arr.ndim
        n = arr.shape[axis]
    draws = math.prod(shape)
    if draws == 0:
        return jnp.zeros(shape, arr.dtype)
    if n <= 0:
        raise ValueError("random.choice: a must be greater than 0 unless no samples are taken")
    if not replace and draws > n:
        raise ValueError(f"random.choice: cannot take a larger sample (size {draws}) than "
                         f"population (size {n}) when 'replace=False'")
    if p is None:
        if replace:
            ind = randint(k, shape, 0, n)
            res = ind if arr.ndim == 0 else jnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(k, n if arr.ndim == 0 else arr, axis)
            res = lax.slice_in_dim(perm, 0, draws, axis=axis if arr.ndim else 0)
    else:
        p = jnp.asarray(p)
        if not dtypes.is_inexact(p.dtype):
            p = p.astype(dtypes.default_float(core.config.x64))
        if tuple(p.shape) != (n,):
            raise ValueError("random.choice: p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {p.shape} and a.shape[axis] is {n}.")
        if replace:
            cum = jnp.cumsum(p)
            r = cum[-1] * (1 - _uniform(k, tuple(shape), cum.dtype, 0.0, 1.0))
            ind = jnp.searchsorted(cum, r).astype(dtypes.default_int(core.config.x64))
        else:
            g = _gumbel(k, (n,), p.dtype, "low" if mode is None else mode) + jnp.log(p)
            ind = _top_k_indices(g, draws).astype(dtypes.default_int(core.config.x64))
        res = ind if arr.ndim == 0 else jnp.take(arr, ind, axis=axis)
    out_shape = tuple(shape) if arr.ndim == 0 else \
        tuple(arr.shape[:axis]) + tuple(shape) + tuple(arr.shape[axis + 1:])
    return jnp.reshape(res, out_shape)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """mean + factor @ z with cov = factor factor^T (cholesky, eigh or svd)."""
    k = _check_key("multivariate_normal", key)
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError("random.multivariate_normal: method must be one of "
                         f"{{'svd', 'eigh', 'cholesky'}}, got {method!r}")
    dtype = _float_dtype("multivariate_normal", dtype)
    mean, cov = jnp.asarray(mean, dtype), jnp.asarray(cov, dtype)
    if mean.ndim < 1 or cov.ndim < 2:
        raise ValueError("random.multivariate_normal: requires mean.ndim >= 1 and cov.ndim >= 2,"
                         f" got {mean.ndim} and {cov.ndim}")
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise ValueError("random.multivariate_normal: requires cov.shape == (..., n, n) for "
                         f"n={n}, but got cov.shape == {tuple(cov.shape)}.")
    if shape is None:
        shape = np.broadcast_shapes(tuple(mean.shape[:-1]), tuple(cov.shape[:-2]))
    shape = _shape("multivariate_normal", shape)
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = jnp.linalg.cholesky(cov)
    z = _normal(k, (*shape, n), dtype)
    return mean + jnp.einsum("...ij,...j->...i", factor, z)


from .random_distributions import beta, dirichlet, gamma, loggamma, poisson  # noqa: E402
