"""jnp.einsum: subscripts parsed here, contracted pairwise with lax.dot_general.

Steps: parse (implicit or explicit output, ellipsis, interleaved operand/sublist form) into one
label per axis; per operand, take diagonals of repeated labels (iota mask + reduce_sum) and sum
labels no one else needs; then contract pairs (greedily choosing the smallest intermediate, or
left to right with optimize=False), with labels shared and still needed as dot_general batch
dims. Size-1 axes broadcast against equal labels, as in JAX, by squeezing them away.
"""

from __future__ import annotations

import string

import numpy as np

from compiler import dtypes

from .. import core, lax
from ._util import check_arraylike, promote_dtypes, result_type

_LETTERS = string.ascii_letters
_ELL_BASE = 0x2000  # labels of ellipsis axes: characters that cannot appear in a subscript


def _ell(i):
    return chr(_ELL_BASE + i)


def _is_ell(label):
    return ord(label) >= _ELL_BASE


def _sublist_to_str(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            try:
                i = int(s)
            except TypeError:
                raise TypeError(
                    f"jaxlite.numpy.einsum: sublist entries must be ints or Ellipsis, got {s!r}"
                ) from None
            if not 0 <= i < len(_LETTERS):
                raise ValueError(f"jaxlite.numpy.einsum: sublist index {i} must be in [0, {len(_LETTERS)})")
            out.append(_LETTERS[i])
    return "".join(out)


def _interleaved(args):
    """einsum(op0, sub0, op1, sub1, ..., [subout]) -> (subscripts, operands)."""
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):  # trailing output sublist
        out = ops.pop()
    spec = ",".join(_sublist_to_str(s) for s in subs)
    if out is not None:
        spec += "->" + _sublist_to_str(out)
    return spec, ops


def _parse(spec, shapes):
    """(input label strings, output label string, label -> size) with ellipses expanded."""
    spec = spec.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->", 1)
        if "->" in out:
            raise ValueError(f"jaxlite.numpy.einsum: subscripts {spec!r} contain '->' more than once")
    else:
        lhs, out = spec, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"jaxlite.numpy.einsum: number of subscripts, {len(terms)}, must be equal to the number "
            f"of operands, {len(shapes)} (subscripts {spec!r})"
        )
    for t in terms + ([out] if out is not None else []):
        bad = set(t.replace("...", "")) - set(_LETTERS)
        if bad or t.count("...") > 1:
            raise ValueError(
                f"jaxlite.numpy.einsum: invalid subscript {t!r} in {spec!r}: use letters "
                f"and at most one '...' per term"
            )
    ell_rank = 0
    labels = []
    for i, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = t.replace("...", "")
        n_ell = len(shape) - len(named)
        if n_ell < 0 or (n_ell > 0 and "..." not in t):
            raise ValueError(
                f"jaxlite.numpy.einsum: subscript {t!r} does not contain the correct number of "
                f"indices for operand {i} of shape {tuple(shape)}"
            )
        ell_rank = max(ell_rank, n_ell)
        labels.append((t, n_ell))
    ins = []
    for t, n_ell in labels:
        ell = "".join(_ell(ell_rank - n_ell + j) for j in range(n_ell))  # right-aligned
        ins.append(t.replace("...", ell))
    all_ell = "".join(_ell(j) for j in range(ell_rank))
    if out is None:
        counts = {}
        for t in ins:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = all_ell + "".join(sorted(c for c, n in counts.items() if n == 1 and not _is_ell(c)))
    else:
        for c in out.replace("...", ""):
            if out.replace("...", "").count(c) > 1:
                raise ValueError(
                    f"jaxlite.numpy.einsum: output character {c!r} appeared more than once in the output"
                )
            if not any(c in t for t in ins):
                raise ValueError(f"jaxlite.numpy.einsum: output character {c!r} did not appear in the input")
        out = out.replace("...", all_ell)  # without '...', ellipsis axes are summed (as JAX)
    sizes = {}
    for i, (t, shape) in enumerate(zip(ins, shapes, strict=True)):
        own = {}
        for c, d in zip(t, shape, strict=True):
            if c in own and own[c] != d:
                raise ValueError(
                    f"jaxlite.numpy.einsum: repeated index {_name(c)!r} of operand {i} has sizes "
                    f"{own[c]} and {d}; a diagonal needs equal sizes (shape {tuple(shape)})"
                )
            own[c] = d
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = d
            elif d != 1 and d != prev:
                raise ValueError(
                    f"jaxlite.numpy.einsum: size of label {_name(c)!r} for operand {i} ({d}) does "
                    f"not match previous terms ({prev}); shapes "
                    f"{', '.join(str(tuple(s)) for s in shapes)}"
                )
    return ins, out, sizes


