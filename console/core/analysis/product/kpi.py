"""KPIs: a named number with a target (the brief's ``defineKPI``), and what a value of it means.

A :class:`KpiDefinition` names a formula over the store — a count of an event, its unique
users, a rate of one count over another, a sum or a percentile of a field, or the share of
sessions with an error — with a unit, a target, warning and critical thresholds and how often
it is refreshed. It is plain data with a JSON form, saved in the store's ``kpis`` table and
sent by apps as the native ``kpi`` payload; :meth:`KpiDefinition.from_json` reads both Lookout's
own shape and the brief's (``calculation``, ``thresholds``, ``updateFrequency``).

:func:`judge` turns a value and the previous period's into what a card shows: on, below or
above target, the ok / warning / critical level, and the change. A :class:`KpiReport` holds
every KPI of a range for the report files (:mod:`console.core.analysis.product.report`);
:mod:`console.core.store.kpi_queries` measures them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.product.kpi_json import definition_values, finite, parse_duration_s
from console.core.analysis.product.refs import FIELDS, EventRef, Measure

__all__ = [
    "FORMULAS", "FORMULA_LABELS", "LEVELS", "QUANTILES", "RATE_OF", "STATUSES", "KpiDefinition", "KpiReport",
    "KpiReportRow", "KpiValue", "chart_line", "format_change", "format_kpi_value", "is_currency", "iso_minute", "judge",
    "parse_duration_s",
]

FORMULA_LABELS: dict[str, str] = {
    "count": "Count of an event",
    "unique_users": "Unique users",
    "rate": "Rate of one count over another (%)",
    "sum": "Sum of a value",
    "percentile": "Percentile of a metric",
    "error_rate": "Sessions with an error (%)",
}
FORMULAS = tuple(FORMULA_LABELS)
QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)
RATE_OF = ("count", "users")
STATUSES = ("on target", "below target", "above target", "no target", "no data")
LEVELS = ("ok", "warning", "critical")

_MAX_NAME = 200
_MAX_DESCRIPTION = 2000
_MAX_UNIT = 20
_MAX_REFRESH_S = 7 * 86_400
_MAX_ID = 2**63 - 1  # SQLite's largest row id
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_CURRENCY_SIGNS = frozenset({"¥", "$", "€", "£", "₩", "₹", "元"})


def _string(value: Any, key: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string")
    if len(value) > limit:
        raise ValueError(f"'{key}' is longer than {limit} characters")
    return value


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """A named number over the store with a target; see the module docstring."""

    name: str
    description: str = ""
    formula: str = "count"
    ref: EventRef | None = None
    denominator: EventRef | None = None
    rate_of: str = "count"
    field: str | None = None
    quantile: float | None = None
    unit: str = ""
    target: float | None = None
    higher_is_better: bool = True
    warning: float | None = None
    critical: float | None = None
    refresh_s: int = 60
    project: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        name = _string(self.name, "name", _MAX_NAME)
        if not name.strip():
            raise ValueError("'name' must not be empty")
        _string(self.description, "description", _MAX_DESCRIPTION)
        _string(self.unit, "unit", _MAX_UNIT)
        if self.formula not in FORMULA_LABELS:
            raise ValueError(f"unknown formula {self.formula!r}; use one of {', '.join(FORMULAS)}")
        self._check_calculation()
        for key in ("target", "warning", "critical"):
            finite(getattr(self, key), key)
        if not isinstance(self.higher_is_better, bool):
            raise ValueError("'higher_is_better' must be true or false")
        self._check_order()
        if isinstance(self.refresh_s, bool) or not isinstance(self.refresh_s, int) or not (
                1 <= self.refresh_s <= _MAX_REFRESH_S):
            raise ValueError(f"'refresh_s' must be whole seconds from 1 to {_MAX_REFRESH_S}")
        if self.project is not None and not _string(self.project, "project", _MAX_NAME).strip():
            raise ValueError("'project' must not be empty (leave it out for every project)")
        if self.id is not None and (isinstance(self.id, bool) or not isinstance(self.id, int)
                                    or not 1 <= self.id <= _MAX_ID):
            raise ValueError("'id' must be a positive integer")

    def _check_calculation(self) -> None:
        formula = self.formula
        if formula == "error_rate":
            if self.ref is not None:
                raise ValueError("error_rate is the share of sessions with an error; it takes no 'ref'")
        elif self.ref is None:
            raise ValueError(f"{formula} needs 'ref', the occurrences it measures")
        elif not isinstance(self.ref, EventRef):
            raise ValueError("'ref' must be an EventRef")
        if formula == "rate":
            if not isinstance(self.denominator, EventRef):
                raise ValueError("rate needs 'denominator', the occurrences it divides by")
            if self.rate_of not in RATE_OF:
                raise ValueError(f"'rate_of' must be one of {', '.join(RATE_OF)}, not {self.rate_of!r}")
        elif self.denominator is not None:
            raise ValueError(f"only a rate has a 'denominator', not {formula}")
        if formula in ("sum", "percentile"):
            assert self.ref is not None
            fields_here = FIELDS.get(self.ref.source, ())
            if self.field not in fields_here:
                valid = ", ".join(fields_here) or "none: pick a page load, transaction, conversion, ..."
                raise ValueError(f"{formula} needs 'field', a number of {self.ref.source} ({valid}); got {self.field!r}")
        elif self.field is not None:
            raise ValueError(f"only sum and percentile take a 'field', not {formula}")
        if formula == "percentile":
            if self.quantile not in QUANTILES:
                shown = ", ".join(f"{q:g}" for q in QUANTILES)
                raise ValueError(f"percentile needs 'quantile', one of {shown}; got {self.quantile!r}")
        elif self.quantile is not None:
            raise ValueError(f"only a percentile takes a 'quantile', not {formula}")

    def _check_order(self) -> None:
        """From good to bad: target, warning, critical (descending when higher is better)."""
        better = "higher" if self.higher_is_better else "lower"
        ordered = [(k, getattr(self, k)) for k in ("target", "warning", "critical") if getattr(self, k) is not None]
        for (good_key, good), (bad_key, bad) in zip(ordered, ordered[1:], strict=False):
            if (bad > good) if self.higher_is_better else (bad < good):
                side = "above" if self.higher_is_better else "below"
                raise ValueError(
                    f"with {better} values better, '{bad_key}' ({bad:g}) must not be {side} '{good_key}' ({good:g})"
                )

    def measures(self) -> tuple[Measure, ...]:
        """The foundation measures the formula is made of: one, a rate's two, none for error_rate."""
        ref = self.ref
        if ref is None:
            return ()
        if self.formula == "count":
            return (Measure(ref, "count"),)
        if self.formula == "unique_users":
            return (Measure(ref, "users"),)
        if self.formula == "rate":
            assert self.denominator is not None
            return (Measure(ref, self.rate_of), Measure(self.denominator, self.rate_of))
        if self.formula == "sum":
            return (Measure(ref, "sum", self.field),)
        assert self.quantile is not None
        return (Measure(ref, f"p{round(self.quantile * 100)}", self.field),)

    def calculation_label(self) -> str:
        """What is computed, in words: ``p75 lcp of any page load``."""
        if self.formula == "error_rate":
            text = "sessions with an error ÷ sessions"
        else:
            text = " ÷ ".join(m.label() for m in self.measures())
        return f"{text} (project {self.project})" if self.project else text

    def to_json(self) -> dict[str, Any]:
        """Lookout's shape: the field names as keys (``id`` only when set, references as JSON)."""
        data: dict[str, Any] = {}
        for found in fields(self):
            value = getattr(self, found.name)
            if isinstance(value, EventRef):
                value = value.to_json()
            if value is not None:
                data[found.name] = value
        return data

    @classmethod
    def from_json(cls, data: Any) -> KpiDefinition:
        """A KPI from Lookout's shape or the brief's ``defineKPI``
        (:mod:`~console.core.analysis.product.kpi_json`); ValueError names what is wrong."""
        return cls(**definition_values(data))


