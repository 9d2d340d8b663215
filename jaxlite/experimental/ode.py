"""Adaptive Dormand-Prince ODE integration, differentiable by the adjoint method.

`odeint(func, y0, t, *args)` solves dy/dt = func(y, t, *args) and returns y at every time in t,
as jax.experimental.ode.odeint does. The state may be any pytree; it is flattened to one vector
for the solver. The forward pass is a `scan` over the output times whose body is a `while_loop`
of adaptive steps, so it jits and batches like any other program. Reverse mode does not
differentiate through the solver's steps (that would keep every step's state); a custom_vjp
instead integrates the adjoint system backwards in time from the last output time to the first,
so memory does not grow with the number of steps.
"""

import math

import numpy as np

from .. import core, tree_util
from .. import numpy as jnp
from ..ad_api import vjp
from ..custom_derivatives import custom_vjp
from ..lax import scan, while_loop
from ..partial_eval import eval_jaxpr, trace_to_jaxpr

__all__ = ["odeint"]


# ---------------------------------------------------------------- flattening the state

def _ravel(tree):
    """Flatten a pytree of arrays into one vector; return it and the function undoing that."""
    leaves, treedef = tree_util.tree_flatten(tree)
    leaves = [jnp.asarray(x) for x in leaves]
    shapes = [x.shape for x in leaves]
    sizes = [int(np.prod(s)) for s in shapes]
    dtype = jnp.result_type(*leaves) if leaves else jnp.float32
    flat = (jnp.concatenate([jnp.ravel(x).astype(dtype) for x in leaves]) if leaves
            else jnp.zeros((0,), dtype))
    dtypes_ = [x.dtype for x in leaves]

    def unravel(v):
        out, start = [], 0
        for shape, size, dt in zip(shapes, sizes, dtypes_, strict=True):
            # Leading axes of v (e.g. output times) are kept in front of each leaf's shape.
            out.append(jnp.reshape(v[..., start:start + size], v.shape[:-1] + shape).astype(dt))
            start += size
        return tree_util.tree_unflatten(treedef, out)

    return flat, unravel


def _closure_convert(fun, y, t, args):
    """Turn values that fun closes over and that belong to an enclosing transformation (tracers)
    into explicit arguments, so the custom_vjp sees them and returns their cotangents.

    Returns (converted(y, t, *args, *hoisted), hoisted)."""
    flat_args, args_tree = tree_util.tree_flatten(args)
    avals = [core.get_aval(x) for x in (y, t, *flat_args)]

    def flat_fun(y_, t_, *a):
        return [fun(y_, t_, *tree_util.tree_unflatten(args_tree, a))]

    closed = trace_to_jaxpr(flat_fun, avals, "odeint func")
    consts = list(closed.consts)
    is_tracer = [isinstance(c, core.Tracer) for c in consts]
    if not any(is_tracer):
        return fun, []
    hoisted = [c for c, h in zip(consts, is_tracer, strict=True) if h]
    jaxpr = closed.jaxpr

    def converted(y_, t_, *rest):
        a, h = rest[:len(rest) - len(hoisted)], list(rest[len(rest) - len(hoisted):])
        it = iter(h)
        cs = [next(it) if flag else c for c, flag in zip(consts, is_tracer, strict=True)]
        flat_a = tree_util.tree_leaves(a)
        return eval_jaxpr(jaxpr, cs, y_, t_, *flat_a)[0]

    return converted, hoisted


# ---------------------------------------------------------------- public entry point

