"""The page-load half of the Performance panel: vitals charts, pages table and histogram.

:class:`PageLoadsView` renders a :class:`~console.core.analysis.page_load_report.PageLoadReport`:
one chart per Core Web Vital (p50, p75 and p95 per bucket over its bands) plus one for a
chosen navigation metric, all sharing a crosshair whose readout gives the exact values; a
table of pages with each vital's p75 in its rating colour; and a histogram of one metric.
It computes nothing itself and asks for nothing: the panel feeds it reports and listens to
what the user chose.

Signals:
    routesChosen(object): the pages selected in the table changed (a frozenset of routes).
    metricsChanged(): the navigation chart's metric or the histogram's metric changed.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.page_load_report import PageLoadReport, too_few_text
from console.core.analysis.vitals import MIN_SAMPLE
from console.core.store.perf_frames import NAVIGATION_METRICS, PAGE_LOAD_METRICS
from console.gui.performance.charts import ChartGroup, HistogramChart, TimeChart
from console.gui.performance.tables import RouteTableModel, refill, select_keys
from console.gui.performance.units import RATING_COLOURS, RATING_WORDS, format_change, format_value, label

__all__ = ["CHARTED_VITALS", "TABLE_METRICS", "PageLoadsView"]

#: The vitals with a chart of their own, in order; a sixth chart shows a chosen metric.
CHARTED_VITALS = ("lcp", "inp", "cls", "fcp", "ttfb")
TABLE_METRICS = CHARTED_VITALS

_PENS = {
    "p50": pg.mkPen("#8ab4f8", width=1.5),
    "p75": pg.mkPen("#1a73e8", width=2.5),
    "p95": pg.mkPen("#174ea6", width=1.5, style=Qt.PenStyle.DashLine),
}


class PageLoadsView(QWidget):
    """See the module docstring."""

    routesChosen = Signal(object)
    metricsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: PageLoadReport | None = None
        self.charts: dict[str, TimeChart] = {}
        self.titles: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setSpacing(6)
        self.extra_metric = QComboBox()
        for metric in ("fid", *NAVIGATION_METRICS):
            self.extra_metric.addItem(label(metric), metric)
        self.extra_metric.setCurrentIndex(self.extra_metric.findData("tbt"))
        slots = [*CHARTED_VITALS, "extra"]
        for position, slot in enumerate(slots):
            metric = self.extra_metric.currentData() if slot == "extra" else slot
            chart = TimeChart(curves=_PENS, metric=metric)
            title = QLabel()
            title.setTextFormat(Qt.TextFormat.PlainText)
            title.setStyleSheet("font-weight: 600;")
            head = QHBoxLayout()
            head.addWidget(title, 1)
            if slot == "extra":
                head.addWidget(self.extra_metric)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addLayout(head)
            cell.addWidget(chart, 1)
            grid.addLayout(cell, position // 3, position % 3)
            self.charts[slot] = chart
            self.titles[slot] = title
            chart.getPlotItem().scene().sigMouseClicked.connect(lambda _e, s=slot: self._chart_clicked(s))
        self.group = ChartGroup(list(self.charts.values()), parent=self)
        self.readout = QLabel("Hover a chart to read its exact values; click one to see its histogram")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setStyleSheet("color: #3c4043;")
        self.readout.setWordWrap(True)

        self.routes = RouteTableModel(TABLE_METRICS)
        self.route_table = QTableView()
        self.route_table.setModel(self.routes)
        self.route_table.setSortingEnabled(True)
        self.route_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.route_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.route_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.route_table.verticalHeader().hide()
        self.route_table.verticalHeader().setDefaultSectionSize(22)
        self.route_table.setWordWrap(False)
        header = self.route_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.routes.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.routes_caption = QLabel("Pages")
        self.routes_caption.setTextFormat(Qt.TextFormat.PlainText)
        self.clear_routes = QPushButton("All pages")
        self.clear_routes.setToolTip("Chart every page again")
        self.clear_routes.setEnabled(False)

        self.histogram_metric = QComboBox()
        for metric in PAGE_LOAD_METRICS:
            self.histogram_metric.addItem(label(metric), metric)
        self.histogram = HistogramChart()

        charts = QWidget()
        charts_layout = QVBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addLayout(grid, 1)
        charts_layout.addWidget(self.readout)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_head = QHBoxLayout()
        table_head.addWidget(self.routes_caption, 1)
        table_head.addWidget(self.clear_routes)
        table_layout.addLayout(table_head)
        table_layout.addWidget(self.route_table, 1)
        histogram_box = QWidget()
        histogram_layout = QVBoxLayout(histogram_box)
        histogram_layout.setContentsMargins(0, 0, 0, 0)
        histogram_head = QHBoxLayout()
        histogram_head.addWidget(QLabel("Histogram of"))
        histogram_head.addWidget(self.histogram_metric)
        histogram_head.addStretch(1)
        histogram_layout.addLayout(histogram_head)
        histogram_layout.addWidget(self.histogram, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(table_box)
        lower.addWidget(histogram_box)
        lower.setSizes([760, 440])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(charts)
        split.addWidget(lower)
        split.setSizes([470, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.route_table.selectionModel().selectionChanged.connect(self._routes_selected)
        self.clear_routes.clicked.connect(self.route_table.clearSelection)
        self.extra_metric.currentIndexChanged.connect(self._extra_changed)
        self.histogram_metric.currentIndexChanged.connect(lambda _i: self.metricsChanged.emit())
        self.group.hovered.connect(self._hovered)
        self._chosen: frozenset[str] = frozenset()

    # What the panel asks of the report.

    @property
    def chart_metrics(self) -> tuple[str, ...]:
        """The metrics charted, in chart order."""
        return (*CHARTED_VITALS, str(self.extra_metric.currentData()))

    @property
    def histogram_choice(self) -> str:
        return str(self.histogram_metric.currentData())

    @property
    def chosen_routes(self) -> frozenset[str]:
        return self._chosen

    def choose_routes(self, routes: frozenset[str]) -> None:
        """Select these pages in the table (as clicks would) and filter the charts to them."""
        select_keys(self.route_table, self.routes, routes)

    def show_report(self, report: PageLoadReport) -> None:
        """Draw ``report``: charts, titles, the pages table (keeping its selection), histogram."""
        self.report = report
        xs = (report.bucket_starts + report.when.bucket_ms / 2) / 1000.0
        for slot, chart in self.charts.items():
            metric = chart.metric or slot
            series = report.series.get(metric)
            if series is None:
                continue
            chart.show_values(xs, {"p50": series.p50, "p75": series.p75, "p95": series.p95})
            self.titles[slot].setText(self._title(metric))
            self.titles[slot].setToolTip(self._title_tooltip(metric))
        self._fill_routes(report)
        self.histogram.show_histogram(report.histogram)

    def set_x_range(self, start_s: float, end_s: float) -> None:
        self.group.set_x_range(start_s, end_s)

    def _title(self, metric: str) -> str:
        assert self.report is not None
        summary = self.report.summaries[metric]
        series = self.report.series[metric]
        if summary.count < MIN_SAMPLE:
            return f"{label(metric)} — {too_few_text(summary.count)}"
        text = f"{label(metric)}  p75 {format_value(metric, summary.p75)}"
        rating = summary.rating
        if rating is not None:
            text += f" · {RATING_WORDS[rating]}"
        if summary.count != self.report.loads:  # only when some loads lack this metric
            text += f" · {summary.count:,} loads"
        change = format_change(summary.change)
        if change:
            text += f" · {change} vs previous"
        sparse = int(np.count_nonzero((series.counts > 0) & (series.counts < MIN_SAMPLE)))
        if sparse:
            text += f" · {sparse} sparse buckets blank"
        return text

    def _title_tooltip(self, metric: str) -> str:
        assert self.report is not None
        summary = self.report.summaries[metric]
        return (
            f"p50 {format_value(metric, summary.p50)}, p75 {format_value(metric, summary.p75)}, "
            f"p95 {format_value(metric, summary.p95)} over {summary.count:,} loads\n"
            f"previous period: p75 {format_value(metric, summary.previous_p75)} over {summary.previous_count:,}\n"
            f"buckets with under {MIN_SAMPLE} loads draw no line"
        )

    def title_colour(self, metric: str) -> str | None:
        """The text colour of a metric's rating, for the title (None when unrated)."""
        if self.report is None:
            return None
        rating = self.report.summaries[metric].rating
        return None if rating is None else RATING_COLOURS[rating][0]

    def _fill_routes(self, report: PageLoadReport) -> None:
        refill(self.route_table, self.routes, report.routes, report.selected_routes)
        shown = len(report.routes)
        more = f" (the busiest {shown:,} of {report.routes_total:,})" if report.routes_total > shown else ""
        if report.selected_routes:
            chosen = len(report.selected_routes)
            caption = f"Pages{more} — charts show {chosen} selected page{'s' if chosen > 1 else ''}"
        else:
            caption = f"Pages{more} — select pages to chart only them"
        self.routes_caption.setText(caption)
        self.clear_routes.setEnabled(bool(report.selected_routes))
        for slot, title in self.titles.items():
            colour = self.title_colour(self.charts[slot].metric or slot)
            style = f"font-weight: 600; color: {colour or '#202124'};"
            if title.styleSheet() != style:  # a style sheet change re-polishes the label
                title.setStyleSheet(style)

    @Slot()
    def _routes_selected(self) -> None:
        rows = {index.row() for index in self.route_table.selectionModel().selectedRows()}
        chosen = frozenset(self.routes.key_of(r) for r in rows if r < self.routes.rowCount())
        if chosen != self._chosen:
            self._chosen = chosen
            self.routesChosen.emit(chosen)

    @Slot(int)
    def _extra_changed(self, _index: int) -> None:
        self.charts["extra"].set_metric(str(self.extra_metric.currentData()))
        self.metricsChanged.emit()

    def _chart_clicked(self, slot: str) -> None:
        metric = self.charts[slot].metric
        index = self.histogram_metric.findData(metric)
        if index >= 0:
            self.histogram_metric.setCurrentIndex(index)

    @Slot(float)
    def _hovered(self, x: float) -> None:
        if self.report is None:
            return
        parts = []
        when = None
        for slot, chart in self.charts.items():
            found = chart.value_at(x)
            metric = chart.metric or slot
            series = self.report.series.get(metric)
            if found is None or series is None:
                continue
            index, values = found
            when = int(self.report.bucket_starts[index])
            count = int(series.counts[index])
            if count < MIN_SAMPLE:
                parts.append(f"{label(metric)}: {too_few_text(count)}")
                continue
            parts.append(
                f"{label(metric)} p75 {format_value(metric, values['p75'])} "
                f"(p50 {format_value(metric, values['p50'])}, p95 {format_value(metric, values['p95'])}; {count:,} loads)"
            )
        if when is not None:
            moment = datetime.fromtimestamp(when / 1000).strftime("%Y-%m-%d %H:%M:%S")
            self.readout.setText(f"{moment} — " + " · ".join(parts))

