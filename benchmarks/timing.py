"""The one timing loop every benchmark module uses."""

from __future__ import annotations

import statistics
import time


def times(fn, repeat, number=1):
    """Seconds per call of `fn`, `repeat` samples, each the mean over `number` back-to-back calls."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t) / number)
    return out


def median_seconds(fn, repeat, number=1, warmup=False):
    """The median of `times(fn, repeat, number)`; `warmup` calls `fn` once first, untimed
    (compiles, first touch of buffers)."""
    if warmup:
        fn()
    return statistics.median(times(fn, repeat, number))
