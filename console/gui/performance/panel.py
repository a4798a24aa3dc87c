"""The Performance panel: page loads and transactions over a chosen range, live or still.

The panel owns the :class:`~console.core.store.perf_frames.PerformanceFrames` of its store,
but never touches them: every job it submits to the window's
:class:`~console.gui.jobs.StoreJobs` reads the newest rows into the frames and computes a
report on the query thread, and the answer comes back by signal. While the history of a
big store is still streaming in, the panel keeps asking for the next chunk and says how far
it has come.

In the live range (the last five minutes) the panel asks for a new report every second
and slides the charts' x axis every 100 ms, so they scroll smoothly between answers. Pause
freezes both; a choice the user makes while paused is still answered.

Signals:
    ready(): the first complete report (or the store's failure) has been shown (once).
    reportShown(): a report was drawn.
    waterfallShown(): a transaction's span waterfall was drawn.
    relatedActivated(object): a related error or log was double-clicked (a RelatedEvent).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.page_load_report import PageLoadReport, page_load_report
from console.core.analysis.perf_select import PRESETS, PerfFilter, TimeRange, range_for
from console.core.analysis.transaction_report import (
    TransactionReport,
    slowest_transactions,
    transaction_report,
)
from console.core.store.log_queries import RelatedEvent, related_events
from console.core.store.perf_frames import HISTORY_CHUNK, LoadProgress, PerformanceFrames
from console.core.store.perf_queries import TransactionInstance, transaction_instances
from console.core.store.perf_spans import transaction_waterfall
from console.gui.jobs import StoreJobs
from console.gui.performance.page_loads import PageLoadsView
from console.gui.performance.transactions import TransactionsView

__all__ = ["RANGE_TITLES", "PerformancePanel"]

#: Range presets as the buttons name them.
RANGE_TITLES = {"live": "Live 5 min", "1h": "1 h", "24h": "24 h", "7d": "7 d", "custom": "Custom…"}
_LIVE_REFRESH_MS = 1_000
_STILL_REFRESH_MS = 5_000
_LIVE_SPAN_S = 5 * 60
# The live charts slide one pixel per tick: at five minutes over a few hundred pixels that
# is every second or so; a faster tick would repaint everything for no visible movement.
_SCROLL_MIN_MS, _SCROLL_MAX_MS = 100, 1_000
_RELATED_WINDOW_MS = 10 * 60_000
#: Older rows read per history job: about half a second of the query thread's time.
_HISTORY_STEP = 200_000
_FILTERS = (
    ("projects", "project", "All projects"),
    ("releases", "release", "All releases"),
    ("platforms", "platform", "All platforms"),
    ("devices", "device", "All devices"),
    ("environments", "environment", "All environments"),
)


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class _Ask:
    """What one report is for: a snapshot of the panel's choices when it was asked."""

    tab: str
    preset: str
    custom: tuple[int, int] | None
    where: PerfFilter
    routes: frozenset[str] = frozenset()
    chart_metrics: tuple[str, ...] = ()
    histogram: str = "lcp"
    names: frozenset[str] = frozenset()
    by_user: bool = True
    with_instances: bool = True

    def when(self) -> TimeRange:
        if self.preset == "custom" and self.custom is not None:
            return range_for("custom", now_ms=_now_ms(), start_ms=self.custom[0], end_ms=self.custom[1])
        return range_for(self.preset, now_ms=_now_ms())


@dataclass(frozen=True, slots=True)
class _Answer:
    ask: _Ask
    progress: LoadProgress
    report: PageLoadReport | TransactionReport
    facets: dict[str, list[str]]
    latest_ts: int | None
    instances: list[TransactionInstance] | None = None
    seconds: float = 0.0


@dataclass
class _Choices:
    preset: str = "live"
    chosen: bool = False  # whether the user picked the range (else it follows the data once)
    custom: tuple[int, int] | None = None
    where: PerfFilter = field(default_factory=PerfFilter)


