"""Read-only queries over a store, for the window's reader worker and for ``lookout export``.

A :class:`StoreReader` has its own read-only connection and never takes the write lock,
so it can run beside a collector that is writing the same file, or open a colleague's
store that nothing writes. Big tables are paged with keyset queries on ``id``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from console.core.errors import StoreError
from console.core.store.release_health import release_health
from console.core.store.schema import SCHEMA_VERSION, connect, version_mismatch
from console.core.store.session_queries import SESSION_SELECT

__all__ = ["EXPORT_KINDS", "ActivityRow", "StoreInfo", "StoreReader", "StreamRow"]


@dataclass(frozen=True, slots=True)
class StreamRow:
    """One line of the live stream: any kind of event, with its one-line summary."""

    id: int
    kind: str
    project: str
    ts: int
    received: int
    session_id: str | None
    user_id: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """What the arrival rate needs of one event: its id and when it arrived."""

    id: int
    received: int


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """The store's size and what retention last did, for the status bar."""

    path: Path
    file_bytes: int
    last_event_id: int
    dropped_rows: int
    last_drop_at: int | None
    last_drop_reason: str | None


#: export kind → (SQL over the store, JSON columns to inline).
EXPORT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "issues": ("SELECT * FROM issues ORDER BY last_seen DESC", ()),
    "errors": ("SELECT * FROM errors ORDER BY event_id", ("data",)),
    "transactions": ("SELECT * FROM transactions ORDER BY event_id", ("data",)),
    "spans": ("SELECT * FROM spans ORDER BY id", ("data",)),
    "page-loads": ("SELECT * FROM page_loads ORDER BY event_id", ("data",)),
    "page-views": ("SELECT * FROM page_views ORDER BY event_id", ("data",)),
    "interactions": ("SELECT * FROM interactions ORDER BY event_id", ("data",)),
    "custom-events": ("SELECT * FROM custom_events ORDER BY event_id", ("data",)),
    "events": ("SELECT * FROM analytics_events ORDER BY event_id", ("data",)),
    "network": ("SELECT * FROM network_requests ORDER BY event_id", ("data",)),
    "logs": ("SELECT * FROM logs ORDER BY event_id", ("data",)),
    "users": ("SELECT * FROM users ORDER BY first_seen", ("properties",)),
    # Newest first, as the Analytics panel lists them.
    "sessions": (f"{SESSION_SELECT} ORDER BY started DESC, rowid DESC", ()),
    "experiments": (
        "SELECT x.*, (SELECT count(DISTINCT a.user_id) FROM experiment_assignments a"
        " WHERE a.project = x.project AND a.experiment = x.experiment) AS assigned_users"
        " FROM experiments x ORDER BY first_seen",
        ("variants", "goals"),
    ),
    "assignments": ("SELECT * FROM experiment_assignments ORDER BY id", ()),
    "goals": ("SELECT * FROM experiment_goals ORDER BY id", ()),
    "retention": ("SELECT * FROM retention_log ORDER BY id", ()),
    "span-batches": ("SELECT * FROM span_batches ORDER BY event_id", ("data",)),
    "session-updates": ("SELECT * FROM session_updates ORDER BY event_id", ("data",)),
    "client-reports": ("SELECT * FROM client_reports ORDER BY event_id", ("data",)),
    "metric-points": ("SELECT * FROM metric_points ORDER BY id", ("attributes",)),
    # The bytes stay in the store: an export lists what arrived, the window shows it.
    "attachments": (
        "SELECT id, event_id, ts, project, filename, content_type, attachment_type, size, truncated"
        " FROM attachments ORDER BY id",
        (),
    ),
    # Newest first, like the alert panel's history.
    "alerts": (
        "SELECT id, ts, rule_id, rule_name, severity, from_state, to_state, value, threshold, detail, link,"
        " notified, reason FROM alert_events ORDER BY id DESC",
        (),
    ),
    "alert-rules": ("SELECT id, name, enabled, definition, created_ms, updated_ms FROM alert_rules ORDER BY id",
                    ("definition",)),
}


