"""jaxlite.numpy shape manipulation against NumPy, eagerly and through make_jaxpr + eval_jaxpr."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxlite
import jaxlite.numpy as jnp
from compiler.interpret import eval_jaxpr

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def traced_values(f, *args):
    """f staged with make_jaxpr and run by the interpreter (consts may be Arrays)."""
    closed = jaxlite.make_jaxpr(f)(*args)
    consts = [np.asarray(c) for c in closed.consts]
    return eval_jaxpr(closed.jaxpr, consts, *[np.asarray(a) for a in args])


def check(f, *args, want):
    """f(*args) equals want, dtype and shape included, both eagerly and traced."""
    eager = f(*args)
    eager = list(eager) if isinstance(eager, (list, tuple)) else [eager]
    wants = list(want) if isinstance(want, (list, tuple)) else [want]
    assert len(eager) == len(wants)
    traced = traced_values(f, *args)
    for e, t, w in zip(eager, traced, wants):
        w = np.asarray(w)
        for got in (np.asarray(e), np.asarray(t)):
            assert got.shape == w.shape and got.dtype == w.dtype, (got.shape, got.dtype, w.shape, w.dtype)
            np.testing.assert_array_equal(got, w)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
nonempty = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def arr(shape, dtype=np.float32):
    return np.asarray(np.arange(int(np.prod(shape))).reshape(shape).astype(dtype))


# ---- reshaping --------------------------------------------------------------------------------


@SETTINGS
@given(shapes, st.data())
def test_reshape_and_ravel(shape, data):
    x = arr(shape)
    new = tuple(data.draw(st.permutations(list(shape))))
    if new and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(new) - 1))
        if np.prod(new[:i] + new[i + 1:]) > 0:
            new = new[:i] + (-1,) + new[i + 1:]
    for order in ("C", "F"):
        check(lambda x: jnp.reshape(x, new, order=order), x, want=np.reshape(x, new, order=order))
        check(lambda x: jnp.ravel(x, order=order), x, want=np.ravel(x, order=order))
    check(lambda x: x.reshape(x.size), x, want=x.reshape(x.size))


def test_reshape_errors():
    x = jnp.ones((2, 3))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):  # JAX's class...
        jnp.reshape(x, (4,))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):  # ...and NumPy's
        jnp.reshape(x, (4,))
    with pytest.raises(ValueError, match="one unknown"):
        jnp.reshape(x, (-1, -1))
    with pytest.raises(ValueError, match="divide"):
        jnp.reshape(x, (4, -1))
    with pytest.raises(NotImplementedError):
        jnp.reshape(x, (6,), order="A")
    with pytest.raises(TypeError, match="list"):
        jnp.reshape([1, 2], (2,))


@SETTINGS
@given(shapes, st.data())
def test_transpose_swapaxes_moveaxis(shape, data):
    x = arr(shape)
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)))
    check(lambda x: jnp.transpose(x, perm), x, want=np.transpose(x, perm))
    check(lambda x: jnp.transpose(x), x, want=np.transpose(x))
    check(lambda x: x.T, x, want=x.T)
    if nd:
        a, b = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
        check(lambda x: jnp.swapaxes(x, a, b), x, want=np.swapaxes(x, a, b))
        k = data.draw(st.integers(1, nd))
        src = data.draw(st.permutations(range(nd)))[:k]
        dst = data.draw(st.permutations(range(-nd, 0)))[:k]
        check(lambda x: jnp.moveaxis(x, src, dst), x, want=np.moveaxis(x, src, dst))
        start = data.draw(st.integers(0, nd))
        check(lambda x: jnp.rollaxis(x, a, start), x, want=np.rollaxis(x, a, start))
    if nd >= 2:
        check(lambda x: jnp.matrix_transpose(x), x, want=np.swapaxes(x, -1, -2))


@SETTINGS
@given(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=0, max_size=4).map(tuple), st.data())
def test_squeeze_expand_dims(shape, data):
    x = arr(shape)
    check(lambda x: jnp.squeeze(x), x, want=np.squeeze(x))
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        axes = tuple(data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
        check(lambda x: jnp.squeeze(x, axes), x, want=np.squeeze(x, axes))
    k = data.draw(st.integers(1, 3))
    nd = len(shape) + k
    axes = st.lists(st.integers(-nd, nd - 1), min_size=k, max_size=k, unique_by=lambda a: a % nd)
    axes = tuple(data.draw(axes))
    check(lambda x: jnp.expand_dims(x, axes), x, want=np.expand_dims(x, axes))


def test_squeeze_expand_errors():
    with pytest.raises(ValueError, match="size 1"):
        jnp.squeeze(jnp.ones((1, 2)), 1)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.squeeze(jnp.ones((1, 2)), 5)
    with pytest.raises(ValueError, match="repeated"):
        jnp.expand_dims(jnp.ones(2), (0, 0))
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.expand_dims(jnp.ones(2), 3)


# ---- joining and splitting --------------------------------------------------------------------


@SETTINGS
@given(nonempty, st.integers(1, 3), st.data())
def test_concatenate_and_stack(shape, n, data):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    parts = []
    for i in range(n):
        s = list(shape)
        s[axis] = data.draw(st.integers(0, 3))
        parts.append(arr(s, data.draw(st.sampled_from([np.float32, np.int32, np.int8]))) + i)
    want = np.concatenate(parts, axis).astype(jnp.result_type(*parts))
    check(lambda *p: jnp.concatenate(p, axis), *parts, want=want)
    check(lambda *p: jnp.concatenate(p, None), *parts, want=np.concatenate(parts, None).astype(want.dtype))
    same = [arr(shape) + i for i in range(n)]
    sax = data.draw(st.integers(-nd - 1, nd))
    check(lambda *p: jnp.stack(p, sax), *same, want=np.stack(same, sax))
    for jf, nf in [(jnp.hstack, np.hstack), (jnp.vstack, np.vstack), (jnp.dstack, np.dstack),
                   (jnp.column_stack, np.column_stack)]:
        if jf is jnp.column_stack and nd > 2:
            continue
        check(lambda *p: jf(p), *same, want=nf(same))
    check(lambda *p: jnp.append(p[0], p[-1]), *same, want=np.append(same[0], same[-1]))


def test_joining_details():
    c = jnp.concatenate([jnp.ones(2, jnp.int8), jnp.array([1, 2])])
    assert c.dtype == np.int32
    assert jnp.concatenate([jnp.ones(2), jnp.ones(2)], dtype=int).dtype == np.int32
    assert jnp.stack([1.0, 2.0]).weak_type
    np.testing.assert_array_equal(np.asarray(jnp.concatenate(jnp.ones((2, 3)))), np.ones(6))
    np.testing.assert_array_equal(np.asarray(jnp.hstack([1, 2])), [1, 2])
    with pytest.raises(TypeError, match=r"\(2, 3\), \(2, 4\)"):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match=r"\(2, 3\), \(3,\)"):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones(3)])
    with pytest.raises(ValueError, match="at least one"):
        jnp.concatenate([])
    with pytest.raises(ValueError, match="zero-dimensional"):
        jnp.concatenate([jnp.array(1), jnp.array(2)])
    with pytest.raises(ValueError, match="same shape"):
        jnp.stack([jnp.ones(2), jnp.ones(3)])
    with pytest.raises(TypeError):
        jnp.concatenate(3)


@SETTINGS
@given(nonempty, st.data())
def test_split_family(shape, data):
    x = arr(shape)
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    divisors = [k for k in range(1, n + 1) if n % k == 0]
    k = data.draw(st.sampled_from(divisors))
    check(lambda x: jnp.split(x, k, axis), x, want=np.split(x, k, axis))
    pts = sorted(data.draw(st.lists(st.integers(0, n + 1), max_size=3)))
    check(lambda x: jnp.split(x, pts, axis), x, want=np.split(x, pts, axis))
    sec = data.draw(st.integers(1, 5))
    check(lambda x: jnp.array_split(x, sec, axis), x, want=np.array_split(x, sec, axis))
    check(lambda x: jnp.hsplit(x, 1), x, want=np.hsplit(x, 1))
    if nd >= 2:
        check(lambda x: jnp.vsplit(x, 1), x, want=np.vsplit(x, 1))
    if nd >= 3:
        check(lambda x: jnp.dsplit(x, 1), x, want=np.dsplit(x, 1))
    check(lambda x: jnp.unstack(x, axis=axis), x, want=[np.take(x, i, axis) for i in range(n)])


def test_split_errors():
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(jnp.ones(5), 2)
    with pytest.raises(ValueError, match="larger than 0"):
        jnp.array_split(jnp.ones(5), 0)
    with pytest.raises(ValueError, match="2 dimensions"):
        jnp.vsplit(jnp.ones(4), 2)


# ---- tile and repeat --------------------------------------------------------------------------


@SETTINGS
@given(shapes, st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple))
def test_tile(shape, reps):
    x = arr(shape)
    check(lambda x: jnp.tile(x, reps), x, want=np.tile(x, reps))
    check(lambda x: jnp.tile(x, 2), x, want=np.tile(x, 2))


@SETTINGS
@given(shapes, st.data())
def test_repeat(shape, data):
    x = arr(shape)
    nd = len(shape)
    axis = data.draw(st.none() | st.integers(-nd, nd - 1)) if nd else None
    r = data.draw(st.integers(0, 3))
    check(lambda x: jnp.repeat(x, r, axis), x, want=np.repeat(x, r, axis))
    n = x.size if axis is None else shape[axis]
    reps = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int32)
    want = np.repeat(x, reps, axis)
    check(lambda x: jnp.repeat(x, reps, axis), x, want=want)
    if n:
        # Traced repeats need the output length; JAX pads with the last element / truncates.
        total = data.draw(st.integers(0, want.shape[0 if axis is None else axis] + 2))
        src = np.repeat(np.arange(n), reps)
        src = np.concatenate([src, np.full(max(0, total - len(src)), n - 1)])[:total]
        flat = x.reshape(-1) if axis is None else x
        check(lambda x, r: jnp.repeat(x, r, axis, total_repeat_length=total), x, reps,
              want=np.take(flat, src, 0 if axis is None else axis))


def test_repeat_errors():
    with pytest.raises(ValueError, match="negative"):
        jnp.repeat(jnp.arange(3), -1)
    with pytest.raises(ValueError, match="match"):
        jnp.repeat(jnp.arange(3), np.array([1, 2]))
    with pytest.raises(jaxlite.ConcretizationTypeError, match="total_repeat_length"):
        jaxlite.make_jaxpr(lambda r: jnp.repeat(jnp.arange(3), r))(jnp.array([1, 2, 3]))
    prims = [e.prim.name for e in jaxlite.make_jaxpr(lambda x: jnp.repeat(x, 2))(jnp.ones(3)).jaxpr.eqns]
    assert prims == ["broadcast_in_dim", "reshape"]


# ---- broadcasting -----------------------------------------------------------------------------


@st.composite
def broadcastable(draw, n=2):
    out = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
    res = []
    for _ in range(n):
        k = draw(st.integers(0, len(out)))
        res.append(tuple(d if draw(st.booleans()) else 1 for d in out[len(out) - k:]))
    return tuple(out), res


@SETTINGS
@given(broadcastable(3))
def test_broadcasting(case):
    out, shapes_ = case
    xs = [arr(s) for s in shapes_]
    assert jnp.broadcast_shapes(*shapes_) == np.broadcast_shapes(*shapes_)
    check(lambda *xs: jnp.broadcast_arrays(*xs), *xs, want=np.broadcast_arrays(*xs))
    target = np.broadcast_shapes(*shapes_)
    check(lambda x: jnp.broadcast_to(x, target), xs[0], want=np.broadcast_to(xs[0], target))


def test_broadcast_errors():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        jnp.broadcast_to(jnp.ones(3), (2, 4))
    with pytest.raises(ValueError, match="fewer"):
        jnp.broadcast_to(jnp.ones((2, 3)), (3,))
    with pytest.raises(ValueError, match=r"\(2, 3\), \(4,\)"):
        jnp.broadcast_shapes((2, 3), (4,))


# ---- flips, rolls, rotations ------------------------------------------------------------------


@SETTINGS
@given(shapes, st.data())
def test_flip_roll_rot90(shape, data):
    x = arr(shape)
    nd = len(shape)
    axes = data.draw(st.none() | st.lists(st.integers(0, nd - 1), unique=True).map(tuple)) if nd else None
    check(lambda x: jnp.flip(x, axes), x, want=np.flip(x, axes))
    if nd >= 1:
        check(lambda x: jnp.flipud(x), x, want=np.flipud(x))
    if nd >= 2:
        check(lambda x: jnp.fliplr(x), x, want=np.fliplr(x))
        k = data.draw(st.integers(-5, 5))
        ax = tuple(data.draw(st.permutations(range(nd)))[:2])
        check(lambda x: jnp.rot90(x, k, ax), x, want=np.rot90(x, k, ax))
    shift = data.draw(st.integers(-7, 7))
    check(lambda x: jnp.roll(x, shift), x, want=np.roll(x, shift))
    check(lambda x, s: jnp.roll(x, s), x, np.int32(shift), want=np.roll(x, shift))
    if nd:
        ax = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=3))
        sh = data.draw(st.lists(st.integers(-5, 5), min_size=len(ax), max_size=len(ax)))
        check(lambda x: jnp.roll(x, sh, ax), x, want=np.roll(x, sh, ax))
        check(lambda x, s: jnp.roll(x, s, ax[0]), x, np.int32(sh[0]), want=np.roll(x, sh[0], ax[0]))


def test_rot90_errors():
    with pytest.raises(ValueError, match="different"):
        jnp.rot90(jnp.ones((2, 2)), 1, (0, 0))
    with pytest.raises(ValueError, match="2 dimensions"):
        jnp.fliplr(jnp.ones(3))


# ---- pad --------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean"]),
       st.data())
def test_pad_matches_numpy(shape, mode, data):
    x = arr(shape, data.draw(st.sampled_from([np.float32, np.int32])))
    widths = [tuple(data.draw(st.lists(st.integers(0, 6), min_size=2, max_size=2))) for _ in shape]
    kw = {}
    if mode == "constant" and data.draw(st.booleans()):
        kw["constant_values"] = [tuple(data.draw(st.lists(st.integers(-5, 5), min_size=2, max_size=2)))
                                 for _ in shape]
    if mode in ("maximum", "minimum", "mean") and data.draw(st.booleans()):
        kw["stat_length"] = data.draw(st.integers(1, 4))
    want = np.pad(x, widths, mode=mode, **kw)
    check(lambda x: jnp.pad(x, widths, mode=mode, **kw), x, want=want)
    check(lambda x: jnp.pad(x, 2, mode=mode), x, want=np.pad(x, 2, mode=mode))


def test_pad_details():
    check(lambda x, c: jnp.pad(x, 1, constant_values=c), np.arange(3.0, dtype=np.float32), np.float32(7),
          want=np.array([7, 0, 1, 2, 7], np.float32))
    np.testing.assert_array_equal(np.asarray(jnp.pad(jnp.arange(3), 1, constant_values=1.7)), [1, 0, 1, 2, 1])
    assert jnp.pad(jnp.array(1), 3).shape == ()
    closed = jaxlite.make_jaxpr(lambda x: jnp.pad(x, 2, mode="reflect"))(jnp.ones(5))
    prims = {e.prim.name for e in closed.jaxpr.eqns}
    assert "gather" not in prims
    with pytest.raises(ValueError, match="empty axis"):
        jnp.pad(jnp.ones(0), 1, mode="reflect")
    with pytest.raises(ValueError, match="negative"):
        jnp.pad(jnp.arange(3), -1)
    with pytest.raises(NotImplementedError, match="foo"):
        jnp.pad(jnp.arange(3), 1, mode="foo")
    with pytest.raises(jaxlite.ConcretizationTypeError):
        jaxlite.make_jaxpr(lambda w: jnp.pad(jnp.ones(3), w))(1)


# ---- atleast, where, select, clip -------------------------------------------------------------


def test_atleast():
    for jf, nf in [(jnp.atleast_1d, np.atleast_1d), (jnp.atleast_2d, np.atleast_2d),
                   (jnp.atleast_3d, np.atleast_3d)]:
        for shape in [(), (2,), (2, 3), (2, 3, 4), (1, 2, 3, 4)]:
            x = arr(shape)
            check(lambda x: jf(x), x, want=nf(x))
        xs = [arr(()), arr((2,)), arr((2, 3))]
        check(lambda *xs: jf(*xs), *xs, want=nf(*xs))
    assert jnp.atleast_1d(1.0).weak_type


@SETTINGS
@given(broadcastable(3), st.data())
def test_where_select_clip(case, data):
    _, (cs, xs, ys) = case
    n = int(np.prod(cs))
    c = np.asarray(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool).reshape(cs)
    x, y = arr(xs), -arr(ys, np.int32)
    want = np.where(c, x, y).astype(np.float32)
    check(lambda c, x, y: jnp.where(c, x, y), c, x, y, want=want)
    c2 = ~c
    want = np.select([c, c2], [x, y], -1.0).astype(np.float32)
    check(lambda c, c2, x, y: jnp.select([c, c2], [x, y], -1.0), c, c2, x, y, want=want)
    check(lambda x: jnp.clip(x, 1, 3), x, want=np.clip(x, 1, 3))
    check(lambda x, y: jnp.clip(x, min=y), x, y, want=np.maximum(y, x).astype(np.float32))
    check(lambda x, y: jnp.clip(x, max=y), x, y, want=np.minimum(y, x).astype(np.float32))


def test_where_select_clip_details():
    w = jnp.where(jnp.array([True, False]), 1.0, 2)
    assert w.weak_type and w.dtype == np.float32
    assert jnp.where(jnp.array([True, False]), jnp.ones(2, jnp.int8), 2).dtype == np.int8
    np.testing.assert_array_equal(np.asarray(jnp.where(jnp.array([0, 1, 2]))[0]), [1, 2])
    got = jnp.where(jnp.array([0, 1, 1]), size=4, fill_value=7)[0]
    np.testing.assert_array_equal(np.asarray(got), [1, 2, 7, 7])
    np.testing.assert_array_equal(np.asarray(jnp.select([jnp.array([0, 1])], [jnp.array([3, 4])])), [0, 4])
    np.testing.assert_array_equal(np.asarray(jnp.clip(jnp.arange(5), 3, 1)), [1, 1, 1, 1, 1])
    np.testing.assert_array_equal(np.asarray(jnp.clip(jnp.arange(5), a_min=1, a_max=3)), [1, 1, 2, 3, 3])
    assert jnp.clip(jnp.arange(5), 1, 3.5).dtype == np.float32
    with pytest.raises(TypeError, match="both"):
        jnp.where(True, 1.0)
    with pytest.raises(ValueError, match="length"):
        jnp.select([jnp.array([True])], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-empty"):
        jnp.select([], [])
    with pytest.raises(ValueError, match="complex"):
        jnp.clip(jnp.ones(2, jnp.complex64), 0, 1)


# ---- queries ----------------------------------------------------------------------------------


def test_queries_and_dtype_helpers():
    x = jnp.ones((2, 3))
    assert jnp.ndim(x) == 2 and jnp.shape(x) == (2, 3) and jnp.size(x) == 6 and jnp.size(x, -1) == 3
    assert jnp.shape([[1, 2]]) == (1, 2) and jnp.ndim(3.0) == 0
    assert jnp.result_type(1, jnp.float16) == np.float16
    assert jnp.result_type(jnp.int8, jnp.uint8) == np.int16
    assert jnp.result_type(jnp.ones(2, jnp.int8), 1.0) == np.float32
    assert jnp.promote_types(jnp.int32, jnp.float32) == np.float32
    assert jnp.promote_types(jnp.int32, jnp.float64) == np.float64
    assert jnp.promote_types(jnp.int64, jnp.float16) == np.float16
    assert [jnp.isscalar(v) for v in (1, jnp.array(1), np.float32(1), np.array(1), [1])] == \
        [True, True, True, True, False]
    assert jnp.iscomplexobj(1j) and not jnp.iscomplexobj(x) and jnp.isrealobj(x)
    assert jnp.iscomplexobj(jnp.ones(2, jnp.complex64))


def test_against_jax_when_available():
    jax = pytest.importorskip("jax")
    rjnp = jax.numpy
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    cases = [
        lambda n: n.reshape(n.asarray(x), (4, -1), order="F"),
        lambda n: n.repeat(n.array([1, 2, 3]), n.array([2, 0, 3]), total_repeat_length=7),
        lambda n: n.roll(n.asarray(x), (1, -2), (0, 2)),
        lambda n: n.rot90(n.asarray(x), 3, (2, 0)),
        lambda n: n.pad(n.asarray(x), ((1, 0), (2, 3), (0, 5)), mode="symmetric"),
        lambda n: n.pad(n.arange(5), 3, mode="mean"),
        lambda n: n.where(n.asarray(x) > 5, n.asarray(x), 0),
        lambda n: n.clip(n.asarray(x), 3, 7.5),
    ]
    for case in cases:
        mine, theirs = np.asarray(case(jnp)), np.asarray(case(rjnp))
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)
