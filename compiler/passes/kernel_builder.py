"""Kernel building: one fusion group -> a loop kernel (kernels.Kernel) in the loop IR.

Every fused value is evaluated at one point of the group's domain (Affine indices, from
`operand_point`); loads address buffers by the row-major offset of their point; statements are
placed in the outermost loop where their operands are available (so per-row values are computed
once per row); adjacent loop axes that every address walks contiguously are collapsed into one,
which gives LLVM's vectoriser long inner loops.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .. import primitives as P
from ..ir import Literal
from .kernel_indexing import INDEXED_VIEWS, emit_indexed_view, indexed_operand_point, split_inner_loop
from .kernels import Affine, ArgUpdate, Kernel, Let, Loop, Store, Update, linear

COMBINE = {
    P.reduce_sum_p: P.add_p,
    P.reduce_prod_p: P.mul_p,
    P.reduce_max_p: P.max_p,
    P.reduce_min_p: P.min_p,
    P.reduce_and_p: P.and_p,
    P.reduce_or_p: P.or_p,
    P.reduce_xor_p: P.xor_p,
}
ARG_REDUCE = {P.argmax_p: "max", P.argmin_p: "min"}


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def reduction_identity(prim, dtype):
    """The starting value of a reduction."""
    if prim in (P.reduce_sum_p, P.reduce_or_p, P.reduce_xor_p):
        return np.zeros((), dtype)
    if prim is P.reduce_prod_p:
        return np.ones((), dtype)
    if prim is P.reduce_and_p:
        return np.asarray(True) if dtype == dtypes.bool_ else ~np.zeros((), dtype)
    if prim is P.reduce_max_p:
        return np.asarray(dtypes.lowest(dtype), dtype)
    return np.asarray(dtypes.highest(dtype), dtype)


def _complex_order_start(is_max, dtype):
    """Where a complex max (min) fold starts: -inf-inf*j (inf+inf*j), below (above) every number
    lexicographically. The identity -inf+0j would beat -inf-1j; it is only the empty result."""
    inf = -np.inf if is_max else np.inf
    return np.asarray(complex(inf, inf), dtype)


# ---- Index maps -----------------------------------------------------------------------------


def reshape_point(in_shape, out_shape, p):
    """The operand point of a reshape as Affines of the output point `p`, or None when an input
    axis is a merge of several output axes' digits (not affine)."""
    if _prod(in_shape) == 0:
        return tuple(Affine() for _ in in_shape)
    q, i, j = [], 0, 0
    while i < len(in_shape):
        if in_shape[i] == 1:
            q.append(Affine())
            i += 1
            continue
        while j < len(out_shape) and out_shape[j] == 1:
            j += 1
        size, acc, start = in_shape[i], 1, j
        while j < len(out_shape) and acc < size:
            acc *= out_shape[j]
            j += 1
        if acc != size:
            return None
        expr, stride = Affine(), 1
        for jj in reversed(range(start, j)):
            expr = expr + p[jj] * stride
            stride *= out_shape[jj]
        q.append(expr)
        i += 1
    return tuple(q)


def operand_point(eqn, k, p):
    """The point at which operand k of `eqn` is read when its output is evaluated at `p`."""
    prim, params = eqn.prim, eqn.params
    x = eqn.invars[k].aval
    if prim in INDEXED_VIEWS:
        return indexed_operand_point(eqn, k, p)
    if prim is P.broadcast_in_dim_p:
        return tuple(
            Affine() if x.shape[i] == 1 else p[d] for i, d in enumerate(params["broadcast_dimensions"])
        )
    if prim is P.reshape_p:
        return reshape_point(x.shape, eqn.outvars[0].aval.shape, p)
    if prim is P.transpose_p:
        q = [None] * x.ndim
        for j, src in enumerate(params["permutation"]):
            q[src] = p[j]
        return tuple(q)
    if prim is P.squeeze_p:
        it = iter(p)
        return tuple(Affine() if i in params["dimensions"] else next(it) for i in range(x.ndim))
    if prim is P.expand_dims_p:
        return tuple(pi for i, pi in enumerate(p) if i not in params["dimensions"])
    if prim is P.rev_p:
        return tuple(
            p[d] * -1 + (x.shape[d] - 1) if d in params["dimensions"] else p[d] for d in range(x.ndim)
        )
    if prim is P.slice_p:
        strides = params.get("strides") or (1,) * x.ndim
        return tuple(p[d] * strides[d] + params["start_indices"][d] for d in range(x.ndim))
    return () if x.ndim == 0 else p  # elementwise: equal shapes, or a rank-0 operand


# ---- Kernel building ------------------------------------------------------------------------


