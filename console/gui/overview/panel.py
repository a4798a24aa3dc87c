"""The Overview panel: four live metric cards above the live stream of every event.

The panel renders what the reader worker reports and forwards what the user asks for (a
kind, a text, pause) as signals; it runs no query and computes no figure. Results are not
applied as they arrive: the panel keeps the latest of each and applies them together on a
short GUI timer, so a burst of signals costs one repaint.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.overview import OverviewFigures
from console.core.events import Kind
from console.core.store.queries import StreamRow
from console.gui.overview.cards import RATING_COLORS, MetricCard, describe_lcp, format_ms
from console.gui.overview.stream_model import StreamModel

__all__ = ["ALL_KINDS", "OverviewPanel"]

log = logging.getLogger("lookout.gui.overview")

#: The kind filter's first entry, which shows every kind.
ALL_KINDS = "All kinds"
_REFRESH_MS = 250
_TEXT_DEBOUNCE_MS = 250


class OverviewPanel(QWidget):
    """Events/min, errors/min, active sessions and p75 LCP, with the filterable live stream.

    Connect the reader worker's results to :meth:`show_stream_rows`,
    :meth:`show_stream_reset` and :meth:`show_figures`, and this panel's signals back to
    the worker.

    Signals:
        filterChanged(list, str): the kinds to show (empty: all) and the text to match.
        pausedChanged(bool): the user paused (True) or resumed (False) the stream.
    """

    filterChanged = Signal(list, str)
    pausedChanged = Signal(bool)

    def __init__(self, *, max_rows: int = 5_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending_reset: list[StreamRow] | None = None
        self._pending_batches: list[list[StreamRow]] = []
        self._pending_count = 0
        self._pending_figures: OverviewFigures | None = None
        self._paused = False
        self._have_figures = False

        self.events_card = MetricCard(title="Events / min")
        self.errors_card = MetricCard(title="Errors / min")
        self.sessions_card = MetricCard(title="Active sessions")
        self.lcp_card = MetricCard(title="p75 LCP")
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in (self.events_card, self.errors_card, self.sessions_card, self.lcp_card):
            cards.addWidget(card)

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
        self.pause_button.setToolTip("Freeze the stream to read it; the cards keep updating")

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.stream_title)
        controls.addWidget(self.stream_status, 1)
        controls.addWidget(self.kind_filter)
        controls.addWidget(self.text_filter, 1)
        controls.addWidget(self.pause_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(12)
        layout.addLayout(cards)
        layout.addLayout(controls)
        layout.addWidget(self.table, 1)

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

    @Slot(object)
    def show_figures(self, figures: OverviewFigures) -> None:
        """Queue the latest card figures for the next refresh."""
        self._pending_figures = figures
        self._schedule()

    @Slot()
    def flush(self) -> None:
        """Apply everything queued now (the refresh timer calls this)."""
        self._refresh_timer.stop()
        if self._pending_reset is not None:
            self.model.reset(self._pending_reset)
            self._pending_reset = None
        if self._pending_batches and not self._paused:
            newest_first = [row for batch in reversed(self._pending_batches) for row in batch]
            self._pending_batches.clear()
            self._pending_count = 0
            self.model.prepend(newest_first)
        if self._pending_figures is not None:
            self._apply_figures(self._pending_figures)
            self._pending_figures = None
        self._update_stream_status()

    def _schedule(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _apply_figures(self, figures: OverviewFigures) -> None:
        self._have_figures = True
        self.events_card.set_value(f"{figures.events_per_min:,}")
        self.events_card.set_caption(f"in the last minute · {figures.events_per_s:,.1f}/s")
        self.events_card.set_series(figures.events_series)
        self.errors_card.set_value(f"{figures.errors_per_min:,}")
        self.errors_card.set_caption("in the last minute")
        self.errors_card.set_series(figures.errors_series)
        self.sessions_card.set_value(f"{figures.active_sessions:,}")
        self.sessions_card.set_caption("seen in the last 5 minutes")
        self.sessions_card.set_series(figures.sessions_series)
        badge, caption = describe_lcp(figures.lcp_rating, figures.lcp_samples)
        self.lcp_card.set_value(format_ms(figures.lcp_p75))
        self.lcp_card.set_caption(caption)
        self.lcp_card.set_badge(badge, RATING_COLORS[figures.lcp_rating])
        self.lcp_card.set_series(figures.lcp_series)

    def _update_stream_status(self) -> None:
        shown = self.model.rowCount()
        kinds, text = self.current_filter()
        if self._paused:
            status = "Paused — the cards keep updating"
        elif shown:
            status = f"newest {shown:,} events" + (" matching the filter" if kinds or text else "")
        elif kinds or text:
            status = "No events match the filter"
        elif self._have_figures:
            status = "No events yet — waiting for the collector"
        else:
            status = "Waiting for the store…"
        self.stream_status.setText(status)
