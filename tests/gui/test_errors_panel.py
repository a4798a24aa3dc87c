"""The Errors panel as a user sees it: the issue list, an issue's events, the actions.

The first half drives the widgets with hand-made issues and errors (answered by a fake
jobs object); the second half goes end to end through a real store filled by the writer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication

from console.core.analysis.error_detail import Breadcrumb, ErrorDetail, ExceptionView, FrameView
from console.core.ingest.sentry import decode_envelope, decode_store_event
from console.core.store.issue_actions import IssueAction
from console.core.store.issue_queries import IssueRow, TimelineEvent
from console.gui.errors.breadcrumbs import BreadcrumbModel, offset_text
from console.gui.errors.detail import EventAnswer
from console.gui.errors.model import Column, IssueTableModel, relative_time
from console.gui.errors.panel import ErrorsPanel, ListAnswer
from console.gui.errors.sparkline import bar_heights
from console.gui.errors.stack import NodeKind, StackModel
from tests.gui.support import now_ms

XSS = "<img src=x onerror=alert(1)>"
LINK = "<a href='https://evil.example/'>click</a>"
#: The offscreen platform says "does not support propagateSizeHints()" on show().
SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
NOW = 1_800_000_000_000


# --- hand-made data --------------------------------------------------------------------------


def issue(issue_id: int, title: str = "TypeError: boom", **extra: Any) -> IssueRow:
    values: dict[str, Any] = dict(
        id=issue_id, project="shop", title=title, error_type="TypeError", culprit="sumCart (pages/cart/cart.js)",
        level="error", status="unresolved", first_seen=NOW - 3 * 86_400_000, last_seen=NOW - 180_000,
        event_count=41, user_count=7, sparkline=tuple(range(24)), releases=("2.3.1",),
    )
    values.update(extra)
    return IssueRow(**values)


def frame(function: str, in_app: bool, line: int = 10, **extra: Any) -> FrameView:
    return FrameView(function=function, location=f"pages/{function}.js", line=line, column=3, in_app=in_app, **extra)


def detail(event_id: int = 7, *, issue_id: int = 1, exceptions: tuple[ExceptionView, ...] = (), **extra: Any) -> ErrorDetail:
    values: dict[str, Any] = dict(
        event_id=event_id, issue_id=issue_id, project="shop", ts=NOW - 60_000, error_id="err-1", level="error",
        title="TypeError: boom", message="boom", culprit="sumCart", route="pages/cart/cart", release="2.3.1",
        environment="staging", session_id="s-1", user_id="u-1", trace_id="abc123", sender="native",
        exceptions=exceptions, breadcrumbs=(), tags=(), contexts={}, user={}, request={}, attachments=(),
        raw={"message": "boom"},
    )
    values.update(extra)
    return ErrorDetail(**values)


class FakeJobs(QObject):
    """Records submitted jobs; a test answers them by key."""

    done = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[tuple[str, Any]] = []

    def submit(self, key: str, job: Any) -> None:
        self.submitted.append((key, job))

    def keys(self) -> list[str]:
        return [key for key, _ in self.submitted]

    def answer(self, key: str, result: Any) -> None:
        self.done.emit(key, result)


class FakeActions(QObject):
    """The panel's actions object: records requests; ``apply`` (if given) carries them out."""

    done = Signal(object)
    failed = Signal(object, str)

    def __init__(self, apply: Any = None) -> None:
        super().__init__()
        self.requested: list[IssueAction] = []
        self.apply = apply

    def request(self, action: IssueAction) -> None:
        self.requested.append(action)
        if self.apply is not None:
            try:
                self.apply(action)
            except Exception as exc:  # the real client reports failures the same way
                self.failed.emit(action, str(exc))
                return
            self.done.emit(action)


@pytest.fixture
def panel(qtbot):
    jobs = FakeJobs()
    actions = FakeActions()
    answers: list[bool] = []
    widget = ErrorsPanel(jobs=jobs, actions=actions, confirm=lambda title, text: answers.pop(0) if answers else True)
    widget.fake_jobs, widget.fake_actions, widget.answers = jobs, actions, answers
    qtbot.addWidget(widget)
    yield widget
    widget.stop()


def show_rows(panel: ErrorsPanel, rows: list[IssueRow], *, newest: int | None = None) -> None:
    newest = max((r.id for r in rows), default=0) if newest is None else newest
    panel.fake_jobs.answer("errors.list", ListAnswer(rows, NOW, newest))


