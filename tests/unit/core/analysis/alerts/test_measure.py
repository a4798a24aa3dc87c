"""Each metric measured on a real store (written through the decoder and the writer)
against values worked out by hand."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

import pytest

from console.core.analysis.alerts.measure import MeasureError, measure, series
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric, RuleFilters
from console.core.store.issue_actions import IssueAction, apply_issue_action
from console.core.store.writer import StoreWriter
from tests.unit.core.analysis.alerts.conftest import MIN, NOW, js_error, log, page_load, transaction, write

CART, INDEX = "pages/cart/cart", "pages/index/index"


def rule(metric: Metric, comparison: Comparison = Comparison.ABOVE, **fields: Any) -> AlertRule:
    return AlertRule(id=1, name="r", metric=metric, comparison=comparison, threshold=0.0, **fields)


@pytest.fixture
def store(writer: StoreWriter, reader: sqlite3.Connection) -> sqlite3.Connection:
    """Five minutes ending at NOW, and the five before:

    * page loads in the window: LCP 1000..5000 on the cart (release 2.3.1) and 9000 on the
      index page (2.4.0); one at exactly NOW - 5 min (outside: windows are open at the start)
      and 7000 in the window before;
    * transactions checkout.submit 100, 200, 300, 400 and cart.load 1000; 50 in the window before;
    * errors: sumCart twice before the window and three times in it, loadIndex once in it.
    """
    loads = [page_load(NOW - (i + 1) * 20_000, lcp) for i, lcp in enumerate([1000, 2000, 3000, 4000, 5000])]
    loads += [page_load(NOW - 10_000, 9000, route=INDEX, release="2.4.0"),
              page_load(NOW - 5 * MIN, 8000), page_load(NOW - 7 * MIN, 7000),
              page_load(NOW - 30_000, None, inp=120.0)]
    txs = [transaction(NOW - (i + 1) * 10_000, d) for i, d in enumerate([100.0, 200.0, 300.0, 400.0])]
    txs += [transaction(NOW - 15_000, 1000.0, name="cart.load", route=INDEX),
            transaction(NOW - 6 * MIN, 50.0)]
    errors = [js_error(NOW - 8 * MIN), js_error(NOW - 7 * MIN), js_error(NOW - 4 * MIN), js_error(NOW - 3 * MIN),
              js_error(NOW - 2 * MIN), js_error(NOW - 1 * MIN, function="loadIndex", route=INDEX, release="2.4.0")]
    write(writer, loads + txs + errors, received=NOW)
    return reader


def test_vital_percentiles_over_the_window(store: sqlite3.Connection) -> None:
    # All six LCPs in the window: [1000, 2000, 3000, 4000, 5000, 9000].
    # p75: position 5 · 0.75 = 3.75 → 4000 + 0.75 · 1000; p95: 4.75 → 5000 + 0.75 · 4000.
    p75 = measure(store, rule(Metric.VITAL_P75, vital="lcp"), now_ms=NOW)
    assert (p75.value, p75.sample, p75.link) == (4750.0, 6, None)
    assert p75.detail == "LCP p75 4.75 s over 6 loads in 5 min"
    assert measure(store, rule(Metric.VITAL_P95, vital="lcp"), now_ms=NOW).value == 8000.0
    # The cart only (or release 2.3.1): [1000..5000], p75 at position 3 exactly.
    cart = measure(store, rule(Metric.VITAL_P75, vital="lcp", filters=RuleFilters(page=CART)), now_ms=NOW)
    assert (cart.value, cart.sample, cart.link) == (4000.0, 5, f"page:{CART}")
    release = measure(store, rule(Metric.VITAL_P75, vital="lcp", filters=RuleFilters(release="2.3.1")), now_ms=NOW)
    assert release.value == 4000.0
    # Loads without the vital are not in its sample; a project with none has no value.
    inp = measure(store, rule(Metric.VITAL_P75, vital="inp"), now_ms=NOW)
    assert (inp.value, inp.sample) == (120.0, 1)
    other = measure(store, rule(Metric.VITAL_P75, vital="lcp", filters=RuleFilters(project="acme")), now_ms=NOW)
    assert (other.value, other.sample) == (None, 0)


def test_transaction_percentiles_with_a_name_filter(store: sqlite3.Connection) -> None:
    checkout = measure(store, rule(Metric.TRANSACTION_P75, filters=RuleFilters(transaction="checkout.submit")),
                       now_ms=NOW)
    # [100, 200, 300, 400]: position 2.25 → 300 + 0.25 · 100.
    assert (checkout.value, checkout.sample, checkout.link) == (325.0, 4, "transaction:checkout.submit")
    assert checkout.detail == "checkout.submit p75 325 ms over 4 transactions in 5 min"
    everything = measure(store, rule(Metric.TRANSACTION_P95), now_ms=NOW)
    # [100, 200, 300, 400, 1000]: position 3.8 → 400 + 0.8 · 600.
    assert everything.value == pytest.approx(880.0) and everything.sample == 5
    index = measure(store, rule(Metric.TRANSACTION_P95, filters=RuleFilters(page=INDEX)), now_ms=NOW)
    assert index.value == 1000.0


def test_error_count_and_rate(store: sqlite3.Connection) -> None:
    count = measure(store, rule(Metric.ERROR_COUNT), now_ms=NOW)
    assert (count.value, count.sample, count.detail) == (4.0, 4, "4 errors in 5 min")
    assert measure(store, rule(Metric.ERROR_COUNT, filters=RuleFilters(page=CART)), now_ms=NOW).value == 3.0
    assert measure(store, rule(Metric.ERROR_COUNT, filters=RuleFilters(release="2.4.0")), now_ms=NOW).value == 1.0
    rate = measure(store, rule(Metric.ERROR_RATE), now_ms=NOW)
    assert rate.value == pytest.approx(0.8) and rate.detail == "0.80 errors/min over 5 min (4 errors)"
    hourly = measure(store, rule(Metric.ERROR_RATE, window_s=600), now_ms=NOW)
    assert hourly.value == pytest.approx(0.6)  # 6 errors in 10 minutes


def test_change_above_measures_the_previous_window_too(store: sqlite3.Connection) -> None:
    spike = measure(store, rule(Metric.ERROR_COUNT, Comparison.CHANGE_ABOVE), now_ms=NOW)
    # 4 errors now against 2 in the five minutes before: +100 %.
    assert (spike.value, spike.previous) == (4.0, 2.0)
    assert spike.detail == "4 errors in 5 min; previous 5 min: 2 (+100 %)"
    lcp = measure(store, rule(Metric.VITAL_P75, Comparison.CHANGE_ABOVE, vital="lcp",
                              filters=RuleFilters(page=CART)), now_ms=NOW)
    # The window before holds 8000 (at exactly NOW - 5 min) and 7000: p75 7750.
    assert (lcp.value, lcp.previous) == (4000.0, 7750.0)
    assert lcp.detail.endswith("previous 5 min: 7.75 s (-48 %)")
    empty = measure(store, rule(Metric.TRANSACTION_P75, Comparison.CHANGE_BELOW), now_ms=NOW - 6 * MIN)
    assert empty.previous is None and "nothing to compare with" in empty.detail


def test_event_counts_go_by_arrival(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    # In arrival order, as the writer's clock hands out ids: one log six minutes ago, two
    # logs a minute ago that happened an hour ago (late, but they arrived in the window),
    # then a page load and an error now.
    write(writer, [log(NOW - 6 * MIN)], received=NOW - 6 * MIN)
    write(writer, [log(NOW - 60 * MIN), log(NOW - 60 * MIN)], received=NOW - MIN)
    write(writer, [page_load(NOW - 1000, 2000.0), js_error(NOW - 1000)], received=NOW)
    write(writer, [log(NOW + MIN)], received=NOW + MIN)  # after the window
    logs = measure(reader, rule(Metric.EVENT_COUNT, kind="log"), now_ms=NOW)
    assert (logs.value, logs.sample, logs.detail) == (2.0, 2, "2 log events arrived in 5 min")
    assert measure(reader, rule(Metric.EVENT_COUNT), now_ms=NOW).value == 4.0
    assert measure(reader, rule(Metric.EVENT_COUNT, kind="page_load"), now_ms=NOW).value == 1.0
    assert measure(reader, rule(Metric.EVENT_COUNT, filters=RuleFilters(project="acme")), now_ms=NOW).value == 0.0
    assert measure(reader, rule(Metric.EVENT_COUNT, window_s=600), now_ms=NOW).value == 5.0
    assert measure(reader, rule(Metric.EVENT_COUNT), now_ms=NOW - 10 * MIN).value == 0.0  # before anything
    change = measure(reader, rule(Metric.EVENT_COUNT, Comparison.CHANGE_ABOVE, kind="log"), now_ms=NOW)
    assert (change.value, change.previous) == (2.0, 1.0)


def test_new_issues_link_to_the_newest(store: sqlite3.Connection) -> None:
    (index_issue,) = store.execute("SELECT id FROM issues WHERE title LIKE '%loadIndex%'").fetchone()
    new = measure(store, rule(Metric.NEW_ISSUE), now_ms=NOW)
    # sumCart was first seen 8 minutes ago; only loadIndex is new in the last five.
    assert (new.value, new.sample, new.link) == (1.0, 1, f"issue:{index_issue}")
    assert new.detail == "1 new issue in 5 min; newest: TypeError: loadIndex broke"
    both = measure(store, rule(Metric.NEW_ISSUE, window_s=600), now_ms=NOW)
    assert (both.value, both.link) == (2.0, f"issue:{index_issue}")
    assert measure(store, rule(Metric.NEW_ISSUE), now_ms=NOW + 10 * MIN).value == 0.0


def test_regressed_issues(writer: StoreWriter, store: sqlite3.Connection) -> None:
    assert measure(store, rule(Metric.REGRESSED_ISSUE), now_ms=NOW).value == 0.0
    (cart_issue,) = store.execute("SELECT id FROM issues WHERE title LIKE '%sumCart%'").fetchone()
    writer.run_sync(lambda conn: apply_issue_action(conn, IssueAction("resolve", (cart_issue,)), now_ms=NOW))
    write(writer, [js_error(NOW + MIN)], received=NOW + MIN)
    regressed = measure(store, rule(Metric.REGRESSED_ISSUE), now_ms=NOW + 2 * MIN)
    assert (regressed.value, regressed.link) == (1.0, f"issue:{cart_issue}")
    assert regressed.detail == "1 regressed issue in 5 min; newest: TypeError: sumCart broke"


def assignments(experiment: str, split: dict[str, int], ts: int) -> list[dict[str, Any]]:
    out = []
    for variant, users in split.items():
        for i in range(users):
            user = f"{variant}-{i}"
            out.append({"type": "event", "name": "experiment_assignment", "eventId": f"ev-{user}", "timestamp": ts,
                        "userId": user, "sessionId": f"s-{user}",
                        "properties": {"experimentId": experiment, "variant": variant, "userId": user}})
    return out


def test_sample_ratio_mismatch(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    write(writer, assignments("color", {"control": 10, "orange": 30}, NOW - MIN), received=NOW)
    # Twice the same user in one variant counts once.
    write(writer, assignments("color", {"control": 1}, NOW - MIN), received=NOW)
    srm = rule(Metric.EXPERIMENT_SRM, Comparison.BELOW, experiment="color")
    # Equal weights without a definition: expected 20 and 20, χ² = 100/20 · 2 = 10, p = erfc(√5).
    equal = measure(reader, srm, now_ms=NOW)
    assert equal.value == pytest.approx(math.erfc(math.sqrt(5)), rel=1e-9)
    assert (equal.sample, equal.link) == (40, "experiment:color")
    assert equal.detail == "SRM p-value 0.00157 over 40 users of color in 5 min (control 10, orange 30)"
    # With the definition's weights (25:75) the split is exactly as planned.
    write(writer, [{"type": "experiment", "id": "color", "name": "Colour",
                    "variants": [{"name": "control", "weight": 25}, {"name": "orange", "weight": 75}]}],
          received=NOW)
    assert measure(reader, srm, now_ms=NOW).value == pytest.approx(1.0)
    # Fewer than 8 users in a variant: no data.
    write(writer, assignments("tiny", {"a": 7, "b": 20}, NOW - MIN), received=NOW)
    tiny = measure(reader, rule(Metric.EXPERIMENT_SRM, Comparison.BELOW, experiment="tiny"), now_ms=NOW)
    assert (tiny.value, tiny.sample) == (None, 27)
    assert "a test needs 8 per variant" in tiny.detail


def test_an_unknown_kpi_cannot_be_measured(reader: sqlite3.Connection) -> None:
    # KPIs that exist are measured in test_kpi_rules.py.
    with pytest.raises(MeasureError, match=r"no KPI named 'revenue' in this store \(KPIs: none yet\)"):
        measure(reader, rule(Metric.KPI, kpi="revenue"), now_ms=NOW)


def test_an_unvalidated_vital_never_reaches_the_sql(reader: sqlite3.Connection) -> None:
    with pytest.raises(MeasureError, match="no page-load metric 'lcp; DROP TABLE events'"):
        measure(reader, rule(Metric.VITAL_P75, vital="lcp; DROP TABLE events"), now_ms=NOW)


def test_series_gives_the_value_of_each_step(store: sqlite3.Connection) -> None:
    points = series(store, rule(Metric.ERROR_COUNT, window_s=60), start_ms=NOW - 4 * MIN, end_ms=NOW, step_s=60)
    # Errors at -4, -3, -2, -1 min, each in the one-minute window ending there.
    assert points == [(NOW - 4 * MIN, 1.0), (NOW - 3 * MIN, 1.0), (NOW - 2 * MIN, 1.0), (NOW - MIN, 1.0), (NOW, 0.0)]
    kpi = series(store, rule(Metric.KPI, kpi="x"), start_ms=NOW - MIN, end_ms=NOW, step_s=60)
    assert kpi == [(NOW - MIN, None), (NOW, None)]
