"""Finding a session's events, through the bucketed session index.

Timelines ("what else happened in this session") need every event of a session id. The
index ``events_session`` is keyed by ``(id >> SESSION_BUCKET_BITS, session_id)``: new
entries always land in the newest bucket, a few pages, however many sessions are live,
where an index keyed by session first dirtied a page per live session at every commit.
Reading pays instead: one index seek per bucket, newest bucket first.

:func:`session_events` is what timelines read: the Errors panel's (the events around an
error) and the Analytics panel's (a whole session).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson

from console.core.store.schema import SESSION_BUCKET_BITS

__all__ = ["SESSION_SCAN", "SessionEvent", "session_event_ids", "session_events"]

#: Session events a timeline reads: the newest of a session, far more than any session holds.
SESSION_SCAN = 20_000
_NEVER_BEFORE, _NEVER_AFTER = -(2**63), 2**63 - 1

_SQL = f"""
    WITH RECURSIVE bucket(n) AS (
        SELECT coalesce(max(id), 0) >> {SESSION_BUCKET_BITS} FROM events
        UNION ALL
        SELECT n - 1 FROM bucket
        WHERE n > (SELECT coalesce(min(id), 0) >> {SESSION_BUCKET_BITS} FROM events)
    )
    SELECT e.id FROM bucket
    JOIN events e INDEXED BY events_session
      ON (e.id >> {SESSION_BUCKET_BITS}) = bucket.n AND e.session_id = ?1
    ORDER BY e.id DESC LIMIT ?2
"""


def session_event_ids(conn: sqlite3.Connection, session_id: str, *, limit: int = 500) -> list[int]:
    """The ids of the session's newest ``limit`` events, newest first."""
    return [int(row[0]) for row in conn.execute(_SQL, (session_id, limit))]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One event of a session, as the stream holds it."""

    event_id: int
    ts: int
    kind: str
    project: str
    summary: str


def session_events(
    conn: sqlite3.Connection,
    session_id: str,
    *,
    project: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    nearest_ms: int | None = None,
    anchor_id: int | None = None,
    limit: int = 2_000,
) -> list[SessionEvent]:
    """The session's events timed from ``start_ms`` to ``end_ms`` (both included), oldest first.

    At most ``limit``: the oldest, or with ``nearest_ms`` the nearest to that time.
    ``anchor_id`` is an event that must be among them (first among events as near): an
    error whose session is longer than the :data:`SESSION_SCAN` events read still anchors
    its window. Ties of time go by arrival.
    """
    ids = session_event_ids(conn, session_id, limit=SESSION_SCAN)
    if anchor_id is not None and anchor_id not in ids:
        ids.append(anchor_id)
    order = "ts, id" if nearest_ms is None else "abs(ts - ?5), id = ?6 DESC, id"
    rows = conn.execute(
        "SELECT id, ts, kind, project, summary FROM events WHERE id IN (SELECT value FROM json_each(?1))"
        f" AND ts BETWEEN ?2 AND ?3 AND (?4 IS NULL OR project = ?4) ORDER BY {order} LIMIT ?7",
        (
            orjson.dumps(ids).decode(),
            _NEVER_BEFORE if start_ms is None else start_ms,
            _NEVER_AFTER if end_ms is None else end_ms,
            project,
            nearest_ms,
            anchor_id,
            max(1, limit),
        ),
    ).fetchall()
    events = [SessionEvent(int(i), int(ts), str(kind), str(p), str(summary)) for i, ts, kind, p, summary in rows]
    if nearest_ms is not None:
        events.sort(key=lambda e: (e.ts, e.event_id))
    return events
