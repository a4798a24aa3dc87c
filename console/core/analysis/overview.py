"""How fast events arrive, kept up to date from the events that arrived since last time.

The reader worker feeds every new event's arrival time into an :class:`OverviewAggregator`,
which keeps ten-second counts over a sliding window, so a refresh costs the new rows only,
whatever the size of the store. The window's status bar shows the rate; the Overview's
figures themselves are a dashboard's widgets (:mod:`console.core.store.widget_queries`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.core.store.queries import ActivityRow

__all__ = ["BUCKET_MS", "OverviewAggregator", "OverviewFigures"]

BUCKET_MS = 10_000


@dataclass(frozen=True, slots=True)
class OverviewFigures:
    """Arrivals: events in the last minute, and per second over the last whole ten seconds."""

    events_per_min: int
    events_per_s: float


class OverviewAggregator:
    """Rolling counts of arrived events over the last ``window_minutes``."""

    def __init__(self, *, window_minutes: int = 30) -> None:
        self.window_ms = window_minutes * 60_000
        self._buckets: dict[int, int] = {}

    def add(self, rows: Iterable[ActivityRow]) -> None:
        """Count newly arrived events."""
        buckets = self._buckets
        for row in rows:
            key = row.received // BUCKET_MS
            buckets[key] = buckets.get(key, 0) + 1

    def figures(self, now_ms: int) -> OverviewFigures:
        """The rates at ``now_ms``; buckets that left the window are dropped."""
        oldest = (now_ms - self.window_ms) // BUCKET_MS
        for key in [k for k in self._buckets if k < oldest]:
            del self._buckets[key]
        current = now_ms // BUCKET_MS
        first = (now_ms - 60_000) // BUCKET_MS + 1
        last_minute = sum(n for k, n in self._buckets.items() if first <= k <= current)
        return OverviewFigures(
            events_per_min=last_minute,
            events_per_s=self._buckets.get(current - 1, 0) / (BUCKET_MS / 1000),
        )
