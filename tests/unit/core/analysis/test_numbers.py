"""Percentiles, vitals ratings and the Overview's rolling figures, against hand-computed values."""

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


def row(i: int, received: int, kind: str = "log", session: str | None = "s1", lcp: float | None = None) -> ActivityRow:
    return ActivityRow(i, kind, received, session, lcp)


def test_overview_counts_the_last_minute_and_five_minutes_of_sessions() -> None:
    now = 10_000_000
    aggregate = OverviewAggregator(window_minutes=30)
    aggregate.add(
        [
            row(1, now - 200_000, session="old"),  # 3m20s ago: counts as active, not per minute
            row(2, now - 50_000, kind="error", session="a"),
            row(3, now - 20_000, session="b"),
            *(row(4 + i, now - 5_000, kind="page_load", session="a", lcp=v) for i, v in enumerate([1000, 2000, 3000, 4000, 5000])),
            row(20, now - 400_000, session="gone"),  # 6m40s ago: no longer active
        ]
    )
    figures = aggregate.figures(now)
    assert figures.events_per_min == 7
    assert figures.errors_per_min == 1
    assert figures.active_sessions == 3  # old, a, b
    assert figures.lcp_p75 == 4000 and figures.lcp_samples == 5
    assert figures.lcp_rating is Rating.NEEDS_IMPROVEMENT
    assert sum(figures.events_series) == 9
    assert len(figures.minutes) == 30


def test_overview_forgets_what_left_the_window() -> None:
    aggregate = OverviewAggregator(window_minutes=30)
    aggregate.add([row(1, 0, kind="page_load", lcp=9000)])
    figures = aggregate.figures(31 * 60_000)
    assert figures.lcp_samples == 0 and figures.lcp_rating is Rating.TOO_FEW
    assert sum(figures.events_series) == 0
