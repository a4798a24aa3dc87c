"""The Performance panel's charts: time series with rating bands, a shared crosshair, a histogram.

:class:`TimeChart` draws a few named curves over a date axis, with a metric's Web Vitals
bands (good / needs improvement / poor) behind them when the metric has thresholds.
:class:`ChartGroup` links the x axes of several charts and draws one crosshair across all
of them as the mouse moves over any. :class:`HistogramChart` draws how one metric's values
spread, each bar in the colour of its band, with the thresholds marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from console.core.analysis.page_load_report import Histogram
from console.core.analysis.vitals import THRESHOLDS
from console.gui.performance.units import format_value, label
from console.gui.plots import still_plot

__all__ = ["BAND_COLOURS", "Band", "ChartGroup", "HistogramChart", "TimeChart"]

#: Band fills behind a chart: web.dev's green, orange and red, translucent.
BAND_COLOURS = {
    "good": QColor(12, 206, 107, 46),
    "needs-improvement": QColor(255, 164, 0, 46),
    "poor": QColor(255, 78, 66, 46),
}
_BAR_COLOURS = {"good": "#0cce6b", "needs-improvement": "#ffa400", "poor": "#ff4e42", None: "#8ab4f8"}
_CEILING = 1e12


class Band(QGraphicsRectItem):
    """One rating band: a filled strip from ``low`` to ``high`` across the visible time.

    A plain rectangle rather than pyqtgraph's LinearRegionItem, which carries two movable
    lines and costs several times more on every repaint of a live chart. Its width follows
    the x range (:meth:`fit`): a strip across all of time would be billions of pixels wide
    in the live range, past what the raster engine can draw.
    """

    def __init__(self, name: str, low: float, high: float) -> None:
        super().__init__(0.0, low, 1.0, high - low)
        self.name = name
        self.low, self.high = low, high
        self.setBrush(pg.mkBrush(BAND_COLOURS[name]))
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setZValue(-100)

    def fit(self, start_s: float, end_s: float) -> None:
        """Span ``[start_s, end_s]`` and as much again either side (room to scroll into)."""
        span = max(end_s - start_s, 1.0)
        self.setRect(start_s - span, self.low, 3 * span, self.high - self.low)


class TimeChart(pg.PlotWidget):
    """Named curves over time (x in epoch seconds), optionally over a metric's rating bands."""

    def __init__(self, *, curves: Mapping[str, pg.QtGui.QPen], metric: str | None = None) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem()})
        still_plot(self, time_series=True)
        self.setMinimumHeight(150)
        # No grid: translucent grid lines are most of a repaint's cost (3 ms → 35 ms for six
        # charts), and the rating bands already mark the levels that matter.
        item = self.getPlotItem()
        item.addLegend(offset=(-8, 4), labelTextSize="8pt", colCount=len(curves))
        # Milliseconds stay milliseconds: no "(x0.001)" SI rescaling of the axis.
        self.getAxis("left").enableAutoSIPrefix(False)
        self.curves = {name: self.plot([], [], pen=pen, name=name) for name, pen in curves.items()}
        # A bucket with empty neighbours has no line to be part of: it is drawn as a dot.
        self.dots = {
            name: pg.ScatterPlotItem(size=5, pen=pg.mkPen(None), brush=pg.mkBrush(pen.color()))
            for name, pen in curves.items()
        }
        for dot in self.dots.values():
            self.addItem(dot)
        self.crosshair = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen("#5f6368", width=1, style=Qt.PenStyle.DashLine)
        )
        self.crosshair.hide()
        self._crosshair_added = False  # added on first hover: even hidden, it costs every repaint
        self.metric: str | None = None
        self.bands: list[Band] = []
        item.vb.sigXRangeChanged.connect(self._fit_bands)
        self.xs: npt.NDArray[np.float64] = np.zeros(0)
        self.values: dict[str, npt.NDArray[np.float64]] = {}
        self.set_metric(metric)

    def set_metric(self, metric: str | None) -> None:
        """Chart ``metric`` from now on: its bands behind, its name on the left axis."""
        self.metric = metric
        for band in self.bands:
            self.removeItem(band)
        self.bands = []
        thresholds = THRESHOLDS.get(metric or "")
        if thresholds is not None:
            good, poor = thresholds
            for name, low, high in (("good", 0.0, good), ("needs-improvement", good, poor), ("poor", poor, _CEILING)):
                band = Band(name, low, high)
                self.addItem(band, ignoreBounds=True)
                self.bands.append(band)
            self._fit_bands()
        self.setLabel("left", "" if metric in (None, "cls") else "ms")

    def show_values(self, xs: npt.NDArray[np.float64], values: Mapping[str, npt.ArrayLike]) -> None:
        """One ``setData`` per curve; NaN points leave gaps rather than a confident line."""
        self.xs = np.asarray(xs, dtype=np.float64)
        self.values = {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}
        top = 0.0
        for name, curve in self.curves.items():
            ys = self.values.get(name, np.full(self.xs.size, np.nan))
            curve.setData(self.xs, ys, connect="finite")
            alone = _isolated(ys)
            self.dots[name].setData(self.xs[alone], ys[alone])
            if np.isfinite(ys).any():
                top = max(top, float(np.nanmax(ys)))
        thresholds = THRESHOLDS.get(self.metric or "")
        if thresholds is not None:
            top = max(top * 1.1, thresholds[0] * 1.15)
        self.setYRange(0, top * 1.08 if top > 0 else 1.0, padding=0)

    def _fit_bands(self, *_args: object) -> None:
        (start, end), _ = self.getPlotItem().vb.viewRange()
        for band in self.bands:
            band.fit(start, end)

    def show_crosshair(self, x: float | None) -> None:
        """Draw the crosshair at ``x`` (epoch seconds), or hide it."""
        if x is None:
            self.crosshair.hide()
            return
        if not self._crosshair_added:
            self.addItem(self.crosshair, ignoreBounds=True)
            self._crosshair_added = True
        self.crosshair.setPos(x)
        self.crosshair.show()

    def value_at(self, x: float) -> tuple[int, dict[str, float]] | None:
        """The bucket nearest ``x`` and each curve's value there."""
        if self.xs.size == 0:
            return None
        index = int(np.clip(np.searchsorted(self.xs, x), 0, self.xs.size - 1))
        if index > 0 and abs(self.xs[index - 1] - x) < abs(self.xs[index] - x):
            index -= 1
        return index, {name: float(v[index]) for name, v in self.values.items() if v.size > index}


