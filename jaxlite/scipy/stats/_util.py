"""Argument handling shared by the distributions: JAX's promote_args_inexact."""

from __future__ import annotations

from ... import numpy as jnp
from ...numpy._util import promote_dtypes_inexact
from ..special import check_arraylike


def promote_args_inexact(fname, *args):
    """Check that the arguments are arrays or scalars (naming `fname`), promote them to one
    inexact dtype and broadcast them to one shape."""
    check_arraylike(f"jaxlite.scipy.stats.{fname}", *args)
    args = promote_dtypes_inexact(*args)
    return jnp.broadcast_arrays(*args) if len(args) > 1 else args
