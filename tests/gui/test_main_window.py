"""The main window: its frame, the status bar, store failures and a clean shutdown."""

import time

import pytest
from PySide6.QtCore import Qt

from console.core.store.retention import RetentionPolicy
from tests.gui.conftest import os_thread_names
from tests.gui.support import FilledStore, log_payload, now_ms


def test_title_navigation_and_status_bar(qtbot, store, open_window, examples):
    store.write(examples)
    window = open_window(store.path, collector_url="http://127.0.0.1:8969")
    assert window.windowTitle() == "Lookout"
    titles = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert titles[:2] == ["Overview", "Performance"] and titles[2].startswith("Alerts")
    assert titles[3:] == ["Experiments", "Analytics", "Errors", "Logs", "Metrics"]
    assert window.stack.count() == 8 and window.stack.currentWidget() is window.overview
    window.navigation.setCurrentRow(1)
    assert window.stack.currentWidget() is window.performance
    window.navigation.setCurrentRow(3)
    assert window.stack.currentWidget() is window.experiments
    window.show_panel("experiments")
    assert window.panel("experiments") is window.experiments
    window.navigation.setCurrentRow(4)
    assert window.stack.currentWidget() is window.analytics
    window.navigation.setCurrentRow(5)
    assert window.stack.currentWidget() is window.errors
    assert window.collector_label.text() == "collector: http://127.0.0.1:8969"
    qtbot.waitUntil(lambda: window.is_loaded)
    qtbot.waitUntil(lambda: window.size_label.text().endswith(" KB"))
    assert window.retention_label.text() == "retention: nothing dropped"
    assert window.rate_label.text().endswith(" events/s")
    assert window.store_error.isHidden()


def test_without_a_collector_the_status_bar_names_the_file(qtbot, store, open_window):
    window = open_window(store.path)
    assert window.collector_label.text() == f"no collector — reading {store.path}"


def test_retention_drops_are_reported(qtbot, tmp_path, open_window):
    old = FilledStore(tmp_path / "old.db", retention=RetentionPolicy(max_age_days=1, check_interval_s=0))
    try:
        old.write([log_payload(f"ancient {i}") for i in range(4)], received=now_ms() - 3 * 86_400_000)
        old.write([log_payload("fresh")])
    finally:
        old.close()
    window = open_window(old.path)
    qtbot.waitUntil(lambda: window.retention_label.text() != "retention: –")
    text = window.retention_label.text()
    assert text.startswith("retention: dropped 4 events (age) at ")
    assert time.strftime("%H:") in text or len(text.rsplit(" ", 1)[1]) == 5


def test_a_missing_store_is_a_message_not_a_crash(qtbot, tmp_path, open_window):
    window = open_window(tmp_path / "nowhere.db")
    qtbot.waitUntil(lambda: not window.store_error.isHidden())
    assert "no store at" in window.store_error.text()
    assert str(tmp_path / "nowhere.db") in window.store_error.text()

    late = FilledStore(tmp_path / "nowhere.db")
    try:
        late.write([log_payload("arrived")])
    finally:
        late.close()
    qtbot.waitUntil(lambda: window.store_error.isHidden())
    qtbot.waitUntil(lambda: window.overview.model.rowCount() == 1)


def test_a_corrupt_store_is_a_message_not_a_crash(qtbot, tmp_path, open_window):
    path = tmp_path / "broken.db"
    path.write_bytes(b"\x00garbage" * 4096)
    window = open_window(path)
    qtbot.waitUntil(lambda: not window.store_error.isHidden())
    assert "not a Lookout store" in window.store_error.text()
    assert window.overview.model.rowCount() == 0


def test_closing_the_window_leaves_no_thread_running(qtbot, store, open_window):
    window = open_window(store.path)
    qtbot.waitUntil(lambda: window.is_loaded)
    assert "lookout.reader" in os_thread_names()
    window.close()
    assert not window.watcher.is_running()
    deadline = time.monotonic() + 2
    while "lookout.reader" in os_thread_names() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "lookout.reader" not in os_thread_names()
    window.shutdown()  # a second stop is harmless


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_analytics_and_dashboard_timers_run_only_while_their_panel_is_on_screen(qtbot, store, open_window):
    window = open_window(store.path)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.show()
    view = window.overview.dashboard
    qtbot.waitUntil(lambda: view.is_ready and bool(view.grid.tiles), timeout=10_000)
    analytics = window.analytics._refresh  # noqa: SLF001 - the timers are what is checked

    def dashboard_timers() -> list[bool]:
        return [view._relist_timer.isActive()] + [tile._timer.isActive() for tile in view.grid.tiles]  # noqa: SLF001

    qtbot.waitUntil(lambda: all(dashboard_timers()))
    assert not analytics.isActive()  # the Analytics panel is not on screen
    window.show_panel("analytics")
    qtbot.waitUntil(analytics.isActive)
    assert not any(dashboard_timers())  # the Overview is hidden behind it
    window.show_panel("logs")
    assert not analytics.isActive() and not any(dashboard_timers())
    window.show_panel("overview")
    qtbot.waitUntil(lambda: all(dashboard_timers()))
    assert not analytics.isActive()
    window.shutdown()
    assert not analytics.isActive() and not any(dashboard_timers())
