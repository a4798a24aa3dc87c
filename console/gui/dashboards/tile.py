"""One widget's place on a dashboard: a framed tile with a heading, a menu and what it shows.

:class:`WidgetTile` is the frame every widget shares: its title, a caption (the range, or the
aggregation and the range), a small menu (edit, move left/right/up/down, remove) and a body
that is either the widget's content or a "no data: <reason>" line, never an empty box. The
content is a card's figure (:mod:`console.gui.dashboards.card`) or a chart
(:mod:`console.gui.dashboards.chart`). A tile asks for fresh data every ``refresh_s`` of its
widget while it is on screen; whoever placed it submits the query.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.dashboard import Widget
from console.core.store.widget_queries import WidgetData

__all__ = ["MENU_ACTIONS", "TILE_STYLE", "TileContent", "WidgetTile"]

#: The tile menu's entries: what each asks for → its text.
MENU_ACTIONS = {
    "edit": "Edit widget…", "left": "Move left", "right": "Move right", "up": "Move up", "down": "Move down",
    "remove": "Remove widget",
}

TILE_STYLE = """
QFrame#dashboardTile { background: #ffffff; border: 1px solid #dadce0; border-radius: 8px; }
QLabel#tileTitle { color: #3c4043; font-size: 12px; font-weight: 600; }
QLabel#tileCaption { color: #80868b; font-size: 11px; }
QLabel#tileNoData { color: #80868b; font-size: 12px; }
QToolButton#tileMenu { border: none; color: #5f6368; font-size: 14px; padding: 0 4px; }
QToolButton#tileMenu:hover { background: #f1f3f4; border-radius: 4px; }
QToolButton#tileMenu::menu-indicator { image: none; width: 0; }
"""


class TileContent(QWidget):
    """What a tile shows of its data (a card's figure, a chart); subclasses draw it."""

    def show_data(self, widget: Widget, data: WidgetData, sample: int | None) -> None:
        """Draw ``data``; ``sample``: how many values a rated p75 is of (None: not rated)."""
        raise NotImplementedError

    def caption(self, widget: Widget) -> str:
        """The small line beside the title."""
        raise NotImplementedError


class WidgetTile(QFrame):
    """One dashboard widget: heading, menu, and its content or why there is none.

    Signals:
        actionRequested(str): the user chose a menu entry (a key of :data:`MENU_ACTIONS`).
        refreshDue(): the widget's refresh interval passed while it is on screen (or it was
            shown with data older than that).
    """

    actionRequested = Signal(str)
    refreshDue = Signal()

    def __init__(self, widget: Widget, content: TileContent, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardTile")
        self.setStyleSheet(TILE_STYLE)
        self.widget = widget
        self.content = content
        self.data: WidgetData | None = None
        self._answered_at: float | None = None  # time.monotonic() of the last answer

        self.title_label = QLabel(widget.label(), objectName="tileTitle")
        self.caption_label = QLabel(content.caption(widget), objectName="tileCaption")
        self.no_data_label = QLabel("loading…", objectName="tileNoData")
        for label in (self.title_label, self.caption_label, self.no_data_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        # A long title or caption is clipped, never widening the tile (and the grid).
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title_label.setMinimumWidth(40)
        self.title_label.setToolTip(widget.metric_label())
        self.no_data_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_data_label.setWordWrap(True)
        self.no_data_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.menu = QMenu(self)
        self.menu_actions: dict[str, QAction] = {}
        for key, text in MENU_ACTIONS.items():
            if key == "remove":
                self.menu.addSeparator()
            action = self.menu.addAction(text)
            action.triggered.connect(lambda _checked=False, k=key: self.actionRequested.emit(k))
            self.menu_actions[key] = action
        self.menu_button = QToolButton(objectName="tileMenu")
        self.menu_button.setText("⋯")
        self.menu_button.setToolTip("Edit, move or remove this widget")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self.menu)

        heading = self.heading = QHBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.setSpacing(6)
        heading.addWidget(self.title_label, 1)
        heading.addWidget(self.caption_label)
        heading.addWidget(self.menu_button)

        self.body = QStackedWidget()
        self.body.addWidget(content)
        self.body.addWidget(self.no_data_label)
        self.body.setCurrentWidget(self.no_data_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(heading)
        layout.addWidget(self.body, 1)

        self._started = False
        self._timer = QTimer(self)
        self._timer.setObjectName("lookout.gui.dashboards.widget-refresh")
        self._timer.setInterval(widget.refresh_s * 1000)
        self._timer.timeout.connect(self._tick)

    # --- the heading --------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_heading()

    def fit_heading(self) -> None:
        """Fit the title beside the caption and the menu: in a narrow tile the caption goes
        (the title's tooltip keeps it), then the title ends in "…" rather than being cut
        through a letter."""
        title, caption = self.widget.label(), self.caption_label.text()
        for label in (self.title_label, self.caption_label):
            label.ensurePolished()  # measured in the style sheet's font
        spacing = self.heading.spacing()
        left, _top, right, _bottom = self.layout().getContentsMargins()
        room = self.width() - left - right - self.menu_button.sizeHint().width() - spacing
        metrics = self.title_label.fontMetrics()
        # The glyphs' ink, which can overhang the advance (a bold ")"), and a pixel of air.
        needed = max(metrics.horizontalAdvance(title), metrics.boundingRect(title).right() + 1) + 2
        fits_caption = needed + spacing + self.caption_label.sizeHint().width() <= room
        self.caption_label.setVisible(fits_caption)
        shown = title if fits_caption or needed <= room else metrics.elidedText(
            title, Qt.TextElideMode.ElideRight, max(room, 0))
        self.title_label.setText(shown)
        tip = self.widget.metric_label()
        self.title_label.setToolTip(tip if fits_caption else f"{title}\n{tip} · {caption}")

    # --- life -------------------------------------------------------------------------------

    def start(self) -> None:
        """Refresh every ``refresh_s`` from now on, while on screen (the timer runs only then)."""
        self._started = True
        if self.isVisible():
            self._timer.start()

    def stop(self) -> None:
        self._started = False
        self._timer.stop()

    def set_moves(self, allowed: frozenset[str]) -> None:
        """Enable the move entries the grid allows."""
        for key in ("left", "right", "up", "down"):
            self.menu_actions[key].setEnabled(key in allowed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._started:
            self._timer.start()
        stale = self._answered_at is not None and time.monotonic() - self._answered_at >= self.widget.refresh_s
        if stale:
            self.refreshDue.emit()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()  # showEvent asks again if what it shows has gone stale

    @Slot()
    def _tick(self) -> None:
        if self.isVisible():
            self.refreshDue.emit()

    # --- what the store answered ------------------------------------------------------------

    @property
    def shown_text(self) -> str:
        """What the body reads when it has no content on screen ('' when it has)."""
        return "" if self.body.currentWidget() is self.content else self.no_data_label.text()

    def show_data(self, data: WidgetData, sample: int | None = None) -> None:
        """Draw ``data`` (``sample``: the values a rated p75 is of), or say why there is nothing."""
        self.data = data
        self._answered_at = time.monotonic()
        self.content.show_data(self.widget, data, sample)
        if data.no_data_reason and not self._has_something(data):
            self.no_data_label.setText(f"no data: {data.no_data_reason}")
            self.body.setCurrentWidget(self.no_data_label)
        else:
            self.body.setCurrentWidget(self.content)

    def show_failure(self, message: str) -> None:
        """The store could not be read for this widget."""
        self._answered_at = time.monotonic()
        self.no_data_label.setText(f"no data: {message}")
        self.body.setCurrentWidget(self.no_data_label)

    def _has_something(self, data: WidgetData) -> bool:
        """Whether there is more to show than the reason: a card's count of 0 is a figure (the
        reason goes under it), a chart of nothing is not."""
        return self.widget.kind == "card" and data.value is not None
