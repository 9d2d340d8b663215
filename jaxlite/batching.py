"""vmap: the batching transformation, its trace, named axes, and the helpers rules are built from.

A BatchTracer is a value of the per-example program. It carries `val`, the batched value one
level down, and `bdim`, the axis of `val` that indexes the examples. Values without a batch axis
are never wrapped: a rule returns them as they are (out bdim None), and a trace treats every value
that is not its own tracer as unbatched. Rules run with the parent trace current, so the lax calls
inside a rule bind one level down and can themselves be staged, differentiated or batched again.

`batch_rules[prim](axis_data, vals, dims, **params) -> (out, out_dim)` (lists of both when the
primitive has multiple results) fills the table; the rules live in batching_rules*.py and
lax/parallel.py. The axis environment (`AxisData`, `extend_axis_env`, `lookup_axis`) is the
dynamic scope of axis names that the collectives read; pmap binds its names the same way.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

import numpy as np

from compiler import primitives as P
from compiler.ir import ClosedJaxpr, ShapedArray

from . import core, tree_util
from .array import Array
from .core import Tracer
from .partial_eval import eval_jaxpr

not_mapped = None

# prim -> rule(axis_data, vals, dims, **params) -> (out, out_dim); filled by the rule modules.
batch_rules: dict = {}


# ---- Named axes -------------------------------------------------------------------------------


class AxisData:
    """One mapped axis: its name (None if anonymous), its size, and pmap/sharding's spmd name."""

    __slots__ = ("name", "size", "spmd_name")

    def __init__(self, name, size, spmd_name=None):
        self.name = name
        self.size = int(size)
        self.spmd_name = spmd_name

    def __repr__(self):
        return f"AxisData(name={self.name!r}, size={self.size})"


# The names bound while a mapped function runs or is traced: a dynamic scope, innermost last.
_axis_env: list[AxisData] = []


@contextlib.contextmanager
def extend_axis_env(axis_data: AxisData):
    if axis_data.name is None:
        yield
        return
    _axis_env.append(axis_data)
    try:
        yield
    finally:
        _axis_env.pop()


def lookup_axis(name) -> AxisData:
    for frame in reversed(_axis_env):
        if frame.name == name:
            return frame
    bound = ", ".join(repr(f.name) for f in _axis_env) or "none"
    raise NameError(
        f"unbound axis name: {name}. Axis names are bound by vmap(..., axis_name=...) or "
        f"pmap(..., axis_name=...) around the function that uses them (bound now: {bound}).")


def axis_size(names) -> int:
    """Product of the sizes of the named axes (a name or a tuple of names)."""
    names = names if isinstance(names, (tuple, list)) else (names,)
    return int(np.prod([lookup_axis(n).size for n in names], dtype=np.int64))


# ---- Trace and tracer -------------------------------------------------------------------------


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim", "_aval")

    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim
        self._aval = None

    @property
    def aval(self):
        if self._aval is None:
            a = core.get_aval(self.val)
            shape = a.shape[: self.bdim] + a.shape[self.bdim + 1:]
            self._aval = ShapedArray(shape, a.dtype, a.weak_type)
        return self._aval


class BatchTrace(core.Trace):
    def __init__(self, parent, axis_data: AxisData):
        self.parent = parent
        self.axis_data = axis_data

    def unpack(self, x):
        """(val, bdim) of a value seen by this trace: other values are unbatched constants."""
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.val, x.bdim
        return x, not_mapped

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)

    def process_primitive(self, prim, args, params):
        vals, dims = [], []
        for a in args:
            v, d = self.unpack(a)
            vals.append(v)
            dims.append(d)
        # Collectives always reach their rule: `psum(1., 'i')` has no batched operand but still
        # means something for the axis this trace maps.
        if prim.group != P.COLLECTIVE and all(d is None for d in dims):
            with core.set_current_trace(self.parent):
                return core.bind(prim, *vals, **params)
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"vmap: primitive {prim.name} has no batching rule")
        with core.set_current_trace(self.parent):
            out, out_dims = rule(self.axis_data, vals, dims, **params)
        if prim.multiple_results:
            return [self.wrap(o, d) for o, d in zip(out, out_dims, strict=False)]
        return self.wrap(out, out_dims)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros):
        # The function and its rule are batched and handed to the trace below, so that
        # grad(vmap(f)) still uses f's custom rule (batching_rules_calls.py).
        from .batching_rules_calls import process_custom_jvp_call

        return process_custom_jvp_call(self, fun, jvp, args, symbolic_zeros)

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        from .batching_rules_calls import process_custom_vjp_call

        return process_custom_vjp_call(self, fun, fwd, bwd, args, out_trees)

    def __repr__(self):
        return f"BatchTrace(axis_name={self.axis_data.name!r}, size={self.axis_data.size})"


