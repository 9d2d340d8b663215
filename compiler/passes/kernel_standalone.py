"""Kernels of their own: scatters, cumulative scans and threefry2x32.

These equations do not fuse with their neighbours; each becomes one loop kernel written
directly in the loop IR:

- scatter family: the output is a copy of the operand (a vectorised loop), then ONE serial loop
  over the update elements, rows of the index array outermost in row-major order, reads the
  output at a computed, clamped address, combines and stores back (`StoreAt`). Duplicate indices
  therefore accumulate in index order (exactly what the interpreter's `ufunc.at` does), and the
  last write wins for plain scatter. A dropped window (FILL_OR_DROP, PROMISE_IN_BOUNDS) stores
  the old value back instead: no conditional stores, and no address is ever out of bounds.
  Scatter kernels are marked `serial`: they are never split across threads.
- cumulative scans: the output is its own carried accumulator, out[t+1] = op(out[t], x[t+1])
  along the scanned axis (reversed: from the end), with the axes after it innermost, so the
  innermost loop is independent and vectorises; same operation order as NumPy's accumulate.
- threefry2x32: an elementwise loop of 32-bit adds, rotates and xors (20 rounds), the
  interpreter's algorithm (compiler/interpret_random.py), splittable across threads.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .. import primitives as P
from ..interpret_indexing import _canonical_mode
from ..ir import Literal
from .kernel_indexing import IndexMath, gather_starts
from .kernels import Affine, Kernel, Let, Loop, Store, linear

SCATTERS = {
    P.scatter_p: None,
    P.scatter_add_p: P.add_p,
    P.scatter_mul_p: P.mul_p,
    P.scatter_min_p: P.min_p,
    P.scatter_max_p: P.max_p,
}
CUMULATIVE = {
    P.cumsum_p: P.add_p,
    P.cumprod_p: P.mul_p,
    P.cummax_p: P.max_p,
    P.cummin_p: P.min_p,
    P.cumlogsumexp_p: "logaddexp",
}
STANDALONE = set(SCATTERS) | set(CUMULATIVE) | {P.threefry2x32_p}
_BOOL_COMBINE = {P.add_p: P.or_p, P.mul_p: P.and_p, P.max_p: P.or_p, P.min_p: P.and_p}
U32 = dtypes.uint32


class StoreAt:
    """buf[%offset] = %src: a store at a computed (already clamped) element offset."""

    __slots__ = ("buf", "offset", "src")

    def __init__(self, buf, offset, src):
        self.buf, self.offset, self.src = buf, offset, src

    def render(self, pad, out):
        out.append(f"{pad}store b{self.buf}[%{self.offset}] = %{self.src}")


class _Body:
    """A minimal kernel builder (the interface IndexMath needs): statements go, in order, into
    the current loop body; constants are hoisted to the kernel's top."""

    def __init__(self, buf_of):
        self.buf_of = buf_of
        self.loads, self.stores, self.consts, self.stmts = [], [], [], []
        self.next_ssa, self.cache = 0, {}

    def let(self, dtype, op, args=(), params=None, depth=None, key=None):
        if key is not None and key in self.cache:
            return self.cache[key]
        dst = self.next_ssa
        self.next_ssa += 1
        (self.consts if op == "const" else self.stmts).append(Let(dst, dtype, op, args, params))
        if key is not None:
            self.cache[key] = dst
        return dst

    def const(self, value, dtype):
        v = np.asarray(value, dtype=dtype)
        return self.let(dtype, "const", params={"value": v}, key=("const", v.dtype.str, v.tobytes()))

    def load(self, atom, index):
        if isinstance(atom, Literal):
            return self.const(atom.val, atom.aval.dtype)
        buf = self.buf_of(atom)
        if buf not in self.loads:
            self.loads.append(buf)
        return self.let(atom.aval.dtype, "load", params={"buf": buf, "index": index}, key=("load", buf, index))

    def store(self, var, index, src):
        buf = self.buf_of(var)
        if buf not in self.stores:
            self.stores.append(buf)
        self.stmts.append(Store(buf, index, src))

    def take(self):
        """The statements so far (one loop body); values do not outlive their loop."""
        out, self.stmts = self.stmts, []
        self.cache = {k: v for k, v in self.cache.items() if k[0] == "const"}
        return out

    def kernel(self, name, body, domain, prims, serial):
        k = Kernel(
            name,
            list(dict.fromkeys(self.loads + self.stores)),
            self.consts + body,
            domain,
            prims,
            list(self.loads),
            list(self.stores),
        )
        k.serial = serial
        return k


