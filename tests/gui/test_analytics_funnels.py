"""The Analytics panel's Funnels tab as a user sees it, over hand-built funnel sequences.

The store and the numbers counted by hand are in :mod:`tests.gui.analytics_support`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from console.core.analysis.product.funnel import FunnelDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.funnel_queries import save_funnel
from console.gui.analytics.funnels import FunnelsTab
from console.gui.jobs import StoreJobs
from tests.gui.analytics_support import CART, INDEX, MINUTE, FixedSpan, analytics_payloads
from tests.gui.support import now_ms

SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
T0 = (now_ms() - 3 * 3_600_000) // MINUTE * MINUTE
CHECKOUT = FunnelDefinition(
    name="Checkout",
    steps=(EventRef("page_view", INDEX), EventRef("page_view", CART), EventRef("event", "checkout_done")),
    window_ms=3_600_000,
)


@pytest.fixture
def jobs(store) -> Iterator[StoreJobs]:
    running = StoreJobs(db_path=store.path)
    running.start()
    yield running
    running.stop()


def cells(model) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def header(model) -> list[str]:
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def open_tab(qtbot: Any, jobs: StoreJobs) -> FunnelsTab:
    tab = FunnelsTab(jobs=jobs, span=FixedSpan(T0, T0 + 60 * MINUTE))
    qtbot.addWidget(tab)
    return tab


def filled(store) -> None:
    store.write(analytics_payloads(T0))
    store.writer.run_sync(lambda conn: save_funnel(conn, CHECKOUT, now_ms=now_ms()))


def test_the_funnel_shows_the_users_counted_at_each_step_and_their_conversion(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.resultShown, timeout=10_000):
        tab.choose("Checkout")
    assert header(tab.steps) == [
        "Step", "Users", "Step conversion", "Overall conversion", "Drop-off", "Median time from previous",
    ]
    assert cells(tab.steps) == [
        [f"1. page view {INDEX}", "5", "–", "100.0%", "–", "–"],
        [f"2. page view {CART}", "4", "80.0%", "80.0%", "1", "1 min 30 s"],
        ["3. checkout_done", "2", "50.0%", "40.0%", "2", "1 min 30 s"],
    ]
    assert tab.chart.users == [5, 4, 2]
    assert "5 users entered, 2 converted (40.0%)" in tab.caption.text()
    # Saved first, then the funnel the app's funnel_step events made by themselves.
    assert cells(tab.funnels) == [["Checkout", "3", "saved"], ["onboarding", "2", "discovered"]]
    assert tab.status.text().startswith("2 funnels (1 discovered) · test range · ")  # worded as the other tabs
    assert not tab.group_table.isVisibleTo(tab)


def test_a_discovered_funnel_counts_its_funnel_steps(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.resultShown, timeout=10_000):
        tab.choose("onboarding")
    assert [row[:2] for row in cells(tab.steps)] == [["1. welcome", "2"], ["2. profile", "1"]]
    assert "discovered from funnel_step events" in tab.caption.text()
    assert tab.edit_button.text() == "Save as funnel…"


def test_the_platform_breakdown_shows_a_row_per_platform(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.resultShown, timeout=10_000):
        tab.choose("Checkout", breakdown="platform")
    assert header(tab.groups) == ["Group", f"1. page view {INDEX}", f"2. page view {CART}", "3. checkout_done", "Conversion"]
    assert cells(tab.groups) == [
        ["ios", "3", "2 (66.7%)", "1 (33.3%)", "33.3%"],
        ["android", "2", "2 (100.0%)", "1 (50.0%)", "50.0%"],
    ]
    assert tab.group_heading.text() == "By platform"
    # On offer: none, platform, release, device (no experiments in this store), then the
    # first step's (a page view's) own columns.
    offered = [tab.breakdown_box.itemData(i) for i in range(tab.breakdown_box.count())]
    assert offered[:4] == [None, "platform", "release", "device"]
    assert "route" in offered[4:] and "title" in offered[4:]
    assert tab.breakdown_box.itemText(offered.index("title")) == "first step: title"


def test_an_empty_store_explains_how_funnels_come_about(qtbot, store, jobs):
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.answered, timeout=10_000):
        tab.refresh()
    assert tab.body.explaining
    assert "funnel_step" in tab.body.explanation.text() and "New funnel" in tab.body.explanation.text()
    assert tab.status.text() == "no funnels yet"


@SHOWN  # the editor is shown
def test_a_funnel_made_in_the_editor_is_saved_and_listed(qtbot, store, jobs):
    from console.gui.own_writer import OwnWriter
    from console.gui.product_client import ProductClient

    store.write(analytics_payloads(T0))
    store.close()  # the tab's client is the store's only writer now
    own = OwnWriter(store.path)
    client = ProductClient(db_path=store.path, collector_url=None, own_writer=own)
    try:
        tab = open_tab(qtbot, jobs)
        tab.use_client(client)
        with qtbot.waitSignal(tab.answered, timeout=10_000):
            tab.refresh()
        assert [row[0] for row in cells(tab.funnels)] == ["onboarding"]
        editor = tab.open_editor(None)
        save = editor.buttons.button(QDialogButtonBox.StandardButton.Save)
        assert not save.isEnabled() and editor.problem.text() == "give the funnel a name"
        editor.name.setText("Browse to cart")
        first, second = editor.rows
        first.picker.set_ref(EventRef("page_view", INDEX))
        second.picker.source.setCurrentIndex(second.picker.source.findData("event"))
        second.picker.name.setEditText("")
        assert not save.isEnabled() and editor.problem.text() == "step 2: choose or type the event's name"
        second.picker.set_ref(EventRef("page_view", CART))
        editor.add_step(EventRef("event", "checkout_done"))
        second.picker.filters.setText("platform = ")
        assert not save.isEnabled() and "has no value" in editor.problem.text()
        second.picker.filters.setText("platform = ios")
        editor.window_amount.setValue(30)
        editor.window_unit.setCurrentIndex(editor.window_unit.findText("minutes"))
        assert save.isEnabled(), editor.problem.text()
        with qtbot.waitSignal(tab.resultShown, timeout=15_000):
            save.click()
        qtbot.waitUntil(lambda: tab.funnels.row_of("Browse to cart") is not None, timeout=10_000)
        assert cells(tab.funnels) == [["Browse to cart", "3", "saved"], ["onboarding", "2", "discovered"]]
        qtbot.waitUntil(lambda: tab.chosen == "Browse to cart" and tab.answer.result.definition.name == "Browse to cart")
        saved = tab.chosen_funnel()
        assert saved.id is not None and saved.window_ms == 30 * MINUTE
        assert saved.steps[1].filters[0].to_json() == {"key": "platform", "op": "eq", "value": "ios"}
        # On ios only at the cart: u1 u2 reach it, u1 checks out after it.
        assert [row[1] for row in cells(tab.steps)] == ["5", "2", "1"]
    finally:
        client.stop()
        own.stop()


def test_the_models_pass_qtmodeltester(qtmodeltester, qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.resultShown, timeout=10_000):
        tab.choose("Checkout", breakdown="platform")
    for model in (tab.funnels, tab.steps, tab.groups):
        qtmodeltester.check(model, force_py=True)


def test_the_editor_gives_back_a_funnel_whose_filters_hold_separators(qtbot):
    """A step filtered on a property with a space, a quoted dotted one and a value with a
    comma (as an app's funnel may be) opens in the editor and saves unchanged."""
    from console.core.analysis.product.refs import PropertyFilter
    from console.gui.analytics.funnel_editor import FunnelEditor
    from console.gui.analytics.ref_picker import PickerChoices

    step = EventRef("event", "checkout_done", filters=(
        PropertyFilter("properties.plan type", "eq", "gold, annual"),
        PropertyFilter('properties."utm.source"', "ne", "ad"),
    ))
    funnel = FunnelDefinition(name="Odd", steps=(EventRef("page_view", INDEX), step), window_ms=3_600_000, id=4)
    editor = FunnelEditor(choices=PickerChoices(), existing=funnel)
    qtbot.addWidget(editor)
    shown = editor.rows[1].picker.filters.text()
    assert shown == 'properties.plan type = "gold, annual", properties."utm.source" != ad'
    assert editor.problem_text() == ""
    assert editor.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert editor.definition() == funnel


@SHOWN  # the tab is shown, to be laid out
def test_the_step_tables_headings_are_whole_in_a_narrow_window(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    tab.resize(900, 600)
    tab.show()
    qtbot.waitExposed(tab)
    with qtbot.waitSignal(tab.resultShown, timeout=10_000):
        tab.choose("Checkout")
    header = tab.step_table.horizontalHeader()
    last = tab.steps.columnCount() - 1
    text = tab.steps.headerData(last, Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: header.sectionSize(last) >= header.fontMetrics().horizontalAdvance(text))
    assert sum(header.sectionSize(i) for i in range(last + 1)) <= tab.step_table.viewport().width()  # no scrolling
