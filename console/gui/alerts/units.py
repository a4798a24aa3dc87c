"""How the Alerts panel names a rule's metric and prints its values: '4.31 s', '+120 %'."""

from __future__ import annotations

import math

from console.core.analysis.alerts.rules import AlertRule, Comparison, format_value

__all__ = ["METRIC_TITLES", "format_metric_value"]

#: What the editor's metric list calls each metric.
METRIC_TITLES = {
    "vital_p75": "Page-load vital, p75",
    "vital_p95": "Page-load vital, p95",
    "transaction_p75": "Transaction duration, p75",
    "transaction_p95": "Transaction duration, p95",
    "error_count": "Error count",
    "error_rate": "Error rate (per minute)",
    "event_count": "Event count",
    "new_issue": "New issue",
    "regressed_issue": "Regressed issue",
    "experiment_srm": "Experiment sample-ratio mismatch (p-value)",
    "kpi": "KPI value",
}


def format_metric_value(rule: AlertRule, value: float | None) -> str:
    """A value compared with ``rule``'s threshold: a change rule's is a change in per cent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if rule.comparison in (Comparison.CHANGE_ABOVE, Comparison.CHANGE_BELOW):
        return f"{value:+.0f} %" if math.isfinite(value) else ("+∞ %" if value > 0 else "-∞ %")
    return format_value(rule, value)
