"""Alert rules, states and history in the store: migration 6, the default rules, the
round trips, what a user does (AlertAction), and the exports."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.alerts.rules import DEFAULT_RULES, AlertRule, Comparison, Metric, Severity
from console.core.analysis.alerts.state import AlertState, RuleState, Transition
from console.core.store import alerts as store
from console.core.store.alerts import AlertAction, AlertEvent, apply_alert_action
from console.core.store.queries import StoreReader
from console.core.store.schema import SCHEMA_VERSION, connect, migrate
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000
RULE = AlertRule(name="Errors", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=5.0)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A migrated store; each test's writes run in a transaction like a writer job's."""
    connection = connect(tmp_path / "s.db")
    migrate(connection)
    yield connection
    connection.close()


def in_job(conn: sqlite3.Connection, job: Any) -> Any:
    conn.execute("BEGIN IMMEDIATE")
    result = job(conn)
    conn.execute("COMMIT")
    return result


def transition(rule_id: int, to: AlertState, *, at: int = NOW, notify: bool = False) -> Transition:
    return Transition(rule_id, "Errors", Severity.WARNING, at, AlertState.NORMAL, to, 7.0, 5.0,
                      "7 errors in 5 min", "page:pages/cart/cart", notify, "breach")


def test_a_store_at_schema_5_gets_the_alert_tables_and_keeps_its_rows(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn, target=5)
    conn.execute("INSERT INTO events VALUES (1, 'error', 'shop', 5, 6, 's', 'u', 'TypeError: x')")
    conn.execute(
        "INSERT INTO issues (id, project, fingerprint, title, level, first_seen, last_seen, event_count)"
        " VALUES (7, 'shop', 'fp', 'TypeError: x', 'error', 5, 5, 1)"
    )
    conn.execute(
        "INSERT INTO errors (event_id, ts, project, issue_id, fingerprint, message, level, route)"
        " VALUES (1, 5, 'shop', 7, 'fp', 'x', 'error', 'pages/cart/cart')"
    )
    assert migrate(conn) == 5
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 6
    assert conn.execute("SELECT event_id, issue_id, route FROM errors").fetchall() == [(1, 7, "pages/cart/cart")]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alert_rules", "alert_states", "alert_events", "alert_deliveries", "alert_meta"} <= names
    # An error count over a window is read from an index.
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM errors WHERE ts > 1 AND ts <= 9"))
    assert "errors_ts" in plan
    conn.close()


def test_rules_are_saved_listed_updated_enabled_and_deleted(conn: sqlite3.Connection) -> None:
    rule_id = in_job(conn, lambda c: store.save_rule(c, RULE, now_ms=NOW))
    assert store.list_rules(conn) == [AlertRule(**{**_fields(RULE), "id": rule_id})]
    changed = AlertRule(**{**_fields(RULE), "id": rule_id, "threshold": 9.0, "severity": Severity.CRITICAL})
    assert in_job(conn, lambda c: store.save_rule(c, changed, now_ms=NOW + 1)) == rule_id
    in_job(conn, lambda c: store.set_enabled(c, rule_id, False, now_ms=NOW + 2))
    [listed] = store.list_rules(conn)
    assert (listed.threshold, listed.severity, listed.enabled) == (9.0, Severity.CRITICAL, False)
    assert conn.execute("SELECT created_ms, updated_ms FROM alert_rules").fetchone() == (NOW, NOW + 2)
    in_job(conn, lambda c: store.save_states(c, {rule_id: RuleState(AlertState.FIRING, NOW)}, now_ms=NOW))
    in_job(conn, lambda c: store.record_transitions(c, [transition(rule_id, AlertState.FIRING)]))
    in_job(conn, lambda c: store.delete_rule(c, rule_id))
    assert store.list_rules(conn) == [] and store.load_states(conn) == {}
    assert len(store.alert_history(conn)) == 1  # the history stays


def _fields(rule: AlertRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in rule.__dataclass_fields__}


def test_a_bad_rule_is_not_saved(conn: sqlite3.Connection) -> None:
    bad = AlertRule(name="x", metric=Metric.VITAL_P75, comparison=Comparison.ABOVE, threshold=1.0)
    with pytest.raises(ValueError, match="needs 'vital'"):
        in_job(conn, lambda c: store.save_rule(c, bad))


