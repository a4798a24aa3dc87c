"""What the widget editor offers and suggests: what a widget can show, the store's event
names per source, the KPIs, the formats and buckets, and the format a metric reads best in.

Plain data and functions (no Qt): :func:`picker_choices` runs as a query job before the
editor opens; the rest is what the editor's pickers do with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from console.core.store.kpi_queries import list_kpis
from console.core.store.occurrences import event_catalog

__all__ = ["BUCKETS", "FORMAT_WORDS", "SHOWS", "PickerChoices", "names_in", "picker_choices", "suggested_format"]

_COUNTING = frozenset({"count", "users", "sessions"})

#: What a widget can show: key → the editor's words.
SHOWS = {
    "measure": "An event metric", "kpi": "A KPI", "events": "Every event (by arrival)",
    "active_sessions": "Active sessions",
}
#: How the editor names each format.
FORMAT_WORDS = {"number": "Number", "count": "Count", "ms": "Milliseconds", "percent": "Percent",
                "currency": "Currency"}
#: A chart's bucket choices (None: the range's automatic one).
BUCKETS: dict[str, int | None] = {
    "Automatic": None, "1 min": 60_000, "5 min": 300_000, "15 min": 900_000, "1 hour": 3_600_000,
    "6 hours": 21_600_000, "1 day": 86_400_000,
}


@dataclass(frozen=True, slots=True)
class PickerChoices:
    """What the widget editor's pickers offer: the store's event names and KPI names."""

    catalog: list[tuple[str, str | None, int]]
    kpis: list[str]


def picker_choices(conn: sqlite3.Connection) -> PickerChoices:
    """Read what the store holds, most frequent first (a query job)."""
    return PickerChoices(event_catalog(conn), [kpi.name for kpi in list_kpis(conn)])


def names_in(catalog: Sequence[tuple[str, str | None, int]], source: str) -> tuple[list[str], list[str]]:
    """The names the store holds of ``source`` (a funnel step's without its funnel), and for
    funnel steps the funnels; in the catalog's order."""
    names: list[str] = []
    funnels: list[str] = []
    for found, name, _count in catalog:
        if found != source or name is None:
            continue
        if source == "funnel_step":
            funnel, _, name = name.partition(": ")
            if funnel not in funnels:
                funnels.append(funnel)
        if name not in names:
            names.append(name)
    return names, funnels


def suggested_format(show: str, source: str, aggregation: str, field: str | None) -> str:
    """Counts for counts, milliseconds for times, currency for a conversion's value."""
    if show in ("events", "active_sessions"):
        return "count"
    if show == "kpi":
        return "number"
    if field is None:
        return "count" if aggregation in _COUNTING else "number"
    if field == "value":
        return "currency" if source == "conversion" else "number"
    return "number" if field == "cls" else "ms"
