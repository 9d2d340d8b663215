"""The NumPy meaning of the call primitives: `jit` evaluates its sub-jaxpr with eval_jaxpr.

Merged into `interpret.impl_rules` as CALL_IMPLS. This is the oracle's meaning; compiled execution
of a top-level jit goes through compiler.runtime instead.
"""

from __future__ import annotations

from . import primitives as P


def jit_impl(*args, jaxpr, name="jit"):
    from .interpret import eval_jaxpr  # interpret.py may import this module while loading

    return eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)


def pmap_impl(*args, **params):
    from .pmap_exec import pmap_impl as run  # devices as threads, the body compiled once

    return run(*args, **params)


CALL_IMPLS = {P.jit_p: jit_impl, P.pmap_p: pmap_impl}
