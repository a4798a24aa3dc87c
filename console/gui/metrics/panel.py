"""The Metrics panel: every metric series by name, and a chart of the one selected.

OTLP senders export gauges, sums and histograms; the store keeps every data point. The list
shows each series with its type, unit, point count and latest value; selecting one charts
its points over time (a histogram's points are the mean of each export). The list refreshes
every few seconds through the window's :class:`~console.gui.jobs.StoreJobs`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.store.metric_queries import MetricPoint, MetricSeries, metric_points, metric_series
from console.gui.jobs import StoreJobs
from console.gui.logs.model import clock

__all__ = ["MetricsPanel"]

_REFRESH_MS = 3_000


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:,.4g}"


class MetricsPanel(QWidget):
    """Series list and chart; see the module docstring.

    Signals:
        ready(): the first list of series (or the store's failure) has arrived (once).
    """

    ready = Signal()

    def __init__(self, *, jobs: StoreJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._ready = False
        self._series: list[MetricSeries] = []
        self._chosen: str | None = None

        title = QLabel("Metrics")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Name", "Type", "Unit", "Service", "Points", "Latest"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.chart = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.chart.setBackground("w")
        self.chart.showGrid(x=True, y=True, alpha=0.2)
        self.chart.setClipToView(True)
        self.chart.setDownsampling(auto=True, mode="peak")
        self.curve = self.chart.plot([], [], pen=pg.mkPen("#1a73e8", width=2), symbol="o", symbolSize=4)
        self.chart_title = QLabel("Select a series to chart it")
        self.chart_title.setTextFormat(Qt.TextFormat.PlainText)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 4, 0, 0)
        lower_layout.addWidget(self.chart_title)
        lower_layout.addWidget(self.chart, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([380, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        head = QVBoxLayout()
        head.addWidget(title)
        head.addWidget(self.status)
        layout.addLayout(head)
        layout.addWidget(split, 1)

        self._refresh = QTimer(self)
        self._refresh.setObjectName("lookout.metrics.refresh")
        self._refresh.setInterval(_REFRESH_MS)
        self._refresh.timeout.connect(self.reload)
        self.table.itemSelectionChanged.connect(self._select)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    @property
    def is_ready(self) -> bool:
        """Whether the first list of series (or a failure) has arrived."""
        return self._ready

    def start(self) -> None:
        """Load the series and keep them fresh."""
        self.reload()
        self._refresh.start()

    def stop(self) -> None:
        """Stop refreshing."""
        self._refresh.stop()

    @Slot()
    def reload(self) -> None:
        """Ask for the series list (and the chosen series' points) again."""
        self._jobs.submit("metrics.series", metric_series)
        if self._chosen is not None:
            self._load_points(self._chosen)

    def select_series(self, name: str) -> None:
        """Select a series by name (as a click on its row does)."""
        for row, series in enumerate(self._series):
            if series.name == name:
                self.table.selectRow(row)
                return

    def _load_points(self, name: str) -> None:
        self._jobs.submit("metrics.points", lambda conn: (name, metric_points(conn, name)))

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "metrics.series":
            self._show_series(result)
        elif key == "metrics.points":
            self._show_points(*result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("metrics."):
            self.status.setText(f"cannot read the store — {message}")
            self._mark_ready()

    def _show_series(self, series: list[MetricSeries]) -> None:
        self._series = series
        self.table.blockSignals(True)
        self.table.setRowCount(len(series))
        for row, item in enumerate(series):
            cells = (item.name, item.type, item.unit or "", item.service or "", f"{item.points:,}", _value(item.last_value))
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column >= 4:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, cell)
            if item.name == self._chosen:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        if series:
            points = sum(s.points for s in series)
            self.status.setText(f"{len(series):,} series, {points:,} points")
        else:
            self.status.setText("no metrics yet — point an OTLP metric exporter at /v1/metrics")
        if self._chosen is None and series:
            self.table.selectRow(0)
        self._mark_ready()

    @Slot()
    def _select(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._series):
            return
        self._chosen = self._series[rows[0].row()].name
        self._load_points(self._chosen)

    def _show_points(self, name: str, points: list[MetricPoint]) -> None:
        if name != self._chosen:
            return
        known = [p for p in points if p.value is not None]
        xs = np.fromiter((p.ts / 1000 for p in known), dtype=float, count=len(known))
        ys = np.fromiter((float(p.value or 0.0) for p in known), dtype=float, count=len(known))
        self.curve.setData(xs, ys)
        if known:
            last = known[-1]
            self.chart_title.setText(f"{name}: {len(known):,} points, latest {_value(last.value)} at {clock(last.ts)}")
        else:
            self.chart_title.setText(f"{name}: no points with a value")

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()
