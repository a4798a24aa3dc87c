"""The events explorer and the conversions report over a store written through the native
decoder and the writer, against hand-computed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.product.refs import EventRef, PropertyFilter
from console.core.store.explorer_queries import (
    ClickRow,
    RouteRow,
    conversion_report,
    event_series,
    page_views_by_route,
    top_clicks,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

MIN = 60_000
T0 = NOW - 3_600_000
END = T0 + 30 * MIN
BUCKET = 10 * MIN


def at(minute: float, user: str | None, session: str) -> dict[str, Any]:
    return {"timestamp": T0 + int(minute * MIN), "sessionId": session, **({"userId": user} if user else {})}


def coupon(minute: float, user: str | None, session: str, code: str | None) -> dict[str, Any]:
    return {"type": "custom_event", "name": "coupon_applied", **at(minute, user, session),
            "properties": {"code": code} if code else {}}


def view(route: str, minute: float, user: str | None, session: str) -> dict[str, Any]:
    return {"type": "page_view", "url": f"pages/{route}/{route}", **at(minute, user, session)}


def click(minute: float, user: str, tag: str, element: str, text: str | None, action: str = "click") -> dict[str, Any]:
    found: dict[str, Any] = {"tag": tag, "id": element}
    if text:
        found["text"] = text
    return {"type": "interaction", "action": action, "element": found, "coordinates": {"x": 1, "y": 2},
            **at(minute, user, f"s-{user}")}


def conversion(minute: float, user: str | None, session: str, value: float, kind: str | None,
               currency: str | None) -> dict[str, Any]:
    props: dict[str, Any] = {"value": value}
    if kind:
        props["type"] = kind
    if currency:
        props["currency"] = currency
    return {"type": "event", "name": "conversion", **at(minute, user, session), "properties": props}


@pytest.fixture
def store(writer: StoreWriter, store_path: Path) -> Path:
    writer.write(events_of([
        coupon(0, "u1", "s1", "A"), coupon(1, "u1", "s1", "A"), coupon(5, "u2", "s2", "B"),
        coupon(12, None, "s3", "A"), coupon(15, "u1", "s1", "C"), coupon(25, "u4", "s4", None),
        coupon(26, "u5", "s5", "D"), coupon(35, "u1", "s1", "A"),  # the last after the range
        view("index", 0, "u1", "s1"), view("index", 2, "u1", "s1"), view("index", 3, "u2", "s2"),
        view("index", 4, None, "s3"), view("cart", 5, "u1", "s1"), view("cart", 20, "u1", "s9"),
        view("cart", 31, "u1", "s9"),
        click(1, "u1", "button", "buy", "Buy now"), click(2, "u1", "button", "buy", "Buy now"),
        click(3, "u2", "button", "buy", "Buy now"), click(4, "u1", "view", "banner", None),
        click(5, "u1", "view", "page", None, action="scroll"), click(40, "u2", "view", "banner", None),
        conversion(1, "u1", "s1", 100, "purchase", "CNY"), conversion(12, "u2", "s2", 50, "purchase", "CNY"),
        conversion(13, "u1", "s1", 20, "purchase", "USD"), conversion(25, None, "s3", 30, "subscription", "CNY"),
        conversion(26, "u5", "s5", 5, None, None), conversion(40, "u1", "s1", 999, "purchase", "CNY"),
    ]))
    return store_path


COUPON = EventRef("event", "coupon_applied")


def lines(series: Any) -> list[tuple[str, list[int], list[int], int, int]]:
    return [(g.label, g.counts.tolist(), g.users.tolist(), g.total, g.total_users) for g in series.groups]


def test_an_event_over_time_with_unique_users(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        series = event_series(conn, COUPON, T0, END, BUCKET)
    assert series.buckets.tolist() == [T0, T0 + BUCKET, T0 + 2 * BUCKET]
    # Buckets: u1 u1 u2 | s3 u1 | u4 u5.
    assert lines(series) == [("all", [3, 2, 2], [2, 2, 2], 7, 5)]
    assert (series.total, series.total_users) == (7, 5)


def test_broken_down_by_a_property_top_values_and_other(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        series = event_series(conn, COUPON, T0, END, BUCKET, breakdown="properties.code", top=2)
    # A three times; then one each of B, C, D and no code: "(none)" sorts first of those.
    assert lines(series) == [
        ("A", [2, 1, 0], [1, 1, 0], 3, 2),
        ("(none)", [0, 0, 1], [0, 0, 1], 1, 1),
        ("other", [1, 1, 1], [1, 1, 1], 3, 3),
    ]


def test_filtered_by_a_property(store: Path) -> None:
    only_a = EventRef("event", "coupon_applied", filters=(PropertyFilter("properties.code", "eq", "A"),))
    with connect(store, readonly=True) as conn:
        series = event_series(conn, only_a, T0, END, BUCKET)
        nothing = event_series(conn, only_a, END + MIN, END + 2 * MIN, BUCKET)
        with pytest.raises(ValueError, match="more than"):
            event_series(conn, only_a, T0, END, 1)
    assert lines(series) == [("all", [2, 1, 0], [1, 1, 0], 3, 2)]
    assert nothing.groups == () and nothing.total == 0 and nothing.buckets.tolist() == [END + MIN]


def test_page_views_per_route(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        routes = page_views_by_route(conn, T0, END)
        assert page_views_by_route(conn, T0, END, limit=1) == routes[:1]
    assert routes == [RouteRow("pages/index/index", 4, 3, 3), RouteRow("pages/cart/cart", 2, 1, 2)]


def test_top_clicked_elements(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        clicks = top_clicks(conn, T0, END)
    assert clicks == [ClickRow("button", "buy", "Buy now", 3, 2), ClickRow("view", "banner", None, 1, 1)]
    assert [c.label() for c in clicks] == ["button#buy 'Buy now'", "view#banner"]


def test_conversions_by_type_with_value_per_currency(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        report = conversion_report(conn, T0, END, BUCKET)
    assert [(t.label, t.count, t.users, t.value, t.counts.tolist()) for t in report.types] == [
        ("purchase", 3, 2, (("CNY", 150.0), ("USD", 20.0)), [1, 2, 0]),
        ("(none)", 1, 1, ((None, 5.0),), [0, 0, 1]),
        ("subscription", 1, 1, (("CNY", 30.0),), [0, 0, 1]),
    ]
    purchase = report.types[0]
    assert [(c, v.tolist()) for c, v in purchase.values] == [("CNY", [100.0, 50.0, 0.0]), ("USD", [0.0, 20.0, 0.0])]
    assert report.types[1].conversion_type is None
    assert (report.count, report.users, report.counts.tolist()) == (5, 4, [1, 2, 2])
    assert report.value == (("CNY", 180.0), ("USD", 20.0), (None, 5.0))
