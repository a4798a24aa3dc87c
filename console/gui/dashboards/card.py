"""A metric card's content: the value in its format, the change against the previous period,
and a sparkline of the range.

The value is printed by the core's :func:`~console.core.analysis.product.dashboard.format_value`;
a p75 of a Web Vital gets its rating badge (web.dev's colours, :mod:`console.core.analysis.vitals`),
a KPI its level and target. The sparkline is one pyqtgraph curve, one ``setData`` per answer.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.core.analysis.product.dashboard import Widget, format_value
from console.core.analysis.product.kpi import format_kpi_value
from console.core.analysis.vitals import MIN_SAMPLE, THRESHOLDS, Rating, rate
from console.core.store.widget_queries import WidgetData
from console.gui.dashboards.chart import isolated
from console.gui.dashboards.display import TONE_COLOURS, change_tone, describe_change, describe_range
from console.gui.dashboards.tile import TileContent

__all__ = ["LEVEL_COLOURS", "NEUTRAL_COLOUR", "RATING_COLOURS", "CardContent"]

#: Web Vitals rating colours, as web.dev and Lighthouse draw them.
RATING_COLOURS: dict[Rating, str] = {
    Rating.GOOD: "#0cce6b",
    Rating.NEEDS_IMPROVEMENT: "#ffa400",
    Rating.POOR: "#ff4e42",
    Rating.TOO_FEW: "#9aa0a6",
}
_RATING_WORDS = {Rating.GOOD: "good", Rating.NEEDS_IMPROVEMENT: "needs improvement", Rating.POOR: "poor",
                 Rating.TOO_FEW: "too few"}
#: A KPI's level colours (the same bands).
LEVEL_COLOURS = {"ok": "#0cce6b", "warning": "#ffa400", "critical": "#ff4e42"}
#: The sparkline colour of cards without a rating.
NEUTRAL_COLOUR = "#1a73e8"

# Dark text on every badge colour: black on #0cce6b, #ffa400, #ff4e42 and #9aa0a6 all stay
# above WCAG's 4.5:1, white on them does not.
_BADGE_STYLE = ("QLabel {{ background: {colour}; color: #202124; border-radius: 4px; padding: 1px 6px;"
                " font-size: 11px; font-weight: 600; }}")
_VALUE_STYLE = "color: #202124; font-size: 26px; font-weight: 600;"
_DETAIL_STYLE = "color: {colour}; font-size: 11px;"


def _describe_sample(sample: int | None) -> str:
    """'p75 of 6 loads', '3 loads — too few for a rating'; '' when the card is not rated."""
    if sample is None:
        return ""
    loads = f"{sample:,} load" + ("" if sample == 1 else "s")
    return f"{loads} — too few for a rating" if sample < MIN_SAMPLE else f"p75 of {loads}"


def _figure(widget: Widget, data: WidgetData, value: float | None) -> str:
    """A value in the widget's format; a KPI's in "number" (what the editor suggests for one)
    reads as its KPIs-tab card does, in the KPI's own unit: ``20.2 %``, ``44,671.90 CNY``."""
    if widget.kpi is not None and widget.format == "number":
        return format_kpi_value(value, data.unit)
    text = format_value(value, widget.format)
    if widget.format == "currency" and data.unit and value is not None:
        return f"{text} {data.unit}"  # the one currency the values are in
    return text


