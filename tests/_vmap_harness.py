"""Shared by the vmap tests: a case is a per-example function and a generator of one example's
operands; the checks compare vmap (single and nested, random axes) with a Python loop, stacked."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st

from compiler.interpret import eval_jaxpr
from jaxlite.batching import vmap
from jaxlite.partial_eval import make_jaxpr
from jaxlite.tree_util import tree_leaves

f32, i32 = np.float32, np.int32


@dataclasses.dataclass
class Case:
    name: str
    prims: tuple
    fn: object
    gen: object  # gen(rng, dims) -> list of one example's operands; dims: 3 ints in 1..4
    rtol: float = 2e-5


def normal(shape, dtype=f32):
    return lambda rng, d: [np.asarray(rng.standard_normal(shape(d) if callable(shape) else shape), dtype)]


def uniform(lo, hi, shape=lambda d: (d[0], d[1])):
    return lambda rng, d: [np.asarray(rng.uniform(lo, hi, shape(d) if callable(shape) else shape), f32)]


def ints(lo, hi, shape=lambda d: (d[0], d[1]), dtype=i32):
    return lambda rng, d: [np.asarray(rng.integers(lo, hi, shape(d) if callable(shape) else shape), dtype)]


def bools(shape=lambda d: (d[0], d[1])):
    return lambda rng, d: [np.asarray(rng.random(shape(d) if callable(shape) else shape) > 0.5)]


def concat_gens(*gens):
    return lambda rng, d: [a for g in gens for a in g(rng, d)]


def flat(out):
    return [np.asarray(o) for o in tree_leaves(out)]


def assert_same(got, want, what, rtol=2e-5):
    got, want = flat(got), flat(want)
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, w.shape, g.dtype, w.dtype)
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, err_msg=what)
        else:
            np.testing.assert_array_equal(g, w, err_msg=what)


def stack_out(outs, axis):
    per = [flat(o) for o in outs]
    return [np.stack([p[k] for p in per], axis=axis % (per[0][k].ndim + 1)) for k in range(len(per[0]))]


def _stack(xs, axis):
    return np.stack(xs, axis=axis % (np.ndim(xs[0]) + 1))


def check_single(c: Case, data, staged=True):
    dims = tuple(data.draw(st.integers(1, 4)) for _ in range(3))
    size = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    examples = [c.gen(rng, dims) for _ in range(size)]
    n = len(examples[0])
    batched = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    axes = [data.draw(st.integers(-(np.ndim(x) + 1), np.ndim(x))) if b else None
            for x, b in zip(examples[0], batched)]
    args = [_stack([ex[k] for ex in examples], ax) if ax is not None else examples[0][k]
            for k, ax in enumerate(axes)]
    rows = [c.fn(*[ex[k] if batched[k] else examples[0][k] for k in range(n)]) for ex in examples]
    out_rank = min(o.ndim for o in flat(rows[0]))
    out_axis = data.draw(st.integers(-(out_rank + 1), out_rank))
    f = vmap(c.fn, in_axes=tuple(axes), out_axes=out_axis)
    got = f(*args)
    assert_same(got, stack_out(rows, out_axis), c.name, c.rtol)
    if staged:  # the batched program typechecks and the interpreter agrees with eager vmap
        closed = make_jaxpr(f)(*args)
        out = eval_jaxpr(closed.jaxpr, [np.asarray(k) for k in closed.consts], *map(np.asarray, args))
        assert_same(out, got, c.name + " (staged)", c.rtol)


def check_nested(c: Case, data):
    dims = tuple(data.draw(st.integers(1, 3)) for _ in range(3))
    b1, b2 = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    grid = [[c.gen(rng, dims) for _ in range(b2)] for _ in range(b1)]
    n = len(grid[0][0])
    outer = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    inner = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))

    def example(k, i, j):
        return grid[i if outer[k] else 0][j if inner[k] else 0][k]

    ax_in = [data.draw(st.integers(0, np.ndim(grid[0][0][k]))) if inner[k] else None for k in range(n)]
    ax_out = [data.draw(st.integers(0, np.ndim(grid[0][0][k]) + (ax_in[k] is not None)))
              if outer[k] else None for k in range(n)]

    def build(k):
        rows = []
        for i in range(b1 if outer[k] else 1):
            cols = [example(k, i, j) for j in range(b2 if inner[k] else 1)]
            rows.append(np.stack(cols, ax_in[k]) if inner[k] else cols[0])
        return np.stack(rows, ax_out[k]) if outer[k] else rows[0]

    args = [build(k) for k in range(n)]
    got = vmap(vmap(c.fn, in_axes=tuple(ax_in)), in_axes=tuple(ax_out))(*args)
    want = [stack_out([c.fn(*[example(k, i, j) for k in range(n)]) for j in range(b2)], 0)
            for i in range(b1)]
    want = [np.stack([w[m] for w in want]) for m in range(len(want[0]))]
    assert_same(got, want, c.name + " (nested)", c.rtol)


def check_every_axis(c: Case, dims=(2, 3, 2), size=2, seed=0):
    """Every operand batched along each of its valid axes in turn (negative ones included),
    with the output mapped to the same position where it is valid."""
    rng = np.random.default_rng(seed)
    examples = [c.gen(rng, dims) for _ in range(size)]
    ranks = [np.ndim(x) for x in examples[0]]
    rows = [c.fn(*ex) for ex in examples]
    out_rank = min(o.ndim for o in flat(rows[0]))
    top = max(ranks)
    for ax in range(-(top + 1), top + 1):
        axes = tuple(ax if -(r + 1) <= ax <= r else 0 for r in ranks)
        args = [_stack([ex[k] for ex in examples], a) for k, a in enumerate(axes)]
        out_axis = ax if -(out_rank + 1) <= ax <= out_rank else 0
        got = vmap(c.fn, in_axes=axes, out_axes=out_axis)(*args)
        assert_same(got, stack_out(rows, out_axis), f"{c.name} in_axes={axes} out_axes={out_axis}", c.rtol)
