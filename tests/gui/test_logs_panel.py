"""The Logs panel as a user sees it: filters, full-text search, the live tail, links."""

from __future__ import annotations

import orjson
import pytest
from PySide6.QtCore import Qt

from tests.gui.support import log_payload

XSS = "<img src=x onerror=alert(1)>"
#: The offscreen platform says "does not support propagateSizeHints()" on show().
SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")


def messages(window) -> list[str]:
    """The Message column of the logs table, top to bottom."""
    model = window.logs.model
    return [model.index(row, 3).data() for row in range(model.rowCount())]


def logs_with(level: str, message: str, **extra) -> dict:
    return {**log_payload(message, level=level), **extra}


def open_logs(qtbot, open_window, path):
    window = open_window(path)
    window.show_panel("logs")
    qtbot.waitUntil(lambda: window.logs.is_ready)
    return window


def test_logs_of_every_level_are_listed_newest_first_and_filtered_by_level(qtbot, store, open_window):
    store.write([
        logs_with("debug", "cache warm"),
        logs_with("info", "loaded 12 items"),
        logs_with("warning", "price missing for sku 88"),
        logs_with("error", "cart sync failed"),
    ])
    window = open_logs(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(messages(window)) == 4)
    assert messages(window) == ["cart sync failed", "price missing for sku 88", "loaded 12 items", "cache warm"]
    level_column = [window.logs.model.index(r, 1).data() for r in range(4)]
    assert level_column == ["error", "warning", "info", "debug"]
    assert window.logs.model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole).name() == "#c5221f"

    window.logs.level.setCurrentText("Warnings and above")
    qtbot.waitUntil(lambda: messages(window) == ["cart sync failed", "price missing for sku 88"])


def test_search_matches_words_by_prefix_and_never_as_query_syntax(qtbot, store, open_window):
    store.write([
        logs_with("info", "checkout started for order 7781"),
        logs_with("info", "payment declined by gateway"),
        logs_with("info", 'quote " and NEAR( syntax'),
    ])
    window = open_logs(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(messages(window)) == 3)
    window.logs.search.setText("paym decl")
    qtbot.waitUntil(lambda: messages(window) == ["payment declined by gateway"])
    window.logs.search.setText('NEAR( "')
    qtbot.waitUntil(lambda: messages(window) == ['quote " and NEAR( syntax'])
    window.logs.search.setText("nothing-like-this")
    qtbot.waitUntil(lambda: messages(window) == [])
    assert "0 lines" in window.logs.status.text()


def test_the_source_filter_lists_the_loggers_seen(qtbot, store, open_window):
    store.write([
        logs_with("info", "a", source="pages/cart/cart.js"),
        logs_with("info", "b", source="pages/cart/cart.js"),
        logs_with("info", "c", source="app.js"),
    ])
    window = open_logs(qtbot, open_window, store.path)
    combo = window.logs.source
    qtbot.waitUntil(lambda: combo.count() == 3)
    assert [combo.itemText(i) for i in range(3)] == ["All sources", "pages/cart/cart.js (2)", "app.js (1)"]
    combo.setCurrentIndex(2)
    qtbot.waitUntil(lambda: messages(window) == ["c"])


@SHOWN
def test_the_live_tail_adds_new_lines_on_top_and_keeps_the_reader_in_place(qtbot, store, open_window):
    store.write([logs_with("info", f"line {i}") for i in range(200)])
    window = open_logs(qtbot, open_window, store.path)
    window.resize(1200, 700)
    window.show()
    qtbot.waitUntil(lambda: len(messages(window)) == 200)

    store.write([logs_with("info", "fresh")])
    qtbot.waitUntil(lambda: messages(window)[:1] == ["fresh"], timeout=5000)

    table = window.logs.table
    bar = table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    reading = table.rowAt(0)
    text_at_top = window.logs.model.index(reading, 3).data()
    store.write([logs_with("info", f"burst {i}") for i in range(5)])
    qtbot.waitUntil(lambda: messages(window)[:1] == ["burst 4"], timeout=5000)
    assert window.logs.model.index(table.rowAt(0), 3).data() == text_at_top

    window.logs.live.setChecked(False)
    store.write([logs_with("info", "while paused")])
    qtbot.wait(1500)
    assert "while paused" not in messages(window)
    assert "paused" in window.logs.status.text()
    window.logs.live.setChecked(True)
    qtbot.waitUntil(lambda: messages(window)[:1] == ["while paused"], timeout=5000)