def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=math.inf, hmax=math.inf):
    """Solve dy/dt = func(y, t, *args) from y(t[0]) = y0; return y at each time in t.

    func: callable (y, t, *args) -> dy/dt with the structure of y0.
    y0: pytree of float arrays, the state at t[0].
    t: 1-D increasing array of times; the output's leading axis runs over it.
    args: pytrees of float arrays passed to func; gradients flow to them, to y0 and to t.
    rtol, atol: local error tolerances; mxstep: most steps between two output times;
    hmax: largest step size.
    """
    for i, arg in enumerate(args):
        for path, leaf in tree_util.tree_flatten_with_path(arg)[0]:
            if not (isinstance(leaf, core.Tracer) or hasattr(leaf, "dtype")
                    or isinstance(leaf, (float, int, complex))):
                raise TypeError(
                    f"odeint: the extra arguments *args must be pytrees of arrays, but argument "
                    f"{i}{tree_util.keystr(path)} is {leaf!r} of type {type(leaf).__name__}. "
                    f"Bind non-array values into func with a closure or functools.partial "
                    f"instead.")
    t = jnp.asarray(t)
    if t.ndim != 1:
        raise ValueError(f"odeint: t must be a 1-D array of times, got shape {t.shape}.")
    y0_flat, unravel = _ravel(y0)
    if not jnp.issubdtype(y0_flat.dtype, jnp.inexact):
        raise TypeError(f"odeint: y0 must hold floating-point arrays, got dtype "
                        f"{y0_flat.dtype}.")
    t = t.astype(y0_flat.dtype) if not jnp.issubdtype(t.dtype, jnp.inexact) else t

    def flat_func(y, t_, *a):
        return _ravel(func(unravel(y), t_, *a))[0]

    conv, hoisted = _closure_convert(flat_func, y0_flat, t[0], args)
    ys = _odeint(conv, rtol, atol, mxstep, hmax, y0_flat, t, *args, *hoisted)
    return unravel(ys)


# ---------------------------------------------------------------- Dormand-Prince pieces

# Butcher tableau of the Dormand-Prince 5(4) pair.
_ALPHA = [1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
_BETA = [
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_C_SOL = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0]
# Difference between the 5th- and 4th-order solutions: the local error estimate.
_C_ERR = [35 / 384 - 1951 / 21600, 0.0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
          -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1 / 60]
# Weights giving the solution at the middle of a step, for dense output.
_C_MID = [6025192743 / 30085553152 / 2, 0.0, 51252292925 / 65400821598 / 2,
          -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
          -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2]


def _combine(weights, ks):
    """sum_i w_i k_i, skipping zero weights (written out so it needs no dot of a stack)."""
    out = None
    for w, k in zip(weights, ks):
        if w != 0.0:
            out = w * k if out is None else out + w * k
    return out if out is not None else jnp.zeros_like(ks[0])


def _rk_step(func, y0, f0, t0, dt):
    ks = [f0]
    for alpha, beta in zip(_ALPHA, _BETA):
        yi = y0 + dt * _combine(beta, ks)
        ks.append(func(yi, t0 + dt * alpha))
    y1 = y0 + dt * _combine(_C_SOL, ks)
    err = dt * _combine(_C_ERR, ks)
    return y1, ks[-1], err, ks


def _interp_fit(y0, y1, ks, dt):
    """Coefficients (highest power first) of the quartic through the step for dense output."""
    y_mid = y0 + dt * _combine(_C_MID, ks)
    dy0, dy1 = ks[0], ks[-1]
    a = -2 * dt * dy0 + 2 * dt * dy1 - 8 * y0 - 8 * y1 + 16 * y_mid
    b = 5 * dt * dy0 - 3 * dt * dy1 + 18 * y0 + 14 * y1 - 32 * y_mid
    c = -4 * dt * dy0 + dt * dy1 - 11 * y0 - 5 * y1 + 16 * y_mid
    return jnp.stack([a, b, c, dt * dy0, y0])


def _interp_eval(coeffs, s):
    out = coeffs[0]
    for i in range(1, 5):
        out = out * s + coeffs[i]
    return out


def _norm(x):
    return jnp.sqrt(jnp.mean(x * x))


def _initial_step(func, t0, y0, order, rtol, atol, f0):
    # The usual heuristic (Hairer, Norsett & Wanner, II.4): one explicit Euler probe step.
    scale = atol + jnp.abs(y0) * rtol
    d0, d1 = _norm(y0 / scale), _norm(f0 / scale)
    h0 = jnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1)
    f1 = func(y0 + h0 * f0, t0 + h0)
    d2 = _norm((f1 - f0) / scale) / h0
    h1 = jnp.where((d1 <= 1e-15) & (d2 <= 1e-15), jnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / jnp.maximum(d1, d2)) ** (1.0 / (order + 1.0)))
    return jnp.minimum(100 * h0, h1)


def _error_ratio(err, rtol, atol, y0, y1):
    tol = atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
    r = err / tol
    return jnp.mean(r * r)


