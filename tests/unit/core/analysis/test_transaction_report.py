"""The transaction report: throughput, duration percentiles, failure rate, slowest instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.perf_select import MINUTE, PerfFilter, TimeRange
from console.core.analysis.transaction_report import slowest_transactions, transaction_report
from console.core.analysis.transaction_status import is_failure
from console.core.store.perf_frames import PerformanceFrames
from tests.unit.core.analysis.test_page_load_report import frames_of
from tests.unit.core.store.conftest import NOW

START = NOW - 10 * MINUTE


def tx(name: str, ts: int, duration: float, status: str = "ok") -> dict[str, Any]:
    return {
        "type": "transaction", "timestamp": ts,
        "transaction": {
            "id": f"tx-{ts}-{duration}", "name": name, "startTime": 0.0, "endTime": duration,
            "duration": duration, "spans": [], "metadata": {"sessionId": "s-1", "userId": "u-1"},
            "result": {"status": status},
        },
    }


@pytest.fixture
def frames(tmp_path: Path) -> PerformanceFrames:
    checkout = [tx("checkout.submit", START + i * MINUTE, 100.0 * (i + 1), "ok" if i < 8 else "internal_error")
                for i in range(10)]
    search = [tx("search", START + 5 * MINUTE, d) for d in (10.0, 20.0, 30.0)]
    return frames_of(tmp_path / "t.db", checkout + search)


WHEN = TimeRange(START, NOW, MINUTE)


def test_names_table_has_hand_computed_percentiles_and_failure_rate(frames: PerformanceFrames) -> None:
    report = transaction_report(frames.transactions, when=WHEN, where=PerfFilter())
    rows = {row.name: row for row in report.names}
    checkout = rows["checkout.submit"]
    assert checkout.count == 10 and checkout.failures == 2
    assert checkout.failure_rate == pytest.approx(0.2)
    # [100 … 1000]: p50 at position 4.5 → 550; p95 at 8.55 → 955; p99 at 8.91 → 991.
    assert checkout.p50 == pytest.approx(550.0)
    assert checkout.p95 == pytest.approx(955.0)
    assert checkout.p99 == pytest.approx(991.0)
    assert checkout.per_minute == pytest.approx(1.0)
    assert rows["search"].count == 3
    assert report.count == 13 and report.failures == 2


def test_throughput_is_per_minute_per_bucket(frames: PerformanceFrames) -> None:
    report = transaction_report(frames.transactions, when=WHEN, where=PerfFilter())
    assert report.counts.tolist() == [1, 1, 1, 1, 1, 4, 1, 1, 1, 1]
    assert report.per_minute.tolist() == pytest.approx([1, 1, 1, 1, 1, 4, 1, 1, 1, 1])
    assert report.failure_rate[-1] == pytest.approx(1.0)


def test_choosing_a_name_narrows_the_charts(frames: PerformanceFrames) -> None:
    report = transaction_report(frames.transactions, when=WHEN, where=PerfFilter(), names=frozenset({"search"}))
    assert report.count == 3
    assert len(report.names) == 2  # the table still lists every name


def test_slowest_instances_come_slowest_first(frames: PerformanceFrames) -> None:
    slowest = slowest_transactions(frames.transactions, when=WHEN, where=PerfFilter(), limit=3)
    assert [duration for _, duration in slowest] == [1000.0, 900.0, 800.0]
    only = slowest_transactions(frames.transactions, when=WHEN, where=PerfFilter(), names=frozenset({"search"}))
    assert [duration for _, duration in only] == [30.0, 20.0, 10.0]


@pytest.mark.parametrize(
    ("status", "failed"),
    [(None, False), ("ok", False), ("cancelled", False), ("unknown", False), ("internal_error", True),
     ("deadline_exceeded", True), ("error", True), ("201", False), ("404", True), ("503", True)],
)
def test_failure_follows_sentrys_rule(status: str | None, failed: bool) -> None:
    assert is_failure(status) is failed
