"""What the Performance panel filters page loads and transactions on (release, environment,
platform, device), as every sender's decoder fills it: native payloads, Sentry envelopes and
OTLP requests, recorded where the recordings carry it and derived from them where not."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from console.core.events import KIND_TABLES, Event, Kind
from console.core.ingest.envelope import parse_envelope
from console.core.ingest.native import decode_native
from console.core.ingest.otlp import Signal, decode_otlp
from console.core.ingest.sentry import decode_envelope
from console.core.store.schema import migrate

NOW = 1_800_000_000_000
PAYLOADS = Path(__file__).resolve().parents[3] / "fixtures" / "payloads"
FILTERS = ("release", "environment", "platform", "device")


def where(event: Event) -> tuple[Any, ...]:
    return tuple(event.columns[name] for name in FILTERS)


def of_kind(events: list[Event], kind: Kind) -> list[Event]:
    return [e for e in events if e.kind is kind]


def table_columns(table: str) -> set[str]:
    conn = sqlite3.connect(":memory:")
    migrate(conn)
    found = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    conn.close()
    return found - {"event_id", "ts", "project", "session_id", "user_id", "data"}


# --- native --------------------------------------------------------------------------------


def native(payload: dict[str, Any]) -> Event:
    batch = decode_native(orjson.dumps(payload), project="shop", now_ms=NOW)
    assert batch.rejected == [], batch.rejected
    (event,) = batch.events
    return event


def example(examples: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in examples if e["type"] == kind))


def test_native_examples_say_nothing_of_where_they_ran(native_examples: list[dict[str, Any]]) -> None:
    # The protocol's page_load and transaction examples carry no deviceInfo or context.
    for kind in ("page_load", "transaction"):
        assert where(native(example(native_examples, kind))) == (None, None, None, None), kind
    # A native page load fills every column of its table (a transaction has no trace or op).
    load = native(example(native_examples, "page_load"))
    assert set(load.columns) == table_columns(KIND_TABLES[load.kind])


def test_a_native_page_load_with_the_page_views_device_and_a_context(
    native_examples: list[dict[str, Any]],
) -> None:
    load = example(native_examples, "page_load")
    load["deviceInfo"] = example(native_examples, "page_view")["deviceInfo"]  # Apple iPhone 15, ios
    load["context"] = {"appVersion": "2.3.1", "environment": "production"}
    assert where(native(load)) == ("2.3.1", "production", "ios", "iPhone 15")


def test_a_native_device_without_a_model_is_named_by_its_brand(native_examples: list[dict[str, Any]]) -> None:
    load = example(native_examples, "page_load")
    load["deviceInfo"] = {"brand": "HUAWEI", "platform": "android"}
    assert where(native(load))[2:] == ("android", "HUAWEI")


def test_a_native_transaction_with_a_device_and_a_context(native_examples: list[dict[str, Any]]) -> None:
    tx = example(native_examples, "transaction")
    tx["deviceInfo"] = example(native_examples, "page_view")["deviceInfo"]
    tx["context"] = {"appVersion": "2.3.0", "environment": "staging"}
    event = native(tx)
    assert where(event) == ("2.3.0", "staging", "ios", "iPhone 15")
    assert event.columns["name"] == "checkout.submit" and event.columns["span_count"] == 3


def test_a_native_transaction_says_where_it_ran_in_its_own_context_and_metadata(
    native_examples: list[dict[str, Any]],
) -> None:
    tx = example(native_examples, "transaction")
    tx["transaction"]["context"].update({"environment": "staging"})
    tx["transaction"]["metadata"].update({"appVersion": "2.2.9", "platform": "android"})
    assert where(native(tx)) == ("2.2.9", "staging", "android", None)
    # The event's own context and deviceInfo come first; the transaction's fill the gaps.
    tx["context"] = {"environment": "production"}
    tx["deviceInfo"] = {"platform": "ios", "model": "iPhone 13"}
    assert where(native(tx)) == ("2.2.9", "production", "ios", "iPhone 13")
    tx["context"]["appVersion"] = "2.3.1"
    assert native(tx).columns["release"] == "2.3.1"


def test_native_filter_fields_of_the_wrong_type_are_ignored_not_refused(
    native_examples: list[dict[str, Any]],
) -> None:
    # Events that were accepted before these columns existed still are.
    for kind in ("page_load", "transaction"):
        payload = example(native_examples, kind)
        payload["deviceInfo"] = "iPhone"
        assert where(native(payload))[2:] == (None, None), kind
        payload["deviceInfo"] = {"platform": 3, "model": {"name": "x"}, "brand": ""}
        assert where(native(payload))[2:] == (None, None), kind
    load = example(native_examples, "page_load")
    load["context"] = {"appVersion": "2.3.1", "environment": ["production"]}
    assert where(native(load))[:2] == ("2.3.1", None)


# --- Sentry --------------------------------------------------------------------------------


def sentry(body: bytes) -> list[Event]:
    batch = decode_envelope(body, project="shop", now_ms=NOW)
    assert batch.rejected == [], batch.rejected
    return batch.events


def recorded(name: str) -> bytes:
    return (PAYLOADS / "sentry" / name).read_bytes()


def changed(name: str, change: Any) -> bytes:
    """The recorded envelope with ``change`` applied to its first item's JSON, re-framed."""
    envelope = parse_envelope(recorded(name))
    item = envelope.items[0]
    payload = orjson.loads(item.payload)
    change(payload)
    data = orjson.dumps(payload)
    header = {k: v for k, v in item.headers.items() if k != "length"}
    return b"\n".join([orjson.dumps(envelope.headers), orjson.dumps({**header, "length": len(data)}), data]) + b"\n"


