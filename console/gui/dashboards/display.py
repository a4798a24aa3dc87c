"""How a dashboard widget words what it shows: the change, its tone, the range, the aggregation.

Pure text, no Qt. Values themselves are printed by the core's
:func:`~console.core.analysis.product.dashboard.format_value`, which the report and the
KPI cards share; these are the words around them on a card or a chart.
"""

from __future__ import annotations

import math

from console.core.analysis.product.dashboard import Widget
from console.core.analysis.product.refs import Measure
from console.gui.performance.units import label as metric_label

__all__ = ["RANGE_WORDS", "TONE_COLOURS", "change_tone", "describe_change", "describe_metric", "describe_range"]

#: A widget's range key → how a caption says it.
RANGE_WORDS = {
    "1m": "last minute", "5m": "last 5 min", "15m": "last 15 min", "1h": "last hour", "6h": "last 6 h",
    "24h": "last 24 h", "7d": "last 7 days", "30d": "last 30 days",
}

#: A change's colour by what it means: better, worse, or neither.
TONE_COLOURS = {"good": "#137333", "bad": "#c5221f", "flat": "#5f6368"}

# Changes of these sources and fields are worse when they grow: failures and waiting time.
_WORSE_WHEN_UP_SOURCES = frozenset({"error"})
_NEUTRAL_SOURCES = frozenset({"network_request", "transaction", "page_load"})
_BETTER_WHEN_UP_FIELDS = frozenset({"value"})


def _finite(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def describe_change(change: float | None, range_key: str) -> str:
    """'▲ 12% vs previous 24 h', '▼ 4%…', '= same as…'; '' when there is nothing to compare.

    ``change`` is a percentage, as :class:`~console.core.store.widget_queries.WidgetData`
    has it: 12.0 is twelve percent more than the period before. Past a thousand percent it
    reads as a multiple ('▲ ×59').
    """
    if change is None or not _finite(change):
        return ""
    period = describe_range(range_key).removeprefix("last ")
    if abs(change) < 0.5:
        return f"= same as previous {period}"
    arrow = "▲" if change > 0 else "▼"
    amount = f"{abs(change):,.0f}%" if abs(change) < 1_000 else f"×{change / 100 + 1:,.0f}"
    return f"{arrow} {amount} vs previous {period}"


def change_tone(measure: Measure | None, change: float | None) -> str:
    """Whether a change reads as better ('good'), worse ('bad') or neither ('flat').

    More errors and longer times are worse; more page views, events, clicks, conversions
    and value are better; the number of requests, transactions and loads says neither.
    """
    if change is None or not _finite(change) or abs(change) < 0.5 or measure is None:
        return "flat"
    source, field = measure.ref.source, measure.field
    if field is not None and field not in _BETTER_WHEN_UP_FIELDS:
        up_is = "bad"
    elif source in _WORSE_WHEN_UP_SOURCES:
        up_is = "bad"
    elif source in _NEUTRAL_SOURCES and field is None:
        return "flat"
    else:
        up_is = "good"
    if change > 0:
        return up_is
    return "good" if up_is == "bad" else "bad"


def describe_range(range_key: str) -> str:
    """'last 24 h' for '24h'; an unknown key is shown as it is."""
    return RANGE_WORDS.get(range_key, f"last {range_key}")


def describe_metric(widget: Widget) -> str:
    """What a chart's caption says it aggregates: 'count', 'users', 'p75 LCP', 'KPI', 'sessions'."""
    measure = widget.measure
    if measure is None:
        return "KPI" if widget.kpi is not None else "count"
    if measure.field is None:
        return measure.aggregation
    return f"{measure.aggregation} {metric_label(measure.field)}"
