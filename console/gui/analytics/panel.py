"""The Analytics panel: who came and what they did, over one time range its tabs share.

The panel is a range selector (last hour, 24 hours, 7 days, 30 days, all time) above a
``QTabWidget``. Only the tab on screen reads the store: when it is shown, when the range
changes, and every few seconds while the panel is visible (never while it is hidden). Each
tab submits its queries to the window's :class:`~console.gui.jobs.StoreJobs` and renders
what the core returns.

Adding a tab is one line in :data:`TABS` (plus its import). A tab is a ``QWidget`` class
built as ``Tab(jobs=jobs, span=span)``, where ``span`` is the panel's :class:`AnalyticsRange`
(read ``span.span()`` when asking; ``span.changed`` fires when the user picks another range,
though the panel calls ``refresh()`` then anyway), with:

- ``refresh()``: read the store again (the panel calls it; a tab need not keep a timer);
- optionally a ``answered()`` signal: its first answer (or the store's failure) is on screen,
  which makes the panel ready for ``lookout screenshot``;
- optionally ``use_client(client)``: the panel hands it the window's
  :class:`~console.gui.product_client.ProductClient` (tabs that save funnels or KPIs);
- optionally an ``openRequested(object)`` signal carrying a
  :class:`~console.core.store.session_queries.TimelineItem` to open in its own panel; the
  panel forwards it as its own ``openRequested``, which the window connects.

Signals:
    ready(): the first tab's first answer (or the store's failure) has been shown (once).
    openRequested(object): a TimelineItem to open in its own panel.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from console.core.store.session_queries import TimelineItem
from console.gui.analytics.conversions import ConversionsTab
from console.gui.analytics.events import EventsTab
from console.gui.analytics.funnels import FunnelsTab
from console.gui.analytics.item_views import item_view
from console.gui.analytics.kpis import KpisTab
from console.gui.analytics.sessions import SessionsTab
from console.gui.analytics.users import UsersTab
from console.gui.jobs import StoreJobs

__all__ = ["RANGES", "TABS", "AnalyticsPanel", "AnalyticsRange"]

#: The ranges the user picks from: key → (label, milliseconds back from now or None for all,
#: a bucket that gives a chart of that range about 24 to 60 points).
RANGES: dict[str, tuple[str, int | None, int]] = {
    "1h": ("Last hour", 3_600_000, 60_000),
    "24h": ("Last 24 hours", 86_400_000, 1_800_000),
    "7d": ("Last 7 days", 7 * 86_400_000, 6 * 3_600_000),
    "30d": ("Last 30 days", 30 * 86_400_000, 86_400_000),
    "all": ("All time", None, 86_400_000),
}

#: The panel's tabs, left to right: (title, class). One line adds a tab; see the module docstring.
TABS: tuple[tuple[str, type[QWidget]], ...] = (
    ("Sessions", SessionsTab),
    ("Users", UsersTab),
    ("Events", EventsTab),
    ("Funnels", FunnelsTab),
    ("Conversions", ConversionsTab),
    ("KPIs", KpisTab),
)

_REFRESH_MS = 5_000


class AnalyticsRange(QObject):
    """The time range the panel's tabs read, chosen by key (see :data:`RANGES`).

    Signals:
        changed(str): the user chose another range (its key).
    """

    changed = Signal(str)

    def __init__(self, key: str = "24h", parent: QObject | None = None) -> None:
        super().__init__(parent)
        if key not in RANGES:
            raise ValueError(f"unknown range {key!r}; valid ranges: {', '.join(RANGES)}")
        self._key = key

    @property
    def key(self) -> str:
        """The chosen range: '1h', '24h', '7d', '30d' or 'all'."""
        return self._key

    @property
    def label(self) -> str:
        """How the range reads: 'Last 24 hours'."""
        return RANGES[self._key][0]

    @property
    def bucket_ms(self) -> int:
        """A chart bucket that suits the range."""
        return RANGES[self._key][2]

    def choose(self, key: str) -> None:
        """Make ``key`` the range (``changed`` fires when it is a different one)."""
        if key not in RANGES:
            raise ValueError(f"unknown range {key!r}; valid ranges: {', '.join(RANGES)}")
        if key != self._key:
            self._key = key
            self.changed.emit(key)

    def span(self, now_ms: int | None = None) -> tuple[int | None, int]:
        """(start, end) in ms UTC as of ``now_ms`` (default: now); start None for all time."""
        end = now_ms if now_ms is not None else int(time.time() * 1000)
        back = RANGES[self._key][1]
        return (None if back is None else end - back), end


class AnalyticsPanel(QWidget):
    """Sessions, users and (from other tabs) the product's numbers; see the module docstring."""

    ready = Signal()
    openRequested = Signal(object)

    def __init__(
        self,
        *,
        jobs: StoreJobs,
        range_key: str = "24h",
        refresh_ms: int = _REFRESH_MS,
        product_client: QObject | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._refresh_ms = refresh_ms
        self._ready = False
        self._running = False
        self.span = AnalyticsRange(range_key, parent=self)

        title = QLabel("Analytics")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.range = QComboBox()
        for key, (label, _back, _bucket) in RANGES.items():
            self.range.addItem(label, key)
        self.range.setCurrentIndex(self.range.findData(range_key))
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addStretch(1)
        bar.addWidget(QLabel("Range"))
        bar.addWidget(self.range)

        self.tabs = QTabWidget()
        self.tab_widgets: dict[str, QWidget] = {}
        for tab_title, tab_class in TABS:
            tab = tab_class(jobs=jobs, span=self.span)  # type: ignore[call-arg]
            self.tab_widgets[tab_title] = tab
            self.tabs.addTab(tab, tab_title)
            answered = getattr(tab, "answered", None)
            if answered is not None:
                answered.connect(self._mark_ready)
            wants = getattr(tab, "openRequested", None)
            if wants is not None:
                wants.connect(self.openRequested)
            # Tabs that save definitions (funnels, KPIs) do so through the ProductClient.
            use_client = getattr(tab, "use_client", None)
            if use_client is not None and product_client is not None:
                use_client(product_client)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self._refresh = QTimer(self)
        self._refresh.setObjectName("lookout.analytics.refresh")
        self._refresh.timeout.connect(self._tick)
        self.range.currentIndexChanged.connect(self._range_chosen)
        self.tabs.currentChanged.connect(lambda _index: self._read_current())

    @property
    def is_ready(self) -> bool:
        """Whether the first answer (or the store's failure) has been shown."""
        return self._ready

    @property
    def sessions(self) -> SessionsTab:
        """The Sessions tab."""
        tab = self.tab_widgets["Sessions"]
        assert isinstance(tab, SessionsTab)
        return tab

    @property
    def users(self) -> UsersTab:
        """The Users tab."""
        tab = self.tab_widgets["Users"]
        assert isinstance(tab, UsersTab)
        return tab

    def start(self) -> None:
        """Read the shown tab once and refresh it every few seconds while the panel is
        visible (the timer runs only then)."""
        self._running = True
        if self.isVisible():
            self._refresh.start(self._refresh_ms)
        self._read_current()

    def stop(self) -> None:
        """Stop refreshing (the jobs thread belongs to the window)."""
        self._running = False
        self._refresh.stop()

    def show_tab(self, title: str) -> QWidget:
        """Bring the tab ``title`` forward; returns it (KeyError for an unknown one)."""
        tab = self.tab_widgets[title]
        self.tabs.setCurrentWidget(tab)
        return tab

    def show_item(self, item: TimelineItem) -> bool:
        """Bring forward the tab that charts a session's page view, click, request or event
        (see :mod:`~console.gui.analytics.item_views`); False when no tab does."""
        view = item_view(item)
        if view is None:
            return False
        tab = self.show_tab(view.tab)
        if view.ref is not None:
            tab.show_ref(view.ref)  # type: ignore[attr-defined]
        elif view.funnel is not None:
            tab.choose(view.funnel)  # type: ignore[attr-defined]
        else:
            tab.refresh()  # type: ignore[attr-defined]
        return True

    def show_kpi(self, name: str) -> None:
        """Bring the KPIs tab forward with KPI ``name``'s card selected (once the cards are
        there, when they are still being read)."""
        tab = self.show_tab("KPIs")
        if name in tab.cards:  # type: ignore[attr-defined]
            tab.select(name)  # type: ignore[attr-defined]
            return

        def select_once() -> None:
            tab.cardsShown.disconnect(select_once)  # type: ignore[attr-defined]
            tab.select(name)  # type: ignore[attr-defined]

        tab.cardsShown.connect(select_once)  # type: ignore[attr-defined]

    def choose_range(self, key: str) -> None:
        """Pick the range ``key`` ('1h', '24h', '7d', '30d', 'all') as the selector would."""
        index = self.range.findData(key)
        if index < 0:
            raise ValueError(f"unknown range {key!r}; valid ranges: {', '.join(RANGES)}")
        self.range.setCurrentIndex(index)

    def open_first(self) -> bool:
        """Open the newest session's timeline on the Sessions tab (``sessions.timelineShown``
        follows); False when there is none. Used by ``lookout screenshot``."""
        self.tabs.setCurrentWidget(self.sessions)
        return self.sessions.open_first()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._running:
            self._refresh.start(self._refresh_ms)
        self._read_current()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._refresh.stop()  # another panel is on screen (or the window is hidden)

    @Slot(int)
    def _range_chosen(self, _index: int) -> None:
        self.span.choose(str(self.range.currentData()))
        self._read_current()

    @Slot()
    def _tick(self) -> None:
        if self.isVisible():
            self._read_current()

    def _read_current(self) -> None:
        if not self._running:
            return
        refresh = getattr(self.tabs.currentWidget(), "refresh", None)
        if refresh is not None:
            refresh()

    @Slot()
    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()
