"""The Analytics panel's Sessions tab: the sessions of the range, newest first, and one's timeline.

The list (:func:`~console.core.store.session_queries.list_sessions`) shows each session's
user, device and platform, start, duration, pages, errors and conversions, narrowed by a
search (user or session id) and the "with errors" and "converted" filters, with the total
that match. It is read again on every refresh the panel asks for (every few seconds while
visible), keeping the selected session selected. Selecting a session reads its timeline
(:func:`~console.core.store.session_queries.session_timeline`) into a
:class:`~console.gui.analytics.timeline.TimelineView` below, read again when the session has
grown. Scrolling to the bottom of the list asks for more sessions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.store.session_queries import (
    SessionPage,
    SessionRow,
    TimelineItem,
    list_sessions,
    session_timeline,
)
from console.gui.analytics.timeline import TimelineView, duration_text, moment_text
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import Column, ColumnTableModel, refill, select_keys

__all__ = ["SessionTableModel", "SessionsTab", "conversions_text", "session_key", "session_table"]

#: Sessions asked for at a time; scrolling to the end of the list asks for this many more.
PAGE = 500
#: At most this many events of a session go in its timeline.
TIMELINE_LIMIT = 2_000

_Index = QModelIndex | QPersistentModelIndex


def session_key(row: SessionRow) -> str:
    """A session's key in the tables: 'project/session id'."""
    return f"{row.project}/{row.session_id}"


def conversions_text(count: int, value: float | None) -> str:
    """Conversions with their value when there is one: '2 · 249.00'; '0' for none."""
    if count and value:
        return f"{count:,} · {value:,.2f}"
    return f"{count:,}"


class SessionTableModel(ColumnTableModel[SessionRow]):
    """Sessions in the store's order (newest first); errors in red, conversions in green."""

    def __init__(self) -> None:
        columns: list[Column[SessionRow]] = [
            Column("Start", lambda r: moment_text(r.started), lambda r: r.started, numeric=False),
            Column("User", lambda r: r.user_id or "anonymous", lambda r: r.user_id or "", numeric=False),
            Column("Device", lambda r: r.device or "–", lambda r: r.device or "", numeric=False),
            Column("Platform", lambda r: r.platform or "–", lambda r: r.platform or "", numeric=False),
            Column("Duration", lambda r: duration_text(r.duration_ms), lambda r: r.duration_ms),
            Column("Pages", lambda r: f"{r.page_views:,}", lambda r: r.page_views),
            Column("Errors", lambda r: f"{r.errors:,}", lambda r: r.errors),
            Column("Conversions", lambda r: conversions_text(r.conversions, r.conversion_value),
                   lambda r: r.conversions),
            Column("Entry page", lambda r: r.entry_route or "–", lambda r: r.entry_route or "", numeric=False,
                   tooltip=lambda r: f"{r.entry_route or '–'} → {r.exit_route or '–'}"),
            Column("Session", lambda r: r.session_id, lambda r: r.session_id, numeric=False,
                   tooltip=lambda r: f"{r.project} · {r.session_id} · {r.events:,} events"
                   + (f" · release {r.release}" if r.release else "")),
        ]
        super().__init__(columns, key=session_key)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.row() < len(self.rows):
            row, header = self.rows[index.row()], self.columns[index.column()].header
            if header == "Errors" and row.errors:
                return QBrush(QColor("#c5221f"))
            if header == "Conversions" and row.conversions:
                return QBrush(QColor("#137333"))
            return None
        return super().data(index, role)


