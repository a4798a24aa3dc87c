"""A dashboard's widgets laid out on a grid, each reading its own data off the GUI thread.

:class:`DashboardGrid` places a :class:`~console.gui.dashboards.tile.WidgetTile` per widget
in a ``QGridLayout`` by the widget's row, column, width and height (every row one unit
high, every column equally wide). Each tile's query —
:func:`~console.core.store.widget_queries.widget_data` at the time it is asked — runs on the
window's :class:`~console.gui.jobs.StoreJobs`; a tile asks again at its widget's refresh
interval while it is on screen. Showing a changed dashboard keeps the tiles of widgets that
measure the same thing, so a move or a new widget does not blank the others.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from console.core.analysis.product.dashboard import GRID_COLUMNS, Dashboard, Widget
from console.core.analysis.vitals import THRESHOLDS
from console.core.store.occurrences import selection_sql
from console.core.store.widget_queries import WidgetData, widget_data
from console.gui.dashboards.arrange import allowed_moves
from console.gui.dashboards.card import CardContent
from console.gui.dashboards.chart import ChartContent
from console.gui.dashboards.tile import TileContent, WidgetTile
from console.gui.jobs import StoreJobs

__all__ = ["ROW_HEIGHT", "DashboardGrid", "rated_sample"]

#: The height of one grid row in pixels: a card's, with its sparkline.
ROW_HEIGHT = 118
_SPACING = 12
_serials = itertools.count(1)


def _content_key(widget: Widget) -> Widget:
    """What a tile's content depends on: everything but where the widget sits."""
    return replace(widget, row=0, col=0, width=1, height=1)


def _content(widget: Widget) -> TileContent:
    return CardContent(widget) if widget.kind == "card" else ChartContent(widget)


def rated_sample(conn: sqlite3.Connection, widget: Widget, now_ms: int) -> int | None:
    """How many values a card's p75 of a Web Vital is taken of (None for other widgets): a
    rating needs :data:`~console.core.analysis.vitals.MIN_SAMPLE` of them."""
    measure = widget.measure
    if widget.kind != "card" or measure is None or measure.aggregation != "p75" or measure.field not in THRESHOLDS:
        return None
    sql, params = selection_sql(measure.ref, now_ms - widget.span_ms, now_ms, field=measure.field)
    (count,) = conn.execute(f"SELECT count(value) FROM ({sql})", params).fetchone()
    return int(count)