def _name(c):
    return "..." if _is_ell(c) else c


# ---- per-operand steps ------------------------------------------------------------------------


def _sum_axes(x, labels, drop):
    axes = [i for i, c in enumerate(labels) if c in drop]
    if not axes:
        return x, labels
    return lax.reduce_sum(x, axes), "".join(c for c in labels if c not in drop)


def _diagonal(x, labels):
    """Remove repeated labels by keeping their diagonal: mask off-diagonal entries, then sum."""
    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        i = labels.index(dup)
        j = labels.index(dup, i + 1)
        shape = tuple(x.shape)
        mask = lax.eq(lax.broadcasted_iota(np.int32, shape, i), lax.broadcasted_iota(np.int32, shape, j))
        zeros = lax.broadcast_in_dim(lax.full((), 0, x.dtype), shape, ())
        x = lax.reduce_sum(lax.select(mask, x, zeros), (j,))
        labels = labels[:j] + labels[j + 1 :]


def _squeeze_ones(x, labels, other, sizes):
    """Squeeze size-1 axes whose label is broadcast against a larger size elsewhere."""
    axes = [i for i, c in enumerate(labels) if x.shape[i] == 1 and sizes[c] != 1 and c in other]
    if not axes:
        return x, labels
    return lax.squeeze(x, axes), "".join(c for i, c in enumerate(labels) if i not in axes)


def _contract(a, la, b, lb, keep, sizes, precision, pet):
    a, la = _squeeze_ones(a, la, lb, sizes)
    b, lb = _squeeze_ones(b, lb, la, sizes)
    a, la = _sum_axes(a, la, set(la) - set(lb) - keep)
    b, lb = _sum_axes(b, lb, set(lb) - set(la) - keep)
    if a.dtype != b.dtype:  # a preferred_element_type result meeting an original operand
        a, b = promote_dtypes(a, b)
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in keep]
    contract = [c for c in shared if c not in keep]
    dn = (
        (tuple(la.index(c) for c in contract), tuple(lb.index(c) for c in contract)),
        (tuple(la.index(c) for c in batch), tuple(lb.index(c) for c in batch)),
    )
    out = lax.dot_general(a, b, dn, precision=precision, preferred_element_type=pet)
    labels = (
        "".join(batch) + "".join(c for c in la if c not in shared) + "".join(c for c in lb if c not in shared)
    )
    return out, labels


# ---- contraction order ------------------------------------------------------------------------


def _result_labels(la, lb, keep):
    return {c for c in set(la) | set(lb) if c in keep}


def _greedy_path(terms, out, sizes):
    """Pairs to contract (numpy's einsum_path format): each step picks the pair whose result is
    smallest, preferring pairs that share a label over outer products."""
    terms = [set(t) for t in terms]
    path = []
    while len(terms) > 1:
        best = None
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                others = set(out).union(*(t for k, t in enumerate(terms) if k not in (i, j)))
                res = _result_labels(terms[i], terms[j], others)
                cost = (not (terms[i] & terms[j]), int(np.prod([sizes[c] for c in res], dtype=np.int64)))
                if best is None or cost < best[0]:
                    best = (cost, i, j, res)
        _, i, j, res = best
        path.append((i, j))
        terms = [t for k, t in enumerate(terms) if k not in (i, j)] + [res]
    return path


