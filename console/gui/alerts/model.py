"""Table models of the Alerts panel: the rules with their states, and the alert history.

Both are thin :class:`~console.gui.performance.tables.ColumnTableModel` s over what the
store answered (:func:`~console.core.store.alerts.list_rules` with
:func:`~console.core.store.alerts.load_states`, and
:func:`~console.core.store.alerts.alert_history`). Severity colours the severity cell; the
state colours the state cell, firing in its severity's colour, so a critical alert that
fires is the reddest thing in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from console.core.analysis.alerts.rules import AlertRule
from console.core.analysis.alerts.state import AlertState, RuleState
from console.core.store.alerts import AlertEvent
from console.gui.alerts.units import format_metric_value
from console.gui.performance.tables import Column, ColumnTableModel

__all__ = [
    "SEVERITY_COLOURS", "STATE_COLOURS", "STATE_WORDS", "AlertHistoryModel", "RuleRow", "RuleTableModel",
    "clock", "state_colours",
]

_Index = QModelIndex | QPersistentModelIndex

#: Severity → (text, background).
SEVERITY_COLOURS = {
    "critical": ("#a50e0e", "#fce8e6"),
    "warning": ("#b06000", "#fef7e0"),
    "info": ("#174ea6", "#e8f0fe"),
}
#: State → (text, background); firing takes its severity's colours instead.
STATE_COLOURS = {
    "pending": ("#b06000", "#fef7e0"),
    "resolved": ("#137333", "#e6f4ea"),
    "normal": ("#3c4043", "#ffffff"),
    "no_data": ("#5f6368", "#f1f3f4"),
    "error": ("#a50e0e", "#f1f3f4"),
}
STATE_WORDS = {
    "normal": "normal", "pending": "pending", "firing": "FIRING", "resolved": "resolved",
    "no_data": "no data", "error": "error",
}
# Firing first, then what may fire next; quiet rules last.
_STATE_ORDER = {"firing": 0, "pending": 1, "error": 2, "no_data": 3, "resolved": 4, "normal": 5}
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def state_colours(state: str, severity: str) -> tuple[str, str]:
    """The (text, background) colours a state is shown in."""
    if state == "firing":
        return SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["warning"])
    return STATE_COLOURS.get(state, STATE_COLOURS["normal"])


def clock(ts: int, *, now_ms: int | None = None) -> str:
    """A moment as 'HH:MM:SS' today, or 'MM-DD HH:MM' another day."""
    moment = datetime.fromtimestamp(ts / 1000)
    today = datetime.fromtimestamp(now_ms / 1000).date() if now_ms is not None else datetime.now().date()
    return moment.strftime("%H:%M:%S") if moment.date() == today else moment.strftime("%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A rule and the state the store keeps for it (None: never evaluated)."""

    rule: AlertRule
    state: RuleState | None

    @property
    def state_name(self) -> str:
        if not self.rule.enabled:
            return "disabled"
        return str(self.state.state) if self.state is not None else str(AlertState.NORMAL)

    @property
    def rule_id(self) -> int:
        return self.rule.id or 0


def _state_text(row: RuleRow) -> str:
    if row.state_name == "disabled":
        return "disabled"
    text = STATE_WORDS.get(row.state_name, row.state_name)
    if row.state is not None and row.state.acknowledged and row.state_name == "firing":
        text += " · ack"
    if row.state is not None and row.state.silenced_until_ms is not None and row.state.silenced_until_ms > _now_ms():
        text += " · silenced"
    return text


def _now_ms() -> int:
    return int(datetime.now().timestamp() * 1000)


class _ColouredModel(ColumnTableModel[Any]):
    """Colours the severity and state columns; bold for firing."""

    severity_column = 0
    state_column = 1

    def _colours(self, row: Any, column: int) -> tuple[str, str] | None:
        raise NotImplementedError

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            colours = self._colours(self.rows[index.row()], index.column())
            if colours is None:
                return None
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            text, background = colours
            return QBrush(QColor(background if role == Qt.ItemDataRole.BackgroundRole else text))
        return super().data(index, role)


class RuleTableModel(_ColouredModel):
    """Every rule with its state, firing first (then by severity, then name)."""

    def __init__(self) -> None:
        columns: list[Column[RuleRow]] = [
            Column("Severity", lambda r: str(r.rule.severity), lambda r: _SEVERITY_ORDER.get(r.rule.severity, 9),
                   numeric=False),
            Column("State", _state_text, lambda r: _STATE_ORDER.get(r.state_name, 9), numeric=False),
            Column("Rule", lambda r: r.rule.name, lambda r: r.rule.name.lower(), numeric=False),
            Column("Condition", lambda r: r.rule.describe(), lambda r: r.rule.describe(), numeric=False,
                   tooltip=lambda r: r.rule.describe()),
            Column("Value", lambda r: format_metric_value(r.rule, r.state.value if r.state else None),
                   lambda r: r.state.value if r.state else None),
            Column("Since", lambda r: clock(r.state.since_ms) if r.state and r.state.since_ms else "–",
                   lambda r: r.state.since_ms if r.state else None),
        ]
        super().__init__(columns, key=lambda r: str(r.rule_id))

    def set_rows(self, rows: Any) -> None:
        ordered = sorted(rows, key=lambda r: (_STATE_ORDER.get(r.state_name, 9),
                                              _SEVERITY_ORDER.get(r.rule.severity, 9), r.rule.name.lower()))
        super().set_rows(ordered)

    def _colours(self, row: RuleRow, column: int) -> tuple[str, str] | None:
        if column == self.severity_column:
            return SEVERITY_COLOURS.get(row.rule.severity)
        if column == self.state_column and row.state_name in ("firing", "pending", "error"):
            return state_colours(row.state_name, row.rule.severity)
        return None

    def rule_row(self, row: int) -> RuleRow:
        return self.rows[row]  # type: ignore[no-any-return]


class AlertHistoryModel(_ColouredModel):
    """Transitions the store kept, newest first."""

    def __init__(self) -> None:
        columns: list[Column[AlertEvent]] = [
            Column("Severity", lambda e: e.severity, lambda e: _SEVERITY_ORDER.get(e.severity, 9), numeric=False),
            Column("Change", lambda e: f"{STATE_WORDS.get(e.from_state, e.from_state)} → "
                                       f"{STATE_WORDS.get(e.to_state, e.to_state)}",
                   lambda e: e.to_state, numeric=False),
            Column("Time", lambda e: clock(e.ts), lambda e: e.ts, numeric=False),
            Column("Rule", lambda e: e.rule_name, lambda e: e.rule_name.lower(), numeric=False),
            Column("Why", lambda e: e.reason, lambda e: e.reason, numeric=False, tooltip=lambda e: e.detail),
            Column("Notified", lambda e: "yes" if e.notified else "–", lambda e: e.notified, numeric=False),
        ]
        super().__init__(columns, key=lambda e: str(e.id))

    def _colours(self, event: AlertEvent, column: int) -> tuple[str, str] | None:
        if column == self.severity_column:
            return SEVERITY_COLOURS.get(event.severity)
        if column == self.state_column and event.to_state in ("firing", "pending", "resolved", "error"):
            return state_colours(event.to_state, event.severity)
        return None

    def event_at(self, row: int) -> AlertEvent:
        return self.rows[row]  # type: ignore[no-any-return]
