"""The life of an alert, as Prometheus and Grafana model it: a pure state machine.

normal → pending (a breach began; waiting ``for_s``) → firing → resolved (the breach ended,
``keep_firing_for_s`` ran out) → normal at the next evaluation that does not breach; plus
no_data (nothing to judge, or under ``min_sample``) and error (the metric could not be
measured). :func:`step` takes one measurement and returns the new state with the
transitions it made; nothing here reads a clock or the store, so a test drives it with any
``now_ms`` it likes and a restart that loads a saved state carries on without a new
transition (and so without a new notification).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from console.core.analysis.alerts.measure import Measurement, relative_change
from console.core.analysis.alerts.rules import AlertRule, Comparison, Severity, format_duration, format_value

__all__ = ["AlertState", "RuleState", "Transition", "acknowledge", "silence", "resolve_by_hand", "step"]


class AlertState(StrEnum):
    """Where a rule is in its life; the values are stored."""

    NORMAL = "normal"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"
    NO_DATA = "no_data"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class RuleState:
    """What the evaluator remembers of one rule between evaluations (and across restarts).

    ``breach_since_ms``: when the current breach began (None when the last evaluation did not
    breach); ``last_breach_ms``: the last evaluation that breached. A rule resolved by hand
    while breaching has ``last_breach_ms >= since_ms`` and stays resolved until the breach ends.
    """

    state: AlertState = AlertState.NORMAL
    since_ms: int = 0
    breach_since_ms: int | None = None
    last_breach_ms: int | None = None
    last_notified_ms: int | None = None
    silenced_until_ms: int | None = None
    acknowledged: bool = False
    value: float | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (a non-finite value is stored as null)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["state"] = str(self.state)
        if self.value is not None and not math.isfinite(self.value):
            data["value"] = None
        return data

    @classmethod
    def from_json(cls, data: Any) -> RuleState:
        """A state from :meth:`to_json`'s data; ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a rule state must be a JSON object")
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        try:
            values["state"] = AlertState(values.get("state", AlertState.NORMAL))
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a rule state: {exc}") from None

    def silenced(self, now_ms: int) -> bool:
        """Whether notifications are silenced at ``now_ms``."""
        return self.silenced_until_ms is not None and now_ms < self.silenced_until_ms


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of a rule's state, as stored in ``alert_events``; ``notify`` when the
    channels should tell someone. ``id`` is the stored row's, once it is stored."""

    rule_id: int
    rule_name: str
    severity: Severity
    at_ms: int
    from_state: AlertState
    to_state: AlertState
    value: float | None
    threshold: float
    detail: str
    link: str | None
    notify: bool
    reason: str
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, for webhooks and log files (a non-finite value becomes null)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("severity", "from_state", "to_state"):
            data[name] = str(data[name])
        if self.value is not None and not math.isfinite(self.value):
            data["value"] = None
        return data


_UPWARD = (Comparison.ABOVE, Comparison.CHANGE_ABOVE)
_CHANGE = (Comparison.CHANGE_ABOVE, Comparison.CHANGE_BELOW)
_QUIET = (AlertState.NORMAL, AlertState.RESOLVED, AlertState.NO_DATA, AlertState.ERROR)


def compared_value(rule: AlertRule, measured: Measurement) -> float | None:
    """What meets the threshold: the value, or its change in per cent for change rules."""
    if rule.comparison in _CHANGE:
        return relative_change(measured.value, measured.previous)
    return measured.value


