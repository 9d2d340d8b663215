"""Buffer donation for `jit(f, donate_argnums=..., donate_argnames=...)`, as JAX does it on the CPU.

At a top-level call (no transformation running; under one, donation is ignored as in an inner
jit):

- each donated leaf is paired, in order, with the first output of the same shape and dtype not
  yet taken; leaves left without one make JAX's warning "Some donated buffers were not usable:
  ..." (once per traced signature) and stay alive;
- a paired leaf that is a jaxlite Array is deleted after the call (`is_deleted()`, and every
  later use raises JAX's RuntimeError "Array has been deleted with shape=...");
- the paired output is written into the donated memory (no fresh buffer) when that is safe:
  the program reads the input only elementwise before overwriting it (`compiler.donation`),
  and nothing else can see the memory: the Array's NumPy value is writeable, owns its data (or
  is the one view of a runtime pool block), and no other Array, NumPy view (`np.asarray(x)` is
  zero-copy) or DLPack capsule holds it, judged by reference counts; the same buffer passed
  twice never qualifies. Otherwise the output gets a fresh buffer: same results, one copy more.

NumPy and Python-scalar leaves are never written into or deleted (JAX donates the copy it makes
of them).
"""

from __future__ import annotations

import mmap
import sys
import warnings

import numpy as np

from compiler.donation import can_alias

from . import tree_util
from .array import Array, wrap

_FAQ = "See an explanation at https://docs.jax.dev/en/latest/faq.html#buffer-donation."


def check_static_overlap(name, static_nums, static_names, donate_nums, donate_names):
    nums = sorted(set(static_nums) & set(donate_nums))
    if nums:
        raise ValueError(
            f"jit({name}): static_argnums and donate_argnums cannot intersect: argument(s) {nums} appear in "
            "both; a static argument is a Python value, not a buffer that could be donated"
        )
    names = sorted(set(static_names) & set(donate_names))
    if names:
        raise ValueError(
            f"jit({name}): static_argnames and donate_argnames cannot intersect: argument name(s) {names} "
            "appear in both"
        )


def donated_mask(args, kwargs, static_pos, static_kw, donate_nums, donate_names):
    """One bool per flat dynamic leaf (the order of jit's tree_flatten((dyn_args, dyn_kw)))."""
    n = len(args)
    nums = {i + n if i < 0 else i for i in donate_nums}
    mask_args = tuple(
        tree_util.tree_map(lambda _, d=(i in nums): d, a) for i, a in enumerate(args) if i not in static_pos
    )
    mask_kw = {
        k: tree_util.tree_map(lambda _, d=(k in donate_names): d, v) for k, v in kwargs.items() if k not in static_kw
    }
    return tuple(tree_util.tree_leaves((mask_args, mask_kw)))


def _short(aval):
    return f"{np.dtype(aval.dtype).name}[{','.join(map(str, aval.shape))}]"


class Plan:
    """The pairing of donated leaves with outputs for one signature, and which pairs may share
    memory: pairs = [(leaf, output slot or None)]."""

    def __init__(self, entry, mask, name):
        outs = list(entry.out_avals)
        taken, pairs, unusable = set(), [], []
        for i, donated in enumerate(mask):
            if not donated:
                continue
            a = entry.in_avals[i]
            j = next(
                (j for j, o in enumerate(outs) if j not in taken and o.shape == a.shape and o.dtype == a.dtype), None
            )
            if j is None:
                unusable.append(_short(a))
                continue
            taken.add(j)
            pairs.append((i, self._slot(entry, i, j)))
        self.pairs = pairs
        if unusable:
            warnings.warn(f"Some donated buffers were not usable: {', '.join(unusable)}.\n{_FAQ}", stacklevel=4)

    @staticmethod
    def _slot(entry, leaf, out):
        program = entry.executable().program
        kind, val = program.outputs[out]
        if kind != "buffer":
            return None
        buf = program.buffers[program.storage(val)]
        if buf.kind != "output":
            return None
        return buf.index if can_alias(program, len(entry.consts) + leaf, buf.index) else None


def _sole_owner(arr):
    """True when nothing but `arr` can reach its value's memory (see the module docstring)."""
    v = arr._value
    if type(v) is not np.ndarray or not v.flags.writeable or not v.flags.c_contiguous:
        return False
    # references to v: arr's slot, this frame's `v`, getrefcount's argument
    if sys.getrefcount(v) != 3:
        return False
    base = v.base
    if base is None:
        return True
    # a pool block's owner (compiler/pool.py): an ndarray over an mmap, held by v alone
    if type(base) is not np.ndarray or not (base.base is None or type(base.base) is mmap.mmap):
        return False
    return sys.getrefcount(base) == 3  # v.base, this frame's `base`, getrefcount's argument


def run_donating(entry, leaves, plan, as_input):
    """Run entry's executable on `leaves`, writing paired outputs into donated buffers where
    allowed; delete the donated Arrays; return the output Arrays."""
    exe = entry.executable()
    ids = {}
    for x in leaves:
        if type(x) is Array:
            ids[id(x)] = ids.get(id(x), 0) + 1
            ids[id(x._value)] = ids.get(id(x._value), 0) + 1
    given = {}
    for i, slot in plan.pairs:
        x = leaves[i]
        if slot is None or slot in given or type(x) is not Array:
            continue
        shape, dtype = exe._out_specs[slot]
        v = x._value
        # (the value read is the one written: no dtype conversion on the way in)
        exact = type(v) is np.ndarray and v.dtype == dtype and v.size == int(np.prod(shape, dtype=np.int64))
        del v
        if exact and ids[id(x)] == 1 and ids[id(x._value)] == 1 and _sole_owner(x):
            given[slot] = x._value.reshape(shape) if x._value.shape != tuple(shape) else x._value
    vals = [as_input(x, a) for x, a in zip(leaves, entry.in_avals, strict=False)]
    if entry.np_consts is None:
        entry.np_consts = [as_input(c, a) for c, a in zip(entry.consts, entry.closed.in_avals, strict=False)]
    if given:
        outs = exe.run_into((*entry.np_consts, *vals), given)
    else:
        outs = exe.run((*entry.np_consts, *vals))
    del vals, given
    for i, _ in plan.pairs:
        if type(leaves[i]) is Array:
            leaves[i].delete()
    return [wrap(o, a.weak_type) for o, a in zip(outs, entry.out_avals, strict=False)]
