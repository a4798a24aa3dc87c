"""One KPI on screen: :class:`KpiCard` shows its name, value with unit, target, status in
the level's colour, the trend against the previous period and a sparkline of the range
(drawn as the report draws it, :func:`~console.core.analysis.product.kpi.chart_line`).

The numbers come from :func:`~console.core.store.kpi_queries.kpi_value` and
:func:`~console.core.store.kpi_queries.kpi_series` (judged by the core); the card only
prints them, with :func:`~console.core.analysis.product.kpi.format_kpi_value` and
:func:`~console.core.analysis.product.kpi.format_change`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.core.analysis.product.kpi import (
    KpiDefinition,
    KpiValue,
    chart_line,
    format_change,
    format_kpi_value,
)
from console.gui.plots import still_plot

__all__ = ["LEVEL_COLOURS", "KpiCard", "KpiCardData", "status_colour", "target_text", "trend_text"]

#: Level → (text, background), the Performance panel's rating palette.
LEVEL_COLOURS = {
    "ok": ("#137333", "#e6f4ea"),
    "warning": ("#b06000", "#fef7e0"),
    "critical": ("#c5221f", "#fce8e6"),
    None: ("#5f6368", "#f1f3f4"),
}


@dataclass(frozen=True, slots=True)
class KpiCardData:
    """What one card shows: the judged value and the series over the range (or why none)."""

    value: KpiValue | None
    starts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    problem: str | None = None  # the KPI could not be computed (its definition no longer fits the store)


def status_colour(value: KpiValue) -> tuple[str, str]:
    """The (text, background) colours of a value's status, as the report colours it: green
    on target; off target, the warning or critical level's once a threshold is crossed, else
    amber (never green: a value below its target is not fine because it is above the warning
    line); without a target, its level's, or grey."""
    if value.status == "on target":
        return LEVEL_COLOURS["ok"]
    if value.status in ("below target", "above target"):
        return LEVEL_COLOURS["critical" if value.level == "critical" else "warning"]
    return LEVEL_COLOURS.get(value.level, LEVEL_COLOURS[None])


def target_text(kpi: KpiDefinition) -> str:
    """'target ≥ 12 %' (higher is better) or 'target ≤ 300 ms'; 'no target'."""
    if kpi.target is None:
        return "no target"
    sign = "≥" if kpi.higher_is_better else "≤"
    return f"target {sign} {format_kpi_value(kpi.target, kpi.unit)}"


def trend_text(value: KpiValue) -> str:
    """'▲ +12.5 % vs previous', '▼ −3.0 % vs previous', '▲ from 0 in the previous period',
    or that there is nothing to compare with."""
    if value.change is None:
        if value.previous is None:
            return "no previous period to compare"
        arrow = "▲" if (value.value or 0) > value.previous else "▼"
        return f"{arrow} from {format_kpi_value(value.previous, value.kpi.unit)} in the previous period"
    arrow = "▲" if value.change > 0 else "▼" if value.change < 0 else "■"
    return f"{arrow} {format_change(value.change)} vs previous"


def _trend_good(value: KpiValue) -> bool | None:
    if value.delta is None or value.delta == 0:
        return None
    return (value.delta > 0) == value.kpi.higher_is_better


