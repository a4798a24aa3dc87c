"""The Breadcrumbs tab: what the app did before the error, oldest first, by category.

Times are relative to the error ("-12.4 s": twelve seconds before it). The category filter
lists the categories the error's breadcrumbs have, with their counts. Cells are plain text;
a breadcrumb's data is shown as one line of JSON, all of it in the tooltip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.error_detail import Breadcrumb
from console.gui.errors.model import LEVEL_COLORS, one_line
from console.gui.text import plain_tooltip

__all__ = ["BREADCRUMB_COLUMNS", "BreadcrumbModel", "BreadcrumbsPane", "json_text", "offset_text"]

#: The breadcrumb table's columns, left to right.
BREADCRUMB_COLUMNS = ("Time", "Type", "Category", "Message", "Level", "Data")

AnyIndex = QModelIndex | QPersistentModelIndex


def offset_text(offset_ms: int | None) -> str:
    """A time relative to the error: '-12.4 s', '+0.3 s', '-2 min 05.0 s'; '–' when unknown."""
    if offset_ms is None:
        return "–"
    if offset_ms == 0:
        return "0.0 s"
    sign = "-" if offset_ms < 0 else "+"
    seconds = abs(offset_ms) / 1000
    if seconds < 60:
        return f"{sign}{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{sign}{minutes:.0f} min {rest:04.1f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:.0f} h {minutes:02.0f} min"


def json_text(value: Any, *, indent: bool = False) -> str:
    """``value`` as JSON text (anything not JSON shown by its str)."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option | orjson.OPT_NON_STR_KEYS, default=str).decode()


class BreadcrumbModel(QAbstractTableModel):
    """An error's breadcrumbs in order, optionally only those of one category.

    ``CrumbRole`` on any cell gives the row's :class:`Breadcrumb`.
    """

    CrumbRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[Breadcrumb] = []
        self._rows: list[Breadcrumb] = []
        self._category: str | None = None

    def show_breadcrumbs(self, crumbs: Sequence[Breadcrumb]) -> None:
        """Show these breadcrumbs (oldest first), keeping the category filter."""
        self.beginResetModel()
        self._all = list(crumbs)
        self._rows = self._filtered()
        self.endResetModel()

    def set_category(self, category: str | None) -> None:
        """Show only breadcrumbs of ``category`` (None: all)."""
        self.beginResetModel()
        self._category = category
        self._rows = self._filtered()
        self.endResetModel()

    def categories(self) -> list[tuple[str, int]]:
        """The categories of every breadcrumb, most frequent first, with their counts."""
        return Counter(crumb.category for crumb in self._all).most_common()

    def _filtered(self) -> list[Breadcrumb]:
        if self._category is None:
            return list(self._all)
        return [crumb for crumb in self._all if crumb.category == self._category]

    def crumb_at(self, row: int) -> Breadcrumb:
        """The breadcrumb shown at ``row``."""
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(BREADCRUMB_COLUMNS)

    def display_text(self, row: int, column: int) -> str:
        """The plain text of one cell."""
        crumb = self._rows[row]
        if column == 0:
            return offset_text(crumb.offset_ms)
        if column == 1:
            return crumb.type
        if column == 2:
            return crumb.category
        if column == 3:
            return one_line(crumb.message)
        if column == 4:
            return crumb.level
        return one_line(json_text(crumb.data), 300) if crumb.data else ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        crumb, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(index.row(), column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3 and crumb.message:
                return plain_tooltip(crumb.message)
            if column == 5 and crumb.data:
                return plain_tooltip(json_text(crumb.data, indent=True))
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return LEVEL_COLORS.get(crumb.level)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.CrumbRole:
            return crumb
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(BREADCRUMB_COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return BREADCRUMB_COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == 0:
                return "Time relative to the error (negative: before it)"
        return None


class BreadcrumbsPane(QWidget):
    """The Breadcrumbs tab: a category filter over the breadcrumb table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.category = QComboBox()
        self.category.setMinimumContentsLength(16)
        self.category.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model = BreadcrumbModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        for column, width in ((0, 80), (1, 80), (2, 110), (4, 64)):
            header.resizeSection(column, width)
        header.resizeSection(3, 380)
        header.setStretchLastSection(True)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.category)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.category.currentIndexChanged.connect(self._choose)

    def show_breadcrumbs(self, crumbs: Sequence[Breadcrumb]) -> None:
        """Show an error's breadcrumbs; the chosen category stays when the new error has it."""
        chosen = self.category.currentData()
        self.model.show_breadcrumbs(crumbs)
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(f"All categories ({len(crumbs)})", None)
        for name, count in self.model.categories():
            self.category.addItem(f"{name} ({count})", name)
        index = self.category.findData(chosen) if chosen is not None else 0
        self.category.setCurrentIndex(max(0, index))
        self.category.blockSignals(False)
        self.model.set_category(self.category.currentData())
        if not crumbs:
            self.summary.setText("No breadcrumbs were sent with this error")
        else:
            self.summary.setText(f"{len(crumbs)} breadcrumbs, oldest first; times relative to the error")

    @Slot(int)
    def _choose(self, _index: int) -> None:
        self.model.set_category(self.category.currentData())
