"""Rendering a panel of the window to a PNG without a display, for docs and bug reports.

``lookout screenshot`` calls :func:`render_screenshot`: it opens a window over the store
offscreen, waits until the reader worker has delivered its first results, and saves what
the window shows. A store that cannot be read is rendered too, with the window's message.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

from console.gui.main_window import PANEL_NAMES, MainWindow

__all__ = ["render_screenshot"]

_LOAD_TIMEOUT_MS = 20_000


def render_screenshot(
    *, db_path: Path, panel: str, out: Path, size: tuple[int, int] = (1400, 900), tab: str | None = None
) -> None:
    """Save a ``size`` PNG of ``panel`` showing the store at ``db_path`` to ``out``; ``tab``
    picks one of the Analytics panel's tabs (by title, any case).

    Raises ValueError for an unknown panel or tab (naming the valid ones) or a size below the
    window's minimum (about 880x300 with the Overview's rating badge), TimeoutError when the
    store gave no result in time and OSError when the image cannot be written.
    """
    if panel not in PANEL_NAMES:
        raise ValueError(f"unknown panel {panel!r}; valid panels: {', '.join(PANEL_NAMES)}")
    tab_title = _tab_title(panel, tab)
    app = QApplication.instance()
    if app is None:
        # No display is needed (nor wanted) to render a picture.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["lookout"])
        app.setApplicationName("Lookout")
    # A picture neither evaluates the rules (that would write the store) nor sits in a tray.
    window = MainWindow(db_path=db_path, collector_url=None, evaluate_alerts=False, tray=False)
    try:
        window.show_panel(panel)
        # "Shown" but never on screen, on any platform: a hidden window's layouts are not
        # refreshed as content arrives, and it would be grabbed with stale sizes.
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.resize(*size)
        window.show()
        if not window.is_loaded:
            _wait_for(window.loaded)
        shown = window.panel(panel)
        if window.is_loaded and not getattr(shown, "is_ready", True):
            _wait_for(shown.ready)  # type: ignore[attr-defined]
        if not window.is_loaded or not getattr(shown, "is_ready", True):
            raise TimeoutError(f"{db_path} gave no result within {_LOAD_TIMEOUT_MS / 1000:.0f} s")
        if shown is window.logs and window.logs.open_first():
            _wait_for(window.logs.relatedShown)
        if shown is window.errors and window.errors.open_first():
            _wait_for(window.errors.detailShown)
        if shown is window.alerts and window.alerts.open_first():
            _wait_for(window.alerts.detailShown)
        if tab_title is not None and tab_title != "Sessions":
            chosen = window.analytics.show_tab(tab_title)
            answered = getattr(chosen, "answered", None)
            if answered is not None:
                _wait_for(answered)
        elif shown is window.analytics and window.analytics.open_first():
            _wait_for(window.analytics.sessions.timelineShown)
        window.overview.flush()
        # Let a panel lay out and paint what its last query brought.
        for _ in range(3):
            app.processEvents()
        if (window.width(), window.height()) != tuple(size):
            least = window.minimumSizeHint()
            raise ValueError(
                f"{size[0]}x{size[1]} is smaller than the window can be ({least.width()}x{least.height()})"
            )
        image = window.grab()
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise OSError(f"could not write {out}")
    finally:
        window.shutdown()


def _tab_title(panel: str, tab: str | None) -> str | None:
    """The Analytics tab's title for ``tab``; ValueError for a tab elsewhere or unknown."""
    if tab is None:
        return None
    from console.gui.analytics.panel import TABS

    titles = [title for title, _ in TABS]
    if panel != "analytics":
        raise ValueError(f"--tab is for the analytics panel (its tabs: {', '.join(titles).lower()})")
    for title in titles:
        if title.lower() == tab.lower():
            return title
    raise ValueError(f"unknown tab {tab!r}; the analytics panel's tabs: {', '.join(titles).lower()}")


def _wait_for(signal: SignalInstance) -> None:
    """Run the event loop until ``signal`` fires or the load timeout passes."""
    loop = QEventLoop()
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)
    signal.connect(loop.quit)
    timeout.start(_LOAD_TIMEOUT_MS)
    loop.exec()
    timeout.stop()
