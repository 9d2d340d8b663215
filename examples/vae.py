"""A variational autoencoder on the 8x8 digits, in the spirit of JAX's `mnist_vae.py`.

The encoder (stax) maps an image to the mean and the standard deviation of a diagonal Gaussian
over a small latent code; the decoder maps a code to Bernoulli logits for the 64 pixels (the
digits' grey levels, scaled to [0, 1], are the Bernoulli targets, as in JAX's example). Training
maximises the evidence lower bound (ELBO), estimated with one sample per image drawn by the
reparameterisation z = mu + sigma * eps (eps from `jax.random`), with `optimizers.adam`.

Swap `import jaxlite as jax` for `import jax` and it runs the same:

    python examples/vae.py                         # about 15 s on 2 cores
"""

import time

import numpy as np
from sklearn.datasets import load_digits

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.example_libraries import optimizers, stax

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional (the `examples` extra); progress then prints every 200 steps
    tqdm = None

LATENT = 8
HIDDEN = 128

encoder_init, encode = stax.serial(
    stax.Dense(HIDDEN),
    stax.Softplus,
    stax.Dense(HIDDEN),
    stax.Softplus,
    stax.FanOut(2),
    stax.parallel(stax.Dense(LATENT), stax.serial(stax.Dense(LATENT), stax.Softplus)),
)
decoder_init, decode = stax.serial(stax.Dense(HIDDEN), stax.Softplus, stax.Dense(HIDDEN), stax.Relu, stax.Dense(64))


def load_data(seed=0, n_train=1400):
    digits = load_digits()
    images = (digits.data / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[:n_train]], images[order[n_train:]]


def gaussian_kl(mu, sigmasq):
    """KL(N(mu, sigmasq) || N(0, I)), summed over the latent dimensions."""
    return -0.5 * jnp.sum(1.0 + jnp.log(sigmasq) - mu**2.0 - sigmasq, axis=-1)


def gaussian_sample(rng, mu, sigmasq):
    """The reparameterisation: a sample that is a differentiable function of mu and sigmasq."""
    return mu + jnp.sqrt(sigmasq) * jax.random.normal(rng, mu.shape)


def bernoulli_logpdf(logits, x):
    """log p(x | logits) summed over pixels, for targets x in [0, 1]; stable for any logits."""
    return jnp.sum(x * logits - jnp.logaddexp(0.0, logits), axis=-1)


def elbo(rng, params, images):
    """The mean over the batch of the one-sample ELBO estimate, in nats per image."""
    enc_params, dec_params = params
    mu, sigmasq = encode(enc_params, images)
    logits = decode(dec_params, gaussian_sample(rng, mu, sigmasq))
    return jnp.mean(bernoulli_logpdf(logits, images) - gaussian_kl(mu, sigmasq))


def init_params(seed=0):
    enc_key, dec_key = jax.random.split(jax.random.PRNGKey(seed))
    _, enc_params = encoder_init(enc_key, (-1, 64))
    _, dec_params = decoder_init(dec_key, (-1, LATENT))
    return enc_params, dec_params


def batches(images, batch_size, rng):
    while True:
        perm = rng.permutation(len(images))
        for i in range(len(images) // batch_size):
            yield images[perm[i * batch_size : (i + 1) * batch_size]]


def train(params, train_images, steps, step_size=1e-3, batch_size=64, seed=0, on_step=None):
    """`steps` Adam updates on -ELBO; returns the params and the ELBO estimate of each batch."""
    opt_init, opt_update, get_params = optimizers.adam(step_size)

    @jax.jit
    def update(i, opt_state, images, rng):
        value, grads = jax.value_and_grad(lambda p: -elbo(rng, p, images))(get_params(opt_state))
        return opt_update(i, grads, opt_state), -value

    opt_state = opt_init(params)
    key = jax.random.PRNGKey(seed + 1)
    data = batches(train_images, batch_size, np.random.default_rng(seed))
    elbos = []
    for i in range(steps):
        key, step_key = jax.random.split(key)
        opt_state, value = update(i, opt_state, next(data), step_key)
        elbos.append(float(value))
        if on_step is not None:
            on_step(i, elbos[-1])
    return get_params(opt_state), elbos


def test_elbo(params, images, seed=0, samples=10):
    """The ELBO on held-out images, averaged over several latent samples to steady it."""
    keys = jax.random.split(jax.random.PRNGKey(seed + 2), samples)
    return float(np.mean([float(elbo(k, params, images)) for k in keys]))


def main(steps=1500, step_size=1e-3, batch_size=64, seed=0):
    train_images, test_images = load_data(seed)
    params = init_params(seed)
    before = test_elbo(params, test_images, seed)
    bar = tqdm(total=steps, desc="vae", unit="step") if tqdm else None

    def on_step(i, value):
        if bar is not None:
            bar.update(1)
            bar.set_postfix(elbo=f"{value:.2f}", refresh=False)
        elif (i + 1) % 200 == 0:
            print(f"step {i + 1:5d}  batch ELBO {value:.2f}")

    start = time.perf_counter()
    params, elbos = train(params, train_images, steps, step_size, batch_size, seed, on_step)
    if bar is not None:
        bar.close()
    after = test_elbo(params, test_images, seed)
    print(f"{steps} steps in {time.perf_counter() - start:.1f} s")
    print(f"test ELBO {before:.2f} -> {after:.2f} nats per image (64 pixels, higher is better)")
    return {"elbos": elbos, "test_elbo_before": before, "test_elbo": after}


if __name__ == "__main__":
    main()