def cells(model, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


# --- the list, with hand-made issues ----------------------------------------------------------


def test_the_issue_model_passes_qtmodeltester_through_updates(qtmodeltester):
    model = IssueTableModel()
    model.update([issue(1), issue(2), issue(3)], now_ms=NOW)
    # The tester keeps watching the model's signals through every update after the check.
    qtmodeltester.check(model, force_py=True)
    model.update([issue(3, event_count=99), issue(4), issue(1)], now_ms=NOW)
    assert [model.row_at(r).id for r in range(3)] == [3, 4, 1]
    model.update([issue(5), issue(1), issue(6), issue(3)], now_ms=NOW)
    assert [model.row_at(r).id for r in range(4)] == [5, 1, 6, 3]
    model.update([], now_ms=NOW)
    assert model.rowCount() == 0


def test_the_stack_model_passes_qtmodeltester(qtmodeltester):
    model = StackModel()
    lines = dict(pre_context=("a", "b"), context_line="boom()", post_context=("c",))
    model.show_exceptions((
        ExceptionView("RuntimeError", "outer", (frame("app", True, **lines), frame("lib1", False), frame("lib2", False))),
        ExceptionView("KeyError", "'price'", (frame("lib", False),), frames_dropped=3),
    ))
    qtmodeltester.check(model, force_py=True)


def test_the_breadcrumb_model_passes_qtmodeltester(qtmodeltester):
    model = BreadcrumbModel()
    model.show_breadcrumbs([
        Breadcrumb(offset_ms=-5, category="route", message="a", level="info", type="navigation", data={"x": 1}),
        Breadcrumb(offset_ms=None, category="console", message="b", level="error", type="default"),
    ])
    qtmodeltester.check(model, force_py=True)
    model.set_category("console")
    assert model.rowCount() == 1


def test_sparkline_bars_scale_to_the_busiest_hour_and_never_hide_one_event():
    assert bar_heights([0, 1, 4, 100], 20.0) == [0.0, 1.0, 1.0, 20.0]
    assert bar_heights([0, 2, 4], 20.0) == [0.0, 10.0, 20.0]
    assert bar_heights([0] * 24, 20.0) == [0.0] * 24


@SHOWN
def test_the_trend_column_is_painted_as_bars(panel, qtbot):
    panel.resize(1300, 700)
    panel.show()
    show_rows(panel, [issue(1, sparkline=(0,) * 23 + (9,))])
    qtbot.waitExposed(panel)
    table = panel.table
    rect = table.visualRect(panel.model.index(0, Column.TREND))
    image = table.viewport().grab(rect).toImage()
    colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert "#1a73e8" in colours  # the newest hour, in the peak colour
    assert "276 in 24 h" not in colours  # (text is not painted; the total is for tooltips and copy)


@SHOWN
def test_a_refresh_keeps_the_reader_s_place_in_a_long_list(panel, qtbot):
    panel.resize(1200, 700)
    panel.show()
    rows = [issue(i) for i in range(200, 0, -1)]
    show_rows(panel, rows)
    bar = panel.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() // 2)
    top = panel.model.row_at(panel.table.rowAt(0)).id
    assert top < 200
    show_rows(panel, [issue(500), issue(501), *rows])
    qtbot.wait(10)
    assert panel.model.row_at(panel.table.rowAt(0)).id == top
    # At the top of the list the new issues are in sight.
    bar.setValue(0)
    show_rows(panel, [issue(502), issue(500), issue(501), *rows])
    qtbot.wait(10)
    assert panel.model.row_at(panel.table.rowAt(0)).id == 502


def test_cells_are_plain_text_and_long_titles_one_line(panel):
    long = "TypeError: " + "x" * 5000 + "\nsecond line"
    show_rows(panel, [issue(1, title=f"render failed {XSS} {LINK}"), issue(2, title=long)])
    model = panel.model
    assert model.index(0, Column.TITLE).data() == f"render failed {XSS} {LINK}"
    tooltip = model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x onerror=alert(1)&gt;" in tooltip and "<img" not in tooltip and "<a href" not in tooltip
    title = model.index(1, Column.TITLE).data()
    assert "\n" not in title and len(title) <= 301 and title.endswith("…")
    assert not panel.table.wordWrap()


def test_columns_show_level_counts_times_trend_status_and_releases(panel):
    show_rows(panel, [issue(1, status="regressed", level="fatal", releases=("3.0", "2.9", "2.8", "2.7"))])
    model = panel.model
    row = {name: model.index(0, c).data() for c, name in enumerate(
        ("level", "title", "culprit", "status", "events", "users", "trend", "first", "last", "releases"))}
    assert row == {
        "level": "fatal", "title": "TypeError: boom", "culprit": "sumCart (pages/cart/cart.js)",
        "status": "regressed", "events": "41", "users": "7", "trend": "276 in 24 h", "first": "3 d ago",
        "last": "3 min ago", "releases": "3.0, 2.9 +2",
    }
    assert model.index(0, Column.LEVEL).data(Qt.ItemDataRole.ForegroundRole).name() == "#a50e0e"
    assert model.index(0, Column.STATUS).data(Qt.ItemDataRole.ForegroundRole).name() == "#c5221f"
    assert model.index(0, Column.STATUS).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(0, Column.TREND).data(IssueTableModel.SparklineRole) == tuple(range(24))


def test_the_status_tooltip_says_until_when_an_issue_is_ignored(panel):
    show_rows(panel, [issue(1, status="ignored", event_count=41, ignore_until_count=141),
                      issue(2, status="ignored", ignore_until_ms=NOW + 3_600_000)])
    tips = [panel.model.index(r, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole) for r in range(2)]
    assert "Ignored until 100 more events" in tips[0]
    assert "Ignored until 20" in tips[1]


def test_relative_times():
    assert relative_time(NOW - 10_000, NOW) == "just now"
    assert relative_time(NOW - 180_000, NOW) == "3 min ago"
    assert relative_time(NOW - 5 * 3_600_000, NOW) == "5 h ago"
    assert relative_time(NOW - 2 * 86_400_000, NOW) == "2 d ago"
    assert offset_text(-12_400) == "-12.4 s"
    assert offset_text(300) == "+0.3 s"
    assert offset_text(-125_000) == "-2 min 05.0 s"
    assert offset_text(None) == "–"


def test_issues_that_appear_after_the_panel_opened_are_marked_new(panel):
    show_rows(panel, [issue(2), issue(1)], newest=2)
    assert cells(panel.model, Column.STATUS) == ["unresolved", "unresolved"]
    show_rows(panel, [issue(3), issue(2), issue(1)], newest=3)
    assert cells(panel.model, Column.STATUS) == ["unresolved · new", "unresolved", "unresolved"]
    assert panel.model.index(0, Column.STATUS).data(Qt.ItemDataRole.FontRole).bold()


def test_a_refresh_keeps_the_selection_while_issues_move(panel):
    show_rows(panel, [issue(1), issue(2), issue(3)])
    panel.select_row(1)
    assert [i.id for i in panel.selected_issues()] == [2]
    show_rows(panel, [issue(3), issue(4), issue(1), issue(2)])
    assert [i.id for i in panel.selected_issues()] == [2]
    assert panel.table.selectionModel().currentIndex().row() == 3
    # The detail was asked for once: moving is not selecting anew.
    assert panel.fake_jobs.keys().count("errors.event") == 1
    # When the issue being read leaves the list (resolved, say), the next one is read.
    show_rows(panel, [issue(3), issue(4), issue(1)])
    assert [i.id for i in panel.selected_issues()] == [1]
    assert panel.detail.issue.id == 1


def test_empty_states_say_what_to_do(panel):
    show_rows(panel, [])
    assert panel.empty.isVisibleTo(panel) and panel.empty.text().startswith("Inbox zero")
    panel.search.setText("checkout")
    show_rows(panel, [])
    assert panel.empty.text() == "No issues match “checkout” — clear the search"
    panel.fake_jobs.failed.emit("errors.list", "/tmp/x.db: disk I/O error")
    assert panel.empty.text().startswith("cannot read the store — /tmp/x.db: disk I/O error")
    assert panel.status.text() == "cannot read the store — /tmp/x.db: disk I/O error"
    show_rows(panel, [issue(1)])
    assert not panel.empty.isVisibleTo(panel)


def test_filters_and_sort_make_the_query(panel, qtbot):
    panel.status_filter.setCurrentText("Resolved")
    panel.level.setCurrentText("Warning")
    panel.range.setCurrentText("All time")
    panel.sort.setCurrentText("Events")
    query = panel.current_query()
    assert (query.statuses, query.levels, query.since_ms, query.sort) == (("resolved",), ("warning",), None, "events")
    panel.status_filter.setCurrentText("Inbox (unresolved, regressed)")
    assert panel.current_query().statuses == ()
    # A header click sorts too, and the combo follows.
    panel.table.horizontalHeader().sectionClicked.emit(Column.USERS)
    assert panel.sort.currentText() == "Users" and panel.current_query().sort == "users"
    assert panel.table.horizontalHeader().sortIndicatorSection() == Column.USERS
    before = panel.fake_jobs.keys().count("errors.list")
    panel.search.setText("pay")
    panel.search.setText("payment  ")
    qtbot.waitUntil(lambda: panel.fake_jobs.keys().count("errors.list") == before + 1)
    assert panel.current_query().text == "payment"


def test_facets_fill_the_project_release_and_environment_filters(panel):
    from console.core.store.issue_facets import IssueFacets

    panel.fake_jobs.answer("errors.facets", IssueFacets(("shop", "web"), ("2.3.1", "2.3.0"), ("staging",)))
    assert [panel.release.itemText(i) for i in range(panel.release.count())] == ["All releases", "2.3.1", "2.3.0"]
    panel.release.setCurrentIndex(1)
    panel.project.setCurrentIndex(2)
    panel.environment.setCurrentIndex(1)
    query = panel.current_query()
    assert (query.project, query.release, query.environment) == ("web", "2.3.1", "staging")
    panel.fake_jobs.answer("errors.facets", IssueFacets(("shop",), ("2.4.0",), ("staging",)))
    assert panel.current_query().release == "2.3.1" and panel.current_query().project == "web"


# --- keys and actions, with hand-made issues --------------------------------------------------


@SHOWN
def test_j_k_move_enter_opens_r_resolves(panel, qtbot):
    panel.show()
    panel.activateWindow()
    show_rows(panel, [issue(1), issue(2), issue(3)])
    panel.table.setFocus()
    table = panel.table
    qtbot.keyClick(table, Qt.Key.Key_J)
    assert [i.id for i in panel.selected_issues()] == [1]
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_J)  # stays on the last row
    assert [i.id for i in panel.selected_issues()] == [3]
    qtbot.keyClick(table, Qt.Key.Key_K)
    assert [i.id for i in panel.selected_issues()] == [2]
    assert panel.detail.issue.id == 2
    qtbot.keyClick(table, Qt.Key.Key_R)
    assert panel.fake_actions.requested == [IssueAction(kind="resolve", issue_ids=(2,))]
    panel.fake_jobs.answer("errors.event", EventAnswer(2, (5, 6), 1, detail(6, issue_id=2), (), "{}"))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.detail.exception.tree.hasFocus())
    qtbot.keyClick(panel.detail.exception.tree, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: table.hasFocus())


