"""The Logs panel's table model: log rows newest first, grown at both ends.

New rows from the live tail go in at the top, older pages fetched while scrolling go in at
the bottom; each batch is one insert. Cells are plain text in ``DisplayRole`` (log lines come
from the apps being watched and are never markup); the level colours its cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.core.store.log_queries import LogRow
from console.gui.text import plain_tooltip

__all__ = ["COLUMNS", "LogTableModel"]

#: The table's columns, left to right.
COLUMNS = ("Time", "Level", "Source", "Message", "Trace", "Session")

_LEVEL_COLORS = {
    "fatal": QColor("#a50e0e"),
    "error": QColor("#c5221f"),
    "warning": QColor("#b06000"),
    "info": QColor("#1a73e8"),
    "debug": QColor("#5f6368"),
}

AnyIndex = QModelIndex | QPersistentModelIndex


def clock(ts_ms: int) -> str:
    """A log time as the table shows it: date only when it is not today."""
    moment = datetime.fromtimestamp(ts_ms / 1000)
    text = f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"
    if moment.date() != datetime.now().date():
        text = f"{moment:%m-%d} {text}"
    return text


def _one_line(text: str, limit: int = 500) -> str:
    line = text.replace("\r", " ").replace("\n", " ⏎ ")
    return line if len(line) <= limit else line[:limit] + "…"


class LogTableModel(QAbstractTableModel):
    """Log rows, newest first, at most ``max_rows`` (the oldest leave when the tail grows).

    ``RowRole`` on any cell gives the row's :class:`LogRow`.
    """

    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, *, max_rows: int = 20_000, parent: Any = None) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[LogRow] = []

    @property
    def newest_id(self) -> int | None:
        """The event id of the newest row shown, None when empty."""
        return self._rows[0].event_id if self._rows else None

    @property
    def oldest_id(self) -> int | None:
        """The event id of the oldest row shown, None when empty."""
        return self._rows[-1].event_id if self._rows else None

    def reset(self, rows: Sequence[LogRow]) -> None:
        """Show exactly ``rows`` (newest first)."""
        self.beginResetModel()
        self._rows = list(rows[: self.max_rows])
        self.endResetModel()

    def prepend(self, rows: Sequence[LogRow]) -> int:
        """Put newer rows (newest first) on top; returns how many went in."""
        if not rows:
            return 0
        rows = rows[: self.max_rows]
        self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
        self._rows[:0] = rows
        self.endInsertRows()
        overflow = len(self._rows) - self.max_rows
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), self.max_rows, len(self._rows) - 1)
            del self._rows[self.max_rows :]
            self.endRemoveRows()
        return len(rows)

    def append(self, rows: Sequence[LogRow]) -> None:
        """Put older rows (newest first) at the bottom, within ``max_rows``."""
        room = self.max_rows - len(self._rows)
        rows = rows[: max(0, room)]
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def row_at(self, row: int) -> LogRow:
        """The log shown at ``row``."""
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def display_text(self, row: int, column: int) -> str:
        """The plain text of one cell."""
        log = self._rows[row]
        if column == 0:
            return clock(log.ts)
        if column == 1:
            return log.level
        if column == 2:
            return log.source or ""
        if column == 3:
            return _one_line(log.message)
        if column == 4:
            return log.trace_id[:8] if log.trace_id else ""
        return log.session_id or ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return plain_tooltip(self._rows[index.row()].message)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return _LEVEL_COLORS.get(self._rows[index.row()].level)
        if role == self.RowRole:
            return self._rows[index.row()]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None
