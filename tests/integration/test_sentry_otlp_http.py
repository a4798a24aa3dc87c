"""Sentry and OTLP paths of a real collector on a port: recorded payloads in, statuses out.

Every bad input the issue lists gets a clear status and JSON reason, and the data stored
before it is still there afterwards.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import orjson
import pytest
import zstandard
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.integration.support import RunningCollector, assert_error, export_rows

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads"
SENTRY = PAYLOADS / "sentry"
OTLP = PAYLOADS / "otlp"


def envelope(name: str) -> bytes:
    return (SENTRY / name).read_bytes()


def envelope_url(collector: RunningCollector, project: str = "1") -> str:
    return f"{collector.url}/api/{project}/envelope/"


def event_envelope(event_id: str, message: str) -> bytes:
    header = orjson.dumps({"event_id": event_id})
    item = orjson.dumps({"event_id": event_id, "message": message, "level": "error", "platform": "python"})
    return header + b"\n" + orjson.dumps({"type": "event", "length": len(item)}) + b"\n" + item + b"\n"


@pytest.fixture
def stored_first(collector: RunningCollector, http: httpx.Client) -> list[dict]:
    """One good error stored before the bad input arrives; what must survive it."""
    answer = http.post(envelope_url(collector), content=event_envelope("a" * 32, "kept before"))
    assert answer.status_code == 200 and answer.json() == {"id": "a" * 32}
    return export_rows(collector.db, "errors")


def test_recorded_envelopes_in_any_encoding_and_content_type(collector: RunningCollector, http: httpx.Client) -> None:
    plain = envelope("python-chained.envelope")
    cases = [
        ("identity", "application/x-sentry-envelope", plain),
        ("gzip", "text/plain;charset=UTF-8", gzip.compress(envelope("python-message.envelope"))),
        ("br", "application/x-sentry-envelope", envelope("python-error-1.envelope.br")),
        ("zstd", "application/json", zstandard.ZstdCompressor().compress(envelope("js-error.hand-written.envelope"))),
    ]
    for encoding, content_type, body in cases:
        answer = http.post(
            envelope_url(collector),
            content=body,
            headers={"Content-Encoding": encoding, "Content-Type": content_type},
        )
        assert answer.status_code == 200, (encoding, answer.text)
        assert len(answer.json()["id"]) == 32
    errors = export_rows(collector.db, "errors")
    assert len(errors) == 4
    # The raw bytes of each event's item are kept, exactly as they arrived.
    assert {e["error_type"] for e in errors} >= {"PaymentDeclined", "TypeError"}


def test_the_legacy_store_endpoint_takes_one_event(collector: RunningCollector, http: httpx.Client) -> None:
    event = {"event_id": "b" * 32, "exception": [{"type": "RangeError", "value": "bad index 7"}], "platform": "javascript"}
    answer = http.post(f"{collector.url}/api/7/store/", json=event)
    assert answer.status_code == 200 and answer.json() == {"id": "b" * 32}
    (row,) = export_rows(collector.db, "errors")
    assert (row["project"], row["error_type"], row["message"]) == ("7", "RangeError", "bad index 7")


def test_bad_envelopes_get_clear_answers_and_keep_what_was_stored(
    collector: RunningCollector, http: httpx.Client, stored_first: list[dict]
) -> None:
    good = event_envelope("c" * 32, "never half-stored")
    header, item_header, item, _ = good.split(b"\n")
    cases = {
        "truncated": (good[: len(good) - 20], 400, "truncated_envelope"),
        "wrong length": (
            header + b"\n" + orjson.dumps({"type": "event", "length": len(item) + 500}) + b"\n" + item,
            400,
            "truncated_envelope",
        ),
        "non-JSON header": (b"this is not json\n" + item_header + b"\n" + item, 400, "invalid_envelope_header"),
        "non-JSON item": (header + b"\n" + b'{"type":"event"}\n{not json at all\n', 400, "invalid_envelope"),
    }
    for label, (body, status, code) in cases.items():
        answer = http.post(envelope_url(collector), content=body)
        assert_error(answer, status, code), label
    corrupt = http.post(envelope_url(collector), content=b"\x1f\x8b not really gzip", headers={"Content-Encoding": "gzip"})
    assert_error(corrupt, 400, "bad_encoding")
    # 10 MB of event after decompression, from a body of about 10 KB.
    huge_item = b'{"message":"' + b"x" * (10 << 20) + b'"}'
    bomb = gzip.compress(header + b"\n" + b'{"type":"event"}\n' + huge_item + b"\n")
    assert len(bomb) < 20_000
    answer = http.post(envelope_url(collector), content=bomb, headers={"Content-Encoding": "gzip"})
    assert_error(answer, 413, "payload_too_large")
    assert export_rows(collector.db, "errors") == stored_first


def test_an_unknown_item_type_is_counted_and_the_rest_stored(collector: RunningCollector, http: httpx.Client) -> None:
    good = event_envelope("d" * 32, "with a profile beside it")
    body = good + b'{"type":"profile_chunk"}\n{"anything":1}\n'
    answer = http.post(envelope_url(collector), content=body)
    assert answer.status_code == 200 and answer.json() == {"id": "d" * 32}
    assert collector.health()["unknown_types"] == {"sentry:profile_chunk": 1}
    assert [e["message"] for e in export_rows(collector.db, "errors")] == ["with a profile beside it"]


def test_cors_lets_browsers_post_and_read_the_rate_limit_headers(collector: RunningCollector, http: httpx.Client) -> None:
    origin = {"Origin": "http://localhost:5173"}
    answer = http.post(envelope_url(collector), content=event_envelope("e" * 32, "from a page"), headers=origin)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    assert {"x-sentry-rate-limits", "retry-after"} <= exposed


def test_otlp_protobuf_and_json_are_answered_in_their_own_encoding(collector: RunningCollector, http: httpx.Client) -> None:
    pb = http.post(
        f"{collector.url}/v1/traces", content=(OTLP / "traces.pb").read_bytes(),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert pb.status_code == 200 and pb.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(pb.content).HasField("partial_success")

    logs = http.post(
        f"{collector.url}/v1/logs", content=gzip.compress((OTLP / "browser-logs.hand-written.json").read_bytes()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert logs.status_code == 200 and logs.json() == {}
    assert export_rows(collector.db, "page-loads"), "browser.web_vital records become page loads"
    assert export_rows(collector.db, "assignments"), "feature_flag.evaluation becomes an assignment"


def test_otlp_partial_success_names_what_was_rejected(collector: RunningCollector, http: httpx.Client) -> None:
    request = orjson.loads((OTLP / "traces.json").read_bytes())
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert spans[0]["name"] == "validate-cart"  # a leaf child: the rest of the trace stands
    spans[0]["spanId"] = "not-hex"
    answer = http.post(f"{collector.url}/v1/traces", content=orjson.dumps(request), headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    partial = answer.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 1 and "spanId" in partial["errorMessage"]
    (transaction,) = export_rows(collector.db, "transactions")
    assert transaction["span_count"] == len(spans) - 2  # the root is the transaction itself

    bad = http.post(f"{collector.url}/v1/traces", content=b"\x0a\xff\xff garbage", headers={"Content-Type": "application/x-protobuf"})
    assert_error(bad, 400, bad.json()["error"])
    assert_error(http.post(f"{collector.url}/v1/traces", content=b"{}", headers={"Content-Type": "text/xml"}), 415, "unsupported_media_type")
    assert len(export_rows(collector.db, "transactions")) == 1


def test_envelopes_answer_alike_with_and_without_an_origin(collector: RunningCollector, http: httpx.Client) -> None:
    # Without an Origin an envelope skips Starlette's stack; with one it gets CORS headers.
    plain = http.post(f"{collector.url}/api/3/envelope", content=event_envelope("f" * 32, "no origin"))
    browser = http.post(
        f"{collector.url}/api/3/envelope/", content=event_envelope("e" * 32, "from a page"),
        headers={"Origin": "http://localhost:5173"},
    )
    assert (plain.status_code, plain.json()) == (200, {"id": "f" * 32})
    assert (browser.status_code, browser.json()) == (200, {"id": "e" * 32})
    assert "access-control-allow-origin" not in plain.headers
    assert browser.headers["access-control-allow-origin"] == "*"
    assert_error(http.post(f"{collector.url}/api/3/envelope/", content=b"{not json"), 400, "invalid_envelope_header")
    assert sorted(e["message"] for e in export_rows(collector.db, "errors")) == ["from a page", "no origin"]
