"""The sessions list, a session's timeline, users and their sessions, against hand-computed values."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core.store.schema import connect
from console.core.store.session_queries import (
    SessionRow,
    UserRow,
    list_sessions,
    list_users,
    session_timeline,
    user_sessions,
)
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.test_sessions_upkeep import (
    T,
    click,
    conversion,
    js_error,
    log,
    page_load,
    page_view,
    transaction,
    who,
)

MIN = 60_000


def identify(session: str, ts: int, user: str, **traits: Any) -> dict[str, Any]:
    return {"type": "event", "name": "user_identified", "timestamp": ts, **who(session, user),
            "properties": {"userId": user, "properties": traits}}


def request(session: str, ts: int, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "network_request", "url": "https://api.example.com/cart", "method": "GET", "status": 200,
            "duration": 183.0, "timestamp": ts, **who(session, user)}


def custom(session: str, ts: int, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "custom_event", "name": "coupon_applied", "timestamp": ts, "context": {"url": "pages/cart/cart"},
            **who(session, user)}


@pytest.fixture
def conn(writer: StoreWriter, store_path: Path) -> Iterator[sqlite3.Connection]:
    """Four sessions of shop (two of u-1, identified; one anonymous; one of u-2, never identified)
    and one of another project's identified u-3."""
    u1 = "u-1"
    writer.write(events_of([
        page_view("s-a", T, "pages/index/index", user=u1),
        identify("s-a", T + 500, u1, plan="gold", city="Hangzhou"),
        click("s-a", T + 1000, user=u1),
        request("s-a", T + 2000, user=u1),
        transaction("s-a", T + 3000, user=u1),
        js_error("s-a", T + 4000, user=u1),
        log("s-a", T + 5000, user=u1),
        custom("s-a", T + 6000, user=u1),
        conversion("s-a", T + 7000, 129.0, user=u1),
        page_load("s-a", T + 8000, user=u1),
        page_view("s-b", T + 100 * MIN, "pages/cart/cart", user=u1),
        conversion("s-b", T + 101 * MIN, 20.0, user=u1),
        js_error("s-c", T + 200 * MIN, release="2.4.0"),
        page_load("s-c", T + 201 * MIN, device={"platform": "android", "model": "Pixel 8"}),
        click("s-d", T + 300 * MIN, user="u-2"),
    ]))
    writer.write(events_of([
        identify("s-e", T + 400 * MIN, "u-3", plan="free"),
        log("s-a", T + 9000),  # not shop's s-a
    ], project="other"))
    opened = connect(store_path, readonly=True)
    yield opened
    opened.close()


def test_the_list_is_newest_first_with_each_sessions_figures(conn: sqlite3.Connection) -> None:
    page = list_sessions(conn)
    assert page.total == 6
    assert [(r.project, r.session_id) for r in page.rows] == [
        ("other", "s-e"), ("shop", "s-d"), ("shop", "s-c"), ("shop", "s-b"), ("other", "s-a"), ("shop", "s-a"),
    ]
    assert page.rows[-1] == SessionRow(
        project="shop", session_id="s-a", user_id="u-1", started=T, ended=T + 8000, duration_ms=8000, events=10,
        page_views=1, errors=1, conversions=1, conversion_value=129.0, platform="ios", device="iPhone 15",
        release="2.3.1", entry_route="pages/index/index", exit_route="pages/index/index",
    )
    (c,) = [r for r in page.rows if r.session_id == "s-c"]
    assert (c.user_id, c.platform, c.device, c.release, c.errors, c.page_views) == (
        None, "android", "Pixel 8", "2.4.0", 1, 0)


def test_filters_and_pages_count_every_match(conn: sqlite3.Connection) -> None:
    def ids(**kwargs: Any) -> tuple[list[str], int]:
        page = list_sessions(conn, **kwargs)
        return [r.session_id for r in page.rows], page.total

    assert ids(limit=2, offset=1) == (["s-d", "s-c"], 6)
    assert ids(project="shop") == (["s-d", "s-c", "s-b", "s-a"], 4)
    assert ids(with_errors=True) == (["s-c", "s-a"], 2)
    assert ids(converted=True) == (["s-b", "s-a"], 2)
    assert ids(user_id="u-1") == (["s-b", "s-a"], 2)
    assert ids(user_id="u-1", with_errors=True, converted=True) == (["s-a"], 1)
    # Sessions that started in the range: s-d starts exactly at its end and is left out.
    assert ids(start_ms=T + 100 * MIN, end_ms=T + 300 * MIN) == (["s-c", "s-b"], 2)
    assert ids(text="PIXEL") == (["s-c"], 1)  # device, whatever the case
    assert ids(text="cart/cart") == (["s-b"], 1)  # entry or exit route
    assert ids(text="u-2") == (["s-d"], 1)
    assert ids(text="%") == ([], 0)  # typed text, not a pattern
    assert ids(limit=0) == ([], 6)