class CardContent(TileContent):
    """The big figure, the line under it and the sparkline."""

    def __init__(self, widget: Widget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accent: str | None = None
        self.value_label = QLabel("–")
        self.value_label.setStyleSheet(_VALUE_STYLE)
        self.detail_label = QLabel("")
        self.badge_label = QLabel("")
        for label in (self.value_label, self.detail_label, self.badge_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.badge_label.hide()

        figure = QHBoxLayout()
        figure.setContentsMargins(0, 0, 0, 0)
        figure.addWidget(self.value_label)
        figure.addStretch(1)
        figure.addWidget(self.badge_label, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(figure)
        layout.addWidget(self.detail_label)
        self.sparkline: pg.PlotWidget | None = None
        if widget.trend:
            self.sparkline = pg.PlotWidget(background=None, enableMenu=False)
            self.sparkline.setFixedHeight(32)
            self.sparkline.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.sparkline.setStyleSheet("background: transparent; border: none;")
            plot = self.sparkline.getPlotItem()
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.setContentsMargins(0, 0, 0, 0)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.disableAutoRange()
            self._curve = plot.plot(connect="finite")
            # A bucket with empty neighbours has no line to be part of: it is drawn as a dot.
            self._dots = pg.ScatterPlotItem(size=5, pen=pg.mkPen(None))
            plot.addItem(self._dots)
            layout.addSpacing(2)
            layout.addWidget(self.sparkline)
        layout.addStretch(1)
        self._paint(NEUTRAL_COLOUR)

    def caption(self, widget: Widget) -> str:
        return describe_range(widget.range)

    def show_data(self, widget: Widget, data: WidgetData, sample: int | None = None) -> None:
        self.value_label.setText(_figure(widget, data, data.value))
        self.value_label.setToolTip(data.label)
        detail, colour = self._detail(widget, data, sample)
        self.detail_label.setText(detail)
        self.detail_label.setStyleSheet(_DETAIL_STYLE.format(colour=colour))
        self._set_badge(*self._judge(widget, data, sample))
        self.badge_label.setToolTip(_describe_sample(sample))
        if self.sparkline is not None:
            self._draw(data.series_y)

    def _detail(self, widget: Widget, data: WidgetData, sample: int | None) -> tuple[str, str]:
        """The line under the figure: the KPI's target, that values of several currencies
        are added up, the change, how many loads a rated p75 is of, or why the range is empty."""
        if widget.kpi is not None and data.target is not None:
            status = f" · {data.status}" if data.status else ""
            return f"target {_figure(widget, data, data.target)}{status}", TONE_COLOURS["flat"]
        if data.currencies:
            # The Conversions tab sums each currency on its own; one figure cannot.
            mixed = " + ".join(data.currencies)
            return f"adds {mixed} together: filter by currency", TONE_COLOURS["bad"]
        change = describe_change(data.change, widget.range) if widget.comparison == "previous" else ""
        if data.no_data_reason and not data.change:
            return data.no_data_reason, TONE_COLOURS["flat"]  # nothing now, nor before: say so
        if change:
            return change, TONE_COLOURS[change_tone(widget.measure, data.change)]
        if sample is not None and sample > 0:
            return _describe_sample(sample), TONE_COLOURS["flat"]
        if data.no_data_reason:
            return data.no_data_reason, TONE_COLOURS["flat"]
        if widget.comparison == "previous" and data.previous == 0:
            return f"none in the previous {describe_range(widget.range).removeprefix('last ')}", TONE_COLOURS["flat"]
        return "", TONE_COLOURS["flat"]

    @staticmethod
    def _judge(widget: Widget, data: WidgetData, sample: int | None) -> tuple[str | None, str | None]:
        """A badge: a KPI's level, or the Web Vitals rating of a p75 (of enough values)."""
        if widget.kpi is not None:
            if data.level == "ok" and data.status in ("below target", "above target"):
                # No threshold crossed, but off target: not an "ok" in green (the KPIs tab's amber).
                return str(data.status), LEVEL_COLOURS["warning"]
            if data.level in LEVEL_COLOURS:
                return str(data.level), LEVEL_COLOURS[str(data.level)]
            return None, None
        measure = widget.measure
        if measure is None or measure.aggregation != "p75" or measure.field not in THRESHOLDS or data.value is None:
            return None, None
        rating = rate(str(measure.field), data.value, sample=sample)
        return _RATING_WORDS.get(rating), RATING_COLOURS[rating]

    def _set_badge(self, text: str | None, colour: str | None) -> None:
        if text is None or colour is None:
            self.badge_label.hide()
            self.accent = None
            self._paint(NEUTRAL_COLOUR)
            return
        self.badge_label.setText(text)
        self.badge_label.setStyleSheet(_BADGE_STYLE.format(colour=colour))
        self.badge_label.show()
        self.accent = colour
        self._paint(colour)

    def _draw(self, series: np.ndarray) -> None:
        y = np.asarray(series, dtype=np.float64)
        if not y.size or not np.isfinite(y).any():
            self._curve.setData([], [])
            self._dots.setData([], [])
            return
        xs = np.arange(y.size, dtype=np.float64)
        self._curve.setData(xs, y)
        alone = isolated(y)
        self._dots.setData(xs[alone], y[alone])
        # From zero, so a quiet bucket looks quiet rather than stretched to full height.
        top = float(np.nanmax(y))
        assert self.sparkline is not None
        self.sparkline.getPlotItem().setRange(
            xRange=(0, max(1, y.size - 1)), yRange=(0, top * 1.15 if top > 0 else 1.0), padding=0
        )

    def _paint(self, colour: str) -> None:
        if self.sparkline is None:
            return
        fill = pg.mkColor(colour)
        fill.setAlpha(40)
        self._curve.setPen(pg.mkPen(colour, width=2))
        self._curve.setFillLevel(0)
        self._curve.setBrush(pg.mkBrush(fill))
        self._dots.setBrush(pg.mkBrush(colour))