class CustomRangeDialog(QDialog):
    """Asks for the start and end of a custom range."""

    def __init__(self, start_ms: int, end_ms: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom range")
        self.start = QDateTimeEdit(QDateTime.fromMSecsSinceEpoch(start_ms))
        self.end = QDateTimeEdit(QDateTime.fromMSecsSinceEpoch(end_ms))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow(buttons)

    def span(self) -> tuple[int, int]:
        return self.start.dateTime().toMSecsSinceEpoch(), self.end.dateTime().toMSecsSinceEpoch()


class PerformancePanel(QWidget):
    """Page loads and transactions; see the module docstring."""

    ready = Signal()
    reportShown = Signal()
    waterfallShown = Signal()
    relatedActivated = Signal(object)

    def __init__(self, *, jobs: StoreJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._frames = PerformanceFrames()
        self._choices = _Choices()
        self._ready = False
        self._running = False
        self._history_running = False
        self._shown_instances_for: tuple[object, ...] | None = None
        self.last_answer: _Answer | None = None

        title = QLabel("Performance")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.status = QLabel("loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.range_buttons = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addWidget(self.status, 1)
        for preset, text in RANGE_TITLES.items():
            button = QPushButton(text)
            button.setCheckable(preset != "custom")
            button.setObjectName(f"range.{preset}")
            button.setChecked(preset == self._choices.preset)
            self.range_buttons.addButton(button)
            button.clicked.connect(lambda _checked=False, p=preset: self.choose_range(p))
            bar.addWidget(button)
        self.range_buttons.setExclusive(True)
        self.pause = QPushButton("Pause")
        self.pause.setCheckable(True)
        self.pause.setToolTip("Freeze the charts; choices you make still update them")
        bar.addWidget(self.pause)

        filters = QHBoxLayout()
        self.filters: dict[str, QComboBox] = {}
        for attribute, _column, everything in _FILTERS:
            combo = QComboBox()
            combo.addItem(everything, None)
            combo.setMinimumContentsLength(12)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(self._filter_changed)
            self.filters[attribute] = combo
            filters.addWidget(combo)
        filters.addStretch(1)

        self.page_loads = PageLoadsView()
        self.transactions = TransactionsView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.page_loads, "Page loads")
        self.tabs.addTab(self.transactions, "Transactions")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(bar)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)

        self._refresh = QTimer(self)
        self._refresh.setObjectName("lookout.performance.refresh")
        self._refresh.timeout.connect(lambda: self._submit(by_user=False))
        self._scroll = QTimer(self)
        self._scroll.setObjectName("lookout.performance.scroll")
        self._scroll.timeout.connect(self._slide)
        self.pause.toggled.connect(self._paused)
        self.tabs.currentChanged.connect(lambda _i: self._submit())
        self.page_loads.routesChosen.connect(lambda _r: self._submit())
        self.page_loads.metricsChanged.connect(self._submit)
        self.transactions.namesChosen.connect(lambda _n: self._submit())
        self.transactions.instanceChosen.connect(self._open_instance)
        self.transactions.relatedWanted.connect(self._load_related)
        self.transactions.relatedActivated.connect(self.relatedActivated)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # The panel's life.

    @property
    def is_ready(self) -> bool:
        """Whether a report over the whole store (or the store's failure) has been shown."""
        return self._ready

    @property
    def paused(self) -> bool:
        return self.pause.isChecked()

    @property
    def preset(self) -> str:
        return self._choices.preset

    def start(self) -> None:
        """Start reading the store and refreshing."""
        self._running = True
        self._apply_timers()
        self._submit()

    def stop(self) -> None:
        """Stop refreshing (answers in flight are dropped)."""
        self._running = False
        self._refresh.stop()
        self._scroll.stop()

    def choose_range(self, preset: str, *, custom: tuple[int, int] | None = None) -> None:
        """Show ``preset`` ('live', '1h', '24h', '7d' or 'custom' with ``custom`` = (start, end) ms)."""
        if preset == "custom" and custom is None:
            now = _now_ms()
            dialog = CustomRangeDialog(now - 3 * 86_400_000, now, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                self._check_range_button()
                return
            custom = dialog.span()
        if preset == "custom":
            assert custom is not None
            range_for("custom", now_ms=0, start_ms=custom[0], end_ms=custom[1])  # ValueError if backwards
        self._choices.preset = preset
        self._choices.custom = custom
        self._choices.chosen = True
        self._check_range_button()
        self._apply_timers()
        self._submit()

    def choose_filter(self, **labels: str | None) -> None:
        """Set filters by attribute (projects=…, platforms=…) as the combo boxes would."""
        for attribute, value in labels.items():
            combo = self.filters[attribute]
            index = combo.findData(value)
            if index < 0:
                combo.addItem(str(value), value)
                index = combo.count() - 1
            combo.setCurrentIndex(index)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._submit(by_user=False)

    # Asking.

    def _ask(self, *, by_user: bool) -> _Ask:
        tab = "transactions" if self.tabs.currentWidget() is self.transactions else "page_loads"
        names = self.transactions.chosen_names
        instances_key = (self._choices.preset, self._choices.custom, self._choices.where, names)
        with_instances = tab == "transactions" and (by_user or self._shown_instances_for != instances_key)
        return _Ask(
            tab=tab, preset=self._choices.preset, custom=self._choices.custom, where=self._choices.where,
            routes=self.page_loads.chosen_routes, chart_metrics=self.page_loads.chart_metrics,
            histogram=self.page_loads.histogram_choice, names=names, by_user=by_user,
            with_instances=with_instances,
        )

    def _submit(self, *_args: object, by_user: bool = True) -> None:
        if not self._running:
            return
        if not by_user and (self.paused or (not self.isVisible() and self._frames.progress.complete)):
            return  # a hidden panel only keeps reading history, so it is warm when shown
        ask = self._ask(by_user=by_user)
        frames = self._frames
        # The first report reads the newest chunk of history itself; the rest streams in
        # through history jobs, so later reports only read what arrived since.
        history = 0 if self.last_answer is not None else HISTORY_CHUNK

        def job(conn: sqlite3.Connection) -> _Answer:
            started = time.perf_counter()
            progress = frames.refresh(conn, history_rows=history)
            when = ask.when()
            instances = None
            report: PageLoadReport | TransactionReport
            if ask.tab == "page_loads":
                frame = frames.page_loads
                report = page_load_report(
                    frame, when=when, where=ask.where, routes=ask.routes,
                    chart_metrics=ask.chart_metrics, histogram_metric=ask.histogram,
                )
            else:
                frame = frames.transactions
                report = transaction_report(frame, when=when, where=ask.where, names=ask.names)
                if ask.with_instances:
                    slowest = slowest_transactions(frame, when=when, where=ask.where, names=ask.names)
                    instances = transaction_instances(conn, [event_id for event_id, _ in slowest])
            latest = int(frame.column("ts").max()) if len(frame) else None
            return _Answer(ask, progress, report, _facets(frames), latest, instances, time.perf_counter() - started)

        self._jobs.submit("performance.report", job)

    def _read_history(self) -> None:
        """Read the next chunk of the store's older rows into the frames (no report)."""
        if self._history_running or not self._running:
            return
        self._history_running = True
        frames = self._frames
        self._jobs.submit("performance.history", lambda conn: frames.refresh(conn, history_rows=_HISTORY_STEP))

    @Slot(int)
    def _open_instance(self, event_id: int) -> None:
        self._jobs.submit("performance.waterfall", lambda conn: transaction_waterfall(conn, event_id))

    @Slot(int)
    def _load_related(self, event_id: int) -> None:
        opened = self.transactions.opened
        if opened is None or opened.event_id != event_id:
            return
        trace, session, ts = opened.trace_id, opened.session_id, opened.ts

        def job(conn: sqlite3.Connection) -> list[RelatedEvent]:
            events = related_events(conn, trace_id=trace, session_id=session)
            return [
                e for e in events
                if e.kind in ("error", "log") and abs(e.ts - ts) <= _RELATED_WINDOW_MS
            ]

        self._jobs.submit("performance.related", job)

    # Answers.

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if not self._running:
            return
        if key == "performance.report":
            self._show_answer(result)
        elif key == "performance.history":
            self._history_running = False
            self._history_read(result)
        elif key == "performance.waterfall":
            self.transactions.show_waterfall(result)
            self.waterfallShown.emit()
        elif key == "performance.related":
            self.transactions.show_related(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith("performance."):
            self._history_running = False
            self.status.setText(f"cannot read the store — {message}")
            self._mark_ready()

    def _show_answer(self, answer: _Answer) -> None:
        if self.paused and not answer.ask.by_user:
            return
        if self._follow_the_data(answer):
            return
        self.last_answer = answer
        self._fill_filters(answer.facets)
        if isinstance(answer.report, PageLoadReport):
            self.page_loads.show_report(answer.report)
        else:
            self.transactions.show_report(answer.report)
            if answer.instances is not None:
                ask = answer.ask
                self._shown_instances_for = (ask.preset, ask.custom, ask.where, ask.names)
                self.transactions.show_instances(answer.instances)
        self._show_x_range(answer.report.when)
        self.status.setText(_status_text(answer))
        self.reportShown.emit()
        if not answer.progress.complete:
            self._read_history()
        else:
            self._mark_ready()

    def _history_read(self, progress: LoadProgress) -> None:
        if not progress.complete:
            self.status.setText(
                f"reading the store's history: {progress.page_loads:,} page loads and "
                f"{progress.transactions:,} transactions so far — recent ranges are already right"
            )
            self._read_history()
        else:
            self._submit()  # the whole history is in: draw it, even when paused

    def _follow_the_data(self, answer: _Answer) -> bool:
        """Open on the shortest range that holds the newest data, unless the user chose one.

        A developer watching an app gets the live view; someone opening last week's store
        gets its last day rather than five empty minutes. Returns True when it asked anew.
        """
        report, latest = answer.report, answer.latest_ts
        count = report.loads if isinstance(report, PageLoadReport) else report.count
        if self._choices.chosen or count or latest is None or not answer.progress.complete:
            return False
        self._choices.chosen = True  # once: from here on the range is the user's
        age = _now_ms() - latest
        preset = next((p for p, span in PRESETS.items() if age < span), None)
        if preset is None:
            self._choices.preset, self._choices.custom = "custom", (latest - 86_400_000, latest + 60_000)
        else:
            self._choices.preset = preset
        self._check_range_button()
        self._apply_timers()
        self._submit()
        return True

    def _show_x_range(self, when: TimeRange) -> None:
        if self._choices.preset == "live" and not self.paused:
            self._slide()  # to now, where the scrolling has got to, not back to the report's end
            return
        self._visible_view().set_x_range(when.start_ms / 1000, when.end_ms / 1000)

    def _fill_filters(self, facets: dict[str, list[str]]) -> None:
        for attribute, column, _everything in _FILTERS:
            combo = self.filters[attribute]
            known = {combo.itemData(i) for i in range(1, combo.count())}
            new = [label for label in facets.get(column, []) if label not in known]
            if new:
                combo.blockSignals(True)
                for label in new:
                    combo.addItem(label, label)
                combo.blockSignals(False)

    # Reactions.

    @Slot()
    def _filter_changed(self) -> None:
        chosen: dict[str, frozenset[str]] = {}
        for attribute, combo in self.filters.items():
            value = combo.currentData()
            chosen[attribute] = frozenset() if value is None else frozenset({str(value)})
        self._choices.where = replace(self._choices.where, **chosen)
        self._submit()

    @Slot(bool)
    def _paused(self, paused: bool) -> None:
        self.pause.setText("Paused — resume" if paused else "Pause")
        self._apply_timers()
        if not paused:
            self._submit(by_user=False)

    def _apply_timers(self) -> None:
        if not self._running or self.paused:
            self._refresh.stop()
            self._scroll.stop()
            return
        live = self._choices.preset == "live"
        self._refresh.start(_LIVE_REFRESH_MS if live else _STILL_REFRESH_MS)
        if live:
            self._scroll.start(self._scroll_interval())
        else:
            self._scroll.stop()

    def _scroll_interval(self) -> int:
        """Milliseconds per pixel of the visible tab's live x axis, within sane bounds."""
        width = self._visible_view().group.plot_width()
        return int(min(max(_LIVE_SPAN_S * 1000 / width, _SCROLL_MIN_MS), _SCROLL_MAX_MS))

    def _visible_view(self) -> PageLoadsView | TransactionsView:
        return self.transactions if self.tabs.currentWidget() is self.transactions else self.page_loads

    @Slot()
    def _slide(self) -> None:
        """Move the visible live charts to end now (hidden ones follow when shown)."""
        now = time.time()
        self._visible_view().set_x_range(now - _LIVE_SPAN_S, now)
        interval = self._scroll_interval()
        if interval != self._scroll.interval():
            self._scroll.setInterval(interval)

    def _check_range_button(self) -> None:
        for button in self.range_buttons.buttons():
            button.setChecked(button.objectName() == f"range.{self._choices.preset}")

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()


def _facets(frames: PerformanceFrames) -> dict[str, list[str]]:
    """Every label each filter column has held, both frames together, sorted."""
    facets: dict[str, list[str]] = {}
    for column in ("project", "release", "platform", "device", "environment"):
        labels = set(frames.page_loads.dictionaries[column].labels) | set(frames.transactions.dictionaries[column].labels)
        facets[column] = sorted(label for label in labels if label)
    return facets


def _status_text(answer: _Answer) -> str:
    progress, report = answer.progress, answer.report
    if isinstance(report, PageLoadReport):
        count, noun = report.loads, "page loads"
    else:
        count, noun = report.count, "transactions"
    text = f"{count:,} {noun} in range"
    if count == 0 and answer.latest_ts is not None:
        latest = datetime.fromtimestamp(answer.latest_ts / 1000).strftime("%Y-%m-%d %H:%M")
        text = f"no {noun} in this range — the latest arrived {latest}; choose a longer range"
    elif count == 0:
        text = f"no {noun} yet — send page loads or transactions to the collector"
    if not progress.complete:
        text += f" · reading history: {progress.page_loads + progress.transactions:,} rows so far"
    text += f" · computed in {answer.seconds * 1000:.0f} ms"
    return text
