"""The Experiments panel's charts: exposures per variant over time, and the cumulative lift.

:class:`ExposureChart` reuses the Performance panel's
:class:`~console.gui.performance.charts.TimeChart`, one curve per variant, rebuilt when an
experiment with other variants is chosen. :class:`LiftChart` draws the first non-control
variant's cumulative relative lift with its 95 % interval as a band, a line at zero (no
difference), and, when asked, the always-valid interval of the latest data as dashed lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.gui.performance.charts import TimeChart
from console.gui.plots import still_plot

__all__ = ["VARIANT_COLOURS", "ExposureChart", "LiftChart"]

#: Variant colours in order: control grey-blue, then distinct hues.
VARIANT_COLOURS = ("#5f6368", "#e8710a", "#1a73e8", "#188038", "#a142f4", "#d93025")


def _pen(index: int) -> pg.QtGui.QPen:
    return pg.mkPen(VARIANT_COLOURS[index % len(VARIANT_COLOURS)], width=2)


class ExposureChart(QWidget):
    """New users per variant in each time bucket."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.variants: tuple[str, ...] = ()
        self.chart = self._make(())

    def _make(self, variants: Sequence[str]) -> TimeChart:
        chart = TimeChart(curves={v: _pen(i) for i, v in enumerate(variants)})
        chart.setMinimumHeight(130)
        chart.setLabel("left", "new users")
        chart.getAxis("left").setWidth(48)
        self._layout.addWidget(chart)
        return chart

    def show_exposures(self, variants: Sequence[str], exposures: Sequence[tuple[int, dict[str, int]]]) -> None:
        """Draw ``exposures`` (bucket start ms → new users per variant)."""
        if tuple(variants) != self.variants:
            self._layout.removeWidget(self.chart)
            self.chart.deleteLater()
            self.variants = tuple(variants)
            self.chart = self._make(self.variants)
        xs = np.array([start / 1000 for start, _ in exposures], dtype=np.float64)
        values = {v: [float(counts.get(v, 0)) for _, counts in exposures] for v in self.variants}
        self.chart.show_values(xs, values)
        if xs.size:
            self.chart.setXRange(float(xs[0]), float(xs[-1]), padding=0.02)


class LiftChart(pg.PlotWidget):
    """Cumulative relative lift (percent) over time with its interval band."""

    def __init__(self) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem()})
        still_plot(self)
        self.setMinimumHeight(150)
        self.setLabel("left", "lift %")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.getAxis("left").setWidth(48)
        item = self.getPlotItem()
        item.addLegend(offset=(-8, 4), labelTextSize="8pt", colCount=3)
        self.low = pg.PlotDataItem([], [], pen=pg.mkPen(None))
        self.high = pg.PlotDataItem([], [], pen=pg.mkPen(None))
        self.band = pg.FillBetweenItem(self.low, self.high, brush=pg.mkBrush(232, 113, 10, 50))
        self.addItem(self.band)
        self.line = self.plot([], [], pen=pg.mkPen(VARIANT_COLOURS[1], width=2), name="relative lift")
        self.zero = pg.InfiniteLine(pos=0, angle=0, movable=False, pen=pg.mkPen("#5f6368", width=1))
        self.addItem(self.zero, ignoreBounds=True)
        dashed = pg.mkPen("#1a73e8", width=1.5, style=Qt.PenStyle.DashLine)
        self.sequential_lines = [pg.InfiniteLine(angle=0, movable=False, pen=dashed) for _ in range(2)]
        for line in self.sequential_lines:
            line.hide()
            self.addItem(line, ignoreBounds=True)
        self.points: list[tuple[int, float, float, float]] = []
        self.sequential: tuple[float, float] | None = None

    def sizeHint(self) -> QSize:
        # The panel's scroll area lays out at preferred heights (its labels wrap): ask for a
        # modest one, so the panel fits a window without scrolling; the layout stretches it.
        return QSize(600, 240)

    def show_lift(
        self,
        variant: str | None,
        points: Sequence[tuple[int, float, float, float]],
        *,
        sequential: tuple[float, float] | None = None,
    ) -> None:
        """Draw ``points`` (bucket ms, lift, low, high as fractions); ``sequential``: dashed bounds."""
        self.points = list(points)
        self.sequential = sequential
        xs = np.array([p[0] / 1000 for p in points], dtype=np.float64)
        lift, low, high = (np.array([p[i] * 100 for p in points], dtype=np.float64) for i in (1, 2, 3))
        self.line.setData(xs, lift)
        self.low.setData(xs, low)
        self.high.setData(xs, high)
        self.getPlotItem().legend.items[0][1].setText(f"{variant} vs control" if variant else "relative lift")
        if sequential is not None:
            for line, value in zip(self.sequential_lines, sequential, strict=True):
                line.setPos(value * 100)
                line.show()
        else:
            for line in self.sequential_lines:
                line.hide()
        if xs.size == 0:
            self.setTitle("no lift yet: the control needs users and conversions", size="9pt")
            self.setYRange(-10, 10, padding=0)
            return
        self.setTitle(
            "cumulative relative lift, band: 95% CI"
            + ("; dashed: always-valid interval now" if sequential is not None else ""),
            size="9pt",
        )
        # The band's early buckets can be enormous; the view follows the latest half of it.
        recent = slice(len(points) // 2, None)
        values = np.concatenate([low[recent], high[recent], [0.0]])
        if sequential is not None:
            values = np.concatenate([values, np.array(sequential) * 100])
        finite = values[np.isfinite(values)]
        bottom, top = float(finite.min()), float(finite.max())
        margin = max((top - bottom) * 0.1, 1.0)
        self.setYRange(bottom - margin, top + margin, padding=0)
        self.setXRange(float(xs[0]), float(xs[-1]), padding=0.02)
