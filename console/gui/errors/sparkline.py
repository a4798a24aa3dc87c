"""Painting an issue's last 24 hours as a small bar chart inside its table cell."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

__all__ = ["SparklineDelegate", "bar_heights"]

_BAR = QColor("#8ab4f8")
_PEAK = QColor("#1a73e8")
_EMPTY = QColor("#dadce0")


def bar_heights(counts: Sequence[int], height: float) -> list[float]:
    """Each count's bar height in a cell ``height`` high: scaled to the largest count, and
    at least a pixel for any hour that had an event, so one event is never invisible."""
    peak = max(counts, default=0)
    if peak <= 0:
        return [0.0] * len(counts)
    return [0.0 if n <= 0 else max(1.0, height * n / peak) for n in counts]


class SparklineDelegate(QStyledItemDelegate):
    """Paints the sequence of counts under ``role`` as bars, oldest left, newest right.

    The cell's display text (the 24-hour total) is not painted; it is what the tooltip,
    copy and accessibility read.
    """

    def __init__(self, *, role: int, parent: object = None) -> None:
        super().__init__(parent)
        self._role = role

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # The selection and alternating backgrounds, without the text.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style = background.widget.style() if background.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, background.widget)
        counts = index.data(self._role) or ()
        if not counts:
            return
        rect = QRectF(option.rect).adjusted(4, 4, -4, -3)
        step = rect.width() / len(counts)
        width = max(1.0, step - 1.0)
        heights = bar_heights(counts, rect.height())
        last = len(counts) - 1
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, bar in enumerate(heights):
            x = rect.left() + i * step
            if bar <= 0:
                painter.fillRect(QRectF(x, rect.bottom() - 1, width, 1), _EMPTY)
            else:
                painter.fillRect(QRectF(x, rect.bottom() - bar, width, bar), _PEAK if i == last else _BAR)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(24 * 4 + 8, 22)
