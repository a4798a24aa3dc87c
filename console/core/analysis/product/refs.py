"""What product analytics counts: which occurrences (an :class:`EventRef`) and what number
is made of them (a :class:`Measure`).

A funnel step, a KPI's numerator, a dashboard widget and the events explorer all name the
occurrences they count the same way: a *source* (page views, events by name, clicks, errors,
conversions, funnel steps, page loads, transactions, network requests), an optional name
within it, optional property filters and an optional project. They are plain data with a JSON
form, because funnels, KPIs and dashboards are saved in the store and travel from the window
to the collector. :mod:`console.core.store.occurrences` turns them into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AGGREGATIONS", "COLUMNS", "FIELDS", "FILTER_OPS", "KEY_SEGMENT", "NAME_MEANS", "SOURCES", "SOURCE_LABELS",
    "EventRef", "Measure", "PropertyFilter", "check_key",
]

#: Where occurrences come from, with what a user calls them.
SOURCE_LABELS: dict[str, str] = {
    "page_view": "Page view",
    "event": "Event",
    "interaction": "Interaction",
    "error": "Error",
    "network_request": "Network request",
    "conversion": "Conversion",
    "funnel_step": "Funnel step",
    "page_load": "Page load",
    "transaction": "Transaction",
}
SOURCES = tuple(SOURCE_LABELS)

#: What ``EventRef.name`` picks in each source.
NAME_MEANS: dict[str, str] = {
    "page_view": "route", "event": "event name", "interaction": "action", "error": "error type",
    "network_request": "method", "conversion": "conversion type", "funnel_step": "step",
    "page_load": "route", "transaction": "transaction name",
}

#: The typed columns a filter or a breakdown may name directly, per source.
COLUMNS: dict[str, tuple[str, ...]] = {
    "page_view": ("route", "title", "referrer", "platform", "brand", "model", "system", "client_version"),
    "event": ("name",),
    "interaction": ("action", "element_tag", "element_id", "element_text"),
    "error": ("error_type", "level", "route", "release", "environment"),
    "network_request": ("url", "method", "status"),
    "conversion": ("conversion_type", "currency"),
    "funnel_step": ("funnel", "step"),
    "page_load": ("route", "release", "platform", "device", "environment"),
    "transaction": ("name", "route", "status", "release", "platform", "device", "environment"),
}

#: The numeric fields a sum, an average or a percentile may be taken of, per source.
FIELDS: dict[str, tuple[str, ...]] = {
    "page_load": ("lcp", "fcp", "cls", "inp", "ttfb", "fid", "tti", "tbt", "dom_content_loaded",
                  "load_complete", "resource_load_time"),
    "transaction": ("duration_ms",),
    "conversion": ("value",),
    "network_request": ("duration_ms",),
    "event": ("value",),
}

#: How occurrences become one number: counted, their distinct users or sessions, or a
#: statistic of a field.
AGGREGATIONS = ("count", "users", "sessions", "sum", "avg", "min", "max", "p50", "p75", "p90", "p95", "p99")
_NEEDS_FIELD = frozenset(AGGREGATIONS[3:])

FILTER_OPS = ("eq", "ne", "contains")

#: Keys beyond a source's own columns: a payload property, a field of the payload, or a
#: column of the session the occurrence belongs to. A property's name is whatever the app
#: sent (``渠道``, ``plan type``); one with a dot in it is quoted (``properties."utm.source"``),
#: as an unquoted dot goes one level down (``properties.address.city``).
KEY_SEGMENT = r'(?:"[^"\x00-\x1f\x7f]+"|[^."\[\]\x00-\x1f\x7f]+)'
_KEY = re.compile(
    rf"^(properties|data)\.{KEY_SEGMENT}(\.{KEY_SEGMENT})*$|^session\.(platform|device|release|entry_route)$"
)
_MAX_TEXT = 200


def check_key(source: str, key: str) -> str:
    """``key`` if a filter or breakdown of ``source`` may use it, else ValueError saying why."""
    if key in COLUMNS.get(source, ()) or _KEY.match(key):
        return key
    own = ", ".join(COLUMNS.get(source, ()))
    raise ValueError(
        f"unknown key {key!r} for {source}: use one of {own}, properties.<name> (quoted when it has a dot),"
        " data.<path>"
        " or session.platform|device|release|entry_route"
    )


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{key!r} is required")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError(f"{key!r} must be a string")
    text = str(value)
    if len(text) > _MAX_TEXT:
        raise ValueError(f"{key!r} is longer than {_MAX_TEXT} characters")
    return text


@dataclass(frozen=True, slots=True)
class PropertyFilter:
    """Keep the occurrences whose ``key`` equals, differs from or contains ``value``."""

    key: str
    op: str
    value: str

    def check(self, source: str) -> None:
        check_key(source, self.key)
        if self.op not in FILTER_OPS:
            raise ValueError(f"unknown filter operator {self.op!r}; use one of {', '.join(FILTER_OPS)}")

    def label(self) -> str:
        sign = {"eq": "=", "ne": "≠", "contains": "∋"}[self.op]
        return f"{self.key} {sign} {self.value}"

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "op": self.op, "value": self.value}

    @classmethod
    def from_json(cls, data: Any) -> PropertyFilter:
        if not isinstance(data, Mapping):
            raise ValueError("a filter must be an object with key, op and value")
        value = data.get("value")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("a filter's 'value' must be a string or a number")
        return cls(key=_text(data, "key", required=True) or "", op=_text(data, "op") or "eq", value=str(value))


@dataclass(frozen=True, slots=True)
class EventRef:
    """Which occurrences count: a source, optionally one name in it, filters and a project."""

    source: str
    name: str | None = None
    funnel: str | None = None
    filters: tuple[PropertyFilter, ...] = ()
    project: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCE_LABELS:
            raise ValueError(f"unknown source {self.source!r}; use one of {', '.join(SOURCES)}")
        if self.source == "event" and not self.name:
            raise ValueError("an event needs its name")
        if self.funnel is not None and self.source != "funnel_step":
            raise ValueError("only a funnel step names a funnel")
        if self.source == "funnel_step" and not self.funnel:
            raise ValueError("a funnel step needs its funnel")
        for found in self.filters:
            found.check(self.source)

    def label(self) -> str:
        """How the panel and reports name these occurrences: ``page view pages/cart/cart``."""
        kind = SOURCE_LABELS[self.source].lower()
        if self.source == "event":
            text = str(self.name)
        elif self.source == "funnel_step":
            text = f"{self.funnel}: {self.name}" if self.name else f"{self.funnel} (any step)"
        else:
            text = f"{kind} {self.name}" if self.name else f"any {kind}"
        if self.filters:
            text += " where " + ", ".join(found.label() for found in self.filters)
        if self.project:
            text += f" in {self.project}"
        return text

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source}
        for key in ("name", "funnel", "project"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.filters:
            data["filters"] = [found.to_json() for found in self.filters]
        return data

    @classmethod
    def from_json(cls, data: Any) -> EventRef:
        """Decode the JSON form; ValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("an event reference must be an object with a 'source'")
        filters = data.get("filters") or []
        if not isinstance(filters, list):
            raise ValueError("'filters' must be an array")
        return cls(
            source=_text(data, "source", required=True) or "",
            name=_text(data, "name"),
            funnel=_text(data, "funnel"),
            filters=tuple(PropertyFilter.from_json(found) for found in filters),
            project=_text(data, "project"),
        )


