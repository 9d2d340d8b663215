"""jax.nn.dot_product_attention, log1mexp and logmeanexp, written on jnp."""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp

from ..numpy._util import promote_dtypes_inexact
from ..scipy.special import logsumexp

__all__ = ["dot_product_attention", "log1mexp", "logmeanexp"]


def log1mexp(x):
    """log(1 - exp(-x)) for x > 0, accurate for small and large x (expm1 below log 2)."""
    (x,) = promote_dtypes_inexact(jnp.asarray(x))
    return jnp.where(x < np.log(2.0), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(exp(x))) along axis, computed stably (logsumexp - log n)."""
    x = jnp.asarray(x)
    if where is None:
        n = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    else:
        n = jnp.sum(jnp.broadcast_to(where, x.shape), axis=axis, keepdims=keepdims)
    return logsumexp(x, axis=axis, keepdims=keepdims, where=where) - jnp.log(n)


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None,
                          local_window_size=None, implementation=None):
    """softmax(Q K^T * scale + bias, masked) V, with JAX's layout: query (B, T, N, H), key and
    value (B, S, K, H) with N a multiple of K (grouped-query attention); B may be left out.

    `implementation` is accepted for compatibility: jaxlite has one (the plain XLA-style) path."""
    if implementation not in (None, "xla"):
        raise ValueError(f"jaxlite.nn.dot_product_attention: implementation={implementation!r} is "
                         "not available; use None or 'xla'")
    q, k, v = jnp.asarray(query), jnp.asarray(key), jnp.asarray(value)
    unbatched = q.ndim == 3
    if unbatched:
        q, k, v = q[None], k[None], v[None]
    if q.ndim != 4 or k.shape != v.shape or k.ndim != 4:
        raise ValueError(f"jaxlite.nn.dot_product_attention: query must be (B, T, N, H) and key, "
                         f"value (B, S, K, H) alike; got {query.shape}, {key.shape}, {value.shape}")
    B, T, N, H = q.shape
    S, K = k.shape[1], k.shape[2]
    if N % K or k.shape[0] != B or k.shape[3] != H:
        raise ValueError(f"jaxlite.nn.dot_product_attention: key/value shape {key.shape} does not fit "
                         f"query shape {query.shape} (heads N={N} must be a multiple of K={K})")
    if N != K:
        k, v = jnp.repeat(k, N // K, axis=2), jnp.repeat(v, N // K, axis=2)
    scale = 1.0 / np.sqrt(H) if scale is None else scale
    logits = jnp.einsum("btnh,bsnh->bnts", q, k) * jnp.asarray(scale, q.dtype)
    if bias is not None:
        bias = jnp.asarray(bias)
        logits = logits + (bias[None] if unbatched and bias.ndim == 3 else bias).astype(logits.dtype)
    keep = jnp.ones((1, 1, T, S), bool)
    if mask is not None:
        mask = jnp.asarray(mask, dtype=bool)
        keep = keep & (mask[None] if unbatched and mask.ndim == 3 else mask)
    t = jnp.arange(T)[:, None]
    s = jnp.arange(S)[None, :]
    if is_causal:
        keep = keep & (s <= t)
    if local_window_size is not None:
        left, right = ((local_window_size, local_window_size) if np.ndim(local_window_size) == 0
                       else local_window_size)
        keep = keep & (s >= t - left) & (s <= t + right)
    if query_seq_lengths is not None:
        keep = keep & (t[None, None] < jnp.asarray(query_seq_lengths)[:, None, None, None])
    if key_value_seq_lengths is not None:
        keep = keep & (s[None, None] < jnp.asarray(key_value_seq_lengths)[:, None, None, None])
    # A large negative rather than -inf, as JAX: a fully masked row gives a uniform average.
    big_neg = jnp.asarray(np.finfo(logits.dtype).min * 0.7, logits.dtype)
    logits = jnp.where(keep, logits, big_neg)
    weights = jnp.exp(logits - jnp.max(logits, axis=-1, keepdims=True))
    weights = weights / jnp.sum(weights, axis=-1, keepdims=True)
    out = jnp.einsum("bnts,bsnh->btnh", weights.astype(v.dtype), v)
    if query_seq_lengths is not None:  # as JAX: padded query positions give zeros
        valid = jnp.arange(T)[None, :] < jnp.asarray(query_seq_lengths)[:, None]
        out = jnp.where(valid[:, :, None, None], out, jnp.zeros((), out.dtype))
    return out[0] if unbatched else out
