"""The Analytics panel's Users tab: who the apps identified, their properties and their sessions.

The list (:func:`~console.core.store.session_queries.list_users`, last seen first) shows
each user with the properties the app sent when it identified them (the brief's
``identifyUser``), first and last seen, sessions, conversions with their value, and errors;
the panel's range keeps users last seen in it. Selecting a user shows, below the list, all their
properties and their sessions (:func:`~console.core.store.session_queries.user_sessions`); selecting one
of those sessions shows its timeline, whose items open in their own panels as on the
Sessions tab.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
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
    SessionRow,
    TimelineItem,
    UserRow,
    list_users,
    session_timeline,
    user_sessions,
)
from console.gui.analytics.sessions import (
    TIMELINE_LIMIT,
    SessionTableModel,
    conversions_text,
    session_key,
    session_table,
)
from console.gui.analytics.timeline import TimelineView, moment_text
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import Column, ColumnTableModel, refill, select_keys

__all__ = ["UserTableModel", "UsersTab", "properties_text", "user_key"]

_USERS = 500
_USER_SESSIONS = 200


def user_key(row: UserRow) -> str:
    """A user's key in the table: 'project/user id'."""
    return f"{row.project}/{row.user_id}"


def properties_text(properties: dict[str, Any], *, separator: str = ", ") -> str:
    """A user's properties as 'city=Hangzhou, plan=gold' (sorted by name); '' for none."""
    return separator.join(f"{key}={value}" for key, value in sorted(properties.items()))


class UserTableModel(ColumnTableModel[UserRow]):
    """Users in the store's order (last seen first)."""

    def __init__(self) -> None:
        columns: list[Column[UserRow]] = [
            Column("User", lambda r: r.user_id, lambda r: r.user_id, numeric=False,
                   tooltip=lambda r: f"{r.project} · {r.user_id}" + ("" if r.identified else " (not identified)")),
            Column("Properties", lambda r: properties_text(r.properties) or "–", lambda r: len(r.properties),
                   numeric=False, tooltip=lambda r: properties_text(r.properties, separator="\n") or "no properties"),
            Column("First seen", lambda r: moment_text(r.first_seen), lambda r: r.first_seen, numeric=False),
            Column("Last seen", lambda r: moment_text(r.last_seen), lambda r: r.last_seen, numeric=False),
            Column("Sessions", lambda r: f"{r.sessions:,}", lambda r: r.sessions),
            Column("Conversions", lambda r: conversions_text(r.conversions, r.conversion_value),
                   lambda r: r.conversions),
            Column("Errors", lambda r: f"{r.errors:,}", lambda r: r.errors),
        ]
        super().__init__(columns, key=user_key)


