"""Regenerate tests/random_fixtures.py from real JAX (run by hand: python tests/_gen_random_fixtures.py).

Values are stored as the integers of their bit patterns, so float fixtures are exact."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.random as R  # noqa: E402
from _random_cases import CASES, ORIGINAL_LAYOUT_CASES, SEEDS  # noqa: E402

_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def encode(a):
    a = np.asarray(a)
    bits = a.reshape(-1).view(_UINT[a.dtype.itemsize]) if a.dtype != bool else a.reshape(-1)
    return (str(a.dtype), a.shape, [int(b) for b in bits])


def main():
    lines = ['"""JAX 0.10.2 outputs for tests/_random_cases.py (generated; do not edit)."""', "",
             "# (expression, x64, partitionable, seed) -> (dtype, shape, bit patterns)",
             "FIXTURES = {"]
    for x64 in (False, True):
        jax.config.update("jax_enable_x64", x64)
        dt = jnp.float64 if x64 else jnp.float32
        for part in (True, False):
            jax.config.update("jax_threefry_partitionable", part)
            exprs = [e for e, _ in CASES] if part else ORIGINAL_LAYOUT_CASES
            for expr in exprs:
                for seed in SEEDS:
                    env = {"R": R, "jnp": jnp, "k": R.PRNGKey(seed), "dt": dt}
                    out = encode(eval(expr, env))
                    lines.append(f"    ({expr!r}, {x64}, {part}, {seed}): {out!r},")
    lines.append("}")
    path = os.path.join(os.path.dirname(__file__), "random_fixtures.py")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
