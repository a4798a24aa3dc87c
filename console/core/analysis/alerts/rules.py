"""Alert rules: what to watch, what counts as a breach, and how loudly to tell.

An :class:`AlertRule` is plain data that the store keeps as JSON (:meth:`AlertRule.to_json`,
:meth:`AlertRule.from_json`, which refuses anything that is not exactly a valid rule, with
the reason). Enum values are stored strings: never rename them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from console.core.events import Kind

__all__ = [
    "CHANNELS", "DEFAULT_RULES", "VITALS", "AlertRule", "Comparison", "Metric", "RuleFilters", "Severity",
    "format_duration", "format_value",
]


class Metric(StrEnum):
    """What a rule measures over its window."""

    VITAL_P75 = "vital_p75"
    VITAL_P95 = "vital_p95"
    TRANSACTION_P75 = "transaction_p75"
    TRANSACTION_P95 = "transaction_p95"
    ERROR_COUNT = "error_count"
    ERROR_RATE = "error_rate"
    EVENT_COUNT = "event_count"
    NEW_ISSUE = "new_issue"
    REGRESSED_ISSUE = "regressed_issue"
    EXPERIMENT_SRM = "experiment_srm"
    KPI = "kpi"


class Comparison(StrEnum):
    """How the value meets the threshold; the change kinds compare the signed relative change
    against the previous window in per cent (50 = +50 %, -50 = a fall by half)."""

    ABOVE = "above"
    BELOW = "below"
    CHANGE_ABOVE = "change_above"
    CHANGE_BELOW = "change_below"


class Severity(StrEnum):
    """How urgent a firing rule is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


CHANNELS = ("tray", "banner", "sound", "webhook", "log")

#: The page-load columns a vital rule may name.
VITALS = (
    "lcp", "inp", "cls", "fcp", "ttfb", "fid", "dom_content_loaded", "load_complete", "tti", "tbt",
    "resource_load_time",
)

