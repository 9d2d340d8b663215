"""NumPy meaning of the collectives: a device rendezvous under pmap, else an unbound-name error.

Under vmap a collective never reaches these rules: its batching rule replaces it while tracing.
Under pmap it does: each device runs the per-device program on its own thread and the collective
meets its peers in compiler/rendezvous.py. Reaching a rule on a thread that maps no such axis
means the name was never bound, which JAX reports as a NameError ("unbound axis name: i").
"""

from __future__ import annotations

from . import primitives as P
from . import rendezvous as R


def _unbound(names):
    names = names if isinstance(names, tuple) else (names,)
    shown = ", ".join(str(n) for n in names)
    return NameError(
        f"unbound axis name: {shown}. Collectives (psum, pmean, pmax, pmin, all_gather, "
        f"all_to_all, psum_scatter, axis_index, ppermute) only work inside a function mapped "
        f"with vmap or pmap whose axis_name is {shown}.")


def _device(names):
    ctx = R.device_for(names, "collective")
    if ctx is None:
        raise _unbound(names)
    return ctx


def _reducer(kind):
    def rule(x, *, axes, axis_index_groups=None):
        return R.reduce(_device(axes), x, kind)
    return rule


def _all_gather(x, *, axis_name, all_gather_dimension, axis_size, tiled=False):
    return R.all_gather(_device(axis_name), x, all_gather_dimension, tiled)


def _axis_index(*, axis_name):
    return R.axis_index(_device(axis_name))


def _ppermute(x, *, axis_name, perm):
    return R.ppermute(_device(axis_name), x, perm)


def _all_to_all(x, *, axis_name, split_axis, concat_axis, axis_size):
    return R.all_to_all(_device(axis_name), x, split_axis, concat_axis)


def _psum_scatter(x, *, axis_name, scatter_dimension, axis_size, tiled=False):
    return R.psum_scatter(_device(axis_name), x, scatter_dimension, tiled)


COLLECTIVE_IMPLS = {
    P.psum_p: _reducer("sum"),
    P.pmax_p: _reducer("max"),
    P.pmin_p: _reducer("min"),
    P.all_gather_p: _all_gather,
    P.axis_index_p: _axis_index,
    P.ppermute_p: _ppermute,
    P.all_to_all_p: _all_to_all,
    P.psum_scatter_p: _psum_scatter,
}
