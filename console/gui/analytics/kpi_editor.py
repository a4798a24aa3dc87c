"""Creating or editing a KPI: the brief's ``defineKPI`` as a dialog.

:class:`KpiEditor` asks for a name, a description, the formula (count of an event, unique
users, a rate of one count over another, a sum of a value, a percentile of a metric, the
error rate) with only the fields that formula uses, the unit, the target, whether higher is
better, the warning and critical thresholds and how often the value is refreshed. It gives
back a :class:`~console.core.analysis.product.kpi.KpiDefinition`; whatever keeps the form
from being one is said under it, and Save stays disabled until it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.kpi import FORMULA_LABELS, FORMULAS, QUANTILES, RATE_OF, KpiDefinition
from console.core.analysis.product.refs import FIELDS, EventRef
from console.gui.analytics.ref_picker import EventRefPicker, PickerChoices

__all__ = ["KpiEditor", "number_or_none", "number_text"]

_USES_REF = frozenset({"count", "unique_users", "rate", "sum", "percentile"})
_USES_FIELD = frozenset({"sum", "percentile"})
_UNITS = ("", "%", "ms", "s", "CNY", "USD", "EUR", "users", "sessions", "events")


def number_or_none(text: str, what: str) -> float | None:
    """``text`` as a number, None when empty; ValueError naming ``what`` otherwise."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the {what} must be a number (or left empty)") from None


def number_text(value: float) -> str:
    """``value`` as the form shows it, every digit kept (``1234567``, ``12345.678``): a KPI
    opened and saved as it is keeps its target."""
    text = repr(float(value))
    return text.removesuffix(".0")