def accumulating(dtype):
    """The params of a fold's combine step (reductions, scans, scatters): complex max/min
    accumulate with NumPy's rule (a NaN accumulator stays), not lax.max's
    (cpu/emit_complex_order.py)."""
    return {"accumulate": True} if dtypes.is_complex(dtype) else {}


def _nest(extents, first_var, body):
    """Loops over `extents` (outermost first) with variables first_var, first_var + 1, ..."""
    for k in reversed(range(len(extents))):
        body = [Loop(first_var + k, extents[k], body)]
    return body


def build_standalone_kernel(eqn, buf_of, name):
    if eqn.prim in SCATTERS:
        return _scatter(eqn, buf_of, name)
    if eqn.prim in CUMULATIVE:
        return _cumulative(eqn, buf_of, name)
    return _threefry(eqn, buf_of, name)


# ---- scatter --------------------------------------------------------------------------------


def _scatter(eqn, buf_of, name):
    operand, indices, updates = eqn.invars
    out = eqn.outvars[0]
    dn = eqn.params["dimension_numbers"]
    mode = _canonical_mode(eqn.params["mode"])
    kb = _Body(buf_of)
    m = IndexMath(kb)
    shape, dtype = out.aval.shape, out.aval.dtype
    n_out = int(np.prod(shape, dtype=np.int64))
    body = []
    if n_out:
        kb.store(out, Affine.var(0), kb.load(operand, Affine.var(0) if operand.aval.ndim else Affine()))
        body += _nest([n_out], 0, kb.take())

    nd = len(shape)
    uwd = list(dn.update_window_dims)
    scatter_axes = [a for a in range(updates.aval.ndim) if a not in set(uwd)]
    not_window = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    window_dims = [d for d in range(nd) if d not in not_window]
    window = [1] * nd
    for od, ud in zip(window_dims, uwd, strict=True):
        window[od] = updates.aval.shape[ud]
    fits = all(w <= s for w, s in zip(window, shape, strict=True))
    if n_out and updates.aval.size and fits:
        loop_axes = scatter_axes + uwd  # index rows outermost: duplicates combine in row order
        var_of = {a: 1 + k for k, a in enumerate(loop_axes)}
        upoint = tuple(Affine.var(var_of[a]) for a in range(updates.aval.ndim))
        batch_point = [upoint[a] for a in scatter_axes]

        def load_index(k):
            v = kb.load(indices, linear(tuple(batch_point) + (Affine(k),), indices.aval.shape))
            return m.to_int64(v, indices.aval.dtype)

        starts, preds = gather_starts(
            m,
            load_index,
            nd,
            dn.scatter_dims_to_operand_dims,
            list(zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims, strict=True)),
            shape,
            window,
            mode != P.GatherScatterMode.CLIP,
            batch_point,
        )
        w = [Affine() for _ in range(nd)]
        for od, ud in zip(window_dims, uwd, strict=True):
            w[od] = upoint[ud]
        coords = [
            s + wd if isinstance(s, Affine) else (m.add(s, m.index(wd)) if wd.terms else s)
            for s, wd in zip(starts, w, strict=True)
        ]
        off = m.offset(coords, shape)
        upd = kb.load(updates, linear(upoint, updates.aval.shape))
        combine = SCATTERS[eqn.prim]
        if combine is None and not preds:
            new = upd
        else:
            old = m.load_at(out, off)
            if combine is None:
                new = upd
            else:
                if dtype == dtypes.bool_:
                    combine = _BOOL_COMBINE.get(combine, combine)
                new = kb.let(dtype, combine, (old, upd), accumulating(dtype))
            if preds:  # a dropped window writes back what is there
                new = m.select(m.all(preds), new, old, dtype)
        buf = buf_of(out)
        stmts = kb.take() + [StoreAt(buf, off, new)]
        body += _nest([updates.aval.shape[a] for a in loop_axes], 1, stmts)
    if buf_of(out) not in kb.stores:
        kb.stores.append(buf_of(out))
    return kb.kernel(name, body, updates.aval.shape, [eqn.prim.name], serial=True)


# ---- cumulative scans -----------------------------------------------------------------------


