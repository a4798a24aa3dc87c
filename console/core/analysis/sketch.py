"""Percentiles of many groups at once: exact for small groups, a log-bucket sketch for large.

The Performance panel asks for p50/p75/p95 of a million page loads split into a hundred
time buckets, or into a hundred routes, on every range switch. Sorting each group is too
slow at that size, so a large group is summarised the way DDSketch summarises a stream:
every positive value falls in a bucket ``k = ceil(log(v) / log(gamma))`` whose
representative value is within :data:`RELATIVE_ACCURACY` of every value in it. The counts of
a group's buckets are a histogram; histograms merge by adding them, and the percentile is
read from the cumulative counts.

The percentile itself is the one :mod:`console.core.analysis.percentiles` computes exactly
(linear interpolation between the two closest ranks). The sketch interpolates between the
representatives of the buckets holding those same two ranks, so its answer is a convex
combination of two values each within the accuracy of the exact ranks' values: it is
within :data:`RELATIVE_ACCURACY` (0.5 %) of the exact percentile, whatever the data.

Values at or below :data:`MIN_VALUE` (a CLS of 0, a blocking time of 0 ms) share bucket 0
and are represented by 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "EXACT_GROUP_LIMIT",
    "MIN_VALUE",
    "NAN_KEY",
    "RELATIVE_ACCURACY",
    "bucket_keys",
    "bucket_values",
    "finite_or_none",
    "group_percentiles",
    "histogram_percentiles",
]

#: How far (relative) a sketched percentile may be from the exact one.
RELATIVE_ACCURACY = 0.005
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)

#: Values at or below this are counted as zero.
MIN_VALUE = 1e-4
#: Values above this (about 12 days in milliseconds) are clamped into the last bucket.
_MAX_VALUE = 1e9
_OFFSET = math.ceil(math.log(MIN_VALUE) / _LOG_GAMMA) - 1
#: Number of buckets, zero's bucket included.
BUCKETS = math.ceil(math.log(_MAX_VALUE) / _LOG_GAMMA) - _OFFSET + 1

#: The key of a missing value (NaN): no bucket.
NAN_KEY = 65_535
assert BUCKETS < NAN_KEY

#: Groups with at most this many values get exact percentiles.
EXACT_GROUP_LIMIT = 1_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def finite_or_none(value: float) -> float | None:
    """A percentile as a plain float, or None where the table holds NaN (no values)."""
    return None if np.isnan(value) else float(value)


def bucket_keys(values: npt.ArrayLike) -> npt.NDArray[np.uint16]:
    """The sketch bucket of each value: 0 at or below MIN_VALUE, NAN_KEY for a missing value."""
    v = np.asarray(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.ceil(np.log(np.clip(v, MIN_VALUE, _MAX_VALUE)) * (1.0 / _LOG_GAMMA)) - _OFFSET
    keys = np.where(v > MIN_VALUE, raw, 0.0)
    keys[np.isnan(v)] = NAN_KEY
    return keys.astype(np.uint16)


def bucket_values(keys: npt.ArrayLike) -> FloatArray:
    """The representative value of each bucket: within RELATIVE_ACCURACY of its members."""
    k = np.asarray(keys, dtype=np.int64)
    out = 2.0 * np.power(_GAMMA, (k + _OFFSET).astype(np.float64)) / (_GAMMA + 1.0)
    out[k == 0] = 0.0
    return out


def histogram_percentiles(counts: npt.ArrayLike, qs: Sequence[float]) -> FloatArray:
    """Percentiles (0–100) of each row of a ``groups × BUCKETS`` count matrix; NaN if empty."""
    matrix = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    cumulative = np.cumsum(matrix, axis=1)
    totals = cumulative[:, -1]
    out = np.full((matrix.shape[0], len(qs)), np.nan)
    filled = totals > 0
    if not filled.any():
        return out
    cumulative, totals = cumulative[filled], totals[filled]
    for column, q in enumerate(qs):
        position = (totals - 1) * (q / 100.0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, totals - 1)
        fraction = position - low
        low_value = bucket_values(_bucket_of_rank(cumulative, low))
        high_value = bucket_values(_bucket_of_rank(cumulative, high))
        out[filled, column] = low_value + (high_value - low_value) * fraction
    return out


def _bucket_of_rank(cumulative: IntArray, rank: IntArray) -> IntArray:
    """Per row, the bucket holding the value of 0-based ``rank``."""
    found: IntArray = (cumulative <= rank[:, None]).sum(axis=1).astype(np.int64)
    return found


def group_percentiles(
    values: npt.ArrayLike,
    groups: npt.ArrayLike,
    n_groups: int,
    qs: Sequence[float],
    *,
    keys: npt.NDArray[np.uint16] | None = None,
) -> tuple[IntArray, FloatArray]:
    """Per group, its count and its percentiles ``qs`` of ``values`` (NaN values ignored).

    ``groups`` holds each value's group as an integer in ``range(n_groups)``; ``keys``, when
    given, are the values' :func:`bucket_keys` computed beforehand. Returns ``(counts,
    table)`` with ``table[g, i]`` the ``qs[i]`` percentile of group ``g``, NaN for an empty
    group. Groups of up to EXACT_GROUP_LIMIT values are computed exactly, larger ones
    through the sketch.
    """
    v = np.asarray(values)
    g = np.asarray(groups, dtype=np.int64)
    k = bucket_keys(v) if keys is None else keys
    table = np.full((n_groups, len(qs)), np.nan)
    if n_groups * _WIDTH <= _MATRIX_LIMIT:
        # One pass: every group's histogram, missing values in a last column of their own.
        flat = g * _WIDTH + np.minimum(k, BUCKETS)
        matrix = np.bincount(flat, minlength=n_groups * _WIDTH).reshape(n_groups, _WIDTH)[:, :BUCKETS]
        counts = matrix.sum(axis=1)
        large = counts > EXACT_GROUP_LIMIT
        if large.any():
            table[large] = histogram_percentiles(matrix[large], qs)
        small = (counts > 0) & ~large
        if small.any():
            rows = small[g] & (k != NAN_KEY)
            _exact_into(table, v[rows].astype(np.float64), g[rows], qs)
        return counts.astype(np.int64), table
    return _many_groups(v, g, k, n_groups, qs, table)


# Columns of the one-pass count matrix (the sketch's buckets, then missing values), and the
# largest matrix it may build: beyond that, only large groups get a row.
_WIDTH = BUCKETS + 1
_MATRIX_LIMIT = 2_000_000


def _many_groups(
    v: npt.NDArray[Any], g: IntArray, k: npt.NDArray[np.uint16], n_groups: int, qs: Sequence[float],
    table: FloatArray,
) -> tuple[IntArray, FloatArray]:
    """group_percentiles for thousands of groups (routes, names): rows only for large ones."""
    known = k != NAN_KEY
    if not known.all():
        v, g, k = v[known], g[known], k[known]
    counts = np.bincount(g, minlength=n_groups).astype(np.int64)
    if v.size == 0:
        return counts, table
    large_groups = np.flatnonzero(counts > EXACT_GROUP_LIMIT)
    if large_groups.size == 0:
        _exact_into(table, v.astype(np.float64), g, qs)
        return counts, table
    # Renumber the large groups 0..m-1 so the count matrix has a row only for them.
    index = np.full(n_groups, -1, dtype=np.int64)
    index[large_groups] = np.arange(large_groups.size)
    rows = index[g]
    small = rows < 0
    if small.any():
        _exact_into(table, v[small].astype(np.float64), g[small], qs)
        large = ~small
        rows, k = rows[large], k[large]
    flat = rows * BUCKETS + k
    matrix = np.bincount(flat, minlength=large_groups.size * BUCKETS).reshape(large_groups.size, BUCKETS)
    table[large_groups] = histogram_percentiles(matrix, qs)
    return counts, table


def _exact_into(table: FloatArray, values: FloatArray, groups: IntArray, qs: Sequence[float]) -> None:
    """Exact percentiles of each group present, written into ``table``."""
    if values.size == 0:
        return
    # One sort by group, then value: the group plus the value scaled into [0, 1) is a single
    # float key (several times faster than lexsort). Values that close the scaling cannot
    # tell apart differ by under 1e-9 of the largest, and the values read back are exact.
    least, most = float(values.min()), float(values.max())
    span = (most - least) * (1 + 1e-9) or 1.0
    order = np.argsort(groups + (values - least) / span, kind="stable")
    v, g = values[order], groups[order]
    boundaries = np.flatnonzero(np.diff(g)) + 1
    starts = np.concatenate(([0], boundaries))
    sizes = np.diff(np.concatenate((starts, [g.size])))
    present = g[starts]
    for column, q in enumerate(qs):
        position = (sizes - 1) * (q / 100.0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, sizes - 1)
        fraction = position - low
        low_value, high_value = v[starts + low], v[starts + high]
        table[present, column] = low_value + (high_value - low_value) * fraction