def test_bulk_actions_merge_into_the_first_selected_and_delete_asks_first(panel):
    show_rows(panel, [issue(1), issue(2), issue(3)])
    flags = panel.table.selectionModel().SelectionFlag
    panel.select_row(2)
    panel.table.selectionModel().select(panel.model.index(0, 0), flags.Select | flags.Rows)
    assert [i.id for i in panel.selected_issues()] == [3, 1]
    assert panel.action_bar.merge_button.isEnabled() and panel.action_bar.selection_label.text() == "2 selected"
    panel.action_bar.merge_button.click()
    assert panel.fake_actions.requested[-1] == IssueAction(kind="merge", issue_ids=(1,), into=3)

    panel.answers.append(False)
    assert not panel.act("delete")
    panel.answers.append(True)
    panel.action_bar.delete_button.click()
    assert panel.fake_actions.requested[-1] == IssueAction(kind="delete", issue_ids=(3, 1))

    panel.action_bar.ignore_menu.actions()[1].trigger()
    assert panel.fake_actions.requested[-1] == IssueAction(kind="ignore", issue_ids=(3, 1), ignore_for_events=100)
    before = int(time.time() * 1000)
    panel.action_bar.ignore_menu.actions()[2].trigger()
    until = panel.fake_actions.requested[-1].ignore_until_ms
    assert before + 3_600_000 <= until <= int(time.time() * 1000) + 3_600_000
    panel.action_bar.ignore_menu.actions()[4].trigger()
    assert panel.fake_actions.requested[-1] == IssueAction(kind="ignore", issue_ids=(3, 1))


