"""What a dashboard widget shows, read from the store: a card's value, the previous period's
and the change, and a chart's (or a card's sparkline's) series.

A widget's metric is a :class:`~console.core.analysis.product.refs.Measure` (read by
:mod:`console.core.store.occurrences`), a KPI by name (read by
:mod:`console.core.store.kpi_queries`), or one of the two special metrics of
:data:`~console.core.analysis.product.dashboard.SPECIALS`, read here: every event by arrival
(the indexed ``events.received``) and active sessions (the ``sessions`` table). Reads only;
panels run :func:`widget_data` as a :class:`~console.gui.jobs.StoreJobs` job.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from console.core.analysis.product.dashboard import RANGES, Widget
from console.core.analysis.product.refs import Measure
from console.core.store.kpi_queries import kpi_named, kpi_series, kpi_value
from console.core.store.occurrences import measure_series, measure_value, selection_sql

__all__ = ["WidgetData", "period_text", "widget_data"]

_COUNTING = frozenset({"count", "users", "sessions"})
_PERIODS = {
    "1m": "minute", "5m": "5 minutes", "15m": "15 minutes", "1h": "hour", "6h": "6 hours", "24h": "24 hours",
    "7d": "7 days", "30d": "30 days",
}
Series = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


@dataclass(frozen=True, slots=True, eq=False)
class WidgetData:
    """One widget's numbers at one moment.

    ``value`` is the metric over the widget's range ending now (a count is 0, never None;
    a statistic of nothing is None); ``previous`` the same over the equal range before and
    ``change`` the percentage from it to ``value`` (None without a comparison, or from 0 to
    something). ``series_x``/``series_y`` are bucket starts and values over the range (empty
    for a card without a trend); ``previous_y`` is the previous period's series for a chart
    compared with it, plotted at ``series_x``. ``no_data_reason`` says why there is nothing to
    show when the range holds nothing. ``status``, ``level``, ``target`` and ``unit`` are a
    KPI widget's (see :class:`~console.core.analysis.product.kpi.KpiValue`); ``unit`` is also
    the currency of conversion values when they share one, and ``currencies`` lists them
    when they do not (the figure then adds amounts of different currencies together).
    """

    value: float | None
    previous: float | None
    change: float | None
    series_x: npt.NDArray[np.int64]
    series_y: npt.NDArray[np.float64]
    previous_y: npt.NDArray[np.float64] | None
    bucket_ms: int
    label: str
    no_data_reason: str | None
    status: str | None = None
    level: str | None = None
    target: float | None = None
    unit: str = ""
    currencies: tuple[str, ...] = ()


def period_text(range_name: str) -> str:
    """``"the last 24 hours"`` for ``"24h"``."""
    return f"the last {_PERIODS.get(range_name, range_name)}"


def _change(value: float | None, previous: float | None) -> float | None:
    if value is None or previous is None:
        return None
    if previous == 0:
        return 0.0 if value == 0 else None
    return (value - previous) / abs(previous) * 100.0


def _empty() -> Series:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)


def _series_start(widget: Widget, now_ms: int) -> int:
    """The first bucket's start: the range's start rounded up to a whole bucket, so buckets
    stay put between refreshes and only the last one (the current) is partial."""
    bucket = widget.chart_bucket_ms
    return -(-(now_ms - RANGES[widget.range]) // bucket) * bucket


# --- the special metrics -------------------------------------------------------------------


def _events_value(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> float:
    (count,) = conn.execute("SELECT count(*) FROM events WHERE received >= ? AND received < ?",
                            (start_ms, end_ms)).fetchone()
    return float(count)


def _events_series(conn: sqlite3.Connection, start_ms: int, end_ms: int, bucket_ms: int) -> Series:
    count = max(1, -(-(end_ms - start_ms) // bucket_ms))
    values = np.zeros(count)
    rows = conn.execute(
        "SELECT (received - ?) / ? AS b, count(*) FROM events WHERE received >= ? AND received < ? GROUP BY b",
        (start_ms, bucket_ms, start_ms, end_ms),
    )
    for bucket, n in rows:
        values[bucket] = n
    return start_ms + bucket_ms * np.arange(count, dtype=np.int64), values


# Sessions have no index on ``ended``, and the one on ``started`` serves "started before the
# end" badly: for a recent range that is nearly every row, each looked up through the index
# (70 ms for 100,000 sessions against 4 ms for reading the table straight through).
_SESSIONS = "FROM sessions NOT INDEXED WHERE ended >= ? AND started < ?"


def _sessions_value(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> float:
    (count,) = conn.execute(f"SELECT count(*) {_SESSIONS}",
                            (start_ms, end_ms)).fetchone()
    return float(count)


def _sessions_series(conn: sqlite3.Connection, start_ms: int, end_ms: int, bucket_ms: int) -> Series:
    """Sessions active in each bucket: started before its end, ended at or after its start."""
    count = max(1, -(-(end_ms - start_ms) // bucket_ms))
    starts = start_ms + bucket_ms * np.arange(count, dtype=np.int64)
    rows = conn.execute(f"SELECT started, ended {_SESSIONS}", (start_ms, end_ms)).fetchall()
    if not rows:
        return starts, np.zeros(count)
    started = np.sort(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    ended = np.sort(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)))
    # Every session read ends after it starts, so those that ended before a bucket are among
    # those that started before its end.
    active = np.searchsorted(started, starts + bucket_ms, "left") - np.searchsorted(ended, starts, "left")
    return starts, active.astype(np.float64)


# --- reading one widget ----------------------------------------------------------------------


def _no_data(widget: Widget, value: float | None, series: npt.NDArray[np.float64]) -> str | None:
    """Why there is nothing to show, or None when there is something."""
    counting = widget.special is not None or (widget.measure is not None and widget.measure.aggregation in _COUNTING)
    if counting:
        if value or (len(series) and np.nansum(series) > 0):
            return None
    elif value is not None or (len(series) and not np.isnan(series).all()):
        return None
    period = period_text(widget.range)
    if widget.special == "events":
        return f"no event arrived in {period}"
    if widget.special == "active_sessions":
        return f"no session was active in {period}"
    measure = widget.measure
    assert measure is not None
    what = measure.ref.label().removeprefix("any ")
    if counting:
        return f"no {what} in {period}"
    return f"no {what} with a {measure.field} value in {period}"


def _read(widget: Widget, conn: sqlite3.Connection, start_ms: int, end_ms: int) -> float | None:
    if widget.special == "events":
        return _events_value(conn, start_ms, end_ms)
    if widget.special == "active_sessions":
        return _sessions_value(conn, start_ms, end_ms)
    assert widget.measure is not None
    return measure_value(conn, widget.measure, start_ms, end_ms)


def _read_series(widget: Widget, conn: sqlite3.Connection, start_ms: int, end_ms: int) -> Series:
    bucket = widget.chart_bucket_ms
    if widget.special == "events":
        return _events_series(conn, start_ms, end_ms, bucket)
    if widget.special == "active_sessions":
        return _sessions_series(conn, start_ms, end_ms, bucket)
    measure: Measure | None = widget.measure
    assert measure is not None
    return measure_series(conn, measure, start_ms, end_ms, bucket)


def _kpi_data(conn: sqlite3.Connection, widget: Widget, now_ms: int) -> WidgetData:
    span, bucket = widget.span_ms, widget.chart_bucket_ms
    kpi = kpi_named(conn, str(widget.kpi))
    if kpi is None:
        x, y = _empty()
        return WidgetData(None, None, None, x, y, None, bucket, widget.metric_label(),
                          f"there is no KPI named {widget.kpi!r}; was it deleted or renamed?")
    found = kpi_value(conn, kpi, now_ms - span, now_ms)
    comparing = widget.comparison == "previous"
    x, y = _empty()
    previous_y = None
    if widget.kind == "chart" or widget.trend:
        first = _series_start(widget, now_ms)
        x, y = kpi_series(conn, kpi, first, now_ms, bucket)
        if widget.kind == "chart" and comparing:
            previous_y = kpi_series(conn, kpi, first - span, now_ms - span, bucket)[1]
    reason = None
    if found.value is None and (not len(y) or np.isnan(y).all()):
        reason = f"no data for {kpi.name} in {period_text(widget.range)}"
    return WidgetData(
        found.value, found.previous if comparing else None, found.change if comparing else None, x, y, previous_y,
        bucket, widget.metric_label(), reason, status=found.status, level=found.level, target=kpi.target,
        unit=kpi.unit,
    )


def _currencies(conn: sqlite3.Connection, widget: Widget, start_ms: int, end_ms: int) -> tuple[str, ...]:
    """The currencies of the conversion values a widget's statistic is taken of, sorted
    (none for other widgets, or values sent without a currency)."""
    measure = widget.measure
    if measure is None or measure.ref.source != "conversion" or measure.field != "value":
        return ()
    sql, params = selection_sql(measure.ref, start_ms, end_ms, field="value", breakdown="currency")
    rows = conn.execute(f"SELECT DISTINCT grp FROM ({sql}) WHERE value IS NOT NULL AND grp IS NOT NULL", params)
    return tuple(sorted(str(currency) for (currency,) in rows))


def widget_data(conn: sqlite3.Connection, widget: Widget, now_ms: int) -> WidgetData:
    """What ``widget`` shows at ``now_ms``: its range is ``[now_ms - span, now_ms)``, the
    previous one the equal range before it."""
    if widget.kpi is not None:
        return _kpi_data(conn, widget, now_ms)
    span, bucket = widget.span_ms, widget.chart_bucket_ms
    value = _read(widget, conn, now_ms - span, now_ms)
    comparing = widget.comparison == "previous"
    previous = _read(widget, conn, now_ms - 2 * span, now_ms - span) if comparing else None
    x, y = _empty()
    previous_y = None
    if widget.kind == "chart" or widget.trend:
        first = _series_start(widget, now_ms)
        x, y = _read_series(widget, conn, first, now_ms)
        if widget.kind == "chart" and comparing:
            previous_y = _read_series(widget, conn, first - span, now_ms - span)[1]
    currencies = _currencies(conn, widget, now_ms - span, now_ms)
    return WidgetData(value, previous, _change(value, previous), x, y, previous_y, bucket, widget.metric_label(),
                      _no_data(widget, value, y), unit=currencies[0] if len(currencies) == 1 else "",
                      currencies=currencies if len(currencies) > 1 else ())
