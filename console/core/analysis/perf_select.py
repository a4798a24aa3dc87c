"""What the Performance panel looks at: a time range cut into buckets, and filters.

A :class:`TimeRange` is the chart's x axis; :func:`range_for` makes one from the panel's
presets (live five minutes, an hour, a day, a week) or a custom span, choosing a bucket
size that gives the chart one to two hundred points. A :class:`PerfFilter` keeps the rows
of chosen projects, releases, platforms, devices and environments; :func:`select_rows` turns
both into the :class:`Rows` of a :class:`~console.core.analysis.frame.ColumnFrame`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.frame import ColumnFrame

__all__ = ["PRESETS", "BucketIndex", "PerfFilter", "Rows", "TimeRange", "bucket_index", "range_for", "select_rows"]

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: The panel's range presets: name → span in ms.
PRESETS: dict[str, int] = {"live": 5 * MINUTE, "1h": HOUR, "24h": DAY, "7d": 7 * DAY}

# Bucket sizes a chart may use, smallest first: round numbers a reader recognises.
_BUCKETS = (
    SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE,
    5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY,
)
_MAX_POINTS = 200


@dataclass(frozen=True, slots=True)
class TimeRange:
    """``[start_ms, end_ms)`` cut into buckets of ``bucket_ms`` aligned to the epoch."""

    start_ms: int
    end_ms: int
    bucket_ms: int

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def previous(self) -> TimeRange:
        """The period of equal length just before this one."""
        return TimeRange(self.start_ms - self.span_ms, self.start_ms, self.bucket_ms)

    @property
    def first_bucket(self) -> int:
        return self.start_ms // self.bucket_ms

    @property
    def bucket_count(self) -> int:
        return -(-self.end_ms // self.bucket_ms) - self.first_bucket

    def bucket_starts(self) -> npt.NDArray[np.int64]:
        """The start of every bucket, in ms."""
        first = self.first_bucket
        return (np.arange(first, first + self.bucket_count, dtype=np.int64)) * self.bucket_ms


def range_for(preset: str, *, now_ms: int, start_ms: int | None = None, end_ms: int | None = None) -> TimeRange:
    """The range of a preset ending now, or of ``"custom"`` from ``start_ms`` to ``end_ms``."""
    if preset == "custom":
        if start_ms is None or end_ms is None or end_ms <= start_ms:
            raise ValueError("a custom range needs a start before its end")
        start, end = start_ms, end_ms
    elif preset in PRESETS:
        start, end = now_ms - PRESETS[preset], now_ms
    else:
        raise ValueError(f"unknown range {preset!r}; valid ranges: {', '.join(PRESETS)}, custom")
    span = end - start
    bucket = next((b for b in _BUCKETS if span / b <= _MAX_POINTS), None)
    if bucket is None:
        bucket = DAY * math.ceil(span / (DAY * _MAX_POINTS))
    return TimeRange(start, end, bucket)


@dataclass(frozen=True, slots=True)
class PerfFilter:
    """Rows to keep by label; an empty set keeps every value of that column."""

    projects: frozenset[str] = field(default_factory=frozenset)
    releases: frozenset[str] = field(default_factory=frozenset)
    platforms: frozenset[str] = field(default_factory=frozenset)
    devices: frozenset[str] = field(default_factory=frozenset)
    environments: frozenset[str] = field(default_factory=frozenset)

    def by_column(self) -> dict[str, frozenset[str]]:
        """The chosen labels per frame column."""
        return {
            "project": self.projects, "release": self.releases, "platform": self.platforms,
            "device": self.devices, "environment": self.environments,
        }


@dataclass(frozen=True, slots=True)
class Rows:
    """Some rows of a frame: a slice of it, narrowed by a mask over the slice when filtered.

    On a frame ordered by time a range is a slice, so taking a column of a week without
    filters copies nothing.
    """

    start: int
    stop: int
    mask: npt.NDArray[np.bool_] | None = None

    def take(self, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """The selected rows of one column."""
        part = column[self.start : self.stop]
        return part if self.mask is None else part[self.mask]

    def narrow(self, column: npt.NDArray[Any], codes: npt.NDArray[Any]) -> Rows:
        """These rows, keeping only those whose ``column`` holds one of ``codes``."""
        keep = np.isin(column[self.start : self.stop], codes)
        return Rows(self.start, self.stop, keep if self.mask is None else self.mask & keep)

    def __len__(self) -> int:
        return self.stop - self.start if self.mask is None else int(np.count_nonzero(self.mask))


def select_rows(
    frame: ColumnFrame,
    when: TimeRange,
    where: PerfFilter,
    also: Mapping[str, frozenset[str]] | None = None,
) -> Rows:
    """The frame's rows inside ``when`` that pass ``where`` and ``also`` (column → labels)."""
    ts = frame.column("ts")
    if frame.order_by == "ts" and frame.is_ordered:
        start, stop = (int(i) for i in np.searchsorted(ts, [when.start_ms, when.end_ms], side="left"))
        rows = Rows(start, stop)
    else:
        rows = Rows(0, ts.size, (ts >= when.start_ms) & (ts < when.end_ms))
    chosen = {**where.by_column(), **(also or {})}
    for column, labels in chosen.items():
        if labels and column in frame.dictionaries:
            rows = rows.narrow(frame.column(column), frame.dictionaries[column].codes_of(labels))
    return rows


@dataclass(frozen=True, slots=True)
class BucketIndex:
    """Each selected row's bucket number (0-based) within a range."""

    buckets: npt.NDArray[np.int64]
    count: int


def bucket_index(ts: npt.NDArray[np.int64], when: TimeRange) -> BucketIndex:
    """The bucket of each timestamp (all inside ``when``)."""
    index = ts // when.bucket_ms - when.first_bucket
    return BucketIndex(np.clip(index, 0, when.bucket_count - 1), when.bucket_count)
