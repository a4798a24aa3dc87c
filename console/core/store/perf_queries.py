"""Transaction instances by event id: what the Performance panel lists for the slowest ones.

The frames say which transactions are slowest; the rows a person reads (user, session,
status, release) come from the store, a handful at a time by primary key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TransactionInstance", "transaction_instances"]


@dataclass(frozen=True, slots=True)
class TransactionInstance:
    """One stored transaction, as the instance list shows it."""

    event_id: int
    ts: int
    name: str
    duration_ms: float | None
    status: str | None
    span_count: int | None
    user_id: str | None
    session_id: str | None
    release: str | None
    trace_id: str | None


def transaction_instances(conn: sqlite3.Connection, event_ids: Sequence[int]) -> list[TransactionInstance]:
    """The transactions of ``event_ids``, in that order (ids no longer stored are skipped)."""
    if not event_ids:
        return []
    marks = ",".join("?" * len(event_ids))
    rows = conn.execute(
        "SELECT event_id, ts, name, duration_ms, status, span_count, user_id, session_id, release, trace_id"
        f" FROM transactions WHERE event_id IN ({marks})",
        list(event_ids),
    ).fetchall()
    found = {
        row[0]: TransactionInstance(
            event_id=int(row[0]), ts=int(row[1]), name=str(row[2]), duration_ms=row[3],
            status=None if row[4] is None else str(row[4]), span_count=row[5], user_id=row[6],
            session_id=row[7], release=row[8], trace_id=row[9],
        )
        for row in rows
    }
    return [found[i] for i in event_ids if i in found]