@dataclass(frozen=True, slots=True)
class KpiValue:
    """A KPI's value over a range, the previous range's, and what a card says of them."""

    kpi: KpiDefinition
    value: float | None
    previous: float | None
    change: float | None
    delta: float | None
    status: str
    level: str | None
    sample: int = 0

    @property
    def on_target(self) -> bool:
        return self.status == "on target"


def judge(kpi: KpiDefinition, value: float | None, previous: float | None, *, sample: int = 0) -> KpiValue:
    """What ``value`` (and ``previous``, the range before) means for ``kpi``: pure."""
    if value is None:
        status = "no data"
    elif kpi.target is None:
        status = "no target"
    elif kpi.higher_is_better:
        status = "on target" if value >= kpi.target else "below target"
    else:
        status = "on target" if value <= kpi.target else "above target"
    level: str | None = None
    if value is not None and (kpi.warning is not None or kpi.critical is not None):
        level = "ok"
        for threshold, name in ((kpi.warning, "warning"), (kpi.critical, "critical")):
            if threshold is not None and (value <= threshold if kpi.higher_is_better else value >= threshold):
                level = name
    change = delta = None
    if value is not None and previous is not None:
        delta = value - previous
        if previous != 0:
            change = delta / abs(previous) * 100.0
        elif value == 0:
            change = 0.0
    return KpiValue(kpi, value, previous, change, delta, status, level, sample)


