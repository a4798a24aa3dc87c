"""Finding a session's events, through the bucketed session index.

Timelines ("what else happened in this session") need every event of a session id. The
index ``events_session`` is keyed by ``(id >> SESSION_BUCKET_BITS, session_id)``: new
entries always land in the newest bucket, a few pages, however many sessions are live,
where an index keyed by session first dirtied a page per live session at every commit.
Reading pays instead: one index seek per bucket, newest bucket first.
"""

from __future__ import annotations

import sqlite3

from console.core.store.schema import SESSION_BUCKET_BITS

__all__ = ["session_event_ids"]

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
