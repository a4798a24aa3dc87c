"""The Errors panel's issue list model: the issues the store answered, updated in place.

Every live refresh brings the whole list again (at most a few hundred rows); the model
turns the new list into row removals, insertions and one layout change, so the view keeps
its selection and current row while issues move, and the user's place is not lost. Cells
are plain text in ``DisplayRole`` (titles and culprits come from the apps being watched
and are never markup); the level and the status colour their cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from console.core.store.issue_queries import IssueRow
from console.gui.text import plain_tooltip

__all__ = [
    "COLUMNS",
    "LEVEL_COLORS",
    "SORT_COLUMNS",
    "IssueTableModel",
    "Column",
    "describe_status",
    "one_line",
    "relative_time",
]

#: The table's columns, left to right.
COLUMNS = ("Level", "Issue", "Culprit", "Status", "Events", "Users", "Last 24 h", "First seen", "Last seen", "Releases")


class Column:
    """Column numbers of :data:`COLUMNS`, by name."""

    LEVEL, TITLE, CULPRIT, STATUS, EVENTS, USERS, TREND, FIRST_SEEN, LAST_SEEN, RELEASES = range(len(COLUMNS))


#: The columns a header click sorts by, and the IssueQuery sort they mean.
SORT_COLUMNS = {
    Column.EVENTS: "events",
    Column.USERS: "users",
    Column.FIRST_SEEN: "first_seen",
    Column.LAST_SEEN: "last_seen",
}

LEVEL_COLORS = {
    "fatal": QColor("#a50e0e"),
    "error": QColor("#c5221f"),
    "warning": QColor("#b06000"),
    "info": QColor("#1a73e8"),
    "debug": QColor("#5f6368"),
}
_STATUS_COLORS = {
    "regressed": QColor("#c5221f"),
    "resolved": QColor("#188038"),
    "ignored": QColor("#80868b"),
}
_NEW_COLOR = QColor("#1a73e8")
_STATUS_TIPS = {
    "unresolved": "Unresolved: nobody has resolved or ignored it yet",
    "regressed": "Regressed: it was resolved, then happened again",
    "resolved": "Resolved: no event since it was resolved",
    "ignored": "Ignored: hidden from the inbox until its ignore condition is met",
}

AnyIndex = QModelIndex | QPersistentModelIndex


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut at ``limit`` characters (the view elides the rest)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"


def relative_time(ts_ms: int, now_ms: int) -> str:
    """How long ago ``ts_ms`` was: 'just now', '3 min ago', '5 h ago', '2 d ago', a date."""
    seconds = max(0, (now_ms - ts_ms) // 1000)
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    if seconds < 30 * 86_400:
        return f"{seconds // 86_400} d ago"
    return f"{datetime.fromtimestamp(ts_ms / 1000):%Y-%m-%d}"


def _stamp(ts_ms: int) -> str:
    return f"{datetime.fromtimestamp(ts_ms / 1000):%Y-%m-%d %H:%M:%S}"


def describe_status(issue: IssueRow) -> str:
    """What an issue's status means for it, as its tooltips say."""
    text = _STATUS_TIPS.get(issue.status, issue.status)
    if issue.status == "ignored":
        until = []
        if issue.ignore_until_count is not None:
            more = max(0, issue.ignore_until_count - issue.event_count)
            until.append(f"{more:,} more event{'' if more == 1 else 's'}")
        if issue.ignore_until_ms is not None:
            until.append(_stamp(issue.ignore_until_ms))
        text = f"Ignored until {' or '.join(until)}" if until else "Ignored for good"
    return text


