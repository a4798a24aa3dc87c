"""The rule editor: every field of an :class:`~console.core.analysis.alerts.rules.AlertRule`.

The dialog builds the rule's JSON from its widgets and has
:meth:`AlertRule.from_json` judge it, so the reasons it shows are the core's own. "Test
against the last hour" runs :func:`~console.core.analysis.alerts.engine.backtest` on the
query thread and says when the rule would have fired.

Signals:
    saved(object): the user saved a valid rule (an AlertRule, with the id it was opened with);
        whoever stores it then calls :meth:`RuleEditor.stored` or :meth:`RuleEditor.show_error`.
    backtested(str): the backtest's sentence is on screen.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.alerts.engine import backtest
from console.core.analysis.alerts.rules import CHANNELS, VITALS, AlertRule, Comparison, Metric, Severity
from console.core.errors import LookoutError
from console.core.events import Kind
from console.core.store.kpi_queries import list_kpis
from console.gui.alerts.units import METRIC_TITLES
from console.gui.jobs import StoreJobs
from console.gui.performance.units import LABELS

__all__ = ["RuleEditor", "describe_backtest"]

_COMPARISONS = {
    "above": "is above", "below": "is below",
    "change_above": "rises by more than (% vs previous window)",
    "change_below": "falls by more than (% vs previous window)",
}
_HOUR_MS = 3_600_000


def describe_backtest(moments: list[int]) -> str:
    """'would have fired 3 times, at 14:02, 14:21, 14:40' or 'would not have fired'."""
    if not moments:
        return "Over the last hour this rule would not have fired."
    times = ", ".join(datetime.fromtimestamp(ms / 1000).strftime("%H:%M") for ms in moments)
    count = "once" if len(moments) == 1 else f"{len(moments)} times"
    return f"Over the last hour this rule would have fired {count}, at {times}."


def _seconds(maximum: int, suffix: str = " s") -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, maximum)
    box.setSuffix(suffix)
    box.setSingleStep(60)
    box.setGroupSeparatorShown(True)
    return box


class RuleEditor(QDialog):
    """Creates or edits one rule; see the module docstring."""

    saved = Signal(object)
    backtested = Signal(str)

    def __init__(self, *, jobs: StoreJobs, rule: AlertRule | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._rule_id = rule.id if rule is not None else None
        self.setWindowTitle("Edit alert rule" if rule is not None else "New alert rule")
        self.setMinimumWidth(520)

        self.name = QLineEdit(placeholderText="What a person reads in the notification")
        self.metric_choice = QComboBox()
        for metric in Metric:
            self.metric_choice.addItem(METRIC_TITLES.get(str(metric), str(metric)), str(metric))
        self.vital = QComboBox()
        for vital in VITALS:
            self.vital.addItem(LABELS.get(vital, vital), vital)
        self.kind = QComboBox()
        self.kind.addItem("any kind", None)
        for kind in Kind:
            self.kind.addItem(str(kind), str(kind))
        self.experiment = QLineEdit(placeholderText="experiment key")
        # The store's KPIs once the query thread has listed them; a name typed by hand is
        # kept (the KPI may be defined later, by the app or in Analytics).
        self.kpi = QComboBox(editable=True)
        self.kpi.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        edit = self.kpi.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("a KPI defined in Analytics or by the app")
        self.comparison = QComboBox()
        for comparison in Comparison:
            self.comparison.addItem(_COMPARISONS.get(str(comparison), str(comparison)), str(comparison))
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1e12, 1e12)
        self.threshold.setDecimals(3)
        self.threshold.setGroupSeparatorShown(True)
        self.unit = QLabel("")
        self.unit.setStyleSheet("color: #5f6368;")
        self.has_recovery = QCheckBox("recover only past")
        self.recovery = QDoubleSpinBox()
        self.recovery.setRange(-1e12, 1e12)
        self.recovery.setDecimals(3)
        self.filters = {name: QLineEdit(placeholderText="any") for name in ("project", "page", "transaction", "release")}
        self.window_s = _seconds(7 * 86_400)
        self.window_s.setMinimum(1)
        self.for_s = _seconds(86_400)
        self.keep_firing_for_s = _seconds(86_400)
        self.min_sample = QSpinBox()
        self.min_sample.setRange(0, 10_000_000)
        self.severity = QComboBox()
        for severity in Severity:
            self.severity.addItem(str(severity), str(severity))
        self.cooldown_s = _seconds(7 * 86_400)
        self.channels = {name: QCheckBox(name) for name in CHANNELS}
        self.enabled = QCheckBox("evaluate this rule")
        self.error = QLabel("", objectName="ruleError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel#ruleError { color: #a50e0e; }")
        self.backtest_button = QPushButton("Test against the last hour")
        self.backtest_result = QLabel("")
        self.backtest_result.setTextFormat(Qt.TextFormat.PlainText)
        self.backtest_result.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Metric", self.metric_choice)
        form.addRow("Vital", self.vital)
        form.addRow("Event kind", self.kind)
        form.addRow("Experiment", self.experiment)
        form.addRow("KPI", self.kpi)
        condition = QHBoxLayout()
        condition.addWidget(self.comparison, 1)
        condition.addWidget(self.threshold)
        condition.addWidget(self.unit)
        form.addRow("Fires when it", condition)
        recovery = QHBoxLayout()
        recovery.addWidget(self.has_recovery)
        recovery.addWidget(self.recovery, 1)
        form.addRow("Recovery", recovery)
        for name, edit in self.filters.items():
            form.addRow(f"Only {name}", edit)
        form.addRow("Window", self.window_s)
        form.addRow("Pending for", self.for_s)
        form.addRow("Keep firing for", self.keep_firing_for_s)
        form.addRow("Minimum sample", self.min_sample)
        form.addRow("Severity", self.severity)
        form.addRow("Cooldown", self.cooldown_s)
        channels = QHBoxLayout()
        for box in self.channels.values():
            channels.addWidget(box)
        channels.addStretch(1)
        form.addRow("Channels", channels)
        form.addRow("Enabled", self.enabled)
        self._form = form

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        test = QHBoxLayout()
        test.addWidget(self.backtest_button)
        test.addWidget(self.backtest_result, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(test)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.metric_choice.currentIndexChanged.connect(self._metric_changed)
        self.comparison.currentIndexChanged.connect(self._metric_changed)
        self.vital.currentIndexChanged.connect(self._metric_changed)
        self.has_recovery.toggled.connect(self.recovery.setEnabled)
        self.backtest_button.clicked.connect(self.run_backtest)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)
        self.fill(rule or AlertRule(name="", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=0.0))
        jobs.submit(f"alerts.kpis.{id(self)}", lambda conn: [kpi.name for kpi in list_kpis(conn)])

    # --- the fields -----------------------------------------------------------------------

    def fill(self, rule: AlertRule) -> None:
        """Show ``rule`` in the widgets."""
        self.name.setText(rule.name)
        self.metric_choice.setCurrentIndex(max(0, self.metric_choice.findData(str(rule.metric))))
        self.vital.setCurrentIndex(max(0, self.vital.findData(rule.vital or "lcp")))
        self.kind.setCurrentIndex(max(0, self.kind.findData(rule.kind)))
        self.experiment.setText(rule.experiment or "")
        self.kpi.setEditText(rule.kpi or "")
        self.comparison.setCurrentIndex(max(0, self.comparison.findData(str(rule.comparison))))
        self.threshold.setValue(rule.threshold)
        self.has_recovery.setChecked(rule.recovery_threshold is not None)
        self.recovery.setValue(rule.recovery_threshold or 0.0)
        self.recovery.setEnabled(rule.recovery_threshold is not None)
        for name, edit in self.filters.items():
            edit.setText(getattr(rule.filters, name) or "")
        self.window_s.setValue(rule.window_s)
        self.for_s.setValue(rule.for_s)
        self.keep_firing_for_s.setValue(rule.keep_firing_for_s)
        self.min_sample.setValue(rule.min_sample)
        self.severity.setCurrentIndex(max(0, self.severity.findData(str(rule.severity))))
        self.cooldown_s.setValue(rule.cooldown_s)
        for name, box in self.channels.items():
            box.setChecked(name in rule.channels)
        self.enabled.setChecked(rule.enabled)
        self._metric_changed()

    def to_json(self) -> dict[str, Any]:
        """The rule the widgets say, as :meth:`AlertRule.from_json` reads it."""
        metric = self.metric_choice.currentData()

        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return {
            "id": self._rule_id,
            "name": self.name.text().strip(),
            "metric": metric,
            "comparison": self.comparison.currentData(),
            "threshold": self.threshold.value(),
            "vital": self.vital.currentData() if str(metric).startswith("vital_") else None,
            "kind": self.kind.currentData() if metric == "event_count" else None,
            "experiment": text(self.experiment) if metric == "experiment_srm" else None,
            "kpi": (self.kpi.currentText().strip() or None) if metric == "kpi" else None,
            "filters": {name: text(edit) for name, edit in self.filters.items()},
            "window_s": self.window_s.value(),
            "for_s": self.for_s.value(),
            "keep_firing_for_s": self.keep_firing_for_s.value(),
            "recovery_threshold": self.recovery.value() if self.has_recovery.isChecked() else None,
            "min_sample": self.min_sample.value(),
            "severity": self.severity.currentData(),
            "cooldown_s": self.cooldown_s.value(),
            "channels": [name for name, box in self.channels.items() if box.isChecked()],
            "enabled": self.enabled.isChecked(),
        }

    def rule(self) -> AlertRule | None:
        """The rule the widgets say, or None (the reason is then on screen)."""
        try:
            rule = AlertRule.from_json(self.to_json())
        except ValueError as exc:
            self.show_error(str(exc))
            return None
        self.show_error("")
        return rule

    # --- saving and testing ---------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        """Emit ``saved`` when the rule is valid (else say why); the dialog stays open until
        :meth:`stored` says the store has it, or :meth:`show_error` why it has not."""
        rule = self.rule()
        if rule is None:
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.error.setText("saving…")
        self.saved.emit(rule)

    def stored(self) -> None:
        """The store has the rule: close."""
        self.error.setText("")
        self.accept()

    def show_error(self, message: str) -> None:
        """Say why the rule cannot be saved ('' clears it)."""
        self.error.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    @Slot()
    def run_backtest(self) -> None:
        """Evaluate the rule over the last hour on the query thread."""
        rule = self.rule()
        if rule is None:
            return
        end = int(time.time() * 1000)
        self.backtest_result.setText("testing against the last hour…")
        self.backtest_button.setEnabled(False)

        def job(conn: sqlite3.Connection) -> list[int] | str:
            try:
                return backtest(conn, rule, start_ms=end - _HOUR_MS, end_ms=end, step_s=60)
            except LookoutError as exc:
                return f"Cannot test this rule: {exc}"

        self._jobs.submit(f"alerts.backtest.{id(self)}", job)

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == f"alerts.kpis.{id(self)}":
            typed = self.kpi.currentText()
            self.kpi.clear()
            self.kpi.addItems(result)
            self.kpi.setEditText(typed)
        if key == f"alerts.backtest.{id(self)}":
            self.backtest_button.setEnabled(True)
            text = result if isinstance(result, str) else describe_backtest(result)
            self.backtest_result.setText(text)
            self.backtested.emit(text)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key == f"alerts.backtest.{id(self)}":
            self.backtest_button.setEnabled(True)
            self.backtest_result.setText(f"cannot read the store — {message}")
            self.backtested.emit(self.backtest_result.text())

    @Slot()
    def _metric_changed(self, *_args: object) -> None:
        metric = str(self.metric_choice.currentData())
        for widget, wanted in ((self.vital, metric.startswith("vital_")), (self.kind, metric == "event_count"),
                               (self.experiment, metric == "experiment_srm"), (self.kpi, metric == "kpi")):
            self._form.setRowVisible(widget, wanted)
        comparison = str(self.comparison.currentData())
        if comparison.startswith("change_"):
            unit = "%"
        elif metric.startswith("vital_"):
            unit = "" if self.vital.currentData() == "cls" else "ms"
        elif metric.startswith("transaction_"):
            unit = "ms"
        elif metric == "error_rate":
            unit = "per minute"
        elif metric == "experiment_srm":
            unit = "p-value"
        else:
            unit = ""
        self.unit.setText(unit)
