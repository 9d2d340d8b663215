"""histogramdd and histogram2d: per-dimension bin indices (as jnp.histogram finds them) combined
into one flat index and counted with bincount, so the bin counts stay static under jit."""

from __future__ import annotations

import builtins
import operator

import numpy as np

import jaxlite.numpy as jnp

from ._util import check_arraylike, promote_dtypes_inexact

__all__ = ["histogram2d", "histogramdd"]


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """Counts of the (N, D) points of `sample` in a D-dimensional grid of bins; returns
    (counts, [edges per dimension]). As jnp.histogram, each bin is half open but the last."""
    check_arraylike("histogramdd", sample)
    (sample,) = promote_dtypes_inexact(sample)
    if sample.ndim != 2:
        raise ValueError(f"jaxlite.numpy.histogramdd: sample must have shape (N, D), got {sample.shape}")
    n, dims = sample.shape
    if isinstance(bins, int) or np.ndim(bins) == 0 and not isinstance(bins, (list, tuple)):
        bins = [operator.index(bins)] * dims
    if len(bins) != dims:
        raise ValueError(f"jaxlite.numpy.histogramdd: {len(bins)} bin specifications for {dims} dimensions")
    ranges = [None] * dims if range is None else list(range)
    if len(ranges) != dims:
        raise ValueError(f"jaxlite.numpy.histogramdd: {len(ranges)} ranges for {dims} dimensions")
    edges, flat, sizes = [], jnp.zeros(n, np.int32), []
    for d in builtins.range(dims):  # `range` is NumPy's argument name here
        x = sample[:, d]
        e = jnp.histogram_bin_edges(x, bins[d], ranges[d])
        nb = e.shape[0] - 1
        idx = jnp.searchsorted(e, x, side="right")
        idx = jnp.where(x == e[-1], nb, idx)  # the last bin includes its right edge
        flat = flat * (nb + 2) + idx.astype(np.int32)
        edges.append(e)
        sizes.append(nb + 2)
    total = int(np.prod(sizes))
    counts = jnp.bincount(flat, weights=weights, length=total).reshape(sizes)
    counts = counts[tuple(slice(1, -1) for _ in sizes)]  # drop the out-of-range bins
    if density:
        counts = counts / jnp.sum(counts)
        for d, e in enumerate(edges):
            shape = [1] * dims
            shape[d] = e.shape[0] - 1
            counts = counts / jnp.reshape(jnp.diff(e), shape)
    return counts, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """histogramdd of the points (x, y); returns (counts, x_edges, y_edges)."""
    check_arraylike("histogram2d", x, y)
    x, y = promote_dtypes_inexact(x, y)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"jaxlite.numpy.histogram2d: x and y must be 1-D of one length, got "
                         f"shapes {x.shape} and {y.shape}")
    if not isinstance(bins, int) and np.ndim(bins) == 1 and len(bins) != 2:
        bins = [bins, bins]  # one array of edges for both dimensions
    counts, (ex, ey) = histogramdd(jnp.stack([x, y], axis=1), bins, range, weights, density)
    return counts, ex, ey
