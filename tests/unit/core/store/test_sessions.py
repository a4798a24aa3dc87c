"""The session index: batched by the writer, read together with what it has not reached yet."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from console.core.ingest.sentry import decode_envelope
from console.core.store.log_queries import LogQuery, fetch_logs, related_events
from console.core.store.retention import RetentionPolicy
from console.core.store.schema import connect
from console.core.store.sessions import indexed_up_to, session_event_ids
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.test_retention import DAY, run

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


def log(message: str, session: str) -> dict[str, Any]:
    return {"type": "log", "level": "info", "message": message, "sessionId": session}


def test_a_session_is_found_before_and_after_the_writer_indexes_it(store_path: Path) -> None:
    writer = StoreWriter(path=store_path, session_index_interval_s=3600)
    writer.start()
    try:
        writer.write(events_of([log("a1", "s-a"), log("b1", "s-b"), log("a2", "s-a")]))
        conn = connect(store_path, readonly=True)
        # Not indexed yet (the interval has not passed): the newest events are scanned.
        assert indexed_up_to(conn) == 0
        assert session_event_ids(conn, "s-a") == [3, 1]
    finally:
        writer.stop()  # indexes what is left before it closes the file
    assert indexed_up_to(conn) == 3
    assert conn.execute("SELECT session_id, event_id FROM session_index").fetchall() == [
        ("s-a", 1), ("s-a", 3), ("s-b", 2),
    ]
    writer = StoreWriter(path=store_path, session_index_interval_s=3600)
    writer.start()
    try:
        writer.write(events_of([log("a3", "s-a")]))
        # Half indexed, half not: both halves, newest first, each id once.
        assert session_event_ids(conn, "s-a") == [4, 3, 1]
        assert session_event_ids(conn, "s-a", limit=2) == [4, 3]
        assert session_event_ids(conn, "s-none") == []
    finally:
        writer.stop()
        conn.close()


def test_the_writer_indexes_on_its_own_interval(store_path: Path) -> None:
    writer = StoreWriter(path=store_path, session_index_interval_s=0.05)
    writer.start()
    try:
        writer.write(events_of([log("x", "s-x")]))
        conn = connect(store_path, readonly=True)
        deadline = time.monotonic() + 5
        while indexed_up_to(conn) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert indexed_up_to(conn) == 1
        conn.close()
    finally:
        writer.stop()


def test_retention_drops_index_entries_and_searchable_logs(store_path: Path) -> None:
    now = 100 * DAY
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    writer.write(events_of([log("stale checkout line", "s-old")]), received=now - 20 * DAY)
    writer.write(events_of([log("fresh checkout line", "s-new")]), received=now)
    writer.stop()
    assert run(store_path, RetentionPolicy(max_age_days=14), now).rows == 1
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT session_id FROM session_index").fetchall() == [("s-new",)]
    found = fetch_logs(conn, LogQuery(text="checkout"))
    assert [row.message for row in found] == ["fresh checkout line"]
    conn.close()


def test_retention_drops_the_rows_sentry_events_bring(store_path: Path) -> None:
    now = 100 * DAY
    batch = decode_envelope((SENTRY / "python-error-1.envelope").read_bytes(), project="1", now_ms=now)
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    writer.write(batch.events, received=now - 20 * DAY)
    writer.stop()
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT count(*) FROM raw_payloads").fetchone()[0] >= 1
    assert conn.execute("SELECT filename FROM attachments").fetchall() == [("cart.json",)]
    run(store_path, RetentionPolicy(max_age_days=14), now)
    for table in ("raw_payloads", "attachments", "errors", "events", "session_index"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    conn.close()


def test_related_events_join_a_trace_across_kinds(store_path: Path) -> None:
    error, transaction = (
        decode_envelope((SENTRY / name).read_bytes(), project="1", now_ms=0)
        for name in ("python-error-1.envelope", "python-error-2.envelope")
    )
    writer = StoreWriter(path=store_path)
    writer.start()
    writer.write([*error.events, *transaction.events])
    writer.stop()
    trace_id = error.events[0].columns["trace_id"]
    assert trace_id
    conn = connect(store_path, readonly=True)
    related = related_events(conn, trace_id=trace_id)
    assert {e.kind for e in related} == {"error", "transaction"}
    assert all(e.via == "trace" for e in related)
    conn.close()
