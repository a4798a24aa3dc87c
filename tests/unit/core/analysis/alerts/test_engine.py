"""Evaluating every rule, backtesting one over a prepared hour, and cycles through the store
(including a restart that does not notify again)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from console.core.analysis.alerts import engine
from console.core.analysis.alerts.engine import backtest, evaluate, run_cycle
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric
from console.core.analysis.alerts.state import AlertState, RuleState
from console.core.store import alerts as alert_store
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.analysis.alerts.conftest import MIN, NOW, js_error, page_load, write

HOUR_START = NOW - 60 * MIN
ERRORS = AlertRule(id=1, name="Errors", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=2.0,
                   window_s=300, cooldown_s=600)


def bursts(writer: StoreWriter, minutes: list[int]) -> None:
    """Three errors at each of the given minutes into the hour."""
    write(writer, [js_error(HOUR_START + m * MIN + s * 1000) for m in minutes for s in (1, 2, 3)],
          received=NOW)


def test_backtest_over_a_prepared_hour(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    # Bursts of 3 errors at 5, 20, 25 and 45 min. The 5-minute window breaches at the five
    # evaluations after a burst, so the 25-min burst only prolongs the alert the 20-min one
    # started: it would have fired 3 times, at 6, 21 and 46 min (each past the 10-min cooldown).
    bursts(writer, [5, 20, 25, 45])
    fired = backtest(reader, ERRORS, start_ms=HOUR_START, end_ms=NOW, step_s=60)
    assert [(t - HOUR_START) // MIN for t in fired] == [6, 21, 46]
    # Waiting 3 minutes before firing moves each by three minutes.
    delayed = backtest(reader, replace(ERRORS, for_s=180), start_ms=HOUR_START, end_ms=NOW, step_s=60)
    assert [(t - HOUR_START) // MIN for t in delayed] == [9, 24, 49]
    # A cooldown of an hour leaves only the first.
    assert len(backtest(reader, replace(ERRORS, cooldown_s=3600), start_ms=HOUR_START, end_ms=NOW)) == 1
    # A disabled rule is tested as if it were enabled.
    assert len(backtest(reader, replace(ERRORS, enabled=False), start_ms=HOUR_START, end_ms=NOW)) == 3


def test_backtest_refuses_a_zero_step(reader: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="step_s"):
        backtest(reader, ERRORS, start_ms=HOUR_START, end_ms=NOW, step_s=0)


def test_evaluate_steps_every_rule_and_counts_errors(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    write(writer, [page_load(NOW - MIN, 5000.0), js_error(NOW - MIN)] * 3, received=NOW)
    rules = [
        AlertRule(id=1, name="LCP", metric=Metric.VITAL_P75, vital="lcp", comparison=Comparison.ABOVE, threshold=4000),
        AlertRule(id=2, name="Errors", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=10),
        AlertRule(id=3, name="KPI", metric=Metric.KPI, kpi="revenue", comparison=Comparison.ABOVE, threshold=1),
        AlertRule(id=4, name="Off", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=0,
                  enabled=False),
        AlertRule(name="never stored", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=0),
    ]
    cycle = evaluate(reader, rules, {}, now_ms=NOW)
    assert sorted(cycle.states) == [1, 2, 3, 4]
    assert {i: s.state for i, s in cycle.states.items()} == {
        1: AlertState.FIRING, 2: AlertState.NORMAL, 3: AlertState.ERROR, 4: AlertState.NORMAL}
    assert [(t.rule_id, t.to_state, t.notify) for t in cycle.transitions] == [
        (1, AlertState.FIRING, True), (3, AlertState.ERROR, False)]
    assert cycle.errors == 1 and cycle.seconds >= 0
    assert cycle.states[3].detail == "no KPI named 'revenue' in this store (KPIs: none yet)"


def test_run_cycle_stores_states_and_transitions_and_a_restart_does_not_renotify(
    writer: StoreWriter, store_path: Path
) -> None:
    reader = connect(store_path, readonly=True)
    try:
        rule_id = writer.run_sync(lambda conn: alert_store.save_rule(conn, replace(ERRORS, id=None)))
        bursts(writer, [58])
        first = run_cycle(writer, reader, now_ms=NOW)
        # The defaults arrived first (ids 2-4 after the user's rule); the new-issue default
        # fires too, as the burst's issue is new.
        names = [r.name for r in alert_store.list_rules(reader)]
        assert names == ["Errors", "LCP p75 is poor", "Error spike", "New issue"]
        fired = [(t.rule_name, t.to_state, t.notify) for t in first.transitions]
        assert ("Errors", AlertState.FIRING, True) in fired and ("New issue", AlertState.FIRING, True) in fired
        assert all(t.id is not None for t in first.transitions)
        history = alert_store.alert_history(reader)
        assert sorted(e.id for e in history) == sorted(t.id for t in first.transitions if t.id is not None)
        assert alert_store.load_states(reader)[rule_id].state == AlertState.FIRING
        newest = alert_store.latest_alert_id(reader)
    finally:
        reader.close()
    writer.stop()

    # A restart: a new writer and reader on the same file, later.
    again = StoreWriter(path=store_path)
    again.start()
    reader = connect(store_path, readonly=True)
    try:
        second = run_cycle(again, reader, now_ms=NOW + 15_000)
        assert [t for t in second.transitions if t.to_state == AlertState.FIRING] == []
        assert alert_store.latest_alert_id(reader) == newest
        assert second.states[rule_id].state == AlertState.FIRING
        assert second.states[rule_id].last_notified_ms == NOW
    finally:
        reader.close()
        again.stop()
    writer.start()  # for the fixture's stop


def test_run_cycle_keeps_a_concurrent_change(writer: StoreWriter, store_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    reader = connect(store_path, readonly=True)
    try:
        rule_id = writer.run_sync(lambda conn: alert_store.save_rule(conn, replace(ERRORS, id=None)))
        bursts(writer, [58])
        run_cycle(writer, reader, now_ms=NOW)
        real_evaluate = engine.evaluate

        def evaluate_then_user_acts(*args: object, **kwargs: object) -> object:
            result = real_evaluate(*args, **kwargs)  # type: ignore[arg-type]
            writer.run_sync(lambda conn: alert_store.apply_alert_action(
                conn, alert_store.AlertAction("resolve", rule_id=rule_id), now_ms=NOW + 1000))
            return result

        monkeypatch.setattr(engine, "evaluate", evaluate_then_user_acts)
        before = alert_store.latest_alert_id(reader)
        cycle = engine.run_cycle(writer, reader, now_ms=NOW + 15_000)
        assert all(t.rule_id != rule_id for t in cycle.transitions)
        assert cycle.states[rule_id].state == AlertState.RESOLVED
        stored = alert_store.load_states(reader)[rule_id]
        assert stored.state == AlertState.RESOLVED
        [by_hand] = alert_store.alert_history(reader, after_id=before)
        assert by_hand.reason == "by hand"
    finally:
        reader.close()


def test_states_start_fresh_for_a_rule_without_one(reader: sqlite3.Connection) -> None:
    cycle = evaluate(reader, [ERRORS], {2: RuleState(AlertState.FIRING)}, now_ms=NOW)
    assert cycle.states[1].state == AlertState.NORMAL and cycle.transitions == []
