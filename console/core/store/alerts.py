"""Alert rules, their states and their history in the store (migration 6), and what a user
does to them.

Plain SQL over a connection: the reads run on any connection, the writes inside a job of
the store's single writer (``StoreWriter.run``), which owns the transaction. An
:class:`AlertAction` is plain data, so it can travel from the window to the collector's
writer over HTTP, like :class:`~console.core.store.issue_actions.IssueAction`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from console.core.analysis.alerts.rules import DEFAULT_RULES, AlertRule
from console.core.analysis.alerts.state import RuleState, Transition, acknowledge, resolve_by_hand, silence

__all__ = [
    "ALERT_ACTION_KINDS", "AlertAction", "AlertEvent", "alert_history", "apply_alert_action", "defaults_inserted",
    "delete_rule", "ensure_default_rules", "latest_alert_id", "list_rules", "load_states", "record_delivery",
    "record_transitions", "save_rule", "save_states", "set_enabled", "with_ids",
]

ALERT_ACTION_KINDS = ("save_rule", "delete_rule", "enable", "disable", "acknowledge", "silence", "resolve")
_DEFAULTS_KEY = "default_rules_inserted"
_ACTION_FIELDS = ("kind", "rule_id", "rule", "until_ms")
_MAX_ID = 2**63 - 1
_MAX_MS = 2**53


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One stored transition of a rule (a row of ``alert_events``), for the panel and exports."""

    id: int
    rule_id: int
    rule_name: str
    severity: str
    ts: int
    from_state: str
    to_state: str
    value: float | None
    threshold: float
    detail: str
    link: str | None
    notified: bool
    reason: str


def _now() -> int:
    return int(time.time() * 1000)


def _dumps(data: Any) -> str:
    return orjson.dumps(data).decode()


# --- rules -----------------------------------------------------------------------------------


def list_rules(conn: sqlite3.Connection) -> list[AlertRule]:
    """Every rule in id order, with its id and enabled flag from its row.

    A stored definition this version cannot read (written by a newer one) is left out
    rather than failing every rule.
    """
    rules = []
    for rule_id, definition, enabled in conn.execute("SELECT id, definition, enabled FROM alert_rules ORDER BY id"):
        try:
            data = orjson.loads(definition)
            data.update(id=int(rule_id), enabled=bool(enabled))
            rules.append(AlertRule.from_json(data))
        except (ValueError, TypeError, AttributeError):
            continue
    return rules


def save_rule(conn: sqlite3.Connection, rule: AlertRule, *, now_ms: int | None = None) -> int:
    """Insert ``rule`` (no id) or replace the rule with its id; the id. ValueError when invalid."""
    rule.validate()
    now = _now() if now_ms is None else now_ms
    definition = rule.to_json()
    definition.pop("id", None)
    if rule.id is None:
        cursor = conn.execute(
            "INSERT INTO alert_rules (name, definition, enabled, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)",
            (rule.name, _dumps(definition), int(rule.enabled), now, now),
        )
        return int(cursor.lastrowid or 0)
    conn.execute(
        "INSERT INTO alert_rules (id, name, definition, enabled, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, definition = excluded.definition,"
        " enabled = excluded.enabled, updated_ms = excluded.updated_ms",
        (rule.id, rule.name, _dumps(definition), int(rule.enabled), now, now),
    )
    return rule.id


def delete_rule(conn: sqlite3.Connection, rule_id: int) -> None:
    """The rule and its state go; its history stays."""
    conn.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,))
    conn.execute("DELETE FROM alert_states WHERE rule_id = ?", (rule_id,))


def set_enabled(conn: sqlite3.Connection, rule_id: int, enabled: bool, *, now_ms: int | None = None) -> None:
    """Enable or disable a rule (a disabled rule goes back to normal at the next evaluation)."""
    conn.execute(
        "UPDATE alert_rules SET enabled = ?, definition = json_set(definition, '$.enabled', json(?)),"
        " updated_ms = ? WHERE id = ?",
        (int(enabled), "true" if enabled else "false", _now() if now_ms is None else now_ms, rule_id),
    )