def is_currency(unit: str) -> bool:
    """Whether ``unit`` names money: an ISO 4217 code (``CNY``, ``USD``) or a currency sign."""
    return bool(_CURRENCY_CODE.fullmatch(unit)) or unit in _CURRENCY_SIGNS


def format_kpi_value(value: float | None, unit: str = "") -> str:
    """A value as a card shows it: ``1,234``, ``3.52 %``, ``2,140 ms``, money to the cent as
    the Conversions tab sums it (``150.50 CNY``); ``—`` for none."""
    if value is None or not math.isfinite(value):
        return "—"
    size = abs(value)
    if is_currency(unit):
        return f"{value:,.2f} {unit}"
    if value == int(value) and size < 1e15:
        text = f"{int(value):,}"
    elif size >= 100:
        text = f"{value:,.0f}"
    elif size >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}" if size >= 0.01 else f"{value:.3g}"
    return f"{text} {unit}" if unit else text


def chart_line(kpi: KpiDefinition, values: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], bool]:
    """What a chart of ``kpi`` draws of its per-bucket ``values``, and whether its target
    belongs on it: a count or a sum as its running total, which ends at the range's value, so
    the target is the goal it climbs to; unique users per bucket do not add up to the range's,
    so they get no target; rates, percentiles and error rates are compared with the target
    bucket by bucket. The report's charts and the KPI cards' sparklines draw this."""
    series = np.asarray(values, dtype=np.float64)
    if kpi.formula in ("count", "sum"):
        return np.cumsum(np.nan_to_num(series)), True
    return series, kpi.formula != "unique_users"


def format_change(change: float | None) -> str:
    """``+12.5 %``, ``−3.0 %``, ``0 %``; ``—`` when there is nothing to compare."""
    if change is None or not math.isfinite(change):
        return "—"
    if change == 0:
        return "0 %"
    sign = "+" if change > 0 else "−"
    return f"{sign}{abs(change):,.1f} %"


@dataclass(frozen=True, slots=True, eq=False)
class KpiReportRow:
    """One KPI in a report: its value and a series over the report's range."""

    value: KpiValue
    starts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class KpiReport:
    """Every KPI over one range (the brief's ``generateReport``)."""

    start_ms: int
    end_ms: int
    bucket_ms: int
    rows: tuple[KpiReportRow, ...]
    generated_ms: int

    @property
    def on_target(self) -> int:
        return sum(1 for row in self.rows if row.value.on_target)

    @property
    def total(self) -> int:
        return len(self.rows)

    def summary(self) -> str:
        """``7 of 10 KPIs on target``."""
        noun = "KPI" if self.total == 1 else "KPIs"
        return f"{self.on_target} of {self.total} {noun} on target"

    def range_text(self) -> str:
        """The range as an ISO 8601 interval in UTC: ``2026-01-01T00:00Z/2026-01-02T00:00Z``."""
        return f"{iso_minute(self.start_ms)}/{iso_minute(self.end_ms)}"

    def to_json(self) -> list[dict[str, Any]]:
        """One flat record per KPI: what ``lookout export --kind kpis`` writes."""
        records = []
        for row in self.rows:
            found, kpi = row.value, row.value.kpi
            records.append({
                "name": kpi.name, "description": kpi.description, "formula": kpi.formula,
                "calculation": kpi.calculation_label(), "value": found.value, "unit": kpi.unit,
                "target": kpi.target, "higher_is_better": kpi.higher_is_better, "status": found.status,
                "level": found.level, "previous": found.previous, "change_percent": found.change,
                "delta": found.delta, "sample": found.sample, "start_ms": self.start_ms, "end_ms": self.end_ms,
                "range": self.range_text(),
            })
        return records


def iso_minute(ms: int) -> str:
    """``2026-01-01T00:00Z`` (seconds shown only when there are some)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if moment.second else "%Y-%m-%dT%H:%MZ")
