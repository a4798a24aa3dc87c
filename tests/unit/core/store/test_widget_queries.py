"""What dashboard widgets show, from a store written through the native decoder and the
writer, against hand-computed values. NOW is a whole hour, so buckets start at round times."""

from __future__ import annotations

import math
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD, Widget
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef, Measure
from console.core.store.kpi_queries import save_kpi
from console.core.store.schema import connect
from console.core.store.widget_queries import WidgetData, widget_data
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

SEC, MIN, HOUR = 1_000, 60_000, 3_600_000
ERRORS = Measure(EventRef("error"))
LCP_P75 = Measure(EventRef("page_load"), "p75", "lcp")


def error(ts: int, session: str = "s-err") -> dict[str, Any]:
    return {"type": "javascript_error", "message": "TypeError: x is undefined", "timestamp": ts, "sessionId": session,
            "stack": "TypeError: x is undefined\n    at sumCart (pages/cart/cart.js:88:27)"}


def load(ts: int, lcp: float) -> dict[str, Any]:
    return {"type": "page_load", "url": "pages/index/index", "timestamp": ts, "sessionId": "s-load",
            "metrics": {"largestContentfulPaint": lcp}}


def view(ts: int, session: str) -> dict[str, Any]:
    return {"type": "page_view", "url": "pages/index/index", "timestamp": ts, "sessionId": session}


def log(ts: int) -> dict[str, Any]:
    return {"type": "log", "level": "info", "message": "tick", "timestamp": ts}


def read(store: Path, widget: Widget) -> WidgetData:
    with closing(connect(store, readonly=True)) as conn:
        return widget_data(conn, widget, NOW)


def test_a_card_compares_its_range_with_the_one_before(writer: StoreWriter, store_path: Path) -> None:
    # Two errors in the last minute, one in the minute before, one long before.
    writer.write(events_of([error(NOW - 30 * SEC), error(NOW - 20 * SEC), error(NOW - 90 * SEC),
                            error(NOW - 2 * HOUR)]))
    found = read(store_path, Widget(kind="card", title="Errors / min", measure=ERRORS, range="1m"))
    assert (found.value, found.previous, found.change) == (2.0, 1.0, 100.0)
    assert found.label == "count of any error" and found.no_data_reason is None
    # The sparkline: the last minute per second; the errors at -30 s and -20 s.
    assert found.bucket_ms == SEC and len(found.series_x) == 60 and found.series_x[0] == NOW - MIN
    assert found.series_y[30] == 1 and found.series_y[40] == 1 and found.series_y.sum() == 2
    assert found.previous_y is None  # a card compares values, not series

    quiet = read(store_path, Widget(kind="card", measure=ERRORS, range="1m", comparison="none", trend=False))
    assert (quiet.value, quiet.previous, quiet.change) == (2.0, None, None)
    assert len(quiet.series_x) == len(quiet.series_y) == 0


def test_a_percentile_card_and_chart_with_nothing_in_a_bucket(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([load(NOW - 50 * MIN, 1000.0), load(NOW - 40 * MIN, 2000.0), load(NOW - 30 * MIN, 3000.0),
                            load(NOW - 10 * MIN, 4000.0), load(NOW - 90 * MIN, 2000.0)]))
    card = read(store_path, Widget(kind="card", measure=LCP_P75, range="1h", format="ms"))
    # numpy's linear p75 of 1000..4000: 1000 + 0.75 * 3 * 1000; the hour before holds one 2000.
    assert card.value == pytest.approx(3250.0) and card.previous == 2000.0
    assert card.change == pytest.approx(62.5)
    chart = read(store_path, Widget(kind="chart", measure=LCP_P75, range="24h", bucket_ms=HOUR))
    assert len(chart.series_x) == 24 and chart.series_x[-1] == NOW - HOUR
    assert chart.series_y[-1] == pytest.approx(3250.0)
    assert chart.series_y[-2] == 2000.0 and math.isnan(chart.series_y[0])
    assert chart.previous_y is not None and len(chart.previous_y) == 24 and bool(np.isnan(chart.previous_y).all())


def test_a_chart_compared_with_the_previous_period(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([view(NOW - 30 * MIN, "a"), view(NOW - 30 * MIN + 5 * SEC, "b"),
                            view(NOW - 90 * MIN, "c")]))
    chart = read(store_path, Widget(kind="chart", measure=Measure(EventRef("page_view")), range="1h"))
    assert chart.bucket_ms == MIN and len(chart.series_y) == 60
    assert chart.series_y[30] == 2 and chart.series_y.sum() == 2
    assert chart.previous_y is not None and chart.previous_y[30] == 1 and chart.previous_y.sum() == 1
    assert (chart.value, chart.previous, chart.change) == (2.0, 1.0, 100.0)


def test_events_count_every_kind_by_arrival(writer: StoreWriter, store_path: Path) -> None:
    # Sent long ago, arrived now: the Overview counts what arrived, as it always has.
    writer.write(events_of([log(NOW - 5 * HOUR), log(NOW - 5 * HOUR), error(NOW - 5 * HOUR)]), received=NOW - 10 * SEC)
    writer.write(events_of([log(NOW - 5 * HOUR), log(NOW - 5 * HOUR)]), received=NOW - 70 * SEC)
    found = read(store_path, Widget(kind="card", special="events", range="1m"))
    assert (found.value, found.previous, found.change) == (3.0, 2.0, 50.0)
    assert found.series_y[50] == 3 and found.series_y.sum() == 3 and found.label == "Events"


