"""The Sentry decoder on recorded sentry-python envelopes, hand-written JavaScript-shaped ones,
and broken variants of both."""

from __future__ import annotations

import copy
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import orjson
import pytest

from console.core.errors import IngestError
from console.core.events import KIND_TABLES, Event, Kind
from console.core.ingest.envelope import parse_envelope
from console.core.ingest.limits import MAX_BREADCRUMBS
from console.core.ingest.sentry import SentryBatch, decode_envelope, decode_store_event
from console.core.store.schema import CHILD_TABLES, migrate
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000
SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"
FIXTURES = sorted(p.name for p in SENTRY.glob("*.envelope"))


def body(name: str) -> bytes:
    return (SENTRY / name).read_bytes()


def decode(name_or_body: str | bytes, **options: Any) -> SentryBatch:
    raw = body(name_or_body) if isinstance(name_or_body, str) else name_or_body
    return decode_envelope(raw, project="shop", now_ms=NOW, **options)


def envelope(*items: tuple[dict[str, Any], Any], header: dict[str, Any] | None = None) -> bytes:
    """An envelope with length-framed items; payloads that are not bytes are JSON-encoded."""
    parts = [orjson.dumps(header or {})]
    for item_header, payload in items:
        data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        parts += [orjson.dumps({**item_header, "length": len(data)}), data]
    return b"\n".join(parts) + b"\n"


def item_json(name: str, index: int = 0) -> Any:
    return orjson.loads(parse_envelope(body(name)).items[index].payload)


def only(batch: SentryBatch, kind: Kind) -> Event:
    found = [e for e in batch.events if e.kind is kind]
    assert len(found) == 1, [e.kind for e in batch.events]
    return found[0]


# --- every fixture -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_decodes_cleanly_into_the_schema(name: str) -> None:
    batch = decode(name)
    assert batch.events and batch.rejected == [] and not batch.unsupported and not batch.refused
    conn = sqlite3.connect(":memory:")
    migrate(conn)

    def columns(table: str) -> set[str]:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}

    for event in batch.events:
        assert event.project == "shop" and isinstance(event.timestamp, int)
        assert 0 < len(event.summary) <= 310 and "\n" not in event.summary
        assert set(event.columns) <= columns(KIND_TABLES[event.kind]), event.kind
        assert all(v is None or type(v) in (str, int, float) for v in event.columns.values())
        assert event.data["_format"] == "sentry"
        orjson.dumps(event.data)
        for table, row in event.children:
            assert table in CHILD_TABLES
            assert set(row) == columns(table) - {"id", "event_id"}, table


def test_fixture_events_commit_through_the_real_writer(tmp_path: Path) -> None:
    events = [event for name in FIXTURES for event in decode(name).events]
    writer = StoreWriter(path=tmp_path / "store.sqlite")
    writer.start()
    try:
        writer.write(events)
    finally:
        writer.stop()
    conn = sqlite3.connect(tmp_path / "store.sqlite")
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(events)
    counts = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert counts["error"] == 10 and counts["page_load"] == 4 and counts["spans"] == 1
    (attachment,) = conn.execute("SELECT filename, body FROM attachments WHERE filename = 'cart.json'").fetchall()
    assert attachment[1] == b'{"lines": [{"sku": "sku-88", "price": null}]}'
    assert conn.execute("SELECT count(*) FROM raw_payloads").fetchone()[0] == 10
    assert conn.execute("SELECT count(*) FROM spans WHERE trace_id IS NOT NULL").fetchone()[0] == 14


def test_the_recorded_brotli_body_is_the_same_envelope() -> None:
    compressed = (SENTRY / "python-error-1.envelope.br").read_bytes()
    assert brotli.decompress(compressed) == body("python-error-1.envelope")


# --- errors --------------------------------------------------------------------------------


