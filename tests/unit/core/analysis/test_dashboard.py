"""Dashboards as data: widgets, the grid, the default Overview, the JSON round trip and the
reasons a bad definition is refused."""

from __future__ import annotations

import pytest

from console.core.analysis.product.dashboard import (
    DEFAULT_DASHBOARD,
    GRID_COLUMNS,
    Dashboard,
    Widget,
    bucket_for,
    format_change,
    format_value,
)
from console.core.analysis.product.refs import EventRef, Measure, PropertyFilter

ERRORS = Measure(EventRef("error"))
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000


def card(title: str, row: int, col: int, **fields: object) -> Widget:
    return Widget(kind="card", title=title, measure=ERRORS, row=row, col=col, **fields)  # type: ignore[arg-type]


def test_the_default_dashboard_is_the_overview_with_its_cards_and_charts() -> None:
    overview = DEFAULT_DASHBOARD
    assert overview.name == "Overview" and overview.id is None
    cards = [w.label() for w in overview.widgets if w.kind == "card"]
    charts = [w.label() for w in overview.widgets if w.kind == "chart"]
    assert cards[:4] == ["Events / min", "Errors / min", "Active sessions", "LCP p75 (1 h)"]
    assert "Conversion value (24 h)" in cards
    assert charts == ["Events", "Errors", "Page views", "LCP p75 per hour", "Conversion value per hour",
                      "Active sessions"]
    lcp = next(w for w in overview.widgets if w.label() == "LCP p75 (1 h)")
    assert lcp.measure == Measure(EventRef("page_load"), "p75", "lcp") and lcp.format == "ms" and lcp.range == "1h"
    events = overview.widgets[0]
    assert events.special == "events" and events.range == "1m" and events.metric_label() == "Events"
    assert all(w.col + w.width <= GRID_COLUMNS for w in overview.widgets)
    assert Dashboard.from_json(overview.to_json()) == overview


def test_a_widget_round_trips_with_filters_kpi_and_bucket() -> None:
    coupon = Measure(EventRef("event", "coupon_applied", filters=(PropertyFilter("properties.code", "eq", "W10"),)),
                     "users")
    chart = Widget(kind="chart", title="", measure=coupon, range="7d", format="count", comparison="none",
                   trend=False, refresh_s=300, row=3, col=1, width=3, height=2, bucket_ms=6 * HOUR)
    assert Widget.from_json(chart.to_json()) == chart
    assert chart.label() == "users of coupon_applied where properties.code = W10"
    kpi = Widget(kind="card", title="Checkout", kpi="Checkout rate", format="percent")
    assert Widget.from_json(kpi.to_json()) == kpi and kpi.metric_label() == "KPI Checkout rate"


@pytest.mark.parametrize(("span", "bucket"), [
    (MINUTE, 1_000), (5 * MINUTE, 5_000), (HOUR, MINUTE), (24 * HOUR, 15 * MINUTE), (7 * DAY, 2 * HOUR),
    (30 * DAY, 12 * HOUR),
])
def test_charts_get_a_round_bucket_giving_sixty_points_or_more(span: int, bucket: int) -> None:
    assert bucket_for(span) == bucket
    assert 60 <= span // bucket <= 200


@pytest.mark.parametrize(("fields", "reason"), [
    ({"kind": "table", "measure": ERRORS}, "unknown widget kind 'table'"),
    ({"kind": "card"}, r"exactly one of a measure, a KPI or a special metric \(got none\)"),
    ({"kind": "card", "measure": ERRORS, "kpi": "x"}, r"\(got measure, kpi\)"),
    ({"kind": "card", "special": "visitors"}, "unknown special metric 'visitors'"),
    ({"kind": "card", "measure": ERRORS, "range": "2h"}, "unknown range '2h'; use one of 1m, 5m"),
    ({"kind": "card", "measure": ERRORS, "format": "bytes"}, "unknown format 'bytes'"),
    ({"kind": "card", "measure": ERRORS, "comparison": "last year"}, "unknown comparison"),
    ({"kind": "card", "measure": ERRORS, "refresh_s": 1}, "'refresh_s' must be from 5 to 86400, not 1"),
    ({"kind": "card", "measure": ERRORS, "col": 3, "width": 2}, "leaves the 4-column grid"),
    ({"kind": "card", "measure": ERRORS, "col": 4}, "'col' must be from 0 to 3, not 4"),
    ({"kind": "card", "measure": ERRORS, "height": 5}, "'height' must be from 1 to 4"),
    ({"kind": "chart", "measure": ERRORS, "range": "30d", "bucket_ms": 1_000}, "makes 2.592e\\+06 points"),
    ({"kind": "card", "kpi": " "}, "needs the KPI's name"),
])
def test_a_bad_widget_says_why(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Widget(**fields)  # type: ignore[arg-type]


def test_overlapping_widgets_are_refused_naming_both() -> None:
    with pytest.raises(ValueError, match="'Late' overlaps 'Wide' at row 0, column 2"):
        Dashboard("Mine", (card("Wide", 0, 1, width=2), card("Late", 0, 2)))
    with pytest.raises(ValueError, match="needs a name"):
        Dashboard("  ")


def test_json_errors_name_the_widget_and_the_field() -> None:
    data = DEFAULT_DASHBOARD.to_json()
    data["widgets"][2]["range"] = "forever"
    with pytest.raises(ValueError, match="widget 3: unknown range 'forever'"):
        Dashboard.from_json(data)
    with pytest.raises(ValueError, match="unknown widget field"):
        Dashboard.from_json({"name": "x", "widgets": [{"kind": "card", "special": "events", "colour": "red"}]})
    with pytest.raises(ValueError, match="unknown dashboard field"):
        Dashboard.from_json({"name": "x", "layout": []})
    with pytest.raises(ValueError, match="'trend' must be true or false"):
        Widget.from_json({"kind": "card", "special": "events", "trend": "yes"})
    with pytest.raises(ValueError, match="'widgets' must be an array"):
        Dashboard.from_json({"name": "x", "widgets": {}})
    with pytest.raises(ValueError, match="'row' must be an integer"):
        Widget.from_json({"kind": "card", "special": "events", "row": "2"})


def test_adding_moving_and_removing_widgets() -> None:
    board = Dashboard("Mine", (card("A", 0, 0, width=2), card("B", 0, 3)))
    assert board.free_cell() == (0, 2)
    assert board.free_cell(width=2) == (1, 0)
    board = board.with_widget(card("C", *board.free_cell()))
    assert [(w.title, w.row, w.col) for w in board.widgets] == [("A", 0, 0), ("B", 0, 3), ("C", 0, 2)]
    with pytest.raises(ValueError, match="'D' overlaps 'A'"):
        board.with_widget(card("D", 0, 1))
    moved = board.replace_widget(1, card("B", 1, 0))
    assert moved.widgets[1].row == 1 and moved.free_cell() == (0, 3)
    assert [w.title for w in moved.without_widget(0).widgets] == ["B", "C"]


def test_values_are_shown_in_their_format() -> None:
    assert format_value(1234.0, "count") == "1,234"
    assert format_value(849.6, "ms") == "850 ms"
    assert format_value(3250.0, "ms") == "3.25 s"
    assert format_value(4000.0, "ms") == "4 s"
    assert format_value(12.46, "percent") == "12.5 %"
    assert format_value(1234.5, "currency") == "1,234.50"
    assert format_value(2.5, "number") == "2.5"
    assert format_value(1500.25, "number") == "1,500"
    assert format_value(None, "count") == "—"
    assert format_change(25.0) == "+25.0 %" and format_change(None) == "—"