def test_active_sessions_are_those_with_activity_in_the_range(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([
        view(NOW - 10 * MIN, "s1"), view(NOW - 3 * MIN, "s1"),  # active from -10 to -3 min
        view(NOW - 20 * MIN, "s2"),
        view(NOW - 30 * SEC, "s3"),
    ]))
    card = read(store_path, Widget(kind="card", special="active_sessions", range="5m"))
    # s1 (ended at -3 min) and s3; the 5 minutes before: s1 again (active at -10 to -5 min).
    assert (card.value, card.previous) == (2.0, 1.0)
    chart = read(store_path, Widget(kind="chart", special="active_sessions", range="1h"))
    per_minute = chart.series_y.tolist()
    assert per_minute[40] == 1  # s2 at -20 min
    assert per_minute[50:58] == [1] * 8  # s1 in each minute from -10 to -3
    assert per_minute[59] == 1  # s3
    assert sum(per_minute) == 10


def test_nothing_to_show_says_why(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([view(NOW - 30 * MIN, "a")]))
    lcp = read(store_path, Widget(kind="card", measure=LCP_P75, range="5m"))
    assert lcp.value is None and lcp.change is None
    assert lcp.no_data_reason == "no page load with a lcp value in the last 5 minutes"
    sales = read(store_path, Widget(kind="chart", measure=Measure(EventRef("conversion", "purchase")), range="1h"))
    assert sales.value == 0.0 and sales.no_data_reason == "no conversion purchase in the last hour"
    events = read(store_path, Widget(kind="card", special="events", range="1m"))
    assert events.value == 0.0 and events.no_data_reason == "no event arrived in the last minute"
    views = read(store_path, Widget(kind="card", measure=Measure(EventRef("page_view")), range="1h"))
    assert views.value == 1.0 and views.no_data_reason is None


def test_a_kpi_widget_shows_the_kpi_judged_against_its_target(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([error(NOW - 30 * SEC), error(NOW - 20 * SEC), error(NOW - 90 * SEC)]))
    kpi = KpiDefinition(name="Errors", formula="count", ref=EventRef("error"), target=5.0, higher_is_better=False,
                        unit="errors")
    writer.run_sync(lambda conn: save_kpi(conn, kpi, now_ms=NOW))
    card = read(store_path, Widget(kind="card", kpi="Errors", range="1m"))
    assert (card.value, card.previous, card.change) == (2.0, 1.0, 100.0)
    assert (card.status, card.target, card.unit, card.label) == ("on target", 5.0, "errors", "KPI Errors")
    assert card.series_y.sum() == 2 and card.no_data_reason is None
    gone = read(store_path, Widget(kind="card", kpi="Revenue", range="1m"))
    assert gone.value is None and gone.no_data_reason == "there is no KPI named 'Revenue'; was it deleted or renamed?"


def test_every_default_widget_reads_a_nearly_empty_store(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([log(NOW - MIN)]), received=NOW - 30 * SEC)
    with closing(connect(store_path, readonly=True)) as conn:
        shown = [widget_data(conn, widget, NOW) for widget in DEFAULT_DASHBOARD.widgets]
    charts = [data for data, widget in zip(shown, DEFAULT_DASHBOARD.widgets, strict=True) if widget.kind == "chart"]
    assert all(60 <= len(data.series_x) <= 200 for data in charts if data.bucket_ms != HOUR)
    # The log is an event that arrived in the last minute; there is no error and no session.
    assert [data.no_data_reason is None for data in shown][:3] == [True, False, False]
    assert shown[1].no_data_reason == "no error in the last minute" and shown[1].value == 0.0


def purchase(ts: int, value: float, currency: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"type": "purchase", "value": value}
    if currency is not None:
        properties["currency"] = currency
    return {"type": "event", "name": "conversion", "timestamp": ts, "sessionId": "s-buy", "properties": properties}


def test_conversion_values_name_their_currency_or_say_they_mix(writer: StoreWriter, store_path: Path) -> None:
    value = Widget(kind="card", title="Value", measure=Measure(EventRef("conversion"), "sum", "value"), range="1h",
                   format="currency")
    writer.write(events_of([purchase(NOW - 10 * MIN, 129.0, "CNY"), purchase(NOW - 5 * MIN, 20.5, "CNY"),
                            purchase(NOW - 2 * HOUR, 9.99, "USD")]))  # USD before the range
    found = read(store_path, value)
    assert (found.value, found.unit, found.currencies) == (149.5, "CNY", ())
    writer.write(events_of([purchase(NOW - MIN, 5.0, "USD"), purchase(NOW - MIN, 1.0, None)]))
    found = read(store_path, value)
    assert (found.value, found.unit, found.currencies) == (155.5, "", ("CNY", "USD"))
    count = read(store_path, Widget(kind="card", title="Purchases", measure=Measure(EventRef("conversion")), range="1h"))
    assert (count.unit, count.currencies) == ("", ())  # a count has no currency
