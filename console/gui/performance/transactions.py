"""The transaction half of the Performance panel: throughput, durations, names, waterfalls.

:class:`TransactionsView` renders a
:class:`~console.core.analysis.transaction_report.TransactionReport`: throughput per minute,
p50/p95/p99 duration and failure rate per bucket (one crosshair across the three), and a
table of transaction names sortable by count, p95 or failure rate. Selecting names narrows
the charts and lists their slowest instances; opening an instance shows its span waterfall,
and "Session's errors and logs" lists what else happened around it.

Signals:
    namesChosen(object): the names selected in the table changed (a frozenset).
    instanceChosen(int): an instance was opened (its event id).
    relatedWanted(int): the user asked for the opened instance's errors and logs.
    relatedActivated(object): a related error or log was double-clicked (its RelatedEvent).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.transaction_report import TransactionReport
from console.core.analysis.vitals import MIN_SAMPLE
from console.core.analysis.waterfall import Waterfall
from console.core.store.log_queries import RelatedEvent
from console.core.store.perf_queries import TransactionInstance
from console.gui.performance.charts import ChartGroup, TimeChart
from console.gui.performance.tables import InstanceTableModel, TransactionTableModel, refill, select_keys
from console.gui.performance.units import format_value
from console.gui.performance.waterfall import WaterfallView

__all__ = ["TransactionsView"]


def _table(model: object) -> QTableView:
    table = QTableView()
    table.setModel(model)  # type: ignore[arg-type]
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    table.setWordWrap(False)
    return table


class TransactionsView(QWidget):
    """See the module docstring."""

    namesChosen = Signal(object)
    instanceChosen = Signal(int)
    relatedWanted = Signal(int)
    relatedActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: TransactionReport | None = None
        self.throughput = TimeChart(curves={"per minute": pg.mkPen("#1a73e8", width=2)})
        self.throughput.setLabel("left", "per minute")
        self.duration = TimeChart(curves={
            "p50": pg.mkPen("#8ab4f8", width=1.5),
            "p95": pg.mkPen("#1a73e8", width=2.5),
            "p99": pg.mkPen("#174ea6", width=1.5, style=Qt.PenStyle.DashLine),
        })
        self.duration.setLabel("left", "duration (ms)")
        self.failures = TimeChart(curves={"failure rate": pg.mkPen("#d93025", width=2)})
        self.failures.setLabel("left", "failed %")
        self.group = ChartGroup([self.throughput, self.duration, self.failures], parent=self)
        self.titles = {name: QLabel() for name in ("throughput", "duration", "failures")}
        for title in self.titles.values():
            title.setTextFormat(Qt.TextFormat.PlainText)
            title.setStyleSheet("font-weight: 600;")
        self.readout = QLabel("Hover a chart to read its exact values")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setStyleSheet("color: #3c4043;")

        self.names = TransactionTableModel()
        self.name_table = _table(self.names)
        self.name_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.name_table.setSortingEnabled(True)
        self.name_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        header = self.name_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.names.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.names_caption = QLabel("Transactions")
        self.names_caption.setTextFormat(Qt.TextFormat.PlainText)

        self.instances = InstanceTableModel()
        self.instance_table = _table(self.instances)
        self.instance_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.instance_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.instances_caption = QLabel("Select a transaction to list its slowest instances")
        self.instances_caption.setTextFormat(Qt.TextFormat.PlainText)

        self.waterfall = WaterfallView()
        self.related_button = QPushButton("Session's errors and logs")
        self.related_button.setToolTip("Errors and logs of this transaction's trace and session, near it in time")
        self.related_button.setEnabled(False)
        self.related = QListWidget()
        self.related.setMaximumHeight(120)
        self.related.hide()
        self._opened: TransactionInstance | None = None

        charts = QWidget()
        chart_row = QHBoxLayout(charts)
        chart_row.setContentsMargins(0, 0, 0, 0)
        for key, chart in (("throughput", self.throughput), ("duration", self.duration), ("failures", self.failures)):
            cell = QVBoxLayout()
            cell.addWidget(self.titles[key])
            cell.addWidget(chart, 1)
            chart_row.addLayout(cell, 1)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(charts, 1)
        upper_layout.addWidget(self.readout)
        names_box = QWidget()
        names_layout = QVBoxLayout(names_box)
        names_layout.setContentsMargins(0, 0, 0, 0)
        names_layout.addWidget(self.names_caption)
        names_layout.addWidget(self.name_table, 1)
        instances_box = QWidget()
        instances_layout = QVBoxLayout(instances_box)
        instances_layout.setContentsMargins(0, 0, 0, 0)
        instances_layout.addWidget(self.instances_caption)
        instances_layout.addWidget(self.instance_table, 1)
        waterfall_box = QWidget()
        waterfall_layout = QVBoxLayout(waterfall_box)
        waterfall_layout.setContentsMargins(0, 0, 0, 0)
        waterfall_layout.addWidget(self.waterfall, 1)
        links = QHBoxLayout()
        links.addWidget(self.related_button)
        links.addStretch(1)
        waterfall_layout.addLayout(links)
        waterfall_layout.addWidget(self.related)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(names_box)
        tables.addWidget(instances_box)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(tables)
        lower.addWidget(waterfall_box)
        lower.setSizes([620, 620])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([260, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.name_table.selectionModel().selectionChanged.connect(self._names_selected)
        self.instance_table.selectionModel().selectionChanged.connect(self._instance_selected)
        self.related_button.clicked.connect(self._want_related)
        self.related.itemDoubleClicked.connect(self._related_activated)
        self.group.hovered.connect(self._hovered)
        self._chosen: frozenset[str] = frozenset()

    @property
    def chosen_names(self) -> frozenset[str]:
        return self._chosen

    @property
    def opened(self) -> TransactionInstance | None:
        """The instance whose waterfall is shown."""
        return self._opened

    def choose_names(self, names: frozenset[str]) -> None:
        """Select these names in the table, as clicks would."""
        select_keys(self.name_table, self.names, names)

    def show_report(self, report: TransactionReport) -> None:
        """Draw ``report``: the three charts and the names table (keeping its selection)."""
        self.report = report
        xs = (report.bucket_starts + report.when.bucket_ms / 2) / 1000.0
        self.throughput.show_values(xs, {"per minute": report.per_minute})
        self.duration.show_values(xs, {"p50": report.p50, "p95": report.p95, "p99": report.p99})
        self.failures.show_values(xs, {"failure rate": report.failure_rate * 100})
        minutes = max(report.when.span_ms / 60_000, 1e-9)
        self.titles["throughput"].setText(f"Throughput — {report.count:,} transactions, {report.count / minutes:,.1f}/min")
        if report.count < MIN_SAMPLE:
            self.titles["duration"].setText(f"Duration — {report.count} transactions, too few for percentiles")
        else:
            self.titles["duration"].setText("Duration p50 / p95 / p99")
        rate = report.failures / report.count * 100 if report.count else 0.0
        self.titles["failures"].setText(f"Failure rate — {report.failures:,} failed ({rate:.1f}%)")
        refill(self.name_table, self.names, report.names, report.selected_names)
        shown = len(report.names)
        more = f" (the busiest {shown:,} of {report.names_total:,})" if report.names_total > shown else ""
        self.names_caption.setText(f"Transactions{more} — select names to chart only them")

    def show_instances(self, instances: Sequence[TransactionInstance]) -> None:
        """List the slowest instances of the chosen names."""
        self.instances.set_rows(instances)
        if not self._chosen:
            self.instances_caption.setText(f"Slowest {len(instances)} transactions in range — select one to see its spans")
        else:
            self.instances_caption.setText(f"Slowest {len(instances)} of the selected — select one to see its spans")

    def show_waterfall(self, waterfall: Waterfall | None) -> None:
        self.waterfall.show_waterfall(waterfall)
        self.related.clear()
        self.related.hide()

    def show_related(self, events: Sequence[RelatedEvent]) -> None:
        """List the opened instance's related errors and logs, oldest first."""
        self.related.clear()
        for event in events:
            moment = datetime.fromtimestamp(event.ts / 1000).strftime("%H:%M:%S")
            item = QListWidgetItem(f"{moment}  {event.kind:<5}  {event.summary}")
            item.setData(Qt.ItemDataRole.UserRole, event)
            if event.kind == "error":
                item.setForeground(pg.mkColor("#c5221f"))
            self.related.addItem(item)
        if not events:
            self.related.addItem("No errors or logs share this transaction's trace or session near it")
        self.related.show()

    def set_x_range(self, start_s: float, end_s: float) -> None:
        self.group.set_x_range(start_s, end_s)

    @Slot()
    def _names_selected(self) -> None:
        rows = {index.row() for index in self.name_table.selectionModel().selectedRows()}
        chosen = frozenset(self.names.key_of(r) for r in rows if r < self.names.rowCount())
        if chosen != self._chosen:
            self._chosen = chosen
            self.namesChosen.emit(chosen)

    @Slot()
    def _instance_selected(self) -> None:
        rows = self.instance_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.instances.rowCount():
            return
        self._opened = self.instances.rows[rows[0].row()]
        self.related_button.setEnabled(bool(self._opened.session_id or self._opened.trace_id))
        self.instanceChosen.emit(self._opened.event_id)

    @Slot()
    def _want_related(self) -> None:
        if self._opened is not None:
            self.relatedWanted.emit(self._opened.event_id)

    @Slot(QListWidgetItem)
    def _related_activated(self, item: QListWidgetItem) -> None:
        event = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(event, RelatedEvent):
            self.relatedActivated.emit(event)

    def open_instance(self, row: int = 0) -> bool:
        """Open the instance in ``row`` of the list, as a click would; False if there is none."""
        if row >= self.instances.rowCount():
            return False
        self.instance_table.selectRow(row)
        return True

    @Slot(float)
    def _hovered(self, x: float) -> None:
        if self.report is None:
            return
        found = self.duration.value_at(x)
        if found is None:
            return
        index, values = found
        report = self.report
        moment = datetime.fromtimestamp(int(report.bucket_starts[index]) / 1000).strftime("%Y-%m-%d %H:%M:%S")
        count = int(report.counts[index])
        rate = report.failure_rate[index]
        text = f"{moment} — {count:,} transactions, {report.per_minute[index]:,.1f}/min"
        if count >= MIN_SAMPLE:
            text += (
                f" · p50 {format_value('duration_ms', values['p50'])}, p95 {format_value('duration_ms', values['p95'])},"
                f" p99 {format_value('duration_ms', values['p99'])}"
            )
        if not np.isnan(rate):
            text += f" · {rate * 100:.1f}% failed"
        self.readout.setText(text)

