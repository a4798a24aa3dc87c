"""Dashboards as a user sees them: the default one on the Overview with the store's real
numbers, a widget added through the editor showing its hand-counted value, moving and
removing widgets, and dashboards that are still there when the window opens again."""

import sqlite3

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD
from console.core.store.dashboards import list_dashboards
from console.gui.dashboards.arrange import allowed_moves, moved

SAVE = QDialogButtonBox.StandardButton.Save
# The offscreen platform says so when a dialog sets its minimum size; nothing is wrong.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def page_view(route: str, *, session: str = "s-1", user: str = "u-1", platform: str = "ios") -> dict:
    return {"type": "page_view", "url": route, "title": route.rsplit("/", 1)[-1], "sessionId": session,
            "userId": user, "deviceInfo": {"platform": platform}}


def conversion(value: float, *, session: str = "s-1", currency: str = "CNY") -> dict:
    return {"type": "event", "name": "conversion", "sessionId": session, "userId": "u-1",
            "properties": {"type": "purchase", "value": value, "currency": currency}}


def stored(path) -> list:
    """The dashboards the store holds, read as another program would."""
    conn = sqlite3.connect(path)
    try:
        return list_dashboards(conn)
    finally:
        conn.close()


def view_of(window):
    return window.overview.dashboard


def saved_and_shown(window) -> bool:
    """The Overview shows a dashboard the store holds (its default was saved), with answers."""
    view = view_of(window)
    return view.is_ready and view.current is not None and view.current.id is not None and view.grid.is_answered


def figure(window, title: str) -> str | None:
    """What the tile headed ``title`` reads in big: a card's value, or why it has nothing."""
    tile = view_of(window).grid.tile_titled(title)
    if tile is None or tile.data is None and not tile.shown_text.startswith("no data"):
        return None
    return tile.shown_text or tile.content.value_label.text()


def open_editor(qtbot, window):
    view = view_of(window)
    view.editor = None
    qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.editor is not None and view.editor.isVisible())
    return view.editor


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, (data, [combo.itemData(i) for i in range(combo.count())])
    combo.setCurrentIndex(index)


def test_the_default_dashboard_shows_what_the_store_holds(qtbot, store, open_window):
    routes = ["pages/index/index", "pages/cart/cart", "pages/cart/cart", "pages/index/index"]
    store.write([page_view(r, session=f"s-{i % 2}") for i, r in enumerate(routes)])
    store.write([conversion(129.0, session="s-0"), conversion(20.5, session="s-1")])
    store.write([{"type": "javascript_error", "message": "TypeError: boom", "sessionId": "s-1"}])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(window), timeout=10_000)

    view = view_of(window)
    assert [view.selector.itemText(i) for i in range(view.selector.count())] == ["Overview"]
    assert figure(window, "Page views (24 h)") == "4"
    assert figure(window, "Conversions (24 h)") == "2"
    assert figure(window, "Conversion value (24 h)") == "149.50 CNY"  # the currency the values are in
    assert figure(window, "Errors / min") == "1"
    assert figure(window, "Sessions (24 h)") == "2"
    assert figure(window, "Events / min") == "7"
    chart = view.grid.tile_titled("Page views")
    assert chart.shown_text == "" and np.nansum(chart.content.ys) == 4
    assert chart.caption_label.text() == "count · last 24 h"
    # The store got its default dashboard, once, with every widget of the built-in one.
    (saved,) = stored(store.path)
    assert saved.name == "Overview" and saved.widgets == DEFAULT_DASHBOARD.widgets


