"""The Analytics panel's Sessions and Users tabs as a user sees them, over hand-known sessions.

User u-7 came twice: an hour and a half ago (the home page, where the app identified them as a
gold-plan user in Hangzhou) and ten minutes ago (home, a click, the cart, a request, a
checkout transaction, an error, a warning, a coupon and a 129 CNY purchase). u-8 looked at
the home page on an Android phone. An anonymous visitor hit a different error.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console.core.analysis.product.refs import EventRef, PropertyFilter
from console.gui.analytics import AnalyticsPanel
from console.gui.analytics.sessions import SessionTableModel
from console.gui.analytics.users import UserTableModel
from console.gui.jobs import StoreJobs
from tests.gui.support import now_ms

SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
MINUTE = 60_000
IPHONE = {"brand": "Apple", "model": "iPhone 15", "system": "iOS 17.4", "platform": "ios", "version": "8.0.50",
          "SDKVersion": "3.4.6", "screenWidth": 393, "screenHeight": 852, "pixelRatio": 3}
PIXEL = {"brand": "Google", "model": "Pixel 8", "system": "Android 14", "platform": "android", "version": "8.0.49"}
PRICE_ERROR = "TypeError: Cannot read properties of undefined (reading 'price')"


def _who(session: str, user: str | None, ts: int) -> dict[str, Any]:
    who: dict[str, Any] = {"timestamp": ts, "sessionId": session}
    if user:
        who["userId"] = user
    return who


def page_view(session: str, user: str | None, ts: int, route: str, title: str, device: dict[str, Any]) -> dict[str, Any]:
    return {"type": "page_view", "id": f"pv-{ts}", "url": route, "title": title, **_who(session, user, ts),
            "deviceInfo": device}


def first_visit(t: int) -> list[dict[str, Any]]:
    """u-7's first session: the home page, identified there."""
    return [
        page_view("s-a0", "u-7", t, "pages/index/index", "Home", IPHONE),
        {"type": "event", "name": "user_identified", **_who("s-a0", "u-7", t + 4_000),
         "properties": {"userId": "u-7", "properties": {"plan": "gold", "city": "Hangzhou"}}},
    ]


def purchase_visit(t: int) -> list[dict[str, Any]]:
    """u-7's second session, every kind of event the timeline shows, in this order."""
    w = lambda dt: _who("s-a1", "u-7", t + dt)  # noqa: E731 - read as "who, when"
    return [
        page_view("s-a1", "u-7", t, "pages/index/index", "Home", IPHONE),
        {"type": "interaction", "action": "click", **w(1_000),
         "element": {"tag": "button", "id": "checkout", "classes": ["btn"], "text": "Checkout"},
         "coordinates": {"x": 196, "y": 780}},
        page_view("s-a1", "u-7", t + 2_000, "pages/cart/cart", "Cart", IPHONE),
        {"type": "network_request", "url": "https://api.example.com/cart", "method": "GET", "status": 200,
         "duration": 183.0, "success": True, **w(2_500)},
        {"type": "transaction", **w(2_800), "transaction": {
            "id": "tx-5d1e", "name": "checkout.submit", "startTime": 0.0, "endTime": 878.5, "duration": 878.5,
            "context": {"userId": "u-7", "sessionId": "s-a1"},
            "spans": [{"id": "sp-1", "name": "validate-cart", "op": "function", "startTime": 1.0, "duration": 12.2}]}},
        {"type": "javascript_error", "message": PRICE_ERROR, "filename": "app-service.js", "lineno": 1893,
         "colno": 27, "stack": f"{PRICE_ERROR}\n    at sumCart (pages/cart/cart.js:88:27)", "id": "err-1", **w(3_000)},
        {"type": "log", "level": "warn", "message": "price missing for sku 88", "source": "pages/cart/cart.js",
         **w(3_500)},
        {"type": "custom_event", "name": "coupon_applied", "properties": {"code": "WINTER10"}, **w(4_000),
         "context": {"url": "pages/cart/cart"}},
        {"type": "event", "name": "conversion", **w(5_000),
         "properties": {"type": "purchase", "value": 129.0, "currency": "CNY", "orderId": "o-7781"}},
    ]


