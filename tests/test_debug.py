"""jaxlite.debug.print / debug.callback: eager, jit (run-time values, program order), vmap (one
call per example), grad (primal values, no effect on derivatives), and the compiler keeping
effectful equations (never removed, merged or reordered)."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from compiler import primitives as P
from compiler.ir import ShapedArray
from compiler.passes import cse, dce
from compiler.passes.util import JaxprBuilder
from compiler.pipeline import lower_cpu


def lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_print_eager_formats_like_str_format(capsys):
    jaxlite.debug.print("x={x} y={}", jnp.float32(1.5), x=jnp.arange(3))
    jaxlite.debug.print("{x:.3f}", x=jnp.float32(1.23456))
    jaxlite.debug.print("no placeholders", jnp.ones(2), skip_format_check=True)
    assert lines(capsys) == ["x=[0 1 2] y=1.5", "1.235", "no placeholders [1. 1.]"]


def test_print_under_jit_uses_run_time_values_in_program_order(capsys):
    def f(x):
        for i in range(3):
            jaxlite.debug.print("step {i}: {v}", i=i, v=x)
            x = jnp.sin(x) * 2.0
        jaxlite.debug.print("unused {}", x + 1.0)  # its value feeds no output: still printed
        return x

    jf = jaxlite.jit(f)
    for start in (0.5, 1.0):  # traced once, printed with each call's values
        x = np.float32(start)
        out = jf(x)
        expect, v = [], x
        for i in range(3):
            expect.append((f"step {i}:", v))
            v = np.float32(np.sin(v) * np.float32(2.0))
        expect.append(("unused", v + np.float32(1.0)))
        got = [line.rsplit(" ", 1) for line in lines(capsys)]
        assert [g[0] for g in got] == [e[0] for e in expect]
        np.testing.assert_allclose([float(g[1]) for g in got], [e[1] for e in expect], rtol=1e-6)
        np.testing.assert_allclose(out, v, rtol=1e-6)
    assert jf._cache_size() == 1


def test_print_twice_the_same_value_prints_twice_under_jit(capsys):
    def f(x):
        jaxlite.debug.print("{}", x)
        jaxlite.debug.print("{}", x)
        return x

    jaxlite.jit(f)(jnp.float32(2.0))
    assert lines(capsys) == ["2.0", "2.0"]


def test_print_under_vmap_prints_once_per_example(capsys):
    def f(x, y):
        jaxlite.debug.print("x={x} y={y}", x=x, y=y)
        return x * 2

    jaxlite.vmap(f, in_axes=(0, None))(jnp.arange(3.0), 5.0)
    eager = lines(capsys)
    assert eager == ["x=0.0 y=5.0", "x=1.0 y=5.0", "x=2.0 y=5.0"]
    jaxlite.jit(jaxlite.vmap(f, in_axes=(0, None)))(jnp.arange(3.0), 5.0)
    assert lines(capsys) == eager


def test_print_under_grad_sees_primals_and_leaves_derivatives_alone(capsys):
    def f(x):
        jaxlite.debug.print("x {}", x)
        y = jnp.sin(x) * x
        jaxlite.debug.print("y {}", y)
        return y

    g = jaxlite.grad(f)(jnp.float32(0.7))
    x = np.float32(0.7)
    assert lines(capsys) == [f"x {x}", f"y {np.sin(x) * x}"]
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(jaxlite.jit(jaxlite.grad(f))(x), g, rtol=1e-6)
    assert lines(capsys) == [f"x {x}", f"y {np.sin(x) * x}"]
    _, t = jaxlite.jvp(f, (x,), (np.float32(1.0),))
    np.testing.assert_allclose(t, g, rtol=1e-6)
    assert len(lines(capsys)) == 2


def test_print_inside_a_loop_body_runs_every_iteration(capsys):
    def body(i, x):
        jaxlite.debug.print("i={} x={}", i, x)
        return x + 1.0

    jaxlite.jit(lambda x: jaxlite.lax.fori_loop(0, 3, body, x))(jnp.float32(0.0))
    assert lines(capsys) == ["i=0 x=0.0", "i=1 x=1.0", "i=2 x=2.0"]


def test_debug_callback_gets_arrays_and_static_values():
    seen = []
    jaxlite.debug.callback(
        lambda a, tag, k=None: seen.append((type(a), np.asarray(a), tag, k)), jnp.ones(2), "static", k="kw"
    )
    ((t, a, tag, k),) = seen
    assert t is jaxlite.Array and tag == "static" and k == "kw"
    np.testing.assert_array_equal(a, np.ones(2))
    assert jaxlite.jit(lambda x: jaxlite.debug.callback(lambda a: seen.append(a), x))(jnp.ones(2)) is None
    np.testing.assert_array_equal(seen[-1], np.ones(2))


def test_callback_values_are_copies_not_program_buffers():
    kept = []
    f = jaxlite.jit(lambda x: (jaxlite.debug.callback(kept.append, x * 2.0), x * 3.0)[1])
    f(np.ones(4, np.float32))
    f(np.full(4, 5.0, np.float32))
    np.testing.assert_array_equal(kept[0], np.full(4, 2.0))
    np.testing.assert_array_equal(kept[1], np.full(4, 10.0))


def test_print_checks_its_format_string_while_tracing():
    with pytest.raises(ValueError, match="Unused positional arguments"):
        jaxlite.debug.print("no placeholder {}", 1, 2)
    with pytest.raises(ValueError, match="f-string"):
        jaxlite.debug.print("x", x=1)
    with pytest.raises(TypeError, match="must be callable"):
        jaxlite.debug.callback(3)


def test_two_call_form(capsys):
    jaxlite.debug.print(ordered=True)("{a}", a=jnp.int32(4))
    assert lines(capsys) == ["4"]


def test_print_matches_jax_output(capsys):
    jax = pytest.importorskip("jax")

    def program(lib, np_):
        def f(x):
            lib.debug.print("a {} {x}", x[0], x=x)
            y = lib.numpy.cos(x)
            lib.debug.print("b {:.4f}", y.sum())
            return y

        lib.jit(f)(np_.arange(3, dtype=np_.float32))
        lib.vmap(f)(np_.ones((2, 3), np_.float32))

    program(jax, np)
    jax.effects_barrier()
    want = lines(capsys)
    program(jaxlite, np)
    assert lines(capsys) == want


# ---- The compiler keeps effects ----------------------------------------------------------------


def _two_prints_of_one_value(record):
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((3,), np.float32))
    y = jb.op(P.sin_p, x)
    jb.op(P.debug_callback_p, y, callback=lambda v: record.append(("a", v.copy())), ordered=False)
    jb.op(P.debug_callback_p, x, callback=lambda v: record.append(("b", v.copy())), ordered=False)
    z = jb.op(P.cos_p, x)
    return jb.build([z])


def test_dce_and_cse_keep_effectful_equations():
    closed = _two_prints_of_one_value([])
    assert [e.prim for e in dce(closed).eqns].count(P.debug_callback_p) == 2
    jb = JaxprBuilder()
    x = jb.arg(ShapedArray((), np.float32))
    cb = print
    jb.op(P.debug_callback_p, x, callback=cb, ordered=False)
    jb.op(P.debug_callback_p, x, callback=cb, ordered=False)
    assert len(cse(jb.build([x])).eqns) == 2


def test_compiled_program_runs_effects_in_program_order():
    from compiler import runtime

    record = []
    closed = _two_prints_of_one_value(record)
    closed, program = lower_cpu(closed, check=True)
    assert program.count("interpret") == 2
    exe = runtime.compile_program(program, closed.consts)
    x = np.array([0.1, 0.2, 0.3], np.float32)
    (z,) = exe(x)
    assert [tag for tag, _ in record] == ["a", "b"]
    np.testing.assert_allclose(record[0][1], np.sin(x), rtol=1e-6)
    np.testing.assert_array_equal(record[1][1], x)
    np.testing.assert_allclose(z, np.cos(x), rtol=1e-6)


def test_print_under_checkpoint_runs_again_in_the_recomputation(capsys):
    # as JAX: once in the forward pass, once where the backward pass recomputes the primal
    def f(x):
        jaxlite.debug.print("f {}", x)
        return jnp.sin(x)

    g = jaxlite.grad(jaxlite.checkpoint(f))
    np.testing.assert_allclose(g(1.0), np.cos(1.0), rtol=1e-6)
    assert lines(capsys) == ["f 1.0", "f 1.0"]
    np.testing.assert_allclose(jaxlite.jit(g)(1.0), np.cos(1.0), rtol=1e-6)
    assert lines(capsys) == ["f 1.0", "f 1.0"]
