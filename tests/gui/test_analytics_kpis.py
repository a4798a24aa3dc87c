"""The Analytics panel's KPIs tab as a user sees it: cards with hand-computed values, the
editor, and the report file.

The store and what each user did are in :mod:`tests.gui.analytics_support`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.kpi_queries import save_kpi
from console.gui.analytics.kpi_cards import LEVEL_COLOURS
from console.gui.analytics.kpi_editor import KpiEditor
from console.gui.analytics.kpis import KpisTab
from console.gui.analytics.ref_picker import PickerChoices
from console.gui.jobs import StoreJobs
from tests.gui.analytics_support import INDEX, MINUTE, FixedSpan, analytics_payloads
from tests.gui.support import now_ms

SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
T0 = (now_ms() - 3 * 3_600_000) // MINUTE * MINUTE

#: Users who checked out ÷ users at the index: 3 of 5 (u1 u3 u4 of u1 u2 u3 u4 u6) = 60 %,
#: the hour before 1 of 2 (u7 of u7 u8) = 50 %: +20 %; below the 70 % target, at the
#: warning level (≤ 65), not critical (≤ 50).
CONVERSION = KpiDefinition(
    name="Checkout conversion", formula="rate", ref=EventRef("event", "checkout_done"),
    denominator=EventRef("page_view", INDEX), rate_of="users", unit="%", target=70.0, warning=65.0,
    critical=50.0, refresh_s=5,
)
#: Page views: 10 in the range (2 each for u1..u4, 1 each for u5 u6), 2 the hour before: +400 %.
PAGE_VIEWS = KpiDefinition(name="Page views", formula="count", ref=EventRef("page_view"), refresh_s=3600)
#: Purchases' value: 100 + 50.50 CNY, above the 120 target.
ORDER_VALUE = KpiDefinition(
    name="Order value", formula="sum", ref=EventRef("conversion", "purchase"), field="value", unit="CNY",
    target=120.0,
)


@pytest.fixture
def jobs(store) -> Iterator[StoreJobs]:
    running = StoreJobs(db_path=store.path)
    running.start()
    yield running
    running.stop()


def filled(store, kpis=(CONVERSION, PAGE_VIEWS, ORDER_VALUE)) -> None:
    store.write(analytics_payloads(T0))
    for kpi in kpis:
        store.writer.run_sync(lambda conn, kpi=kpi: save_kpi(conn, kpi, now_ms=now_ms()))


def open_tab(qtbot: Any, jobs: StoreJobs) -> KpisTab:
    tab = KpisTab(jobs=jobs, span=FixedSpan(T0, T0 + 60 * MINUTE))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.cardsShown, timeout=10_000):
        tab.refresh()
    return tab


def test_a_card_shows_the_hand_computed_value_status_and_trend(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    assert list(tab.cards) == ["Checkout conversion", "Order value", "Page views"]
    card = tab.cards["Checkout conversion"]
    assert card.value.text() == "60 %"
    assert card.target.text() == "target ≥ 70 % · warning level"
    assert card.status.text() == "below target"
    assert LEVEL_COLOURS["warning"][0] in card.status.styleSheet()
    assert card.trend.text() == "▲ +20.0 % vs previous"
    assert "#137333" in card.trend.styleSheet()  # up is good for a conversion
    views = tab.cards["Page views"]
    assert (views.value.text(), views.status.text(), views.target.text()) == ("10", "no target", "no target")
    assert views.trend.text() == "▲ +400.0 % vs previous"
    # The sparkline: page views per 10-minute bucket, each user in their own.
    assert views.data.values.tolist() == [2, 2, 2, 2, 1, 1]
    # Drawn as the report draws a count: its running total, climbing to the card's value.
    assert views.line.getData()[1].tolist() == [2, 4, 6, 8, 9, 10]
    order = tab.cards["Order value"]
    # Money to the cent, as the Conversions tab sums it (not "150 CNY").
    assert (order.value.text(), order.status.text()) == ("150.50 CNY", "on target")
    assert order.target.text() == "target ≥ 120.00 CNY"
    assert order.data.value.value == pytest.approx(150.5)
    assert LEVEL_COLOURS["ok"][0] in order.status.styleSheet()
    assert tab.status.text().startswith("1 of 3 KPIs on target · test range · ")  # worded as the other tabs


def test_a_value_below_target_is_never_green_even_above_the_warning_line(qtbot, store, jobs):
    # 60 % against a 70 % target, the warning line at 55 %: below target, no threshold
    # crossed. The badge says "below target", so it is amber as in the report, not green.
    short = replace(CONVERSION, name="Short of target", warning=55.0, critical=50.0)
    filled(store, kpis=(short,))
    tab = open_tab(qtbot, jobs)
    card = tab.cards["Short of target"]
    assert card.data.value.level == "ok" and card.status.text() == "below target"
    assert LEVEL_COLOURS["warning"][0] in card.status.styleSheet()
    assert LEVEL_COLOURS["ok"][0] not in card.status.styleSheet()
    assert card.target.text() == "target ≥ 70 %"  # no threshold crossed


@SHOWN  # the tab is shown, to be laid out
def test_cards_reflow_to_the_width_rather_than_being_cut_off(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    tab.resize(1400, 600)
    tab.show()
    qtbot.waitExposed(tab)
    qtbot.waitUntil(lambda: tab.columns == 4)  # four across a wide tab
    tab.resize(640, 600)
    qtbot.waitUntil(lambda: tab.columns < 3)
    qtbot.wait(50)  # the layout settles

    def whole(card) -> bool:
        right = card.mapTo(tab.scroll.viewport(), card.rect().topRight()).x()
        return card.isVisible() and right <= tab.scroll.viewport().width()

    assert all(whole(card) for card in tab.cards.values())
    assert not tab.scroll.horizontalScrollBar().isVisible()


def test_a_sparkline_holds_against_the_target_only_what_compares_with_it(qtbot, store, jobs):
    # Per-bucket page views (at most 2) would sit far under a range target of 8 and look
    # short of it while the card is on target; unique users per bucket do not add up to the
    # range's at all. As in the report: a count climbs to its target; users get no target line.
    views = replace(PAGE_VIEWS, name="Views", target=8.0)
    users = KpiDefinition(name="Visitors", formula="unique_users", ref=EventRef("page_view"), target=5.0)
    filled(store, kpis=(views, users, CONVERSION))
    tab = open_tab(qtbot, jobs)
    count = tab.cards["Views"]
    assert count.status.text() == "on target" and count.target_line.isVisible()
    assert count.line.getData()[1][-1] == 10 and count.target_line.value() == 8.0
    assert not tab.cards["Visitors"].target_line.isVisible()
    rate = tab.cards["Checkout conversion"]
    assert rate.target_line.isVisible() and rate.target_line.value() == 70.0


def test_cards_are_recomputed_only_when_their_refresh_frequency_comes_round(qtbot, store, jobs):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.cardsShown, timeout=10_000):
        tab.refresh()
    assert tab.answer.cards == {}  # all computed a moment ago; none due
    assert tab.cards["Page views"].value.text() == "10"  # the card keeps its value
    with qtbot.waitSignal(tab.cardsShown, timeout=10_000):
        tab.refresh(everything=True)
    assert set(tab.answer.cards) == {"Checkout conversion", "Order value", "Page views"}


def test_the_report_holds_every_kpi(qtbot, store, jobs, tmp_path):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.reportWritten, timeout=10_000) as written:
        tab.write_report(tmp_path / "kpis.html")
    result = written.args[0]
    assert result.error is None and result.summary == "1 of 3 KPIs on target"
    html = (tmp_path / "kpis.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    for name in ("Checkout conversion", "Order value", "Page views"):
        assert name in html
    assert "data:image/svg+xml;base64," in html
    rows = list(csv.DictReader(io.StringIO((tmp_path / "kpis.csv").read_text(encoding="utf-8"))))
    by_name = {row[next(iter(row))]: row for row in rows}
    assert set(by_name) == {"Checkout conversion", "Order value", "Page views"}
    assert "below target" in by_name["Checkout conversion"].values()
    assert "report written" in tab.status.text()


def test_a_report_that_cannot_be_written_says_so(qtbot, store, jobs, tmp_path):
    filled(store)
    tab = open_tab(qtbot, jobs)
    with qtbot.waitSignal(tab.reportWritten, timeout=10_000) as written:
        tab.write_report(tmp_path / "missing" / "kpis.html")
    assert written.args[0].error.startswith("could not write the report")
    assert tab.status.text().startswith("could not write the report")


def test_an_empty_store_explains_how_kpis_are_defined(qtbot, store, jobs):
    tab = open_tab(qtbot, jobs)
    assert tab.body.explaining
    assert "defineKPI" in tab.body.explanation.text() and "New KPI" in tab.body.explanation.text()


def test_the_editor_shows_only_the_fields_of_the_formula(qtbot):
    editor = KpiEditor(choices=PickerChoices(catalog=(("event", "checkout_done", 4), ("page_view", INDEX, 5))),
                       taken=["Page views"])
    qtbot.addWidget(editor)
    save = editor.buttons.button(QDialogButtonBox.StandardButton.Save)

    def shown() -> set[str]:
        rows = {"Of": editor.ref, "Divided by": editor.denominator, "Counting": editor.rate_of,
                "Field": editor.field, "Percentile": editor.quantile}
        return {label for label, widget in rows.items() if editor.form.isRowVisible(widget)}

    assert shown() == {"Of"} and editor.problem.text() == "give the KPI a name"
    editor.name.setText("Page views")
    assert not save.isEnabled() and "exists already" in editor.problem.text()
    editor.name.setText("Checkout conversion")
    editor.formula.setCurrentIndex(editor.formula.findData("rate"))
    assert shown() == {"Of", "Divided by", "Counting"} and editor.unit.currentText() == "%"
    editor.ref.set_ref(EventRef("event", "checkout_done"))
    editor.denominator.set_ref(EventRef("page_view", INDEX))
    editor.rate_of.setCurrentIndex(editor.rate_of.findData("users"))
    editor.target.setText("70")
    editor.warning.setText("80")
    assert not save.isEnabled() and "'warning' (80) must not be above 'target' (70)" in editor.problem.text()
    editor.warning.setText("sixty")
    assert editor.problem.text() == "the warning threshold must be a number (or left empty)"
    editor.warning.setText("65")
    editor.critical.setText("50")
    editor.refresh.setValue(5)
    assert save.isEnabled(), editor.problem.text()
    assert editor.definition() == CONVERSION
    editor.formula.setCurrentIndex(editor.formula.findData("percentile"))
    assert shown() == {"Of", "Field", "Percentile"}
    assert [editor.field.itemData(i) for i in range(editor.field.count())] == ["value"]
    assert save.isEnabled() and editor.definition().quantile == 0.5
    editor.ref.set_ref(EventRef("interaction", "click"))
    assert not save.isEnabled() and "has no numeric field" in editor.problem.text()
    editor.ref.set_ref(EventRef("page_load"))
    assert [editor.field.itemData(i) for i in range(3)] == ["lcp", "fcp", "cls"]
    editor.formula.setCurrentIndex(editor.formula.findData("error_rate"))
    assert shown() == set()


def test_a_kpi_opened_in_the_editor_saves_unchanged(qtbot):
    """Every digit of a target and its thresholds survives the form (not "1.23457e+06")."""
    revenue = replace(ORDER_VALUE, target=1_234_567.0, warning=12_345.678, critical=0.125, higher_is_better=True,
                      id=7)
    editor = KpiEditor(choices=PickerChoices(), existing=revenue)
    qtbot.addWidget(editor)
    assert (editor.target.text(), editor.warning.text(), editor.critical.text()) == ("1234567", "12345.678", "0.125")
    assert editor.problem_text() == ""
    assert editor.definition() == revenue
    ratio = replace(CONVERSION, unit="", id=8)  # a rate an app defined without a unit
    editor = KpiEditor(choices=PickerChoices(), existing=ratio)
    qtbot.addWidget(editor)
    assert editor.unit.currentText() == "" and editor.definition() == ratio


def test_the_percent_the_editor_suggests_for_a_rate_goes_with_it(qtbot):
    editor = KpiEditor(choices=PickerChoices(catalog=(("conversion", "purchase", 2),)))
    qtbot.addWidget(editor)
    editor.formula.setCurrentIndex(editor.formula.findData("rate"))
    assert editor.unit.currentText() == "%"
    editor.formula.setCurrentIndex(editor.formula.findData("sum"))
    assert editor.unit.currentText() == ""  # a sum of values is not a percentage
    editor.unit.setCurrentText("%")  # the user's own choice stays
    editor.formula.setCurrentIndex(editor.formula.findData("count"))
    assert editor.unit.currentText() == "%"


@SHOWN  # the editor is shown
def test_a_kpi_made_in_the_editor_is_saved_and_gets_its_card(qtbot, store, jobs):
    from console.gui.own_writer import OwnWriter
    from console.gui.product_client import ProductClient

    filled(store, kpis=(PAGE_VIEWS,))
    store.close()  # the tab's client is the store's only writer now
    own = OwnWriter(store.path)
    client = ProductClient(db_path=store.path, collector_url=None, own_writer=own)
    try:
        tab = open_tab(qtbot, jobs)
        tab.use_client(client)
        editor = tab.open_editor(None)
        editor.name.setText("Checkout users")
        editor.formula.setCurrentIndex(editor.formula.findData("unique_users"))
        editor.ref.set_ref(EventRef("event", "checkout_done"))
        editor.target.setText("2")
        with qtbot.waitSignal(tab.cardsShown, timeout=15_000):
            editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        qtbot.waitUntil(lambda: "Checkout users" in tab.cards, timeout=10_000)
        card = tab.cards["Checkout users"]
        qtbot.waitUntil(lambda: card.data is not None)
        assert (card.value.text(), card.status.text()) == ("3", "on target")  # u1 u3 u4
        tab.select("Checkout users")
        with qtbot.waitSignal(tab.cardsShown, timeout=15_000):
            tab.delete(tab.selected_kpi())
        qtbot.waitUntil(lambda: "Checkout users" not in tab.cards, timeout=10_000)
        assert list(tab.cards) == ["Page views"]
    finally:
        client.stop()
        own.stop()


def test_sparkline_values_are_the_series(qtbot, store, jobs):
    filled(store, kpis=(CONVERSION,))
    tab = open_tab(qtbot, jobs)
    values = tab.cards["Checkout conversion"].data.values
    # Per bucket: u1 checks out after the index (100 %), u2 does not (0 %), u3 and u4 do, u5
    # never sees the index (nothing to divide), u6 does not check out.
    assert np.allclose(values, [100, 0, 100, 100, np.nan, 0], equal_nan=True)


def test_the_windows_analytics_panel_has_the_tabs_and_saves_through_its_client(qtbot, store, open_window):
    filled(store, kpis=(PAGE_VIEWS,))
    store.close()  # the window's own writer saves from here on
    window = open_window(store.path)
    window.show_panel("analytics")
    panel = window.analytics
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert titles[-4:] == ["Events", "Funnels", "Conversions", "KPIs"]
    tab = panel.tab_widgets["KPIs"]
    panel.choose_range("24h")
    with qtbot.waitSignal(tab.cardsShown, timeout=10_000):
        panel.show_tab("KPIs")
        tab.refresh()
    assert tab.new_button.isEnabled()  # the window's ProductClient is wired in
    assert tab.cards["Page views"].value.text() == "12"  # every page view of the hand-built store


def test_a_kpi_alerts_link_opens_its_card(qtbot, store, open_window):
    from console.gui.alerts.detail import describe_link

    filled(store)
    assert describe_link("kpi:Order value", None) == ("kpi", "Order value", "Open KPI Order value in Analytics")
    window = open_window(store.path)
    tab = window.analytics.tab_widgets["KPIs"]
    with qtbot.waitSignal(tab.cardsShown, timeout=10_000):
        window._open_alert_link("kpi", "Order value")  # noqa: SLF001 - what the alert's link button calls
    assert window.stack.currentWidget() is window.analytics
    assert window.analytics.tabs.currentWidget() is tab
    assert tab.selected == "Order value" and tab.cards["Order value"].value.text() == "150.50 CNY"
