"""The Array type, tracing with make_jaxpr, and the errors users meet first."""

import pickle

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr
from jaxlite import lax


def run_jaxpr(closed, *args):
    consts = [np.asarray(c) for c in closed.consts]
    return eval_jaxpr(closed.jaxpr, consts, *[np.asarray(a) for a in args])


# ---- Array -------------------------------------------------------------------------------------


def test_array_basics():
    x = jaxlite.Array(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.shape == (2, 3) and x.dtype == np.float32 and x.ndim == 2 and x.size == 6
    assert repr(x) == "Array([[0., 1., 2.],\n       [3., 4., 5.]], dtype=float32)"
    assert x.T.shape == (3, 2)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x[1, 2].item() == 5.0
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert x.block_until_ready() is x
    assert float(x[0, 1]) == 1.0 and int(x[1, 0]) == 3
    assert repr(jnp.add(1.0, 2)) == "Array(3., dtype=float32, weak_type=True)"


def test_asarray_is_zero_copy_and_read_only():
    x = jaxlite.Array(np.arange(4.0, dtype=np.float32))
    v = np.asarray(x)
    assert v.base is not None and not v.flags.writeable
    assert np.shares_memory(v, np.asarray(x))
    with pytest.raises(ValueError):
        v[0] = 10.0


def test_array_does_not_alias_its_numpy_source():
    src = np.arange(3.0, dtype=np.float32)
    x = jaxlite.Array(src)
    src[0] = 100.0
    assert np.asarray(x)[0] == 0.0


def test_in_place_mutation_is_rejected_with_at_hint():
    x = jaxlite.Array(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        x[0] = 1.0


def test_unhashable_and_pickle():
    x = jaxlite.Array(np.arange(3, dtype=np.int32))
    with pytest.raises(TypeError):
        hash(x)
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, jaxlite.Array) and np.array_equal(np.asarray(y), np.asarray(x))


def test_numpy_interop_operators():
    x = jaxlite.Array(np.arange(3, dtype=np.float32))
    out = np.ones(3, np.float32) + x  # NumPy defers to Array.__radd__
    assert isinstance(out, jaxlite.Array)
    np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])
    assert isinstance(np.sin(x), np.ndarray)  # NumPy functions still accept Arrays


