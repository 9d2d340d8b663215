"""A digits classifier written from scratch: no stax, no optimizers, only grad, jit and a params
pytree updated by minibatch SGD, in the style of JAX's `mnist_classifier_fromscratch.py`.

The data are the 8x8 handwritten digits that scikit-learn ships (no download). The model is a
ReLU MLP whose loss uses logsumexp; minibatches come from a shuffling generator, one epoch at a
time. (`train_mlp.py` is the full-batch tanh variant of the same task, with value_and_grad.)

Swap `import jaxlite as jax` for `import jax` and it runs the same:

    python examples/mlp_from_scratch.py            # about 10 s on 2 cores
"""

import time

import numpy as np
from sklearn.datasets import load_digits

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.scipy.special import logsumexp

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional (the `examples` extra); progress then prints per epoch
    tqdm = None

LAYER_SIZES = [64, 128, 64, 10]


def load_data(seed=0, n_train=1400):
    """The digits scaled to [0, 1], split into train and test, labels one-hot."""
    digits = load_digits()
    images = (digits.data / 16.0).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(seed).permutation(len(images))
    train, test = order[:n_train], order[n_train:]
    return (images[train], labels[train]), (images[test], labels[test])


def init_random_params(scale, layer_sizes, rng):
    """A list of (weights, biases), drawn with NumPy so every library starts from the same point."""
    return [
        (scale * rng.standard_normal((m, n)).astype(np.float32), scale * rng.standard_normal(n).astype(np.float32))
        for m, n in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def predict(params, inputs):
    activations = inputs
    for w, b in params[:-1]:
        activations = jnp.maximum(jnp.dot(activations, w) + b, 0.0)
    final_w, final_b = params[-1]
    logits = jnp.dot(activations, final_w) + final_b
    return logits - logsumexp(logits, axis=1, keepdims=True)


def loss(params, batch):
    inputs, targets = batch
    return -jnp.mean(jnp.sum(predict(params, inputs) * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    return float(jnp.mean(jnp.argmax(predict(params, inputs), axis=1) == jnp.argmax(targets, axis=1)))


def data_stream(images, labels, batch_size, rng):
    """Minibatches forever, reshuffled every epoch (the last partial batch is dropped, so every
    batch has one shape and `update` compiles once)."""
    num_batches = len(images) // batch_size
    while True:
        perm = rng.permutation(len(images))
        for i in range(num_batches):
            idx = perm[i * batch_size : (i + 1) * batch_size]
            yield images[idx], labels[idx]


def make_update(step_size):
    @jax.jit
    def update(params, batch):
        grads = jax.grad(loss)(params, batch)
        return [(w - step_size * dw, b - step_size * db) for (w, b), (dw, db) in zip(params, grads)]

    return update


def train(params, train_data, steps, step_size=0.1, batch_size=128, seed=0, on_step=None):
    """`steps` SGD updates; returns the final params and the loss of each minibatch before its update."""
    update = make_update(step_size)
    batch_loss = jax.jit(loss)  # compiled too: eager small matmuls cost more than the whole step
    batches = data_stream(*train_data, batch_size, np.random.default_rng(seed))
    losses = []
    for step in range(steps):
        batch = next(batches)
        losses.append(float(batch_loss(params, batch)))
        params = update(params, batch)
        if on_step is not None:
            on_step(step, losses[-1])
    return params, losses


def main(steps=330, step_size=0.1, batch_size=128, seed=0):
    train_data, test_data = load_data(seed)
    params = init_random_params(0.1, LAYER_SIZES, np.random.default_rng(seed))
    per_epoch = len(train_data[0]) // batch_size
    bar = tqdm(total=steps, desc="sgd", unit="step") if tqdm else None

    def on_step(step, value):
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3f}", refresh=False)
        elif (step + 1) % per_epoch == 0:
            print(f"step {step + 1:4d}  minibatch loss {value:.4f}")

    start = time.perf_counter()
    params, losses = train(params, train_data, steps, step_size, batch_size, seed, on_step)
    if bar is not None:
        bar.close()
    train_acc, test_acc = accuracy(params, train_data), accuracy(params, test_data)
    print(f"{steps} steps ({steps / per_epoch:.1f} epochs) in {time.perf_counter() - start:.1f} s")
    print(f"training set accuracy {train_acc:.3f}")
    print(f"test set accuracy {test_acc:.3f}")
    return {"losses": losses, "train_accuracy": train_acc, "test_accuracy": test_acc}


if __name__ == "__main__":
    main()
