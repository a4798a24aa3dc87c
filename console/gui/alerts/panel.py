"""The Alerts panel: the rules and their states, the recent alerts, and the selected one.

Every two seconds the panel reads the rules (with the states the evaluator keeps) and the
newest transitions through the window's :class:`~console.gui.jobs.StoreJobs`. Selecting a
rule or a transition has the query thread read that rule's state history and the metric
around the moment (:func:`~console.core.analysis.alerts.measure.series`); the
:class:`~console.gui.alerts.detail.AlertDetail` shows it. What the user does — acknowledge,
silence, resolve, and the rule editor's save, enable, disable, delete — goes to the
``actions`` object as :class:`~console.core.store.alerts.AlertAction` s (the window never
writes); when it says done, the panel reads again.

The panel also notices transitions that were notified after it first read the store (ids
above the newest one then: a restart never shows old alerts again) and announces them, so
the window can put them in the tray or its banner.

Signals:
    ready(): the first answer (or the store's failure) has arrived (once).
    answered(): an answer from the store arrived (it can be read).
    detailShown(): the selected alert's detail is on screen.
    linkActivated(str, str): open what an alert is about: ("issue", title), ("page", route)
        or ("transaction", name).
    alertNotified(object, object): a newly notified transition (AlertEvent) and its rule
        (AlertRule, or None when it was deleted since).
    firingChanged(int): how many rules fire now, when that changes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.alerts.measure import series
from console.core.analysis.alerts.rules import AlertRule
from console.core.analysis.alerts.state import AlertState, RuleState
from console.core.errors import LookoutError
from console.core.store.alerts import (
    AlertAction,
    AlertEvent,
    alert_history,
    latest_alert_id,
    list_rules,
    load_states,
)
from console.gui.alerts.detail import AlertDetail, DetailAnswer
from console.gui.alerts.editor import RuleEditor
from console.gui.alerts.model import AlertHistoryModel, RuleRow, RuleTableModel
from console.gui.jobs import StoreJobs

__all__ = ["AlertActionSink", "AlertsAnswer", "AlertsPanel"]

_LIVE_MS = 2_000
_HISTORY_ROWS = 200
#: The chart spans this much before the moment and (at most) after it.
_CHART_BEFORE_MS, _CHART_AFTER_MS = 30 * 60_000, 15 * 60_000
_CHART_STEP_S = 60


class AlertActionSink(Protocol):
    """Whoever carries out alert actions (``console.gui.alert_client.AlertClient``)."""

    @property
    def done(self) -> Any: ...

    @property
    def failed(self) -> Any: ...

    def request(self, action: AlertAction) -> None: ...


@dataclass(frozen=True, slots=True)
class AlertsAnswer:
    """One poll: every rule with its state, the newest transitions, and those after ``seen``."""

    rules: list[AlertRule]
    states: dict[int, RuleState]
    history: list[AlertEvent]
    fresh: list[AlertEvent]
    latest_id: int
    now_ms: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def _table(model: QObject) -> QTableView:
    table = QTableView()
    table.setModel(model)  # type: ignore[arg-type]
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(24)
    return table


class AlertsPanel(QWidget):
    """Rules, recent alerts and the selected alert; see the module docstring."""

    ready = Signal()
    answered = Signal()
    detailShown = Signal()
    linkActivated = Signal(str, str)
    alertNotified = Signal(object, object)
    firingChanged = Signal(int)

    def __init__(
        self,
        *,
        jobs: StoreJobs,
        actions: AlertActionSink | None,
        confirm: Callable[[str, str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._actions = actions
        self._confirm = confirm
        self._ready = False
        self._in_flight = False
        self._running = False
        self._seen: int | None = None  # the newest transition id already known
        self._firing = -1
        self._want_event: int | None = None  # open this transition when it arrives
        self._selected: tuple[int, int | None] | None = None  # (rule id, event id)
        self.answer: AlertsAnswer | None = None
        self.editor: RuleEditor | None = None

        title = QLabel("Alerts")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.summary = QLabel("loading…")
        self.status = QLabel("")
        for label in (self.summary, self.status):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #5f6368;")
        self.new_rule = QPushButton("New rule…")
        self.edit_rule = QPushButton("Edit rule…")
        self.toggle_rule = QPushButton("Disable")
        self.delete_rule = QPushButton("Delete rule")
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.status)
        for button in (self.new_rule, self.edit_rule, self.toggle_rule, self.delete_rule):
            bar.addWidget(button)

        self.rules = RuleTableModel()
        self.rule_table = _table(self.rules)
        self.history = AlertHistoryModel()
        self.history_table = _table(self.history)
        for table, widths, stretch in ((self.rule_table, (64, 84, 140, 0, 64, 64), 3),
                                       (self.history_table, (64, 140, 64, 140, 0, 60), 4)):
            header = table.horizontalHeader()
            for column, width in enumerate(widths):
                if width:
                    header.resizeSection(column, width)
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.detail = AlertDetail()

        def titled(text: str, widget: QWidget) -> QWidget:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            heading = QLabel(text)
            heading.setStyleSheet("font-weight: 600; color: #3c4043;")
            column.addWidget(heading)
            column.addWidget(widget, 1)
            return box

        lists = QSplitter(Qt.Orientation.Horizontal)
        lists.addWidget(titled("Rules", self.rule_table))
        lists.addWidget(titled("Recent alerts", self.history_table))
        lists.setSizes([600, 560])
        lists.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(lists)
        split.addWidget(self.detail)
        split.setSizes([380, 420])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

        self._live = QTimer(self)
        self._live.setObjectName("lookout.alerts.live")
        self._live.setInterval(_LIVE_MS)
        self._live.timeout.connect(self._poll)
        self.rule_table.selectionModel().selectionChanged.connect(self._rule_selected)
        self.history_table.selectionModel().selectionChanged.connect(self._event_selected)
        self.detail.actionWanted.connect(self.act)
        self.detail.linkActivated.connect(self.linkActivated)
        self.detail.editWanted.connect(self.open_editor)
        self.new_rule.clicked.connect(lambda: self.open_editor(new=True))
        self.edit_rule.clicked.connect(lambda: self.open_editor())
        self.toggle_rule.clicked.connect(self._toggle_enabled)
        self.delete_rule.clicked.connect(self._delete)
        if actions is not None:
            actions.done.connect(self._action_done)
            actions.failed.connect(self._action_failed)
        else:
            self.new_rule.setEnabled(False)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)
        self._update_buttons()

    # --- what the window calls ------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Whether the first answer (or a failure) has arrived."""
        return self._ready

    def start(self) -> None:
        """Read the store now and every two seconds."""
        self._running = True
        self.reload()
        self._live.start()

    def stop(self) -> None:
        """Stop reading (answers in flight are dropped)."""
        self._running = False
        self._live.stop()

    @Slot()
    def reload(self) -> None:
        """Read the rules, states and history again."""
        if not self._running:
            return
        seen, now = self._seen, _now_ms()

        def read(conn: sqlite3.Connection) -> AlertsAnswer:
            rules = list_rules(conn)
            states = load_states(conn)
            history = alert_history(conn, limit=_HISTORY_ROWS)
            fresh = alert_history(conn, after_id=seen, limit=_HISTORY_ROWS) if seen is not None else []
            return AlertsAnswer(rules, states, history, fresh, latest_alert_id(conn), now)

        self._in_flight = True
        self._jobs.submit("alerts.list", read)

    def open_alert(self, event_id: int) -> None:
        """Select the transition ``event_id`` and show it (once it has arrived, if not yet)."""
        row = self.history.row_of(str(event_id))
        if row is None:
            self._want_event = event_id
            self.reload()
            return
        self._want_event = None
        index = self.history.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.history_table.selectionModel().setCurrentIndex(index, flags)
        self.history_table.scrollTo(index)

    def open_first(self) -> bool:
        """Open the newest alert that fired (else the newest transition, else the first rule);
        False when there is nothing. ``lookout screenshot`` uses it."""
        rows = self.rules.rows
        if rows and rows[0].state_name == str(AlertState.FIRING):
            self.rule_table.selectRow(0)  # firing rules sort first
            return True
        events = self.history.rows
        chosen = next((e for e in events if e.to_state == "firing"), events[0] if events else None)
        if chosen is not None:
            self.open_alert(chosen.id)
            return True
        if rows:
            self.rule_table.selectRow(0)
            return True
        return False

    def selected_rule(self) -> AlertRule | None:
        """The rule of the selected alert or rule."""
        if self._selected is None or self.answer is None:
            return None
        return next((r for r in self.answer.rules if r.id == self._selected[0]), None)

    # --- actions --------------------------------------------------------------------------

    @Slot(str, int)
    def act(self, kind: str, seconds: int = 0) -> bool:
        """Acknowledge, silence (for ``seconds``) or resolve the selected alert's rule;
        False when there is none to act on."""
        rule = self.selected_rule()
        if rule is None or rule.id is None or self._actions is None:
            return False
        until = _now_ms() + seconds * 1000 if kind == "silence" else None
        self._request(AlertAction(kind=kind, rule_id=rule.id, until_ms=until))
        return True

    def open_editor(self, *, new: bool = False) -> RuleEditor | None:
        """Open the rule editor on the selected rule (or a new one); it saves by itself."""
        rule = None if new else self.selected_rule()
        if not new and rule is None:
            return None
        if self.editor is not None:
            self.editor.close()
            self.editor.deleteLater()
        self.editor = RuleEditor(jobs=self._jobs, rule=rule, parent=self)
        self.editor.saved.connect(self._save)
        self.editor.open()
        return self.editor

    @Slot(object)
    def _save(self, rule: AlertRule) -> None:
        self._request(AlertAction(kind="save_rule", rule_id=rule.id, rule=rule.to_json()))

    @Slot()
    def _toggle_enabled(self) -> None:
        rule = self.selected_rule()
        if rule is not None and rule.id is not None:
            self._request(AlertAction(kind="disable" if rule.enabled else "enable", rule_id=rule.id))

    @Slot()
    def _delete(self) -> None:
        rule = self.selected_rule()
        if rule is None or rule.id is None:
            return
        if self._confirm is not None and not self._confirm(
            "Delete rule", f"Delete the rule “{rule.name}”? Its alert history stays."
        ):
            return
        self._request(AlertAction(kind="delete_rule", rule_id=rule.id))

    def _request(self, action: AlertAction) -> None:
        if self._actions is None:
            return
        self.status.setText(f"{action.kind.replace('_', ' ')}…")
        self._actions.request(action)

    @Slot(object, object)
    def _action_done(self, action: AlertAction, _result: object = None) -> None:
        self.status.setText(f"{action.kind.replace('_', ' ')}: done")
        if self.editor is not None and action.kind == "save_rule" and self.editor.isVisible():
            self.editor.stored()
        self.reload()
        if self._selected is not None:
            self._read_detail(*self._selected)

    @Slot(object, str)
    def _action_failed(self, action: AlertAction, message: str) -> None:
        self.status.setText(f"{action.kind.replace('_', ' ')} failed — {message}")
        if self.editor is not None and action.kind == "save_rule":
            self.editor.show_error(message)

    # --- answers --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if not self._running:
            return
        if key == "alerts.list":
            self._in_flight = False
            self._show_answer(result)
        elif key == "alerts.detail":
            if self._selected is not None and result.rule_id == self._selected[0]:
                self.detail.show_answer(result)
                self.detailShown.emit()

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key == "alerts.list":
            self._in_flight = False
            self.summary.setText(f"cannot read the store — {message}")
            self._mark_ready()
        elif key == "alerts.detail":
            self.detail.chart_note.setText(f"cannot read the store — {message}")

    def _show_answer(self, answer: AlertsAnswer) -> None:
        self.answer = answer
        rows = [RuleRow(rule, answer.states.get(rule.id or 0)) for rule in answer.rules]
        self._refill(self.rule_table, self.rules, rows, self._selected_rule_key())
        self._refill(self.history_table, self.history, answer.history, self._selected_event_key())
        firing = sum(1 for r in rows if r.state_name == str(AlertState.FIRING))
        pending = sum(1 for r in rows if r.state_name == str(AlertState.PENDING))
        self.summary.setText(
            f"{firing} firing · {pending} pending · {len(rows)} rule{'s' if len(rows) != 1 else ''}"
            f" · {len(answer.history)} recent transition{'s' if len(answer.history) != 1 else ''}"
        )
        self._announce(answer)
        if firing != self._firing:
            self._firing = firing
            self.firingChanged.emit(firing)
        self._update_buttons()
        self.answered.emit()
        self._mark_ready()
        if self._want_event is not None and self.history.row_of(str(self._want_event)) is not None:
            self.open_alert(self._want_event)

    def _announce(self, answer: AlertsAnswer) -> None:
        if self._seen is None:
            self._seen = answer.latest_id  # what is there at startup was told before, or never
            return
        rules = {r.id: r for r in answer.rules}
        for event in sorted(answer.fresh, key=lambda e: e.id):
            if event.id > self._seen and event.notified:
                self.alertNotified.emit(event, rules.get(event.rule_id))
        self._seen = max([self._seen, answer.latest_id, *(e.id for e in answer.fresh)])

    def _refill(self, view: QTableView, model: Any, rows: list[Any], key: str | None) -> None:
        selection = view.selectionModel()
        selection.blockSignals(True)
        model.set_rows(rows)
        row = model.row_of(key) if key is not None else None
        if row is not None:
            selection.select(model.index(row, 0),
                             QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        selection.blockSignals(False)
        view.viewport().update()

    def _selected_rule_key(self) -> str | None:
        rows = self.rule_table.selectionModel().selectedRows()
        return self.rules.key_of(rows[0].row()) if rows else None

    def _selected_event_key(self) -> str | None:
        rows = self.history_table.selectionModel().selectedRows()
        return self.history.key_of(rows[0].row()) if rows else None

    # --- selection ------------------------------------------------------------------------

    @Slot()
    def _rule_selected(self, *_args: object) -> None:
        rows = self.rule_table.selectionModel().selectedRows()
        if not rows:
            return
        self._clear(self.history_table)
        self._read_detail(self.rules.rule_row(rows[0].row()).rule_id, None)

    @Slot()
    def _event_selected(self, *_args: object) -> None:
        rows = self.history_table.selectionModel().selectedRows()
        if not rows:
            return
        self._clear(self.rule_table)
        event = self.history.event_at(rows[0].row())
        self._read_detail(event.rule_id, event.id)

    def _clear(self, view: QTableView) -> None:
        selection = view.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        selection.blockSignals(False)
        view.viewport().update()

    def _read_detail(self, rule_id: int, event_id: int | None) -> None:
        self._selected = (rule_id, event_id)
        self._update_buttons()
        now = _now_ms()

        def read(conn: sqlite3.Connection) -> DetailAnswer:
            rule = next((r for r in list_rules(conn) if r.id == rule_id), None)
            state = load_states(conn).get(rule_id)
            history = alert_history(conn, rule_id=rule_id, limit=50)
            event = next((e for e in history if e.id == event_id), None) if event_id is not None else None
            if event_id is not None and event is None:
                event = next((e for e in alert_history(conn, limit=_HISTORY_ROWS) if e.id == event_id), None)
            if event_id is None and history:
                # A rule opens on the last time it fired: that is what a person asks about.
                event = next((e for e in history if e.to_state == str(AlertState.FIRING)), history[0])
            points: list[tuple[int, float | None]] = []
            note = ""
            if rule is not None:
                centre = event.ts if event is not None else now
                try:
                    points = series(conn, rule, start_ms=centre - _CHART_BEFORE_MS,
                                    end_ms=min(centre + _CHART_AFTER_MS, now), step_s=_CHART_STEP_S)
                except LookoutError as exc:
                    note = f"No chart: {exc}"
            title = None
            if event is not None and event.link and event.link.startswith("issue:"):
                found = conn.execute("SELECT title FROM issues WHERE id = ?",
                                     (int(event.link.partition(":")[2] or 0),)).fetchone()
                title = found[0] if found else None
            return DetailAnswer(rule_id, rule, state, event, history, points, note, title, now)

        self._jobs.submit("alerts.detail", read)

    def _update_buttons(self) -> None:
        rule = self.selected_rule()
        for button in (self.edit_rule, self.toggle_rule, self.delete_rule):
            button.setEnabled(rule is not None and self._actions is not None)
        self.toggle_rule.setText("Enable" if rule is not None and not rule.enabled else "Disable")

    @Slot()
    def _poll(self) -> None:
        # A slow answer is not overtaken by the next poll.
        if not self._in_flight:
            self.reload()

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()