class KpiCard(QFrame):
    """A KPI's card; click to select it, double-click to edit it.

    Signals:
        clicked(str): the card of this KPI name was clicked.
        activated(str): it was double-clicked.
    """

    clicked = Signal(str)
    activated = Signal(str)

    def __init__(self, kpi: KpiDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.kpi = kpi
        self.data: KpiCardData | None = None
        self._selected = False
        self.title = QLabel(kpi.name)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: 600; color: #202124; font-size: 13px;")
        self.value = QLabel("…")
        self.value.setObjectName("kpiValue")
        self.value.setTextFormat(Qt.TextFormat.PlainText)
        self.value.setStyleSheet("font-size: 24px; font-weight: 600; color: #202124;")
        self.status = QLabel("")
        self.status.setObjectName("kpiStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.target = QLabel(target_text(kpi))
        self.target.setTextFormat(Qt.TextFormat.PlainText)
        self.target.setStyleSheet("color: #5f6368;")
        self.trend = QLabel("")
        self.trend.setObjectName("kpiTrend")
        self.trend.setTextFormat(Qt.TextFormat.PlainText)
        self.calculation = QLabel("")
        self.calculation.setTextFormat(Qt.TextFormat.PlainText)
        self.calculation.setWordWrap(True)
        self.calculation.setStyleSheet("color: #80868b; font-size: 11px;")
        self.spark = pg.PlotWidget()
        still_plot(self.spark)
        self.spark.hideAxis("left")
        self.spark.hideAxis("bottom")
        self.spark.setFixedHeight(44)
        self.spark.getPlotItem().setContentsMargins(0, 0, 0, 0)
        self.line = self.spark.plot([], [], pen=pg.mkPen("#1a73e8", width=1.5))
        self.target_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#9aa0a6", width=1, style=Qt.PenStyle.DashLine))
        self.target_line.hide()
        self.spark.addItem(self.target_line, ignoreBounds=True)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(self.value)
        layout.addWidget(self.target)
        layout.addWidget(self.trend)
        layout.addWidget(self.spark)
        layout.addWidget(self.calculation)
        self.set_kpi(kpi)
        self._style()

    def sizeHint(self) -> QSize:
        return QSize(280, 210)

    def set_kpi(self, kpi: KpiDefinition) -> None:
        """Show ``kpi``'s definition (name, target, calculation); the numbers stay until the next answer."""
        self.kpi = kpi
        self.title.setText(kpi.name)
        self.target.setText(target_text(kpi))
        try:
            calculation = kpi.calculation_label()
        except ValueError:
            calculation = kpi.formula
        self.calculation.setText(calculation)
        tip = kpi.description + "\n" if kpi.description else ""
        self.setToolTip(f"{tip}{calculation}\nrefreshed every {kpi.refresh_s:,} s")

    def show_data(self, data: KpiCardData) -> None:
        """Print the value, status, trend and sparkline of ``data``."""
        self.data = data
        value = data.value
        if value is None:
            self.value.setText("—")
            self.target.setText(target_text(self.kpi))
            self.status.setText("cannot compute")
            self.status.setStyleSheet(self._badge(LEVEL_COLOURS["critical"]))
            self.trend.setText(data.problem or "")
            self.trend.setStyleSheet("color: #c5221f;")
            self.line.setData([], [])
            return
        self.value.setText(format_kpi_value(value.value, self.kpi.unit))
        # Off target, the badge is amber whether or not a threshold is crossed: say which.
        crossed = value.level if value.level in ("warning", "critical") else None
        self.target.setText(target_text(self.kpi) + (f" · {crossed} level" if crossed else ""))
        self.status.setText(value.status)
        self.status.setStyleSheet(self._badge(status_colour(value)))
        self.trend.setText(trend_text(value))
        good = _trend_good(value)
        self.trend.setStyleSheet(f"color: {'#5f6368' if good is None else '#137333' if good else '#c5221f'};")
        xs = data.starts.astype(np.float64) / 1000
        # As the report draws it: a count or sum climbs to its value (and its target), a
        # per-bucket unique-user count is not held against the range's target.
        ys, with_target = chart_line(self.kpi, data.values)
        target = self.kpi.target if with_target else None
        finite = np.isfinite(ys)
        self.line.setData(xs, ys, connect="finite")
        if target is not None and finite.any():
            self.target_line.setPos(target)
            self.target_line.show()
        else:
            self.target_line.hide()
        if xs.size:
            self.spark.setXRange(float(xs[0]), float(xs[-1]), padding=0.02)
        if finite.any():
            low, high = float(np.nanmin(ys)), float(np.nanmax(ys))
            if target is not None:
                low, high = min(low, target), max(high, target)
            margin = (high - low) * 0.1 or max(abs(high) * 0.1, 1.0)
            self.spark.setYRange(low - margin, high + margin, padding=0)

    @property
    def selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        self._selected = selected
        self._style()

    def _style(self) -> None:
        border = "#1a73e8" if self._selected else "#dadce0"
        width = 2 if self._selected else 1
        self.setStyleSheet(
            f"QFrame#kpiCard {{ background: white; border: {width}px solid {border}; border-radius: 8px; }}"
        )

    @staticmethod
    def _badge(colours: tuple[str, str]) -> str:
        text, background = colours
        return f"color: {text}; background: {background}; border-radius: 4px; padding: 1px 6px; font-weight: 600;"

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(self.kpi.name)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.activated.emit(self.kpi.name)
        super().mouseDoubleClickEvent(event)