def test_a_recorded_python_transaction_runs_on_python_in_staging() -> None:
    (tx,) = of_kind(sentry(recorded("python-transaction.envelope")), Kind.TRANSACTION)
    assert where(tx) == ("shop@2.3.1", "staging", "python", None)


def test_a_browser_page_load_and_its_transaction_share_where_they_ran() -> None:
    events = sentry(recorded("js-pageload.hand-written.envelope"))
    (tx,) = of_kind(events, Kind.TRANSACTION)
    (load,) = of_kind(events, Kind.PAGE_LOAD)
    assert where(tx) == where(load) == ("shop-web@4.1.0", "production", "javascript", None)
    for event in (tx, load):
        assert set(event.columns) == table_columns(KIND_TABLES[event.kind]), event.kind


def test_sentry_browser_and_device_contexts_name_the_platform_and_device() -> None:
    def add_contexts(payload: dict[str, Any]) -> None:
        payload["contexts"]["browser"] = {"name": "Mobile Safari", "version": "17.4"}
        payload["contexts"]["device"] = {"family": "iOS", "model": "iPhone15,4", "brand": "Apple"}

    events = sentry(changed("js-pageload.hand-written.envelope", add_contexts))
    for event in of_kind(events, Kind.TRANSACTION) + of_kind(events, Kind.PAGE_LOAD):
        assert where(event) == ("shop-web@4.1.0", "production", "Mobile Safari", "iPhone15,4"), event.kind

    def family_only(payload: dict[str, Any]) -> None:
        payload["contexts"]["device"] = {"family": "Pixel"}

    events = sentry(changed("python-transaction.envelope", family_only))
    assert of_kind(events, Kind.TRANSACTION)[0].columns["device"] == "Pixel"


def test_sentry_contexts_of_the_wrong_shape_are_ignored_not_refused() -> None:
    def odd(payload: dict[str, Any]) -> None:
        payload["contexts"]["browser"] = "Chrome"
        payload["contexts"]["device"] = {"model": 15, "family": ""}

    (tx,) = of_kind(sentry(changed("python-transaction.envelope", odd)), Kind.TRANSACTION)
    assert where(tx) == ("shop@2.3.1", "staging", "python", None)


def test_a_v2_segment_and_its_page_load_read_the_span_attributes() -> None:
    events = sentry(recorded("js-spans-v2.hand-written.envelope"))
    (tx,) = of_kind(events, Kind.TRANSACTION)
    (load,) = of_kind(events, Kind.PAGE_LOAD)
    assert where(tx) == where(load) == ("shop-web@4.1.0", "production", "Chrome", None)

    def with_device(payload: dict[str, Any]) -> None:
        payload["items"][0]["attributes"]["device.model"] = {"type": "string", "value": "iPhone15,4"}

    events = sentry(changed("js-spans-v2.hand-written.envelope", with_device))
    assert {e.columns["device"] for e in of_kind(events, Kind.TRANSACTION) + of_kind(events, Kind.PAGE_LOAD)} == {
        "iPhone15,4"
    }


