"""jaxlite.numpy's products: matmul, dot, vdot, vecdot, matvec, vecmat, inner, outer, tensordot,
kron, matrix_transpose. einsum lives in _einsum.py and is re-exported here.

Every contraction is one lax.dot_general. Batched matmuls use dot_general's batch dimensions;
batch axes where one operand has size 1 (or no axis at all) become free axes of the other
operand instead of being broadcast, as JAX does, so nothing is materialised.
"""

from __future__ import annotations

import operator

import numpy as np

from compiler import dtypes

from .. import lax
from . import _eager, ufuncs
from ._einsum import einsum, einsum_path
from ._util import broadcast_shapes, canonicalize_axis, check_arraylike, promote_dtypes

__all__ = [
    "matmul",
    "dot",
    "vdot",
    "vecdot",
    "matvec",
    "vecmat",
    "inner",
    "outer",
    "tensordot",
    "kron",
    "matrix_transpose",
    "einsum",
    "einsum_path",
]


def _pet(dtype):
    if dtype is None:
        return None
    return dtypes.canonicalize(dtype, lax._base.core.config.x64)


def _finish(out, pet):
    """dot_general already returns pet; the elementwise fallbacks (0-d operands) need a convert."""
    if pet is not None and out.dtype != pet:
        return lax.convert_element_type(out, pet)
    return out


def _shapes(*xs):
    return " and ".join(str(tuple(x.shape)) for x in xs)


def _check_contract(fname, a, b, a_axes, b_axes):
    for i, j in zip(a_axes, b_axes, strict=True):
        if a.shape[i] != b.shape[j]:
            raise TypeError(
                f"jaxlite.numpy.{fname}: contracting axis {i} of the first operand (size "
                f"{a.shape[i]}) and axis {j} of the second (size {b.shape[j]}) differ; shapes "
                f"{_shapes(a, b)}"
            )


def _dot(a, b, contract, batch=((), ()), precision=None, pet=None):
    return lax.dot_general(a, b, (contract, batch), precision=precision, preferred_element_type=pet)


# ---- matmul and its relatives -------------------------------------------------------------------


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """Matrix product with NumPy's rules: 1-d operands are promoted to matrices (and the added
    axis removed again); leading axes are batch axes that broadcast."""
    if precision is None and preferred_element_type is None:
        fast = _eager.matmul(a, b)
        if fast is not None:
            return fast
    check_arraylike("matmul", a, b)
    pet = _pet(preferred_element_type)
    a, b = promote_dtypes(a, b)
    for i, x in enumerate((a, b)):
        if x.ndim == 0:
            raise ValueError(
                f"jaxlite.numpy.matmul: operand {i} must have ndim at least 1, but it has ndim 0 "
                f"(shapes {_shapes(a, b)}); use jnp.multiply or `*` to scale by a scalar"
            )
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    a_contract = a.ndim - 1
    b_contract = 0 if b_vec else b.ndim - 2
    if a.shape[a_contract] != b.shape[b_contract]:
        raise TypeError(
            f"jaxlite.numpy.matmul: the last axis of the first operand ({a.shape[a_contract]}) "
            f"must match the {'only' if b_vec else 'second-to-last'} axis of the second "
            f"({b.shape[b_contract]}); shapes {_shapes(a, b)}"
        )
    a_batch = () if a_vec else a.shape[:-2]
    b_batch = () if b_vec else b.shape[:-2]
    try:
        broadcast_shapes(a_batch, b_batch, fname="matmul")
    except ValueError:
        raise ValueError(
            f"jaxlite.numpy.matmul: batch axes {a_batch} and {b_batch} of operands with shapes "
            f"{_shapes(a, b)} do not broadcast"
        ) from None

    nb = max(len(a_batch), len(b_batch))
    a_off, b_off = nb - len(a_batch), nb - len(b_batch)  # batch position p is axis p - off
    a_squeeze, b_squeeze = [], []
    batch_pos, a_free_pos, b_free_pos = [], [], []
    for p in range(nb):
        da = a_batch[p - a_off] if p >= a_off else None
        db = b_batch[p - b_off] if p >= b_off else None
        if da is not None and db is not None and da == db:
            batch_pos.append(p)
        elif da is None or (da == 1 and db is not None):
            b_free_pos.append(p)
            if da is not None:
                a_squeeze.append(p - a_off)
        else:  # db is None, or db == 1 != da
            a_free_pos.append(p)
            if db is not None:
                b_squeeze.append(p - b_off)

    def new_axis(old, squeezed):
        return old - sum(1 for s in squeezed if s < old)

    a2 = lax.squeeze(a, a_squeeze)
    b2 = lax.squeeze(b, b_squeeze)
    lb = tuple(new_axis(p - a_off, a_squeeze) for p in batch_pos)
    rb = tuple(new_axis(p - b_off, b_squeeze) for p in batch_pos)
    lc = (new_axis(a_contract, a_squeeze),)
    rc = (new_axis(b_contract, b_squeeze),)
    out = _dot(a2, b2, (lc, rc), (lb, rb), precision, pet)
    # dot_general orders its output batch, lhs free (incl. M), rhs free (incl. N).
    got = batch_pos + a_free_pos + ([] if a_vec else ["m"]) + b_free_pos + ([] if b_vec else ["n"])
    want = list(range(nb)) + ([] if a_vec else ["m"]) + ([] if b_vec else ["n"])
    return lax.transpose(out, [got.index(w) for w in want])


