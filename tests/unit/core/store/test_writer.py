"""The writer: every kind lands in its table, errors group into issues, commits are grouped."""

from __future__ import annotations

import copy
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from console.core.errors import StoreUnavailable
from console.core.store.queries import StoreReader
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_every_example_lands_in_its_table(
    writer: StoreWriter, store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    writer.write(events_of(native_examples))
    expected = {
        "events": 18, "transactions": 1, "spans": 3, "page_loads": 1, "page_views": 1,
        "interactions": 3, "custom_events": 1, "errors": 3, "issues": 3, "logs": 1,
        "network_requests": 2, "analytics_events": 5, "users": 1, "experiments": 1,
        "experiment_definitions": 1, "experiment_assignments": 1, "experiment_goals": 1,
        "projects": 1,
    }
    assert {t: count(store_path, t) for t in expected} == expected
    reader = StoreReader(store_path)
    users = list(reader.export("users"))
    assert users[0]["user_id"] == "u-1042" and users[0]["properties"] == {"plan": "gold", "city": "Hangzhou"}
    stream = reader.stream(limit=100)
    assert [r.id for r in stream] == list(range(18, 0, -1))  # newest first, ids in arrival order
    reader.close()


def error(message: str, user: str, stack_fn: str = "sumCart", severity: str = "high") -> dict[str, Any]:
    return {
        "type": "javascript_error",
        "message": message,
        "stack": f"{message}\n    at {stack_fn} (pages/cart/cart.js:88:27)\n    at x (a.js:1:1)",
        "timestamp": 1764288003100,
        "userId": user,
        "sessionId": "s-" + user,
        "severity": severity,
    }


def issues(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT title, event_count, user_count, level, status FROM issues ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_errors_group_by_masked_message_and_top_frame(writer: StoreWriter, store_path: Path) -> None:
    writer.write(
        events_of(
            [
                error("TypeError: Cannot read 'price' of order 8812", "u-1"),
                error("TypeError: Cannot read 'total' of order 9917", "u-2", severity="critical"),
                error("TypeError: Cannot read 'price' of order 8812", "u-1"),
                error("TypeError: Cannot read 'price' of order 8812", "u-3", stack_fn="renderList"),
            ]
        )
    )
    assert issues(store_path) == [
        ("TypeError: Cannot read 'price' of order 8812", 3, 2, "fatal", "unresolved"),
        ("TypeError: Cannot read 'price' of order 8812", 1, 1, "error", "unresolved"),
    ]


def test_a_resolved_issue_that_recurs_is_regressed(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([error("Error: boom 1", "u-1")]))
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE issues SET status = 'resolved'")
    conn.commit()
    conn.close()
    writer.write(events_of([error("Error: boom 2", "u-1")]))
    assert issues(store_path)[0][1:] == (2, 1, "error", "regressed")


def test_concurrent_submitters_share_commits(store_path: Path, native_examples: list[dict[str, Any]]) -> None:
    gate = threading.Event()
    writer = StoreWriter(path=store_path)
    original = writer._commit

    def held_commit(jobs: Any, n: int) -> None:
        gate.wait(10)
        original(jobs, n)

    writer._commit = held_commit  # type: ignore[method-assign]
    writer.start()
    done = threading.Semaphore(0)
    events = events_of(native_examples)
    for _ in range(20):
        writer.submit(events, lambda error: done.release())
    gate.set()
    for _ in range(20):
        assert done.acquire(timeout=10)
    writer.stop()
    assert count(store_path, "events") == 20 * len(events)
    assert writer.stats.commits <= 3  # the first job alone, then the other 19 grouped


def test_a_saturated_writer_refuses_instead_of_queueing_forever(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    gate = threading.Event()
    writer = StoreWriter(path=store_path, max_pending_events=40)
    original = writer._commit

    def held_commit(jobs: Any, n: int) -> None:
        gate.wait(10)
        original(jobs, n)

    writer._commit = held_commit  # type: ignore[method-assign]
    writer.start()
    events = events_of(native_examples)  # 18 events
    writer.submit(events, lambda e: None)
    writer.submit(events, lambda e: None)
    with pytest.raises(StoreUnavailable):
        writer.submit(events, lambda e: None)
    gate.set()
    writer.stop()
    assert count(store_path, "events") == 36


def test_a_failed_commit_is_reported_to_every_caller_and_the_writer_goes_on(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    writer = StoreWriter(path=store_path)
    writer.start()
    events = events_of(native_examples)
    broken = copy.copy(events[0])
    broken.columns = {**broken.columns, "name": None}  # NOT NULL: the commit fails
    outcome: list[BaseException | None] = []
    finished = threading.Event()
    writer.submit([broken], lambda e: (outcome.append(e), finished.set()))
    assert finished.wait(10)
    assert isinstance(outcome[0], sqlite3.IntegrityError)
    writer.write(events)
    writer.stop()
    assert count(store_path, "events") == len(events)
    assert writer.stats.failed_commits == 1


def test_ids_continue_after_a_restart(store_path: Path, native_examples: list[dict[str, Any]]) -> None:
    for _ in range(2):
        writer = StoreWriter(path=store_path)
        writer.start()
        writer.write(events_of(native_examples))
        writer.stop()
    reader = StoreReader(store_path)
    assert reader.latest_event_id() == 36
    reader.close()


def test_a_bad_job_grouped_with_good_ones_fails_alone(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    gate = threading.Event()
    writer = StoreWriter(path=store_path)
    original = writer._commit

    def held_commit(jobs: Any, n: int) -> None:
        gate.wait(10)
        original(jobs, n)

    writer._commit = held_commit  # type: ignore[method-assign]
    writer.start()
    events = events_of(native_examples)
    broken = copy.copy(events[0])
    broken.columns = {**broken.columns, "span_count": 2**70}  # cannot be bound: OverflowError
    outcomes: dict[str, Any] = {}
    finished = threading.Semaphore(0)

    def record(name: str) -> Any:
        return lambda error: (outcomes.__setitem__(name, error), finished.release())

    writer.submit(events, record("first"))  # committed alone while the gate holds the rest
    writer.submit(events, record("good"))
    writer.submit([broken], record("bad"))
    writer.submit(events, record("also good"))
    gate.set()
    for _ in range(4):
        assert finished.acquire(timeout=10)
    writer.stop()
    assert outcomes["good"] is None and outcomes["also good"] is None and outcomes["first"] is None
    assert isinstance(outcomes["bad"], OverflowError)
    assert count(store_path, "events") == 3 * len(events)
