"""Creating or editing a funnel: a name, its ordered steps and its conversion window.

:class:`FunnelEditor` shows one row per step, each an
:class:`~console.gui.analytics.ref_picker.EventRefPicker` (a page view by route, an event by
name, a ``funnel_step`` of the app's own funnel …) that can be moved up or down or removed,
and the window within which a user must go from the first step to the last. It gives back
a :class:`~console.core.analysis.product.funnel.FunnelDefinition`; what keeps the form from
being one is said under it, and Save stays disabled until it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.funnel import DEFAULT_WINDOW_MS, MAX_STEPS, MIN_STEPS, FunnelDefinition
from console.core.analysis.product.refs import EventRef
from console.gui.analytics.ref_picker import EventRefPicker, PickerChoices

__all__ = ["WINDOW_UNITS", "FunnelEditor", "StepRow"]

#: The window's units, as the editor offers them: label → milliseconds.
WINDOW_UNITS = {"minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}


class StepRow(QWidget):
    """One step: its number, the occurrences it names, and buttons to move or remove it."""

    def __init__(self, choices: PickerChoices, ref: EventRef | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = QLabel("")
        self.number.setFixedWidth(22)
        self.picker = EventRefPicker()
        self.picker.set_choices(choices)
        if ref is not None:
            self.picker.set_ref(ref)
        else:
            self.picker.set_ref(None)
        self.up = QToolButton(text="↑", toolTip="Move this step up")
        self.down = QToolButton(text="↓", toolTip="Move this step down")
        self.remove = QToolButton(text="✕", toolTip="Remove this step")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.number)
        layout.addWidget(self.picker, 1)
        for button in (self.up, self.down, self.remove):
            layout.addWidget(button)


class FunnelEditor(QDialog):
    """Name, ordered steps and conversion window; see the module docstring.

    ``taken``: names of the other saved funnels (a new one may not reuse them).
    """

    def __init__(
        self,
        *,
        choices: PickerChoices,
        existing: FunnelDefinition | None = None,
        taken: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.existing = existing
        self._choices = choices
        self._taken = {name for name in taken if existing is None or name != existing.name}
        if existing is None:
            self.setWindowTitle("New funnel")
        elif existing.discovered:
            self.setWindowTitle(f"Save funnel {existing.name} (discovered from funnel_step events)")
        else:
            self.setWindowTitle(f"Edit funnel {existing.name}")
        self.setMinimumWidth(720)
        self.name = QLineEdit(existing.name if existing else "")
        self.name.setPlaceholderText("Browse to purchase")
        self.window_amount = QSpinBox()
        self.window_amount.setRange(1, 100_000)
        self.window_unit = QComboBox()
        for unit in WINDOW_UNITS:
            self.window_unit.addItem(unit, WINDOW_UNITS[unit])
        self._show_window(existing.window_ms if existing else DEFAULT_WINDOW_MS)
        self.rows: list[StepRow] = []
        self.steps_box = QVBoxLayout()
        self.steps_box.setSpacing(4)
        self.add_button = QPushButton("Add step")
        self.add_button.clicked.connect(lambda: self.add_step(None))
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c5221f;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        window_row = QHBoxLayout()
        window_row.addWidget(self.window_amount)
        window_row.addWidget(self.window_unit)
        window_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Conversion window", window_row)
        hint = QLabel("Steps, in order (a user counts at a step only after reaching the previous ones):")
        hint.setStyleSheet("color: #5f6368;")
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addLayout(self.steps_box)
        layout.addLayout(add_row)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        for ref in existing.steps if existing else (None, None):
            self.add_step(ref)
        self.name.textChanged.connect(self._check)
        self.window_amount.valueChanged.connect(self._check)
        self.window_unit.currentIndexChanged.connect(self._check)
        self._check()

    def _show_window(self, window_ms: int) -> None:
        for unit, size in reversed(WINDOW_UNITS.items()):
            if window_ms % size == 0:
                self.window_unit.setCurrentIndex(self.window_unit.findText(unit))
                self.window_amount.setValue(window_ms // size)
                return
        self.window_unit.setCurrentIndex(0)
        self.window_amount.setValue(max(1, round(window_ms / 60_000)))

    @property
    def window_ms(self) -> int:
        return int(self.window_amount.value() * int(self.window_unit.currentData()))

    def set_choices(self, choices: PickerChoices) -> None:
        """Offer ``choices`` in every step (what was typed stays)."""
        self._choices = choices
        for row in self.rows:
            row.picker.set_choices(choices)

    def add_step(self, ref: EventRef | None) -> StepRow:
        """Append a step naming ``ref`` (None: a blank one)."""
        row = StepRow(self._choices, ref)
        row.picker.changed.connect(self._check)
        row.up.clicked.connect(lambda: self.move_step(row, -1))
        row.down.clicked.connect(lambda: self.move_step(row, 1))
        row.remove.clicked.connect(lambda: self.remove_step(row))
        self.rows.append(row)
        self.steps_box.addWidget(row)
        self._renumber()
        return row

    def move_step(self, row: StepRow, by: int) -> None:
        """Move ``row`` ``by`` places (−1 up, +1 down) when there is room."""
        index = self.rows.index(row)
        target = index + by
        if not 0 <= target < len(self.rows):
            return
        self.rows[index], self.rows[target] = self.rows[target], self.rows[index]
        self.steps_box.removeWidget(row)
        self.steps_box.insertWidget(target, row)
        self._renumber()

    def remove_step(self, row: StepRow) -> None:
        self.rows.remove(row)
        self.steps_box.removeWidget(row)
        row.deleteLater()
        self._renumber()

    def _renumber(self) -> None:
        for index, row in enumerate(self.rows):
            row.number.setText(f"{index + 1}.")
            row.up.setEnabled(index > 0)
            row.down.setEnabled(index < len(self.rows) - 1)
        self.add_button.setEnabled(len(self.rows) < MAX_STEPS)
        self._check()

    def problem_text(self) -> str:
        """What keeps the form from being a funnel ('' when nothing)."""
        name = self.name.text().strip()
        if not name:
            return "give the funnel a name"
        if name in self._taken:
            return f"a funnel named {name!r} exists already: edit that one, or choose another name"
        if len(self.rows) < MIN_STEPS:
            return f"a funnel needs at least {MIN_STEPS} steps"
        for index, row in enumerate(self.rows):
            problem = row.picker.problem()
            if problem:
                return f"step {index + 1}: {problem}"
        try:
            self.definition()
        except ValueError as exc:
            return str(exc)
        return ""

    @Slot()
    def _check(self, *_args: object) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)

    def definition(self) -> FunnelDefinition:
        """The funnel the form describes; ValueError saying what is wrong."""
        steps = []
        for index, row in enumerate(self.rows):
            try:
                steps.append(row.picker.ref())
            except ValueError as exc:
                raise ValueError(f"step {index + 1}: {exc}") from None
        saved_id = self.existing.id if self.existing is not None and not self.existing.discovered else None
        return FunnelDefinition(name=self.name.text().strip(), steps=tuple(steps), window_ms=self.window_ms, id=saved_id)
