"""vmap's API: in_axes / out_axes (ints, None, negative, pytree prefixes), keyword arguments,
nesting, chunk_size, errors, and the collectives over named axes."""

from __future__ import annotations

import numpy as np
import pytest

from compiler import primitives as P
from compiler.interpret_collectives import COLLECTIVE_IMPLS
from jaxlite import lax
from jaxlite.array import Array
from jaxlite.batching import vmap
from jaxlite.core import ConcretizationTypeError
from jaxlite.lax import parallel as par
from jaxlite.partial_eval import make_jaxpr

f32 = np.float32
rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape).astype(f32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


# ---- in_axes / out_axes -------------------------------------------------------------------------


def test_in_axes_ints_none_and_negative():
    x, y = rand(3, 4), rand(4)
    f = lambda a, b: a * b + 1.0  # noqa: E731
    close(vmap(f, in_axes=(0, None))(x, y), x * y + 1)
    close(vmap(f, in_axes=(1, None))(x.T, y), x * y + 1)
    close(vmap(f, in_axes=(-1, None))(x.T, y), x * y + 1)
    close(vmap(f, in_axes=[0, None])(x, y), x * y + 1)  # a top-level list means a tuple
    close(vmap(f, in_axes=-2)(x, np.stack([y] * 3)), x * y + 1)


def test_out_axes_ints_negative_and_none():
    x = rand(3, 4, 5)
    f = lambda a: a * 2  # noqa: E731
    assert vmap(f, out_axes=1)(x).shape == (4, 3, 5)
    close(vmap(f, out_axes=-1)(x), np.moveaxis(x * 2, 0, -1))
    close(vmap(f, in_axes=2, out_axes=2)(x), x * 2)
    y = vmap(lambda a, b: b + 1.0, in_axes=(0, None), out_axes=None)(x, np.ones(2, f32))
    close(y, np.full(2, 2.0))


def test_pytree_in_axes_prefixes_and_kwargs():
    params = {"w": rand(4, 3), "b": rand(3)}
    xs = rand(5, 4)
    scale = rand(5)

    def f(p, x, *, scale):
        return {"out": (x @ p["w"] + p["b"]) * scale, "same": p["b"]}

    out = vmap(f, in_axes=({"w": None, "b": None}, 0), out_axes={"out": 0, "same": None})(
        params, xs, scale=scale)
    close(out["out"], (xs @ params["w"] + params["b"]) * scale[:, None])
    close(out["same"], params["b"])
    # A prefix: None for the whole dict.
    out2 = vmap(f, in_axes=(None, 0))(params, xs, scale=scale)
    close(out2["out"], out["out"])
    assert out2["same"].shape == (5, 3)
    # Per-leaf axes inside a nested structure (tuple in a list in a dict).
    tree = {"a": [rand(2, 5), (rand(5), rand(3))]}
    g = lambda t: t["a"][0].sum(0) + t["a"][1][0] + t["a"][1][1].sum()  # noqa: E731
    got = vmap(g, in_axes=({"a": [1, (0, None)]},))(tree)
    a0, (a1, a2) = tree["a"]
    want = np.stack([a0[:, i].sum(0) + a1[i] + a2.sum() for i in range(5)])
    close(got, want)


def test_out_axes_pytree_and_scalar_outputs():
    xs = rand(4, 2)
    a, b = vmap(lambda x: (x, 3.0), out_axes=(1, 0))(xs)
    close(a, xs.T)
    close(b, np.full(4, 3.0))
    assert vmap(lambda x: 1.0, in_axes=None, axis_size=3)(xs).shape == (3,)


def test_nested_vmaps_of_depth_three():
    x = rand(2, 3, 4, 5)
    w = rand(5, 6)
    f = lambda a, m: lax.tanh(lax.dot(a, m))  # noqa: E731 - a: (5,), m: (5, 6)
    got = vmap(vmap(vmap(f, in_axes=(0, None)), in_axes=(1, None)), in_axes=(0, None))(x, w)
    want = np.tanh(np.einsum("abcd,de->acbe", x, w))
    close(got, want)
    mixed = vmap(vmap(vmap(f, (0, None), 0), (0, None), 2), (2, None), 1)(x, w)
    close(mixed, np.tanh(np.einsum("abcd,de->bcea", x, w)))


def test_nested_vmap_equals_double_loop():
    x, y = rand(3, 4, 2), rand(4, 2)
    f = lambda a, b: lax.dot(a, b)  # noqa: E731 - (2,) . (2,)
    got = vmap(vmap(f, in_axes=(0, 0)), in_axes=(0, None))(x, y)
    want = np.array([[x[i, j] @ y[j] for j in range(4)] for i in range(3)])
    close(got, want)


def test_vmap_of_closure_over_outer_batched_value():
    xs, ys = rand(3), rand(4)
    got = vmap(lambda x: vmap(lambda y: x * y)(ys))(xs)
    close(got, xs[:, None] * ys[None, :])


def test_zero_sized_batch():
    out = vmap(lambda x: x * 2)(np.zeros((0, 3), f32))
    assert out.shape == (0, 3)


def test_python_control_flow_on_batched_value_raises():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(ConcretizationTypeError):
        vmap(f)(rand(3))


# ---- chunk_size ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 100])
def test_chunk_size_gives_the_same_result(chunk):
    w = rand(4, 3)
    xs, zs = rand(7, 4), rand(3, 7)

    def f(x, z):
        return {"y": lax.tanh(lax.dot(x, w)) * z, "w": w}

    want = vmap(f, in_axes=(0, 1), out_axes={"y": 1, "w": None})(xs, zs)
    got = vmap(f, in_axes=(0, 1), out_axes={"y": 1, "w": None}, chunk_size=chunk)(xs, zs)
    close(got["y"], want["y"])
    close(got["w"], w)
    staged = make_jaxpr(vmap(f, in_axes=(0, 1), out_axes={"y": 1, "w": None}, chunk_size=chunk))(xs, zs)
    assert "concatenate" in str(staged) or chunk >= 7


def test_chunk_size_validation():
    with pytest.raises(ValueError, match="chunk_size"):
        vmap(lambda x: x, chunk_size=0)
    with pytest.raises(ValueError, match="axis_name"):
        vmap(lambda x: x, axis_name="i", chunk_size=2)


# ---- Errors -------------------------------------------------------------------------------------


def test_inconsistent_sizes_name_the_arguments():
    def f(x, y):
        return x + y

    with pytest.raises(ValueError) as e:
        vmap(f)(np.ones(2, f32), np.ones(3, f32))
    msg = str(e.value)
    assert "inconsistent sizes" in msg
    assert "size 2: axis 0 of argument x of type f32[2]" in msg
    assert "size 3: axis 0 of argument y of type f32[3]" in msg
    with pytest.raises(ValueError, match=r"axis 1 of argument y\['b'\]"):
        vmap(f, in_axes=(0, {"b": 1}))(np.ones(2, f32), {"b": np.ones((4, 3), f32)})
    with pytest.raises(ValueError, match="axis_size=5"):
        vmap(f, axis_size=5)(np.ones(2, f32), np.ones(2, f32))


def test_unknown_size_without_axis_size():
    with pytest.raises(ValueError, match="axis_size must be specified"):
        vmap(lambda x: x, in_axes=None)(np.ones(2, f32))
    with pytest.raises(ValueError, match="axis_size must be specified"):
        vmap(lambda: 1.0)()


def test_axis_spec_errors():
    with pytest.raises(ValueError, match="len\\(in_axes\\)=1, len\\(args\\)=2"):
        vmap(lambda x, y: x, in_axes=(0,))(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="in_axes"):
        vmap(lambda x: x, in_axes=1.0)
    with pytest.raises(TypeError, match="in_axes"):
        vmap(lambda x: x, in_axes={"a": 0})
    with pytest.raises(ValueError, match="along axis 2.*rank should be at least 3.*shape is \\(2, 3\\)"):
        vmap(lambda x: x, in_axes=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tree prefix"):
        vmap(lambda t: t["b"], in_axes=({"a": 0},))({"b": np.ones(2)})
    with pytest.raises(ValueError, match="out_axes=3 is out of bounds"):
        vmap(lambda x: x, out_axes=3)(np.ones(2))
    with pytest.raises(ValueError, match="out_axes specification must be a tree prefix"):
        vmap(lambda x: {"a": x}, out_axes={"b": 0})(np.ones(2))
    with pytest.raises(ValueError, match="got axis spec None but output .* was batched on axis 0"):
        vmap(lambda x: x, out_axes=None)(np.ones(2))
    with pytest.raises(TypeError, match="not an array"):
        vmap(lambda x: "text")(np.ones(2))


def test_unbound_axis_names():
    with pytest.raises(NameError, match="unbound axis name: i"):
        par.psum(1.0, "i")
    with pytest.raises(NameError, match="unbound axis name: j"):
        vmap(lambda x: par.psum(x, "j"), axis_name="i")(np.ones(2, f32))
    with pytest.raises(NameError, match="unbound axis name: i"):
        make_jaxpr(lambda x: par.axis_index("i"))(1.0)
    # The NumPy meaning outside any axis is the same error (for primitives reaching eval).
    with pytest.raises(NameError, match="unbound axis name: i"):
        COLLECTIVE_IMPLS[P.psum_p](np.ones(2), axes=("i",))


# ---- Collectives --------------------------------------------------------------------------------


def test_psum_pmean_pmax_pmin():
    xs = rand(5, 3)
    close(vmap(lambda x: par.psum(x, "i"), axis_name="i")(xs), np.broadcast_to(xs.sum(0), xs.shape))
    close(vmap(lambda x: x - par.pmean(x, "i"), axis_name="i")(xs), xs - xs.mean(0))
    close(vmap(lambda x: par.pmax(x, "i"), axis_name="i")(xs), np.broadcast_to(xs.max(0), xs.shape))
    close(vmap(lambda x: par.pmin(x, "i"), axis_name="i")(xs), np.broadcast_to(xs.min(0), xs.shape))
    # Unbatched operands: psum multiplies by the axis size.
    assert np.asarray(vmap(lambda x: par.psum(1, "i"), axis_name="i")(xs)).tolist() == [5] * 5
    close(vmap(lambda x: par.pmean(np.ones(2, np.int32), "i"), axis_name="i")(xs), np.ones((5, 2)))
    # pytrees
    out = vmap(lambda x: par.psum({"a": x, "b": 2 * x}, "i"), axis_name="i", out_axes=None)(xs)
    close(out["b"], 2 * xs.sum(0))


def test_psum_output_is_unbatched():
    xs = rand(4, 3)
    total = vmap(lambda x: par.psum(x, "i"), axis_name="i", out_axes=None)(xs)
    close(total, xs.sum(0))


def test_collectives_over_nested_axes():
    x = rand(2, 3, 4)
    g = vmap(vmap(lambda v: par.psum(v, ("i", "j")), axis_name="j"), axis_name="i")
    close(g(x), np.broadcast_to(x.sum((0, 1)), x.shape))
    inner_only = vmap(vmap(lambda v: par.psum(v, "j"), axis_name="j"), axis_name="i")(x)
    close(inner_only, np.broadcast_to(x.sum(1, keepdims=True), x.shape))
    outer_only = vmap(vmap(lambda v: par.psum(v, "i"), axis_name="j"), axis_name="i")(x)
    close(outer_only, np.broadcast_to(x.sum(0, keepdims=True), x.shape))
    idx = vmap(vmap(lambda v: par.axis_index(("i", "j")), axis_name="j"), axis_name="i")(x)
    assert np.asarray(idx).tolist() == [[0, 1, 2], [3, 4, 5]]
    # Same name twice: the inner binding shadows the outer one.
    shadow = vmap(vmap(lambda v: par.psum(v, "i"), axis_name="i"), axis_name="i")(x)
    close(shadow, inner_only)


def test_axis_index_and_all_gather():
    xs = rand(4, 3)
    assert np.asarray(vmap(lambda x: par.axis_index("i"), axis_name="i")(xs)).tolist() == [0, 1, 2, 3]
    g = vmap(lambda x: par.all_gather(x, "i"), axis_name="i")(xs)
    close(g, np.broadcast_to(xs, (4, 4, 3)))
    g1 = vmap(lambda x: par.all_gather(x, "i", axis=1), axis_name="i")(xs)
    close(g1, np.broadcast_to(xs.T, (4, 3, 4)))
    gt = vmap(lambda x: par.all_gather(x, "i", tiled=True), axis_name="i")(xs)
    close(gt, np.broadcast_to(xs.reshape(-1), (4, 12)))
    x = rand(2, 3)
    g2 = vmap(vmap(lambda v: par.all_gather(v, ("i", "j")), axis_name="j"), axis_name="i")(x)
    close(g2, np.broadcast_to(x.reshape(6), (2, 3, 6)))
    # An unbatched operand is gathered as copies.
    close(vmap(lambda x: par.all_gather(np.float32(2.0) * np.ones(2, f32), "i"), axis_name="i")(xs),
          np.full((4, 4, 2), 2.0))


def test_ppermute():
    xs = rand(4, 2)
    perm = [(0, 1), (1, 2), (2, 3), (3, 0)]
    got = vmap(lambda x: par.ppermute(x, "i", perm), axis_name="i")(xs)
    close(got, np.roll(xs, 1, axis=0))
    partial = vmap(lambda x: par.ppermute(x, "i", [(0, 2)]), axis_name="i")(xs)
    want = np.zeros_like(xs)
    want[2] = xs[0]
    close(partial, want)


def test_collectives_staged_under_make_jaxpr():
    xs = rand(4, 3)
    f = vmap(lambda x: x - par.pmean(x, "i"), axis_name="i")
    text = str(make_jaxpr(f)(xs))
    assert "psum" not in text and "reduce_sum" in text
    from compiler.interpret import eval_jaxpr

    closed = make_jaxpr(f)(xs)
    close(eval_jaxpr(closed.jaxpr, closed.consts, xs)[0], xs - xs.mean(0))


def test_collectives_match_jax():
    jax = pytest.importorskip("jax")
    xs = rand(4, 3)
    for ours, theirs in [
        (lambda x: x * par.psum(x, "i") + par.axis_index("i"),
         lambda x: x * jax.lax.psum(x, "i") + jax.lax.axis_index("i")),
        (lambda x: par.all_gather(x, "i", axis=-1), lambda x: jax.lax.all_gather(x, "i", axis=-1)),
        (lambda x: par.all_gather(x, "i", tiled=True), lambda x: jax.lax.all_gather(x, "i", tiled=True)),
        (lambda x: par.pmean(x, "i") - par.pmax(x, "i"),
         lambda x: jax.lax.pmean(x, "i") - jax.lax.pmax(x, "i")),
    ]:
        close(vmap(ours, axis_name="i")(xs), jax.vmap(theirs, axis_name="i")(xs))


def test_results_are_arrays():
    out = vmap(lambda x: x + 1)(np.ones((2, 2), f32))
    assert isinstance(out, Array)
