"""The small chart of an alert's metric around the moment it fired, with its threshold.

The series comes from :func:`console.core.analysis.alerts.measure.series` on the query
thread (the value each window would have measured, one point per step); the chart only
draws it: the line, the threshold (and recovery threshold) as horizontal lines, and the
moment of the transition as a vertical one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.gui.plots import still_plot

__all__ = ["AlertChart"]

_LINE = pg.mkPen("#1a73e8", width=2)
_THRESHOLD = pg.mkPen("#d93025", width=1.5, style=Qt.PenStyle.DashLine)
_RECOVERY = pg.mkPen("#188038", width=1, style=Qt.PenStyle.DotLine)
_MOMENT = pg.mkPen("#5f6368", width=1, style=Qt.PenStyle.DashLine)


class AlertChart(pg.PlotWidget):
    """One metric over time (x in epoch seconds) against its threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem()})
        still_plot(self, time_series=True)
        self.setMinimumHeight(140)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.curve = self.plot([], [], pen=_LINE, connect="finite")
        self.dots = pg.ScatterPlotItem(size=5, pen=pg.mkPen(None), brush=pg.mkBrush("#1a73e8"))
        self.addItem(self.dots)
        self.threshold = pg.InfiniteLine(angle=0, movable=False, pen=_THRESHOLD)
        self.recovery = pg.InfiniteLine(angle=0, movable=False, pen=_RECOVERY)
        self.moment = pg.InfiniteLine(angle=90, movable=False, pen=_MOMENT)
        for line in (self.threshold, self.recovery, self.moment):
            self.addItem(line)
            line.hide()
        self.xs: np.ndarray = np.zeros(0)
        self.ys: np.ndarray = np.zeros(0)

    def show_series(
        self,
        points: Sequence[tuple[int, float | None]],
        *,
        threshold: float | None,
        recovery: float | None = None,
        moment_ms: int | None = None,
    ) -> None:
        """Draw ``points`` (ms, value or None for no data) with the lines that say why it fired."""
        self.xs = np.array([ts / 1000 for ts, _ in points], dtype=np.float64)
        self.ys = np.array([np.nan if v is None else v for _, v in points], dtype=np.float64)
        self.curve.setData(self.xs, self.ys)
        finite = np.isfinite(self.ys)
        self.dots.setData(self.xs[finite], self.ys[finite])
        values = list(self.ys[finite])
        for line, level in ((self.threshold, threshold), (self.recovery, recovery)):
            if level is None:
                line.hide()
            else:
                line.setValue(level)
                line.show()
                values.append(level)
        if moment_ms is None:
            self.moment.hide()
        else:
            self.moment.setValue(moment_ms / 1000)
            self.moment.show()
        if len(self.xs):
            self.setXRange(float(self.xs[0]), float(self.xs[-1]), padding=0.02)
        if values:
            low, high = min(min(values), 0.0), max(values)
            self.setYRange(low, high if high > low else low + 1, padding=0.1)

    def clear_series(self) -> None:
        """Show nothing (no rule, or a metric that cannot be charted)."""
        self.show_series([], threshold=None)
