"""The NumPy meaning of the call primitives: `jit` evaluates its sub-jaxpr with eval_jaxpr.

Merged into `interpret.impl_rules` as CALL_IMPLS. This is the oracle's meaning; compiled execution
of a top-level jit goes through compiler.runtime instead.
"""

from __future__ import annotations

from . import primitives as P


def jit_impl(*args, jaxpr, name="jit"):
    from .interpret import eval_jaxpr  # interpret.py may import this module while loading

    return eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)


def debug_callback_impl(*args, callback, ordered=False):
    callback(*args)
    return []


def _callback_results(name, callback, args, result_avals):
    """Call a host function and hold its answer to the declared result types."""
    import numpy as np

    outs = callback(*args)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    if len(outs) != len(result_avals):
        raise RuntimeError(
            f"{name}: the callback returned {len(outs)} values, but result_shape_dtypes declares "
            f"{len(result_avals)}; return a pytree of the declared structure")
    results = []
    for i, (out, aval) in enumerate(zip(outs, result_avals)):
        out = np.asarray(out)
        if out.shape != aval.shape:
            raise RuntimeError(
                f"{name}: result {i} of the callback has shape {out.shape}, but result_shape_dtypes "
                f"declares {aval.str_short()}; return arrays of the declared shapes")
        results.append(out.astype(aval.dtype, copy=False))
    return results


def pure_callback_impl(*args, callback, result_avals, vmap_method=None):
    return _callback_results("pure_callback", callback, args, result_avals)


def io_callback_impl(*args, callback, result_avals, ordered=False):
    return _callback_results("io_callback", callback, args, result_avals)


def pmap_impl(*args, **params):
    from .pmap_exec import pmap_impl as run  # devices as threads, the body compiled once

    return run(*args, **params)


CALL_IMPLS = {
    P.jit_p: jit_impl,
    P.debug_callback_p: debug_callback_impl,
    P.pure_callback_p: pure_callback_impl,
    P.io_callback_p: io_callback_impl,
    P.pmap_p: pmap_impl,
}

