"""The span waterfall as a user sees it: span names, bars on the time axis, their colours."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.core.analysis.waterfall import Waterfall, build_waterfall
from console.core.store.perf_spans import transaction_waterfall
from console.core.store.schema import connect
from console.gui.performance.waterfall import (
    EMPTY_TEXT,
    OUTCOME_COLOURS,
    TIMELINE_COLUMN,
    Timeline,
    WaterfallModel,
    WaterfallView,
    duration_text,
)

#: The offscreen platform says "does not support propagateSizeHints()" on show().
SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
XSS = "<img src=x onerror=alert(1)>"


def span(span_id: str, parent_id: str | None, start: float, duration: float, *, op: str = "db.query",
         name: str | None = None, status: str | None = "ok") -> dict[str, Any]:
    return {"span_id": span_id, "parent_id": parent_id, "op": op, "name": name or f"step {span_id}",
            "start_ms": start, "duration_ms": duration, "status": status}


def checkout(**columns: Any) -> Waterfall:
    """A Sentry-shaped checkout: a handler with two queries that overlap and a failed call."""
    row: dict[str, Any] = {
        "event_id": 42, "ts": 1_764_288_000_000, "tx_id": "root", "name": "POST /api/checkout",
        "duration_ms": 1000.0, "status": "ok", "op": "http.server", "data": {"_format": "sentry"},
    }
    row.update(columns)
    return build_waterfall(row, [
        span("handler", "root", 100.0, 801.7, op="function", name="checkout_handler"),
        span("q1", "handler", 150.0, 6.0, name="SELECT * FROM carts"),
        span("q2", "handler", 153.0, 5.7, name="SELECT * FROM items"),
        span("pay", "handler", 400.0, 250.0, op="http.client", name="POST /charges", status="500"),
        span("mail", "root", 920.0, 40.0, op="queue.publish", name=XSS, status=None),
    ])


@pytest.fixture
def view(qtbot: Any) -> WaterfallView:
    widget = WaterfallView()
    qtbot.addWidget(widget)
    widget.resize(1100, 500)
    return widget


def cells(model: WaterfallModel, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def pixel(view: WaterfallView, row: int) -> str:
    """The colour at the middle of row ``row``'s bar, as painted."""
    image = view.table.viewport().grab().toImage()
    centre = view.bar_rect(row).center()
    return image.pixelColor(centre.x(), centre.y()).name()


def test_the_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = WaterfallModel()
    model.show_waterfall(checkout())
    qtmodeltester.check(model, force_py=True)
    model.show_waterfall(None)
    assert model.rowCount() == 0
    model.show_waterfall(checkout(duration_ms=None))
    assert model.rowCount() == 6


def test_nothing_chosen_shows_what_to_do(view: WaterfallView) -> None:
    assert view.pages.currentWidget() is view.placeholder and view.placeholder.text() == EMPTY_TEXT
    view.show_waterfall(checkout())
    assert view.pages.currentWidget() is not view.placeholder
    view.show_waterfall(None)
    assert view.pages.currentWidget() is view.placeholder and view.model.rowCount() == 0


def test_rows_name_each_span_in_tree_order_with_its_timing(view: WaterfallView) -> None:
    view.show_waterfall(checkout())
    model = view.model
    assert cells(model, 0) == [
        "http.server POST /api/checkout", "function checkout_handler", "db.query SELECT * FROM carts",
        "db.query SELECT * FROM items", "http.client POST /charges", f"queue.publish {XSS}",
    ]
    # Self time where a span has children: 801.7 − (150…158.7 ∪ 400…650) = 543.0 ms.
    assert cells(model, TIMELINE_COLUMN) == [
        "1.00 s · self 158.3 ms", "801.7 ms · self 543.0 ms", "6.0 ms", "5.7 ms", "250.0 ms", "40.0 ms",
    ]
    assert [model.row_at(r).depth for r in range(6)] == [0, 1, 2, 2, 2, 1]
    assert view.title.text() == "POST /api/checkout" and view.title.textFormat() == Qt.TextFormat.PlainText
    assert view.facts.text() == "1.00 s · 5 spans ·" and view.status.text() == "status ok"
    assert view.dropped.isHidden()


def test_the_header_says_how_many_spans_were_dropped_and_that_the_transaction_failed(view: WaterfallView) -> None:
    view.show_waterfall(checkout(status="internal_error", data={"_format": "sentry", "spans_dropped": 4}))
    assert view.status.text() == "status internal_error"
    assert OUTCOME_COLOURS["failed"] in view.status.styleSheet()
    assert not view.dropped.isHidden() and view.dropped.text() == "· 4 spans dropped"


