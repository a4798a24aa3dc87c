"""Lookout's main window: a navigation list, the panels, and a status bar about the store.

:class:`MainWindow` owns the :class:`~console.gui.reader.StoreWatcher` that reads the store
on its own thread, wires its results to the panels and the status bar, and stops it when
the window closes. When the store cannot be read the window says so above the panels and
keeps retrying; it never raises on the environment's faults.

Alerts: without a collector the window evaluates the rules itself (through
:class:`~console.gui.alert_client.AlertClient`). A notified alert goes to the system tray
when the desktop has one — the window then hides into the tray when closed, and only the
tray's Quit ends it — or else to a banner above the panels; rules with the "sound" channel
also beep.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.collector.alerting import ChannelSettings
from console.core.analysis.alerts.rules import AlertRule
from console.core.analysis.overview import OverviewFigures
from console.core.store.alerts import AlertEvent
from console.core.store.log_queries import LEVELS, RelatedEvent
from console.core.store.queries import StoreInfo
from console.core.store.session_queries import TimelineItem
from console.gui.about import AboutDialog
from console.gui.alert_client import AlertClient
from console.gui.alerts import AlertsPanel
from console.gui.alerts.banner import AlertBanner
from console.gui.analytics import AnalyticsPanel
from console.gui.analytics.reveal import RowReveal
from console.gui.errors import ErrorsPanel
from console.gui.experiments import DefinitionClient, ExperimentsPanel
from console.gui.issue_actions import IssueActionClient
from console.gui.jobs import StoreJobs
from console.gui.logs import LogsPanel
from console.gui.metrics import MetricsPanel
from console.gui.overview import OverviewPanel
from console.gui.own_writer import OwnWriter
from console.gui.performance import PerformancePanel
from console.gui.product_client import ProductClient
from console.gui.reader import StoreWatcher
from console.gui.store_upgrade import StoreUpgrade
from console.gui.tray import AlertTray, app_icon, tray_available
from console.gui.window_state import WindowState

__all__ = ["PANEL_NAMES", "MainWindow", "describe_retention", "human_bytes"]

log = logging.getLogger("lookout.gui.window")

#: The panels a window has, by the name the command line uses, in navigation order.
PANEL_NAMES = ("overview", "performance", "alerts", "experiments", "analytics", "errors", "logs", "metrics")

_STYLE = """
QWidget#central { background: #f8f9fa; }
QListWidget#navigation {
    background: #f1f3f4; border: none; border-right: 1px solid #dadce0;
    padding-top: 8px; font-size: 13px; color: #202124; outline: 0;
}
QListWidget#navigation::item { padding: 8px 14px; }
QListWidget#navigation::item:selected { background: #d2e3fc; color: #174ea6; }
QLabel#storeError {
    background: #fce8e6; color: #a50e0e; border: 1px solid #f28b82; border-radius: 6px;
    padding: 8px 12px; font-weight: 600;
}
"""


def human_bytes(size: int) -> str:
    """A file size in binary units: '812 B', '4.2 MB'."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def describe_retention(info: StoreInfo) -> str:
    """The status bar's retention text: what retention has dropped, and when it last did."""
    if info.dropped_rows == 0:
        return "retention: nothing dropped"
    text = f"retention: dropped {info.dropped_rows:,} events"
    if info.last_drop_reason:
        text += f" ({info.last_drop_reason})"
    if info.last_drop_at is not None:
        text += f" at {datetime.fromtimestamp(info.last_drop_at / 1000):%H:%M}"
    return text


