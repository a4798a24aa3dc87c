"""Everything the Performance panel's page-load view shows, computed from the frame.

:func:`page_load_report` answers one question — these filters, this range, these pages —
with p50/p75/p95 per time bucket for each charted metric, a summary and rating per metric
(the rating of its p75, as web.dev assesses a page), a table of routes with each vital's
p75 against the previous period of equal length, and a histogram of one metric. Buckets
and routes with fewer than :data:`~console.core.analysis.vitals.MIN_SAMPLE` loads carry
no percentile line and no rating: the report says how many loads there were instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from console.core.analysis.frame import ColumnFrame
from console.core.analysis.perf_select import PerfFilter, Rows, TimeRange, bucket_index, select_rows
from console.core.analysis.sketch import finite_or_none, group_percentiles
from console.core.analysis.vitals import MIN_SAMPLE, THRESHOLDS, Rating, rate

__all__ = [
    "Histogram", "MetricSeries", "MetricSummary", "PageLoadReport", "RouteRow", "page_load_report", "too_few_text",
]

FloatArray = npt.NDArray[np.float64]
_QS = (50.0, 75.0, 95.0)
_HISTOGRAM_BINS = 60


def too_few_text(count: int, noun: str = "load") -> str:
    """'3 loads — too few for a rating' (or 'no loads')."""
    if count == 0:
        return f"no {noun}s"
    return f"{count:,} {noun}{'' if count == 1 else 's'} — too few for a rating"


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """p50/p75/p95 of one metric per bucket; NaN where a bucket has under MIN_SAMPLE values."""

    metric: str
    counts: npt.NDArray[np.int64]
    p50: FloatArray
    p75: FloatArray
    p95: FloatArray


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """One metric over the whole range, and its p75 in the period before."""

    metric: str
    count: int
    p50: float | None
    p75: float | None
    p95: float | None
    previous_count: int
    previous_p75: float | None

    @property
    def rating(self) -> Rating | None:
        """The p75's band (TOO_FEW for a small sample); None for a metric with no thresholds."""
        if self.metric not in THRESHOLDS:
            return None
        return rate(self.metric, self.p75, sample=self.count)

    @property
    def change(self) -> float | None:
        """Relative change of p75 against the previous period (0.12 = 12 % slower)."""
        return _change(self.p75, self.previous_p75, self.count, self.previous_count)


@dataclass(frozen=True, slots=True)
class RouteRow:
    """One page (route) in the range: loads and each metric's p75, now and the period before."""

    route: str
    loads: int
    previous_loads: int
    p75: dict[str, float | None]
    samples: dict[str, int]
    previous_p75: dict[str, float | None]
    previous_samples: dict[str, int]

    def rating(self, metric: str) -> Rating | None:
        """The band of this route's p75 of ``metric`` (TOO_FEW under MIN_SAMPLE loads)."""
        if metric not in THRESHOLDS:
            return None
        return rate(metric, self.p75.get(metric), sample=self.samples.get(metric, 0))

    def change(self, metric: str) -> float | None:
        """Relative change of this route's p75 against the previous period."""
        return _change(
            self.p75.get(metric), self.previous_p75.get(metric),
            self.samples.get(metric, 0), self.previous_samples.get(metric, 0),
        )

    @property
    def loads_change(self) -> float | None:
        if self.previous_loads == 0:
            return None
        return self.loads / self.previous_loads - 1


@dataclass(frozen=True, slots=True)
class Histogram:
    """How one metric's values spread: bins from 0, the last one holding everything above."""

    metric: str
    edges: FloatArray
    counts: npt.NDArray[np.int64]
    above: int  # values beyond the last edge, counted in the last bin too
    thresholds: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class PageLoadReport:
    """See the module docstring. ``loads`` counts the page loads charted."""

    when: TimeRange
    bucket_starts: npt.NDArray[np.int64]
    loads: int
    series: dict[str, MetricSeries]
    summaries: dict[str, MetricSummary]
    routes: tuple[RouteRow, ...]
    routes_total: int
    histogram: Histogram | None
    selected_routes: frozenset[str]


def _change(now: float | None, before: float | None, count: int, before_count: int) -> float | None:
    if now is None or before is None or before == 0 or count < MIN_SAMPLE or before_count < MIN_SAMPLE:
        return None
    return now / before - 1