def test_an_action_done_reloads_and_a_failure_is_said(panel):
    show_rows(panel, [issue(1, status="resolved")])
    panel.select_row(0)
    assert not panel.action_bar.resolve_button.isEnabled() and panel.action_bar.reopen_button.isEnabled()
    before = panel.fake_jobs.keys().count("errors.list")
    action = IssueAction(kind="reopen", issue_ids=(1,))
    panel.fake_actions.done.emit(action)
    assert panel.fake_jobs.keys().count("errors.list") == before + 1
    assert panel.action_bar.note.text() == "Reopened 1 issue"
    panel.fake_actions.failed.emit(action, "the collector is not answering; is it still running?")
    assert panel.action_bar.note.text() == "Could not reopen: the collector is not answering; is it still running?"


def test_without_an_actions_object_the_buttons_say_why(qtbot):
    widget = ErrorsPanel(jobs=FakeJobs(), actions=None)
    qtbot.addWidget(widget)
    widget.fake_jobs = None
    widget._jobs.answer("errors.list", ListAnswer([issue(1)], NOW, 1))
    widget.select_row(0)
    assert not widget.action_bar.resolve_button.isEnabled()
    assert widget.action_bar.resolve_button.toolTip() == "Issue actions are not available in this window"
    assert not widget.act("resolve")


# --- the detail, with hand-made errors -----------------------------------------------------


def open_detail(panel, answer: EventAnswer, row: IssueRow | None = None) -> None:
    show_rows(panel, [row or issue(answer.issue_id)])
    panel.select_row(0)
    panel.fake_jobs.answer("errors.event", answer)


def test_the_header_and_every_tab_show_telemetry_as_plain_text(panel, qtbot):
    crumbs = (
        Breadcrumb(offset_ms=-12_400, category="ui.tap", message=f"tap {XSS}", level="info", type="user"),
        Breadcrumb(offset_ms=-300, category="console", message=LINK, level="warning", type="default",
                   data={"html": XSS}),
    )
    error = detail(
        title=f"TypeError {XSS}", message=f"boom {LINK}", breadcrumbs=crumbs, tags=(("page", XSS),),
        contexts={"device": {"model": "iPhone 15"}}, user={"email": "a@example.com"},
        request={"url": "https://shop.example.com/cart"}, raw={"message": f"boom {XSS}"},
        exceptions=(ExceptionView("TypeError", XSS, (frame("sumCart", True),)),),
    )
    open_detail(panel, EventAnswer(1, (7,), 0, error, (), '{\n  "message": "boom <img src=x onerror=alert(1)>"\n}'),
                row=issue(1, title=f"TypeError {XSS}", culprit=LINK))
    view = panel.detail
    for label in (view.title_label, view.culprit_label, view.message_label, view.event_label, view.counts_label,
                  view.level_badge, view.status_badge):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert view.title_label.text() == f"TypeError {XSS}"
    assert view.culprit_label.text() == LINK
    assert view.message_label.text() == f"boom {LINK}"
    assert "&lt;img" in view.title_label.toolTip() and "<img" not in view.title_label.toolTip()

    crumb_model = view.breadcrumbs.model
    assert [crumb_model.index(r, 3).data() for r in range(2)] == [f"tap {XSS}", LINK]
    assert [crumb_model.index(r, 0).data() for r in range(2)] == ["-12.4 s", "-0.3 s"]
    assert crumb_model.index(1, 4).data(Qt.ItemDataRole.ForegroundRole).name() == "#b06000"
    assert XSS in crumb_model.index(1, 5).data()
    assert "<img" not in crumb_model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert view.tabs.tabText(1) == "Breadcrumbs (2)"

    assert view.context.values("Tags") == {"page": XSS}
    assert view.context.values("Event")["trace id"] == "abc123"
    assert view.context.values("device") == {"model": "iPhone 15"}
    assert view.context.values("User") == {"id": "u-1", "email": "a@example.com"}
    assert view.context.values("Request") == {"url": "https://shop.example.com/cart"}

    assert f'"message": "boom {XSS}"' in view.raw.shown_text()
    assert view.exception.model.index(0, 0).data() == f"TypeError: {XSS}"


