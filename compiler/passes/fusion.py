"""Fusion: a Jaxpr becomes a kernels.Program of loop kernels, gemm calls and interpreter steps.

Groups are formed greedily from the last equation to the first. A group is a loop nest over a
*domain* (the shape of its root, or of the operand of its reduction). An elementwise or
re-indexing equation (broadcast_in_dim, reshape, transpose, squeeze, expand_dims, rev, slice)
joins the group of its consumers when

- every consumer is in that one group, or the value is also needed elsewhere and the group
  covers it exactly once per element (it is then stored as an extra output: multi-output fusion,
  checked not to create a cycle between steps); and
- it is not recomputed: each fused value is evaluated at one point (an Affine index per axis)
  of the domain, and the loop nest evaluates it no more often than it has elements (values that
  depend only on outer loops are computed in those loops, so a per-row value broadcast along a
  row is computed once per row; one broadcast along an outer axis is materialised instead).

A reduction is the root of its group; it never fuses into its consumers in this phase (that is
the next phase's softmax-style fusion). What the back end cannot compile (`why_not_native`)
becomes an interpreter step. A lone reshape of a stored value is an alias, not a copy.
"""

from __future__ import annotations

import math
from collections import defaultdict

from .. import primitives as P
from ..ir import ClosedJaxpr, Literal, Var
from .control_steps import plan_arena
from .dot import is_canonical_gemm
from .fusion_control import CONTROL_PRIMS, lower_control
from .kernel_builder import ARG_REDUCE, COMBINE, build_kernel, operand_point, reshape_point  # noqa: F401
from .kernel_indexing import INDEXED_VIEWS
from .kernel_standalone import STANDALONE, build_standalone_kernel
from .kernels import Affine, Buffer, GemmStep, InterpretStep, KernelStep, Program
from .lapack_steps import LAPACK_PRIMS, build_lapack_step
from .sort_step import build_sort_step
from .util import is_effectful

MAP_GROUPS = {P.ELEMENTWISE, P.COMPARISON, P.BITWISE, P.CONVERSION}
VIEWS = {P.broadcast_in_dim_p, P.reshape_p, P.transpose_p, P.squeeze_p, P.expand_dims_p, P.rev_p, P.slice_p}
ALIASABLE = {P.reshape_p, P.squeeze_p, P.expand_dims_p}


def _prod(shape):
    return math.prod(shape)  # exact Python ints; np.prod's call overhead dominated fusion planning


def classify(eqn, why_not_native):
    """(kind, reason): kind is 'map', 'view', 'reduce', 'gemm', 'kernel' (a kernel of its own),
    'control' (a native loop or branch around nested steps) or 'interpret'."""
    p = eqn.prim
    if p.group in MAP_GROUPS or p is P.iota_p:
        kind = "map"
    elif p in INDEXED_VIEWS:  # views that read their operands at computed points
        kind = "view"
    elif p in STANDALONE:
        kind = "kernel"
    elif p in VIEWS and not (p is P.reshape_p and eqn.params.get("dimensions") is not None):
        kind = "view"
    elif p in COMBINE or p in ARG_REDUCE:
        kind = "reduce"
    elif is_canonical_gemm(eqn):
        kind = "gemm"
    elif p in CONTROL_PRIMS:
        kind = "control"
    elif p in LAPACK_PRIMS:
        kind = "lapack"
    elif p is P.sort_p:
        kind = "sort"
    else:
        kind = "interpret"
    reason = why_not_native(eqn)
    if reason is not None:
        return "interpret", reason
    return kind, None


# ---- Grouping -------------------------------------------------------------------------------


class Group:
    def __init__(self, root, kind, domain):
        self.root, self.kind, self.domain = root, kind, tuple(domain)
        self.members = {root}
        self.points = None  # the plan of `members` (see _Graph.plan_join), once one was made