@SHOWN
def test_scrolling_to_the_end_loads_older_lines(qtbot, store, open_window):
    store.write([logs_with("info", f"line {i}") for i in range(700)])
    window = open_logs(qtbot, open_window, store.path)
    window.resize(1200, 700)
    window.show()
    qtbot.waitUntil(lambda: len(messages(window)) == 300)
    bar = window.logs.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: len(messages(window)) == 600)
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: len(messages(window)) == 700)
    assert messages(window)[-1] == "line 0"


def test_a_selected_line_shows_all_of_it_as_plain_text_and_links_to_its_session(qtbot, store, open_window):
    store.write([
        {"type": "page_view", "url": "pages/cart/cart", "sessionId": "s-9", "title": "Cart"},
        logs_with("error", f"render failed {XSS}\nsecond line", sessionId="s-9"),
        logs_with("info", "other session", sessionId="s-1"),
    ])
    window = open_logs(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: len(messages(window)) == 2)
    assert messages(window)[1] == f"render failed {XSS} ⏎ second line"
    tooltip = window.logs.model.index(1, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x onerror=alert(1)&gt;" in tooltip and "<img" not in tooltip

    window.logs.table.selectRow(1)
    assert f"render failed {XSS}\nsecond line" in window.logs.detail.toPlainText()
    assert "session: s-9" in window.logs.detail.toPlainText()
    assert not window.logs.trace_button.isEnabled()
    window.logs.session_button.click()
    related = window.logs.related
    qtbot.waitUntil(lambda: related.rowCount() == 2)
    assert [related.item(r, 1).text() for r in range(2)] == ["page_view", "log"]
    assert related.item(0, 2).text() == "pages/cart/cart — Cart"
    assert window.logs.related_title.text() == "2 events of this session, times relative to the log"


def test_a_missing_store_is_said_in_the_panel(qtbot, tmp_path, open_window):
    window = open_logs(qtbot, open_window, tmp_path / "nowhere.db")
    assert "cannot read the store" in window.logs.status.text()
    assert "nowhere.db" in window.logs.status.text()


def test_logs_from_sentry_and_otlp_senders_are_listed_and_link_to_their_trace(qtbot, store, open_window):
    from pathlib import Path

    from console.core.ingest.otlp import decode_otlp
    from console.core.ingest.sentry import decode_envelope

    payloads = Path(__file__).parents[1] / "fixtures" / "payloads"
    sentry = decode_envelope((payloads / "sentry" / "python-logs.envelope").read_bytes(), project="1", now_ms=0)
    traces = decode_otlp("traces", (payloads / "otlp" / "traces.pb").read_bytes(),
                         content_type="application/x-protobuf", project=None, now_ms=0)
    # The recorded logs ran in a trace of their own: put them in the recorded request's trace.
    trace_id = orjson.loads((payloads / "otlp" / "traces.json").read_bytes())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    request = orjson.loads((payloads / "otlp" / "logs.json").read_bytes())
    for resource in request["resourceLogs"]:
        for scope in resource["scopeLogs"]:
            for record in scope["logRecords"]:
                if record.get("traceId"):
                    record["traceId"] = trace_id
    logs = decode_otlp("logs", orjson.dumps(request), content_type="application/json", project=None, now_ms=0)
    store.writer.write([*sentry.events, *traces.events, *logs.events])
    expected = [e for e in [*sentry.events, *logs.events] if e.kind.value == "log"]

    window = open_logs(qtbot, open_window, store.path)
    window.logs.range.setCurrentText("All time")
    qtbot.waitUntil(lambda: len(messages(window)) == len(expected))
    assert sorted(messages(window)) == sorted(e.columns["message"].replace("\n", " ⏎ ") for e in expected)
    levels = {window.logs.model.index(r, 1).data() for r in range(len(expected))}
    assert {"info", "warning", "error"} <= levels

    traced = next(r for r in range(len(expected)) if window.logs.model.row_at(r).trace_id)
    window.logs.table.selectRow(traced)
    assert window.logs.trace_button.isEnabled()
    window.logs.trace_button.click()
    related = window.logs.related
    qtbot.waitUntil(lambda: related.rowCount() > 1)
    kinds = {related.item(r, 1).text() for r in range(related.rowCount())}
    assert {"transaction", "log"} <= kinds