def test_the_breadcrumb_category_filter(panel):
    crumbs = tuple(
        Breadcrumb(offset_ms=-1000 * (5 - i), category=c, message=f"m{i}", level="info", type="default")
        for i, c in enumerate(["route", "ui.tap", "route", "console"])
    )
    open_detail(panel, EventAnswer(1, (7,), 0, detail(breadcrumbs=crumbs), (), "{}"))
    pane = panel.detail.breadcrumbs
    assert [pane.category.itemText(i) for i in range(pane.category.count())] == [
        "All categories (4)", "route (2)", "ui.tap (1)", "console (1)"]
    pane.category.setCurrentIndex(1)
    assert [pane.model.index(r, 3).data() for r in range(pane.model.rowCount())] == ["m0", "m2"]


def test_library_frames_fold_behind_a_toggle_and_source_lines_show(panel, qtbot):
    lines = dict(pre_context=("let cart = load()",), context_line="return cart.items[0].price", post_context=("}",))
    frames = (frame("sumCart", True, line=88, **lines), frame("lodash.map", False), frame("lodash.each", False),
              frame("onCheckout", True), frame("WAService.tap", False))
    error = detail(exceptions=(
        ExceptionView("TypeError", "Cannot read 'price'", frames),
        ExceptionView("KeyError", "'items'", (frame("vendor", False),)),
    ))
    open_detail(panel, EventAnswer(1, (7,), 0, error, (), "{}"))
    pane = panel.detail.exception
    model, tree = pane.model, pane.tree
    outer = model.index(0, 0)
    shown = [model.index(r, 0, outer).data() for r in range(model.rowCount(outer))]
    assert shown == ["sumCart", "show 2 library frames", "onCheckout", "show 1 library frame"]
    assert model.index(0, 1, outer).data() == "pages/sumCart.js:88:3"
    assert model.index(0, 0, outer).data(Qt.ItemDataRole.FontRole).bold()
    # The innermost app frame is open on its source lines, the current line marked.
    first = model.index(0, 0, outer)
    assert tree.isExpanded(first)
    assert [model.index(r, 0, first).data() for r in range(3)] == [
        "    87  let cart = load()", "    88  return cart.items[0].price", "    89  }"]
    assert model.index(1, 0, first).data(Qt.ItemDataRole.BackgroundRole) is not None
    group = model.index(1, 0, outer)
    assert model.data(group, StackModel.KindRole) == NodeKind.LIBRARY_GROUP and not tree.isExpanded(group)
    tree.clicked.emit(group)
    assert tree.isExpanded(group) and group.data() == "hide 2 library frames"
    assert [model.index(r, 0, group).data() for r in range(2)] == ["lodash.map", "lodash.each"]
    # An exception with no app frame shows every frame.
    inner = model.index(1, 0)
    assert model.index(0, 0, inner).data() == "vendor"
    pane.show_library.setChecked(True)
    assert tree.isExpanded(model.index(3, 0, outer))
    assert pane.summary.text() == "2 exceptions (outermost first) · 6 frames, 2 in the app (innermost first)"


@SHOWN
def test_a_5000_frame_error_opens_at_once(panel, qtbot):
    frames = tuple(frame(f"fn{i}", i % 3 == 0, line=i) for i in range(5000))
    error = detail(exceptions=(ExceptionView("RecursionError", "too deep", frames),))
    panel.resize(1200, 800)
    panel.show()
    show_rows(panel, [issue(1)])
    panel.select_row(0)
    started = time.perf_counter()
    panel.fake_jobs.answer("errors.event", EventAnswer(1, (7,), 0, error, (), "{}"))
    qtbot.wait(1)
    assert time.perf_counter() - started < 1.0
    assert panel.detail.exception.model.frame_count() == (5000, 1667)


def test_event_navigation_walks_the_issue_s_events(panel):
    show_rows(panel, [issue(1)])
    panel.select_row(0)
    key, job = panel.fake_jobs.submitted[-1]
    assert key == "errors.event"
    view = panel.detail
    panel.fake_jobs.answer("errors.event", EventAnswer(1, (3, 5, 9), 2, detail(9), (), "{}"))
    assert view.position_label.text() == "event 3 of 3"
    assert not view.newest_button.isEnabled() and view.older_button.isEnabled()
    view.older_button.click()
    assert view.position_label.text() == "event 2 of 3"
    panel.fake_jobs.answer("errors.event", EventAnswer(1, (3, 5, 9), 1, detail(5), (), "{}"))
    assert view.detail.event_id == 5 and view.newer_button.isEnabled()
    view.oldest_button.click()
    assert view.position == (1, 3) and not view.older_button.isEnabled()


