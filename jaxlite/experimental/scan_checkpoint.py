"""Scan that stores only every k-th carry for reverse mode: `checkpointed_scan`.

`lax.scan` has no checkpointing option (JAX's has none either). The documented equivalent is a
nested scan: an outer scan over n/k chunks whose body, wrapped in `checkpoint`, is an inner scan
of k steps. Reverse mode then saves only the carry entering each chunk (n/k of them) and, while
transposing a chunk, recomputes its k steps, so residual memory grows like n/k + k instead of n.
Pick k near sqrt(n) to minimize it. The results and gradients equal plain `scan`'s.
"""

from .. import numpy as jnp
from .. import tree_util
from ..checkpoint import checkpoint
from ..lax import scan

__all__ = ["checkpointed_scan"]


def _length(xs, length):
    leaves = tree_util.tree_leaves(xs)
    sizes = {int(jnp.shape(x)[0]) for x in leaves if jnp.ndim(x) > 0}
    if len(sizes) > 1 or any(jnp.ndim(x) == 0 for x in leaves):
        raise ValueError(f"checkpointed_scan: every leaf of xs needs the same leading axis "
                         f"length, got shapes {[jnp.shape(x) for x in leaves]}.")
    if length is None:
        if not sizes:
            raise ValueError("checkpointed_scan: pass `length` when xs is None or has no leaves.")
        return sizes.pop()
    if sizes and sizes != {int(length)}:
        raise ValueError(f"checkpointed_scan: length={length} does not match the leading axis "
                         f"{sizes.pop()} of xs.")
    return int(length)


def checkpointed_scan(f, init, xs=None, length=None, *, checkpoint_every, reverse=False):
    """Like lax.scan(f, init, xs, length, reverse), but reverse mode stores only every
    `checkpoint_every`-th carry and recomputes the steps in between.

    A length that is not a multiple of checkpoint_every leaves a shorter last chunk, which is
    checkpointed too.
    """
    k = int(checkpoint_every)
    if k < 1:
        raise ValueError(f"checkpointed_scan: checkpoint_every must be a positive integer, "
                         f"got {checkpoint_every!r}.")
    n = _length(xs, length)
    k = min(k, n) if n else 1
    chunks, rest = divmod(n, k)
    if reverse:
        # Scanning backwards equals scanning the reversed sequence and reversing the outputs.
        xs = tree_util.tree_map(lambda x: x[::-1], xs)

    def run_chunk(size):
        @checkpoint
        def chunk(carry, xs_chunk):
            return scan(f, carry, xs_chunk, length=size)
        return chunk

    def head(x):
        x = jnp.asarray(x)
        return jnp.reshape(x[:chunks * k], (chunks, k) + x.shape[1:])

    carry, ys = scan(run_chunk(k), init, tree_util.tree_map(head, xs), length=chunks)
    ys = tree_util.tree_map(lambda y: jnp.reshape(y, (chunks * k,) + y.shape[2:]), ys)
    if rest:
        tail = tree_util.tree_map(lambda x: jnp.asarray(x)[chunks * k:], xs)
        carry, ys_tail = run_chunk(rest)(carry, tail)
        ys = tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), ys, ys_tail)
    if reverse:
        ys = tree_util.tree_map(lambda y: y[::-1], ys)
    return carry, ys
