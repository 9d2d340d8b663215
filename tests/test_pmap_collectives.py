"""Every collective under pmap against NumPy on the stacked shards, for 1, 2, 4 and 8 devices
(8 devices on 2 cores: the device threads share them), and against the same collective under
vmap; JAX's pmap with forced host devices is a third reference where installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _pmap_util import cpu_devices

import jaxlite as jax
from jaxlite import lax

SIZES = [1, 2, 4, 8]


@pytest.fixture(scope="module", autouse=True)
def eight_devices():
    with cpu_devices(8):
        yield


def _data(n, *shape, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed + n)
    return rng.standard_normal((n, *shape)).astype(dtype)


def _both(f, x):
    """f under pmap and under vmap (both with axis name 'i')."""
    p = np.asarray(jax.pmap(f, "i")(x))
    v = np.asarray(jax.vmap(f, axis_name="i")(x))
    return p, v


def _check(f, x, expected, rtol=1e-5):
    p, v = _both(f, x)
    np.testing.assert_allclose(p, expected, rtol=rtol, atol=1e-5)
    np.testing.assert_allclose(v, expected, rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("n", SIZES)
def test_reductions(n):
    x = _data(n, 3, 2)
    ref = np.broadcast_to
    _check(lambda v: lax.psum(v, "i"), x, ref(x.sum(0), x.shape))
    _check(lambda v: lax.pmean(v, "i"), x, ref(x.mean(0), x.shape))
    _check(lambda v: lax.pmax(v, "i"), x, ref(x.max(0), x.shape))
    _check(lambda v: lax.pmin(v, "i"), x, ref(x.min(0), x.shape))
    xi = (x * 10).astype(np.int32)
    _check(lambda v: lax.psum(v, "i"), xi, ref(xi.sum(0), xi.shape))


@pytest.mark.parametrize("n", SIZES)
def test_psum_is_identical_on_every_device(n):
    x = _data(n, 1000)
    out = np.asarray(jax.pmap(lambda v: lax.psum(v, "i"), "i")(x))
    for i in range(1, n):
        assert np.array_equal(out[i], out[0])  # one combine, in device order


@pytest.mark.parametrize("n", SIZES)
def test_axis_index_and_size(n):
    x = _data(n, 2)
    _check(lambda v: lax.axis_index("i") + 0 * v[0].astype(np.int32), x, np.arange(n))
    _check(lambda v: v * lax.axis_size("i"), x, x * n)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("axis,tiled", [(0, False), (1, False), (2, False), (0, True), (1, True)])
def test_all_gather(n, axis, tiled):
    x = _data(n, 3, 2)
    stacked = np.concatenate(list(x), axis=axis) if tiled else np.stack(list(x), axis=axis)
    _check(lambda v: lax.all_gather(v, "i", axis=axis, tiled=tiled), x,
           np.broadcast_to(stacked, (n, *stacked.shape)))


@pytest.mark.parametrize("n", SIZES)
def test_ppermute(n):
    x = _data(n, 3)
    shift = [(i, (i + 1) % n) for i in range(n)]
    _check(lambda v: lax.ppermute(v, "i", shift), x, np.roll(x, 1, axis=0))
    partial = [(0, n - 1)] if n > 1 else [(0, 0)]  # devices nobody sends to get zeros
    expected = np.zeros_like(x)
    expected[n - 1] = x[0]
    _check(lambda v: lax.ppermute(v, "i", partial), x, expected)


def _all_to_all_ref(x, split, concat, tiled):
    n = x.shape[0]
    outs = []
    for j in range(n):  # device j receives chunk j of every device i, in order
        if tiled:
            parts = [np.split(x[i], n, axis=split)[j] for i in range(n)]
            outs.append(np.concatenate(parts, axis=concat))
        else:
            parts = [np.take(x[i], j, axis=split) for i in range(n)]
            outs.append(np.stack(parts, axis=concat))
    return np.stack(outs)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("split,concat", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_all_to_all(n, split, concat):
    shape = [3, 3]
    shape[split] = n
    x = _data(n, *shape)
    _check(lambda v: lax.all_to_all(v, "i", split, concat), x, _all_to_all_ref(x, split, concat, False))
    shape[split] = 2 * n
    x = _data(n, *shape, seed=1)
    _check(lambda v: lax.all_to_all(v, "i", split, concat, tiled=True), x,
           _all_to_all_ref(x, split, concat, True))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dim", [0, 1])
def test_psum_scatter(n, dim):
    shape = [3, 3]
    shape[dim] = n
    x = _data(n, *shape)
    total = x.sum(0)
    _check(lambda v: lax.psum_scatter(v, "i", scatter_dimension=dim), x,
           np.stack([np.take(total, j, axis=dim) for j in range(n)]))
    shape[dim] = 2 * n
    x = _data(n, *shape, seed=2)
    total = x.sum(0)
    _check(lambda v: lax.psum_scatter(v, "i", scatter_dimension=dim, tiled=True), x,
           np.stack(np.split(total, n, axis=dim)))


def test_collectives_interpreted_and_compiled_agree():
    from compiler import pmap_exec

    x = _data(4, 8)
    f = jax.pmap(lambda v: lax.all_to_all(v, "i", 0, 0, tiled=True) * lax.psum(v, "i"), "i")
    eqn = jax.make_jaxpr(f)(x).jaxpr.eqns[0]
    compiled = pmap_exec.pmap_impl(x, **eqn.params)
    interpreted = pmap_exec.pmap_impl(x, **eqn.params, interpret=True)
    np.testing.assert_allclose(compiled[0], interpreted[0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(f(x)), interpreted[0], rtol=1e-6)


@pytest.mark.parametrize("n", [2, 4])
def test_two_axis_names_vmap_inside_pmap(n):
    x = _data(n, 3, 2)  # devices i, examples j
    both = jax.pmap(jax.vmap(lambda v: lax.psum(v, ("i", "j")), axis_name="j"), "i")(x)
    np.testing.assert_allclose(np.asarray(both), np.broadcast_to(x.sum((0, 1)), x.shape), rtol=1e-5, atol=1e-5)
    inner = jax.pmap(jax.vmap(lambda v: lax.psum(v, "j"), axis_name="j"), "i")(x)
    np.testing.assert_allclose(np.asarray(inner), np.broadcast_to(x.sum(1, keepdims=True), x.shape), rtol=1e-5, atol=1e-5)
    outer = jax.pmap(jax.vmap(lambda v: lax.psum(v, "i"), axis_name="j"), "i")(x)
    np.testing.assert_allclose(np.asarray(outer), np.broadcast_to(x.sum(0), x.shape), rtol=1e-5, atol=1e-5)
    idx = jax.pmap(jax.vmap(lambda v: lax.axis_index(("i", "j")), axis_name="j"), "i")(x)
    np.testing.assert_array_equal(np.asarray(idx), np.arange(n * 3).reshape(n, 3))


@pytest.mark.parametrize("n", [2, 4])
def test_two_axis_names_pmap_inside_vmap(n):
    x = _data(3, n, 2)  # examples j, devices i
    f = jax.vmap(jax.pmap(lambda v: lax.psum(v, ("i", "j")), "i"), axis_name="j")
    np.testing.assert_allclose(np.asarray(f(x)), np.broadcast_to(x.sum((0, 1)), x.shape), rtol=1e-5, atol=1e-5)
    g = jax.vmap(jax.pmap(lambda v: lax.psum(v, "j") * lax.axis_index("i"), "i"), axis_name="j")
    ref = np.broadcast_to(x.sum(0), x.shape) * np.arange(n)[None, :, None]
    np.testing.assert_allclose(np.asarray(g(x)), ref, rtol=1e-5, atol=1e-5)
    h = jax.vmap(jax.pmap(lambda v: lax.all_to_all(v, "i", 0, 0, tiled=True), "i"), axis_name="j")
    y = _data(3, n, 2 * n)
    ref = np.stack([_all_to_all_ref(y[j], 0, 0, True) for j in range(3)])
    np.testing.assert_allclose(np.asarray(h(y)), ref, rtol=1e-6)


_JAX_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax
    from jax import lax
    x = np.asarray(json.loads(sys.argv[1]), np.float32)
    fs = {
        "psum": lambda v: lax.psum(v, "i"),
        "pmax": lambda v: lax.pmax(v, "i"),
        "all_gather": lambda v: lax.all_gather(v, "i", axis=1),
        "all_to_all": lambda v: lax.all_to_all(v, "i", 0, 1),
        "all_to_all_tiled": lambda v: lax.all_to_all(v, "i", 1, 0, tiled=True),
        "psum_scatter": lambda v: lax.psum_scatter(v, "i", scatter_dimension=0, tiled=True),
        "ppermute": lambda v: lax.ppermute(v, "i", [(0, 1), (1, 0)]),
        "grad_psum": jax.grad(lambda v: lax.psum(jax.numpy.sum(v ** 2), "i")),
    }
    print(json.dumps({k: np.asarray(jax.pmap(f, "i")(x)).tolist() for k, f in fs.items()}))
""")


