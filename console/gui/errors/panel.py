"""The Errors panel: the error inbox, grouped into issues, with each issue's events in full.

The list shows the issues :func:`~console.core.store.issue_queries.list_issues` answers for
the filters (status, level, project, release, environment, time range, search) and sort,
re-queried every two seconds through the window's :class:`~console.gui.jobs.StoreJobs`
without losing the selection or the reader's place; issues first seen since the panel
opened are marked new. Selecting an issue opens it in the :class:`IssueDetail` below.
Resolve, reopen, ignore, merge and delete go to the ``actions`` object, which has the
store's writer carry them out (the window never writes); when it says done, the list is
read again. Keyboard: j/k move, Enter opens the detail, r resolves, Escape comes back.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.store.issue_actions import IssueAction
from console.core.store.issue_facets import IssueFacets, issue_facets
from console.core.store.issue_queries import ISSUE_STATUSES, IssueQuery, IssueRow, list_issues
from console.gui.errors.actions import ActionSink, IssueActionBar
from console.gui.errors.detail import IssueDetail
from console.gui.errors.model import SORT_COLUMNS, Column, IssueTableModel
from console.gui.errors.sparkline import SparklineDelegate
from console.gui.jobs import StoreJobs

__all__ = ["RANGES", "SORTS", "STATUS_FILTERS", "ErrorsPanel", "IssueTable", "ListAnswer"]

#: The status filter: label → IssueQuery.statuses (empty: the inbox).
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "Inbox (unresolved, regressed)": (),
    "All statuses": ISSUE_STATUSES,
    "Resolved": ("resolved",),
    "Ignored": ("ignored",),
}
#: Time ranges: label → milliseconds back from now (None: everything).
RANGES: dict[str, int | None] = {
    "Last hour": 3_600_000,
    "Last 24 hours": 86_400_000,
    "Last 7 days": 7 * 86_400_000,
    "Last 14 days": 14 * 86_400_000,
    "Last 30 days": 30 * 86_400_000,
    "All time": None,
}
#: Sorts: label → IssueQuery.sort.
SORTS = {"Last seen": "last_seen", "First seen": "first_seen", "Events": "events", "Users": "users"}
_LEVELS = {"All levels": (), "Fatal": ("fatal",), "Error": ("error",), "Warning": ("warning",),
           "Info": ("info",), "Debug": ("debug",)}
# The store keeps 14 days by default anyway; a colleague's older file must not look empty.
_DEFAULT_RANGE = "All time"
_LIVE_MS = 2_000
_FACETS_EVERY = 10  # live ticks between refreshes of the project/release/environment lists
_SEARCH_DEBOUNCE_MS = 300
@dataclass(frozen=True, slots=True)
class ListAnswer:
    """What the query thread answers for the list: the rows, the time they were counted
    to, and the store's newest issue id (the "new" marker's baseline)."""

    rows: list[IssueRow]
    now_ms: int
    newest_issue_id: int


def _now_ms() -> int:
    return int(time.time() * 1000)


class IssueTable(QTableView):
    """The issue list's view, with the inbox's single-key commands.

    Signals:
        command(str): "next", "previous", "open" or "resolve" (j, k, Enter, r).
    """

    command = Signal(str)
    _KEYS = {Qt.Key.Key_J: "next", Qt.Key.Key_K: "previous", Qt.Key.Key_Return: "open",
             Qt.Key.Key_Enter: "open", Qt.Key.Key_R: "resolve"}

    def keyPressEvent(self, event: QKeyEvent) -> None:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        name = self._KEYS.get(Qt.Key(event.key()))
        if name is not None and modifiers == Qt.KeyboardModifier.NoModifier:
            self.command.emit(name)
            event.accept()
            return
        super().keyPressEvent(event)


class ErrorsPanel(QWidget):
    """The issue list and the selected issue's detail; see the module docstring.

    ``actions`` carries out what the :class:`IssueActionBar` asks (None: the buttons are
    off); ``confirm(title, text) -> bool`` asks before merge and delete.

    Signals:
        ready(): the first list of issues (or the store's failure) has arrived (once).
        detailShown(): the selected issue's event is on screen in the detail.
    """

    ready = Signal()
    detailShown = Signal()

    def __init__(
        self,
        *,
        jobs: StoreJobs,
        actions: ActionSink | None,
        confirm: Callable[[str, str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._ready = False
        self._in_flight = False
        self._ticks = 0
        self._now_ms = _now_ms()
        self._selection_order: list[int] = []
        self._failure: str | None = None

        self.status_filter = QComboBox()
        self.status_filter.addItems(list(STATUS_FILTERS))
        self.level = QComboBox()
        self.level.addItems(list(_LEVELS))
        self.project = self._facet_combo("All projects")
        self.release = self._facet_combo("All releases")
        self.environment = self._facet_combo("All environments")
        self.range = QComboBox()
        self.range.addItems(list(RANGES))
        self.range.setCurrentText(_DEFAULT_RANGE)
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.setToolTip("Sort the issues (largest or newest first); the column headers sort too")
        self.search = QLineEdit(placeholderText="Search message, type, culprit, user, session, tags…")
        self.search.setClearButtonEnabled(True)
        self.live = QPushButton("Live")
        self.live.setCheckable(True)
        self.live.setChecked(True)
        self.live.setToolTip("Read the issues again every 2 seconds")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        self.empty = QLabel("", objectName="emptyState")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(
            "QLabel#emptyState { background: #f1f3f4; color: #3c4043; border-radius: 6px; padding: 10px 12px; }"
        )
        self.empty.hide()

        self.model = IssueTableModel(self)
        self.table = IssueTable()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(Column.TREND, SparklineDelegate(role=IssueTableModel.SparklineRole, parent=self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        for column, width in ((Column.LEVEL, 62), (Column.CULPRIT, 200), (Column.STATUS, 122),
                              (Column.EVENTS, 60), (Column.USERS, 52), (Column.TREND, 104),
                              (Column.FIRST_SEEN, 80), (Column.LAST_SEEN, 80), (Column.RELEASES, 110)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(Column.LAST_SEEN, Qt.SortOrder.DescendingOrder)

        self.detail = IssueDetail(jobs=jobs)
        self.action_bar = IssueActionBar(actions=actions, confirm=confirm)

        filters = QHBoxLayout()
        title = QLabel("Errors")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        filters.addWidget(title)
        for widget in (self.status_filter, self.level, self.project, self.release, self.environment, self.range):
            filters.addWidget(widget)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.live)
        actions_bar = QHBoxLayout()
        actions_bar.addWidget(self.action_bar, 1)
        actions_bar.addWidget(self.status)
        actions_bar.addWidget(QLabel("Sort:"))
        actions_bar.addWidget(self.sort)

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.empty)
        upper_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(self.detail)
        split.setSizes([300, 520])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(filters)
        layout.addLayout(actions_bar)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(_SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self._live = QTimer(self)
        self._live.setObjectName("lookout.errors.live")
        self._live.setInterval(_LIVE_MS)
        self._live.timeout.connect(self._poll)

        self.search.textChanged.connect(self._debounce.start)
        for combo in (self.status_filter, self.level, self.project, self.release, self.environment,
                      self.range, self.sort):
            combo.currentIndexChanged.connect(self.reload)
        self.sort.currentIndexChanged.connect(self._show_sort_indicator)
        header.sectionClicked.connect(self._sort_by_column)
        self.live.toggled.connect(self._toggle_live)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._selection_changed)
        self.table.command.connect(self._command)
        self.detail.shown.connect(self.detailShown)
        self.detail.backToList.connect(lambda: self.table.setFocus(Qt.FocusReason.OtherFocusReason))
        self.action_bar.applied.connect(self._action_applied)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # --- what the window calls ------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Whether the first list (or a failure) has arrived."""
        return self._ready

    def start(self) -> None:
        """Read the issues and the filter choices, and start the live refresh."""
        self.reload()
        self._jobs.submit("errors.facets", issue_facets)
        self._live.start()

    def stop(self) -> None:
        """Stop the live refresh (the jobs thread belongs to the window)."""
        self._live.stop()
        self._debounce.stop()

    def current_query(self) -> IssueQuery:
        """The query the controls say, with the time range counted back from now."""
        back = RANGES[self.range.currentText()]
        return IssueQuery(
            statuses=STATUS_FILTERS[self.status_filter.currentText()],
            levels=_LEVELS[self.level.currentText()],
            project=self.project.currentData(),
            release=self.release.currentData(),
            environment=self.environment.currentData(),
            since_ms=None if back is None else _now_ms() - back,
            text=self.search.text().strip(),
            sort=SORTS[self.sort.currentText()],  # type: ignore[arg-type]
        )

    def selected_issues(self) -> list[IssueRow]:
        """The selected issues, in the order the user selected them."""
        rows = {self.model.row_at(i.row()).id: self.model.row_at(i.row()) for i in self.table.selectionModel().selectedRows()}
        return [rows[i] for i in self._selection_order if i in rows]

    def open_first(self) -> bool:
        """Select the top issue and open it (``detailShown`` follows); False when the list is
        empty. Used by ``lookout screenshot``."""
        if self.model.rowCount() == 0:
            return False
        self.select_row(0)
        return True

    def select_row(self, row: int) -> None:
        """Select only ``row`` and make it current, scrolled into view."""
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    @Slot()
    def reload(self) -> None:
        """Read the list again with the current filter (an answer still coming is dropped)."""
        query, now = self.current_query(), _now_ms()

        def read(conn: sqlite3.Connection) -> ListAnswer:
            rows = list_issues(conn, query, now_ms=now)
            (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM issues").fetchone()
            return ListAnswer(rows, now, int(newest))

        self._in_flight = True
        self._jobs.submit("errors.list", read)

    # --- actions --------------------------------------------------------------------------

    def act(self, kind: str) -> bool:
        """Ask for ``kind`` (resolve, reopen, merge, delete) on the selected issues, as the
        buttons do; False when nothing was asked."""
        return self.action_bar.act(kind)

    @Slot(object)
    def _action_applied(self, _action: IssueAction) -> None:
        self.reload()
        self._jobs.submit("errors.facets", issue_facets)

    # --- results --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "errors.list":
            self._in_flight = False
            self._failure = None
            self._show_list(result)
        elif key == "errors.facets":
            self._show_facets(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key == "errors.list":
            self._in_flight = False
            self._failure = f"cannot read the store — {message}"
            self.status.setText(self._failure)
            self._update_empty()
            self._mark_ready()

    def _show_list(self, answer: ListAnswer) -> None:
        self._now_ms = answer.now_ms
        if self.model.new_after is None:
            self.model.new_after = answer.newest_issue_id
        bar = self.table.verticalScrollBar()
        anchor = self.model.row_at(self.table.rowAt(0)).id if bar.value() > 0 and self.table.rowAt(0) >= 0 else None
        current = self.table.selectionModel().currentIndex()
        current_row = current.row() if current.isValid() else 0
        had_selection = self.table.selectionModel().hasSelection()
        self.model.update(answer.rows, now_ms=answer.now_ms)
        if had_selection and not self.table.selectionModel().hasSelection() and self.model.rowCount():
            # The issues being read left the list (resolved, ignored, merged, deleted, or
            # filtered out): go on with the one that took their place, as a triage does.
            self.select_row(min(current_row, self.model.rowCount() - 1))
        if anchor is not None:
            # The user is reading further down: keep the issue at the top where it was.
            row = self.model.row_of(anchor)
            if row is not None:
                bar.setValue(row * self.table.verticalHeader().defaultSectionSize())
        self._selection_changed()
        count = len(answer.rows)
        more = "+" if count >= self.current_query().limit else ""
        self.status.setText(f"{count:,}{more} issue{'s' if count != 1 else ''} · {'live' if self.live.isChecked() else 'paused'}")
        self._update_empty()
        self._mark_ready()

    def _show_facets(self, facets: IssueFacets) -> None:
        for combo, values in ((self.project, facets.projects), (self.release, facets.releases),
                              (self.environment, facets.environments)):
            chosen = combo.currentData()
            combo.blockSignals(True)
            first = combo.itemText(0)
            combo.clear()
            combo.addItem(first, None)
            for value in values:
                combo.addItem(value, value)
            if chosen is not None and combo.findData(chosen) < 0:
                combo.addItem(chosen, chosen)  # still filtering by it, though it has gone
            combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen is not None else 0)
            combo.blockSignals(False)

    def _update_empty(self) -> None:
        if self._failure:
            self.empty.setText(self._failure + "\nLookout keeps trying.")
        elif self.model.rowCount():
            self.empty.hide()
            return
        else:
            self.empty.setText(self._empty_text())
        self.empty.show()

    def _empty_text(self) -> str:
        if self.search.text().strip():
            return f"No issues match “{self.search.text().strip()}” — clear the search"
        narrowed = [combo for combo in (self.level, self.project, self.release, self.environment) if combo.currentIndex() > 0]
        if narrowed or self.status_filter.currentIndex() > 1:
            return "No issues match these filters — choose All levels, projects, releases and environments"
        span = self.range.currentText().lower()
        if self.status_filter.currentIndex() == 0:
            where = "" if RANGES[self.range.currentText()] is None else f" in the {span.removeprefix('last ')}"
            return (f"Inbox zero: no unresolved issue{where}. Resolved and ignored issues are under "
                    "“All statuses”; a longer time range shows older ones.")
        return f"No errors {'at all' if RANGES[self.range.currentText()] is None else 'in the ' + span.removeprefix('last ')} — errors the apps send appear here"

    # --- live refresh, sorting, selection, keys -------------------------------------------

    @Slot()
    def _poll(self) -> None:
        self._ticks += 1
        if self._ticks % _FACETS_EVERY == 0:
            self._jobs.submit("errors.facets", issue_facets)
        # A refresh slower than the interval is not overtaken by the next one.
        if self._ready and not self._in_flight:
            self.reload()

    @Slot(bool)
    def _toggle_live(self, live: bool) -> None:
        if live:
            self.reload()
            self._live.start()
        else:
            self._live.stop()
            self.status.setText(self.status.text().replace("· live", "· paused"))

    @Slot(int)
    def _sort_by_column(self, column: int) -> None:
        sort = SORT_COLUMNS.get(column)
        if sort is not None:
            self.sort.setCurrentText(next(label for label, key in SORTS.items() if key == sort))
        self._show_sort_indicator()

    @Slot()
    def _show_sort_indicator(self) -> None:
        key = SORTS[self.sort.currentText()]
        column = next(c for c, s in SORT_COLUMNS.items() if s == key)
        self.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)

    @Slot()
    def _selection_changed(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        selected = [self.model.row_at(i.row()).id for i in sorted(rows, key=lambda i: i.row())]
        chosen = set(selected)
        self._selection_order = [i for i in self._selection_order if i in chosen]
        self._selection_order += [i for i in selected if i not in self._selection_order]
        current = self.table.selectionModel().currentIndex()
        focused: IssueRow | None = None
        if current.isValid() and self.model.row_at(current.row()).id in chosen:
            focused = self.model.row_at(current.row())
        elif self._selection_order:
            row = self.model.row_of(self._selection_order[0])
            focused = self.model.row_at(row) if row is not None else None
        self.detail.show_issue(focused, now_ms=self._now_ms)
        self.action_bar.set_selection(self.selected_issues())

    @Slot(str)
    def _command(self, name: str) -> None:
        count = self.model.rowCount()
        if name in ("next", "previous") and count:
            current = self.table.selectionModel().currentIndex()
            if not current.isValid():
                row = 0
            else:
                row = current.row() + (1 if name == "next" else -1)
            self.select_row(max(0, min(row, count - 1)))
        elif name == "open" and self.detail.issue is not None:
            self.detail.focus_tabs()
        elif name == "resolve":
            self.act("resolve")

    def _facet_combo(self, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, None)
        combo.setMinimumContentsLength(10)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        return combo

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()
