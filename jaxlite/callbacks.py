"""Host callbacks, as JAX: `pure_callback` and `experimental.io_callback`.

A callback is a primitive whose equation carries the Python function as a param (the compiler
calls it with NumPy values, from inside compiled programs through the interpreter step). The
function given to the primitive is `FlatCallback`: it wraps the NumPy operands as jaxlite
Arrays, rebuilds the user's pytrees, calls the user's function and flattens its answer.

pure_callback is pure: unused, it is removed (dce); under vmap it follows `vmap_method`; it has
no derivative (wrap it in custom_jvp / custom_vjp). io_callback is effectful: never removed,
kept in program order; under vmap it runs sequentially (unordered only), as in JAX.
"""

from __future__ import annotations

import warnings

import numpy as np

from compiler import dtypes
from compiler import primitives as P
from compiler.ir import ShapedArray

from . import ad, core, tree_util
from .array import wrap
from .batching import batch_rules, moveaxis
from .config import config

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all", "legacy_vectorized", None)


class FlatCallback:
    """`callback(*args, **kwargs)` seen as a function of flat NumPy leaves returning flat leaves.

    `static` maps leaf positions to values that are not arrays (strings, None, ...): they are
    handed to the callback as they are and never become operands.
    """

    def __init__(self, callback, in_tree, static=(), out_tree=None, name="callback"):
        self.callback, self.in_tree, self.static = callback, in_tree, dict(static)
        self.out_tree, self.name = out_tree, name

    def __call__(self, *flat_args):
        # Copies: a compiled program may reuse the buffer behind an operand after the call.
        dyn = iter(wrap(np.array(a, copy=True)) for a in flat_args)
        n = len(self.static) + len(flat_args)
        leaves = [self.static[i] if i in self.static else next(dyn) for i in range(n)]
        args, kwargs = tree_util.tree_unflatten(self.in_tree, leaves)
        out = self.callback(*args, **kwargs)
        if self.out_tree is None:
            return []
        leaves, tree = tree_util.tree_flatten(out)
        if tree != self.out_tree:
            raise TypeError(
                f"{self.name}: the callback returned a value of structure {tree}, but "
                f"result_shape_dtypes has structure {self.out_tree}; return the declared structure"
            )
        return [np.asarray(x) for x in leaves]

    def __repr__(self):
        return f"{self.name}({getattr(self.callback, '__name__', self.callback)!r})"


def result_avals(name, result_shape_dtypes):
    """(flat result avals, their tree) of a pytree of ShapeDtypeStruct-like leaves."""
    leaves, tree = tree_util.tree_flatten(result_shape_dtypes)
    avals = []
    for i, leaf in enumerate(leaves):
        if not hasattr(leaf, "shape") or not hasattr(leaf, "dtype"):
            raise TypeError(
                f"{name}: result_shape_dtypes leaf {i} is a {type(leaf).__name__}, which has no "
                "shape and dtype; pass jaxlite.ShapeDtypeStruct(shape, dtype) leaves"
            )
        dt = np.dtype(leaf.dtype)
        if dtypes.canonicalize(dt, config.x64) != dt:
            raise ValueError(
                "result_shape_dtypes cannot specify 64-bit types when `jax_enable_x64` is "
                f"disabled (leaf {i} of {name} is {dt}); use 32-bit types or enable x64"
            )
        avals.append(ShapedArray(tuple(leaf.shape), dt))
    return tuple(avals), tree


