"""NumPy meaning of the collectives outside any mapped axis: an unbound-name error.

A collective only means something while vmap or pmap binds its axis name; their batching rules
replace it before anything runs. Reaching these rules means the name was never bound, which JAX
reports as a NameError ("unbound axis name: i").
"""

from __future__ import annotations

from . import primitives as P


def _unbound(names):
    names = names if isinstance(names, tuple) else (names,)
    shown = ", ".join(str(n) for n in names)
    return NameError(
        f"unbound axis name: {shown}. Collectives (psum, pmean, pmax, pmin, all_gather, "
        f"axis_index, ppermute) only work inside a function mapped with vmap or pmap whose "
        f"axis_name is {shown}.")


def _reduce(x, *, axes, axis_index_groups=None):
    raise _unbound(axes)


def _all_gather(x, *, axis_name, all_gather_dimension, axis_size, tiled=False):
    raise _unbound(axis_name)


def _axis_index(*, axis_name):
    raise _unbound(axis_name)


def _ppermute(x, *, axis_name, perm):
    raise _unbound(axis_name)


COLLECTIVE_IMPLS = {
    P.psum_p: _reduce,
    P.pmax_p: _reduce,
    P.pmin_p: _reduce,
    P.all_gather_p: _all_gather,
    P.axis_index_p: _axis_index,
    P.ppermute_p: _ppermute,
}