def _logaddexp(kb, a, b, dtype):
    """NumPy's logaddexp, step for step: equal arguments (same-signed infinities) give
    a + log(2); otherwise the larger plus log1p(exp(-|a - b|)); NaN when a - b is NaN."""

    def op(prim, *args, out=dtype):
        return kb.let(out, prim, args, {})

    tmp = op(P.sub_p, a, b)
    zero = kb.const(0, dtype)
    big_a = op(P.add_p, a, op(P.log1p_p, op(P.exp_p, op(P.neg_p, tmp))))
    big_b = op(P.add_p, b, op(P.log1p_p, op(P.exp_p, tmp)))
    both = op(P.add_p, a, kb.const(np.log(2.0), dtype))
    r = kb.let(dtype, P.select_n_p, (op(P.le_p, tmp, zero, out=dtypes.bool_), tmp, big_b), {})
    r = kb.let(dtype, P.select_n_p, (op(P.gt_p, tmp, zero, out=dtypes.bool_), r, big_a), {})
    return kb.let(dtype, P.select_n_p, (op(P.eq_p, a, b, out=dtypes.bool_), r, both), {})


def _cumulative(eqn, buf_of, name):
    (x,) = eqn.invars
    out = eqn.outvars[0]
    axis, reverse = eqn.params["axis"], eqn.params.get("reverse", False)
    shape, dtype = x.aval.shape, x.aval.dtype
    n = shape[axis]
    pre = int(np.prod(shape[:axis], dtype=np.int64))
    post = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    kb = _Body(buf_of)
    body = []
    i, t, j = Affine.var(0), Affine.var(1), Affine.var(2)

    def at(pos):
        return i * (n * post) + pos * post + j

    if pre and n and post:
        first = Affine(n - 1) if reverse else Affine()
        kb.store(out, at(first), kb.load(x, at(first)))
        body += [Loop(0, pre, [Loop(2, post, kb.take())])]
        if n > 1:
            cur = t * -1 + (n - 1) if reverse else t
            nxt = t * -1 + (n - 2) if reverse else t + 1
            acc, v = kb.load(out, at(cur)), kb.load(x, at(nxt))
            combine = CUMULATIVE[eqn.prim]
            if combine == "logaddexp":
                new = _logaddexp(kb, acc, v, dtype)
            else:
                if dtype == dtypes.bool_:
                    combine = _BOOL_COMBINE[combine]
                new = kb.let(dtype, combine, (acc, v), accumulating(dtype))
            kb.store(out, at(nxt), new)
            body += _nest([pre, n - 1, post], 0, kb.take())
    if buf_of(out) not in kb.stores:
        kb.stores.append(buf_of(out))
    return kb.kernel(name, body, shape, [eqn.prim.name], serial=True)


# ---- threefry2x32 ---------------------------------------------------------------------------

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _threefry(eqn, buf_of, name):
    k0, k1, x0, x1 = eqn.invars
    shape = eqn.outvars[0].aval.shape
    n = int(np.prod(shape, dtype=np.int64))
    kb = _Body(buf_of)
    i = Affine.var(0)

    def op(prim, *args):
        return kb.let(U32, prim, args, {})

    def rotl(v, r):
        left = op(P.shift_left_p, v, kb.const(r, U32))
        return op(P.or_p, left, op(P.shift_right_logical_p, v, kb.const(32 - r, U32)))

    k0, k1, a, b = (kb.load(v, i if v.aval.ndim else Affine()) for v in (k0, k1, x0, x1))
    ks = (k0, k1, op(P.xor_p, op(P.xor_p, k0, k1), kb.const(_PARITY, U32)))
    a, b = op(P.add_p, a, ks[0]), op(P.add_p, b, ks[1])
    for group in range(5):
        for r in _ROTATIONS[group % 2]:
            a = op(P.add_p, a, b)
            b = op(P.xor_p, rotl(b, r), a)
        a = op(P.add_p, a, ks[(group + 1) % 3])
        b = op(P.add_p, b, op(P.add_p, ks[(group + 2) % 3], kb.const(group + 1, U32)))
    for var, v in zip(eqn.outvars, (a, b), strict=True):
        kb.store(var, i, v)
    stmts = kb.take()
    body = [Loop(0, n, stmts)] if n else []
    for var in eqn.outvars:
        if buf_of(var) not in kb.stores:
            kb.stores.append(buf_of(var))
    return kb.kernel(name, body, (n,), ["threefry2x32"], serial=False)
