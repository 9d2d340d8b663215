"""jit of complex arcsin, arccos, arctan, arcsinh, arccosh, arctanh: one fused kernel with no
interpreter callbacks, equal to eager (NumPy); grad through them (jaxlite's jvp rules, compiled)
against the analytic derivatives, and vmap. Accuracy in detail: tests/compiler/test_cpu_complex_inverse.py."""

import numpy as np
import pytest

import jaxlite.numpy as jnp
from compiler import runtime
from jaxlite import grad, vmap
from jaxlite.config import enable_x64
from jaxlite.jit import jit

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

FUNCS = {
    "arcsin": (jnp.arcsin, lambda z: 1 / np.sqrt(1 - z * z)),
    "arccos": (jnp.arccos, lambda z: -1 / np.sqrt(1 - z * z)),
    "arctan": (jnp.arctan, lambda z: 1 / (1 + z * z)),
    "arcsinh": (jnp.arcsinh, lambda z: 1 / np.sqrt(1 + z * z)),
    "arccosh": (jnp.arccosh, lambda z: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1))),
    "arctanh": (jnp.arctanh, lambda z: 1 / (1 - z * z)),
}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def callbacks_during(fn):
    before = runtime.STATS["interpreter_callbacks"]
    out = fn()
    return out, runtime.STATS["interpreter_callbacks"] - before


def chain(x, y):
    z = x + 1j * y
    w = jnp.arcsin(z) + jnp.arccos(z) * jnp.arctan(z) - jnp.arcsinh(z) / (2 + jnp.arccosh(z))
    w = w + jnp.arctanh(0.5 * z)
    return jnp.abs(w) ** 2 + jnp.real(w * w)


@pytest.mark.parametrize("kind", ["c64", "c128"])
def test_a_chain_of_all_six_is_one_kernel_without_callbacks(kind):
    def check():
        real = np.float32 if kind == "c64" else np.float64
        x, y = (np.random.RandomState(0).randn(2, 1000) * 2).astype(real)
        compiled = jit(chain).lower(x, y).compile()
        assert compiled.program.count("kernel") == 1 and compiled.program.count("interpret") == 0
        got, n = callbacks_during(lambda: jit(chain)(x, y))
        assert n == 0 and np.asarray(got).dtype == real
        want = chain(x, y)
        rtol = 1e-4 if kind == "c64" else 1e-11
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=rtol * np.max(np.abs(want)))

    if kind == "c128":
        with enable_x64():
            check()
    else:
        check()


@pytest.mark.parametrize("shape", [(), (0,), (2, 0)])
@pytest.mark.parametrize("name", list(FUNCS))
def test_zero_d_and_empty(name, shape):
    fn, _ = FUNCS[name]
    z = np.full(shape, 0.25 - 1.5j, np.complex64)
    got, n = callbacks_during(lambda: jit(lambda v: fn(v) * 2)(z))
    assert n == 0
    got = np.asarray(got)
    assert got.shape == shape and got.dtype == np.complex64
    np.testing.assert_allclose(got, 2 * getattr(np, name)(z.astype(np.complex128)), rtol=1e-6)


@pytest.mark.parametrize("name", list(FUNCS))
def test_jit_grad_through_a_holomorphic_use(name):
    # f(x) = Re g(x + 0.5i) + Im g(2x - 0.3i): df/dx = Re g'(x + 0.5i) + 2 Im g'(2x - 0.3i)
    fn, deriv = FUNCS[name]

    def f(x):
        return jnp.sum(jnp.real(fn(x + 0.5j)) + jnp.imag(fn(2 * x - 0.3j)))

    for real, rtol in ((np.float32, 2e-5), (np.float64, 1e-12)):
        with enable_x64(real == np.float64):
            x = np.linspace(0.15, 0.85, 6).astype(real)  # Re z > 0: arccosh's rule is the principal one
            got, n = callbacks_during(lambda: jit(grad(f))(x))
            assert n == 0 and np.asarray(got).dtype == real
            xd = x.astype(np.float64)
            want = np.real(deriv(xd + 0.5j)) + 2 * np.imag(deriv(2 * xd - 0.3j))
            np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=rtol)
            np.testing.assert_allclose(np.asarray(got), np.asarray(grad(f)(x)), rtol=rtol, atol=rtol)


def test_jit_grad_against_jax():
    jax = pytest.importorskip("jax")
    import jax.numpy as jjnp

    def f(np_, x):
        z = x + 0.5j
        w = np_.arcsin(z) * np_.arctanh(0.5 * z) + np_.arccos(z) - np_.arcsinh(z) * np_.arctan(z)
        return np_.sum(np_.abs(w + np_.arccosh(z + 1)) ** 2)

    x = np.random.RandomState(8).rand(5).astype(np.float32)
    got = jit(grad(lambda v: f(jnp, v)))(x)
    want = jax.grad(lambda v: f(jjnp, v))(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-5)


def test_vmap_under_jit():
    def f(z, w):
        return jnp.arcsin(z) * jnp.arctanh(0.5 * w) + jnp.sum(jnp.arccosh(z + w))

    r = np.random.RandomState(2)
    zs = (r.randn(4, 6) + 1j * r.randn(4, 6)).astype(np.complex64)
    w = (r.randn(6) + 1j * r.randn(6)).astype(np.complex64)
    got, n = callbacks_during(lambda: jit(vmap(f, in_axes=(0, None)))(zs, w))
    assert n == 0
    want = np.stack([np.asarray(f(z, w)) for z in zs])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
