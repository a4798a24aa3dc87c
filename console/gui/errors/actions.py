"""The Errors panel's action buttons: resolve, reopen, ignore, merge and delete.

:class:`IssueActionBar` turns a click (or the panel's "r" key) on the selected issues into
an :class:`~console.core.store.issue_actions.IssueAction` and hands it to the ``actions``
object, which has the store's single writer carry it out; the window never writes. Merge
and delete ask first. The bar says what is under way, what was done and what failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import Qt, Signal, SignalInstance, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QMessageBox, QPushButton, QWidget

from console.core.store.issue_actions import IssueAction
from console.core.store.issue_queries import IssueRow

__all__ = ["IGNORE_CHOICES", "ActionSink", "IssueActionBar"]

#: The Ignore menu: label, more events to wait for, milliseconds to wait (both None: forever).
IGNORE_CHOICES = (
    ("Until 10 more events", 10, None),
    ("Until 100 more events", 100, None),
    ("For 1 hour", None, 3_600_000),
    ("For 24 hours", None, 86_400_000),
    ("Forever", None, None),
)
_PAST = {"resolve": "Resolved", "reopen": "Reopened", "ignore": "Ignored", "merge": "Merged", "delete": "Deleted"}
_UNAVAILABLE = "Issue actions are not available in this window"


class ActionSink(Protocol):
    """What the bar needs of its ``actions`` object (``IssueActionClient`` in the window)."""

    done: SignalInstance
    failed: SignalInstance

    def request(self, action: IssueAction) -> None: ...


def _issues(n: int) -> str:
    return f"{n} issue{'' if n == 1 else 's'}"


class IssueActionBar(QWidget):
    """Buttons acting on the issues the panel says are selected (:meth:`set_selection`).

    ``confirm(title, text) -> bool`` asks before merge and delete (a message box unless
    given, so tests can answer). Merge joins every selected issue into the first selected.

    Signals:
        applied(object): the writer carried out this IssueAction (read the list again).
    """

    applied = Signal(object)

    def __init__(
        self,
        *,
        actions: ActionSink | None,
        confirm: Callable[[str, str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._confirm = confirm or self._ask
        self._selected: list[IssueRow] = []

        self.resolve_button = QPushButton("Resolve")
        self.reopen_button = QPushButton("Reopen")
        self.ignore_button = QPushButton("Ignore")
        self.ignore_menu = QMenu(self.ignore_button)
        for label, events, for_ms in IGNORE_CHOICES:
            self.ignore_menu.addAction(label).triggered.connect(
                lambda _checked=False, e=events, f=for_ms: self.ignore(for_events=e, for_ms=f)
            )
        self.ignore_button.setMenu(self.ignore_menu)
        self.merge_button = QPushButton("Merge")
        self.delete_button = QPushButton("Delete")
        self.selection_label = QLabel("")
        self.selection_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel("")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        tips = (
            (self.resolve_button, "Resolve the selected issues (r)"),
            (self.reopen_button, "Put the selected issues back in the inbox"),
            (self.ignore_button, "Hide the selected issues from the inbox for a while"),
            (self.merge_button, "Merge the selected issues into the first one selected"),
            (self.delete_button, "Delete the selected issues and their events"),
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button, tip in tips:
            button.setToolTip(tip if actions is not None else _UNAVAILABLE)
            layout.addWidget(button)
        layout.addWidget(self.selection_label)
        layout.addWidget(self.note, 1)

        self.resolve_button.clicked.connect(lambda: self.act("resolve"))
        self.reopen_button.clicked.connect(lambda: self.act("reopen"))
        self.merge_button.clicked.connect(lambda: self.act("merge"))
        self.delete_button.clicked.connect(lambda: self.act("delete"))
        if actions is not None:
            actions.done.connect(self._done)
            actions.failed.connect(self._failed)
        self.set_selection([])

    def set_selection(self, issues: Sequence[IssueRow]) -> None:
        """The issues the buttons act on, in the order the user selected them."""
        self._selected = list(issues)
        statuses = {issue.status for issue in issues}
        can = self._actions is not None
        self.resolve_button.setEnabled(can and bool(statuses - {"resolved"}))
        self.reopen_button.setEnabled(can and bool(statuses & {"resolved", "ignored"}))
        self.ignore_button.setEnabled(can and bool(statuses - {"ignored"}))
        self.merge_button.setEnabled(can and len(issues) >= 2)
        self.delete_button.setEnabled(can and bool(issues))
        self.selection_label.setText(f"{len(issues)} selected" if len(issues) > 1 else "")

    def act(self, kind: str) -> bool:
        """Ask for ``kind`` (resolve, reopen, merge, delete) on the selected issues; False when
        nothing was asked (nothing selected, not confirmed, no actions object)."""
        issues = self._selected
        if not issues or self._actions is None:
            return False
        ids = tuple(issue.id for issue in issues)
        if kind == "merge":
            if len(ids) < 2:
                return False
            into = issues[0]
            text = (f"Merge {_issues(len(ids) - 1)} into “{into.title[:120]}”? "
                    "Their events move there, and so will their future events.")
            if not self._confirm("Merge issues", text):
                return False
            return self._request(IssueAction(kind="merge", issue_ids=ids[1:], into=into.id))
        if kind == "delete":
            events = sum(issue.event_count for issue in issues)
            if not self._confirm("Delete issues", f"Delete {_issues(len(ids))} and {events:,} events? This cannot be undone."):
                return False
            return self._request(IssueAction(kind="delete", issue_ids=ids))
        if kind == "resolve":
            return self._request(IssueAction(kind="resolve", issue_ids=ids))
        if kind == "reopen":
            return self._request(IssueAction(kind="reopen", issue_ids=ids))
        raise ValueError(f"unknown action {kind!r}")

    def ignore(self, *, for_events: int | None = None, for_ms: int | None = None) -> bool:
        """Ignore the selected issues until ``for_events`` more events and/or for ``for_ms``
        (neither: for good); False when nothing was asked."""
        if not self._selected or self._actions is None:
            return False
        until = None if for_ms is None else int(time.time() * 1000) + for_ms
        return self._request(IssueAction(
            kind="ignore", issue_ids=tuple(i.id for i in self._selected),
            ignore_for_events=for_events, ignore_until_ms=until,
        ))

    def _request(self, action: IssueAction) -> bool:
        assert self._actions is not None
        self._say(f"{action.kind} {_issues(len(action.issue_ids))}…", failed=False)
        self._actions.request(action)
        return True

    @Slot(object)
    def _done(self, action: IssueAction) -> None:
        self._say(f"{_PAST.get(action.kind, action.kind)} {_issues(len(action.issue_ids))}", failed=False)
        self.applied.emit(action)

    @Slot(object, str)
    def _failed(self, action: IssueAction, message: str) -> None:
        self._say(f"Could not {action.kind}: {message}", failed=True)

    def _say(self, text: str, *, failed: bool) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #c5221f;" if failed else "color: #3c4043;")

    def _ask(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes
