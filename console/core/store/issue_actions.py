"""What a user does to issues: resolve, reopen, ignore, merge, delete.

An :class:`IssueAction` is plain data, so it can travel from the window to the collector's
writer over HTTP (:meth:`IssueAction.to_json`, :meth:`IssueAction.from_json`, which
refuses anything that is not exactly an action); :func:`apply_issue_action` carries it out
inside the caller's write transaction (the store's single writer runs it, see
``StoreWriter.run``). Ids of issues that no longer exist (retention, another user's
delete) are skipped, not refused: the inbox may be a poll behind the store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Literal, cast

import orjson

from console.core.store.issue_writes import LEVEL_RANK_SQL
from console.core.store.schema import CHILD_TABLES

__all__ = ["ACTION_KINDS", "MAX_ACTION_ISSUES", "IssueAction", "apply_issue_action"]

ActionKind = Literal["resolve", "reopen", "ignore", "merge", "delete"]
ACTION_KINDS = ("resolve", "reopen", "ignore", "merge", "delete")
#: Issues one action may name.
MAX_ACTION_ISSUES = 10_000

_FIELDS = ("kind", "issue_ids", "ignore_for_events", "ignore_until_ms", "into")
# SQLite integers are 64-bit; an ignore count is added to an event count, so it stays lower.
_MAX_ID = 2**63 - 1
_MAX_COUNT = 2**53


def _positive(value: Any, name: str, limit: int = _MAX_ID) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer, not {type(value).__name__}")
    if not 0 < value <= limit:
        raise ValueError(f"'{name}' must be a positive integer up to {limit}, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class IssueAction:
    """One action on one or more issues.

    ``ignore``: until ``ignore_for_events`` more events arrive and/or until the time
    ``ignore_until_ms`` (both None: ignore for good). ``merge``: the issues in
    ``issue_ids`` join ``into`` (their events move, and their fingerprints' future events
    land in ``into`` too). ``delete``: the issues and their error events go.
    """

    kind: ActionKind
    issue_ids: tuple[int, ...]
    ignore_for_events: int | None = None
    ignore_until_ms: int | None = None
    into: int | None = None

    def validate(self) -> None:
        """Raise ValueError with a reason when this is not a valid action."""
        if self.kind not in ACTION_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(ACTION_KINDS)}, not {self.kind!r}")
        if not isinstance(self.issue_ids, (tuple, list)) or not self.issue_ids:
            raise ValueError("'issue_ids' must be a non-empty array of issue ids")
        if len(self.issue_ids) > MAX_ACTION_ISSUES:
            raise ValueError(f"'issue_ids' names {len(self.issue_ids)} issues; at most {MAX_ACTION_ISSUES}")
        for issue_id in self.issue_ids:
            _positive(issue_id, "issue_ids")
        if self.kind == "ignore":
            if self.ignore_for_events is not None:
                _positive(self.ignore_for_events, "ignore_for_events", _MAX_COUNT)
            if self.ignore_until_ms is not None:
                _positive(self.ignore_until_ms, "ignore_until_ms", _MAX_COUNT)
        elif self.ignore_for_events is not None or self.ignore_until_ms is not None:
            raise ValueError(f"'ignore_for_events' and 'ignore_until_ms' are for 'ignore', not {self.kind!r}")
        if self.kind == "merge":
            if self.into is None:
                raise ValueError("'merge' needs 'into', the issue the others join")
            _positive(self.into, "into")
            if self.into in self.issue_ids:
                raise ValueError("'into' must not be one of 'issue_ids'")
        elif self.into is not None:
            raise ValueError(f"'into' is for 'merge', not {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data (for the collector's action route)."""
        data: dict[str, Any] = {"kind": self.kind, "issue_ids": list(self.issue_ids)}
        for name in ("ignore_for_events", "ignore_until_ms", "into"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Any) -> IssueAction:
        """An action from JSON data; ValueError with a reason when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an issue action must be a JSON object")
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; an action has {', '.join(_FIELDS)}")
        kind, ids = data.get("kind"), data.get("issue_ids")
        if not isinstance(kind, str):
            raise ValueError("'kind' must be a string")
        if not isinstance(ids, list):
            raise ValueError("'issue_ids' must be an array of issue ids")
        action = cls(
            kind=cast(ActionKind, kind),
            issue_ids=tuple(ids),
            ignore_for_events=data.get("ignore_for_events"),
            ignore_until_ms=data.get("ignore_until_ms"),
            into=data.get("into"),
        )
        action.validate()
        return action


def apply_issue_action(conn: sqlite3.Connection, action: IssueAction, *, now_ms: int) -> int:
    """Carry out ``action`` in the caller's write transaction; how many issues it changed.

    ``resolve``, ``reopen``, ``ignore`` and ``delete`` count the named issues that exist;
    ``merge`` counts the issues that joined ``into`` (0 when ``into`` is gone; issues of
    another project than ``into``'s are left alone, as their fingerprints mean nothing
    there). ``now_ms`` is when the user acted; no action reads it yet (an ignore until a
    time already past simply ends at the next event). Raises ValueError for an invalid action.
    """
    action.validate()
    ids = list(dict.fromkeys(action.issue_ids))
    if action.kind == "merge":
        assert action.into is not None  # validate() said so
        return _merge(conn, ids, action.into)
    existing = _existing(conn, ids)
    if not existing:
        return 0
    if action.kind == "delete":
        _delete(conn, existing)
        return len(existing)
    if action.kind == "ignore":
        conn.execute(
            "UPDATE issues SET status = 'ignored',"
            " ignore_until_count = CASE WHEN ?1 IS NULL THEN NULL ELSE event_count + ?1 END,"
            " ignore_until_ms = ?2"
            " WHERE id IN (SELECT value FROM json_each(?3))",
            (action.ignore_for_events, action.ignore_until_ms, _json(existing)),
        )
    else:
        status = "resolved" if action.kind == "resolve" else "unresolved"
        conn.execute(
            "UPDATE issues SET status = ?, ignore_until_count = NULL, ignore_until_ms = NULL"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (status, _json(existing)),
        )
    return len(existing)


def _json(ids: list[int]) -> str:
    return orjson.dumps(ids).decode()


def _existing(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
    rows = conn.execute("SELECT id FROM issues WHERE id IN (SELECT value FROM json_each(?))", (_json(ids),))
    return sorted(int(row[0]) for row in rows)


def _delete(conn: sqlite3.Connection, ids: list[int]) -> None:
    """The issues, their errors with their events and child rows, users, releases, aliases."""
    param = (_json(ids),)
    of_issues = "SELECT value FROM json_each(?)"
    their_events = f"SELECT event_id FROM errors WHERE issue_id IN ({of_issues})"
    # Their sessions no longer count them (the sessions list, the error-rate KPI); a session
    # that was nothing but them goes. The writer forgets the sessions it knew after a job.
    conn.execute(
        "UPDATE sessions SET errors = max(0, errors - v.n), events = max(0, events - v.n)"
        " FROM (SELECT project, session_id, count(*) AS n FROM errors"
        f"       WHERE issue_id IN ({of_issues}) AND session_id IS NOT NULL GROUP BY project, session_id) v"
        " WHERE sessions.project = v.project AND sessions.session_id = v.session_id",
        param,
    )
    conn.execute(
        "DELETE FROM sessions WHERE events <= 0 AND session_id IN"
        f" (SELECT session_id FROM errors WHERE issue_id IN ({of_issues}) AND session_id IS NOT NULL)",
        param,
    )
    for table in CHILD_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE event_id IN ({their_events})", param)
    conn.execute(f"DELETE FROM events WHERE id IN ({their_events})", param)
    conn.execute(f"DELETE FROM errors WHERE issue_id IN ({of_issues})", param)  # errors_fts by trigger
    for table in ("issue_users", "issue_releases", "issue_aliases"):
        conn.execute(f"DELETE FROM {table} WHERE issue_id IN ({of_issues})", param)
    conn.execute(f"DELETE FROM issues WHERE id IN ({of_issues})", param)


def _merge(conn: sqlite3.Connection, ids: list[int], into: int) -> int:
    target = conn.execute("SELECT project FROM issues WHERE id = ?", (into,)).fetchone()
    if target is None:
        return 0
    merged = [
        int(row[0]) for row in conn.execute(
            "SELECT id FROM issues WHERE id IN (SELECT value FROM json_each(?)) AND project = ? AND id != ?",
            (_json(ids), target[0], into),
        )
    ]
    if not merged:
        return 0
    param = _json(merged)
    of_merged = "SELECT value FROM json_each(?2)"
    conn.execute(f"UPDATE errors SET issue_id = ?1 WHERE issue_id IN ({of_merged})", (into, param))
    # Their own fingerprints, and the ones earlier merges pointed at them, now lead to ``into``.
    conn.execute(
        "INSERT OR REPLACE INTO issue_aliases (project, fingerprint, issue_id)"
        f" SELECT project, fingerprint, ?1 FROM issues WHERE id IN ({of_merged})",
        (into, param),
    )
    conn.execute(f"UPDATE issue_aliases SET issue_id = ?1 WHERE issue_id IN ({of_merged})", (into, param))
    conn.execute(
        f"INSERT OR IGNORE INTO issue_users SELECT ?1, user_id FROM issue_users WHERE issue_id IN ({of_merged})",
        (into, param),
    )
    conn.execute(
        "INSERT INTO issue_releases (issue_id, release, environment, event_count, last_seen)"
        f" SELECT ?1, release, environment, event_count, last_seen FROM issue_releases"
        f" WHERE issue_id IN ({of_merged}) AND true"
        " ON CONFLICT (issue_id, release, environment) DO UPDATE SET"
        " event_count = event_count + excluded.event_count, last_seen = max(last_seen, excluded.last_seen)",
        (into, param),
    )
    everyone = f"SELECT ?1 UNION ALL {of_merged}"
    conn.execute(
        "UPDATE issues SET"
        f" event_count = (SELECT sum(event_count) FROM issues WHERE id IN ({everyone})),"
        f" first_seen = (SELECT min(first_seen) FROM issues WHERE id IN ({everyone})),"
        f" last_seen = (SELECT max(last_seen) FROM issues WHERE id IN ({everyone})),"
        f" level = (SELECT level FROM issues WHERE id IN ({everyone})"
        f"          ORDER BY {LEVEL_RANK_SQL.format('level')} DESC LIMIT 1),"
        " user_count = (SELECT count(*) FROM issue_users WHERE issue_id = ?1)"
        " WHERE id = ?1",
        (into, param),
    )
    for table, column in (("issue_users", "issue_id"), ("issue_releases", "issue_id"), ("issues", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))", (param,))
    return len(merged)
