"""Everything the Performance panel's transaction view shows, computed from the frame.

:func:`transaction_report` gives, for a range and filters, throughput per minute, p50/p95/p99
duration and failure rate per time bucket, and a table of transaction names (count,
throughput, p50/p95/p99, failure rate, p95 against the previous period). Choosing names
narrows the charts. :func:`slowest_transactions` lists the slowest instances of the chosen
names, whose span waterfalls the panel opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from console.core.analysis.frame import ColumnFrame
from console.core.analysis.perf_select import MINUTE, PerfFilter, Rows, TimeRange, bucket_index, select_rows
from console.core.analysis.sketch import finite_or_none, group_percentiles
from console.core.analysis.vitals import MIN_SAMPLE

__all__ = ["TransactionReport", "TransactionRow", "slowest_transactions", "transaction_report"]

FloatArray = npt.NDArray[np.float64]
_QS = (50.0, 95.0, 99.0)


@dataclass(frozen=True, slots=True)
class TransactionRow:
    """One transaction name in the range."""

    name: str
    count: int
    failures: int
    p50: float | None
    p95: float | None
    p99: float | None
    per_minute: float
    previous_count: int
    previous_p95: float | None

    @property
    def failure_rate(self) -> float:
        return self.failures / self.count if self.count else 0.0

    @property
    def p95_change(self) -> float | None:
        """Relative change of p95 against the previous period."""
        if self.p95 is None or not self.previous_p95 or self.previous_count < MIN_SAMPLE:
            return None
        return self.p95 / self.previous_p95 - 1


@dataclass(frozen=True, slots=True)
class TransactionReport:
    """See the module docstring; per-bucket arrays are NaN where a bucket is too small."""

    when: TimeRange
    bucket_starts: npt.NDArray[np.int64]
    count: int
    failures: int
    counts: npt.NDArray[np.int64]
    per_minute: FloatArray
    failure_rate: FloatArray
    p50: FloatArray
    p95: FloatArray
    p99: FloatArray
    names: tuple[TransactionRow, ...]
    names_total: int
    selected_names: frozenset[str]


def transaction_report(
    frame: ColumnFrame,
    *,
    when: TimeRange,
    where: PerfFilter,
    names: frozenset[str] = frozenset(),
    name_limit: int = 500,
) -> TransactionReport:
    """The transaction view for ``when`` and ``where``; ``names`` narrows the charts."""
    in_range = select_rows(frame, when, where)
    before = select_rows(frame, when.previous, where)
    charted = in_range
    if names:
        charted = in_range.narrow(frame.column("name"), frame.dictionaries["name"].codes_of(names))
    durations, failed = frame.column("duration_ms"), frame.column("failed")

    buckets = bucket_index(charted.take(frame.column("ts")), when)
    keys = frame.column("duration_ms_key")
    counts, table = group_percentiles(
        charted.take(durations), buckets.buckets, buckets.count, _QS, keys=charted.take(keys)
    )
    all_counts = np.bincount(buckets.buckets, minlength=buckets.count)
    failures = np.bincount(buckets.buckets, weights=charted.take(failed), minlength=buckets.count)
    table[counts < MIN_SAMPLE] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        failure_rate = np.where(all_counts > 0, failures / all_counts, np.nan)
    # The last bucket may be cut short by the range's end: its rate is per minute it covers.
    starts = when.bucket_starts()
    minutes = np.minimum(starts + when.bucket_ms, when.end_ms) - np.maximum(starts, when.start_ms)
    per_minute = all_counts / np.maximum(minutes / MINUTE, 1e-9)

    rows, total = _name_table(frame, in_range, before, when, name_limit, names)
    return TransactionReport(
        when=when,
        bucket_starts=starts,
        count=int(all_counts.sum()),
        failures=int(failures.sum()),
        counts=all_counts.astype(np.int64),
        per_minute=per_minute,
        failure_rate=failure_rate,
        p50=table[:, 0],
        p95=table[:, 1],
        p99=table[:, 2],
        names=rows,
        names_total=total,
        selected_names=names,
    )


def _name_table(
    frame: ColumnFrame,
    in_range: Rows,
    before: Rows,
    when: TimeRange,
    limit: int,
    selected: frozenset[str],
) -> tuple[tuple[TransactionRow, ...], int]:
    dictionary = frame.dictionaries["name"]
    n = len(dictionary)
    codes = frame.column("name")
    durations, failed = frame.column("duration_ms"), frame.column("failed")
    now_codes, before_codes = in_range.take(codes), before.take(codes)
    keys = frame.column("duration_ms_key")
    counts, table = group_percentiles(in_range.take(durations), now_codes, n, _QS, keys=in_range.take(keys))
    totals = np.bincount(now_codes, minlength=n)
    failures = np.bincount(now_codes, weights=in_range.take(failed), minlength=n)
    counts_before, table_before = group_percentiles(
        before.take(durations), before_codes, n, (95.0,), keys=before.take(keys)
    )
    present = np.flatnonzero(totals)
    ranked = list(present[np.argsort(-totals[present], kind="stable")][:limit])
    ranked += [c for c in dictionary.codes_of(selected) if totals[c] and c not in ranked]
    minutes = max(when.span_ms / MINUTE, 1e-9)
    rows = tuple(
        TransactionRow(
            name=dictionary.labels[code] or "(unnamed)",
            count=int(totals[code]),
            failures=int(failures[code]),
            p50=finite_or_none(table[code, 0]),
            p95=finite_or_none(table[code, 1]),
            p99=finite_or_none(table[code, 2]),
            per_minute=float(totals[code]) / minutes,
            previous_count=int(counts_before[code]),
            previous_p95=finite_or_none(table_before[code, 0]),
        )
        for code in ranked
    )
    return rows, int(present.size)


def slowest_transactions(
    frame: ColumnFrame, *, when: TimeRange, where: PerfFilter, names: frozenset[str] = frozenset(), limit: int = 50
) -> list[tuple[int, float]]:
    """``(event_id, duration_ms)`` of the slowest transactions in range, slowest first."""
    rows = select_rows(frame, when, where, {"name": names} if names else None)
    durations = rows.take(frame.column("duration_ms"))
    ids = rows.take(frame.column("event_id"))
    known = ~np.isnan(durations)
    durations, ids = durations[known], ids[known]
    if durations.size > limit:
        top = np.argpartition(-durations, limit - 1)[:limit]
        durations, ids = durations[top], ids[top]
    order = np.argsort(-durations, kind="stable")
    return [(int(ids[i]), float(durations[i])) for i in order]
