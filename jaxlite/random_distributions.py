"""Samplers built on rejection loops: gamma (and loggamma, beta, dirichlet) and poisson.

They consume keys exactly as JAX does (one key per gamma element, split from the caller's key;
Poisson's loops split a key per round), so they follow JAX's streams; gamma, loggamma, beta and
dirichlet are bit-identical to JAX in float32 and float64 (XLA's log/exp/pow/rsqrt, FMA
contractions and row-sum order reproduced; see `jaxlite.random`'s docstring). Unlike JAX, gamma has
no implicit-reparameterisation gradient with respect to `a` yet.
"""

from __future__ import annotations

import math

import numpy as np

from compiler import dtypes

from . import core, lax
from . import numpy as jnp
from . import random_xla_math as xla_math
from .random_xla_reduce import xla_normalise


def _R():
    from . import random

    return random


def _gamma_one(k, alpha, log_space):
    """Marsaglia and Tsang's squeeze-and-reject method for one scalar alpha; alpha < 1 is
    boosted to alpha + 1 and multiplied by U ** (1 / alpha)."""
    from .control_flow import while_loop

    R = _R()
    dtype = alpha.dtype
    c0 = lambda v: jnp.asarray(v, dtype)  # noqa: E731
    fma = xla_math.fma
    zero, one = c0(0.0), c0(1.0)
    boost_mask = alpha >= one
    alpha_orig = alpha
    alpha = jnp.where(boost_mask, alpha, alpha + one)
    d = alpha - c0(1.0 / 3.0)
    c = c0(1.0 / 3.0) * xla_math.rsqrt(d)  # XLA rewrites a / sqrt(d) into a * rsqrt(d)

    def cond_fn(state):
        _, X, V, U = state
        # XLA contracts these multiply-adds into FMAs; float32 reproduces that rounding
        squeeze = U >= fma(c0(-0.0331), X * X, one)
        return squeeze & (R._log(U) >= fma(X, c0(0.5), d * ((one - V) + R._log(V))))

    def next_xv(state):
        kk = state[0]
        pair = R._split(kk, (2,))
        x = R._normal(pair[1], (), dtype)
        return pair[0], x, fma(x, c, one)

    def body_fn(state):
        keys = R._split(state[0], (3,))
        _, x, v = while_loop(lambda s: s[2] <= zero, next_xv, (keys[1], zero, c0(-1.0)))
        return keys[0], x * x, (v * v) * v, R._uniform(keys[2], (), dtype, 0.0, 1.0)

    pair = R._split(k, (2,))
    _, _, V, _ = while_loop(cond_fn, body_fn, (pair[0], zero, one, c0(2.0)))
    if log_space:
        log_samples = -R.exponential(pair[1], (), dtype)
        log_boost = jnp.where(boost_mask | (log_samples == zero), zero, log_samples * (one / alpha_orig))
        return (R._log(d) + R._log(V)) + log_boost
    samples = one - R._uniform(pair[1], (), dtype, 0.0, 1.0)
    # XLA calls glibc's powf / pow here
    boost = jnp.where(boost_mask, one, xla_math.pow(samples, one / alpha_orig))
    return (d * V) * boost


