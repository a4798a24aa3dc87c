"""Table models of the Performance panel: routes with rated p75s, transaction names, instances.

Each model is a thin :class:`ColumnTableModel` over rows the core computed: a column says
how to print a row, how to sort it, and (for vitals) which rating colours its cell. The
models sort themselves when a header is clicked, so a selection survives a live refresh by
key (route or name), not by row number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTableView

from console.core.analysis.page_load_report import RouteRow, too_few_text
from console.core.analysis.transaction_report import TransactionRow
from console.core.analysis.vitals import Rating
from console.core.store.perf_queries import TransactionInstance
from console.gui.performance.units import RATING_COLOURS, RATING_WORDS, format_change, format_value, label

__all__ = [
    "Column", "ColumnTableModel", "InstanceTableModel", "RouteTableModel", "TransactionTableModel", "refill",
    "select_keys",
]

Row = TypeVar("Row")
_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    """How one column shows a row."""

    header: str
    text: Callable[[Row], str]
    sort_key: Callable[[Row], Any]
    rating: Callable[[Row], Rating | None] | None = None
    tooltip: Callable[[Row], str] | None = None
    numeric: bool = True


class ColumnTableModel(QAbstractTableModel, Generic[Row]):
    """Rows shown through :class:`Column` specs, sortable by any column."""

    def __init__(self, columns: Sequence[Column[Row]], *, key: Callable[[Row], str]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows: list[Row] = []
        self._key = key
        self._sort_column: int | None = None
        self._descending = True

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.columns):
                return self.columns[section].header
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.columns):
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT) if column.numeric else None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and column.rating is not None:
            rating = column.rating(row)
            if rating is None:
                return None
            text, background = RATING_COLOURS[rating]
            return QBrush(QColor(background if role == Qt.ItemDataRole.BackgroundRole else text))
        if role == Qt.ItemDataRole.FontRole and column.rating is not None:
            rating = column.rating(row)
            if rating is not None and rating is not Rating.TOO_FEW:
                font = QFont()
                font.setBold(True)
                return font
        return None

    def key_of(self, row: int) -> str:
        """The key (route, name, event id) of a row."""
        return self._key(self.rows[row])

    def row_of(self, key: str) -> int | None:
        """The row showing ``key``, if any."""
        return next((i for i, r in enumerate(self.rows) if self._key(r) == key), None)

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (in the current sort order)."""
        self.beginResetModel()
        self.rows = list(rows)
        self._apply_sort()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        self._apply_sort()
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        if self._sort_column is None or not 0 <= self._sort_column < len(self.columns):
            return
        key = self.columns[self._sort_column].sort_key
        present = [r for r in self.rows if key(r) is not None]
        missing = [r for r in self.rows if key(r) is None]
        present.sort(key=key, reverse=self._descending)
        self.rows = present + missing  # rows without a value sink to the bottom either way


def select_keys(view: QTableView, model: ColumnTableModel[Any], keys: Iterable[str]) -> None:
    """Select the rows showing ``keys`` in ``view`` (others are deselected), as clicks would."""
    selection = view.selectionModel()
    selection.clearSelection()
    for key in keys:
        row = model.row_of(key)
        if row is not None:
            selection.select(model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)


def refill(view: QTableView, model: ColumnTableModel[Row], rows: Sequence[Row], selected: Iterable[str]) -> None:
    """Show ``rows`` and select ``selected`` again, without announcing a selection change."""
    selection = view.selectionModel()
    selection.blockSignals(True)
    model.set_rows(rows)
    select_keys(view, model, selected)
    selection.blockSignals(False)
    view.viewport().update()