@pytest.mark.slow
def test_against_jax_pmap_with_two_host_devices():
    pytest.importorskip("jax")
    x = _data(2, 2, 4)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", _JAX_SCRIPT, json.dumps(x.tolist())], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    want = json.loads(out.stdout.strip().splitlines()[-1])
    ours = {
        "psum": lambda v: lax.psum(v, "i"),
        "pmax": lambda v: lax.pmax(v, "i"),
        "all_gather": lambda v: lax.all_gather(v, "i", axis=1),
        "all_to_all": lambda v: lax.all_to_all(v, "i", 0, 1),
        "all_to_all_tiled": lambda v: lax.all_to_all(v, "i", 1, 0, tiled=True),
        "psum_scatter": lambda v: lax.psum_scatter(v, "i", scatter_dimension=0, tiled=True),
        "ppermute": lambda v: lax.ppermute(v, "i", [(0, 1), (1, 0)]),
        "grad_psum": jax.grad(lambda v: lax.psum(jax.numpy.sum(v ** 2), "i")),
    }
    for k, f in ours.items():
        np.testing.assert_allclose(np.asarray(jax.pmap(f, "i")(x)), np.asarray(want[k]), rtol=1e-5,
                                   err_msg=k)


@pytest.mark.parametrize("n", [1, 3, 8])
def test_scalar_reductions(n):
    x = _data(n)
    _check(lambda v: lax.psum(v, "i"), x, np.full(n, x.sum()))
    _check(lambda v: lax.pmax(v, "i"), x, np.full(n, x.max()))