class MainWindow(QMainWindow):
    """The window over one store file, optionally beside a running collector.

    ``tray``: put an icon in the system tray (None: when the desktop has one).
    ``evaluate_alerts``: evaluate the rules when there is no collector (a screenshot does not),
    every ``alert_interval_s``, delivering webhooks and log lines per ``alert_channels``.

    Signals:
        loaded(): the store's first results, or its first failure, have arrived (once).
    """

    loaded = Signal()

    def __init__(
        self,
        *,
        db_path: str | Path,
        collector_url: str | None,
        poll_interval_ms: int = 500,
        alert_interval_s: float = 15.0,
        alert_channels: ChannelSettings | None = None,
        evaluate_alerts: bool = True,
        tray: bool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.collector_url = collector_url
        self._loaded = False
        self._stopped = False
        self._quitting = False
        self._evaluate_alerts = evaluate_alerts
        self.setWindowTitle("Lookout")
        self.setWindowIcon(app_icon())
        self.resize(1400, 900)

        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setFixedWidth(150)
        self.stack = QStackedWidget()
        self.jobs = StoreJobs(db_path=self.db_path, parent=self)
        # Without a collector, issue actions and alert evaluation share one writer of the window's.
        self.own_writer = OwnWriter(self.db_path)
        self.actions = IssueActionClient(
            db_path=self.db_path, collector_url=collector_url, own_writer=self.own_writer, parent=self
        )
        self.errors = ErrorsPanel(jobs=self.jobs, actions=self.actions)
        self.logs = LogsPanel(jobs=self.jobs)
        self.metrics = MetricsPanel(jobs=self.jobs)
        self.performance = PerformancePanel(jobs=self.jobs)
        self.performance.relatedActivated.connect(self._open_related)
        self.alert_client = AlertClient(
            db_path=self.db_path, collector_url=collector_url, interval_s=alert_interval_s,
            channels=alert_channels, own_writer=self.own_writer, parent=self,
        )
        self.alerts = AlertsPanel(jobs=self.jobs, actions=self.alert_client)
        self.definitions = DefinitionClient(
            db_path=self.db_path, collector_url=collector_url, own_writer=self.own_writer, parent=self
        )
        # Funnels, KPIs and dashboards are saved through this one.
        self.product_client = ProductClient(
            db_path=self.db_path, collector_url=collector_url, own_writer=self.own_writer, parent=self
        )
        self.overview = OverviewPanel(jobs=self.jobs, product=self.product_client)
        self.experiments = ExperimentsPanel(jobs=self.jobs, definitions=self.definitions)
        self.analytics = AnalyticsPanel(jobs=self.jobs, product_client=self.product_client)
        self.analytics.openRequested.connect(self._open_session_event)
        self._reveal: RowReveal | None = None
        panels = (
            ("Overview", self.overview), ("Performance", self.performance), ("Alerts", self.alerts),
            ("Experiments", self.experiments), ("Analytics", self.analytics), ("Errors", self.errors),
            ("Logs", self.logs), ("Metrics", self.metrics),
        )
        for title, panel in panels:
            self.navigation.addItem(title)
            self.stack.addWidget(panel)
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.navigation.setCurrentRow(0)

        self.store_error = QLabel(objectName="storeError")
        self.store_error.setTextFormat(Qt.TextFormat.PlainText)
        self.store_error.setWordWrap(True)
        self.store_error.hide()
        self.alert_banner = AlertBanner()

        content = QVBoxLayout()
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(0)
        content.addWidget(self.store_error)
        content.addWidget(self.alert_banner)
        content.addWidget(self.stack, 1)
        central = QWidget(objectName="central")
        central.setStyleSheet(_STYLE)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addLayout(content, 1)
        self.setCentralWidget(central)

        collector = f"collector: {collector_url}" if collector_url else f"no collector — reading {self.db_path}"
        self.collector_label = QLabel(collector)
        self.rate_label = QLabel("– events/s")
        self.size_label = QLabel("store: –")
        self.retention_label = QLabel("retention: –")
        # A long path is clipped rather than pushing the figures off the bar.
        self.collector_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.about_button = QToolButton(text="About", autoRaise=True)
        self.about_button.setToolTip("Version, store, collector and data folders")
        self.about_button.clicked.connect(self.show_about)
        bar = self.statusBar()
        bar.addWidget(self.collector_label, 1)
        for label in (self.rate_label, self.size_label, self.retention_label):
            bar.addPermanentWidget(label)
        bar.addPermanentWidget(self.about_button)
        for label in (self.collector_label, self.rate_label, self.size_label, self.retention_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setContentsMargins(6, 0, 6, 0)

        self.watcher = StoreWatcher(db_path=self.db_path, interval_ms=poll_interval_ms)
        self.watcher.streamRows.connect(self.overview.show_stream_rows)
        self.watcher.streamReset.connect(self.overview.show_stream_reset)
        self.watcher.figures.connect(self._show_figures)
        self.watcher.storeInfo.connect(self._show_store_info)
        self.watcher.failed.connect(self._show_failure)
        self.overview.filterChanged.connect(self.watcher.set_filter)
        self.overview.pausedChanged.connect(self.watcher.set_paused)
        self.tray: AlertTray | None = None
        if tray is True or (tray is None and tray_available()):
            self.tray = AlertTray(parent=self)
            self.tray.showWindowRequested.connect(self.bring_forward)
            self.tray.alertOpened.connect(self.open_alert)
            self.tray.quitRequested.connect(self.quit)
            app = QApplication.instance()
            if isinstance(app, QApplication):
                # Hidden in the tray is still running: closing a dialog must not end the app.
                app.setQuitOnLastWindowClosed(False)
        self.alerts.linkActivated.connect(self._open_alert_link)
        self.alerts.alertNotified.connect(self._alert_notified)
        self.alerts.firingChanged.connect(self._show_firing)
        self.alerts.answered.connect(self._alerts_readable)
        self.alert_banner.openRequested.connect(self.open_alert)

        # A store of an older Lookout is upgraded first by a window that may write to it.
        self.upgrade: StoreUpgrade | None = StoreUpgrade(db_path=self.db_path, parent=self)
        if evaluate_alerts and collector_url is None and self.upgrade.needed:
            self.store_error.setText(self.upgrade.describe())
            self.store_error.show()
            self.upgrade.finished.connect(self._upgraded)
            self.upgrade.start()
        else:
            self.upgrade = None
            self._start_reading()

    def _start_reading(self) -> None:
        self.watcher.start()
        self.jobs.start()
        self.overview.start()
        self.errors.start()
        self.logs.start()
        self.metrics.start()
        self.performance.start()
        self.alerts.start()
        self.experiments.start()
        self.analytics.start()

    @Slot(str)
    def _upgraded(self, failure: str) -> None:
        if self._stopped:
            return
        if failure:
            self.store_error.setText(f"Could not upgrade the store — {failure}")
        else:
            self.store_error.hide()
        self._start_reading()

    @property
    def is_loaded(self) -> bool:
        """Whether the store's first results (or first failure) have arrived."""
        return self._loaded

    def show_panel(self, name: str) -> None:
        """Bring a panel forward by its command-line name; ValueError for an unknown one."""
        if name not in PANEL_NAMES:
            raise ValueError(f"unknown panel {name!r}; valid panels: {', '.join(PANEL_NAMES)}")
        self.navigation.setCurrentRow(PANEL_NAMES.index(name))

    def panel(self, name: str) -> QWidget:
        """The panel widget of a command-line name."""
        panels: dict[str, QWidget] = {
            "overview": self.overview, "performance": self.performance, "alerts": self.alerts,
            "experiments": self.experiments, "analytics": self.analytics, "errors": self.errors, "logs": self.logs,
            "metrics": self.metrics,
        }
        return panels[name]

    def restore(self, state: WindowState) -> None:
        """Come back as :meth:`remembered` left it: place and size, panel, the Overview's dashboard."""
        if state.geometry:
            self.restoreGeometry(QByteArray.fromBase64(state.geometry.encode("ascii")))
        if state.panel in PANEL_NAMES:
            self.show_panel(state.panel)
        if state.dashboard:
            self.overview.dashboard.prefer(state.dashboard)

    def remembered(self) -> WindowState:
        """What the next window should come back to."""
        current = self.overview.dashboard.current
        return WindowState(
            panel=PANEL_NAMES[self.navigation.currentRow()] if self.navigation.currentRow() >= 0 else None,
            dashboard=current.name if current is not None else None,
            geometry=bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
        )

    def shutdown(self) -> None:
        """Stop the reader thread and close its connection; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        if self.upgrade is not None:
            self.upgrade.wait()
        self.overview.stop()
        self.errors.stop()
        self.logs.stop()
        self.metrics.stop()
        self.performance.stop()
        self.alerts.stop()
        self.experiments.stop()
        self.analytics.stop()
        self.watcher.stop()
        self.jobs.stop()
        self.actions.stop()
        self.alert_client.stop()
        self.definitions.stop()
        self.product_client.stop()
        self.own_writer.stop()
        if self.tray is not None:
            self.tray.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and not self._quitting and not self._stopped:
            # With a tray, closing only hides: the rules keep being evaluated and told.
            event.ignore()
            self.hide()
            return
        self.shutdown()
        super().closeEvent(event)

    @Slot()
    def quit(self) -> None:
        """Close for good (the tray's Quit), and end the application."""
        self._quitting = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    @Slot()
    def show_about(self) -> AboutDialog:
        """Open the About dialog (version, store, collector, data folders); returns it."""
        dialog = AboutDialog(db_path=self.db_path, collector_url=self.collector_url, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def bring_forward(self) -> None:
        """Show the window (from the tray) in front."""
        self.showNormal()
        self.raise_()
        self.activateWindow()

    @Slot(int)
    def open_alert(self, event_id: int) -> None:
        """Show the window on the Alerts panel with this alert (an alert_events id) open."""
        self.bring_forward()
        self.show_panel("alerts")
        self.alert_banner.hide()
        self.alerts.open_alert(event_id)

    @Slot(object, object)
    def _alert_notified(self, event: AlertEvent, rule: AlertRule | None) -> None:
        channels = rule.channels if rule is not None else ("tray", "banner")
        if self.tray is not None and self.tray.paused:
            return
        if "sound" in channels:
            QApplication.beep()
        if self.tray is not None:
            if "tray" in channels:
                self.tray.notify(event)
        elif "banner" in channels or "tray" in channels:
            self.alert_banner.show_event(event)

    @Slot(int)
    def _show_firing(self, count: int) -> None:
        self.navigation.item(PANEL_NAMES.index("alerts")).setText(f"Alerts · {count} firing" if count else "Alerts")
        if self.tray is not None:
            self.tray.set_firing(count)

    @Slot()
    def _alerts_readable(self) -> None:
        if self._evaluate_alerts and not self._stopped:
            self.alert_client.start_evaluation()
            # The store is readable: give it its default dashboard, once (a screenshot writes nothing).
            self.product_client.ensure_default_dashboard()

    @Slot(str, str)
    def _open_alert_link(self, kind: str, target: str) -> None:
        """Open what an alert is about: its issue in Errors, its page or transaction in
        Performance, its KPI's card in Analytics."""
        if kind == "issue":
            self.show_panel("errors")
            self.errors.status_filter.setCurrentIndex(1)  # all statuses: the issue may be resolved since
            self.errors.search.setText(target)
        elif kind == "page":
            self.show_panel("performance")
            self.performance.tabs.setCurrentWidget(self.performance.page_loads)
            self.performance.page_loads.choose_routes(frozenset({target}))
        elif kind == "transaction":
            self.show_panel("performance")
            self.performance.tabs.setCurrentWidget(self.performance.transactions)
            self.performance.transactions.choose_names(frozenset({target}))
        elif kind == "kpi":
            self.show_panel("analytics")
            self.analytics.show_kpi(target)

    @Slot(object)
    def _open_related(self, event: RelatedEvent) -> None:
        """Show a transaction's related error or log in its own panel, found by its text."""
        if event.kind == "error":
            self.show_panel("errors")
            self.errors.search.setText(event.summary)
        elif event.kind == "log":
            self.show_panel("logs")
            # A log's summary is "level: message"; the search matches the message alone.
            level, _sep, message = event.summary.partition(": ")
            self.logs.search.setText(message if level in LEVELS or level == "warn" else event.summary)

    @Slot(object)
    def _open_session_event(self, item: TimelineItem) -> None:
        """Open a session timeline's item in its panel: an error at its issue, a log at its
        line, a transaction at its waterfall, a page load at its page's loads; a page view,
        click, request or event in the Analytics tab that charts it."""
        if self._reveal is not None:
            self._reveal.cancel()
        self._reveal = None
        if item.panel == "errors":
            self._open_alert_link("issue", item.summary)
            self.errors.range.setCurrentText("All time")
            if item.target is not None:
                issue = int(item.target)
                self._reveal = RowReveal(self.errors.table, find=lambda: self.errors.model.row_of(issue),
                                         select=self.errors.select_row, parent=self)
        elif item.panel == "logs":
            self._open_related(RelatedEvent(item.event_id, item.ts, "log", item.summary, None, "session"))
            self.logs.range.setCurrentText("All time")
            line, logs = item.target or item.event_id, self.logs.model
            self._reveal = RowReveal(
                self.logs.table, select=self.logs.table.selectRow, parent=self,
                find=lambda: next((r for r in range(logs.rowCount()) if logs.row_at(r).event_id == line), None),
            )
        elif item.panel == "performance" and item.kind == "transaction":
            name, view = str(item.detail.get("name") or ""), self.performance.transactions
            self._open_alert_link("transaction", name)
            # The name is chosen once the tab has listed it; the waterfall is this very instance's.
            self._reveal = RowReveal(view.name_table, find=lambda: view.names.row_of(name), parent=self,
                                     select=lambda _row: view.choose_names(frozenset({name})))
            view.instanceChosen.emit(int(item.target or item.event_id))
        elif item.panel == "performance" and item.detail.get("route"):
            self._open_alert_link("page", str(item.detail["route"]))
        elif item.panel == "analytics":
            self.analytics.show_item(item)

    @Slot(object)
    def _show_figures(self, figures: OverviewFigures) -> None:
        self.rate_label.setText(f"{figures.events_per_s:,.1f} events/s")

    @Slot(object)
    def _show_store_info(self, info: StoreInfo) -> None:
        self.store_error.hide()
        self.size_label.setText(f"store: {human_bytes(info.file_bytes)}")
        self.retention_label.setText(describe_retention(info))
        self._mark_loaded()

    @Slot(str)
    def _show_failure(self, message: str) -> None:
        self.store_error.setText(f"Cannot read the store — {message}\nLookout keeps trying.")
        self.store_error.show()
        self._mark_loaded()

    def _mark_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.loaded.emit()
