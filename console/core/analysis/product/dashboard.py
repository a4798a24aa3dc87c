"""Dashboards: named grids of widgets, each a time-series chart or a metric card, saved in the
store as JSON (the brief's ``DashboardBuilder``).

A :class:`Widget` shows one metric over a range ending now: a
:class:`~console.core.analysis.product.refs.Measure` (its aggregation — count, users, avg,
p50, p75, p95 … — and its filters come with it), a KPI by name, or one of two metrics no
event reference names (:data:`SPECIALS`): every stored event, and active sessions. A
:class:`Dashboard` places its widgets on a grid of :data:`GRID_COLUMNS` columns without
overlaps. :data:`DEFAULT_DASHBOARD` is the Overview. Reading the numbers is
:mod:`console.core.store.widget_queries`' job; this module is plain data and formatting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from console.core.analysis.product.kpi import format_change
from console.core.analysis.product.refs import EventRef, Measure

__all__ = [
    "COMPARISONS", "DEFAULT_DASHBOARD", "FORMATS", "GRID_COLUMNS", "MAX_ROW", "MAX_SIZE", "MAX_WIDGETS",
    "RANGES", "SPECIALS", "WIDGET_KINDS", "Dashboard", "Widget", "bucket_for", "format_change", "format_value",
]

WIDGET_KINDS = ("chart", "card")

#: Metrics beyond event references. ``events``: every stored event of any kind, counted by
#: when it *arrived* (``events.received``, which the old Overview counted and which is
#: indexed); ``active_sessions``: sessions with activity in the range (a ``sessions`` row
#: that started before its end and ended after its start). Both are counts.
SPECIALS: dict[str, str] = {"events": "Events", "active_sessions": "Active sessions"}

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: A widget's range, ending now: name → span in ms.
RANGES: dict[str, int] = {
    "1m": MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "1h": HOUR, "6h": 6 * HOUR, "24h": DAY,
    "7d": 7 * DAY, "30d": 30 * DAY,
}
#: How a value is shown. ``percent`` values are already percentages (a KPI's rate is 12.5, not 0.125).
FORMATS = ("number", "count", "ms", "percent", "currency")
COMPARISONS = ("previous", "none")
GRID_COLUMNS = 4
MAX_SIZE = 4
MAX_ROW = 100
MAX_WIDGETS = 60
_MAX_TITLE = 80
_MAX_KPI_NAME = 200  # as KpiDefinition's
_MIN_POINTS, _MAX_POINTS = 2, 1000
_MIN_REFRESH_S, _MAX_REFRESH_S = 5, 86_400

# Bucket sizes a chart may use, smallest first: round numbers a reader recognises.
_BUCKETS = (
    SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE,
    5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY,
)
_TARGET_POINTS = 60


def bucket_for(span_ms: int) -> int:
    """The largest round bucket that still cuts ``span_ms`` into at least 60 points (1 h: 1 min,
    24 h: 15 min, 7 d: 2 h, 30 d: 12 h), so a chart has 60 to a few hundred points."""
    fitting = [b for b in _BUCKETS if span_ms / b >= _TARGET_POINTS]
    return fitting[-1] if fitting else SECOND


def _choice(value: Any, name: str, allowed: tuple[str, ...] | dict[str, Any]) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; use one of {', '.join(allowed)}")
    return str(value)


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name!r} must be an integer, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name!r} must be from {low} to {high}, not {value}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Widget:
    """One chart or card on a dashboard: a metric over a range ending now, and where it sits.

    Exactly one of ``measure``, ``kpi`` (a KPI's name) and ``special`` (a key of
    :data:`SPECIALS`) says what is shown. A card shows the value over ``range``, the change
    against the period before when ``comparison`` is ``"previous"``, and a sparkline of the
    range when ``trend``; a chart shows the series over ``range`` per ``bucket_ms`` (None:
    :func:`bucket_for`). ``row``/``col``/``width``/``height`` are grid cells.
    """

    kind: str
    title: str = ""
    measure: Measure | None = None
    kpi: str | None = None
    special: str | None = None
    range: str = "24h"
    format: str = "number"
    comparison: str = "previous"
    trend: bool = True
    refresh_s: int = 30
    row: int = 0
    col: int = 0
    width: int = 1
    height: int = 1
    bucket_ms: int | None = None

    def __post_init__(self) -> None:
        _choice(self.kind, "widget kind", WIDGET_KINDS)
        if len(self.title) > _MAX_TITLE:
            raise ValueError(f"a widget's title is longer than {_MAX_TITLE} characters")
        chosen = [name for name in ("measure", "kpi", "special") if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError("a widget shows exactly one of a measure, a KPI or a special metric"
                             f" (got {', '.join(chosen) or 'none'})")
        if self.kpi is not None and not self.kpi.strip():
            raise ValueError("a KPI widget needs the KPI's name")
        if self.kpi is not None and len(self.kpi) > _MAX_KPI_NAME:
            raise ValueError(f"a KPI's name is at most {_MAX_KPI_NAME} characters")
        if self.special is not None:
            _choice(self.special, "special metric", SPECIALS)
        _choice(self.range, "range", RANGES)
        _choice(self.format, "format", FORMATS)
        _choice(self.comparison, "comparison", COMPARISONS)
        _int(self.refresh_s, "refresh_s", _MIN_REFRESH_S, _MAX_REFRESH_S)
        _int(self.row, "row", 0, MAX_ROW - 1)
        _int(self.col, "col", 0, GRID_COLUMNS - 1)
        _int(self.width, "width", 1, MAX_SIZE)
        _int(self.height, "height", 1, MAX_SIZE)
        if self.col + self.width > GRID_COLUMNS:
            raise ValueError(f"a widget at column {self.col} of width {self.width} leaves the"
                             f" {GRID_COLUMNS}-column grid")
        if self.bucket_ms is not None:
            _int(self.bucket_ms, "bucket_ms", SECOND, DAY)
            points = RANGES[self.range] / self.bucket_ms
            if not _MIN_POINTS <= points <= _MAX_POINTS:
                raise ValueError(f"a bucket of {self.bucket_ms} ms makes {points:g} points of {self.range};"
                                 f" use {_MIN_POINTS} to {_MAX_POINTS}")

    @property
    def span_ms(self) -> int:
        return RANGES[self.range]

    @property
    def chart_bucket_ms(self) -> int:
        """The bucket of this widget's series: its own, else the automatic one of its range."""
        return self.bucket_ms if self.bucket_ms is not None else bucket_for(self.span_ms)

    def metric_label(self) -> str:
        """What is measured: ``p75 lcp of any page load``, ``Events``, ``KPI Checkout rate``."""
        if self.measure is not None:
            return self.measure.label()
        if self.kpi is not None:
            return f"KPI {self.kpi}"
        return SPECIALS[str(self.special)]

    def label(self) -> str:
        """The widget's heading: its title, else what it measures."""
        return self.title or self.metric_label()

    def cells(self) -> set[tuple[int, int]]:
        """The grid cells the widget covers, as ``(row, col)``."""
        return {(r, c) for r in range(self.row, self.row + self.height) for c in range(self.col, self.col + self.width)}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "title": self.title}
        if self.measure is not None:
            data["measure"] = self.measure.to_json()
        if self.kpi is not None:
            data["kpi"] = self.kpi
        if self.special is not None:
            data["special"] = self.special
        data.update(range=self.range, format=self.format, comparison=self.comparison, trend=self.trend,
                    refresh_s=self.refresh_s, row=self.row, col=self.col, width=self.width, height=self.height)
        if self.bucket_ms is not None:
            data["bucket_ms"] = self.bucket_ms
        return data

    @classmethod
    def from_json(cls, data: Any) -> Widget:
        """Decode the JSON form; ValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a widget must be an object with a 'kind'")
        unknown = sorted(str(key) for key in data if key not in _WIDGET_FIELDS)
        if unknown:
            raise ValueError(f"unknown widget field(s) {', '.join(unknown)}")
        for name in ("kind", "title", "kpi", "special", "range", "format", "comparison"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"a widget's {name!r} must be a string")
        trend = data.get("trend", True)
        if not isinstance(trend, bool):
            raise ValueError("a widget's 'trend' must be true or false")
        measure = data.get("measure")
        return cls(
            kind=data.get("kind") or "",
            title=data.get("title") or "",
            measure=None if measure is None else Measure.from_json(measure),
            kpi=data.get("kpi"),
            special=data.get("special"),
            range=data.get("range") or "24h",
            format=data.get("format") or "number",
            comparison=data.get("comparison") or "previous",
            trend=trend,
            refresh_s=data.get("refresh_s", 30),
            row=data.get("row", 0),
            col=data.get("col", 0),
            width=data.get("width", 1),
            height=data.get("height", 1),
            bucket_ms=data.get("bucket_ms"),
        )


_WIDGET_FIELDS = frozenset(Widget.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A named grid of widgets, none overlapping; ``position`` orders the dashboard selector."""

    name: str
    widgets: tuple[Widget, ...] = ()
    id: int | None = None
    position: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a dashboard needs a name")
        if len(self.name) > _MAX_TITLE:
            raise ValueError(f"a dashboard's name is longer than {_MAX_TITLE} characters")
        if len(self.widgets) > MAX_WIDGETS:
            raise ValueError(f"a dashboard holds at most {MAX_WIDGETS} widgets")
        taken: dict[tuple[int, int], Widget] = {}
        for widget in self.widgets:
            for cell in sorted(widget.cells()):
                if cell in taken:
                    raise ValueError(f"{widget.label()!r} overlaps {taken[cell].label()!r}"
                                     f" at row {cell[0]}, column {cell[1]}")
                taken[cell] = widget

    def free_cell(self, width: int = 1, height: int = 1) -> tuple[int, int]:
        """The first ``(row, col)``, row by row, where a widget of this size fits."""
        taken = set().union(*(w.cells() for w in self.widgets)) if self.widgets else set()
        for row in range(MAX_ROW - height + 1):
            for col in range(GRID_COLUMNS - width + 1):
                cells = {(r, c) for r in range(row, row + height) for c in range(col, col + width)}
                if not cells & taken:
                    return row, col
        raise ValueError("the dashboard has no room left for a widget of that size")

    def with_widget(self, widget: Widget) -> Dashboard:
        """This dashboard with ``widget`` added (ValueError when it overlaps another)."""
        return replace(self, widgets=(*self.widgets, widget))

    def replace_widget(self, index: int, widget: Widget) -> Dashboard:
        """This dashboard with the widget at ``index`` replaced (edited or moved)."""
        widgets = list(self.widgets)
        widgets[index] = widget
        return replace(self, widgets=tuple(widgets))

    def without_widget(self, index: int) -> Dashboard:
        return replace(self, widgets=self.widgets[:index] + self.widgets[index + 1:])

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "widgets": [w.to_json() for w in self.widgets]}
        if self.id is not None:
            data["id"] = self.id
        data["position"] = self.position
        return data

    @classmethod
    def from_json(cls, data: Any) -> Dashboard:
        """Decode the JSON form; ValueError names what is wrong (and which widget)."""
        if not isinstance(data, Mapping):
            raise ValueError("a dashboard must be an object with a 'name' and 'widgets'")
        unknown = sorted(str(key) for key in data if key not in ("name", "widgets", "id", "position"))
        if unknown:
            raise ValueError(f"unknown dashboard field(s) {', '.join(unknown)}")
        name = data.get("name")
        if not isinstance(name, str):
            raise ValueError("a dashboard's 'name' must be a string")
        found = data.get("widgets", [])
        if not isinstance(found, list):
            raise ValueError("a dashboard's 'widgets' must be an array")
        widgets = []
        for index, item in enumerate(found):
            try:
                widgets.append(Widget.from_json(item))
            except ValueError as exc:
                raise ValueError(f"widget {index + 1}: {exc}") from None
        dashboard_id = data.get("id")
        if dashboard_id is not None:
            _int(dashboard_id, "id", 1, 2**63 - 1)
        return cls(name=name.strip(), widgets=tuple(widgets), id=dashboard_id,
                   position=_int(data.get("position", 0), "position", -(2**31), 2**31))


