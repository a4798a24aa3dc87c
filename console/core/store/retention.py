"""Retention: dropping the oldest data by age and by file size, and recording that it did.

Event ids are handed out in arrival order, so "everything older than X" is "every event id
up to N" and each table is trimmed with a range delete on its key. Work is done in chunks
so that a large trim never holds the write lock long enough to stall ingestion.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

import orjson

from console.core.events import KIND_TABLES
from console.core.store.schema import CHILD_TABLES

__all__ = ["RetentionPolicy", "RetentionRun", "apply_retention", "live_bytes"]

# What belongs to an issue, by the column holding its id; the issue itself last.
_ISSUE_TABLES = (
    ("issue_users", "issue_id"), ("issue_releases", "issue_id"), ("issue_aliases", "issue_id"),
    ("issues", "id"),
)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How much the store keeps: events younger than ``max_age_days`` and at most ``max_bytes``."""

    max_age_days: float = 14.0
    max_bytes: int = 1 << 30
    check_interval_s: float = 60.0
    chunk_events: int = 20_000


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What one step of retention dropped (``rows`` events, up to ``up_to_event_id``)."""

    reason: str
    up_to_event_id: int
    rows: int
    more: bool


def live_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the file that hold data (free pages excluded: SQLite reuses them)."""
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    return int((pages - free) * size)


def apply_retention(conn: sqlite3.Connection, policy: RetentionPolicy, *, now_ms: int) -> RetentionRun | None:
    """Run one chunk of retention inside the caller's transaction; None when nothing is due.

    Age goes first; size is checked only when age dropped nothing, and then drops the
    oldest events in proportion to how far the store is over (at least a tenth of them,
    at most one chunk), so a store over its size shrinks step by step towards the limit.
    """
    cutoff = now_ms - int(policy.max_age_days * 86_400_000)
    _drop_alert_history_before(conn, cutoff)
    first = conn.execute("SELECT min(id) FROM events").fetchone()[0]
    if first is None:
        return None
    (aged,) = conn.execute("SELECT max(id) FROM events WHERE received < ?", (cutoff,)).fetchone()
    reason = "age"
    if aged is not None:
        up_to = min(int(aged), first + policy.chunk_events - 1)
        more = up_to < aged
    elif (size := live_bytes(conn)) > policy.max_bytes:
        reason = "size"
        (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
        # Drop the share of events the file is over by (at least a tenth), so the store
        # gets under its limit in a few steps rather than one event at a time.
        over = math.ceil(count * (size - policy.max_bytes) / size)
        step = max(1, min(policy.chunk_events, max(over, count // 10)))
        row = conn.execute(
            "SELECT id FROM events WHERE id >= ? ORDER BY id LIMIT 1 OFFSET ?", (first, step - 1)
        ).fetchone()
        up_to = int(row[0]) if row else int(first)
        more = True
    else:
        return None
    rows = _drop_up_to(conn, up_to)
    oldest = conn.execute("SELECT min(ts) FROM events").fetchone()[0]
    _drop_sessions_before(conn, oldest)
    conn.execute(
        "INSERT INTO retention_log(at, reason, up_to_event_id, rows_dropped, oldest_kept)"
        " VALUES (?, ?, ?, ?, ?)",
        (now_ms, reason, up_to, rows, oldest),
    )
    return RetentionRun(reason, up_to, rows, more)


def _drop_alert_history_before(conn: sqlite3.Connection, cutoff: int) -> None:
    """Drop alert transitions (and their delivery attempts) older than the events kept, but
    each rule's latest one: a rule firing for longer than that still says since when."""
    keep_latest = "SELECT max(id) FROM alert_events GROUP BY rule_id"
    conn.execute(
        "DELETE FROM alert_deliveries WHERE alert_event_id IN"
        f" (SELECT id FROM alert_events WHERE ts < ? AND id NOT IN ({keep_latest}))",
        (cutoff,),
    )
    conn.execute(f"DELETE FROM alert_events WHERE ts < ? AND id NOT IN ({keep_latest})", (cutoff,))


def _drop_sessions_before(conn: sqlite3.Connection, oldest: int | None) -> None:
    """Drop the sessions that ended before the oldest event kept: none of their events is left.

    A session with some events left keeps its totals, as an issue does.
    """
    if oldest is None:
        conn.execute("DELETE FROM sessions")
    else:
        # started <= ended: the bound on started lets sessions_started find them.
        conn.execute("DELETE FROM sessions WHERE started < ?1 AND ended < ?1", (oldest,))


def _drop_up_to(conn: sqlite3.Connection, up_to: int) -> int:
    for table in KIND_TABLES.values():
        conn.execute(f"DELETE FROM {table} WHERE event_id <= ?", (up_to,))
    for table in CHILD_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE event_id <= ?", (up_to,))
    rows = conn.execute("DELETE FROM events WHERE id <= ?", (up_to,)).rowcount
    # An issue whose every event has gone goes too, with its users, releases and the aliases
    # merges left pointing at it (a later error of such a fingerprint starts a new issue);
    # issues with events left keep their totals. Deleted errors leave errors_fts by trigger.
    gone = [
        row[0] for row in conn.execute(
            "SELECT id FROM issues WHERE NOT EXISTS (SELECT 1 FROM errors WHERE errors.issue_id = issues.id)"
        )
    ]
    if gone:
        ids = orjson.dumps(gone).decode()
        for table, column in _ISSUE_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))", (ids,))
    return int(rows)
