"""The live stream's table model: the newest events of every kind, newest on top, bounded.

:class:`StreamModel` adapts the :class:`~console.core.store.queries.StreamRow` lists the
reader worker sends. New rows arrive in batches and go in with one insert (and the oldest
leave with one remove), so a busy second costs the view one layout pass, not thousands.
Every cell is plain text in ``DisplayRole``: summaries come from the apps being watched and
must never be interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.core.store.queries import StreamRow

__all__ = ["COLUMNS", "StreamModel"]

#: The table's columns, left to right.
COLUMNS = ("Time", "Kind", "Summary", "Project", "Session")

_ERROR_COLOR = QColor("#c5221f")
_KIND_COLUMN = 1

AnyIndex = QModelIndex | QPersistentModelIndex


def _clock(ts_ms: int) -> str:
    moment = datetime.fromtimestamp(ts_ms / 1000)
    return f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"


def _cells(row: StreamRow) -> tuple[str, str, str, str, str]:
    # One line per event: a summary with line breaks would make rows of uneven height.
    summary = row.summary.replace("\r", " ").replace("\n", " ")
    return (_clock(row.ts), row.kind, summary, row.project, row.session_id or "")


class StreamModel(QAbstractTableModel):
    """At most ``max_rows`` stream rows, newest first, shown as plain text.

    ``RowRole`` on any cell gives the row's :class:`StreamRow`.

    Signals:
        none of its own; Qt's model signals (one rowsInserted and at most one rowsRemoved
        per :meth:`prepend`, modelReset per :meth:`reset`).
    """

    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, *, max_rows: int = 5_000, parent: Any = None) -> None:
        super().__init__(parent)
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.max_rows = max_rows
        self._rows: list[StreamRow] = []
        self._cells: list[tuple[str, str, str, str, str]] = []

    # --- updates ----------------------------------------------------------------------------

    def prepend(self, rows: Sequence[StreamRow]) -> None:
        """Put newer rows (newest first) on top; the oldest rows beyond ``max_rows`` leave."""
        if not rows:
            return
        rows = list(rows[: self.max_rows])
        overflow = len(self._rows) + len(rows) - self.max_rows
        if overflow > 0:
            keep = len(self._rows) - overflow
            self.beginRemoveRows(QModelIndex(), keep, len(self._rows) - 1)
            del self._rows[keep:]
            del self._cells[keep:]
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
        self._rows[0:0] = rows
        self._cells[0:0] = [_cells(r) for r in rows]
        self.endInsertRows()

    def reset(self, rows: Sequence[StreamRow]) -> None:
        """Replace everything with ``rows`` (newest first)."""
        self.beginResetModel()
        self._rows = list(rows[: self.max_rows])
        self._cells = [_cells(r) for r in self._rows]
        self.endResetModel()

    def row_at(self, row: int) -> StreamRow:
        """The stream row shown at ``row``."""
        return self._rows[row]

    def display_text(self, row: int, column: int) -> str:
        """The text shown in a cell."""
        return self._cells[row][column]

    # --- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(COLUMNS)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[row][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == _KIND_COLUMN and self._rows[row].kind == "error":
                return _ERROR_COLOR
            return None
        if role == self.RowRole:
            return self._rows[row]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None
