"""How the Performance panel names and prints each metric: 'LCP', '2.31 s', '0.043'."""

from __future__ import annotations

import math

from console.core.analysis.vitals import Rating

__all__ = ["LABELS", "RATING_COLOURS", "RATING_WORDS", "format_change", "format_value", "label"]

LABELS = {
    "lcp": "LCP", "inp": "INP", "cls": "CLS", "fcp": "FCP", "ttfb": "TTFB", "fid": "FID",
    "dom_content_loaded": "DOM content loaded", "load_complete": "Load complete",
    "tti": "Time to interactive", "tbt": "Total blocking time", "resource_load_time": "Resource load time",
    "duration_ms": "Duration",
}

#: Rating → (text colour, background colour), after web.dev's palette, softened for cells.
RATING_COLOURS = {
    Rating.GOOD: ("#137333", "#e6f4ea"),
    Rating.NEEDS_IMPROVEMENT: ("#b06000", "#fef7e0"),
    Rating.POOR: ("#c5221f", "#fce8e6"),
    Rating.TOO_FEW: ("#5f6368", "#f1f3f4"),
}

RATING_WORDS = {
    Rating.GOOD: "good", Rating.NEEDS_IMPROVEMENT: "needs improvement", Rating.POOR: "poor",
    Rating.TOO_FEW: "too few for a rating",
}


def label(metric: str) -> str:
    """The short name of a metric."""
    return LABELS.get(metric, metric)


def format_value(metric: str, value: float | None) -> str:
    """A metric's value as a reader expects it: CLS unitless, times in ms up to a second, then s."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric == "cls":
        return f"{value:.3f}"
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    if abs(value) >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def format_change(change: float | None) -> str:
    """'+12%' / '−4%' against the previous period, or '' when there is nothing to compare."""
    if change is None:
        return ""
    percent = change * 100
    if abs(percent) < 0.5:
        return "±0%"
    sign = "+" if percent > 0 else "−"
    return f"{sign}{abs(percent):.0f}%"
