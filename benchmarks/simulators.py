"""Differentiable simulators stepped with scan (control-flow issue): jaxlite against JAX (jit)
and Numba (@njit plain loops, forward only), each optional.

Run: python -m benchmarks.simulators [--repeat N] [--json PATH]
  8. 1D heat equation, N=1024 float32, 1000 explicit steps (periodic Laplacian via roll):
     forward, and the gradient of a final-state loss sum(u_T^2) w.r.t. the initial condition
     and the diffusion number.
  9. n-body, N=64 bodies in 3D float32 (positions as (3, N)), 1000 velocity-Verlet steps, pairwise gravitational
     forces with softening: forward, and the gradient of the final kinetic + potential-like
     loss w.r.t. the initial positions and velocities.
Medians of repeated calls in one process (compile times, first call minus a steady call,
apart). The machine is shared and noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .timing import median_seconds

HEAT_N, HEAT_STEPS = 1024, 1000
NBODY_N, NBODY_STEPS, DT, SOFT2 = 64, 1000, 1e-3, 0.01


# ---- the programs, written once against a (numpy-like, scan) pair -----------------------------


def heat(xp, scan):
    def simulate(u0, r):
        def step(u, _):
            return u + r * (xp.roll(u, 1) - 2.0 * u + xp.roll(u, -1)), None

        u, _ = scan(step, u0, None, length=HEAT_STEPS)
        return u

    def loss(u0, r):
        u = simulate(u0, r)
        return xp.sum(u * u)

    return simulate, loss


def nbody(xp, scan):
    def accel(x, m):  # x: (3, N), coordinates first (rows of N contiguous values)
        d = x[:, None, :] - x[:, :, None]  # d[k, i, j] = x[k, j] - x[k, i]
        r2 = xp.sum(d * d, axis=0) + SOFT2
        inv3 = m[None, :] / (r2 * xp.sqrt(r2))
        return xp.sum(d * inv3[None, :, :], axis=2)

    def simulate(x0, v0, m):
        def step(c, _):
            x, v, a = c
            v = v + (0.5 * DT) * a
            x = x + DT * v
            a = accel(x, m)
            v = v + (0.5 * DT) * a
            return (x, v, a), None

        (x, v, _), _ = scan(step, (x0, v0, accel(x0, m)), None, length=NBODY_STEPS)
        return x, v

    def loss(x0, v0, m):
        x, v = simulate(x0, v0, m)
        return xp.sum(v * v) + 0.1 * xp.sum(x * x)

    return simulate, loss


def _inputs():
    rng = np.random.RandomState(0)
    u0 = np.exp(-((np.arange(HEAT_N) - HEAT_N / 2) ** 2) / 2000.0).astype(np.float32)
    u0 += 0.01 * rng.randn(HEAT_N).astype(np.float32)
    r = np.float32(0.25)
    x0 = rng.randn(3, NBODY_N).astype(np.float32)
    v0 = (0.1 * rng.randn(3, NBODY_N)).astype(np.float32)
    m = rng.uniform(0.5, 1.5, NBODY_N).astype(np.float32) / NBODY_N
    return {"heat": (u0, r), "nbody": (x0, v0, m)}


# ---- Numba: plain loops -------------------------------------------------------------------------


def _numba_programs():
    import numba

    @numba.njit(cache=False, fastmath=False)
    def heat_nb(u0, r):
        n = u0.shape[0]
        u, new = u0.copy(), np.empty_like(u0)
        two = np.float32(2.0)
        for _ in range(HEAT_STEPS):
            new[0] = u[0] + r * (u[n - 1] - two * u[0] + u[1])
            for i in range(1, n - 1):  # no modulo inside: the loop vectorises
                new[i] = u[i] + r * (u[i - 1] - two * u[i] + u[i + 1])
            new[n - 1] = u[n - 1] + r * (u[n - 2] - two * u[n - 1] + u[0])
            u, new = new, u
        return u

    @numba.njit(cache=False, fastmath=False)
    def accel_nb(x, m, a):
        n = x.shape[1]
        for i in range(n):
            ax = ay = az = np.float32(0.0)
            for j in range(n):
                dx, dy, dz = x[0, j] - x[0, i], x[1, j] - x[1, i], x[2, j] - x[2, i]
                r2 = dx * dx + dy * dy + dz * dz + np.float32(SOFT2)
                s = m[j] / (r2 * np.sqrt(r2))
                ax += dx * s
                ay += dy * s
                az += dz * s
            a[0, i], a[1, i], a[2, i] = ax, ay, az

    @numba.njit(cache=False, fastmath=False)
    def nbody_nb(x0, v0, m):
        x, v, a = x0.copy(), v0.copy(), np.empty_like(x0)
        h = np.float32(0.5 * DT)
        accel_nb(x, m, a)
        for _ in range(NBODY_STEPS):
            v += h * a
            x += np.float32(DT) * v
            accel_nb(x, m, a)
            v += h * a
        return x, v

    return heat_nb, nbody_nb


# ---- timing -------------------------------------------------------------------------------------


def _measure(f, args, block, repeat):
    t0 = time.perf_counter()
    out = block(f(*args))
    first = time.perf_counter() - t0
    steady = median_seconds(lambda: block(f(*args)), repeat)
    return {"median_ms": steady * 1e3, "compile_ms": max(0.0, first - steady) * 1e3}, out


def _frameworks():
    import jaxlite
    import jaxlite.numpy as jnp
    from jaxlite.ad_api import grad
    from jaxlite.control_flow import scan
    from jaxlite.jit import jit

    def block_jl(r):
        for leaf in r if isinstance(r, tuple) else (r,):
            leaf.block_until_ready()
        return r

    fws = {"jaxlite": (jnp, scan, jit, grad, jaxlite.device_put, block_jl)}
    try:
        import jax
        import jax.numpy as jjnp

        jax.config.update("jax_platforms", "cpu")
        fws["jax"] = (jjnp, jax.lax.scan, jax.jit, jax.grad, jax.device_put, jax.block_until_ready)
    except ImportError:
        print("note: JAX is not installed; its column is skipped")
    return fws


def run(repeat=15):
    inputs = _inputs()
    results, outs = {}, {}
    for lib, (xp, scan, jit, grad, put, block) in _frameworks().items():
        for name, make, key, argnums in (
            ("8 heat 1D", heat, "heat", (0, 1)),
            ("9 n-body", nbody, "nbody", (0, 1)),
        ):
            simulate, loss = make(xp, scan)
            args = tuple(put(a) for a in inputs[key])
            res, out = _measure(jit(simulate), args, block, repeat)
            results.setdefault(f"{name} forward", {})[lib] = res
            outs[(name, "fwd", lib)] = out
            res, out = _measure(jit(grad(loss, argnums=argnums)), args, block, repeat)
            results.setdefault(f"{name} grad", {})[lib] = res
            outs[(name, "grad", lib)] = out
    try:
        heat_nb, nbody_nb = _numba_programs()
        for name, f, key in (("8 heat 1D", heat_nb, "heat"), ("9 n-body", nbody_nb, "nbody")):
            res, out = _measure(f, inputs[key], lambda r: r, repeat)
            results[f"{name} forward"]["numba"] = res
            outs[(name, "fwd", "numba")] = out
    except ImportError:
        print("note: Numba is not installed; its column is skipped")
    _check(outs)
    return results


def _check(outs):
    """The timed programs must agree: jaxlite against JAX and Numba (float32 over 1000 steps)."""
    for (name, kind, lib), out in outs.items():
        if lib == "jaxlite":
            continue
        mine = outs[(name, kind, "jaxlite")]
        for a, b in zip(mine if isinstance(mine, tuple) else (mine,), out if isinstance(out, tuple) else (out,)):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            scale = max(1e-30, float(np.max(np.abs(b))))
            err = float(np.max(np.abs(a - b))) / scale
            if err > 2e-3:
                raise AssertionError(f"{name} {kind}: jaxlite and {lib} differ (max rel. error {err:.2e})")


def _table(results):
    lines = []
    for name, by_lib in results.items():
        cells = [f"{lib} {r['median_ms']:.3f} ms (compile {r['compile_ms']:.0f} ms)" for lib, r in by_lib.items()]
        jl = by_lib["jaxlite"]["median_ms"]
        ratios = [f"jaxlite/{lib} {jl / r['median_ms']:.2f}x" for lib, r in by_lib.items() if lib != "jaxlite"]
        lines.append(f"{name}: " + "; ".join(cells) + " | " + "; ".join(ratios))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    results = run(args.repeat)
    print(_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
