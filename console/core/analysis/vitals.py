"""Core Web Vitals ratings: good, needs improvement or poor, by web.dev's thresholds.

A page's rating is the rating of its 75th percentile, as web.dev and CrUX assess it; a
sample smaller than :data:`MIN_SAMPLE` gets no rating, because three loads say little.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MIN_SAMPLE", "THRESHOLDS", "Rating", "rate"]


class Rating(StrEnum):
    """The three bands of a Web Vital, plus 'too few' for samples too small to judge."""

    GOOD = "good"
    NEEDS_IMPROVEMENT = "needs-improvement"
    POOR = "poor"
    TOO_FEW = "too-few"


#: metric → (good up to, poor above), in milliseconds except CLS (unitless).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "lcp": (2500.0, 4000.0),
    "fcp": (1800.0, 3000.0),
    "inp": (200.0, 500.0),
    "fid": (100.0, 300.0),
    "cls": (0.1, 0.25),
    "ttfb": (800.0, 1800.0),
}

MIN_SAMPLE = 5


def rate(metric: str, p75: float | None, *, sample: int | None = None) -> Rating:
    """The rating of a metric's p75; TOO_FEW when the sample is under MIN_SAMPLE or empty."""
    if p75 is None or (sample is not None and sample < MIN_SAMPLE):
        return Rating.TOO_FEW
    good, poor = THRESHOLDS[metric]
    if p75 <= good:
        return Rating.GOOD
    if p75 <= poor:
        return Rating.NEEDS_IMPROVEMENT
    return Rating.POOR