def test_python_exception_with_breadcrumbs_and_attachment() -> None:
    raw = body("python-error-1.envelope")
    batch = decode(raw)
    error = only(batch, Kind.ERROR)
    header = parse_envelope(raw).headers
    c = error.columns
    assert c["error_type"] == "TypeError"
    assert c["message"] == "unsupported operand type(s) for *: 'NoneType' and 'int'"
    assert error.summary == "TypeError: unsupported operand type(s) for *: 'NoneType' and 'int'"
    # Frames arrive oldest first (capture, <lambda>, sum_cart, <genexpr>): the culprit is the
    # innermost in-app frame, so they were reversed for the grouper.
    assert re.fullmatch(r"<genexpr> \(__main__:\d+\)", c["culprit"])
    assert (c["level"], c["route"], c["release"], c["environment"]) == (
        "error", "POST /api/checkout", "shop@2.3.1", "staging",
    )
    assert c["error_id"] == batch.event_id == header["event_id"]
    assert c["trace_id"] == header["trace"]["trace_id"]
    assert (error.session_id, error.user_id) == ("s-7f3a9c", "u-1042")
    assert batch.dsn_key == "lookoutpublickey" and batch.dsn_project is None
    assert [b["category"] for b in error.data["breadcrumbs"]] == ["navigation", "ui.click", "http"]
    assert error.data["exception"]["values"][0]["type"] == "TypeError"
    (raw_table, raw_row), (att_table, att_row) = error.children
    assert raw_table == "raw_payloads" and att_table == "attachments"
    assert raw_row["format"] == "sentry-envelope" and raw_row["truncated"] == 0
    framed = parse_envelope(raw)
    item = framed.items[0]
    assert raw_row["size"] == len(framed.raw_header) + len(item.raw_header) + len(item.payload) + 2
    assert raw_row["body"].split(b"\n")[0] == raw.split(b"\n")[0]
    assert orjson.loads(raw_row["body"].split(b"\n")[2])["event_id"] == c["error_id"]
    assert att_row["filename"] == "cart.json" and att_row["content_type"] == "application/json"
    assert (att_row["size"], att_row["truncated"], att_row["attachment_type"]) == (45, 0, "event.attachment")


def test_the_raw_item_is_cut_to_raw_cap() -> None:
    error = only(decode("python-error-1.envelope", raw_cap=100), Kind.ERROR)
    row = error.children[0][1]
    assert len(row["body"]) == 100 and row["truncated"] == 1 and row["size"] > 5000


def test_chained_exception_takes_the_outermost_type_and_message() -> None:
    error = only(decode("python-chained.envelope"), Kind.ERROR)
    assert error.columns["error_type"] == "PaymentDeclined"
    assert error.columns["message"] == "card declined for order order-8812"
    assert error.columns["culprit"].startswith("charge (__main__:")
    assert [v["type"] for v in error.data["exception"]["values"]] == ["KeyError", "PaymentDeclined"]


def test_a_message_event() -> None:
    error = only(decode("python-message.envelope"), Kind.ERROR)
    assert error.columns["error_type"] == "Message"
    assert error.columns["message"] == "Low stock for sku-88: 2 left"
    assert error.columns["level"] == "warning" and error.columns["culprit"] is None
    assert error.summary == "Message: Low stock for sku-88: 2 left"
    assert error.data["breadcrumbs"] == []


def test_a_javascript_error_with_float_timestamps_and_newline_items() -> None:
    batch = decode("js-error.hand-written.envelope")
    error = only(batch, Kind.ERROR)
    assert error.timestamp == 1764288003512
    assert error.columns["culprit"] == "sumCart (https://shop.example.com/static/js/main.8f3a.js:1)"
    assert error.columns["route"] == "/products/:id"
    assert (error.session_id, error.user_id) == ("s-web-51c2", "u-2077")
    assert len(error.data["breadcrumbs"]) == 4
    assert [t for t, _ in error.children] == ["raw_payloads", "attachments"]
    assert error.children[1][1]["filename"] == "state.json"
    assert (batch.dsn_key, batch.dsn_project) == ("jspublickey", "42")


