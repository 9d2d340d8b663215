"""Fusion of control flow: a scan, while or cond equation becomes a structured step
(control_steps) whose sub-jaxprs are optimised by the pipeline's passes and fused by the same
fusion code into nested step lists over the program's one buffer table.

Bindings, not copies, connect a sub-program to its surroundings: the body's constant operands
are the outer buffers themselves, its carry operands are the loop's state buffers, its scanned
operands are per-iteration slices of the stacked inputs, and its stacked outputs are written
straight into per-iteration slices of the stacked results (a copy only where a result is an
operand passed through, a literal, or a duplicate). Cond branches write the equation's output
buffers directly. Scalar literal operands are first stored into 0-d temporaries.
"""

from __future__ import annotations

from .. import primitives as P
from ..ir import Literal
from .control_steps import CondStep, CopyStep, ScanStep, WhileStep

CONTROL_PRIMS = {P.scan_p, P.while_p, P.cond_p}


def _optimize(closed):
    from ..pipeline import optimize  # the pipeline imports fusion, which imports this module

    return optimize(closed)


class _Lowering:
    def __init__(self, st, eqn, buf_of, fuse_jaxpr):
        self.st, self.eqn, self.buf_of, self.fuse_jaxpr = st, eqn, buf_of, fuse_jaxpr
        self.before = []  # steps that run once, before the loop or branch
        self.outer = []  # buffers defined outside that the loop touches

    def operand(self, a):
        """The buffer holding operand `a` (a literal is stored into a new 0-d temporary)."""
        if isinstance(a, Literal):
            t = self.st.new_buffer(a.aval.shape, a.aval.dtype, "temp")
            self.before.append(CopyStep(t, a))
            b = t
        else:
            b = self.buf_of(a)
        self.outer.append(b)
        return b

    def sub(self, closed, bound, out_targets=None):
        """Fuse sub-jaxpr `closed` with its invars bound to buffers `bound`; outvar k is computed
        straight into buffer out_targets[k] where one is given (and it is the first use of that
        variable, not an input). Returns (steps, results): results[k] is the buffer (or
        Literal) holding outvar k."""
        closed = _optimize(closed)
        j = closed.jaxpr
        if closed.consts or j.constvars:
            return None
        var_buf = dict(zip(j.invars, bound, strict=True))
        targets = {}
        for v, t in zip(j.outvars, out_targets or [None] * len(j.outvars), strict=True):
            if t is not None and not isinstance(v, Literal) and v not in var_buf and v not in targets:
                targets[v] = t
        steps = self.fuse_jaxpr(self.st, j, var_buf, None, targets)
        results = [v if isinstance(v, Literal) else var_buf[v] for v in j.outvars]
        return steps, results

    def fresh(self, steps, src, aval, avoid):
        """`src` itself when the sub-program computed it into a temporary of its own, else a
        copy of it (an operand passed through, or a literal) in a new temporary."""
        if not isinstance(src, Literal) and src not in avoid:
            return src
        t = self.st.new_buffer(aval.shape, aval.dtype, "temp")
        steps.append(CopyStep(t, src))
        return t

    def new_loop(self):
        self.st.n_loops += 1
        return self.st.n_loops - 1

    def scan(self):
        eqn, st = self.eqn, self.st
        p = eqn.params
        nc, nk = p["num_consts"], p["num_carry"]
        consts, init, xs = eqn.invars[:nc], eqn.invars[nc : nc + nk], eqn.invars[nc + nk :]
        carry_outs, ys_outs = eqn.outvars[:nk], eqn.outvars[nk:]
        loop = self.new_loop()
        const_bufs = [self.operand(a) for a in consts]
        state = [self.buf_of(v) for v in carry_outs]
        init_pairs = [(s, a if isinstance(a, Literal) else self.buf_of(a)) for s, a in zip(state, init, strict=True)]
        self.outer += [b for _, b in init_pairs if not isinstance(b, Literal)]
        x_slices = []
        for a in xs:
            base = self.operand(a)
            x_slices.append(st.new_buffer(a.aval.shape[1:], a.aval.dtype, "slice", base=base, loop=loop))
        y_bases = [self.buf_of(v) for v in ys_outs]
        self.outer += y_bases
        y_slices = [
            st.new_buffer(v.aval.shape[1:], v.aval.dtype, "slice", base=b, loop=loop)
            for v, b in zip(ys_outs, y_bases, strict=True)
        ]
        body_j = p["jaxpr"]
        bound = const_bufs + state + x_slices
        # stacked outputs go straight into their slices
        got = self.sub(body_j, bound, [None] * nk + y_slices)
        if got is None:
            return None
        body, results = got
        avoid = set(bound)
        body_avals = body_j.out_avals
        news = [self.fresh(body, r, body_avals[k], avoid) for k, r in enumerate(results[:nk])]
        for r, sl in zip(results[nk:], y_slices, strict=True):
            if r != sl:
                body.append(CopyStep(sl, r))
        self.outer = list(dict.fromkeys(self.outer))
        step = ScanStep(
            loop,
            p["length"],
            p.get("reverse", False),
            init_pairs,
            state,
            x_slices,
            y_slices,
            body,
            list(zip(state, news, strict=True)),
            self.outer,
        )
        return [*self.before, step]

    def while_(self):
        eqn = self.eqn
        p = eqn.params
        ncc, nbc = p["cond_nconsts"], p["body_nconsts"]
        cconsts = [self.operand(a) for a in eqn.invars[:ncc]]
        bconsts = [self.operand(a) for a in eqn.invars[ncc : ncc + nbc]]
        init = eqn.invars[ncc + nbc :]
        state = [self.buf_of(v) for v in eqn.outvars]
        init_pairs = [(s, a if isinstance(a, Literal) else self.buf_of(a)) for s, a in zip(state, init, strict=True)]
        self.outer += [b for _, b in init_pairs if not isinstance(b, Literal)]
        loop = self.new_loop()
        got = self.sub(p["cond_jaxpr"], cconsts + state)
        if got is None:
            return None
        cond, (pred,) = got
        pred = self.fresh(cond, pred, p["cond_jaxpr"].out_avals[0], set(cconsts + state))
        got = self.sub(p["body_jaxpr"], bconsts + state)
        if got is None:
            return None
        body, results = got
        avoid = set(bconsts + state)
        news = [self.fresh(body, r, a, avoid) for r, a in zip(results, p["body_jaxpr"].out_avals, strict=True)]
        self.outer = list(dict.fromkeys(self.outer))
        step = WhileStep(loop, init_pairs, state, cond, pred, body, list(zip(state, news, strict=True)), self.outer)
        return [*self.before, step]

    def cond(self):
        eqn = self.eqn
        index = eqn.invars[0]
        index = index if isinstance(index, Literal) else self.buf_of(index)
        if not isinstance(index, Literal):
            self.outer.append(index)
        ops = [self.operand(a) for a in eqn.invars[1:]]
        outs = [self.buf_of(v) for v in eqn.outvars]
        branches = []
        for br in eqn.params["branches"]:
            got = self.sub(br, ops, outs)
            if got is None:
                return None
            steps, results = got
            for r, o in zip(results, outs, strict=True):
                if r != o:
                    steps.append(CopyStep(o, r))
            branches.append(steps)
        self.outer = list(dict.fromkeys(self.outer))
        return [*self.before, CondStep(index, branches, outs, self.outer)]


def lower_control(st, eqn, buf_of, fuse_jaxpr):
    """The steps of control-flow equation `eqn`, or None to leave it to the interpreter."""
    low = _Lowering(st, eqn, buf_of, fuse_jaxpr)
    return {P.scan_p: low.scan, P.while_p: low.while_, P.cond_p: low.cond}[eqn.prim]()
