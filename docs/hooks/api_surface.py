"""The public surface of jaxlite, found by walking the modules (used by the docs build and tests).

A module is public when JAX has a module of that name (the list below) and jaxlite has it too,
or when it is a public submodule of such a module (`scipy.stats.norm`). A name is public when it
is in the module's `__all__`, or, without `__all__`, when it does not start with an underscore
and is not a module or a `from __future__` feature. New modules and names appear in the API
reference without edits here, except a module JAX does not have, which is added to the list.
"""

from __future__ import annotations
import __future__

import importlib
import importlib.util
import types

# JAX's public module namespace (as documented at jax.readthedocs.io), relative to the package.
JAX_PUBLIC_MODULES = [
    "",
    "numpy",
    "numpy.linalg",
    "numpy.fft",
    "lax",
    "nn",
    "nn.initializers",
    "random",
    "scipy",
    "scipy.special",
    "scipy.linalg",
    "scipy.stats",
    "scipy.signal",
    "scipy.integrate",
    "scipy.optimize",
    "scipy.ndimage",
    "scipy.fft",
    "scipy.sparse",
    "scipy.cluster",
    "scipy.spatial",
    "tree_util",
    "tree",
    "flatten_util",
    "example_libraries",
    "example_libraries.stax",
    "example_libraries.optimizers",
    "experimental",
    "experimental.ode",
    "experimental.checkify",
    "experimental.sparse",
    "test_util",
    "errors",
    "debug",
    "dlpack",
    "dtypes",
    "distributed",
    "sharding",
    "profiler",
    "stages",
    "image",
    "ops",
    # Not here: "config" (jaxlite.config is the flag object, documented on the top-level page)
    # and "custom_derivatives" (custom_jvp / custom_vjp are documented at the top level).
]

# Namespaces whose every public submodule is API (jax.scipy.stats.norm, ...); elsewhere a
# submodule such as jaxlite.numpy.ufuncs is where names are written, not where users find them.
NAMESPACES_OF_MODULES = ["scipy.stats"]

PACKAGE = "jaxlite"


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def public_names(module: types.ModuleType) -> list[str]:
    """The public names of `module`, in a stable order (sorted)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    values = vars(module)
    return sorted(
        n
        for n in dict.fromkeys(names)
        if not isinstance(values.get(n), (types.ModuleType, __future__._Feature))  # modules get pages
    )


def _child_modules(module: types.ModuleType) -> list[str]:
    """Public submodules held as attributes (for namespaces like scipy.stats.norm)."""
    prefix = module.__name__ + "."
    return sorted(
        v.__name__
        for n, v in vars(module).items()
        if isinstance(v, types.ModuleType) and not n.startswith("_") and v.__name__ == prefix + n
    )


def public_modules() -> list[str]:
    """Dotted names of jaxlite's public modules, parents before children."""
    found = []
    for rel in JAX_PUBLIC_MODULES:
        name = f"{PACKAGE}.{rel}" if rel else PACKAGE
        if not _exists(name):
            continue
        module = importlib.import_module(name)
        if not isinstance(module, types.ModuleType):
            continue
        found.append(name)
        if rel in NAMESPACES_OF_MODULES:
            found += _child_modules(module)
    return sorted(dict.fromkeys(found), key=lambda n: (n != PACKAGE, n))


def is_documented_here(module_name: str, obj: object) -> bool:
    """True for functions and classes written in this project (rendered from their docstrings);
    False for constants and objects taken from NumPy (listed with their value instead)."""
    owner = getattr(obj, "__module__", None) or ""
    if isinstance(obj, (int, float, complex, str, bool, type(None))):
        return False
    return owner.split(".")[0] in ("jaxlite", "compiler")


def surface() -> dict[str, list[str]]:
    """{module name: public names} for every public module."""
    return {m: public_names(importlib.import_module(m)) for m in public_modules()}
