"""compiler/interpret.py's reductions, cumulative ops, data movement, dot_general and sort
against per-element references, on hypothesis-drawn shapes (0-d and empty included)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from interpret_reference import (
    ALL_DTYPES,
    EXAMPLES,
    SHAPES,
    accepted,
    arrays,
    assert_matches,
    elements,
    max_ref,
    min_ref,
    run,
    wrap,
)

from compiler import primitives as P

# ---- Reductions and cumulative ops -------------------------------------------------------------
# Float operands here are small multiples of 1/2 (products: of +-1/2, +-1, 0), so every partial
# sum or product is exact in every dtype and the reference may add in any order.


def exact_elements(dtype, for_product=False):
    if dtype.kind == "f":
        if for_product:
            return st.sampled_from([-1.0, -0.5, -0.0, 0.0, 0.5, 1.0, math.nan])
        halves = st.integers(-60, 60).map(lambda k: k / 2)
        return st.one_of(halves, st.sampled_from([math.nan, math.inf, -math.inf, -0.0]))
    if dtype.kind == "c" and for_product:
        return st.sampled_from([1, -1, 1j, -1j, 0, 1 + 1j])
    return elements(dtype)


def rows(x, axes):
    """x with `axes` moved last and flattened: (output shape, a list of Python rows)."""
    kept = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, kept + list(axes))
    out_shape = tuple(x.shape[i] for i in kept)
    return out_shape, moved.reshape(math.prod(out_shape), math.prod(x.shape[i] for i in axes)).tolist()


def _fold(op, row, start):
    acc = start
    for v in row:
        acc = op(acc, v)
    return acc


def _wide_add(a, b):
    return a + b


def _wide_mul(a, b):
    return a * b


def _logaddexp(a, b):
    if a != a or b != b:
        return math.nan
    big, small = max(a, b), min(a, b)
    if small == -math.inf:
        return big
    if big == math.inf:
        return math.inf
    return big + math.log1p(math.exp(small - big))


def _identity(name, dtype):
    if dtype == np.bool_:
        return name in ("prod", "min", "and")
    if name in ("max", "min"):
        if dtype.kind in "fc":
            infinity = -math.inf if name == "max" else math.inf
            return complex(infinity, 0) if dtype.kind == "c" else infinity
        info = np.iinfo(dtype)
        return info.min if name == "max" else info.max
    return {"sum": 0, "prod": 1, "and": -1, "or": 0, "xor": 0}[name]


def _reduce_op(name, dtype):
    if dtype == np.bool_:
        return {"sum": lambda a, b: a or b, "prod": lambda a, b: a and b, "max": lambda a, b: a or b,
                "min": lambda a, b: a and b, "and": lambda a, b: a and b, "or": lambda a, b: a or b,
                "xor": lambda a, b: a != b}[name]
    return {"sum": _wide_add, "prod": _wide_mul, "max": max_ref, "min": min_ref, "and": lambda a, b: a & b,
            "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b, "logsumexp": _logaddexp}[name]


def _finish(values, dtype):
    if dtype.kind in "iub":
        return wrap(values, dtype)
    out = np.empty(values.shape, dtype)
    with np.errstate(all="ignore"):
        out[...] = values
    return out


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "and", "or", "xor"])
@EXAMPLES
@given(data=st.data())
def test_reduce(name, data):
    prim = P.by_name(f"reduce_{name}")
    dtype = data.draw(st.sampled_from(accepted(prim, 1, axes=())))
    x = data.draw(hnp.arrays(dtype, SHAPES, elements=exact_elements(dtype, for_product=name == "prod")))
    axes = tuple(data.draw(st.permutations(range(x.ndim)))[: data.draw(st.integers(0, x.ndim))])
    out_shape, row_list = rows(x, axes)
    op, start = _reduce_op(name, dtype), _identity(name, dtype)
    want = np.empty(len(row_list), object)
    want[:] = [_fold(op, row, start) for row in row_list]
    assert_matches(run(prim, x, axes=axes), _finish(want.reshape(out_shape), dtype))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@EXAMPLES
@given(data=st.data())
def test_argmax_argmin(name, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = data.draw(arrays(dtype, shape))
    axis = data.draw(st.integers(0, x.ndim - 1))
    index_dtype = data.draw(st.sampled_from([np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.int64)]))
    out_shape, row_list = rows(x, (axis,))
    extreme = max_ref if name == "argmax" else min_ref
    better = lambda a, b: extreme(a, b) is a and a != b

    def first_best(row):  # the first NaN wins, else the first extreme value
        nans = [i for i, v in enumerate(row) if v != v]
        if nans:
            return nans[0]
        best = 0
        for i, v in enumerate(row):
            if better(v, row[best]):
                best = i
        return best

    want = np.array([first_best(r) for r in row_list], dtype=np.int64).reshape(out_shape)
    assert_matches(run(P.by_name(name), x, axes=(axis,), index_dtype=index_dtype), want)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "logsumexp"])
@EXAMPLES
@given(data=st.data(), reverse=st.booleans())
def test_cumulative(name, data, reverse):
    prim = P.by_name(f"cum{name}")
    dtype = data.draw(st.sampled_from(accepted(prim, 1, shape=(1,), axis=0)))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    x = data.draw(hnp.arrays(dtype, shape, elements=exact_elements(dtype, for_product=name == "prod")))
    axis = data.draw(st.integers(0, x.ndim - 1))
    op = _reduce_op(name, dtype)
    want = np.empty(x.shape, object)
    for index in np.ndindex(*(x.shape[:axis] + (1,) + x.shape[axis + 1:])):
        line = [slice(None) if i == axis else k for i, k in enumerate(index)]
        values = x[tuple(line)].tolist()
        values = values[::-1] if reverse else values
        running = [values[0]] if values else []
        for v in values[1:]:
            running.append(op(running[-1], v))
        want[tuple(line)] = running[::-1] if reverse else running
    assert_matches(run(prim, x, axis=axis, reverse=reverse), _finish(want, dtype))


# ---- Data movement -------------------------------------------------------------------------------

ANY_ARRAY = st.sampled_from(ALL_DTYPES).flatmap(lambda d: arrays(d, SHAPES))


@EXAMPLES
@given(data=st.data())
def test_broadcast_in_dim(data):
    shape = data.draw(SHAPES)
    dims = sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), max_size=len(shape))) if shape else [])
    operand_shape = tuple(data.draw(st.sampled_from([1, shape[d]])) for d in dims)
    x = data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), operand_shape))
    want = np.empty(shape, x.dtype)
    for index in np.ndindex(*shape):
        want[index] = x[tuple(0 if x.shape[i] == 1 else index[d] for i, d in enumerate(dims))]
    assert_matches(run(P.broadcast_in_dim_p, x, shape=shape, broadcast_dimensions=tuple(dims)), want)


@EXAMPLES
@given(x=ANY_ARRAY, data=st.data())
def test_reshape_transpose_squeeze_expand_dims(x, data):
    perm = tuple(data.draw(st.permutations(range(x.ndim))))
    want = np.empty([x.shape[p] for p in perm], x.dtype)
    for index in np.ndindex(*want.shape):
        want[index] = x[tuple(index[perm.index(i)] for i in range(x.ndim))]
    assert_matches(run(P.transpose_p, x, permutation=perm), want)
    # reshape: row-major order is kept, after the optional transposition.
    reversed_shape = want.shape[::-1] if want.size else (0, 2)
    new_sizes = data.draw(st.sampled_from([(want.size,), (1, want.size), reversed_shape]))
    flat = [want[i] for i in np.ndindex(*want.shape)]
    got = run(P.reshape_p, x, new_sizes=new_sizes, dimensions=perm if x.ndim else None)
    assert_matches(got.ravel(), np.array(flat, x.dtype).reshape(-1))
    ones = tuple(i for i, d in enumerate(x.shape) if d == 1)
    squeezed = run(P.squeeze_p, x, dimensions=ones)
    assert squeezed.shape == tuple(d for d in x.shape if d != 1)
    assert_matches(squeezed.ravel(), x.ravel())
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, x.ndim + 1), max_size=2))))
    dims = tuple(d for d in dims if d < x.ndim + len(dims))
    expanded = run(P.expand_dims_p, x, dimensions=dims)
    assert all(expanded.shape[d] == 1 for d in dims)
    assert_matches(expanded.ravel(), x.ravel())


@EXAMPLES
@given(x=ANY_ARRAY, data=st.data())
def test_rev(x, data):
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, x.ndim - 1))) if x.ndim else []))
    want = np.empty_like(x)
    for index in np.ndindex(*x.shape):
        want[index] = x[tuple(x.shape[i] - 1 - k if i in dims else k for i, k in enumerate(index))]
    assert_matches(run(P.rev_p, x, dimensions=dims), want)


@EXAMPLES
@given(data=st.data())
def test_concatenate(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    dimension = data.draw(st.integers(0, len(shape) - 1))
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    with_size = lambda n: shape[:dimension] + (n,) + shape[dimension + 1 :]
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    parts = [data.draw(arrays(dtype, with_size(n))) for n in sizes]
    want = np.empty(with_size(sum(p.shape[dimension] for p in parts)), dtype)
    offset = 0
    for p in parts:
        for index in np.ndindex(*p.shape):
            want[index[:dimension] + (index[dimension] + offset,) + index[dimension + 1:]] = p[index]
        offset += p.shape[dimension]
    assert_matches(run(P.concatenate_p, *parts, dimension=dimension), want)


def _padded_positions(d, lo, hi, interior):
    """For one axis: the operand index shown at each output position, or None for padding."""
    grown = [None] * max(lo, 0)
    for i in range(d):
        grown += ([None] * interior if i else []) + [i]
    grown += [None] * max(hi, 0)
    return grown[max(-lo, 0): len(grown) - max(-hi, 0)]


@EXAMPLES
@given(x=ANY_ARRAY, data=st.data())
def test_pad(x, data):
    config = []
    for d in x.shape:
        interior = data.draw(st.integers(0, 2))
        full = d + max(d - 1, 0) * interior
        lo = data.draw(st.integers(-full, 3))
        config.append((lo, data.draw(st.integers(-(full + lo) if full + lo > 0 else 0, 3)), interior))
    config = tuple(config)
    pad_value = data.draw(arrays(x.dtype, ()))
    positions = [_padded_positions(d, *c) for d, c in zip(x.shape, config)]
    want = np.empty([len(p) for p in positions], x.dtype)
    for index in np.ndindex(*want.shape):
        source = [p[k] for p, k in zip(positions, index)]
        want[index] = pad_value if None in source else x[tuple(source)]
    assert_matches(run(P.pad_p, x, pad_value, padding_config=config), want)


@EXAMPLES
@given(x=ANY_ARRAY, data=st.data())
def test_slice(x, data):
    starts, limits, strides = [], [], []
    for d in x.shape:
        s = data.draw(st.integers(0, d))
        starts.append(s)
        limits.append(data.draw(st.integers(s, d)))
        strides.append(data.draw(st.integers(1, 3)))
    ranges = [list(range(s, e, st_)) for s, e, st_ in zip(starts, limits, strides)]
    want = np.empty([len(r) for r in ranges], x.dtype)
    for index in np.ndindex(*want.shape):
        want[index] = x[tuple(r[k] for r, k in zip(ranges, index))]
    got = run(P.slice_p, x, start_indices=tuple(starts), limit_indices=tuple(limits), strides=tuple(strides))
    assert_matches(got, want)


@EXAMPLES
@given(x=ANY_ARRAY, data=st.data())
def test_dynamic_slice_and_update_slice(x, data):
    index_dtype = data.draw(st.sampled_from([np.dtype(np.int32), np.dtype(np.uint32), np.dtype(np.int8)]))
    sizes = tuple(data.draw(st.integers(0, d)) for d in x.shape)
    starts = [data.draw(hnp.from_dtype(index_dtype).map(index_dtype.type)) for _ in x.shape]
    # XLA moves each start (read in its own dtype: uint32 4294967295 is huge) so the window fits.
    clamped = [min(max(int(s), 0), d - size) for s, d, size in zip(starts, x.shape, sizes)]
    want = np.empty(sizes, x.dtype)
    for index in np.ndindex(*sizes):
        want[index] = x[tuple(c + k for c, k in zip(clamped, index))]
    assert_matches(run(P.dynamic_slice_p, x, *starts, slice_sizes=sizes), want)

    update = data.draw(arrays(x.dtype, sizes))
    want = x.copy()
    for index in np.ndindex(*sizes):
        want[tuple(c + k for c, k in zip(clamped, index))] = update[index]
    before = x.copy()
    assert_matches(run(P.dynamic_update_slice_p, x, update, *starts), want)
    assert before.tobytes() == x.tobytes()  # the operand is not written to


# ---- dot_general and sort ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_dot_general(data):
    sizes = st.lists(st.integers(0, 3), max_size=2)
    batch, contract, lhs_free, rhs_free = (data.draw(sizes) for _ in range(4))
    letters = iter("abcdefghij")
    b_l, c_l, l_l, r_l = ([next(letters) for _ in g] for g in (batch, contract, lhs_free, rhs_free))
    # Lay each operand's axes out in a drawn order; the dimension numbers follow the layout.
    lhs_axes = data.draw(st.permutations(b_l + c_l + l_l))
    rhs_axes = data.draw(st.permutations(b_l + c_l + r_l))
    size_of = dict(zip(b_l + c_l + l_l + r_l, batch + contract + lhs_free + rhs_free))
    dtype, preferred = data.draw(st.sampled_from([
        (np.dtype(np.float32), None), (np.dtype(np.float64), None), (np.dtype(np.float16), None),
        (np.dtype(np.complex64), None), (np.dtype(np.int32), None), (np.dtype(np.uint8), None),
        (np.dtype(np.bool_), None), (np.dtype(np.int8), np.dtype(np.int32)),
        (np.dtype(np.float16), np.dtype(np.float32)), (np.dtype(np.float32), np.dtype(np.float32))]))
    lhs = data.draw(arrays(dtype, [size_of[a] for a in lhs_axes], finite=True))
    rhs = data.draw(arrays(dtype, [size_of[a] for a in rhs_axes], finite=True))
    dims = (([lhs_axes.index(a) for a in c_l], [rhs_axes.index(a) for a in c_l]),
            ([lhs_axes.index(a) for a in b_l], [rhs_axes.index(a) for a in b_l]))
    dims = tuple(tuple(tuple(d) for d in pair) for pair in dims)
    # Output axes: batch (in dimension-number order), then each operand's free axes in its order.
    out_axes = b_l + [a for a in lhs_axes if a in l_l] + [a for a in rhs_axes if a in r_l]
    spec = f"{''.join(lhs_axes)},{''.join(rhs_axes)}->{''.join(out_axes)}"
    out_dtype = preferred or dtype
    if dtype.kind in "biu":  # int64 arithmetic wraps mod 2**64, so it is exact mod 2**bits
        want = wrap(np.einsum(spec, lhs.astype(np.int64), rhs.astype(np.int64)), out_dtype)
    else:
        wide = np.complex128 if dtype.kind == "c" else np.float64
        want = np.einsum(spec, lhs.astype(wide), rhs.astype(wide))
    got = run(P.dot_general_p, lhs, rhs, dimension_numbers=dims, preferred_element_type=preferred)
    if out_dtype.kind in "fc":
        # Rounding of a sum: bounded by its absolute values, not the (maybe cancelling) result.
        scale = np.einsum(spec, np.abs(lhs).astype(np.float64), np.abs(rhs).astype(np.float64))
        with np.errstate(invalid="ignore"):
            error = np.abs(got.astype(np.complex128) - want)
            assert np.all(error <= 4 * np.finfo(out_dtype).eps * (scale + 1)), (got, want)
    else:
        assert_matches(got, want)


def _sort_key(v):
    # NaNs last; -0. equals 0. Complex: by real part, then imaginary part, each NaN last.
    if isinstance(v, complex):
        return (_sort_key(v.real), _sort_key(v.imag))
    return (1, 0.0) if v != v else (0, v)


@EXAMPLES
@given(data=st.data())
def test_sort(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    n = data.draw(st.integers(1, 3))
    operands = []
    for _ in range(n):
        dtype = data.draw(st.sampled_from(ALL_DTYPES))
        # Few distinct values, so that ties (and the stable order) are common.
        pool = data.draw(st.lists(elements(dtype), min_size=1, max_size=3))
        size = math.prod(shape)
        values = data.draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
        operands.append(np.array(values, dtype).reshape(shape))
    num_keys = data.draw(st.integers(1, n))
    dimension = data.draw(st.integers(0, len(shape) - 1))
    got = run(P.sort_p, *operands, dimension=dimension, is_stable=True, num_keys=num_keys)
    for index in np.ndindex(*(shape[:dimension] + (1,) + shape[dimension + 1:])):
        line = tuple(slice(None) if i == dimension else k for i, k in enumerate(index))
        columns = [op[line].tolist() for op in operands]
        key = lambda j: tuple(_sort_key(c[j]) for c in columns[:num_keys])
        order = sorted(range(shape[dimension]), key=key)
        for g, col, op in zip(got, columns, operands):
            assert_matches(g[line], np.array([col[j] for j in order], op.dtype))
