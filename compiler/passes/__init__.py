"""Jaxpr -> Jaxpr rewrites (inline, simplify, fold, cse, dce, canonical dots) and fusion.

Every rewrite takes and returns a ClosedJaxpr and never mutates its input; `compiler/pipeline.py`
lists them in order. Fusion (`fusion.py`) turns the final Jaxpr into a `kernels.Program`.
"""

from .cse import cse
from .dce import dce
from .dot import canonicalize_dots
from .fold import fold_constants
from .inline import inline_calls
from .simplify import simplify

__all__ = ["canonicalize_dots", "cse", "dce", "fold_constants", "inline_calls", "simplify"]