def matvec(x1, x2, /):
    """Matrix-vector product over broadcast batch axes: (..., m, n) x (..., n) -> (..., m)."""
    check_arraylike("matvec", x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    if x1.ndim < 2 or x2.ndim < 1:
        raise ValueError(f"jaxlite.numpy.matvec: needs a matrix and a vector, got shapes {_shapes(x1, x2)}")
    out = matmul(x1, lax.expand_dims(x2, (x2.ndim,)))
    return lax.squeeze(out, (out.ndim - 1,))


def vecmat(x1, x2, /):
    """Vector-matrix product over broadcast batch axes, conjugating the vector (as NumPy)."""
    check_arraylike("vecmat", x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    if x1.ndim < 1 or x2.ndim < 2:
        raise ValueError(f"jaxlite.numpy.vecmat: needs a vector and a matrix, got shapes {_shapes(x1, x2)}")
    out = matmul(lax.expand_dims(ufuncs.conjugate(x1), (x1.ndim - 1,)), x2)
    return lax.squeeze(out, (out.ndim - 2,))


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """sum(conj(x1) * x2, axis) with broadcasting; `axis` indexes each operand separately."""
    check_arraylike("vecdot", x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(
            f"jaxlite.numpy.vecdot: operands must have ndim at least 1, got shapes {_shapes(x1, x2)}"
        )
    ax1 = canonicalize_axis(axis, x1.ndim, "vecdot")
    ax2 = canonicalize_axis(axis, x2.ndim, "vecdot")
    if x1.shape[ax1] != x2.shape[ax2]:
        raise ValueError(
            f"jaxlite.numpy.vecdot: axis {axis} has size {x1.shape[ax1]} in the first operand and "
            f"{x2.shape[ax2]} in the second; shapes {_shapes(x1, x2)}"
        )
    x1 = _moveaxis_last(ufuncs.conjugate(x1), ax1)
    x2 = _moveaxis_last(x2, ax2)
    # (..., 1, k) @ (..., k, 1): matmul's batching handles the broadcast without copies.
    out = matmul(
        lax.expand_dims(x1, (x1.ndim - 1,)),
        lax.expand_dims(x2, (x2.ndim,)),
        precision=precision,
        preferred_element_type=preferred_element_type,
    )
    return lax.squeeze(out, (out.ndim - 2, out.ndim - 1))


def _moveaxis_last(x, ax):
    perm = [i for i in range(x.ndim) if i != ax] + [ax]
    return lax.transpose(x, perm)


# ---- dot, vdot, inner, tensordot ---------------------------------------------------------------


def dot(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's dot: 0-d operands multiply; otherwise a's last axis with b's second-to-last (or
    only) axis, and the output has a's other axes followed by b's."""
    check_arraylike("dot", a, b)
    pet = _pet(preferred_element_type)
    a, b = promote_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return _finish(ufuncs.multiply(a, b), pet)
    b_axis = 0 if b.ndim == 1 else b.ndim - 2
    _check_contract("dot", a, b, (a.ndim - 1,), (b_axis,))
    return _dot(a, b, ((a.ndim - 1,), (b_axis,)), precision=precision, pet=pet)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """Dot product of the flattened operands, conjugating the first."""
    check_arraylike("vdot", a, b)
    a, b = promote_dtypes(a, b)
    if a.size != b.size:
        raise TypeError(
            f"jaxlite.numpy.vdot: the operands must have the same number of elements, got shapes "
            f"{_shapes(a, b)} ({a.size} and {b.size} elements)"
        )
    a = lax.reshape(ufuncs.conjugate(a), (a.size,))
    b = lax.reshape(b, (b.size,))
    return _dot(a, b, ((0,), (0,)), precision=precision, pet=_pet(preferred_element_type))


def inner(a, b, *, precision=None, preferred_element_type=None):
    """Contracts the last axes of a and b; 0-d operands multiply."""
    check_arraylike("inner", a, b)
    pet = _pet(preferred_element_type)
    a, b = promote_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return _finish(ufuncs.multiply(a, b), pet)
    _check_contract("inner", a, b, (a.ndim - 1,), (b.ndim - 1,))
    return _dot(a, b, ((a.ndim - 1,), (b.ndim - 1,)), precision=precision, pet=pet)


def _axis_list(ax, fname):
    if isinstance(ax, (list, tuple)):
        return [operator.index(v) for v in ax]
    try:
        return [operator.index(ax)]
    except TypeError:
        raise TypeError(
            f"jaxlite.numpy.{fname}: axes must be ints or sequences of ints, got {ax!r}"
        ) from None


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Contract the last `axes` axes of a with the first of b, or the listed axes pairwise."""
    check_arraylike("tensordot", a, b)
    a, b = promote_dtypes(a, b)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise TypeError(
                f"jaxlite.numpy.tensordot: axes={n} must be between 0 and the smaller rank; "
                f"shapes {_shapes(a, b)}"
            )
        a_axes, b_axes = list(range(a.ndim - n, a.ndim)), list(range(n))
    elif isinstance(axes, (list, tuple)) and len(axes) == 2:
        a_axes, b_axes = _axis_list(axes[0], "tensordot"), _axis_list(axes[1], "tensordot")
        if len(a_axes) != len(b_axes):
            raise TypeError(
                f"jaxlite.numpy.tensordot: the axes lists must have equal length, got {a_axes} and {b_axes}"
            )
        a_axes = [canonicalize_axis(v, a.ndim, "tensordot") for v in a_axes]
        b_axes = [canonicalize_axis(v, b.ndim, "tensordot") for v in b_axes]
    else:
        raise TypeError(
            f"jaxlite.numpy.tensordot: axes must be an int or a pair of sequences of ints, got {axes!r}"
        )
    _check_contract("tensordot", a, b, a_axes, b_axes)
    return _dot(a, b, (tuple(a_axes), tuple(b_axes)), precision=precision, pet=_pet(preferred_element_type))


# ---- outer, kron, matrix_transpose ------------------------------------------------------------


def outer(a, b, out=None):
    """Outer product of the flattened operands."""
    if out is not None:
        raise NotImplementedError(
            "jaxlite.numpy.outer: the 'out' argument is not supported (arrays are immutable)"
        )
    check_arraylike("outer", a, b)
    a, b = promote_dtypes(a, b)
    a = lax.reshape(a, (a.size, 1))
    b = lax.reshape(b, (1, b.size))
    return ufuncs.multiply(a, b)


def kron(a, b):
    """Kronecker product: the block matrix a[i, j] * b, generalised to N-d as NumPy's."""
    check_arraylike("kron", a, b)
    a, b = promote_dtypes(a, b)
    nd = max(a.ndim, b.ndim)
    a = lax.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = lax.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    # Interleave: a's axes at even positions, b's at odd, then merge each pair.
    full = tuple(d for pair in zip(a.shape, b.shape, strict=True) for d in pair)
    a2 = lax.broadcast_in_dim(a, full, tuple(range(0, 2 * nd, 2)))
    b2 = lax.broadcast_in_dim(b, full, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(ufuncs.multiply(a2, b2), tuple(x * y for x, y in zip(a.shape, b.shape, strict=True)))


def matrix_transpose(x, /):
    """Swap the last two axes."""
    check_arraylike("matrix_transpose", x)
    x = promote_dtypes(x)[0]
    if x.ndim < 2:
        raise ValueError(
            f"jaxlite.numpy.matrix_transpose: x must be at least two-dimensional; got ndim="
            f"{x.ndim} (shape {tuple(x.shape)})"
        )
    perm = list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2]
    return lax.transpose(x, perm)
