"""The Analytics panel's Events tab: any event over the panel's range, and what users looked at and clicked.

The user picks occurrences — a source (events by name, page views, clicks …), a name in it
and property filters — with an :class:`~console.gui.analytics.ref_picker.EventRefPicker`,
and optionally a property to break them down by. The chart shows, per time bucket, their
count or their unique users (a toggle), one line per top value of the breakdown
(:func:`~console.core.store.explorer_queries.event_series`); a table beside it gives each
line's totals. On the right: page views per route
(:func:`~console.core.store.explorer_queries.page_views_by_route`) and the most clicked
elements (:func:`~console.core.store.explorer_queries.top_clicks`). Everything is read on
the query thread, again on every refresh the panel asks for.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter, QVBoxLayout, QWidget

from console.core.analysis.product.refs import EventRef
from console.core.store.explorer_queries import (
    ClickRow,
    EventSeries,
    RouteRow,
    SeriesGroup,
    event_series,
    page_views_by_route,
    top_clicks,
)
from console.gui.analytics.ref_picker import EventRefPicker, PickerChoices, load_choices
from console.gui.analytics.tab_parts import Explained, SeriesChart, heading, note, range_bounds
from console.gui.experiments.goals import fit_height, short_table
from console.gui.jobs import StoreJobs
from console.gui.performance.tables import Column, ColumnTableModel

__all__ = ["ClickTableModel", "EventsAnswer", "EventsTab", "GroupTableModel", "RouteTableModel", "default_ref"]

#: Lines on the chart: the breakdown's top values, the rest as "other".
TOP = 5
#: The picker's choices are read again this often (they change slowly and cost a scan).
CHOICES_EVERY_S = 60.0
#: Events of the native protocol itself, shown elsewhere (Funnels, Conversions, Experiments, Users).
_PROTOCOL_EVENTS = frozenset({
    "funnel_step", "conversion", "experiment_assignment", "experiment_goal", "user_identified",
})
_EMPTY = (
    "No events yet.\n\nThe Events tab charts what apps send: page_view, custom_event and event payloads\n"
    "(by name), interaction (clicks, scrolls), network_request, transaction, page_load and errors —\n"
    "for example {\"type\": \"custom_event\", \"name\": \"coupon_applied\", \"properties\": {\"code\": \"WINTER10\"}}."
)


def default_ref(choices: PickerChoices) -> EventRef | None:
    """What the tab shows before the user picks: the app's most frequent event by name (the
    protocol's own — funnel steps, conversions, experiments — have tabs of their own), else
    the most frequent of anything."""
    named = [name for name, _count in choices.names("event")]
    preferred = [name for name in named if name not in _PROTOCOL_EVENTS] or named
    if preferred:
        return EventRef(source="event", name=preferred[0])
    for source, name, _count in choices.catalog:
        if source == "funnel_step":
            funnel, _, step = (name or "").partition(": ")
            return EventRef(source=source, funnel=funnel, name=step or None)
        return EventRef(source=source, name=name)
    return None


@dataclass(frozen=True, slots=True)
class EventsAnswer:
    """One read: the chosen occurrences' series, the routes, the clicks and (sometimes) new choices."""

    series: EventSeries | None
    routes: list[RouteRow]
    clicks: list[ClickRow]
    choices: PickerChoices | None
    seconds: float
    problem: str | None = None  # why the chosen occurrences could not be read


class GroupTableModel(ColumnTableModel[SeriesGroup]):
    """Each line of the chart with its occurrences and unique users over the range."""

    def __init__(self) -> None:
        columns: list[Column[SeriesGroup]] = [
            Column("Value", lambda g: g.label, lambda g: g.label, numeric=False),
            Column("Count", lambda g: f"{g.total:,}", lambda g: g.total),
            Column("Unique users", lambda g: f"{g.total_users:,}", lambda g: g.total_users),
        ]
        super().__init__(columns, key=lambda g: g.label)


class RouteTableModel(ColumnTableModel[RouteRow]):
    """Page views per route, most viewed first."""

    def __init__(self) -> None:
        columns: list[Column[RouteRow]] = [
            Column("Route", lambda r: r.route or "(none)", lambda r: r.route or "", numeric=False,
                   tooltip=lambda r: r.route or "page views without a route"),
            Column("Views", lambda r: f"{r.views:,}", lambda r: r.views),
            Column("Users", lambda r: f"{r.users:,}", lambda r: r.users),
            Column("Sessions", lambda r: f"{r.sessions:,}", lambda r: r.sessions),
        ]
        super().__init__(columns, key=lambda r: r.route or "")