def _gamma(name, key, a, shape, dtype, log_space):
    from .batching import vmap

    R = _R()
    k = R._check_key(name, key)
    dtype = R._float_dtype(name, dtype)
    a = lax.convert_element_type(jnp.asarray(a), dtype)
    shape = tuple(np.shape(a)) if shape is None else R._shape(name, shape)
    if tuple(a.shape) != shape:
        a = jnp.broadcast_to(a, shape)
    n = math.prod(shape)
    keys = R._split(k, (n,))
    samples = vmap(lambda kk, aa: _gamma_one(kk, aa, log_space))(keys, jnp.reshape(a, (n,)))
    return jnp.reshape(samples, shape)


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) draws (Marsaglia-Tsang), one key per element as in JAX."""
    return _gamma("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """log of Gamma(a, 1) draws, computed in log space (accurate for small a)."""
    return _gamma("loggamma", key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) as Ga / (Ga + Gb), from log-gamma draws rescaled by their maximum."""
    R = _R()
    k = R._check_key("beta", key)
    dtype = R._float_dtype("beta", dtype)
    shape = np.broadcast_shapes(np.shape(a), np.shape(b)) if shape is None else R._shape("beta", shape)
    a = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(a), dtype), shape)
    b = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(b), dtype), shape)
    pair = R._split(k, (2,))
    log_a = loggamma(pair[0], a, shape, dtype)
    log_b = loggamma(pair[1], b, shape, dtype)
    top = lax.max(log_a, log_b)
    ga, gb = R._exp(log_a - top), R._exp(log_b - top)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) over the last axis: a softmax of log-gamma draws."""
    R = _R()
    k = R._check_key("dirichlet", key)
    if np.ndim(alpha) < 1:
        raise ValueError(f"random.dirichlet: requires alpha.ndim >= 1, got {np.ndim(alpha)}")
    dtype = R._float_dtype("dirichlet", dtype)
    alpha = lax.convert_element_type(jnp.asarray(alpha), dtype)
    shape = tuple(alpha.shape[:-1]) if shape is None else R._shape("dirichlet", shape)
    logs = loggamma(k, alpha, (*shape, alpha.shape[-1]), dtype)
    logs = logs - lax.stop_gradient(jnp.max(logs, axis=-1, keepdims=True))
    # the row sum in XLA CPU's association order, then a multiply by its reciprocal
    return xla_normalise(R._exp(logs))


def _poisson_knuth(k, lam, shape, dtype, max_iters):
    """Count uniforms until their product drops below exp(-lam); all elements step together."""
    from .control_flow import while_loop

    R = _R()

    def body_fn(carry):
        i, n, kk, log_prod = carry
        pair = R._split(kk, (2,))
        n = jnp.where(log_prod > -lam, n + 1, n)
        u = R._uniform(pair[1], shape, np.dtype(np.float32), 0.0, 1.0)
        return i + 1, n, pair[0], log_prod + jnp.log(u)

    def cond_fn(carry):
        i, _, _, log_prod = carry
        return jnp.any(log_prod > -lam) & (i < max_iters)

    init = (jnp.asarray(0, np.int32), jnp.zeros(shape, dtype), k, jnp.zeros(shape, np.float32))
    n = while_loop(cond_fn, body_fn, init)[1]
    return (n - 1).astype(dtype)


def _poisson_rejection(k, lam, shape, dtype, max_iters):
    """Hormann's transformed rejection (PTRS) for large rates."""
    from .control_flow import while_loop

    R = _R()
    log_lam = lax.log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body_fn(carry):
        i, k_out, accepted, kk = carry
        keys = R._split(kk, (3,))
        u = R._uniform(keys[1], shape, lam.dtype, 0.0, 1.0) - 0.5
        v = R._uniform(keys[2], shape, lam.dtype, 0.0, 1.0)
        us = 0.5 - jnp.abs(u)
        n = lax.floor((2 * a / us + b) * u + lam + 0.43)
        s = lax.log(v * inv_alpha / (a / (us * us) + b))
        t = -lam + n * log_lam - lax.lgamma(n + 1)
        accept1 = (us >= 0.07) & (v <= v_r)
        reject = (n < 0) | ((us < 0.013) & (v > us))
        accept = accept1 | (~reject & (s <= t))
        return i + 1, jnp.where(accept, n, k_out), accepted | accept, keys[0]

    def cond_fn(carry):
        i, _, accepted, _ = carry
        return jnp.any(~accepted) & (i < max_iters)

    init = (jnp.asarray(0, np.int32), jnp.full(shape, -1, lam.dtype),
            jnp.zeros(shape, bool), k)
    return while_loop(cond_fn, body_fn, init)[1].astype(dtype)


def poisson(key, lam, shape=None, dtype=None):
    """Poisson(lam) counts: Knuth's method for lam < 10, transformed rejection above."""
    R = _R()
    k = R._check_key("poisson", key)
    dtype = dtypes.default_int(core.config.x64) if dtype is None else \
        dtypes.canonicalize(dtype, core.config.x64)
    if not dtypes.is_integer(dtype):
        raise TypeError(f"random.poisson: dtype must be an integer dtype, got {dtype}")
    lam = jnp.asarray(lam)
    if not dtypes.is_float(lam.dtype):
        lam = lam.astype(np.float32)
    shape = tuple(np.shape(lam)) if shape is None else R._shape("poisson", shape)
    lam = jnp.broadcast_to(lam.astype(np.float32), shape)
    max_iters = min(int(np.iinfo(dtype).max), 2**31 - 1)  # a counter of int32 steps
    use_knuth = jnp.isnan(lam) | (lam < 10)
    lam_knuth = jnp.where(use_knuth, lam, jnp.zeros_like(lam))
    lam_rej = jnp.where(use_knuth, jnp.full_like(lam, 1e5), lam)
    out = jnp.where(use_knuth, _poisson_knuth(k, lam_knuth, shape, dtype, max_iters),
                    _poisson_rejection(k, lam_rej, shape, dtype, max_iters))
    return jnp.where(lam == 0, jnp.zeros_like(out), out)
