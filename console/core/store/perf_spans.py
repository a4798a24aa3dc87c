"""Reading one transaction's spans from the store, as the waterfall the Performance panel draws.

Two indexed reads: the transaction by its primary key, its spans through ``spans_event``.
Rows are turned into dicts by the column lists below, so the connection's ``row_factory``
(whatever a caller set) does not matter.
"""

from __future__ import annotations

import sqlite3

from console.core.analysis.waterfall import Waterfall, build_waterfall

__all__ = ["transaction_waterfall"]

_TRANSACTION_COLUMNS = (
    "event_id", "ts", "project", "session_id", "user_id", "tx_id", "name", "route", "duration_ms",
    "status", "span_count", "data", "trace_id", "op", "release", "environment",
)
# Not the spans' own data: the waterfall does not read it, and it is most of a span's bytes.
_SPAN_COLUMNS = ("id", "span_id", "parent_id", "name", "op", "start_ms", "duration_ms", "status", "trace_id")

_TRANSACTION_SQL = f"SELECT {', '.join(_TRANSACTION_COLUMNS)} FROM transactions WHERE event_id = ?"
# spans_event holds (event_id, rowid): the read is in id order without a sort.
_SPANS_SQL = f"SELECT {', '.join(_SPAN_COLUMNS)} FROM spans WHERE event_id = ? ORDER BY id"


def transaction_waterfall(conn: sqlite3.Connection, event_id: int) -> Waterfall | None:
    """The waterfall of the transaction stored as ``event_id``; None when there is none."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, whatever the connection's factory is
    found = cursor.execute(_TRANSACTION_SQL, (event_id,)).fetchone()
    if found is None:
        return None
    transaction = dict(zip(_TRANSACTION_COLUMNS, found, strict=True))
    spans = [dict(zip(_SPAN_COLUMNS, row, strict=True)) for row in cursor.execute(_SPANS_SQL, (event_id,))]
    return build_waterfall(transaction, spans)