def test_same_exception_from_one_place_is_one_issue_and_another_function_is_another() -> None:
    first, second, other = (
        only(decode(f"python-grouping-{n}.envelope"), Kind.ERROR) for n in (1, 2, 3)
    )
    assert first.columns["message"] != second.columns["message"]
    assert first.columns["fingerprint"] == second.columns["fingerprint"]
    assert other.columns["fingerprint"] != first.columns["fingerprint"]
    assert other.columns["culprit"].startswith("apply_coupon")


def test_client_fingerprint_with_default() -> None:
    payload = item_json("js-error.hand-written.envelope")
    assert payload["fingerprint"] == ["{{ default }}", "checkout"]

    def fingerprint_of(fp: Any) -> str:
        event = copy.deepcopy(payload)
        event.pop("fingerprint")
        if fp is not None:
            event["fingerprint"] = fp
        batch = decode(envelope(({"type": "event"}, event)))
        return str(only(batch, Kind.ERROR).columns["fingerprint"])

    with_default, plain = fingerprint_of(["{{ default }}", "checkout"]), fingerprint_of(None)
    assert with_default != plain
    assert fingerprint_of(["{{default}}"]) == plain
    assert fingerprint_of(["checkout"]) not in (plain, with_default)
    assert fingerprint_of([{"not": "a string"}]) == plain


def test_breadcrumbs_keep_the_newest_hundred() -> None:
    crumbs = [{"message": f"crumb {n}", "timestamp": 1764288000 + n} for n in range(130)]
    batch = decode(envelope(({"type": "event"}, {"message": "m", "breadcrumbs": {"values": crumbs}})))
    data = only(batch, Kind.ERROR).data
    assert len(data["breadcrumbs"]) == MAX_BREADCRUMBS
    assert data["breadcrumbs"][0]["message"] == "crumb 30" and data["breadcrumbs_dropped"] == 30


@pytest.mark.parametrize(
    ("fields", "column", "expected"),
    [
        ({"message": {"formatted": "formatted text", "message": "raw %s"}}, "message", "formatted text"),
        ({"message": {"message": "raw %s"}}, "message", "raw %s"),
        ({"logentry": {"message": "order %s", "formatted": "order 1"}}, "message", "order 1"),
        ({"exception": [{"type": "ValueError", "value": "bad"}]}, "error_type", "ValueError"),
        ({"exception": {"values": [{"value": "no type"}]}}, "error_type", "Error"),
        ({"message": "m", "level": "warn"}, "level", "warning"),
        ({"message": "m", "level": "critical"}, "level", "fatal"),
        ({"message": "m", "level": "nonsense"}, "level", "error"),
        ({"message": "m", "culprit": "views.checkout"}, "culprit", "views.checkout"),
        ({"message": "m", "transaction": "GET /cart"}, "culprit", "GET /cart"),
        ({"message": "m", "request": {"url": "https://shop/cart"}}, "route", "https://shop/cart"),
    ],
)
def test_error_fields_in_their_several_shapes(fields: dict[str, Any], column: str, expected: str) -> None:
    error = only(decode(envelope(({"type": "event"}, fields))), Kind.ERROR)
    assert error.columns[column] == expected


def test_user_and_session_fallbacks() -> None:
    event = {"message": "m", "user": {"ip_address": "{{auto}}", "email": "a@b.c"}, "tags": [["session_id", "s-1"]]}
    error = only(decode(envelope(({"type": "event"}, event))), Kind.ERROR)
    assert (error.user_id, error.session_id) == ("a@b.c", "s-1")
    with_session = envelope(
        ({"type": "event"}, {"message": "m"}),
        ({"type": "session"}, {"sid": "sid-9", "status": "ok", "attrs": {"release": "r"}}),
    )
    assert only(decode(with_session), Kind.ERROR).session_id == "sid-9"


