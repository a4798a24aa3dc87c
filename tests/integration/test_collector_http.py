"""The collector over real HTTP: what a client receives, and what ``lookout export`` then finds.

Each test runs ``lookout collect`` as a subprocess on a free port with its store in the
test's folder. The 429 and key tests, which need the app in-process, are in
``test_collector_in_process.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
import zstandard

from tests.integration.support import (
    CollectorLauncher,
    RunningCollector,
    assert_error,
    custom_events,
    export_rows,
    run_lookout,
)

JSON = {"Content-Type": "application/json"}
PROJECTS = ("single", "array", "wrapped")


def post_json(http: httpx.Client, url: str, payload: Any, **headers: str) -> httpx.Response:
    return http.post(url, content=json.dumps(payload).encode(), headers={**JSON, **headers})


def of_project(rows: list[dict[str, Any]], project: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["project"] == project]


# --- every example, in each of the three body shapes ---------------------------------------


@pytest.fixture
def examples_store(
    collector: RunningCollector, http: httpx.Client, native_examples: list[dict[str, Any]]
) -> Path:
    """The store after every example was posted one object per request (project ``single``),
    as one array (``array``) and as ``{"events": [...]}`` (``wrapped``)."""
    for example in native_examples:
        answer = post_json(http, collector.events_url("single"), example)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": 1, "rejected": [], "unknown_types": {}}
    count = len(native_examples)
    for project, body in (("array", native_examples), ("wrapped", {"events": native_examples})):
        answer = post_json(http, collector.events_url(project), body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": count, "rejected": [], "unknown_types": {}}
    return collector.db


def test_every_example_is_committed_in_each_body_shape(
    examples_store: Path, collector: RunningCollector, native_examples: list[dict[str, Any]]
) -> None:
    health = collector.health()
    assert health["accepted"] == health["committed"] == 3 * len(native_examples)
    assert health["rejected"] == 0 and health["pending"] == 0
    assert health["db"] == str(examples_store.resolve())


def test_page_load_vitals_are_exported(examples_store: Path) -> None:
    rows = export_rows(examples_store, "page-loads")
    assert sorted(row["project"] for row in rows) == sorted(PROJECTS)
    for row in rows:
        assert row["route"] == "pages/index/index"
        assert row["lcp"] == 2140.0
        assert row["fcp"] == 812.0
        assert row["cls"] == 0.04
        assert row["inp"] == 140.0
        assert row["ttfb"] == 320.0
        assert row["tbt"] == 180.0
        assert row["ts"] == 1_764_288_001_000
        assert (row["session_id"], row["user_id"]) == ("s-7f3a9c", "u-1042")
        assert row["data"]["metrics"]["largestContentfulPaint"] == 2140.0


def test_transaction_and_its_spans_are_exported(examples_store: Path) -> None:
    transactions = export_rows(examples_store, "transactions")
    spans = export_rows(examples_store, "spans")
    assert len(transactions) == 3
    for tx in transactions:
        assert tx["name"] == "checkout.submit"
        assert tx["tx_id"] == "tx-5d1e"
        assert tx["duration_ms"] == 878.5
        assert tx["span_count"] == 3
        assert tx["route"] == "pages/checkout/checkout"
        assert tx["status"] == "ok"
        assert (tx["session_id"], tx["user_id"]) == ("s-7f3a9c", "u-1042")
        own = [span for span in spans if span["event_id"] == tx["event_id"]]
        assert [span["name"] for span in own] == ["validate-cart", "POST /api/orders", "render confirmation"]
        assert [span["op"] for span in own] == ["function", "http.client", "ui.render"]
        assert own[1]["duration_ms"] == 801.7
        assert own[1]["start_ms"] == 1546.1
    assert len(spans) == 9


def test_errors_are_grouped_into_issues(
    examples_store: Path,
    collector: RunningCollector,
    http: httpx.Client,
    native_examples: list[dict[str, Any]],
) -> None:
    issues = export_rows(examples_store, "issues")
    for project in PROJECTS:
        mine = of_project(issues, project)
        assert len(mine) == 3, mine
        by_type = {issue["error_type"]: issue for issue in mine}
        assert set(by_type) == {"TypeError", "Error", "NetworkError"}
        type_error = by_type["TypeError"]
        assert "sumCart" in type_error["culprit"]
        assert type_error["title"] == "TypeError: Cannot read properties of undefined (reading 'price')"
        assert type_error["level"] == "error"
        assert type_error["status"] == "unresolved"
        assert (type_error["event_count"], type_error["user_count"]) == (1, 1)
        assert by_type["NetworkError"]["level"] == "fatal"  # severity "critical"
        assert by_type["Error"]["level"] == "warning"  # severity "medium"

    # The same error again, from another user, joins its issue rather than opening a new one.
    again = next(e for e in native_examples if e["type"] == "javascript_error")
    again.update(id="err-again", timestamp=1_764_288_009_000, userId="u-2001")
    assert post_json(http, collector.events_url("single"), again).json()["accepted"] == 1
    issues = of_project(export_rows(examples_store, "issues"), "single")
    assert len(issues) == 3
    type_error = next(issue for issue in issues if issue["error_type"] == "TypeError")
    assert (type_error["event_count"], type_error["user_count"]) == (2, 2)
    assert type_error["first_seen"] == 1_764_288_003_100
    assert type_error["last_seen"] == 1_764_288_009_000

    errors = of_project(export_rows(examples_store, "errors"), "single")
    grouped = [error for error in errors if error["issue_id"] == type_error["id"]]
    assert [error["error_id"] for error in grouped] == ["err-3b7c", "err-again"]
    assert grouped[0]["route"] == "pages/cart/cart"
    assert grouped[0]["release"] == "2.3.1"
    assert grouped[0]["environment"] == "staging"
    assert len(grouped[0]["data"]["breadcrumbs"]) == 4


def test_network_error_is_also_a_failed_request(examples_store: Path) -> None:
    network = export_rows(examples_store, "network")
    for project in PROJECTS:
        by_url = {row["url"]: row for row in of_project(network, project)}
        assert set(by_url) == {"https://api.example.com/orders", "https://api.example.com/cart"}
        failed = by_url["https://api.example.com/orders"]
        assert failed["success"] == 0
        assert failed["method"] == "POST"
        assert failed["error"] == "request:fail timeout"
        assert failed["duration_ms"] == 15000.0
        ok = by_url["https://api.example.com/cart"]
        assert (ok["success"], ok["status"], ok["duration_ms"]) == (1, 200, 183.0)


def test_identified_user_keeps_their_traits(examples_store: Path) -> None:
    users = export_rows(examples_store, "users")
    for project in PROJECTS:
        (user,) = of_project(users, project)
        assert user["user_id"] == "u-1042"
        assert user["properties"] == {"plan": "gold", "city": "Hangzhou"}


def test_experiment_with_assignment_and_goal(examples_store: Path) -> None:
    experiments = export_rows(examples_store, "experiments")
    assignments = export_rows(examples_store, "assignments")
    goals = export_rows(examples_store, "goals")
    for project in PROJECTS:
        (experiment,) = of_project(experiments, project)
        assert experiment["experiment"] == "checkout-button-color"
        assert experiment["name"] == "Checkout button colour"
        assert [v["name"] for v in experiment["variants"]] == ["control", "orange"]
        assert experiment["goals"] == ["purchase"]
        assert experiment["assigned_users"] == 1
        (assignment,) = of_project(assignments, project)
        assert (assignment["experiment"], assignment["variant"], assignment["user_id"]) == (
            "checkout-button-color",
            "orange",
            "u-1042",
        )
        (goal,) = of_project(goals, project)
        assert (goal["goal"], goal["variant"], goal["value"]) == ("purchase", "orange", 1.0)


def test_logs_and_analytics_events_are_exported(examples_store: Path) -> None:
    logs = export_rows(examples_store, "logs")
    assert len(logs) == 3
    for log in logs:
        assert log["level"] == "warning"  # the logger's "warn"
        assert log["message"] == "price missing for sku 88"
        assert log["ts"] == 1_764_288_003_500  # from "2025-11-28T00:00:03.500Z"
        assert log["source"] == "pages/cart/cart.js"
    events = of_project(export_rows(examples_store, "events"), "wrapped")
    by_name = {event["name"]: event for event in events}
    assert set(by_name) == {
        "user_identified",
        "funnel_step",
        "conversion",
        "experiment_assignment",
        "experiment_goal",
    }
    conversion = by_name["conversion"]
    assert (conversion["conversion_type"], conversion["value"], conversion["currency"]) == (
        "purchase",
        129.0,
        "CNY",
    )
    step = by_name["funnel_step"]
    assert (step["funnel"], step["step"], step["step_index"]) == ("purchase", "checkout", 2)
    (custom,) = of_project(export_rows(examples_store, "custom-events"), "wrapped")
    assert custom["name"] == "coupon_applied"
    assert custom["route"] == "pages/cart/cart"
    interactions = of_project(export_rows(examples_store, "interactions"), "wrapped")
    assert [i["action"] for i in interactions] == ["click", "form_submit", "scroll"]
    assert interactions[0]["element_id"] == "checkout"
    assert interactions[2]["scroll_percentage"] == 62.5


def test_csv_export_has_a_header_and_parses(examples_store: Path) -> None:
    home = examples_store.parent / "home"
    text = run_lookout(
        "export", "--db", str(examples_store), "--kind", "page-loads", "--format", "csv", home=home
    )
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames is not None
    assert {"event_id", "ts", "project", "route", "lcp", "fcp", "cls", "data"} <= set(reader.fieldnames)
    rows = list(reader)
    assert len(rows) == 3
    for row in rows:
        assert row["route"] == "pages/index/index"
        assert float(row["lcp"]) == 2140.0
        assert json.loads(row["data"])["url"] == "pages/index/index"

    out = examples_store.parent / "issues.csv"
    run_lookout(
        "export",
        "--db",
        str(examples_store),
        "--kind",
        "issues",
        "--format",
        "csv",
        "--out",
        str(out),
        home=home,
    )
    with out.open(newline="", encoding="utf-8") as handle:
        issues = list(csv.DictReader(handle))
    assert len(issues) == 9
    assert sum("sumCart" in issue["culprit"] for issue in issues) == 3


# --- bad requests and their answers --------------------------------------------------------


def test_invalid_json_is_400_with_a_reason(collector: RunningCollector, http: httpx.Client) -> None:
    answer = http.post(collector.events_url(), content=b'{"type": "log", ', headers=JSON)
    body = assert_error(answer, 400, "invalid_json")
    assert "not JSON" in body["detail"]


def test_body_of_the_wrong_shape_is_400(collector: RunningCollector, http: httpx.Client) -> None:
    # One collector for every case: starting one per case would triple this file's runtime.
    for payload in (42, "page_load", {"events": 5}, None):
        assert_error(post_json(http, collector.events_url(), payload), 400, "invalid_shape")


def test_request_whose_every_event_is_invalid_is_400_listing_each(
    collector: RunningCollector, http: httpx.Client
) -> None:
    payload = [
        {"type": "page_load", "metrics": {"largestContentfulPaint": 1.0}},  # no url
        7,
        {"name": "no type"},
        {"type": "log", "message": "x", "timestamp": "yesterday"},
    ]
    body = assert_error(post_json(http, collector.events_url(), payload), 400, "no_valid_events")
    assert body["accepted"] == 0
    assert [r["index"] for r in body["rejected"]] == [0, 1, 2, 3]
    assert all(isinstance(r["reason"], str) and r["reason"] for r in body["rejected"])
    assert "url" in body["rejected"][0]["reason"]
    assert "timestamp" in body["rejected"][3]["reason"]
    assert collector.health()["committed"] == 0


def test_one_bad_event_does_not_cost_the_good_one(collector: RunningCollector, http: httpx.Client) -> None:
    payload = [custom_events("kept", 1)[0], {"type": "custom_event", "properties": {"a": 1}}]
    answer = post_json(http, collector.events_url(), payload)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] == 1
    assert len(body["rejected"]) == 1
    assert body["rejected"][0]["index"] == 1
    assert "name" in body["rejected"][0]["reason"]
    assert [row["name"] for row in export_rows(collector.db, "custom-events")] == ["kept-0"]


def test_unknown_types_are_counted_not_stored(collector: RunningCollector, http: httpx.Client) -> None:
    payload = [{"type": "telepathy"}, custom_events("known", 1)[0], {"type": "telepathy"}, {"type": "smoke"}]
    answer = post_json(http, collector.events_url(), payload)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "rejected": [], "unknown_types": {"telepathy": 2, "smoke": 1}}

    only_unknown = post_json(http, collector.events_url(), [{"type": "telepathy"}])
    body = assert_error(only_unknown, 400, "no_valid_events")
    assert body["unknown_types"] == {"telepathy": 1}

    health = collector.health()
    assert health["unknown_types"] == {"telepathy": 3, "smoke": 1}
    assert health["committed"] == 1


def test_invalid_project_name_is_400(collector: RunningCollector, http: httpx.Client) -> None:
    answer = post_json(http, f"{collector.url}/api/bad%20name/events", custom_events("x", 1))
    assert_error(answer, 400, "invalid_project")


def test_unknown_path_is_404_naming_the_valid_ones(collector: RunningCollector, http: httpx.Client) -> None:
    for answer in (
        http.get(f"{collector.url}/nowhere"),
        post_json(http, f"{collector.url}/api/shop/event", custom_events("x", 1)),
    ):
        body = assert_error(answer, 404, "not_found")
        assert "POST /api/<project>/events" in body["detail"]
        assert "GET /healthz" in body["detail"]


def test_wrong_method_is_405(collector: RunningCollector, http: httpx.Client) -> None:
    body = assert_error(http.get(collector.events_url()), 405, "method_not_allowed")
    assert "GET" in body["detail"]
    assert_error(http.put(collector.events_url(), content=b"[]", headers=JSON), 405, "method_not_allowed")
    assert_error(
        http.post(f"{collector.url}/healthz", content=b"{}", headers=JSON), 405, "method_not_allowed"
    )


def test_405_names_the_allowed_methods(collector: RunningCollector, http: httpx.Client) -> None:
    answer = http.get(collector.events_url())
    assert answer.status_code == 405
    assert "POST" in answer.headers.get("allow", "")


def test_native_path_wants_a_json_content_type(collector: RunningCollector, http: httpx.Client) -> None:
    body = json.dumps(custom_events("x", 1)).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = http.post(collector.events_url(), content=body, headers=headers)
        error = assert_error(answer, 415, "unsupported_media_type")
        assert "application/json" in error["detail"]
    assert collector.health()["committed"] == 0

    for content_type in ("application/json; charset=utf-8", "text/json", "application/vnd.x+json"):
        answer = http.post(collector.events_url(), content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 200, (content_type, answer.text)
    assert collector.health()["committed"] == 3


def test_unknown_content_encoding_is_415(collector: RunningCollector, http: httpx.Client) -> None:
    answer = http.post(
        collector.events_url(),
        content=json.dumps(custom_events("x", 1)).encode(),
        headers={**JSON, "Content-Encoding": "compress"},
    )
    body = assert_error(answer, 415, "unsupported_encoding")
    assert "'compress'" in body["detail"] and "br, zstd" in body["detail"]


def test_compressed_bodies_are_accepted(collector: RunningCollector, http: httpx.Client) -> None:
    def raw_deflate(data: bytes) -> bytes:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()

    cases: list[tuple[str, str, Callable[[bytes], bytes]]] = [
        ("gzip", "gzip", gzip.compress),
        ("x-gzip", "x-gzip", gzip.compress),
        ("zlib", "deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("raw-deflate", "Deflate", raw_deflate),  # raw, as some clients send it; any letter case
        ("brotli", "br", brotli.compress),
        ("zstd", "zstd", zstandard.ZstdCompressor().compress),
    ]
    for label, encoding, pack in cases:
        body = pack(json.dumps(custom_events(label, 2)).encode())
        answer = http.post(
            collector.events_url(), content=body, headers={**JSON, "Content-Encoding": encoding}
        )
        assert answer.status_code == 200, (label, answer.text)
        assert answer.json()["accepted"] == 2
    names = sorted(row["name"] for row in export_rows(collector.db, "custom-events"))
    assert names == sorted(f"{label}-{n}" for label, _, _ in cases for n in range(2))


def test_corrupt_or_truncated_compression_is_400(collector: RunningCollector, http: httpx.Client) -> None:
    packed = gzip.compress(json.dumps(custom_events("x", 20)).encode())
    for body in (b"not gzip at all", packed[: len(packed) // 2]):
        answer = http.post(collector.events_url(), content=body, headers={**JSON, "Content-Encoding": "gzip"})
        assert_error(answer, 400, "bad_encoding")
    plain = json.dumps(custom_events("x", 20)).encode()
    for encoding, pack in (("br", brotli.compress), ("zstd", zstandard.ZstdCompressor().compress)):
        packed = pack(plain)
        for body in (b"not compressed at all", packed[: len(packed) // 2]):
            answer = http.post(collector.events_url(), content=body, headers={**JSON, "Content-Encoding": encoding})
            assert_error(answer, 400, "bad_encoding")
    assert collector.health()["committed"] == 0


def test_bodies_over_the_limit_are_413(
    launch_collector: CollectorLauncher, http: httpx.Client, native_examples: list[dict[str, Any]]
) -> None:
    collector = launch_collector.start(None, "--max-body", "2048")
    big = json.dumps(native_examples).encode()
    assert len(big) > 2048

    # Declared length over the limit.
    body = assert_error(
        http.post(collector.events_url(), content=big, headers=JSON), 413, "payload_too_large"
    )
    assert "2048" in body["detail"]

    # Chunked, with no Content-Length to refuse it by.
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    assert_error(http.post(collector.events_url(), content=chunks(), headers=JSON), 413, "payload_too_large")

    # A small gzip body that inflates past the limit.
    bomb = gzip.compress(b"[" + b" " * 200_000 + b"]")
    assert len(bomb) < 2048
    body = assert_error(
        http.post(collector.events_url(), content=bomb, headers={**JSON, "Content-Encoding": "gzip"}),
        413,
        "payload_too_large",
    )
    assert "decompressed" in body["detail"]

    # Under the limit, compressed or not, still fine.
    small = json.dumps(custom_events("small", 3)).encode()
    assert http.post(collector.events_url(), content=small, headers=JSON).status_code == 200
    packed = gzip.compress(json.dumps(custom_events("packed", 3)).encode())
    answer = http.post(collector.events_url(), content=packed, headers={**JSON, "Content-Encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    assert collector.health()["committed"] == 6


def test_too_many_events_in_one_request_is_413(collector: RunningCollector, http: httpx.Client) -> None:
    payload = [{"type": "telepathy"}] * 10_001
    body = assert_error(post_json(http, collector.events_url(), payload), 413, "too_many_events")
    assert "10000" in body["detail"]


def test_cors_preflight_and_answers_carry_allow_origin(
    collector: RunningCollector, http: httpx.Client
) -> None:
    origin = "https://servicewechat.com"
    preflight = http.options(
        collector.events_url(),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-lookout-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", origin)
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed_headers and "x-lookout-key" in allowed_headers

    good = post_json(http, collector.events_url(), custom_events("x", 1), Origin=origin)
    bad = http.post(collector.events_url(), content=b"{", headers={**JSON, "Origin": origin})
    for answer in (good, bad):
        assert answer.headers["access-control-allow-origin"] in ("*", origin)


def test_healthz_describes_the_collector(collector: RunningCollector) -> None:
    health = collector.health()
    assert health["status"] == "ok"
    assert health["db"] == str(collector.db.resolve())
    assert health["keys_required"] is False
    assert health["committed"] == 0 and health["pending"] == 0
    assert health["store_error"] is None


def test_out_of_range_numbers_do_not_stop_the_collector(
    collector: RunningCollector, native_examples: list[dict[str, Any]]
) -> None:
    try:
        with httpx.Client(timeout=2.0) as client:
            absurd = {"type": "custom_event", "name": "far-future", "timestamp": 1e30}
            answer = post_json(client, collector.events_url(), [custom_events("x", 1)[0], absurd])
            assert answer.status_code in (200, 400), answer.text
            later = post_json(client, collector.events_url(), custom_events("later", 1))
            assert later.status_code == 200, later.text
    finally:
        collector.process.kill()  # its hung requests would hold up a graceful shutdown
        collector.process.wait(10)
