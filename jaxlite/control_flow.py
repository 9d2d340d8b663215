"""Structured control flow with jax.lax's names: cond, switch, while_loop, fori_loop, scan, map,
associative_scan.

Each construct traces the user's functions once into Jaxprs (the loop body is traced, never run
per step in Python) and binds one primitive (cond, while, scan in compiler/primitives/control.py)
carrying them. Values the functions close over are hoisted into leading operands, so the
sub-programs have no consts and every transformation sees them as ordinary operands. Eagerly the
primitive runs through the NumPy interpreter (compiler/interpret_control.py); the rules for
jvp, reverse mode and vmap are in control_flow_rules.py.
"""

from __future__ import annotations

import inspect

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ClosedJaxpr, Jaxpr, Var

from . import core, tree_util
from .core import bind
from .partial_eval import hoist_consts, trace_to_jaxpr

# ---- Tracing user functions into sub-programs ---------------------------------------------------


def _fname(f):
    return getattr(f, "__name__", type(f).__name__)


def _arg_name(f, default):
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return default
    return params[0] if params else default


def trace_fun(fun, in_tree, in_avals, name):
    """Stage fun(*unflatten(in_tree, leaves)) -> (ClosedJaxpr without consts, consts, out_tree).
    The jaxpr's invars are the hoisted consts followed by the leaves."""
    box = []

    def flat(*leaves):
        out = fun(*tree_util.tree_unflatten(in_tree, leaves))
        flat_out, out_tree = tree_util.tree_flatten(out)
        for i, o in enumerate(flat_out):
            if not core.is_valid_value(o):
                raise TypeError(f"{name}: output {i} is a {type(o).__name__}, which is not a valid "
                                "jaxlite type (arrays and scalars only)")
        box.append(out_tree)
        return flat_out

    jaxpr, consts = hoist_consts(trace_to_jaxpr(flat, in_avals, name))
    return ClosedJaxpr(jaxpr, []), consts, box[0]


def _leaf_paths(tree):
    return [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(tree)[0]]


def _structure_error(what, arg, in_tree, out_tree):
    example_in = tree_util.tree_unflatten(in_tree, [0] * in_tree.num_leaves)
    example_out = tree_util.tree_unflatten(out_tree, [0] * out_tree.num_leaves)
    return TypeError(
        f"{what} function carry input and carry output must have the same pytree structure, but "
        f"they differ:\n\nThe input carry {arg} has structure {in_tree} but the carry output has "
        f"structure {out_tree} (input {_describe(example_in)}, output {_describe(example_out)}).\n\n"
        f"Revise the function so that the carry output has the same pytree structure as the carry "
        f"input.")


def _describe(tree):
    return "a pytree leaf" if tree_util.treedef_is_leaf(tree_util.tree_structure(tree)) else \
        f"a {type(tree)}"


def type_str(aval):
    """An aval as JAX's messages write it: float32[3,4]."""
    return f"{aval.dtype.name}[{','.join(str(d) for d in aval.shape)}]"


def _type_mismatch(what, arg, paths, in_avals, out_avals):
    lines = []
    for path, a, b in zip(paths, in_avals, out_avals, strict=True):
        if a.shape == b.shape and a.dtype == b.dtype:
            continue
        kind = "shapes" if a.shape != b.shape else "dtypes"
        comp = f"carry {arg}" if not path else f"carry component {arg}{path}"
        lines.append(f"The input {comp} has type {type_str(a)} but the corresponding output "
                     f"carry component has type {type_str(b)}, so the {kind} do not match.")
    return TypeError(
        f"{what} function carry input and carry output must have equal types, but they differ:\n\n"
        + "\n".join(lines) + "\n\nRevise the function so that all output types match the "
        "corresponding input types.")


