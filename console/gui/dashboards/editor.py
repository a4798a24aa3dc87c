"""Adding or editing one dashboard widget: what it shows, over what range, how, and where.

:class:`WidgetEditor` asks for the kind (card or chart), the metric — a source, a name in
it, an aggregation and its field, property filters and a project; or a KPI by name; or every
event, or active sessions — the range, the format, the comparison, the card's trend, the
refresh interval, and the place and size on the grid. It says what is wrong in words (the
core's :class:`~console.core.analysis.product.dashboard.Widget` and
:class:`~console.core.analysis.product.dashboard.Dashboard` give the reasons) and allows
saving only a widget that fits the dashboard.
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
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.dashboard import (
    FORMATS,
    GRID_COLUMNS,
    MAX_ROW,
    MAX_SIZE,
    RANGES,
    Dashboard,
    Widget,
)
from console.core.analysis.product.refs import (
    AGGREGATIONS,
    COLUMNS,
    FIELDS,
    NAME_MEANS,
    SOURCE_LABELS,
    EventRef,
    Measure,
)
from console.gui.dashboards.choices import BUCKETS, FORMAT_WORDS, SHOWS, names_in, suggested_format
from console.gui.dashboards.display import describe_range
from console.gui.dashboards.filters import FilterTable

__all__ = ["WidgetEditor"]

_ANY = "(any)"
_NO_FIELD = "—"


def _combo(items: Sequence[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    return combo


def _editable() -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    return combo


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class WidgetEditor(QDialog):
    """The widget form; :meth:`dashboard_after` is the dashboard with the widget saved in it.

    ``index``: the widget being edited (None: a new one). ``catalog``: what the store holds,
    ``(source, name, count)`` as :func:`~console.core.store.occurrences.event_catalog` lists
    it, for the name pickers; ``kpis``: the KPIs' names.
    """

    def __init__(
        self,
        *,
        dashboard: Dashboard,
        index: int | None = None,
        catalog: Sequence[tuple[str, str | None, int]] = (),
        kpis: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.dashboard = dashboard
        self.index = index
        self.catalog = list(catalog)
        existing = dashboard.widgets[index] if index is not None else None
        self.setWindowTitle(f"Edit widget — {dashboard.name}" if existing else f"Add a widget to {dashboard.name}")
        self.setMinimumWidth(520)

        self.kind = _combo([("Card: a figure with its change and trend", "card"), ("Chart: a line over time", "chart")])
        self.title = QLineEdit()
        self.title.setPlaceholderText("what the metric is called (blank: its description)")
        self.shows = _combo([(text, key) for key, text in SHOWS.items()])
        self.source = _combo([(text, key) for key, text in SOURCE_LABELS.items()])
        self.name, self.funnel, self.kpi = _editable(), _editable(), _editable()
        self.aggregation = _combo([(a, a) for a in AGGREGATIONS])
        self.field = QComboBox()
        self.filters = FilterTable()
        self.project = QLineEdit()
        self.project.setPlaceholderText("every project")
        self.kpi.addItems(list(kpis))
        self.range = _combo([(describe_range(key).capitalize(), key) for key in RANGES])
        self.format = _combo([(FORMAT_WORDS.get(f, f), f) for f in FORMATS])
        self.comparison = _combo([("Against the previous period", "previous"), ("None", "none")])
        self.trend = QCheckBox("Show a sparkline of the range")
        self.bucket = _combo([(text, ms) for text, ms in BUCKETS.items()])
        self.bucket.setToolTip("How long each point of the line covers")
        self.refresh = _spin(5, 86_400, 30, " s")
        self.row = _spin(0, MAX_ROW - 1, 0)
        self.col = _spin(0, GRID_COLUMNS - 1, 0)
        self.width_spin = _spin(1, MAX_SIZE, 1)
        self.height_spin = _spin(1, MAX_SIZE, 1)
        self.problem = QLabel("", textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.problem.setStyleSheet("color: #c5221f;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)

        place = QHBoxLayout()
        for text, spin in (("row", self.row), ("column", self.col), ("width", self.width_spin),
                           ("height", self.height_spin)):
            place.addWidget(QLabel(text))
            place.addWidget(spin)
        place.addStretch(1)
        self.form = QFormLayout()
        for text, field in (
            ("Kind", self.kind), ("Title", self.title), ("Shows", self.shows), ("Source", self.source),
            ("Name", self.name), ("Funnel", self.funnel), ("Aggregation", self.aggregation), ("Field", self.field),
            ("Filters", self.filters), ("Project", self.project), ("KPI", self.kpi), ("Range", self.range),
            ("Format", self.format), ("Comparison", self.comparison), ("Trend", self.trend),
            ("Points every", self.bucket), ("Refresh every", self.refresh),
        ):
            self.form.addRow(text, field)
        self.form.addRow("Place", place)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self._placed_by_user = existing is not None
        self._format_by_user = existing is not None
        self._filling = True
        if existing is not None:
            self._fill(existing)
        else:
            self._fill_names()
            self._fill_fields()
            self.trend.setChecked(True)
            self.range.setCurrentIndex(self.range.findData("24h"))
            self._place_new()
        self._filling = False
        self._connect()
        self._show_rows()
        self._check()

    # --- filling the form -------------------------------------------------------------------

    def _connect(self) -> None:
        for combo in (self.kind, self.shows, self.range, self.comparison, self.aggregation, self.field, self.bucket):
            combo.currentIndexChanged.connect(self._changed)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.format.currentIndexChanged.connect(self._format_chosen)
        for combo in (self.name, self.funnel, self.kpi):
            combo.currentTextChanged.connect(self._changed)
        for edit in (self.title, self.project):
            edit.textChanged.connect(self._changed)
        self.trend.toggled.connect(self._changed)
        self.filters.changed.connect(self._changed)
        self.refresh.valueChanged.connect(self._changed)
        for spin in (self.row, self.col):
            spin.valueChanged.connect(self._placed)
        for spin in (self.width_spin, self.height_spin):
            spin.valueChanged.connect(self._resized)

    def _fill(self, widget: Widget) -> None:
        self.kind.setCurrentIndex(self.kind.findData(widget.kind))
        self.title.setText(widget.title)
        show = "measure" if widget.measure else "kpi" if widget.kpi else str(widget.special)
        self.shows.setCurrentIndex(self.shows.findData(show))
        measure = widget.measure
        if measure is not None:
            self.source.setCurrentIndex(self.source.findData(measure.ref.source))
            self._fill_names()
            self.name.setCurrentText(measure.ref.name or _ANY)
            self.funnel.setCurrentText(measure.ref.funnel or "")
            self.aggregation.setCurrentIndex(self.aggregation.findData(measure.aggregation))
            self._fill_fields()
            self.field.setCurrentIndex(max(0, self.field.findData(measure.field)))
            self.filters.set_filters(measure.ref.filters)
            self.project.setText(measure.ref.project or "")
        else:
            self._fill_names()
            self._fill_fields()
        if widget.kpi is not None:
            self.kpi.setCurrentText(widget.kpi)
        self.range.setCurrentIndex(self.range.findData(widget.range))
        self.format.setCurrentIndex(self.format.findData(widget.format))
        self.comparison.setCurrentIndex(self.comparison.findData(widget.comparison))
        self.trend.setChecked(widget.trend)
        if widget.bucket_ms is not None and self.bucket.findData(widget.bucket_ms) < 0:
            self.bucket.addItem(f"{widget.bucket_ms / 60_000:g} min", widget.bucket_ms)
        self.bucket.setCurrentIndex(self.bucket.findData(widget.bucket_ms))
        self.refresh.setValue(widget.refresh_s)
        self.row.setValue(widget.row)
        self.col.setValue(widget.col)
        self.width_spin.setValue(widget.width)
        self.height_spin.setValue(widget.height)

    def _fill_names(self) -> None:
        """The name picker offers what the store holds of the chosen source, most frequent first."""
        source = str(self.source.currentData())
        text = self.name.currentText()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItem(_ANY)
        names, funnels = names_in(self.catalog, source)
        self.name.addItems(names)
        self.name.setCurrentText(text if text and self.name.findText(text) >= 0 else _ANY)
        self.name.setToolTip(f"the {NAME_MEANS[source]} ({_ANY}: every one)")
        self.name.blockSignals(False)
        self.funnel.blockSignals(True)
        current = self.funnel.currentText()
        self.funnel.clear()
        self.funnel.addItems(funnels)
        self.funnel.setCurrentText(current or (funnels[0] if funnels else ""))
        self.funnel.blockSignals(False)
        self.filters.set_keys(COLUMNS[source])

    def _fill_fields(self) -> None:
        source = str(self.source.currentData())
        chosen = self.field.currentData()
        self.field.blockSignals(True)
        self.field.clear()
        self.field.addItem(_NO_FIELD, None)
        for field in FIELDS.get(source, ()):
            self.field.addItem(field, field)
        self.field.setCurrentIndex(max(0, self.field.findData(chosen)))
        if self.field.currentData() is None and self.aggregation.currentData() not in ("count", "users", "sessions"):
            self.field.setCurrentIndex(min(1, self.field.count() - 1))
        self.field.blockSignals(False)

    def _place_new(self) -> None:
        """A new widget goes to the first free place of its size."""
        try:
            row, col = self.dashboard.free_cell(self.width_spin.value(), self.height_spin.value())
        except ValueError:
            return
        for spin, value in ((self.row, row), (self.col, col)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _show_rows(self) -> None:
        show = self.shows.currentData()
        source = self.source.currentData()
        for widget in (self.source, self.name, self.aggregation, self.field, self.filters, self.project):
            self.form.setRowVisible(widget, show == "measure")
        self.form.setRowVisible(self.funnel, show == "measure" and source == "funnel_step")
        self.form.setRowVisible(self.kpi, show == "kpi")
        self.form.setRowVisible(self.trend, self.kind.currentData() == "card")
        self.form.setRowVisible(self.bucket, self.kind.currentData() == "chart")

    # --- reactions --------------------------------------------------------------------------

    @Slot()
    def _source_changed(self, *_args: object) -> None:
        self._fill_names()
        self._fill_fields()
        self._changed()

    @Slot()
    def _format_chosen(self, *_args: object) -> None:
        if not self._filling:
            self._format_by_user = True
        self._changed()

    @Slot()
    def _placed(self, *_args: object) -> None:
        self._placed_by_user = True
        self._changed()

    @Slot()
    def _resized(self, *_args: object) -> None:
        if not self._placed_by_user:
            self._place_new()
        self._changed()

    @Slot()
    def _changed(self, *_args: object) -> None:
        if self._filling:
            return
        if self.sender() is self.aggregation:
            self._fill_fields()
        if self.sender() is self.kind and not self._placed_by_user and self.index is None:
            # A chart wants room: two by two unless the user sized it already.
            chart = self.kind.currentData() == "chart"
            for spin in (self.width_spin, self.height_spin):
                spin.blockSignals(True)
                spin.setValue(2 if chart else 1)
                spin.blockSignals(False)
            self._place_new()
        if not self._format_by_user:
            self._suggest_format()
        self._show_rows()
        self._check()

    def _suggest_format(self) -> None:
        fmt = suggested_format(str(self.shows.currentData()), str(self.source.currentData()),
                               str(self.aggregation.currentData()), self.field.currentData())
        self.format.blockSignals(True)
        self.format.setCurrentIndex(self.format.findData(fmt))
        self.format.blockSignals(False)

    # --- what the form says -----------------------------------------------------------------

    def measure(self) -> Measure:
        """The event metric the form describes; ValueError says what is wrong."""
        source = str(self.source.currentData())
        name = self.name.currentText().strip()
        funnel = self.funnel.currentText().strip() if source == "funnel_step" else ""
        ref = EventRef(
            source=source, name=None if name in ("", _ANY) else name, funnel=funnel or None,
            filters=self.filters.filters(), project=self.project.text().strip() or None,
        )
        return Measure(ref=ref, aggregation=str(self.aggregation.currentData()), field=self.field.currentData())

    def widget(self) -> Widget:
        """The widget the form describes; ValueError says what is wrong."""
        show = self.shows.currentData()
        kpi = self.kpi.currentText().strip()
        if show == "kpi" and not kpi:
            raise ValueError("choose the KPI to show (define KPIs in Analytics → KPIs)")
        kind = str(self.kind.currentData())
        return Widget(
            kind=kind,
            title=self.title.text().strip(),
            measure=self.measure() if show == "measure" else None,
            kpi=kpi if show == "kpi" else None,
            special=show if show in ("events", "active_sessions") else None,
            range=str(self.range.currentData()),
            format=str(self.format.currentData()),
            comparison=str(self.comparison.currentData()),
            trend=self.trend.isChecked() if kind == "card" else True,
            refresh_s=self.refresh.value(),
            row=self.row.value(),
            col=self.col.value(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            bucket_ms=self.bucket.currentData() if kind == "chart" else None,
        )

    def dashboard_after(self) -> Dashboard:
        """The dashboard with this widget added or replaced; ValueError says what is wrong."""
        widget = self.widget()
        if self.index is None:
            return self.dashboard.with_widget(widget)
        return self.dashboard.replace_widget(self.index, widget)

    def problem_text(self) -> str:
        """What keeps the form from making a widget that fits ('' when nothing)."""
        try:
            self.dashboard_after()
        except ValueError as exc:
            return str(exc)
        return ""

    @Slot()
    def _check(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)
        if not self.title.text().strip() and not problem:
            self.title.setPlaceholderText(self.widget().metric_label())

    @Slot()
    def _accept_if_valid(self) -> None:
        if not self.problem_text():
            self.accept()

