"""Tests for the simulated mini-program traffic in ``console.core.demo``."""

from __future__ import annotations

import json
import re
import socket
import statistics
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from console.core.demo import DEMO_KPIS, DemoScenario, DemoStats, run_demo_traffic
from console.core.ingest.native import decode_native

EXAMPLES = Path(__file__).parents[2] / "fixtures" / "payloads" / "native-examples.json"
START_MS = 1_764_288_000_000

# Fields whose contents are free-form by design, so only their presence is compared.
FREE_FORM = {("custom_event", "properties"), ("log", "context"), ("event:user_identified", "properties.properties")}
# Fields the demo sends beyond the protocol's examples: where page loads and transactions ran
# (the native decoder reads them for the Performance panel's filters).
EXTRA = {"page_load": {"deviceInfo", "context"}, "transaction": {"deviceInfo", "context"}}


def shape_key(payload: dict[str, Any]) -> str:
    kind = payload["type"]
    if kind == "interaction":
        return f"interaction:{payload['action']}"
    if kind == "event":
        return f"event:{payload['name']}"
    return str(kind)


def load_examples() -> dict[str, dict[str, Any]]:
    return {shape_key(example): example for example in json.loads(EXAMPLES.read_text())["examples"]}


def simulate(seed: int, events: int = 20_000, *, step_ms: int = 400, batch: int = 20, users: int = 400
             ) -> list[dict[str, Any]]:
    """Events from a scenario fed the way run_demo_traffic feeds it (50 events/s by default)."""
    scenario = DemoScenario(seed=seed, users=users)
    out: list[dict[str, Any]] = []
    now = START_MS
    while len(out) < events:
        now += step_ms
        out.extend(scenario.next_batch(batch, now))
    return out


@pytest.fixture(scope="module")
def traffic() -> list[dict[str, Any]]:
    return simulate(seed=11)


def key_differences(example: Any, payload: Any, kind: str, path: str = "") -> list[str]:
    if not isinstance(example, dict):
        return []
    keys = set(payload) - (EXTRA.get(kind, set()) if not path else set())
    if set(example) != keys:
        return [f"{kind} {path or '<top>'}: {sorted(set(example) ^ keys)}"]
    problems: list[str] = []
    for key, value in example.items():
        inner = f"{path}.{key}" if path else key
        if (kind, inner) not in FREE_FORM:
            problems += key_differences(value, payload[key], kind, inner)
    return problems


# -- the payloads ----------------------------------------------------------------------------


def test_same_seed_same_payloads_and_other_seed_differs() -> None:
    assert simulate(seed=5, events=3000) == simulate(seed=5, events=3000)
    assert simulate(seed=5, events=3000) != simulate(seed=6, events=3000)


def test_every_payload_has_an_example_kind_and_its_fields(traffic: list[dict[str, Any]]) -> None:
    examples = load_examples()
    traffic = [payload for payload in traffic if payload["type"] != "kpi"]  # no example: see below
    kinds = Counter(shape_key(payload) for payload in traffic)
    assert set(kinds) == set(examples), "every kind is produced, and nothing else"
    problems = [problem for payload in traffic
                for problem in key_differences(examples[shape_key(payload)], payload, shape_key(payload))]
    assert problems == []


def test_times_are_epoch_ms_except_the_log_iso_string(traffic: list[dict[str, Any]]) -> None:
    for payload in traffic:
        if payload["type"] == "log":
            assert payload["timestamp"].endswith("Z")
            assert datetime.fromisoformat(payload["timestamp"]).timestamp() * 1000 >= START_MS
        elif payload["type"] not in ("experiment", "kpi"):
            assert isinstance(payload["timestamp"], int) and payload["timestamp"] > START_MS


def test_payloads_carry_session_and_user(traffic: list[dict[str, Any]]) -> None:
    for payload in traffic:
        if payload["type"] == "transaction":
            assert payload["transaction"]["context"]["userId"].startswith("u-")
        elif payload["type"] not in ("experiment", "kpi"):
            assert payload["sessionId"].startswith("s-") and payload["userId"].startswith("u-")


def test_experiment_definition_is_sent_once_first(traffic: list[dict[str, Any]]) -> None:
    definitions = [i for i, payload in enumerate(traffic) if payload["type"] == "experiment"]
    assert definitions == [0]
    assert traffic[0] == load_examples()["experiment"]


