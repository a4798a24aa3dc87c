"""One evaluation of every rule, a backtest of one rule, and a cycle through the store.

:func:`evaluate` measures each enabled rule on a read connection and steps its state;
:func:`run_cycle` loads rules and states from the store, evaluates, and stores the new
states and transitions in one writer transaction. Whatever calls it every ``interval_s``
(the collector's or the window's alert loop) owns the thread and the clock.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from console.core.analysis.alerts.measure import Measurement, measure
from console.core.analysis.alerts.rules import AlertRule
from console.core.analysis.alerts.state import AlertState, RuleState, Transition, step
from console.core.errors import LookoutError
from console.core.store import alerts as alert_store
from console.core.store.writer import StoreWriter

__all__ = ["Cycle", "backtest", "evaluate", "run_cycle"]

log = logging.getLogger("lookout.alerts")


@dataclass(frozen=True, slots=True)
class Cycle:
    """What one evaluation did: its transitions (with their stored ids after
    :func:`run_cycle`), every evaluated rule's new state, how long it took and how many rules
    could not be measured."""

    transitions: list[Transition]
    states: dict[int, RuleState]
    seconds: float
    errors: int


def evaluate(
    conn_read: sqlite3.Connection, rules: Sequence[AlertRule], states: Mapping[int, RuleState], *, now_ms: int
) -> Cycle:
    """Measure every rule at ``now_ms`` and step its state (read-only; nothing is stored).

    Rules without an id are skipped (only stored rules have states). A disabled rule is not
    measured; one that was not normal goes back to normal. A rule whose measurement raises
    (a KPI, a bug, a locked file) goes to ERROR, and the others carry on.
    """
    started = time.perf_counter()
    transitions: list[Transition] = []
    new_states: dict[int, RuleState] = {}
    errors = 0
    for rule in rules:
        if rule.id is None:
            continue
        state = states.get(rule.id, RuleState(since_ms=now_ms))
        measured: Measurement | Exception
        if not rule.enabled:
            measured = Measurement(None, 0)
        else:
            try:
                measured = measure(conn_read, rule, now_ms=now_ms)
            except Exception as exc:  # one rule's failure must not stop the others
                if not isinstance(exc, (sqlite3.Error, LookoutError)):
                    log.exception("measuring alert rule %d (%s) failed", rule.id, rule.name)
                errors += 1
                measured = exc
        new_state, moved = step(rule, state, measured, now_ms=now_ms)
        new_states[rule.id] = new_state
        transitions.extend(moved)
    return Cycle(transitions, new_states, time.perf_counter() - started, errors)


def backtest(
    conn: sqlite3.Connection, rule: AlertRule, *, start_ms: int, end_ms: int, step_s: int = 60
) -> list[int]:
    """The moments the rule would have fired with a notification, evaluated every ``step_s``
    from a normal state at ``start_ms`` to ``end_ms`` ("would have fired 3 times, at …").

    The rule is tested as if enabled, its cooldown and ``for_s`` applied as live.
    """
    if step_s <= 0:
        raise ValueError(f"step_s must be positive, not {step_s}")
    tested = replace(rule, enabled=True, id=rule.id if rule.id is not None else 0)
    state = RuleState(since_ms=start_ms)
    fired: list[int] = []
    for at in range(start_ms, end_ms + 1, step_s * 1000):
        measured: Measurement | Exception
        try:
            measured = measure(conn, tested, now_ms=at)
        except LookoutError as exc:
            measured = exc
        state, moved = step(tested, state, measured, now_ms=at)
        fired.extend(t.at_ms for t in moved if t.notify and t.to_state == AlertState.FIRING)
    return fired


def run_cycle(writer: StoreWriter, conn_read: sqlite3.Connection, *, now_ms: int) -> Cycle:
    """Evaluate the store's rules at ``now_ms`` and store the outcome; the cycle, its
    transitions carrying their ``alert_events`` ids.

    Inserts the default rules first when this store never had them. A rule changed by a user
    while it was being evaluated (acknowledged, resolved, edited, deleted) keeps what the
    user did: its new state and transitions from this cycle are dropped, and the next cycle
    starts from the user's state. Raises StoreError when the writer cannot store the result.
    """
    started = time.perf_counter()
    if not alert_store.defaults_inserted(conn_read):
        writer.run_sync(alert_store.ensure_default_rules)
    rules = alert_store.list_rules(conn_read)
    states = alert_store.load_states(conn_read)
    cycle = evaluate(conn_read, rules, states, now_ms=now_ms)
    definitions = {r.id: r.to_json() for r in rules}

    def store(conn: sqlite3.Connection) -> tuple[list[Transition], dict[int, RuleState]]:
        now_rules = {r.id: r.to_json() for r in alert_store.list_rules(conn)}
        now_states = alert_store.load_states(conn)
        changed = {
            rule_id for rule_id in cycle.states
            if now_rules.get(rule_id) != definitions.get(rule_id) or now_states.get(rule_id) != states.get(rule_id)
        }
        keep = {rule_id: s for rule_id, s in cycle.states.items() if rule_id not in changed}
        moved = [t for t in cycle.transitions if t.rule_id not in changed]
        alert_store.save_states(conn, keep, now_ms=now_ms)
        ids = alert_store.record_transitions(conn, moved)
        for rule_id in changed:
            if rule_id in now_states:
                keep[rule_id] = now_states[rule_id]
        return alert_store.with_ids(moved, ids), keep

    stored, kept = writer.run_sync(store)
    return Cycle(stored, kept, time.perf_counter() - started, cycle.errors)
