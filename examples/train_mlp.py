"""Train a small MLP on the 8x8 handwritten digits that scikit-learn ships (no download).

The model, loss and update are plain JAX-style code: swap `import jaxlite as jax` for
`import jax` and it runs the same.
"""

import time

import numpy as np
from sklearn.datasets import load_digits

import jaxlite as jax
import jaxlite.numpy as jnp


def init_params(rng, sizes):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((n_in, n_out)).astype(np.float32) * np.sqrt(2.0 / n_in)
        params.append((jnp.asarray(w), jnp.zeros(n_out)))
    return params


def predict(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss(params, x, labels):
    logits = predict(params, x)
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.sum(log_probs * labels, axis=-1))


def accuracy(params, x, y):
    return float(jnp.mean(jnp.argmax(predict(params, x), axis=-1) == y))


def main(steps=300, lr=0.5):
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    train, test = order[:1400], order[1400:]
    x_train, y_train = jnp.asarray(x[train]), jnp.asarray(y[train])
    x_test, y_test = jnp.asarray(x[test]), jnp.asarray(y[test])
    labels = jax.nn.one_hot(y_train, 10)

    params = init_params(rng, [64, 64, 10])
    grad_fn = jax.jit(jax.value_and_grad(loss))  # the forward and backward pass as one program
    start = time.perf_counter()
    for step in range(steps + 1):
        value, grads = grad_fn(params, x_train, labels)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        if step % 50 == 0:
            print(f"step {step:4d}  loss {float(value):.4f}  test accuracy {accuracy(params, x_test, y_test):.3f}")
    final = accuracy(params, x_test, y_test)
    print(f"trained {steps} steps in {time.perf_counter() - start:.1f} s; final test accuracy {final:.3f}")
    return final


if __name__ == "__main__":
    main()