def _trace_loop_body(what, fun, carry_tree, carry_avals, other_tree_avals, arg,
                     split_out):
    """Trace a loop body whose first outputs are the carry, checking that the carry keeps its
    pytree structure and types. A weakly typed carry (a Python scalar) is promoted to the type
    the body gives it, as JAX does. Returns (body, consts, carry_avals, out_tree)."""
    other_tree, other_avals = other_tree_avals
    paths = _leaf_paths(tree_util.tree_unflatten(carry_tree, [0] * carry_tree.num_leaves))
    for _ in range(3):
        in_tree = tree_util.tree_structure((tree_util.tree_unflatten(carry_tree, [0] * len(carry_avals)),
                                            tree_util.tree_unflatten(other_tree, [0] * len(other_avals))))
        body, consts, out_tree = trace_fun(fun, in_tree, list(carry_avals) + list(other_avals), what)
        carry_out_tree = split_out(out_tree, len(carry_avals))
        if carry_out_tree != carry_tree:
            raise _structure_error(what, arg, carry_tree, carry_out_tree)
        outs = body.out_avals[:len(carry_avals)]
        promoted = [_promote(a, b) for a, b in zip(carry_avals, outs, strict=True)]
        if promoted == list(carry_avals):
            break
        carry_avals = promoted
    bad = [a.shape != b.shape or a.dtype != b.dtype for a, b in zip(carry_avals, outs, strict=True)]
    if any(bad):
        raise _type_mismatch(what, arg, paths, carry_avals, outs)
    return body, consts, list(carry_avals), out_tree


def _promote(a, b):
    # A weakly typed carry takes the body's type, as in JAX.
    if a.weak_type and a.shape == b.shape and (a.dtype != b.dtype or not b.weak_type):
        return a.update(dtype=b.dtype, weak_type=False)
    return a


def _convert(x, aval):
    from .lax import elementwise as E

    a = core.get_aval(x)
    if a.dtype == aval.dtype and a.weak_type == aval.weak_type:
        return x
    return E.convert_element_type(x, aval.dtype, weak_type=aval.weak_type)


# ---- cond / switch ------------------------------------------------------------------------------


def _merge_branch_consts(traced):
    """Branches traced separately close over different values: give every branch every
    branch's consts as leading operands (each ignores the others')."""
    all_consts = [c for _, cs in traced for c in cs]
    branches = []
    for i, (br, cs) in enumerate(traced):
        lead = []
        for k, (other, cs_k) in enumerate(traced):
            own = other.jaxpr.invars[:len(cs_k)]
            lead += own if k == i else [Var(v.aval) for v in own]
        j = br.jaxpr
        branches.append(ClosedJaxpr(Jaxpr([], lead + j.invars[len(cs):], j.outvars, j.eqns), []))
    return tuple(branches), all_consts


def _check_branches(kind, funs, out_trees, branches):
    # cond's branches are stored (false_fun, true_fun); report them in the user's order
    order = [1, 0] if kind == "cond" else list(range(len(funs)))
    names = {1: "true_fun", 0: "false_fun"} if kind == "cond" else {i: f"branches[{i}]" for i in order}
    first = order[0]
    ref_tree, ref = out_trees[first], branches[first]
    for i in order[1:]:
        if out_trees[i] != ref_tree:
            raise TypeError(
                f"{kind} branch outputs must have the same pytree structure, but they differ:\n\n"
                f"{names[first]} output has structure {ref_tree} but {names[i]} output has "
                f"structure {out_trees[i]}.\n\nRevise the branches so that they have the same "
                "pytree structure.")
        paths = _leaf_paths(tree_util.tree_unflatten(ref_tree, [0] * ref_tree.num_leaves))
        for path, a, b in zip(paths, ref.out_avals, branches[i].out_avals, strict=True):
            if a.shape != b.shape or a.dtype != b.dtype:
                what = "shapes" if a.shape != b.shape else "dtypes"
                raise TypeError(
                    f"{kind} branches must have equal output types but they differ.\n\nThe output"
                    f"{' ' + path if path else ''} of {names[first]} has type {type_str(a)} but the "
                    f"corresponding output of {names[i]} has type {type_str(b)}, so the {what} "
                    f"do not match.\n\nRevise the branches so that all output types match.")