class ClickTableModel(ColumnTableModel[ClickRow]):
    """The most clicked elements."""

    def __init__(self) -> None:
        columns: list[Column[ClickRow]] = [
            Column("Element", lambda r: r.label(), lambda r: r.label(), numeric=False, tooltip=lambda r: r.label()),
            Column("Clicks", lambda r: f"{r.clicks:,}", lambda r: r.clicks),
            Column("Users", lambda r: f"{r.users:,}", lambda r: r.users),
        ]
        super().__init__(columns, key=lambda r: r.label())


def _fit(table: Any) -> None:
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)


class EventsTab(QWidget):
    """Any event over time, page views per route and top clicks; see the module docstring.

    Signals:
        answered(): an answer (or the store's failure) has been shown.
        seriesShown(): the chart and tables were filled.
    """

    answered = Signal()
    seriesShown = Signal()

    def __init__(self, *, jobs: StoreJobs, span: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._span = span
        self._choices_at: float | None = None  # time.monotonic() of the choices shown (None: none yet)
        self._picked = False  # the user (or a test) chose the occurrences; no default any more
        self.choices = PickerChoices()
        self.answer: EventsAnswer | None = None

        self.picker = EventRefPicker()
        self.breakdown = QComboBox()
        self.breakdown.addItem("No breakdown", None)
        self.breakdown.setMinimumWidth(150)
        self.measure = QComboBox()
        self.measure.addItem("Count", "count")
        self.measure.addItem("Unique users", "users")
        self.problem = QLabel("")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #c5221f;")
        self.problem.hide()
        pick = QHBoxLayout()
        pick.addWidget(self.picker, 3)
        pick.addWidget(QLabel("by"))
        pick.addWidget(self.breakdown)
        pick.addWidget(self.measure)
        self.status = note("loading…")

        self.chart = SeriesChart(y_label="count", height=260)
        self.groups = GroupTableModel()
        self.group_table = short_table(self.groups)
        _fit(self.group_table)
        fit_height(self.group_table, 1)
        self.routes = RouteTableModel()
        self.route_table = short_table(self.routes)
        _fit(self.route_table)
        self.clicks = ClickTableModel()
        self.click_table = short_table(self.clicks)
        _fit(self.click_table)
        self.routes_note = note("")
        self.clicks_note = note("")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.chart, 1)
        left_layout.addWidget(self.group_table)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(heading("Page views per route"))
        right_layout.addWidget(self.routes_note)
        right_layout.addWidget(self.route_table, 1)
        right_layout.addWidget(heading("Top clicked elements"))
        right_layout.addWidget(self.clicks_note)
        right_layout.addWidget(self.click_table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([760, 440])
        split.setChildrenCollapsible(False)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addLayout(pick)
        content_layout.addWidget(self.problem)
        content_layout.addWidget(self.status)
        content_layout.addWidget(split, 1)
        self.body = Explained(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.body, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.refresh)
        self.picker.changed.connect(self._picked_changed)
        self.picker.source.currentIndexChanged.connect(lambda _i: self._fill_breakdowns())
        self.breakdown.currentIndexChanged.connect(lambda _i: self._picked_changed())
        self.measure.currentIndexChanged.connect(lambda _i: self._redraw())
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # --- what the panel and tests call ----------------------------------------------------

    def show_ref(self, ref: EventRef, *, breakdown: str | None = None) -> None:
        """Chart ``ref`` (broken down by ``breakdown``) as if the user had picked it, now."""
        self._picked = True
        for widget in (self.picker, self.breakdown):
            widget.blockSignals(True)
        self.picker.set_ref(ref)
        self._fill_breakdowns()
        self.breakdown.setCurrentIndex(max(0, self.breakdown.findData(breakdown)) if breakdown else 0)
        if breakdown and self.breakdown.findData(breakdown) < 0:
            self.breakdown.addItem(breakdown, breakdown)
            self.breakdown.setCurrentIndex(self.breakdown.count() - 1)
        for widget in (self.picker, self.breakdown):
            widget.blockSignals(False)
        self.refresh()

    def set_measure(self, measure: str) -> None:
        """Chart 'count' or 'users' (unique users) per bucket."""
        self.measure.setCurrentIndex(self.measure.findData(measure))

    def refresh(self) -> None:
        """Read the chosen occurrences' series, the routes and the clicks again."""
        self._debounce.stop()
        start_ms, end_ms = self._span.span()
        bucket = self._span.bucket_ms
        ref: EventRef | None = None
        if self._picked:
            try:
                ref = self.picker.ref()
            except ValueError as exc:
                self.problem.setText(str(exc))
                self.problem.show()
                return
        self.problem.hide()
        breakdown = self.breakdown.currentData()
        # Until an answer has brought them (an earlier ask may be overtaken), every ask reads them.
        fresh = self._choices_at is not None and time.monotonic() - self._choices_at < CHOICES_EVERY_S
        known = self.choices if fresh else None

        def job(conn: sqlite3.Connection) -> EventsAnswer:
            started = time.perf_counter()
            choices = load_choices(conn) if known is None else known
            start, end, width = range_bounds(conn, start_ms, end_ms, bucket)
            chosen = ref if ref is not None else default_ref(choices)
            series, problem = None, None
            if chosen is not None:
                try:
                    series = event_series(conn, chosen, start, end, width, breakdown=breakdown if ref else None, top=TOP)
                except ValueError as exc:  # a breakdown key the store offered but a query cannot name
                    problem = str(exc)
            routes = page_views_by_route(conn, start, end)
            clicks = top_clicks(conn, start, end)
            fresh = choices if known is None else None
            return EventsAnswer(series, routes, clicks, fresh, time.perf_counter() - started, problem)

        self._jobs.submit("analytics.events", job)

    # --- answers --------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if key == "analytics.events":
            self._show_answer(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key == "analytics.events":
            self.status.setText(f"cannot read the store — {message}")
            if self.answer is None:
                self.body.explain(f"The store cannot be read: {message}")
            self.answered.emit()

    def _show_answer(self, answer: EventsAnswer) -> None:
        self.answer = answer
        if answer.choices is not None:
            self._choices_at = time.monotonic()
            self.choices = answer.choices
            self.picker.blockSignals(True)
            self.picker.set_choices(answer.choices)
            self.picker.blockSignals(False)
            self._fill_breakdowns()
        series = answer.series
        if series is None and not answer.routes and self.choices.empty:
            self.status.setText("no events yet")
            self.body.explain(_EMPTY)
            self.answered.emit()
            return
        self.body.show_content()
        if series is not None and not self._picked:
            self.picker.blockSignals(True)
            self.picker.set_ref(series.ref)
            self.picker.blockSignals(False)
            self._fill_breakdowns()
        self.problem.setText(answer.problem or "")
        self.problem.setVisible(answer.problem is not None)
        self._redraw()
        self.routes.set_rows(answer.routes)
        self.clicks.set_rows(answer.clicks)
        self.routes_note.setText("" if answer.routes else "no page views in this range (apps send page_view payloads)")
        self.clicks_note.setText("" if answer.clicks else "no clicks in this range (apps send interaction payloads"
                                 " with action \"click\")")
        self.routes_note.setVisible(not answer.routes)
        self.clicks_note.setVisible(not answer.clicks)
        self.seriesShown.emit()
        self.answered.emit()

    def _redraw(self) -> None:
        series = self.answer.series if self.answer is not None else None
        users = self.measure.currentData() == "users"
        self.chart.set_y_label("unique users" if users else "count")
        if series is None:
            self.chart.show_series(np.zeros(0, np.int64), {})
            self.groups.set_rows([])
            fit_height(self.group_table, 1)
            self.status.setText("nothing chosen")
            return
        self.chart.show_series(series.buckets, {g.label: (g.users if users else g.counts) for g in series.groups})
        self.groups.set_rows(list(series.groups))
        fit_height(self.group_table, min(len(series.groups), TOP + 3))
        what = series.ref.label()
        by = f" by {series.breakdown}" if series.breakdown else ""
        seconds = self.answer.seconds if self.answer is not None else 0.0
        if series.total:
            self.status.setText(
                f"{what}{by}: {series.total:,} in {self._span.label.lower()}, {series.total_users:,} unique users"
                f" · computed in {seconds * 1000:.0f} ms"
            )
        else:
            self.status.setText(f"no {what} in {self._span.label.lower()}: choose a longer range or another event")

    # --- reactions ------------------------------------------------------------------------

    @Slot()
    def _picked_changed(self) -> None:
        self._picked = True
        self._debounce.start()

    def _fill_breakdowns(self) -> None:
        keys = self.choices.keys.get(self.picker.chosen_source, ())
        current = self.breakdown.currentData()
        self.breakdown.blockSignals(True)
        self.breakdown.clear()
        self.breakdown.addItem("No breakdown", None)
        for key in keys:
            self.breakdown.addItem(key, key)
        index = self.breakdown.findData(current) if current else 0
        self.breakdown.setCurrentIndex(max(index, 0))
        self.breakdown.blockSignals(False)