# ---- Helpers for rules (they run with the parent trace current) ------------------------------


def shape_of(x):
    # Arrays, tracers and NumPy values all have .shape; building an aval here costs more.
    return tuple(x.shape) if hasattr(x, "shape") else ()


def ndim_of(x):
    return len(shape_of(x))


def moveaxis(x, src, dst):
    from .lax import structural as S

    nd = ndim_of(x)
    src, dst = src % nd, dst % nd
    if src == dst:
        return x
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return S.transpose(x, perm)


def broadcast_batch(x, size, dim):
    """An unbatched x given a batch axis of `size` at position `dim` (a view when eager)."""
    from .lax import structural as S

    shape = list(shape_of(x))
    dims = [i if i < dim else i + 1 for i in range(len(shape))]
    shape.insert(dim, size)
    return S.broadcast_in_dim(x, shape, dims)


def bdim_to(x, d, size, dst=0):
    """x with its batch axis (broadcast if d is None) at position dst."""
    if d is None:
        return broadcast_batch(x, size, dst)
    return moveaxis(x, d, dst)


def to_physical_axis(axis, bdim):
    """Where logical axis `axis` of the per-example value sits in the batched value."""
    return axis if bdim is None or axis < bdim else axis + 1


# ---- Batching a Jaxpr (for higher-order primitives) --------------------------------------------


_batch_jaxpr_cache: dict = {}


def batch_jaxpr(closed: ClosedJaxpr, axis_data: AxisData, in_batched, instantiate):
    """Batch `closed` over `axis_data`: inputs flagged in `in_batched` carry the batch at axis 0.

    `instantiate` (a bool or one per output) forces an output to be batched. Returns the batched
    ClosedJaxpr and one flag per output saying whether it is batched (at axis 0). Cached per
    (jaxpr, axis, flags), so re-batching a loop body in a fixpoint costs one trace per variant.
    """
    from .partial_eval import trace_to_jaxpr

    n_out = len(closed.jaxpr.outvars)
    inst = [instantiate] * n_out if isinstance(instantiate, bool) else list(instantiate)
    key = (id(closed), axis_data.name, axis_data.size, tuple(in_batched), tuple(inst))
    hit = _batch_jaxpr_cache.get(key)
    if hit is not None and hit[0] is closed:
        return hit[1], hit[2]
    size = axis_data.size
    in_avals = [a.update(shape=(size,) + a.shape) if b else a
                for a, b in zip(closed.in_avals, in_batched, strict=False)]
    out_batched = []

    def fun(*args):
        trace = BatchTrace(core.current_trace(), axis_data)
        tracers = [BatchTracer(trace, a, 0) if b else a for a, b in zip(args, in_batched, strict=False)]
        with core.set_current_trace(trace), extend_axis_env(axis_data):
            outs = eval_jaxpr(closed.jaxpr, closed.consts, *tracers)
        result = []
        out_batched.clear()
        for o, force in zip(outs, inst, strict=False):
            v, d = trace.unpack(o)
            if d is None and force:
                v, d = broadcast_batch(v, size, 0), 0
            result.append(v if d is None else moveaxis(v, d, 0))
            out_batched.append(d is not None)
        return result

    batched = trace_to_jaxpr(fun, in_avals, "batched")
    flags = list(out_batched)
    if len(_batch_jaxpr_cache) > 1000:
        _batch_jaxpr_cache.clear()
    _batch_jaxpr_cache[key] = (closed, batched, flags)
    return batched, flags


# ---- vmap -------------------------------------------------------------------------------------


def _check_axes_spec(what, spec):
    leaves = tree_util.tree_leaves(spec, is_leaf=lambda x: x is None)
    for leaf in leaves:
        if leaf is not None and (not isinstance(leaf, (int, np.integer)) or isinstance(leaf, bool)):
            raise TypeError(
                f"vmap {what} must be an int, None, or a (nested) tuple/list/dict of them "
                f"matching the {'positional arguments' if what == 'in_axes' else 'outputs'}, "
                f"but got {spec!r}.")


def _arg_names(fun, args, kwargs):
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return [f"args[{i}]" for i in range(len(args))]
    names = []
    for name, value in bound.arguments.items():
        param = bound.signature.parameters[name]
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            names.extend(f"{name}[{j}]" for j in range(len(value)))
        elif param.kind is not inspect.Parameter.VAR_KEYWORD and name not in kwargs:
            names.append(name)
    return names if len(names) == len(args) else [f"args[{i}]" for i in range(len(args))]