def test_default_rules_are_inserted_once_and_stay_deleted(conn: sqlite3.Connection) -> None:
    in_job(conn, store.ensure_default_rules)
    rules = store.list_rules(conn)
    assert [r.name for r in rules] == [r.name for r in DEFAULT_RULES]
    assert [AlertRule(**{**_fields(r), "id": None}) for r in rules] == list(DEFAULT_RULES)
    in_job(conn, store.ensure_default_rules)
    assert len(store.list_rules(conn)) == 3
    for rule in rules:
        in_job(conn, lambda c, rule_id=rule.id: store.delete_rule(c, rule_id))
    in_job(conn, store.ensure_default_rules)
    assert store.list_rules(conn) == []


def test_states_survive_a_round_trip(conn: sqlite3.Connection) -> None:
    states = {
        1: RuleState(AlertState.FIRING, NOW, NOW - 60_000, NOW, NOW, NOW + 3_600_000, True, 4312.5, "LCP p75 4.31 s"),
        2: RuleState(AlertState.NO_DATA, NOW, value=None, detail="nothing"),
        3: RuleState(AlertState.FIRING, NOW, value=float("inf")),  # a rise from nothing
    }
    in_job(conn, lambda c: store.save_states(c, states, now_ms=NOW))
    loaded = store.load_states(conn)
    assert loaded[1] == states[1] and loaded[2] == states[2]
    assert loaded[3].value is None and loaded[3].state == AlertState.FIRING
    in_job(conn, lambda c: store.save_states(c, {2: RuleState()}, now_ms=NOW + 1))
    assert store.load_states(conn)[2] == RuleState()


def test_history_is_newest_first_and_pages_by_id(conn: sqlite3.Connection) -> None:
    ids = in_job(conn, lambda c: store.record_transitions(c, [
        transition(1, AlertState.PENDING, at=NOW), transition(1, AlertState.FIRING, at=NOW + 1, notify=True),
        transition(2, AlertState.FIRING, at=NOW + 2, notify=True),
    ]))
    assert ids == [1, 2, 3] and store.latest_alert_id(conn) == 3
    history = store.alert_history(conn)
    assert [e.id for e in history] == [3, 2, 1]
    assert history[1] == AlertEvent(2, 1, "Errors", "warning", NOW + 1, "normal", "firing", 7.0, 5.0,
                                    "7 errors in 5 min", "page:pages/cart/cart", True, "breach")
    assert [e.id for e in store.alert_history(conn, after_id=1)] == [3, 2]
    assert [e.id for e in store.alert_history(conn, rule_id=1, limit=1)] == [2]
    in_job(conn, lambda c: store.record_delivery(c, alert_event_id=2, channel="webhook", attempt=1, ok=False,
                                                 detail="HTTP 500", now_ms=NOW + 5))
    assert conn.execute("SELECT alert_event_id, channel, attempt, ts, ok, detail FROM alert_deliveries").fetchall() \
        == [(2, "webhook", 1, NOW + 5, 0, "HTTP 500")]


def test_the_latest_id_of_an_empty_history_is_zero(conn: sqlite3.Connection) -> None:
    assert store.latest_alert_id(conn) == 0 and store.alert_history(conn) == []


# --- actions ---------------------------------------------------------------------------------


def test_actions_round_trip_as_json() -> None:
    for action in (
        AlertAction("save_rule", rule=RULE.to_json()),
        AlertAction("save_rule", rule_id=4, rule=RULE.to_json()),
        AlertAction("silence", rule_id=3, until_ms=NOW),
        AlertAction("acknowledge", rule_id=3),
    ):
        assert AlertAction.from_json(action.to_json()) == action


