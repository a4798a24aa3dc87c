"""The Overview panel: the chosen dashboard (the default "Overview" one) above the live
stream of every event.

The dashboard is a :class:`~console.gui.dashboards.DashboardView`: its widgets read the store
on the window's query thread, each at its own refresh interval. The stream renders what the
reader worker reports and forwards what the user asks for (a kind, a text, pause) as
signals; it runs no query. Stream rows are not applied as they arrive: the panel keeps the
latest and applies them together on a short GUI timer, so a burst of signals costs one
repaint.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.events import Kind
from console.core.store.queries import StreamRow
from console.gui.dashboards import DashboardView
from console.gui.jobs import StoreJobs
from console.gui.overview.stream_model import StreamModel
from console.gui.product_client import ProductClient

__all__ = ["ALL_KINDS", "OverviewPanel"]

log = logging.getLogger("lookout.gui.overview")

#: The kind filter's first entry, which shows every kind.
ALL_KINDS = "All kinds"
_REFRESH_MS = 250
_TEXT_DEBOUNCE_MS = 250


class OverviewPanel(QWidget):
    """The chosen dashboard above the filterable live stream.

    Connect the reader worker's results to :meth:`show_stream_rows` and
    :meth:`show_stream_reset`, and this panel's signals back to the worker; call
    :meth:`start` once the query thread runs. ``product`` saves dashboard changes (None: the
    dashboards are only shown).

    Signals:
        filterChanged(list, str): the kinds to show (empty: all) and the text to match.
        pausedChanged(bool): the user paused (True) or resumed (False) the stream.
        ready(): the dashboard's first answers (or the store's failure) are on screen, once.
    """

    filterChanged = Signal(list, str)
    pausedChanged = Signal(bool)
    ready = Signal()

    def __init__(
        self,
        *,
        jobs: StoreJobs,
        product: ProductClient | None = None,
        max_rows: int = 5_000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._pending_reset: list[StreamRow] | None = None
        self._pending_batches: list[list[StreamRow]] = []
        self._pending_count = 0
        self._paused = False
        self._have_stream = False
        self._split_by_user = False

        self.dashboard = DashboardView(jobs=jobs, product=product)
        self.dashboard.ready.connect(self.ready)

        self.model = StreamModel(max_rows=max_rows, parent=self)
        self.table = QTableView()
        self.table.setObjectName("streamTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 110), (1, 130), (3, 110), (4, 130)):
            self.table.setColumnWidth(column, width)

        self.stream_title = QLabel("Live stream")
        self.stream_title.setStyleSheet("font-size: 14px; font-weight: 600; color: #202124;")
        self.stream_status = QLabel("Waiting for the store…")
        self.stream_status.setStyleSheet("color: #5f6368;")
        for label in (self.stream_title, self.stream_status):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.stream_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(ALL_KINDS)
        self.kind_filter.addItems([kind.value for kind in Kind])
        self.kind_filter.setToolTip("Show one kind of event")
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter by text…")
        self.text_filter.setToolTip("Matches the summary, project, session or user")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setMinimumWidth(160)
        self.text_filter.setMaximumWidth(320)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the stream to read it; the dashboard keeps updating")

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.stream_title)
        controls.addWidget(self.stream_status, 1)
        controls.addWidget(self.kind_filter)
        controls.addWidget(self.text_filter, 1)
        controls.addWidget(self.pause_button)

        self.stream = stream = QWidget()
        stream_layout = QVBoxLayout(stream)
        stream_layout.setContentsMargins(0, 8, 0, 0)
        stream_layout.setSpacing(8)
        stream_layout.addLayout(controls)
        stream_layout.addWidget(self.table, 1)
        # The user drags the line between the dashboard and the stream to give either more room.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.dashboard)
        self.splitter.addWidget(stream)
        self.splitter.setStretchFactor(1, 1)  # a taller window gives the stream the room
        self.dashboard.setMinimumHeight(160)
        stream.setMinimumHeight(140)
        self.splitter.splitterMoved.connect(self._split_moved)
        # After the tiles are placed, once their geometry is known.
        self.dashboard.grid.laidOut.connect(lambda: QTimer.singleShot(0, self, self._fit_split))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.splitter, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setObjectName("lookout.gui.overview.refresh")
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(_REFRESH_MS)
        self._refresh_timer.timeout.connect(self.flush)
        self._text_timer = QTimer(self)
        self._text_timer.setObjectName("lookout.gui.overview.text-filter")
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(_TEXT_DEBOUNCE_MS)
        self._text_timer.timeout.connect(self._emit_filter)

        self.kind_filter.currentIndexChanged.connect(self._emit_filter)
        self.text_filter.textChanged.connect(self._text_timer.start)
        self.text_filter.returnPressed.connect(self._emit_filter)
        self.pause_button.toggled.connect(self._toggle_pause)

    # --- life -------------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Whether the dashboard's first answers (or the store's failure) are on screen."""
        return self.dashboard.is_ready

    def start(self) -> None:
        """Read the dashboards and keep their widgets refreshing."""
        self.dashboard.start()

    def stop(self) -> None:
        self.dashboard.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_split()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_split()

    @Slot()
    def _fit_split(self) -> None:
        """Give the dashboard up to 70 % of the height, cut between whole widgets (two rows of
        cards and a row of charts in a 900-pixel window), until the user drags the line
        between it and the stream."""
        if self._split_by_user or not self.isVisible():
            return
        total = self.splitter.height() - self.splitter.handleWidth()
        top = min(self.dashboard.fitting_height(total * 7 // 10), total - self.stream.minimumHeight())
        self.splitter.setSizes([top, total - top])

    @Slot()
    def _split_moved(self) -> None:
        self._split_by_user = True

    # --- what the user asks for -------------------------------------------------------------

    def current_filter(self) -> tuple[list[str], str]:
        """The kinds (empty: all) and the text the user has chosen."""
        kind = self.kind_filter.currentText()
        return ([] if kind == ALL_KINDS else [kind]), self.text_filter.text().strip()

    @property
    def paused(self) -> bool:
        """Whether the stream is frozen."""
        return self._paused

    @Slot()
    def _emit_filter(self) -> None:
        self._text_timer.stop()
        kinds, text = self.current_filter()
        self.filterChanged.emit(kinds, text)

    @Slot(bool)
    def _toggle_pause(self, paused: bool) -> None:
        self._paused = paused
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pausedChanged.emit(paused)
        self._update_stream_status()
        if not paused and self._pending_batches:
            self._schedule()

    # --- what the worker reports ------------------------------------------------------------

    @Slot(list)
    def show_stream_rows(self, rows: list[StreamRow]) -> None:
        """Queue newer rows (newest first) for the next refresh."""
        self._pending_batches.append(rows)
        self._pending_count += len(rows)
        # Keep no more than the table can show: the oldest batches would be trimmed anyway.
        batches = self._pending_batches
        while len(batches) > 1 and self._pending_count - len(batches[0]) >= self.model.max_rows:
            self._pending_count -= len(batches.pop(0))
        self._schedule()

    @Slot(list)
    def show_stream_reset(self, rows: list[StreamRow]) -> None:
        """Queue a whole new stream (after a filter change) for the next refresh."""
        self._pending_reset = rows
        self._pending_batches.clear()
        self._pending_count = 0
        self._schedule()

    @Slot()
    def flush(self) -> None:
        """Apply everything queued now (the refresh timer calls this)."""
        self._refresh_timer.stop()
        if self._pending_reset is not None:
            self.model.reset(self._pending_reset)
            self._pending_reset = None
            self._have_stream = True
        if self._pending_batches and not self._paused:
            newest_first = [row for batch in reversed(self._pending_batches) for row in batch]
            self._pending_batches.clear()
            self._pending_count = 0
            self.model.prepend(newest_first)
        self._update_stream_status()

    def _schedule(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _update_stream_status(self) -> None:
        shown = self.model.rowCount()
        kinds, text = self.current_filter()
        if self._paused:
            status = "Paused — the dashboard keeps updating"
        elif shown:
            status = f"newest {shown:,} events" + (" matching the filter" if kinds or text else "")
        elif kinds or text:
            status = "No events match the filter"
        elif self._have_stream:
            status = "No events yet — waiting for the collector"
        else:
            status = "Waiting for the store…"
        self.stream_status.setText(status)
