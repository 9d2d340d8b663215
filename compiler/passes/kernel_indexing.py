"""Indexed views: pad, concatenate, dynamic_slice, dynamic_update_slice and gather inside kernels.

These equations join fusion groups like the re-indexing views (reshape, slice, ...), but the
point at which they read their operands is computed, not affine: a consumer evaluated at output
point p reads the operand at an index computed in the kernel from p (and, for dynamic_slice and
gather, from start indices loaded at run time). So `pad(x) * 2` is one kernel that loads x at
`(p - lo) / (interior + 1)` where that is an element of x, and the padding value elsewhere.

Their operands are read from buffers with `load_at` (an address that is an SSA value), never
fused into the group (`operand_point` is None for them), except dynamic_update_slice's operand,
which is read at p itself. Every computed coordinate is clamped into its axis before the load,
so no input that passes tracing can make the generated code read out of bounds; whether the
element is really wanted is decided by a select after the load (the clamped load is harmless).

Index semantics are the interpreter's (compiler/interpret.py, interpret_indexing.py): starts of
dynamic slices are clamped so that the window fits (XLA); gather CLIP and PROMISE_IN_BOUNDS clamp
each start, FILL_OR_DROP replaces a slice any part of which is out of bounds by the fill value.
Index operands of any integer dtype are read as int64 (uint64 values above int64's range are
saturated first, as the interpreter does).
"""

from __future__ import annotations

import copy

import numpy as np

from .. import dtypes
from .. import primitives as P
from ..interpret_indexing import _canonical_mode, default_fill_value
from ..ir import Literal
from .kernels import Affine, Let, Loop, linear

INDEXED_VIEWS = {P.pad_p, P.concatenate_p, P.dynamic_slice_p, P.dynamic_update_slice_p, P.gather_p}
I64 = dtypes.int64
_BOOL = dtypes.bool_
_INT64_MAX = np.iinfo(np.int64).max


def indexed_operand_point(eqn, k, p):
    """Operands of indexed views are read at computed points (None), except the operand of a
    dynamic_update_slice, which is read where the output is evaluated, and gather indices with
    one component per row (x[idx]), read at the output's batch point: their producers (jnp's
    normalisation of negative indices, say) fuse into the gather's kernel."""
    if eqn.prim is P.dynamic_update_slice_p and k == 0:
        return p
    if eqn.prim is P.gather_p and k == 1 and eqn.invars[1].aval.shape[-1] == 1:
        return _gather_split(eqn, p)[0] + (Affine(),)
    return None


def _gather_split(eqn, p):
    """(batch point, window offset per operand dim) of gather output point p."""
    dn = eqn.params["dimension_numbers"]
    nd = eqn.invars[0].aval.ndim
    offset_set = set(dn.offset_dims)
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    kept = iter(d for d in range(nd) if d not in dropped)
    batch_point, w = [], [Affine() for _ in range(nd)]
    for i, pi in enumerate(p):
        if i in offset_set:
            w[next(kept)] = pi
        else:
            batch_point.append(pi)
    return tuple(batch_point), w


class IndexMath:
    """int64 index arithmetic as Lets of a kernel builder (anything with `let`, `const`,
    `load`): every method returns an SSA id."""

    def __init__(self, kb):
        self.kb = kb

    def c(self, v, dtype=I64):
        return self.kb.const(v, dtype)

    def index(self, affine):
        return self.kb.let(I64, "index", params={"index": affine}, depth=affine.depth(), key=("index", affine))

    def op(self, prim, *args, dtype=I64, **params):
        return self.kb.let(dtype, prim, args, params)

    def add(self, a, b):
        return self.op(P.add_p, a, b)

    def sub(self, a, b):
        return self.op(P.sub_p, a, b)

    def mul(self, a, k):
        return a if k == 1 else self.op(P.mul_p, a, self.c(k))

    def cmp(self, prim, a, b):
        return self.op(prim, a, b, dtype=_BOOL)

    def all(self, preds):
        out = None
        for q in preds:
            out = q if out is None else self.op(P.and_p, out, q, dtype=_BOOL)
        return out

    def clamp(self, x, lo, hi):
        """x clamped into [lo, hi] (constants, lo <= hi)."""
        return self.op(P.min_p, self.op(P.max_p, x, self.c(lo)), self.c(hi))

    def select(self, pred, if_true, if_false, dtype):
        return self.kb.let(dtype, P.select_n_p, (pred, if_false, if_true), {})

    def to_int64(self, v, dtype):
        """A scalar integer of any width as int64, saturating uint64 above int64's range."""
        dtype = np.dtype(dtype)
        if dtype == I64:
            return v
        if dtype == dtypes.uint64:
            v = self.op(P.min_p, v, self.c(_INT64_MAX, dtype), dtype=dtype)
        return self.op(P.convert_element_type_p, v, new_dtype=I64, weak_type=False)

    def scalar(self, atom):
        """A rank-0 operand (a Literal or a Var) as int64."""
        if isinstance(atom, Literal):
            return self.c(min(int(atom.val), _INT64_MAX))
        return self.to_int64(self.kb.load(atom, Affine()), atom.aval.dtype)

    def offset(self, coords, shape):
        """The row-major offset of `coords` (each an Affine or an SSA id) in `shape`."""
        fixed, dynamic, stride = [], [], 1
        for q, d in zip(reversed(coords), reversed(shape), strict=True):
            if isinstance(q, Affine):
                fixed.append(q * stride)
            else:
                dynamic.append(self.mul(q, stride))
            stride *= d
        total = Affine()
        for a in fixed:
            total = total + a
        out = self.index(total) if (total.terms or total.const or not dynamic) else None
        for d in dynamic:
            out = d if out is None else self.add(out, d)
        return out

    def load_at(self, var, offset):
        kb = self.kb
        buf = kb.buf_of(var)
        if buf not in kb.loads:
            kb.loads.append(buf)
        return kb.let(var.aval.dtype, "load_at", (offset,), {"buf": buf}, key=("load_at", buf, offset))


