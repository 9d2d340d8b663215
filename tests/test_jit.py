"""jit: compiled results equal eager ones; the trace cache, static arguments, explained misses,
AOT lowering, the call primitive under other transformations, and threads."""

import logging
import threading

import numpy as np
import pytest
from _threads import run_at_once

import jaxlite.numpy as jnp
from compiler import primitives as P
from compiler import runtime
from jaxlite.array import Array
from jaxlite.config import config, enable_x64
from jaxlite.jit import jit
from jaxlite.partial_eval import make_jaxpr
from jaxlite.tree_util import tree_leaves, tree_map

rng = np.random.RandomState(0)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXLITE_CACHE_DIR", str(tmp_path / "cache"))


def f32(*shape):
    return rng.randn(*shape).astype(np.float32)


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def arith(x, y):
    x2 = x * x
    return (x * y + 0.5 * x2 - y) / (1 + x2) + 3 * y - x * y * y + 0.25 * x2 * y


def transcendental(x, y):
    x2 = x * x
    return (
        jnp.tanh(x) * y + jnp.exp(-x2) * 0.5 + jnp.sin(y) / (1 + x2) + 0.1 * x * y - jnp.sqrt(jnp.abs(y) + 1)
    )


def mlp(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    logits = x @ w + b
    return logits - jnp.max(logits, axis=-1, keepdims=True)


def softmax_rows(a):
    e = jnp.exp(a - jnp.max(a, axis=-1, keepdims=True))
    return e / jnp.sum(e, axis=-1, keepdims=True)


PROGRAMS = [
    ("arith", arith, lambda: (f32(100), f32(100))),
    ("transcendental", transcendental, lambda: (f32(100), f32(100))),
    ("softmax", softmax_rows, lambda: (f32(8, 33),)),
    (
        "reductions",
        lambda a: (jnp.sum(a, axis=0), jnp.mean(a), jnp.argmax(a, axis=1), jnp.min(a, axis=1)),
        lambda: (f32(6, 7),),
    ),
    ("where", lambda a, b: jnp.where(a > b, a - b, jnp.maximum(a, 0.5) * b), lambda: (f32(20), f32(20))),
    ("matmul", lambda a, b: jnp.tanh(a @ b + 1.0), lambda: (f32(5, 4), f32(4, 3))),
    ("batched", lambda a, b: jnp.einsum("bij,bjk->bik", a, b), lambda: (f32(3, 4, 5), f32(3, 5, 2))),
    ("transpose_reshape", lambda a: (a.T * 2).reshape(-1)[::2] + jnp.arange(6.0), lambda: (f32(3, 4),)),
    (
        "ints",
        lambda a: (a // 3, a % 3, a << 1, (a * 7) ^ a),
        lambda: (rng.randint(-50, 50, 30).astype(np.int32),),
    ),
    ("sort_cumsum", lambda a: jnp.cumsum(jnp.sort(a)), lambda: (f32(9),)),
    ("mlp", mlp, lambda: ([(f32(6, 5), f32(5)), (f32(5, 3), f32(3))], f32(4, 6))),
    ("scalars", lambda a, s: a * s + s, lambda: (f32(4), 2.5)),
]


@pytest.mark.parametrize("name, fun, make_args", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_jit_equals_eager(name, fun, make_args):
    args = make_args()
    want = fun(*tree_map(jnp.asarray, args))
    got = jit(fun)(*args)
    flat_w, flat_g = _leaves(want), _leaves(got)
    assert len(flat_w) == len(flat_g)
    for w, g in zip(flat_w, flat_g):
        assert isinstance(g, Array)
        assert g.shape == w.shape and g.dtype == w.dtype and g.weak_type == w.weak_type
        close(g, w)


def _leaves(tree):
    return tree_leaves(tree)


def test_pytrees_in_and_out():
    @jit
    def f(d, t):
        return {"sum": d["a"] + t[0], "pair": (d["b"] * 2, t[1])}

    out = f({"a": f32(3), "b": f32(2)}, (f32(3), 7))
    assert set(out) == {"sum", "pair"} and isinstance(out["pair"], tuple)
    assert out["pair"][1].weak_type and int(out["pair"][1]) == 7


def test_static_arguments_by_position_and_name():
    calls = []

    def f(x, n, *, mode="add"):
        calls.append(1)
        return x + n if mode == "add" else x * n

    g = jit(f, static_argnums=(1,), static_argnames=("mode",))
    x = f32(4)
    close(g(x, 2), x + 2)
    close(g(x, 2), x + 2)
    close(g(x, 3, mode="mul"), x * 3)
    assert len(calls) == 2
    close(g(x, n=3, mode="mul"), x * 3)  # static by name, marked by position
    with pytest.raises(ValueError, match="non-hashable static"):
        g(x, [1, 2])


def test_retraces_on_new_shapes_dtypes_and_weak_types_only():
    traces = []

    @jit
    def f(x):
        traces.append(x.aval)
        return x * 2

    f(f32(3))
    f(f32(3))
    f(np.ones(3, np.float32))
    assert len(traces) == 1
    f(f32(4))
    f(np.ones(3, np.int32))
    f(2.0)  # a weak float
    f(np.float32(2.0))  # a strong one
    assert len(traces) == 5 and f._cache_size() == 5


def test_explain_cache_misses(caplog):
    @jit
    def f(x, n):
        return x * n

    g = jit(f, static_argnums=1)
    config.update("jax_explain_cache_misses", True)
    try:
        with caplog.at_level(logging.WARNING, logger="jaxlite.jit"):
            g(f32(3), 2)
            g(f32(4), 2)
            g(f32(4), 5)
            g(np.ones(4, np.int32), 5)
    finally:
        config.update("jax_explain_cache_misses", False)
    text = caplog.text
    assert "tracing for the first time" in text
    assert "shape/dtype of argument" in text and "f32[3]" in text and "f32[4]" in text
    assert "static argument 1 changed from 2 to 5" in text
    assert "i32[4]" in text


def test_jit_under_make_jaxpr_stages_one_call():
    inner = jit(lambda x: jnp.sin(x) * 2)
    closed = make_jaxpr(lambda x: inner(x) + 1)(f32(3))
    calls = [e for e in closed.eqns if e.prim is P.jit_p]
    assert len(calls) == 1 and calls[0].params["name"] == "<lambda>"
    assert str(calls[0].params["jaxpr"]).count("sin") == 1


def test_nested_jit_is_inlined_into_one_program():
    inner = jit(lambda x: jnp.exp(x) + 1)
    outer = jit(lambda x: inner(x) * inner(2 * x))
    x = f32(10)
    close(outer(x), (np.exp(x) + 1) * (np.exp(2 * x) + 1))
    compiled = outer.lower(x).compile()
    assert compiled.program.count("kernel") == 1 and compiled.program.count("interpret") == 0


def test_closed_over_constants():
    table = np.arange(5.0, dtype=np.float32)
    f = jit(lambda x: x * table + jnp.asarray(table).sum())
    x = f32(5)
    close(f(x), x * table + table.sum())


def test_lower_and_compile_texts():
    f = jit(arith)
    x, y = f32(16), f32(16)
    lowered = f.lower(x, y)
    text = lowered.as_text()
    assert text.startswith("{ lambda") and "mul" in text
    compiled = lowered.compile()
    ir_text = compiled.as_text()
    assert "kernel/fusion report" in ir_text and "1 kernel(s)" in ir_text and "define" in ir_text
    close(compiled(x, y), arith(x, y))


def test_grad_and_vmap_of_jit_and_jit_of_both():
    from jaxlite.ad_api import grad
    from jaxlite.batching import vmap

    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    w, x = f32(4, 3), f32(5, 4)
    g_eager = grad(loss)(w, x)
    close(grad(jit(loss))(w, x), g_eager, rtol=1e-4)
    close(jit(grad(loss))(w, x), g_eager, rtol=1e-4)
    per_ex = vmap(grad(loss), in_axes=(None, 0))
    want = per_ex(w, x[:, None, :])
    close(jit(per_ex)(w, x[:, None, :]), want, rtol=1e-4)
    close(vmap(jit(lambda r: jnp.sum(jnp.sin(r))))(x), np.sin(x).sum(axis=1), rtol=1e-5)


def test_x64_is_part_of_the_key():
    f = jit(lambda x: x + 1)
    assert f(1.0).dtype == np.float32
    with enable_x64():
        assert f(1.0).dtype == np.float64
        assert f(np.ones(2)).dtype == np.float64
    assert f(np.ones(2)).dtype == np.float32


def test_invalid_arguments_name_the_function():
    f = jit(lambda x: x)
    with pytest.raises(TypeError, match=r"jit\(<lambda>\).*str"):
        f("hello")
    with pytest.raises(TypeError, match="output"):
        jit(lambda x: (x, "s"))(1.0)


def test_disable_jit_runs_eagerly():
    f = jit(lambda x: x * 2)
    with config_flag("jax_disable_jit", True):
        assert f(3.0) == 6.0
        assert f._cache_size() == 0


class config_flag:
    def __init__(self, name, value):
        self.name, self.value = name, value

    def __enter__(self):
        self.old = config.read(self.name)
        config.update(self.name, self.value)

    def __exit__(self, *exc):
        config.update(self.name, self.old)


def test_eight_threads_call_one_jitted_function():
    f = jit(lambda x, y: jnp.tanh(x) * y + jnp.sum(x * y))
    xs = [f32(257) for _ in range(8)]
    ys = [f32(257) for _ in range(8)]
    want = [np.tanh(x) * y + np.sum(x * y) for x, y in zip(xs, ys)]
    f(xs[0], ys[0])
    def work(i):
        for _ in range(50):
            out = np.asarray(f(xs[i], ys[i]))
        return out

    results = run_at_once(work)
    for r, w in zip(results, want):
        close(r, w, rtol=1e-5, atol=1e-5)


def test_warm_calls_skip_tracing_and_compiling():
    f = jit(lambda v: v * 2.0 + 1.0)
    v = jnp.asarray(np.ones(3, np.float32))
    f(v)
    before = dict(runtime.STATS)
    for _ in range(100):
        out = f(v)
    assert dict(runtime.STATS) == before
    close(out, np.full(3, 3.0))
    assert out.weak_type is False


def test_fallback_primitive_runs_through_the_interpreter_callback():
    import jaxlite

    spec = jaxlite.ShapeDtypeStruct((6,), np.float32)
    f = jit(lambda a: jaxlite.pure_callback(np.sort, spec, jnp.exp(a)) * 2)
    a = f32(6)
    close(f(a), np.sort(np.exp(a)) * 2)
    assert "INTERPRETER CALLBACK pure_callback" in f.lower(a).compile().as_text()


def test_tracing_in_one_thread_does_not_capture_another_threads_calls():
    warm = jit(lambda x: jnp.sin(x) * 2)
    x = f32(64)
    warm(x)
    stop, errors = threading.Event(), []

    def keep_tracing():
        k = 0
        while not stop.is_set():
            k += 1
            jit(lambda v, k=k: jnp.cos(v) + jnp.sum(v) * k - v**3).lower(x)

    def call():
        try:
            for _ in range(300):
                close(warm(x), np.sin(x) * 2)
                close(jnp.asarray(x) + 1, x + 1)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    tracer = threading.Thread(target=keep_tracing)
    callers = [threading.Thread(target=call) for _ in range(3)]
    tracer.start()
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    stop.set()
    tracer.join()
    assert not errors, errors[:2]
