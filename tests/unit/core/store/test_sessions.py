"""The bucketed session index, retention of what Sentry events bring, and trace timelines."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from console.core.ingest.sentry import decode_envelope
from console.core.store.log_queries import LogQuery, fetch_logs, related_events
from console.core.store.retention import RetentionPolicy
from console.core.store.schema import connect
from console.core.store.sessions import _SQL, session_event_ids
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.test_retention import DAY, run

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


def log(message: str, session: str) -> dict[str, Any]:
    return {"type": "log", "level": "info", "message": message, "sessionId": session}


def test_a_session_is_found_across_buckets_newest_first(store_path: Path, monkeypatch) -> None:
    writer = StoreWriter(path=store_path)
    writer.start()
    try:
        # 3 buckets of 4,096 ids: the session's events sit in the first and the last.
        writer.write(events_of([log("a1", "s-a"), log("b1", "s-b")]))
        writer.write(events_of([log(f"filler {n}", f"s-f{n % 50}") for n in range(2 * 4096)]))
        writer.write(events_of([log("a2", "s-a"), log("a3", "s-a")]))
    finally:
        writer.stop()
    conn = connect(store_path, readonly=True)
    newest = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    assert session_event_ids(conn, "s-a") == [newest, newest - 1, 1]
    assert session_event_ids(conn, "s-a", limit=2) == [newest, newest - 1]
    assert session_event_ids(conn, "s-b") == [2]
    assert session_event_ids(conn, "s-none") == []
    plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + _SQL, ("s-a", 10)))
    assert "USING COVERING INDEX events_session (<expr>=? AND session_id=?)" in plan
    conn.close()


def test_an_empty_store_has_no_session_events(store_path: Path) -> None:
    StoreWriter(path=store_path).stop()
    conn = connect(store_path, readonly=True)
    assert session_event_ids(conn, "s-a") == []
    conn.close()


def test_retention_drops_index_entries_and_searchable_logs(store_path: Path) -> None:
    now = 100 * DAY
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    writer.write(events_of([log("stale checkout line", "s-old")]), received=now - 20 * DAY)
    writer.write(events_of([log("fresh checkout line", "s-new")]), received=now)
    writer.stop()
    assert run(store_path, RetentionPolicy(max_age_days=14), now).rows == 1
    conn = sqlite3.connect(store_path)
    assert session_event_ids(conn, "s-old") == [] and session_event_ids(conn, "s-new") == [2]
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
    for table in ("raw_payloads", "attachments", "errors", "events"):
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