def defaults_inserted(conn: sqlite3.Connection) -> bool:
    """Whether this store has had its default rules (a read, for any connection)."""
    row = conn.execute("SELECT 1 FROM alert_meta WHERE key = ?", (_DEFAULTS_KEY,)).fetchone()
    return row is not None


def ensure_default_rules(conn: sqlite3.Connection) -> None:
    """Insert :data:`DEFAULT_RULES` the first time a store is asked; a marker row remembers,
    so rules a user deleted do not come back."""
    if defaults_inserted(conn):
        return
    now = _now()
    for rule in DEFAULT_RULES:
        save_rule(conn, rule, now_ms=now)
    conn.execute("INSERT INTO alert_meta (key, value) VALUES (?, ?)", (_DEFAULTS_KEY, str(now)))


# --- states and history ---------------------------------------------------------------------


def load_states(conn: sqlite3.Connection) -> dict[int, RuleState]:
    """Rule id → its last saved state (an unreadable row is skipped: the rule starts afresh)."""
    states: dict[int, RuleState] = {}
    for rule_id, definition in conn.execute("SELECT rule_id, definition FROM alert_states"):
        try:
            states[int(rule_id)] = RuleState.from_json(orjson.loads(definition))
        except (ValueError, TypeError):
            continue
    return states


def save_states(conn: sqlite3.Connection, states: Mapping[int, RuleState], *, now_ms: int) -> None:
    """Store each rule's state, replacing what was there."""
    if not states:
        return
    conn.execute(
        "INSERT OR REPLACE INTO alert_states (rule_id, definition, updated_ms)"
        " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? FROM json_each(?)",
        (now_ms, _dumps([[rule_id, _dumps(state.to_json())] for rule_id, state in states.items()])),
    )


def record_transitions(conn: sqlite3.Connection, transitions: Iterable[Transition]) -> list[int]:
    """Store the transitions as ``alert_events`` rows; their ids, in order."""
    ids = []
    for t in transitions:
        cursor = conn.execute(
            "INSERT INTO alert_events (rule_id, rule_name, severity, ts, from_state, to_state, value, threshold,"
            " detail, link, notified, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (t.rule_id, t.rule_name, str(t.severity), t.at_ms, str(t.from_state), str(t.to_state), t.value,
             t.threshold, t.detail, t.link, int(t.notify), t.reason),
        )
        ids.append(int(cursor.lastrowid or 0))
    return ids


def record_delivery(
    conn: sqlite3.Connection, *, alert_event_id: int, channel: str, attempt: int, ok: bool, detail: str, now_ms: int
) -> None:
    """Keep one attempt at delivering an alert event to a channel."""
    conn.execute(
        "INSERT INTO alert_deliveries (alert_event_id, channel, attempt, ts, ok, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (alert_event_id, channel, attempt, now_ms, int(ok), detail),
    )


def alert_history(
    conn: sqlite3.Connection, *, after_id: int = 0, limit: int = 500, rule_id: int | None = None
) -> list[AlertEvent]:
    """Stored transitions with an id above ``after_id``, newest first, at most ``limit``."""
    sql = "SELECT * FROM alert_events WHERE id > ?"
    params: list[Any] = [after_id]
    if rule_id is not None:
        sql += " AND rule_id = ?"
        params.append(rule_id)
    rows = conn.execute(
        sql.replace("*", "id, rule_id, rule_name, severity, ts, from_state, to_state, value, threshold, detail,"
                         " link, notified, reason") + " ORDER BY id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [
        AlertEvent(id=r[0], rule_id=r[1], rule_name=r[2], severity=r[3], ts=r[4], from_state=r[5], to_state=r[6],
                   value=r[7], threshold=r[8], detail=r[9], link=r[10], notified=bool(r[11]), reason=r[12])
        for r in rows
    ]


