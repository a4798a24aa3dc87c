"""How the writer files an error under its issue, and indexes it for the inbox's search.

:func:`file_error` runs in the writer's transaction for every error event. The error joins
the issue of its fingerprint, or, when a merge made that fingerprint an alias
(``issue_aliases``), the issue it was merged into. The issue's counts, times and worst
level follow; its status follows the inbox's rule: a resolved issue that recurs is
regressed, an ignored one comes back (unresolved) once its event count reaches
``ignore_until_count`` or an event's time reaches ``ignore_until_ms``, and otherwise stays
ignored. The error's tag values are kept in ``search_tags`` for full-text search.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from console.core.events import Event

__all__ = ["ERRORS_FTS_COLUMNS", "ISSUE_RELEASES_SQL", "LEVEL_RANK_SQL", "file_error", "search_tags"]

#: The rank of a level column (``{}``) in SQL, worst highest.
LEVEL_RANK_SQL = (
    "(CASE {} WHEN 'fatal' THEN 4 WHEN 'error' THEN 3 WHEN 'warning' THEN 2"
    " WHEN 'info' THEN 1 ELSE 0 END)"
)
#: The columns of ``errors_fts`` in the order the writer inserts them.
ERRORS_FTS_COLUMNS = ("rowid", "message", "error_type", "culprit", "user_id", "session_id", "search_tags")
#: Adds the errors with ids from ?1 to ?2 (one commit's) to ``issue_releases``.
ISSUE_RELEASES_SQL = """
    INSERT INTO issue_releases (issue_id, release, environment, event_count, last_seen)
    SELECT issue_id, coalesce(release, ''), coalesce(environment, ''), count(*), max(ts)
    FROM errors WHERE event_id BETWEEN ? AND ? GROUP BY 1, 2, 3
    ON CONFLICT (issue_id, release, environment) DO UPDATE SET
        event_count = event_count + excluded.event_count,
        last_seen = max(last_seen, excluded.last_seen)
"""

# Both NULL: ignored for good. SET expressions read the row as it was before the update,
# so "event_count + 1" is the count with this event.
_COMES_BACK = "(status = 'ignored' AND (event_count + 1 >= ignore_until_count OR {ts} >= ignore_until_ms))"
_ON_EVENT = """
        event_count = event_count + 1,
        first_seen = min(first_seen, {ts}),
        last_seen = max(last_seen, {ts}),
        level = CASE WHEN {new_rank} > {old_rank} THEN {level} ELSE level END,
        status = CASE WHEN status = 'resolved' THEN 'regressed'
                      WHEN {back} THEN 'unresolved' ELSE status END,
        ignore_until_count = CASE WHEN {back} THEN NULL ELSE ignore_until_count END,
        ignore_until_ms = CASE WHEN {back} THEN NULL ELSE ignore_until_ms END"""


def _on_event(ts: str, level: str) -> str:
    return _ON_EVENT.format(
        ts=ts, level=level, new_rank=LEVEL_RANK_SQL.format(level), old_rank=LEVEL_RANK_SQL.format("level"),
        back=_COMES_BACK.format(ts=ts),
    )


_ISSUE_UPSERT = f"""
    INSERT INTO issues (project, fingerprint, title, error_type, culprit, level, status,
                        first_seen, last_seen, event_count, user_count)
    VALUES (?, ?, ?, ?, ?, ?, 'unresolved', ?, ?, 1, 0)
    ON CONFLICT (project, fingerprint) DO UPDATE SET {_on_event("excluded.last_seen", "excluded.level")}
    RETURNING id
"""
# The same for an issue found through an alias (?1 the event's time, ?2 its level, ?3 the id).
_ISSUE_BUMP = f"UPDATE issues SET {_on_event('?1', '?2')} WHERE id = ?3 RETURNING id"
_ALIAS = "SELECT issue_id FROM issue_aliases WHERE project = ? AND fingerprint = ?"


def file_error(conn: sqlite3.Connection, event: Event, *, aliases: bool = True) -> int:
    """File an error event under its issue (creating it); sets ``issue_id`` and ``search_tags``
    in the event's columns and returns the issue id. Runs in the caller's transaction.

    ``aliases=False`` says the store has no merge aliases, which saves a lookup per error.
    """
    c = event.columns
    message, error_type = str(c.get("message") or ""), str(c.get("error_type") or "Error")
    title = (message if message.startswith(error_type) else f"{error_type}: {message}")[:500]
    found = None
    alias = conn.execute(_ALIAS, (event.project, c["fingerprint"])).fetchone() if aliases else None
    if alias is not None:  # merged into another issue; an alias whose issue has gone falls through
        found = conn.execute(_ISSUE_BUMP, (event.timestamp, c["level"], alias[0])).fetchone()
    if found is None:
        found = conn.execute(
            _ISSUE_UPSERT,
            (event.project, c["fingerprint"], title, c.get("error_type"), c.get("culprit"),
             c["level"], event.timestamp, event.timestamp),
        ).fetchone()
    issue_id = int(found[0])
    c["issue_id"] = issue_id
    c["search_tags"] = search_tags(event.data.get("tags"))
    if event.user_id:
        added = conn.execute("INSERT OR IGNORE INTO issue_users VALUES (?, ?)", (issue_id, event.user_id)).rowcount
        if added:
            conn.execute("UPDATE issues SET user_count = user_count + 1 WHERE id = ?", (issue_id,))
    return issue_id


def search_tags(tags: Any) -> str | None:
    """Tag values joined by spaces, for search; tags as an object or ``[[key, value], ...]``.

    None when there are none (native and OTLP errors carry no tags).
    """
    if isinstance(tags, dict):
        values: Iterable[Any] = tags.values()
    elif isinstance(tags, list):
        values = (t[1] for t in tags if isinstance(t, (list, tuple)) and len(t) == 2)
    else:
        return None
    words = [
        str(v) for v in values
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and v != ""
    ]
    return " ".join(words) or None