class _KernelBuilder:
    INNER = "inner"  # the depth of statements that run once per domain point

    def __init__(self, g, group, points, buf_of, new_temp, name):
        self.g, self.group, self.points, self.buf_of, self.name = g, group, points, buf_of, name
        self.new_temp = new_temp
        self.flat = []  # (depth, stmt)
        self.depth = {}  # ssa -> loop depth before collapsing (-1: outside every loop)
        self._level = {}  # ssa -> nesting level after collapsing (0: outside every loop)
        self.dtype = {}
        self.cache = {}
        self.next_ssa = 0
        self.loads, self.stores = [], []

    def let(self, dtype, op, args=(), params=None, depth=None, key=None):
        if key is not None and key in self.cache:
            return self.cache[key]
        dst = self.next_ssa
        self.next_ssa += 1
        if depth is None:
            depth = max((self.depth[a] for a in args), default=-1)
        self.flat.append((depth, Let(dst, dtype, op, args, params)))
        self.depth[dst], self.dtype[dst] = depth, np.dtype(dtype)
        if key is not None:
            self.cache[key] = dst
        return dst

    def const(self, value, dtype):
        v = np.asarray(value, dtype=dtype)
        return self.let(
            dtype, "const", params={"value": v}, depth=-1, key=("const", v.dtype.str, v.tobytes())
        )

    def load(self, var, index):
        buf = self.buf_of(var)
        if buf not in self.loads:
            self.loads.append(buf)
        return self.let(
            var.aval.dtype,
            "load",
            params={"buf": buf, "index": index},
            depth=index.depth(),
            key=("load", buf, index),
        )

    def operand(self, eqn, k, p, values):
        a = eqn.invars[k]
        if isinstance(a, Literal):
            return self.const(a.val, a.aval.dtype)
        if a in values:
            return values[a]
        if eqn.prim is P.reshape_p:  # contiguous storage: the output's own row-major offset
            return self.load(a, linear(p, eqn.outvars[0].aval.shape))
        return self.load(a, linear(operand_point(eqn, k, p), a.aval.shape))

    def build(self):
        g, group = self.g, self.group
        dom = group.domain
        ident = tuple(Affine.var(a) for a in range(len(dom)))
        values, prims, init = {}, [], []
        for m in sorted(group.members):
            eqn = g.eqns[m]
            out = eqn.outvars[0]
            kind = g.kinds[m][0]
            if kind == "reduce":
                self._reduction(eqn, ident, values, init)
                prims.append(eqn.prim.name)
                continue
            p = self.points[m]
            if eqn.prim in INDEXED_VIEWS:
                values[out] = emit_indexed_view(self, eqn, p, values)
                prims.append(eqn.prim.name)
            elif kind == "view":
                values[out] = self.operand(eqn, 0, p, values)
            elif eqn.prim is P.iota_p:
                pos = self.let(
                    dtypes.int64,
                    "index",
                    params={"index": p[eqn.params["dimension"]]},
                    depth=p[eqn.params["dimension"]].depth(),
                )
                values[out] = self.let(
                    out.aval.dtype,
                    P.convert_element_type_p,
                    [pos],
                    {"new_dtype": out.aval.dtype, "weak_type": False},
                )
                prims.append("iota")
            else:
                args = [self.operand(eqn, k, p, values) for k in range(len(eqn.invars))]
                values[out] = self.let(out.aval.dtype, eqn.prim, args, dict(eqn.params))
                prims.append(eqn.prim.name)
            if g.stored(m, group.members):
                buf = self.buf_of(out)
                self.stores.append(buf)
                self.flat.append((self.INNER, Store(buf, linear(p, dom), values[out])))
        return self._nest(dom, init, prims)

    def _reduction(self, eqn, ident, values, init):
        dom = self.group.domain
        axes = eqn.params["axes"]
        src = self.operand(eqn, 0, ident, values)
        kept = [ident[a] for a in range(len(dom)) if a not in axes]
        out = eqn.outvars[0]
        out_shape = out.aval.shape
        index = linear(kept, out_shape)
        out_buf = self.buf_of(out)
        self.stores.append(out_buf)
        n = _prod(out_shape)
        ivar = len(dom)  # the init loop's own variable
        dtype = eqn.invars[0].aval.dtype
        if eqn.prim in COMBINE:
            start = reduction_identity(eqn.prim, dtype)
            if dtypes.is_complex(dtype) and _prod(dom) and eqn.prim in (P.reduce_max_p, P.reduce_min_p):
                start = _complex_order_start(eqn.prim is P.reduce_max_p, dtype)
            c = self.const(start, dtype)
            init.append(Loop(ivar, n, [Store(out_buf, Affine.var(ivar), c)]))
            combine = COMBINE[eqn.prim]
            if dtype == dtypes.bool_:
                combine = {P.add_p: P.or_p, P.mul_p: P.and_p, P.max_p: P.or_p, P.min_p: P.and_p}.get(
                    combine, combine
                )
            # Sums may be reordered (partial accumulators: a rounding difference). Products are
            # not: reordering one moves where it overflows, turning NumPy's 0 into 0 * inf = nan.
            reassoc = (dtypes.is_float(dtype) or dtypes.is_complex(dtype)) and combine is P.add_p
            self.flat.append((self.INNER, Update(out_buf, index, src, combine, reassoc)))
            return
        kind = ARG_REDUCE[eqn.prim]
        val_buf = self.new_temp(out_shape, dtype)
        self.stores.append(val_buf)
        start = dtypes.lowest(dtype) if kind == "max" else dtypes.highest(dtype)
        if dtypes.is_complex(dtype):
            start = _complex_order_start(kind == "max", dtype)
        c0, z = self.const(start, dtype), self.const(0, out.aval.dtype)
        init.append(
            Loop(ivar, n, [Store(val_buf, Affine.var(ivar), c0), Store(out_buf, Affine.var(ivar), z)])
        )
        axis = axes[0]
        pos64 = self.let(dtypes.int64, "index", params={"index": ident[axis]}, depth=axis)
        pos = self.let(
            out.aval.dtype,
            P.convert_element_type_p,
            [pos64],
            {"new_dtype": out.aval.dtype, "weak_type": False},
        )
        self.flat.append((self.INNER, ArgUpdate(val_buf, out_buf, index, src, pos, kind)))

    def _nest(self, dom, init, prims):
        """Collapse loop axes that address memory contiguously together, then nest."""
        exprs = []
        for _, s in self.flat:
            if isinstance(s, Let) and s.op in ("load", "index"):
                exprs.append(s.params["index"])
            elif isinstance(s, (Store, Update, ArgUpdate)):
                exprs.append(s.index)
        total = _prod(dom)
        merged = []  # groups of old axes, outer to inner
        for a in range(len(dom)):
            if dom[a] == 1 and total:
                continue
            if merged and total and all(e.coef(merged[-1][-1]) == e.coef(a) * dom[a] for e in exprs):
                merged[-1].append(a)
            else:
                merged.append([a])
        new_var = {grp[-1]: w for w, grp in enumerate(merged)}
        extents = [_prod([dom[a] for a in grp]) for grp in merged]

        def remap(e):
            return Affine(e.const, ((new_var[v], c) for v, c in e.terms if v in new_var))

        nd = len(merged)
        levels = [[] for _ in range(nd + 1)]
        for depth, s in self.flat:
            if isinstance(s, Let) and s.op in ("load", "index"):
                s.params = {**s.params, "index": remap(s.params["index"])}
            elif isinstance(s, (Store, Update, ArgUpdate)):
                s.index = remap(s.index)
            if depth == self.INNER:
                level = nd
            elif isinstance(s, Let) and s.op in ("load", "index"):
                level = s.params["index"].depth() + 1
            elif isinstance(s, Let) and s.op != "const":
                level = max((self._level[a] for a in s.args), default=0)
            else:
                level = 0
            if isinstance(s, Let):
                self._level[s.dst] = level
            levels[level].append(s)
        splits = getattr(self, "inner_splits", None)  # set by indexed views (kernel_indexing)
        if splits and merged and merged[-1] == [len(dom) - 1]:
            loops = lambda d, body: (  # noqa: E731
                split_inner_loop(d, extents[d], body, splits) if d == nd - 1 else [Loop(d, extents[d], body)]
            )
        else:
            loops = lambda d, body: [Loop(d, extents[d], body)]  # noqa: E731
        body = levels[nd]
        for d in reversed(range(1, nd)):
            body = levels[d] + loops(d, body)
        consts = [s for s in levels[0] if isinstance(s, Let) and s.op == "const"]
        if total == 0:  # nothing to compute (and nothing to load); reductions write their identity
            body = []
        elif nd:
            body = [s for s in levels[0] if not (isinstance(s, Let) and s.op == "const")] + loops(0, body)
        else:
            body = [s for s in levels[0] if not (isinstance(s, Let) and s.op == "const")]
        # The init loop's variable must not clash with the collapsed loops' variables.
        for loop in init:
            loop.var = nd
            for s in loop.body:
                s.index = Affine.var(nd)
        params = list(dict.fromkeys(self.loads + self.stores))
        return Kernel(
            self.name,
            params,
            consts + init + body,
            dom,
            prims,
            list(self.loads),
            list(dict.fromkeys(self.stores)),
        )


def build_kernel(g, group, points, buf_of, new_temp, name):
    return _KernelBuilder(g, group, points, buf_of, new_temp, name).build()
