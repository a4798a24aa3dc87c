"""A time-series chart's content: the widget's metric per bucket over its range.

One pyqtgraph line over a date axis (x in epoch seconds), with the previous period dashed
in grey behind it when the widget compares. The last bucket is the current one, still
filling: its segment is dashed, so a count that has only begun does not read as a collapse.
Counts and sums are filled down to zero; a statistic (a p75, an average) is a bare line. No
grid lines: they are most of a repaint's cost (see :mod:`console.gui.performance.charts`). A
bucket whose neighbours are empty is drawn as a dot, so a lone value does not vanish.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.core.analysis.product.dashboard import Widget
from console.core.store.widget_queries import WidgetData
from console.gui.dashboards.display import describe_metric, describe_range
from console.gui.dashboards.tile import TileContent
from console.gui.plots import still_plot

__all__ = ["LINE_COLOUR", "ChartContent", "isolated"]

LINE_COLOUR = "#1a73e8"
_PREVIOUS_COLOUR = "#9aa0a6"
# Aggregations whose area under the line means something (how many, how much).
_FILLED = frozenset({"count", "users", "sessions", "sum"})


def isolated(ys: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """The finite points whose neighbours on both sides are missing (or the edge)."""
    finite = np.isfinite(ys)
    before = np.concatenate(([False], finite[:-1]))
    after = np.concatenate((finite[1:], [False]))
    return finite & ~before & ~after


class ChartContent(TileContent):
    """The metric per bucket, and the previous period's when compared."""

    def __init__(self, widget: Widget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()}, background="w")
        still_plot(self.plot, time_series=True)
        self.plot.setMinimumHeight(80)
        self.plot.setStyleSheet("border: none;")
        item = self.plot.getPlotItem()
        item.setContentsMargins(0, 0, 4, 0)
        left = self.plot.getAxis("left")
        left.enableAutoSIPrefix(False)
        left.setWidth(44)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTextPen("#5f6368")
            self.plot.getAxis(axis).setPen("#dadce0")
        fill = pg.mkColor(LINE_COLOUR)
        fill.setAlpha(28)
        self.previous = self.plot.plot([], [], pen=pg.mkPen(_PREVIOUS_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self.curve = self.plot.plot([], [], pen=pg.mkPen(LINE_COLOUR, width=2))
        if widget.measure is None or widget.measure.aggregation in _FILLED:
            self.curve.setFillLevel(0)
            self.curve.setBrush(pg.mkBrush(fill))
        self.current = self.plot.plot([], [], pen=pg.mkPen(LINE_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        self.dots = pg.ScatterPlotItem(size=5, pen=pg.mkPen(None), brush=pg.mkBrush(LINE_COLOUR))
        self.plot.addItem(self.dots)
        self.xs: npt.NDArray[np.float64] = np.zeros(0)
        self.ys: npt.NDArray[np.float64] = np.zeros(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def caption(self, widget: Widget) -> str:
        return f"{describe_metric(widget)} · {describe_range(widget.range)}"

    def show_data(self, widget: Widget, data: WidgetData, sample: int | None = None) -> None:
        self.xs = np.asarray(data.series_x, dtype=np.float64) / 1000.0
        self.ys = np.asarray(data.series_y, dtype=np.float64)
        # The line runs through each bucket's middle: a bucket is a span, not an instant.
        middle = self.xs + data.bucket_ms / 2000.0
        done = self.ys.copy()
        if done.size:
            done[-1] = np.nan
        self.curve.setData(middle, done, connect="finite")
        self.current.setData(middle[-2:], self.ys[-2:], connect="finite")
        alone = isolated(done)
        if self.ys.size and np.isfinite(self.ys[-1]) and (self.ys.size == 1 or not np.isfinite(self.ys[-2])):
            alone[-1] = True  # the current bucket alone
        self.dots.setData(middle[alone], self.ys[alone])
        previous = data.previous_y
        top = float(np.nanmax(self.ys)) if np.isfinite(self.ys).any() else 0.0
        if previous is not None and len(previous) == len(self.xs):
            before = np.asarray(previous, dtype=np.float64)
            self.previous.setData(middle, before, connect="finite")
            if np.isfinite(before).any():
                top = max(top, float(np.nanmax(before)))
        else:
            self.previous.setData([], [])
        self.plot.setYRange(0, top * 1.1 if top > 0 else 1.0, padding=0)
        if self.xs.size:
            self.plot.setXRange(float(self.xs[0]), float(self.xs[-1]) + data.bucket_ms / 1000.0, padding=0)
