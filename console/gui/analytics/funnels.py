"""The Analytics panel's Funnels tab: the funnels, and how many users went through the chosen one.

Each refresh the panel asks for lists the funnels — saved ones, then those the app's
``funnel_step`` events make by themselves (:func:`~console.core.store.funnel_queries.list_funnels`),
marked "discovered" — with the breakdowns on offer (platform, release, device and one per
experiment, :func:`~console.core.store.funnel_queries.breakdown_choices`), and computes the
chosen funnel over the panel's range (:func:`~console.core.store.funnel_queries.funnel_result`),
all on the query thread. The result is a bar per step and a table of users, step and overall
conversion, drop-off and median time from the previous step; with a breakdown, a row per group.

"New funnel…" and "Edit…" open a :class:`~console.gui.analytics.funnel_editor.FunnelEditor`;
the definition goes to the store's writer through
:class:`~console.gui.product_client.ProductClient`, and the list is read again once it is stored.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.funnel import FunnelDefinition, FunnelResult
from console.core.store.funnel_queries import breakdown_choices, funnel_result, list_funnels
from console.core.store.product_actions import ProductAction
from console.gui.analytics.funnel_editor import FunnelEditor
from console.gui.analytics.funnel_views import (
    BreakdownModel,
    FunnelChart,
    FunnelListModel,
    StepTableModel,
    window_text,
)
from console.gui.analytics.ref_picker import PickerChoices, load_choices
from console.gui.analytics.tab_parts import Explained, heading, note, range_bounds
from console.gui.experiments.goals import fit_height, short_table
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import refill

__all__ = ["FunnelsAnswer", "FunnelsTab"]

_EMPTY = (
    "No funnels yet.\n\nCreate one with “New funnel…” from the page views and events the store holds, or have\n"
    "your app send funnel_step events — {\"type\": \"event\", \"name\": \"funnel_step\", \"properties\":\n"
    "{\"funnel\": \"purchase\", \"step\": \"cart\", \"stepIndex\": 1}} — and its funnel appears here by itself."
)


@dataclass(frozen=True, slots=True)
class FunnelsAnswer:
    """One read: every funnel, the breakdowns on offer and the chosen funnel's result."""

    funnels: list[FunnelDefinition]
    breakdowns: list[tuple[str, str]]
    result: FunnelResult | None
    problem: str | None
    seconds: float