def _next_step(dt, ratio, safety=0.9, ifactor=10.0, dfactor=0.2, order=5.0):
    dfactor = jnp.where(ratio < 1, 1.0, dfactor)
    factor = jnp.minimum(jnp.sqrt(ratio) ** (1 / order) / safety, 1 / dfactor)
    factor = jnp.maximum(1 / ifactor, factor)
    return jnp.where(ratio == 0, dt * ifactor, dt / factor)


def _solve(func, rtol, atol, mxstep, hmax, y0, ts, *args):
    def f(y, t):
        return func(y, t, *args)

    def to_output_time(carry, target_t):
        def keep_going(state):
            i, _, _, t, dt, _, _ = state
            return (t < target_t) & (i < mxstep) & (dt > 0)

        def step(state):
            i, y, fy, t, dt, last_t, coeffs = state
            y1, f1, err, ks = _rk_step(f, y, fy, t, dt)
            ratio = _error_ratio(err, rtol, atol, y, y1)
            new_coeffs = _interp_fit(y, y1, ks, dt)
            new_dt = jnp.clip(_next_step(dt, ratio), 0.0, hmax)
            accept = ratio <= 1.0
            # A rejected step keeps the state and only shrinks dt.
            new = (y1, f1, t + dt, t, new_coeffs)
            old = (y, fy, t, last_t, coeffs)
            kept = tuple(jnp.where(accept, n, o) for n, o in zip(new, old, strict=True))
            return (i + 1, kept[0], kept[1], kept[2], new_dt, kept[3], kept[4])

        _, *rest = while_loop(keep_going, step, (0, *carry))
        _, _, t, _, last_t, coeffs = rest
        s = (target_t - last_t) / (t - last_t)
        return tuple(rest), _interp_eval(coeffs, s)

    f0 = f(y0, ts[0])
    dt = jnp.clip(_initial_step(f, ts[0], y0, 4, rtol, atol, f0), 0.0, hmax)
    coeffs = jnp.stack([y0] * 5)
    init = (y0, f0, ts[0], dt, ts[0], coeffs)
    _, ys = scan(to_output_time, init, ts[1:])
    return jnp.concatenate([y0[None], ys])


_odeint = custom_vjp(_solve, nondiff_argnums=(0, 1, 2, 3, 4))


def _odeint_fwd(func, rtol, atol, mxstep, hmax, y0, ts, *args):
    ys = _solve(func, rtol, atol, mxstep, hmax, y0, ts, *args)
    return ys, (ys, ts, args)


def _odeint_bwd(func, rtol, atol, mxstep, hmax, res, g):
    """Integrate the adjoint state a(t) = dL/dy(t) backwards from t[-1] to t[0]:
    da/dt = -a^T df/dy, and accumulate dL/dargs = integral of a^T df/dargs, together with
    y itself (re-solved backwards, so no forward step is stored). Time is negated so the
    backward solve runs over increasing times like the forward one."""
    ys, ts, args = res

    def aug_dynamics(state, s, *a):
        y, y_bar = state[0], state[1]
        y_dot, pullback = vjp(func, y, -s, *a)
        return (-y_dot, *pullback(y_bar))

    def between_outputs(carry, i):
        y_bar, t0_bar, args_bar = carry
        # Direct dependence of the loss on the output time t[i].
        t_bar = jnp.sum(func(ys[i], ts[i], *args) * g[i])
        t0_bar = t0_bar - t_bar
        state = (ys[i], y_bar, t0_bar, args_bar)
        _, y_bar, t0_bar, args_bar = odeint(
            aug_dynamics, state, -jnp.stack([ts[i], ts[i - 1]]), *args,
            rtol=rtol, atol=atol, mxstep=mxstep, hmax=hmax)
        y_bar, t0_bar, args_bar = tree_util.tree_map(lambda x: x[1], (y_bar, t0_bar, args_bar))
        return (y_bar + g[i - 1], t0_bar, args_bar), t_bar

    init = (g[-1], jnp.zeros((), ts.dtype), tree_util.tree_map(jnp.zeros_like, args))
    idx = jnp.arange(ts.shape[0] - 1, 0, -1)
    (y_bar, t0_bar, args_bar), rev_ts_bar = scan(between_outputs, init, idx)
    ts_bar = jnp.concatenate([t0_bar[None], rev_ts_bar[::-1]])
    return (y_bar, ts_bar, *args_bar)


_odeint.defvjp(_odeint_fwd, _odeint_bwd)