def test_eager_results_match_numpy():
    a = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    x = jaxlite.Array(a)
    np.testing.assert_allclose(np.asarray(jnp.tanh(x) * 2 - x / 3), np.tanh(a) * 2 - a / 3, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(x > 0), a > 0)
    np.testing.assert_array_equal(np.asarray(x // 0.7), a // np.float32(0.7))
    np.testing.assert_array_equal(np.asarray(x % 0.7), np.mod(a, np.float32(0.7)))


# ---- make_jaxpr ----------------------------------------------------------------------------------


def mlp(params, x):
    (w1, b1), (w2, b2) = params
    h = jnp.tanh(lax.dot(x, w1) + b1)
    return lax.dot(h, w2) + b2


def _mlp_args():
    rng = np.random.default_rng(0)
    params = ((rng.standard_normal((4, 8), dtype=np.float32), np.zeros(8, np.float32)),
              (rng.standard_normal((8, 2), dtype=np.float32), np.zeros(2, np.float32)))
    return params, rng.standard_normal((5, 4), dtype=np.float32)


def test_make_jaxpr_prints_readable_mlp():
    params, x = _mlp_args()
    closed = jaxlite.make_jaxpr(mlp)(params, x)
    text = str(closed)
    assert text.startswith("{ lambda ; a:f32[4,8] b:f32[8] c:f32[8,2] d:f32[2] e:f32[5,4]. let")
    assert "dot_general" in text and "tanh" in text and "broadcast_in_dim" in text
    assert text.rstrip().endswith("in (j,) }") or "in (" in text.splitlines()[-1]
    # The printed program computes the same values as eager execution.
    flat = [*params[0], *params[1], x]
    (out,) = run_jaxpr(closed, *flat)
    np.testing.assert_allclose(out, np.asarray(mlp(params, x)), rtol=1e-5)


def test_make_jaxpr_pytrees_static_argnums_and_shapes():
    def f(d, n):
        return {"y": d["a"] * n, "z": (d["b"].sum() if hasattr(d["b"], "sum") else d["b"],)}

    closed, shapes = jaxlite.make_jaxpr(f, static_argnums=1, return_shape=True)(
        {"a": np.ones(3, np.float32), "b": np.ones((2, 2), np.float32)}, 3)
    assert "mul" in str(closed) and "3.0" in str(closed) or "3:" in str(closed)
    assert shapes["y"].shape == (3,) and shapes["y"].dtype == np.float32


def test_make_jaxpr_captures_constants():
    c = jaxlite.Array(np.arange(3, dtype=np.float32))
    closed = jaxlite.make_jaxpr(lambda x: x * c + 1.0)(np.ones(3, np.float32))
    assert len(closed.consts) == 1 and str(closed).startswith("{ lambda a:f32[3]; b:f32[3]. let")
    (out,) = run_jaxpr(closed, np.ones(3, np.float32))
    np.testing.assert_array_equal(out, [1, 2, 3])


def test_concretization_error_names_the_fixes():
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(jaxlite.ConcretizationTypeError, match=r"lax\.cond.*jnp\.where"):
        jaxlite.make_jaxpr(f)(np.ones(3, np.float32))


def test_numpy_on_a_tracer_is_a_clear_error():
    with pytest.raises(jaxlite.TracerArrayConversionError, match="jaxlite.numpy"):
        jaxlite.make_jaxpr(lambda x: np.sin(x))(np.ones(3, np.float32))


def test_leaked_tracer_is_detected():
    box = []

    def f(x):
        box.append(x)
        return x + 1

    jaxlite.make_jaxpr(f)(np.ones(2, np.float32))
    with pytest.raises(jaxlite.UnexpectedTracerError, match="escaped|finished|outside"):
        jaxlite.make_jaxpr(lambda y: y + box[0])(np.ones(2, np.float32))


def test_eval_shape():
    out = jaxlite.eval_shape(lambda a, b: jnp.tanh(lax.dot(a, b)),
                             jaxlite.ShapeDtypeStruct((2, 3), np.float32), np.ones((3, 5), np.float32))
    assert out.shape == (2, 5) and out.dtype == np.float32


# ---- Errors ------------------------------------------------------------------------------------


def test_mismatched_shapes_error_names_function_and_shapes():
    x = jaxlite.Array(np.ones(3, np.float32))
    y = jaxlite.Array(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"jaxlite\.numpy\.add.*\(3,\).*\(4,\)"):
        jnp.add(x, y)
    with pytest.raises(ValueError, match=r"multiply.*\(3,\).*\(4,\)"):
        jaxlite.make_jaxpr(lambda a, b: a * b)(np.ones(3, np.float32), np.ones(4, np.float32))


def test_lax_shape_errors_name_the_primitive():
    with pytest.raises(TypeError, match=r"add: .*f32\[3\], f32\[4\]"):
        lax.add(jaxlite.Array(np.ones(3, np.float32)), jaxlite.Array(np.ones(4, np.float32)))
    with pytest.raises(TypeError, match=r"dot_general: .*differ in size"):
        lax.dot(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(TypeError, match=r"add: operands must share one dtype"):
        lax.add(np.ones(3, np.float32), np.ones(3, np.int32))


def test_non_array_arguments():
    with pytest.raises(TypeError, match=r"jaxlite\.numpy\.sin.*list.*jnp\.asarray"):
        jnp.sin([1.0, 2.0])
    with pytest.raises(TypeError, match=r"jaxlite\.numpy\.add.*NoneType"):
        jnp.add(None, 1.0)


def test_out_of_range_axis():
    with pytest.raises(ValueError, match="axis 3.*rank 1|axes=3"):
        lax.reduce_sum(np.ones(3, np.float32), (3,))