def test_tooltips_give_exact_numbers_as_plain_text(view: WaterfallView) -> None:
    view.show_waterfall(checkout())
    tip = view.model.index(1, TIMELINE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    for line in ("start: 100.000 ms", "duration: 801.700 ms", "self time: 543.000 ms", "status: ok",
                 "span id: handler", "parent id: root"):
        assert line in tip
    failed = view.model.index(4, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "status: 500 (failed)" in failed
    hostile = view.model.index(5, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert XSS not in hostile and "&lt;img src=x" in hostile and "status: none" in hostile
    assert hostile.startswith("<p style='white-space:pre-wrap'>")  # escaped inside a rich-text wrapper


@SHOWN
def test_bars_sit_on_the_time_axis_by_start_and_duration(view: WaterfallView, qtbot: Any) -> None:
    view.show_waterfall(checkout())
    view.show()
    qtbot.waitExposed(view)
    root, handler, pay = view.bar_rect(0), view.bar_rect(1), view.bar_rect(4)
    width = root.width()  # the root spans the whole axis: 0 … 1000 ms
    assert width > 500
    assert handler.left() - root.left() == pytest.approx(0.100 * width, abs=1.5)
    assert handler.width() == pytest.approx(0.8017 * width, abs=1.5)
    assert pay.left() - root.left() == pytest.approx(0.400 * width, abs=1.5)
    assert pay.width() == pytest.approx(0.250 * width, abs=1.5)
    # A wider window stretches the axis: the same spans, longer bars.
    view.resize(1500, 500)
    qtbot.waitUntil(lambda: view.bar_rect(0).width() > width + 300)
    assert view.bar_rect(1).width() == pytest.approx(0.8017 * view.bar_rect(0).width(), abs=1.5)


@SHOWN
def test_bars_are_coloured_by_how_the_span_ended(view: WaterfallView, qtbot: Any) -> None:
    view.show_waterfall(checkout())
    view.show()
    qtbot.waitExposed(view)
    assert pixel(view, 1) == OUTCOME_COLOURS["ok"] == "#1a73e8"
    assert pixel(view, 4) == OUTCOME_COLOURS["failed"] == "#d93025"   # status 500
    assert pixel(view, 5) == OUTCOME_COLOURS["unknown"]               # no status
    # Outside a bar is the cell's background, not a bar colour.
    image = view.table.viewport().grab().toImage()
    bar = view.bar_rect(4)
    outside = image.pixelColor(bar.left() - 30, bar.center().y()).name()
    assert outside not in OUTCOME_COLOURS.values()


@SHOWN
def test_a_span_before_the_transaction_widens_the_axis_to_the_left(view: WaterfallView, qtbot: Any) -> None:
    row = {"event_id": 1, "ts": 0, "tx_id": "root", "name": "boot", "duration_ms": 100.0, "status": "ok",
           "data": {"_format": "otlp"}}
    view.show_waterfall(build_waterfall(row, [span("early", "root", -100.0, 50.0)]))
    view.show()
    qtbot.waitExposed(view)
    root, early = view.bar_rect(0), view.bar_rect(1)
    assert early.left() < root.left()
    assert early.width() == pytest.approx(root.width() / 2, abs=1.5)
    assert root.left() - early.left() == pytest.approx(root.width(), abs=1.5)


@SHOWN
def test_double_clicking_a_span_says_which(view: WaterfallView, qtbot: Any) -> None:
    view.show_waterfall(checkout())
    view.show()
    qtbot.waitExposed(view)
    table = view.table
    where = table.visualRect(view.model.index(4, 0)).center()
    with qtbot.waitSignal(view.spanActivated) as activated:
        # As a mouse sends it: the first click's press and release, then the double click.
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert activated.args == ["pay"]


@SHOWN
def test_thousands_of_spans_scroll_in_one_table_without_a_widget_each(view: WaterfallView, qtbot: Any) -> None:
    widgets = len(view.findChildren(QWidget))
    row = {"event_id": 1, "ts": 0, "tx_id": "root", "name": "import", "duration_ms": 5000.0, "status": "ok",
           "data": {"_format": "sentry"}}
    many = [span(f"s{i}", "root", i * 1.0, 2.0, status="500" if i == 4999 else "ok") for i in range(5000)]
    view.show_waterfall(build_waterfall(row, many))
    view.show()
    qtbot.waitExposed(view)
    assert view.model.rowCount() == 5001
    assert len(view.findChildren(QWidget)) == widgets
    bar = view.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.table.rowAt(view.table.viewport().height() - 2) == 5000)
    assert pixel(view, 5000) == OUTCOME_COLOURS["failed"]
    # A new transaction starts at its top.
    view.show_waterfall(checkout())
    assert bar.value() == 0


def test_the_axis_ticks_are_round_times_in_ms_or_s() -> None:
    assert [label for _, label in Timeline(0, 878.5).ticks(800)] == ["0 ms", "200 ms", "400 ms", "600 ms", "800 ms"]
    assert [label for _, label in Timeline(0, 4200).ticks(450)] == ["0 s", "1 s", "2 s", "3 s", "4 s"]
    assert [label for _, label in Timeline(0, 1262).ticks(700)][:3] == ["0.0 s", "0.2 s", "0.4 s"]
    assert [label for _, label in Timeline(-100, 100).ticks(200)] == ["-100 ms", "0 ms", "100 ms"]
    assert [label for _, label in Timeline(0, 2.4).ticks(300)] == ["0 ms", "1 ms", "2 ms"]
    assert Timeline(0, 0).ticks(500) == [] and Timeline(0, 10).ticks(0) == []
    assert (duration_text(801.66), duration_text(1262.0), duration_text(0.0)) == ("801.7 ms", "1.26 s", "0.0 ms")


def test_a_stored_native_transaction_end_to_end(view: WaterfallView, store: Any, examples: list[dict[str, Any]]) -> None:
    store.write([e for e in examples if e["type"] == "transaction"])
    conn = connect(store.path, readonly=True)
    (event_id,) = conn.execute("SELECT event_id FROM transactions").fetchone()
    view.show_waterfall(transaction_waterfall(conn, event_id))
    conn.close()
    assert cells(view.model, 0) == [
        "checkout.submit", "function validate-cart", "http.client POST /api/orders", "ui.render render confirmation",
    ]
    assert cells(view.model, TIMELINE_COLUMN) == ["878.5 ms · self 6.2 ms", "12.2 ms", "801.7 ms", "58.4 ms"]
    assert view.facts.text() == "878.5 ms · 3 spans ·"
