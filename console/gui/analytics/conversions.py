"""The Analytics panel's Conversions tab: conversions over the panel's range, by type, with their value.

One query on the query thread (:func:`~console.core.store.explorer_queries.conversion_report`)
gives, per conversion type, the count and the users, the value summed per currency (values
in different currencies are never added) and both per time bucket. The tab draws the counts
per type and the value per type and currency over time, and a table of the types.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHeaderView, QVBoxLayout, QWidget

from console.core.store.explorer_queries import ConversionReport, ConversionType, conversion_report
from console.gui.analytics.tab_parts import Explained, SeriesChart, heading, note, range_bounds
from console.gui.experiments.goals import fit_height, short_table
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import Column, ColumnTableModel

__all__ = ["ConversionTableModel", "ConversionsTab", "money_text"]

_EMPTY = (
    "No conversions in this range.\n\nApps report one as a native event named conversion, with its type, value and"
    " currency:\n{\"type\": \"event\", \"name\": \"conversion\", \"properties\": {\"type\": \"purchase\","
    " \"value\": 129.0, \"currency\": \"CNY\"}}.\nChoose a longer range above if conversions arrived earlier."
)


def money_text(value: tuple[tuple[str | None, float], ...]) -> str:
    """'1,234.50 CNY + 20.00 USD'; '–' when no conversion carried a value."""
    if not value:
        return "–"
    return " + ".join(f"{amount:,.2f} {currency}" if currency else f"{amount:,.2f}" for currency, amount in value)


class ConversionTableModel(ColumnTableModel[ConversionType]):
    """Conversion types with count, users, value and currency."""

    def __init__(self) -> None:
        columns: list[Column[ConversionType]] = [
            Column("Type", lambda t: t.label, lambda t: t.label, numeric=False),
            Column("Count", lambda t: f"{t.count:,}", lambda t: t.count),
            Column("Users", lambda t: f"{t.users:,}", lambda t: t.users),
            Column("Value", lambda t: money_text(t.value), lambda t: sum(v for _, v in t.value)),
            Column("Currency", lambda t: ", ".join(c or "(none)" for c, _ in t.value) or "–",
                   lambda t: ",".join(c or "" for c, _ in t.value), numeric=False),
        ]
        super().__init__(columns, key=lambda t: t.label)


class ConversionsTab(QWidget):
    """Conversions by type over time; see the module docstring.

    Signals:
        answered(): a report (or the store's failure) has been shown.
        reportShown(): the charts and table were filled.
    """

    answered = Signal()
    reportShown = Signal()

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self.report: ConversionReport | None = None
        self.status = note("loading…")
        self.counts_chart = SeriesChart(y_label="conversions", height=200)
        self.value_chart = SeriesChart(y_label="value", height=200)
        self.types = ConversionTableModel()
        self.table = short_table(self.types, rows=3)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Conversions per type"))
        layout.addWidget(self.counts_chart, 1)
        layout.addWidget(heading("Value per type and currency"))
        layout.addWidget(self.value_chart, 1)
        layout.addWidget(heading("Types"))
        layout.addWidget(self.table)
        self.body = Explained(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        outer.addWidget(self.status)
        outer.addWidget(self.body, 1)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    def refresh(self) -> None:
        """Read the conversions of the range again."""
        start_ms, end_ms = self._span.span()
        bucket = self._span.bucket_ms

        def job(conn: sqlite3.Connection) -> tuple[ConversionReport, float]:
            started = time.perf_counter()
            start, end, width = range_bounds(conn, start_ms, end_ms, bucket)
            return conversion_report(conn, start, end, width), time.perf_counter() - started

        self._jobs.submit("analytics.conversions", job)

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.conversions":
            report, seconds = result
            self._show_report(report, seconds)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key == "analytics.conversions":
            self.status.setText(f"cannot read the store — {message}")
            if self.report is None:
                self.body.explain(f"The store cannot be read: {message}")
            self.answered.emit()

    def _show_report(self, report: ConversionReport, seconds: float) -> None:
        self.report = report
        if not report.count:
            self.status.setText(f"no conversions in {self._span.label.lower()}")
            self.body.explain(_EMPTY)
            self.answered.emit()
            return
        self.body.show_content()
        self.counts_chart.show_series(report.buckets, {t.label: t.counts for t in report.types})
        values = {
            f"{t.label} · {currency}" if currency else t.label: per_bucket
            for t in report.types for currency, per_bucket in t.values
        }
        self.value_chart.show_series(report.buckets, values)
        currencies = {currency for t in report.types for currency, _ in t.values}
        only = next(iter(currencies)) if len(currencies) == 1 else None
        self.value_chart.set_y_label(only or "value")
        self.types.set_rows(list(report.types))
        fit_height(self.table, len(report.types))
        self.status.setText(
            f"{report.count:,} conversions by {report.users:,} users in {self._span.label.lower()}"
            f" · {money_text(report.value)} · computed in {seconds * 1000:.0f} ms"
        )
        self.reportShown.emit()
        self.answered.emit()