class DashboardGrid(QWidget):
    """The tiles of one dashboard.

    Signals:
        widgetAction(int, str): the user chose a tile's menu entry (the widget's index in the
            dashboard, a key of :data:`~console.gui.dashboards.tile.MENU_ACTIONS`).
        answered(): every tile of the dashboard shown last has its first answer (or failure).
        laidOut(): the tiles of another dashboard (or of a changed one) were placed.
    """

    widgetAction = Signal(int, str)
    answered = Signal()
    laidOut = Signal()

    def __init__(self, *, jobs: StoreJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._prefix = f"dashboard.{next(_serials)}."
        self.dashboard: Dashboard | None = None
        self.tiles: list[WidgetTile] = []
        self._keys: dict[str, WidgetTile] = {}
        self._waiting: set[str] = set()
        self._running = False
        self.empty = QLabel("This dashboard has no widgets yet: add one with “Add widget…”.")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #5f6368; font-size: 13px; padding: 24px;")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(_SPACING)
        for col in range(GRID_COLUMNS):
            self.grid.setColumnStretch(col, 1)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)

    # --- life -------------------------------------------------------------------------------

    @property
    def is_answered(self) -> bool:
        """Whether every tile shown has had its first answer."""
        return not self._waiting

    def start(self) -> None:
        """Let the tiles refresh on their own from now on."""
        self._running = True
        for tile in self.tiles:
            tile.start()

    def stop(self) -> None:
        """Stop refreshing; answers in flight are dropped."""
        self._running = False
        for tile in self.tiles:
            tile.stop()
        self._waiting.clear()

    def refresh(self) -> None:
        """Ask for every tile's data now."""
        for tile in self.tiles:
            self._submit(tile)

    def band_bottoms(self) -> list[int]:
        """Where (pixels from the grid's top) each band of widgets ends: the heights the grid
        can be cut at without cutting a widget.

        Every row is ROW_HEIGHT high; QGridLayout puts its spacing only before a row some
        widget starts in (a row a taller widget merely reaches into gets none).
        """
        widgets = self.dashboard.widgets if self.dashboard is not None else ()
        starts = {w.row for w in widgets}
        return [
            band * ROW_HEIGHT + _SPACING * sum(1 for row in range(1, band) if row in starts)
            for band in sorted({w.row + w.height for w in widgets})
        ]

    def tile_titled(self, title: str) -> WidgetTile | None:
        """The first tile headed ``title`` (its widget's label, whether or not it fits)."""
        return next((t for t in self.tiles if t.widget.label() == title), None)

    # --- showing a dashboard ----------------------------------------------------------------

    def show_dashboard(self, dashboard: Dashboard | None) -> None:
        """Lay out ``dashboard``'s widgets (None: nothing), keeping unchanged tiles and their data."""
        if dashboard == self.dashboard and dashboard is not None:
            return
        self.dashboard = dashboard
        widgets = dashboard.widgets if dashboard is not None else ()
        spare: dict[Widget, list[WidgetTile]] = {}
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            spare.setdefault(_content_key(tile.widget), []).append(tile)
        self.grid.removeWidget(self.empty)
        self._waiting.clear()
        self.tiles = []
        fresh: list[WidgetTile] = []
        for widget in widgets:
            kept = spare.get(_content_key(widget))
            if kept:
                tile = kept.pop(0)
                tile.widget = widget
            else:
                tile = self._make_tile(widget)
                fresh.append(tile)
            self.tiles.append(tile)
        for leftovers in spare.values():
            for tile in leftovers:
                self._drop(tile)
        self._lay_out(widgets)
        self.laidOut.emit()
        for tile in fresh:
            self._submit(tile)
            if self._running:
                tile.start()
        if not self._waiting:
            self.answered.emit()

    def _make_tile(self, widget: Widget) -> WidgetTile:
        tile = WidgetTile(widget, _content(widget), parent=self)
        key = f"{self._prefix}{next(_serials)}"
        tile.setProperty("jobKey", key)
        self._keys[key] = tile
        tile.actionRequested.connect(lambda action, t=tile: self._tile_action(t, action))
        tile.refreshDue.connect(lambda t=tile: self._submit(t))
        return tile

    def _drop(self, tile: WidgetTile) -> None:
        tile.stop()
        self._keys.pop(str(tile.property("jobKey")), None)
        tile.hide()
        tile.deleteLater()

    def _lay_out(self, widgets: tuple[Widget, ...]) -> None:
        for row in range(self.grid.rowCount()):
            self.grid.setRowMinimumHeight(row, 0)
            self.grid.setRowStretch(row, 0)
        if not widgets:
            self.empty.setText("No dashboards yet: create one with “New…”." if self.dashboard is None
                               else "This dashboard has no widgets yet: add one with “Add widget…”.")
            self.grid.addWidget(self.empty, 0, 0, 1, GRID_COLUMNS)
            self.empty.show()
            return
        self.empty.hide()
        bottom = max(w.row + w.height for w in widgets)
        for row in range(bottom):
            self.grid.setRowMinimumHeight(row, ROW_HEIGHT)
        for index, (tile, widget) in enumerate(zip(self.tiles, widgets, strict=True)):
            self.grid.addWidget(tile, widget.row, widget.col, widget.height, widget.width)
            tile.set_moves(allowed_moves(widgets, index))
            tile.show()

    # --- asking and answers -----------------------------------------------------------------

    def _submit(self, tile: WidgetTile) -> None:
        key = str(tile.property("jobKey"))
        widget = tile.widget
        # The range ends after this very millisecond: an event stamped now has arrived.
        now_ms = int(time.time() * 1000) + 1

        def job(conn: sqlite3.Connection) -> tuple[WidgetData, int | None] | str:
            try:
                return widget_data(conn, widget, now_ms), rated_sample(conn, widget, now_ms)
            except ValueError as exc:  # a definition the store cannot answer (a KPI's formula…)
                return str(exc)

        self._waiting.add(key)
        self._jobs.submit(key, job)

    def _tile_action(self, tile: WidgetTile, action: str) -> None:
        if tile in self.tiles:
            self.widgetAction.emit(self.tiles.index(tile), action)

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        tile = self._keys.get(key)
        if tile is None:
            return
        if isinstance(result, tuple):
            tile.show_data(*result)
        else:
            tile.show_failure(str(result))
        self._answer(key)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        tile = self._keys.get(key)
        if tile is not None:
            tile.show_failure(f"cannot read the store — {message}")
            self._answer(key)

    def _answer(self, key: str) -> None:
        if key in self._waiting:
            self._waiting.discard(key)
            if not self._waiting:
                self.answered.emit()