def test_kpi_definitions_follow_the_experiment_once_and_decode(traffic: list[dict[str, Any]]) -> None:
    kpis = [i for i, payload in enumerate(traffic) if payload["type"] == "kpi"]
    assert kpis == list(range(1, 1 + len(DEMO_KPIS)))
    batch = decode_native(json.dumps([traffic[i] for i in kpis]).encode(), project="demo", now_ms=START_MS)
    assert batch.rejected == []
    assert [event.columns["name"] for event in batch.events] == [
        "Active users", "Checkout conversion", "Revenue", "LCP p75", "Sessions with an error"]


def test_devices_vary_across_brands_platforms_and_wechat_versions(traffic: list[dict[str, Any]]) -> None:
    devices = [p["deviceInfo"] for p in traffic if p["type"] == "page_view"]
    assert {d["platform"] for d in devices} == {"ios", "android", "devtools"}
    assert len({d["brand"] for d in devices}) >= 4
    assert len({d["version"] for d in devices}) >= 3


def test_page_loads_and_transactions_ran_where_their_sessions_page_views_did(
    traffic: list[dict[str, Any]],
) -> None:
    device_of: dict[str, dict[str, Any]] = {}
    release_of: dict[str, str] = {}
    for payload in traffic:
        if payload["type"] == "page_view":
            device_of[payload["sessionId"]] = payload["deviceInfo"]
        elif payload["type"] == "javascript_error":
            release_of[payload["userId"]] = payload["context"]["appVersion"]
    timed = [p for p in traffic if p["type"] in ("page_load", "transaction")]
    assert {p["type"] for p in timed} == {"page_load", "transaction"}
    for payload in timed:
        session = payload.get("sessionId") or payload["transaction"]["context"]["sessionId"]
        user = payload.get("userId") or payload["transaction"]["context"]["userId"]
        assert payload["deviceInfo"] == device_of[session]
        assert payload["context"]["environment"] == "production"
        assert payload["context"]["appVersion"] == release_of.get(user, payload["context"]["appVersion"])
    assert {p["deviceInfo"]["platform"] for p in timed} == {"ios", "android", "devtools"}
    assert len({p["deviceInfo"]["model"] for p in timed}) >= 6
    assert {p["context"]["appVersion"] for p in timed} == {"2.3.0", "2.3.1"}
    # What the Performance panel then filters on.
    batch = decode_native(json.dumps(timed[:1000]).encode(), project="demo", now_ms=START_MS)
    assert batch.rejected == []
    columns = [e.columns for e in batch.events]
    assert {c["platform"] for c in columns} == {"ios", "android", "devtools"}
    assert len({c["device"] for c in columns}) >= 6 and {c["release"] for c in columns} == {"2.3.0", "2.3.1"}
    assert {c["environment"] for c in columns} == {"production"}


def test_search_page_has_poor_lcp(traffic: list[dict[str, Any]]) -> None:
    lcp: dict[str, list[float]] = defaultdict(list)
    for payload in traffic:
        if payload["type"] == "page_load":
            lcp[payload["url"]].append(payload["metrics"]["largestContentfulPaint"])
    assert statistics.median(lcp["pages/search/search"]) > 4000  # "poor" starts at 4 s
    assert statistics.median(lcp["pages/index/index"]) < 2500  # "good"


def test_network_requests_mostly_succeed_some_fail_some_are_slow(traffic: list[dict[str, Any]]) -> None:
    requests = [p for p in traffic if p["type"] == "network_request"]
    statuses = Counter(p["status"] for p in requests)
    assert statuses[200] + statuses[201] > 0.9 * len(requests)
    assert statuses[500] > 0 and statuses[404] > 0
    assert all(p["success"] == (p["status"] < 400) for p in requests)
    assert any(p["duration"] > 2000 for p in requests)


