"""Percentiles, vitals ratings and the rolling arrival rate, against hand-computed values."""

from __future__ import annotations

import pytest

from console.core.analysis.overview import OverviewAggregator
from console.core.analysis.percentiles import percentile, percentiles
from console.core.analysis.vitals import Rating, rate
from console.core.store.queries import ActivityRow


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 75) == 40
    assert percentile([1, 2, 3, 4], 75) == 3.25
    assert percentile([7], 95) == 7
    assert percentile([], 75) is None
    assert percentiles([4, 1, 3, 2], [0, 100]) == [1, 4]
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_ratings_follow_web_dev_thresholds_at_the_edges() -> None:
    assert rate("lcp", 2500, sample=10) is Rating.GOOD
    assert rate("lcp", 2501, sample=10) is Rating.NEEDS_IMPROVEMENT
    assert rate("lcp", 4000, sample=10) is Rating.NEEDS_IMPROVEMENT
    assert rate("lcp", 4001, sample=10) is Rating.POOR
    assert rate("cls", 0.1, sample=10) is Rating.GOOD
    assert rate("cls", 0.26, sample=10) is Rating.POOR
    assert rate("inp", 350, sample=10) is Rating.NEEDS_IMPROVEMENT
    assert rate("lcp", 1000, sample=3) is Rating.TOO_FEW
    assert rate("lcp", None) is Rating.TOO_FEW


def row(i: int, received: int) -> ActivityRow:
    return ActivityRow(i, received)


def test_the_rate_counts_the_last_minute_and_the_last_whole_ten_seconds() -> None:
    now = 10_000_000  # a bucket boundary: the last whole ten seconds are [now - 10 s, now)
    aggregate = OverviewAggregator(window_minutes=30)
    aggregate.add(
        [
            row(1, now - 200_000),  # 3m20s ago: in the window, not in the last minute
            row(2, now - 50_000),
            row(3, now - 20_000),
            *(row(4 + i, now - 5_000) for i in range(5)),
            row(20, now - 400_000),
        ]
    )
    figures = aggregate.figures(now)
    assert figures.events_per_min == 7
    assert figures.events_per_s == 0.5  # five in the last ten seconds


def test_the_rate_forgets_what_left_the_window() -> None:
    aggregate = OverviewAggregator(window_minutes=30)
    aggregate.add([row(1, 0)])
    assert aggregate.figures(50_000).events_per_min == 1
    figures = aggregate.figures(31 * 60_000)
    assert (figures.events_per_min, figures.events_per_s) == (0, 0.0)