def test_the_session_tab_highlights_the_error(panel):
    timeline = (
        TimelineEvent(1, NOW - 70_000, -10_000, "page_view", "pages/cart/cart — Cart", False),
        TimelineEvent(7, NOW - 60_000, 0, "error", f"TypeError {XSS}", True),
        TimelineEvent(8, NOW - 59_000, 1_000, "log", "after", False),
    )
    open_detail(panel, EventAnswer(1, (7,), 0, detail(), timeline, "{}"))
    pane = panel.detail.session
    assert [pane.table.item(r, 0).text() for r in range(3)] == ["-10.0 s", "0.0 s", "+1.0 s"]
    assert pane.table.item(1, 2).text() == f"TypeError {XSS}"
    assert pane.error_row() == 1
    assert panel.detail.tabs.tabText(3) == "Session (3)"


def test_raw_copies_and_exports_json(panel, tmp_path):
    error = detail(raw={"message": XSS, "n": 1}, raw_bytes=b'{"message":"as sent"}')
    open_detail(panel, EventAnswer(1, (7,), 0, error, (), '{\n  "message": "<img src=x onerror=alert(1)>",\n  "n": 1\n}'))
    raw = panel.detail.raw
    raw.copy_button.click()
    assert QGuiApplication.clipboard().text() == raw.json()
    raw.export_to(tmp_path / "error.json")
    assert (tmp_path / "error.json").read_text() == raw.json() + "\n"
    raw.as_received.setChecked(True)
    assert raw.shown_text() == '{"message":"as sent"}'
    raw.export_to(tmp_path / "sent.bin")
    assert (tmp_path / "sent.bin").read_bytes() == b'{"message":"as sent"}'
    with pytest.raises(OSError):
        raw.export_to(tmp_path / "no" / "such" / "dir.json")
    assert raw.note.text().startswith("could not write")


# --- end to end, through a real store -----------------------------------------------------

SENTRY = Path(__file__).parents[1] / "fixtures" / "payloads" / "sentry"


def js_error(message: str, *, function: str = "sumCart", line: int = 88, session: str = "s-1", user: str = "u-1",
             **extra: Any) -> dict[str, Any]:
    """A native javascript_error thrown from ``function`` at ``line`` of the cart page."""
    return {
        "type": "javascript_error",
        "message": message,
        "stack": f"{message}\n    at {function} (pages/cart/cart.js:{line}:27)\n    at Function.tap (WAService.js:2:1093)",
        "sessionId": session,
        "userId": user,
        **extra,
    }


def sentry_events(*names: str) -> list[Any]:
    events = []
    for name in names:
        batch = decode_envelope((SENTRY / name).read_bytes(), project="1", now_ms=now_ms())
        events += [e for e in batch.events if e.kind.value == "error"]
    return events


def sentry_store_event(payload: dict[str, Any]) -> list[Any]:
    batch = decode_store_event(orjson.dumps(payload), project="web", now_ms=now_ms())
    assert not batch.rejected, batch.rejected
    return batch.events


def statuses(panel) -> list[str]:
    return [panel.model.row_at(r).status for r in range(panel.model.rowCount())]


def titles(panel) -> list[str]:
    return cells(panel.model, Column.TITLE)


def open_errors(qtbot, open_window, path):
    window = open_window(path)
    window.show_panel("errors")
    window.errors.range.setCurrentText("All time")
    qtbot.waitUntil(lambda: window.errors.is_ready)
    return window


@pytest.fixture
def live_panel(qtbot, store):
    """An Errors panel over the test's store, its actions carried out by the store's writer."""
    from console.core.store.issue_actions import apply_issue_action
    from console.gui.jobs import StoreJobs

    jobs = StoreJobs(db_path=store.path)
    jobs.start()
    actions = FakeActions(apply=lambda action: store.writer.run_sync(
        lambda conn: apply_issue_action(conn, action, now_ms=now_ms())))
    widget = ErrorsPanel(jobs=jobs, actions=actions, confirm=lambda title, text: True)
    widget.fake_actions = actions
    qtbot.addWidget(widget)
    widget.range.setCurrentText("All time")
    widget.start()
    qtbot.waitUntil(lambda: widget.is_ready)
    yield widget
    widget.stop()
    jobs.stop()


def test_posted_errors_appear_as_issues(qtbot, store, open_window, examples):
    store.write(examples)
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    assert any("Cannot read properties of undefined (reading 'price')" in t for t in titles(panel))
    assert any("request:fail timeout" in t for t in titles(panel))
    assert set(cells(panel.model, Column.EVENTS)) == {"1"}
    assert panel.status.text() == "3 issues · live"


def test_errors_differing_only_in_line_numbers_are_one_issue(qtbot, store, open_window):
    store.write([
        js_error("TypeError: Cannot read 'price' of order 8812", line=88),
        js_error("TypeError: Cannot read 'price' of order 9917", line=91, user="u-2"),
        js_error("TypeError: Cannot read 'price' of order 9917", function="applyCoupon", line=12),
    ])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    counts = sorted((panel.model.row_at(r).event_count, panel.model.row_at(r).user_count) for r in range(2))
    assert counts == [(1, 1), (2, 2)]


