"""Queries behind the error inbox: the issue list, an issue's events, one error in full.

:func:`list_issues` answers the list with filters, sort and full-text search (FTS5 over
message, type, culprit, user id, session id and tag values of every error), each row with
its 24-hour sparkline and releases. :func:`issue_event_ids` walks an issue's events
(newest, oldest, previous, next). :func:`error_detail` gives one error as the detail view
shows it, the same shape for native, Sentry and OTLP errors
(:mod:`console.core.analysis.error_detail`). :func:`session_timeline` lists what else
happened in the error's session around it.

Every function takes a read-only connection and costs a fixed handful of statements
whatever the number of issues listed: the sparklines of all rows come from one grouped
query over ``errors(issue_id, ts)``, their releases from one over ``issue_releases``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import orjson

from console.core.analysis.error_detail import ErrorDetail, read_error
from console.core.store.log_queries import fts_query
from console.core.store.sessions import SESSION_SCAN, session_event_ids, session_events

__all__ = [
    "ISSUE_SORTS",
    "ISSUE_STATUSES",
    "IssueQuery",
    "IssueRow",
    "TimelineEvent",
    "error_detail",
    "issue_event_ids",
    "list_issues",
    "session_timeline",
]

#: Statuses an issue can have.
ISSUE_STATUSES = ("unresolved", "regressed", "resolved", "ignored")
#: Sort keys of the list, each newest/largest first.
ISSUE_SORTS = ("last_seen", "first_seen", "events", "users")

Sort = Literal["last_seen", "first_seen", "events", "users"]

_HOUR = 3_600_000
_BUCKETS = 24
# A client clock up to this far ahead of now still counts, in the newest hour.
_CLOCK_SLACK_MS = _HOUR
_MAX_RELEASES = 5
_SORT_COLUMNS = {"last_seen": "last_seen", "first_seen": "first_seen", "events": "event_count", "users": "user_count"}
_INBOX = ("unresolved", "regressed")


@dataclass(frozen=True, slots=True)
class IssueQuery:
    """What the issue list shows; empty fields filter nothing.

    ``statuses`` empty means unresolved + regressed (the inbox); ``since_ms`` keeps issues
    seen (last_seen) at or after it; ``text`` is what the user typed into search: every word
    must match, by prefix, one of the issue's errors' message, type, culprit, user id,
    session id or a tag value (all the words in the same error).
    """

    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    project: str | None = None
    release: str | None = None
    environment: str | None = None
    since_ms: int | None = None
    text: str = ""
    sort: Sort = "last_seen"
    limit: int = 500


@dataclass(frozen=True, slots=True)
class IssueRow:
    """One issue as the list shows it.

    ``sparkline`` is 24 hourly event counts ending at the query's ``now_ms`` (oldest
    first). ``releases`` are the releases its errors came from (newest first, at most 5).
    """

    id: int
    project: str
    title: str
    error_type: str | None
    culprit: str | None
    level: str
    status: str
    first_seen: int
    last_seen: int
    event_count: int
    user_count: int
    sparkline: tuple[int, ...]
    releases: tuple[str, ...] = field(default_factory=tuple)
    ignore_until_count: int | None = None
    ignore_until_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """An event of the error's session, placed relative to the error."""

    event_id: int
    ts: int
    offset_ms: int
    kind: str
    summary: str
    is_the_error: bool


def _ids_json(ids: Sequence[int]) -> str:
    return orjson.dumps(list(ids)).decode()