def test_transactions_have_two_to_five_consistent_spans(traffic: list[dict[str, Any]]) -> None:
    transactions = [p for p in traffic if p["type"] == "transaction"]
    assert {len(p["transaction"]["spans"]) for p in transactions} == {2, 3, 4, 5}
    for payload in transactions:
        tx, spans = payload["transaction"], payload["transaction"]["spans"]
        assert payload["metrics"]["spanCount"] == len(spans)
        assert payload["metrics"]["slowestSpan"] == max(spans, key=lambda span: span["duration"])["name"]
        assert tx["startTime"] <= spans[0]["startTime"] and tx["endTime"] >= spans[-1]["startTime"]


def test_logs_have_all_levels(traffic: list[dict[str, Any]]) -> None:
    assert {p["level"] for p in traffic if p["type"] == "log"} == {"info", "warn", "error"}


def test_purchase_funnel_drops_off_and_conversions_are_in_cny(traffic: list[dict[str, Any]]) -> None:
    users_at: dict[str, set[str]] = defaultdict(set)
    for payload in traffic:
        if payload["type"] == "event" and payload["name"] == "funnel_step":
            users_at[payload["properties"]["step"]].add(payload["userId"])
    counts = [len(users_at[step]) for step in ("view_item", "add_to_cart", "checkout", "pay")]
    assert counts[0] > counts[1] > counts[2] > counts[3] > 0
    conversions = [p["properties"] for p in traffic if p["type"] == "event" and p["name"] == "conversion"]
    assert conversions and all(c["currency"] == "CNY" and c["value"] > 0 for c in conversions)


def test_some_users_identify_once(traffic: list[dict[str, Any]]) -> None:
    identified = Counter(p["userId"] for p in traffic if p["type"] == "event" and p["name"] == "user_identified")
    assigned = {p["userId"] for p in traffic if p["type"] == "event" and p["name"] == "experiment_assignment"}
    assert 0 < len(identified) < len(assigned)
    assert set(identified.values()) == {1}


# -- the experiment --------------------------------------------------------------------------


