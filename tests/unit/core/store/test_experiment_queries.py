"""Experiment results over real store files written through the real decoder and StoreWriter."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.core.analysis.experiments.hashing import select_variant
from console.core.store.experiment_queries import UnknownExperiment, experiment_results, list_experiments
from console.core.store.experiment_writes import ExperimentDefinition, save_definition
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

KEY = "checkout-button-color"
HOUR = 3_600_000
DEFINITION = {"type": "experiment", "id": KEY, "name": "Checkout button colour", "timestamp": NOW - 48 * HOUR,
              "variants": [{"name": "control", "weight": 50}, {"name": "orange", "weight": 50}],
              "goals": ["purchase"]}


def assignment(user: str, variant: str, ts: int, key: str = KEY) -> dict[str, Any]:
    return {"type": "event", "name": "experiment_assignment", "timestamp": ts, "sessionId": f"s-{user}",
            "userId": user, "properties": {"experimentId": key, "variant": variant, "userId": user}}


def goal(user: str, variant: str, ts: int, name: str = "purchase", value: float | None = None,
         key: str = KEY) -> dict[str, Any]:
    props: dict[str, Any] = {"experimentId": key, "variant": variant, "goal": name, "userId": user}
    if value is not None:
        props["value"] = value
    return {"type": "event", "name": "experiment_goal", "timestamp": ts, "sessionId": f"s-{user}",
            "userId": user, "properties": props}


def write(writer: StoreWriter, payloads: list[dict[str, Any]]) -> None:
    for start in range(0, len(payloads), 500):
        writer.write(events_of(payloads[start : start + 500]))


def ab_test(users: int, rates: dict[str, float], *, seed: int = 3) -> list[dict[str, Any]]:
    """A 50/50 test assigned by select_variant, purchases drawn with ``rates`` (revenue 20 each)."""
    rng = random.Random(seed)
    payloads: list[dict[str, Any]] = [DEFINITION]
    for i in range(users):
        user = f"u-{i}"
        variant = ("control", "orange")[select_variant(KEY, user, [50, 50])]
        ts = NOW - 40 * HOUR + i * 1000
        payloads.append(assignment(user, variant, ts))
        if rng.random() < rates[variant]:
            payloads.append(goal(user, variant, ts + 60_000, value=20.0))
    return payloads


def test_first_assignment_wins_and_goals_count_once_after_it(writer: StoreWriter, store_path: Path) -> None:
    t = NOW - 10 * HOUR
    write(writer, [
        DEFINITION,
        assignment("ann", "control", t), assignment("ann", "control", t + 5), assignment("ann", "orange", t + 9),
        assignment("bob", "orange", t + 1),
        assignment("cat", "orange", t + 2),
        goal("ann", "control", t + 10, value=5.0), goal("ann", "control", t + 20, value=7.0),  # one conversion, 12 spent
        goal("bob", "orange", t - 1, value=99.0),  # before bob's assignment: not counted
        goal("cat", "orange", t + 30, value=3.0),
        goal("dan", "orange", t + 30, value=50.0),  # never assigned: not counted
    ])
    conn = connect(store_path, readonly=True)
    results = experiment_results(conn, KEY)
    assert results.summary.source == "definition"
    assert results.summary.users == 3
    assert results.control == "control"
    assert [(v.variant, v.users, v.expected_share) for v in results.variants] == [("control", 1, 0.5), ("orange", 2, 0.5)]
    assert results.users_in_two_variants == 1  # ann, kept in control
    (purchase,) = results.goals
    assert purchase.per_variant["control"].conversions == 1
    assert purchase.per_variant["orange"].conversions == 1  # cat only
    assert purchase.values == {"control": 12.0, "orange": 1.5}
    assert purchase.conversions == 2 and purchase.needed == 150
    assert purchase.verdict == "not enough data yet: 2 of 150 conversions needed"
    assert not results.srm.enough  # fewer than 8 users a variant
    assert sum(sum(row.values()) for _, row in results.exposures) == 3
    assert results.peeking_warning is None
    conn.close()


def test_a_true_lift_is_found_and_exported(writer: StoreWriter, store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(writer, ab_test(8000, {"control": 0.10, "orange": 0.16}))
    conn = connect(store_path, readonly=True)
    results = experiment_results(conn, KEY)
    (purchase,) = results.goals
    orange = purchase.lifts["orange"]
    assert orange.relative > 0.3 and orange.relative_low > 0
    assert orange.chance_to_beat > 0.99
    assert purchase.verdict.startswith("orange wins on purchase: +")
    assert "chance to beat control" in purchase.verdict
    assert not results.srm.warn and results.srm.p_value > 0.001
    # The cumulative chart ends at the final numbers.
    last = results.cumulative["purchase"][-1]
    conversion = purchase.per_variant
    assert last[1] == pytest.approx(conversion["orange"].rate / conversion["control"].rate - 1)
    low, high = purchase.sequential["orange"]
    assert low < orange.relative < high
    assert results.peeking_warning is not None
    conn.close()

    assert main(["export", "--db", str(store_path), "--kind", "experiment-results", "--experiment", KEY]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["summary"]["key"] == KEY
    assert exported["goals"][0]["verdict"] == purchase.verdict
    assert exported["goals"][0]["per_variant"]["orange"]["users"] == conversion["orange"].users


def test_sample_ratio_mismatch_is_said_first(writer: StoreWriter, store_path: Path) -> None:
    t = NOW - 5 * HOUR
    payloads: list[dict[str, Any]] = [DEFINITION]
    for i in range(600):
        variant = "control" if i % 3 else "orange"  # 400 vs 200 at 50/50
        payloads.append(assignment(f"u{i}", variant, t + i))
        payloads.append(goal(f"u{i}", variant, t + i + 100))
    write(writer, payloads)
    conn = connect(store_path, readonly=True)
    results = experiment_results(conn, KEY)
    assert results.srm.warn and results.srm.observed == (400, 200)
    assert results.goals[0].verdict.startswith("sample ratio mismatch")
    conn.close()


def test_discovered_experiments_and_guardrails(writer: StoreWriter, store_path: Path) -> None:
    t = NOW - 3 * HOUR
    write(writer, [
        assignment("u1", "treatment", t, key="new-onboarding"), assignment("u2", "control", t, key="new-onboarding"),
        goal("u1", "treatment", t + 50, name="signup", key="new-onboarding"),
        {"type": "javascript_error", "message": "TypeError: boom", "timestamp": t + 10, "userId": "u1",
         "sessionId": "s-u1"},
        {"type": "javascript_error", "message": "TypeError: boom", "timestamp": t + 20, "userId": "u1",
         "sessionId": "s-u1"},
        {"type": "javascript_error", "message": "TypeError: early", "timestamp": t - 10, "userId": "u2",
         "sessionId": "s-u2"},  # before the assignment
        {"type": "page_load", "url": "pages/index/index", "timestamp": t + 5, "userId": "u2", "sessionId": "s-u2",
         "metrics": {"largestContentfulPaint": 1800.0}},
    ])
    conn = connect(store_path, readonly=True)
    (listed,) = list_experiments(conn)
    assert (listed.key, listed.source, listed.variants, listed.goals, listed.users) == (
        "new-onboarding", "discovered", ("control", "treatment"), ("signup",), 2)
    results = experiment_results(conn, "new-onboarding")
    assert results.control == "control"
    rails = {g.variant: g for g in results.guardrails}
    assert (rails["treatment"].errors, rails["treatment"].error_rate) == (2, 2.0)
    assert (rails["control"].errors, rails["control"].lcp_p75, rails["control"].loads) == (0, 1800.0, 1)
    assert rails["treatment"].lcp_p75 is None
    with pytest.raises(UnknownExperiment):
        experiment_results(conn, "no-such-test")
    conn.close()


def test_a_definition_saved_through_the_writer(writer: StoreWriter, store_path: Path) -> None:
    definition = ExperimentDefinition(project="shop", key="price-test", name="Price test",
                                      variants=(("control", 80.0), ("cheaper", 20.0)), goals=("purchase",))
    writer.run_sync(lambda conn: save_definition(conn, definition, now_ms=NOW))
    conn = connect(store_path, readonly=True)
    (listed,) = list_experiments(conn)
    assert (listed.key, listed.name, listed.variants, listed.weights, listed.source) == (
        "price-test", "Price test", ("control", "cheaper"), (80.0, 20.0), "definition")
    results = experiment_results(conn, "price-test")
    assert [v.expected_share for v in results.variants] == [0.8, 0.2]
    assert results.summary.users == 0
    conn.close()
    with pytest.raises(ValueError, match="two variants"):
        writer.run_sync(lambda conn: save_definition(conn, ExperimentDefinition("shop", "x", (("a", 1.0),))))


def test_assign_prints_the_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assign", "--experiment", "three-way", "--user", "zoë", "--weights", "20,30,50",
                 "--variants", "a,b,c"]) == 0
    assert capsys.readouterr().out == "1 b\n"  # GrowthBook's JavaScript SDK gives zoë variation 1
    assert main(["assign", "--experiment", KEY, "--user", "用户-42"]) == 0
    assert capsys.readouterr().out == "1 variant-1\n"


def test_user_codes_are_exact_for_any_id() -> None:
    from console.core.store.experiment_columns import UserCodes

    ids = ["u-1", "用户-42", "u-1", "😀", "a-very-long-user-id-beyond-eight-bytes", "用户-42", "u-10"]
    codes = UserCodes("\x1e".join(ids), len(ids))
    assert len(codes) == 5
    row = codes.row_codes.tolist()
    assert row[0] == row[2] and row[1] == row[5] and len(set(row)) == 5
    assert sorted(codes.first_rows.tolist()) == [0, 1, 3, 4, 6]  # each user's first row
    assert all(row[first] == code for code, first in enumerate(codes.first_rows.tolist()))
    looked = codes.lookup("\x1e".join(["u-10", "nobody", "用户-42", "a-very-long-user-id-beyond-eight-bytes-and-more", "😀"]))
    assert looked.tolist() == [row[6], -1, row[1], -1, row[3]]


def test_user_codes_survive_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from console.core.store import experiment_columns

    monkeypatch.setattr(experiment_columns, "_row_hash", lambda words, lengths: np.zeros(len(lengths), dtype=np.uint64))
    codes = experiment_columns.UserCodes("a\x1eb\x1ea\x1ec", 4)
    assert codes.row_codes.tolist() == [0, 1, 0, 2]
    assert codes.first_rows.tolist() == [0, 1, 3]
    assert codes.lookup("c\x1ez").tolist() == [2, -1]


def test_results_on_a_store_without_a_file_and_out_of_order_rows(tmp_path: Path) -> None:
    # A connection to an in-memory copy reads serially; rows inserted out of time order are sorted.
    from console.core.store.schema import migrate

    file_writer = StoreWriter(path=tmp_path / "a.db")
    file_writer.start()
    t = NOW - HOUR
    try:
        write(file_writer, [DEFINITION, assignment("late", "orange", t + 500), assignment("early", "control", t),
                            assignment("late", "control", t + 900), goal("early", "control", t + 10)])
    finally:
        file_writer.stop()
    memory = sqlite3.connect(":memory:")
    connect(tmp_path / "a.db", readonly=True).backup(memory)
    migrate(memory)
    results = experiment_results(memory, KEY)
    assert [(v.variant, v.users) for v in results.variants] == [("control", 1), ("orange", 1)]
    assert results.users_in_two_variants == 1
    assert results.goals[0].per_variant["control"].conversions == 1
    memory.close()


def test_value_goals_get_a_mean_lift_beside_the_conversion_lift(writer: StoreWriter, store_path: Path) -> None:
    write(writer, ab_test(4000, {"control": 0.10, "orange": 0.16}))
    conn = connect(store_path, readonly=True)
    (purchase,) = experiment_results(conn, KEY).goals
    rates = purchase.per_variant
    assert purchase.values["orange"] == pytest.approx(20.0 * rates["orange"].rate)  # 20 a purchase, one each
    assert purchase.value_lifts["orange"].relative == pytest.approx(purchase.lifts["orange"].relative)
    assert purchase.lifts["orange"].relative == pytest.approx(rates["orange"].rate / rates["control"].rate - 1)
    conn.close()
