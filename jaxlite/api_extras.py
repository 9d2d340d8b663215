"""Small top-level functions of JAX's API: waiting on and copying arrays, the backend's name,
an array's type, linear_transpose, and the naming helpers that only matter to a profiler."""

from __future__ import annotations

import contextlib
import platform
import sys

import numpy as np

from . import core, tree_util
from .array import Array

__all__ = ["block_until_ready", "copy_to_host_async", "default_backend", "linear_transpose",
           "named_call", "named_scope", "print_environment_info", "process_indices", "typeof"]


def block_until_ready(x):
    """x, after every array in it is computed (jaxlite computes synchronously: at once)."""
    for leaf in tree_util.tree_leaves(x):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return x


def copy_to_host_async(x):
    """x; starts copying its arrays to the host (jaxlite's arrays already live there)."""
    for leaf in tree_util.tree_leaves(x):
        if isinstance(leaf, Array):
            leaf.copy_to_host_async()
    return x


def default_backend() -> str:
    """The platform computations run on by default: always "cpu" here."""
    return "cpu"


def typeof(x):
    """The abstract value (shape, dtype, weak type) of x: an Array, tracer, NumPy value or scalar."""
    return core.get_aval(x)


def process_indices() -> list:
    """The indices of every process of the run (0 .. process_count() - 1)."""
    from .device_list import process_count

    return list(range(process_count()))


def named_call(fun, *, name=None):
    """fun itself: JAX uses the name only to label profiles and HLO, which jaxlite has not."""
    return fun


@contextlib.contextmanager
def named_scope(name: str):
    """A context that names the ops inside it in JAX's profiles; here it only checks the name."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope: name must be a string, got {type(name).__name__}")
    yield


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function `fun`, whose arguments look like `primals` (arrays
    or ShapeDtypeStructs): a function from output cotangents to a tuple of input cotangents."""
    from .ad_api import vjp
    from .partial_eval import ShapeDtypeStruct

    if reduce_axes:
        raise ValueError("linear_transpose: reduce_axes is not supported (JAX removed it too)")

    def placeholder(p):
        if isinstance(p, ShapeDtypeStruct):
            return np.zeros(p.shape, p.dtype)
        return p

    args = tree_util.tree_map(placeholder, primals)
    # For a linear fun the vjp at any point is its transpose; zeros keep it cheap.
    args = tree_util.tree_map(lambda a: np.zeros(np.shape(a), core.get_aval(a).dtype), args)
    _, fun_vjp = vjp(fun, *args)

    def transposed(*cts):
        return fun_vjp(cts[0] if len(cts) == 1 else cts)

    return transposed


def print_environment_info(return_string: bool = False):
    """Versions of jaxlite, Python and the libraries it runs on."""
    import llvmlite

    from . import __version__
    from .device_list import device_count, process_count

    text = (f"jaxlite:    {__version__}\nnumpy:      {np.__version__}\nllvmlite:   {llvmlite.__version__}\n"
            f"python:     {sys.version}\nplatform:   {platform.platform()}\n"
            f"devices:    {device_count()} cpu, processes: {process_count()}\n")
    if return_string:
        return text
    print(text)
    return None
