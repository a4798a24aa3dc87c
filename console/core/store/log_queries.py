"""Queries behind the Logs panel: filtered, searched, paged logs and what links to a log.

Logs from every sender (native, Sentry structured logs, OTLP log records) share one table.
:class:`LogQuery` says what the user filtered on; :func:`fetch_logs` pages it with keyset
queries on ``event_id`` (newer than a cursor for the live tail, older than one for
scrolling back), searching messages with SQLite FTS5. :func:`related_events`
gives everything that shares a log's trace or session: the click-through from a log to
"what else happened there".
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from console.core.store.sessions import session_event_ids

__all__ = [
    "LEVELS",
    "LogQuery",
    "LogRow",
    "RelatedEvent",
    "fetch_logs",
    "fts_query",
    "log_sources",
    "related_events",
]

#: Levels in increasing severity, as every decoder normalises them.
LEVELS = ("debug", "info", "warning", "error", "fatal")

_TOKEN = re.compile(r"\w[\w.\-:/@]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class LogQuery:
    """What the Logs panel shows: empty fields filter nothing.

    ``text`` is what the user typed into search: every word must occur (as a prefix) in the
    message. ``since_ms``/``until_ms`` bound the client timestamp.
    """

    levels: tuple[str, ...] = ()
    text: str = ""
    sources: tuple[str, ...] = ()
    project: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    trace_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class LogRow:
    """One log line as the panel lists it; ``attributes`` is the rest of what arrived."""

    event_id: int
    ts: int
    project: str
    level: str
    message: str
    source: str | None
    environment: str | None
    session_id: str | None
    user_id: str | None
    trace_id: str | None
    span_id: str | None
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelatedEvent:
    """An event that shares a trace or a session with a log, for its timeline."""

    event_id: int
    ts: int
    kind: str
    summary: str
    trace_id: str | None
    via: str


def fts_query(text: str) -> str | None:
    """An FTS5 query where every word the user typed must match as a prefix; None for none.

    Each word is quoted, so what the user types is never read as FTS5 syntax (``AND``,
    ``NEAR``, a stray quote or column filter).
    """
    words = _TOKEN.findall(text)
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _where(query: LogQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    if query.levels:
        where.append(f"l.level IN ({', '.join('?' * len(query.levels))})")
        args.extend(query.levels)
    if query.sources:
        where.append(f"l.source IN ({', '.join('?' * len(query.sources))})")
        args.extend(query.sources)
    for column, value in (
        ("project", query.project), ("trace_id", query.trace_id), ("session_id", query.session_id)
    ):
        if value:
            where.append(f"l.{column} = ?")
            args.append(value)
    if query.since_ms is not None:
        where.append("l.ts >= ?")
        args.append(query.since_ms)
    if query.until_ms is not None:
        where.append("l.ts < ?")
        args.append(query.until_ms)
    match = fts_query(query.text)
    if match is not None:
        where.append("l.event_id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)")
        args.append(match)
    return where, args


def fetch_logs(
    conn: sqlite3.Connection,
    query: LogQuery,
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 200,
) -> list[LogRow]:
    """Logs matching ``query``, newest first, newer than ``after_id`` / older than ``before_id``.

    With ``after_id`` (the live tail) it returns the *oldest* ``limit`` newer rows, still
    newest first, so a burst is taken in order across polls rather than skipped.
    """
    where, args = _where(query)
    if after_id is not None:
        where.append("l.event_id > ?")
        args.append(after_id)
    if before_id is not None:
        where.append("l.event_id < ?")
        args.append(before_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    order = "ASC" if after_id is not None else "DESC"
    rows = conn.execute(
        "SELECT l.event_id, l.ts, l.project, l.level, l.message, l.source, l.environment,"
        " l.session_id, l.user_id, l.trace_id, l.span_id, l.data"
        f" FROM logs l {clause} ORDER BY l.event_id {order} LIMIT ?",
        (*args, limit),
    ).fetchall()
    found = [_log_row(row) for row in rows]
    if order == "ASC":
        found.reverse()
    return found


def _log_row(row: Sequence[Any]) -> LogRow:
    data = row[11]
    attributes: dict[str, object] = {}
    if isinstance(data, str):
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            decoded = {}
        if isinstance(decoded, dict):
            attributes = decoded
    (event_id, ts, project, level, message, source, environment, session, user, trace, span) = row[:11]
    return LogRow(
        event_id=int(event_id),
        ts=int(ts),
        project=str(project),
        level=str(level),
        message=str(message),
        source=None if source is None else str(source),
        environment=None if environment is None else str(environment),
        session_id=None if session is None else str(session),
        user_id=None if user is None else str(user),
        trace_id=None if trace is None else str(trace),
        span_id=None if span is None else str(span),
        attributes=attributes,
    )


def log_sources(conn: sqlite3.Connection, *, limit: int = 200) -> list[tuple[str, int]]:
    """The sources (loggers, scopes, services) that logs came from, busiest first."""
    rows = conn.execute(
        "SELECT source, count(*) AS n FROM logs WHERE source IS NOT NULL"
        " GROUP BY source ORDER BY n DESC, source LIMIT ?",
        (limit,),
    ).fetchall()
    return [(str(source), int(n)) for source, n in rows]


def related_events(
    conn: sqlite3.Connection,
    *,
    trace_id: str | None = None,
    session_id: str | None = None,
    limit: int = 500,
) -> list[RelatedEvent]:
    """Every event of the trace and of the session, oldest first (each event once).

    Trace members are found in the tables that carry a trace id (transactions, span
    batches' spans, errors, logs); session members through the session index.
    """
    found: dict[int, RelatedEvent] = {}
    if trace_id:
        rows = conn.execute(
            "SELECT e.id, e.ts, e.kind, e.summary FROM events e WHERE e.id IN ("
            " SELECT event_id FROM transactions WHERE trace_id = ?1"
            " UNION SELECT event_id FROM spans WHERE trace_id = ?1"
            " UNION SELECT event_id FROM errors WHERE trace_id = ?1"
            " UNION SELECT event_id FROM logs WHERE trace_id = ?1)"
            " ORDER BY e.ts, e.id LIMIT ?2",
            (trace_id, limit),
        ).fetchall()
        for event_id, ts, kind, summary in rows:
            found[event_id] = RelatedEvent(event_id, ts, kind, summary, trace_id, "trace")
    if session_id:
        ids = session_event_ids(conn, session_id, limit=limit)
        rows = conn.execute(
            f"SELECT id, ts, kind, summary FROM events WHERE id IN ({', '.join('?' * len(ids))})", ids
        ).fetchall() if ids else []
        for event_id, ts, kind, summary in rows:
            found.setdefault(event_id, RelatedEvent(event_id, ts, kind, summary, None, "session"))
    return sorted(found.values(), key=lambda e: (e.ts, e.event_id))[:limit]