def experiment_events(traffic: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [p for p in traffic if p["type"] == "event" and p["name"] == name]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_orange_converts_better_per_assigned_user(seed: int) -> None:
    traffic = simulate(seed=seed)
    assigned: dict[str, set[str]] = defaultdict(set)
    converted: dict[str, set[str]] = defaultdict(set)
    for payload in experiment_events(traffic, "experiment_assignment"):
        assigned[payload["properties"]["variant"]].add(payload["userId"])
    for payload in experiment_events(traffic, "experiment_goal"):
        assert payload["properties"]["goal"] == "purchase"
        converted[payload["properties"]["variant"]].add(payload["userId"])
    rate = {variant: len(converted[variant] & assigned[variant]) / len(assigned[variant])
            for variant in ("control", "orange")}
    assert min(len(users) for users in assigned.values()) > 100
    assert rate["orange"] > rate["control"]
    assert 0.07 < rate["control"] < 0.13 and 0.09 < rate["orange"] < 0.15


def test_each_user_is_assigned_once_and_keeps_its_variant(traffic: list[dict[str, Any]]) -> None:
    assignments = Counter(p["userId"] for p in experiment_events(traffic, "experiment_assignment"))
    assert set(assignments.values()) == {1}
    variants: dict[str, set[str]] = defaultdict(set)
    for payload in traffic + simulate(seed=99, events=5000):  # another run, another seed
        if payload["type"] == "event" and payload["name"] in ("experiment_assignment", "experiment_goal"):
            variants[payload["userId"]].add(payload["properties"]["variant"])
    assert variants and all(len(seen) == 1 for seen in variants.values())
    assert {v for seen in variants.values() for v in seen} == {"control", "orange"}


# -- errors ----------------------------------------------------------------------------------


def mask(message: str) -> str:
    message = re.sub(r"'[^']*'", "'?'", message)
    message = re.sub(r"\b[a-z]-\d+\b", "<id>", message)
    return re.sub(r"\d+", "<n>", message)


def error_groups(traffic: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Error messages grouped by where they were thrown (the top stack frame)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for payload in traffic:
        if payload["type"] in ("javascript_error", "unhandled_promise_rejection"):
            groups[payload["stack"].split("\n")[1]].append(payload["message"])
        elif payload["type"] == "network_error":
            groups[f"network {payload['method']}"].append(payload["url"])
    return groups


def test_a_handful_of_recurring_errors_whose_messages_need_masking(traffic: list[dict[str, Any]]) -> None:
    groups = error_groups(traffic)
    assert 5 <= len(groups) <= 6
    assert sum(len(messages) >= 5 for messages in groups.values()) >= 4
    for place, messages in groups.items():
        if len(messages) >= 3:
            assert len(set(messages)) >= min(10, len(messages) // 2 + 1), f"{place}: variable parts vary"
        assert len({mask(message) for message in messages}) == 1, f"{place}: one fingerprint after masking"


def test_errors_carry_breadcrumbs_and_stacks_into_pages(traffic: list[dict[str, Any]]) -> None:
    errors = [p for p in traffic if p["type"] == "javascript_error"]
    assert all(re.search(r"\(pages/\w+/\w+\.js:\d+:\d+\)", p["stack"]) for p in errors)
    assert all(p["breadcrumbs"] for p in errors)
    assert {crumb["type"] for p in errors for crumb in p["breadcrumbs"]} >= {"navigation", "http", "user"}


def test_one_error_bursts_every_few_minutes() -> None:
    traffic = simulate(seed=3, events=50 * 900)  # 15 simulated minutes at 50 events/s
    per_window: Counter[tuple[str, int]] = Counter()
    for payload in traffic:
        if payload["type"] in ("javascript_error", "unhandled_promise_rejection", "network_error"):
            place = payload.get("stack", "network").split("\n")[-1]
            per_window[(place, (payload["timestamp"] - START_MS) // 20_000)] += 1
    counts = sorted(per_window.values())
    spikes = [count for count in counts if count > 10 * statistics.median(counts)]
    assert 3 <= len(spikes) <= 10  # a burst spans one or two 20 s windows, one every 4 minutes


# -- run_demo_traffic ------------------------------------------------------------------------


class Collector:
    """A stand-in collector on a real port; ``answer`` decides each response."""

    def __init__(self, answer: Callable[[Collector], tuple[int, dict[str, str], bytes]]) -> None:
        self.answer = answer
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        self.content_types: list[str] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.paths.append(self.path)
                collector.content_types.append(self.headers.get("Content-Type", ""))
                collector.bodies.append(json.loads(body))
                status, headers, reply = collector.answer(collector)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="test-collector")

    @property
    def events(self) -> int:
        return sum(len(body["events"]) for body in self.bodies)


@pytest.fixture
def collector_factory() -> Iterator[Callable[..., Collector]]:
    started: list[Collector] = []

    def start(answer: Callable[[Collector], tuple[int, dict[str, str], bytes]]) -> Collector:
        collector = Collector(answer)
        collector.thread.start()
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.server.shutdown()
        collector.server.server_close()
        collector.thread.join(timeout=5)
        assert not collector.thread.is_alive()


def accept_all(collector: Collector) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, json.dumps({"accepted": len(collector.bodies[-1]["events"]), "rejected": []}).encode()


def test_posts_event_batches_until_stop(collector_factory: Callable[..., Collector]) -> None:
    stop = threading.Event()

    def answer(collector: Collector) -> tuple[int, dict[str, str], bytes]:
        if len(collector.bodies) == 3:
            stop.set()
        return accept_all(collector)

    collector = collector_factory(answer)
    stats = run_demo_traffic(collector.url + "/", rate=1000, batch_size=7, project="shop", seed=1,
                             stop=stop, duration=10)
    assert stats == DemoStats(sent=21, accepted=21, rejected=0, requests=3, failed_requests=0,
                              elapsed_s=stats.elapsed_s)
    assert stats.elapsed_s < 5
    assert collector.paths == ["/api/shop/events"] * 3
    assert all(ct.startswith("application/json") for ct in collector.content_types)
    assert all(set(body) == {"events"} and len(body["events"]) == 7 for body in collector.bodies)
    assert collector.bodies[0]["events"][0]["type"] == "experiment"
    kinds = {*load_examples(), "kpi"}
    assert all(shape_key(event) in kinds for body in collector.bodies for event in body["events"])


def test_runs_for_duration_at_about_the_rate(collector_factory: Callable[..., Collector]) -> None:
    collector = collector_factory(accept_all)
    stats = run_demo_traffic(collector.url, rate=400, batch_size=10, duration=0.5, seed=2)
    assert 0.45 <= stats.elapsed_s < 2.0
    assert 100 <= stats.sent <= 220  # ~200 expected; the lower bound allows a slow machine
    assert stats.sent == stats.accepted == collector.events and stats.sent % 10 == 0
    assert stats.requests == len(collector.bodies) and stats.failed_requests == 0


def test_counts_rejections_the_collector_reports(collector_factory: Callable[..., Collector]) -> None:
    stop = threading.Event()

    def answer(collector: Collector) -> tuple[int, dict[str, str], bytes]:
        stop.set()
        return 200, {}, json.dumps({"accepted": 3, "rejected": [{"index": 0}, {"index": 4}]}).encode()

    collector = collector_factory(answer)
    stats = run_demo_traffic(collector.url, batch_size=5, stop=stop, duration=5)
    assert (stats.sent, stats.accepted, stats.rejected, stats.requests) == (5, 3, 2, 1)


def test_429_is_counted_as_failed_and_the_batch_retried(collector_factory: Callable[..., Collector]) -> None:
    stop = threading.Event()

    def answer(collector: Collector) -> tuple[int, dict[str, str], bytes]:
        if len(collector.bodies) <= 2:
            return 429, {"Retry-After": "0"}, b'{"error": "rate_limited"}'
        stop.set()
        return accept_all(collector)

    collector = collector_factory(answer)
    stats = run_demo_traffic(collector.url, rate=100, batch_size=4, stop=stop, duration=5)
    assert (stats.requests, stats.failed_requests, stats.sent, stats.accepted) == (3, 2, 4, 4)
    assert collector.bodies[0] == collector.bodies[1] == collector.bodies[2], "the same batch is retried"


def test_connection_errors_are_counted_not_raised() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stats = run_demo_traffic(f"http://127.0.0.1:{port}", rate=100, batch_size=5, duration=0.6)
    assert stats.requests >= 1 and stats.failed_requests == stats.requests
    assert stats.sent == stats.accepted == 0
    assert stats.elapsed_s < 3


def test_rejects_nonsense_rate() -> None:
    with pytest.raises(ValueError):
        run_demo_traffic("http://127.0.0.1:1", rate=0)


def test_metrics_exports_decode_into_growing_series() -> None:
    from console.core.demo_metrics import DemoMetrics
    from console.core.ingest.otlp import decode_otlp

    metrics = DemoMetrics(service="shop", seed=3)
    first = decode_otlp("metrics", json.dumps(metrics.export(1_000)).encode(),
                        content_type="application/json", project=None, now_ms=0)
    second = decode_otlp("metrics", json.dumps(metrics.export(6_000)).encode(),
                         content_type="application/json", project=None, now_ms=0)
    assert first.rejected == 0 and second.rejected == 0
    points = {}
    for batch in (first, second):
        (event,) = batch.events
        assert event.project == "shop"
        for table, row in event.children:
            assert table == "metric_points"
            points.setdefault(row["name"], []).append(row)
    assert set(points) == {"app.js_heap.used", "app.api.calls", "app.render.duration"}
    calls = [p["value"] for p in points["app.api.calls"]]
    assert calls[1] > calls[0] > 0  # a cumulative counter
    renders = points["app.render.duration"]
    assert renders[1]["count"] > renders[0]["count"] and renders[0]["type"] == "histogram"
    assert [p["ts"] for p in points["app.js_heap.used"]] == [1_000, 6_000]


def test_metrics_are_posted_to_v1_metrics_when_asked(collector_factory: Callable[..., Collector]) -> None:
    def answer(collector: Collector) -> tuple[int, dict[str, str], bytes]:
        if collector.paths[-1] == "/v1/metrics":
            return 200, {}, b"{}"
        return accept_all(collector)

    collector = collector_factory(answer)
    stats = run_demo_traffic(collector.url, rate=200, batch_size=10, duration=0.6, seed=2, metrics_every_s=0.25)
    assert stats.failed_requests == 0
    metric_bodies = [b for p, b in zip(collector.paths, collector.bodies, strict=True) if p == "/v1/metrics"]
    assert 2 <= len(metric_bodies) <= 4
    assert all("resourceMetrics" in body for body in metric_bodies)
    assert stats.requests == len(collector.bodies) - len(metric_bodies)
