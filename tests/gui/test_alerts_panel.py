"""The Alerts panel and the rule editor as a user sees them: rows and colours, what fired and
why, acknowledge/silence/resolve through the window's own writer, validation, backtests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from PySide6.QtCore import Qt

from console.core.analysis.alerts import engine
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric, RuleFilters, Severity
from console.core.store import alerts as alert_store
from console.core.store.schema import connect
from console.gui.alerts.model import AlertHistoryModel, RuleRow, RuleTableModel
from console.gui.main_window import PANEL_NAMES, MainWindow
from tests.gui.support import POLL_MS, FilledStore, now_ms

# The editor is a dialog on screen and an opened alert raises the window: the offscreen
# platform says it can do neither.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")
MINUTE = 60_000
MESSAGE = "TypeError: cannot read property 'price' of undefined"
CHECKOUT = AlertRule(name="Checkout errors", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE,
                     threshold=8.0, severity=Severity.WARNING)
CART_LCP = AlertRule(name="Cart LCP p75 is poor", metric=Metric.VITAL_P75, vital="lcp",
                     comparison=Comparison.ABOVE, threshold=4000.0, for_s=120, min_sample=5,
                     severity=Severity.CRITICAL, filters=RuleFilters(page="pages/cart/cart"))


def error(ts: int) -> dict[str, Any]:
    return {"type": "javascript_error", "message": MESSAGE, "timestamp": ts, "sessionId": "s-1",
            "stack": f"{MESSAGE}\n    at sumCart (pages/cart/cart.js:10:5)", "url": "pages/cart/cart"}


def load(lcp: float, ts: int) -> dict[str, Any]:
    return {"type": "page_load", "url": "pages/cart/cart", "timestamp": ts, "sessionId": "s-1",
            "metrics": {"largestContentfulPaint": lcp}}


def seed(path: Path, *, evaluate: bool = True) -> FilledStore:
    """An hour of cart traffic: LCP poor from 40 to 25 minutes ago, an error burst in the
    last 8 minutes; the two rules above (and the defaults), evaluated minute by minute when
    ``evaluate``. The writer is stopped on return: the window writes through its own."""
    store = FilledStore(path)
    now = now_ms()
    payloads: list[dict[str, Any]] = []
    for m in range(60, 0, -1):
        at = now - m * MINUTE
        payloads += [load(4800.0 if 25 <= m <= 40 else 1800.0, at + i * 1000) for i in range(6)]
        if 1 <= m <= 8:
            payloads += [error(at + i * 500) for i in range(4)]
    store.write(payloads)

    def add(conn: sqlite3.Connection) -> None:
        alert_store.ensure_default_rules(conn)
        for rule in (CHECKOUT, CART_LCP):
            alert_store.save_rule(conn, rule)

    store.writer.run_sync(add)
    if evaluate:
        read = connect(path, readonly=True)
        try:
            for m in range(58, -1, -1):
                engine.run_cycle(store.writer, read, now_ms=now - m * MINUTE)
        finally:
            read.close()
    store.close()
    return store


def states(path: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT r.name, s.definition FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id")
        return {name: orjson.loads(definition) for name, definition in rows}
    finally:
        conn.close()


def events_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM alert_events").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def alerts_window(qtbot):
    windows: list[MainWindow] = []

    def opener(path: Path, **options: Any) -> MainWindow:
        options.setdefault("evaluate_alerts", False)
        window = MainWindow(db_path=path, collector_url=None, poll_interval_ms=POLL_MS, tray=False, **options)
        qtbot.addWidget(window)
        windows.append(window)
        window.show_panel("alerts")
        qtbot.waitUntil(lambda: window.alerts.is_ready and window.alerts.rules.rowCount() > 0, timeout=10_000)
        return window

    yield opener
    for window in windows:
        window.shutdown()


def cells(model: Any) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def colour(model: Any, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.BackgroundRole) -> str:
    return model.index(row, column).data(role).color().name()


def select_rule(qtbot, panel, name: str) -> None:
    row = next(r for r in range(panel.rules.rowCount()) if panel.rules.rule_row(r).rule.name == name)
    with qtbot.waitSignal(panel.detailShown, timeout=10_000):
        panel.rule_table.selectRow(row)


def test_alerts_sit_after_performance_in_the_navigation(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db").path)
    assert PANEL_NAMES.index("alerts") == PANEL_NAMES.index("performance") + 1
    assert window.navigation.item(PANEL_NAMES.index("alerts")).text() == "Alerts · 1 firing"
    assert window.stack.currentWidget() is window.alerts


def test_firing_rules_come_first_in_their_severity_colours(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db").path)
    panel = window.alerts
    rows = cells(panel.rules)
    assert rows[0][:3] == ["warning", "FIRING", "Checkout errors"]
    assert rows[0][3] == "Errors above 8"
    assert colour(panel.rules, 0, 1) == "#fef7e0"  # firing, in the warning's amber
    assert colour(panel.rules, 0, 1, Qt.ItemDataRole.ForegroundRole) == "#b06000"
    cart = next(r for r in range(len(rows)) if rows[r][2] == "Cart LCP p75 is poor")
    assert colour(panel.rules, cart, 0) == "#fce8e6"  # critical
    assert panel.summary.text().startswith("1 firing · 0 pending · 5 rules")
    history = cells(panel.history)
    changes = [(r[3], r[1]) for r in history]
    assert ("Cart LCP p75 is poor", "pending → FIRING") in changes
    assert ("Cart LCP p75 is poor", "FIRING → resolved") in changes
    fired = next(r for r, row in enumerate(history) if row[1] == "pending → FIRING" and row[3] == "Cart LCP p75 is poor")
    assert history[fired][4] == "breach for 2 min" and history[fired][5] == "yes"
    assert colour(panel.history, fired, 1) == "#fce8e6"


def test_the_detail_says_what_fired_and_why_with_the_metric_and_threshold(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db").path)
    panel = window.alerts
    select_rule(qtbot, panel, "Checkout errors")
    detail = panel.detail
    assert detail.title.text() == "Checkout errors — FIRING now (warning)"
    why = detail.why.text()
    assert why.startswith("Firing at ") and "threshold above 8 (breach)." in why
    assert "errors in 5 min" in why.splitlines()[1]
    assert detail.condition.text() == "Rule: Errors above 8"
    assert detail.state.text().startswith("Now: FIRING since ")
    assert detail.history.count() >= 1 and "normal → FIRING" in detail.history.item(0).text()
    chart = detail.chart
    assert chart.threshold.isVisible() and chart.threshold.value() == 8.0
    assert chart.moment.isVisible()
    assert len(chart.xs) > 30 and max(v for v in chart.ys if v == v) > 8  # the burst, over the line
    assert not detail.link.isVisible() or detail.link.text()


def test_a_new_issue_alert_links_to_the_issue_in_the_errors_panel(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db").path)
    panel = window.alerts
    row = next(r for r in range(panel.history.rowCount())
               if panel.history.event_at(r).rule_name == "New issue" and panel.history.event_at(r).to_state == "firing")
    with qtbot.waitSignal(panel.detailShown, timeout=10_000):
        panel.open_alert(panel.history.event_at(row).id)
    assert panel.detail.link.text() == f"Open issue #1 in Errors — {MESSAGE}"
    panel.detail.link.click()
    assert window.stack.currentWidget() is window.errors
    assert window.errors.search.text() == MESSAGE


def test_acknowledge_silence_and_resolve_go_through_the_windows_own_writer(qtbot, tmp_path, alerts_window):
    path = seed(tmp_path / "s.db").path
    window = alerts_window(path)
    panel = window.alerts
    select_rule(qtbot, panel, "Checkout errors")

    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.detail.acknowledge.click()
    assert states(path)["Checkout errors"]["acknowledged"] is True
    qtbot.waitUntil(lambda: "acknowledged" in panel.detail.state.text(), timeout=10_000)
    qtbot.waitUntil(lambda: cells(panel.rules)[0][1] == "FIRING · ack", timeout=10_000)

    before = now_ms()
    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.detail.silence["Silence 1 h"].click()
    until = states(path)["Checkout errors"]["silenced_until_ms"]
    assert before + 3_600_000 <= until <= now_ms() + 3_600_000
    qtbot.waitUntil(lambda: "silenced until" in panel.detail.state.text(), timeout=10_000)

    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.detail.resolve.click()
    assert states(path)["Checkout errors"]["state"] == "resolved"
    qtbot.waitUntil(lambda: panel.detail.title.text() == "Checkout errors — resolved now (warning)", timeout=10_000)
    qtbot.waitUntil(lambda: cells(panel.history)[0][1] == "FIRING → resolved", timeout=10_000)
    assert cells(panel.history)[0][3] == "Checkout errors"
    assert window.navigation.item(PANEL_NAMES.index("alerts")).text() == "Alerts"


def test_disable_enable_and_delete_a_rule(qtbot, tmp_path, alerts_window):
    path = seed(tmp_path / "s.db").path
    window = alerts_window(path)
    panel = window.alerts
    select_rule(qtbot, panel, "Cart LCP p75 is poor")
    assert panel.toggle_rule.text() == "Disable"
    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.toggle_rule.click()
    qtbot.waitUntil(lambda: panel.toggle_rule.text() == "Enable", timeout=10_000)
    assert "disabled" in [row[1] for row in cells(panel.rules)]
    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.toggle_rule.click()
    qtbot.waitUntil(lambda: panel.toggle_rule.text() == "Disable", timeout=10_000)
    panel._confirm = lambda _title, text: "Cart LCP p75 is poor" in text
    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        panel.delete_rule.click()
    qtbot.waitUntil(lambda: "Cart LCP p75 is poor" not in [row[2] for row in cells(panel.rules)], timeout=10_000)
    # Its history stays.
    assert "Cart LCP p75 is poor" in [row[3] for row in cells(panel.history)]


def test_the_editor_shows_the_cores_validation_messages(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db", evaluate=False).path)
    editor = window.alerts.open_editor(new=True)
    assert editor is not None and editor.windowTitle() == "New alert rule"
    with qtbot.assertNotEmitted(editor.saved):
        editor.save()
    assert editor.error.text() == "'name' must be a non-empty string"
    editor.name.setText("Cart LCP")
    editor.metric_choice.setCurrentIndex(editor.metric_choice.findData("vital_p75"))
    editor.threshold.setValue(4000)
    editor.has_recovery.setChecked(True)
    editor.recovery.setValue(5000)
    with qtbot.assertNotEmitted(editor.saved):
        editor.save()
    assert editor.error.text() == (
        "'recovery_threshold' (5000) of a rule that fires above 4000 must not be above the threshold"
    )
    assert editor.isVisible()


def test_the_editor_saves_every_field_and_the_panel_lists_the_rule(qtbot, tmp_path, alerts_window):
    path = seed(tmp_path / "s.db", evaluate=False).path
    window = alerts_window(path)
    panel = window.alerts
    editor = panel.open_editor(new=True)
    editor.name.setText("Slow checkout")
    editor.metric_choice.setCurrentIndex(editor.metric_choice.findData("transaction_p95"))
    editor.comparison.setCurrentIndex(editor.comparison.findData("above"))
    editor.threshold.setValue(2500)
    editor.filters["transaction"].setText("checkout.submit")
    editor.filters["release"].setText("1.4.0")
    editor.window_s.setValue(600)
    editor.for_s.setValue(120)
    editor.keep_firing_for_s.setValue(60)
    editor.has_recovery.setChecked(True)
    editor.recovery.setValue(2000)
    editor.min_sample.setValue(30)
    editor.severity.setCurrentIndex(editor.severity.findData("critical"))
    editor.cooldown_s.setValue(900)
    for name, box in editor.channels.items():
        box.setChecked(name in ("tray", "sound"))
    with qtbot.waitSignal(window.alert_client.done, timeout=10_000):
        editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert not editor.isVisible()
    qtbot.waitUntil(lambda: "Slow checkout" in [row[2] for row in cells(panel.rules)], timeout=10_000)
    conn = sqlite3.connect(path)
    (definition,) = conn.execute("SELECT definition FROM alert_rules WHERE name = 'Slow checkout'").fetchone()
    conn.close()
    saved = orjson.loads(definition)
    assert saved["filters"] == {"transaction": "checkout.submit", "release": "1.4.0"}
    assert (saved["window_s"], saved["for_s"], saved["keep_firing_for_s"], saved["min_sample"]) == (600, 120, 60, 30)
    assert (saved["recovery_threshold"], saved["severity"], saved["cooldown_s"]) == (2000.0, "critical", 900)
    assert saved["channels"] == ["tray", "sound"]

    # Editing it again shows what was saved.
    select_rule(qtbot, panel, "Slow checkout")
    again = panel.open_editor()
    assert again.windowTitle() == "Edit alert rule"
    assert again.to_json()["filters"] == {"project": None, "page": None, "transaction": "checkout.submit",
                                          "release": "1.4.0"}
    assert again.threshold.value() == 2500 and again.severity.currentData() == "critical"
    again.reject()


def test_testing_a_rule_against_the_last_hour_says_when_it_would_have_fired(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db", evaluate=False).path)
    editor = window.alerts.open_editor(new=True)
    editor.name.setText("Cart LCP")
    editor.metric_choice.setCurrentIndex(editor.metric_choice.findData("vital_p75"))
    editor.vital.setCurrentIndex(editor.vital.findData("lcp"))
    editor.threshold.setValue(4000)
    editor.cooldown_s.setValue(0)
    with qtbot.waitSignal(editor.backtested, timeout=20_000) as answer:
        editor.backtest_button.click()
    # Poor from 40 to 25 minutes ago: one breach, so one notification.
    assert answer.args[0].startswith("Over the last hour this rule would have fired once, at ")
    editor.threshold.setValue(9000)
    with qtbot.waitSignal(editor.backtested, timeout=20_000) as answer:
        editor.backtest_button.click()
    assert answer.args[0] == "Over the last hour this rule would not have fired."
    assert editor.backtest_result.text() == answer.args[0]


def test_describe_backtest_lists_the_moments():
    from datetime import datetime

    from console.gui.alerts.editor import describe_backtest

    moments = [int(datetime(2026, 12, 1, h, m).timestamp() * 1000) for h, m in ((14, 2), (14, 21), (14, 40))]
    assert describe_backtest(moments) == "Over the last hour this rule would have fired 3 times, at 14:02, 14:21, 14:40."


def test_a_transition_notified_after_startup_shows_the_banner_without_a_tray(qtbot, tmp_path, alerts_window):
    # The rules were never evaluated: the window's own evaluation makes "Checkout errors" fire.
    path = seed(tmp_path / "s.db", evaluate=False).path
    window = alerts_window(path, evaluate_alerts=True, alert_interval_s=0.5)
    panel = window.alerts
    with qtbot.waitSignal(panel.alertNotified, timeout=20_000,
                          check_params_cb=lambda event, _rule: event.rule_name == "Checkout errors") as told:
        pass
    event = told.args[0]
    assert event.notified and event.to_state == "firing"
    qtbot.waitUntil(lambda: not window.alert_banner.isHidden(), timeout=10_000)
    assert window.alert_banner.text.text().startswith("Warning: Checkout errors — ")
    window.show_panel("overview")
    with qtbot.waitSignal(panel.detailShown, timeout=10_000):
        window.alert_banner.open_button.click()
    assert window.stack.currentWidget() is panel
    assert panel.detail.answer.event.id == event.id
    assert window.alert_banner.isHidden()


def test_alerts_already_in_the_store_are_not_told_again(qtbot, tmp_path, alerts_window):
    window = alerts_window(seed(tmp_path / "s.db").path)
    with qtbot.assertNotEmitted(window.alerts.alertNotified, wait=3 * 2_000):
        pass
    assert window.alert_banner.isHidden()


def test_the_models_pass_qtmodeltester(qtmodeltester, tmp_path):
    seed(tmp_path / "s.db")
    conn = connect(tmp_path / "s.db", readonly=True)
    try:
        rules, rule_states, history = (alert_store.list_rules(conn), alert_store.load_states(conn),
                                       alert_store.alert_history(conn))
    finally:
        conn.close()
    model = RuleTableModel()
    model.set_rows([RuleRow(rule, rule_states.get(rule.id or 0)) for rule in rules])
    qtmodeltester.check(model, force_py=True)
    events = AlertHistoryModel()
    events.set_rows(history)
    qtmodeltester.check(events, force_py=True)
    events.set_rows(history[:3])
    qtmodeltester.check(events, force_py=True)


def test_lookout_screenshot_renders_the_alerts_panel_with_the_firing_alert_open(qapp, tmp_path):
    from PySide6.QtGui import QImage

    from console.gui.screenshot import render_screenshot

    path = seed(tmp_path / "s.db").path
    before = events_in(path)
    out = tmp_path / "alerts.png"
    render_screenshot(db_path=path, panel="alerts", out=out, size=(1400, 900))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
    # The threshold's red dashes are on the chart (right half, lower part of the window).
    reds = sum(1 for x in range(700, 1400, 2) for y in range(400, 880, 2)
               if image.pixelColor(x, y).name() == "#d93025")
    assert reds > 50
    # A picture does not evaluate the rules: the store is as it was.
    assert events_in(path) == before


def test_a_save_the_writer_refuses_keeps_the_editor_open_with_the_reason(qtbot, tmp_path, alerts_window, monkeypatch):
    window = alerts_window(seed(tmp_path / "s.db", evaluate=False).path)
    client = window.alert_client
    monkeypatch.setattr(client, "request", lambda action: client.failed.emit(action, "the collector answered 400: no"))
    editor = window.alerts.open_editor(new=True)
    editor.name.setText("Any errors")
    editor.save()
    assert editor.isVisible()
    assert editor.error.text() == "the collector answered 400: no"
    assert editor.buttons.button(editor.buttons.StandardButton.Save).isEnabled()
    assert window.alerts.status.text() == "save rule failed — the collector answered 400: no"


def test_beside_a_collector_actions_go_to_its_writer_and_the_window_does_not_evaluate(qtbot, tmp_path):
    from console.core.store.alerts import AlertAction
    from console.gui.alert_client import AlertClient
    from tests.integration.support import CollectorLauncher

    path = seed(tmp_path / "s.db").path
    launcher = CollectorLauncher(tmp_path)
    try:
        collector = launcher.start(path)
        client = AlertClient(db_path=path, collector_url=collector.url)
        try:
            client.start_evaluation()
            assert not client.evaluating  # the collector evaluates
            read = connect(path, readonly=True)
            rule_id = next(r.id for r in alert_store.list_rules(read) if r.name == "Checkout errors")
            read.close()
            with qtbot.waitSignal(client.done, timeout=10_000) as done:
                client.request(AlertAction(kind="acknowledge", rule_id=rule_id))
            assert done.args[1]["rule_id"] == rule_id
            with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
                client.request(AlertAction(kind="resolve", rule_id=10_000))
            assert failed.args[1].startswith("the collector answered 4")
        finally:
            client.stop()
        assert states(path)["Checkout errors"]["acknowledged"] is True
    finally:
        launcher.close()


def test_the_editor_offers_the_stores_kpis_and_tests_a_kpi_rule(qtbot, tmp_path, alerts_window):
    from console.core.analysis.product.kpi import KpiDefinition
    from console.core.analysis.product.refs import EventRef
    from console.core.store.kpi_queries import save_kpi

    path = seed(tmp_path / "s.db", evaluate=False).path
    conn = sqlite3.connect(path)
    with conn:
        save_kpi(conn, KpiDefinition(name="Cart loads", ref=EventRef("page_load", "pages/cart/cart")), now_ms=now_ms())
    conn.close()
    window = alerts_window(path)
    editor = window.alerts.open_editor(new=True)
    qtbot.waitUntil(lambda: editor.kpi.count() == 1, timeout=10_000)
    assert editor.kpi.itemText(0) == "Cart loads" and editor.kpi.currentText() == ""
    editor.name.setText("Cart busy")
    editor.metric_choice.setCurrentIndex(editor.metric_choice.findData("kpi"))
    assert editor.kpi.isVisibleTo(editor)
    editor.kpi.setCurrentIndex(0)
    editor.threshold.setValue(20)  # six loads a minute: 30 in every 5-minute window
    with qtbot.waitSignal(editor.backtested, timeout=20_000) as answer:
        editor.backtest_button.click()
    assert answer.args[0].startswith("Over the last hour this rule would have fired once, at ")
    assert editor.rule() is not None and editor.rule().kpi == "Cart loads"
    editor.reject()