#: The kinds the timeline of s-a1 reads, top to bottom.
PURCHASE_KINDS = ["page view", "click", "page view", "network request", "transaction", "error", "log",
                  "custom event", "conversion"]


def others(t: int) -> list[dict[str, Any]]:
    """u-8 browsing on Android, and an anonymous visitor who hit another error."""
    return [
        page_view("s-b2", "u-8", t, "pages/index/index", "Home", PIXEL),
        page_view("s-c3", None, t + MINUTE, "pages/index/index", "Home", PIXEL),
        {"type": "javascript_error", "message": "ReferenceError: wx is not defined", "filename": "app.js",
         "lineno": 3, "colno": 1, "id": "err-2", **_who("s-c3", None, t + MINUTE + 1_000)},
    ]


@pytest.fixture
def shop(store):
    """The store holding the four sessions above (newest: s-c3, s-b2, s-a1, s-a0)."""
    now = now_ms()
    store.write(first_visit(now - 90 * MINUTE))
    store.write(purchase_visit(now - 10 * MINUTE))
    store.write(others(now - 5 * MINUTE))
    return store


def column(model, header: str) -> list[str]:
    """The text of one column of a table model, top to bottom."""
    index = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == header)
    return [model.index(r, index).data() for r in range(model.rowCount())]


def open_analytics(qtbot, open_window, path, *, shown: bool = False):
    window = open_window(path)
    if shown:  # laid out, so that a click lands on a row
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.show()
    window.show_panel("analytics")
    tab = window.analytics.sessions
    qtbot.waitUntil(lambda: window.analytics.is_ready and tab.model.rowCount() > 0, timeout=10_000)
    return window, tab


def select_session(qtbot, tab, session_id: str) -> None:
    with qtbot.waitSignal(tab.timelineShown, timeout=10_000):
        assert tab.choose("shop", session_id)


