"""Retention by age and by size, and the record of what it dropped."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from console.core.store.queries import StoreReader
from console.core.store.retention import RetentionPolicy, apply_retention, live_bytes
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of

DAY = 86_400_000


def fill(path: Path, examples: list[dict[str, Any]], received: list[int]) -> None:
    writer = StoreWriter(path=path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    for at in received:
        writer.write(events_of(examples), received=at)
    writer.stop()


def run(path: Path, policy: RetentionPolicy, now: int) -> Any:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    result = apply_retention(conn, policy, now_ms=now)
    conn.execute("COMMIT")
    conn.close()
    return result


def test_age_drops_old_events_from_every_table_and_records_it(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    now = 100 * DAY
    fill(store_path, native_examples, [now - 20 * DAY, now - 1 * DAY])
    result = run(store_path, RetentionPolicy(max_age_days=14), now)
    assert (result.reason, result.rows, result.more) == ("age", 18, False)
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT min(id), count(*) FROM events").fetchone() == (19, 18)
    assert conn.execute("SELECT count(*) FROM spans").fetchone() == (3,)
    assert conn.execute("SELECT count(*) FROM errors").fetchone() == (3,)
    assert conn.execute("SELECT count(*) FROM experiment_goals").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM issues").fetchone() == (3,)  # still have events
    conn.close()
    info = StoreReader(store_path).info()
    assert (info.dropped_rows, info.last_drop_reason, info.last_drop_at) == (18, "age", now)
    assert run(store_path, RetentionPolicy(max_age_days=14), now) is None


def test_issues_whose_events_all_aged_out_go_too(store_path: Path, native_examples: list[dict[str, Any]]) -> None:
    now = 100 * DAY
    fill(store_path, native_examples, [now - 20 * DAY])
    run(store_path, RetentionPolicy(max_age_days=14), now)
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT count(*) FROM issues").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM issue_users").fetchone() == (0,)
    conn.close()


def test_large_trims_go_in_chunks(store_path: Path, native_examples: list[dict[str, Any]]) -> None:
    now = 100 * DAY
    fill(store_path, native_examples, [now - 30 * DAY] * 3)
    policy = RetentionPolicy(max_age_days=14, chunk_events=20)
    steps = []
    while (result := run(store_path, policy, now)) is not None:
        steps.append((result.rows, result.more))
    assert steps == [(20, True), (20, True), (14, False)]


def test_size_drops_the_oldest_until_under_the_limit(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    now = 100 * DAY
    fill(store_path, native_examples, [now - i for i in range(60, 0, -1)])
    conn = sqlite3.connect(store_path)
    size = live_bytes(conn)
    conn.close()
    policy = RetentionPolicy(max_bytes=size // 2)
    first = run(store_path, policy, now)
    assert first.reason == "size" and first.rows == 540  # half of 1,080 events: it is 2x over
    while run(store_path, policy, now) is not None:
        pass
    conn = sqlite3.connect(store_path)
    assert live_bytes(conn) <= size // 2
    (left,) = conn.execute("SELECT count(*) FROM events").fetchone()
    assert 0 < left < 1080
    # Oldest first: what is left is the newest arrivals.
    assert conn.execute("SELECT max(id) FROM events").fetchone() == (1080,)
    conn.close()


def test_alert_history_older_than_the_events_kept_goes_but_each_rules_latest_stays(store_path: Path) -> None:
    now = 100 * DAY
    fill(store_path, [], [])
    conn = sqlite3.connect(store_path, isolation_level=None)
    transitions = [(1, now - 30 * DAY), (1, now - 20 * DAY), (1, now - 1 * DAY), (2, now - 25 * DAY), (2, now - 20 * DAY)]
    for rule, ts in transitions:
        conn.execute(
            "INSERT INTO alert_events (rule_id, rule_name, severity, ts, from_state, to_state, threshold, detail,"
            " notified, reason) VALUES (?, 'r', 'warning', ?, 'normal', 'firing', 1, '', 1, '')", (rule, ts))
    conn.execute("INSERT INTO alert_deliveries (alert_event_id, channel, attempt, ts, ok, detail)"
                 " VALUES (1, 'webhook', 1, ?, 1, '')", (now - 30 * DAY,))
    conn.close()
    assert run(store_path, RetentionPolicy(max_age_days=14), now) is None  # no events: nothing else to do
    conn = sqlite3.connect(store_path)
    kept = conn.execute("SELECT rule_id, ts FROM alert_events ORDER BY id").fetchall()
    assert kept == [(1, now - 1 * DAY), (2, now - 20 * DAY)]  # rule 2's latest stays, however old
    assert conn.execute("SELECT count(*) FROM alert_deliveries").fetchone() == (0,)
    conn.close()
