"""Choosing which occurrences count: an :class:`~console.core.analysis.product.refs.EventRef`
picked from what the store holds.

:class:`EventRefPicker` is a source, a name within it (offered from
:func:`~console.core.store.occurrences.event_catalog`, or typed) and property filters typed
as ``platform = ios, properties.plan != free, route ~ cart`` (``~`` is "contains"; the typed
form is :mod:`console.gui.analytics.filter_text`'s), the keys completed from
:func:`~console.core.store.occurrences.breakdown_keys`. The funnel editor's
steps, the KPI editor's numerator and denominator and the Events tab use it. What it offers
is read once, off the GUI thread, by :func:`load_choices` and handed in as
:class:`PickerChoices`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QStringListModel, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLineEdit, QWidget

from console.core.analysis.product.refs import (
    NAME_MEANS,
    SOURCE_LABELS,
    SOURCES,
    EventRef,
    PropertyFilter,
    check_key,
)
from console.core.store.occurrences import breakdown_keys, event_catalog
from console.gui.analytics.filter_text import filters_text, parse_filters, typed_key

__all__ = ["ANY", "EventRefPicker", "FilterKeyCompleter", "PickerChoices", "filters_text", "load_choices", "parse_filters"]

#: How a picker shows "no name": every occurrence of the source counts.
ANY = "(any)"


@dataclass(frozen=True, slots=True)
class PickerChoices:
    """What a picker offers: the store's ``(source, name, count)`` catalog and the filter or
    breakdown keys of each source."""

    catalog: tuple[tuple[str, str | None, int], ...] = ()
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def names(self, source: str) -> list[tuple[str, int]]:
        """The names seen in ``source``, most frequent first, with their counts."""
        return [(name, count) for s, name, count in self.catalog if s == source and name is not None]

    @property
    def empty(self) -> bool:
        """Whether the store holds nothing a picker could name."""
        return not self.catalog


def load_choices(conn: sqlite3.Connection) -> PickerChoices:
    """A job: the store's catalog and every source's keys (run on the query thread)."""
    return PickerChoices(
        catalog=tuple(event_catalog(conn, limit=500)),
        keys={source: tuple(k for k in breakdown_keys(conn, source) if _usable(source, k)) for source in SOURCES},
    )


def _usable(source: str, key: str) -> bool:
    """Whether a filter or breakdown can name ``key`` (``breakdown_keys`` leaves out the
    properties no key can name; this guards against the rest)."""
    try:
        check_key(source, key)
    except ValueError:
        return False
    return True


class FilterKeyCompleter(QCompleter):
    """Completes the key of the filter being typed, the last after a comma: the earlier
    filters stay as they are."""

    def splitPath(self, path: str) -> list[str]:
        return [path.rpartition(",")[2].lstrip()]

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        widget = self.widget()
        typed = widget.text() if isinstance(widget, QLineEdit) else ""
        before, comma, _last = typed.rpartition(",")
        return f"{before}{comma}{' ' if comma else ''}{super().pathFromIndex(index)} "


class EventRefPicker(QWidget):
    """A source, a name in it and filters, making one EventRef; see the module docstring.

    ``with_filters``: show the filters field (the Events tab has its own).

    Signals:
        changed(): the user changed the source, the name or the filters.
    """

    changed = Signal()

    def __init__(self, *, with_filters: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = PickerChoices()
        self.source = QComboBox()
        for source in SOURCES:
            self.source.addItem(SOURCE_LABELS[source], source)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.setMinimumWidth(180)
        self.name.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.name.setMinimumContentsLength(18)
        self.filters = QLineEdit()
        self.filters.setPlaceholderText("filters: platform = ios, properties.plan != free")
        self.filters.setClearButtonEnabled(True)
        self._keys = QStringListModel(self)
        completer = FilterKeyCompleter(self._keys, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.filters.setCompleter(completer)
        self.filters.setVisible(with_filters)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.source)
        layout.addWidget(self.name, 1)
        layout.addWidget(self.filters, 1)
        self._fill_names()
        self.source.currentIndexChanged.connect(self._source_chosen)
        self.name.currentTextChanged.connect(lambda _text: self.changed.emit())
        self.filters.textChanged.connect(lambda _text: self.changed.emit())

    @property
    def chosen_source(self) -> str:
        return str(self.source.currentData())

    def set_choices(self, choices: PickerChoices) -> None:
        """Offer the names and keys in ``choices`` (the typed name stays)."""
        self._choices = choices
        text = self.name.currentText()
        self._fill_names()
        self.name.setEditText(text)

    def set_ref(self, ref: EventRef | None) -> None:
        """Show ``ref`` (None: the first source, any name)."""
        self.source.setCurrentIndex(max(0, self.source.findData(ref.source if ref else SOURCES[0])))
        if ref is None:
            self.name.setEditText(self._default_name())
            self.filters.clear()
            return
        if ref.source == "funnel_step":
            self.name.setEditText(f"{ref.funnel}: {ref.name}" if ref.name else f"{ref.funnel}: {ANY}")
        else:
            self.name.setEditText(ref.name or ANY)
        self.filters.setText(filters_text(ref.filters))

    def ref(self, filters: tuple[PropertyFilter, ...] | None = None) -> EventRef:
        """The EventRef the fields describe (``filters`` instead of the typed ones, when
        given); ValueError saying what is missing or wrong."""
        source = self.chosen_source
        text = self.name.currentText().strip()
        name: str | None = None if text in ("", ANY) else text
        funnel: str | None = None
        if source == "funnel_step":
            if name is None:
                raise ValueError("a funnel step needs its funnel: write 'funnel: step'")
            funnel, _, step = name.partition(":")
            funnel, step = funnel.strip(), step.strip()
            name = None if step in ("", ANY) else step
        elif source == "event" and name is None:
            raise ValueError("choose or type the event's name")
        chosen = parse_filters(source, self.filters.text()) if filters is None else filters
        return EventRef(source=source, name=name, funnel=funnel or None, filters=chosen)

    def problem(self) -> str:
        """What keeps the fields from naming occurrences ('' when nothing)."""
        try:
            self.ref()
        except ValueError as exc:
            return str(exc)
        return ""

    @Slot(int)
    def _source_chosen(self, _index: int) -> None:
        self._fill_names()
        self.name.setEditText(self._default_name())
        self.changed.emit()

    def _default_name(self) -> str:
        source = self.chosen_source
        if source in ("event", "funnel_step"):
            names = self._choices.names(source)
            return names[0][0] if names else ""
        return ANY

    def _fill_names(self) -> None:
        source = self.chosen_source
        self.name.blockSignals(True)
        self.name.clear()
        if source not in ("event", "funnel_step"):
            self.name.addItem(ANY)
        for name, count in self._choices.names(source):
            self.name.addItem(name)
            self.name.setItemData(self.name.count() - 1, f"{count:,} in the store", Qt.ItemDataRole.ToolTipRole)
        self.name.lineEdit().setPlaceholderText(NAME_MEANS[source])
        self.name.blockSignals(False)
        # Offered as they are typed: a property whose name holds a separator comes quoted.
        keys = [typed_key(key) for key in self._choices.keys.get(source, ())]
        self._keys.setStringList(keys)
        self.filters.setToolTip(
            "Comma-separated: key = value, key != value, key ~ text (contains).\n"
            'Quote a property whose name holds a dot or , = ! ~: properties."utm.source" = ad;\n'
            'a value holding a comma: title = "Shoes, socks".\n'
            f"Keys of {SOURCE_LABELS[source].lower()}: " + ", ".join(keys[:30])
        )