def test_the_sessions_list_shows_each_session_newest_first_with_its_counts(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    model = tab.model
    assert column(model, "Session") == ["s-c3", "s-b2", "s-a1", "s-a0"]
    assert tab.status.text().startswith("4 sessions")
    row = column(model, "Session").index("s-a1")
    assert column(model, "User")[row] == "u-7"
    assert column(model, "Device")[row] == "iPhone 15"
    assert column(model, "Platform")[row] == "ios"
    assert column(model, "Pages")[row] == "2"
    assert column(model, "Errors")[row] == "1"
    assert column(model, "Conversions")[row] == "1 · 129.00"
    assert column(model, "Duration")[row] == "5 s"
    assert column(model, "Entry page")[row] == "pages/index/index"
    assert column(model, "User")[0] == "anonymous"
    assert column(model, "Errors")[column(model, "Session").index("s-b2")] == "0"
    assert model.index(row, 6).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c5221f"


def test_search_and_filters_narrow_the_list_and_its_total(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    tab.with_errors.setChecked(True)
    qtbot.waitUntil(lambda: column(tab.model, "Session") == ["s-c3", "s-a1"])
    assert tab.status.text().startswith("2 sessions")
    tab.converted.setChecked(True)
    qtbot.waitUntil(lambda: column(tab.model, "Session") == ["s-a1"])
    assert tab.status.text().startswith("1 session ")
    tab.with_errors.setChecked(False)
    tab.converted.setChecked(False)
    tab.search.setText("u-8")
    qtbot.waitUntil(lambda: column(tab.model, "Session") == ["s-b2"])
    tab.search.setText("s-a0")
    qtbot.waitUntil(lambda: column(tab.model, "Session") == ["s-a0"])


def test_the_range_keeps_sessions_started_in_it(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    window.analytics.choose_range("1h")
    qtbot.waitUntil(lambda: column(tab.model, "Session") == ["s-c3", "s-b2", "s-a1"])
    assert tab.status.text() == "3 sessions · last hour"


def test_a_session_timeline_lists_its_events_in_order_from_its_start(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    select_session(qtbot, tab, "s-a1")
    rows = tab.timeline.row_texts()
    assert [kind for _time, kind, _summary in rows] == PURCHASE_KINDS
    assert [time for time, _kind, _summary in rows][:3] == ["0.0 s", "+1.0 s", "+2.0 s"]
    assert rows[-1][0] == "+5.0 s"
    summaries = [summary for _time, _kind, summary in rows]
    assert summaries[2] == "pages/cart/cart — Cart"
    assert summaries[5] == PRICE_ERROR
    assert "price missing for sku 88" in summaries[6]
    assert "s-a1" in tab.timeline.caption.text() and "u-7" in tab.timeline.caption.text()
    assert "9 events" in tab.timeline.caption.text()
    assert tab.timeline.model.index(5, 1).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c5221f"


def _activate(qtbot, tab, kind: str) -> None:
    """Select the timeline's first item of ``kind`` and press Enter on it."""
    row = PURCHASE_KINDS.index(kind)
    table = tab.timeline.table
    table.setCurrentIndex(tab.timeline.model.index(row, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)


def _issue_of(path, session: str) -> int:
    with sqlite3.connect(path) as conn:
        (issue,) = conn.execute("SELECT issue_id FROM errors WHERE session_id = ?", (session,)).fetchone()
    return int(issue)


def test_an_error_of_the_timeline_opens_the_errors_panel_at_its_issue(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    qtbot.waitUntil(lambda: window.errors.model.rowCount() == 2, timeout=10_000)  # both issues listed
    select_session(qtbot, tab, "s-a1")
    _activate(qtbot, tab, "error")
    assert window.stack.currentWidget() is window.errors
    issue = _issue_of(shop.path, "s-a1")
    qtbot.waitUntil(lambda: [i.id for i in window.errors.selected_issues()] == [issue], timeout=10_000)
    assert window.errors.selected_issues()[0].title.startswith("TypeError")
    assert window.errors.status_filter.currentText() == "All statuses"


@SHOWN
def test_a_double_clicked_log_opens_the_logs_panel_at_that_line(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path, shown=True)
    select_session(qtbot, tab, "s-a1")
    row = PURCHASE_KINDS.index("log")
    table = tab.timeline.table
    qtbot.waitExposed(window)
    where = table.visualRect(tab.timeline.model.index(row, 2)).center()
    # As a mouse sends it: the first click's press and release, then the double click.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert window.stack.currentWidget() is window.logs
    assert window.logs.search.text() == "price missing for sku 88"

    def selected() -> list[str]:
        return [window.logs.model.row_at(i.row()).message for i in window.logs.table.selectionModel().selectedRows()]

    qtbot.waitUntil(lambda: selected() == ["price missing for sku 88"], timeout=10_000)


def test_a_transaction_of_the_timeline_opens_its_waterfall(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    select_session(qtbot, tab, "s-a1")
    with qtbot.waitSignal(window.performance.waterfallShown, timeout=10_000):
        _activate(qtbot, tab, "transaction")
    assert window.stack.currentWidget() is window.performance
    assert window.performance.tabs.currentWidget() is window.performance.transactions
    qtbot.waitUntil(lambda: window.performance.transactions.chosen_names == frozenset({"checkout.submit"}),
                    timeout=10_000)


def test_the_users_tab_shows_an_identified_user_with_their_properties_and_sessions(qtbot, shop, open_window):
    window, _tab = open_analytics(qtbot, open_window, shop.path)
    users = window.analytics.show_tab("Users")
    qtbot.waitUntil(lambda: users.model.rowCount() > 0, timeout=10_000)
    assert column(users.model, "User") == ["u-7"]  # identified only: u-8 never was
    assert column(users.model, "Properties") == ["city=Hangzhou, plan=gold"]
    assert column(users.model, "Sessions") == ["2"]
    assert column(users.model, "Conversions") == ["1 · 129.00"]
    assert users.status.text().startswith("1 identified user seen")

    with qtbot.waitSignal(users.sessionsShown, timeout=10_000):
        assert users.choose("shop", "u-7")
    assert column(users.sessions, "Session") == ["s-a1", "s-a0"]
    assert users.properties.text() == "city=Hangzhou\nplan=gold"
    assert users.heading.text().startswith("u-7 — 2 sessions, 1 conversion (129.00), first seen ")
    with qtbot.waitSignal(users.timelineShown, timeout=10_000):
        assert users.choose_session(0)
    assert [kind for _t, kind, _s in users.timeline.row_texts()] == PURCHASE_KINDS

    users.identified_only.setChecked(False)
    qtbot.waitUntil(lambda: set(column(users.model, "User")) >= {"u-7", "u-8"}, timeout=10_000)


@SHOWN
def test_the_list_refreshes_while_shown_and_not_while_hidden(qtbot, shop):
    jobs = StoreJobs(db_path=shop.path)
    panel = AnalyticsPanel(jobs=jobs, refresh_ms=100)
    qtbot.addWidget(panel)
    jobs.start()
    try:
        panel.start()
        tab = panel.sessions
        qtbot.waitUntil(lambda: tab.model.rowCount() == 4, timeout=10_000)
        shop.write([page_view("s-d4", "u-9", now_ms() - 1_000, "pages/index/index", "Home", PIXEL)])
        qtbot.wait(400)  # several refresh intervals, hidden: nothing is read
        assert tab.model.rowCount() == 4
        panel.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        panel.show()
        qtbot.waitUntil(lambda: column(tab.model, "Session")[0] == "s-d4", timeout=10_000)
        assert tab.status.text().startswith("5 sessions")
    finally:
        panel.stop()
        jobs.stop()


def test_the_models_pass_qtmodeltester(qtmodeltester, shop, qtbot, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    qtmodeltester.check(tab.model, force_py=True)
    select_session(qtbot, tab, "s-a1")
    qtmodeltester.check(tab.timeline.model, force_py=True)
    empty_sessions, empty_users = SessionTableModel(), UserTableModel()
    qtmodeltester.check(empty_sessions, force_py=True)
    qtmodeltester.check(empty_users, force_py=True)


def test_a_click_request_or_event_of_the_timeline_opens_the_analytics_tab_that_charts_it(qtbot, shop, open_window):
    window, tab = open_analytics(qtbot, open_window, shop.path)
    window.analytics.choose_range("all")
    select_session(qtbot, tab, "s-a1")
    events = window.analytics.tab_widgets["Events"]
    tab.timeline.table.setCurrentIndex(tab.timeline.model.index(PURCHASE_KINDS.index("click"), 0))
    assert "opens it in Analytics · Events" in tab.timeline.detail.text()
    with qtbot.waitSignal(events.seriesShown, timeout=10_000):
        _activate(qtbot, tab, "click")
    assert window.analytics.tabs.currentWidget() is events
    assert events.picker.ref() == EventRef("interaction", "click",
                                           filters=(PropertyFilter("element_id", "eq", "checkout"),))
    assert "1 in" in events.status.text()  # the one click on #checkout
    with qtbot.waitSignal(events.seriesShown, timeout=10_000):
        window.analytics.show_tab("Sessions")
        _activate(qtbot, tab, "network request")
    assert events.picker.ref() == EventRef(
        "network_request", "GET", filters=(PropertyFilter("url", "eq", "https://api.example.com/cart"),))
    with qtbot.waitSignal(events.seriesShown, timeout=10_000):
        window.analytics.show_tab("Sessions")
        _activate(qtbot, tab, "custom event")
    assert events.picker.ref() == EventRef("event", "coupon_applied")
    window.analytics.show_tab("Sessions")
    _activate(qtbot, tab, "conversion")
    assert window.analytics.tabs.currentWidget() is window.analytics.tab_widgets["Conversions"]
