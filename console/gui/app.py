"""Starting the window: the QApplication, the main window, and the event loop."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console.collector.alerting import ChannelSettings
from console.gui.main_window import MainWindow
from console.gui.tray import app_icon
from console.gui.window_state import load_state, save_state, state_path

__all__ = ["run_window"]


def run_window(
    *,
    db_path: Path,
    collector_url: str | None,
    alert_interval_s: float = 15.0,
    alert_channels: ChannelSettings | None = None,
) -> int:
    """Show a window over ``db_path`` until it is closed; returns the exit status.

    Without a collector the window evaluates the alert rules itself every
    ``alert_interval_s`` (0: it does not), delivering to ``alert_channels``.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Lookout")
    app.setApplicationDisplayName("Lookout")
    # The desktop entry's name (packaging/lookout.desktop): Wayland compositors match the
    # window to its menu entry and icon by it.
    app.setDesktopFileName("lookout")
    app.setWindowIcon(app_icon())
    window = MainWindow(
        db_path=db_path,
        collector_url=collector_url,
        alert_interval_s=alert_interval_s or 15.0,
        alert_channels=alert_channels,
        evaluate_alerts=alert_interval_s > 0,
    )
    # It comes back where the user left it; what it shows is saved when it closes.
    window.restore(load_state(state_path()))
    # Quitting by other means than closing the window must still stop the reader thread.
    app.aboutToQuit.connect(window.shutdown)
    # Ctrl+C in the terminal and SIGTERM close the window like its close button. Python runs
    # signal handlers only between bytecodes, so a idle timer wakes the interpreter.
    previous = {sig: signal.signal(sig, lambda *_: app.quit()) for sig in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    window.show()
    try:
        return app.exec()
    finally:
        wake.stop()
        save_state(state_path(), window.remembered())
        window.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