def session_table(model: SessionTableModel) -> QTableView:
    """A read-only, row-selecting table of sessions with readable column widths."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    widths = {"Start": 125, "User": 110, "Device": 130, "Platform": 80, "Duration": 90, "Pages": 60,
              "Errors": 60, "Conversions": 100, "Entry page": 190}
    for column, spec in enumerate(model.columns):
        if spec.header in widths:
            header.resizeSection(column, widths[spec.header])
    header.setStretchLastSection(True)
    return table


class SessionsTab(QWidget):
    """The sessions of the panel's range and the selected one's timeline; see the module docstring.

    Signals:
        answered(): a list (or the store's failure) has been shown.
        listShown(): the sessions list was filled.
        timelineShown(): the selected session's timeline was filled.
        openRequested(object): a timeline item to open in its own panel (a TimelineItem).
    """

    answered = Signal()
    listShown = Signal()
    timelineShown = Signal()
    openRequested = Signal(object)

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self._limit = PAGE
        self._total = 0
        self._exhausted = True
        self._asking_more = False
        self.page: SessionPage | None = None
        self._selected: SessionRow | None = None

        self.search = QLineEdit(placeholderText="Search a user or session id…")
        self.search.setClearButtonEnabled(True)
        self.with_errors = QCheckBox("With errors")
        self.converted = QCheckBox("Converted")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #5f6368;")
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.with_errors)
        bar.addWidget(self.converted)
        bar.addWidget(self.search, 1)

        self.model = SessionTableModel()
        self.table = session_table(self.model)
        self.timeline = TimelineView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.timeline)
        split.setSizes([420, 380])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._narrowed)
        self.search.textChanged.connect(self._debounce.start)
        self.with_errors.toggled.connect(self._narrowed)
        self.converted.toggled.connect(self._narrowed)
        span.changed.connect(lambda _key: self._reset_limit())
        self.table.selectionModel().selectionChanged.connect(self._session_selected)
        self.table.verticalScrollBar().valueChanged.connect(self._maybe_ask_more)
        self.timeline.openRequested.connect(self.openRequested)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # --- what the panel calls -------------------------------------------------------------

    @property
    def selected(self) -> SessionRow | None:
        """The session whose timeline is shown."""
        return self._selected

    @property
    def total(self) -> int:
        """How many sessions match the range and filters (the list shows at most its limit)."""
        return self._total

    def refresh(self) -> None:
        """Read the list again (and the timeline, when the selected session has grown)."""
        start, _end = self._span.span()
        text = self.search.text().strip() or None
        errors, converted, limit = self.with_errors.isChecked(), self.converted.isChecked(), self._limit

        def job(conn: sqlite3.Connection) -> SessionPage:
            return list_sessions(
                conn, limit=limit, text=text, with_errors=errors, converted=converted, start_ms=start,
            )

        self._jobs.submit("analytics.sessions", job)

    def open_first(self) -> bool:
        """Select the newest listed session that hit an error or converted (else the newest),
        as a user looking for what happened would; False when there is none."""
        if self.model.rowCount() == 0:
            return False
        rows = self.model.rows
        row = next((i for i, s in enumerate(rows) if s.errors or s.conversions), 0)
        self.table.selectRow(row)
        return True

    def choose(self, project: str, session_id: str) -> bool:
        """Select the session ``session_id`` of ``project`` when it is listed; False if not."""
        key = f"{project}/{session_id}"
        if self.model.row_of(key) is None:
            return False
        select_keys(self.table, self.model, [key])
        return True

    # --- answers --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.sessions":
            self._show_page(result)
        elif key == "analytics.timeline":
            session, items = result
            if self._selected is not None and session_key(session) == session_key(self._selected):
                self.timeline.show_timeline(session, items, limit=TIMELINE_LIMIT)
                self.timelineShown.emit()

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key in ("analytics.sessions", "analytics.timeline"):
            self._asking_more = False
            self.status.setText(f"cannot read the store — {message}")
            self.answered.emit()

    def _show_page(self, page: SessionPage) -> None:
        self.page = page
        self._asking_more = False
        self._total = page.total
        self._exhausted = len(page.rows) >= page.total
        chosen = [session_key(self._selected)] if self._selected is not None else []
        refill(self.table, self.model, page.rows, chosen)
        shown = len(page.rows)
        noun = "session" if page.total == 1 else "sessions"
        listed = f" · newest {shown:,} listed" if shown < page.total else ""
        self.status.setText(f"{page.total:,} {noun} · {self._span.label.lower()}{listed}")
        if not page.rows:
            self.timeline.clear(self._empty_text())
        if self._selected is not None:
            row = self.model.row_of(session_key(self._selected))
            if row is None:
                self._selected = None
                self.timeline.clear(self._empty_text() if not page.rows else "Select a session to see its timeline")
            else:
                fresh = self.model.rows[row]
                if (fresh.events, fresh.ended) != (self._selected.events, self._selected.ended):
                    self._read_timeline(fresh)
        self.listShown.emit()
        self.answered.emit()

    def _empty_text(self) -> str:
        if self.search.text().strip() or self.with_errors.isChecked() or self.converted.isChecked():
            return "No session matches this search and these filters"
        return (f"No sessions in the {self._span.label.lower().removeprefix('last ')} — sessions appear as "
                "the apps send events with a session id")

    # --- the user's choices ---------------------------------------------------------------

    @Slot()
    def _narrowed(self) -> None:
        self._reset_limit()
        self.refresh()

    def _reset_limit(self) -> None:
        self._limit = PAGE

    @Slot(int)
    def _maybe_ask_more(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if self._asking_more or self._exhausted or value < bar.maximum() - 5 * 22:
            return
        self._asking_more = True
        self._limit += PAGE
        self.refresh()

    @Slot()
    def _session_selected(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.model.rowCount():
            return
        session = self.model.rows[rows[0].row()]
        if self._selected is not None and session_key(session) == session_key(self._selected):
            return
        self._selected = session
        self.timeline.clear(f"Reading the timeline of session {session.session_id}…")
        self._read_timeline(session)

    def _read_timeline(self, session: SessionRow) -> None:
        self._selected = session
        project, session_id = session.project, session.session_id

        def job(conn: sqlite3.Connection) -> tuple[SessionRow, Sequence[TimelineItem]]:
            return session, session_timeline(conn, project, session_id, limit=TIMELINE_LIMIT)

        self._jobs.submit("analytics.timeline", job)
