"""The OTLP decoder on payloads recorded from the OpenTelemetry Python SDK (protobuf and
OTLP JSON), on a hand-written browser payload, and on broken variants of each."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from console.core.analysis.grouping import ExceptionInfo, fingerprint
from console.core.errors import IngestError
from console.core.events import KIND_TABLES, Event, Kind
from console.core.ingest.otlp import OtlpBatch, Signal, decode_otlp
from console.core.ingest.otlp_common import parse_python_traceback, sanitise_project
from console.core.store.schema import migrate
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "payloads" / "otlp"
PB, JSON = "application/x-protobuf", "application/json"
RECORDED: list[tuple[Signal, str]] = [
    ("traces", "traces"),
    ("traces", "traces-children-first"),
    ("traces", "traces-root-last"),
    ("logs", "logs"),
    ("metrics", "metrics"),
]
TRACE_ID = "cd613e30d8f16adf91b7584a2265b1f5"
ROOT_ID = "1027c4d1c386bbc4"
CHARGE_ID = "78e510617311d8a3"


def decode(signal: Signal, body: bytes | dict[str, Any], *, content_type: str = JSON,
           project: str | None = None) -> OtlpBatch:
    raw = orjson.dumps(body) if isinstance(body, dict) else body
    return decode_otlp(signal, raw, content_type=content_type, project=project, now_ms=NOW)


def fixture(signal: Signal, name: str, encoding: str = "pb") -> OtlpBatch:
    body = (FIXTURES / f"{name}.{encoding}").read_bytes()
    batch = decode(signal, body, content_type=PB if encoding == "pb" else JSON)
    assert batch.rejected == 0 and batch.message == "", batch.message
    return batch


def of_kind(batch: OtlpBatch, kind: Kind) -> list[Event]:
    return [e for e in batch.events if e.kind is kind]


def span_json(**fields: Any) -> dict[str, Any]:
    span = {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7",
        "name": "GET /", "kind": 2, "startTimeUnixNano": "1764288000000000000",
        "endTimeUnixNano": "1764288000100000000",
    }
    span.update(fields)
    return {k: v for k, v in span.items() if v is not None}


def traces_json(*spans: dict[str, Any], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"resourceSpans": [{"resource": resource or {}, "scopeSpans": [{"spans": list(spans)}]}]}


# --- recorded payloads, both encodings ---------------------------------------------------


@pytest.mark.parametrize(("signal", "name"), RECORDED)
def test_protobuf_and_json_recordings_decode_to_the_same_events(signal: Signal, name: str) -> None:
    from_protobuf = fixture(signal, name, "pb").events
    from_json = fixture(signal, name, "json").events
    assert from_protobuf and from_protobuf == from_json


@pytest.mark.parametrize(("signal", "name"), RECORDED)
def test_protobufs_own_json_mapping_decodes_the_same(signal: Signal, name: str) -> None:
    # MessageToDict's dict (base64 ids, 64-bit integers as strings, camelCase) is what a
    # sender that forgot OTLP's hex rule posts; it reads the same as the protobuf.
    message = {"traces": ExportTraceServiceRequest, "logs": ExportLogsServiceRequest,
               "metrics": ExportMetricsServiceRequest}[signal]()
    message.ParseFromString((FIXTURES / f"{name}.pb").read_bytes())
    as_dict = json_format.MessageToDict(message, use_integers_for_enums=True)
    assert decode(signal, as_dict).events == fixture(signal, name).events
    snake = json_format.MessageToDict(message, preserving_proto_field_name=True)
    assert decode(signal, snake).events == fixture(signal, name).events


def test_a_whole_trace_is_one_transaction_with_its_spans() -> None:
    batch = fixture("traces", "traces")
    (tx,) = of_kind(batch, Kind.TRANSACTION)
    assert tx.project == "shop-api"
    assert tx.timestamp == 1_764_288_000_000
    assert tx.summary == "POST /api/orders 250 ms (4 spans)"
    assert tx.columns == {
        "tx_id": ROOT_ID, "name": "POST /api/orders", "route": "/api/orders", "duration_ms": 250.0,
        "status": "ok", "span_count": 4, "trace_id": TRACE_ID, "op": "http.server",
        "release": "2.3.1", "environment": "staging", "platform": None, "device": None,
    }
    assert (tx.session_id, tx.user_id) == ("s-7f3a9c", "u-1042")
    rows = {row["name"]: row for table, row in tx.children if table == "spans"}
    assert list(rows) == ["validate-cart", "SELECT orders", "charge-card", "POST"]  # by start
    assert {n: r["parent_id"] for n, r in rows.items()} == {
        "validate-cart": ROOT_ID, "SELECT orders": ROOT_ID, "charge-card": ROOT_ID, "POST": CHARGE_ID,
    }
    assert {n: r["start_ms"] for n, r in rows.items()} == {
        "validate-cart": 5.0, "SELECT orders": 30.0, "charge-card": 90.0, "POST": 100.0,
    }
    assert rows["SELECT orders"]["op"] == "db" and rows["SELECT orders"]["duration_ms"] == 50.0
    assert rows["POST"]["op"] == "http.client" and rows["POST"]["status"] == "error"
    assert rows["POST"]["data"]["http.response.status_code"] == 402
    assert all(r["trace_id"] == TRACE_ID and r["project"] == "shop-api" for r in rows.values())
    assert tx.data["_format"] == "otlp" and tx.data["resource"]["service.name"] == "shop-api"


def test_a_recorded_exception_is_an_error_grouped_by_its_python_frames() -> None:
    (error,) = of_kind(fixture("traces", "traces"), Kind.ERROR)
    c = error.columns
    assert (c["error_type"], c["message"]) == ("ValueError", "card declined for order o-8812")
    assert c["level"] == "error" and c["error_id"] is None
    assert c["culprit"].startswith("charge (") and "record.py:" in c["culprit"]
    assert (c["route"], c["release"], c["environment"], c["trace_id"]) == (
        "/api/orders", "2.3.1", "staging", TRACE_ID)
    assert error.timestamp == 1_764_288_000_195
    # The span that threw says nothing of the session; its transaction's root does.
    assert (error.session_id, error.user_id) == ("s-7f3a9c", "u-1042")
    assert error.data["span"] == "charge-card" and error.data["_format"] == "otlp"
    assert error.data["attributes"]["exception.type"] == "ValueError"
    frames = parse_python_traceback(error.data["attributes"]["exception.stacktrace"])
    assert [f.function for f in frames] == ["charge", "pay", "record_traces"]
    assert c["fingerprint"] == fingerprint(
        exceptions=[ExceptionInfo("ValueError", c["message"], frames)], message=c["message"])
    assert error.summary == "ValueError: card declined for order o-8812"


def test_children_exported_before_their_root_are_a_span_batch_then_the_root_follows() -> None:
    (batch,) = fixture("traces", "traces-children-first").events
    assert batch.kind is Kind.SPANS
    trace_id = batch.columns["trace_id"]
    assert len(trace_id) == 32 and batch.columns["span_count"] == 2
    rows = [row for _, row in batch.children]
    assert [r["name"] for r in rows] == ["load-cart", "price-items"]
    assert [r["start_ms"] for r in rows] == [0.0, 35.0]  # from the earliest of them
    assert batch.timestamp == 1_764_288_001_010
    assert batch.summary == f"2 spans of trace {trace_id[:8]} before their root: load-cart, price-items"
    (root,) = fixture("traces", "traces-root-last").events
    assert root.kind is Kind.TRANSACTION and root.columns["span_count"] == 0
    assert root.columns["trace_id"] == trace_id
    assert {r["parent_id"] for r in rows} == {root.columns["tx_id"]}


def test_log_levels_come_from_severity_numbers() -> None:
    batch = fixture("logs", "logs")
    logs = of_kind(batch, Kind.LOG)
    assert [(e.columns["level"], e.columns["message"]) for e in logs] == [
        ("debug", "cart loaded"),
        ("info", "order created"),
        ("warning", "retrying payment"),
        ("error", "payment failed"),
        ("fatal", '{"event":"db.unreachable","host":"db-1","retries":5}'),
    ]
    created = logs[1]
    assert (created.session_id, created.user_id) == ("s-7f3a9c", "u-1042")
    assert len(created.columns["trace_id"]) == 32 and len(created.columns["span_id"]) == 16
    assert logs[0].columns["trace_id"] is None  # logged outside any span
    assert {e.columns["source"] for e in logs} == {"shop.checkout"}
    assert logs[0].columns["environment"] == "staging"
    assert logs[0].timestamp == 1_764_288_002_000 and logs[0].summary == "debug: cart loaded"
    assert logs[4].data["body"] == {"event": "db.unreachable", "host": "db-1", "retries": 5}


def test_a_log_record_with_an_exception_is_an_error_and_not_also_a_log() -> None:
    batch = fixture("logs", "logs")
    assert len(batch.events) == 6
    (error,) = of_kind(batch, Kind.ERROR)
    c = error.columns
    assert (c["error_type"], c["message"], c["level"]) == ("ValueError", "card declined for order o-9917", "error")
    assert c["culprit"].startswith("charge (")
    assert error.data["message"] == "charge failed"  # the log line that carried it
    assert error.data["attributes"]["code.function.name"] == "record_logs"


def test_metrics_are_one_batch_with_a_point_per_data_point() -> None:
    (batch,) = fixture("metrics", "metrics").events
    assert batch.kind is Kind.METRICS and batch.project == "shop-api"
    assert batch.columns == {"point_count": 7, "series_count": 4}
    assert batch.summary == (
        "metrics: 7 points of 4 series (orders.created, http.server.request.duration, payment.amount, …)"
    )
    points: dict[str, list[dict[str, Any]]] = {}
    for table, row in batch.children:
        assert table == "metric_points" and row["service"] == "shop-api"
        points.setdefault(row["name"], []).append(row)
    assert {name: len(rows) for name, rows in points.items()} == {
        "orders.created": 2, "http.server.request.duration": 2, "payment.amount": 1, "queue.depth": 2,
    }
    orders = points["orders.created"]
    assert [(p["type"], p["value"], p["attributes"]) for p in orders] == [
        ("sum", 3.0, {"payment.method": "card"}), ("sum", 1.0, {"payment.method": "wallet"}),
    ]
    assert orders[0]["unit"] == "{order}" and orders[0]["count"] is None
    duration = points["http.server.request.duration"][0]
    assert (duration["type"], duration["count"], duration["sum"]) == ("histogram", 4, 0.73)
    assert duration["value"] == pytest.approx(0.1825) and duration["unit"] == "s"
    (amount,) = points["payment.amount"]
    assert (amount["type"], amount["count"], amount["sum"]) == ("exponential_histogram", 3, 348.4)
    assert [(p["type"], p["value"]) for p in points["queue.depth"]] == [("gauge", 7.0), ("gauge", 2.5)]
    described = {m["name"]: m for m in batch.data["metrics"]}
    assert described["orders.created"]["temporality"] == "cumulative"
    assert described["orders.created"]["monotonic"] is True


# --- the hand-written browser payload ----------------------------------------------------


def browser() -> OtlpBatch:
    return fixture("logs", "browser-logs.hand-written", "json")


def test_browser_payload_project_comes_from_a_sanitised_service_name() -> None:
    assert {e.project for e in browser().events} == {"acme-shop-web"}


def test_web_vital_records_are_page_loads_with_that_one_metric() -> None:
    lcp, cls = of_kind(browser(), Kind.PAGE_LOAD)
    assert lcp.columns["lcp"] == 2140.5 and lcp.columns["route"] == "/checkout"
    named = ("lcp", "route", "release", "platform", "environment")
    assert all(v is None for k, v in lcp.columns.items() if k not in named)
    assert (lcp.columns["release"], lcp.columns["platform"]) == ("5.0.2", "iOS")
    # The resource's deployment.environment; it names no device model.
    assert (lcp.columns["environment"], lcp.columns["device"]) == ("production", None)
    assert lcp.timestamp == 1_764_288_003_000 and lcp.session_id == "s-7f3a9c"
    assert lcp.summary == "/checkout LCP 2140 ms"
    # Found by the event.name attribute, the time a JSON number past 2^53, the URL another key.
    assert cls.columns["cls"] == 0.04 and cls.columns["route"] == "/cart"
    assert cls.timestamp == 1_764_288_003_100 and cls.summary == "/cart CLS 0.04"


def test_feature_flag_evaluations_are_experiment_assignments() -> None:
    (assignment,) = of_kind(browser(), Kind.ANALYTICS)
    assert assignment.columns["name"] == "experiment_assignment"
    assert assignment.children == [
        ("experiment_assignments", {
            "ts": 1_764_288_003_200, "project": "acme-shop-web", "experiment": "checkout-button-color",
            "variant": "green", "user_id": "u-1042", "session_id": "s-7f3a9c",
        }),
    ]
    assert assignment.user_id == "u-1042" and assignment.summary == "checkout-button-color: assigned green"


def test_a_browser_exception_is_grouped_by_its_javascript_frames() -> None:
    (error,) = of_kind(browser(), Kind.ERROR)
    c = error.columns
    assert c["error_type"] == "TypeError"
    assert c["culprit"] == "sumCart (https://shop.example/static/js/cart.3f9a1c.js:88)"
    assert c["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"  # sent in upper case
    assert (c["route"], c["environment"]) == ("/cart", "production")
    assert (error.session_id, error.user_id) == ("s-7f3a9c", "u-1042")


def test_browser_logs_read_numbers_strings_and_severity_text() -> None:
    slow, overflow = of_kind(browser(), Kind.LOG)
    assert slow.columns["level"] == "warning" and slow.timestamp == 1_764_288_003_400
    assert slow.data["attributes"] == {"retries": 3, "timeout_ms": 5000, "tags": ["network", True]}
    assert slow.columns["source"] == "@acme/shop-telemetry"
    assert overflow.columns["level"] == "warning"  # severityText "Warning", no number
    assert overflow.columns["message"] == '{"msg":"cart badge overflow","count":120}'


# --- projects ----------------------------------------------------------------------------


def resource(**attrs: str) -> dict[str, Any]:
    return {"attributes": [{"key": k.replace("_", "."), "value": {"stringValue": v}} for k, v in attrs.items()]}


@pytest.mark.parametrize(
    ("attrs", "project", "expected"),
    [
        ({"service_name": "shop-api"}, None, "shop-api"),
        ({"service_name": "shop-api", "lookout_project": "checkout"}, None, "checkout"),
        ({"service_name": "shop-api"}, "from-header", "from-header"),
        ({"service_name": "@acme/shop web"}, None, "acme-shop-web"),
        ({"service_name": "...."}, None, "otel"),
        ({}, None, "otel"),
    ],
)
def test_the_project_is_the_callers_else_the_resources(
    attrs: dict[str, str], project: str | None, expected: str
) -> None:
    batch = decode("traces", traces_json(span_json(parentSpanId=None), resource=resource(**attrs)),
                   project=project)
    assert [e.project for e in batch.events] == [expected]


def test_sanitised_project_names_fit_the_collectors_rule() -> None:
    assert sanitise_project("my service/v2") == "my-service-v2"
    assert sanitise_project("_x" + "y" * 100) == "x" + "y" * 63
    assert sanitise_project("-._") is None


# --- roots, remote parents, orphans ------------------------------------------------------


def test_a_server_span_whose_parent_is_remote_is_a_transaction() -> None:
    remote_flagged = span_json(parentSpanId="b7ad6b7169203331", flags=0x300, kind=1)
    assert [e.kind for e in decode("traces", traces_json(remote_flagged)).events] == [Kind.TRANSACTION]
    unflagged_server = span_json(parentSpanId="b7ad6b7169203331")
    assert [e.kind for e in decode("traces", traces_json(unflagged_server)).events] == [Kind.TRANSACTION]
    local_parent_missing = span_json(parentSpanId="b7ad6b7169203331", flags=0x100)
    assert [e.kind for e in decode("traces", traces_json(local_parent_missing)).events] == [Kind.SPANS]
    unflagged_internal = span_json(parentSpanId="b7ad6b7169203331", kind=1)
    assert [e.kind for e in decode("traces", traces_json(unflagged_internal)).events] == [Kind.SPANS]


def test_two_traces_in_one_request_stay_apart() -> None:
    first = span_json()
    second = span_json(traceId="0af7651916cd43dd8448eb211c80319c", spanId="b9c7c989f97918e1", name="GET /b")
    child = span_json(spanId="c9c7c989f97918e1", parentSpanId="00f067aa0ba902b7", name="child", kind=1)
    batch = decode("traces", traces_json(first, second, child))
    assert [(e.columns["name"], e.columns["span_count"]) for e in batch.events] == [("GET /", 1), ("GET /b", 0)]


def test_a_cycle_of_parent_ids_does_not_hang() -> None:
    a = span_json(spanId="00000000000000a1", parentSpanId="00000000000000a2", kind=1)
    b = span_json(spanId="00000000000000a2", parentSpanId="00000000000000a1", kind=1)
    (batch,) = decode("traces", traces_json(a, b)).events
    assert batch.kind is Kind.SPANS and batch.columns["span_count"] == 2


# --- hostile input -----------------------------------------------------------------------


def test_bad_spans_are_counted_and_the_rest_kept() -> None:
    good = span_json(parentSpanId=None)
    child = span_json(spanId="1111111111111111", parentSpanId="00f067aa0ba902b7", name="ok", kind=1)
    bad_id = span_json(spanId="xyz", name="bad-id")
    no_name = span_json(spanId="2222222222222222", name=None)
    zero_trace = span_json(traceId="0" * 32, spanId="3333333333333333", name="zero")
    backwards = span_json(spanId="4444444444444444", endTimeUnixNano="1", name="backwards")
    batch = decode("traces", traces_json(good, child, bad_id, no_name, zero_trace, backwards, "not a span"))
    (tx,) = batch.events
    assert tx.columns["span_count"] == 1
    assert batch.rejected == 5
    assert batch.message.startswith("5 spans rejected: ")
    assert "span 'bad-id': 'spanId' must be 8 bytes as 16 hex digits" in batch.message
    assert "'name' is required" in batch.message and "all zeros" in batch.message
    assert "before 'startTimeUnixNano'" in batch.message
    assert "every entry of 'spans' must be an object" in batch.message


def test_a_bad_span_in_a_protobuf_body_is_counted() -> None:
    message = ExportTraceServiceRequest()
    message.ParseFromString((FIXTURES / "traces.pb").read_bytes())
    spans = message.resource_spans[0].scope_spans[0].spans
    spans[0].span_id = b"\x01\x02\x03"  # validate-cart
    batch = decode("traces", message.SerializeToString(), content_type=PB)
    assert batch.rejected == 1 and "'spanId' must be 8 bytes" in batch.message
    (tx,) = of_kind(batch, Kind.TRANSACTION)
    assert tx.columns["span_count"] == 3


def test_bad_log_records_and_data_points_are_counted() -> None:
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": "kept"}, "severityNumber": 9},
        {"body": {"stringValue": "bad time"}, "timeUnixNano": "soon"},
        {"body": {"stringValue": "bad trace"}, "traceId": "abc"},
        {"attributes": [{"key": "event.name", "value": {"stringValue": "browser.web_vital"}},
                        {"key": "browser.web_vital.name", "value": {"stringValue": "LCP"}}]},
        {"eventName": "feature_flag.evaluation", "attributes": []},
        {"attributes": [{"value": {"stringValue": "no key"}}]},
    ]}]}]}
    batch = decode("logs", logs)
    assert [e.columns["message"] for e in batch.events] == ["kept"]
    assert batch.rejected == 5 and batch.message.startswith("5 log records rejected: ")
    assert "'browser.web_vital.value' must be a non-negative number" in batch.message
    assert "'feature_flag.key' is required" in batch.message
    metrics = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "ok", "gauge": {"dataPoints": [{"asDouble": 1.5, "timeUnixNano": "1764288000000000000"},
                                                {"asDouble": "NaN"}, {"asInt": "x"}]}},
        {"gauge": {"dataPoints": [{"asInt": "1"}]}},
        {"name": "big", "histogram": {"dataPoints": [{"count": str(2**64 - 1)}]}},
    ]}]}]}
    batch = decode("metrics", metrics)
    (event,) = batch.events
    assert [(r["value"], r["ts"]) for _, r in event.children] == [(1.5, 1_764_288_000_000), (None, NOW)]
    assert batch.rejected == 3 and "data points rejected" in batch.message


def test_an_unreadable_resource_or_scope_rejects_what_it_held() -> None:
    bad_resource = {"attributes": [{"key": "service.name", "value": "not an AnyValue"}]}
    traces = traces_json(span_json(), span_json(spanId="1111111111111111"), resource=bad_resource)
    traces["resourceSpans"].append({"scopeSpans": [{"scope": "nope", "spans": [span_json()]}]})
    batch = decode("traces", traces)
    assert batch.events == [] and batch.rejected == 3
    assert "resource: a value must be an AnyValue object (×2)" in batch.message
    gauge = {"gauge": {"dataPoints": [{"asInt": "1"}, {"asInt": "2"}]}}
    metrics = {"resourceMetrics": [{"resource": bad_resource, "scopeMetrics": [{"metrics": [
        {"name": "a", **gauge}, {"name": "b", **gauge}]}]}]}
    assert decode("metrics", metrics).rejected == 4


def test_a_record_without_time_takes_its_observed_time_then_now() -> None:
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": "observed"}, "observedTimeUnixNano": "1764288000000000000"},
        {"body": {"stringValue": "neither"}},
    ]}]}]}
    assert [e.timestamp for e in decode("logs", logs).events] == [1_764_288_000_000, NOW]


@pytest.mark.parametrize(
    ("signal", "body", "content_type"),
    [
        ("traces", b"\xff\xff\xff\xff", PB),
        ("logs", b"\x0a\x05\x0a", PB),
        ("traces", b"not json", JSON),
        ("metrics", b"[]", JSON),
        ("traces", b'{"resourceSpans": {"not": "a list"}}', JSON),
    ],
)
def test_a_body_that_is_not_an_otlp_request_is_400(signal: Signal, body: bytes, content_type: str) -> None:
    with pytest.raises(IngestError) as caught:
        decode(signal, body, content_type=content_type)
    assert caught.value.status == 400 and caught.value.detail


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_content_type_otlp_does_not_use_is_415(content_type: str) -> None:
    with pytest.raises(IngestError) as caught:
        decode("traces", b"{}", content_type=content_type)
    assert caught.value.status == 415
    assert "application/x-protobuf or application/json" in caught.value.detail


def test_content_type_parameters_and_case_are_ignored_and_an_empty_request_is_fine() -> None:
    for content_type in ("application/json; charset=utf-8", "Application/JSON"):
        assert decode("logs", b"{}", content_type=content_type) == OtlpBatch()
    assert decode("metrics", b"", content_type=PB) == OtlpBatch()


def test_python_tracebacks_keep_the_last_exception_of_a_chain() -> None:
    stack = (
        "Traceback (most recent call last):\n"
        '  File "app/db.py", line 10, in query\n    raise KeyError("x")\n'
        "KeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "app/views.py", line 5, in checkout\n    total(cart)\n'
        '  File "app/cart.py", line 88, in total\n    raise ValueError("empty")\n'
        "ValueError: empty\n"
    )
    frames = parse_python_traceback(stack)
    assert [(f.function, f.filename, f.line) for f in frames] == [
        ("total", "app/cart.py", 88), ("checkout", "app/views.py", 5),
    ]


# --- what the store takes ----------------------------------------------------------------


def all_fixture_events() -> list[Event]:
    events = [e for signal, name in RECORDED for e in fixture(signal, name).events]
    return events + browser().events


def test_columns_and_child_rows_are_exactly_the_tables_columns() -> None:
    conn = sqlite3.connect(":memory:")
    migrate(conn)

    def columns(table: str) -> set[str]:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}

    common = {"event_id", "ts", "project", "session_id", "user_id", "data"}
    for event in all_fixture_events():
        table = KIND_TABLES[event.kind]
        # The writer fills an error's issue and its tags for search (store/issue_writes.py).
        writer_filled = {"issue_id", "search_tags"} if event.kind is Kind.ERROR else set()
        expected = columns(table) - common - writer_filled
        assert set(event.columns) == expected, table
        for child_table, row in event.children:
            assert set(row) == columns(child_table) - {"id", "event_id"}, child_table


def test_every_decoded_event_is_stored_by_the_writer(tmp_path: Path) -> None:
    events = copy.deepcopy(all_fixture_events())
    writer = StoreWriter(path=tmp_path / "otlp.db")
    writer.start()
    try:
        writer.write(events)
    finally:
        writer.stop()
    conn = sqlite3.connect(tmp_path / "otlp.db")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "transactions", "spans", "span_batches", "errors", "issues", "logs", "page_loads",
        "analytics_events", "experiment_assignments", "metric_batches", "metric_points")}
    assert counts == {
        "transactions": 2, "spans": 6, "span_batches": 1, "errors": 3, "issues": 3, "logs": 7,
        "page_loads": 2, "analytics_events": 1, "experiment_assignments": 1, "metric_batches": 1,
        "metric_points": 7,
    }
    (trace_rows,) = conn.execute("SELECT count(*) FROM spans WHERE trace_id = ?", (TRACE_ID,)).fetchone()
    assert trace_rows == 4
    conn.close()