class KpiEditor(QDialog):
    """Name, description, formula and its fields, unit, target, thresholds, refresh; see the module docstring.

    ``taken``: names of the other KPIs (a new one may not reuse them).
    """

    def __init__(
        self,
        *,
        choices: PickerChoices,
        existing: KpiDefinition | None = None,
        taken: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.existing = existing
        self._taken = {name for name in taken if existing is None or name != existing.name}
        self.setWindowTitle(f"Edit KPI {existing.name}" if existing else "New KPI")
        self.setMinimumWidth(640)
        self.name = QLineEdit(existing.name if existing else "")
        self.name.setPlaceholderText("Checkout conversion")
        self.description = QLineEdit(existing.description if existing else "")
        self.formula = QComboBox()
        for formula in FORMULAS:
            self.formula.addItem(FORMULA_LABELS.get(formula, formula), formula)
        self.ref = EventRefPicker()
        self.ref.set_choices(choices)
        self.denominator = EventRefPicker()
        self.denominator.set_choices(choices)
        self.rate_of = QComboBox()
        for what in RATE_OF:
            self.rate_of.addItem({"count": "occurrences", "users": "unique users"}.get(what, what), what)
        self.field = QComboBox()
        self.quantile = QComboBox()
        for q in QUANTILES:
            self.quantile.addItem(f"p{q * 100:g}", q)
        self.unit = QComboBox()
        self.unit.setEditable(True)
        self.unit.addItems(list(_UNITS))
        self.target = QLineEdit()
        self.target.setPlaceholderText("none")
        self.higher_is_better = QCheckBox("Higher is better")
        self.higher_is_better.setChecked(True)
        self.warning = QLineEdit()
        self.warning.setPlaceholderText("none")
        self.critical = QLineEdit()
        self.critical.setPlaceholderText("none")
        self.refresh = QSpinBox()
        self.refresh.setRange(1, 7 * 86_400)
        self.refresh.setSuffix(" s")
        self.refresh.setValue(60)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c5221f;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Description", self.description)
        self.form.addRow("Formula", self.formula)
        self.form.addRow("Of", self.ref)
        self.form.addRow("Divided by", self.denominator)
        self.form.addRow("Counting", self.rate_of)
        self.form.addRow("Field", self.field)
        self.form.addRow("Percentile", self.quantile)
        self.form.addRow("Unit", self.unit)
        self.form.addRow("Target", self.target)
        self.form.addRow("", self.higher_is_better)
        self.form.addRow("Warning at", self.warning)
        self.form.addRow("Critical at", self.critical)
        self.form.addRow("Refresh every", self.refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self._suggested_percent = False  # the unit reads "%" because a rate was chosen
        if existing is not None:
            self._show(existing)
        # A KPI opened as it is keeps its unit, even a rate's empty one.
        self._formula_chosen(suggest_unit=existing is None)
        self.formula.currentIndexChanged.connect(lambda _index: self._formula_chosen())
        self.ref.changed.connect(self._ref_changed)
        for edit in (self.name, self.description, self.target, self.warning, self.critical):
            edit.textChanged.connect(self._check)
        self.unit.currentTextChanged.connect(self._check)
        for combo in (self.rate_of, self.field, self.quantile):
            combo.currentIndexChanged.connect(self._check)
        self.denominator.changed.connect(self._check)
        self.higher_is_better.toggled.connect(self._check)
        self.refresh.valueChanged.connect(self._check)
        self._check()

    def _show(self, kpi: KpiDefinition) -> None:
        self.formula.setCurrentIndex(max(0, self.formula.findData(kpi.formula)))
        self.ref.set_ref(kpi.ref)
        self.denominator.set_ref(kpi.denominator)
        self.rate_of.setCurrentIndex(max(0, self.rate_of.findData(kpi.rate_of)))
        self._fill_fields(kpi.ref)
        if kpi.field is not None:
            self.field.setCurrentIndex(max(0, self.field.findData(kpi.field)))
        if kpi.quantile is not None:
            self.quantile.setCurrentIndex(max(0, self.quantile.findData(kpi.quantile)))
        self.unit.setCurrentText(kpi.unit)
        for edit, value in ((self.target, kpi.target), (self.warning, kpi.warning), (self.critical, kpi.critical)):
            edit.setText("" if value is None else number_text(value))
        self.higher_is_better.setChecked(kpi.higher_is_better)
        self.refresh.setValue(kpi.refresh_s)

    @property
    def chosen_formula(self) -> str:
        return str(self.formula.currentData())

    def _set_row_visible(self, widget: QWidget, visible: bool) -> None:
        self.form.setRowVisible(widget, visible)

    def _formula_chosen(self, *, suggest_unit: bool = True) -> None:
        formula = self.chosen_formula
        self._set_row_visible(self.ref, formula in _USES_REF)
        self._set_row_visible(self.denominator, formula == "rate")
        self._set_row_visible(self.rate_of, formula == "rate")
        self._set_row_visible(self.field, formula in _USES_FIELD)
        self._set_row_visible(self.quantile, formula == "percentile")
        percent = formula in ("rate", "error_rate")
        if suggest_unit and percent and not self.unit.currentText():
            self.unit.setCurrentText("%")
            self._suggested_percent = True
        elif suggest_unit and not percent and self._suggested_percent and self.unit.currentText() == "%":
            self.unit.setCurrentText("")  # the "%" was ours, for a rate: a count or sum is not one
            self._suggested_percent = False
        self._ref_changed()

    @Slot()
    def _ref_changed(self) -> None:
        try:
            ref: EventRef | None = self.ref.ref()
        except ValueError:
            ref = None
        self._fill_fields(ref, source=self.ref.chosen_source)
        self._check()

    def _fill_fields(self, ref: EventRef | None, *, source: str | None = None) -> None:
        fields = FIELDS.get(ref.source if ref is not None else source or "", ())
        kept = self.field.currentData()
        self.field.blockSignals(True)
        self.field.clear()
        for name in fields:
            self.field.addItem(name, name)
        if kept in fields:
            self.field.setCurrentIndex(self.field.findData(kept))
        self.field.blockSignals(False)

    def problem_text(self) -> str:
        """What keeps the form from being a KPI ('' when nothing)."""
        name = self.name.text().strip()
        if not name:
            return "give the KPI a name"
        if name in self._taken:
            return f"a KPI named {name!r} exists already: edit that one, or choose another name"
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

    def definition(self) -> KpiDefinition:
        """The KPI the form describes; ValueError saying what is wrong."""
        formula = self.chosen_formula
        ref = self.ref.ref() if formula in _USES_REF else None
        denominator = None
        if formula == "rate":
            try:
                denominator = self.denominator.ref()
            except ValueError as exc:
                raise ValueError(f"the rate's denominator: {exc}") from None
        field = None
        if formula in _USES_FIELD:
            field = self.field.currentData()
            if field is None:
                source = ref.source if ref is not None else "this source"
                raise ValueError(f"{source} has no numeric field to take a {formula} of: pick another source")
        return KpiDefinition(
            name=self.name.text().strip(),
            description=self.description.text().strip(),
            formula=formula,
            ref=ref,
            denominator=denominator,
            rate_of=str(self.rate_of.currentData()) if formula == "rate" else "count",
            field=field,
            quantile=float(self.quantile.currentData()) if formula == "percentile" else None,
            unit=self.unit.currentText().strip(),
            target=number_or_none(self.target.text(), "target"),
            higher_is_better=self.higher_is_better.isChecked(),
            warning=number_or_none(self.warning.text(), "warning threshold"),
            critical=number_or_none(self.critical.text(), "critical threshold"),
            refresh_s=self.refresh.value(),
            project=self.existing.project if self.existing is not None else None,
            id=self.existing.id if self.existing is not None else None,
        )
