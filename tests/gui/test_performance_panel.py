"""The Performance panel as a user sees it: rated p75s, bands, page filters, pause, waterfalls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from console.gui.performance.tables import RouteTableModel, TransactionTableModel
from tests.gui.support import now_ms

SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
MINUTE = 60_000


def load(route: str, lcp: float, *, ts: int, inp: float = 100.0) -> dict[str, Any]:
    return {
        "type": "page_load", "url": route, "timestamp": ts, "sessionId": "s-1",
        "metrics": {"largestContentfulPaint": lcp, "interactionToNextPaint": inp, "cumulativeLayoutShift": 0.02},
        "deviceInfo": {"platform": "ios" if route.endswith("cart") else "android", "model": "Phone"},
    }


def tx(name: str, duration: float, *, ts: int, status: str = "ok", spans: int = 2) -> dict[str, Any]:
    return {
        "type": "transaction", "timestamp": ts,
        "transaction": {
            "id": f"tx-{name}-{duration}", "name": name, "startTime": 100.0, "endTime": 100.0 + duration,
            "duration": duration, "metadata": {"sessionId": "s-tx", "userId": "u-1"},
            "spans": [
                {"id": f"sp-{i}", "name": f"step {i}", "op": "http.client", "startTime": 100.0 + i * 10,
                 "duration": duration / (spans + 1)}
                for i in range(spans)
            ],
            "result": {"status": status},
        },
    }


def route_cells(panel) -> dict[str, list[str]]:
    model = panel.page_loads.routes
    return {
        model.index(r, 0).data(): [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    }


def open_performance(qtbot, open_window, path, *, shown: bool = False):
    window = open_window(path)
    if shown:
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.show()
    window.show_panel("performance")
    panel = window.performance
    qtbot.waitUntil(lambda: panel.is_ready, timeout=10_000)
    return window, panel


def seed_pages(store) -> int:
    at = now_ms() - 10 * MINUTE
    cart = [load("pages/cart/cart", lcp, ts=at) for lcp in (1000.0, 2000.0, 3000.0, 4000.0, 5000.0)]
    index = [load("pages/index/index", lcp, ts=at) for lcp in (800.0, 900.0, 1000.0)]
    store.write(cart + index)
    return at


def test_the_pages_table_shows_the_hand_computed_p75_in_its_rating_colour(qtbot, store, open_window):
    seed_pages(store)
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(route_cells(panel)) == 2)
    cells = route_cells(panel)
    # Cart's LCPs 1…5 s: p75 at position 3 of 0…4 is 4.00 s, "needs improvement" (≤ 4 s).
    assert cells["pages/cart/cart"][:3] == ["pages/cart/cart", "5", "4.00 s"]
    model = panel.page_loads.routes
    row = model.row_of("pages/cart/cart")
    lcp = model.index(row, 2)
    assert lcp.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fef7e0"
    assert "needs improvement" in lcp.data(Qt.ItemDataRole.ToolTipRole)
    quiet = model.index(model.row_of("pages/index/index"), 2)
    assert quiet.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#f1f3f4"
    assert "3 loads — too few for a rating" in quiet.data(Qt.ItemDataRole.ToolTipRole)
    # The whole range: [0.8 0.9 1 1 2 3 4 5] s → p75 3.25 s, needs improvement, in the chart's title.
    assert panel.page_loads.titles["lcp"].text() == "LCP  p75 3.25 s · needs improvement"
    assert panel.status.text().startswith("8 page loads in range")


def test_small_samples_say_so_instead_of_rating(qtbot, store, open_window):
    store.write([load("pages/a", 1200.0, ts=now_ms() - MINUTE) for _ in range(3)])
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.page_loads.report is not None and panel.page_loads.report.loads == 3)
    assert panel.page_loads.titles["lcp"].text() == "LCP — 3 loads — too few for a rating"
    p75 = panel.page_loads.charts["lcp"].curves["p75"].getData()[1]
    assert p75 is None or not np.isfinite(p75).any()  # no confident line from three loads


def _pixel(window, chart, x: float, y: float) -> QColor:
    """The colour the window shows at data point (x, y) of ``chart``."""
    view = chart.getPlotItem().vb
    point = chart.mapTo(window, chart.mapFromScene(view.mapViewToScene(QPointF(x, y))))
    # Grabbing a PlotWidget on its own crashes offscreen (PySide 6.11); the window is fine.
    image = window.grab().toImage()
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))


@SHOWN
def test_the_bands_behind_a_chart_are_green_amber_and_red_at_the_thresholds(qtbot, store, open_window):
    at = seed_pages(store)
    window, panel = open_performance(qtbot, open_window, store.path, shown=True)
    chart = panel.page_loads.charts["lcp"]
    qtbot.waitUntil(lambda: chart.values.get("p75") is not None and chart.values["p75"].size > 0)
    window.resize(1400, 900)
    qtbot.wait(50)
    x = (at - 40 * MINUTE) / 1000  # a moment with no data: only the band is there
    good, amber, poor = (_pixel(window, chart, x, y) for y in (1200, 3200, 4600))
    assert good.green() > good.red() and good.green() > good.blue()
    assert amber.red() > amber.blue() and amber.green() > amber.blue() and amber.red() >= amber.green()
    assert poor.red() > poor.green() and poor.red() > poor.blue()
    # The mouse over one chart puts the crosshair on all of them, at the same moment.
    moment = (at // 30_000 * 30_000 + 15_000) / 1000
    chart.scene().sigMouseMoved.emit(chart.getPlotItem().vb.mapViewToScene(QPointF(moment, 2000)))
    positions = [c.crosshair.value() for c in panel.page_loads.charts.values()]
    assert all(c.crosshair.isVisible() for c in panel.page_loads.charts.values())
    assert positions == pytest.approx([moment] * 6, abs=1.0)
    assert "LCP p75 3.25 s" in panel.page_loads.readout.text()
    # In the live five minutes too, where a second is a pixel wide (bands are fitted to the view).
    panel.choose_range("live")
    qtbot.waitUntil(lambda: panel.page_loads.report.when.span_ms == 300_000)
    qtbot.wait(50)
    x = now_ms() / 1000 - 60
    good, amber = _pixel(window, chart, x, 1200), _pixel(window, chart, x, 2700)  # no loads: up to 2.9 s shown
    assert good.green() > good.red() and amber.red() > amber.blue() + 30
    cls_bands = [(band.name, band.low, band.high) for band in panel.page_loads.charts["cls"].bands]
    assert cls_bands[:2] == [("good", 0.0, 0.1), ("needs-improvement", 0.1, 0.25)]


def test_selecting_a_page_filters_the_chart_data(qtbot, store, open_window):
    at = now_ms() - 10 * MINUTE
    store.write(
        [load("pages/cart/cart", lcp, ts=at) for lcp in (4000.0, 4500.0, 5000.0, 5500.0, 6000.0)]
        + [load("pages/index/index", lcp, ts=at) for lcp in (800.0, 900.0, 1000.0, 1100.0, 1200.0)]
    )
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(route_cells(panel)) == 2)
    chart = panel.page_loads.charts["lcp"]

    def drawn_p75() -> list[float]:
        ys = chart.curves["p75"].getData()[1]
        return [] if ys is None else [float(v) for v in ys if np.isfinite(v)]

    # Both pages in one 30 s bucket: p75 of the ten values (position 6.75, 4500 → 5000) is 4875 ms.
    assert drawn_p75() == pytest.approx([4875.0])
    panel.page_loads.choose_routes(frozenset({"pages/index/index"}))
    qtbot.waitUntil(lambda: drawn_p75() == pytest.approx([1100.0]))
    assert panel.page_loads.report.selected_routes == frozenset({"pages/index/index"})
    assert len(route_cells(panel)) == 2  # the table still shows every page
    assert "1 selected page" in panel.page_loads.routes_caption.text()
    panel.page_loads.clear_routes.click()
    qtbot.waitUntil(lambda: drawn_p75() == pytest.approx([4875.0]))


def test_filters_narrow_to_a_platform(qtbot, store, open_window):
    seed_pages(store)
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.filters["platforms"].findData("android") > 0)
    panel.choose_filter(platforms="android")
    qtbot.waitUntil(lambda: list(route_cells(panel)) == ["pages/index/index"])


@SHOWN
def test_live_takes_new_loads_every_second_and_pause_stops_it(qtbot, store, open_window):
    store.write([load("pages/a", 1000.0, ts=now_ms()) for _ in range(5)])
    window, panel = open_performance(qtbot, open_window, store.path, shown=True)
    panel.choose_range("live")
    qtbot.waitUntil(lambda: panel.page_loads.report.loads == 5 and panel.page_loads.report.when.span_ms == 300_000)
    store.write([load("pages/a", 1500.0, ts=now_ms()) for _ in range(5)])
    qtbot.waitUntil(lambda: panel.page_loads.report.loads == 10, timeout=3_000)
    x_before = panel.page_loads.charts["lcp"].getPlotItem().vb.viewRange()[0][1]
    # It scrolls on its own, a pixel at a time, between reports.
    qtbot.waitUntil(lambda: panel.page_loads.charts["lcp"].getPlotItem().vb.viewRange()[0][1] > x_before + 0.05)

    panel.pause.click()
    assert panel.pause.text() == "Paused — resume"
    frozen_x = panel.page_loads.charts["lcp"].getPlotItem().vb.viewRange()[0]
    store.write([load("pages/a", 2000.0, ts=now_ms()) for _ in range(5)])
    qtbot.wait(2_500)
    assert panel.page_loads.report.loads == 10
    assert panel.page_loads.charts["lcp"].getPlotItem().vb.viewRange()[0] == frozen_x
    panel.pause.click()
    qtbot.waitUntil(lambda: panel.page_loads.report.loads == 15, timeout=3_000)


def test_hovering_reads_exact_values_across_charts(qtbot, store, open_window):
    at = seed_pages(store)
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.page_loads.report is not None and panel.page_loads.report.loads == 8)
    x = (at // 30_000 * 30_000 + 15_000) / 1000  # the middle of the loads' 30 s bucket
    panel.page_loads.group.hovered.emit(x)
    panel.page_loads.group.show_crosshair(x)
    text = panel.page_loads.readout.text()
    assert "LCP p75 3.25 s (p50 1.50 s, p95 4.65 s; 8 loads)" in text
    assert "INP p75 100 ms" in text
    assert all(chart.crosshair.isVisible() or not chart.isVisible() for chart in panel.page_loads.charts.values())
    assert {chart.crosshair.value() for chart in panel.page_loads.charts.values()} == {x}


def test_a_transaction_opens_its_slowest_instances_and_waterfall(qtbot, store, open_window):
    at = now_ms() - 5 * MINUTE
    store.write(
        [tx("checkout.submit", d, ts=at, status="ok" if d < 900 else "internal_error") for d in (300.0, 600.0, 900.0)]
        + [tx("search", 50.0, ts=at, spans=1)]
    )
    _window, panel = open_performance(qtbot, open_window, store.path)
    panel.tabs.setCurrentWidget(panel.transactions)
    view = panel.transactions
    qtbot.waitUntil(lambda: view.names.rowCount() == 2)
    row = view.names.row_of("checkout.submit")
    assert [view.names.index(row, c).data() for c in (1, 3, 6)] == ["3", "600 ms", "33.3%"]
    view.choose_names(frozenset({"checkout.submit"}))
    qtbot.waitUntil(lambda: view.instances.rowCount() == 3)
    assert [view.instances.index(r, 2).data() for r in range(3)] == ["900 ms", "600 ms", "300 ms"]
    assert view.report.count == 3
    with qtbot.waitSignal(panel.waterfallShown):
        view.open_instance(0)
    assert view.opened is not None and view.opened.duration_ms == 900.0
    assert view.waterfall is not None
    view.related_button.click()
    qtbot.waitUntil(lambda: view.related.count() > 0)


def test_an_empty_store_says_what_to_send(qtbot, store, open_window):
    _window, panel = open_performance(qtbot, open_window, store.path)
    assert panel.status.text().startswith("no page loads yet")
    assert panel.page_loads.titles["lcp"].text() == "LCP — no loads"


def test_the_table_models_pass_qtmodeltester(qtmodeltester, store, qtbot, open_window):
    seed_pages(store)
    _window, panel = open_performance(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(route_cells(panel)) == 2)
    routes = RouteTableModel(("lcp", "inp"))
    routes.set_rows(panel.page_loads.report.routes)
    qtmodeltester.check(routes, force_py=True)
    names = TransactionTableModel()
    qtmodeltester.check(names, force_py=True)


def test_it_opens_on_the_shortest_range_that_holds_the_newest_data(qtbot, store, open_window):
    store.write([load("pages/a", 1000.0 + i, ts=now_ms() - 3 * 3_600_000) for i in range(6)])
    _window, panel = open_performance(qtbot, open_window, store.path)
    assert panel.preset == "24h"  # three hours old: not in the live five minutes, nor the last hour
    assert panel.range_buttons.checkedButton().objectName() == "range.24h"
    assert panel.page_loads.report.loads == 6


def test_a_store_with_only_old_data_opens_on_its_last_day(qtbot, store, open_window):
    old = now_ms() - 30 * 86_400_000
    store.write([load("pages/a", 1000.0 + i, ts=old) for i in range(6)])
    _window, panel = open_performance(qtbot, open_window, store.path)
    assert panel.preset == "custom"
    assert panel.page_loads.report.loads == 6
    assert panel.page_loads.report.when.end_ms > old


def test_a_lone_bucket_is_drawn_as_a_dot_not_lost(qtbot, store, open_window):
    store.write([load("pages/a", 1000.0 + i, ts=now_ms() - 10 * MINUTE) for i in range(6)])
    _window, panel = open_performance(qtbot, open_window, store.path)
    chart = panel.page_loads.charts["lcp"]
    qtbot.waitUntil(lambda: panel.page_loads.report is not None and panel.page_loads.report.loads == 6)
    xs, ys = chart.dots["p75"].getData()
    assert len(xs) == 1 and ys[0] == pytest.approx(1003.75)  # [1000 … 1005]: position 3.75


def test_the_histogram_follows_the_chosen_metric_and_marks_its_thresholds(qtbot, store, open_window):
    seed_pages(store)
    _window, panel = open_performance(qtbot, open_window, store.path)
    histogram = panel.page_loads.histogram
    qtbot.waitUntil(lambda: histogram.histogram is not None and histogram.histogram.metric == "lcp")
    assert int(histogram.bars.opts["height"].sum()) == 8
    assert [m.label.format for m in histogram.markers] == ["good ≤ 2.50 s", "poor > 4.00 s"]
    panel.page_loads.histogram_metric.setCurrentIndex(panel.page_loads.histogram_metric.findData("cls"))
    qtbot.waitUntil(lambda: histogram.histogram is not None and histogram.histogram.metric == "cls")
    assert [m.label.format for m in histogram.markers] == ["good ≤ 0.100", "poor > 0.250"]
    assert int(histogram.bars.opts["height"].sum()) == 8
