"""Host callbacks: primitives that call a Python function with the NumPy values of their operands.

The function travels as the equation param `callback` (the compiler never looks inside it): it
takes one NumPy array per operand and returns a sequence of arrays, one per declared result.

- debug_callback(*args; callback, ordered): no results; effectful (jaxlite.debug.print/callback).
- pure_callback(*args; callback, result_avals, vmap_method): results typed by `result_avals`; pure,
  so it may be removed when unused or merged with an identical call (jaxlite.pure_callback).
- io_callback(*args; callback, result_avals, ordered): results typed by `result_avals`; effectful
  (jaxlite.experimental.io_callback).
"""

from __future__ import annotations

from ..ir import ShapedArray
from ._base import CALL, _fail, declare


def _debug_callback_rule(*avals, callback, ordered=False):
    if not callable(callback):
        _fail("debug_callback", f"callback must be callable, got {type(callback).__name__}", *avals)
    return []


def _results_rule(name):
    def rule(*avals, callback, result_avals, **_):
        if not callable(callback):
            _fail(name, f"callback must be callable, got {type(callback).__name__}", *avals)
        if not all(isinstance(a, ShapedArray) for a in result_avals):
            _fail(name, f"result_avals must be ShapedArrays, got {result_avals!r}", *avals)
        return list(result_avals)

    return rule


debug_callback_p = declare("debug_callback", CALL, _debug_callback_rule, multiple_results=True, effectful=True)
pure_callback_p = declare("pure_callback", CALL, _results_rule("pure_callback"), multiple_results=True)
io_callback_p = declare("io_callback", CALL, _results_rule("io_callback"), multiple_results=True, effectful=True)

__all__ = ["debug_callback_p", "pure_callback_p", "io_callback_p"]