class _Graph:
    def __init__(self, jaxpr, why_not_native):
        self.jaxpr = jaxpr
        self.eqns = jaxpr.eqns
        self.producer = {v: i for i, e in enumerate(self.eqns) for v in e.outvars}
        self.users = defaultdict(list)
        for i, e in enumerate(self.eqns):
            for a in e.invars:
                if isinstance(a, Var) and i not in self.users[a]:
                    self.users[a].append(i)
        self.program_outs = {v for v in jaxpr.outvars if isinstance(v, Var)}
        self.kinds = [classify(e, why_not_native) for e in self.eqns]

    def stored(self, m, members):
        out = self.eqns[m].outvars[0]
        return out in self.program_outs or any(u not in members for u in self.users[out])

    def plan(self, group, members):
        """Points of every non-reduction member (eqn index -> tuple of Affine), or None when the
        group would compute something twice or index it non-affinely."""
        dom = group.domain
        ident = tuple(Affine.var(a) for a in range(len(dom)))
        total = _prod(dom)
        requests = defaultdict(set)
        for m in members:
            if self.kinds[m][0] != "reduce" and self.stored(m, members):
                if self.eqns[m].outvars[0].aval.shape != dom:
                    return None
                requests[m].add(ident)
        points = {}
        for m in sorted(members, reverse=True):
            eqn = self.eqns[m]
            if self.kinds[m][0] == "reduce":
                qs = [ident]
            else:
                if len(requests[m]) != 1:
                    return None
                p = next(iter(requests[m]))
                points[m] = p
                # Re-indexing and iota cost nothing to repeat; only computed values must not be.
                if total and self.kinds[m][0] == "map" and eqn.prim is not P.iota_p:
                    depth = max((a.depth() for a in p), default=-1)
                    if _prod(dom[: depth + 1]) > max(1, eqn.outvars[0].aval.size):
                        return None
                qs = [operand_point(eqn, k, p) for k in range(len(eqn.invars))]
            for a, q in zip(eqn.invars, qs, strict=False):
                if isinstance(a, Var) and self.producer.get(a) in members:
                    if q is None:
                        return None
                    requests[self.producer[a]].add(q)
        return points

    def plan_join(self, group, i):
        """`plan(group, group.members | {i})` for a producer `i` of the group, in time linear in
        i's uses: members all come after i, so their points cannot change when i joins and only
        i's own point is new (a full re-plan per join made fusion quadratic in a group's size; a
        ~1000-op random.normal took seconds). Returns the new plan or None; caches nothing."""
        members = group.members | {i}
        if group.points is None or self.kinds[i][0] == "reduce" or any(m < i for m in group.members):
            return self.plan(group, members)
        dom = group.domain
        ident = tuple(Affine.var(a) for a in range(len(dom)))
        eqn, out = self.eqns[i], self.eqns[i].outvars[0]
        requests = set()
        if self.stored(i, members):
            if out.aval.shape != dom:
                return None
            requests.add(ident)
        for m in self.users[out]:
            if m not in group.members:
                continue
            user = self.eqns[m]
            if self.kinds[m][0] == "reduce":
                qs = [ident]
            else:
                qs = [operand_point(user, k, group.points[m]) for k in range(len(user.invars))]
            for a, q in zip(user.invars, qs, strict=False):
                if a is out:
                    if q is None:
                        return None
                    requests.add(q)
        if len(requests) != 1:
            return None
        p = next(iter(requests))
        if _prod(dom) and self.kinds[i][0] == "map" and eqn.prim is not P.iota_p:
            depth = max((a.depth() for a in p), default=-1)
            if _prod(dom[: depth + 1]) > max(1, out.aval.size):
                return None
        return {**group.points, i: p}

    def reaches(self, starts, targets, group_of=None):
        """Whether a path of data dependencies leads from any eqn in `starts` into `targets`,
        between steps: an eqn in a group waits for all of its group's inputs, so the path may
        leave a group from any member (tests/test_fusion_cycles.py: a VAE-style gradient made a
        cycle that no path between single eqns shows)."""
        seen, todo = set(), list(starts)
        while todo:
            i = todo.pop()
            if i in targets:
                return True
            if i in seen:
                continue
            grp = group_of.get(i) if group_of else None
            members = grp.members if grp is not None else (i,)
            seen.update(members)
            for m in members:
                for v in self.eqns[m].outvars:
                    todo.extend(self.users[v])
        return False