def _describe_leaves(fun, args, kwargs):
    """A readable name per flat leaf of (args, kwargs): `argument x['w']`."""
    names = _arg_names(fun, args, kwargs)
    out = []
    for path, _ in tree_util.tree_flatten_with_path((args, kwargs))[0]:
        top, idx, rest = path[0].idx, path[1], path[2:]
        head = names[idx.idx] if top == 0 else str(idx.key)
        out.append(f"argument {head}{tree_util.keystr(rest)}")
    return out


def _inconsistent_sizes(sizes, descs, avals, axes, axis_size):
    by_size: dict = {}
    for s, desc, aval, ax in zip(sizes, descs, avals, axes, strict=False):
        if s is not None:
            by_size.setdefault(s, []).append(f"axis {ax} of {desc} of type {aval.str_short()}")
    lines = []
    for s, where in sorted(by_size.items(), key=lambda kv: -len(kv[1])):
        if len(where) == 1:
            lines.append(f"  * one axis had size {s}: {where[0]}")
        else:
            lines.append(f"  * {len(where)} axes had size {s}, e.g. {where[0]}")
    if axis_size is not None:
        lines.append(f"  * axis_size={axis_size} was given")
    return ValueError("vmap got inconsistent sizes for array axes to be mapped:\n" + ";\n".join(lines))


def _flat_in_axes(in_axes, args, kwargs):
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise ValueError(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, but got len(in_axes)={len(in_axes)}, "
            f"len(args)={len(args)}")
    try:
        return tree_util.broadcast_prefix((in_axes, 0), (args, kwargs))
    except ValueError as e:
        raise ValueError(
            "vmap in_axes specification must be a tree prefix of the corresponding value "
            f"(key paths below start at (args, kwargs)):\n{e}") from None


def _map_size(fun, args, kwargs, flat_args, flat_axes, axis_size):
    avals = [core.get_aval(x) for x in flat_args]
    axes, sizes = [], []
    for aval, ax in zip(avals, flat_axes, strict=False):
        if ax is None:
            axes.append(None)
            sizes.append(None)
            continue
        if not -aval.ndim <= ax < aval.ndim:
            raise ValueError(
                f"vmap was requested to map its argument along axis {ax}, which implies that "
                f"its rank should be at least {ax + 1 if ax >= 0 else -ax}, but is only "
                f"{aval.ndim} (its shape is {aval.shape})")
        ax = int(ax) % aval.ndim
        axes.append(ax)
        sizes.append(aval.shape[ax])
    present = {s for s in sizes if s is not None}
    if axis_size is not None:
        present.add(int(axis_size))
    if not present:
        raise ValueError(
            "vmap must have at least one non-None value in in_axes or axis_size must be "
            "specified: with every argument unmapped the size of the mapped axis is unknown")
    if len(present) > 1:
        raise _inconsistent_sizes(sizes, _describe_leaves(fun, args, kwargs), avals, axes, axis_size)
    return present.pop(), axes


def _as_array(x):
    return x if isinstance(x, (Tracer, Array)) else Array(x)


def _apply_out_axis(trace, out, ax, size, path):
    if not core.is_valid_value(out) and not hasattr(out, "__jax_array__"):
        raise TypeError(
            f"vmap: the function returned a value of type {type(out).__name__} at output "
            f"{path or '(root)'}, which is not an array; return arrays or scalars only")
    val, bdim = trace.unpack(out)
    if ax is None:
        if bdim is not None:
            raise ValueError(
                f"at vmap out_axes, got axis spec None but output {path or '(root)'} was batched "
                f"on axis {bdim}: an output that varies along the mapped axis needs an integer "
                f"out_axes (or compute it with a collective such as psum to make it unbatched)")
        return val if isinstance(val, (Tracer, Array)) else Array(val)
    rank = core.get_aval(val).ndim - (bdim is not None)
    if not -(rank + 1) <= ax <= rank:
        raise ValueError(
            f"vmap out_axes={ax} is out of bounds for output {path or '(root)'}, which has rank "
            f"{rank} per example (valid: {-(rank + 1)} to {rank})")
    ax = int(ax) % (rank + 1)
    if bdim is None:
        if not isinstance(val, (Tracer, Array)):
            val = Array(val) if not isinstance(val, core._PY_SCALARS) else val
        return broadcast_batch(val, size, ax)
    return moveaxis(val, bdim, ax)


