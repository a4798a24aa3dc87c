"""Occurrences and measures read from a store written through the native decoder and the
writer, against hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.product.refs import EventRef, Measure, PropertyFilter
from console.core.store.occurrences import (
    breakdown_keys,
    event_catalog,
    measure_series,
    measure_value,
    occurrences,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

T0 = NOW - 3_600_000
MIN = 60_000


def who(user: str | None, session: str) -> dict[str, Any]:
    return {"sessionId": session, **({"userId": user} if user else {})}


def view(route: str, ts: int, user: str | None, session: str, platform: str = "ios") -> dict[str, Any]:
    return {"type": "page_view", "url": route, "timestamp": ts, **who(user, session),
            "deviceInfo": {"platform": platform, "model": "iPhone 15"}}


def custom(name: str, ts: int, user: str | None, session: str, **props: Any) -> dict[str, Any]:
    return {"type": "custom_event", "name": name, "timestamp": ts, "properties": props, **who(user, session)}


def conversion(ts: int, user: str, session: str, value: float, kind: str = "purchase") -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "timestamp": ts, **who(user, session),
            "properties": {"type": kind, "value": value, "currency": "CNY"}}


def load(route: str, ts: int, lcp: float, session: str) -> dict[str, Any]:
    return {"type": "page_load", "url": route, "timestamp": ts, "sessionId": session,
            "metrics": {"largestContentfulPaint": lcp}}


@pytest.fixture
def store(writer: StoreWriter, store_path: Path) -> Path:
    payloads = [
        view("pages/index/index", T0, "u1", "s1"),
        view("pages/cart/cart", T0 + MIN, "u1", "s1"),
        view("pages/index/index", T0 + 2 * MIN, None, "s2", platform="android"),
        view("pages/index/index", T0 + 61 * MIN, "u3", "s3"),  # outside the first hour
        custom("coupon_applied", T0 + 3 * MIN, "u1", "s1", code="WINTER10"),
        custom("coupon_applied", T0 + 4 * MIN, None, "s2", code="SPRING5"),
        custom("coupon_applied", T0 + 5 * MIN, "u1", "s1", code="WINTER10"),
        conversion(T0 + 6 * MIN, "u1", "s1", 129.0),
        conversion(T0 + 7 * MIN, "u3", "s3", 20.0, kind="subscription"),
        load("pages/index/index", T0, 1000.0, "s1"),
        load("pages/index/index", T0 + MIN, 2000.0, "s1"),
        load("pages/index/index", T0 + 2 * MIN, 3000.0, "s2"),
        load("pages/cart/cart", T0 + 3 * MIN, 4000.0, "s2"),
    ]
    writer.write(events_of(payloads))
    return store_path


HOUR_END = T0 + 60 * MIN


def test_occurrences_are_in_time_order_with_the_user_else_the_session(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        found = occurrences(conn, EventRef("page_view", "pages/index/index"), T0, HOUR_END, breakdown="platform")
    assert found.ts.tolist() == [T0, T0 + 2 * MIN]
    assert found.actor.tolist() == ["u1", "s2"]
    assert found.group is not None and found.group.tolist() == ["ios", "android"]


def test_counts_users_sessions_and_property_filters(store: Path) -> None:
    coupon = EventRef("event", "coupon_applied")
    winter = EventRef("event", "coupon_applied", filters=(PropertyFilter("properties.code", "eq", "WINTER10"),))
    with connect(store, readonly=True) as conn:
        assert measure_value(conn, Measure(coupon), T0, HOUR_END) == 3
        assert measure_value(conn, Measure(coupon, "users"), T0, HOUR_END) == 2
        assert measure_value(conn, Measure(winter), T0, HOUR_END) == 2
        assert measure_value(conn, Measure(EventRef("page_view"), "sessions"), T0, HOUR_END) == 2
        android = EventRef("event", "coupon_applied", filters=(PropertyFilter("session.platform", "eq", "android"),))
        assert measure_value(conn, Measure(android), T0, HOUR_END) == 1


def test_sums_and_percentiles_of_fields(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        revenue = Measure(EventRef("conversion", "purchase"), "sum", "value")
        assert measure_value(conn, revenue, T0, HOUR_END) == 129.0
        assert measure_value(conn, Measure(EventRef("conversion"), "sum", "value"), T0, HOUR_END) == 149.0
        # numpy's linear percentile of 1000, 2000, 3000, 4000: 1000 + 0.75 * 3 * 1000
        p75 = measure_value(conn, Measure(EventRef("page_load"), "p75", "lcp"), T0, HOUR_END)
        assert p75 == pytest.approx(3250.0)
        index = measure_value(conn, Measure(EventRef("page_load", "pages/index/index"), "avg", "lcp"), T0, HOUR_END)
        assert index == pytest.approx(2000.0)
        assert measure_value(conn, Measure(EventRef("page_load"), "p75", "lcp"), HOUR_END, HOUR_END + MIN) is None


def test_series_per_bucket(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        starts, counts = measure_series(conn, Measure(EventRef("page_view")), T0, T0 + 4 * MIN, 2 * MIN)
        assert starts.tolist() == [T0, T0 + 2 * MIN]
        assert counts.tolist() == [2, 1]
        _, p50 = measure_series(conn, Measure(EventRef("page_load"), "p50", "lcp"), T0, T0 + 6 * MIN, 2 * MIN)
        assert p50[0] == pytest.approx(1500.0) and p50[1] == pytest.approx(3500.0) and math.isnan(p50[2])


def test_catalog_and_breakdown_keys(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        catalog = event_catalog(conn)
        assert ("page_view", "pages/index/index", 3) in catalog
        assert ("event", "coupon_applied", 3) in catalog
        assert ("conversion", "purchase", 1) in catalog
        assert "properties.code" in breakdown_keys(conn, "event")


def test_bad_references_say_why() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        EventRef("pageview")
    with pytest.raises(ValueError, match="needs its name"):
        EventRef("event")
    with pytest.raises(ValueError, match="unknown key"):
        EventRef("page_view", filters=(PropertyFilter("x'); DROP TABLE", "eq", "1"),))
    with pytest.raises(ValueError, match="needs a field"):
        Measure(EventRef("page_load"), "p75")
    with pytest.raises(ValueError, match="no field"):
        Measure(EventRef("page_view"), "sum", "lcp")
    ref = EventRef("funnel_step", "checkout", funnel="purchase",
                   filters=(PropertyFilter("properties.plan", "ne", "gold"),))
    assert EventRef.from_json(ref.to_json()) == ref
    measure = Measure(ref, "users")
    assert Measure.from_json(measure.to_json()) == measure


def test_every_property_key_offered_reads_its_property(writer: StoreWriter, store_path: Path) -> None:
    # An app names its properties as it likes: a dot, a space, Chinese, a '$' or a '-' in them.
    props = {"utm.source": "wechat", "plan type": "gold", "渠道": "moments", "$ab-test": "b", "address": {"city": "SH"}}
    writer.write(events_of([custom("open", T0, "u1", "s1", **props), custom("open", T0 + 1, "u2", "s2")]))
    opened = EventRef("event", "open")
    with connect(store_path, readonly=True) as conn:
        offered = [key for key in breakdown_keys(conn, "event") if key.startswith("properties.")]
        assert offered == ["properties.$ab-test", "properties.plan type", 'properties."utm.source"', "properties.渠道"]
        groups = {key: occurrences(conn, opened, T0, HOUR_END, breakdown=key).group for key in offered}
        assert {key: None if g is None else g.tolist() for key, g in groups.items()} == {
            "properties.$ab-test": ["b", None], "properties.plan type": ["gold", None], 'properties."utm.source"': ["wechat", None],
            "properties.渠道": ["moments", None],
        }
        # An unquoted dot goes one level down.
        city = occurrences(conn, opened, T0, HOUR_END, breakdown="properties.address.city").group
        assert city is not None and city.tolist() == ["SH", None]
        wechat = EventRef("event", "open", filters=(PropertyFilter('properties."utm.source"', "eq", "wechat"),))
        assert measure_value(conn, Measure(wechat), T0, HOUR_END) == 1
    with pytest.raises(ValueError, match="unknown key"):
        PropertyFilter('properties.say "hi"', "eq", "1").check("event")


def test_pages_seen_before_the_login_are_the_users(writer: StoreWriter, store_path: Path) -> None:
    # u9 browses anonymously, then logs in within the same session: one user, not two.
    writer.write(events_of([
        view("pages/index/index", T0, None, "s9"), view("pages/item/item", T0 + MIN, None, "s9"),
        view("pages/cart/cart", T0 + 2 * MIN, "u9", "s9"), view("pages/index/index", T0 + 3 * MIN, None, "s10"),
    ]))
    with connect(store_path, readonly=True) as conn:
        found = occurrences(conn, EventRef("page_view"), T0, HOUR_END)
        assert found.actor.tolist() == ["u9", "u9", "u9", "s10"]
        assert measure_value(conn, Measure(EventRef("page_view"), "users"), T0, HOUR_END) == 2
        _, per_bucket = measure_series(conn, Measure(EventRef("page_view"), "users"), T0, T0 + 4 * MIN, 2 * MIN)
        assert per_bucket.tolist() == [1, 2]
