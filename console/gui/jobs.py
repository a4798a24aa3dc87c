"""Store queries for the panels, run one after another on a worker thread.

:class:`StoreJobs` owns a ``QThread`` (named ``lookout.query``) with its own read-only
connection. A panel submits a job — a plain function of a ``sqlite3.Connection``, usually one
from ``console.core.store`` — under a key, and gets the result back on the GUI thread by
signal. A panel that asks again under the same key before the answer arrives gets only
the newest answer: older ones are dropped, so a user typing a search never sees results
of what they typed before.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from console.core.errors import StoreError
from console.core.store.schema import SCHEMA_VERSION, connect, version_mismatch

__all__ = ["Job", "StoreJobs"]

log = logging.getLogger("lookout.gui.jobs")

Job = Callable[[sqlite3.Connection], Any]


class StoreJobs(QObject):
    """Runs submitted queries on its own thread, in order, over one read-only connection.

    The object itself stays on the GUI thread; a worker object on the thread runs the jobs.

    Signals:
        done(str, object): a job under this key finished with this result (newest only).
        failed(str, str): a job under this key failed; a message for the user.
    """

    done = Signal(str, object)
    failed = Signal(str, str)

    _run = Signal(str, int, object)

    def __init__(self, *, db_path: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._generation: dict[str, int] = {}
        self._worker = _Worker(self.db_path, self._generation)
        self._thread = QThread()
        self._thread.setObjectName("lookout.query")
        self._worker.moveToThread(self._thread)
        self._run.connect(self._worker.execute)
        self._worker.finished.connect(self._on_finished)
        self._worker.broke.connect(self._on_broke)
        # Emitted on the thread itself as it ends: the connection closes where it was used.
        self._thread.finished.connect(self._worker.close, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        """Start the worker thread."""
        self._thread.start()

    def submit(self, key: str, job: Job) -> None:
        """Run ``job`` after the jobs already queued; its result arrives as ``done(key, ...)``."""
        generation = self._generation.get(key, 0) + 1
        self._generation[key] = generation
        self._run.emit(key, generation, job)

    def stop(self, timeout_ms: int = 15_000) -> None:
        """Finish the running job, drop the rest, close the connection; safe to repeat."""
        self._generation.clear()
        if self._thread.isRunning():
            self._thread.quit()
            if not self._thread.wait(timeout_ms):
                log.error("the query thread did not stop within %d ms", timeout_ms)

    def _current(self, key: str, generation: int) -> bool:
        return self._generation.get(key, 0) == generation

    @Slot(str, int, object)
    def _on_finished(self, key: str, generation: int, result: object) -> None:
        if self._current(key, generation):
            self.done.emit(key, result)

    @Slot(str, int, str)
    def _on_broke(self, key: str, generation: int, message: str) -> None:
        if self._current(key, generation):
            self.failed.emit(key, message)


class _Worker(QObject):
    """Lives on the query thread; runs jobs over its own connection."""

    finished = Signal(str, int, object)
    broke = Signal(str, int, str)

    def __init__(self, db_path: Path, generation: dict[str, int]) -> None:
        super().__init__()
        self._db_path = db_path
        # Read on this thread to skip jobs already overtaken: an int lookup, safe under the GIL.
        self._generation = generation
        self._conn: sqlite3.Connection | None = None

    @Slot(str, int, object)
    def execute(self, key: str, generation: int, job: Job) -> None:
        if self._generation.get(key, 0) != generation:
            return
        try:
            result = job(self._connection())
        except (StoreError, sqlite3.Error) as exc:
            self.close()
            message = str(exc) if isinstance(exc, StoreError) else f"{self._db_path}: {exc}"
            self.broke.emit(key, generation, message)
            return
        self.finished.emit(key, generation, result)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self._db_path.exists():
                raise StoreError(f"no store at {self._db_path}")
            conn = connect(self._db_path, readonly=True)
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version != SCHEMA_VERSION:
                conn.close()
                raise StoreError(version_mismatch(self._db_path, int(version)))
            self._conn = conn
        return self._conn

    @Slot()
    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                log.debug("closing the query connection failed", exc_info=True)
            self._conn = None
