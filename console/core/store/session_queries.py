"""Queries behind the Analytics panel's Sessions and Users tabs, and ``export --kind sessions``.

:func:`list_sessions` pages the ``sessions`` table (one row per session, kept by the writer)
newest first over the ``sessions_started`` index; :func:`session_timeline` lists everything
one session did, oldest first, each item with the panel that shows it; :func:`list_users`
and :func:`user_sessions` answer who came: identified users (the ``users`` table, from
``identifyUser``) and, unless asked not to, every other user id sessions carried, each with
their sessions, conversions and errors from ``sessions`` (over ``sessions_user``).

Every function takes a read-only connection and costs a fixed handful of statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from console.core.store.sessions import SessionEvent, session_events

__all__ = [
    "SESSION_SELECT",
    "SessionPage",
    "SessionRow",
    "TimelineItem",
    "UserRow",
    "list_sessions",
    "list_users",
    "session_timeline",
    "user_sessions",
]

#: A session as the list and the export show it (the columns of :class:`SessionRow`).
SESSION_SELECT = (
    "SELECT project, session_id, user_id, started, ended, ended - started AS duration_ms, events,"
    " page_views, errors, conversions, conversion_value, platform, device, release, entry_route,"
    " exit_route FROM sessions"
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session as the list shows it; times in ms, ``device`` the model (else the brand)."""

    project: str
    session_id: str
    user_id: str | None
    started: int
    ended: int
    duration_ms: int
    events: int
    page_views: int
    errors: int
    conversions: int
    conversion_value: float
    platform: str | None
    device: str | None
    release: str | None
    entry_route: str | None
    exit_route: str | None


@dataclass(frozen=True, slots=True)
class SessionPage:
    """A page of the list, and how many sessions match in all."""

    rows: tuple[SessionRow, ...]
    total: int


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One event of a session's timeline, with the way into its own panel.

    ``kind`` is the stream's kind, ``label`` what the user reads ("page view", "click",
    "error", "conversion" ...). ``panel`` is the window panel that shows it and ``target``
    what that panel opens: an error's issue id, a transaction's or a log's event id; None
    where the panel has no single thing to open. ``detail`` holds the typed columns worth
    showing (none that are empty); ``offset_ms`` is from the session's start.
    """

    event_id: int
    ts: int
    kind: str
    label: str
    summary: str
    panel: str
    target: int | None
    detail: dict[str, Any]
    offset_ms: int


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user: identified (``identifyUser`` sent, with its properties) or only seen in sessions.

    ``first_seen`` / ``last_seen`` span their identifications and their sessions.
    """

    project: str
    user_id: str
    identified: bool
    properties: dict[str, Any]
    first_seen: int
    last_seen: int
    sessions: int
    conversions: int
    conversion_value: float
    errors: int


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _session(row: Sequence[Any]) -> SessionRow:
    return SessionRow(
        str(row[0]), str(row[1]), row[2], int(row[3]), int(row[4]), int(row[5]), int(row[6]), int(row[7]),
        int(row[8]), int(row[9]), float(row[10]), row[11], row[12], row[13], row[14], row[15],
    )


def list_sessions(
    conn: sqlite3.Connection,
    *,
    limit: int = 500,
    offset: int = 0,
    text: str | None = None,
    user_id: str | None = None,
    with_errors: bool = False,
    converted: bool = False,
    start_ms: int | None = None,
    end_ms: int | None = None,
    project: str | None = None,
) -> SessionPage:
    """The sessions that started from ``start_ms`` (included) to ``end_ms`` (excluded), newest first.

    ``text`` matches part of the session id, user id, entry or exit route, platform, device
    or release (case-insensitively); ``with_errors`` keeps sessions with an error,
    ``converted`` those with a conversion. ``total`` counts every match, not just the page.
    """
    given = (("started >= ?", start_ms), ("started < ?", end_ms), ("project = ?", project), ("user_id = ?", user_id))
    where = [condition for condition, value in given if value is not None]
    args: list[object] = [value for _condition, value in given if value is not None]
    if with_errors:
        where.append("errors > 0")
    if converted:
        where.append("conversions > 0")
    if text:
        columns = ("session_id", "user_id", "entry_route", "exit_route", "platform", "device", "release")
        where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
        args.extend([_like(text)] * len(columns))
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        f"{SESSION_SELECT}{condition} ORDER BY started DESC, rowid DESC LIMIT ? OFFSET ?",
        (*args, max(0, limit), max(0, offset)),
    ).fetchall()
    (total,) = conn.execute(f"SELECT count(*) FROM sessions{condition}", args).fetchone()
    return SessionPage(tuple(_session(row) for row in rows), int(total))