def format_value(value: float | None, format: str) -> str:
    """A widget's value as a card shows it: ``1,234``, ``850 ms``, ``3.25 s``, ``12.5 %``,
    ``1,234.50``; ``—`` when there is none. (A change is shown by :func:`format_change`,
    the KPI cards' own: a percentage such as ``+12.5 %``.)"""
    if value is None or not math.isfinite(value):
        return "—"
    if format == "count":
        return f"{round(value):,}"
    if format == "ms":
        if abs(value) < 1000:
            return f"{value:.0f} ms"
        return f"{value / 1000:.2f}".rstrip("0").rstrip(".") + " s"
    if format == "percent":
        return f"{value:.1f} %"
    if format == "currency":
        return f"{value:,.2f}"
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _card(title: str, row: int, col: int, *, range: str, format: str = "count", refresh_s: int = 30,
          measure: Measure | None = None, special: str | None = None) -> Widget:
    return Widget(kind="card", title=title, measure=measure, special=special, range=range, format=format,
                  refresh_s=refresh_s, row=row, col=col)


def _chart(title: str, row: int, col: int, *, format: str = "count", bucket_ms: int | None = None,
           measure: Measure | None = None, special: str | None = None) -> Widget:
    return Widget(kind="chart", title=title, measure=measure, special=special, range="24h", format=format,
                  comparison="none", refresh_s=60, row=row, col=col, width=2, height=2, bucket_ms=bucket_ms)


