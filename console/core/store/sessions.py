"""Finding a session's events: a session index the writer fills in sorted batches.

Timelines ("what else happened in this session") need every event of a session id. An
ordinary index on ``events(session_id)`` is updated at every commit and, with many
sessions live at once, dirties one page per session per commit. Instead the writer calls
:func:`index_sessions` every few seconds: it copies the ``(session_id, event_id)`` pairs of
the events since the last run into ``session_index`` in session order, so each page takes
many entries at once, and records how far it got in ``store_meta``. Readers use
:func:`session_event_ids`, which adds the few seconds not yet indexed by a scan of the
newest events. Retention drops a dropped event's entry with :func:`forget_sessions`.
"""

from __future__ import annotations

import sqlite3

__all__ = ["forget_sessions", "index_sessions", "indexed_up_to", "session_event_ids"]

_UPTO = "session_index_upto"


def indexed_up_to(conn: sqlite3.Connection) -> int:
    """The newest event id whose session is in the index (0 when none is)."""
    row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (_UPTO,)).fetchone()
    return int(row[0]) if row else 0


def index_sessions(conn: sqlite3.Connection, *, max_events: int = 200_000) -> int:
    """Index the sessions of up to ``max_events`` events past the last run; inside the
    caller's write transaction. Returns the new high-water id."""
    start = indexed_up_to(conn)
    (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    end = min(int(newest), start + max_events)
    if end <= start:
        return start
    conn.execute(
        "INSERT OR IGNORE INTO session_index (session_id, event_id)"
        " SELECT session_id, id FROM events WHERE id > ? AND id <= ? AND session_id IS NOT NULL"
        " ORDER BY session_id, id",
        (start, end),
    )
    conn.execute(
        "INSERT INTO store_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_UPTO, end),
    )
    return end


def forget_sessions(conn: sqlite3.Connection, *, up_to: int) -> None:
    """Drop the index entries of events with id <= ``up_to`` (before they are deleted)."""
    conn.execute(
        "DELETE FROM session_index WHERE (session_id, event_id) IN"
        " (SELECT session_id, id FROM events WHERE id <= ? AND session_id IS NOT NULL)",
        (up_to,),
    )


def session_event_ids(conn: sqlite3.Connection, session_id: str, *, limit: int = 500) -> list[int]:
    """The ids of the session's newest ``limit`` events, newest first."""
    upto = indexed_up_to(conn)
    rows = conn.execute(
        "SELECT id FROM ("
        " SELECT event_id AS id FROM session_index WHERE session_id = ?1 AND event_id <= ?2"
        " UNION ALL SELECT id FROM events WHERE id > ?2 AND session_id = ?1)"
        " ORDER BY id DESC LIMIT ?3",
        (session_id, upto, limit),
    ).fetchall()
    return [int(row[0]) for row in rows]
