"""A session's timeline: everything one session did, oldest first, each item a way into its panel.

:class:`TimelineView` lists the :class:`~console.core.store.session_queries.TimelineItem` rows
the core returns for one session — page views, interactions, network requests, transactions,
errors, logs and custom events — with their offset from the session's start, their kind and
their summary. Selecting an item shows its typed columns below the table; double-clicking it
or pressing Enter asks for it in its own panel (an error at its issue, a transaction's
waterfall, a log line; a page view, click, request or event in the Analytics tab that charts
it), which the window does on ``openRequested``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from console.core.store.session_queries import SessionRow, TimelineItem
from console.gui.analytics.item_views import item_view
from console.gui.errors.breadcrumbs import offset_text
from console.gui.errors.model import one_line
from console.gui.performance.tables import Column, ColumnTableModel
from console.gui.text import plain_tooltip

__all__ = ["OPENED_ELSEWHERE", "PANEL_TITLES", "TimelineModel", "TimelineView", "duration_text", "moment_text"]

#: How an item's panel is named to the user ("opens in Errors").
PANEL_TITLES = {
    "errors": "Errors", "performance": "Performance", "logs": "Logs", "analytics": "Analytics",
    "overview": "Overview", "alerts": "Alerts", "experiments": "Experiments", "metrics": "Metrics",
}
#: The panels the window opens an item in (the others' items stay where they are).
OPENED_ELSEWHERE = frozenset({"errors", "logs", "performance"})
#: Kinds that stand out in the list: what went wrong in red, what the product wants in green.
_LABEL_COLOURS = {"error": "#c5221f", "conversion": "#137333"}

_Index = QModelIndex | QPersistentModelIndex


def duration_text(ms: int | None) -> str:
    """A session's length: '850 ms', '42 s', '3 min 05 s', '2 h 07 min'; '–' when unknown."""
    if ms is None or ms < 0:
        return "–"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def moment_text(ts_ms: int | None) -> str:
    """A start or a last-seen time: the time alone today, with the date otherwise."""
    if ts_ms is None:
        return "–"
    moment = datetime.fromtimestamp(ts_ms / 1000)
    if moment.date() == datetime.now().date():
        return f"{moment:%H:%M:%S}"
    return f"{moment:%Y-%m-%d %H:%M}"


def _detail_text(item: TimelineItem) -> str:
    pairs = [f"{key}: {value}" for key, value in item.detail.items() if value not in (None, "")]
    return " · ".join(pairs)


class TimelineModel(ColumnTableModel[TimelineItem]):
    """A session's items in the store's order (oldest first); errors red, conversions green."""

    def __init__(self) -> None:
        columns: list[Column[TimelineItem]] = [
            Column("Time", lambda i: offset_text(i.offset_ms), lambda i: i.offset_ms,
                   tooltip=lambda i: f"{moment_text(i.ts)} ({i.ts} ms UTC)"),
            Column("Kind", lambda i: i.label, lambda i: i.label, numeric=False),
            Column("Summary", lambda i: one_line(i.summary, 300), lambda i: i.summary, numeric=False,
                   tooltip=lambda i: plain_tooltip(i.summary)),
        ]
        super().__init__(columns, key=lambda i: str(i.event_id))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.row() < len(self.rows):
            colour = _LABEL_COLOURS.get(self.rows[index.row()].label)
            return QBrush(QColor(colour)) if colour else None
        return super().data(index, role)


class _TimelineTable(QTableView):
    """The timeline's table: Enter activates the current item, as a double-click does.

    ``activated`` is not used: some desktop styles emit it on a single click, and an item
    that opens another panel must not be opened by merely selecting it.
    """

    enterPressed = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.enterPressed.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class TimelineView(QWidget):
    """One session's timeline; see the module docstring.

    Signals:
        openRequested(object): the user asked for this TimelineItem in its own panel.
        shown(): a timeline was put on screen.
    """

    openRequested = Signal(object)
    shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: SessionRow | None = None
        self.caption = QLabel("Select a session to see its timeline")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setStyleSheet("font-weight: 600; color: #3c4043;")
        self.model = TimelineModel()
        self.table = _TimelineTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 100)
        header.resizeSection(1, 140)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.detail = QLabel("")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: #5f6368;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.table.doubleClicked.connect(self._activate)
        self.table.enterPressed.connect(self._activate)
        self.table.selectionModel().selectionChanged.connect(self._selected)

    def show_timeline(self, session: SessionRow, items: Sequence[TimelineItem], *, limit: int | None = None) -> None:
        """List ``items`` (oldest first) of ``session``, keeping the selected item selected."""
        selected = self.selected_item()
        self.session = session
        self.model.set_rows(items)
        if selected is not None:
            row = self.model.row_of(str(selected.event_id))
            if row is not None:
                self.table.selectRow(row)
        count = len(items)
        who = session.user_id or "anonymous user"
        device = " · ".join(p for p in (session.device, session.platform) if p)
        cut = f" (the first {count:,})" if limit is not None and count >= limit else ""
        self.caption.setText(
            f"Session {session.session_id} — {who}{', ' + device if device else ''}, "
            f"{duration_text(session.duration_ms)}: {count:,} event{'s' if count != 1 else ''}{cut}, oldest first"
        )
        if selected is None:
            self.detail.setText("Double-click an event, or select it and press Enter, to open it in its panel")
        self.shown.emit()

    def clear(self, text: str = "Select a session to see its timeline") -> None:
        """Show no session."""
        self.session = None
        self.model.set_rows([])
        self.caption.setText(text)
        self.detail.setText("")

    def selected_item(self) -> TimelineItem | None:
        """The item selected in the table, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.model.rowCount():
            return None
        return self.model.rows[rows[0].row()]

    def row_texts(self) -> list[tuple[str, str, str]]:
        """What each row reads (time, kind, summary), top to bottom."""
        return [
            tuple(self.model.data(self.model.index(r, c)) for c in range(3))
            for r in range(self.model.rowCount())
        ]

    @Slot()
    def _selected(self, *_args: object) -> None:
        item = self.selected_item()
        if item is None:
            return
        view = item_view(item)
        where = PANEL_TITLES.get(item.panel, "") if item.panel in OPENED_ELSEWHERE else ""
        where = f"Analytics · {view.tab}" if view is not None else where
        opens = f" — double-click or Enter opens it in {where}" if where else ""
        detail = _detail_text(item)
        self.detail.setText(f"{moment_text(item.ts)} · {item.label}{' · ' + detail if detail else ''}{opens}")

    @Slot(QModelIndex)
    def _activate(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < self.model.rowCount():
            self.openRequested.emit(self.model.rows[index.row()])