def _flat_operands(args, kwargs):
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    for i, x in enumerate(leaves):
        if not core.is_valid_value(x):
            raise TypeError(
                f"callback operand {i} is a {type(x).__name__}; callbacks take arrays and scalars "
                "(close over other Python values in the callback instead)"
            )
    return leaves, in_tree


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None, **kwargs):
    """Call the pure Python function `callback(*args, **kwargs)` on host values, from eager code,
    jit, vmap and the like. Its result must match `result_shape_dtypes` (a pytree of
    ShapeDtypeStruct). Being pure, it may be skipped when its result is unused."""
    if vmap_method not in VMAP_METHODS:
        raise ValueError(f"vmap_method must be on of the allowed methods {list(VMAP_METHODS)}, but got: {vmap_method}")
    if "vectorized" in kwargs:  # JAX's older spelling, as JAX 0.4 read it: deprecated
        vectorized = kwargs.pop("vectorized")
        warnings.warn(
            "pure_callback: the vectorized argument is deprecated; use vmap_method='legacy_vectorized' "
            "(or 'expand_dims' / 'broadcast_all') instead",
            DeprecationWarning,
            stacklevel=2,
        )
        if vmap_method is not None:
            raise ValueError("pure_callback: pass either vectorized or vmap_method, not both")
        vmap_method = "legacy_vectorized" if vectorized else "sequential"
    avals, out_tree = result_avals("pure_callback", result_shape_dtypes)
    leaves, in_tree = _flat_operands(args, kwargs)
    fn = FlatCallback(callback, in_tree, out_tree=out_tree, name="pure_callback")
    outs = core.bind(P.pure_callback_p, *leaves, callback=fn, result_avals=avals, vmap_method=vmap_method)
    return tree_util.tree_unflatten(out_tree, outs)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """Call the impure Python function `callback(*args, **kwargs)`: never removed, run in
    program order. With `ordered=True` it cannot be vmapped, as in JAX."""
    avals, out_tree = result_avals("io_callback", result_shape_dtypes)
    leaves, in_tree = _flat_operands(args, kwargs)
    fn = FlatCallback(callback, in_tree, out_tree=out_tree, name="io_callback")
    outs = core.bind(P.io_callback_p, *leaves, callback=fn, result_avals=avals, ordered=bool(ordered))
    return tree_util.tree_unflatten(out_tree, outs)


# ---- Rules ------------------------------------------------------------------------------------


def _pure_callback_jvp(primals, tangents, **params):
    raise ValueError(
        "Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use callbacks while taking gradients."
    )


def _io_callback_jvp(primals, tangents, **params):
    raise ValueError("IO callbacks do not support JVP.")


def _batched_avals(size, avals):
    return tuple(ShapedArray((size,) + a.shape, a.dtype) for a in avals)


def _sequential(prim, size, vals, dims, params, unroll=False):
    """Call the callback once per example: a scan over the batched operands (or a Python loop)."""
    from . import lax

    batched = [moveaxis(v, d, 0) for v, d in zip(vals, dims, strict=True) if d is not None]

    def one(xs):
        it = iter(xs)
        ops = [next(it) if d is not None else v for v, d in zip(vals, dims, strict=True)]
        return core.bind(prim, *ops, **params)

    if unroll:
        from . import numpy as jnp

        per = [one([b[i] for b in batched]) for i in range(size)]
        outs = [jnp.stack(xs) for xs in zip(*per, strict=True)] if per and per[0] else []
    else:
        outs = lax.map(one, batched)
    return list(outs), [0] * len(params["result_avals"])


def _pure_callback_batch(axis_data, vals, dims, *, vmap_method, result_avals, callback):
    from . import lax

    size = axis_data.size
    params = dict(callback=callback, result_avals=result_avals, vmap_method=vmap_method)
    if vmap_method in ("sequential", "sequential_unrolled"):
        return _sequential(P.pure_callback_p, size, vals, dims, params, vmap_method == "sequential_unrolled")
    if vmap_method is None:
        raise NotImplementedError(
            "vmap is only supported for the pure_callback primitive when vmap_method is one of "
            "'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or "
            "'legacy_vectorized'. Got vmap_method=None."
        )
    ops = [moveaxis(v, d, 0) if d is not None else v for v, d in zip(vals, dims, strict=True)]
    if vmap_method in ("expand_dims", "broadcast_all"):
        n = size if vmap_method == "broadcast_all" else 1
        ops = [lax.broadcast(v, (n,)) if d is None else v for v, d in zip(ops, dims, strict=True)]
    params["result_avals"] = _batched_avals(size, result_avals)
    outs = core.bind(P.pure_callback_p, *ops, **params)
    return outs, [0] * len(outs)


def _io_callback_batch(axis_data, vals, dims, *, callback, result_avals, ordered):
    if ordered:
        raise ValueError("Cannot `vmap` ordered IO callback.")
    params = dict(callback=callback, result_avals=result_avals, ordered=ordered)
    return _sequential(P.io_callback_p, axis_data.size, vals, dims, params)


ad.jvp_rules[P.pure_callback_p] = _pure_callback_jvp
ad.jvp_rules[P.io_callback_p] = _io_callback_jvp
batch_rules[P.pure_callback_p] = _pure_callback_batch
batch_rules[P.io_callback_p] = _io_callback_batch