def test_timestamps_rfc3339_floats_naive_and_missing() -> None:
    def ts(value: Any) -> int:
        return only(decode(envelope(({"type": "event"}, {"message": "m", "timestamp": value}))), Kind.ERROR).timestamp

    assert ts("2025-11-28T00:00:03.5Z") == ts(1764288003.5) == ts("2025-11-28T00:00:03.500") == 1764288003500
    assert ts(None) == NOW
    batch = decode(envelope(({"type": "event"}, {"message": "m", "timestamp": "yesterday"})))
    assert batch.events == [] and "not an RFC 3339 time" in batch.rejected[0] and batch.refused


def test_the_legacy_store_endpoint() -> None:
    event = item_json("python-message.envelope")
    raw = orjson.dumps(event)
    batch = decode_store_event(raw, project="shop", now_ms=NOW)
    error = only(batch, Kind.ERROR)
    assert batch.event_id == event["event_id"] and error.columns["level"] == "warning"
    assert error.children[0][1]["format"] == "sentry-store" and error.children[0][1]["body"] == raw
    tx = decode_store_event(orjson.dumps(item_json("python-transaction.envelope")), project="shop", now_ms=NOW)
    assert only(tx, Kind.TRANSACTION).columns["span_count"] == 3
    bad = decode_store_event(b'{"exception": 5}', project="shop", now_ms=NOW)
    assert bad.refused and "'exception'" in bad.rejected[0]
    for broken, code in ((b"{", "invalid_json"), (b"[1]", "invalid_shape")):
        with pytest.raises(IngestError) as raised:
            decode_store_event(broken, project="shop", now_ms=NOW)
        assert raised.value.code == code and raised.value.status == 400


# --- transactions, spans, page loads -------------------------------------------------------


def test_python_transaction_with_child_spans() -> None:
    tx = only(decode("python-transaction.envelope"), Kind.TRANSACTION)
    c = tx.columns
    assert (c["name"], c["op"], c["span_count"], c["route"]) == ("POST /api/orders", "http.server", 3, "POST /api/orders")
    assert c["tx_id"] == item_json("python-transaction.envelope")["contexts"]["trace"]["span_id"]
    assert c["duration_ms"] > 30 and (c["release"], c["environment"]) == ("shop@2.3.1", "staging")
    rows = [row for _, row in tx.children]
    assert [r["op"] for r in rows] == ["db.query", "http.client", "template.render"]
    assert all(r["parent_id"] == c["tx_id"] and r["trace_id"] == c["trace_id"] for r in rows)
    assert 0 <= rows[0]["start_ms"] < rows[1]["start_ms"] < rows[2]["start_ms"]
    assert rows[0]["duration_ms"] >= 9 and rows[1]["status"] == "ok"
    assert "spans" not in tx.data
    assert tx.summary.startswith("http.server POST /api/orders ") and tx.summary.endswith(" (3 spans)")


def test_javascript_pageload_transaction_with_web_vitals() -> None:
    batch = decode("js-pageload.hand-written.envelope")
    tx, load = only(batch, Kind.TRANSACTION), only(batch, Kind.PAGE_LOAD)
    assert tx.columns["duration_ms"] == 2840.0 and tx.columns["span_count"] == 3
    assert tx.columns["route"] == "https://shop.example.com/products/88" and tx.columns["op"] == "pageload"
    assert tx.children[0][1]["start_ms"] == 350.0 and tx.children[0][1]["duration_ms"] == 12.0
    c = load.columns
    assert (c["route"], c["platform"], c["release"]) == ("/products/:id", "javascript", "shop-web@4.1.0")
    assert (c["lcp"], c["fcp"], c["cls"], c["ttfb"], c["inp"]) == (2140.0, 1180.0, 0.04, 320.5, None)
    assert load.timestamp == tx.timestamp == 1764288000100
    assert load.summary == "/products/:id LCP 2140 ms"


