"""The native decoder on every recorded example and on broken variants of each."""

from __future__ import annotations

import copy
import gzip
import json
from typing import Any

import orjson
import pytest

from console.core.errors import IngestError
from console.core.events import Kind
from console.core.ingest.limits import MAX_BREADCRUMBS, MAX_EVENTS_PER_REQUEST, MAX_STRING
from console.core.ingest.native import decode_native

NOW = 1_800_000_000_000


def decode(payload: Any) -> Any:
    return decode_native(orjson.dumps(payload), project="shop", now_ms=NOW)


def by_type(examples: list[dict[str, Any]], kind: str, **match: Any) -> dict[str, Any]:
    for example in examples:
        if example["type"] == kind and all(example.get(k) == v for k, v in match.items()):
            return copy.deepcopy(example)
    raise LookupError(kind)


def test_every_example_is_accepted_in_all_three_shapes(native_examples: list[dict[str, Any]]) -> None:
    for shape in (native_examples, {"events": native_examples}):
        batch = decode(shape)
        assert len(batch.events) == len(native_examples)
        assert batch.rejected == [] and not batch.unknown_types
    for example in native_examples:
        batch = decode(example)
        assert len(batch.events) == 1, example["type"]


def test_examples_decode_to_their_kinds_and_columns(native_examples: list[dict[str, Any]]) -> None:
    events = decode(native_examples).events
    kinds = [e.kind for e in events]
    assert kinds.count(Kind.ERROR) == 3
    assert kinds.count(Kind.INTERACTION) == 3
    assert kinds.count(Kind.ANALYTICS) == 5

    tx = events[0]
    assert tx.kind is Kind.TRANSACTION
    assert tx.columns["name"] == "checkout.submit"
    assert tx.columns["duration_ms"] == 878.5
    assert tx.columns["route"] == "pages/checkout/checkout"
    assert tx.session_id == "s-7f3a9c" and tx.user_id == "u-1042"
    assert [c["name"] for _, c in tx.children] == ["validate-cart", "POST /api/orders", "render confirmation"]
    assert tx.children[1][1]["status"] == "201"

    load = events[1]
    assert load.columns["lcp"] == 2140.0 and load.columns["cls"] == 0.04
    assert load.columns["tbt"] == 180.0 and load.columns["ttfb"] == 320.0
    assert load.columns["resource_load_time"] == 640.0 and load.columns["tti"] == 2600.0

    view = events[2]
    assert view.columns["platform"] == "ios" and view.columns["model"] == "iPhone 15"
    assert view.columns["screen_width"] == 393

    log = next(e for e in events if e.kind is Kind.LOG)
    assert log.timestamp == 1764288003500  # the ISO string, in ms
    assert log.columns["level"] == "warning"

    error = next(e for e in events if e.kind is Kind.ERROR)
    assert error.columns["error_type"] == "TypeError"
    assert error.columns["culprit"] == "sumCart (pages/cart/cart.js:88)"
    assert error.columns["level"] == "error"  # severity high
    assert error.columns["route"] == "pages/cart/cart"
    assert error.columns["release"] == "2.3.1" and error.columns["environment"] == "staging"
    assert len(error.data["breadcrumbs"]) == 4

    network_error = [e for e in events if e.kind is Kind.ERROR][2]
    assert network_error.columns["level"] == "fatal"
    assert network_error.children[0][0] == "network_requests"
    assert network_error.children[0][1]["success"] == 0

    goal = events[-1]
    assert goal.children == [
        (
            "experiment_goals",
            {
                "ts": 1764288004000, "project": "shop", "experiment": "checkout-button-color",
                "variant": "orange", "user_id": "u-1042", "session_id": "s-7f3a9c",
                "goal": "purchase", "value": 1.0,
            },
        )
    ]
    conversion = next(e for e in events if e.columns.get("name") == "conversion")
    assert (conversion.columns["value"], conversion.columns["currency"]) == (129.0, "CNY")


