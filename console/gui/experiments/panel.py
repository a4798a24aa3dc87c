"""The Experiments panel: the store's experiments, and the chosen one's honest verdict.

Every few seconds (while shown) the panel has the query thread list the experiments
(:func:`~console.core.store.experiment_queries.list_experiments`) and compute the chosen
one's :func:`~console.core.store.experiment_queries.experiment_results`; the answer comes
back by signal through the window's :class:`~console.gui.jobs.StoreJobs`. Nothing is
computed here: the panel prints the verdict the core wrote at the top, the sample-ratio
check (a red banner when it warns), exposures per variant in total and over time, a tab per
goal with its table and cumulative lift chart, the users seen in two variants, the
guardrails per variant and the peeking warning, with a toggle that puts the always-valid
interval in place of the fixed-horizon one.

"New experiment…" and "Edit…" open a :class:`~console.gui.experiments.definition.DefinitionDialog`;
the definition goes to the store's writer through a
:class:`~console.gui.experiments.definition.DefinitionClient`, and the panel reads again when
it is stored.

Signals:
    ready(): the first answer (or the store's failure) has been shown (once).
    resultsShown(): an experiment's results were drawn.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core.store.experiment_queries import (
    ExperimentResults,
    ExperimentSummary,
    UnknownExperiment,
    experiment_results,
    list_experiments,
)
from console.gui.experiments.charts import ExposureChart
from console.gui.experiments.definition import DefinitionClient, DefinitionDialog
from console.gui.experiments.goals import GoalView, fit_height, short_table
from console.gui.experiments.models import (
    ExperimentListModel,
    ExposureModel,
    GuardrailModel,
    experiment_key,
    percent,
)
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import refill

__all__ = ["ExperimentsAnswer", "ExperimentsPanel"]

_REFRESH_MS = 5_000

_VERDICT_STYLES = {
    # (text, background, border) by what the verdict says.
    "wins": ("#137333", "#e6f4ea", "#81c995"),
    "loses": ("#a50e0e", "#fce8e6", "#f28b82"),
    "waiting": ("#3c4043", "#f1f3f4", "#dadce0"),
    "unclear": ("#b06000", "#fef7e0", "#fdd663"),
}


@dataclass(frozen=True, slots=True)
class ExperimentsAnswer:
    """One read: every experiment, and the chosen one's results (None when there is none)."""

    experiments: list[ExperimentSummary]
    results: ExperimentResults | None
    seconds: float
    list_seconds: float = 0.0  # what reading the list cost (0 when the last one was reused)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; color: #3c4043;")
    return label


def _verdict_kind(results: ExperimentResults, verdict: str) -> str:
    """How the verdict reads: a variant wins, loses (or the split is broken), too early, or unclear."""
    if verdict.startswith("not enough data"):
        return "waiting"
    if verdict.startswith("sample ratio mismatch") or " loses on " in verdict:
        return "loses"
    if " wins " in verdict:
        winner = verdict.split(" wins ", 1)[0].strip()
        return "loses" if winner == results.control else "wins"
    return "unclear"


