"""The in-window alert banner, for desktops without a system tray.

It sits above the panels like the store's error banner, names the newest notified alert,
and offers to open it in the Alerts panel.

Signals:
    openRequested(int): "Open" was clicked for this alert (an alert_events id).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from console.core.store.alerts import AlertEvent
from console.gui.alerts.model import SEVERITY_COLOURS

__all__ = ["AlertBanner"]


class AlertBanner(QFrame):
    """One line about the newest notified alert, with Open and Dismiss."""

    openRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.alert: AlertEvent | None = None
        self.text = QLabel("")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.open_button = QPushButton("Open alert")
        self.dismiss = QPushButton("Dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 8, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.dismiss)
        self.open_button.clicked.connect(self._open)
        self.dismiss.clicked.connect(self.hide)
        self.hide()

    def show_event(self, event: AlertEvent, *, more: int = 0) -> None:
        """Name ``event`` (and how many others arrived with it) and show the banner."""
        self.alert = event
        text, background = SEVERITY_COLOURS.get(event.severity, SEVERITY_COLOURS["warning"])
        self.setStyleSheet(
            f"QFrame#alertBanner {{ background: {background}; border: 1px solid {text}; border-radius: 6px; }}"
            f" QFrame#alertBanner QLabel {{ color: {text}; font-weight: 600; }}"
        )
        line = f"{event.severity.capitalize()}: {event.rule_name} — {event.detail or event.reason}"
        if more:
            line += f"  (+{more} more)"
        self.text.setText(line)
        self.show()

    @Slot()
    def _open(self) -> None:
        if self.alert is not None:
            self.openRequested.emit(self.alert.id)
        self.hide()
