"""The jax_debug_nans / jax_debug_infs flags: raise FloatingPointError at the first operation that
produces a nan (or an inf), naming it, as JAX does.

While either flag is on, the top-level trace is a `CheckingEvalTrace`: eager evaluation that
checks every primitive's floating-point outputs. Because it is not the plain eval trace, the
eager fast paths of jaxlite.numpy step aside and every operation reaches `bind`. A jit call still
runs its compiled program; when an output holds a nan or inf the function is run again op by op
(the de-optimized version) to name the primitive that produced it, as JAX does.

Turn the checks on with `config.update("jax_debug_nans", True)`, the environment variable
JAX_DEBUG_NANS=1, or the scoped `with jaxlite.debug_nans(): ...` (likewise for infs).
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np

from compiler import primitives as P

from . import core
from .config import config

logger = logging.getLogger("jaxlite")

_FLAGS = ("jax_debug_nans", "jax_debug_infs")


def check_values(name, values):
    """Raise FloatingPointError if a floating-point value holds a nan (debug_nans) or an inf
    (debug_infs): "invalid value (nan) encountered in <name>"."""
    for v in values:
        v = getattr(v, "_value", v)
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "fc":
            continue
        if config.read("jax_debug_nans") and np.isnan(v).any():
            raise FloatingPointError(f"invalid value (nan) encountered in {name}")
        if config.read("jax_debug_infs") and np.isinf(v).any():
            raise FloatingPointError(f"invalid value (inf) encountered in {name}")


class CheckingEvalTrace(core.EvalTrace):
    """Eager evaluation that checks each primitive's outputs for nans and infs."""

    def process_primitive(self, prim, args, params):
        if prim is P.jit_p:
            return self._checked_call(args, params)
        out = core.EvalTrace.process_primitive(self, prim, args, params)
        check_values(prim.name, out if prim.multiple_results else [out])
        return out

    def _checked_call(self, args, params):
        from .jit import call_jaxpr
        from .partial_eval import eval_jaxpr

        closed, name = params["jaxpr"], params.get("name", "jit")
        with core.set_current_trace(core.eval_trace):
            outs = call_jaxpr(closed, args, name)
        try:
            check_values(f"jit({name})", outs)
        except FloatingPointError as err:
            logger.warning(
                "Invalid value encountered in the output of a jaxlite.jit function (%s). "
                "Calling the de-optimized version.",
                err,
            )
            with core.set_current_trace(self):  # op by op: raises naming the primitive
                eval_jaxpr(closed.jaxpr, closed.consts, *args)
            raise FloatingPointError(
                f"{err}. Because jax_debug_nans and/or jax_debug_infs is set, the de-optimized "
                "function (the function as if the `jit` decorator were removed) was called in an "
                "attempt to get a more precise error message. However, the de-optimized function "
                "did not produce invalid values during its execution. This can result from `jit` "
                "optimizations causing the invalid value to be produced."
            ) from None
        return outs

    def __repr__(self):
        return "CheckingEvalTrace"


checking_trace = CheckingEvalTrace()


def _sync(name=None, value=None):
    """Make the current top-level trace agree with the flags (a config listener)."""
    if name is not None and name not in _FLAGS:
        return
    on = any(config.read(f) for f in _FLAGS)
    current = core.trace_ctx.trace
    if on and current is core.eval_trace:
        core.trace_ctx.trace = checking_trace
    elif not on and current is checking_trace:
        core.trace_ctx.trace = core.eval_trace


@contextlib.contextmanager
def _scoped(flag, new_val):
    old = config.read(flag)
    config.update(flag, bool(new_val))
    try:
        yield
    finally:
        config.update(flag, old)


def debug_nans(new_val: bool = True):
    """`with jaxlite.debug_nans(): ...`: jax_debug_nans inside the block, restored after it."""
    return _scoped("jax_debug_nans", new_val)


def debug_infs(new_val: bool = True):
    """`with jaxlite.debug_infs(): ...`: jax_debug_infs inside the block, restored after it."""
    return _scoped("jax_debug_infs", new_val)


config._listeners.append(_sync)
_sync()  # JAX_DEBUG_NANS=1 / JAX_DEBUG_INFS=1 in the environment