def test_standalone_web_vital_spans_say_their_release_and_environment() -> None:
    # v1: the INP span's data has "release" and "environment"; v2: sentry.* attributes.
    (inp,) = of_kind(sentry(recorded("js-inp-span.hand-written.envelope")), Kind.PAGE_LOAD)
    assert where(inp) == ("shop-web@4.1.0", "production", None, None)
    (inp,) = of_kind(sentry(recorded("js-spans-v2-partial.hand-written.envelope")), Kind.PAGE_LOAD)
    assert where(inp) == ("shop-web@4.1.0", "production", None, None)
    assert inp.columns["inp"] == 232.0


# --- OTLP ----------------------------------------------------------------------------------


def otlp(signal: Signal, body: dict[str, Any]) -> list[Event]:
    batch = decode_otlp(signal, orjson.dumps(body), content_type="application/json", project=None, now_ms=NOW)
    assert batch.rejected == 0, batch.message
    return batch.events


def recorded_otlp(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((PAYLOADS / "otlp" / name).read_text())
    return found


def resource(body: dict[str, Any], key: str, **values: str) -> dict[str, Any]:
    attrs = body[key][0]["resource"]["attributes"]
    for name, value in values.items():
        attrs.append({"key": name.replace("_", "."), "value": {"stringValue": value}})
    return body


def test_a_recorded_otlp_transaction_is_in_staging_on_no_known_device() -> None:
    (tx,) = of_kind(otlp("traces", recorded_otlp("traces.json")), Kind.TRANSACTION)
    assert where(tx) == ("2.3.1", "staging", None, None)


def test_otlp_resource_os_and_device_attributes_name_a_transactions_platform_and_device() -> None:
    body = resource(recorded_otlp("traces.json"), "resourceSpans",
                    os_type="darwin", os_name="iOS", device_model_identifier="iPhone15,4")
    (tx,) = of_kind(otlp("traces", body), Kind.TRANSACTION)
    assert where(tx) == ("2.3.1", "staging", "iOS", "iPhone15,4")
    body = resource(recorded_otlp("traces.json"), "resourceSpans",
                    os_type="linux", device_model_identifier="SM-S918B", device_model_name="Samsung Galaxy S23")
    (tx,) = of_kind(otlp("traces", body), Kind.TRANSACTION)
    assert where(tx)[2:] == ("linux", "Samsung Galaxy S23")


def test_recorded_browser_web_vitals_are_in_production_on_ios() -> None:
    loads = of_kind(otlp("logs", recorded_otlp("browser-logs.hand-written.json")), Kind.PAGE_LOAD)
    assert [where(load) for load in loads] == [("5.0.2", "production", "iOS", None)] * 2
    for load in loads:
        assert set(load.columns) == table_columns("page_loads")


def test_an_otlp_web_vitals_own_attributes_win_over_its_resource() -> None:
    body = resource(recorded_otlp("browser-logs.hand-written.json"), "resourceLogs",
                    device_model_name="iPhone 15")
    record = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    record["attributes"] += [
        {"key": "browser.platform", "value": {"stringValue": "Android"}},
        {"key": "device.model.identifier", "value": {"stringValue": "Pixel 8"}},
    ]
    lcp, cls = of_kind(otlp("logs", body), Kind.PAGE_LOAD)
    assert where(lcp) == ("5.0.2", "production", "Android", "Pixel 8")
    assert where(cls) == ("5.0.2", "production", "iOS", "iPhone 15")


@pytest.mark.parametrize(
    ("attrs", "environment"),
    [
        ({"deployment.environment.name": "staging", "deployment.environment": "old"}, "staging"),
        ({"deployment.environment": "production"}, "production"),
        ({}, None),
    ],
)
def test_otlp_environment_prefers_the_current_attribute_name(attrs: dict[str, str], environment: str | None) -> None:
    body = recorded_otlp("traces.json")
    body["resourceSpans"][0]["resource"]["attributes"] = [
        {"key": key, "value": {"stringValue": value}} for key, value in attrs.items()
    ]
    (tx,) = of_kind(otlp("traces", body), Kind.TRANSACTION)
    assert tx.columns["environment"] == environment