def _branches_call(kind, index, funs, operands):
    ops_flat, in_tree = tree_util.tree_flatten(tuple(operands))
    avals = [core.get_aval(x) for x in ops_flat]
    traced, out_trees = [], []
    for i, f in enumerate(funs):
        br, consts, out_tree = trace_fun(lambda *a, f=f: f(*a), in_tree, avals, f"{kind} branch {i}")
        traced.append((br, consts))
        out_trees.append(out_tree)
    _check_branches(kind, funs, out_trees, [b for b, _ in traced])
    branches, consts = _merge_branch_consts(traced)
    # Weak types: an output is weak only if every branch's is.
    outs = bind(P.cond_p, index, *consts, *ops_flat, branches=branches)
    return tree_util.tree_unflatten(out_trees[0], outs)


def _check_scalar(name, x, what):
    a = core.get_aval(x)
    if a.shape != ():
        raise TypeError(f"{name}: {what} must be a scalar, got {what} of type {a.str_short()}")
    return a


_no_operand = object()


def cond(pred, true_fun, false_fun, *operands, operand=_no_operand):
    """true_fun(*operands) if pred else false_fun(*operands), both branches staged (one runs)."""
    from .lax import elementwise as E

    if operand is not _no_operand:
        if operands:
            raise TypeError("cond: pass the operands positionally or as operand=, not both")
        operands = (operand,)
    if not callable(true_fun) or not callable(false_fun):
        raise TypeError("cond: true_fun and false_fun arguments should be callable.")
    a = _check_scalar("cond", pred, "pred")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"cond: pred type must be either boolean or number, got {a.str_short()}")
    if a.dtype != dtypes.bool_:
        pred = E.ne(pred, np.zeros((), a.dtype))
    index = E.convert_element_type(pred, np.int32)
    return _branches_call("cond", index, (false_fun, true_fun), operands)


def switch(index, branches, *operands, operand=_no_operand):
    """branches[clamp(0, index, len(branches) - 1)](*operands)."""
    from .lax import elementwise as E

    if operand is not _no_operand:
        operands = (operand,)
    branches = list(branches)
    if not branches:
        raise ValueError("switch: empty branches sequence")
    if not all(callable(b) for b in branches):
        raise TypeError("switch: branches argument should be a sequence of callables.")
    a = _check_scalar("switch", index, "index")
    if not dtypes.is_integer(a.dtype):
        raise TypeError(f"switch: index must be an integer scalar, got {a.str_short()}")
    if len(branches) == 1:
        return branches[0](*operands)
    index = E.convert_element_type(index, np.int32)
    index = E.clamp(np.int32(0), index, np.int32(len(branches) - 1))
    return _branches_call("switch", index, branches, operands)


# ---- while_loop / fori_loop ---------------------------------------------------------------------


def while_loop(cond_fun, body_fun, init_val):
    """carry = init_val; while cond_fun(carry): carry = body_fun(carry). Forward and jvp only."""
    init_flat, carry_tree = tree_util.tree_flatten(init_val)
    avals = [core.get_aval(x) for x in init_flat]
    empty = tree_util.tree_structure(())
    arg = _arg_name(body_fun, "carry")
    body, bconsts, avals, _ = _trace_loop_body(
        "while_loop body", lambda c, _: body_fun(c), carry_tree, avals,
        (empty, []), arg, split_out=lambda t, n: t)
    cond_tree = tree_util.tree_structure((init_val,))
    cj, cconsts, c_out_tree = trace_fun(cond_fun, cond_tree, avals, "while_loop cond")
    outs = cj.out_avals
    if len(outs) != 1 or outs[0].shape != () or outs[0].dtype != dtypes.bool_:
        raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) "
                        f"[{', '.join(repr(o) for o in outs)}].")
    init_flat = [_convert(x, a) for x, a in zip(init_flat, avals, strict=True)]
    outs = bind(P.while_p, *cconsts, *bconsts, *init_flat, cond_jaxpr=cj, body_jaxpr=body,
                cond_nconsts=len(cconsts), body_nconsts=len(bconsts))
    return tree_util.tree_unflatten(carry_tree, outs)