class ChartGroup(QObject):
    """Charts whose x axes move together and share one crosshair.

    Signals:
        hovered(float): the mouse is over x (epoch seconds) of one of the charts.
        left(): the mouse left the charts.
    """

    hovered = Signal(float)
    left = Signal()

    def __init__(self, charts: Sequence[TimeChart], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.charts = list(charts)
        for chart in self.charts[1:]:
            chart.setXLink(self.charts[0])
        for chart in self.charts:
            chart.scene().sigMouseMoved.connect(lambda pos, c=chart: self._moved(c, pos))

    def set_x_range(self, start_s: float, end_s: float) -> None:
        """Show ``[start_s, end_s]`` on every chart (they are linked)."""
        self.charts[0].setXRange(start_s, end_s, padding=0)

    def plot_width(self) -> int:
        """The width in pixels of the plotting area (the x axis's length)."""
        return max(1, int(self.charts[0].getPlotItem().vb.width()))

    def _fit_bands(self, *_args: object) -> None:
        (start, end), _ = self.getPlotItem().vb.viewRange()
        for band in self.bands:
            band.fit(start, end)

    def show_crosshair(self, x: float | None) -> None:
        """Put the crosshair at ``x`` on every chart, or hide it."""
        for chart in self.charts:
            chart.show_crosshair(x)

    @Slot()
    def _moved(self, chart: TimeChart, pos: QPointF) -> None:
        item = chart.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            self.show_crosshair(None)
            self.left.emit()
            return
        x = item.vb.mapSceneToView(pos).x()
        self.show_crosshair(x)
        self.hovered.emit(x)


class HistogramChart(pg.PlotWidget):
    """How one metric's values spread over the range, with its thresholds marked."""

    def __init__(self) -> None:
        super().__init__()
        still_plot(self)
        self.setLabel("left", "loads")
        self.getAxis("bottom").enableAutoSIPrefix(False)
        self.bars: pg.BarGraphItem | None = None
        self.markers: list[pg.InfiniteLine] = []
        self._marked: str | None = None  # the metric whose thresholds the markers show
        self._shown_title: str | None = None
        self._brushes = {band: pg.mkBrush(colour) for band, colour in _BAR_COLOURS.items()}
        self.histogram: Histogram | None = None

    def show_histogram(self, histogram: Histogram | None) -> None:
        """Draw ``histogram`` (None or empty: clear the chart)."""
        self.histogram = histogram
        if histogram is None or histogram.counts.size == 0:
            if self.bars is not None:
                self.bars.hide()
            self._set_markers(None)
            self._title("no values in this range")
            return
        left, right = histogram.edges[:-1], histogram.edges[1:]
        centres = (left + right) / 2
        brushes = [self._brushes[_band(histogram.metric, c)] for c in centres]
        if self.bars is None:
            self.bars = pg.BarGraphItem(x0=left, x1=right, height=histogram.counts, brushes=brushes, pen=pg.mkPen("w"))
            self.addItem(self.bars)
        else:  # one item, new bars: a live refresh every second creates nothing
            self.bars.setOpts(x0=left, x1=right, height=histogram.counts, brushes=brushes)
            self.bars.show()
        self._set_markers(histogram)
        total = int(histogram.counts.sum())
        above = f", {histogram.above:,} beyond the last bar" if histogram.above else ""
        self._title(f"{label(histogram.metric)}: {total:,} values{above}")
        if self.getAxis("bottom").labelText != label(histogram.metric):
            self.setLabel("bottom", label(histogram.metric))
        self.setXRange(0, float(histogram.edges[-1]), padding=0.02)
        self.setYRange(0, float(histogram.counts.max()) * 1.1 or 1.0, padding=0)

    def _title(self, text: str) -> None:
        if text != self._shown_title:  # a new title lays the plot out again
            self._shown_title = text
            self.setTitle(text, size="9pt")

    def _set_markers(self, histogram: Histogram | None) -> None:
        """The threshold lines of ``histogram``'s metric, kept while the metric stays the same."""
        metric = None if histogram is None else histogram.metric
        if metric == self._marked:
            return
        for marker in self.markers:
            self.removeItem(marker)
        self.markers = []
        self._marked = metric
        if histogram is not None and histogram.thresholds is not None:
            good, poor = histogram.thresholds
            for value, colour, text, height in ((good, "#137333", "good ≤ ", 0.95), (poor, "#c5221f", "poor > ", 0.85)):
                marker = pg.InfiniteLine(
                    pos=value, angle=90, movable=False, pen=pg.mkPen(colour, width=2),
                    label=text + format_value(histogram.metric, value),
                    labelOpts={"position": height, "color": colour, "anchors": [(0, 0.5), (0, 0.5)]},
                )
                self.addItem(marker)
                self.markers.append(marker)


def _isolated(ys: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """The finite points whose neighbours on both sides are missing (or the edge)."""
    finite = np.isfinite(ys)
    before = np.concatenate(([False], finite[:-1]))
    after = np.concatenate((finite[1:], [False]))
    return finite & ~before & ~after


def _band(metric: str, value: float) -> str | None:
    thresholds = THRESHOLDS.get(metric)
    if thresholds is None:
        return None
    good, poor = thresholds
    return "good" if value <= good else "needs-improvement" if value <= poor else "poor"