def test_a_widget_added_in_the_editor_is_saved_and_shows_its_value(qtbot, store, open_window):
    store.write([page_view("pages/cart/cart") for _ in range(3)])
    store.write([page_view("pages/index/index", platform="android") for _ in range(2)])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(window), timeout=10_000)

    editor = open_editor(qtbot, window)
    choose(editor.kind, "card")
    editor.title.setText("Cart views")
    choose(editor.shows, "measure")
    choose(editor.source, "page_view")
    assert editor.name.findText("pages/cart/cart") >= 0  # offered from what the store holds
    editor.name.setCurrentText("pages/cart/cart")
    choose(editor.aggregation, "p75")
    assert editor.problem.text() == "p75 needs a field"
    assert not editor.buttons.button(SAVE).isEnabled()
    choose(editor.aggregation, "count")
    editor.row.setValue(0)
    editor.col.setValue(0)
    assert editor.problem.text() == "'Cart views' overlaps 'Events / min' at row 0, column 0"
    assert not editor.buttons.button(SAVE).isEnabled()
    editor.row.setValue(8)
    assert editor.problem.text() == ""
    qtbot.mouseClick(editor.buttons.button(SAVE), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: figure(window, "Cart views") == "3", timeout=10_000)
    saved = stored(store.path)[0].widgets[-1]
    assert (saved.title, saved.measure.ref.name, saved.measure.aggregation) == ("Cart views", "pages/cart/cart", "count")
    assert (saved.row, saved.col) == (8, 0)

    # A chart with a filter, put where there is room.
    editor = open_editor(qtbot, window)
    choose(editor.kind, "chart")
    editor.title.setText("Android views")
    choose(editor.source, "page_view")
    editor.filters.add_filter("platform", "eq", "android")
    assert editor.problem.text() == ""
    qtbot.mouseClick(editor.buttons.button(SAVE), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view_of(window).grid.tile_titled("Android views") is not None
                    and view_of(window).grid.tile_titled("Android views").data is not None, timeout=10_000)
    chart = view_of(window).grid.tile_titled("Android views")
    assert chart.shown_text == "" and np.nansum(chart.content.ys) == 2
    saved = stored(store.path)[0].widgets[-1]
    assert (saved.kind, saved.width, saved.height, saved.row, saved.col) == ("chart", 2, 2, 8, 1)
    assert [f.to_json() for f in saved.measure.ref.filters] == [{"key": "platform", "op": "eq", "value": "android"}]


def test_widgets_move_and_are_removed_from_their_menu(qtbot, store, open_window):
    window = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(window), timeout=10_000)
    grid = view_of(window).grid

    def place(title: str) -> tuple[int, int, int, int]:
        return grid.grid.getItemPosition(grid.grid.indexOf(grid.tile_titled(title)))

    events = grid.tile_titled("Events / min")
    assert not events.menu_actions["left"].isEnabled() and not events.menu_actions["up"].isEnabled()
    events.menu_actions["right"].trigger()
    qtbot.waitUntil(lambda: place("Events / min") == (0, 1, 1, 1), timeout=10_000)
    assert place("Errors / min") == (0, 0, 1, 1)
    qtbot.waitUntil(lambda: [(w.title, w.col) for w in stored(store.path)[0].widgets[:2]]
                    == [("Events / min", 1), ("Errors / min", 0)], timeout=10_000)

    grid.tile_titled("Events").menu_actions["down"].trigger()  # changes place with the chart below
    qtbot.waitUntil(lambda: place("Events") == (4, 0, 2, 2), timeout=10_000)
    assert place("Page views") == (2, 0, 2, 2)

    grid.tile_titled("Errors / min").menu_actions["remove"].trigger()
    qtbot.waitUntil(lambda: grid.tile_titled("Errors / min") is None, timeout=10_000)
    qtbot.waitUntil(lambda: len(stored(store.path)[0].widgets) == len(DEFAULT_DASHBOARD.widgets) - 1)
    assert "Errors / min" not in [w.title for w in stored(store.path)[0].widgets]