def _static_int(x):
    if isinstance(x, core.Tracer):
        try:
            v = x.to_concrete_value()
        except Exception:  # noqa: BLE001 - anything not concrete is dynamic
            return None
        return None if v is None else int(v)
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """for i in range(lower, upper): val = body_fun(i, val). With static bounds it is a scan (so
    reverse mode works); with traced bounds a while_loop (forward mode only), as in JAX."""
    from .lax import elementwise as E

    lo_a, hi_a = core.get_aval(lower), core.get_aval(upper)
    if not (dtypes.is_integer(lo_a.dtype) and dtypes.is_integer(hi_a.dtype)):
        raise TypeError(f"fori_loop: lower and upper must be integers, got {lo_a.str_short()} "
                        f"and {hi_a.str_short()}")
    dtype = lo_a.dtype if not lo_a.weak_type or hi_a.weak_type else hi_a.dtype
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:
        def step(carry, _):
            i, x = carry
            return (E.add(i, np.ones((), dtype)), body_fun(i, x)), None

        length = max(hi - lo, 0)
        (_, out), _ = scan(step, (np.asarray(lo, dtype), init_val), None, length=length,
                           unroll=1 if unroll is None else unroll)
        return out
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("fori_loop: unroll requires static (concrete) lower and upper bounds")

    def body(carry):
        i, hi_, x = carry
        return E.add(i, np.ones((), dtype)), hi_, body_fun(i, x)

    _, _, out = while_loop(lambda c: E.lt(c[0], c[1]), body,
                           (E.convert_element_type(lower, dtype), E.convert_element_type(upper, dtype),
                            init_val))
    return out


# ---- scan / map ---------------------------------------------------------------------------------


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """carry, ys = scan(f, init, xs): carry, y = f(carry, x) over the leading axis of xs, the ys
    stacked. `length` is needed when xs is None; `unroll` is accepted (the loop is not unrolled)."""
    if not callable(f):
        raise TypeError("scan: f argument should be a callable.")
    xs_flat, xs_tree = tree_util.tree_flatten(xs)
    lengths = []
    for x in xs_flat:
        a = core.get_aval(x)
        if not a.shape:
            raise ValueError(f"scan got value with no leading axis to scan over: {a.str_short()}")
        lengths.append(a.shape[0])
    if length is not None:
        try:
            length = int(length)
        except TypeError:
            raise core.ConcretizationTypeError("scan: length must be a concrete int") from None
        if any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with leading "
                             f"axis sizes {lengths}.")
    elif not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    elif len(set(lengths)) > 1:
        paths = _leaf_paths(xs)
        sizes = ", ".join(f"xs{p} of length {n}" for p, n in zip(paths, lengths, strict=True))
        raise ValueError(f"scan got values with different leading axis sizes: {sizes}.")
    else:
        length = lengths[0]
    if isinstance(unroll, bool):
        unroll = max(length, 1) if unroll else 1
    init_flat, carry_tree = tree_util.tree_flatten(init)
    carry_avals = [core.get_aval(c) for c in init_flat]
    x_avals = [core.get_aval(x).update(shape=core.get_aval(x).shape[1:]) for x in xs_flat]

    def body(c, x):
        out = f(c, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"scan body output must be a pair, got {type(out).__name__}.")
        return tuple(out)

    def split_out(out_tree, n):
        kids = tree_util.treedef_children(out_tree)
        return kids[0]

    jaxpr, consts, carry_avals, out_tree = _trace_loop_body(
        "scan body", body, carry_tree, carry_avals, (xs_tree, x_avals),
        _arg_name(f, "carry"), split_out)
    ys_tree = tree_util.treedef_children(out_tree)[1]
    init_flat = [_convert(c, a) for c, a in zip(init_flat, carry_avals, strict=True)]
    outs = bind(P.scan_p, *consts, *init_flat, *xs_flat, jaxpr=jaxpr, num_consts=len(consts),
                num_carry=len(init_flat), length=length, reverse=bool(reverse), unroll=int(unroll))
    n = len(init_flat)
    return tree_util.tree_unflatten(carry_tree, outs[:n]), tree_util.tree_unflatten(ys_tree, outs[n:])