class StoreReader:
    """A read-only view of one store file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(f"no store at {self.path}")
        try:
            self._conn = connect(self.path, readonly=True)
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        except Exception as exc:
            raise StoreError(f"{self.path} is not a Lookout store: {exc}") from exc
        if version != SCHEMA_VERSION:
            self._conn.close()
            raise StoreError(version_mismatch(self.path, int(version)))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def latest_event_id(self) -> int:
        """The id of the newest event, 0 for an empty store."""
        return int(self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def stream(
        self,
        *,
        after_id: int = 0,
        limit: int = 500,
        kinds: Sequence[str] | None = None,
        text: str | None = None,
    ) -> list[StreamRow]:
        """The newest events with id > ``after_id``, newest first, filtered by kind and text.

        ``text`` matches the summary, project, session and user (case-insensitively).
        """
        where: list[str] = ["id > ?"]
        args: list[object] = [after_id]
        if kinds:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            args.extend(kinds)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(summary LIKE ? ESCAPE '\\' OR project LIKE ? ESCAPE '\\'"
                " OR session_id LIKE ? ESCAPE '\\' OR user_id LIKE ? ESCAPE '\\')"
            )
            args.extend([pattern] * 4)
        rows = self._conn.execute(
            f"SELECT id, kind, project, ts, received, session_id, user_id, summary FROM events"
            f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [StreamRow(*row) for row in rows]

    def first_id_since(self, received_ms: int) -> int:
        """The id of the first event that arrived at or after ``received_ms`` (or past the end)."""
        (found,) = self._conn.execute(
            "SELECT min(id) FROM events WHERE received >= ?", (received_ms,)
        ).fetchone()
        return int(found) if found is not None else self.latest_event_id() + 1

    def activity(self, *, after_id: int, limit: int = 100_000) -> list[ActivityRow]:
        """Events with id > ``after_id`` in arrival order, with when each arrived."""
        rows = self._conn.execute(
            "SELECT id, received FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        ).fetchall()
        return [ActivityRow(*row) for row in rows]

    def info(self) -> StoreInfo:
        """File size (with its WAL) and the retention record."""
        size = 0
        for suffix in ("", "-wal"):
            try:
                size += os.path.getsize(f"{self.path}{suffix}")
            except OSError:
                pass
        dropped, last_at, reason = self._conn.execute(
            "SELECT coalesce(sum(rows_dropped), 0), max(at),"
            " (SELECT reason FROM retention_log ORDER BY id DESC LIMIT 1) FROM retention_log"
        ).fetchone()
        return StoreInfo(self.path, size, self.latest_event_id(), int(dropped), last_at, reason)

    def export(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every row of an export kind as a dict, JSON columns decoded.

        An unknown kind raises StoreError here, before any row is produced.
        """
        if kind == "releases":
            return self._release_rows()
        if kind not in EXPORT_KINDS:
            kinds = [*EXPORT_KINDS, "releases", "experiment-results", "funnels", "kpis"]
            raise StoreError(f"unknown export kind {kind!r}; choose from {', '.join(kinds)}")
        return self._table_rows(*EXPORT_KINDS[kind])

    def _table_rows(self, sql: str, json_columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        cursor = self._conn.execute(sql)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            record = dict(zip(names, row, strict=True))
            for column in json_columns:
                if isinstance(record.get(column), str):
                    record[column] = orjson.loads(record[column])
            yield record

    def _release_rows(self) -> Iterator[dict[str, Any]]:
        for health in release_health(self._conn):
            yield {
                "project": health.project, "release": health.release, "sessions": health.sessions,
                "crashed": health.crashed, "abnormal": health.abnormal, "errored": health.errored,
                "crash_free_rate": health.crash_free_rate,
            }