@pytest.mark.parametrize(
    ("kind", "match", "breakage", "reason"),
    [
        ("transaction", {}, lambda e: e.pop("transaction"), "'transaction' object is required"),
        ("transaction", {}, lambda e: e["transaction"].pop("name"), "'name' is required"),
        ("transaction", {}, lambda e: e["transaction"].__setitem__("spans", "x"), "must be an array"),
        ("transaction", {}, lambda e: e["transaction"]["spans"].append(3), "spans[3]' must be an object"),
        ("page_load", {}, lambda e: e["metrics"].__setitem__("largestContentfulPaint", "2s"), "must be a number"),
        ("page_load", {}, lambda e: e["metrics"].__setitem__("cumulativeLayoutShift", -1), "must not be negative"),
        ("page_load", {}, lambda e: e.__setitem__("metrics", {}), "none of the known page-load metrics"),
        ("page_load", {}, lambda e: e.pop("url"), "'url' is required"),
        ("page_view", {}, lambda e: e.__setitem__("deviceInfo", []), "'deviceInfo' must be an object"),
        ("interaction", {"action": "click"}, lambda e: e.pop("action"), "'action' is required"),
        ("custom_event", {}, lambda e: e.__setitem__("name", {"a": 1}), "'name' must be a string"),
        ("javascript_error", {}, lambda e: e.pop("message"), "'message' (or 'reason') is required"),
        ("javascript_error", {}, lambda e: e.__setitem__("breadcrumbs", {"x": 1}), "'breadcrumbs' must be an array"),
        ("unhandled_promise_rejection", {}, lambda e: [e.pop("message"), e.pop("reason")], "is required"),
        ("network_error", {}, lambda e: e.pop("url"), "'url' is required"),
        ("network_request", {}, lambda e: e.__setitem__("duration", "slow"), "must be a number"),
        ("log", {}, lambda e: e.__setitem__("timestamp", "yesterday"), "not an ISO 8601 time"),
        ("log", {}, lambda e: e.__setitem__("timestamp", "2025-11-28T00:00:03"), "no time zone"),
        ("log", {}, lambda e: e.pop("message"), "'message' is required"),
        ("event", {"name": "funnel_step"}, lambda e: e["properties"].pop("step"), "'step' is required"),
        ("event", {"name": "experiment_assignment"}, lambda e: e["properties"].pop("variant"), "'variant' is required"),
        ("event", {"name": "experiment_goal"}, lambda e: e["properties"].pop("goal"), "'goal' is required"),
        ("event", {"name": "conversion"}, lambda e: e["properties"].__setitem__("value", "NaN"), "must be a number"),
        ("event", {"name": "user_identified"}, lambda e: [e.pop("userId"), e["properties"].pop("userId")], "to identify a user"),
        ("experiment", {}, lambda e: e.__setitem__("variants", []), "'variants' must be a non-empty array"),
        ("experiment", {}, lambda e: e.__setitem__("goals", [1]), "'goals' must be an array of goal names"),
    ],
)
def test_a_broken_event_is_rejected_with_index_and_reason_and_the_rest_kept(
    native_examples: list[dict[str, Any]], kind: str, match: dict[str, Any], breakage: Any, reason: str
) -> None:
    broken = by_type(native_examples, kind, **match)
    breakage(broken)
    good = by_type(native_examples, "page_view")
    batch = decode([good, broken, good])
    assert len(batch.events) == 2
    assert len(batch.rejected) == 1
    assert batch.rejected[0].index == 1
    assert reason in batch.rejected[0].reason
    assert batch.rejected[0].reason.startswith(f"{kind}: ")


def test_non_objects_and_missing_types_are_rejected_and_unknown_types_counted() -> None:
    batch = decode([1, {"no": "type"}, {"type": 5}, {"type": "hologram"}, {"type": "hologram"}])
    assert [r.index for r in batch.rejected] == [0, 1, 2]
    assert batch.unknown_types == {"hologram": 2}
    assert batch.events == []


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{", "invalid_json"), (b"\xff\xfe", "invalid_json"), (b"42", "invalid_shape"),
     (b'{"events": {}}', "invalid_shape"), (b'"text"', "invalid_shape")],
)
def test_unusable_bodies_raise_a_typed_error(body: bytes, code: str) -> None:
    with pytest.raises(IngestError) as raised:
        decode_native(body, project="p", now_ms=NOW)
    assert raised.value.code == code and raised.value.status == 400


