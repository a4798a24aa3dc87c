"""Reading what an :class:`~console.core.analysis.product.refs.EventRef` names out of the
store: the occurrences themselves as numpy columns, or a :class:`Measure` of them over a range
or per bucket.

One SQL ``SELECT`` per table of the source (events by name live in two tables) yields the same
five columns — time, actor, session, the field's value and the breakdown value — so funnels,
KPIs, widgets and the explorer share one reading. Counts, distinct users and sums are left to
SQLite, which never hands the rows to Python; percentiles read just the field.

The *actor* is who did it: the user id, else the user its session was identified as (the
``sessions`` row the writer keeps: an app that identifies its user on login sends the pages
before it without one, and a funnel from landing to purchase must still see one person),
else the session id, else the event itself, so an app that never identifies users is still
counted per session.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.product.refs import (
    COLUMNS,
    FIELDS,
    KEY_SEGMENT,
    SOURCES,
    EventRef,
    Measure,
    PropertyFilter,
    check_key,
)

__all__ = [
    "Occurrences", "aggregate", "breakdown_keys", "event_catalog", "measure_series", "measure_value", "occurrences",
    "property_key", "selection_sql",
]

# table, the column EventRef.name matches, a fixed condition.
_TABLES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "page_view": (("page_views", "route", None),),
    "event": (("custom_events", "name", None), ("analytics_events", "name", None)),
    "interaction": (("interactions", "action", None),),
    "error": (("errors", "error_type", None),),
    "network_request": (("network_requests", "method", None),),
    "conversion": (("analytics_events", "conversion_type", "t.name = 'conversion'"),),
    "funnel_step": (("analytics_events", "step", "t.funnel = ?"),),
    "page_load": (("page_loads", "route", None),),
    "transaction": (("transactions", "name", None),),
}
# Tables of a source without the source's field (custom events carry no value).
_NO_FIELD = frozenset({"custom_events"})
# SQLite's coalesce stops at the first non-NULL argument: the session's row is looked up
# only for an occurrence without a user id.
_ACTOR = (
    "coalesce(t.user_id, (SELECT w.user_id FROM sessions w WHERE w.project = t.project"
    " AND w.session_id = t.session_id), t.session_id, 'event:' || t.event_id)"
)
_PERCENTILES = {"p50": 50.0, "p75": 75.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}
_SQL_AGGREGATES = {
    "count": "count(*)", "users": "count(DISTINCT actor)", "sessions": "count(DISTINCT session)",
    "sum": "sum(value)", "avg": "avg(value)", "min": "min(value)", "max": "max(value)",
}


@dataclass(frozen=True, slots=True)
class Occurrences:
    """Occurrences in time order, as columns: when, who, in which session, the field's
    value (NaN when missing) and the breakdown value."""

    ts: npt.NDArray[np.int64]
    actor: npt.NDArray[np.object_]
    session: npt.NDArray[np.object_]
    value: npt.NDArray[np.float64] | None
    group: npt.NDArray[np.object_] | None

    def __len__(self) -> int:
        return len(self.ts)


_SEGMENT = re.compile(r'"([^"]+)"|([^."]+)')


def _key_sql(source: str, key: str, params: list[Any]) -> str:
    """The SQL expression of a filter or breakdown key (its parameters appended)."""
    check_key(source, key)
    if key in COLUMNS[source]:
        return f"t.{key}"
    head, _, rest = key.partition(".")
    if head == "session":
        return f"s.{rest}"
    # Every label quoted in the JSON path: a name with a space, a '$' or a '-' is one label.
    labels = [quoted or plain for quoted, plain in _SEGMENT.findall(rest)]
    path = "$" + ('."properties"' if head == "properties" else "") + "".join(f'."{label}"' for label in labels)
    params.append(path)
    return "json_extract(t.data, ?)"


def property_key(name: str) -> str | None:
    """The key that names the payload property ``name`` (quoted when it holds a dot), or
    None for a name no key can name (a double quote or a control character in it)."""
    if re.fullmatch(KEY_SEGMENT, name) is None:
        quoted = f'"{name}"'
        return f"properties.{quoted}" if re.fullmatch(KEY_SEGMENT, quoted) else None
    return f"properties.{name}"


def _filter_sql(source: str, found: PropertyFilter, params: list[Any]) -> str:
    expr = _key_sql(source, found.key, params)
    params.append(found.value)
    if found.op == "eq":
        return f"CAST({expr} AS TEXT) = ?"
    if found.op == "ne":
        return f"coalesce(CAST({expr} AS TEXT), '') != ?"
    return f"instr(CAST({expr} AS TEXT), ?) > 0"


def selection_sql(
    ref: EventRef, start_ms: int, end_ms: int, *, field: str | None = None, breakdown: str | None = None
) -> tuple[str, list[Any]]:
    """A ``SELECT ts, actor, session, value, grp`` of the occurrences (a UNION ALL when the
    source spans two tables), with its parameters. Start inclusive, end exclusive."""
    if field is not None and field not in FIELDS.get(ref.source, ()):
        raise ValueError(f"{ref.source} has no field {field!r}")
    parts: list[str] = []
    params: list[Any] = []
    for table, name_column, fixed in _TABLES[ref.source]:
        select_params: list[Any] = []
        value = "NULL" if field is None or table in _NO_FIELD else f"t.{field}"
        group = "NULL" if breakdown is None else _key_sql(ref.source, breakdown, select_params)
        where = ["t.ts >= ?", "t.ts < ?"]
        where_params: list[Any] = [start_ms, end_ms]
        if fixed is not None:
            where.append(fixed)
            if "?" in fixed:
                where_params.append(ref.funnel)
        if ref.name is not None:
            where.append(f"t.{name_column} = ?")
            where_params.append(ref.name)
        if ref.project is not None:
            where.append("t.project = ?")
            where_params.append(ref.project)
        for found in ref.filters:
            where.append(_filter_sql(ref.source, found, where_params))
        uses_session = "s." in group or any(f.key.startswith("session.") for f in ref.filters)
        join = (" LEFT JOIN sessions s ON s.project = t.project AND s.session_id = t.session_id"
                if uses_session else "")
        parts.append(
            f"SELECT t.ts AS ts, {_ACTOR} AS actor, t.session_id AS session, {value} AS value,"
            f" {group} AS grp FROM {table} t{join} WHERE {' AND '.join(where)}"
        )
        params.extend(select_params)
        params.extend(where_params)
    return " UNION ALL ".join(parts), params


def occurrences(
    conn: sqlite3.Connection,
    ref: EventRef,
    start_ms: int,
    end_ms: int,
    *,
    field: str | None = None,
    breakdown: str | None = None,
) -> Occurrences:
    """Every occurrence ``ref`` names in ``[start_ms, end_ms)``, oldest first."""
    sql, params = selection_sql(ref, start_ms, end_ms, field=field, breakdown=breakdown)
    rows = conn.execute(f"SELECT * FROM ({sql}) ORDER BY ts", params).fetchall()
    if not rows:
        empty = np.empty(0, dtype=object)
        return Occurrences(
            ts=np.empty(0, dtype=np.int64), actor=empty, session=empty.copy(),
            value=np.empty(0, dtype=np.float64) if field else None, group=empty.copy() if breakdown else None,
        )
    ts, actor, session, value, group = zip(*rows, strict=True)
    return Occurrences(
        ts=np.fromiter(ts, dtype=np.int64, count=len(rows)),
        actor=np.array(actor, dtype=object),
        session=np.array(session, dtype=object),
        value=np.array([np.nan if v is None else v for v in value], dtype=np.float64) if field else None,
        group=np.array(group, dtype=object) if breakdown else None,
    )


def aggregate(values: npt.NDArray[np.float64], aggregation: str) -> float | None:
    """A statistic of field values (NaNs ignored); None when there is none to take."""
    finite = values[~np.isnan(values)]
    if aggregation == "count":
        return float(len(finite))
    if not len(finite):
        return 0.0 if aggregation == "sum" else None
    if aggregation in _PERCENTILES:
        return float(np.percentile(finite, _PERCENTILES[aggregation]))
    if aggregation == "sum":
        return float(finite.sum())
    if aggregation == "avg":
        return float(finite.mean())
    return float(finite.min() if aggregation == "min" else finite.max())


def measure_value(conn: sqlite3.Connection, measure: Measure, start_ms: int, end_ms: int) -> float | None:
    """``measure`` over ``[start_ms, end_ms)``: a count is 0 when nothing happened, a
    statistic of a field None."""
    sql, params = selection_sql(measure.ref, start_ms, end_ms, field=measure.field)
    if measure.aggregation in _PERCENTILES:
        values = conn.execute(f"SELECT value FROM ({sql}) WHERE value IS NOT NULL", params).fetchall()
        return aggregate(np.array([v for (v,) in values], dtype=np.float64), measure.aggregation)
    (value,) = conn.execute(f"SELECT {_SQL_AGGREGATES[measure.aggregation]} FROM ({sql})", params).fetchone()
    if value is None:
        return 0.0 if measure.aggregation == "sum" else None
    return float(value)


def measure_series(
    conn: sqlite3.Connection, measure: Measure, start_ms: int, end_ms: int, bucket_ms: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``measure`` per bucket of ``bucket_ms`` from ``start_ms``: the bucket starts and one
    value each (0 for counts of an empty bucket, NaN for a statistic of nothing)."""
    if bucket_ms <= 0:
        raise ValueError("bucket_ms must be positive")
    count = max(1, -(-(end_ms - start_ms) // bucket_ms))
    starts = start_ms + bucket_ms * np.arange(count, dtype=np.int64)
    counting = measure.aggregation in ("count", "users", "sessions")
    values = np.zeros(count) if counting or measure.aggregation == "sum" else np.full(count, np.nan)
    sql, params = selection_sql(measure.ref, start_ms, end_ms, field=measure.field)
    if measure.aggregation in _PERCENTILES:
        rows = conn.execute(
            f"SELECT (ts - ?) / ? AS b, value FROM ({sql}) WHERE value IS NOT NULL ORDER BY b",
            [start_ms, bucket_ms, *params],
        ).fetchall()
        if rows:
            buckets = np.fromiter((b for b, _ in rows), dtype=np.int64, count=len(rows))
            found = np.fromiter((v for _, v in rows), dtype=np.float64, count=len(rows))
            edges = np.searchsorted(buckets, np.arange(count + 1))
            for b in range(count):
                if edges[b + 1] > edges[b]:
                    values[b] = aggregate(found[edges[b]:edges[b + 1]], measure.aggregation)
        return starts, values
    rows = conn.execute(
        f"SELECT (ts - ?) / ? AS b, {_SQL_AGGREGATES[measure.aggregation]} FROM ({sql}) GROUP BY b",
        [start_ms, bucket_ms, *params],
    ).fetchall()
    for b, value in rows:
        if 0 <= b < count and value is not None:
            values[b] = value
    return starts, values


def event_catalog(conn: sqlite3.Connection, *, limit: int = 200) -> list[tuple[str, str | None, int]]:
    """What the store holds, for pickers: ``(source, name, count)``, most frequent first.
    Funnel steps are listed as ``funnel_step`` with the name ``funnel: step``."""
    found: list[tuple[str, str | None, int]] = []
    for source in SOURCES:
        for table, name_column, fixed in _TABLES[source]:
            if source == "funnel_step":
                sql = ("SELECT funnel || ': ' || step, count(*) FROM analytics_events"
                       " WHERE funnel IS NOT NULL GROUP BY funnel, step")
            else:
                where = f" WHERE {fixed.replace('t.', '')}" if fixed else ""
                sql = f"SELECT {name_column}, count(*) FROM {table}{where} GROUP BY {name_column}"
            found.extend((source, name, int(n)) for name, n in conn.execute(sql))
    found.sort(key=lambda row: -row[2])
    return found[:limit]


def breakdown_keys(conn: sqlite3.Connection, source: str, *, sample: int = 500) -> list[str]:
    """Keys a breakdown of ``source`` may use: its typed columns, the session's, and the
    payload properties seen in its newest ``sample`` occurrences."""
    keys = [*COLUMNS[source], "session.platform", "session.device", "session.release"]
    seen: set[str] = set()
    for table, _, fixed in _TABLES[source]:
        where = f"WHERE {fixed.replace('t.', '')}" if fixed and "?" not in fixed else ""
        rows = conn.execute(
            f"SELECT DISTINCT j.key FROM (SELECT data FROM {table} {where} ORDER BY event_id DESC LIMIT ?) d,"
            " json_each(d.data, '$.properties') j WHERE j.type NOT IN ('object', 'array')",
            (sample,),
        )
        seen.update(str(key) for (key,) in rows)
    named = (property_key(key) for key in sorted(seen))
    return keys + [key for key in named if key is not None]