# ---- loop splitting ---------------------------------------------------------------------------


def request_inner_split(kb, p, dim, points):
    """Ask kb to split its innermost loop at `points` when the view's axis `dim` is that loop:
    in each piece LLVM's induction-variable analysis folds the clamps and selects away, and the
    loads become contiguous (vectorised) instead of gathers."""
    last = len(kb.group.domain) - 1
    if p[dim] == Affine.var(last):
        kb.__dict__.setdefault("inner_splits", set()).update(points)


def split_inner_loop(var, extent, body, points):
    """Loops over the pieces [a, b) of [0, extent) cut at `points`, each a copy of `body` with
    the loop variable shifted by a (statements are cloned, SSA ids kept: each piece defines its
    values before using them)."""
    cuts = sorted({0, extent} | {c for c in points if 0 < c < extent})
    if len(cuts) <= 2:
        return [Loop(var, extent, body)]
    return [Loop(var, b - a, [_shifted(s, var, a) for s in body]) for a, b in zip(cuts, cuts[1:], strict=False)]


def _shift_affine(e, var, a):
    return Affine(e.const + e.coef(var) * a, e.terms)


def _shifted(s, var, a):
    if isinstance(s, Let):
        params = dict(s.params)
        if "index" in params:
            params["index"] = _shift_affine(params["index"], var, a)
        return Let(s.dst, s.dtype, s.op, s.args, params)
    if isinstance(s, Loop):
        return Loop(s.var, s.extent, [_shifted(t, var, a) for t in s.body])
    clone = copy.copy(s)
    clone.index = _shift_affine(s.index, var, a)
    return clone


# ---- the views ------------------------------------------------------------------------------


def emit_indexed_view(kb, eqn, p, values):
    """The SSA value of `eqn`'s output at point p (a tuple of Affine) in kernel builder kb."""
    return _EMIT[eqn.prim](IndexMath(kb), kb, eqn, p, values)


def _literal_or_load(m, kb, atom):
    if isinstance(atom, Literal):
        return kb.const(atom.val, atom.aval.dtype)
    return kb.load(atom, Affine())


def _pad(m, kb, eqn, p, values):
    x, padval = eqn.invars
    dtype = x.aval.dtype
    fill = _literal_or_load(m, kb, padval)
    if x.aval.size == 0:
        return fill
    coords, preds = [], []
    for d, (lo, hi, interior) in enumerate(eqn.params["padding_config"]):
        n, step = x.aval.shape[d], interior + 1
        if step == 1 and lo <= 0 and hi <= 0:  # a crop: every output point reads x
            coords.append(p[d] + (-lo))
            continue
        if step == 1:
            request_inner_split(kb, p, d, (lo, lo + n))
        t = m.index(p[d] + (-lo))  # x's element i sits at output lo + i * step
        top = (n - 1) * step
        tc = m.clamp(t, 0, top)
        pred = m.cmp(P.eq_p, tc, t)
        if step > 1:
            pred = m.all([pred, m.cmp(P.eq_p, m.op(P.rem_p, tc, m.c(step)), m.c(0))])
            tc = m.op(P.div_p, tc, m.c(step))
        coords.append(tc)
        preds.append(pred)
    v = m.load_at(x, m.offset(coords, x.aval.shape))
    return v if not preds else m.select(m.all(preds), v, fill, dtype)


