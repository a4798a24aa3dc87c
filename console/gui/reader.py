"""The window's reader worker: polls the store for what changed and sends plain results by signal.

:class:`StoreWatcher` lives on its own ``QThread`` (named ``lookout.reader``) with its own
read-only :class:`~console.core.store.queries.StoreReader`, so no query ever runs on the GUI
thread. Every tick it asks the store only for what arrived after its cursors (event ids are
handed out in arrival order), feeds the new activity into an
:class:`~console.core.analysis.overview.OverviewAggregator`, and emits lists and dataclasses
from the core, never Qt objects. Each poll fetches at most ``max_rows_per_poll`` stream rows,
the newest, so a collector taking thousands of events a second cannot flood the window.

A store that is missing, locked or corrupt is the environment's fault: the watcher emits
``failed`` with a message for the user and tries again on the next tick.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from console.core.analysis.overview import OverviewAggregator
from console.core.errors import StoreError
from console.core.store.queries import StoreReader

__all__ = ["StoreWatcher"]

log = logging.getLogger("lookout.gui.reader")



def _now_ms() -> int:
    return int(time.time() * 1000)


class StoreWatcher(QObject):
    """Watches one store file from a worker thread and reports what changed.

    Create it on the GUI thread, connect its signals, then call :meth:`start`; call
    :meth:`stop` before dropping it. :meth:`set_filter` and :meth:`set_paused` may be called
    from the GUI thread: they are forwarded to the worker thread as queued signals.

    Signals:
        streamRows(list): new :class:`StreamRow` objects matching the filter, newest first.
        streamReset(list): the whole stream to show (newest first) after the first poll or a
            filter change; replaces what was shown.
        figures(object): the arrival rate (:class:`OverviewFigures`), once per poll.
        storeInfo(object): the store's :class:`StoreInfo` (size, retention), once per
            successful poll; its arrival also means the store is readable again.
        failed(str): the store cannot be read (missing, locked, corrupt); a message for the
            user. Emitted once per distinct failure, not on every retry.
    """

    streamRows = Signal(list)
    streamReset = Signal(list)
    figures = Signal(object)
    storeInfo = Signal(object)
    failed = Signal(str)

    # Requests from other threads, delivered as queued calls in the worker thread.
    _filterRequested = Signal(object, str)
    _pauseRequested = Signal(bool)
    _stopRequested = Signal()

    def __init__(
        self,
        *,
        db_path: str | Path,
        interval_ms: int = 500,
        max_rows_per_poll: int = 2_000,
        backlog_rows: int = 5_000,
        activity_rows_per_poll: int = 50_000,
        window_minutes: int = 30,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.interval_ms = interval_ms
        self.max_rows_per_poll = max_rows_per_poll
        self.backlog_rows = backlog_rows
        self.activity_rows_per_poll = activity_rows_per_poll
        self.window_minutes = window_minutes
        # Worker-thread state: touched only by the slots below once the thread runs.
        self._reader: StoreReader | None = None
        self._timer: QTimer | None = None
        self._kinds: tuple[str, ...] = ()
        self._text = ""
        self._paused = False
        self._seeded = False
        self._stream_cursor = 0
        self._activity_cursor = 0
        self._aggregator = OverviewAggregator(window_minutes=window_minutes)
        self._failure: str | None = None

        self._thread = QThread()
        self._thread.setObjectName("lookout.reader")
        self.moveToThread(self._thread)
        self._thread.started.connect(self._begin)
        self._filterRequested.connect(self._apply_filter)
        self._pauseRequested.connect(self._apply_pause)
        self._stopRequested.connect(self._finish)

    # --- the GUI thread's side --------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread; the first poll runs at once."""
        self._thread.start()

    def stop(self, timeout_ms: int = 15_000) -> None:
        """Stop polling, close the store connection and wait for the thread to end.

        Safe to call more than once and before :meth:`start`.
        """
        if self._thread.isRunning():
            self._stopRequested.emit()
            if not self._thread.wait(timeout_ms):
                # A query is stuck behind a lock longer than SQLite's busy timeout allows.
                log.error("the reader thread did not stop within %d ms", timeout_ms)
                return
        self._close_reader()

    def is_running(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread.isRunning()

    def set_filter(self, kinds: Sequence[str], text: str) -> None:
        """Show only these kinds (empty: all) whose text contains ``text``; resets the stream."""
        self._filterRequested.emit(tuple(kinds), text)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the stream; the figures and store info keep coming.

        On resume the rows that arrived meanwhile come in one batch (at most
        ``max_rows_per_poll``, the newest).
        """
        self._pauseRequested.emit(paused)

    # --- the worker thread ------------------------------------------------------------------

    @Slot()
    def _begin(self) -> None:
        self._timer = QTimer(self)
        self._timer.setObjectName("lookout.reader.poll")
        self._timer.timeout.connect(self._poll)
        self._timer.start(self.interval_ms)
        self._poll()

    @Slot()
    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._close_reader()
        # Hand the object back to the GUI thread so it is destroyed where it was made.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self._thread.quit()

    @Slot(object, str)
    def _apply_filter(self, kinds: tuple[str, ...], text: str) -> None:
        self._kinds, self._text = kinds, text.strip()
        if self._reader is None or not self._seeded:
            return  # the next successful poll starts from a reset with this filter
        try:
            self._reset_stream(self._reader)
        except (StoreError, sqlite3.Error) as exc:
            self._fail(exc)

    @Slot(bool)
    def _apply_pause(self, paused: bool) -> None:
        self._paused = paused

    @Slot()
    def _poll(self) -> None:
        try:
            if self._reader is None:
                self._reader = StoreReader(self.db_path)
                self._seeded = False
            self._poll_once(self._reader)
        except (StoreError, sqlite3.Error) as exc:
            self._fail(exc)

    def _poll_once(self, reader: StoreReader) -> None:
        now = _now_ms()
        latest = reader.latest_event_id()
        if not self._seeded or latest < self._stream_cursor:
            # First poll, or the store went back in time (every event dropped, or a new file).
            self._aggregator = OverviewAggregator(window_minutes=self.window_minutes)
            self._activity_cursor = reader.first_id_since(now - self.window_minutes * 60_000) - 1
            self._reset_stream(reader, latest)
            self._seeded = True
        elif not self._paused:
            rows = reader.stream(
                after_id=self._stream_cursor,
                limit=self.max_rows_per_poll,
                kinds=self._kinds or None,
                text=self._text or None,
            )
            # ``latest`` was read before the query, so nothing that matched can fall between.
            self._stream_cursor = max(latest, rows[0].id if rows else 0)
            if rows:
                self.streamRows.emit(rows)
        activity = reader.activity(after_id=self._activity_cursor, limit=self.activity_rows_per_poll)
        if activity:
            self._aggregator.add(activity)
            self._activity_cursor = activity[-1].id
        self.figures.emit(self._aggregator.figures(now))
        self.storeInfo.emit(reader.info())
        self._failure = None

    def _reset_stream(self, reader: StoreReader, latest: int | None = None) -> None:
        if latest is None:
            latest = reader.latest_event_id()
        rows = reader.stream(
            after_id=0, limit=self.backlog_rows, kinds=self._kinds or None, text=self._text or None
        )
        self._stream_cursor = max(latest, rows[0].id if rows else 0)
        self.streamReset.emit(rows)

    def _fail(self, exc: BaseException) -> None:
        self._close_reader()
        message = str(exc) if isinstance(exc, StoreError) else f"{self.db_path}: {exc}"
        if message != self._failure:
            log.warning("cannot read the store: %s", message)
            self._failure = message
            self.failed.emit(message)

    def _close_reader(self) -> None:
        if self._reader is not None:
            try:
                self._reader.close()
            except sqlite3.Error:  # closing a broken connection: nothing left to save
                log.debug("closing the store reader failed", exc_info=True)
            self._reader = None
