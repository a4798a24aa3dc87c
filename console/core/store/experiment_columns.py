"""An experiment's rows as numpy columns, fast enough for a million assignments.

Python builds a million row tuples slower than the whole budget of the results query, so
each column comes out of SQLite as one ``group_concat`` string and numpy parses it: numbers
with ``np.fromstring``, user ids as bytes. Users become codes without a Python loop
(:class:`UserCodes`): each id's bytes are laid in a fixed-width row of 64-bit words, hashed
per row, and grouped with ``np.unique``; then every row is compared in full with its group's
first row, so a hash collision is detected (and the exact dictionary path taken) rather
than two users merged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from console.core.errors import LookoutError
from console.core.store.schema import connect

__all__ = [
    "OTHER_VARIANT", "ExperimentRows", "UserCodes", "assignment_columns", "goal_columns", "user_columns",
    "variant_names",
]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Words = npt.NDArray[np.uint64]

_SEP = 0x1E  # what separates ids in a group_concat: the record separator, in no real id
_CODE_BITS = 6  # variant codes ride in the low bits of ts * 64
#: The code of a variant not (yet) named: the caller names it and reads again.
OTHER_VARIANT = (1 << _CODE_BITS) - 1
_KEEP = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _numbers(text: str | None, dtype: type[np.int64] | type[np.float64]) -> Any:
    if not text:
        return np.zeros(0, dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",")


def _id_words(text: str, width: int | None = None) -> tuple[Words, Ints, int]:
    """Each separated id's UTF-8 bytes, zero-padded to ``width`` bytes (a multiple of 8), as words.

    Ids longer than ``width`` are cut (their length, kept beside, still tells them apart).
    """
    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    seps = np.flatnonzero(raw == _SEP)
    starts = np.empty(seps.size + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = seps + 1
    lengths = np.empty_like(starts)
    lengths[:-1] = seps - starts[:-1]
    lengths[-1] = raw.size - starts[-1]
    if width is None:
        width = max(8, -(-int(lengths.max(initial=0)) // 8) * 8)
    padded = np.zeros(raw.size + width, dtype=np.uint8)
    padded[: raw.size] = raw
    rows = np.ascontiguousarray(sliding_window_view(padded, width)[starts])
    words: Words = rows.view(np.uint64)
    for j in range(width // 8):
        # Keep each id's own bytes only (little-endian: the low bytes of a word come first).
        words[:, j] &= _KEEP[np.clip(lengths - 8 * j, 0, 8)]
    return words, lengths, width


def _row_hash(words: Words, lengths: Ints) -> Words:
    with np.errstate(over="ignore"):
        h: Words = lengths.astype(np.uint64) * _MIX[0]
        for j in range(words.shape[1]):
            h = (h ^ words[:, j]) * _MIX[1]
            h ^= h >> np.uint64(31)
        return (h ^ (h >> np.uint64(30))) * _MIX[2]


def _group(hashes: Words) -> tuple[Words, Ints, Ints]:
    """(distinct hashes sorted, each one's first row, each row's group): ``np.unique`` with
    ``return_index`` and ``return_inverse``, on numpy's unstable argsort (several times faster
    than the stable one ``np.unique`` needs for the first rows)."""
    order = np.argsort(hashes)
    ordered = hashes[order]
    starts_group = np.empty(ordered.size, dtype=bool)
    starts_group[:1] = True
    starts_group[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(ordered.size, dtype=np.int64)
    inverse[order] = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    first = np.minimum.reduceat(order, starts) if starts.size else starts
    return ordered[starts], first.astype(np.int64), inverse


class UserCodes:
    """An experiment's users as codes 0 … n-1, from the ids of its assignment rows (in time order).

    ``row_codes`` is each row's user; ``first_rows`` each user's first row. :meth:`lookup`
    gives other tables' ids their code, -1 for users never assigned.
    """

    def __init__(self, text: str | None, count: int) -> None:
        self._index: dict[str, int] | None = None
        if not count or text is None:
            self.row_codes: Ints = np.zeros(0, dtype=np.int64)
            self.first_rows: Ints = np.zeros(0, dtype=np.int64)
            self._width, self._hashes = 8, np.zeros(0, dtype=np.uint64)
            self._words, self._lengths = np.zeros((0, 1), dtype=np.uint64), np.zeros(0, dtype=np.int64)
            return
        words, lengths, width = _id_words(text)
        if lengths.size != count:
            raise LookoutError("a user id holds a record separator (0x1E)")
        hashes = _row_hash(words, lengths)
        unique, first, inverse = _group(hashes)
        same = (lengths == lengths[first][inverse]).all() and (words == words[first][inverse]).all()
        if not same:
            # Two ids share a 64-bit hash: exact, slower codes from a dictionary instead.
            ids = text.split(chr(_SEP))
            self._index = {key: code for code, key in enumerate(dict.fromkeys(ids))}
            self.row_codes = self._dict_codes(ids)
            self.first_rows = np.unique(self.row_codes, return_index=True)[1]
            return
        self.row_codes, self.first_rows = inverse.astype(np.int64), first.astype(np.int64)
        self._width, self._hashes = width, unique
        self._words, self._lengths = words[first], lengths[first]

    def __len__(self) -> int:
        return int(self.first_rows.size)

    def _dict_codes(self, ids: list[str]) -> Ints:
        assert self._index is not None
        return np.fromiter(map(self._index.get, ids, repeat(-1)), dtype=np.int64, count=len(ids))

    def lookup(self, text: str | None) -> Ints:
        """The code of each separated id in ``text``; -1 for ids of no assigned user."""
        if not text:
            return np.zeros(0, dtype=np.int64)
        if self._index is not None:
            return self._dict_codes(text.split(chr(_SEP)))
        words, lengths, _ = _id_words(text, self._width)
        if not self._hashes.size:
            return np.full(lengths.size, -1, dtype=np.int64)
        hashes = _row_hash(words, lengths)
        # Sorted needles walk the table in order: several times faster than random ones.
        order = np.argsort(hashes)
        at = np.empty(hashes.size, dtype=np.int64)
        at[order] = np.searchsorted(self._hashes, hashes[order])
        np.minimum(at, self._hashes.size - 1, out=at)
        found = (self._hashes[at] == hashes) & (self._lengths[at] == lengths) & (self._words[at] == words).all(axis=1)
        return np.where(found, at, -1).astype(np.int64)


def _case(column: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """``CASE column WHEN ? THEN 0 ... ELSE 63 END`` and its arguments."""
    if not names:
        return str(OTHER_VARIANT), []
    whens = " ".join(f"WHEN ? THEN {i}" for i in range(len(names)))
    return f"CASE {column} {whens} ELSE {OTHER_VARIANT} END", list(names)


_ASSIGNMENTS = (
    "SELECT group_concat(user_id, char(30)), group_concat(ts * {scale} + {case}), count(*)"
    " FROM experiment_assignments WHERE experiment = ? AND project = ? AND user_id IS NOT NULL"
    " AND ts BETWEEN ? AND ?"
)
_GOALS = (
    "SELECT group_concat(user_id, char(30)), group_concat(ts), group_concat(goal, char(30)),"
    " group_concat(coalesce(value, 'nan')), count(*) FROM experiment_goals"
    " WHERE experiment = ? AND project = ? AND user_id IS NOT NULL"
)
_ERRORS = (
    "SELECT group_concat(user_id, char(30)), group_concat(ts), count(*) FROM errors"
    " WHERE project = ? AND ts >= ? AND user_id IS NOT NULL"
)
_LOADS = (
    "SELECT group_concat(user_id, char(30)), group_concat(ts), group_concat(lcp), count(*) FROM page_loads"
    " WHERE project = ? AND ts >= ? AND user_id IS NOT NULL AND lcp IS NOT NULL"
)


class ExperimentRows:
    """An experiment's queries, running: each property waits for its query's ``group_concat`` row.

    Use as a context manager. The later half of the assignments (by time) and then the goals,
    errors and page loads run on a second read-only connection in a thread while the caller's
    connection reads the earlier half; sqlite3 lets go of the GIL while a statement runs, so
    the two cores share the reading and the caller's numpy work on the assignments overlaps
    the goals query. A store without a file is read on ``conn`` alone.

    The two connections may see different commits of a store being written: a goal or error
    of a user whose assignment only the second saw is then left out, as if it came later.
    """

    def __init__(self, conn: sqlite3.Connection, key: str, project: str, variants: Sequence[str]) -> None:
        self._conn, self._key, self._project = conn, key, project
        case, case_args = _case("variant", variants)
        self._assignments_sql, self._case_args = _ASSIGNMENTS.format(scale=OTHER_VARIANT + 1, case=case), case_args
        # Two lookups at the ends of the (experiment, ts) index; with both in one SELECT, or
        # with the project in the WHERE, SQLite reads every row instead.
        low, high = conn.execute(
            "SELECT (SELECT min(ts) FROM experiment_assignments WHERE experiment = ?),"
            " (SELECT max(ts) FROM experiment_assignments WHERE experiment = ?)", (key, key)
        ).fetchone()
        self.start: int | None = low
        self._low: int = low if low is not None else 0
        self._high: int = high if high is not None else 0
        self._pool: ThreadPoolExecutor | None = None
        self._other: sqlite3.Connection | None = None
        self._futures: dict[str, Future[tuple[Any, ...]]] = {}
        self._done: dict[str, tuple[Any, ...]] = {}

    def __enter__(self) -> ExperimentRows:
        path = _store_file(self._conn)
        if path is not None and self._high > self._low:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookout.experiments")
            other = self._other = connect(path, readonly=True)
            middle = self._middle()
            self._futures["later"] = self._pool.submit(self._assignments, other, middle + 1, self._high)
            for name in ("goals", "errors", "loads"):
                self._futures[name] = self._pool.submit(self._query, other, name)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            for future in self._futures.values():
                future.cancel()
            if self._other is not None:
                self._pool.submit(self._other.close)
            self._pool.shutdown(wait=True)
            self._pool = None

    def _middle(self) -> int:
        # The caller's connection takes the first 60 % of the time range: the thread goes on
        # to the goals, errors and page loads after its part, so its part is the smaller.
        return self._low + (self._high - self._low) * 3 // 5

    def _assignments(self, conn: sqlite3.Connection, low: int, high: int) -> tuple[Any, ...]:
        return tuple(conn.execute(
            self._assignments_sql, (*self._case_args, self._key, self._project, low, high)
        ).fetchone())

    def _query(self, conn: sqlite3.Connection, name: str) -> tuple[Any, ...]:
        sql, args = {
            "goals": (_GOALS, (self._key, self._project)),
            "errors": (_ERRORS, (self._project, self._low)),
            "loads": (_LOADS, (self._project, self._low)),
        }[name]
        return tuple(conn.execute(sql, args).fetchone())

    def _get(self, name: str) -> tuple[Any, ...]:
        if name not in self._done:
            future = self._futures.get(name)
            self._done[name] = future.result() if future is not None else self._query(self._conn, name)
        return self._done[name]

    @property
    def assignments(self) -> tuple[Any, ...]:
        """``(ids, ts * 64 + variant code, count)`` of every assignment with a user."""
        if "assignments" not in self._done:
            later = self._futures.get("later")
            if later is None:
                self._done["assignments"] = self._assignments(self._conn, self._low, self._high)
            else:
                earlier = self._assignments(self._conn, self._low, self._middle())
                self._done["assignments"] = _join(earlier, later.result())
        return self._done["assignments"]

    @property
    def goals(self) -> tuple[Any, ...]:
        """``(ids, ts, goal names, values, count)`` of every goal event with a user."""
        return self._get("goals")

    @property
    def errors(self) -> tuple[Any, ...]:
        """``(ids, ts, count)`` of the project's errors with a user since the first assignment."""
        return self._get("errors")

    @property
    def loads(self) -> tuple[Any, ...]:
        """``(ids, ts, lcp, count)`` of the project's page loads with an LCP since the first assignment."""
        return self._get("loads")


