"""The Logs panel: every log line from native, Sentry and OTLP senders, with a live tail.

The user filters by level, source and time range and searches the text (FTS5 in the store);
the table pages back in time as they scroll and, while "Live" is on, takes new lines at the
top once a second without moving what they are reading. Selecting a line shows all of it
with its attributes; "Trace" and "Session" list every other event of its trace or session,
oldest first. All queries run on the window's :class:`~console.gui.jobs.StoreJobs` thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.store.log_queries import (
    LEVELS,
    LogQuery,
    LogRow,
    RelatedEvent,
    fetch_logs,
    log_sources,
    related_events,
)
from console.gui.jobs import StoreJobs
from console.gui.logs.model import LogTableModel, clock

__all__ = ["RANGES", "LogsPanel"]

#: Time ranges the user can pick: label → milliseconds back from now (None: everything).
RANGES: dict[str, int | None] = {
    "Last 15 minutes": 15 * 60_000,
    "Last hour": 3_600_000,
    "Last 24 hours": 86_400_000,
    "Last 7 days": 7 * 86_400_000,
    "All time": None,
}
_MIN_LEVELS = {
    "All levels": (),
    "Info and above": LEVELS[1:],
    "Warnings and above": LEVELS[2:],
    "Errors and above": LEVELS[3:],
}
_PAGE = 300
_TAIL_MS = 1_000


class LogsPanel(QWidget):
    """Lists logs from the store through ``jobs``; see the module docstring.

    Signals:
        ready(): the first page of logs (or the store's failure) has arrived (once).
        relatedShown(): the trace or session timeline of the selected line was filled.
    """

    ready = Signal()
    relatedShown = Signal()

    def __init__(self, *, jobs: StoreJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._ready = False
        self._loading_older = False
        self._exhausted = False
        self._cursor = 0
        self._query = LogQuery()
        self._selected: LogRow | None = None

        self.level = QComboBox()
        self.level.addItems(list(_MIN_LEVELS))
        self.search = QLineEdit(placeholderText="Search messages (every word, by prefix)…")
        self.search.setClearButtonEnabled(True)
        self.source = QComboBox()
        self.source.addItem("All sources", None)
        self.source.setMinimumContentsLength(18)
        self.range = QComboBox()
        self.range.addItems(list(RANGES))
        self.range.setCurrentText("Last 24 hours")
        self.live = QPushButton("Live")
        self.live.setCheckable(True)
        self.live.setChecked(True)
        self.live.setToolTip("Take new log lines as they arrive")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        bar = QHBoxLayout()
        title = QLabel("Logs")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        bar.addWidget(title)
        bar.addWidget(self.status, 1)
        for widget in (self.level, self.source, self.range):
            bar.addWidget(widget)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.live)

        self.model = LogTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # Pixel scrolling: the tail shifts the view by exactly the rows it added above.
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        for column, width in ((0, 110), (1, 70), (2, 150), (4, 80), (5, 110)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setPlaceholderText("Select a log line to read all of it")
        self.trace_button = QPushButton("Trace")
        self.session_button = QPushButton("Session")
        self.trace_button.setToolTip("Every event of this log's trace")
        self.session_button.setToolTip("Every event of this log's session")
        for button in (self.trace_button, self.session_button):
            button.setEnabled(False)
        self.related_title = QLabel("")
        self.related_title.setTextFormat(Qt.TextFormat.PlainText)
        self.related = QTableWidget(0, 3)
        self.related.setHorizontalHeaderLabels(["Time", "Kind", "Summary"])
        self.related.verticalHeader().hide()
        self.related.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.related.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.related.setWordWrap(False)

        links = QHBoxLayout()
        links.addWidget(self.related_title, 1)
        links.addWidget(self.trace_button)
        links.addWidget(self.session_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(links)
        right_layout.addWidget(self.related, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.detail)
        lower.addWidget(right)
        lower.setSizes([600, 600])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([560, 240])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self._tail = QTimer(self)
        self._tail.setObjectName("lookout.logs.tail")
        self._tail.setInterval(_TAIL_MS)
        self._tail.timeout.connect(self._poll_tail)

        self.search.textChanged.connect(self._debounce.start)
        for combo in (self.level, self.source, self.range):
            combo.currentIndexChanged.connect(self.reload)
        self.live.toggled.connect(self._toggle_live)
        self.table.verticalScrollBar().valueChanged.connect(self._maybe_load_older)
        self.table.selectionModel().selectionChanged.connect(self._select)
        self.trace_button.clicked.connect(lambda: self._show_related("trace"))
        self.session_button.clicked.connect(lambda: self._show_related("session"))
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # --- what the window calls ------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Whether the first page (or a failure) has arrived."""
        return self._ready

    def start(self) -> None:
        """Load the first page and the sources, and start the live tail."""
        self.reload()
        self._jobs.submit("logs.sources", log_sources)
        self._tail.start()

    def stop(self) -> None:
        """Stop the live tail (the jobs thread belongs to the window)."""
        self._tail.stop()

    def current_query(self) -> LogQuery:
        """The filter the controls say, with the time range counted back from now."""
        back = RANGES[self.range.currentText()]
        source = self.source.currentData()
        return LogQuery(
            levels=tuple(_MIN_LEVELS[self.level.currentText()]),
            text=self.search.text().strip(),
            sources=(source,) if source else (),
            since_ms=None if back is None else int(time.time() * 1000) - back,
        )

    def open_first(self, *, level: str = "error") -> bool:
        """Select the newest line of ``level`` (else the newest line) and ask for its
        timeline, as a user reading the latest failure would; False when there is no line.
        Used by ``lookout screenshot``; ``relatedShown`` fires when the timeline is in."""
        rows = [r for r in range(self.model.rowCount()) if self.model.row_at(r).level == level]
        if not rows and self.model.rowCount() == 0:
            return False
        self.table.selectRow(rows[0] if rows else 0)
        log = self._selected
        if log is None or not (log.trace_id or log.session_id):
            return False
        self._show_related("trace" if log.trace_id else "session")
        return True

    @Slot()
    def reload(self) -> None:
        """Query the first page again with the current filter."""
        self._query = query = self.current_query()
        self._exhausted = False
        self._loading_older = False

        def first_page(conn: Any) -> tuple[list[LogRow], int]:
            (latest,) = conn.execute("SELECT coalesce(max(event_id), 0) FROM logs").fetchone()
            return fetch_logs(conn, query, before_id=latest + 1, limit=_PAGE), int(latest)

        self._jobs.submit("logs.page", first_page)

    # --- results --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "logs.page":
            rows, latest = result
            self._cursor = latest
            self.model.reset(rows)
            self._exhausted = len(rows) < _PAGE
            self._mark_ready()
        elif key == "logs.tail":
            self._take_tail(result)
        elif key == "logs.older":
            self._loading_older = False
            self._exhausted = len(result) < _PAGE
            self.model.append(result)
        elif key == "logs.sources":
            self._show_sources(result)
        elif key == "logs.related":
            self._fill_related(*result)
        else:
            return
        self._update_status()

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("logs."):
            self._loading_older = False
            self.status.setText(f"cannot read the store — {message}")
            self._mark_ready()

    def _take_tail(self, rows: Sequence[LogRow]) -> None:
        if not rows:
            return
        self._cursor = max(self._cursor, rows[0].event_id)
        bar = self.table.verticalScrollBar()
        reading = bar.value() > 0
        before = bar.value()
        added = self.model.prepend(rows)
        if reading:
            # The user is reading further down: keep their lines where they are.
            bar.setValue(before + added * self.table.verticalHeader().defaultSectionSize())

    def _show_sources(self, sources: list[tuple[str, int]]) -> None:
        chosen = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("All sources", None)
        for name, count in sources:
            self.source.addItem(f"{name} ({count:,})", name)
        index = self.source.findData(chosen) if chosen else 0
        self.source.setCurrentIndex(max(0, index))
        self.source.blockSignals(False)

    # --- live tail and paging -------------------------------------------------------------

    @Slot(bool)
    def _toggle_live(self, live: bool) -> None:
        if live:
            self._poll_tail()
            self._tail.start()
        else:
            self._tail.stop()
        self._update_status()

    @Slot()
    def _poll_tail(self) -> None:
        if not self._ready:
            return
        query, after = self._query, self._cursor
        self._jobs.submit("logs.tail", lambda conn: fetch_logs(conn, query, after_id=after, limit=_PAGE))
        # The source list grows with new loggers; it is a cheap grouped count.
        self._jobs.submit("logs.sources", log_sources)

    @Slot(int)
    def _maybe_load_older(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if self._loading_older or self._exhausted or value < bar.maximum() - 10 * 22:
            return
        oldest = self.model.oldest_id
        if oldest is None:
            return
        self._loading_older = True
        query = self._query
        self._jobs.submit("logs.older", lambda conn: fetch_logs(conn, query, before_id=oldest, limit=_PAGE))

    # --- detail and related events --------------------------------------------------------

    @Slot(QItemSelection, QItemSelection)
    def _select(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._selected = self.model.row_at(rows[0].row()) if rows else None
        log = self._selected
        self.trace_button.setEnabled(bool(log and log.trace_id))
        self.session_button.setEnabled(bool(log and log.session_id))
        if log is None:
            self.detail.clear()
            return
        lines = [
            f"{clock(log.ts)}  {log.level.upper()}  {log.source or ''}".rstrip(),
            "",
            log.message,
            "",
        ]
        for label, value in (
            ("project", log.project), ("environment", log.environment), ("session", log.session_id),
            ("user", log.user_id), ("trace", log.trace_id), ("span", log.span_id),
        ):
            if value:
                lines.append(f"{label}: {value}")
        if log.attributes:
            lines += ["", orjson.dumps(log.attributes, option=orjson.OPT_INDENT_2).decode()]
        self.detail.setPlainText("\n".join(lines))

    def _show_related(self, via: str) -> None:
        log = self._selected
        if log is None:
            return
        trace = log.trace_id if via == "trace" else None
        session = log.session_id if via == "session" else None
        anchor = log.ts
        self._jobs.submit(
            "logs.related",
            lambda conn: (via, anchor, related_events(conn, trace_id=trace, session_id=session)),
        )

    def _fill_related(self, via: str, anchor: int, events: list[RelatedEvent]) -> None:
        self.related_title.setText(f"{len(events)} events of this {via}, times relative to the log")
        self.related.setRowCount(len(events))
        for row, event in enumerate(events):
            offset = (event.ts - anchor) / 1000
            cells = (f"{offset:+.3f} s", event.kind, event.summary.replace("\n", " "))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, event.event_id)
                self.related.setItem(row, column, item)
        self.related.resizeColumnToContents(0)
        self.related.resizeColumnToContents(1)
        self.relatedShown.emit()

    # --- status ---------------------------------------------------------------------------

    def _update_status(self) -> None:
        shown = self.model.rowCount()
        more = "" if self._exhausted else "+ (scroll for older)"
        mode = "live" if self.live.isChecked() else "paused"
        self.status.setText(f"{shown:,}{more} lines · {mode}")

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()
