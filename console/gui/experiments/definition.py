"""Creating or editing an experiment's definition: the dialog, and who writes it.

:class:`DefinitionDialog` asks for the key, a name, the project, the variants with their
weights and the goals, and gives back an
:class:`~console.core.store.experiment_writes.ExperimentDefinition` (whose ``problems()``
say what is wrong with it). :class:`DefinitionClient` hands it to whoever writes the store,
as :class:`~console.gui.issue_actions.IssueActionClient` does with issue actions, from a
thread named ``lookout.experiments``: the collector, as the native ``experiment`` payload an
app would send (``POST /api/<project>/events`` over loopback), or, without one, the
window's own writer, running :func:`~console.core.store.experiment_writes.save_definition`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.errors import LookoutError
from console.core.store.experiment_queries import ExperimentSummary
from console.core.store.experiment_writes import ExperimentDefinition, save_definition
from console.gui.own_writer import OwnWriter, RequestThread, WriterRoute

__all__ = ["DefinitionClient", "DefinitionDialog", "definition_payload"]

log = logging.getLogger("lookout.gui.experiments")



def definition_payload(definition: ExperimentDefinition) -> dict[str, Any]:
    """The native ``experiment`` payload an app would send for ``definition``."""
    payload: dict[str, Any] = {
        "type": "experiment", "id": definition.key,
        "variants": [{"name": v, "weight": w} for v, w in definition.variants], "goals": list(definition.goals),
    }
    if definition.name:
        payload["name"] = definition.name
    return payload


class DefinitionDialog(QDialog):
    """Key, name, project, variants with weights, goals; OK only when they make a definition."""

    def __init__(
        self,
        *,
        projects: Sequence[str],
        existing: ExperimentSummary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit experiment" if existing else "New experiment")
        self.setMinimumWidth(440)
        self.key = QLineEdit(existing.key if existing else "")
        self.key.setPlaceholderText("checkout-button-color")
        self.name = QLineEdit((existing.name or "") if existing else "")
        self.project = QComboBox()
        self.project.setEditable(True)
        self.project.addItems(list(projects) or ["default"])
        if existing is not None:
            self.project.setCurrentText(existing.project)
            self.key.setReadOnly(True)  # a new key is a new experiment
            self.project.setEnabled(False)
        self.variants = QTableWidget(0, 2)
        self.variants.setHorizontalHeaderLabels(["Variant", "Weight"])
        self.variants.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.variants.verticalHeader().hide()
        self.variants.setMinimumHeight(120)
        pairs: list[tuple[str, float]] = [("control", 50.0), ("treatment", 50.0)]
        if existing is not None and existing.variants:
            weights = list(existing.weights) if len(existing.weights) == len(existing.variants) else [1.0] * len(existing.variants)
            pairs = list(zip(existing.variants, weights, strict=True))
        self.add = QPushButton("Add variant")
        self.remove = QPushButton("Remove variant")
        self.add.clicked.connect(lambda: self.add_variant(f"variant-{self.variants.rowCount()}", 50.0))
        self.remove.clicked.connect(self._remove_variant)
        self.goals = QLineEdit(", ".join(existing.goals) if existing else "")
        self.goals.setPlaceholderText("purchase, signup")
        self.problem = QLabel("")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #c5221f;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        variant_buttons = QHBoxLayout()
        variant_buttons.addWidget(self.add)
        variant_buttons.addWidget(self.remove)
        variant_buttons.addStretch(1)
        form = QFormLayout()
        form.addRow("Key", self.key)
        form.addRow("Name", self.name)
        form.addRow("Project", self.project)
        form.addRow("Goals", self.goals)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Variants (the first is the control; weights are relative)"))
        layout.addWidget(self.variants)
        layout.addLayout(variant_buttons)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        for edit in (self.key, self.goals):
            edit.textChanged.connect(self._check)
        for variant, weight in pairs:
            self.add_variant(variant, weight)
        self.variants.itemChanged.connect(self._check)
        self._check()

    def add_variant(self, name: str, weight: float) -> None:
        """Append a variant row."""
        row = self.variants.rowCount()
        self.variants.insertRow(row)
        self.variants.setItem(row, 0, QTableWidgetItem(name))
        self.variants.setItem(row, 1, QTableWidgetItem(f"{weight:g}"))
        self._check()

    @Slot()
    def _remove_variant(self) -> None:
        row = self.variants.currentRow()
        self.variants.removeRow(row if row >= 0 else self.variants.rowCount() - 1)
        self._check()

    def chosen_variants(self) -> list[tuple[str, float | None]]:
        """(name, weight) per row; a weight that is not a number is None."""
        pairs: list[tuple[str, float | None]] = []
        for row in range(self.variants.rowCount()):
            name_item, weight_item = self.variants.item(row, 0), self.variants.item(row, 1)
            name = name_item.text().strip() if name_item else ""
            try:
                weight: float | None = float(weight_item.text()) if weight_item else None
            except ValueError:
                weight = None
            pairs.append((name, weight))
        return pairs

    def problem_text(self) -> str:
        """What keeps the form from being a definition ('' when nothing)."""
        if not self.key.text().strip():
            return "give the experiment a key (the id your app sends)"
        if any(w is None for _, w in self.chosen_variants()):
            return "weights must be numbers"
        return "; ".join(self.definition().problems())

    @Slot()
    def _check(self, *_args: object) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)

    def chosen_project(self) -> str:
        return self.project.currentText().strip() or "default"

    def definition(self) -> ExperimentDefinition:
        """The definition the form describes (see its ``problems()``)."""
        variants = tuple((n, float(w if w is not None else math.nan)) for n, w in self.chosen_variants())
        goals = tuple(g.strip() for g in self.goals.text().split(",") if g.strip())
        return ExperimentDefinition(
            project=self.chosen_project(), key=self.key.text().strip(), variants=variants, goals=goals,
            name=self.name.text().strip() or None,
        )


class DefinitionClient(QObject):
    """Sends definitions to the store's writer, one after another.

    Signals:
        done(str): the definition of this experiment key was stored.
        failed(str, str): it was not (key, a message for the user).
    """

    done = Signal(str)
    failed = Signal(str, str)

    def __init__(
        self, *, db_path: str | Path, collector_url: str | None, own_writer: OwnWriter, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        # The window's own writer: stopped by the window.
        self._route = WriterRoute(db_path=self.db_path, collector_url=collector_url, own_writer=own_writer)
        self.collector_url = self._route.collector_url
        self._requests: RequestThread[ExperimentDefinition] = RequestThread(
            name="lookout.experiments", carry_out=self._carry_out, finished=self._finished
        )

    def request(self, definition: ExperimentDefinition) -> None:
        """Store ``definition`` (create or replace); ``done`` or ``failed`` follows on the GUI thread."""
        self._requests.put(definition)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the definition under way, then stop the thread."""
        self._requests.stop(timeout)

    def _carry_out(self, http: httpx.Client, definition: ExperimentDefinition) -> None:
        if self.collector_url:
            self._send(http, definition)
        else:
            self._route.write(lambda conn: save_definition(conn, definition))

    def _finished(self, definition: ExperimentDefinition, _result: object, message: str | None) -> None:
        if message is None:
            self.done.emit(definition.key)
        else:
            self.failed.emit(definition.key, message)

    def _send(self, http: httpx.Client, definition: ExperimentDefinition) -> None:
        problems = definition.problems()
        if problems:
            raise ValueError("; ".join(problems))
        answer = http.post(f"{self.collector_url}/api/{definition.project}/events", json=[definition_payload(definition)])
        if answer.status_code != 200:
            raise LookoutError(f"the collector answered {answer.status_code}: {answer.text[:200]}")
        body = answer.json()
        if body.get("rejected"):
            raise LookoutError(f"the collector rejected the definition: {body['rejected'][0].get('reason')}")
