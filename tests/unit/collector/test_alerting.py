"""The headless alert channels and the loop: webhooks (with retries), the log file, restarts."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from console.collector.alerting import AlertDelivery, AlertLoop, ChannelSettings, Notification
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric, Severity
from console.core.analysis.alerts.state import AlertState, Transition
from console.core.ingest.native import decode_native
from console.core.store import alerts as alert_store
from console.core.store.writer import StoreWriter
from tests.unit.collector.receiver import WebhookReceiver

NOW_MS = 1_764_288_000_000


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[StoreWriter]:
    store = StoreWriter(path=tmp_path / "s.db")
    store.start()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture(autouse=True)
def no_alert_threads_left() -> Iterator[None]:
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith("lookout.alerts")]
    assert not left, f"alert threads left running: {left}"


def firing(rule_id: int = 1, name: str = "Checkout is slow") -> Transition:
    return Transition(
        rule_id=rule_id, rule_name=name, severity=Severity.CRITICAL, at_ms=NOW_MS,
        from_state=AlertState.PENDING, to_state=AlertState.FIRING, value=6000.0, threshold=4000.0,
        detail="LCP p75 6.00 s over 5 loads in 5 min", link="page:pages/cart/cart", notify=True,
        reason="breach for 0 s",
    )


def stored(writer: StoreWriter, transition: Transition) -> Notification:
    (event_id,) = writer.run_sync(lambda conn: alert_store.record_transitions(conn, [transition]))
    return Notification(event_id, transition, ("webhook", "log"))


def deliveries(db: Path, timeout: float = 5.0, count: int = 1) -> list[tuple[str, int, bool, str]]:
    """The alert_deliveries rows (channel, attempt, ok, detail), once ``count`` are there."""
    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute("SELECT channel, attempt, ok, detail FROM alert_deliveries ORDER BY id").fetchall()
        finally:
            conn.close()
        if len(rows) >= count or time.monotonic() > deadline:
            return [(c, a, bool(ok), d) for c, a, ok, d in rows]
        time.sleep(0.02)


def test_a_webhook_gets_the_transition_as_json(writer: StoreWriter) -> None:
    notification = stored(writer, firing())
    with WebhookReceiver() as receiver:
        delivery = AlertDelivery(writer=writer, settings=ChannelSettings(webhook_urls=(receiver.url,)))
        delivery.deliver(notification)
        (got,) = receiver.wait_for(1)
        delivery.close()
    assert got.headers["Content-Type"] == "application/json"
    assert got.body == {
        "id": notification.alert_event_id,
        "rule_id": 1,
        "rule": "Checkout is slow",
        "severity": "critical",
        "state": "firing",
        "from_state": "pending",
        "value": 6000.0,
        "threshold": 4000.0,
        "detail": "LCP p75 6.00 s over 5 loads in 5 min",
        "link": "page:pages/cart/cart",
        "reason": "breach for 0 s",
        "at": "2025-11-28T00:00:00.000+00:00",
        "at_ms": NOW_MS,
        "source": got.body["source"],
    }
    assert got.body["source"].startswith("lookout ")
    ((channel, attempt, ok, detail),) = deliveries(writer.path)
    assert (channel, attempt, ok) == ("webhook", 1, True)
    assert receiver.url in detail and "200" in detail


def test_a_failing_webhook_is_retried_with_backoff_and_every_attempt_is_recorded(
    writer: StoreWriter, caplog: pytest.LogCaptureFixture
) -> None:
    notification = stored(writer, firing())
    with WebhookReceiver(fail_first=2) as receiver:
        settings = ChannelSettings(webhook_urls=(receiver.url,), webhook_backoff_s=0.2)
        delivery = AlertDelivery(writer=writer, settings=settings)
        with caplog.at_level("INFO", logger="lookout.alerts"):
            delivery.deliver(notification)
            got = receiver.wait_for(3)
            delivery.close()
    assert [r.status for r in got] == [500, 500, 200]
    assert all(r.body == got[0].body for r in got) and got[0].body["id"] == notification.alert_event_id
    first_wait, second_wait = got[1].at - got[0].at, got[2].at - got[1].at
    assert 0.2 <= first_wait < 0.6  # backoff × 1
    assert 0.4 <= second_wait < 1.0 and second_wait > first_wait  # backoff × 2
    rows = deliveries(writer.path, count=3)
    assert [(c, a, ok) for c, a, ok, _ in rows] == [("webhook", 1, False), ("webhook", 2, False), ("webhook", 3, True)]
    assert "HTTP 500" in rows[0][3]
    logged = [r.getMessage() for r in caplog.records if r.name == "lookout.alerts"]
    assert sum("attempt 1 of 4 failed" in m for m in logged) == 1
    assert sum("attempt 2 of 4 failed" in m for m in logged) == 1
    assert any("posted to" in m and "attempt 3" in m for m in logged)


def test_a_webhook_that_never_answers_well_gets_four_attempts(writer: StoreWriter) -> None:
    notification = stored(writer, firing())
    with WebhookReceiver(fail_first=99) as receiver:
        delivery = AlertDelivery(
            writer=writer, settings=ChannelSettings(webhook_urls=(receiver.url,), webhook_backoff_s=0.01)
        )
        delivery.deliver(notification)
        assert len(receiver.wait_for(4)) == 4
        delivery.close()
        time.sleep(0.1)
        assert len(receiver.received) == 4
    rows = deliveries(writer.path, count=4)
    assert [(a, ok) for _, a, ok, _ in rows] == [(1, False), (2, False), (3, False), (4, False)]


def test_an_unreachable_webhook_is_recorded_as_failed(writer: StoreWriter) -> None:
    notification = stored(writer, firing())
    settings = ChannelSettings(
        webhook_urls=("http://127.0.0.1:9/hook",), webhook_retries=1, webhook_backoff_s=0.01
    )
    delivery = AlertDelivery(writer=writer, settings=settings)
    delivery.deliver(notification)
    rows = deliveries(writer.path, count=2)
    delivery.close()
    assert [(a, ok) for _, a, ok, _ in rows] == [(1, False), (2, False)]
    assert "ConnectError" in rows[0][3]


def test_stopping_does_not_wait_for_the_backoff(writer: StoreWriter) -> None:
    notification = stored(writer, firing())
    with WebhookReceiver(fail_first=99) as receiver:
        delivery = AlertDelivery(
            writer=writer, settings=ChannelSettings(webhook_urls=(receiver.url,), webhook_backoff_s=30)
        )
        delivery.deliver(notification)
        receiver.wait_for(1)
        started = time.monotonic()
        delivery.close()
        assert time.monotonic() - started < 2
        assert len(receiver.received) == 1


def test_the_log_file_gets_one_line_per_notification(writer: StoreWriter, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "alerts.jsonl"
    delivery = AlertDelivery(writer=writer, settings=ChannelSettings(log_path=log_file))
    first, second = stored(writer, firing(1, "one")), stored(writer, firing(2, "two"))
    delivery.deliver(first)
    delivery.deliver(second)
    delivery.deliver(Notification(99, firing(3, "tray only"), ("tray",)))
    delivery.close()
    lines = log_file.read_text().splitlines()
    assert sorted(json.loads(line)["rule"] for line in lines) == ["one", "two"]
    assert {json.loads(line)["id"] for line in lines} == {first.alert_event_id, second.alert_event_id}
    rows = deliveries(writer.path, count=2)
    assert [(c, a, ok) for c, a, ok, _ in rows] == [("log", 1, True), ("log", 1, True)]


# --- the loop over the real engine ------------------------------------------------------


def post_custom_events(writer: StoreWriter, count: int, *, at_ms: int) -> None:
    body = orjson.dumps(
        [{"type": "custom_event", "name": f"tap-{n}", "timestamp": at_ms - n, "sessionId": "s", "userId": "u"}
         for n in range(count)]
    )
    writer.write(decode_native(body, project="shop", now_ms=at_ms).events, received=at_ms)


def save(writer: StoreWriter, rule: AlertRule) -> int:
    return writer.run_sync(lambda conn: alert_store.save_rule(conn, rule))


def busy_rule(**changes: object) -> AlertRule:
    rule = AlertRule(
        name="Busy shop", metric=Metric.EVENT_COUNT, comparison=Comparison.ABOVE, threshold=2,
        kind="custom_event", window_s=300, for_s=0, min_sample=0, cooldown_s=300,
        channels=("tray", "webhook", "log"),
    )
    return AlertRule(**{**{f: getattr(rule, f) for f in rule.__dataclass_fields__}, **changes})  # type: ignore[arg-type]


def test_the_loop_notifies_once_and_a_restart_does_not_notify_again(writer: StoreWriter, tmp_path: Path) -> None:
    log_file = tmp_path / "alerts.jsonl"
    now = [NOW_MS / 1000]
    with WebhookReceiver() as receiver:
        channels = ChannelSettings(webhook_urls=(receiver.url,), log_path=log_file)

        def loop() -> AlertLoop:
            return AlertLoop(writer, writer.path, interval_s=1, channels=channels, clock=lambda: now[0])

        rule_id = save(writer, busy_rule())
        post_custom_events(writer, 5, at_ms=NOW_MS)
        first = loop()
        cycle = first.run_once()
        notified = [t for t in cycle.transitions if t.notify]
        assert [(t.rule_id, t.to_state) for t in notified] == [(rule_id, AlertState.FIRING)]
        (got,) = receiver.wait_for(1)
        assert got.body["rule"] == "Busy shop" and got.body["state"] == "firing" and got.body["value"] == 5
        now[0] += 15
        assert not [t for t in first.run_once().transitions if t.notify]
        first.stop()

        now[0] += 15
        restarted = loop()
        assert not [t for t in restarted.run_once().transitions if t.notify]
        restarted.stop()
        assert len(receiver.received) == 1
    assert len(log_file.read_text().splitlines()) == 1
    assert first.stats.notified == 1 and first.stats.cycles == 2 and restarted.stats.notified == 0


def test_only_the_rules_channels_are_used(writer: StoreWriter, tmp_path: Path) -> None:
    log_file = tmp_path / "alerts.jsonl"
    with WebhookReceiver() as receiver:
        save(writer, busy_rule(name="tray only", channels=("tray", "banner")))
        save(writer, busy_rule(name="log only", channels=("log",)))
        save(writer, busy_rule(name="webhook only", channels=("webhook",)))
        post_custom_events(writer, 5, at_ms=NOW_MS)
        loop = AlertLoop(
            writer, writer.path, interval_s=1,
            channels=ChannelSettings(webhook_urls=(receiver.url,), log_path=log_file), clock=lambda: NOW_MS / 1000,
        )
        cycle = loop.run_once()
        assert sorted(t.rule_name for t in cycle.transitions if t.notify) == ["log only", "tray only", "webhook only"]
        (got,) = receiver.wait_for(1)
        loop.stop()
        time.sleep(0.1)
        assert [r.body["rule"] for r in receiver.received] == ["webhook only"]
    assert [json.loads(line)["rule"] for line in log_file.read_text().splitlines()] == ["log only"]


def test_a_slow_webhook_does_not_delay_the_cycle(writer: StoreWriter) -> None:
    with WebhookReceiver(delay_s=1.5) as receiver:
        save(writer, busy_rule())
        post_custom_events(writer, 5, at_ms=NOW_MS)
        loop = AlertLoop(
            writer, writer.path, interval_s=1,
            channels=ChannelSettings(webhook_urls=(receiver.url,)), clock=lambda: NOW_MS / 1000,
        )
        started = time.monotonic()
        cycle = loop.run_once()
        assert time.monotonic() - started < 1.0
        assert [t.rule_name for t in cycle.transitions if t.notify] == ["Busy shop"]
        receiver.wait_for(1)
        loop.stop()


def test_the_thread_evaluates_every_interval_and_stops(writer: StoreWriter) -> None:
    loop = AlertLoop(writer, writer.path, interval_s=0.1)
    loop.start()
    deadline = time.monotonic() + 5
    while loop.stats.cycles < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    loop.stop()
    assert loop.stats.cycles >= 3 and loop.stats.failed_cycles == 0, loop.stats.errors
    names = {r.name for r in writer.run_sync(alert_store.list_rules)}
    assert "New issue" in names  # the defaults went in when the loop started


def test_the_interval_must_be_positive(writer: StoreWriter) -> None:
    with pytest.raises(ValueError, match="positive"):
        AlertLoop(writer, writer.path, interval_s=0)


def test_a_stopped_loop_can_start_again(writer: StoreWriter) -> None:
    loop = AlertLoop(writer, writer.path, interval_s=0.05)
    for _ in range(2):
        loop.start()
        before = loop.stats.cycles
        deadline = time.monotonic() + 5
        while loop.stats.cycles == before and time.monotonic() < deadline:
            time.sleep(0.02)
        loop.stop()
        assert loop.stats.cycles > before
