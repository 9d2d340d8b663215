"""Draw docs/img/program_graph.svg and .png: the compiled forward and backward pass of a small MLP
classifier (two gemm layers, tanh, log-softmax cross-entropy), as `Compiled.render` draws it.

Run from the repository root: python docs/make_program_graph.py
"""

import pathlib

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp

OUT = pathlib.Path(__file__).resolve().parent / "img"


def loss(params, x, labels):
    (w1, b1), (w2, b2) = params
    hidden = jnp.tanh(x @ w1 + b1)
    logits = hidden @ w2 + b2
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * labels, axis=-1))


def main():
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((64, 32)).astype(np.float32) * 0.1, np.zeros(32, np.float32)),
        (rng.standard_normal((32, 10)).astype(np.float32) * 0.1, np.zeros(10, np.float32)),
    ]
    x = rng.standard_normal((128, 64)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
    compiled = jax.jit(jax.value_and_grad(loss)).lower(params, x, labels).compile()
    print(compiled.report())
    OUT.mkdir(exist_ok=True)
    for ext in ("svg", "png"):
        print("wrote", compiled.render(OUT / f"program_graph.{ext}"))


if __name__ == "__main__":
    main()
