"""The native ``kpi`` payload (the brief's defineKPI): decoded to a KPI event, or rejected
with the reason while the other events of the request are kept."""

from __future__ import annotations

import json

import orjson

from console.core.events import Kind
from console.core.ingest.native import decode_native

NOW = 1_800_000_000_000


def test_a_kpi_payload_becomes_a_kpi_event() -> None:
    body = {"type": "kpi", "name": "LCP p75", "description": "Loads", "calculation": "p75",
            "event": {"source": "page_load", "name": "pages/index/index"}, "metric": "lcp", "unit": "ms",
            "target": 2500, "thresholds": {"warning": 3000, "critical": 4000}, "timestamp": NOW - 1000,
            "sessionId": "s-1"}
    batch = decode_native(orjson.dumps(body), project="shop", now_ms=NOW)
    [event] = batch.events
    assert (event.kind, event.timestamp, event.project) == (Kind.KPI, NOW - 1000, "shop")
    assert event.summary == "KPI LCP p75 defined: p75 lcp of page load pages/index/index (project shop)"
    assert json.loads(event.columns["definition"]) == {
        "name": "LCP p75", "description": "Loads", "formula": "percentile",
        "ref": {"source": "page_load", "name": "pages/index/index"}, "rate_of": "count", "field": "lcp",
        "quantile": 0.75, "unit": "ms", "target": 2500.0, "higher_is_better": False, "warning": 3000.0,
        "critical": 4000.0, "refresh_s": 60, "project": "shop",
    }
    assert event.columns["name"] == "LCP p75" and event.data["calculation"] == "p75"


def test_a_bad_native_kpi_is_rejected_with_the_reason_and_others_kept() -> None:
    body = [
        {"type": "kpi", "name": "Broken", "calculation": "rate", "event": "signup"},
        {"type": "kpi", "calculation": "count", "event": "signup"},
        {"type": "kpi", "name": "LCP", "calculation": "p80", "event": {"source": "page_load"}, "metric": "lcp"},
        {"type": "kpi", "name": "Signups", "calculation": "count", "event": "signup", "updateFrequency": "1h"},
    ]
    batch = decode_native(orjson.dumps(body), project="shop", now_ms=NOW)
    assert [(r.index, r.reason) for r in batch.rejected] == [
        (0, "kpi: rate needs 'denominator', the occurrences it divides by"),
        (1, "kpi: a KPI needs a 'name'"),
        (2, "kpi: percentile needs 'quantile', one of 0.5, 0.75, 0.9, 0.95, 0.99; got 0.8"),
    ]
    [event] = batch.events
    assert event.columns["name"] == "Signups"
    assert json.loads(event.columns["definition"])["refresh_s"] == 3600
