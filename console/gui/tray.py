"""Lookout in the system tray: an icon that turns red while alerts fire, and their messages.

:class:`AlertTray` is made only when the desktop has a tray
(:func:`tray_available`); the window then hides into it when closed. A notified alert shows
as the tray's balloon message (``showMessage``); clicking the message asks the window to
open that alert. The menu shows the window, pauses notifications for an hour, or quits.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from console.core.store.alerts import AlertEvent

__all__ = ["ICONS", "PAUSE_S", "AlertTray", "app_icon", "message_title", "tray_available"]

log = logging.getLogger("lookout.gui.tray")

def _icon_folder() -> Path:
    """Where the icons are: resources/icons of a checkout or the bundle, else the folder a
    pip or pipx install put them in (``<prefix>/share/lookout/icons``, see pyproject.toml)."""
    beside = Path(__file__).resolve().parents[2] / "resources" / "icons"
    installed = Path(sys.prefix) / "share" / "lookout" / "icons"
    return beside if beside.is_dir() or not installed.is_dir() else installed


#: The hand-drawn icons: lookout.svg and lookout-firing.svg.
ICONS = _icon_folder()
#: How long "Pause notifications" pauses them.
PAUSE_S = 3600
_MESSAGE_MS = 10_000
_ICON_OF = {
    "critical": QSystemTrayIcon.MessageIcon.Critical,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "info": QSystemTrayIcon.MessageIcon.Information,
}


def tray_available() -> bool:
    """Whether the desktop has a system tray to put an icon in."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def message_title(event: AlertEvent) -> str:
    """The title of an alert's message: 'Critical: LCP p75 is poor'."""
    return f"{event.severity.capitalize()}: {event.rule_name}"


def load_icon(name: str) -> QIcon:
    """One of the icons in :data:`ICONS` (an empty icon if the file is missing)."""
    path = ICONS / name
    if not path.exists():
        log.warning("icon %s is missing", path)
    return QIcon(str(path))


def app_icon() -> QIcon:
    """The application's icon for windows and the task bar: the PNGs rendered from
    lookout.svg (``hicolor/<N>x<N>/apps/lookout.png``, packaging/render_icons.py), one per
    size so small sizes stay crisp, and the SVG itself for any other size."""
    icon = QIcon()
    for png in sorted((ICONS / "hicolor").glob("*/apps/lookout.png")):
        icon.addFile(str(png))
    if (ICONS / "lookout.svg").exists():
        icon.addFile(str(ICONS / "lookout.svg"))
    if icon.isNull():
        log.warning("the application icon is missing from %s", ICONS)
    return icon


class AlertTray(QObject):
    """The tray icon, its menu and its messages.

    Signals:
        showWindowRequested(): the user wants the window (menu, or a click on the icon).
        alertOpened(int): the user clicked the message of this alert (an alert_events id).
        quitRequested(): "Quit" in the menu.
        messageShown(str, str): a message went to the tray (title, text).
    """

    showWindowRequested = Signal()
    alertOpened = Signal(int)
    quitRequested = Signal()
    messageShown = Signal(str, str)

    def __init__(self, *, clock: Callable[[], float] = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._paused_until: float | None = None
        self._last_event: int | None = None
        self.normal_icon = load_icon("lookout.svg")
        self.firing_icon = load_icon("lookout-firing.svg")
        self.firing = False
        self.icon = QSystemTrayIcon(self.normal_icon, self)
        self.icon.setToolTip("Lookout")
        self.menu = QMenu()
        self.show_action = QAction("Show window", self.menu)
        self.pause_action = QAction("Pause notifications for 1 hour", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        self.menu.addAction(self.show_action)
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.show_action.triggered.connect(self.showWindowRequested)
        self.pause_action.triggered.connect(self._toggle_pause)
        self.quit_action.triggered.connect(self.quitRequested)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self.icon.show()

    @property
    def paused(self) -> bool:
        """Whether notifications are paused now."""
        return self._paused_until is not None and self._clock() < self._paused_until

    def pause(self, seconds: float = PAUSE_S) -> None:
        """Show no messages for ``seconds`` (the icon still turns red)."""
        self._paused_until = self._clock() + seconds
        until = datetime.fromtimestamp(self._paused_until).strftime("%H:%M")
        self.pause_action.setText(f"Notifications paused until {until} — resume")
        log.info("notifications paused until %s", until)

    def resume(self) -> None:
        """Show messages again."""
        self._paused_until = None
        self.pause_action.setText("Pause notifications for 1 hour")

    def set_firing(self, count: int) -> None:
        """Show the firing icon while ``count`` alerts fire."""
        self.firing = count > 0
        self.icon.setIcon(self.firing_icon if self.firing else self.normal_icon)
        self.icon.setToolTip(f"Lookout — {count} alert{'s' if count != 1 else ''} firing" if count else "Lookout")

    def notify(self, event: AlertEvent) -> bool:
        """Show ``event`` as the tray's message; False when notifications are paused."""
        if self.paused:
            log.info("notification of alert %d held back: paused", event.id)
            return False
        if self._paused_until is not None:
            self.resume()  # the pause has run out: the menu says so again
        title, text = message_title(event), event.detail or event.reason
        self._last_event = event.id
        self.icon.showMessage(title, text, _ICON_OF.get(event.severity, QSystemTrayIcon.MessageIcon.Warning),
                              _MESSAGE_MS)
        log.info("tray message: %s — %s", title, text)
        self.messageShown.emit(title, text)
        return True

    def hide(self) -> None:
        """Take the icon off the tray (the window quits)."""
        self.icon.hide()

    @Slot()
    def _toggle_pause(self) -> None:
        if self.paused:
            self.resume()
        else:
            self.pause()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.showWindowRequested.emit()

    @Slot()
    def _message_clicked(self) -> None:
        if self._last_event is not None:
            self.alertOpened.emit(self._last_event)
        else:
            self.showWindowRequested.emit()