class ExperimentsPanel(QWidget):
    """Experiments and the chosen one's results; see the module docstring."""

    ready = Signal()
    resultsShown = Signal()

    def __init__(
        self, *, jobs: StoreJobs, definitions: DefinitionClient | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._definitions = definitions
        self._ready = False
        self._running = False
        self._chosen: str | None = None  # experiment_key of the shown experiment
        self._listed_at = 0.0  # time.monotonic() of the last experiments list asked for
        self._list_cost_s = 0.0  # what that list cost the query thread
        self.answer: ExperimentsAnswer | None = None
        self.dialog: DefinitionDialog | None = None

        title = QLabel("Experiments")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #5f6368;")
        self.new_button = QPushButton("New experiment…")
        self.edit_button = QPushButton("Edit definition…")
        for button in (self.new_button, self.edit_button):
            button.setEnabled(definitions is not None)
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.edit_button)

        self.experiments = ExperimentListModel()
        self.list_table = short_table(self.experiments)
        header = self.list_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list_table.setSortingEnabled(False)

        self.verdict = QLabel("")
        self.verdict.setObjectName("verdict")
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setWordWrap(True)
        self.srm_banner = QLabel("")
        self.srm_banner.setObjectName("srmWarning")
        self.srm_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.srm_banner.setWordWrap(True)
        self.srm_banner.setStyleSheet(
            "QLabel#srmWarning { background: #fce8e6; color: #a50e0e; border: 1px solid #f28b82;"
            " border-radius: 6px; padding: 6px 10px; font-weight: 600; }"
        )
        self.srm_banner.hide()
        self.srm_line = QLabel("")
        self.srm_line.setTextFormat(Qt.TextFormat.PlainText)
        self.srm_line.setWordWrap(True)
        self.two_variants = QLabel("")
        self.two_variants.setTextFormat(Qt.TextFormat.PlainText)
        self.peeking = QLabel("")
        self.peeking.setTextFormat(Qt.TextFormat.PlainText)
        self.peeking.setWordWrap(True)
        self.peeking.setStyleSheet("color: #b06000;")
        self.sequential = QCheckBox("Show the always-valid (sequential) interval")
        self.sequential.setToolTip(
            "A fixed-horizon 95% interval is honest only when read once, at the planned sample;\n"
            "the always-valid interval stays honest however often you look (wider, though)."
        )

        self.exposures = ExposureModel()
        self.exposure_table = short_table(self.exposures, rows=3)
        self.exposure_chart = ExposureChart()
        self.guardrails = GuardrailModel()
        self.guardrail_table = short_table(self.guardrails, rows=3)
        self.goal_tabs = QTabWidget()
        self.goal_views: dict[str, GoalView] = {}
        self.empty = QLabel("")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #5f6368; font-size: 13px;")

        peeking_row = QHBoxLayout()
        peeking_row.addWidget(self.peeking, 1)
        peeking_row.addWidget(self.sequential)
        exposure_box = QVBoxLayout()
        exposure_box.addWidget(_heading("Exposures"))
        exposure_box.addWidget(self.exposure_table)
        exposure_box.addWidget(self.two_variants)
        exposure_box.addWidget(_heading("Guardrails"))
        exposure_box.addWidget(self.guardrail_table)
        exposure_box.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(exposure_box, 1)
        chart_box = QVBoxLayout()
        chart_box.addWidget(_heading("New users per variant"))
        chart_box.addWidget(self.exposure_chart, 1)
        top.addLayout(chart_box, 1)
        self.exposure_chart.setFixedHeight(230)

        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.verdict)
        details.addWidget(self.srm_banner)
        details.addWidget(self.srm_line)
        details.addLayout(peeking_row)
        details.addLayout(top)
        details.addWidget(self.goal_tabs, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.details)
        self.right = QWidget()
        right = QVBoxLayout(self.right)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.empty, 1)
        right.addWidget(scroll, 1)
        self._scroll = scroll
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(_heading("Experiments"))
        left_layout.addWidget(self.list_table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.right)
        split.setSizes([230, 970])
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self._show_empty("loading…")

        self._refresh = QTimer(self)
        self._refresh.setObjectName("lookout.experiments.refresh")
        self._refresh.timeout.connect(lambda: self._submit(by_user=False))
        self.list_table.selectionModel().selectionChanged.connect(self._list_selected)
        self.sequential.toggled.connect(lambda _on: self._redraw())
        self.new_button.clicked.connect(lambda: self.open_definition(None))
        self.edit_button.clicked.connect(lambda: self.open_definition(self.chosen_summary()))
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)
        if definitions is not None:
            definitions.done.connect(self._definition_saved)
            definitions.failed.connect(self._definition_failed)

    # The panel's life.

    @property
    def is_ready(self) -> bool:
        """Whether the first answer (or the store's failure) has been shown."""
        return self._ready

    @property
    def chosen(self) -> str | None:
        """The shown experiment as 'project/key'."""
        return self._chosen

    def start(self) -> None:
        """Start reading the store and refreshing."""
        self._running = True
        self._refresh.start(_REFRESH_MS)
        self._submit()

    def stop(self) -> None:
        """Stop refreshing (answers in flight are dropped)."""
        self._running = False
        self._refresh.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._submit(by_user=False)

    def choose(self, key: str) -> None:
        """Show the experiment ``key`` ('project/key', or a bare key)."""
        if "/" not in key and self.answer is not None:
            key = next((experiment_key(s) for s in self.answer.experiments if s.key == key), key)
        self._chosen = key
        row = self.experiments.row_of(key)
        if row is not None:
            refill(self.list_table, self.experiments, self.experiments.rows, [key])
        self._submit()

    def chosen_summary(self) -> ExperimentSummary | None:
        if self.answer is None or self._chosen is None:
            return None
        return next((s for s in self.answer.experiments if experiment_key(s) == self._chosen), None)

    # Asking.

    def _submit(self, *_args: object, by_user: bool = True) -> None:
        if not self._running or (not by_user and not self.isVisible() and self._ready):
            return
        chosen = self._chosen
        # The list counts every experiment's users (1.5 s over a million assignments): a
        # refresh reuses it for 20 times what it cost, so a small store lists on every
        # refresh and a big one spends at most 5 % of the query thread on it.
        known = self.answer.experiments if self.answer is not None else None
        reuse_s = 20 * self._list_cost_s
        fresh = by_user or known is None or time.monotonic() - self._listed_at > reuse_s
        if fresh:
            self._listed_at = time.monotonic()

        def job(conn: sqlite3.Connection) -> ExperimentsAnswer:
            started = time.perf_counter()
            experiments = list_experiments(conn) if fresh or known is None else known
            listed = time.perf_counter() - started if fresh or known is None else 0.0
            summary = next((s for s in experiments if experiment_key(s) == chosen), None)
            if summary is None and experiments:
                summary = max(experiments, key=lambda s: (s.users, s.source == "definition"))
            results = None
            if summary is not None:
                try:
                    results = experiment_results(conn, summary.key, project=summary.project)
                except UnknownExperiment:
                    results = None  # gone between the two queries (retention): shown as none
            return ExperimentsAnswer(experiments, results, time.perf_counter() - started, listed)

        self._jobs.submit("experiments.results", job)

    # Answers.

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "experiments.results" and self._running:
            self._show_answer(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("experiments."):
            self.status.setText(f"cannot read the store — {message}")
            self._mark_ready()

    def _show_answer(self, answer: ExperimentsAnswer) -> None:
        self.answer = answer
        if answer.list_seconds:
            self._list_cost_s = answer.list_seconds
        results = answer.results
        if results is not None:
            self._chosen = experiment_key(results.summary)
        refill(self.list_table, self.experiments, answer.experiments, [self._chosen] if self._chosen else [])
        count = len(answer.experiments)
        self.status.setText(
            f"{count:,} experiment{'s' if count != 1 else ''} · computed in {answer.seconds * 1000:.0f} ms"
            if count else "no experiments yet"
        )
        self.edit_button.setEnabled(self._definitions is not None and results is not None)
        if results is None:
            self._show_empty(
                "No experiments yet. Send an `experiment` definition, `experiment_assignment` and\n"
                "`experiment_goal` events (or OTLP feature_flag.evaluation records), or create one here."
            )
        else:
            self._show_results(results)
        self._mark_ready()

    def _show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.empty.show()
        self._scroll.hide()

    def _redraw(self) -> None:
        if self.answer is not None and self.answer.results is not None:
            self._show_results(self.answer.results)

    def _show_results(self, results: ExperimentResults) -> None:
        self.empty.hide()
        self._scroll.show()
        summary = results.summary
        goals = results.goals
        srm = results.srm
        verdict = goals[0].verdict if goals else "no goals yet: define one, or send experiment_goal events"
        kind = "waiting" if not goals else _verdict_kind(results, verdict)
        if srm.warn:
            kind = "loses"
        text, background, border = _VERDICT_STYLES[kind]
        title = summary.name or summary.key
        self.verdict.setText(f"{title}: {verdict}")
        self.verdict.setStyleSheet(
            f"QLabel#verdict {{ color: {text}; background: {background}; border: 1px solid {border};"
            " border-radius: 6px; padding: 8px 12px; font-size: 15px; font-weight: 600; }"
        )
        observed = " / ".join(
            f"{v.variant} {v.users:,} ({percent(v.share)})" for v in results.variants
        )
        expected = " / ".join(percent(v.expected_share, 0) for v in results.variants)
        if not srm.enough:
            srm_text = f"Sample ratio: {observed} against {expected} — too few users to check (8 per variant needed)"
        else:
            srm_text = (
                f"Sample ratio: {observed} against {expected} — chi-square p = {srm.p_value:.3g}, "
                + ("mismatch" if srm.warn else "no mismatch")
            )
        self.srm_line.setText(srm_text)
        if srm.warn:
            self.srm_banner.setText(
                f"Sample ratio mismatch (p = {srm.p_value:.2g} < 0.001): users are not split as the weights say. "
                "Fix the assignment before trusting any result."
            )
            self.srm_banner.show()
        else:
            self.srm_banner.hide()
        two = results.users_in_two_variants
        self.two_variants.setText(
            f"{two:,} user{'s' if two != 1 else ''} seen in two variants (counted in their first)"
            if two else "no user seen in two variants"
        )
        self.two_variants.setStyleSheet("color: #b06000;" if two else "color: #5f6368;")
        self.peeking.setText(results.peeking_warning or "")
        self.peeking.setVisible(bool(results.peeking_warning))
        self.exposures.set_rows(results.variants)
        fit_height(self.exposure_table, len(results.variants))
        self.exposure_chart.show_exposures([v.variant for v in results.variants], results.exposures)
        self.guardrails.set_rows(results.guardrails)
        fit_height(self.guardrail_table, len(results.guardrails))
        self._show_goals(results)
        self.resultsShown.emit()

    def _show_goals(self, results: ExperimentResults) -> None:
        names = [g.goal for g in results.goals]
        if names != list(self.goal_views):
            current = self.goal_tabs.tabText(self.goal_tabs.currentIndex()) if self.goal_tabs.count() else None
            self.goal_tabs.clear()
            for view in self.goal_views.values():
                view.deleteLater()
            self.goal_views = {name: GoalView(name) for name in names}
            for name, view in self.goal_views.items():
                self.goal_tabs.addTab(view, f"Goal: {name}")
            if current in names:
                self.goal_tabs.setCurrentIndex(names.index(current))
        for index, goal in enumerate(results.goals):
            self.goal_views[goal.goal].show_goal(
                goal, results.control, results.cumulative.get(goal.goal, []),
                sequential=self.sequential.isChecked(), first_goal=index == 0,
            )

    # Reactions.

    @Slot()
    def _list_selected(self, *_args: object) -> None:
        rows = self.list_table.selectionModel().selectedRows()
        if rows:
            key = self.experiments.key_of(rows[0].row())
            if key != self._chosen:
                self._chosen = key
                self._submit()

    def open_definition(self, existing: ExperimentSummary | None) -> DefinitionDialog | None:
        """Open the definition dialog (non-modal; it saves through the client when accepted)."""
        if self._definitions is None:
            return None
        projects = sorted({s.project for s in self.answer.experiments}) if self.answer else []
        dialog = DefinitionDialog(projects=projects, existing=existing, parent=self)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, dialog: DefinitionDialog) -> None:
        if self._definitions is None or dialog.problem_text():
            return
        definition = dialog.definition()
        self._chosen = f"{definition.project}/{definition.key}"
        self.status.setText(f"saving {definition.key}…")
        self._definitions.request(definition)

    @Slot(str)
    def _definition_saved(self, key: str) -> None:
        self.status.setText(f"saved {key}")
        self._submit()

    @Slot(str, str)
    def _definition_failed(self, key: str, message: str) -> None:
        self.status.setText(f"could not save {key} — {message}")

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()

