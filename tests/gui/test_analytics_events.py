"""The Analytics panel's Events and Conversions tabs as a user sees them, over a hand-built store.

What each user did, and when, is in :mod:`tests.gui.analytics_support`: one user per
10-minute bucket of the range, u1 checking out twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console.core.analysis.product.refs import EventRef, PropertyFilter
from console.gui.analytics.conversions import ConversionsTab
from console.gui.analytics.events import EventsTab
from console.gui.jobs import StoreJobs
from tests.gui.analytics_support import CART, INDEX, MINUTE, FixedSpan, analytics_payloads
from tests.gui.support import now_ms

T0 = (now_ms() - 3 * 3_600_000) // MINUTE * MINUTE
CHECKOUT = EventRef("event", "checkout_done")


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


def curve(chart, name: str) -> list[float]:
    """What the chart draws for ``name`` (the y values handed to pyqtgraph)."""
    return chart.chart.curves[name].getData()[1].tolist()


def events_tab(qtbot: Any, jobs: StoreJobs) -> EventsTab:
    tab = EventsTab(jobs=jobs, span=FixedSpan(T0, T0 + 60 * MINUTE))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.answered, timeout=10_000):
        tab.refresh()
    return tab


def test_the_chart_counts_an_event_and_its_unique_users_per_bucket(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = events_tab(qtbot, jobs)
    # Before the user picks, the most frequent event by name (checkout_done, 5 in the store).
    assert tab.picker.name.currentText() == "checkout_done"
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.show_ref(CHECKOUT)
    # u1 twice in the first bucket, u3 in the third, u4 in the fourth.
    assert tab.chart.names == ("all",)
    assert curve(tab.chart, "all") == [2, 0, 1, 1, 0, 0]
    assert cells(tab.groups) == [["all", "4", "3"]]
    tab.set_measure("users")
    assert curve(tab.chart, "all") == [1, 0, 1, 1, 0, 0]
    assert tab.chart.chart.getAxis("left").labelText == "unique users"
    assert tab.status.text().startswith("checkout_done: 4 in test range, 3 unique users")


def test_an_ask_overtaken_by_another_still_brings_the_pickers_choices(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = EventsTab(jobs=jobs, span=FixedSpan(T0, T0 + 60 * MINUTE))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.answered, timeout=10_000):
        tab.refresh()  # the panel's ask as the tab is shown ...
        tab.refresh()  # ... overtaken by the next before its answer arrives
    assert not tab.choices.empty and tab.picker.name.currentText() == "checkout_done"
    assert curve(tab.chart, "all") == [2, 0, 1, 1, 0, 0]


def test_a_breakdown_draws_a_line_per_property_value_and_filters_narrow_it(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = events_tab(qtbot, jobs)
    assert "properties.method" in [tab.breakdown.itemData(i) for i in range(tab.breakdown.count())]
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.show_ref(CHECKOUT, breakdown="properties.method")
    assert tab.chart.names == ("card", "wallet")
    assert curve(tab.chart, "card") == [2, 0, 0, 1, 0, 0]
    assert curve(tab.chart, "wallet") == [0, 0, 1, 0, 0, 0]
    assert cells(tab.groups) == [["card", "3", "2"], ["wallet", "1", "1"]]
    only_wallet = EventRef("event", "checkout_done", filters=(PropertyFilter("properties.method", "eq", "wallet"),))
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.show_ref(only_wallet)
    assert tab.picker.filters.text() == "properties.method = wallet"
    assert curve(tab.chart, "all") == [0, 0, 1, 0, 0, 0]


def test_any_property_a_query_can_name_is_offered_and_read(qtbot, store, jobs):
    odd = {"type": "custom_event", "name": "checkout_done",
           "properties": {"my key": "x", "plan": "gold", 'bad"name': "y"},
           "timestamp": T0 + 1, "sessionId": "s-u9", "userId": "u9"}
    store.write([*analytics_payloads(T0), odd])
    tab = events_tab(qtbot, jobs)
    offered = [tab.breakdown.itemData(i) for i in range(tab.breakdown.count())]
    assert "properties.plan" in offered and "properties.my key" in offered
    assert not any(key and "bad" in key for key in offered), "a name with a quote cannot be a key"
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.show_ref(CHECKOUT, breakdown="properties.my key")
    assert "x" in tab.chart.names


def test_typed_filters_are_read_and_a_wrong_one_is_explained(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = events_tab(qtbot, jobs)
    tab.picker.set_ref(EventRef("page_view", CART))
    tab.picker.filters.setText("platform = ios")
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.refresh()
    assert curve(tab.chart, "all") == [1, 1, 0, 0, 0, 0]  # u1 and u2 on ios; u3 u4 u5 android
    tab.picker.filters.setText("colour is red")
    tab.refresh()
    assert tab.problem.isVisibleTo(tab) and "cannot read the filter 'colour is red'" in tab.problem.text()


def test_a_typed_filter_may_name_a_property_with_a_space_or_a_dot(qtbot, store, jobs):
    def checkout(user: str, at: int, properties: dict[str, str]) -> dict[str, Any]:
        return {"type": "custom_event", "name": "checkout_done", "properties": properties,
                "timestamp": at, "sessionId": f"s-{user}", "userId": user}

    store.write([*analytics_payloads(T0),
                 checkout("u9", T0 + 1, {"plan type": "gold", "utm.source": "ad", "a=b": "c"}),
                 checkout("u10", T0 + 2, {"plan type": "free", "utm.source": "mail, spring", "a=b": "d"})])
    tab = events_tab(qtbot, jobs)
    tab.picker.set_ref(CHECKOUT)

    def typed(text: str) -> list[float]:
        tab.picker.filters.setText(text)
        with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
            tab.refresh()
        assert not tab.problem.isVisibleTo(tab), tab.problem.text()
        return curve(tab.chart, "all")

    # As breakdown_keys offers it (a space needs no quotes), and quoted.
    assert typed("properties.plan type = gold") == [1, 0, 0, 0, 0, 0]
    assert typed('properties."plan type" = free') == [1, 0, 0, 0, 0, 0]
    assert typed('properties."utm.source" = ad') == [1, 0, 0, 0, 0, 0]
    assert typed('properties."utm.source" = "mail, spring", properties.plan type != gold') == [1, 0, 0, 0, 0, 0]
    assert typed('properties."a=b" = c') == [1, 0, 0, 0, 0, 0]
    # The completer offers each key as it must be typed, and completes the filter being typed.
    offered = tab.picker.filters.completer().model().stringList()
    assert {"properties.plan type", 'properties."utm.source"', 'properties."a=b"'} <= set(offered)
    completer = tab.picker.filters.completer()
    tab.picker.filters.setText("platform = ios, properties.utm")
    assert completer.splitPath(tab.picker.filters.text()) == ["properties.utm"]
    index = completer.model().index(offered.index('properties."utm.source"'), 0)
    assert completer.pathFromIndex(index) == 'platform = ios, properties."utm.source" '
    assert "quote" in tab.picker.filters.toolTip().lower() and 'properties."utm.source"' in tab.picker.filters.toolTip()


def test_page_views_per_route_and_top_clicks_sit_beside_the_chart(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = events_tab(qtbot, jobs)
    assert header(tab.routes) == ["Route", "Views", "Users", "Sessions"]
    # u7 and u8 viewed the index the hour before the range: not counted.
    assert sorted(cells(tab.routes)) == [[CART, "5", "5", "5"], [INDEX, "5", "5", "5"]]
    assert cells(tab.clicks) == [["button#checkout 'Checkout'", "2", "2"], ["button#buy 'Buy now'", "1", "1"]]


def test_an_empty_store_explains_what_the_events_tab_charts(qtbot, store, jobs):
    tab = events_tab(qtbot, jobs)
    assert tab.body.explaining
    assert "custom_event" in tab.body.explanation.text() and "page_view" in tab.body.explanation.text()


def conversions_tab(qtbot: Any, jobs: StoreJobs) -> ConversionsTab:
    tab = ConversionsTab(jobs=jobs, span=FixedSpan(T0, T0 + 60 * MINUTE))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.answered, timeout=10_000):
        tab.refresh()
    return tab


def test_conversions_are_counted_and_valued_per_type_and_currency(qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = conversions_tab(qtbot, jobs)
    assert header(tab.types) == ["Type", "Count", "Users", "Value", "Currency"]
    assert cells(tab.types) == [
        ["purchase", "2", "2", "150.50 CNY", "CNY"],
        ["subscription", "1", "1", "9.99 USD", "USD"],
    ]
    assert curve(tab.counts_chart, "purchase") == [1, 0, 0, 1, 0, 0]
    assert curve(tab.counts_chart, "subscription") == [0, 0, 0, 1, 0, 0]
    assert curve(tab.value_chart, "purchase · CNY") == pytest.approx([100, 0, 0, 50.5, 0, 0])
    assert curve(tab.value_chart, "subscription · USD") == pytest.approx([0, 0, 0, 9.99, 0, 0])
    assert tab.status.text().startswith("3 conversions by 2 users in test range · 150.50 CNY + 9.99 USD")


def test_no_conversions_are_explained(qtbot, store, jobs):
    tab = conversions_tab(qtbot, jobs)
    assert tab.body.explaining and "\"name\": \"conversion\"" in tab.body.explanation.text()


def test_the_models_pass_qtmodeltester(qtmodeltester, qtbot, store, jobs):
    store.write(analytics_payloads(T0))
    tab = events_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.seriesShown, timeout=10_000):
        tab.show_ref(CHECKOUT, breakdown="properties.method")
    conversions = conversions_tab(qtbot, jobs)
    for model in (tab.groups, tab.routes, tab.clicks, conversions.types):
        qtmodeltester.check(model, force_py=True)
