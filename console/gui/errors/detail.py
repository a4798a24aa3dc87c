"""The issue detail: a header, navigation between the issue's events, and five tabs.

:class:`IssueDetail` shows one issue at a time. It asks the window's
:class:`~console.gui.jobs.StoreJobs` for the issue's event ids and its newest event in
full (with the session timeline around it and the payload's JSON, made on the query
thread), then lets the user walk the events: newest, oldest, older, newer. The tabs are
Exception (the chain, lazily built), Breadcrumbs, Context, Session and Raw.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.error_detail import ErrorDetail
from console.core.store.issue_queries import (
    IssueRow,
    TimelineEvent,
    error_detail,
    issue_event_ids,
    session_timeline,
)
from console.gui.errors.breadcrumbs import BreadcrumbsPane, json_text
from console.gui.errors.model import LEVEL_COLORS, describe_status, one_line, relative_time
from console.gui.errors.stack import ExceptionPane
from console.gui.errors.tabs import ContextPane, RawPane, SessionPane
from console.gui.jobs import StoreJobs
from console.gui.text import plain_tooltip

__all__ = ["EventAnswer", "IssueDetail", "load_event"]

_STATUS_STYLE = {
    "regressed": "color: white; background: #c5221f;",
    "resolved": "color: white; background: #188038;",
    "ignored": "color: white; background: #80868b;",
    "unresolved": "color: #174ea6; background: #d2e3fc;",
}


@dataclass(frozen=True, slots=True)
class EventAnswer:
    """What the query thread answers for one event of an issue."""

    issue_id: int
    event_ids: tuple[int, ...]
    index: int
    detail: ErrorDetail | None
    timeline: tuple[TimelineEvent, ...]
    pretty: str


def load_event(conn: sqlite3.Connection, issue_id: int, event_ids: tuple[int, ...] | None, index: int) -> EventAnswer:
    """One event of an issue in full: the ``index``-th of ``event_ids`` (oldest first; -1 is
    the newest), the ids read first when not given. Runs on the query thread."""
    ids = tuple(issue_event_ids(conn, issue_id)) if event_ids is None else event_ids
    if not ids:
        return EventAnswer(issue_id, ids, -1, None, (), "")
    index = index % len(ids) if index < 0 else min(index, len(ids) - 1)
    detail = error_detail(conn, ids[index])
    if detail is None:
        return EventAnswer(issue_id, ids, index, None, (), "")
    timeline = tuple(session_timeline(conn, detail.event_id)) if detail.session_id else ()
    return EventAnswer(issue_id, ids, index, detail, timeline, json_text(detail.raw, indent=True))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _clock(ts_ms: int) -> str:
    return f"{datetime.fromtimestamp(ts_ms / 1000):%Y-%m-%d %H:%M:%S}"


def _plain_label(*, object_name: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(objectName=object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class IssueDetail(QWidget):
    """One issue's header, event navigation and tabs; see the module docstring.

    Signals:
        shown(): an event of the issue (or the news that it is gone) is on screen.
        backToList(): the user pressed Escape to return to the issue list.
    """

    shown = Signal()
    backToList = Signal()

    def __init__(self, *, jobs: StoreJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._issue: IssueRow | None = None
        self._ids: tuple[int, ...] = ()
        self._index = -1
        self._detail: ErrorDetail | None = None
        self._now_ms = 0

        self.placeholder = QLabel("Select an issue to read its newest event")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #5f6368; font-size: 13px;")

        self.level_badge = _plain_label(object_name="levelBadge")
        self.status_badge = _plain_label(object_name="statusBadge")
        self.title_label = _plain_label(object_name="issueTitle")
        self.title_label.setStyleSheet("font-size: 15px; font-weight: 600; color: #202124;")
        self.culprit_label = _plain_label(object_name="issueCulprit")
        self.culprit_label.setStyleSheet("color: #5f6368;")
        self.counts_label = _plain_label()
        self.message_label = _plain_label(object_name="eventMessage", wrap=True)
        self.message_label.setMaximumHeight(40)
        self.event_label = _plain_label()
        self.event_label.setStyleSheet("color: #3c4043;")

        self.oldest_button = QPushButton("« Oldest")
        self.older_button = QPushButton("‹ Older")
        self.newer_button = QPushButton("Newer ›")
        self.newest_button = QPushButton("Newest »")
        self.position_label = _plain_label()
        self.position_label.setMinimumWidth(110)
        self.position_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.exception = ExceptionPane()
        self.breadcrumbs = BreadcrumbsPane()
        self.context = ContextPane()
        self.session = SessionPane()
        self.raw = RawPane()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for pane, title in (
            (self.exception, "Exception"), (self.breadcrumbs, "Breadcrumbs"), (self.context, "Context"),
            (self.session, "Session"), (self.raw, "Raw"),
        ):
            self.tabs.addTab(pane, title)

        badges = QHBoxLayout()
        badges.setContentsMargins(0, 0, 0, 0)
        badges.addWidget(self.level_badge)
        badges.addWidget(self.status_badge)
        badges.addWidget(self.title_label, 1)
        navigation = QHBoxLayout()
        navigation.setContentsMargins(0, 0, 0, 0)
        navigation.addWidget(self.event_label, 1)
        for widget in (self.oldest_button, self.older_button, self.position_label, self.newer_button,
                       self.newest_button):
            navigation.addWidget(widget)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 6, 0, 0)
        column.setSpacing(3)
        column.addLayout(badges)
        column.addWidget(self.culprit_label)
        column.addWidget(self.counts_label)
        column.addWidget(self.message_label)
        column.addLayout(navigation)
        column.addWidget(self.tabs, 1)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self.oldest_button.clicked.connect(lambda: self.go_to(0))
        self.older_button.clicked.connect(lambda: self.go_to(self._index - 1))
        self.newer_button.clicked.connect(lambda: self.go_to(self._index + 1))
        self.newest_button.clicked.connect(lambda: self.go_to(len(self._ids) - 1))
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)
        self._update_navigation()

    # --- what the panel calls -------------------------------------------------------------

    @property
    def issue(self) -> IssueRow | None:
        """The issue shown, None when none is."""
        return self._issue

    @property
    def detail(self) -> ErrorDetail | None:
        """The event shown in full, None while loading or when it is gone."""
        return self._detail

    @property
    def position(self) -> tuple[int, int]:
        """(the shown event's number counted from the oldest, 1 first; how many events)."""
        return self._index + 1, len(self._ids)

    def show_issue(self, issue: IssueRow | None, *, now_ms: int) -> None:
        """Show ``issue`` from its newest event; the same issue again only refreshes its
        header (and its event ids when it has more events now)."""
        self._now_ms = now_ms
        previous, self._issue = self._issue, issue
        if issue is None:
            self._detail, self._ids, self._index = None, (), -1
            self.pages.setCurrentIndex(0)
            return
        self.pages.setCurrentIndex(1)
        self._show_header(issue)
        if previous is not None and previous.id == issue.id:
            if previous.event_count != issue.event_count:
                issue_id = issue.id
                self._jobs.submit("errors.ids", lambda conn: (issue_id, tuple(issue_event_ids(conn, issue_id))))
            return
        self._ids, self._index, self._detail = (), -1, None
        self.event_label.setText("loading the newest event…")
        self._update_navigation()
        issue_id = issue.id
        self._jobs.submit("errors.event", lambda conn: load_event(conn, issue_id, None, -1))

    def go_to(self, index: int) -> None:
        """Show the ``index``-th event of the issue, oldest first (clamped to the ids)."""
        if self._issue is None or not self._ids:
            return
        index = max(0, min(index, len(self._ids) - 1))
        issue_id, ids = self._issue.id, self._ids
        self._index = index
        self._update_navigation()
        self._jobs.submit("errors.event", lambda conn: load_event(conn, issue_id, ids, index))

    def focus_tabs(self) -> None:
        """Move the keyboard focus into the detail (the current tab)."""
        widget = self.tabs.currentWidget()
        target = {self.exception: self.exception.tree, self.breadcrumbs: self.breadcrumbs.table,
                  self.context: self.context.tree, self.session: self.session.table,
                  self.raw: self.raw.text}.get(widget, self.tabs)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.backToList.emit()
            return
        super().keyPressEvent(event)

    # --- results --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: object) -> None:
        if key == "errors.event" and isinstance(result, EventAnswer):
            if self._issue is None or result.issue_id != self._issue.id:
                return
            self._ids, self._index, self._detail = result.event_ids, result.index, result.detail
            self._show_event(result)
            self._update_navigation()
            self.shown.emit()
        elif key == "errors.ids" and isinstance(result, tuple):
            issue_id, ids = result
            if self._issue is not None and issue_id == self._issue.id and self._ids:
                shown = self._ids[self._index] if 0 <= self._index < len(self._ids) else None
                self._ids = ids
                self._index = ids.index(shown) if shown in ids else len(ids) - 1
                self._update_navigation()

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key in ("errors.event", "errors.ids"):
            self.event_label.setText(f"cannot read the store — {message}")
            self.shown.emit()

    # --- rendering ------------------------------------------------------------------------

    def _show_header(self, issue: IssueRow) -> None:
        self.level_badge.setText(issue.level)
        color = LEVEL_COLORS.get(issue.level)
        self.level_badge.setStyleSheet(
            f"color: white; background: {color.name() if color else '#5f6368'}; border-radius: 3px; padding: 1px 6px;"
        )
        status = issue.status
        self.status_badge.setText(status)
        self.status_badge.setStyleSheet(
            _STATUS_STYLE.get(status, "") + "border-radius: 3px; padding: 1px 6px; font-weight: 600;"
        )
        self.status_badge.setToolTip(plain_tooltip(describe_status(issue)))
        self.title_label.setText(one_line(issue.title, 300))
        self.title_label.setToolTip(plain_tooltip(issue.title))
        self.culprit_label.setText(one_line(issue.culprit or "", 300))
        self.culprit_label.setToolTip(plain_tooltip(issue.culprit or ""))
        releases = ", ".join(issue.releases) if issue.releases else "no release"
        self.counts_label.setText(
            f"{_count(issue.event_count, 'event')} · {_count(issue.user_count, 'user')} · "
            f"first seen {relative_time(issue.first_seen, self._now_ms)} ({_clock(issue.first_seen)}) · "
            f"last seen {relative_time(issue.last_seen, self._now_ms)} ({_clock(issue.last_seen)}) · "
            f"releases: {releases} · project {issue.project}"
        )

    def _show_event(self, answer: EventAnswer) -> None:
        detail = answer.detail
        if detail is None:
            gone = "This issue has no event left (retention or deletion)" if not answer.event_ids else (
                "This event is gone (retention or deletion); try the newest"
            )
            self.event_label.setText(gone)
            self.message_label.setText("")
        else:
            parts = [_clock(detail.ts)]
            parts.append(f"release {detail.release}" if detail.release else "no release")
            parts.append(detail.environment or "no environment")
            if detail.user_id:
                parts.append(f"user {detail.user_id}")
            if detail.error_id:
                parts.append(f"id {detail.error_id}")
            parts.append(f"via {detail.sender}")
            self.event_label.setText(" · ".join(parts))
            self.event_label.setToolTip(plain_tooltip(" · ".join(parts)))
            self.message_label.setText(one_line(detail.message, 400))
            self.message_label.setToolTip(plain_tooltip(detail.message))
        self.exception.show_error(detail)
        crumbs = detail.breadcrumbs if detail else ()
        self.breadcrumbs.show_breadcrumbs(crumbs)
        self.context.show_error(detail)
        self.session.show_timeline(detail, answer.timeline)
        self.raw.show_error(detail, answer.pretty if detail else None)
        self.tabs.setTabText(1, f"Breadcrumbs ({len(crumbs)})")
        self.tabs.setTabText(3, f"Session ({len(answer.timeline)})")

    def _update_navigation(self) -> None:
        total = len(self._ids)
        known = total > 0 and self._index >= 0
        self.position_label.setText(f"event {self._index + 1:,} of {total:,}" if known else "–")
        self.oldest_button.setEnabled(known and self._index > 0)
        self.older_button.setEnabled(known and self._index > 0)
        self.newer_button.setEnabled(known and self._index < total - 1)
        self.newest_button.setEnabled(known and self._index < total - 1)
