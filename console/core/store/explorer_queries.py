"""The events explorer and the conversions view: any event over time (counts and unique
users per bucket, broken down by a property's top values), page views per route, the most
clicked elements, and conversions with their value per currency, by type.

Everything here reads; the Analytics panel's Events and Conversions tabs render it. Users
are *actors*, as everywhere in product analytics: the user id, else the user the session was
identified as, else the session id.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.product.refs import EventRef
from console.core.store.occurrences import occurrences

__all__ = [
    "ALL_LABEL", "MAX_BUCKETS", "NONE_LABEL", "OTHER_LABEL", "ClickRow", "ConversionReport", "ConversionType",
    "EventSeries", "RouteRow", "SeriesGroup", "bucket_starts", "conversion_report", "event_series",
    "page_views_by_route", "top_clicks",
]

ALL_LABEL = "all"
NONE_LABEL = "(none)"
OTHER_LABEL = "other"
#: More buckets than a chart can show is a caller's mistake (a 1 ms bucket over a week).
MAX_BUCKETS = 10_000


def _actor(table: str) -> str:
    """Who did it, as :mod:`~console.core.store.occurrences` counts users: a page seen before
    the login is the user's its session was identified as."""
    return (
        f"coalesce(user_id, (SELECT w.user_id FROM sessions w WHERE w.project = {table}.project"
        f" AND w.session_id = {table}.session_id), session_id, 'event:' || event_id)"
    )


@dataclass(frozen=True, slots=True)
class SeriesGroup:
    """One line of the events chart: a breakdown value (``all`` without a breakdown,
    ``(none)`` where the key is missing, ``other`` for the values beyond the top ones), its
    occurrences and distinct users per bucket, and over the whole range."""

    label: str
    counts: npt.NDArray[np.int64]
    users: npt.NDArray[np.int64]
    total: int
    total_users: int


@dataclass(frozen=True, slots=True)
class EventSeries:
    """An event reference over time: the bucket starts and one :class:`SeriesGroup` per
    line, most occurrences first (``other`` last); none when nothing happened."""

    ref: EventRef
    start_ms: int
    end_ms: int
    bucket_ms: int
    buckets: npt.NDArray[np.int64]
    breakdown: str | None
    groups: tuple[SeriesGroup, ...]
    total: int
    total_users: int


@dataclass(frozen=True, slots=True)
class RouteRow:
    """Page views of one route: how many, by how many users and in how many sessions."""

    route: str | None
    views: int
    users: int
    sessions: int


@dataclass(frozen=True, slots=True)
class ClickRow:
    """One clicked element (tag, id and text as the SDK reported them), its clicks and users."""

    element_tag: str | None
    element_id: str | None
    element_text: str | None
    clicks: int
    users: int

    def label(self) -> str:
        """``button#buy 'Buy now'``: how the element reads in a list."""
        head = f"{self.element_tag or ''}#{self.element_id}" if self.element_id else (self.element_tag or "?")
        return f"{head} {self.element_text!r}" if self.element_text else head


@dataclass(frozen=True, slots=True)
class ConversionType:
    """Conversions of one type (None: sent without a type, labelled ``(none)``): their
    count, users and value per currency (None: no currency given), largest first, over the
    range and per bucket."""

    conversion_type: str | None
    label: str
    count: int
    users: int
    value: tuple[tuple[str | None, float], ...]
    counts: npt.NDArray[np.int64]
    values: tuple[tuple[str | None, npt.NDArray[np.float64]], ...]


@dataclass(frozen=True, slots=True)
class ConversionReport:
    """Conversions over ``[start_ms, end_ms)``: per type (most conversions first) and for
    all types together, counts per bucket and value per currency."""

    start_ms: int
    end_ms: int
    bucket_ms: int
    buckets: npt.NDArray[np.int64]
    types: tuple[ConversionType, ...]
    count: int
    users: int
    value: tuple[tuple[str | None, float], ...]
    counts: npt.NDArray[np.int64]