def _where(query: IssueQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    statuses = query.statuses or _INBOX
    where.append(f"i.status IN ({', '.join('?' * len(statuses))})")
    args.extend(statuses)
    if query.levels:
        where.append(f"i.level IN ({', '.join('?' * len(query.levels))})")
        args.extend(query.levels)
    if query.project:
        where.append("i.project = ?")
        args.append(query.project)
    if query.since_ms is not None:
        where.append("i.last_seen >= ?")
        args.append(query.since_ms)
    for column, value in (("release", query.release), ("environment", query.environment)):
        if value:
            where.append(f"i.id IN (SELECT issue_id FROM issue_releases WHERE {column} = ?)")
            args.append(value)
    match = fts_query(query.text)
    if match is not None:
        where.append(
            "i.id IN (SELECT e.issue_id FROM errors_fts f JOIN errors e ON e.event_id = f.rowid"
            " WHERE errors_fts MATCH ?)"
        )
        args.append(match)
    return where, args


def list_issues(conn: sqlite3.Connection, query: IssueQuery, *, now_ms: int) -> list[IssueRow]:
    """The issues matching ``query``, sorted, at most ``query.limit``.

    Ties of the sort key go newest issue first. The sparkline's hours are ``now_ms`` minus
    24 h to ``now_ms``; errors timed up to an hour ahead of ``now_ms`` (client clocks) count
    in the newest hour.
    """
    if query.sort not in _SORT_COLUMNS:
        raise ValueError(f"sort must be one of {', '.join(ISSUE_SORTS)}, not {query.sort!r}")
    where, args = _where(query)
    rows = conn.execute(
        "SELECT i.id, i.project, i.title, i.error_type, i.culprit, i.level, i.status, i.first_seen,"
        " i.last_seen, i.event_count, i.user_count, i.ignore_until_count, i.ignore_until_ms"
        f" FROM issues i WHERE {' AND '.join(where)}"
        f" ORDER BY i.{_SORT_COLUMNS[query.sort]} DESC, i.id DESC LIMIT ?",
        (*args, max(0, query.limit)),
    ).fetchall()
    if not rows:
        return []
    ids = _ids_json([row[0] for row in rows])
    sparklines = _sparklines(conn, ids, now_ms)
    releases = _releases(conn, ids)
    return [
        IssueRow(
            id=int(row[0]),
            project=str(row[1]),
            title=str(row[2]),
            error_type=row[3],
            culprit=row[4],
            level=str(row[5]),
            status=str(row[6]),
            first_seen=int(row[7]),
            last_seen=int(row[8]),
            event_count=int(row[9]),
            user_count=int(row[10]),
            sparkline=tuple(sparklines.get(row[0], [0] * _BUCKETS)),
            releases=tuple(releases.get(row[0], ())),
            ignore_until_count=row[11],
            ignore_until_ms=row[12],
        )
        for row in rows
    ]


def _sparklines(conn: sqlite3.Connection, ids: str, now_ms: int) -> dict[int, list[int]]:
    """Hourly counts of every listed issue in one grouped query (errors(issue_id, ts) alone)."""
    start = now_ms - _BUCKETS * _HOUR
    found: dict[int, list[int]] = {}
    for issue_id, bucket, count in conn.execute(
        "SELECT issue_id, min((ts - ?1) / ?2, ?3), count(*) FROM errors"
        " WHERE issue_id IN (SELECT value FROM json_each(?4)) AND ts >= ?1 AND ts < ?5"
        " GROUP BY 1, 2",
        (start, _HOUR, _BUCKETS - 1, ids, now_ms + _CLOCK_SLACK_MS),
    ):
        found.setdefault(issue_id, [0] * _BUCKETS)[bucket] += count
    return found


def _releases(conn: sqlite3.Connection, ids: str) -> dict[int, list[str]]:
    """The releases of every listed issue, newest first, in one query."""
    found: dict[int, list[str]] = {}
    for issue_id, release in conn.execute(
        "SELECT issue_id, release FROM issue_releases"
        " WHERE issue_id IN (SELECT value FROM json_each(?)) AND release != ''"
        " GROUP BY issue_id, release ORDER BY issue_id, max(last_seen) DESC, release",
        (ids,),
    ):
        listed = found.setdefault(issue_id, [])
        if len(listed) < _MAX_RELEASES:
            listed.append(release)
    return found


def issue_event_ids(conn: sqlite3.Connection, issue_id: int) -> list[int]:
    """Every error event id of the issue, oldest first (for newest/oldest/prev/next).

    Oldest by the client's time, then by arrival for errors of the same millisecond.
    """
    return [
        int(row[0])
        for row in conn.execute("SELECT event_id FROM errors WHERE issue_id = ? ORDER BY ts, event_id", (issue_id,))
    ]


def error_detail(conn: sqlite3.Connection, event_id: int) -> ErrorDetail | None:
    """One error in full, or None when it is gone (retention, deleted).

    ``raw_bytes`` are the bytes the sender's item arrived as (kept for Sentry errors), and
    ``attachments`` the envelope's attachments (file name, size). A native error carries no
    device: when it has a session, ``contexts["device"]`` is taken from the session's page
    view nearest before it (``source: "page_view"``).
    """
    cursor = conn.execute("SELECT * FROM errors WHERE event_id = ?", (event_id,))
    found = cursor.fetchone()
    if found is None:
        return None
    row: dict[str, Any] = dict(zip([d[0] for d in cursor.description], found, strict=True))
    raw = conn.execute(
        "SELECT body FROM raw_payloads WHERE event_id = ? ORDER BY id LIMIT 1", (event_id,)
    ).fetchone()
    attachments = tuple(
        (str(name), int(size))
        for name, size in conn.execute(
            "SELECT filename, size FROM attachments WHERE event_id = ? ORDER BY id", (event_id,)
        )
    )
    detail = read_error(row, raw_bytes=None if raw is None else bytes(raw[0]), attachments=attachments)
    if detail.sender == "native" and detail.session_id and "device" not in detail.contexts:
        device = _session_device(conn, detail.session_id, detail.ts)
        if device:
            detail = replace(detail, contexts={**detail.contexts, "device": device})
    return detail


def _session_device(conn: sqlite3.Connection, session_id: str, ts: int) -> dict[str, Any]:
    ids = session_event_ids(conn, session_id, limit=SESSION_SCAN)
    if not ids:
        return {}
    cursor = conn.execute(
        "SELECT platform, brand, model, system, client_version, sdk_version, screen_width, screen_height"
        " FROM page_views WHERE event_id IN (SELECT value FROM json_each(?)) AND ts <= ?"
        " ORDER BY ts DESC, event_id DESC LIMIT 1",
        (_ids_json(ids), ts),
    )
    found = cursor.fetchone()
    if found is None:
        return {}
    names = [d[0] for d in cursor.description]
    device: dict[str, Any] = {k: v for k, v in zip(names, found, strict=True) if v is not None}
    return {**device, "source": "page_view"} if device else {}


def session_timeline(
    conn: sqlite3.Connection,
    event_id: int,
    *,
    before_ms: int = 30 * 60_000,
    after_ms: int = 5 * 60_000,
    limit: int = 1_000,
) -> list[TimelineEvent]:
    """The events of the error's session from ``before_ms`` before it to ``after_ms`` after,
    oldest first, the error itself included (``is_the_error``); empty without a session.

    At most ``limit`` events, the ones nearest the error (the error always among them).
    """
    found = conn.execute("SELECT ts, session_id FROM errors WHERE event_id = ?", (event_id,)).fetchone()
    if found is None or not found[1]:
        return []
    error_ts, session_id = int(found[0]), str(found[1])
    events = session_events(
        conn, session_id, start_ms=error_ts - before_ms, end_ms=error_ts + after_ms,
        nearest_ms=error_ts, anchor_id=event_id, limit=limit,
    )
    return [
        TimelineEvent(e.event_id, e.ts, e.ts - error_ts, e.kind, e.summary, e.event_id == event_id) for e in events
    ]