def test_vitals_from_trace_data_attributes_and_second_units() -> None:
    tx = {
        "type": "transaction", "transaction": "/cart", "start_timestamp": 1764288000.0, "timestamp": 1764288001.0,
        "contexts": {"trace": {"op": "navigation", "data": {"browser.web_vital.fcp.value": 640.5}}},
        "measurements": {"lcp": {"value": 1.25, "unit": "second"}, "cls": {"value": 0.5, "unit": "second"},
                         "ttfb": {"value": "fast"}, "fid": {"value": -3}},
    }
    load = only(decode(envelope(({"type": "transaction"}, tx))), Kind.PAGE_LOAD)
    assert (load.columns["fcp"], load.columns["lcp"], load.columns["cls"]) == (640.5, 1250.0, 0.5)
    assert load.columns["ttfb"] is None and load.columns["fid"] is None


def test_streamed_python_spans_become_a_transaction() -> None:
    tx = only(decode("python-spans-v2.envelope"), Kind.TRANSACTION)
    assert (tx.columns["name"], tx.columns["op"], tx.columns["status"]) == ("GET /api/products", "http.server", "ok")
    assert tx.columns["span_count"] == 2 and tx.columns["release"] == "shop@2.3.1"
    assert sorted(r["name"] for _, r in tx.children) == ["SELECT products", "render products"]
    assert all(r["start_ms"] >= 0 and r["data"]["attributes"]["sentry.op"] == r["op"] for _, r in tx.children)


def test_v2_pageload_segment_folds_its_web_vital_spans() -> None:
    batch = decode("js-spans-v2.hand-written.envelope")
    tx, load = only(batch, Kind.TRANSACTION), only(batch, Kind.PAGE_LOAD)
    assert tx.columns["name"] == "/checkout" and tx.columns["span_count"] == 4
    assert tx.columns["route"] == "https://shop.example.com/checkout" and tx.user_id == "u-2077"
    c = load.columns
    assert (c["lcp"], c["cls"], c["fcp"], c["ttfb"]) == (1264.5, 0.021, 846.7, 210.4)
    assert (c["route"], c["platform"], c["release"]) == ("/checkout", "Chrome", "shop-web@4.1.0")
    assert [r["op"] for _, r in tx.children][:2] == ["ui.webvital.lcp", "ui.webvital.cls"]


def test_v2_inp_span_and_spans_whose_segment_is_elsewhere() -> None:
    batch = decode("js-spans-v2-partial.hand-written.envelope")
    assert not [e for e in batch.events if e.kind is Kind.TRANSACTION]  # the INP span is a measurement
    spans = only(batch, Kind.SPANS)
    assert spans.columns == {"trace_id": "2b3c4d5e6f708192a3b4c5d6e7f80910", "span_count": 2}
    assert [r["start_ms"] for _, r in spans.children] == [0.0, 350.0]
    assert spans.children[1][1]["status"] == "error" and spans.timestamp == 1764288108100
    inp = only(batch, Kind.PAGE_LOAD)
    assert (inp.columns["inp"], inp.columns["route"], inp.columns["lcp"]) == (232.0, "/checkout", None)
    assert inp.summary == "/checkout INP 232 ms"


def test_v1_standalone_inp_span() -> None:
    batch = decode("js-inp-span.hand-written.envelope")
    (load,) = batch.events
    assert load.kind is Kind.PAGE_LOAD
    c = load.columns
    assert (c["inp"], c["route"], c["release"]) == (184.0, "/products/:id", "shop-web@4.1.0")
    assert all(c[k] is None for k in ("lcp", "fcp", "cls", "ttfb", "fid"))


def test_span_container_keeps_good_spans_and_rejects_bad_ones() -> None:
    good = {"trace_id": "t1", "span_id": "s1", "name": "GET /a", "is_segment": True,
            "start_timestamp": 1.0, "end_timestamp": 2.0, "attributes": {"sentry.op": {"type": "string", "value": "http.server"}}}
    bad = [{"trace_id": "t1", "name": "no id", "start_timestamp": 1.0}, 5, {**good, "span_id": "s3", "is_segment": "yes"}]
    batch = decode(envelope(({"type": "span", "content_type": "application/vnd.sentry.items.span.v2+json"},
                             {"items": [good, *bad]})))
    assert only(batch, Kind.TRANSACTION).columns["duration_ms"] == 1000.0
    assert len(batch.rejected) == 3 and not batch.refused
    assert batch.rejected[0] == "item 1 (span) span 1: 'span_id' is required"
    assert batch.rejected[1] == "item 1 (span) span 2: a span must be a JSON object"
    assert batch.rejected[2] == "item 1 (span) span 3: 'is_segment' must be a boolean"


