"""jit of complex code: compiled results equal eager ones (the NumPy interpreter), the chains fuse
into kernels with no interpreter callbacks, and grad / vmap of functions with complex
intermediates agree with eager (and with JAX where it is installed)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxlite.numpy as jnp
from compiler import runtime
from jaxlite import grad, vmap
from jaxlite.config import enable_x64
from jaxlite.jit import jit

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def cplx(shape, seed=0, dtype=np.complex64):
    r = np.random.RandomState(seed)
    return np.asarray(r.randn(*shape) + 1j * r.randn(*shape)).astype(dtype)


def close(a, b, rtol=2e-5):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    scale = np.max(np.abs(b), initial=1.0)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)


def callbacks_during(fn):
    before = runtime.STATS["interpreter_callbacks"]
    out = fn()
    return out, runtime.STATS["interpreter_callbacks"] - before


# ---- Random compositions on hypothesis shapes --------------------------------------------------

UNARY = [
    lambda z: jnp.exp(0.3 * z),
    lambda z: jnp.sin(0.5 * z),
    lambda z: jnp.cos(0.5 * z),
    lambda z: jnp.tanh(z),
    jnp.sqrt,
    lambda z: jnp.log(z + 3),
    jnp.conj,
    lambda z: z * z,
    lambda z: jnp.abs(z) + 1j * jnp.real(z),
    lambda z: jnp.expm1(0.2 * z) + jnp.log1p(0.1 * z),
    lambda z: jnp.sign(z) * jnp.imag(z),
    lambda z: z**3 / (1 + jnp.abs(z) ** 3),
]
BINARY = [
    jnp.add,
    jnp.subtract,
    jnp.multiply,
    lambda a, b: a / (b + 3),
    lambda a, b: jnp.where(jnp.real(a) > jnp.imag(b), a, b),
    lambda a, b: jnp.where(a == b, a, a - b * 0.5),
]


def _compose(program):
    def f(x, y):
        a, b = x, y
        for kind, k in program:
            if kind == 0:
                a = UNARY[k % len(UNARY)](a)
            else:
                a, b = BINARY[k % len(BINARY)](a, b), a
        return a

    return f


shapes = st.sampled_from([((), ()), ((0,), (0,)), ((5,), ()), ((3, 4), (4,)), ((2, 1, 6), (3, 1)), ((1,), (7,))])
programs = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20)), min_size=1, max_size=6)


@settings(max_examples=25)
@given(shapes, programs, st.sampled_from(["c64", "c128"]))
def test_random_compositions_equal_eager_with_no_callbacks(shape_pair, program, kind):
    f = _compose(program)

    def check():
        dtype = np.complex64 if kind == "c64" else np.complex128
        x, y = cplx(shape_pair[0], 1, dtype), cplx(shape_pair[1], 2, dtype)
        got, n = callbacks_during(lambda: jit(f)(x, y))
        assert n == 0, f"{n} interpreter callbacks"
        close(got, f(x, y), rtol=1e-4 if kind == "c64" else 1e-10)

    if kind == "c128":
        with enable_x64():
            check()
    else:
        check()


# ---- Fusion --------------------------------------------------------------------------------------


def test_a_complex_elementwise_chain_is_one_kernel():
    def f(x, y):
        z = x + 1j * y
        w = jnp.exp(1j * z) * jnp.conj(z) / (z + 2) - jnp.sqrt(z) * jnp.log(z + 3)
        return jnp.abs(w) ** 2 + jnp.real(w * w)

    x, y = np.random.RandomState(0).randn(2, 1000).astype(np.float32)
    compiled = jit(f).lower(x, y).compile()
    assert compiled.program.count("kernel") == 1 and compiled.program.count("interpret") == 0
    got, n = callbacks_during(lambda: jit(f)(x, y))
    assert n == 0
    close(got, f(x, y), rtol=1e-4)


def test_a_complex_reduction_fuses_with_its_producers():
    def f(z):
        return jnp.sum(jnp.exp(0.1 * z) * z, axis=1), jnp.prod(1 + 0.1 * z, axis=0)

    z = cplx((40, 30))
    compiled = jit(f).lower(z).compile()
    assert compiled.program.count("interpret") == 0
    got = jit(f)(z)
    want = f(z)
    close(got[0], want[0], 1e-5)
    close(got[1], want[1], 1e-5)


# ---- Values only moved -------------------------------------------------------------------------

MOVES = {
    "transpose_slice": lambda z: z.T[::2, 1:] * 2,
    "reshape_broadcast": lambda z: jnp.broadcast_to(z.reshape(3, 1, 8), (3, 2, 8)) + 1j,
    "pad": lambda z: jnp.pad(z, ((1, 2), (0, 3)), constant_values=1 + 2j),
    "concatenate": lambda z: jnp.concatenate([z, jnp.conj(z)[:1], z * 1j], axis=0),
    "gather": lambda z: z[jnp.array([2, 0, 2]), 1:5],
    "scatter_add": lambda z: jnp.asarray(z).at[jnp.array([0, 2, 0])].add(z[:3] * 1j),
    "scatter_set": lambda z: jnp.asarray(z).at[1, jnp.array([1, 3])].set(7 - 1j),
    "cumsum": lambda z: jnp.cumsum(z, axis=1),
    "cumprod": lambda z: jnp.cumprod(1 + 0.1 * z, axis=0),
    "flip_roll": lambda z: jnp.roll(jnp.flip(z, 0), 3, axis=1),
    "dynamic_slice": lambda z: jnp.take(z, 1, axis=0),
}


@pytest.mark.parametrize("name", list(MOVES))
def test_moves_gathers_and_scans_are_native(name):
    f = MOVES[name]
    z = cplx((3, 8), 5)
    got, n = callbacks_during(lambda: jit(f)(z))
    assert n == 0, f"{n} interpreter callbacks"
    close(got, f(z), 1e-6)


# ---- Products ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["ij,jk->ik", "bij,bjk->bik", "ij,kj->ik", "i,i->", "ij,j->i", "i,j->ij"])
def test_complex_products_are_gemms_without_conjugation(spec):
    a_shape, b_shape = {
        "ij,jk->ik": ((6, 5), (5, 4)),
        "bij,bjk->bik": ((2, 6, 5), (2, 5, 4)),
        "ij,kj->ik": ((6, 5), (4, 5)),
        "i,i->": ((7,), (7,)),
        "ij,j->i": ((6, 5), (5,)),
        "i,j->ij": ((3,), (4,)),
    }[spec]
    a, b = cplx(a_shape, 1), cplx(b_shape, 2)
    got, n = callbacks_during(lambda: jit(lambda a, b: jnp.einsum(spec, a, b))(a, b))
    assert n == 0
    close(got, np.einsum(spec, a, b), 1e-5)


def test_complex128_matmul_under_x64():
    with enable_x64():
        a, b = cplx((30, 20), 1, np.complex128), cplx((20, 10), 2, np.complex128)
        got, n = callbacks_during(lambda: jit(jnp.matmul)(a, b))
        assert n == 0 and np.asarray(got).dtype == np.complex128
        np.testing.assert_allclose(np.asarray(got), a @ b, rtol=1e-13, atol=1e-13)


# ---- Conversions -------------------------------------------------------------------------------


def test_conversions_between_real_and_complex():
    def f(x, z):
        return z.astype(jnp.complex64) + x.astype(jnp.complex64), jnp.real(z).astype(jnp.int32)

    x, z = np.arange(6, dtype=np.int32), cplx((6,), 3) * 4
    got, n = callbacks_during(lambda: jit(f)(x, z))
    assert n == 0
    for g, w in zip(got, f(x, z), strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


# ---- grad and vmap -----------------------------------------------------------------------------

REAL_OF_COMPLEX = {
    "abs_exp_sq": lambda x: jnp.sum(jnp.abs(jnp.exp(1j * x)) ** 2),
    "abs_exp_scaled": lambda x: jnp.sum(jnp.abs(jnp.exp((0.3 + 1j) * x) * (x + 2j)) ** 2),
    "real_log_sqrt": lambda x: jnp.sum(jnp.real(jnp.log(x + 3j) * jnp.sqrt(x - 1j))),
    "imag_div_conj": lambda x: jnp.sum(jnp.imag((x + 1j) / (2 - 1j * x) * jnp.conj(x + 0.5j))),
    "matmul": lambda x: jnp.sum(jnp.abs(jnp.outer(x + 1j, jnp.sin(x) - 1j) @ (x * 1j)) ** 2),
    "trig": lambda x: jnp.sum(jnp.real(jnp.tanh(x + 0.5j) * jnp.cos(1j * x))),
}


@pytest.mark.parametrize("name", list(REAL_OF_COMPLEX))
def test_grad_of_real_functions_of_complex_intermediates(name):
    f = REAL_OF_COMPLEX[name]
    x = np.random.RandomState(7).randn(6).astype(np.float32)
    (got, n) = callbacks_during(lambda: jit(grad(f))(x))
    assert n == 0
    want = grad(f)(x)
    close(got, want, 1e-4)
    if name == "abs_exp_sq":  # |e^{ix}|^2 = 1: the derivative vanishes
        np.testing.assert_allclose(np.asarray(got), 0, atol=1e-5)
    # a central difference in float64 (x64 off: the eager gradient is the float32 reference)
    h = 1e-3
    with enable_x64():
        xd = x.astype(np.float64)
        fd = [(float(f(xd + h * e)) - float(f(xd - h * e))) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(np.asarray(got), fd, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name", ["abs_exp_scaled", "real_log_sqrt", "matmul"])
def test_grad_against_jax(name):
    jax = pytest.importorskip("jax")
    import jax.numpy as jjnp

    fns = {
        "abs_exp_scaled": lambda np_, x: np_.sum(np_.abs(np_.exp((0.3 + 1j) * x) * (x + 2j)) ** 2),
        "real_log_sqrt": lambda np_, x: np_.sum(np_.real(np_.log(x + 3j) * np_.sqrt(x - 1j))),
        "matmul": lambda np_, x: np_.sum(np_.abs(np_.outer(x + 1j, np_.sin(x) - 1j) @ (x * 1j)) ** 2),
    }
    x = np.random.RandomState(8).randn(5).astype(np.float32)
    got = jit(grad(lambda v: fns[name](jnp, v)))(x)
    want = jax.grad(lambda v: fns[name](jjnp, v))(x)
    close(got, np.asarray(want), 1e-4)


def test_vmap_of_a_complex_function_under_jit():
    def f(z, w):
        return jnp.dot(jnp.exp(0.2 * z), w) * jnp.conj(z[0]) + jnp.sum(z * w)

    zs, w = cplx((4, 6), 1), cplx((6,), 2)
    batched = jit(vmap(f, in_axes=(0, None)))
    got, n = callbacks_during(lambda: batched(zs, w))
    assert n == 0
    close(got, np.stack([np.asarray(f(z, w)) for z in zs]), 1e-5)