def page_load_report(
    frame: ColumnFrame,
    *,
    when: TimeRange,
    where: PerfFilter,
    routes: frozenset[str] = frozenset(),
    chart_metrics: Sequence[str] = ("lcp", "inp", "cls", "fcp", "ttfb"),
    table_metrics: Sequence[str] = ("lcp", "inp", "cls", "fcp", "ttfb"),
    histogram_metric: str | None = "lcp",
    route_limit: int = 200,
) -> PageLoadReport:
    """The page-load view for ``when`` and ``where``; ``routes`` narrows charts and histogram."""
    in_range = select_rows(frame, when, where)
    before = select_rows(frame, when.previous, where)
    charted, charted_before = in_range, before
    if routes:
        route_codes, chosen = frame.column("route"), frame.dictionaries["route"].codes_of(routes)
        charted, charted_before = in_range.narrow(route_codes, chosen), before.narrow(route_codes, chosen)

    buckets = bucket_index(charted.take(frame.column("ts")), when)
    series: dict[str, MetricSeries] = {}
    summaries: dict[str, MetricSummary] = {}
    for metric in dict.fromkeys((*chart_metrics, *table_metrics)):
        values, keys = frame.column(metric), frame.column(f"{metric}_key")
        now, now_keys = charted.take(values), charted.take(keys)
        if metric in chart_metrics:
            counts, table = group_percentiles(now, buckets.buckets, buckets.count, _QS, keys=now_keys)
            table[counts < MIN_SAMPLE] = np.nan
            series[metric] = MetricSeries(metric, counts, table[:, 0], table[:, 1], table[:, 2])
        (count,), ((p50, p75, p95),) = _one_group(now, now_keys)
        (count_before,), ((_, p75_before, _),) = _one_group(charted_before.take(values), charted_before.take(keys))
        summaries[metric] = MetricSummary(
            metric, int(count), finite_or_none(p50), finite_or_none(p75), finite_or_none(p95), int(count_before), finite_or_none(p75_before),
        )

    route_rows, routes_total = _route_table(frame, in_range, before, table_metrics, routes, route_limit)
    histogram = None
    if histogram_metric is not None:
        histogram = _histogram(histogram_metric, charted.take(frame.column(histogram_metric)))
    return PageLoadReport(
        when=when,
        bucket_starts=when.bucket_starts(),
        loads=len(charted),
        series=series,
        summaries=summaries,
        routes=route_rows,
        routes_total=routes_total,
        histogram=histogram,
        selected_routes=routes,
    )


def _one_group(
    values: npt.NDArray[np.floating], keys: npt.NDArray[np.uint16]
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    return group_percentiles(values, np.zeros(values.size, np.int64), 1, _QS, keys=keys)


def _route_table(
    frame: ColumnFrame,
    in_range: Rows,
    before: Rows,
    metrics: Sequence[str],
    selected: frozenset[str],
    limit: int,
) -> tuple[tuple[RouteRow, ...], int]:
    codes = frame.column("route")
    n = len(frame.dictionaries["route"])
    now_codes, before_codes = in_range.take(codes), before.take(codes)
    loads = np.bincount(now_codes, minlength=n)
    loads_before = np.bincount(before_codes, minlength=n)
    present = np.flatnonzero(loads)
    # The busiest routes first; chosen routes stay in the table even when they are quiet.
    ranked = present[np.argsort(-loads[present], kind="stable")]
    shown = list(ranked[:limit])
    shown += [c for c in frame.dictionaries["route"].codes_of(selected) if loads[c] and c not in shown]
    p75: dict[str, FloatArray] = {}
    samples: dict[str, npt.NDArray[np.int64]] = {}
    p75_before: dict[str, FloatArray] = {}
    samples_before: dict[str, npt.NDArray[np.int64]] = {}
    for metric in metrics:
        values, keys = frame.column(metric), frame.column(f"{metric}_key")
        samples[metric], table = group_percentiles(
            in_range.take(values), now_codes, n, (75.0,), keys=in_range.take(keys)
        )
        p75[metric] = table[:, 0]
        samples_before[metric], table = group_percentiles(
            before.take(values), before_codes, n, (75.0,), keys=before.take(keys)
        )
        p75_before[metric] = table[:, 0]
    rows = tuple(
        RouteRow(
            route=frame.label("route", int(code)) or "(no route)",
            loads=int(loads[code]),
            previous_loads=int(loads_before[code]),
            p75={m: finite_or_none(p75[m][code]) for m in metrics},
            samples={m: int(samples[m][code]) for m in metrics},
            previous_p75={m: finite_or_none(p75_before[m][code]) for m in metrics},
            previous_samples={m: int(samples_before[m][code]) for m in metrics},
        )
        for code in shown
    )
    return rows, int(present.size)


def _histogram(metric: str, values: npt.NDArray[np.floating]) -> Histogram:
    known = values[~np.isnan(values)].astype(np.float64)
    thresholds = THRESHOLDS.get(metric)
    if known.size == 0:
        return Histogram(metric, np.zeros(0), np.zeros(0, np.int64), 0, thresholds)
    # Up to the 99th percentile (or past the poor threshold) so one outlier does not squash it.
    top = float(np.percentile(known, 99)) if known.size >= 100 else float(known.max())
    if thresholds is not None:
        top = max(top, thresholds[1] * 1.25)
    top = top if top > 0 else 1.0
    edges = np.linspace(0.0, top, _HISTOGRAM_BINS + 1)
    above = int(np.count_nonzero(known > top))
    counts, _ = np.histogram(np.minimum(known, top), bins=edges)
    return Histogram(metric, edges, counts.astype(np.int64), above, thresholds)