class FunnelsTab(QWidget):
    """The funnels and the chosen one's result; see the module docstring.

    Signals:
        answered(): a result (or the store's failure) has been shown.
        resultShown(): the chosen funnel's result was drawn.
    """

    answered = Signal()
    resultShown = Signal()

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self._client: Any = None
        self.chosen: str | None = None  # the shown funnel's name
        self.breakdown: str | None = None
        self.answer: FunnelsAnswer | None = None
        self.choices = PickerChoices()
        self.editor: FunnelEditor | None = None

        self.status = note("loading…")
        self.breakdown_box = QComboBox()
        self.breakdown_box.addItem("No breakdown", None)
        self.new_button = QPushButton("New funnel…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(QLabel("Breakdown"))
        bar.addWidget(self.breakdown_box)
        for button in (self.new_button, self.edit_button, self.delete_button):
            button.setEnabled(False)
            bar.addWidget(button)

        self.funnels = FunnelListModel()
        self.list_table = short_table(self.funnels)
        header = self.list_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.caption = QLabel("")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #3c4043;")
        self.chart = FunnelChart()
        self.steps = StepTableModel()
        self.step_table = short_table(self.steps, rows=4)
        # The longest heading: kept whole, the other columns share what is left.
        steps_header = self.step_table.horizontalHeader()
        steps_header.setStretchLastSection(False)
        steps_header.setSectionResizeMode(self.steps.columnCount() - 1, QHeaderView.ResizeMode.ResizeToContents)
        self.groups = BreakdownModel()
        self.group_table = short_table(self.groups)
        self.group_table.setMinimumHeight(120)
        self.group_heading = heading("Breakdown")
        self.group_note = note("")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.caption)
        right_layout.addWidget(self.chart, 2)
        right_layout.addWidget(self.step_table)
        right_layout.addWidget(self.group_heading)
        right_layout.addWidget(self.group_note)
        right_layout.addWidget(self.group_table, 1)
        self.result_view = Explained(right)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(heading("Funnels"))
        left_layout.addWidget(self.list_table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.result_view)
        split.setSizes([260, 940])
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.body = Explained(split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.body, 1)

        self.list_table.selectionModel().selectionChanged.connect(self._list_selected)
        self.breakdown_box.currentIndexChanged.connect(self._breakdown_chosen)
        self.new_button.clicked.connect(lambda: self.open_editor(None))
        self.edit_button.clicked.connect(lambda: self.open_editor(self.chosen_funnel()))
        self.delete_button.clicked.connect(self._confirm_delete)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    def use_client(self, client: Any) -> None:
        """Save and delete funnels through ``client`` (a ProductClient)."""
        self._client = client
        client.done.connect(self._client_done)
        client.failed.connect(self._client_failed)
        self._enable()

    # --- reading --------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the funnels and compute the chosen one (or the first) over the range."""
        start_ms, end_ms = self._span.span()
        bucket = self._span.bucket_ms
        chosen, breakdown = self.chosen, self.breakdown

        def job(conn: sqlite3.Connection) -> FunnelsAnswer:
            started = time.perf_counter()
            start, end, _bucket = range_bounds(conn, start_ms, end_ms, bucket)
            funnels = list_funnels(conn)
            funnel = next((f for f in funnels if f.name == chosen), funnels[0] if funnels else None)
            choices = breakdown_choices(conn, funnel)
            result, problem = None, None
            if funnel is not None:
                wanted = breakdown if breakdown in {key for key, _ in choices} else None
                try:
                    result = funnel_result(conn, funnel, start, end, breakdown=wanted)
                except ValueError as exc:
                    problem = f"{funnel.name} cannot be counted: {exc}"
            return FunnelsAnswer(funnels, choices, result, problem, time.perf_counter() - started)

        self._jobs.submit("analytics.funnels", job)

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.funnels":
            self._show_answer(result)
        elif key == "analytics.funnels.choices":
            self.choices = result
            if self.editor is not None:
                self.editor.set_choices(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("analytics.funnels"):
            self.status.setText(f"cannot read the store — {message}")
            if self.answer is None:
                self.body.explain(f"The store cannot be read: {message}")
            self.answered.emit()

    def _show_answer(self, answer: FunnelsAnswer) -> None:
        self.answer = answer
        self._fill_breakdowns(answer.breakdowns)
        result = answer.result
        if result is not None:
            self.chosen = result.definition.name
        elif not answer.funnels:
            self.chosen = None
        refill(self.list_table, self.funnels, answer.funnels, [self.chosen] if self.chosen else [])
        count = len(answer.funnels)
        discovered = sum(1 for f in answer.funnels if f.discovered)
        self.status.setText(
            f"{count:,} funnel{'s' if count != 1 else ''} ({discovered:,} discovered) · {self._span.label.lower()}"
            f" · computed in {answer.seconds * 1000:.0f} ms" if count else "no funnels yet"
        )
        self._enable()
        if not answer.funnels:
            self.body.explain(_EMPTY)
            self.answered.emit()
            return
        self.body.show_content()
        if result is None:
            self.result_view.explain(answer.problem or "Choose a funnel on the left.")
        else:
            self._show_result(result)
        self.answered.emit()

    def _show_result(self, result: FunnelResult) -> None:
        definition = result.definition
        entered = result.steps[0].users if result.steps else 0
        source = "discovered from funnel_step events" if definition.discovered else "saved"
        self.caption.setText(
            f"{definition.name} ({source}) · {len(definition.steps)} steps within {window_text(definition.window_ms)}"
            f" of the first · {entered:,} users entered, {result.steps[-1].users:,} converted"
            f" ({result.steps[-1].conversion_overall * 100:.1f}%)"
        )
        self.result_view.show_content()
        self.chart.show_steps(result.steps)
        self.steps.show_steps(result.steps)
        fit_height(self.step_table, len(result.steps))
        if result.breakdown_key is None:
            self.group_heading.hide()
            self.group_note.hide()
            self.group_table.hide()
        else:
            label = dict(self.answer.breakdowns).get(result.breakdown_key, result.breakdown_key) if self.answer else ""
            self.group_heading.setText(f"By {label}")
            self.group_heading.show()
            self.group_note.setText("" if result.breakdown else "no users entered the funnel in this range")
            self.group_note.setVisible(not result.breakdown)
            self.groups.show_groups(definition.step_labels(), result.breakdown)
            self.group_table.show()
            self.group_table.resizeColumnsToContents()
        if entered == 0:
            self.caption.setText(
                self.caption.text() + f"\nNobody entered this funnel in the range ({self._span.label.lower()}):"
                " choose a longer range, or check the first step's name."
            )
        self.resultShown.emit()

    def _fill_breakdowns(self, choices: list[tuple[str, str]]) -> None:
        current = [(self.breakdown_box.itemData(i), self.breakdown_box.itemText(i))
                   for i in range(1, self.breakdown_box.count())]
        if current == choices:
            return
        self.breakdown_box.blockSignals(True)
        self.breakdown_box.clear()
        self.breakdown_box.addItem("No breakdown", None)
        for key, label in choices:
            self.breakdown_box.addItem(label, key)
        index = self.breakdown_box.findData(self.breakdown) if self.breakdown else 0
        self.breakdown_box.setCurrentIndex(max(index, 0))
        self.breakdown_box.blockSignals(False)

    # --- choosing -------------------------------------------------------------------------

    def choose(self, name: str, *, breakdown: str | None = None) -> None:
        """Show the funnel ``name`` (broken down by ``breakdown``: 'platform', 'release',
        'device' or 'experiment:<key>'), reading it now."""
        self.chosen = name
        self.breakdown = breakdown
        index = self.breakdown_box.findData(breakdown) if breakdown else 0
        if index >= 0:
            self.breakdown_box.blockSignals(True)
            self.breakdown_box.setCurrentIndex(index)
            self.breakdown_box.blockSignals(False)
        self.refresh()

    def chosen_funnel(self) -> FunnelDefinition | None:
        if self.answer is None:
            return None
        return next((f for f in self.answer.funnels if f.name == self.chosen), None)

    @Slot()
    def _list_selected(self, *_args: object) -> None:
        rows = self.list_table.selectionModel().selectedRows()
        if rows:
            name = self.funnels.key_of(rows[0].row())
            if name != self.chosen:
                self.chosen = name
                self._enable()
                self.refresh()

    @Slot(int)
    def _breakdown_chosen(self, _index: int) -> None:
        self.breakdown = self.breakdown_box.currentData()
        self.refresh()

    def _enable(self) -> None:
        funnel = self.chosen_funnel()
        can_write = self._client is not None
        self.new_button.setEnabled(can_write)
        self.edit_button.setEnabled(can_write and funnel is not None)
        self.edit_button.setText("Save as funnel…" if funnel is not None and funnel.discovered else "Edit…")
        self.delete_button.setEnabled(can_write and funnel is not None and not funnel.discovered)

    # --- editing --------------------------------------------------------------------------

    def open_editor(self, existing: FunnelDefinition | None) -> FunnelEditor | None:
        """Open the funnel editor (non-modal); an accepted form is saved through the client."""
        if self._client is None:
            return None
        taken = [f.name for f in self.answer.funnels if not f.discovered] if self.answer else []
        dialog = FunnelEditor(choices=self.choices, existing=existing, taken=taken, parent=self)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.finished.connect(lambda _result: self._forget(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editor = dialog
        dialog.open()
        self._jobs.submit("analytics.funnels.choices", load_choices)
        return dialog

    def _forget(self, dialog: FunnelEditor) -> None:
        if self.editor is dialog:
            self.editor = None

    def _save(self, dialog: FunnelEditor) -> None:
        if self._client is None or dialog.problem_text():
            return
        funnel = dialog.definition()
        self.chosen = funnel.name
        self.status.setText(f"saving {funnel.name}…")
        self._client.request(ProductAction.save(funnel))

    @Slot()
    def _confirm_delete(self) -> None:
        funnel = self.chosen_funnel()
        if funnel is None or funnel.discovered:
            return
        answer = QMessageBox.question(self, "Delete funnel", f"Delete the funnel {funnel.name!r}?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(funnel)

    def delete(self, funnel: FunnelDefinition) -> None:
        """Delete the saved ``funnel`` through the client (no question asked)."""
        if self._client is None or funnel.id is None:
            return
        self.status.setText(f"deleting {funnel.name}…")
        self.chosen = None
        self._client.request(ProductAction(kind="delete_funnel", id=funnel.id))

    @Slot(object, object)
    def _client_done(self, action: Any, _result: Any) -> None:
        if getattr(action, "kind", "") in ("save_funnel", "delete_funnel"):
            self.refresh()

    @Slot(object, str)
    def _client_failed(self, action: Any, message: str) -> None:
        if getattr(action, "kind", "") in ("save_funnel", "delete_funnel"):
            verb = "save" if action.kind == "save_funnel" else "delete"
            self.status.setText(f"could not {verb} the funnel — {message}")