class IssueTableModel(QAbstractTableModel):
    """Issue rows in the order the store sorted them; see the module docstring.

    ``RowRole`` on any cell gives the row's :class:`IssueRow`; ``SparklineRole`` on the
    trend column gives its 24 hourly counts. An issue whose id is above ``new_after`` (the
    newest issue id when the panel opened) is marked new.
    """

    RowRole = Qt.ItemDataRole.UserRole + 1
    SparklineRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[IssueRow] = []
        self._now_ms = 0
        self.new_after: int | None = None

    # --- updating -------------------------------------------------------------------------

    def update(self, rows: Sequence[IssueRow], *, now_ms: int) -> None:
        """Show exactly ``rows`` in their order, moving the rows already shown."""
        self._now_ms = now_ms
        wanted = {row.id: row for row in rows}
        # Gone: removed one contiguous run at a time, bottom first.
        gone = [i for i, row in enumerate(self._rows) if row.id not in wanted]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        # Arrived: appended, then moved into place with the others below.
        shown = {row.id for row in self._rows}
        arrived = [row for row in rows if row.id not in shown]
        if arrived:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(arrived) - 1)
            self._rows.extend(arrived)
            self.endInsertRows()
        order = [row.id for row in rows]
        if [row.id for row in self._rows] != order:
            self.layoutAboutToBeChanged.emit()
            position = {issue_id: i for i, issue_id in enumerate(order)}
            old_rows = [row.id for row in self._rows]
            persistent = self.persistentIndexList()
            moved = [
                self.index(position[old_rows[index.row()]], index.column()) for index in persistent
            ]
            self._rows = [wanted[issue_id] for issue_id in order]
            self.changePersistentIndexList(persistent, moved)
            self.layoutChanged.emit()
        else:
            self._rows = [wanted[issue_id] for issue_id in order]
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def clear(self) -> None:
        """Show nothing."""
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    # --- reading --------------------------------------------------------------------------

    def row_at(self, row: int) -> IssueRow:
        """The issue shown at ``row``."""
        return self._rows[row]

    def row_of(self, issue_id: int) -> int | None:
        """The row showing issue ``issue_id``, None when it is not listed."""
        for row, issue in enumerate(self._rows):
            if issue.id == issue_id:
                return row
        return None

    def is_new(self, issue: IssueRow) -> bool:
        """Whether the issue appeared after the panel opened."""
        return self.new_after is not None and issue.id > self.new_after

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def display_text(self, row: int, column: int) -> str:
        """The plain text of one cell."""
        issue = self._rows[row]
        if column == Column.LEVEL:
            return issue.level
        if column == Column.TITLE:
            return one_line(issue.title)
        if column == Column.CULPRIT:
            return one_line(issue.culprit or "")
        if column == Column.STATUS:
            return f"{issue.status} · new" if self.is_new(issue) else issue.status
        if column == Column.EVENTS:
            return f"{issue.event_count:,}"
        if column == Column.USERS:
            return f"{issue.user_count:,}"
        if column == Column.TREND:
            return f"{sum(issue.sparkline):,} in 24 h"
        if column == Column.FIRST_SEEN:
            return relative_time(issue.first_seen, self._now_ms)
        if column == Column.LAST_SEEN:
            return relative_time(issue.last_seen, self._now_ms)
        if column == Column.RELEASES:
            if len(issue.releases) > 2:
                return f"{', '.join(issue.releases[:2])} +{len(issue.releases) - 2}"
            return ", ".join(issue.releases)
        return ""

    def _tooltip(self, issue: IssueRow, column: int) -> str | None:
        if column == Column.TITLE:
            return plain_tooltip(issue.title)
        if column == Column.CULPRIT and issue.culprit:
            return plain_tooltip(issue.culprit)
        if column == Column.STATUS:
            return plain_tooltip(describe_status(issue) + ("\nNew: first seen since this window opened" if self.is_new(issue) else ""))
        if column == Column.TREND:
            counts = ", ".join(str(n) for n in issue.sparkline)
            return plain_tooltip(f"events per hour over the last 24 hours, oldest first:\n{counts}")
        if column == Column.FIRST_SEEN:
            return plain_tooltip(_stamp(issue.first_seen))
        if column == Column.LAST_SEEN:
            return plain_tooltip(_stamp(issue.last_seen))
        if column == Column.RELEASES and issue.releases:
            return plain_tooltip("\n".join(issue.releases))
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        issue, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(index.row(), column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(issue, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == Column.LEVEL:
                return LEVEL_COLORS.get(issue.level)
            if column == Column.STATUS:
                return _STATUS_COLORS.get(issue.status) or (_NEW_COLOR if self.is_new(issue) else None)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if column == Column.TITLE or (
                column == Column.STATUS and (issue.status == "regressed" or self.is_new(issue))
            ):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.EVENTS, Column.USERS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.RowRole:
            return issue
        if role == self.SparklineRole and column == Column.TREND:
            return issue.sparkline
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section in SORT_COLUMNS:
            return f"Sort by {COLUMNS[section].lower()}"
        return None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