def test_a_timeline_lists_the_whole_session_each_item_with_its_panel(conn: sqlite3.Connection) -> None:
    items = session_timeline(conn, "shop", "s-a")
    (issue_id,) = conn.execute("SELECT issue_id FROM errors WHERE session_id = 's-a'").fetchone()
    by_kind = {item.kind: item for item in items}
    assert [(i.offset_ms, i.label, i.panel) for i in items] == [
        (0, "page view", "analytics"), (500, "user identified", "analytics"), (1000, "click", "analytics"),
        (2000, "network request", "analytics"), (3000, "transaction", "performance"), (4000, "error", "errors"),
        (5000, "log", "logs"), (6000, "custom event", "analytics"), (7000, "conversion", "analytics"),
        (8000, "page load", "performance"),
    ]
    assert [i.ts for i in items] == [T + i.offset_ms for i in items]
    assert by_kind["error"].target == issue_id and by_kind["error"].detail["error_type"] == "TypeError"
    assert by_kind["transaction"].target == by_kind["transaction"].event_id
    assert by_kind["transaction"].detail == {"name": "cart.load", "duration_ms": 120.0}
    assert by_kind["log"].target == by_kind["log"].event_id
    assert by_kind["page_view"].target is None and by_kind["page_view"].detail == {"route": "pages/index/index"}
    assert by_kind["page_load"].detail == {"route": "pages/index/index", "lcp": 900.0}
    assert by_kind["network_request"].detail == {
        "method": "GET", "url": "https://api.example.com/cart", "status": 200, "duration_ms": 183.0, "success": 1,
    }
    conversion_item = next(i for i in items if i.label == "conversion")
    assert conversion_item.detail == {"name": "conversion", "conversion_type": "purchase", "value": 129.0,
                                      "currency": "CNY"}
    assert conversion_item.summary == "conversion purchase 129 CNY"
    # The oldest when there are more than asked for; another project's session of the same id apart.
    assert [i.label for i in session_timeline(conn, "shop", "s-a", limit=2)] == ["page view", "user identified"]
    assert [i.kind for i in session_timeline(conn, "other", "s-a")] == ["log"]
    assert session_timeline(conn, "shop", "s-none") == []


def test_users_are_the_last_seen_first_identified_or_not(conn: sqlite3.Connection) -> None:
    u1 = UserRow(project="shop", user_id="u-1", identified=True, properties={"plan": "gold", "city": "Hangzhou"},
                 first_seen=T, last_seen=T + 101 * MIN, sessions=2, conversions=2, conversion_value=149.0, errors=1)
    u2 = UserRow(project="shop", user_id="u-2", identified=False, properties={}, first_seen=T + 300 * MIN,
                 last_seen=T + 300 * MIN, sessions=1, conversions=0, conversion_value=0.0, errors=0)
    u3 = UserRow(project="other", user_id="u-3", identified=True, properties={"plan": "free"},
                 first_seen=T + 400 * MIN, last_seen=T + 400 * MIN, sessions=1, conversions=0, conversion_value=0.0,
                 errors=0)
    assert list_users(conn) == [u3, u2, u1]
    assert list_users(conn, identified_only=True) == [u3, u1]
    assert list_users(conn, limit=1) == [u3]
    assert list_users(conn, text="GOLD") == [u1]  # a property value
    assert list_users(conn, text="u-2") == [u2]
    assert list_users(conn, text="u-2", identified_only=True) == []
    assert [r.session_id for r in user_sessions(conn, "shop", "u-1")] == ["s-b", "s-a"]
    assert [r.session_id for r in user_sessions(conn, "shop", "u-1", limit=1)] == ["s-b"]
    assert user_sessions(conn, "other", "u-1") == []


def test_the_lists_read_their_indexes(conn: sqlite3.Connection) -> None:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    list_sessions(conn)
    list_sessions(conn, start_ms=T, end_ms=T + 400 * MIN)
    user_sessions(conn, "shop", "u-1")
    list_users(conn, identified_only=True)
    conn.set_trace_callback(None)
    plans = [" | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)) for sql in statements]
    first_page, first_total, ranged_page, ranged_total, of_user, users = plans
    assert "SCAN sessions USING INDEX sessions_started" in first_page and "TEMP B-TREE" not in first_page
    assert "USING COVERING INDEX" in first_total
    assert "SEARCH sessions USING INDEX sessions_started (started>? AND started<?)" in ranged_page
    assert "SEARCH sessions USING COVERING INDEX sessions_started (started>? AND started<?)" in ranged_total
    assert "USING INDEX sessions_user (user_id=?)" in of_user and "TEMP B-TREE" not in of_user
    assert "SEARCH sessions USING INDEX sessions_user (user_id=?)" in users
