"""The single writer: one thread owns the write connection and commits batches for everyone.

Callers hand over a list of events with a callback; the writer drains whatever has queued
since its last commit into one transaction (group commit), commits, and only then calls
back, so an acknowledged event is on disk (WAL, ``synchronous=NORMAL``: it survives the
process being killed). When too many events wait, ``submit`` refuses with
:class:`StoreUnavailable` and the collector answers 429.

Errors are filed under their issues as they are written (:mod:`console.core.store.issue_writes`),
and each commit brings its sessions' rows up to date (:mod:`console.core.store.session_upkeep`).
Other writes (what a user does to issues) go through :meth:`StoreWriter.run`: the same thread
and queue, so they are ordered with the commits and never race the ingest.
"""

from __future__ import annotations

import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

from console.core.errors import StoreError, StoreUnavailable
from console.core.events import KIND_TABLES, Event, Kind
from console.core.store.issue_writes import ERRORS_FTS_COLUMNS, ISSUE_RELEASES_SQL, file_error
from console.core.store.retention import RetentionPolicy, apply_retention
from console.core.store.schema import CHILD_TABLES, connect, migrate
from console.core.store.session_upkeep import KnownSessions, SessionTally

__all__ = ["StoreWriter", "WriterStats"]

log = logging.getLogger("lookout.store")

Done = Callable[[BaseException | None], None]
T = TypeVar("T")

_EVENTS_COLUMNS = ("id", "kind", "project", "ts", "received", "session_id", "user_id", "summary")
# 128 rows of the widest table (page_loads, 22 columns) stay far below SQLite's 32,766
# variables per statement.
_MAX_ROWS_PER_STATEMENT = 128

_USER_UPSERT = """
    INSERT INTO users (project, user_id, first_seen, last_seen, properties)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (project, user_id) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen),
        properties = json_patch(coalesce(properties, '{}'), excluded.properties)
"""
# A KPI definition (the brief's defineKPI) replaces the one of the same name; the decoder
# has already validated it and put it, as JSON, in ``columns["definition"]``.
_KPI_UPSERT = """
    INSERT INTO kpis (name, definition, created_ms, updated_ms) VALUES (?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_ms = excluded.updated_ms
"""
_EXPERIMENT_UPSERT = """
    INSERT INTO experiments (project, experiment, name, variants, goals, first_seen, updated)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (project, experiment) DO UPDATE SET
        name = coalesce(excluded.name, name), variants = excluded.variants,
        goals = excluded.goals, updated = excluded.updated
"""


@dataclass(slots=True)
class WriterStats:
    """Counters the status bar and benchmarks read; updated by the writer thread only."""

    committed_events: int = 0
    commits: int = 0
    failed_commits: int = 0
    pending_events: int = 0
    last_error: str | None = None


class _Job:
    __slots__ = ("done", "events", "received")

    def __init__(self, events: Sequence[Event], received: int, done: Done) -> None:
        self.events, self.received, self.done = events, received, done


class _Task:
    """A job of :meth:`StoreWriter.run`: a function of the write connection, in its own transaction."""

    __slots__ = ("done", "job")

    def __init__(
        self, job: Callable[[sqlite3.Connection], Any], done: Callable[[Any, BaseException | None], None]
    ) -> None:
        self.job, self.done = job, done