def test_sentry_errors_group_as_sentry_does(qtbot, store, open_window):
    store.writer.write(sentry_events("python-grouping-1.envelope", "python-grouping-2.envelope",
                                     "python-grouping-3.envelope"))
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    assert sorted(panel.model.row_at(r).event_count for r in range(2)) == [1, 2]


def test_breadcrumbs_are_shown_in_order_with_times_relative_to_the_error(qtbot, store, open_window, examples):
    (error,) = [e for e in examples if e["type"] == "javascript_error"]
    store.write([error])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    with qtbot.waitSignal(panel.detailShown):
        assert panel.open_first()
    crumbs = panel.detail.breadcrumbs.model
    rows = [[crumbs.index(r, c).data() for c in (0, 2, 3, 4)] for r in range(crumbs.rowCount())]
    assert rows == [
        ["-12.1 s", "route", "pages/index/index -> pages/cart/cart", "info"],
        ["-9.1 s", "request", "", "info"],
        ["-4.3 s", "ui.tap", "button#checkout", "info"],
        ["-3.9 s", "console", "price missing for sku 88", "warning"],
    ]
    assert '"status":200' in crumbs.index(1, 5).data()
    frames = panel.detail.exception.model
    outer = frames.index(0, 0)
    assert frames.index(0, 0, outer).data() == "sumCart"


def test_a_resolved_issue_shows_regressed_after_a_new_event(qtbot, store, live_panel):
    store.write([js_error("TypeError: cart is empty")])
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 1)
    live_panel.select_row(0)
    live_panel.action_bar.resolve_button.click()
    assert live_panel.fake_actions.requested[-1].kind == "resolve"
    # The inbox no longer lists it; All statuses shows it resolved.
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 0)
    live_panel.status_filter.setCurrentText("All statuses")
    qtbot.waitUntil(lambda: statuses(live_panel) == ["resolved"])
    store.write([js_error("TypeError: cart is empty")])
    qtbot.waitUntil(lambda: statuses(live_panel) == ["regressed"], timeout=5000)
    # It appeared after the panel opened, so it is new too.
    assert cells(live_panel.model, Column.STATUS) == ["regressed · new"]
    assert live_panel.model.index(0, Column.STATUS).data(Qt.ItemDataRole.ForegroundRole).name() == "#c5221f"
    live_panel.status_filter.setCurrentText("Inbox (unresolved, regressed)")
    qtbot.waitUntil(lambda: statuses(live_panel) == ["regressed"])
    live_panel.select_row(0)
    assert live_panel.detail.status_badge.text() == "regressed"


def test_ignore_merge_and_delete_through_the_writer(qtbot, store, live_panel):
    store.write([js_error("TypeError: a", function="fa"), js_error("TypeError: b", function="fb"),
                 js_error("TypeError: c", function="fc")])
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 3)
    live_panel.select_row(0)
    live_panel.action_bar.ignore_menu.actions()[4].trigger()  # forever
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 2)
    flags = live_panel.table.selectionModel().SelectionFlag
    live_panel.select_row(0)
    live_panel.table.selectionModel().select(live_panel.model.index(1, 0), flags.Select | flags.Rows)
    into = live_panel.selected_issues()[0].id
    live_panel.action_bar.merge_button.click()
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 1)
    assert live_panel.model.row_at(0).id == into and live_panel.model.row_at(0).event_count == 2
    live_panel.select_row(0)
    live_panel.action_bar.delete_button.click()
    qtbot.waitUntil(lambda: live_panel.model.rowCount() == 0)
    assert live_panel.action_bar.note.text() == "Deleted 1 issue"
    live_panel.status_filter.setCurrentText("Ignored")
    qtbot.waitUntil(lambda: statuses(live_panel) == ["ignored"])
    assert "Ignored for good" in live_panel.model.index(0, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole)


def test_markup_from_telemetry_is_literal_in_the_list_detail_and_raw(qtbot, store, open_window):
    store.writer.write(sentry_store_event({
        "event_id": "a" * 32,
        "timestamp": time.time(),
        "level": "error",
        "exception": {"values": [{"type": "TypeError", "value": f"render {XSS} {LINK}", "stacktrace": {"frames": [
            {"function": "render", "filename": "app/cart.js", "lineno": 3, "in_app": True}]}}]},
        "tags": {"page": XSS, "sessionId": "s-web"},
        "breadcrumbs": {"values": [{"timestamp": time.time() - 2, "category": "console", "message": f"log {LINK}",
                                    "level": "info"}]},
    }))
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    title = panel.model.index(0, Column.TITLE).data()
    assert XSS in title and LINK in title
    tooltip = panel.model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x onerror=alert(1)&gt;" in tooltip and "<img" not in tooltip
    with qtbot.waitSignal(panel.detailShown):
        panel.open_first()
    view = panel.detail
    assert XSS in view.title_label.text() and view.title_label.textFormat() == Qt.TextFormat.PlainText
    assert "<img" not in view.title_label.toolTip()
    assert view.context.values("Tags")["page"] == XSS
    crumbs = view.breadcrumbs.model
    assert crumbs.index(0, 3).data() == f"log {LINK}"
    assert XSS in view.raw.shown_text() and LINK in view.raw.shown_text()


