"""Complex elementwise chains and a complex matrix product: jaxlite's jit against NumPy (and JAX
when installed). Run: python -m benchmarks.complex_chain [--n N] [--repeat R]

Each figure is the median of `repeat` calls after a warm-up (compile) call, all in one process,
so the ratios compare like with like on a shared machine. The jit columns also count the
interpreter callbacks per call (0: the whole chain is native code).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.timing import median_seconds


def transcendental(xp):
    def f(z, w):
        return xp.exp(0.5j * z) * xp.conj(w) / (z + 2) + xp.sqrt(z) * xp.log(w + 3)

    return f


def arithmetic(xp):
    def f(z, w):
        return (z * w + 2 * z - w * w) / (w + 3)

    return f


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1 << 20)
    parser.add_argument("--m", type=int, default=512, help="matrix size of the complex64 product")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)

    try:
        import jax
        import jax.numpy  # noqa: F401 - jax.numpy below
    except ImportError:
        jax = None
    r = np.random.RandomState(0)
    z = (r.randn(args.n) + 1j * r.randn(args.n)).astype(np.complex64)
    w = (r.randn(args.n) + 1j * r.randn(args.n)).astype(np.complex64)
    a = (r.randn(args.m, args.m) + 1j * r.randn(args.m, args.m)).astype(np.complex64)
    cases = [
        (f"arithmetic chain, {args.n} complex64", arithmetic, (z, w)),
        (f"exp/sqrt/log chain, {args.n} complex64", transcendental, (z, w)),
        (f"matmul {args.m}x{args.m} complex64", lambda xp: xp.matmul, (a, a)),
    ]
    for name, make, operands in cases:
        row, callbacks = _row(make, operands, args.repeat, jax)
        cells = ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in row.items())
        print(f"{name}: {cells}; jaxlite callbacks per call: {callbacks}")


def _row(make, operands, repeat, jax):
    """{library: median seconds} for one case, and jaxlite's interpreter callbacks per call."""
    import jaxlite
    import jaxlite.numpy as jnp
    from compiler import runtime

    compiled = jaxlite.jit(make(jnp))
    before = runtime.STATS["interpreter_callbacks"]
    np.asarray(compiled(*operands))
    callbacks = runtime.STATS["interpreter_callbacks"] - before
    row = {"jaxlite jit": median_seconds(lambda: np.asarray(compiled(*operands)), repeat, warmup=True)}
    row["numpy"] = median_seconds(lambda: make(np)(*operands), repeat, warmup=True)
    if jax is not None:
        jf = jax.jit(make(jax.numpy))
        row["jax jit"] = median_seconds(lambda: jf(*operands).block_until_ready(), repeat, warmup=True)
    return row, callbacks


if __name__ == "__main__":
    main()
