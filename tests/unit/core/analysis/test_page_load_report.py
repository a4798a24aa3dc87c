"""The page-load report against hand-computed percentiles, ratings and changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.page_load_report import page_load_report, too_few_text
from console.core.analysis.perf_select import HOUR, MINUTE, PerfFilter, TimeRange, range_for
from console.core.analysis.vitals import Rating
from console.core.store.perf_frames import PerformanceFrames
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

START = NOW - HOUR


def load(route: str, ts: int, lcp: float, *, inp: float | None = None, platform: str = "ios",
         release: str = "1.0") -> dict[str, Any]:
    metrics: dict[str, float] = {"largestContentfulPaint": lcp}
    if inp is not None:
        metrics["interactionToNextPaint"] = inp
    return {
        "type": "page_load", "url": route, "timestamp": ts, "sessionId": "s-1", "userId": "u-1",
        "metrics": metrics, "deviceInfo": {"platform": platform, "model": "iPhone 15"},
        "context": {"appVersion": release, "environment": "production"},
    }


def frames_of(path: Path, payloads: list[dict[str, Any]]) -> PerformanceFrames:
    writer = StoreWriter(path=path)
    writer.start()
    try:
        writer.write(events_of(payloads))
    finally:
        writer.stop()
    frames = PerformanceFrames()
    conn = connect(path, readonly=True)
    try:
        frames.refresh(conn)
    finally:
        conn.close()
    return frames


@pytest.fixture
def frames(tmp_path: Path) -> PerformanceFrames:
    cart = [load("pages/cart/cart", START + i * 11 * MINUTE, lcp, inp=100.0 * (i + 1))
            for i, lcp in enumerate([1000.0, 2000.0, 3000.0, 4000.0, 5000.0])]
    index = [load("pages/index/index", START + 30 * MINUTE, lcp, platform="android", release="1.1")
             for lcp in (800.0, 900.0, 1000.0)]
    # The hour before: cart loaded faster (p75 2000 ms).
    before = [load("pages/cart/cart", START - 30 * MINUTE, lcp) for lcp in (1000.0, 1500.0, 2000.0, 2000.0, 2500.0)]
    return frames_of(tmp_path / "s.db", cart + index + before)


WHEN = TimeRange(START, NOW, MINUTE * 10)


def test_the_pages_table_shows_hand_computed_p75_rating_and_change(frames: PerformanceFrames) -> None:
    report = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter())
    rows = {row.route: row for row in report.routes}
    cart = rows["pages/cart/cart"]
    assert cart.loads == 5 and cart.previous_loads == 5
    # LCP [1000 … 5000]: position (5-1)·0.75 = 3 → 4000 ms, which is "needs improvement" (≤ 4 s).
    assert cart.p75["lcp"] == pytest.approx(4000.0)
    assert cart.rating("lcp") is Rating.NEEDS_IMPROVEMENT
    assert cart.change("lcp") == pytest.approx(4000.0 / 2000.0 - 1)
    # INP [100 … 500] → 400 ms: needs improvement (200 < 400 ≤ 500).
    assert cart.p75["inp"] == pytest.approx(400.0)
    index = rows["pages/index/index"]
    assert index.loads == 3 and index.rating("lcp") is Rating.TOO_FEW
    assert report.routes[0].route == "pages/cart/cart"  # busiest first
    assert too_few_text(3) == "3 loads — too few for a rating"


def test_summary_rates_the_p75_of_all_charted_loads(frames: PerformanceFrames) -> None:
    report = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter())
    lcp = report.summaries["lcp"]
    # [800, 900, 1000, 1000, 2000, 3000, 4000, 5000]: position 5.25 → 3000 + 0.25·1000.
    assert lcp.count == 8 and lcp.p75 == pytest.approx(3250.0)
    assert lcp.rating is Rating.NEEDS_IMPROVEMENT
    assert report.summaries["inp"].count == 5


def test_choosing_pages_filters_the_chart_but_not_the_table(frames: PerformanceFrames) -> None:
    report = page_load_report(
        frames.page_loads, when=WHEN, where=PerfFilter(), routes=frozenset({"pages/index/index"}),
    )
    assert report.loads == 3
    assert int(report.series["lcp"].counts.sum()) == 3
    assert report.summaries["lcp"].count == 3
    assert {row.route for row in report.routes} == {"pages/cart/cart", "pages/index/index"}


def test_a_bucket_with_too_few_loads_draws_no_line(frames: PerformanceFrames) -> None:
    report = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter())
    series = report.series["lcp"]
    assert int(series.counts.sum()) == 8
    # Every 10-minute bucket holds fewer than 5 loads: no percentile is drawn anywhere.
    assert all(v != v for v in series.p75)  # NaN
    coarse = page_load_report(frames.page_loads, when=TimeRange(START, NOW, HOUR), where=PerfFilter())
    assert coarse.series["lcp"].p75[-1] == pytest.approx(3250.0)


def test_filters_keep_only_the_chosen_platform_and_release(frames: PerformanceFrames) -> None:
    android = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter(platforms=frozenset({"android"})))
    assert android.loads == 3 and [r.route for r in android.routes] == ["pages/index/index"]
    release = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter(releases=frozenset({"1.0"})))
    assert release.loads == 5
    nothing = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter(devices=frozenset({"Nokia"})))
    assert nothing.loads == 0 and nothing.summaries["lcp"].rating is Rating.TOO_FEW


def test_the_histogram_counts_every_value_and_marks_the_thresholds(frames: PerformanceFrames) -> None:
    report = page_load_report(frames.page_loads, when=WHEN, where=PerfFilter(), histogram_metric="lcp")
    histogram = report.histogram
    assert histogram is not None and int(histogram.counts.sum()) == 8
    assert histogram.thresholds == (2500.0, 4000.0)
    assert histogram.edges[-1] >= 5000.0


def test_ranges_pick_round_buckets() -> None:
    assert range_for("live", now_ms=NOW).bucket_ms == 2_000
    assert range_for("1h", now_ms=NOW).bucket_ms == 30_000
    assert range_for("24h", now_ms=NOW).bucket_ms == 10 * MINUTE
    assert range_for("7d", now_ms=NOW).bucket_ms == HOUR
    with pytest.raises(ValueError, match="valid ranges"):
        range_for("fortnight", now_ms=NOW)
    with pytest.raises(ValueError, match="start before its end"):
        range_for("custom", now_ms=NOW, start_ms=NOW, end_ms=NOW - 1)
