"""Starting the window: the QApplication, the main window, and the event loop."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from console.gui.main_window import MainWindow

__all__ = ["run_window"]


def run_window(*, db_path: Path, collector_url: str | None) -> int:
    """Show a window over ``db_path`` until it is closed; returns the exit status."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Lookout")
    app.setApplicationDisplayName("Lookout")
    window = MainWindow(db_path=db_path, collector_url=collector_url)
    # Quitting by other means than closing the window must still stop the reader thread.
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    try:
        return app.exec()
    finally:
        window.shutdown()
