"""The Overview's live figures, kept up to date from the events that arrived since last time.

The reader worker feeds every new event (its kind, arrival time, session and LCP) into an
:class:`OverviewAggregator`; the aggregator keeps ten-second buckets over a sliding window,
so a refresh costs the new rows only, whatever the size of the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from console.core.analysis.percentiles import percentile
from console.core.analysis.vitals import Rating, rate
from console.core.store.queries import ActivityRow

__all__ = ["BUCKET_MS", "OverviewAggregator", "OverviewFigures"]

BUCKET_MS = 10_000
_ACTIVE_SESSION_MS = 5 * 60_000


@dataclass(slots=True)
class _Bucket:
    events: int = 0
    errors: int = 0
    sessions: set[str] = field(default_factory=set)
    lcp: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OverviewFigures:
    """The Overview's cards: current values and a per-minute series for each sparkline."""

    events_per_min: int
    errors_per_min: int
    active_sessions: int
    lcp_p75: float | None
    lcp_samples: int
    lcp_rating: Rating
    events_per_s: float
    minutes: list[int]
    events_series: list[int]
    errors_series: list[int]
    sessions_series: list[int]
    lcp_series: list[float | None]


class OverviewAggregator:
    """Rolling counts of events, errors, sessions and LCP over the last ``window_minutes``."""

    def __init__(self, *, window_minutes: int = 30) -> None:
        self.window_ms = window_minutes * 60_000
        self._buckets: dict[int, _Bucket] = {}

    def add(self, rows: Iterable[ActivityRow]) -> None:
        """Count newly arrived events."""
        buckets = self._buckets
        for row in rows:
            key = row.received // BUCKET_MS
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = _Bucket()
            bucket.events += 1
            if row.kind == "error":
                bucket.errors += 1
            if row.session_id:
                bucket.sessions.add(row.session_id)
            if row.lcp is not None:
                bucket.lcp.append(row.lcp)

    def figures(self, now_ms: int) -> OverviewFigures:
        """The cards' values at ``now_ms``; buckets that left the window are dropped."""
        oldest = (now_ms - self.window_ms) // BUCKET_MS
        for key in [k for k in self._buckets if k < oldest]:
            del self._buckets[key]
        current = now_ms // BUCKET_MS
        per_minute = BUCKET_MS * 6

        def span(ms: int) -> list[_Bucket]:
            first = (now_ms - ms) // BUCKET_MS + 1
            return [b for k, b in self._buckets.items() if first <= k <= current]

        last_minute = span(60_000)
        sessions: set[str] = set()
        for bucket in span(_ACTIVE_SESSION_MS):
            sessions |= bucket.sessions
        lcp_values = [v for b in self._buckets.values() for v in b.lcp]
        p75 = percentile(lcp_values, 75)
        previous = self._buckets.get(current - 1)
        minutes = list(range((now_ms - self.window_ms) // per_minute + 1, now_ms // per_minute + 1))
        events_series, errors_series, sessions_series, lcp_series = [], [], [], []
        for minute in minutes:
            group = [self._buckets[k] for k in range(minute * 6, minute * 6 + 6) if k in self._buckets]
            events_series.append(sum(b.events for b in group))
            errors_series.append(sum(b.errors for b in group))
            sessions_series.append(len(set().union(*(b.sessions for b in group))) if group else 0)
            lcp_series.append(percentile([v for b in group for v in b.lcp], 75))
        return OverviewFigures(
            events_per_min=sum(b.events for b in last_minute),
            errors_per_min=sum(b.errors for b in last_minute),
            active_sessions=len(sessions),
            lcp_p75=p75,
            lcp_samples=len(lcp_values),
            lcp_rating=rate("lcp", p75, sample=len(lcp_values)),
            events_per_s=(previous.events if previous else 0) / (BUCKET_MS / 1000),
            minutes=[m * per_minute for m in minutes],
            events_series=events_series,
            errors_series=errors_series,
            sessions_series=sessions_series,
            lcp_series=lcp_series,
        )
