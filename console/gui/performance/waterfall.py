"""The span waterfall of one transaction: every span as a bar on the transaction's timeline.

The left column names each span (its op in bold, then its description), indented by its
depth in the span tree; the right column draws it as a bar from its start for its duration,
blue when it succeeded, red when it failed, grey when its status says neither, with its
duration and self time beside it. The timeline's header carries the time axis. Rows come
from :func:`console.core.analysis.waterfall.build_waterfall`; the view only draws them, one
table row per span, painted by delegates, so thousands of spans cost only the visible rows.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.waterfall import Outcome, Waterfall, WaterfallRow
from console.gui.text import plain_tooltip

__all__ = [
    "OUTCOME_COLOURS",
    "WATERFALL_COLUMNS",
    "Timeline",
    "WaterfallModel",
    "WaterfallView",
    "duration_text",
]

#: The waterfall's columns, left to right.
WATERFALL_COLUMNS = ("Span", "Timeline")
SPAN_COLUMN, TIMELINE_COLUMN = 0, 1

#: Bar colours by how the span ended.
OUTCOME_COLOURS: dict[Outcome, str] = {"ok": "#1a73e8", "failed": "#d93025", "unknown": "#9aa0a6"}

EMPTY_TEXT = "Select a transaction to see its spans"

_ROW_HEIGHT = 22
_BAR_HEIGHT = 12
_PAD = 8.0  # the timeline's margin inside its column, left and right
_INDENT = 14
_MAX_INDENT_DEPTH = 24  # deeper spans stop moving right, so the name stays readable
_TICK_SPACING = 90  # pixels wanted between time-axis ticks
_GRID = QColor(0, 0, 0, 36)

_Index = QModelIndex | QPersistentModelIndex


def duration_text(ms: float) -> str:
    """A span's duration as a reader expects it: '12.2 ms' up to a second, then '1.24 s'."""
    if abs(ms) >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms"