def _form_groups(g: _Graph):
    group_of = {}
    for i in reversed(range(len(g.eqns))):
        kind = g.kinds[i][0]
        if kind == "reduce":
            group = Group(i, "reduce", g.eqns[i].invars[0].aval.shape)
            group_of[i] = group
            continue
        if kind not in ("map", "view"):
            continue
        out = g.eqns[i].outvars[0]
        cons = g.users[out]
        cand = []
        for c in cons:
            grp = group_of.get(c)
            if grp is not None and grp not in cand:
                cand.append(grp)
        joined = None
        for grp in cand:
            outside = [c for c in cons if c not in grp.members]
            if outside and (out.aval.shape != grp.domain or g.reaches(outside, grp.members, group_of)):
                continue
            points = g.plan_join(grp, i)
            if points is not None:
                joined = grp
                break
        if joined is None:
            group_of[i] = Group(i, "map", out.aval.shape)
        else:
            joined.members.add(i)
            joined.points = points
            group_of[i] = joined
    return group_of


# ---- The program ----------------------------------------------------------------------------


def _toposort(units, deps):
    import heapq

    indeg = {u: 0 for u in range(len(units))}
    rev = defaultdict(set)
    for u, ds in deps.items():
        for d in ds:
            rev[d].add(u)
            indeg[u] += 1
    heap = [(units[u]["first"], u) for u in indeg if indeg[u] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, u = heapq.heappop(heap)
        order.append(u)
        for w in rev[u]:
            indeg[w] -= 1
            if indeg[w] == 0:
                heapq.heappush(heap, (units[w]["first"], w))
    if len(order) != len(units):
        raise AssertionError("fusion produced a cycle between steps")
    return order


class FuseState:
    """What the fusion of a program and of its nested sub-programs (loop bodies) shares: one
    buffer table, and kernel and callback numbers unique across the program."""

    def __init__(self, why_not_native):
        self.why_not_native = why_not_native
        self.buffers = {}
        self.n_kernels = self.n_interp = self.n_loops = 0

    def new_buffer(self, shape, dtype, kind, index=None, base=None, loop=None):
        b = Buffer(len(self.buffers), shape, dtype, kind, index, base, loop)
        self.buffers[b.id] = b
        return b.id


def fuse(closed: ClosedJaxpr, why_not_native) -> Program:
    """The Program of `closed`; inputs are its constvars then its invars."""
    j = closed.jaxpr
    st = FuseState(why_not_native)
    var_buf, inputs = {}, []
    for k, v in enumerate(list(j.constvars) + list(j.invars)):
        var_buf[v] = st.new_buffer(v.aval.shape, v.aval.dtype, "input", k)
        inputs.append(var_buf[v])
    out_slot = {}
    for v in j.outvars:
        if isinstance(v, Var) and v not in var_buf and v not in out_slot:
            out_slot[v] = len(out_slot)
    steps = fuse_jaxpr(st, j, var_buf, out_slot)
    buffers = st.buffers
    outputs = []
    for v in j.outvars:
        if isinstance(v, Literal):
            outputs.append(("literal", v))
        elif buffers[var_buf[v]].kind == "input":
            outputs.append(("input", buffers[var_buf[v]].index))
        else:
            outputs.append(("buffer", var_buf[v]))
    arena = plan_arena(buffers, steps)
    return Program(
        buffers,
        inputs,
        outputs,
        steps,
        arena,
        [v.aval for v in list(j.constvars) + list(j.invars)],
        [v.aval for v in j.outvars],
    )


def fuse_jaxpr(st: FuseState, j, var_buf, out_slot=None, targets=None):
    """The steps computing `j`'s equations. `var_buf` maps its bound variables (inputs) to
    buffers on entry and every variable on exit; an unbound variable gets the buffer `targets`
    names for it, else a new output buffer (`out_slot`: its output index) or temporary."""
    out_slot, targets = out_slot or {}, targets or {}
    g = _Graph(j, st.why_not_native)
    group_of = _form_groups(g)

    units, unit_of = [], {}
    for i, eqn in enumerate(j.eqns):
        grp = group_of.get(i)
        if grp is not None and grp.root in unit_of:
            unit_of[i] = unit_of[grp.root]
            units[unit_of[i]]["first"] = min(units[unit_of[i]]["first"], i)
            continue
        kind = "group" if grp is not None else g.kinds[i][0]
        if (
            grp is not None
            and len(grp.members) == 1
            and eqn.prim in ALIASABLE
            and isinstance(eqn.invars[0], Var)
            and eqn.outvars[0] not in g.program_outs
        ):
            kind = "alias"
        units.append({"kind": kind, "group": grp, "eqn": i, "first": i})
        unit_of[i] = len(units) - 1
        if grp is not None:
            unit_of[grp.root] = unit_of[i]
    deps = defaultdict(set)
    last_effect = None  # effects run in program order: each waits for the one before
    for i, eqn in enumerate(j.eqns):
        for a in eqn.invars:
            if isinstance(a, Var) and a in g.producer and unit_of[g.producer[a]] != unit_of[i]:
                deps[unit_of[i]].add(unit_of[g.producer[a]])
        if is_effectful(eqn):
            if last_effect is not None and last_effect != unit_of[i]:
                deps[unit_of[i]].add(last_effect)
            last_effect = unit_of[i]
    order = _toposort(units, deps)
    buffers = st.buffers

    def buf_of(v):
        if v not in var_buf:
            if v in targets:
                var_buf[v] = targets[v]
            else:
                kind = "output" if v in out_slot else "temp"
                var_buf[v] = st.new_buffer(v.aval.shape, v.aval.dtype, kind, out_slot.get(v))
        return var_buf[v]

    def new_temp(shape, dtype):
        return st.new_buffer(shape, dtype, "temp")

    def interpret(eqn, reason):
        ins = [a if isinstance(a, Literal) else buf_of(a) for a in eqn.invars]
        outs = [buf_of(v) for v in eqn.outvars]
        st.n_interp += 1
        return InterpretStep(st.n_interp - 1, eqn, ins, outs, reason)

    steps = []
    for u in order:
        unit = units[u]
        eqn = j.eqns[unit["eqn"]]
        if unit["kind"] == "alias":
            var_buf[eqn.outvars[0]] = st.new_buffer(
                eqn.outvars[0].aval.shape, eqn.outvars[0].aval.dtype, "alias", base=buf_of(eqn.invars[0])
            )
        elif unit["kind"] == "group":
            grp = unit["group"]
            points = g.plan(grp, grp.members)
            kernel = build_kernel(g, grp, points, buf_of, new_temp, f"k{st.n_kernels}")
            st.n_kernels += 1
            steps.append(KernelStep(kernel))
        elif unit["kind"] == "gemm":
            steps.append(_gemm_step(eqn, buf_of))
        elif unit["kind"] == "kernel":
            steps.append(KernelStep(build_standalone_kernel(eqn, buf_of, f"k{st.n_kernels}")))
            st.n_kernels += 1
        elif unit["kind"] == "lapack":
            steps.append(build_lapack_step(eqn, buf_of, new_temp))
        elif unit["kind"] == "sort":
            steps.append(build_sort_step(eqn, buf_of, new_temp))
        elif unit["kind"] == "control":  # a native loop or branch around nested steps
            steps.extend(lower_control(st, eqn, buf_of, fuse_jaxpr) or [interpret(eqn, "not lowered")])
        else:
            steps.append(interpret(eqn, g.kinds[unit["eqn"]][1] or "not lowered"))

    storage = lambda b: b if buffers[b].kind != "alias" else storage(buffers[b].base)  # noqa: E731
    for s in steps:
        if isinstance(s, KernelStep):
            k = s.kernel
            k.params = list(dict.fromkeys(storage(b) for b in k.loads + k.stores))
    return steps


def _gemm_step(eqn, buf_of):
    lhs, rhs = eqn.invars
    (lc, rc), _ = eqn.params["dimension_numbers"]
    ls, rs = lhs.aval.shape, rhs.aval.shape
    nb = len(ls) - 2
    trans_a = lc[0] == nb  # (k, m): contracted axis first
    trans_b = rc[0] == nb + 1  # (n, k)
    m = ls[nb + (1 if trans_a else 0)]
    k = ls[nb + (0 if trans_a else 1)]
    n = rs[nb + (0 if trans_b else 1)]
    batch = ls[0] if nb else 1
    return GemmStep(
        buf_of(lhs),
        buf_of(rhs),
        buf_of(eqn.outvars[0]),
        lhs.aval.dtype,
        batch,
        m,
        n,
        k,
        trans_a,
        trans_b,
        eqn,
    )