def bucket_starts(start_ms: int, end_ms: int, bucket_ms: int) -> npt.NDArray[np.int64]:
    """The starts of the buckets of ``bucket_ms`` from ``start_ms`` covering the range (at
    least one); ValueError for a non-positive bucket or more than :data:`MAX_BUCKETS`."""
    if bucket_ms <= 0:
        raise ValueError("bucket_ms must be positive")
    count = max(1, -(-(end_ms - start_ms) // bucket_ms))
    if count > MAX_BUCKETS:
        raise ValueError(f"{count} buckets are more than {MAX_BUCKETS}: choose a larger bucket")
    return start_ms + bucket_ms * np.arange(count, dtype=np.int64)


def event_series(
    conn: sqlite3.Connection,
    ref: EventRef,
    start_ms: int,
    end_ms: int,
    bucket_ms: int,
    *,
    breakdown: str | None = None,
    top: int = 5,
) -> EventSeries:
    """``ref``'s occurrences (its filters applied) per bucket: counts and distinct users,
    one line per value of ``breakdown`` (a typed column of the source, ``properties.<x>``,
    ``session.platform`` ...) for its ``top`` values by occurrences, the rest as ``other``."""
    buckets = bucket_starts(start_ms, end_ms, bucket_ms)
    n = len(buckets)
    found = occurrences(conn, ref, start_ms, end_ms, breakdown=breakdown)
    if not len(found):
        return EventSeries(ref, start_ms, end_ms, bucket_ms, buckets, breakdown, (), 0, 0)
    bucket = (found.ts - start_ms) // bucket_ms
    index: dict[Any, int] = {}
    actor = np.fromiter((index.setdefault(a, len(index)) for a in found.actor.tolist()), np.int64, len(found))
    actors = len(index)
    if found.group is None:
        labels = [ALL_LABEL]
        group = np.zeros(len(found), np.int64)
    else:
        labels, group = _top_groups(found.group, top)
    size = len(labels)
    counts = np.bincount(group * n + bucket, minlength=size * n).reshape(size, n)
    per_bucket = np.unique((group * n + bucket) * actors + actor)
    users = np.bincount(per_bucket // actors, minlength=size * n).reshape(size, n)
    per_group = np.bincount(np.unique(group * actors + actor) // actors, minlength=size)
    lines = tuple(
        SeriesGroup(label=label, counts=counts[g], users=users[g], total=int(counts[g].sum()),
                    total_users=int(per_group[g]))
        for g, label in enumerate(labels)
    )
    return EventSeries(ref, start_ms, end_ms, bucket_ms, buckets, breakdown, lines, len(found), actors)


def _top_groups(values: npt.NDArray[np.object_], top: int) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The labels of the ``top`` most frequent values (ties by label), ``other`` after them
    when more exist, and each occurrence's line."""
    index: dict[str, int] = {}
    raw = np.fromiter(
        (index.setdefault(NONE_LABEL if v is None else str(v), len(index)) for v in values.tolist()),
        np.int64, len(values),
    )
    names = list(index)
    frequency = np.bincount(raw, minlength=len(names))
    ranked = sorted(range(len(names)), key=lambda i: (-int(frequency[i]), names[i]))
    line = np.full(len(names), min(top, len(names)), np.int64)
    for position, code in enumerate(ranked[:top]):
        line[code] = position
    labels = [names[code] for code in ranked[:top]]
    if len(names) > top:
        labels.append(OTHER_LABEL)
    return labels, line[raw]


def _project(project: str | None, params: list[Any]) -> str:
    if project is None:
        return ""
    params.append(project)
    return " AND project = ?"


def page_views_by_route(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, *, limit: int = 50, project: str | None = None
) -> list[RouteRow]:
    """Routes by page views in ``[start_ms, end_ms)``, most viewed first."""
    params: list[Any] = [start_ms, end_ms]
    where = _project(project, params)
    rows = conn.execute(
        f"SELECT route, count(*) AS views, count(DISTINCT {_actor('page_views')}), count(DISTINCT session_id)"
        f" FROM page_views WHERE ts >= ? AND ts < ?{where} GROUP BY route ORDER BY views DESC, route LIMIT ?",
        [*params, limit],
    )
    return [RouteRow(route, int(views), int(users), int(sessions)) for route, views, users, sessions in rows]


def top_clicks(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, *, limit: int = 50, project: str | None = None
) -> list[ClickRow]:
    """The most clicked elements (interactions with action ``click``), most clicks first."""
    params: list[Any] = [start_ms, end_ms]
    where = _project(project, params)
    rows = conn.execute(
        "SELECT element_tag, element_id, element_text, count(*) AS clicks,"
        f" count(DISTINCT {_actor('interactions')}) FROM interactions"
        f" WHERE action = 'click' AND ts >= ? AND ts < ?{where}"
        " GROUP BY element_tag, element_id, element_text"
        " ORDER BY clicks DESC, element_tag, element_id, element_text LIMIT ?",
        [*params, limit],
    )
    return [ClickRow(tag, element, text, int(clicks), int(users)) for tag, element, text, clicks, users in rows]


def conversion_report(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, bucket_ms: int, *, project: str | None = None
) -> ConversionReport:
    """Conversions (the ``conversion`` analytics events) in ``[start_ms, end_ms)`` by type,
    with their value summed per currency (values of different currencies are never added)."""
    buckets = bucket_starts(start_ms, end_ms, bucket_ms)
    n = len(buckets)
    params: list[Any] = [start_ms, end_ms]
    where = f"name = 'conversion' AND ts >= ? AND ts < ?{_project(project, params)}"
    counts: dict[str | None, npt.NDArray[np.int64]] = {}
    values: dict[str | None, dict[str | None, npt.NDArray[np.float64]]] = {}
    for kind, currency, b, count, value in conn.execute(
        f"SELECT conversion_type, currency, (ts - ?) / ?, count(*), sum(value) FROM analytics_events"
        f" WHERE {where} GROUP BY 1, 2, 3",
        [start_ms, bucket_ms, *params],
    ):
        counts.setdefault(kind, np.zeros(n, np.int64))[b] += count
        if value is not None:
            values.setdefault(kind, {}).setdefault(currency, np.zeros(n))[b] += value
    actor = _actor("analytics_events")
    users = dict(conn.execute(
        f"SELECT conversion_type, count(DISTINCT {actor}) FROM analytics_events WHERE {where} GROUP BY 1", params
    ).fetchall())
    (everyone,) = conn.execute(f"SELECT count(DISTINCT {actor}) FROM analytics_events WHERE {where}", params).fetchone()
    types = []
    for kind, per_bucket in counts.items():
        money = sorted(values.get(kind, {}).items(), key=lambda item: (-float(item[1].sum()), item[0] or ""))
        types.append(ConversionType(
            conversion_type=kind, label=NONE_LABEL if kind is None else kind, count=int(per_bucket.sum()),
            users=int(users.get(kind, 0)), value=tuple((currency, float(v.sum())) for currency, v in money),
            counts=per_bucket, values=tuple(money),
        ))
    types.sort(key=lambda t: (-t.count, t.label))
    totals: dict[str | None, float] = {}
    for found in types:
        for currency, amount in found.value:
            totals[currency] = totals.get(currency, 0.0) + amount
    every = np.zeros(n, np.int64)
    for found in types:
        every += found.counts
    return ConversionReport(
        start_ms=start_ms, end_ms=end_ms, bucket_ms=bucket_ms, buckets=buckets, types=tuple(types),
        count=int(every.sum()), users=int(everyone),
        value=tuple(sorted(totals.items(), key=lambda item: (-item[1], item[0] or ""))), counts=every,
    )
