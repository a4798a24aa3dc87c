"""Parts the Events, Funnels, Conversions and KPIs tabs share: where a tab explains an empty
store, a chart of named series over the panel's range, and the range's bounds.

:class:`Explained` holds a tab's content and, in its place, a sentence saying why there is
nothing to show and what an app sends to fill it: a tab is never a blank area.
:class:`SeriesChart` draws a few named lines over time with the Performance panel's
:class:`~console.gui.performance.charts.TimeChart`, rebuilt when the names change (a
breakdown's top values, the conversion types). :func:`range_bounds` turns the panel's span
into concrete bounds, on the query thread ("all time" starts at the store's first event).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from console.gui.performance.charts import TimeChart

__all__ = ["SERIES_COLOURS", "Explained", "SeriesChart", "heading", "note", "range_bounds"]

#: Line colours in order (the Experiments panel's, then more).
SERIES_COLOURS = ("#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#5f6368", "#f9ab00", "#12b5cb")
#: A range never spans more buckets than this ("all time" over years gets wider buckets).
MAX_BUCKETS = 400


def heading(text: str) -> QLabel:
    """A section's title inside a tab."""
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; color: #3c4043;")
    return label


def note(text: str = "") -> QLabel:
    """A grey line of plain text (a status, a caption)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet("color: #5f6368;")
    return label


def range_bounds(conn: sqlite3.Connection, start_ms: int | None, end_ms: int, bucket_ms: int) -> tuple[int, int, int]:
    """``(start, end, bucket)`` of the panel's span: all time (``start_ms`` None) starts at
    the bucket of the store's first event; the bucket widens so the range has at most
    :data:`MAX_BUCKETS` of them."""
    if start_ms is None:
        # events has no index on ts: the first stored event and the first session (indexed)
        # stand for the oldest, without a scan of a million rows.
        (first,) = conn.execute(
            "SELECT min(coalesce((SELECT ts FROM events ORDER BY id LIMIT 1), ?),"
            " coalesce((SELECT min(started) FROM sessions), ?))",
            (end_ms, end_ms),
        ).fetchone()
        first = min(int(first), end_ms - bucket_ms)
        start_ms = first // bucket_ms * bucket_ms
    span = max(end_ms - start_ms, 1)
    if span // bucket_ms > MAX_BUCKETS:
        bucket_ms = -(-span // MAX_BUCKETS)
    return start_ms, end_ms, bucket_ms


class Explained(QStackedWidget):
    """A tab's content, or in its place a sentence saying why there is none."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.explanation = QLabel("loading…")
        self.explanation.setObjectName("explanation")
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explanation.setStyleSheet("color: #5f6368; font-size: 13px; padding: 24px;")
        self.addWidget(content)
        self.addWidget(self.explanation)
        self.setCurrentWidget(self.explanation)

    @property
    def explaining(self) -> bool:
        """Whether the sentence is shown instead of the content."""
        return self.currentWidget() is self.explanation

    def explain(self, text: str) -> None:
        """Show ``text`` in place of the content."""
        self.explanation.setText(text)
        self.setCurrentWidget(self.explanation)

    def show_content(self) -> None:
        self.setCurrentWidget(self.content)


class SeriesChart(QWidget):
    """Named lines over time (bucket starts in ms), rebuilt when the names change."""

    def __init__(self, *, y_label: str = "", height: int = 220, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._y_label = y_label
        self._height = height
        self.names: tuple[str, ...] = ()
        self.xs: npt.NDArray[np.float64] = np.zeros(0)
        self.values: dict[str, npt.NDArray[np.float64]] = {}
        self.chart = self._make(())

    def _make(self, names: Sequence[str]) -> TimeChart:
        pens = {name: pg.mkPen(SERIES_COLOURS[i % len(SERIES_COLOURS)], width=2) for i, name in enumerate(names)}
        chart = TimeChart(curves=pens)
        chart.setMinimumHeight(self._height)
        chart.setLabel("left", self._y_label)
        chart.getAxis("left").setWidth(54)
        self._layout.addWidget(chart)
        return chart

    def set_y_label(self, text: str) -> None:
        self._y_label = text
        self.chart.setLabel("left", text)

    def show_series(self, starts_ms: npt.ArrayLike, values: Mapping[str, npt.ArrayLike]) -> None:
        """Draw one line per name in ``values`` over the buckets starting at ``starts_ms``."""
        names = tuple(values)
        if names != self.names:
            self._layout.removeWidget(self.chart)
            self.chart.deleteLater()
            self.names = names
            self.chart = self._make(names)
        self.xs = np.asarray(starts_ms, dtype=np.float64) / 1000
        self.values = {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}
        self.chart.show_values(self.xs, self.values)
        if self.xs.size:
            self.chart.setXRange(float(self.xs[0]), float(self.xs[-1]), padding=0.02)