def user_sessions(conn: sqlite3.Connection, project: str, user_id: str, *, limit: int = 200) -> list[SessionRow]:
    """The user's sessions, newest first."""
    rows = conn.execute(
        f"{SESSION_SELECT} WHERE user_id = ? AND project = ? ORDER BY started DESC, rowid DESC LIMIT ?",
        (user_id, project, max(0, limit)),
    ).fetchall()
    return [_session(row) for row in rows]


# Per user of the sessions: how many, what they converted and how often they hit an error.
_SEEN = """
    SELECT project, user_id, count(*) AS sessions, sum(conversions) AS conversions,
           sum(conversion_value) AS conversion_value, sum(errors) AS errors,
           min(started) AS first_seen, max(ended) AS last_seen
    FROM sessions"""
_USER_SQL = """
    WITH seen AS ({seen}),
    everyone AS ({everyone})
    SELECT e.project, e.user_id, u.user_id IS NOT NULL, u.properties,
           min(coalesce(u.first_seen, s.first_seen), coalesce(s.first_seen, u.first_seen)) AS first_seen,
           max(coalesce(u.last_seen, s.last_seen), coalesce(s.last_seen, u.last_seen)) AS last_seen,
           coalesce(s.sessions, 0), coalesce(s.conversions, 0), coalesce(s.conversion_value, 0), coalesce(s.errors, 0)
    FROM everyone e
    LEFT JOIN users u ON u.project = e.project AND u.user_id = e.user_id
    LEFT JOIN seen s ON s.project = e.project AND s.user_id = e.user_id
    ORDER BY last_seen DESC, e.user_id LIMIT ?2
"""


def list_users(
    conn: sqlite3.Connection, *, limit: int = 500, text: str | None = None, identified_only: bool = False
) -> list[UserRow]:
    """Users, the last seen first: the identified ones and, unless ``identified_only``, every
    other user id a session carried.

    ``text`` matches part of the user id or of the properties (case-insensitively).
    """
    pattern = _like(text) if text else None
    match = "(?1 IS NULL OR user_id LIKE ?1 ESCAPE '\\' OR properties LIKE ?1 ESCAPE '\\')"
    identified = f"SELECT project, user_id FROM users WHERE {match}"
    if identified_only:
        # Only the listed users' sessions are read, through sessions_user.
        seen = f"{_SEEN} WHERE user_id IN (SELECT user_id FROM users WHERE {match}) GROUP BY project, user_id"
        everyone = identified
    else:
        seen = f"{_SEEN} WHERE user_id IS NOT NULL GROUP BY project, user_id"
        everyone = (
            f"{identified} UNION SELECT project, user_id FROM seen"
            " WHERE ?1 IS NULL OR user_id LIKE ?1 ESCAPE '\\'"
        )
    rows = conn.execute(_USER_SQL.format(seen=seen, everyone=everyone), (pattern, max(0, limit))).fetchall()
    return [
        UserRow(
            str(row[0]), str(row[1]), bool(row[2]), _properties(row[3]), int(row[4]), int(row[5]),
            int(row[6]), int(row[7]), float(row[8]), int(row[9]),
        )
        for row in rows
    ]


