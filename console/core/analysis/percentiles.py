"""Percentiles of small and medium samples, computed exactly.

Linear interpolation between closest ranks (numpy's default, and what most dashboards
draw), so p50 of [1, 2, 3, 4] is 2.5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["percentile", "percentiles"]


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values``, or None for an empty sample."""
    ordered = sorted(v for v in values if v is not None and math.isfinite(v))
    return _from_sorted(ordered, q)


def percentiles(values: Iterable[float], qs: Sequence[float]) -> list[float | None]:
    """Several percentiles of one sample, sorting it once."""
    ordered = sorted(v for v in values if v is not None and math.isfinite(v))
    return [_from_sorted(ordered, q) for q in qs]


def _from_sorted(ordered: Sequence[float], q: float) -> float | None:
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction
