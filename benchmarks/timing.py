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


def interleaved_medians(fns, repeat, rounds=3):
    """{name: median seconds per call} for several functions measured in turns: `rounds` rounds,
    each giving every function one untimed call and then about repeat/rounds timed ones. On a
    shared machine whose speed drifts over seconds (another tenant, the host), measuring one
    library after the other puts them in different phases; taking turns puts each in all of
    them, so their ratio holds better across runs."""
    per_round = max(1, -(-repeat // rounds))
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            samples[name] += times(fn, per_round)
    return {name: statistics.median(s) for name, s in samples.items()}