class StoreWriter:
    """Owns the one write connection of a store file and commits submitted events in groups."""

    def __init__(
        self,
        *,
        path: str | Path,
        retention: RetentionPolicy | None = None,
        max_pending_events: int = 100_000,
        max_batch_events: int = 20_000,
    ) -> None:
        self.path = Path(path)
        self.retention = retention or RetentionPolicy()
        self.max_pending_events = max_pending_events
        self.max_batch_events = max_batch_events
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Job | _Task | None] = queue.SimpleQueue()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._conn = connect(self.path)
        migrate(self._conn)
        self._columns = self._table_columns()
        self._child_columns = self._child_table_columns()
        self._kind_columns = {
            table: ("event_id", "ts", "project", "session_id", "user_id", *typed, "data")
            for table, typed in self._columns.items()
        }
        self._insert_sql: dict[tuple[str, int, str], str] = {}
        self._known_sessions = KnownSessions()
        self._next_id = self._first_free_id()
        self._projects = {row[0] for row in self._conn.execute("SELECT name FROM projects")}
        self._last_retention = 0.0
        self._checkpointer: threading.Thread | None = None
        self._aliases_checked: tuple[float, bool] | None = None
        self._stopping = threading.Event()

    # --- the caller's side -----------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (named ``lookout.store``)."""
        self._thread = threading.Thread(target=self._run, name="lookout.store", daemon=True)
        self._thread.start()
        self._stopping.clear()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="lookout.store.checkpoint", daemon=True
        )
        self._checkpointer.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread and close the connection."""
        self._stopping.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout)
            self._checkpointer = None
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StoreError("the store writer did not stop in time")
            self._thread = None
        self._conn.close()

    def submit(self, events: Sequence[Event], done: Done, *, received: int | None = None) -> None:
        """Queue events for the next commit; ``done`` is called from the writer thread after it.

        Raises StoreUnavailable when the writer has more than ``max_pending_events`` waiting.
        """
        if self._thread is None:
            raise StoreUnavailable("the store writer is not running")
        with self._pending_lock:
            if self._pending and self._pending + len(events) > self.max_pending_events:
                raise StoreUnavailable(f"{self._pending} events are waiting to be written")
            self._pending += len(events)
        self._queue.put(_Job(events, received or int(time.time() * 1000), done))

    def write(self, events: Sequence[Event], *, timeout: float = 30.0, received: int | None = None) -> None:
        """Submit and wait for the commit; for tools and tests, not for the collector's loop."""
        finished = threading.Event()
        outcome: list[BaseException | None] = []

        def done(error: BaseException | None) -> None:
            outcome.append(error)
            finished.set()

        self.submit(events, done, received=received)
        if not finished.wait(timeout):
            raise StoreError("the store writer did not commit in time")
        if outcome[0] is not None:
            raise StoreError(str(outcome[0])) from outcome[0]

    def run(
        self,
        job: Callable[[sqlite3.Connection], T],
        done: Callable[[T | None, BaseException | None], None],
    ) -> None:
        """Run ``job(conn)`` in the writer thread, in a transaction of its own, after what is queued.

        The transaction is ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back when ``job`` raises.
        ``done(result, None)`` or ``done(None, error)`` is then called from the writer thread
        (an ``sqlite3.Error`` is the environment's fault; anything else is a bug in ``job``).
        ``job`` must not commit or roll back itself. Raises StoreUnavailable when the writer
        is not running.
        """
        if self._thread is None:
            raise StoreUnavailable("the store writer is not running")
        self._queue.put(_Task(job, cast(Callable[[Any, BaseException | None], None], done)))

    def run_sync(self, job: Callable[[sqlite3.Connection], T], timeout: float = 30.0) -> T:
        """:meth:`run` and wait for the result; for tools and tests, not for the collector's loop.

        An ``sqlite3.Error`` is raised as StoreError; whatever else ``job`` raised is raised as it is.
        """
        if threading.current_thread() is self._thread:
            raise StoreError("run_sync from the writer thread would wait for itself")
        finished = threading.Event()
        outcome: list[tuple[T | None, BaseException | None]] = []

        def done(result: T | None, error: BaseException | None) -> None:
            outcome.append((result, error))
            finished.set()

        self.run(job, done)
        if not finished.wait(timeout):
            raise StoreError("the store writer did not run the job in time")
        result, error = outcome[0]
        if isinstance(error, sqlite3.Error):
            raise StoreError(str(error)) from error
        if error is not None:
            raise error
        return cast(T, result)

    @property
    def pending_events(self) -> int:
        """Events submitted but not yet committed."""
        return self._pending

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._maybe_retain()
                continue
            jobs: list[_Job] = []
            count = 0
            task: _Task | None = None
            item: _Job | _Task | None = first
            while True:
                if item is None:
                    stopping = True
                    break
                if isinstance(item, _Task):
                    # Ordered with the commits: what was queued before it is committed first.
                    task = item
                    break
                jobs.append(item)
                count += len(item.events)
                if count >= self.max_batch_events:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if jobs:
                self._commit(jobs, count)
            if task is not None:
                self._execute(task)
            self._maybe_retain()
        log.debug("writer stopped after %d commits", self.stats.commits)

    def _commit(self, jobs: list[_Job], count: int) -> None:
        error = self._transaction(jobs)
        if error is not None and len(jobs) > 1:
            # One sender's bad batch must not fail the others it was grouped with: retry each
            # job alone, so only the one at fault gets the error.
            outcomes = [self._transaction([job]) for job in jobs]
        else:
            outcomes = [error] * len(jobs)
        with self._pending_lock:
            self._pending -= count
        self.stats.pending_events = self._pending
        for job, outcome in zip(jobs, outcomes, strict=True):
            try:
                job.done(outcome)
            except Exception:  # a caller's callback must not kill the writer
                log.exception("a commit callback failed")

    def _transaction(self, jobs: list[_Job]) -> BaseException | None:
        """Insert the jobs' events in one transaction; the exception if it was rolled back."""
        count = sum(len(job.events) for job in jobs)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # One upsert per session per commit, whatever the number of its events.
                sessions = SessionTally(self._known_sessions)
                for job in jobs:
                    self._insert(job.events, job.received, sessions)
                sessions.write(self._insert_rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            sessions.committed()
        except sqlite3.Error as exc:
            # The environment's fault (disk full, file locked or corrupt): report, keep running.
            log.error("commit of %d events failed: %s", count, exc)
            return self._failed(exc)
        except Exception as exc:
            # Ours: a payload the decoder should have refused. Loud in the log; the writer
            # stays alive for everyone else.
            log.exception("commit of %d events failed on a bug", count)
            return self._failed(exc)
        self.stats.committed_events += count
        self.stats.commits += 1
        return None

    def _aliases_known(self) -> bool:
        # Whether any merge alias exists: almost never, and asking per error costs a query.
        # Merges run as tasks (which reset this), but another writer may have merged since,
        # so the answer is trusted for a few seconds only.
        now = time.monotonic()
        if self._aliases_checked is None or now - self._aliases_checked[0] > 5.0:
            found = self._conn.execute("SELECT 1 FROM issue_aliases LIMIT 1").fetchone() is not None
            self._aliases_checked = (now, found)
        return self._aliases_checked[1]

    def _execute(self, task: _Task) -> None:
        self._aliases_checked = None
        # A job may change or drop sessions rows (deleting issues deletes their events).
        self._known_sessions.forget()
        result: Any = None
        error: BaseException | None = None
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = task.job(self._conn)
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("a store job failed: %s", exc)
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            result, error = None, exc
        except Exception as exc:
            log.exception("a store job failed on a bug")
            result, error = None, exc
        try:
            task.done(result, error)
        except Exception:  # a caller's callback must not kill the writer
            log.exception("a store job callback failed")

    def _failed(self, exc: Exception) -> Exception:
        self.stats.failed_commits += 1
        self.stats.last_error = f"{type(exc).__name__}: {exc}"
        self._next_id = self._first_free_id()
        return exc

    def _insert(self, events: Sequence[Event], received: int, sessions: SessionTally) -> None:
        stream: list[tuple[Any, ...]] = []
        per_table: dict[str, list[tuple[Any, ...]]] = {}
        children: dict[str, list[tuple[Any, ...]]] = {}
        searchable: list[tuple[Any, ...]] = []
        for event in events:
            event_id = self._next_id
            self._next_id += 1
            if event.project not in self._projects:
                self._add_project(event.project, received)
            stream.append(
                (event_id, event.kind.value, event.project, event.timestamp, received,
                 event.session_id, event.user_id, event.summary)
            )
            sessions.add(event)
            if event.kind is Kind.ERROR:
                file_error(self._conn, event, aliases=self._aliases_known())
                found = event.columns
                searchable.append(
                    (event_id, found.get("message"), found.get("error_type"), found.get("culprit"),
                     event.user_id, event.session_id, found.get("search_tags"))
                )
            elif event.kind is Kind.EXPERIMENT:
                self._define_experiment(event)
            elif event.kind is Kind.KPI:
                self._conn.execute(
                    _KPI_UPSERT,
                    (event.columns["name"], event.columns["definition"], received, received),
                )
            elif event.kind is Kind.ANALYTICS and event.columns.get("name") == "user_identified":
                self._identify(event)
            table = KIND_TABLES[event.kind]
            typed = self._columns[table]
            per_table.setdefault(table, []).append(
                (event_id, event.timestamp, event.project, event.session_id, event.user_id,
                 *[event.columns.get(c) for c in typed], orjson.dumps(event.data).decode())
            )
            for child_table, row in event.children:
                cols = self._child_columns[child_table]
                children.setdefault(child_table, []).append(
                    (event_id, *[_cell(row.get(c)) for c in cols])
                )
        self._insert_rows("events", _EVENTS_COLUMNS, stream)
        for table, rows in per_table.items():
            self._insert_rows(table, self._kind_columns[table], rows)
            if table == "logs":
                self._conn.execute(
                    "INSERT INTO logs_fts(rowid, message) SELECT event_id, message FROM logs"
                    " WHERE event_id BETWEEN ? AND ?",
                    (rows[0][0], rows[-1][0]),
                )
            elif table == "errors":
                # Searchable and counted per release in one statement each (a per-row trigger
                # costs more); retention's and deletes' removals go through the delete trigger.
                self._insert_rows("errors_fts", ERRORS_FTS_COLUMNS, searchable)
                self._conn.execute(ISSUE_RELEASES_SQL, (rows[0][0], rows[-1][0]))
        for table, rows in children.items():
            self._insert_rows(table, ("event_id", *self._child_columns[table]), rows)

    def _insert_rows(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], *, then: str = ""
    ) -> list[tuple[Any, ...]]:
        """Insert rows with multi-row INSERT statements of power-of-two sizes; ``then`` (an
        ``ON CONFLICT`` clause, for upserts) may end in ``RETURNING``: the rows returned.

        ``executemany`` runs one SQLite step per row and hands the GIL to the collector's
        event loop at every step; under load the writer then waits for the GIL far longer
        than it writes. One statement for many rows is one step (and one wait).
        """
        width = len(columns)
        names = ", ".join(columns)
        position = 0
        returned: list[tuple[Any, ...]] = []
        while position < len(rows):
            size = min(_MAX_ROWS_PER_STATEMENT, 1 << ((len(rows) - position).bit_length() - 1))
            chunk = rows[position : position + size]
            key = (table, size, then)
            sql = self._insert_sql.get(key)
            if sql is None:
                one = "(" + ", ".join("?" * width) + ")"
                sql = self._insert_sql[key] = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * size)}{then}"
            returned.extend(self._conn.execute(sql, list(chain.from_iterable(chunk))).fetchall())
            position += size
        return returned

    def _identify(self, event: Event) -> None:
        props = event.data.get("properties") or {}
        traits = props.get("properties") if isinstance(props, dict) else None
        self._conn.execute(
            _USER_UPSERT,
            (event.project, event.user_id, event.timestamp, event.timestamp,
             orjson.dumps(traits if isinstance(traits, dict) else {}).decode()),
        )

    def _define_experiment(self, event: Event) -> None:
        self._conn.execute(
            _EXPERIMENT_UPSERT,
            (event.project, event.columns["experiment"], event.columns.get("name"),
             orjson.dumps(event.data.get("variants") or []).decode(),
             orjson.dumps(event.data.get("goals") or []).decode(), event.timestamp, event.timestamp),
        )

    def _add_project(self, name: str, now: int) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO projects (name, key, created) VALUES (?, ?, ?)",
            (name, secrets.token_hex(16), now),
        )
        self._projects.add(name)

    def _maybe_retain(self) -> None:
        now = time.monotonic()
        if now - self._last_retention < self.retention.check_interval_s:
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            run = apply_retention(self._conn, self.retention, now_ms=int(time.time() * 1000))
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("retention failed: %s", exc)
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._last_retention = now
            return
        if run is not None:
            self._known_sessions.forget()
            log.info("retention (%s) dropped %d events up to id %d", run.reason, run.rows, run.up_to_event_id)
        # While a large trim is under way, come back at once after the next commit.
        self._last_retention = 0.0 if run is not None and run.more else now

    def _checkpoint_loop(self, interval_s: float = 0.5) -> None:
        """Copy the WAL into the main file from a connection of its own, twice a second.

        A checkpoint's fsync otherwise runs inside whichever COMMIT crosses the autocheckpoint
        size, and every request waiting on that commit waits for the fsync too. PASSIVE never
        blocks the writer; the writer's own autocheckpoint stays as the backstop.
        """
        conn = connect(self.path)
        try:
            while not self._stopping.wait(interval_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("background checkpoint failed: %s", exc)
        finally:
            conn.close()

    def _first_free_id(self) -> int:
        # Past every id ever handed out, including those retention has since dropped: ids
        # are the readers' "changed since" cursor and must never be reused.
        (newest,) = self._conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM events), 0),"
            " coalesce((SELECT max(up_to_event_id) FROM retention_log), 0))"
        ).fetchone()
        return int(newest) + 1

    def _table_columns(self) -> dict[str, list[str]]:
        skip = {"id", "event_id", "ts", "project", "session_id", "user_id", "data"}
        columns: dict[str, list[str]] = {}
        for table in KIND_TABLES.values():
            names = [r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")]
            columns[table] = [n for n in names if n not in skip]
        return columns

    def _child_table_columns(self) -> dict[str, list[str]]:
        # Child rows name every column but the ids: a failed request's network row carries
        # its own time, session and user like any kind row.
        columns: dict[str, list[str]] = {}
        for table in CHILD_TABLES:
            names = [r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")]
            columns[table] = [n for n in names if n not in ("id", "event_id")]
        return columns


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value