def _store_file(conn: sqlite3.Connection) -> str | None:
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file) or None
    return None


def _join(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two halves' ``(ids, packed, count)`` as one."""
    if not first[2]:
        return second
    if not second[2]:
        return first
    return (f"{first[0]}{chr(_SEP)}{second[0]}", f"{first[1]},{second[1]}", first[2] + second[2])


def assignment_columns(rows: ExperimentRows) -> tuple[UserCodes, Ints, Ints]:
    """(users, ts, variant code) of every assignment with a user, in time order.

    Codes index the variants :class:`ExperimentRows` was given; a variant not among them has
    :data:`OTHER_VARIANT` (see :func:`variant_names`).
    """
    users_text, packed_text, count = rows.assignments
    packed: Ints = _numbers(packed_text, np.int64)
    ts, codes = packed >> _CODE_BITS, packed & OTHER_VARIANT
    if ts.size > 1 and bool((ts[1:] < ts[:-1]).any()):
        # Rows come in index order (experiment, ts); should the planner choose otherwise, sort.
        order = np.argsort(ts, kind="stable")
        ids = users_text.split(chr(_SEP))
        users_text = chr(_SEP).join([ids[i] for i in order.tolist()])
        ts, codes = ts[order], codes[order]
    return UserCodes(users_text, int(count)), ts, codes


def variant_names(conn: sqlite3.Connection, key: str, project: str) -> list[str]:
    """Every variant seen in the experiment's assignments (a full read: only when one is unknown)."""
    return [v for (v,) in conn.execute(
        "SELECT DISTINCT variant FROM experiment_assignments WHERE experiment = ? AND project = ?", (key, project)
    )]


def goal_columns(rows: ExperimentRows, users: UserCodes) -> tuple[Ints, Ints, list[str], Floats]:
    """(user code or -1, ts, goal name, value or NaN) of every goal event with a user."""
    users_text, ts_text, goals_text, values_text, count = rows.goals
    goals = goals_text.split(chr(_SEP)) if goals_text else []
    codes = users.lookup(users_text)
    if codes.size != count or len(goals) != count:
        raise LookoutError("a user id or goal holds a record separator (0x1E)")
    return codes, _numbers(ts_text, np.int64), goals, _numbers(values_text, np.float64)


def user_columns(row: tuple[Any, ...], users: UserCodes) -> tuple[Ints, Ints, Floats | None]:
    """(user code or -1, ts[, a number]) of the errors' or page loads' row of :class:`ExperimentRows`."""
    users_text, ts_text, *rest = row
    values = _numbers(rest[0], np.float64) if len(rest) > 1 else None
    return users.lookup(users_text), _numbers(ts_text, np.int64), values