def _batched_call(fun, args, kwargs, in_tree, flat_args, flat_axes, size, out_axes, axis_name,
                  spmd_axis_name):
    axis_data = AxisData(axis_name, size, spmd_axis_name)
    trace = BatchTrace(core.current_trace(), axis_data)
    tracers = [x if ax is None else BatchTracer(trace, _as_array(x), ax)
               for x, ax in zip(flat_args, flat_axes, strict=False)]
    b_args, b_kwargs = tree_util.tree_unflatten(in_tree, tracers)
    with core.set_current_trace(trace), extend_axis_env(axis_data):
        out = fun(*b_args, **b_kwargs)
    leaves_with_path, out_tree = tree_util.tree_flatten_with_path(out)
    try:
        flat_out_axes = tree_util.broadcast_prefix(out_axes, out)
    except ValueError as e:
        raise ValueError(
            f"vmap out_axes specification must be a tree prefix of the corresponding value:\n{e}"
        ) from None
    results = [_apply_out_axis(trace, leaf, ax, size, tree_util.keystr(path))
               for (path, leaf), ax in zip(leaves_with_path, flat_out_axes, strict=False)]
    return tree_util.tree_unflatten(out_tree, results), flat_out_axes


def _chunked_call(fun, args, kwargs, in_tree, flat_args, flat_axes, size, out_axes, chunk_size,
                  spmd_axis_name):
    """Map over the batch `chunk_size` examples at a time and join the pieces along out_axes."""
    from .lax import structural as S

    pieces, flat_out_axes, out_tree = [], None, None
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        chunk_args = [x if ax is None else S.slice_in_dim(_as_array(x), start, stop, 1, ax)
                      for x, ax in zip(flat_args, flat_axes, strict=False)]
        c_args, c_kwargs = tree_util.tree_unflatten(in_tree, chunk_args)
        out, flat_out_axes = _batched_call(fun, c_args, c_kwargs, in_tree, chunk_args, flat_axes,
                                           stop - start, out_axes, None, spmd_axis_name)
        leaves, out_tree = tree_util.tree_flatten(out)
        pieces.append(leaves)
    joined = []
    for i, ax in enumerate(flat_out_axes):
        if ax is None:  # unbatched: the same value in every chunk
            joined.append(pieces[0][i])
            continue
        parts = [p[i] for p in pieces]
        joined.append(S.concatenate(parts, int(ax) % ndim_of(parts[0])))
    return tree_util.tree_unflatten(out_tree, joined)


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None, *,
         chunk_size=None):
    """Vectorise `fun` over a mapped axis of its arguments, as jax.vmap.

    in_axes / out_axes: an int (negative counts from the end), None (not mapped), or a pytree
    prefix of the positional arguments / outputs. Keyword arguments are mapped along axis 0.
    axis_name names the mapped axis for collectives (lax.psum, pmean, all_gather, axis_index).
    axis_size is needed only when no argument is mapped. spmd_axis_name is accepted and recorded
    for pmap/sharding (nothing is sharded here). chunk_size (as torch.func.vmap) maps over the
    batch that many examples at a time, bounding memory; the result is the same.
    """
    if not callable(fun):
        raise TypeError(f"vmap: fun must be callable, got {type(fun).__name__}")
    if isinstance(in_axes, list):  # JAX accepts a list at the top level, meaning a tuple
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, (int, np.integer, tuple, type(None))) or isinstance(in_axes, bool):
        raise TypeError(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, but got {in_axes!r}.")
    _check_axes_spec("in_axes", in_axes)
    _check_axes_spec("out_axes", out_axes)
    if axis_size is not None and (not isinstance(axis_size, (int, np.integer)) or axis_size < 0):
        raise TypeError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")
    if chunk_size is not None:
        if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
            raise ValueError(f"vmap: chunk_size must be a positive int, got {chunk_size!r}")
        if axis_name is not None:
            raise ValueError(
                f"vmap: chunk_size cannot be combined with axis_name={axis_name!r}: collectives "
                "over the axis would only see one chunk. Drop chunk_size, or the axis name.")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        flat_args, in_tree = tree_util.tree_flatten((args, kwargs))
        flat_axes = _flat_in_axes(in_axes, args, kwargs)
        size, axes = _map_size(fun, args, kwargs, flat_args, flat_axes, axis_size)
        if chunk_size is not None and size > chunk_size and any(a is not None for a in axes):
            return _chunked_call(fun, args, kwargs, in_tree, flat_args, axes, size, out_axes,
                                 int(chunk_size), spmd_axis_name)
        out, _ = _batched_call(fun, args, kwargs, in_tree, flat_args, axes, size, out_axes,
                               axis_name, spmd_axis_name)
        return out

    return vmapped


def _install_rules():
    # The rule modules import this one for its helpers, so they are loaded last.
    from . import (  # noqa: F401
        batching_rules,
        batching_rules_calls,
        batching_rules_conv,
        batching_rules_indexing,
    )
    from .lax import parallel  # noqa: F401


_install_rules()