def test_too_many_events_is_413() -> None:
    with pytest.raises(IngestError) as raised:
        decode([{"type": "log", "message": "x"}] * (MAX_EVENTS_PER_REQUEST + 1))
    assert raised.value.status == 413


def test_over_long_strings_are_cut_at_the_documented_limit(native_examples: list[dict[str, Any]]) -> None:
    error = by_type(native_examples, "javascript_error")
    error["message"] = "E: " + "x" * (MAX_STRING * 3)
    error["context"]["deep"] = "y" * (MAX_STRING + 10)
    error["breadcrumbs"] = error["breadcrumbs"] * 60
    event = decode(error).events[0]
    assert len(event.columns["message"]) < MAX_STRING + 60
    assert event.columns["message"].endswith(f"…[{MAX_STRING * 2 + 3} more characters cut]")
    assert event.data["context"]["deep"].endswith("…[10 more characters cut]")
    assert len(event.data["breadcrumbs"]) == MAX_BREADCRUMBS
    assert event.data["breadcrumbs_dropped"] == 240 - MAX_BREADCRUMBS


def test_deeply_nested_properties_are_capped_not_a_crash() -> None:
    nested: dict[str, Any] = {}
    cursor = nested
    for _ in range(500):
        cursor["a"] = {}
        cursor = cursor["a"]
    body = json.dumps({"type": "custom_event", "name": "deep", "properties": nested}).encode()
    batch = decode_native(body, project="p", now_ms=NOW)
    assert len(batch.events) == 1
    assert "nested too deep" in json.dumps(batch.events[0].data)
    with pytest.raises(IngestError):  # deeper than the JSON parser goes: a 400, not a crash
        decode_native(b"[" * 5000 + b"]" * 5000, project="p", now_ms=NOW)


def test_timestamps_in_seconds_and_missing_timestamps() -> None:
    seconds = decode({"type": "log", "message": "m", "timestamp": 1764288003.5}).events[0]
    assert seconds.timestamp == 1764288003500
    missing = decode({"type": "log", "message": "m"}).events[0]
    assert missing.timestamp == NOW
    for bad in (True, -5, "NaN", [1]):
        assert decode({"type": "log", "message": "m", "timestamp": bad}).rejected


def test_client_fingerprint_groups_regardless_of_message(native_examples: list[dict[str, Any]]) -> None:
    first = by_type(native_examples, "javascript_error")
    second = copy.deepcopy(first)
    second["message"] = "something else entirely"
    second["stack"] = ""
    for event in (first, second):
        event["fingerprint"] = ["checkout", "price"]
    a, b = decode([first, second]).events
    assert a.columns["fingerprint"] == b.columns["fingerprint"]


def test_gzip_is_not_the_decoders_job() -> None:
    # The collector inflates bodies; compressed bytes reaching the decoder are bad JSON.
    with pytest.raises(IngestError):
        decode_native(gzip.compress(b"[]"), project="p", now_ms=NOW)


def test_numbers_beyond_what_a_client_can_measure_are_rejected() -> None:
    for bad in (
        {"type": "custom_event", "name": "x", "timestamp": 1e30},
        {"type": "custom_event", "name": "x", "timestamp": 99999999999999999999},
        {"type": "network_request", "url": "u", "status": 1e30},
        {"type": "page_view", "url": "p", "deviceInfo": {"screenWidth": 1e30}},
        {"type": "event", "name": "funnel_step", "properties": {"funnel": "f", "step": "s", "stepIndex": 1e30}},
    ):
        batch = decode_native(json.dumps(bad).encode(), project="p", now_ms=NOW)
        assert batch.events == [] and len(batch.rejected) == 1, bad