_ERRORS = Measure(EventRef("error"))
_PAGE_VIEWS = Measure(EventRef("page_view"))
_LCP_P75 = Measure(EventRef("page_load"), "p75", "lcp")
_CONVERSIONS = Measure(EventRef("conversion"))
_CONVERSION_VALUE = Measure(EventRef("conversion"), "sum", "value")

#: The Overview: what the old Overview's cards showed (events and errors in the last minute,
#: sessions active in the last 5 minutes, LCP p75), the day's traffic and conversions, and
#: the charts of the last 24 hours.
DEFAULT_DASHBOARD = Dashboard(
    name="Overview",
    widgets=(
        _card("Events / min", 0, 0, range="1m", special="events", refresh_s=10),
        _card("Errors / min", 0, 1, range="1m", measure=_ERRORS, refresh_s=10),
        _card("Active sessions", 0, 2, range="5m", special="active_sessions", refresh_s=10),
        _card("LCP p75 (1 h)", 0, 3, range="1h", measure=_LCP_P75, format="ms"),
        _card("Page views (24 h)", 1, 0, range="24h", measure=_PAGE_VIEWS, refresh_s=60),
        _card("Sessions (24 h)", 1, 1, range="24h", special="active_sessions", refresh_s=60),
        _card("Conversions (24 h)", 1, 2, range="24h", measure=_CONVERSIONS, refresh_s=60),
        _card("Conversion value (24 h)", 1, 3, range="24h", measure=_CONVERSION_VALUE, format="currency",
              refresh_s=60),
        _chart("Events", 2, 0, special="events"),
        _chart("Errors", 2, 2, measure=_ERRORS),
        _chart("Page views", 4, 0, measure=_PAGE_VIEWS),
        _chart("LCP p75 per hour", 4, 2, measure=_LCP_P75, format="ms", bucket_ms=HOUR),
        _chart("Conversion value per hour", 6, 0, measure=_CONVERSION_VALUE, format="currency", bucket_ms=HOUR),
        _chart("Active sessions", 6, 2, special="active_sessions"),
    ),
)
