"""The writer stores what the Performance panel filters on (release, environment, platform,
device) for every sender's page loads and transactions, also in a store it upgraded."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

from console.core.events import Event
from console.core.ingest.otlp import decode_otlp
from console.core.ingest.sentry import decode_envelope
from console.core.store.schema import SCHEMA_VERSION, connect, migrate
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

PAYLOADS = Path(__file__).resolve().parents[3] / "fixtures" / "payloads"
WHERE = "project, release, environment, platform, device"


def example(examples: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in examples if e["type"] == kind))


def sender_events(native_examples: list[dict[str, Any]]) -> list[Event]:
    device = example(native_examples, "page_view")["deviceInfo"]
    load, tx = example(native_examples, "page_load"), example(native_examples, "transaction")
    for payload in (load, tx):
        payload["deviceInfo"] = device
        payload["context"] = {"appVersion": "2.3.1", "environment": "production"}
    sentry = decode_envelope(
        (PAYLOADS / "sentry" / "js-pageload.hand-written.envelope").read_bytes(), project="web", now_ms=NOW
    )
    otlp = decode_otlp(
        "traces", (PAYLOADS / "otlp" / "traces.pb").read_bytes(), content_type="application/x-protobuf",
        project=None, now_ms=NOW,
    )
    browser = decode_otlp(
        "logs", (PAYLOADS / "otlp" / "browser-logs.hand-written.json").read_bytes(),
        content_type="application/json", project=None, now_ms=NOW,
    )
    return [*events_of([load, tx]), *sentry.events, *otlp.events, *browser.events]


def rows(path: Path, table: str) -> set[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute(f"SELECT {WHERE} FROM {table}").fetchall())
    finally:
        conn.close()


def test_a_store_at_schema_4_is_upgraded_by_the_writer_and_keeps_its_rows(
    store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    conn = connect(store_path)
    migrate(conn, target=4)
    # Received recently enough that the writer's retention keeps them.
    conn.execute("INSERT INTO events VALUES (1, 'page_load', 'old', ?, ?, NULL, NULL, 'pages/a loaded')", (NOW, NOW))
    conn.execute("INSERT INTO events VALUES (2, 'transaction', 'old', ?, ?, NULL, NULL, 'tx 1 ms')", (NOW, NOW))
    conn.execute(
        "INSERT INTO page_loads (event_id, ts, project, route, release, platform, lcp, data)"
        " VALUES (1, ?, 'old', 'pages/a', '1.0', 'ios', 1000.0, '{}')", (NOW,)
    )
    conn.execute(
        "INSERT INTO transactions (event_id, ts, project, name, release, environment, data)"
        " VALUES (2, ?, 'old', 'tx', '1.0', 'production', '{}')", (NOW,)
    )
    conn.close()

    writer = StoreWriter(path=store_path)
    writer.start()
    try:
        writer.write(sender_events(native_examples))
    finally:
        writer.stop()

    assert rows(store_path, "page_loads") == {
        ("old", "1.0", None, "ios", None),
        ("shop", "2.3.1", "production", "ios", "iPhone 15"),
        ("web", "shop-web@4.1.0", "production", "javascript", None),
        ("acme-shop-web", "5.0.2", "production", "iOS", None),
    }
    assert rows(store_path, "transactions") == {
        ("old", "1.0", "production", None, None),
        ("shop", "2.3.1", "production", "ios", "iPhone 15"),
        ("web", "shop-web@4.1.0", "production", "javascript", None),
        ("shop-api", "2.3.1", "staging", None, None),
    }
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT min(id) FROM events").fetchone()[0] == 1  # the old events stay
    assert conn.execute("SELECT count(*) FROM events WHERE id > 2").fetchone()[0] > 0  # new ids after them
    conn.close()
