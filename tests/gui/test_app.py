"""Starting the window: run_window shows it over a store and returns when it closes."""

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console.gui.app import run_window
from console.gui.main_window import MainWindow
from tests.gui.support import log_payload


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()
def test_run_window_shows_the_store_and_returns_when_closed(qapp, store):
    store.write([log_payload("hello")])
    seen = []

    def close_when_loaded() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if windows and windows[0].overview.model.rowCount():
            seen.append((windows[0].windowTitle(), windows[0].overview.model.index(0, 2).data()))
            windows[0].close()
        else:
            QTimer.singleShot(50, close_when_loaded)

    QTimer.singleShot(50, close_when_loaded)
    assert run_window(db_path=store.path, collector_url=None) == 0
    assert QApplication.applicationName() == "Lookout"
    assert seen == [("Lookout", "info: hello")]


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_run_window_comes_back_to_the_panel_it_was_closed_on(qapp, store):
    from console.gui.window_state import load_state, state_path

    store.write([log_payload("hello")])
    opened_on = []

    def act(then) -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[0].is_loaded:
            then(windows[0])
        else:
            QTimer.singleShot(50, lambda: act(then))

    def go_to_logs_and_close(window: MainWindow) -> None:
        window.show_panel("logs")
        window.close()

    QTimer.singleShot(50, lambda: act(go_to_logs_and_close))
    assert run_window(db_path=store.path, collector_url=None) == 0
    assert load_state(state_path()).panel == "logs"

    def note_and_close(window: MainWindow) -> None:
        opened_on.append(window.stack.currentWidget() is window.logs)
        window.close()

    QTimer.singleShot(50, lambda: act(note_and_close))
    assert run_window(db_path=store.path, collector_url=None) == 0
    assert opened_on == [True]
