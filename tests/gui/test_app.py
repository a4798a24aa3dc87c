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