def map(f, xs, *, batch_size=None):  # noqa: A001 - JAX's name
    """[f(x) for x in xs] stacked, as a scan; with batch_size, vmap(f) over chunks of that size."""
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    from .batching import vmap
    from .lax import structural as S

    leaves = tree_util.tree_leaves(xs)
    n = core.get_aval(leaves[0]).shape[0]
    batch_size = int(batch_size)
    if batch_size <= 0:
        raise ValueError(f"map: batch_size must be positive, got {batch_size}")
    num, rem = divmod(n, batch_size)

    def chunk(x):
        s = core.get_aval(x).shape
        return S.reshape(S.slice_in_dim(x, 0, num * batch_size), (num, batch_size) + s[1:])

    def unchunk(y):
        s = core.get_aval(y).shape
        return S.reshape(y, (num * batch_size,) + s[2:])

    parts = []
    if num:
        ys = scan(lambda _, x: ((), vmap(f)(x)), (), tree_util.tree_map(chunk, xs))[1]
        parts.append(tree_util.tree_map(unchunk, ys))
    if rem:
        tail = tree_util.tree_map(lambda x: S.slice_in_dim(x, num * batch_size, n), xs)
        parts.append(vmap(f)(tail))
    if len(parts) == 1:
        return parts[0]
    return tree_util.tree_map(lambda a, b: S.concatenate([a, b], 0), *parts)


# ---- associative_scan ---------------------------------------------------------------------------


def associative_scan(fn, elems, reverse=False, axis=0):
    """Inclusive scan of an associative `fn` along `axis`, in O(log n) depth: the classic
    odd/even recursion, written on lax slicing."""
    from .lax import structural as S

    leaves, tree = tree_util.tree_flatten(elems)
    if not leaves:
        return elems
    ndim = core.get_aval(leaves[0]).ndim
    axis = axis + ndim if axis < 0 else axis
    sizes = {core.get_aval(x).shape[axis] for x in leaves}
    if len(sizes) != 1:
        raise ValueError(f"associative_scan: array inputs to associative_scan must have the same "
                         f"size along axis {axis}, got {sorted(sizes)}")
    if reverse:
        leaves = [S.rev(x, (axis,)) for x in leaves]

    def combine(a, b):
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"associative_scan: fn must return the structure of elems ({tree}), "
                            f"got {out_tree}")
        return out_leaves

    def sl(xs, start, stop, stride=1):
        return [S.slice_in_dim(x, start, stop, stride, axis) for x in xs]

    def interleave(even, odd):  # even[0], odd[0], even[1], ... ; len(even) - len(odd) in {0, 1}
        out = []
        for e, o in zip(even, odd, strict=True):
            ne, no = core.get_aval(e).shape[axis], core.get_aval(o).shape[axis]
            if ne > no:
                o = S.concatenate([o, S.slice_in_dim(e, 0, 1, 1, axis)], axis)
            shape = core.get_aval(e).shape
            pair = S.concatenate([S.expand_dims(e, (axis + 1,)), S.expand_dims(o, (axis + 1,))], axis + 1)
            flat = S.reshape(pair, shape[:axis] + (2 * shape[axis],) + shape[axis + 1:])
            out.append(S.slice_in_dim(flat, 0, ne + no, 1, axis))
        return out

    def rec(xs):
        n = core.get_aval(xs[0]).shape[axis]
        if n < 2:
            return xs
        reduced = combine(sl(xs, 0, n - 1, 2), sl(xs, 1, n, 2))
        odd = rec(reduced)
        if n % 2 == 0:
            even = combine(sl(odd, 0, len_(odd) - 1), sl(xs, 2, n, 2))
        else:
            even = combine(odd, sl(xs, 2, n, 2))
        even = [S.concatenate([S.slice_in_dim(x, 0, 1, 1, axis), e], axis)
                for x, e in zip(xs, even, strict=True)]
        return interleave(even, odd)

    def len_(xs):
        return core.get_aval(xs[0]).shape[axis]

    out = rec(leaves)
    if reverse:
        out = [S.rev(x, (axis,)) for x in out]
    return tree_util.tree_unflatten(tree, out)


from . import control_flow_rules  # noqa: E402,F401 - registers the rules