_DEFAULT_CHANNELS = ("tray", "banner", "log", "webhook")
_VITAL_METRICS = (Metric.VITAL_P75, Metric.VITAL_P95)
_MAX_WINDOW_S = 31 * 86_400
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class RuleFilters:
    """Narrow a rule to a project, page (route), transaction (name) or release; each applies
    where the metric's table has that column and is ignored elsewhere."""

    project: str | None = None
    page: str | None = None
    transaction: str | None = None
    release: str | None = None

    def to_json(self) -> dict[str, str]:
        """Only the filters that are set."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: Any) -> RuleFilters:
        """Filters from JSON; ValueError with a reason when they are not."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValueError("'filters' must be an object")
        names = [f.name for f in fields(cls)]
        unknown = sorted(str(k) for k in data if k not in names)
        if unknown:
            raise ValueError(f"unknown filter(s) {', '.join(unknown)}; filters are {', '.join(names)}")
        values: dict[str, str | None] = {}
        for name in names:
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"filter '{name}' must be a non-empty string or null")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A condition on one metric over a sliding window, and what to do when it holds.

    ``window_s`` ends at the moment of evaluation. A breach must last ``for_s`` (the rule is
    pending meanwhile) before the rule fires; once firing it keeps firing ``keep_firing_for_s``
    after the breach ends, and with a ``recovery_threshold`` it recovers only past that value.
    Fewer than ``min_sample`` samples give no data rather than a verdict. At most one
    notification per ``cooldown_s``.
    """

    name: str
    metric: Metric
    comparison: Comparison
    threshold: float
    id: int | None = None
    vital: str | None = None
    kind: str | None = None
    experiment: str | None = None
    kpi: str | None = None
    filters: RuleFilters = field(default_factory=RuleFilters)
    window_s: int = 300
    for_s: int = 0
    keep_firing_for_s: int = 0
    recovery_threshold: float | None = None
    min_sample: int = 0
    severity: Severity = Severity.WARNING
    cooldown_s: int = 300
    channels: tuple[str, ...] = _DEFAULT_CHANNELS
    enabled: bool = True

    def validate(self) -> None:
        """Raise ValueError with a reason when the rule cannot be evaluated as written."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("'name' must be a non-empty string")
        if len(self.name) > _MAX_NAME:
            raise ValueError(f"'name' is {len(self.name)} characters; at most {_MAX_NAME}")
        _choice(self.metric, Metric, "metric")
        _choice(self.comparison, Comparison, "comparison")
        _choice(self.severity, Severity, "severity")
        _finite(self.threshold, "threshold")
        if self.id is not None:
            _integer(self.id, "id", low=1)
        if self.metric in _VITAL_METRICS:
            if self.vital not in VITALS:
                raise ValueError(f"'{self.metric}' needs 'vital', one of {', '.join(VITALS)}; got {self.vital!r}")
        elif self.vital is not None:
            raise ValueError(f"'vital' is for vital_p75 and vital_p95, not {self.metric}")
        if self.metric == Metric.EVENT_COUNT:
            kinds = [k.value for k in Kind]
            if self.kind is not None and self.kind not in kinds:
                raise ValueError(f"'kind' must be one of {', '.join(kinds)} or null (all kinds); got {self.kind!r}")
        elif self.kind is not None:
            raise ValueError(f"'kind' is for event_count, not {self.metric}")
        for attr, metric in (("experiment", Metric.EXPERIMENT_SRM), ("kpi", Metric.KPI)):
            value = getattr(self, attr)
            if self.metric == metric:
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"'{metric}' needs '{attr}', the key it watches")
            elif value is not None:
                raise ValueError(f"'{attr}' is for {metric}, not {self.metric}")
        if not isinstance(self.filters, RuleFilters):
            raise ValueError("'filters' must be RuleFilters")
        _integer(self.window_s, "window_s", low=1, high=_MAX_WINDOW_S)
        for name in ("for_s", "keep_firing_for_s", "cooldown_s"):
            _integer(getattr(self, name), name, low=0, high=_MAX_WINDOW_S)
        _integer(self.min_sample, "min_sample", low=0, high=10**9)
        if self.recovery_threshold is not None:
            _finite(self.recovery_threshold, "recovery_threshold")
            upward = self.comparison in (Comparison.ABOVE, Comparison.CHANGE_ABOVE)
            if upward and self.recovery_threshold > self.threshold:
                raise ValueError(
                    f"'recovery_threshold' ({self.recovery_threshold:g}) of a rule that fires {self.comparison}"
                    f" {self.threshold:g} must not be above the threshold"
                )
            if not upward and self.recovery_threshold < self.threshold:
                raise ValueError(
                    f"'recovery_threshold' ({self.recovery_threshold:g}) of a rule that fires {self.comparison}"
                    f" {self.threshold:g} must not be below the threshold"
                )
        if not isinstance(self.channels, tuple):
            raise ValueError("'channels' must be a tuple of channel names")
        for channel in self.channels:
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel {channel!r}; channels are {', '.join(CHANNELS)}")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("'channels' names a channel twice")
        if not isinstance(self.enabled, bool):
            raise ValueError("'enabled' must be true or false")

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON-ready data (plain types; ``id`` only when it has one)."""
        data: dict[str, Any] = {
            "name": self.name, "metric": str(self.metric), "comparison": str(self.comparison),
            "threshold": self.threshold,
        }
        if self.id is not None:
            data["id"] = self.id
        for name in ("vital", "kind", "experiment", "kpi", "recovery_threshold"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        data.update(
            filters=self.filters.to_json(), window_s=self.window_s, for_s=self.for_s,
            keep_firing_for_s=self.keep_firing_for_s, min_sample=self.min_sample,
            severity=str(self.severity), cooldown_s=self.cooldown_s, channels=list(self.channels),
            enabled=self.enabled,
        )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertRule:
        """A rule from JSON data; ValueError with a reason when it is not a valid rule."""
        if not isinstance(data, Mapping):
            raise ValueError("an alert rule must be a JSON object")
        names = [f.name for f in fields(cls)]
        unknown = sorted(str(k) for k in data if k not in names)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; a rule has {', '.join(names)}")
        missing = [n for n in ("name", "metric", "comparison", "threshold") if data.get(n) is None]
        if missing:
            raise ValueError(f"an alert rule needs {', '.join(missing)}")
        values = {k: v for k, v in data.items() if v is not None}
        values["metric"] = _choice(data["metric"], Metric, "metric")
        values["comparison"] = _choice(data["comparison"], Comparison, "comparison")
        values["severity"] = _choice(data.get("severity", Severity.WARNING), Severity, "severity")
        values["filters"] = RuleFilters.from_json(data.get("filters"))
        channels = data.get("channels", list(_DEFAULT_CHANNELS))
        if not isinstance(channels, (list, tuple)):
            raise ValueError("'channels' must be an array of channel names")
        values["channels"] = tuple(channels)
        for name in ("threshold", "recovery_threshold"):
            if name in values:
                values[name] = float(_finite(values[name], name))
        for name in ("vital", "kind", "experiment", "kpi"):
            if name in values and not isinstance(values[name], str):
                raise ValueError(f"'{name}' must be a string")
        rule = cls(**values)
        rule.validate()
        return rule

    def describe(self) -> str:
        """One line a person reads: "LCP p75 above 4.00 s for 5 min (pages/cart/cart)"."""
        label = self.label()
        if self.comparison in (Comparison.ABOVE, Comparison.BELOW):
            condition = f"{label} {self.comparison} {format_value(self, self.threshold)}"
        else:
            direction = "above" if self.comparison == Comparison.CHANGE_ABOVE else "below"
            condition = (
                f"{label} change {direction} {self.threshold:+g} % against the previous {format_duration(self.window_s)}"
            )
        if self.for_s:
            condition += f" for {format_duration(self.for_s)}"
        scope = [v for v in (self.filters.page, self.filters.transaction, self.filters.release, self.filters.project) if v]
        return f"{condition} ({', '.join(scope)})" if scope else condition

    def label(self) -> str:
        """What the metric is called: "LCP p75", "Errors", "SRM p-value of checkout-color"."""
        m = self.metric
        if m in _VITAL_METRICS:
            return f"{_vital_name(self.vital or '')} {m.value[-3:]}"
        if m in (Metric.TRANSACTION_P75, Metric.TRANSACTION_P95):
            return f"{self.filters.transaction or 'Transaction'} {m.value[-3:]}"
        if m == Metric.EVENT_COUNT:
            return f"{self.kind} events" if self.kind else "Events"
        if m == Metric.EXPERIMENT_SRM:
            return f"SRM p-value of {self.experiment}"
        if m == Metric.KPI:
            return f"KPI {self.kpi}"
        return {
            Metric.ERROR_COUNT: "Errors", Metric.ERROR_RATE: "Errors/min",
            Metric.NEW_ISSUE: "New issues", Metric.REGRESSED_ISSUE: "Regressed issues",
        }[m]


def _vital_name(vital: str) -> str:
    return {
        "dom_content_loaded": "DOMContentLoaded", "load_complete": "Load", "resource_load_time": "Resources",
    }.get(vital, vital.upper())


def format_value(rule: AlertRule, value: float) -> str:
    """A value of the rule's metric in its unit: "4.00 s", "180 ms", "0.250", "12"."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "-∞"
    metric = rule.metric
    if metric in _VITAL_METRICS and rule.vital == "cls":
        return f"{value:.3f}"
    if metric in (*_VITAL_METRICS, Metric.TRANSACTION_P75, Metric.TRANSACTION_P95):
        return f"{value / 1000:.2f} s" if abs(value) >= 1000 else f"{value:.0f} ms"
    if metric == Metric.EXPERIMENT_SRM:
        return f"{value:.3g}"
    if metric == Metric.ERROR_RATE:
        return f"{value:.2f}/min"
    return f"{value:g}"


def format_duration(seconds: int) -> str:
    """ "30 s", "5 min", "1 h", "90 min" — the shortest exact form."""
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _choice(value: Any, enum: type[StrEnum], name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"'{name}' must be one of {', '.join(e.value for e in enum)}; got {value!r}") from None


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"'{name}' must be a finite number; got {value!r}")
    return float(value)


def _integer(value: Any, name: str, *, low: int, high: int = 2**53) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer; got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"'{name}' must be between {low} and {high}; got {value}")
    return value


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        name="LCP p75 is poor", metric=Metric.VITAL_P75, vital="lcp", comparison=Comparison.ABOVE,
        threshold=4000.0, for_s=300, min_sample=20, severity=Severity.CRITICAL,
    ),
    AlertRule(
        name="Error spike", metric=Metric.ERROR_COUNT, comparison=Comparison.CHANGE_ABOVE, threshold=100.0,
        min_sample=10, severity=Severity.WARNING,
    ),
    AlertRule(
        name="New issue", metric=Metric.NEW_ISSUE, comparison=Comparison.ABOVE, threshold=0.0,
        severity=Severity.INFO,
    ),
)
