"""Keeping the ``sessions`` table current as the writer commits events.

The sessions list reads one row per ``(project, session_id)`` instead of grouping every
event (migration 7 fills the table from what was already stored). The writer adds each
event of a commit to a :class:`SessionTally` — a dict lookup and a few additions, in Python —
and writes the tally as one upsert row per session just before the commit. An upsert row is
merged into what the table already holds, so a session spread over many commits, or whose
older events arrive after its newer ones, ends up as if all its events had come at once:

* ``started`` / ``ended``: the earliest and latest client time; ``events``: every event;
  ``page_views``; ``errors``: error events; ``conversions`` / ``conversion_value``: the
  ``conversion`` analytics events and the sum of their values;
* ``entry_route`` / ``exit_route``: the route of the earliest and latest page view, kept
  with their times (``entry_ts``, ``exit_ts``) so a late, older page view still moves the entry;
* ``user_id``: the latest (by client time) non-empty user id; across commits, the commit
  whose newest event is the newer wins;
* ``platform`` / ``device`` (the model, else the brand): those of the entry page view, else
  of another page view, else of a page load or transaction; ``release``: that of an error,
  page load or transaction. Once known they stay: a session runs on one device and release.

What an upsert costs is mostly binding its values and moving its entries in the indexes on
``started`` and ``user_id``. So a session that brought only plain events (requests, clicks,
logs ...) gets a row of six values, not seventeen; and :class:`KnownSessions` remembers, per
session this writer has written, its start and user as the store holds them, so a commit
that moves neither (nearly all: events arrive in order, a session keeps its user) leaves
both columns, and their index entries, alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from console.core.events import Event, Kind

__all__ = ["KnownSessions", "SessionTally"]

_COLUMNS = (
    "project", "session_id", "user_id", "started", "ended", "events", "page_views", "errors",
    "conversions", "conversion_value", "platform", "device", "release",
    "entry_route", "entry_ts", "exit_route", "exit_ts",
)
_PLAIN_COLUMNS = _COLUMNS[:6]

# The SET of ``INSERT INTO sessions (...) VALUES ... ON CONFLICT DO UPDATE``, in parts. SET
# expressions all read the row as it was before the update.
_COUNTS = "ended = max(ended, excluded.ended), events = events + excluded.events"
_START_AND_USER = """
        user_id = CASE WHEN excluded.user_id IS NOT NULL AND (user_id IS NULL OR excluded.ended >= ended)
                       THEN excluded.user_id ELSE user_id END,
        started = min(started, excluded.started)"""
_WIDE = """
        page_views = page_views + excluded.page_views,
        errors = errors + excluded.errors,
        conversions = conversions + excluded.conversions,
        conversion_value = conversion_value + excluded.conversion_value,
        platform = coalesce(platform, excluded.platform),
        device = coalesce(device, excluded.device),
        release = coalesce(release, excluded.release),
        entry_route = CASE WHEN entry_ts IS NULL OR excluded.entry_ts < entry_ts
                           THEN excluded.entry_route ELSE entry_route END,
        entry_ts = CASE WHEN entry_ts IS NULL OR excluded.entry_ts < entry_ts
                        THEN excluded.entry_ts ELSE entry_ts END,
        exit_route = CASE WHEN exit_ts IS NULL OR excluded.exit_ts >= exit_ts
                          THEN excluded.exit_route ELSE exit_route END,
        exit_ts = CASE WHEN exit_ts IS NULL OR excluded.exit_ts >= exit_ts
                       THEN excluded.exit_ts ELSE exit_ts END"""
# Rows that may move the start or the user say what the store then holds, for KnownSessions.
_RETURNING = " RETURNING project, session_id, started, user_id"


def _upsert(*, wide: bool, moves: bool) -> str:
    parts = [_COUNTS, *([_WIDE] if wide else []), *([_START_AND_USER] if moves else [])]
    return " ON CONFLICT (project, session_id) DO UPDATE SET " + ", ".join(parts) + (_RETURNING if moves else "")


#: (wide, moves) → the ON CONFLICT clause.
_UPSERTS = {(wide, moves): _upsert(wide=wide, moves=moves) for wide in (False, True) for moves in (False, True)}

#: How the writer runs a multi-row insert: (table, columns, rows, then=clause) → rows returned.
InsertRows = Callable[..., list[tuple[Any, ...]]]


class KnownSessions:
    """The start and user the store holds of each session this writer wrote lately.

    Only ever a start at or after the stored one (a start only moves earlier) and the user
    this writer last saw stored; learnt once a commit is on disk, so a failed commit leaves
    nothing wrong behind. Sessions are written by the store's one writer and deleted only by
    its retention, which makes it forget. A session not known takes the full upsert. At
    most ``limit`` sessions; then it starts over.
    """

    __slots__ = ("_known", "limit")

    def __init__(self, *, limit: int = 50_000) -> None:
        self.limit = limit
        self._known: dict[tuple[str, str], tuple[int, str | None]] = {}

    def get(self, key: tuple[str, str]) -> tuple[int, str | None] | None:
        """(start, user) as last written, or None."""
        return self._known.get(key)

    def forget(self) -> None:
        """Forget every session (retention deleted some: a start known may be gone with them)."""
        self._known.clear()

    def learn(self, returned: Sequence[tuple[Any, ...]]) -> None:
        """Take in ``(project, session_id, started, user_id)`` rows a committed upsert returned."""
        if len(self._known) + len(returned) > self.limit:
            self._known.clear()
        for project, session_id, started, user_id in returned:
            self._known[(project, session_id)] = (started, user_id)


class _Session:
    """What one commit adds to one session (``wide``: more than plain events)."""

    __slots__ = (
        "conversion_value", "conversions", "ended", "entry_route", "entry_ts", "errors", "events",
        "exit_route", "exit_ts", "other_device", "other_platform", "page_views", "release", "started",
        "user_id", "user_ts", "view_device", "view_platform", "wide",
    )

    def __init__(self, ts: int) -> None:
        self.started = self.ended = self.user_ts = ts
        self.events = self.page_views = self.errors = self.conversions = 0
        self.conversion_value = 0.0
        self.wide = False
        self.user_id: str | None = None
        self.view_platform: str | None = None
        self.view_device: str | None = None
        self.other_platform: str | None = None
        self.other_device: str | None = None
        self.release: str | None = None
        self.entry_route: str | None = None
        self.entry_ts: int | None = None
        self.exit_route: str | None = None
        self.exit_ts: int | None = None


class SessionTally:
    """The running totals of one commit, per ``(project, session_id)``; events without a session are ignored.

    The writer calls :meth:`add` for every event, :meth:`write` before the commit and
    :meth:`committed` after it.
    """

    __slots__ = ("_known", "_returned", "_sessions")

    def __init__(self, known: KnownSessions) -> None:
        self._known = known
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._returned: list[tuple[Any, ...]] = []

    def add(self, event: Event) -> None:
        """Count one event in its session's totals."""
        if event.session_id is None:
            return
        ts = event.timestamp
        key = (event.project, event.session_id)
        found = self._sessions.get(key)
        if found is None:
            found = self._sessions[key] = _Session(ts)
        elif ts < found.started:
            found.started = ts
        elif ts > found.ended:
            found.ended = ts
        found.events += 1
        if event.user_id is not None and (found.user_id is None or ts >= found.user_ts):
            found.user_id, found.user_ts = event.user_id, ts
        kind = event.kind
        if kind in _PLAIN_KINDS:
            return
        columns = event.columns
        if kind is Kind.PAGE_VIEW:
            _page_view(found, ts, columns)
        elif kind is Kind.ERROR:
            found.wide = True
            found.errors += 1
            found.release = found.release or columns.get("release")
        elif kind is Kind.ANALYTICS:
            if columns.get("name") == "conversion":
                found.wide = True
                found.conversions += 1
                found.conversion_value += columns.get("value") or 0.0
        elif kind is Kind.PAGE_LOAD or kind is Kind.TRANSACTION:
            found.wide = True
            found.release = found.release or columns.get("release")
            found.other_platform = found.other_platform or columns.get("platform")
            found.other_device = found.other_device or columns.get("device")

    def write(self, insert_rows: InsertRows) -> None:
        """Upsert one row per session of the commit into ``sessions`` (inside its transaction)."""
        groups: dict[tuple[bool, bool], list[tuple[Any, ...]]] = {key: [] for key in _UPSERTS}
        for key, s in self._sessions.items():
            known = self._known.get(key)
            moves = known is None or s.started < known[0] or (s.user_id is not None and s.user_id != known[1])
            if s.wide:
                groups[True, moves].append(
                    (*key, s.user_id, s.started, s.ended, s.events, s.page_views, s.errors,
                     s.conversions, s.conversion_value, s.view_platform or s.other_platform,
                     s.view_device or s.other_device, s.release, s.entry_route, s.entry_ts, s.exit_route,
                     s.exit_ts)
                )
            else:
                groups[False, moves].append((*key, s.user_id, s.started, s.ended, s.events))
        for (wide, moves), rows in groups.items():
            if rows:
                returned = insert_rows(
                    "sessions", _COLUMNS if wide else _PLAIN_COLUMNS, rows, then=_UPSERTS[wide, moves]
                )
                self._returned.extend(returned)

    def committed(self) -> None:
        """The commit is on disk: what it stored of starts and users becomes known."""
        self._known.learn(self._returned)


# Kinds that add nothing to a session but their time, user and count.
_PLAIN_KINDS = frozenset(Kind) - {Kind.PAGE_VIEW, Kind.ERROR, Kind.ANALYTICS, Kind.PAGE_LOAD, Kind.TRANSACTION}


def _page_view(found: _Session, ts: int, columns: dict[str, Any]) -> None:
    found.wide = True
    found.page_views += 1
    platform = columns.get("platform")
    device = columns.get("model") or columns.get("brand")
    if found.entry_ts is None or ts < found.entry_ts:
        # The new entry's device is the session's; a later view fills in only what it lacks.
        found.entry_route, found.entry_ts = columns.get("route"), ts
        found.view_platform = platform or found.view_platform
        found.view_device = device or found.view_device
    else:
        found.view_platform = found.view_platform or platform
        found.view_device = found.view_device or device
    if found.exit_ts is None or ts >= found.exit_ts:
        found.exit_route, found.exit_ts = columns.get("route"), ts