def test_dashboards_are_there_when_the_window_opens_again(qtbot, store, open_window):
    store.write([page_view("pages/cart/cart") for _ in range(4)])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(window), timeout=10_000)
    view = view_of(window)

    dialog = view.ask_new_name()
    dialog.setTextValue("Checkout")
    dialog.accept()
    qtbot.waitUntil(lambda: view.current is not None and view.current.name == "Checkout"
                    and view.current.id is not None, timeout=10_000)
    assert view.grid.empty.isVisibleTo(view.grid)  # an empty dashboard says so
    editor = open_editor(qtbot, window)
    editor.title.setText("Views")
    qtbot.mouseClick(editor.buttons.button(SAVE), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: figure(window, "Views") == "4", timeout=10_000)
    dialog = view.ask_rename()
    dialog.setTextValue("Checkout (web)")
    dialog.accept()
    qtbot.waitUntil(lambda: [d.name for d in stored(store.path)] == ["Overview", "Checkout (web)"], timeout=10_000)
    window.shutdown()

    again = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(again), timeout=10_000)
    view = view_of(again)
    assert view.current.name == "Overview"  # the default comes first
    assert [view.selector.itemText(i) for i in range(view.selector.count())] == ["Overview", "Checkout (web)"]
    view.selector.activated.emit(1)  # the user picks it
    qtbot.waitUntil(lambda: figure(again, "Views") == "4", timeout=10_000)

    box = view.ask_delete()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: [d.name for d in stored(store.path)] == ["Overview"], timeout=10_000)
    qtbot.waitUntil(lambda: view.current.name == "Overview" and view.selector.count() == 1, timeout=10_000)


@pytest.mark.parametrize(
    ("index", "direction", "expected"),
    [
        (0, "right", {"Events / min": (0, 1), "Errors / min": (0, 0)}),  # neighbours change place
        (0, "down", {"Events / min": (1, 0), "Page views (24 h)": (0, 0)}),
        (8, "right", {"Events": (2, 2), "Errors": (2, 0)}),  # a chart and a chart of its size
        (8, "up", None),  # two cards above a chart cannot take its place
        (3, "right", None),  # the grid's edge
    ],
)
def test_a_move_is_one_step_or_a_swap(index, direction, expected):
    widgets = DEFAULT_DASHBOARD.widgets
    after = moved(widgets, index, direction)
    if expected is None:
        assert after is None and direction not in allowed_moves(widgets, index)
        return
    places = {w.title: (w.row, w.col) for w in after}
    assert {title: places[title] for title in expected} == expected
    untouched = [w for w, a in zip(widgets, after, strict=True) if w.title not in expected]
    assert all(w == a for w, a in zip(untouched, [a for a in after if a.title not in expected], strict=True))


def test_the_editor_gives_back_every_widget_it_opens_unchanged(qapp):
    """Opening a widget and saving it as it is changes nothing (its bucket, trend, place…)."""
    from console.gui.dashboards.editor import WidgetEditor

    for index, widget in enumerate(DEFAULT_DASHBOARD.widgets):
        editor = WidgetEditor(dashboard=DEFAULT_DASHBOARD, index=index)
        assert editor.problem_text() == "", widget.title
        assert editor.widget() == widget
        editor.deleteLater()


