"""pmap: devices, arguments and outputs, composition with grad / vmap / jit, errors, the
rendezvous's failure handling, and the cross-process path against a fake process group."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from _pmap_util import cpu_devices

import jaxlite as jax
import jaxlite.numpy as jnp
from compiler import primitives as P
from compiler import rendezvous as R
from jaxlite import distributed, lax
from jaxlite.sharded import ShardedArray


@pytest.fixture(autouse=True)
def four_devices():
    with cpu_devices(4):
        yield


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---- devices ----------------------------------------------------------------------------------


def test_devices_api():
    devs = jax.devices()
    assert [d.id for d in devs] == [0, 1, 2, 3]
    assert repr(devs[0]) == "CpuDevice(id=0)" and devs[0].platform == "cpu"
    assert devs[2].process_index == 0
    assert jax.device_count() == jax.local_device_count() == 4
    assert jax.local_devices() == devs
    assert jax.process_index() == 0 and jax.process_count() == 1


def test_changing_the_count_after_initialisation_raises():
    jax.devices()
    jax.config.update("jax_num_cpu_devices", 4)  # the same count is fine
    with pytest.raises(RuntimeError, match="already initialised with 4"):
        jax.config.update("jax_num_cpu_devices", 2)
    assert jax.config.read("jax_num_cpu_devices") == 4
    with pytest.raises(ValueError, match="must be a positive integer, got 0"):
        jax.config.update("jax_num_cpu_devices", 0)
    assert jax.config.read("jax_num_cpu_devices") == 4


@pytest.mark.parametrize("env,code,expected", [
    ({"JAXLITE_NUM_CPU_DEVICES": "3"}, "", 3),
    ({"XLA_FLAGS": "--xla_force_host_platform_device_count=5"}, "", 5),
    ({}, "jax.config.update('jax_num_cpu_devices', 6)\n", 6),
])
def test_device_count_from_environment_or_config(env, code, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("JAXLITE_NUM_CPU_DEVICES", "XLA_FLAGS")} | env
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    script = f"import jaxlite as jax\n{code}print(jax.device_count(), jax.devices()[-1])"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(expected), f"TFRT_CPU_{expected - 1}"]


# ---- arguments and outputs -----------------------------------------------------------------------


def test_sharded_output_and_feeding_it_back():
    x = _x(4, 3)
    f = jax.pmap(lambda v: v * 2.0)
    y = f(x)
    assert isinstance(y, ShardedArray) and y.shape == (4, 3) and y.dtype == np.float32
    np.testing.assert_allclose(np.asarray(y), x * 2)
    np.testing.assert_allclose(np.asarray(y[1]), x[1] * 2)
    assert repr(y).startswith("Array([[")
    assert [s.device.id for s in y.addressable_shards] == [0, 1, 2, 3]
    z = f(y)  # its shards go straight to the devices
    np.testing.assert_allclose(np.asarray(z), x * 4)
    np.testing.assert_allclose(np.asarray(y + 1), x * 2 + 1)


def test_fewer_devices_than_available_and_devices_argument():
    x = _x(2, 3)
    np.testing.assert_allclose(np.asarray(jax.pmap(lambda v: lax.psum(v, "i"), "i")(x)),
                               np.broadcast_to(x.sum(0), x.shape), rtol=1e-6)
    g = jax.pmap(lambda v: v + 1, devices=jax.devices()[2:])
    assert [s.device.id for s in g(x).addressable_shards] == [2, 3]


def test_in_axes_out_axes_kwargs_static_and_pytrees():
    x, w = _x(3, 4), _x(3)

    def f(a, b, scale, c=None):
        return {"sum": a * b * scale + c, "mean": lax.pmean(b, "i")}

    pf = jax.pmap(f, "i", in_axes=(1, None, None), out_axes={"sum": 1, "mean": None},
                  static_broadcasted_argnums=(2,))
    c = _x(4, 3, seed=1)
    out = pf(x, w, 2.0, c=c)
    np.testing.assert_allclose(np.asarray(out["sum"]), (x * w[:, None] * 2.0 + c.T), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["mean"]), w, rtol=1e-6)


def test_traced_and_compiled_once_per_signature():
    calls = []

    def f(v):
        calls.append(1)
        return v + lax.axis_index("i")

    pf = jax.pmap(f, "i")
    for _ in range(3):
        pf(_x(4, 2))
    assert len(calls) == 1
    pf(_x(4, 5))
    assert len(calls) == 2


def test_make_jaxpr_and_jit_of_pmap():
    x = _x(4, 3)
    pf = jax.pmap(lambda v: jnp.sin(v) * lax.psum(v, "i"), "i")
    closed = jax.make_jaxpr(pf)(x)
    (eqn,) = closed.jaxpr.eqns
    assert eqn.prim is P.pmap_p and eqn.params["axis_size"] == 4
    assert "psum" in str(closed)
    expected = np.sin(x) * x.sum(0)
    np.testing.assert_allclose(np.asarray(jax.jit(pf)(x)), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(pf(x)), expected, rtol=1e-5)


# ---- composition ---------------------------------------------------------------------------------


BODIES = {
    "psum": lambda v: jnp.sin(v) * lax.psum(v * v, "i"),
    "pmax": lambda v: lax.pmax(v, "i") * v,
    "all_gather": lambda v: jnp.sum(lax.all_gather(v, "i") ** 2, axis=0) * v,
    "ppermute": lambda v: lax.ppermute(jnp.cos(v), "i", [(i, (i + 1) % 4) for i in range(4)]) * v,
    "all_to_all": lambda v: lax.all_to_all(v * v, "i", 0, 0, tiled=True) * 3.0,
    "psum_scatter": lambda v: lax.psum_scatter(v * jnp.cos(v), "i", tiled=True) * 2.0,
    "axis_index": lambda v: v * (lax.axis_index("i") + 1).astype(np.float32),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_grad_of_pmap_equals_grad_of_vmap(name):
    body, x = BODIES[name], _x(4, 8, seed=3)
    via_pmap = jax.grad(lambda v: jnp.sum(jax.pmap(body, "i")(v) ** 2))(x)
    via_vmap = jax.grad(lambda v: jnp.sum(jax.vmap(body, axis_name="i")(v) ** 2))(x)
    np.testing.assert_allclose(np.asarray(via_pmap), np.asarray(via_vmap), rtol=1e-4, atol=1e-5)
    t = _x(4, 8, seed=4)
    _, jp = jax.jvp(jax.pmap(body, "i"), (x,), (t,))
    _, jv = jax.jvp(jax.vmap(body, axis_name="i"), (x,), (t,))
    np.testing.assert_allclose(np.asarray(jp), np.asarray(jv), rtol=1e-4, atol=1e-5)


def test_grad_of_pmap_against_numpy_and_shared_operands():
    x, w = _x(4, 3), _x(3, seed=1)

    def loss(w, x):
        y = jax.pmap(lambda a, b: lax.psum(a * b, "i"), "i", in_axes=(0, None))(x, w)
        return jnp.sum(y)

    gw, gx = jax.grad(loss, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(np.asarray(gw), 4 * x.sum(0), rtol=1e-5)  # every device's share
    np.testing.assert_allclose(np.asarray(gx), np.broadcast_to(4 * w, x.shape), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jax.jit(jax.grad(loss))(w, x)), 4 * x.sum(0), rtol=1e-5)


def _mlp_loss(params, x, y):
    w1, b1, w2 = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.mean((h @ w2 - y) ** 2)


def test_pmap_of_grad_is_data_parallel_gradient():
    params = (_x(5, 7, seed=1), _x(7, seed=2), _x(7, 2, seed=3))
    x, y = _x(16, 5, seed=4), _x(16, 2, seed=5)
    full = jax.grad(_mlp_loss)(params, x, y)

    def step(p, xs, ys):
        return lax.pmean(jax.grad(_mlp_loss)(p, xs, ys), "batch")

    shard = lambda a: a.reshape(4, 4, *a.shape[1:])  # noqa: E731
    grads = jax.pmap(step, "batch", in_axes=(None, 0, 0))(params, shard(x), shard(y))
    for g, ref in zip(grads, full, strict=True):
        for i in range(4):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(ref), rtol=2e-5, atol=1e-6)
    per_shard = jax.pmap(jax.grad(_mlp_loss), in_axes=(None, 0, 0))(params, shard(x), shard(y))
    ref0 = jax.grad(_mlp_loss)(params, x[4:8], y[4:8])
    np.testing.assert_allclose(np.asarray(per_shard[0])[1], np.asarray(ref0[0]), rtol=2e-5, atol=1e-6)


def test_vmap_of_pmap_and_grad_through_both():
    x = _x(3, 4, 2)
    f = jax.vmap(jax.pmap(lambda v: v * lax.psum(v, "i"), "i"))
    np.testing.assert_allclose(np.asarray(f(x)), x * x.sum(1, keepdims=True), rtol=1e-5)
    g = jax.grad(lambda v: jnp.sum(f(v)))(x)
    np.testing.assert_allclose(np.asarray(g), np.broadcast_to(2 * x.sum(1, keepdims=True), x.shape),
                               rtol=1e-5)


# ---- errors ---------------------------------------------------------------------------------------


def test_error_more_rows_than_devices():
    with pytest.raises(ValueError, match=r"pmap\(<lambda>\): the mapped axis has size 5.*only 4 local"):
        jax.pmap(lambda v: v)(_x(5, 2))


def test_error_inconsistent_mapped_sizes():
    with pytest.raises(ValueError, match=r"inconsistent sizes.*argument a has size 2.*argument b has size 3"):
        jax.pmap(lambda a, b: a + b)(_x(2, 3), _x(3, 3))


def test_error_unbound_axis_name():
    with pytest.raises(NameError, match="unbound axis name: j"):
        jax.pmap(lambda v: lax.psum(v, "j"), "i")(_x(2, 3))


def test_error_in_axes_mismatch_and_rank():
    with pytest.raises(ValueError, match="in_axes"):
        jax.pmap(lambda a, b: a + b, in_axes=(0, 0, 0))(_x(2, 3), _x(2, 3))
    with pytest.raises(ValueError, match=r"in_axes=2 for argument v of shape \(2, 3\)"):
        jax.pmap(lambda v: v, in_axes=2)(_x(2, 3))
    with pytest.raises(ValueError, match="no argument is mapped"):
        jax.pmap(lambda v: v, in_axes=None)(_x(2, 3))


def _run(fn, n=3):
    return R.run_on_devices(fn, n, "i")


def test_a_failing_device_does_not_hang_its_peers():
    def fn(i):
        if i == 1:
            raise ValueError("device one broke")
        return R.reduce(R.current(), np.ones(3), "sum")

    start = time.monotonic()
    with pytest.raises(ValueError, match="device one broke") as info:
        _run(fn)
    assert time.monotonic() - start < 10
    assert any("device 1" in note for note in info.value.__notes__)
    assert _run(lambda i: R.reduce(R.current(), np.full(2, i), "sum"))[0].tolist() == [3, 3]


def test_diverging_devices_raise_instead_of_hanging():
    def finishes_early(i):
        return None if i == 0 else R.reduce(R.current(), np.ones(2), "sum")

    with pytest.raises(R.CollectiveError, match="finished without reaching"):
        _run(finishes_early)

    def different(i):
        ctx = R.current()
        return R.reduce(ctx, np.ones(2), "sum") if i else R.all_gather(ctx, np.ones(2), 0, False)

    with pytest.raises(R.CollectiveError, match="different collectives"):
        _run(different)


def test_a_stuck_device_times_out(monkeypatch):
    monkeypatch.setenv("JAXLITE_COLLECTIVE_TIMEOUT", "0.3")
    release = threading.Event()

    def fn(i):
        if i == 1:
            release.wait(1.5)
        return R.reduce(R.current(), np.ones(2), "sum")

    start = time.monotonic()
    with pytest.raises(R.CollectiveError, match="waited"):
        try:
            _run(fn, 2)
        finally:
            release.set()
    assert time.monotonic() - start < 5


# ---- across processes: a fake process group -------------------------------------------------------


class MirrorGroup:
    """`size` processes that all hold the same local data as this one (rank `rank`)."""

    def __init__(self, rank, size):
        self.rank, self.size, self.calls = rank, size, []

    def allreduce(self, x, op):
        self.calls.append("allreduce")
        return x * self.size if op == "sum" else x.copy()

    def allgather(self, x):
        self.calls.append("allgather")
        return np.stack([x] * self.size)

    def alltoall(self, x):
        self.calls.append("alltoall")
        return np.stack([x[self.rank]] * self.size)

    def sendrecv(self, x, perm):
        self.calls.append("sendrecv")
        return x.copy() if any(d == self.rank for _, d in perm) else np.zeros_like(x)

    def barrier(self):
        pass


@pytest.mark.parametrize("rank", [0, 1])
@pytest.mark.parametrize("local", [1, 2])
def test_collectives_across_processes(monkeypatch, rank, local):
    group = MirrorGroup(rank, 2)
    monkeypatch.setattr(distributed, "_group", group)
    assert jax.process_count() == 2 and jax.process_index() == rank
    assert jax.device_count() == 8 and [d.id for d in jax.local_devices()] == [4 * rank + i for i in range(4)]
    n_all = 2 * local
    x = _x(local, 2 * n_all, seed=rank)
    every = np.concatenate([x, x])  # what all global devices hold
    mine = slice(rank * local, (rank + 1) * local)
    shift = [(i, (i + 1) % n_all) for i in range(n_all)]
    cases = {
        "psum": (lambda v: lax.psum(v, "i"), np.broadcast_to(every.sum(0), every.shape)),
        "pmax": (lambda v: lax.pmax(v, "i"), np.broadcast_to(every.max(0), every.shape)),
        "all_gather": (lambda v: lax.all_gather(v, "i"), np.broadcast_to(every, (n_all, *every.shape))),
        "axis_index": (lambda v: lax.axis_index("i"), np.arange(n_all)),
        "ppermute": (lambda v: lax.ppermute(v, "i", shift), np.roll(every, 1, axis=0)),
        "all_to_all": (lambda v: lax.all_to_all(v, "i", 0, 0, tiled=True),
                       np.stack([np.concatenate([np.split(every[s], n_all)[t] for s in range(n_all)])
                                 for t in range(n_all)])),
        "psum_scatter": (lambda v: lax.psum_scatter(v, "i", tiled=True),
                         np.stack(np.split(every.sum(0), n_all))),
    }
    for name, (f, ref) in cases.items():
        out = jax.pmap(f, "i")(x)
        np.testing.assert_allclose(np.asarray(out), ref[mine], rtol=1e-5, err_msg=name)
    assert "allreduce" in group.calls and "alltoall" in group.calls
    assert ("sendrecv" in group.calls) == (local == 1)


def test_device_put_sharded_and_replicated():
    devs = jax.local_devices()[:2]
    a, b = _x(3), _x(3, seed=1)
    s = jax.device_put_sharded([a, b], devs)
    assert isinstance(s, ShardedArray) and [sh.device for sh in s.addressable_shards] == devs
    np.testing.assert_array_equal(np.asarray(s), np.stack([a, b]))
    r = jax.device_put_replicated({"w": a}, devs)
    np.testing.assert_array_equal(np.asarray(r["w"]), np.stack([a, a]))
    out = jax.pmap(lambda u, v: u + v["w"])(s, r)
    np.testing.assert_allclose(np.asarray(out), np.stack([a + a, b + a]))
    np.testing.assert_array_equal(jax.device_get(out), np.asarray(out))
    with pytest.raises(ValueError, match="2 shards for 1 devices"):
        jax.device_put_sharded([a, b], devs[:1])


def test_outputs_that_do_not_depend_on_the_device():
    out = jax.pmap(lambda v: (1.0, v.sum(), lax.axis_index("i")), "i")(_x(3, 2))
    np.testing.assert_array_equal(np.asarray(out[0]), np.ones(3))
    np.testing.assert_array_equal(np.asarray(out[2]), np.arange(3))


def test_many_consecutive_collectives_pair_up_in_program_order():
    def fn(i):
        ctx, outs = R.current(), []
        for r in range(300):  # fast devices run ahead into the next round
            if i == r % 8:
                time.sleep(0.0005)
            outs.append(float(R.reduce(ctx, np.float64(i * 1000 + r), "sum")))
            outs.append(float(R.all_gather(ctx, np.float64(r - i), 0, False)[i]))
        return outs

    results = R.run_on_devices(fn, 8, "i")
    expected = []
    for r in range(300):
        expected += [sum(i * 1000 + r for i in range(8)), None]
    for i, outs in enumerate(results):
        assert outs[0::2] == expected[0::2]
        assert outs[1::2] == [float(r - i) for r in range(300)]


def test_a_failing_shard_of_a_compiled_pmap_ends_every_device(monkeypatch):
    from compiler.interpret import impl_rules

    real = impl_rules[P.psum_p]

    def psum_failing_on_device_1(x, **params):
        if R.current().index == 1:
            raise FloatingPointError("shard 1 failed")
        return real(x, **params)

    monkeypatch.setitem(impl_rules, P.psum_p, psum_failing_on_device_1)
    f = jax.pmap(lambda v: lax.psum(jnp.sin(v), "i") * 2.0, "i")
    start = time.monotonic()
    with pytest.raises(FloatingPointError, match="shard 1 failed"):
        f(_x(4, 3))
    assert time.monotonic() - start < 30
    monkeypatch.setitem(impl_rules, P.psum_p, real)
    np.testing.assert_allclose(np.asarray(f(np.zeros((4, 3), np.float32))), np.zeros((4, 3)))
