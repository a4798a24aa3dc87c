"""A stored transaction's waterfall, written through the real decoders and writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core.events import Event, Kind
from console.core.ingest.otlp import decode_otlp
from console.core.ingest.sentry import decode_envelope
from console.core.store import perf_spans
from console.core.store.perf_spans import transaction_waterfall
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

PAYLOADS = Path(__file__).resolve().parents[3] / "fixtures" / "payloads"


@pytest.fixture
def reader(store_path: Path, writer: StoreWriter) -> Iterator[sqlite3.Connection]:
    conn = connect(store_path, readonly=True)
    yield conn
    conn.close()


def write(writer: StoreWriter, reader: sqlite3.Connection, events: list[Event]) -> int:
    """Commit ``events`` and return the event id of the (only) transaction among them."""
    writer.write(events)
    (event_id,) = reader.execute("SELECT max(event_id) FROM transactions").fetchone()
    return int(event_id)


def test_a_native_transaction_on_its_own_clock(
    writer: StoreWriter, reader: sqlite3.Connection, native_examples: list[dict[str, Any]]
) -> None:
    event_id = write(writer, reader, events_of(native_examples))
    w = transaction_waterfall(reader, event_id)
    assert w is not None
    assert (w.event_id, w.name, w.duration_ms, w.status, w.session_id) == (
        event_id, "checkout.submit", 878.5, "ok", "s-7f3a9c",
    )
    assert [(r.span_id, r.depth, r.op) for r in w.rows] == [
        ("tx-5d1e", 0, None), ("sp-1", 1, "function"), ("sp-2", 1, "http.client"), ("sp-3", 1, "ui.render"),
    ]
    assert [r.start_ms for r in w.rows] == [0.0, pytest.approx(0.6), pytest.approx(13.7), pytest.approx(817.6)]
    assert w.rows[2].status == "201" and not w.rows[2].failed


def test_an_otlp_trace_with_a_failed_grandchild(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    body = (PAYLOADS / "otlp" / "traces.pb").read_bytes()
    batch = decode_otlp("traces", body, content_type="application/x-protobuf", project="shop", now_ms=NOW)
    event_id = write(writer, reader, batch.events)
    w = transaction_waterfall(reader, event_id)
    assert w is not None and w.name == "POST /api/orders"
    assert [(r.description, r.depth, r.start_ms, r.duration_ms, r.failed) for r in w.rows] == [
        ("POST /api/orders", 0, 0.0, 250.0, False),
        ("validate-cart", 1, 5.0, 20.0, False),
        ("SELECT orders", 1, 30.0, 50.0, False),
        ("charge-card", 1, 90.0, 110.0, True),
        ("POST", 2, 100.0, 90.0, True),
    ]
    assert [r.self_ms for r in w.rows] == [70.0, 20.0, 50.0, 20.0, 90.0]
    assert [r.parent_id for r in w.rows[1:]] == [w.rows[0].span_id] * 3 + [w.rows[3].span_id]


def test_a_sentry_transaction(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    body = (PAYLOADS / "sentry" / "python-transaction.envelope").read_bytes()
    batch = decode_envelope(body, project="1", now_ms=NOW)
    event_id = write(writer, reader, batch.events)
    w = transaction_waterfall(reader, event_id)
    assert w is not None
    assert [(r.op, r.depth) for r in w.rows] == [
        ("http.server", 0), ("db.query", 1), ("http.client", 1), ("template.render", 1),
    ]
    assert all(0 <= r.start_ms <= r.end_ms <= w.duration_ms for r in w.rows)
    assert w.trace_id is not None and w.dropped == 0


def test_no_waterfall_for_an_id_that_is_not_a_transaction(
    writer: StoreWriter, reader: sqlite3.Connection, native_examples: list[dict[str, Any]]
) -> None:
    writer.write(events_of(native_examples))
    assert transaction_waterfall(reader, 999_999) is None
    (log_id,) = reader.execute("SELECT event_id FROM logs").fetchone()
    assert transaction_waterfall(reader, log_id) is None
    # Spans whose root never came (an OTLP span batch) have spans rows but no transaction.
    body = (PAYLOADS / "otlp" / "traces-children-first.pb").read_bytes()
    batch = decode_otlp("traces", body, content_type="application/x-protobuf", project="shop", now_ms=NOW)
    assert [e.kind for e in batch.events] == [Kind.SPANS]
    writer.write(batch.events)
    (batch_id,) = reader.execute("SELECT max(event_id) FROM spans").fetchone()
    assert transaction_waterfall(reader, batch_id) is None


def dict_rows(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


@pytest.mark.parametrize("factory", [sqlite3.Row, dict_rows])
def test_the_connection_s_row_factory_does_not_matter(
    writer: StoreWriter, reader: sqlite3.Connection, native_examples: list[dict[str, Any]], factory: Any
) -> None:
    event_id = write(writer, reader, events_of(native_examples))
    reader.row_factory = factory
    w = transaction_waterfall(reader, event_id)
    assert w is not None and w.span_count == 3 and w.rows[1].span_id == "sp-1"


def test_spans_are_read_through_their_index(reader: sqlite3.Connection) -> None:
    plan = " ".join(row[-1] for row in reader.execute(f"EXPLAIN QUERY PLAN {perf_spans._SPANS_SQL}", (1,)))
    assert "USING INDEX spans_event" in plan and "TEMP B-TREE" not in plan


def test_a_thousand_spans_are_read_quickly(writer: StoreWriter, reader: sqlite3.Connection) -> None:
    spans = [{"id": f"sp-{i}", "parentId": f"sp-{i // 10}" if i >= 10 else None, "name": f"step {i}",
              "op": "function", "startTime": 1000.0 + i, "duration": 5.0} for i in range(1_000)]
    payload = {"type": "transaction", "timestamp": NOW, "sessionId": "s-1",
               "transaction": {"id": "tx-big", "name": "big", "startTime": 1000.0, "duration": 1_010.0,
                               "spans": spans + [{"id": "sp-extra", "startTime": 1.0}] * 20}}
    event_id = write(writer, reader, events_of([payload]))
    w = transaction_waterfall(reader, event_id)
    assert w is not None
    assert (w.span_count, w.dropped, w.rows[1].span_id, w.rows[1].start_ms) == (1_000, 20, "sp-0", 0.0)
    assert max(r.depth for r in w.rows) == 3