def _concatenate(m, kb, eqn, p, values):
    dim = eqn.params["dimension"]
    dtype = eqn.outvars[0].aval.dtype
    parts, off = [], 0
    for x in eqn.invars:
        n = x.aval.shape[dim]
        if n:
            parts.append((off, x))
        off += n
    request_inner_split(kb, p, dim, [start for start, _ in parts])
    o = m.index(p[dim])
    result = None
    for k in reversed(range(len(parts))):
        start, x = parts[k]
        n = x.aval.shape[dim]
        coords = list(p)
        if isinstance(x, Literal):
            v = kb.const(x.val, dtype)
        else:
            coords[dim] = m.clamp(m.sub(o, m.c(start)), 0, n - 1) if len(parts) > 1 else p[dim] + (-start)
            v = m.load_at(x, m.offset(coords, x.aval.shape))
        if result is None:
            result = v
        else:  # points before the next part's start belong to this part
            result = m.select(m.cmp(P.lt_p, o, m.c(parts[k + 1][0])), v, result, dtype)
    return result


def _window_starts(m, eqn, starts, sizes, shape):
    """dynamic_slice / dynamic_update_slice starts, clamped so that the window fits."""
    return [m.clamp(m.scalar(s), 0, d - z) for s, z, d in zip(starts, sizes, shape, strict=True)]


def _dynamic_slice(m, kb, eqn, p, values):
    x, *starts = eqn.invars
    sizes = eqn.params["slice_sizes"]
    s = _window_starts(m, eqn, starts, sizes, x.aval.shape)
    coords = [m.add(m.index(p[d]), s[d]) if x.aval.shape[d] != sizes[d] else p[d] for d in range(len(p))]
    return m.load_at(x, m.offset(coords, x.aval.shape))


def _dynamic_update_slice(m, kb, eqn, p, values):
    x, upd, *starts = eqn.invars
    dtype = x.aval.dtype
    old = kb.operand(eqn, 0, p, values)
    if upd.aval.size == 0:
        return old
    sizes = upd.aval.shape
    s = _window_starts(m, eqn, starts, sizes, x.aval.shape)
    coords, preds = [], []
    for d, (n, z) in enumerate(zip(x.aval.shape, sizes, strict=True)):
        if n == z:  # the window spans the axis: start 0
            coords.append(p[d])
            continue
        t = m.sub(m.index(p[d]), s[d])
        tc = m.clamp(t, 0, z - 1)
        coords.append(tc)
        preds.append(m.cmp(P.eq_p, tc, t))
    new = m.load_at(upd, m.offset(coords, sizes))
    return new if not preds else m.select(m.all(preds), new, old, dtype)


def gather_starts(m, load_index, dims, index_map, batching, shape, window, check, batch_point):
    """Per operand dim: its start (Affine or SSA, clamped into [0, dim - window]), and when
    `check`, the in-bounds predicates of the unclamped starts. `load_index(k)` loads the k-th
    component of the index row; batching is [(operand dim, batch axis)]."""
    starts = [Affine() for _ in range(dims)]
    preds = []
    for k, d in enumerate(index_map):
        raw = load_index(k)
        hi = shape[d] - window[d]
        clamped = m.clamp(raw, 0, hi)
        if check:
            preds.append(m.cmp(P.eq_p, clamped, raw))
        starts[d] = clamped
    for od, axis in batching:  # an implicit iota along the matching batch axis: in bounds
        starts[od] = batch_point[axis]
    return starts, preds


def _gather(m, kb, eqn, p, values):
    x, idx = eqn.invars
    dn = eqn.params["dimension_numbers"]
    sizes = tuple(int(s) for s in eqn.params["slice_sizes"])
    mode = _canonical_mode(eqn.params["mode"])
    dtype = x.aval.dtype
    nd = x.aval.ndim
    batch_point, w = _gather_split(eqn, p)
    idx_shape = idx.aval.shape

    def load_index(k):
        if idx_shape[-1] == 1:  # possibly a value fused into this kernel (see operand_point)
            v = kb.operand(eqn, 1, p, values)
        else:
            v = kb.load(idx, linear(batch_point + (Affine(k),), idx_shape))
        return m.to_int64(v, idx.aval.dtype)

    starts, preds = gather_starts(
        m,
        load_index,
        nd,
        dn.start_index_map,
        list(zip(dn.operand_batching_dims, dn.start_indices_batching_dims, strict=True)),
        x.aval.shape,
        sizes,
        mode == P.GatherScatterMode.FILL_OR_DROP,
        batch_point,
    )
    coords = [
        s + wd if isinstance(s, Affine) else (s if not wd.terms and not wd.const else m.add(s, m.index(wd)))
        for s, wd in zip(starts, w, strict=True)
    ]
    v = m.load_at(x, m.offset(coords, x.aval.shape))
    if not preds:  # CLIP, and PROMISE_IN_BOUNDS (clamped, as the interpreter does)
        return v
    fill = eqn.params.get("fill_value")
    fill = default_fill_value(dtype) if fill is None else np.asarray(fill).astype(dtype)
    return m.select(m.all(preds), v, kb.const(fill, dtype), dtype)


_EMIT = {
    P.pad_p: _pad,
    P.concatenate_p: _concatenate,
    P.dynamic_slice_p: _dynamic_slice,
    P.dynamic_update_slice_p: _dynamic_update_slice,
    P.gather_p: _gather,
}