def test_event_navigation_through_the_store(qtbot, store, open_window):
    for n in range(3):
        store.write([js_error(f"TypeError: order {n}", session=f"s-{n}")])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    view = panel.detail
    with qtbot.waitSignal(panel.detailShown):
        panel.open_first()
    assert view.position_label.text() == "event 3 of 3"
    assert view.detail.message == "TypeError: order 2"
    with qtbot.waitSignal(panel.detailShown):
        view.oldest_button.click()
    assert view.position == (1, 3) and view.detail.message == "TypeError: order 0"
    with qtbot.waitSignal(panel.detailShown):
        view.newer_button.click()
    assert view.detail.message == "TypeError: order 1"
    # A new event of the issue counts in, and the event shown stays.
    store.write([js_error("TypeError: order 3")])
    qtbot.waitUntil(lambda: view.position_label.text() == "event 2 of 4", timeout=5000)
    assert view.detail.message == "TypeError: order 1"


def test_issues_first_seen_after_opening_are_new_and_the_selection_stays(qtbot, store, open_window):
    store.write([js_error("TypeError: old one", function="old")])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    panel.select_row(0)
    store.write([js_error("TypeError: fresh one", function="fresh")])
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    status = dict(zip(titles(panel), cells(panel.model, Column.STATUS), strict=True))
    assert [s for t, s in status.items() if "fresh one" in t] == ["unresolved · new"]
    assert [s for t, s in status.items() if "old one" in t] == ["unresolved"]
    assert ["old one" in i.title for i in panel.selected_issues()] == [True]


def test_the_session_timeline_of_an_error(qtbot, store, open_window):
    store.write([
        {"type": "page_view", "url": "pages/cart/cart", "sessionId": "s-9", "title": "Cart"},
        js_error("TypeError: in the cart", session="s-9"),
    ])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    with qtbot.waitSignal(panel.detailShown):
        panel.open_first()
    session = panel.detail.session
    kinds = [session.table.item(r, 1).text() for r in range(session.table.rowCount())]
    assert kinds[:2] == ["page_view", "error"] and session.error_row() == 1


def test_search_filters_by_message(qtbot, store, open_window):
    store.write([js_error("TypeError: payment declined", function="pay"),
                 js_error("TypeError: cart empty", function="cart")])
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    panel.search.setText("paym")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert "payment declined" in titles(panel)[0]
    panel.search.setText("nothing-like-this")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0)
    assert panel.empty.text() == "No issues match “nothing-like-this” — clear the search"


def test_a_5000_frame_error_from_the_store_opens_without_blocking(qtbot, store, open_window):
    frames = [{"function": f"step{i}", "filename": f"app/step{i % 7}.js", "lineno": i + 1, "in_app": i % 2 == 0}
              for i in range(5000)]
    store.writer.write(sentry_store_event({
        "event_id": "b" * 32, "timestamp": time.time(), "level": "error",
        "exception": {"values": [{"type": "RecursionError", "value": "too deep", "stacktrace": {"frames": frames}}]},
    }))
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    started = time.perf_counter()
    panel.open_first()
    qtbot.waitUntil(lambda: panel.detail.detail is not None, timeout=3000)
    assert time.perf_counter() - started < 3.0
    # The core keeps the innermost 1,000 frames; the tree says the rest are not shown.
    model = panel.detail.exception.model
    assert model.frame_count()[0] == 1000
    outer = model.index(0, 0)
    last = model.index(model.rowCount(outer) - 1, 0, outer)
    assert last.data() == "… 4,000 more frames, outside these, are not shown"


def test_a_missing_store_is_said_in_the_panel(qtbot, tmp_path, open_window):
    window = open_errors(qtbot, open_window, tmp_path / "nowhere.db")
    assert "cannot read the store" in window.errors.status.text()
    assert "nowhere.db" in window.errors.empty.text()


@SHOWN
def test_the_errors_screenshot_opens_the_newest_issue(qapp, store, tmp_path, examples):
    from PySide6.QtGui import QImage

    from console.gui.screenshot import render_screenshot

    store.write(examples)
    out = tmp_path / "errors.png"
    render_screenshot(db_path=store.path, panel="errors", out=out, size=(1400, 900))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_a_1_mb_event_opens_and_its_raw_view_shows_it_all(qtbot, store, open_window):
    extra = {f"field_{i}": "x" * 990 for i in range(1000)}  # about 1 MB of context
    store.writer.write(sentry_store_event({
        "event_id": "c" * 32, "timestamp": time.time(), "level": "error", "extra": extra,
        "exception": {"values": [{"type": "MemoryError", "value": "huge context"}]},
    }))
    window = open_errors(qtbot, open_window, store.path)
    panel = window.errors
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    started = time.perf_counter()
    panel.open_first()
    qtbot.waitUntil(lambda: panel.detail.detail is not None, timeout=5000)
    assert time.perf_counter() - started < 5.0
    raw = panel.detail.raw
    assert len(raw.shown_text()) > 1_000_000
    assert '"field_999"' in raw.shown_text()