def latest_alert_id(conn: sqlite3.Connection) -> int:
    """The newest alert event's id, 0 when there is none."""
    (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM alert_events").fetchone()
    return int(newest)


# --- what a user does --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertAction:
    """One thing a user does to the rules or an alert.

    ``save_rule`` needs ``rule`` (a rule's JSON; ``rule_id`` or the rule's ``id`` names the
    rule it replaces); ``silence`` needs ``until_ms``; every other kind needs ``rule_id``.
    """

    kind: str
    rule_id: int | None = None
    rule: dict[str, Any] | None = None
    until_ms: int | None = None

    def validate(self) -> None:
        """Raise ValueError with a reason when this is not a valid action."""
        if self.kind not in ALERT_ACTION_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(ALERT_ACTION_KINDS)}, not {self.kind!r}")
        if self.rule_id is not None:
            _positive(self.rule_id, "rule_id", _MAX_ID)
        if self.kind == "save_rule":
            if not isinstance(self.rule, dict):
                raise ValueError("'save_rule' needs 'rule', the rule as a JSON object")
            AlertRule.from_json(self._rule_json())
        else:
            if self.rule_id is None:
                raise ValueError(f"'{self.kind}' needs 'rule_id'")
            if self.rule is not None:
                raise ValueError(f"'rule' is for 'save_rule', not {self.kind!r}")
        if self.kind == "silence":
            if self.until_ms is None:
                raise ValueError("'silence' needs 'until_ms', when the silence ends")
            _positive(self.until_ms, "until_ms", _MAX_MS)
        elif self.until_ms is not None:
            raise ValueError(f"'until_ms' is for 'silence', not {self.kind!r}")

    def _rule_json(self) -> dict[str, Any]:
        data = dict(self.rule or {})
        if self.rule_id is not None:
            data["id"] = self.rule_id
        return data

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data (for the collector's alert action route)."""
        data: dict[str, Any] = {"kind": self.kind}
        for name in ("rule_id", "rule", "until_ms"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Any) -> AlertAction:
        """An action from JSON data; ValueError with a reason when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an alert action must be a JSON object")
        unknown = sorted(str(key) for key in data if key not in _ACTION_FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; an action has {', '.join(_ACTION_FIELDS)}")
        if not isinstance(data.get("kind"), str):
            raise ValueError("'kind' must be a string")
        action = cls(kind=data["kind"], rule_id=data.get("rule_id"), rule=data.get("rule"), until_ms=data.get("until_ms"))
        action.validate()
        return action


def _positive(value: Any, name: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer, not {type(value).__name__}")
    if not 0 < value <= limit:
        raise ValueError(f"'{name}' must be a positive integer up to {limit}, not {value}")
    return value


def apply_alert_action(conn: sqlite3.Connection, action: AlertAction, *, now_ms: int) -> dict[str, Any]:
    """Carry out ``action`` in the caller's write transaction: ``{"rule_id": ...}``, plus
    ``"alert_event_ids"`` of the transitions it stored (a resolve by hand).

    Raises ValueError for an invalid action or one naming a rule that does not exist.
    """
    action.validate()
    if action.kind == "save_rule":
        rule = AlertRule.from_json(action._rule_json())
        return {"rule_id": save_rule(conn, rule, now_ms=now_ms)}
    rule_id = action.rule_id
    assert rule_id is not None  # validate() said so
    found = next((r for r in list_rules(conn) if r.id == rule_id), None)
    if found is None:
        raise ValueError(f"there is no alert rule {rule_id}")
    result: dict[str, Any] = {"rule_id": rule_id}
    if action.kind == "delete_rule":
        delete_rule(conn, rule_id)
    elif action.kind in ("enable", "disable"):
        set_enabled(conn, rule_id, action.kind == "enable", now_ms=now_ms)
    else:
        state = load_states(conn).get(rule_id, RuleState())
        transitions: list[Transition] = []
        if action.kind == "acknowledge":
            state = acknowledge(state)
        elif action.kind == "silence":
            assert action.until_ms is not None
            state = silence(state, until_ms=action.until_ms)
        else:
            state, transitions = resolve_by_hand(found, state, now_ms=now_ms)
        save_states(conn, {rule_id: state}, now_ms=now_ms)
        ids = record_transitions(conn, transitions)
        result["alert_event_ids"] = ids
        result["state"] = str(state.state)
    return result


def with_ids(transitions: list[Transition], ids: list[int]) -> list[Transition]:
    """The transitions carrying their stored ids."""
    return [replace(t, id=i) for t, i in zip(transitions, ids, strict=True)]