def test_a_kpi_card_reads_in_the_kpis_unit_and_is_not_green_below_target(qtbot, store):
    """A KPI on a dashboard (format "number", as the editor suggests) shows its own unit,
    money to the cent, and a value short of its target is not an "ok" in green."""
    from console.core.analysis.product.dashboard import Dashboard, Widget
    from console.core.analysis.product.kpi import KpiDefinition
    from console.core.analysis.product.refs import EventRef
    from console.core.store.kpi_queries import save_kpi
    from console.gui.dashboards.card import LEVEL_COLOURS
    from console.gui.dashboards.grid import DashboardGrid
    from console.gui.jobs import StoreJobs
    from tests.gui.support import now_ms

    store.write([page_view("pages/index/index", session=f"s-{i}", user=f"u-{i}") for i in range(4)])
    store.write([conversion(100.0, session="s-0"), conversion(50.5, session="s-1")])
    revenue = KpiDefinition(name="Revenue", formula="sum", ref=EventRef("conversion", "purchase"), field="value",
                            unit="CNY", target=120.0)
    # 1 buyer (u-1 made both purchases) of 4 visitors: 25 %, under the 70 % target, above the
    # 20 % warning line.
    buyers = KpiDefinition(name="Buyers", formula="rate", rate_of="users", ref=EventRef("conversion", "purchase"),
                           denominator=EventRef("page_view"), unit="%", target=70.0, warning=20.0, critical=10.0)
    for kpi in (revenue, buyers):
        store.writer.run_sync(lambda conn, kpi=kpi: save_kpi(conn, kpi, now_ms=now_ms()))
    board = Dashboard(name="KPIs", widgets=(
        Widget(kind="card", title="Revenue", kpi="Revenue", range="24h", format="number", row=0, col=0),
        Widget(kind="card", title="Buyers", kpi="Buyers", range="24h", format="number", row=0, col=1),
    ))
    jobs = StoreJobs(db_path=store.path)
    jobs.start()
    try:
        grid = DashboardGrid(jobs=jobs)
        qtbot.addWidget(grid)
        with qtbot.waitSignal(grid.answered, timeout=10_000):
            grid.show_dashboard(board)
        money = grid.tile_titled("Revenue").content
        assert money.value_label.text() == "150.50 CNY"  # not "150"
        assert money.detail_label.text() == "target 120.00 CNY · on target"
        rate = grid.tile_titled("Buyers").content
        assert rate.value_label.text() == "25 %"
        assert rate.detail_label.text() == "target 70 % · below target"
        assert rate.badge_label.text() == "below target"  # not "ok"
        assert LEVEL_COLOURS["warning"] in rate.badge_label.styleSheet()
    finally:
        jobs.stop()


def test_a_widget_filter_may_name_a_property_with_a_space_or_a_dot_and_the_help_says_so(qapp):
    from console.core.analysis.product.dashboard import Dashboard
    from console.gui.dashboards.editor import WidgetEditor

    editor = WidgetEditor(dashboard=Dashboard(name="Campaigns"))
    try:
        choose(editor.source, "event")
        editor.name.setCurrentText("checkout_done")
        help_text = editor.filters.table.toolTip()
        assert 'properties."utm.source"' in help_text and "entry_route" in help_text
        assert "properties.plan type" in help_text
        editor.filters.add_filter('properties."utm.source"', "eq", "ad")
        editor.filters.add_filter("properties.plan type", "ne", "free")
        assert editor.problem_text() == ""
        keys = [f.key for f in editor.widget().measure.ref.filters]
        assert keys == ['properties."utm.source"', "properties.plan type"]
    finally:
        editor.deleteLater()


def test_conversion_value_in_two_currencies_says_it_adds_them_up(qtbot, store, open_window):
    store.write([conversion(129.0, session="s-0"), conversion(9.99, session="s-1", currency="USD")])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: saved_and_shown(window), timeout=10_000)
    tile = view_of(window).grid.tile_titled("Conversion value (24 h)")
    assert tile.content.value_label.text() == "138.99"  # no one currency to name
    assert tile.content.detail_label.text() == "adds CNY + USD together: filter by currency"


def test_a_narrow_tile_drops_its_caption_before_cutting_its_title(qtbot):
    from console.gui.dashboards.card import CardContent
    from console.gui.dashboards.tile import WidgetTile

    widget = next(w for w in DEFAULT_DASHBOARD.widgets if w.title == "Conversion value (24 h)")
    tile = WidgetTile(widget, CardContent(widget))
    qtbot.addWidget(tile)
    tile.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    tile.resize(400, 118)
    tile.show()
    qtbot.waitExposed(tile)

    def title_fits() -> bool:
        label = tile.title_label
        ink = label.fontMetrics().boundingRect(label.text()).right() + 1
        return ink <= label.width()

    assert tile.caption_label.isVisible() and tile.title_label.text() == "Conversion value (24 h)" and title_fits()
    tile.resize(230, 118)  # a quarter of a window at its smallest
    qtbot.waitUntil(lambda: not tile.caption_label.isVisible() and title_fits())
    assert tile.title_label.text() == "Conversion value (24 h)"
    assert "last 24 h" in tile.title_label.toolTip()  # what the caption said
    tile.resize(140, 118)
    qtbot.waitUntil(lambda: tile.title_label.text().endswith("…") and title_fits())
