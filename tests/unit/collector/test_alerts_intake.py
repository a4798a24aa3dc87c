"""``POST /lookout/alerts/actions``: the writer carries out what the window asks, for this machine only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.collector.alerting import AlertLoop, ChannelSettings
from console.collector.app import CollectorSettings, create_app
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric
from console.core.analysis.alerts.state import AlertState
from console.core.store import alerts as alert_store
from console.core.store.writer import StoreWriter
from tests.unit.collector.receiver import WebhookReceiver

PATH = "/lookout/alerts/actions"


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[StoreWriter]:
    store = StoreWriter(path=tmp_path / "s.db")
    store.start()
    try:
        yield store
    finally:
        store.stop()


def send(app: Any, requests: list[tuple[str, Any]], client: tuple[str, int] = ("127.0.0.1", 5000)) -> list[httpx.Response]:
    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=15) as http:
            return [await http.post(path, json=body) for path, body in requests]

    return asyncio.run(scenario())


def busy_rule() -> AlertRule:
    return AlertRule(
        name="Busy shop", metric=Metric.EVENT_COUNT, comparison=Comparison.ABOVE, threshold=2,
        kind="custom_event", for_s=0, min_sample=0, channels=("webhook",),
    )


def custom_events(count: int) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    return [{"type": "custom_event", "name": f"tap-{n}", "timestamp": now - n, "sessionId": "s"} for n in range(count)]


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == code and isinstance(body["detail"], str) and body["detail"], body


def test_save_disable_and_acknowledge(writer: StoreWriter) -> None:
    app = create_app(writer=writer, settings=CollectorSettings(db_path=writer.path))
    (saved,) = send(app, [(PATH, {"kind": "save_rule", "rule": busy_rule().to_json()})])
    assert saved.status_code == 200, saved.text
    assert saved.json()["ok"] is True
    rule_id = saved.json()["rule_id"]
    (rule,) = [r for r in writer.run_sync(alert_store.list_rules) if r.id == rule_id]
    assert rule.name == "Busy shop" and rule.enabled

    # Make it fire, so there is something to acknowledge.
    send(app, [("/api/shop/events", custom_events(5))])
    loop = AlertLoop(writer, writer.path, interval_s=60)
    loop.run_once()
    loop.stop()
    assert writer.run_sync(alert_store.load_states)[rule_id].state is AlertState.FIRING

    answers = send(app, [(PATH, {"kind": "acknowledge", "rule_id": rule_id}), (PATH, {"kind": "disable", "rule_id": rule_id})])
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert all(a.json()["ok"] is True for a in answers)
    assert writer.run_sync(alert_store.load_states)[rule_id].acknowledged
    (rule,) = [r for r in writer.run_sync(alert_store.list_rules) if r.id == rule_id]
    assert not rule.enabled


def test_bad_actions_answer_400(writer: StoreWriter) -> None:
    app = create_app(writer=writer, settings=CollectorSettings(db_path=writer.path))
    answers = send(app, [
        (PATH, "not an action"),
        (PATH, ["save_rule"]),
        (PATH, {"kind": "explode", "rule_id": 1}),
        (PATH, {"kind": "save_rule", "rule": {"name": "no metric"}}),
        (PATH, {"kind": "save_rule", "rule": {**busy_rule().to_json(), "metric": "vibes"}}),
    ])
    for answer in answers:
        assert_error(answer, 400, "invalid_action")
    async def raw() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.post(PATH, content=b"{not json")

    assert_error(asyncio.run(raw()), 400, "invalid_action")
    assert [r.name for r in writer.run_sync(alert_store.list_rules) if r.name == "no metric"] == []


def test_actions_from_another_machine_are_refused(writer: StoreWriter) -> None:
    app = create_app(
        writer=writer, settings=CollectorSettings(db_path=writer.path, host="0.0.0.0", require_keys=True)
    )
    (answer,) = send(app, [(PATH, {"kind": "save_rule", "rule": busy_rule().to_json()})], client=("10.1.2.3", 4000))
    assert_error(answer, 403, "forbidden")
    assert [r for r in writer.run_sync(alert_store.list_rules) if r.name == "Busy shop"] == []


def test_a_saved_rule_is_evaluated_at_once(writer: StoreWriter) -> None:
    with WebhookReceiver() as receiver:
        loop = AlertLoop(writer, writer.path, interval_s=3600, channels=ChannelSettings(webhook_urls=(receiver.url,)))
        app = create_app(writer=writer, settings=CollectorSettings(db_path=writer.path), alerts=loop)
        send(app, [("/api/shop/events", custom_events(5))])
        loop.start()
        try:
            deadline = time.monotonic() + 5
            while loop.stats.cycles < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            (saved,) = send(app, [(PATH, {"kind": "save_rule", "rule": busy_rule().to_json()})])
            assert saved.status_code == 200
            (got,) = receiver.wait_for(1, timeout=5)  # long before the hour is up
            assert got.body["rule"] == "Busy shop" and got.body["rule_id"] == saved.json()["rule_id"]
        finally:
            loop.stop()