@dataclass(frozen=True, slots=True)
class Measure:
    """One number per range or per bucket: occurrences counted, or a statistic of a field."""

    ref: EventRef
    aggregation: str = "count"
    field: str | None = None

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.aggregation!r}; use one of {', '.join(AGGREGATIONS)}")
        fields = FIELDS.get(self.ref.source, ())
        if self.aggregation in _NEEDS_FIELD:
            if self.field is None:
                raise ValueError(f"{self.aggregation} needs a field")
        if self.field is not None and self.field not in fields:
            valid = ", ".join(fields) or "none"
            raise ValueError(f"{self.ref.source} has no field {self.field!r} (fields: {valid})")

    @property
    def needs_field(self) -> bool:
        return self.aggregation in _NEEDS_FIELD

    def label(self) -> str:
        """``p75 lcp of any page load``, ``users of checkout``, ``count of any error``."""
        what = {"count": "count", "users": "users", "sessions": "sessions"}.get(self.aggregation)
        head = what if what else f"{self.aggregation} {self.field}"
        return f"{head} of {self.ref.label()}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref.to_json(), "aggregation": self.aggregation}
        if self.field is not None:
            data["field"] = self.field
        return data

    @classmethod
    def from_json(cls, data: Any) -> Measure:
        if not isinstance(data, Mapping):
            raise ValueError("a measure must be an object with 'ref' and 'aggregation'")
        return cls(
            ref=EventRef.from_json(data.get("ref")),
            aggregation=_text(data, "aggregation") or "count",
            field=_text(data, "field"),
        )