def _properties(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    found = orjson.loads(raw)
    return found if isinstance(found, dict) else {}


# --- a session's timeline -------------------------------------------------------------------

# kind → (what the item is called, the panel, the table and typed columns it shows).
_TIMELINE_KINDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "page_view": ("page view", "analytics", "page_views", ("route", "title", "referrer")),
    "interaction": ("interaction", "analytics", "interactions",
                    ("action", "element_tag", "element_id", "element_text", "scroll_percentage")),
    "network_request": ("network request", "analytics", "network_requests",
                        ("method", "url", "status", "duration_ms", "success", "error")),
    "transaction": ("transaction", "performance", "transactions", ("name", "duration_ms", "status", "route")),
    "page_load": ("page load", "performance", "page_loads", ("route", "lcp", "fcp", "cls", "inp", "ttfb")),
    "error": ("error", "errors", "errors", ("issue_id", "error_type", "message", "level", "route", "release")),
    "log": ("log", "logs", "logs", ("level", "message", "source")),
    "custom_event": ("custom event", "analytics", "custom_events", ("name", "route")),
    "analytics": ("event", "analytics", "analytics_events",
                  ("name", "conversion_type", "value", "currency", "funnel", "step")),
}
# Kinds without a table worth showing here: the Overview's stream shows them.
_STREAM_ONLY = ("overview", "", ())
# What an analytics event is called, by its name (others are "event").
_ANALYTICS_LABELS = {
    "conversion": "conversion", "funnel_step": "funnel step", "user_identified": "user identified",
    "experiment_assignment": "experiment assignment", "experiment_goal": "experiment goal",
}


def session_timeline(
    conn: sqlite3.Connection, project: str, session_id: str, *, limit: int = 2_000
) -> list[TimelineItem]:
    """Every event of the session, oldest first (at most ``limit``, the oldest); empty for an unknown session.

    Errors open their issue in Errors, transactions their waterfall in Performance, page
    loads their route's loads there, logs their line in Logs; page views, interactions,
    network requests, custom and analytics events stay in Analytics (target None); the
    other kinds (release-health updates, metrics ...) are the Overview's stream.
    """
    events = session_events(conn, session_id, project=project, limit=limit)
    if not events:
        return []
    found = conn.execute(
        "SELECT started FROM sessions WHERE project = ? AND session_id = ?", (project, session_id)
    ).fetchone()
    start = min(events[0].ts, int(found[0])) if found else events[0].ts
    details = _details(conn, events)
    items: list[TimelineItem] = []
    for event in events:
        label, panel, _table, _columns = _TIMELINE_KINDS.get(event.kind, (event.kind.replace("_", " "), *_STREAM_ONLY))
        detail = details.get(event.event_id, {})
        target: int | None = None
        if event.kind == "error":
            target = detail.get("issue_id")
        elif event.kind in ("transaction", "log"):
            target = event.event_id
        elif event.kind == "interaction":
            label = str(detail.get("action") or label).replace("_", " ")
        elif event.kind == "analytics":
            label = _ANALYTICS_LABELS.get(str(detail.get("name")), label)
        items.append(
            TimelineItem(event.event_id, event.ts, event.kind, label, event.summary, panel, target, detail,
                         event.ts - start)
        )
    return items


def _details(conn: sqlite3.Connection, events: Sequence[SessionEvent]) -> dict[int, dict[str, Any]]:
    """The typed columns of every event, one query per kind present."""
    by_kind: dict[str, list[int]] = {}
    for event in events:
        if event.kind in _TIMELINE_KINDS:
            by_kind.setdefault(event.kind, []).append(event.event_id)
    found: dict[int, dict[str, Any]] = {}
    for kind, ids in by_kind.items():
        _label, _panel, table, columns = _TIMELINE_KINDS[kind]
        cursor = conn.execute(
            f"SELECT event_id, {', '.join(columns)} FROM {table}"
            " WHERE event_id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(ids).decode(),),
        )
        for event_id, *values in cursor:
            found[int(event_id)] = {c: v for c, v in zip(columns, values, strict=True) if v is not None and v != ""}
    return found