def _vital_column(metric: str) -> Column[RouteRow]:
    def text(row: RouteRow) -> str:
        value = format_value(metric, row.p75.get(metric))
        change = format_change(row.change(metric))
        return f"{value}  {change}" if change else value

    def tooltip(row: RouteRow) -> str:
        samples = row.samples.get(metric, 0)
        rating = row.rating(metric)
        if rating is Rating.TOO_FEW or rating is None:
            head = f"{label(metric)} p75 {format_value(metric, row.p75.get(metric))}: {too_few_text(samples)}"
        else:
            head = f"{label(metric)} p75 {format_value(metric, row.p75.get(metric))} — {RATING_WORDS[rating]}"
            head += f", {samples:,} loads"
        before = row.previous_p75.get(metric)
        if before is not None:
            head += f"\nprevious period: {format_value(metric, before)} over {row.previous_samples.get(metric, 0):,} loads"
        return head

    return Column(
        header=f"{label(metric)} p75", text=text, sort_key=lambda r: r.p75.get(metric),
        rating=lambda r: r.rating(metric), tooltip=tooltip,
    )


class RouteTableModel(ColumnTableModel[RouteRow]):
    """Pages (routes) with their loads and each vital's p75 in its rating colour."""

    def __init__(self, metrics: Sequence[str]) -> None:
        columns: list[Column[RouteRow]] = [
            Column("Page", lambda r: r.route, lambda r: r.route, numeric=False, tooltip=lambda r: r.route),
            Column(
                "Loads",
                lambda r: f"{r.loads:,}  {format_change(r.loads_change)}".rstrip(),
                lambda r: r.loads,
                tooltip=lambda r: f"{r.loads:,} loads; previous period {r.previous_loads:,}",
            ),
        ]
        columns += [_vital_column(m) for m in metrics]
        super().__init__(columns, key=lambda r: r.route)


def _ms(value: float | None) -> str:
    return format_value("duration_ms", value)


class TransactionTableModel(ColumnTableModel[TransactionRow]):
    """Transaction names with count, throughput, duration percentiles and failure rate."""

    def __init__(self) -> None:
        columns: list[Column[TransactionRow]] = [
            Column("Transaction", lambda r: r.name, lambda r: r.name, numeric=False, tooltip=lambda r: r.name),
            Column("Count", lambda r: f"{r.count:,}", lambda r: r.count),
            Column("Per min", lambda r: f"{r.per_minute:,.2f}", lambda r: r.per_minute),
            Column("p50", lambda r: _ms(r.p50), lambda r: r.p50),
            Column(
                "p95",
                lambda r: f"{_ms(r.p95)}  {format_change(r.p95_change)}".rstrip(),
                lambda r: r.p95,
                tooltip=lambda r: f"p95 {_ms(r.p95)}; previous period {_ms(r.previous_p95)} over {r.previous_count:,}",
            ),
            Column("p99", lambda r: _ms(r.p99), lambda r: r.p99),
            Column(
                "Failure rate",
                lambda r: f"{r.failure_rate * 100:.1f}%",
                lambda r: r.failure_rate,
                tooltip=lambda r: f"{r.failures:,} of {r.count:,} failed",
            ),
        ]
        super().__init__(columns, key=lambda r: r.name)


def _clock(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1000).strftime("%m-%d %H:%M:%S")


class InstanceTableModel(ColumnTableModel[TransactionInstance]):
    """The slowest instances of the chosen transactions, slowest first."""

    def __init__(self) -> None:
        columns: list[Column[TransactionInstance]] = [
            Column("Time", lambda r: _clock(r.ts), lambda r: r.ts, numeric=False),
            Column("Transaction", lambda r: r.name, lambda r: r.name, numeric=False),
            Column("Duration", lambda r: _ms(r.duration_ms), lambda r: r.duration_ms),
            Column("Spans", lambda r: f"{r.span_count or 0:,}", lambda r: r.span_count or 0),
            Column("Status", lambda r: r.status or "–", lambda r: r.status or "", numeric=False),
            Column("User", lambda r: r.user_id or "–", lambda r: r.user_id or "", numeric=False),
            Column("Session", lambda r: r.session_id or "–", lambda r: r.session_id or "", numeric=False),
            Column("Release", lambda r: r.release or "–", lambda r: r.release or "", numeric=False),
        ]
        super().__init__(columns, key=lambda r: str(r.event_id))