# --- logs, sessions, client reports --------------------------------------------------------


def test_python_structured_logs() -> None:
    logs = decode("python-logs.envelope").events
    assert [e.kind for e in logs] == [Kind.LOG] * 4
    assert [e.columns["level"] for e in logs] == ["info", "warning", "error", "error"]
    assert [e.columns["message"] for e in logs][1] == "coupon SPRING24 expired"
    assert [e.columns["source"] for e in logs] == ["sentry", "sentry", "sentry", "shop.checkout"]
    assert {e.columns["environment"] for e in logs} == {"staging"}
    assert len({e.columns["trace_id"] for e in logs}) == 1
    assert logs[0].data["attributes"]["sentry.release"] == "shop@2.3.1"
    assert logs[0].data["attributes"]["sentry.message.parameter.count"] == 3
    assert logs[1].summary == "warning: coupon SPRING24 expired"


def test_javascript_logs_levels_origin_and_parent_span() -> None:
    logs = decode("js-logs.hand-written.envelope").events
    assert [e.columns["level"] for e in logs] == ["debug", "warning", "fatal"]
    assert logs[0].columns["source"] == "auto.console.logging"
    assert logs[0].columns["span_id"] == "d1e2f3a4b5c6d7e8" and logs[0].timestamp == 1764288100920
    assert logs[2].user_id == "u-2077"


def test_a_bad_log_entry_costs_only_itself() -> None:
    entries = [{"body": "ok", "severity_number": 17}, {"level": "info"}, "x", {"body": "late", "timestamp": "soon"}]
    batch = decode(envelope(({"type": "log"}, {"items": entries})))
    assert [e.columns["level"] for e in batch.events] == ["error"]
    assert [r.split(": ", 1)[0] for r in batch.rejected] == ["item 1 (log) log 1", "item 1 (log) log 2", "item 1 (log) log 3"]


def test_a_session_update() -> None:
    update = only(decode("python-session-2.envelope"), Kind.SESSION_UPDATE)
    sid = item_json("python-session-2.envelope")["sid"]
    assert (update.session_id, update.user_id) == (sid, "u-1042")
    assert update.columns == {
        "status": "exited", "release": "shop@2.3.1", "environment": "staging", "errors": 1,
        "quantity": 1, "init": 1, "duration_s": None,
    }
    assert update.summary == "session exited, 1 error (shop@2.3.1)"


def test_session_aggregates_give_one_event_per_status() -> None:
    events = decode("python-sessions-2.envelope").events
    assert [(e.columns["status"], e.columns["quantity"]) for e in events] == [("exited", 2), ("errored", 1)]
    assert {e.columns["release"] for e in events} == {"shop@2.3.1"}
    assert events[0].summary == "2 sessions exited (shop@2.3.1)"


def test_client_reports() -> None:
    report = only(decode("js-client-report.hand-written.envelope"), Kind.CLIENT_REPORT)
    assert report.columns == {"discarded": 3}
    assert report.summary == "client dropped 3 events (ratelimit_backoff: error 3)"
    python = only(decode("python-client-report-2.envelope"), Kind.CLIENT_REPORT)
    assert python.summary == "client dropped 3 events (before_send: error 3)"
    counted = {"discarded_events": [{"reason": "queue_overflow", "category": "log_byte", "quantity": 9000},
                                    {"reason": "sample_rate", "category": "transaction", "quantity": 1}]}
    assert only(decode(envelope(({"type": "client_report"}, counted))), Kind.CLIENT_REPORT).columns["discarded"] == 1


# --- one bad item, unsupported items, limits -----------------------------------------------


