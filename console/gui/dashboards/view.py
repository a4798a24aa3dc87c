"""A dashboard on screen with its selector: choose, create, rename and delete dashboards,
add widgets and edit, move or remove them.

:class:`DashboardView` lists the store's dashboards
(:func:`~console.core.store.dashboards.shown_dashboards`, on the window's
:class:`~console.gui.jobs.StoreJobs`) in a selector and shows the chosen one in a
:class:`~console.gui.dashboards.grid.DashboardGrid`. Every change is a whole dashboard saved
through the window's :class:`~console.gui.product_client.ProductClient` (the collector's
writer, or the window's own); the grid shows the changed dashboard at once and the list is
read again when the writer answers, so a refused change goes back to what the store holds.
A store that never had its default dashboard shows it unsaved until the window asks the
writer for it (``ProductClient.ensure_default_dashboard``); the list is read again then.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD, Dashboard
from console.core.store.dashboards import shown_dashboards
from console.core.store.product_actions import ProductAction
from console.gui.dashboards.arrange import moved
from console.gui.dashboards.choices import PickerChoices, picker_choices
from console.gui.dashboards.editor import WidgetEditor
from console.gui.dashboards.grid import DashboardGrid
from console.gui.dashboards.prompts import ask_for_name, ask_to_delete
from console.gui.jobs import StoreJobs
from console.gui.product_client import ProductClient

__all__ = ["DashboardView"]

_RELIST_MS = 30_000
_RETRY_MS = 3_000
_BAR_STYLE = """
QLabel#dashboardHeading { font-size: 14px; font-weight: 600; color: #202124; }
QLabel#dashboardStatus { color: #5f6368; }
QWidget#dashboardSheet { background: transparent; }
"""


class DashboardView(QWidget):
    """The dashboard selector and the chosen dashboard's grid.

    ``product``: where changes are saved (None: the view only shows).

    Signals:
        ready(): the dashboards were listed and the first one's tiles answered (or the store
            failed), once.
    """

    ready = Signal()

    def __init__(
        self,
        *,
        jobs: StoreJobs,
        product: ProductClient | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(_BAR_STYLE)
        self._jobs = jobs
        self._product = product
        self._running = False
        self._ready = False
        self._listed = False
        self._wanted: str | None = DEFAULT_DASHBOARD.name  # the dashboard to select on the next list
        self._key = f"dashboards.{id(self)}."
        self.dashboards: list[Dashboard] = []
        self.editor: WidgetEditor | None = None
        self.name_dialog: QInputDialog | None = None
        self.confirm: QMessageBox | None = None
        self._editing: int | None = None  # the widget the editor being opened edits
        self._change = ""  # what the last change asked of the writer did, for the status line

        self.heading = QLabel("Dashboard", objectName="dashboardHeading")
        self.selector = QComboBox()
        self.selector.setMinimumWidth(180)
        self.selector.setToolTip("The dashboard to show")
        self.status = QLabel("", objectName="dashboardStatus", textFormat=Qt.TextFormat.PlainText)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.add_button = QPushButton("Add widget…")
        self.new_button = QPushButton("New…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete this dashboard and its widgets")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(8)
        for widget, stretch in ((self.heading, 0), (self.selector, 0), (self.status, 1), (self.add_button, 0),
                                (self.new_button, 0), (self.rename_button, 0), (self.delete_button, 0)):
            bar.addWidget(widget, stretch)

        self.grid = DashboardGrid(jobs=jobs)
        sheet = QWidget(objectName="dashboardSheet")
        sheet_layout = QVBoxLayout(sheet)
        sheet_layout.setContentsMargins(0, 0, 4, 0)  # room beside the scroll bar
        sheet_layout.addWidget(self.grid)
        sheet_layout.addStretch(1)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(sheet)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self._update_buttons()

        self.selector.activated.connect(
            lambda i: self.choose(self.dashboards[i].name) if 0 <= i < len(self.dashboards) else None)
        self.add_button.clicked.connect(lambda: self.open_editor(None))
        self.new_button.clicked.connect(self.ask_new_name)
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.ask_delete)
        # Another window or the collector may change the dashboards: read them again now and
        # then while on screen.
        self._relist_timer = QTimer(self)
        self._relist_timer.setObjectName("lookout.gui.dashboards.relist")
        self._relist_timer.setInterval(_RELIST_MS)
        self._relist_timer.timeout.connect(self.relist)  # runs only while on screen
        self.grid.widgetAction.connect(self._widget_action)
        self.grid.answered.connect(self._grid_answered)
        jobs.done.connect(self._on_done)
        jobs.failed.connect(self._on_failed)
        if product is not None:
            product.done.connect(self._saved)
            product.failed.connect(self._save_failed)

    # --- life -------------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Whether the first dashboard is on screen with its first answers."""
        return self._ready

    @property
    def current(self) -> Dashboard | None:
        """The dashboard shown."""
        return self.grid.dashboard

    def fitting_height(self, limit: int) -> int:
        """The height that shows the selector and as many whole bands of widgets as fit in
        ``limit`` pixels (at least the first band), measured where the tiles are laid out."""
        bottoms = self.grid.band_bottoms()
        if not bottoms:
            return self.sizeHint().height()
        top = self.grid.mapTo(self, QPoint(0, 0)).y() + self.scroll.verticalScrollBar().value()
        fitting = [b for b in bottoms if top + b <= limit] or bottoms[:1]
        return top + fitting[-1] + 4  # a little air under the last band

    def start(self) -> None:
        """List the dashboards and keep the shown one's widgets refreshing."""
        self._running = True
        self.grid.start()
        if self.isVisible():
            self._relist_timer.start()
        self.relist()

    def stop(self) -> None:
        self._running = False
        self._relist_timer.stop()
        self.grid.stop()

    def relist(self) -> None:
        """Read the dashboards again (the shown one's tiles keep theirs if unchanged)."""
        self._jobs.submit(self._key + "list", shown_dashboards)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._running:
            self._relist_timer.start()
            if self._listed:
                self.relist()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._relist_timer.stop()  # read again when shown

    def prefer(self, name: str) -> None:
        """Select the dashboard called ``name`` once the dashboards are listed (if there is one)."""
        self._wanted = name
        if self._listed:
            self.choose(name)

    def choose(self, name: str) -> None:
        """Show the dashboard called ``name`` (ignored when there is none)."""
        found = next((d for d in self.dashboards if d.name == name), None)
        if found is not None:
            self._wanted = name
            self.selector.setCurrentIndex(self.dashboards.index(found))
            self.grid.show_dashboard(found)
            self._update_buttons()

    # --- answers ----------------------------------------------------------------------------

    @Slot(str, object)
    def _on_done(self, key: str, result: Any) -> None:
        if not self._running:
            return
        if key == self._key + "list":
            self._show_list(result)
        elif key == self._key + "choices":
            self._open_editor_with(result)

    @Slot(str, str)
    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith(self._key):
            self.status.setText(f"cannot read the store — {message}")
            self._mark_ready()
            if key == self._key + "list" and self._running:  # the store may be readable soon
                QTimer.singleShot(_RETRY_MS, self, lambda: self.relist() if self._running else None)

    def _show_list(self, dashboards: list[Dashboard]) -> None:
        self._listed = True
        self.dashboards = dashboards
        self.selector.blockSignals(True)
        self.selector.clear()
        for dashboard in dashboards:
            self.selector.addItem(dashboard.name)
        self.selector.blockSignals(False)
        if not dashboards:
            self.grid.show_dashboard(None)
            self._update_buttons()
            self._mark_ready()
            return
        names = [d.name for d in dashboards]
        wanted = self._wanted if self._wanted in names else (
            self.current.name if self.current is not None and self.current.name in names else names[0])
        self.choose(wanted)
        if self.grid.is_answered:
            self._mark_ready()

    @Slot()
    def _grid_answered(self) -> None:
        if self._listed:
            self._mark_ready()

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()

    def _update_buttons(self) -> None:
        dashboard = self.current
        writable = self._product is not None
        self.new_button.setEnabled(writable and self._listed)
        self.add_button.setEnabled(writable and dashboard is not None)
        self.rename_button.setEnabled(writable and dashboard is not None)
        # An unsaved default (a store that never had it) has nothing to delete yet.
        self.delete_button.setEnabled(writable and dashboard is not None and dashboard.id is not None)
        if not writable:
            for button in (self.add_button, self.new_button, self.rename_button, self.delete_button):
                button.setToolTip("this window only reads the store")

    # --- changing dashboards ----------------------------------------------------------------

    def save(self, dashboard: Dashboard, *, what: str) -> None:
        """Save ``dashboard`` (shown at once); ``what`` tells the status line what changed."""
        if self._product is None:
            return
        self._wanted = dashboard.name
        shown = self.current
        if shown is not None and (dashboard.id, dashboard.name if dashboard.id is None else "") == (
                shown.id, shown.name if shown.id is None else ""):
            self.grid.show_dashboard(dashboard)  # at once; the list read after the save confirms it
        self._change = what
        self.status.setText(f"saving — {what}…")
        self._product.request(ProductAction.save(dashboard))

    @Slot(object, object)
    def _saved(self, action: ProductAction, _result: object) -> None:
        if action.subject == "dashboard":
            if action.kind != "ensure_default_dashboard":
                self.status.setText(f"saved — {self._change}")
            self.relist()

    @Slot(object, str)
    def _save_failed(self, action: ProductAction, message: str) -> None:
        if action.subject == "dashboard" and action.kind != "ensure_default_dashboard":
            self.status.setText(f"not saved ({self._change}) — {message}")
            self.relist()

    def open_editor(self, index: int | None) -> None:
        """Open the widget editor for a new widget (None) or the widget at ``index``, once the
        store has said what its pickers offer."""
        if self.current is None or self._product is None:
            return
        self._editing = index
        self.status.setText("reading what the store holds…")
        self._jobs.submit(self._key + "choices", picker_choices)

    def _open_editor_with(self, choices: PickerChoices) -> None:
        dashboard = self.current
        if dashboard is None:
            return
        self.status.setText("")
        index = self._editing if self._editing is not None and self._editing < len(dashboard.widgets) else None
        editor = WidgetEditor(dashboard=dashboard, index=index, catalog=choices.catalog, kpis=choices.kpis,
                              parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.accepted.connect(lambda: self._editor_accepted(editor))
        self.editor = editor
        editor.open()

    def _editor_accepted(self, editor: WidgetEditor) -> None:
        try:
            changed = editor.dashboard_after()
        except ValueError as exc:
            self.status.setText(f"not saved — {exc}")
            return
        widget = changed.widgets[editor.index if editor.index is not None else -1]
        self.save(changed, what=f"{'edited' if editor.index is not None else 'added'} {widget.label()}")

    @Slot(int, str)
    def _widget_action(self, index: int, action: str) -> None:
        dashboard = self.current
        if dashboard is None or index >= len(dashboard.widgets):
            return
        label = dashboard.widgets[index].label()
        if action == "edit":
            self.open_editor(index)
        elif action == "remove":
            self.save(dashboard.without_widget(index), what=f"removed {label}")
        else:
            widgets = moved(dashboard.widgets, index, action)
            if widgets is not None:
                self.save(replace(dashboard, widgets=widgets), what=f"moved {label} {action}")

    @Slot()
    def ask_new_name(self) -> QInputDialog:
        """Ask for a new dashboard's name (it is created empty)."""
        self.name_dialog = ask_for_name(self, "New dashboard", "", self.create)
        return self.name_dialog

    @Slot()
    def ask_rename(self) -> QInputDialog | None:
        if self.current is None:
            return None
        self.name_dialog = ask_for_name(self, "Rename dashboard", self.current.name, self.rename)
        return self.name_dialog

    def create(self, name: str) -> None:
        """Create an empty dashboard called ``name``, after the others, and show it."""
        problem = self._name_problem(name)
        if problem:
            self.status.setText(problem)
            return
        position = max((d.position for d in self.dashboards), default=-1) + 1
        self.save(Dashboard(name=name.strip(), position=position), what=f"new dashboard {name.strip()}")

    def rename(self, name: str) -> None:
        """Rename the shown dashboard."""
        dashboard = self.current
        if dashboard is None or name.strip() == dashboard.name:
            return
        problem = self._name_problem(name)
        if problem:
            self.status.setText(problem)
            return
        self.save(replace(dashboard, name=name.strip()), what=f"renamed to {name.strip()}")

    def _name_problem(self, name: str) -> str:
        name = name.strip()
        if not name:
            return "a dashboard needs a name"
        if any(d.name == name for d in self.dashboards):
            return f"there is already a dashboard called {name!r}"
        try:
            Dashboard(name=name)
        except ValueError as exc:
            return str(exc)
        return ""

    @Slot()
    def ask_delete(self) -> QMessageBox | None:
        """Ask before deleting the shown dashboard."""
        dashboard = self.current
        if dashboard is None or dashboard.id is None:
            return None
        self.confirm = ask_to_delete(self, dashboard, self.delete_current)
        return self.confirm

    def delete_current(self) -> None:
        """Delete the shown dashboard; the first remaining one is shown next."""
        dashboard = self.current
        if self._product is None or dashboard is None or dashboard.id is None:
            return
        self._wanted = next((d.name for d in self.dashboards if d.id != dashboard.id), None)
        self._change = f"deleted {dashboard.name}"
        self.status.setText(f"deleting {dashboard.name}…")
        self._product.request(ProductAction(kind="delete_dashboard", id=dashboard.id))