def _user_table(model: UserTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    for column, width in enumerate((110, 380, 125, 125, 75, 110, 60)):
        header.resizeSection(column, width)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(False)
    return table


#: What a user's own sessions table leaves out: the user it is about, and what fits in a tooltip.
_USER_SESSION_HIDDEN = ("User", "Platform", "Entry page")


class UsersTab(QWidget):
    """Identified users, one's properties and sessions, and a session's timeline.

    Signals:
        answered(): a list (or the store's failure) has been shown.
        listShown(): the users list was filled.
        sessionsShown(): the selected user's sessions were listed.
        timelineShown(): the selected session's timeline was filled.
        openRequested(object): a timeline item to open in its own panel (a TimelineItem).
    """

    answered = Signal()
    listShown = Signal()
    sessionsShown = Signal()
    timelineShown = Signal()
    openRequested = Signal(object)

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self._user: UserRow | None = None
        self._session: SessionRow | None = None

        self.search = QLineEdit(placeholderText="Search a user id…")
        self.search.setClearButtonEnabled(True)
        self.identified_only = QCheckBox("Identified only")
        self.identified_only.setChecked(True)
        self.identified_only.setToolTip("Only users the app identified (identifyUser), not every user id seen")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #5f6368;")
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.identified_only)
        bar.addWidget(self.search, 1)

        self.model = UserTableModel()
        self.table = _user_table(self.model)
        self.heading = QLabel("Select a user to see their properties and sessions")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-weight: 600; color: #3c4043;")
        self.heading.setWordWrap(True)
        self.properties = QLabel("")
        self.properties.setTextFormat(Qt.TextFormat.PlainText)
        self.properties.setWordWrap(True)
        self.properties.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sessions = SessionTableModel()
        self.session_table = session_table(self.sessions)
        for column, spec in enumerate(self.sessions.columns):
            self.session_table.setColumnHidden(column, spec.header in _USER_SESSION_HIDDEN)
        self.timeline = TimelineView()

        about = QWidget()
        about_layout = QVBoxLayout(about)
        about_layout.setContentsMargins(0, 4, 0, 0)
        about_layout.addWidget(self.heading)
        about_layout.addWidget(self.properties)
        about_layout.addWidget(self.session_table, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(about)
        lower.addWidget(self.timeline)
        lower.setSizes([560, 640])
        lower.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([330, 420])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._debounce.start)
        self.identified_only.toggled.connect(lambda _on: self.refresh())
        self.table.selectionModel().selectionChanged.connect(self._user_selected)
        self.session_table.selectionModel().selectionChanged.connect(self._session_selected)
        self.timeline.openRequested.connect(self.openRequested)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    @property
    def selected(self) -> UserRow | None:
        """The user whose sessions are shown."""
        return self._user

    def refresh(self) -> None:
        """Read the users again (and the chosen user's sessions, when they have changed)."""
        start, _end = self._span.span()
        text = self.search.text().strip() or None
        identified = self.identified_only.isChecked()

        def job(conn: sqlite3.Connection) -> list[UserRow]:
            users = list_users(conn, limit=_USERS, text=text, identified_only=identified)
            return [u for u in users if start is None or (u.last_seen is not None and u.last_seen >= start)]

        self._jobs.submit("analytics.users", job)

    def choose(self, project: str, user_id: str) -> bool:
        """Select the user ``user_id`` of ``project`` when listed, as a click would; False if not."""
        key = f"{project}/{user_id}"
        if self.model.row_of(key) is None:
            return False
        select_keys(self.table, self.model, [key])
        return True

    def choose_session(self, row: int = 0) -> bool:
        """Select the chosen user's session in ``row``, as a click would; False if there is none."""
        if row >= self.sessions.rowCount():
            return False
        self.session_table.selectRow(row)
        return True

    # --- answers --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.users":
            self._show_users(result)
        elif key == "analytics.user_sessions":
            user, sessions = result
            if self._user is not None and user_key(user) == user_key(self._user):
                self._show_sessions(sessions)
        elif key == "analytics.user_timeline":
            session, items = result
            if self._session is not None and session_key(session) == session_key(self._session):
                self.timeline.show_timeline(session, items, limit=TIMELINE_LIMIT)
                self.timelineShown.emit()

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key in ("analytics.users", "analytics.user_sessions", "analytics.user_timeline"):
            self.status.setText(f"cannot read the store — {message}")
            self.answered.emit()

    def _show_users(self, users: list[UserRow]) -> None:
        chosen = [user_key(self._user)] if self._user is not None else []
        refill(self.table, self.model, users, chosen)
        count = len(users)
        kind = "identified user" if self.identified_only.isChecked() else "user"
        more = "+" if count >= _USERS else ""
        self.status.setText(f"{count:,}{more} {kind}{'s' if count != 1 else ''} seen · {self._span.label.lower()}")
        if self._user is not None:
            row = self.model.row_of(user_key(self._user))
            if row is None:
                self._forget_user()
            else:
                fresh = self.model.rows[row]
                if (fresh.sessions, fresh.last_seen, fresh.properties) != (
                    self._user.sessions, self._user.last_seen, self._user.properties
                ):
                    self._read_user(fresh)
        elif not users:
            self.heading.setText(
                "No identified users in this range — users appear when the app identifies them (identifyUser)"
                if self.identified_only.isChecked() else "No users in this range"
            )
        self.listShown.emit()
        self.answered.emit()

    def _show_sessions(self, sessions: Sequence[SessionRow]) -> None:
        chosen = [session_key(self._session)] if self._session is not None else []
        refill(self.session_table, self.sessions, sessions, chosen)
        if self._session is not None:
            row = self.sessions.row_of(session_key(self._session))
            if row is None:
                self._session = None
                self.timeline.clear("Select one of their sessions to see its timeline")
            elif (self.sessions.rows[row].events, self.sessions.rows[row].ended) != (
                self._session.events, self._session.ended
            ):
                self._read_timeline(self.sessions.rows[row])
        self.sessionsShown.emit()

    # --- the user's choices ---------------------------------------------------------------

    def _forget_user(self) -> None:
        self._user = None
        self._session = None
        self.heading.setText("Select a user to see their properties and sessions")
        self.properties.setText("")
        self.sessions.set_rows([])
        self.timeline.clear("")

    @Slot()
    def _user_selected(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.model.rowCount():
            return
        user = self.model.rows[rows[0].row()]
        if self._user is not None and user_key(user) == user_key(self._user):
            return
        self._session = None
        self.sessions.set_rows([])
        self.timeline.clear("Select one of their sessions to see its timeline")
        self._read_user(user)

    def _read_user(self, user: UserRow) -> None:
        self._user = user
        value = f" ({user.conversion_value:,.2f})" if user.conversions and user.conversion_value else ""
        self.heading.setText(
            f"{user.user_id} — {user.sessions:,} session{'s' if user.sessions != 1 else ''}, "
            f"{user.conversions:,} conversion{'s' if user.conversions != 1 else ''}{value}, "
            f"first seen {moment_text(user.first_seen)}, last seen {moment_text(user.last_seen)}"
        )
        self.properties.setText(properties_text(user.properties, separator="\n") or "No properties were sent")
        project, user_id = user.project, user.user_id

        def job(conn: sqlite3.Connection) -> tuple[UserRow, list[SessionRow]]:
            return user, user_sessions(conn, project, user_id, limit=_USER_SESSIONS)

        self._jobs.submit("analytics.user_sessions", job)

    @Slot()
    def _session_selected(self, *_args: object) -> None:
        rows = self.session_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.sessions.rowCount():
            return
        session = self.sessions.rows[rows[0].row()]
        if self._session is not None and session_key(session) == session_key(self._session):
            return
        self.timeline.clear(f"Reading the timeline of session {session.session_id}…")
        self._read_timeline(session)

    def _read_timeline(self, session: SessionRow) -> None:
        self._session = session
        project, session_id = session.project, session.session_id

        def job(conn: sqlite3.Connection) -> tuple[SessionRow, list[TimelineItem]]:
            return session, session_timeline(conn, project, session_id, limit=TIMELINE_LIMIT)

        self._jobs.submit("analytics.user_timeline", job)
