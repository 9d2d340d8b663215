"""jaxlite.debug: `print` and `callback` that work eagerly and under jit, vmap and grad, as JAX's.

Both bind `debug_callback`, an effectful primitive with no results: the compiler never removes,
merges or reorders it, and a compiled program calls the Python function from its interpreter
step with the run-time values. The rules follow JAX's:
- jvp: the callback runs on the primal values only; it contributes nothing to derivatives.
- vmap: unrolled over the batch, one call per example (unbatched operands as they are).
"""

from __future__ import annotations

import string
import sys

import numpy as np

from compiler import primitives as P

from . import ad, core, tree_util
from .batching import batch_rules

__all__ = ["callback", "print"]


def _split_static(args, kwargs):
    """Flatten (args, kwargs): array-like leaves become operands, the rest stay static."""
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    static, dyn = {}, []
    for i, x in enumerate(leaves):
        if core.is_valid_value(x) or hasattr(x, "__jax_array__"):
            dyn.append(x)
        else:
            static[i] = x
    return in_tree, dyn, static


def callback(callback, *args, ordered=False, partitioned=False, **kwargs):
    """Call `callback(*args, **kwargs)` with the run-time values of the arguments (jaxlite
    Arrays), for its side effect; returns None. Under jit it runs when the compiled program
    runs, in program order; under vmap once per example; under grad on the primal values."""
    from .callbacks import FlatCallback

    if not callable(callback):
        raise TypeError(f"jaxlite.debug.callback: callback must be callable, got {type(callback).__name__}")
    in_tree, dyn, static = _split_static(args, kwargs)
    fn = FlatCallback(callback, in_tree, static, out_tree=None, name="debug.callback")
    core.bind(P.debug_callback_p, *dyn, callback=fn, ordered=bool(ordered))


class _FormatChecker(string.Formatter):
    """Checks a format string against its arguments without formatting anything (as JAX)."""

    def format_field(self, value, format_spec):
        return ""

    def check_unused_args(self, used_args, args, kwargs):
        unused = [a for i, a in enumerate(args) if i not in used_args]
        if unused:
            raise ValueError(f"Unused positional arguments to `jax.debug.print`: {unused}")
        unused_kw = [k for k in kwargs if k not in used_args]
        if unused_kw:
            raise ValueError(
                f"Unused keyword arguments to `jax.debug.print`: {unused_kw}. You may be passing "
                'an f-string (i.e, `f"{x}"`) into `jax.debug.print` and instead should pass in a '
                "regular string."
            )


_checker = _FormatChecker()


def _has_placeholders(fmt):
    return any(field is not None for _, field, _, _ in string.Formatter().parse(fmt))


def print(fmt=None, *args, ordered=False, partitioned=False, skip_format_check=False, **kwargs):  # noqa: A001
    """`jaxlite.debug.print("x = {x}", x=x)`: print with the run-time values, eagerly and inside
    jit, vmap and grad (formatting waits until the values exist: do not pass an f-string).
    Called with options only (`debug.print(ordered=True)`), returns the printing function."""

    def _print(fmt, *args, **kwargs):
        if not isinstance(fmt, str):
            raise TypeError(f"jaxlite.debug.print: fmt must be a str, got {type(fmt).__name__}")
        if not skip_format_check:
            _checker.format(fmt, *args, **kwargs)
        placeholders = _has_placeholders(fmt)
        options = tuple(np.get_printoptions().items())

        def emit(*args, **kwargs):
            with np.printoptions(**dict(options)):
                if placeholders:
                    msg = fmt.format(*args, **kwargs)
                else:
                    msg = " ".join((fmt, *(str(a) for a in args)))
            sys.stdout.write(msg + "\n")

        callback(emit, *args, ordered=ordered, **kwargs)

    if fmt is not None:
        _print(fmt, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug.print received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return _print


# ---- Rules ------------------------------------------------------------------------------------


def _debug_callback_jvp(primals, tangents, **params):
    # Runs on the primals (under linearize: in the forward pass); nothing to differentiate.
    return core.bind(P.debug_callback_p, *primals, **params), []


def _debug_callback_batch(axis_data, vals, dims, **params):
    from .lax import index_in_dim

    for i in range(axis_data.size):
        ops = [v if d is None else index_in_dim(v, i, d, keepdims=False) for v, d in zip(vals, dims, strict=True)]
        core.bind(P.debug_callback_p, *ops, **params)
    return [], []


ad.jvp_rules[P.debug_callback_p] = _debug_callback_jvp
batch_rules[P.debug_callback_p] = _debug_callback_batch
