"""jaxlite.test_util.check_grads, as jax.test_util.check_grads.

Forward mode is checked against central differences of f along a random tangent; reverse mode by
the inner-product identity <ct, J t> == <J^T ct, t>, with J t from central differences. Higher
orders check the jvp (as a function of primals and tangents) and the vjp (applied to the
primal output) the same way, recursively.
"""

from __future__ import annotations

import functools

import numpy as np

from compiler import dtypes

from . import tree_util
from .ad_api import jvp, vjp

EPS = 1e-4

_default_tolerance = {
    np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
    np.dtype(np.complex64): 1e-3, np.dtype(np.complex128): 1e-5,
}


def _tol(dtype, tol):
    if tol is None:
        return _default_tolerance.get(np.dtype(dtype), 0)
    if isinstance(tol, dict):
        return {np.dtype(k): v for k, v in tol.items()}.get(np.dtype(dtype), _tol(dtype, None))
    return tol


def _np(x):
    return np.asarray(x)


def _dtype(x):
    if isinstance(x, (bool, int, float, complex)):
        from .core import get_aval

        return get_aval(x).dtype
    return np.asarray(x).dtype


def _check_close(xs, ys, atol, rtol, err_msg):
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    y_leaves, y_tree = tree_util.tree_flatten(ys)
    assert x_tree == y_tree, f"{err_msg}: tree structures differ: {x_tree} vs {y_tree}"
    for x, y in zip(x_leaves, y_leaves, strict=True):
        x, y = _np(x), _np(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        a = max(_tol(x.dtype, atol), _tol(y.dtype, atol))
        r = max(_tol(x.dtype, rtol), _tol(y.dtype, rtol))
        # As JAX: the tolerances scale with the number of elements.
        np.testing.assert_allclose(x.astype(np.result_type(x, y)), y, atol=a * max(x.size, 1),
                                   rtol=r * max(y.size, 1), err_msg=err_msg)


def _inexact(x):
    return dtypes.is_inexact(_dtype(x))


def _rand_like(rng, x):
    dt, shape = _dtype(x), np.shape(x)
    if not dtypes.is_inexact(dt):
        return np.zeros(shape, dtypes.float0)
    v = rng.standard_normal(shape)
    if dtypes.is_complex(dt):
        v = v + 1j * rng.standard_normal(shape)
    return np.asarray(v, dt)


def _axpy(a, t, x):
    """x + a t, leafwise, in x's dtype (integer leaves untouched)."""
    return tree_util.tree_map(
        lambda x, t: np.asarray(_np(x) + a * _np(t), _dtype(x)) if _inexact(x) else x, x, t)


def _safe_sub(x, y):
    x, y = _np(x), _np(y)
    if x.dtype == dtypes.float0:
        return x
    with np.errstate(invalid="ignore"):
        return np.where(x == y, np.zeros((), x.dtype), x - y)  # inf - inf is 0 here


def numerical_jvp(f, primals, tangents, eps=EPS):
    """The JVP of `f` at `primals` along `tangents` by central differences with step `eps`."""
    f_pos = f(*_axpy(eps, tangents, primals))
    f_neg = f(*_axpy(-eps, tangents, primals))
    return tree_util.tree_map(lambda p, n: np.asarray(_safe_sub(p, n) * (0.5 / eps), _np(p).dtype)
                              if _np(p).dtype != dtypes.float0 else _np(p), f_pos, f_neg)


def _inner(xs, ys):
    total = 0.0
    for x, y in zip(tree_util.tree_leaves(xs), tree_util.tree_leaves(ys), strict=True):
        x, y = _np(x), _np(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        total += np.real(np.vdot(x.reshape(-1), y.reshape(-1)))
    return total


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg="", rng=None):
    """Assert that `f_jvp` agrees with central differences of `f` at `args`."""
    rng = rng or np.random.default_rng(0)
    tangent = tree_util.tree_map(functools.partial(_rand_like, rng), args)
    v_out, t_out = f_jvp(args, tangent)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal" if err_msg else "primal")
    expected = numerical_jvp(f, args, tangent, eps)
    _check_close(t_out, expected, atol, rtol, f"{err_msg} tangent" if err_msg else "tangent")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg="", rng=None):
    """Assert that `f_vjp` agrees with `f`'s JVP by the inner-product test <ct, J t> == <J^T ct, t>."""
    rng = rng or np.random.default_rng(1)
    v_out, vjpfun = f_vjp(*args)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal" if err_msg else "primal")
    tangent = tree_util.tree_map(functools.partial(_rand_like, rng), args)
    t_out = numerical_jvp(f, args, tangent, eps)
    cotangent = tree_util.tree_map(functools.partial(_rand_like, rng), v_out)
    ct_in = vjpfun(cotangent)
    ip = _inner(tangent, ct_in)
    ip_expected = _inner(t_out, cotangent)
    dt = np.result_type(*[_dtype(x) for x in tree_util.tree_leaves(args) if _inexact(x)] or [np.float64])
    a, r = _tol(dt, atol), _tol(dt, rtol)
    msg = f"{err_msg} inner product" if err_msg else "VJP inner product"
    np.testing.assert_allclose(ip, ip_expected, atol=a, rtol=r, err_msg=msg)


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check f's derivatives to `order` in forward ("fwd") and reverse ("rev") mode."""
    args = tuple(args)
    eps = eps or EPS

    def _check(f, args, order, err_msg=""):
        if "fwd" in modes:
            msg = f"JVP of {err_msg}" if err_msg else "JVP"
            check_jvp(f, functools.partial(jvp, f), args, atol, rtol, eps, msg)
            if order > 1:
                _check(functools.partial(jvp, f), (args, args), order - 1, msg)
        if "rev" in modes:
            msg = f"VJP of {err_msg}" if err_msg else "VJP"
            check_vjp(f, functools.partial(vjp, f), args, atol, rtol, eps, msg)
            if order > 1:
                def f_vjp(*primals):
                    out, pullback = vjp(f, *primals)
                    return pullback(out)

                _check(f_vjp, args, order - 1, msg)

    _check(f, args, order)
