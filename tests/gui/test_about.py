"""The About dialog, opened from the status bar: version, store, collector, data folders."""

import pytest
from PySide6.QtWidgets import QApplication

import console


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()
def test_the_status_bar_button_opens_about_with_the_version_store_and_folders(qtbot, store, open_window, tmp_path):
    window = open_window(store.path, collector_url="http://127.0.0.1:8969")
    assert window.about_button.text() == "About"
    window.about_button.click()
    qtbot.waitUntil(lambda: any(w.windowTitle() == "About Lookout" for w in QApplication.topLevelWidgets()
                                if w.isVisible()))
    dialog = next(w for w in QApplication.topLevelWidgets() if w.windowTitle() == "About Lookout")
    shown = {label: value.text() for label, value in dialog.values.items()}
    assert shown["Version"] == console.__version__
    assert shown["Store"] == str(store.path)
    assert shown["Collector"] == "http://127.0.0.1:8969"
    # The test's private home (tests/conftest.py), never the real one.
    assert shown["Data folder"].endswith("/data/lookout")
    assert shown["Log file"].endswith("/state/lookout/lookout.log")
    dialog.close()


def test_the_window_has_the_application_icon(open_window, store):
    window = open_window(store.path)
    sizes = {size.width() for size in window.windowIcon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes
