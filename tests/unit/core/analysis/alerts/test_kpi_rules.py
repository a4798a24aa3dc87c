"""Alert rules on a KPI: the named KPI measured over the rule's window, firing through the
engine as the clock moves, and an unknown KPI reported as such."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from console.core.analysis.alerts.engine import backtest, evaluate
from console.core.analysis.alerts.measure import MeasureError, measure
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric
from console.core.analysis.alerts.state import AlertState, RuleState
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.kpi_queries import save_kpi
from console.core.store.writer import StoreWriter
from tests.unit.core.analysis.alerts.conftest import MIN, NOW, write

HOUR_START = NOW - 60 * MIN
RATE = KpiDefinition(name="Purchase rate", formula="rate", ref=EventRef("conversion", "purchase"),
                     denominator=EventRef("page_view", "pages/cart/cart"), unit="%", target=50)
BELOW = AlertRule(id=1, name="Purchases fall", metric=Metric.KPI, kpi="Purchase rate", comparison=Comparison.BELOW,
                  threshold=50, window_s=300, min_sample=3, cooldown_s=3600)


def _view(ts: int) -> dict[str, Any]:
    return {"type": "page_view", "url": "pages/cart/cart", "timestamp": ts, "sessionId": f"s-{ts}"}


def _purchase(ts: int) -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "timestamp": ts, "sessionId": f"s-{ts}",
            "properties": {"type": "purchase", "value": 10}}


@pytest.fixture
def store(writer: StoreWriter, reader: sqlite3.Connection) -> sqlite3.Connection:
    """A cart view every minute of the hour (at +10 s) and a purchase every minute of its first
    half (at +20 s): a window of 5 min ending at minute k holds the events of minutes k-5 .. k-1."""
    views = [_view(HOUR_START + m * MIN + 10_000) for m in range(60)]
    purchases = [_purchase(HOUR_START + m * MIN + 20_000) for m in range(30)]
    write(writer, views + purchases, received=NOW)
    writer.run_sync(lambda conn: save_kpi(conn, RATE, now_ms=NOW))
    return reader


def at(minute: int) -> int:
    return HOUR_START + minute * MIN


def test_a_kpi_is_measured_over_the_window_and_the_one_before(store: sqlite3.Connection) -> None:
    # Minute 33: views of minutes 28-32, purchases of 28 and 29 → 2 / 5.
    found = measure(store, BELOW, now_ms=at(33))
    assert (found.value, found.sample, found.link) == (40.0, 5, "kpi:Purchase rate")
    assert found.detail == "Purchase rate 40 % over 5 min (target 50 %: below target)"
    falling = AlertRule.from_json({**BELOW.to_json(), "comparison": "change_below", "threshold": -30})
    change = measure(store, falling, now_ms=at(33))
    assert (change.value, change.previous) == (40.0, 100.0)  # minutes 23-27: every view bought
    # Another project has none of these events: nothing to divide by.
    elsewhere = measure(store, AlertRule.from_json({**BELOW.to_json(), "filters": {"project": "other"}}),
                        now_ms=at(33))
    assert (elsewhere.value, elsewhere.sample) == (None, 0)


def test_a_kpi_rule_fires_through_the_engine_as_the_clock_moves(store: sqlite3.Connection) -> None:
    states: dict[int, RuleState] = {}
    seen: list[tuple[int, AlertState, bool]] = []
    for minute in (1, 30, 32, 33, 34, 40):
        cycle = evaluate(store, [BELOW], states, now_ms=at(minute))
        states = cycle.states
        seen.extend((minute, t.to_state, t.notify) for t in cycle.transitions)
    # Minute 1: one view, below the minimum sample of 3; 30 and 32: 100 % and 60 %; 33: 40 %.
    assert seen == [(1, AlertState.NO_DATA, False), (30, AlertState.NORMAL, False),
                    (33, AlertState.FIRING, True)]
    assert states[1].state == AlertState.FIRING and states[1].value == 0.0  # minute 40: none bought


def test_backtest_of_kpi_rules(store: sqlite3.Connection) -> None:
    fired = backtest(store, BELOW, start_ms=HOUR_START, end_ms=NOW, step_s=60)
    assert [(t - HOUR_START) // MIN for t in fired] == [33]
    # A fall of more than 30 % against the 5 minutes before: at 32, 60 % against 100 %.
    falling = AlertRule.from_json({**BELOW.to_json(), "comparison": "change_below", "threshold": -30})
    assert [(t - HOUR_START) // MIN for t in backtest(store, falling, start_ms=HOUR_START, end_ms=NOW)] == [32]


def test_an_unknown_kpi_says_which_kpis_there_are(store: sqlite3.Connection) -> None:
    rule = AlertRule.from_json({**BELOW.to_json(), "kpi": "Revenue"})
    with pytest.raises(MeasureError, match=r"no KPI named 'Revenue' in this store \(KPIs: Purchase rate\)"):
        measure(store, rule, now_ms=NOW)
    cycle = evaluate(store, [rule], {}, now_ms=NOW)
    assert cycle.states[1].state == AlertState.ERROR
    assert cycle.states[1].detail == "no KPI named 'Revenue' in this store (KPIs: Purchase rate)"
