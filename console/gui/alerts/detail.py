"""The selected alert in full: what fired and why, its metric around that moment, its rule's
state history, a link to what it is about, and what the user can do about it.

:class:`AlertDetail` only renders a :class:`DetailAnswer` the panel had the query thread
compute, and forwards the buttons as signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.alerts.rules import AlertRule, Comparison
from console.core.analysis.alerts.state import RuleState
from console.core.store.alerts import AlertEvent
from console.gui.alerts.chart import AlertChart
from console.gui.alerts.model import STATE_WORDS, clock, state_colours
from console.gui.alerts.units import format_metric_value

__all__ = ["SILENCE_CHOICES", "AlertDetail", "DetailAnswer", "describe_link"]

#: The silence buttons: label → seconds.
SILENCE_CHOICES = {"Silence 1 h": 3600, "Silence 1 day": 86_400}


@dataclass(frozen=True, slots=True)
class DetailAnswer:
    """What the query thread found for the selected alert."""

    rule_id: int
    rule: AlertRule | None  # None: the rule was deleted; its history stays
    state: RuleState | None
    event: AlertEvent | None
    history: list[AlertEvent] = field(default_factory=list)
    series: list[tuple[int, float | None]] = field(default_factory=list)
    series_note: str = ""  # why there is no chart, when there is none
    link_title: str | None = None  # an issue's title, for the Errors panel's search
    now_ms: int = 0


def describe_link(link: str | None, title: str | None) -> tuple[str, str, str] | None:
    """(kind, target, button text) of an alert's link, or None when it has none it can open.

    ``issue:12`` opens the Errors panel searching the issue's title; ``page:ROUTE`` and
    ``transaction:NAME`` open the Performance panel on that page or transaction; ``kpi:NAME``
    the Analytics panel's KPIs tab at that KPI's card.
    """
    if not link or ":" not in link:
        return None
    kind, _, target = link.partition(":")
    if kind == "issue":
        return ("issue", title or target, f"Open issue #{target} in Errors" + (f" — {title}" if title else ""))
    if kind == "page":
        return ("page", target, f"Open page {target} in Performance")
    if kind == "transaction":
        return ("transaction", target, f"Open transaction {target} in Performance")
    if kind == "kpi":
        return ("kpi", target, f"Open KPI {target} in Analytics")
    return None


class AlertDetail(QWidget):
    """The detail pane under the lists.

    Signals:
        actionWanted(str, int): "acknowledge", "resolve" (0) or "silence" (seconds).
        linkActivated(str, str): (kind, target) of :func:`describe_link`.
        editWanted(): the user wants to edit this alert's rule.
    """

    actionWanted = Signal(str, int)
    linkActivated = Signal(str, str)
    editWanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.answer: DetailAnswer | None = None
        self._link: tuple[str, str, str] | None = None
        self.title = QLabel("Select an alert or a rule", objectName="alertTitle")
        self.why = QLabel("")
        self.state = QLabel("")
        self.condition = QLabel("")
        for label in (self.title, self.why, self.state, self.condition):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.condition.setStyleSheet("color: #5f6368;")
        self.link = QPushButton("", objectName="alertLink")
        self.link.setFlat(True)
        self.link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.link.setStyleSheet("QPushButton#alertLink { color: #1a73e8; text-align: left; padding: 0; }")
        self.link.hide()
        self.acknowledge = QPushButton("Acknowledge")
        self.acknowledge.setToolTip("No repeat notifications until it resolves")
        self.silence = {label: QPushButton(label) for label in SILENCE_CHOICES}
        self.resolve = QPushButton("Resolve")
        self.resolve.setToolTip("Resolved now; it fires again only after a new breach starts")
        self.edit = QPushButton("Edit rule…")
        self.chart = AlertChart()
        self.chart_note = QLabel("")
        self.chart_note.setTextFormat(Qt.TextFormat.PlainText)
        self.chart_note.setStyleSheet("color: #5f6368;")
        self.history = QListWidget()
        self.history.setMinimumHeight(80)

        buttons = QHBoxLayout()
        for button in (self.acknowledge, *self.silence.values(), self.resolve, self.edit):
            buttons.addWidget(button)
        buttons.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(4)
        for widget in (self.title, self.why, self.condition, self.state, self.link):
            text.addWidget(widget)
        text.addLayout(buttons)
        text.addWidget(QLabel("State history of this rule"))
        text.addWidget(self.history, 1)
        charted = QVBoxLayout()
        charted.addWidget(self.chart, 1)
        charted.addWidget(self.chart_note)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 6, 0, 0)
        row.addLayout(text, 1)
        row.addLayout(charted, 1)

        self.acknowledge.clicked.connect(lambda: self.actionWanted.emit("acknowledge", 0))
        for label, button in self.silence.items():
            button.clicked.connect(lambda _=False, s=SILENCE_CHOICES[label]: self.actionWanted.emit("silence", s))
        self.resolve.clicked.connect(lambda: self.actionWanted.emit("resolve", 0))
        self.edit.clicked.connect(self.editWanted)
        self.link.clicked.connect(self._open_link)
        self.show_answer(None)

    def show_answer(self, answer: DetailAnswer | None) -> None:
        """Render what the query thread found (None: nothing selected)."""
        self.answer = answer
        for button in (*self.silence.values(), self.edit):
            button.setEnabled(answer is not None and answer.rule is not None)
        now = str(answer.state.state) if answer is not None and answer.state is not None else "normal"
        live = answer is not None and answer.rule is not None
        acknowledged = answer is not None and answer.state is not None and answer.state.acknowledged
        self.acknowledge.setEnabled(live and now == "firing" and not acknowledged)
        self.resolve.setEnabled(live and now in ("firing", "pending"))
        if answer is None:
            self.title.setText("Select an alert or a rule")
            self.title.setStyleSheet("font-size: 14px; font-weight: 600;")
            for label in (self.why, self.condition, self.state, self.chart_note):
                label.setText("")
            self.link.hide()
            self.history.clear()
            self.chart.clear_series()
            return
        rule, event, state = answer.rule, answer.event, answer.state
        name = rule.name if rule is not None else (event.rule_name if event else f"rule {answer.rule_id}")
        severity = str(rule.severity) if rule is not None else (event.severity if event else "warning")
        # The title says where the rule is now; the lines below say what the chosen transition was.
        if rule is not None and not rule.enabled:
            shown_state = "disabled"
        elif state is not None:
            shown_state = str(state.state)
        else:
            shown_state = event.to_state if event is not None else "normal"
        text, background = state_colours(shown_state, severity)
        self.title.setText(f"{name} — {STATE_WORDS.get(shown_state, shown_state)} now ({severity})")
        self.title.setStyleSheet(
            f"font-size: 14px; font-weight: 600; color: {text}; background: {background};"
            " border-radius: 4px; padding: 4px 8px;"
        )
        self.why.setText(self._why(answer))
        self.condition.setText(("Rule: " + rule.describe()) if rule is not None else "Its rule has been deleted.")
        self.state.setText(self._now(answer))
        self._link = describe_link(event.link if event else None, answer.link_title)
        if self._link is not None:
            self.link.setText(self._link[2])
            self.link.show()
        else:
            self.link.hide()
        self.history.clear()
        for past in answer.history:
            value = format_metric_value(rule, past.value) if rule is not None else _plain(past.value)
            self.history.addItem(
                f"{clock(past.ts, now_ms=answer.now_ms)}   {STATE_WORDS.get(past.from_state, past.from_state)} → "
                f"{STATE_WORDS.get(past.to_state, past.to_state)}   {value}   {past.reason}"
                + ("   notified" if past.notified else "")
            )
        if answer.series:
            change = rule is not None and rule.comparison in (Comparison.CHANGE_ABOVE, Comparison.CHANGE_BELOW)
            self.chart.setLabel("left", _unit(rule))
            self.chart.show_series(
                answer.series,
                threshold=None if change or rule is None else rule.threshold,
                recovery=None if change or rule is None else rule.recovery_threshold,
                moment_ms=event.ts if event is not None else None,
            )
            self.chart_note.setText(self._chart_caption(answer, change))
        else:
            self.chart.clear_series()
            self.chart_note.setText(answer.series_note or "No chart for this alert.")

    def _why(self, answer: DetailAnswer) -> str:
        rule, event = answer.rule, answer.event
        if event is None:
            state = answer.state
            if state is None:
                return "This rule has not fired. It is evaluated every few seconds while Lookout runs."
            return state.detail or "This rule has not fired."
        value = format_metric_value(rule, event.value) if rule is not None else _plain(event.value)
        threshold = format_metric_value(rule, event.threshold) if rule is not None else _plain(event.threshold)
        comparison = str(rule.comparison).replace("_", " ") if rule is not None else "against"
        head = (f"{STATE_WORDS.get(event.to_state, event.to_state).capitalize()} at "
                f"{clock(event.ts, now_ms=answer.now_ms)}: {value} — threshold {comparison} {threshold}"
                f" ({event.reason}).")
        return f"{head}\n{event.detail}" if event.detail else head

    def _now(self, answer: DetailAnswer) -> str:
        state, rule = answer.state, answer.rule
        if rule is None:
            return ""
        if not rule.enabled:
            return "The rule is disabled: it is not evaluated."
        if state is None:
            return "Now: not evaluated yet."
        parts = [f"Now: {STATE_WORDS.get(str(state.state), str(state.state))}"
                 + (f" since {clock(state.since_ms, now_ms=answer.now_ms)}" if state.since_ms else "")]
        if state.acknowledged:
            parts.append("acknowledged")
        if state.silenced_until_ms is not None and state.silenced_until_ms > answer.now_ms:
            parts.append(f"silenced until {clock(state.silenced_until_ms, now_ms=answer.now_ms)}")
        return ", ".join(parts) + "."

    def _chart_caption(self, answer: DetailAnswer, change: bool) -> str:
        rule = answer.rule
        if rule is None:
            return ""
        what = f"{rule.label()} over a {rule.window_s // 60 or 1}-minute window"
        if change:
            return f"{what}; the rule compares each window with the one before (threshold {rule.threshold:+g}%)."
        return f"{what}; red dashes: the threshold" + (", green dots: recovery" if rule.recovery_threshold is not None else "")

    @Slot()
    def _open_link(self) -> None:
        if self._link is not None:
            self.linkActivated.emit(self._link[0], self._link[1])


def _unit(rule: AlertRule | None) -> str:
    """The chart's y-axis label: the unit of the metric's raw value."""
    if rule is None:
        return ""
    metric = str(rule.metric)
    if (metric.startswith("vital_") and rule.vital != "cls") or metric.startswith("transaction_"):
        return "ms"
    return {"error_rate": "errors/min", "experiment_srm": "p-value", "error_count": "errors",
            "event_count": "events", "new_issue": "issues", "regressed_issue": "issues"}.get(metric, "")


def _plain(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"
