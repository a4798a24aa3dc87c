"""Simulated OTLP metrics for the demo: what an app's OpenTelemetry meter would export.

Every few seconds :class:`DemoMetrics` makes one OTLP/HTTP JSON export request, as the
OpenTelemetry JS SDK's metric exporter sends it: a JS heap gauge that wanders and climbs
slowly (a leak to notice), a cumulative counter of API calls, and a render-time histogram.
The demo posts it to ``/v1/metrics`` so the Metrics panel has real series to show.
"""

from __future__ import annotations

import math
import random
from typing import Any

__all__ = ["DemoMetrics"]

_BOUNDS = [16.0, 50.0, 100.0, 250.0, 500.0, 1000.0]


class DemoMetrics:
    """Builds successive OTLP JSON metric exports for one simulated app."""

    def __init__(self, *, service: str = "demo", seed: int | None = None) -> None:
        self.service = service
        self._rng = random.Random(seed)
        self._start_ns: int | None = None
        self._heap_mb = 38.0
        self._calls = 0
        self._render_count = 0
        self._render_sum = 0.0
        self._buckets = [0] * (len(_BOUNDS) + 1)

    def export(self, now_ms: int) -> dict[str, Any]:
        """The next export request body (OTLP JSON), with points stamped ``now_ms``."""
        now_ns = now_ms * 1_000_000
        if self._start_ns is None:
            self._start_ns = now_ns
        rng = self._rng
        self._heap_mb = max(20.0, self._heap_mb + rng.gauss(0.15, 1.5))
        self._calls += rng.randrange(20, 60)
        for _ in range(rng.randrange(5, 15)):
            value = math.exp(rng.gauss(math.log(120.0), 0.6))
            self._render_count += 1
            self._render_sum += value
            self._buckets[next((i for i, b in enumerate(_BOUNDS) if value <= b), len(_BOUNDS))] += 1
        start = str(self._start_ns)
        stamp = str(now_ns)
        route = {"key": "app.route", "value": {"stringValue": "pages/index/index"}}
        metrics = [
            {
                "name": "app.js_heap.used",
                "unit": "MB",
                "description": "JS heap in use",
                "gauge": {"dataPoints": [{"timeUnixNano": stamp, "asDouble": round(self._heap_mb, 2)}]},
            },
            {
                "name": "app.api.calls",
                "unit": "1",
                "sum": {
                    "aggregationTemporality": 2,
                    "isMonotonic": True,
                    "dataPoints": [{"startTimeUnixNano": start, "timeUnixNano": stamp, "asInt": str(self._calls)}],
                },
            },
            {
                "name": "app.render.duration",
                "unit": "ms",
                "histogram": {
                    "aggregationTemporality": 2,
                    "dataPoints": [
                        {
                            "startTimeUnixNano": start,
                            "timeUnixNano": stamp,
                            "count": str(self._render_count),
                            "sum": round(self._render_sum, 2),
                            "bucketCounts": [str(c) for c in self._buckets],
                            "explicitBounds": _BOUNDS,
                            "attributes": [route],
                        }
                    ],
                },
            },
        ]
        return {
            "resourceMetrics": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": self.service}}]},
                    "scopeMetrics": [{"scope": {"name": "demo-app"}, "metrics": metrics}],
                }
            ]
        }