@pytest.mark.parametrize(("data", "reason"), [
    ([], "must be a JSON object"),
    ({"kind": "snooze", "rule_id": 1}, "'kind' must be one of save_rule, delete_rule"),
    ({"kind": 3}, "'kind' must be a string"),
    ({"kind": "enable"}, "'enable' needs 'rule_id'"),
    ({"kind": "enable", "rule_id": "1"}, "'rule_id' must be an integer"),
    ({"kind": "enable", "rule_id": 0}, "'rule_id' must be a positive integer"),
    ({"kind": "silence", "rule_id": 1}, "'silence' needs 'until_ms'"),
    ({"kind": "resolve", "rule_id": 1, "until_ms": 5}, "'until_ms' is for 'silence'"),
    ({"kind": "save_rule"}, "'save_rule' needs 'rule'"),
    ({"kind": "save_rule", "rule": {"name": "x", "metric": "error_count", "comparison": "above"}},
     "an alert rule needs threshold"),
    ({"kind": "acknowledge", "rule_id": 1, "rule": {}}, "'rule' is for 'save_rule'"),
    ({"kind": "enable", "rule_id": 1, "why": "x"}, "unknown field(s) why"),
])
def test_bad_actions_are_refused_with_the_reason(data: Any, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        AlertAction.from_json(data)
    assert reason in str(caught.value)


def test_what_a_user_does_through_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer = StoreWriter(path=path)
    writer.start()
    reader = connect(path, readonly=True)
    try:
        def act(data: dict[str, Any]) -> dict[str, Any]:
            action = AlertAction.from_json(data)
            return writer.run_sync(lambda c: apply_alert_action(c, action, now_ms=NOW))

        saved = act({"kind": "save_rule", "rule": RULE.to_json()})
        rule_id = saved["rule_id"]
        assert saved == {"rule_id": rule_id} and store.list_rules(reader)[0].name == "Errors"
        act({"kind": "save_rule", "rule_id": rule_id, "rule": {**RULE.to_json(), "name": "Many errors"}})
        assert [r.name for r in store.list_rules(reader)] == ["Many errors"]
        act({"kind": "disable", "rule_id": rule_id})
        assert not store.list_rules(reader)[0].enabled
        act({"kind": "enable", "rule_id": rule_id})
        assert store.list_rules(reader)[0].enabled
        # A firing alert: acknowledge, silence, resolve by hand.
        writer.run_sync(lambda c: store.save_states(
            c, {rule_id: RuleState(AlertState.FIRING, NOW - 1000, breach_since_ms=NOW - 1000, value=7.0)}, now_ms=NOW))
        assert act({"kind": "acknowledge", "rule_id": rule_id})["state"] == "firing"
        assert store.load_states(reader)[rule_id].acknowledged
        act({"kind": "silence", "rule_id": rule_id, "until_ms": NOW + 3_600_000})
        assert store.load_states(reader)[rule_id].silenced_until_ms == NOW + 3_600_000
        resolved = act({"kind": "resolve", "rule_id": rule_id})
        [event] = store.alert_history(reader)
        assert resolved == {"rule_id": rule_id, "alert_event_ids": [event.id], "state": "resolved"}
        assert (event.from_state, event.to_state, event.reason, event.notified) == ("firing", "resolved", "by hand", False)
        with pytest.raises(ValueError, match="there is no alert rule 999"):
            act({"kind": "acknowledge", "rule_id": 999})
        act({"kind": "delete_rule", "rule_id": rule_id})
        assert store.list_rules(reader) == [] and len(store.alert_history(reader)) == 1
    finally:
        reader.close()
        writer.stop()


def test_exports_list_the_history_and_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = connect(path)
    migrate(conn)
    in_job(conn, store.ensure_default_rules)
    in_job(conn, lambda c: store.record_transitions(c, [transition(1, AlertState.PENDING),
                                                         transition(1, AlertState.FIRING, at=NOW + 1)]))
    conn.close()
    reader = StoreReader(path)
    try:
        alerts = list(reader.export("alerts"))
        rules = list(reader.export("alert-rules"))
    finally:
        reader.close()
    assert [(a["id"], a["to_state"], a["rule_name"]) for a in alerts] == [(2, "firing", "Errors"), (1, "pending", "Errors")]
    assert [r["name"] for r in rules] == ["LCP p75 is poor", "Error spike", "New issue"]
    assert rules[0]["definition"]["vital"] == "lcp"