def test_a_non_json_item_is_rejected_and_the_others_kept() -> None:
    batch = decode(envelope(({"type": "event"}, b"{not json"), ({"type": "event"}, {"message": "fine"})))
    assert [e.columns["message"] for e in batch.events] == ["fine"]
    assert batch.rejected[0].startswith("item 1 (event): the payload is not JSON")
    assert not batch.refused


def test_unknown_item_types_are_counted_not_refused() -> None:
    batch = decode(envelope(
        ({"type": "profile"}, {"x": 1}), ({"type": "replay_event"}, {}), ({"type": "replay_recording"}, b"\x00\x01"),
        ({"type": "check_in"}, {}), ({"type": "profile"}, {}), ({"type": "attachment", "filename": "a.txt"}, b"hi"),
    ))
    assert batch.unsupported == {"profile": 2, "replay_event": 1, "replay_recording": 1, "check_in": 1, "attachment": 1}
    assert batch.events == [] and batch.rejected == [] and not batch.refused


def test_an_item_over_one_mebibyte_is_rejected_as_too_large() -> None:
    huge = {"message": "big", "extra": {"blob": "x" * (1024 * 1024)}}
    batch = decode(envelope(({"type": "event"}, huge), ({"type": "log"}, {"items": [{"body": "small"}]})))
    assert [e.kind for e in batch.events] == [Kind.LOG]
    assert batch.rejected[0].startswith("too large: item 1 (event) is 1,048,") and not batch.refused
    alone = decode(envelope(({"type": "event"}, huge)))
    assert alone.refused and alone.events == []


def test_an_invalid_event_is_rejected_with_its_reason() -> None:
    for event, reason in (
        ([1, 2], "must be a JSON object, not list"),
        ({"exception": {"values": "x"}}, "'exception' must be"),
        ({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [1]}}]}}, "must hold objects"),
        ({"message": "m", "breadcrumbs": 3}, "'breadcrumbs' must be"),
        ({"message": "m", "user": "u"}, "'user' must be an object"),
        ({"message": ["m"]}, "'message' must be a string"),
    ):
        batch = decode(envelope(({"type": "event"}, event)))
        assert batch.refused and reason in batch.rejected[0], (event, batch.rejected)


def test_assign_project_moves_events_and_their_rows() -> None:
    batch = decode("js-error.hand-written.envelope")
    batch.assign_project(batch.dsn_project or "")
    assert {e.project for e in batch.events} == {"42"}
    assert {row["project"] for e in batch.events for _, row in e.children} == {"42"}


def test_items_without_type_are_rejected() -> None:
    batch = decode(envelope(({}, {"message": "m"})))
    assert batch.rejected == ["item 1: the item header has no 'type'"] and batch.refused


# --- hostile input -------------------------------------------------------------------------

_HOSTILE: list[Any] = [None, True, -1, 1e300, "", "x" * 300, [], {}, [1, {"a": None}], {"value": {"deep": []}}]


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    if depth >= 5:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in list(items)[:25]:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key), depth + 1)


@pytest.mark.parametrize("name", FIXTURES)
def test_wrong_types_anywhere_never_raise_anything_but_rejections(name: str) -> None:
    framed = parse_envelope(body(name))
    rng = random.Random(name)
    for index, item in enumerate(framed.items):
        if item.type == "attachment":
            continue
        original = orjson.loads(item.payload)
        paths = list(_paths(original))
        for path in rng.sample(paths, min(len(paths), 120)):
            for hostile in rng.sample(_HOSTILE, 4):
                mutated = copy.deepcopy(original)
                cursor = mutated
                for key in path[:-1]:
                    cursor = cursor[key]
                cursor[path[-1]] = hostile
                items = [(dict(i.headers), orjson.loads(i.payload) if n == index else i.payload)
                         for n, i in enumerate(framed.items)]
                items[index] = (items[index][0], mutated)
                for h, _ in items:
                    h.pop("length", None)
                batch = decode(envelope(*items, header=framed.headers))
                for event in batch.events:
                    orjson.dumps(event.data)
                    assert all(v is None or type(v) in (str, int, float) for v in event.columns.values())