def step(
    rule: AlertRule, state: RuleState, measured: Measurement | Exception, *, now_ms: int
) -> tuple[RuleState, list[Transition]]:
    """The state after one evaluation at ``now_ms``, and the transitions on the way there.

    A disabled rule goes back to normal and stays there. An exception makes the rule ERROR;
    no value or a sample under ``min_sample`` makes it NO_DATA. A transition into FIRING
    notifies when the rule is enabled, not silenced or acknowledged, and its cooldown since
    the last notification has passed.
    """
    rule_id = rule.id if rule.id is not None else 0

    def move(to: AlertState, reason: str, *, value: float | None, detail: str, link: str | None = None,
             notify: bool = False) -> Transition:
        return Transition(rule_id, rule.name, rule.severity, now_ms, state.state, to, value, rule.threshold,
                          detail, link, notify, reason)

    if not rule.enabled:
        if state.state == AlertState.NORMAL:
            return state, []
        calm = RuleState(AlertState.NORMAL, now_ms, last_notified_ms=state.last_notified_ms,
                         silenced_until_ms=state.silenced_until_ms)
        return calm, [move(AlertState.NORMAL, "rule disabled", value=None, detail="the rule was disabled")]

    if isinstance(measured, Exception):
        detail = str(measured) or type(measured).__name__
        return _quiet(state, AlertState.ERROR, now_ms, detail, lambda: move(
            AlertState.ERROR, f"error: {detail}", value=None, detail=detail))
    value = compared_value(rule, measured)
    if measured.value is None or measured.sample < rule.min_sample or value is None:
        if measured.value is not None and measured.sample < rule.min_sample:
            detail = f"{measured.detail} (under the minimum sample of {rule.min_sample})"
        elif measured.value is not None:
            detail = measured.detail  # a change rule with nothing in the previous window
        else:
            detail = measured.detail or "nothing to measure"
        return _quiet(state, AlertState.NO_DATA, now_ms, detail, lambda: move(
            AlertState.NO_DATA, "no data", value=measured.value, detail=detail))

    firing = state.state == AlertState.FIRING
    limit = rule.recovery_threshold if firing and rule.recovery_threshold is not None else rule.threshold
    breach = value > limit if rule.comparison in _UPWARD else value < limit
    current = replace(state, value=value, detail=measured.detail)

    def into(to: AlertState, reason: str, after: RuleState) -> tuple[RuleState, list[Transition]]:
        notify = False
        if to == AlertState.FIRING:
            cooled = state.last_notified_ms is None or now_ms - state.last_notified_ms >= rule.cooldown_s * 1000
            notify = cooled and not state.silenced(now_ms) and not state.acknowledged
            if notify:
                after = replace(after, last_notified_ms=now_ms)
        if to in (AlertState.NORMAL, AlertState.RESOLVED):
            after = replace(after, acknowledged=False)
        moved = move(to, reason, value=value, detail=measured.detail, link=measured.link, notify=notify)
        return replace(after, state=to, since_ms=now_ms), [moved]

    if breach:
        began = state.breach_since_ms if state.breach_since_ms is not None else now_ms
        current = replace(current, breach_since_ms=began, last_breach_ms=now_ms)
        lasted = now_ms - began
        if firing:
            return current, []
        if state.state == AlertState.RESOLVED and state.last_breach_ms is not None \
                and state.last_breach_ms >= state.since_ms:
            # Resolved by hand during this breach: it fires again only after a new one starts.
            return replace(current, breach_since_ms=None), []
        if lasted >= rule.for_s * 1000:
            reason = f"breach for {format_duration(lasted // 1000)}" if rule.for_s else "breach"
            return into(AlertState.FIRING, reason, current)
        if state.state == AlertState.PENDING:
            return current, []
        return into(AlertState.PENDING, "breach started", current)

    current = replace(current, breach_since_ms=None)
    if firing:
        kept_until = (state.last_breach_ms or 0) + rule.keep_firing_for_s * 1000
        if rule.keep_firing_for_s and now_ms < kept_until:
            return current, []
        shown = format_value(rule, limit) if rule.comparison not in _CHANGE else f"{limit:+g} %"
        return into(AlertState.RESOLVED, f"recovered (past {shown})", current)
    if state.state == AlertState.PENDING:
        return into(AlertState.NORMAL, "breach ended before it lasted "
                    f"{format_duration(rule.for_s)}", current)
    if state.state in (AlertState.RESOLVED, AlertState.NO_DATA, AlertState.ERROR):
        reason = {AlertState.RESOLVED: "back to normal", AlertState.NO_DATA: "data again",
                  AlertState.ERROR: "measured again"}[state.state]
        return into(AlertState.NORMAL, reason, current)
    return replace(current, acknowledged=False), []


def _quiet(state: RuleState, to: AlertState, now_ms: int, detail: str,
           transition: Any) -> tuple[RuleState, list[Transition]]:
    """Into NO_DATA or ERROR: the breach is forgotten, the notification memory kept."""
    after = replace(state, breach_since_ms=None, value=None, detail=detail)
    if state.state == to:
        return after, []
    moved: Transition = transition()
    # An acknowledgement holds until the alert resolves, not merely until data pauses.
    return replace(after, state=to, since_ms=now_ms), [moved]


def acknowledge(state: RuleState) -> RuleState:
    """No more notifications until the alert resolves (only a pending or firing alert)."""
    if state.state not in (AlertState.PENDING, AlertState.FIRING):
        return state
    return replace(state, acknowledged=True)


def silence(state: RuleState, *, until_ms: int) -> RuleState:
    """No notifications before ``until_ms`` (a time already past lifts a silence); the state
    is still tracked."""
    return replace(state, silenced_until_ms=until_ms)


def resolve_by_hand(rule: AlertRule, state: RuleState, *, now_ms: int) -> tuple[RuleState, list[Transition]]:
    """Resolved now; a breach under way must end, and a new one begin, before it fires again.

    Only a pending or firing alert can be resolved; anything else is returned as it is.
    """
    if state.state not in (AlertState.PENDING, AlertState.FIRING):
        return state, []
    breaching = state.breach_since_ms is not None
    after = replace(
        state, state=AlertState.RESOLVED, since_ms=now_ms, breach_since_ms=None, acknowledged=False,
        last_breach_ms=now_ms if breaching else state.last_breach_ms,
    )
    moved = Transition(rule.id if rule.id is not None else 0, rule.name, rule.severity, now_ms, state.state,
                       AlertState.RESOLVED, state.value, rule.threshold, "resolved by hand", None, False,
                       "by hand")
    return after, [moved]
