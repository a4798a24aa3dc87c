"""The Analytics panel's KPIs tab: a card per KPI over the panel's range, their editor and the report.

Each refresh the panel asks for (every few seconds while the tab is on screen) lists the
KPIs (:func:`~console.core.store.kpi_queries.list_kpis`) and computes, on the query thread,
the value and series of those whose refresh frequency has come round
(:func:`~console.core.store.kpi_queries.kpi_value`, ``kpi_series``); the others keep their
card as it was. A new range, or a saved or deleted KPI, recomputes every card.

"New KPI…" and "Edit…" open a :class:`~console.gui.analytics.kpi_editor.KpiEditor`; the
definition goes to the store's writer through
:class:`~console.gui.product_client.ProductClient` and the cards are read again once it is
stored. "Report…" writes the self-contained HTML report of the range
(:func:`~console.core.analysis.product.report.report_html`) and its CSV beside it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.report import report_csv, report_html
from console.core.store.kpi_queries import kpi_report, kpi_series, kpi_value, list_kpis
from console.core.store.product_actions import ProductAction
from console.gui.analytics.kpi_cards import KpiCard, KpiCardData
from console.gui.analytics.kpi_editor import KpiEditor
from console.gui.analytics.ref_picker import PickerChoices, load_choices
from console.gui.analytics.tab_parts import Explained, note, range_bounds
from console.gui.jobs import StoreJobs

__all__ = ["KpisAnswer", "KpisTab", "ReportWritten", "write_report"]

#: A card is never recomputed more often than this, whatever its KPI asks.
MIN_REFRESH_S = 5.0
_COLUMNS = 4
_EMPTY = (
    "No KPIs yet.\n\nDefine one with “New KPI…”, or have your app send the brief's defineKPI as a native kpi payload:\n"
    "{\"type\": \"kpi\", \"name\": \"Checkout conversion\", \"calculation\": {\"formula\": \"rate\", \"per\": \"users\",\n"
    "\"event\": {\"source\": \"conversion\", \"name\": \"purchase\"}, \"denominator\": {\"source\": \"page_view\","
    " \"name\": \"pages/cart/cart\"}},\n\"unit\": \"%\", \"target\": 3.5, \"thresholds\": {\"warning\": 3.0,"
    " \"critical\": 2.0}, \"updateFrequency\": \"5m\"}.\n"
    "A KPI is a count of an event, its unique users, a rate of one count over another, a sum of a value,\n"
    "a percentile of a metric or the error rate, over the events the store holds."
)


@dataclass(frozen=True, slots=True)
class KpisAnswer:
    """One read: every KPI, and the cards computed this time (by KPI name)."""

    kpis: list[KpiDefinition]
    cards: dict[str, KpiCardData]
    start_ms: int
    end_ms: int
    seconds: float


@dataclass(frozen=True, slots=True)
class ReportWritten:
    """Where the report went (or why it did not), and its summary line."""

    html: Path
    csv: Path
    summary: str
    error: str | None = None


def write_report(conn: sqlite3.Connection, start_ms: int | None, end_ms: int, bucket_ms: int, html: Path) -> ReportWritten:
    """A job: the KPI report of the range, as HTML at ``html`` and CSV beside it."""
    start, end, _bucket = range_bounds(conn, start_ms, end_ms, bucket_ms)
    report = kpi_report(conn, start, end, now_ms=end)
    csv = html.with_suffix(".csv")
    try:
        html.write_text(report_html(report), encoding="utf-8")
        csv.write_text(report_csv(report), encoding="utf-8")
    except OSError as exc:
        return ReportWritten(html, csv, report.summary(), error=f"could not write the report: {exc}")
    return ReportWritten(html, csv, report.summary())


class KpisTab(QWidget):
    """KPI cards over the panel's range; see the module docstring.

    Signals:
        answered(): cards (or the store's failure) have been shown.
        cardsShown(): the cards were filled from an answer.
        reportWritten(object): a ReportWritten (its ``error`` set when writing failed).
    """

    answered = Signal()
    cardsShown = Signal()
    reportWritten = Signal(object)

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self._client: Any = None
        self._read_at: dict[str, float] = {}  # KPI name → time.monotonic() of its last computation
        self.choices = PickerChoices()
        self.answer: KpisAnswer | None = None
        self.cards: dict[str, KpiCard] = {}
        self.selected: str | None = None
        self.editor: KpiEditor | None = None

        self.status = note("loading…")
        self.new_button = QPushButton("New KPI…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.report_button = QPushButton("Report…")
        self.report_button.setToolTip("Write the KPI report of the panel's range as HTML (charts embedded) and CSV")
        for button in (self.new_button, self.edit_button, self.delete_button):
            button.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        for button in (self.new_button, self.edit_button, self.delete_button, self.report_button):
            bar.addWidget(button)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(self.grid_host)
        holder_layout.addStretch(1)
        scroll.setWidget(holder)
        self.scroll = scroll
        self.columns = _COLUMNS
        # Cards reflow to the width: four across a wide window, fewer rather than cut off.
        scroll.viewport().installEventFilter(self)
        self.body = Explained(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.body, 1)

        self.new_button.clicked.connect(lambda: self.open_editor(None))
        self.edit_button.clicked.connect(lambda: self.open_editor(self.selected_kpi()))
        self.delete_button.clicked.connect(self._confirm_delete)
        self.report_button.clicked.connect(self._choose_report_file)
        span.changed.connect(lambda _key: self._read_at.clear())
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    def use_client(self, client: Any) -> None:
        """Save and delete KPIs through ``client`` (a ProductClient)."""
        self._client = client
        self.new_button.setEnabled(True)
        client.done.connect(self._client_done)
        client.failed.connect(self._client_failed)
        self._enable()

    # --- reading --------------------------------------------------------------------------

    def refresh(self, *, everything: bool = False) -> None:
        """List the KPIs and compute the cards that are due (``everything``: all of them)."""
        start_ms, end_ms = self._span.span()
        bucket = self._span.bucket_ms
        now = time.monotonic()
        read_at = {} if everything else dict(self._read_at)

        def due(kpi: KpiDefinition) -> bool:
            last = read_at.get(kpi.name)
            return last is None or now - last >= max(float(kpi.refresh_s), MIN_REFRESH_S)

        def job(conn: sqlite3.Connection) -> KpisAnswer:
            started = time.perf_counter()
            start, end, width = range_bounds(conn, start_ms, end_ms, bucket)
            kpis = list_kpis(conn)
            cards: dict[str, KpiCardData] = {}
            for kpi in kpis:
                if not due(kpi):
                    continue
                try:
                    value = kpi_value(conn, kpi, start, end)
                    starts, values = kpi_series(conn, kpi, start, end, width)
                except ValueError as exc:
                    cards[kpi.name] = KpiCardData(None, np.zeros(0, np.int64), np.zeros(0), problem=str(exc))
                    continue
                cards[kpi.name] = KpiCardData(value, starts, values)
            return KpisAnswer(kpis, cards, start, end, time.perf_counter() - started)

        self._jobs.submit("analytics.kpis", job)

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.kpis":
            self._show_answer(result)
        elif key == "analytics.kpis.choices":
            self.choices = result
            if self.editor is not None:
                self.editor.ref.set_choices(result)
                self.editor.denominator.set_choices(result)
        elif key == "analytics.kpis.report":
            self._report_done(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("analytics.kpis"):
            self.status.setText(f"cannot read the store — {message}")
            if self.answer is None:
                self.body.explain(f"The store cannot be read: {message}")
            self.answered.emit()

    def _show_answer(self, answer: KpisAnswer) -> None:
        self.answer = answer
        now = time.monotonic()
        for name in answer.cards:
            self._read_at[name] = now
        names = [kpi.name for kpi in answer.kpis]
        if names != list(self.cards):
            self._rebuild(answer.kpis)
        for kpi in answer.kpis:
            card = self.cards[kpi.name]
            if card.kpi != kpi:
                card.set_kpi(kpi)
            data = answer.cards.get(kpi.name)
            if data is not None:
                card.show_data(data)
        self._reflow()
        for gone in set(self._read_at) - set(names):
            del self._read_at[gone]
        if self.selected not in self.cards:
            self.selected = None
        if not answer.kpis:
            self.body.explain(_EMPTY)
            self.status.setText("no KPIs yet")
        else:
            self.body.show_content()
            on_target = sum(
                1 for card in self.cards.values()
                if card.data is not None and card.data.value is not None and card.data.value.on_target
            )
            self.status.setText(
                f"{on_target} of {len(names)} KPI{'s' if len(names) != 1 else ''} on target · {self._span.label.lower()}"
                f" · computed in {answer.seconds * 1000:.0f} ms"
            )
        self._enable()
        self.cardsShown.emit()
        self.answered.emit()

    def _rebuild(self, kpis: list[KpiDefinition]) -> None:
        old = self.cards
        self.cards = {}
        for card in old.values():
            self.grid.removeWidget(card)
        for kpi in kpis:
            card = old.pop(kpi.name, None)
            if card is None:
                card = KpiCard(kpi)
                card.clicked.connect(self.select)
                card.activated.connect(lambda name: self.open_editor(self._kpi_named(name)))
            card.set_selected(kpi.name == self.selected)
            self.cards[kpi.name] = card
        for card in old.values():
            card.deleteLater()
        self._place(self._fitting_columns())

    def _fitting_columns(self) -> int:
        """As many columns (up to four) as the widest card's minimum fits in the width."""
        need = max((card.minimumSizeHint().width() for card in self.cards.values()), default=0)
        spacing = self.grid.spacing()
        return max(1, min(_COLUMNS, (self.scroll.viewport().width() + spacing) // (max(need, 1) + spacing)))

    def _place(self, columns: int) -> None:
        self.columns = columns
        for card in self.cards.values():
            self.grid.removeWidget(card)
        for index, card in enumerate(self.cards.values()):
            self.grid.addWidget(card, index // columns, index % columns)
        for column in range(_COLUMNS):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)

    def _reflow(self) -> None:
        columns = self._fitting_columns()
        if columns != self.columns:
            self._place(columns)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.scroll.viewport():
            self._reflow()
        return super().eventFilter(watched, event)

    # --- selecting, editing, deleting -----------------------------------------------------

    @Slot(str)
    def select(self, name: str) -> None:
        """Select the card of KPI ``name`` (Edit and Delete act on it)."""
        self.selected = name if name in self.cards else None
        for card_name, card in self.cards.items():
            card.set_selected(card_name == self.selected)
        self._enable()

    def selected_kpi(self) -> KpiDefinition | None:
        return self._kpi_named(self.selected) if self.selected else None

    def _kpi_named(self, name: str | None) -> KpiDefinition | None:
        card = self.cards.get(name or "")
        return card.kpi if card is not None else None

    def _enable(self) -> None:
        can_write = self._client is not None
        self.new_button.setEnabled(can_write)
        self.edit_button.setEnabled(can_write and self.selected is not None)
        self.delete_button.setEnabled(can_write and self.selected is not None)

    def open_editor(self, existing: KpiDefinition | None) -> KpiEditor | None:
        """Open the KPI editor (non-modal); an accepted form is saved through the client."""
        if self._client is None:
            return None
        dialog = KpiEditor(choices=self.choices, existing=existing, taken=list(self.cards), parent=self)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.finished.connect(lambda _result: self._forget(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editor = dialog
        dialog.open()
        self._jobs.submit("analytics.kpis.choices", load_choices)
        return dialog

    def _forget(self, dialog: KpiEditor) -> None:
        if self.editor is dialog:
            self.editor = None

    def _save(self, dialog: KpiEditor) -> None:
        if self._client is None or dialog.problem_text():
            return
        kpi = dialog.definition()
        self.selected = kpi.name
        self.status.setText(f"saving {kpi.name}…")
        self._client.request(ProductAction.save(kpi))

    @Slot()
    def _confirm_delete(self) -> None:
        kpi = self.selected_kpi()
        if kpi is None:
            return
        answer = QMessageBox.question(self, "Delete KPI", f"Delete the KPI {kpi.name!r}? Its history is not kept.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(kpi)

    def delete(self, kpi: KpiDefinition) -> None:
        """Delete ``kpi`` from the store through the client (no question asked)."""
        if self._client is None or kpi.id is None:
            return
        self.status.setText(f"deleting {kpi.name}…")
        self._client.request(ProductAction(kind="delete_kpi", id=kpi.id))

    @Slot(object, object)
    def _client_done(self, action: Any, _result: Any) -> None:
        if getattr(action, "kind", "") in ("save_kpi", "delete_kpi"):
            self.status.setText("saved" if action.kind == "save_kpi" else "deleted")
            self.refresh(everything=True)

    @Slot(object, str)
    def _client_failed(self, action: Any, message: str) -> None:
        if getattr(action, "kind", "") in ("save_kpi", "delete_kpi"):
            verb = "save" if action.kind == "save_kpi" else "delete"
            self.status.setText(f"could not {verb} the KPI — {message}")

    # --- the report -----------------------------------------------------------------------

    @Slot()
    def _choose_report_file(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M")
        path, _filter = QFileDialog.getSaveFileName(
            self, "Write the KPI report", str(Path.home() / f"lookout-kpis-{stamp}.html"), "HTML report (*.html)"
        )
        if path:
            self.write_report(Path(path))

    def write_report(self, html: Path) -> None:
        """Write the report of the panel's range to ``html`` (and ``.csv`` beside it), off the
        GUI thread; ``reportWritten`` follows."""
        if html.suffix.lower() not in (".html", ".htm"):
            html = html.with_suffix(".html")
        start_ms, end_ms = self._span.span()
        bucket = self._span.bucket_ms
        self.status.setText(f"writing {html.name}…")
        self._jobs.submit("analytics.kpis.report", lambda conn: write_report(conn, start_ms, end_ms, bucket, html))

    def _report_done(self, written: ReportWritten) -> None:
        if written.error:
            self.status.setText(written.error)
        else:
            self.status.setText(f"report written: {written.html} and {written.csv.name} — {written.summary}")
        self.reportWritten.emit(written)
