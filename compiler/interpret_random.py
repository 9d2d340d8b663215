"""NumPy meaning of the random-bits primitive: Threefry-2x32 with 20 rounds.

Written from the Threefry description in Salmon et al., "Parallel random numbers: as easy as
1, 2, 3" (SC 2011): a key schedule of the two key words plus their xor with a parity constant,
five groups of four mix/rotate rounds, and a key injection (with the group number) after each.
"""

from __future__ import annotations

import numpy as np

from . import primitives as P

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(v, r):
    return (v << np.uint32(r)) | (v >> np.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Encrypt counters (x0, x1) with key (k0, k1); arrays broadcast, all uint32."""
    k0, k1, x0, x1 = (np.asarray(a, np.uint32) for a in (k0, k1, x0, x1))
    shape = np.broadcast_shapes(k0.shape, k1.shape, x0.shape, x1.shape)
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    with np.errstate(over="ignore"):
        a = np.broadcast_to(x0 + ks[0], shape).copy()
        b = np.broadcast_to(x1 + ks[1], shape).copy()
        for group in range(5):
            for r in _ROTATIONS[group % 2]:
                a += b
                b = _rotl(b, r)
                b ^= a
            a += ks[(group + 1) % 3]
            b += ks[(group + 2) % 3] + np.uint32(group + 1)
    return [a, b]


def threefry2x32_impl(k0, k1, x0, x1):
    return threefry2x32(k0, k1, x0, x1)


RANDOM_IMPLS = {P.threefry2x32_p: threefry2x32_impl}