class Timeline:
    """The shared time axis: which milliseconds the timeline column spans, and its ticks."""

    def __init__(self, low: float = 0.0, high: float = 0.0) -> None:
        self.low = low
        self.high = high

    def scale(self, width: float) -> float:
        """Pixels per millisecond across ``width`` pixels of timeline."""
        return width / (self.high - self.low) if self.high > self.low else 0.0

    def bar(self, cell: QRectF | QRect, start_ms: float, duration_ms: float) -> QRectF:
        """Where a span's bar goes inside a timeline cell: its start and length ∝ the axis."""
        area = QRectF(cell)
        width = max(1.0, area.width() - 2 * _PAD)
        scale = self.scale(width)
        x = area.left() + _PAD + (start_ms - self.low) * scale
        length = max(2.0, duration_ms * scale)  # a 0 ms span is still a visible mark
        return QRectF(x, area.center().y() - _BAR_HEIGHT / 2, length, _BAR_HEIGHT)

    def ticks(self, width: float) -> list[tuple[float, str]]:
        """Round times (1, 2 or 5 × 10ⁿ ms apart) across ``width`` pixels, with their labels."""
        span = self.high - self.low
        if span <= 0 or width <= 0:
            return []
        wanted = max(2, int(width // _TICK_SPACING))
        magnitude = 10 ** math.floor(math.log10(span / wanted))
        steps = [m * magnitude for m in (0.5, 1, 2, 5, 10)]
        choice = next(i for i, step in enumerate(steps) if step >= span / wanted)

        def grid(step: float) -> tuple[float, int]:
            first = math.ceil(self.low / step) * step
            return first, int(math.floor((self.high - first) / step + 1e-9)) + 1

        first, count = grid(steps[choice])
        while count < 2 and choice > 0:  # a narrow column: finer steps rather than one tick
            choice -= 1
            first, count = grid(steps[choice])
        step = steps[choice]
        in_seconds = self.high >= 1000
        unit_step = step / 1000 if in_seconds else step
        decimals = max(0, -math.floor(math.log10(unit_step) + 1e-9))
        ticks = []
        for i in range(count):
            at = first + i * step
            value = round(at / 1000 if in_seconds else at, decimals) + 0.0  # + 0.0: no "-0"
            ticks.append((at, f"{value:.{decimals}f} {'s' if in_seconds else 'ms'}"))
        return ticks


class WaterfallModel(QAbstractTableModel):
    """A waterfall's rows: the span's name, and its timing (the text beside its bar).

    ``RowRole`` on any cell gives the row's :class:`WaterfallRow`.
    """

    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[WaterfallRow, ...] = ()
        self._has_children: list[bool] = []

    def show_waterfall(self, waterfall: Waterfall | None) -> None:
        """Show this waterfall's rows (None: none)."""
        self.beginResetModel()
        self._rows = waterfall.rows if waterfall is not None else ()
        depths = [row.depth for row in self._rows]
        self._has_children = [b > a for a, b in zip(depths, depths[1:], strict=False)] + [False] * bool(depths)
        self.endResetModel()

    def row_at(self, row: int) -> WaterfallRow:
        """The span shown at ``row``."""
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(WATERFALL_COLUMNS)

    def display_text(self, row: int, column: int) -> str:
        """The plain text of one cell: 'db.query SELECT …' or '801.7 ms · self 790.0 ms'."""
        span = self._rows[row]
        if column == SPAN_COLUMN:
            return " ".join(part for part in (span.op, span.description) if part) or "span"
        took = duration_text(span.duration_ms)
        if self._has_children[row]:
            return f"{took} · self {duration_text(span.self_ms)}"
        return took

    def tooltip_text(self, row: int) -> str:
        """Everything about one span, exactly."""
        span = self._rows[row]
        lines = [
            " ".join(part for part in (span.op, span.description) if part) or "span",
            f"start: {span.start_ms:.3f} ms after the transaction's start",
            f"duration: {span.duration_ms:.3f} ms",
            f"self time: {span.self_ms:.3f} ms",
            f"status: {span.status if span.status is not None else 'none'}{' (failed)' if span.failed else ''}",
            f"span id: {span.span_id or 'none'}",
        ]
        if span.parent_id and not span.is_root:
            lines.append(f"parent id: {span.parent_id}")
        return "\n".join(lines)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self.tooltip_text(index.row()))
        if role == self.RowRole:
            return self._rows[index.row()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(WATERFALL_COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return WATERFALL_COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == TIMELINE_COLUMN:
                return "Time from the transaction's start"
        return None


def _background(option: QStyleOptionViewItem, index: _Index, painter: QPainter, delegate: QStyledItemDelegate) -> None:
    """The cell's selection and alternating background, without its text."""
    background = QStyleOptionViewItem(option)
    delegate.initStyleOption(background, index)
    background.text = ""
    widget = background.widget
    if widget is not None:
        widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)


def _text_colour(option: QStyleOptionViewItem) -> QColor:
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    return option.palette.color(role)


class _SpanDelegate(QStyledItemDelegate):
    """Paints a span's op in bold and its description, indented by its depth."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        _background(option, index, painter, self)
        span: WaterfallRow | None = index.data(WaterfallModel.RowRole)
        if span is None:
            return
        rect = QRect(option.rect).adjusted(6 + _INDENT * min(span.depth, _MAX_INDENT_DEPTH), 0, -4, 0)
        painter.save()
        text = _text_colour(option)
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if span.op:
            bold = QFont(option.font)
            bold.setBold(True)
            painter.setFont(bold)
            # A failed span's op in the failure colour: failures stand out in the names too.
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            painter.setPen(QColor(OUTCOME_COLOURS["failed"]) if span.failed and not selected else text)
            op = painter.fontMetrics().elidedText(span.op, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(rect, flags, op)
            rect.setLeft(rect.left() + painter.fontMetrics().horizontalAdvance(op) + 6)
        painter.setFont(option.font)
        painter.setPen(text)
        description = span.description or ("" if span.op else "span")
        if rect.width() > 8 and description:
            shown = painter.fontMetrics().elidedText(description, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(rect, flags, shown)
        painter.restore()


class _BarDelegate(QStyledItemDelegate):
    """Paints a span's bar on the timeline, the axis's grid, and the timing beside the bar."""

    def __init__(self, timeline: Timeline, parent: Any = None) -> None:
        super().__init__(parent)
        self._timeline = timeline

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        _background(option, index, painter, self)
        span: WaterfallRow | None = index.data(WaterfallModel.RowRole)
        if span is None:
            return
        cell = QRectF(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(_GRID, 1))
        for at, _label in self._timeline.ticks(cell.width() - 2 * _PAD):
            x = round(self._timeline.bar(cell, at, 0).left())
            painter.drawLine(x, option.rect.top(), x, option.rect.bottom())
        bar = self._timeline.bar(cell, span.start_ms, span.duration_ms)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(OUTCOME_COLOURS[span.outcome]))
        painter.drawRect(bar)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        needed = option.fontMetrics.horizontalAdvance(text) + 6
        right_room = cell.right() - 2 - bar.right() - 6
        left_room = bar.left() - 6 - (cell.left() + 2)
        # Beside the bar where it fits, else on the bar, else cut short in the widest room.
        if needed <= right_room:
            side = "right"
        elif needed <= left_room:
            side = "left"
        elif needed <= bar.width():
            side = "on"
        else:
            side = max((right_room, "right"), (left_room, "left"), (bar.width() - 6, "on"))[1]
        painter.setPen(QColor("white") if side == "on" else _text_colour(option))
        if side == "right":
            place = QRectF(bar.right() + 6, cell.top(), max(0.0, right_room), cell.height())
            flags = Qt.AlignmentFlag.AlignLeft
        elif side == "left":
            place = QRectF(cell.left() + 2, cell.top(), max(0.0, left_room), cell.height())
            flags = Qt.AlignmentFlag.AlignRight
        else:
            place = QRectF(bar.left() + 6, cell.top(), max(0.0, bar.width() - 6), cell.height())
            flags = Qt.AlignmentFlag.AlignLeft
        text = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, int(place.width()))
        painter.drawText(place, int(flags | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()


class _AxisHeader(QHeaderView):
    """The table's header: the timeline column's section shows the time axis's ticks."""

    def __init__(self, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._timeline = timeline

    def paintSection(self, painter: QPainter, rect: QRect, logicalIndex: int) -> None:
        if logicalIndex != TIMELINE_COLUMN or self._timeline.high <= self._timeline.low:
            super().paintSection(painter, rect, logicalIndex)
            return
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        option.rect = rect
        option.section = logicalIndex
        option.text = ""
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        painter.save()
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        metrics = painter.fontMetrics()
        cell = QRectF(rect)
        for at, label in self._timeline.ticks(cell.width() - 2 * _PAD):
            x = self._timeline.bar(cell, at, 0).left()
            painter.drawLine(round(x), rect.bottom() - 4, round(x), rect.bottom())
            width = metrics.horizontalAdvance(label)
            left = min(max(x - width / 2, cell.left() + 2), cell.right() - width - 2)
            painter.drawText(QRectF(left, cell.top(), width + 1, cell.height() - 4),
                             int(Qt.AlignmentFlag.AlignCenter), label)
        painter.restore()


class WaterfallView(QWidget):
    """One transaction's spans as a waterfall, under a line saying what the transaction was.

    Signals:
        spanActivated(str): a span was double-clicked (or Enter pressed on it); its span id.
    """

    spanActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.waterfall: Waterfall | None = None
        self.timeline = Timeline()
        self.model = WaterfallModel(self)
        self.title = QLabel("")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        # A long transaction name is cut by the layout rather than widening the panel.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.facts = QLabel("")
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.dropped = QLabel("")
        self.dropped.setTextFormat(Qt.TextFormat.PlainText)
        self.dropped.setStyleSheet("color: #b06000")
        self.placeholder = QLabel(EMPTY_TEXT)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #5f6368")

        self.table = QTableView()
        self.table.setHorizontalHeader(_AxisHeader(self.timeline, self.table))
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(SPAN_COLUMN, _SpanDelegate(self.table))
        self.table.setItemDelegateForColumn(TIMELINE_COLUMN, _BarDelegate(self.timeline, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(_ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(False)
        header.setHighlightSections(False)
        header.resizeSection(SPAN_COLUMN, 320)
        header.setStretchLastSection(True)

        facts = QHBoxLayout()
        facts.setContentsMargins(0, 0, 0, 0)
        facts.setSpacing(4)
        facts.addWidget(self.facts)
        facts.addWidget(self.status)
        facts.addWidget(self.dropped)
        facts.addStretch(1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title.setContentsMargins(4, 4, 4, 0)
        self.facts.setContentsMargins(4, 0, 0, 2)
        layout.addWidget(self.title)
        layout.addLayout(facts)
        layout.addWidget(self.table, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)
        self.table.activated.connect(self._activated)
        self.show_waterfall(None)

    def show_waterfall(self, w: Waterfall | None) -> None:
        """Show a transaction's waterfall; None (or no rows) shows the placeholder."""
        self.waterfall = w
        self.model.show_waterfall(w)
        if w is None or not w.rows:
            self.timeline.low = self.timeline.high = 0.0
            self.pages.setCurrentWidget(self.placeholder)
            return
        self.timeline.low, self.timeline.high = w.extent_ms
        self.title.setText(w.name)
        self.title.setToolTip(plain_tooltip(w.name))
        spans = w.span_count
        self.facts.setText(f"{duration_text(w.duration_ms)} · {spans} span{'s' if spans != 1 else ''} ·")
        self.status.setText(f"status {w.status}" if w.status else "no status")
        self.status.setStyleSheet(f"color: {OUTCOME_COLOURS['failed']}" if w.failed else "")
        self.dropped.setText(f"· {w.dropped} span{'s' if w.dropped != 1 else ''} dropped" if w.dropped else "")
        self.dropped.setVisible(bool(w.dropped))
        self.pages.setCurrentIndex(1)
        self.table.horizontalHeader().viewport().update()
        self.table.scrollToTop()

    def bar_rect(self, row: int) -> QRect:
        """Where row ``row``'s bar is drawn, in the table viewport's coordinates."""
        span = self.model.row_at(row)
        cell = self.table.visualRect(self.model.index(row, TIMELINE_COLUMN))
        return self.timeline.bar(cell, span.start_ms, span.duration_ms).toAlignedRect()

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        span_id = self.model.row_at(index.row()).span_id
        if span_id is not None:
            self.spanActivated.emit(span_id)