def _path(optimize, terms, out, sizes):
    """Steps as tuples of positions in the current list of terms; each step's result is
    appended to the end of the list (numpy.einsum_path's convention)."""
    n = len(terms)
    if optimize is False or optimize is None:
        # Left to right: after the first step the running result is last, the next operand first.
        return [(0, 1)][: n - 1] + [(0, n - 1 - k) for k in range(1, n - 1)]
    if isinstance(optimize, (list, tuple)):
        return [tuple(int(i) for i in s) for s in optimize if not isinstance(s, str)]
    if optimize is True or optimize in ("auto", "greedy", "optimal", "dp", "branch-2", "branch-all"):
        return _greedy_path(terms, out, sizes)
    raise ValueError(
        f"jaxlite.numpy.einsum: unknown optimize={optimize!r}; use True, False, 'greedy' or an explicit path"
    )


# ---- entry points -----------------------------------------------------------------------------


def einsum(
    subscripts,
    /,
    *operands,
    out=None,
    optimize="auto",
    precision=None,
    preferred_element_type=None,
    _dot_general=None,
):
    """Einstein summation, as numpy.einsum (with JAX's broadcasting of size-1 axes)."""
    if out is not None:
        raise NotImplementedError(
            "jaxlite.numpy.einsum: the 'out' argument is not supported (arrays are immutable)"
        )
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts,) + operands)
    if not operands:
        raise ValueError("jaxlite.numpy.einsum: needs at least one operand")
    check_arraylike("einsum", *operands)
    pet = (
        None
        if preferred_element_type is None
        else dtypes.canonicalize(preferred_element_type, core.config.x64)
    )
    ops = promote_dtypes(*operands)
    ins, out_labels, sizes = _parse(subscripts, [x.shape for x in ops])
    # Per operand: diagonals, then sums over labels that neither the output nor another operand uses.
    terms = []
    for k, (x, t) in enumerate(zip(ops, ins, strict=True)):
        x, t = _diagonal(x, t)
        elsewhere = set(out_labels).union(*(set(s) for m, s in enumerate(ins) if m != k))
        terms.append(_sum_axes(x, t, set(t) - elsewhere))
    for step in _path(optimize, [t for _, t in terms], out_labels, sizes):
        picked = [terms[i] for i in step]
        rest = [t for i, t in enumerate(terms) if i not in step]
        x, lx = picked[0]
        for m in range(1, len(picked)):
            y, ly = picked[m]
            keep = set(out_labels).union(*(set(t) for _, t in rest + picked[m + 1 :]))
            x, lx = _contract(x, lx, y, ly, keep, sizes, precision, pet)
        terms = rest + [(x, lx)]
    if len(terms) != 1:
        raise ValueError(f"jaxlite.numpy.einsum: the contraction path leaves {len(terms)} operands")
    x, lx = terms[0]
    x, lx = _sum_axes(x, lx, set(lx) - set(out_labels))
    if pet is not None and x.dtype != pet:
        x = lax.convert_element_type(x, pet)
    return lax.transpose(x, [lx.index(c) for c in out_labels])


def einsum_path(subscripts, /, *operands, optimize="greedy"):
    """(path, description) in numpy.einsum_path's format, for the order einsum would use."""
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts,) + operands)
    shapes = [np.shape(x) for x in operands]
    ins, out, sizes = _parse(subscripts, shapes)
    path = _path(optimize if optimize is not False else False, ins, out, sizes)
    dtype = result_type(*operands) if operands else None
    desc = f"  Complete contraction:  {subscripts}\n  Result dtype: {dtype}"
    return ["einsum_path"] + path, desc
