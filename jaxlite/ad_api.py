"""The differentiation API with JAX's names, signatures and error messages: jvp, linearize, vjp,
grad, value_and_grad, jacfwd, jacrev, jacobian, hessian.

Jacobians are built here by a Python loop over basis vectors, pushing each through the one
linearized program (jacfwd) or pulling each back through its transpose (jacrev).
jacfwd/jacrev map the pushforward/pullback over the identity basis with vmap, as JAX does.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from compiler import dtypes

from . import lax, tree_util
from .ad import Zero, as_value, instantiate, jvp_flat, linearize_flat, tangent_aval
from .array import wrap
from .core import get_aval


def _fname(fun):
    return getattr(fun, "__name__", type(fun).__name__)


def _check_callable(fun, who):
    if not callable(fun):
        raise TypeError(f"{who} requires a callable as its first argument, got {fun!r} of type "
                        f"{type(fun).__name__}.")


def _flat_values(tree):
    leaves, treedef = tree_util.tree_flatten(tree)
    return [as_value(x) for x in leaves], treedef


def _split_aux(out, who, has_aux):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{who} with has_aux=True requires the function to return a pair "
                        f"(output, auxiliary data), got {type(out).__name__}.")
    return out[0], out[1]


def _flat_fun(fun, in_tree, has_aux, who, box):
    """fun on a pytree -> flat (outs, aux) lists, recording the output structures in box."""

    def flat(*xs):
        out, aux = _split_aux(fun(*tree_util.tree_unflatten(in_tree, xs)), who, has_aux)
        leaves, box["out_tree"] = tree_util.tree_flatten(out)
        aux_leaves, box["aux_tree"] = tree_util.tree_flatten(aux)
        return leaves, aux_leaves

    return flat


def _aux(box, aux_leaves):
    return tree_util.tree_unflatten(box["aux_tree"], aux_leaves)


# ---- jvp, linearize, vjp -------------------------------------------------------------------


def _check_tangents(primal_leaves, tangent_leaves, paths, what):
    tangents = []
    for p, t, path in zip(primal_leaves, tangent_leaves, paths, strict=True):
        p_aval, t_aval = get_aval(p), get_aval(t)
        where = f" at {what}{tree_util.keystr(path)}"
        if p_aval.shape != t_aval.shape:
            raise ValueError(f"jvp called with different primal and tangent shapes; got primal shape "
                             f"{p_aval.shape} and tangent shape as {t_aval.shape}{where}")
        expected = tangent_aval(p_aval).dtype
        if t_aval.dtype != expected:
            raise TypeError(
                f"primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in "
                f"case of int/bool primal dtype the tangent dtype must be float0. Got primal dtype "
                f"{p_aval.dtype} and so expected tangent dtype {expected}, but got tangent dtype "
                f"{t_aval.dtype} instead{where}.")
        tangents.append(Zero(tangent_aval(p_aval)) if expected == dtypes.float0 else as_value(t))
    return tangents


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents)."""
    _check_callable(fun, "jvp")
    for name, v in (("primal", primals), ("tangent", tangents)):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"{name} arguments to jax.jvp must be tuples or lists; found "
                            f"{type(v).__name__}.")
    p_leaves, p_tree = _flat_values(primals)
    t_leaves, t_tree = tree_util.tree_flatten(tangents)
    if p_tree != t_tree:
        raise TypeError(f"primal and tangent arguments to jax.jvp must have the same tree structure; "
                        f"primals have tree structure {p_tree} whereas tangents have tree structure "
                        f"{t_tree}.")
    paths = [p for p, _ in tree_util.tree_flatten_with_path(primals)[0]]
    ts = _check_tangents(p_leaves, t_leaves, paths, "primals")
    box = {}
    outs, t_outs, aux = jvp_flat(_flat_fun(fun, p_tree, has_aux, "jvp", box), p_leaves, ts, has_aux=True)
    out = tree_util.tree_unflatten(box["out_tree"], outs)
    t_out = tree_util.tree_unflatten(box["out_tree"], [instantiate(t) for t in t_outs])
    return (out, t_out, _aux(box, aux)) if has_aux else (out, t_out)


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp): f_jvp(*tangents) evaluates the linearized program (no re-run of
    the primal computation)."""
    _check_callable(fun, "linearize")
    p_leaves, p_tree = _flat_values(primals)
    box = {}
    outs, lin, aux = linearize_flat(_flat_fun(fun, p_tree, has_aux, "linearize", box), p_leaves)
    out_tree = box["out_tree"]
    paths = [p for p, _ in tree_util.tree_flatten_with_path(primals)[0]]

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_util.tree_flatten(tangents)
        if t_tree != p_tree:
            raise TypeError(f"linearized function called with tangents of structure {t_tree}, but "
                            f"the primals have structure {p_tree}")
        ts = _check_tangents(p_leaves, t_leaves, paths, "tangents")
        return tree_util.tree_unflatten(out_tree, [instantiate(t) for t in lin.apply(ts)])

    out = tree_util.tree_unflatten(out_tree, outs)
    return (out, f_jvp, _aux(box, aux)) if has_aux else (out, f_jvp)


def _check_cotangents(ct, out_tree, out_avals):
    ct_leaves, ct_tree = tree_util.tree_flatten(ct)
    if ct_tree != out_tree:
        raise TypeError(f"Tree structure of cotangent input {ct_tree}, does not match structure of "
                        f"primal output {out_tree}.")
    cts = []
    for c, out_aval in zip(ct_leaves, out_avals, strict=True):
        expected = tangent_aval(out_aval)
        if expected.dtype == dtypes.float0:
            cts.append(Zero(expected))
            continue
        c = as_value(c)
        a = get_aval(c)
        if a.weak_type and a.shape == expected.shape and a.dtype != expected.dtype:
            c, a = lax.convert_element_type(c, expected.dtype), expected  # a Python scalar
        if a.shape != expected.shape or a.dtype != expected.dtype:
            raise ValueError(
                f"unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got "
                f"{a.str_short()}, but expected {expected.str_short()} because the corresponding "
                f"output of the differentiated function had JAX type {out_aval.str_short()}")
        cts.append(c)
    return cts


def vjp(fun, *primals, has_aux=False):
    """(fun(*primals), f_vjp): f_vjp(ct) is the transposed linearization applied to ct; it returns
    one cotangent per primal (float0 zeros for integer ones)."""
    _check_callable(fun, "vjp")
    p_leaves, p_tree = _flat_values(primals)
    box = {}
    outs, lin, aux = linearize_flat(_flat_fun(fun, p_tree, has_aux, "vjp", box), p_leaves)
    out_tree = box["out_tree"]
    out_avals = [get_aval(o) for o in outs]

    def f_vjp(ct):
        cts = _check_cotangents(ct, out_tree, out_avals)
        return tree_util.tree_unflatten(p_tree, [instantiate(c) for c in lin.transpose(cts)])

    out = tree_util.tree_unflatten(out_tree, outs)
    return (out, f_vjp, _aux(box, aux)) if has_aux else (out, f_vjp)


# ---- grad and value_and_grad --------------------------------------------------------------


def _normalize_argnums(argnums, who):
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return (int(argnums),), True
    if isinstance(argnums, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums):
        return tuple(int(a) for a in argnums), False
    raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")


def _dyn_args(fun, argnums_t, argnums, args):
    n = len(args)
    if any(a >= n or a < -n for a in argnums_t):
        need = max(a if a >= 0 else -a - 1 for a in argnums_t) + 1
        raise TypeError(
            f"differentiating with respect to argnums={argnums} requires at least {need} positional "
            f"arguments to be passed by the caller, but got only {n} positional arguments.")
    idx = tuple(a % n for a in argnums_t)
    if len(set(idx)) != len(idx):
        raise ValueError(f"argnums {argnums} names an argument twice")
    return idx


def _arg_name(fun, i):
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return f"at position {i}"
    if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY, params[i].POSITIONAL_OR_KEYWORD):
        return f"'{params[i].name}' (position {i})"
    return f"at position {i}"


def _check_input_dtypes(who, fun, idx, dyn, holomorphic, allow_int):
    for i, arg in zip(idx, dyn, strict=True):
        for path, leaf in tree_util.tree_flatten_with_path(arg)[0]:
            dt = get_aval(leaf).dtype
            where = f" for argument {_arg_name(fun, i)}{tree_util.keystr(path)} of {_fname(fun)}"
            if holomorphic and not dtypes.is_complex(dt):
                raise TypeError(f"{who} with holomorphic=True requires inputs with complex dtype, "
                                f"but got {dt.name}{where}.")
            if not dtypes.is_inexact(dt) and not allow_int:
                raise TypeError(
                    f"{who} requires real- or complex-valued inputs (input dtype that is a sub-dtype "
                    f"of np.inexact), but got {dt.name}{where}. If you want to use Boolean- or "
                    f"integer-valued inputs, use vjp or set allow_int to True.")


def _check_output_dtype(who, dt, holomorphic):
    if holomorphic:
        if not dtypes.is_complex(dt):
            raise TypeError(f"{who} with holomorphic=True requires outputs with complex dtype, but "
                            f"got {dt.name}.")
    elif dtypes.is_complex(dt):
        raise TypeError(
            f"{who} requires real-valued outputs (output dtype that is a sub-dtype of np.floating), "
            f"but got {dt.name}. For holomorphic differentiation, pass holomorphic=True. For "
            f"differentiation of non-holomorphic functions involving complex outputs, use jax.vjp "
            f"directly.")
    elif not dtypes.is_float(dt):
        raise TypeError(
            f"{who} requires real-valued outputs (output dtype that is a sub-dtype of np.floating), "
            f"but got {dt.name}. For differentiation of functions with integer outputs, use "
            f"jax.vjp directly.")


def _partial(fun, args, kwargs, idx):
    def f_partial(*dyn):
        full = list(args)
        for i, d in zip(idx, dyn, strict=True):
            full[i] = d
        return fun(*full, **kwargs)

    return f_partial


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """(fun(*args), the gradient of scalar-valued fun with respect to args[argnums])."""
    _check_callable(fun, "value_and_grad")
    argnums_t, single = _normalize_argnums(argnums, "value_and_grad")

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        idx = _dyn_args(fun, argnums_t, argnums, args)
        dyn = [args[i] for i in idx]
        _check_input_dtypes("grad", fun, idx, dyn, holomorphic, allow_int)
        out = vjp(_partial(fun, args, kwargs, idx), *dyn, has_aux=has_aux)
        ans, f_vjp = out[0], out[1]
        leaves = tree_util.tree_leaves(ans)
        if len(leaves) != 1 or tree_util.tree_structure(ans).num_nodes != 1:
            raise TypeError(f"Gradient only defined for scalar-output functions. Output was {ans}.")
        shape = np.shape(ans)
        if shape != ():
            raise TypeError(f"Gradient only defined for scalar-output functions. Output had shape: "
                            f"{shape}.")
        aval = get_aval(ans)
        _check_output_dtype("grad", aval.dtype, holomorphic)
        g = f_vjp(wrap(np.ones((), aval.dtype), aval.weak_type))  # the seed keeps ans's weak type
        g = g[0] if single else tuple(g)
        return ((ans, out[2]), g) if has_aux else (ans, g)

    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of scalar-valued fun with respect to args[argnums] (a tuple for a tuple)."""
    _check_callable(fun, "grad")
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        (_, aux), g = vg(*args, **kwargs) if has_aux else ((None, None), vg(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    return grad_f


# ---- Jacobians and the Hessian ----------------------------------------------------------


def _vmap():
    from .batching import vmap  # batching imports this module's neighbours: import late

    return vmap


def _identity_basis(aval):
    """The standard basis of aval's tangent space, stacked: shape (size, *shape)."""
    ta = tangent_aval(aval)
    return as_value(np.eye(ta.size, dtype=ta.dtype).reshape((ta.size,) + ta.shape))


def _basis_axis_to_back(x, out_shape, in_shape):
    """(in_size, *out_shape) -> out_shape + in_shape."""
    n = len(out_shape)
    moved = lax.transpose(x, tuple(range(1, n + 1)) + (0,))
    return lax.reshape(moved, tuple(out_shape) + tuple(in_shape))


def _jac_setup(fun, argnums, has_aux, holomorphic, allow_int, who, args, kwargs):
    argnums_t, single = _normalize_argnums(argnums, who)
    idx = _dyn_args(fun, argnums_t, argnums, args)
    dyn = [args[i] for i in idx]
    _check_input_dtypes(who, fun, idx, dyn, holomorphic, allow_int)
    in_struct = dyn[0] if single else tuple(dyn)
    p_leaves, in_tree = _flat_values(in_struct)
    f_partial = _partial(fun, args, kwargs, idx)
    box = {}

    def flat(*xs):
        tree = tree_util.tree_unflatten(in_tree, xs)
        out, aux = _split_aux(f_partial(*((tree,) if single else tree)), who, has_aux)
        leaves, box["out_tree"] = tree_util.tree_flatten(out)
        aux_leaves, box["aux_tree"] = tree_util.tree_flatten(aux)
        return leaves, aux_leaves

    outs, lin, aux = linearize_flat(flat, p_leaves)
    return outs, lin, aux, box, p_leaves, in_tree


def _jac_tree(jac, box, in_tree, n_out, n_in):
    rows = [tree_util.tree_unflatten(in_tree, [jac[o][i] for i in range(n_in)]) for o in range(n_out)]
    return tree_util.tree_unflatten(box["out_tree"], rows)


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian by forward mode: one pushforward per input element."""
    _check_callable(fun, "jacfwd")

    @functools.wraps(fun)
    def jacfun(*args, **kwargs):
        outs, lin, aux, box, ins, in_tree = _jac_setup(fun, argnums, has_aux, holomorphic, False,
                                                       "jacfwd", args, kwargs)
        in_avals = [get_aval(x) for x in ins]
        out_avals = [get_aval(o) for o in outs]
        jac = [[None] * len(ins) for _ in outs]
        for i, a in enumerate(in_avals):
            if tangent_aval(a).dtype == dtypes.float0:
                continue  # integer inputs are rejected by _jac_setup unless allowed

            def push(t, i=i):
                ts = [t if k == i else Zero(tangent_aval(b)) for k, b in enumerate(in_avals)]
                return [instantiate(o) for o in lin.apply(ts)]

            # One batched pushforward over the basis of input i: (a.size, *out_shape) each.
            cols = _vmap()(push)(_identity_basis(a))
            for o, oa in enumerate(out_avals):
                if tangent_aval(oa).dtype == dtypes.float0:  # an integer output
                    jac[o][i] = np.zeros(oa.shape + a.shape, dtypes.float0)
                    continue
                jac[o][i] = _basis_axis_to_back(cols[o], oa.shape, a.shape)
        result = _jac_tree(jac, box, in_tree, len(outs), len(ins))
        return (result, _aux(box, aux)) if has_aux else result

    return jacfun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian by reverse mode: one pullback per output element."""
    _check_callable(fun, "jacrev")

    @functools.wraps(fun)
    def jacfun(*args, **kwargs):
        outs, lin, aux, box, ins, in_tree = _jac_setup(fun, argnums, has_aux, holomorphic, allow_int,
                                                       "jacrev", args, kwargs)
        in_avals = [get_aval(x) for x in ins]
        out_avals = [get_aval(o) for o in outs]
        for oa in out_avals:
            _check_output_dtype("jacrev", oa.dtype, holomorphic)
        jac = [[None] * len(ins) for _ in outs]
        for o, oa in enumerate(out_avals):

            def pull(ct, o=o):
                cts = [ct if m == o else Zero(tangent_aval(b)) for m, b in enumerate(out_avals)]
                return [instantiate(c) for c in lin.transpose(cts)]

            # One batched pullback over the basis of output o: (oa.size, *in_shape) each.
            rows = _vmap()(pull)(_identity_basis(oa))
            for i, a in enumerate(in_avals):
                ta = tangent_aval(a)
                if ta.dtype == dtypes.float0:  # allow_int: integer inputs get float0 zeros
                    jac[o][i] = np.zeros(oa.shape + a.shape, dtypes.float0)
                    continue
                jac[o][i] = lax.reshape(rows[i], oa.shape + a.shape)
        result = _jac_tree(jac, box, in_tree, len(outs), len(ins))
        return (result, _aux(box, aux)) if has_aux else result

    return jacfun


jacobian = jacrev


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Hessian of scalar-valued fun: jacfwd of jacrev."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
