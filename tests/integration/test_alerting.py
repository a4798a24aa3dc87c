"""Alerts from a real ``lookout collect``: a rule saved over HTTP fires on page loads posted
over HTTP, the webhook and the log file hear of it once, and a restart does not repeat it."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric, Severity
from tests.integration.support import CollectorLauncher, RunningCollector
from tests.unit.collector.receiver import WebhookReceiver

RULE_NAME = "LCP p75 above 4 s"


def slow_page_loads(count: int) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    return [
        {
            "type": "page_load",
            "url": "pages/cart/cart",
            "timestamp": now - n * 100,
            "sessionId": f"s-{n}",
            "userId": f"u-{n}",
            "metrics": {"largestContentfulPaint": 6000.0, "firstContentfulPaint": 900.0},
        }
        for n in range(count)
    ]


def wait_for_cycles(collector: RunningCollector, cycles: int, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        alerts = collector.health()["alerts"]
        assert alerts is not None, "the collector runs no alert loop"
        if alerts["cycles"] >= cycles or time.monotonic() > deadline:
            assert alerts["cycles"] >= cycles, alerts
            return dict(alerts)
        time.sleep(0.1)


def deliveries(db: Path) -> list[tuple[str, int, int]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT channel, attempt, ok FROM alert_deliveries ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_rule_fires_once_over_http_and_not_again_after_a_restart(
    launch_collector: CollectorLauncher, http: httpx.Client, tmp_path: Path
) -> None:
    db, log_file = tmp_path / "s.db", tmp_path / "alerts.jsonl"
    with WebhookReceiver() as receiver:
        args = ("--alert-interval", "1", "--alert-webhook", receiver.url, "--alert-log", str(log_file))
        collector = launch_collector.start(db, *args)
        rule = AlertRule(
            name=RULE_NAME, metric=Metric.VITAL_P75, vital="lcp", comparison=Comparison.ABOVE,
            threshold=4000, for_s=0, min_sample=3, severity=Severity.CRITICAL, channels=("tray", "webhook", "log"),
        )
        saved = http.post(f"{collector.url}/lookout/alerts/actions", json={"kind": "save_rule", "rule": rule.to_json()})
        assert saved.status_code == 200, saved.text
        assert saved.json()["ok"] is True
        rule_id = saved.json()["rule_id"]

        posted = http.post(collector.events_url(), json=slow_page_loads(5))
        assert posted.status_code == 200 and posted.json()["accepted"] == 5, posted.text
        (got,) = receiver.wait_for(1, timeout=10)
        assert got.body["rule"] == RULE_NAME and got.body["rule_id"] == rule_id
        assert got.body["state"] == "firing" and got.body["severity"] == "critical"
        assert got.body["value"] == 6000 and got.body["threshold"] == 4000
        assert isinstance(got.body["id"], int) and got.body["at"].endswith("+00:00")
        assert "LCP" in got.body["detail"]

        wait_for_cycles(collector, collector.health()["alerts"]["cycles"] + 2)
        collector.process.send_signal(signal.SIGTERM)
        assert collector.process.wait(10) == 0, collector.output()
        assert ("webhook", 1, 1) in deliveries(db) and ("log", 1, 1) in deliveries(db)
        (line,) = log_file.read_text().splitlines()
        assert json.loads(line) == got.body

        restarted = launch_collector.start(db, *args)
        wait_for_cycles(restarted, 3)
        time.sleep(0.3)  # what a cycle would have sent
        assert len(receiver.received) == 1
        assert len(log_file.read_text().splitlines()) == 1
        assert restarted.health()["alerts"]["notified"] == 0
        assert restarted.health()["alerts"]["failed_cycles"] == 0, restarted.health()["alerts"]
