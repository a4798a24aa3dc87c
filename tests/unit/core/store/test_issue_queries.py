"""The inbox's queries on a store written by the real writer: list, search, detail, timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from console.core.ingest.sentry import decode_envelope, decode_store_event
from console.core.store.issue_actions import IssueAction
from console.core.store.issue_queries import (
    IssueQuery,
    error_detail,
    issue_event_ids,
    list_issues,
    session_timeline,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.issue_support import HOUR, NOW, act, issue_table, js_error

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


def sentry_event(message: str, tags: Any, *, ts: float = (NOW - 60_000) / 1000) -> list[Any]:
    body = orjson.dumps({
        "event_id": "0" * 32, "timestamp": ts, "level": "error", "platform": "javascript",
        "exception": {"values": [{"type": "RangeError", "value": message, "stacktrace": {"frames": [
            {"function": "paginate", "filename": "https://shop.example/js/list.js", "lineno": 3, "in_app": True},
        ]}}]},
        "tags": tags, "user": {"id": "u-sentry"}, "release": "web@1.0", "environment": "production",
    })
    batch = decode_store_event(body, project="shop", now_ms=NOW)
    assert not batch.rejected, batch.rejected
    return batch.events


@pytest.fixture
def inbox(writer: StoreWriter, store_path: Path) -> dict[str, int]:
    """Four issues of project shop and one of admin, with the ids by a name."""
    writer.write(events_of([
        js_error("TypeError: Cannot read 'price' of order 8812", function="sumCart", user="u-1042",
                 session="s-7f3a9c", ts=NOW - 30 * 60_000, context={"appVersion": "2.3.1", "environment": "staging"}),
        js_error("TypeError: Cannot read 'price' of order 9917", function="sumCart", user="u-2",
                 session="s-2", ts=NOW - 3 * HOUR - 1, context={"appVersion": "2.3.0", "environment": "staging"}),
        js_error("TypeError: Cannot read 'total' of cart", function="sumCart", user="u-2", ts=NOW - 25 * HOUR,
                 context={"appVersion": "2.2.0"}),
        js_error("Error: token expired", function="refresh", user="u-9", session="s-9", severity="medium",
                 ts=NOW - 2 * HOUR),
    ]))
    writer.write(sentry_event("page out of range", {"browser": "Chrome 131", "plan": "gold"}))
    writer.write(sentry_event("page out of range", [["browser", "Firefox 133"]], ts=(NOW - 90_000) / 1000))
    writer.write(events_of([js_error("Error: admin broke", function="adminPage", user="u-1", ts=NOW - 10 * 60_000)],
                           project="admin"))
    ids = [i["id"] for i in issue_table(writer.path)]
    return dict(zip(("price", "token", "range", "admin"), ids, strict=True))


def listed(path: Path, **query: Any) -> list[int]:
    conn = connect(path, readonly=True)
    try:
        return [row.id for row in list_issues(conn, IssueQuery(**query), now_ms=NOW)]
    finally:
        conn.close()


def test_the_inbox_lists_open_issues_newest_first_with_filters(
    inbox: dict[str, int], writer: StoreWriter, store_path: Path
) -> None:
    price, token, range_, admin = (inbox[k] for k in ("price", "token", "range", "admin"))
    assert listed(store_path) == [range_, admin, price, token]
    assert listed(store_path, project="shop") == [range_, price, token]
    assert listed(store_path, levels=("warning",)) == [token]
    assert listed(store_path, release="2.3.0") == [price]
    assert listed(store_path, environment="production") == [range_]
    assert listed(store_path, since_ms=NOW - 20 * 60_000) == [range_, admin]
    assert listed(store_path, sort="events") == [price, range_, admin, token]
    assert listed(store_path, sort="first_seen") == [range_, admin, token, price]
    assert listed(store_path, sort="users", limit=2)[0] == price
    act(writer, IssueAction("resolve", (price,)))
    act(writer, IssueAction("ignore", (token,)))
    assert listed(store_path) == [range_, admin]
    assert listed(store_path, statuses=("resolved", "ignored")) == [price, token]
    assert listed(store_path, statuses=("ignored",), text="token") == [token]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cann", ["price"]),  # a message word, by prefix
        ("price 9917", ["price"]),  # every word, in one error
        ("price token", []),
        ("TypeErr", ["price"]),  # the type
        ("sumCart", ["price"]),  # the culprit
        ("u-1042", ["price"]),  # a user id
        ("s-9", ["token"]),  # a session id
        ("u-sentry", ["range"]),
        ("chrome", ["range"]),  # a tag value (tags as an object)
        ("firefox 133", ["range"]),  # a tag value (tags as pairs)
        ("gold", ["range"]),
        ('"NEAR( AND', []),  # FTS5 syntax is searched for, never obeyed
        ("   ", ["range", "admin", "price", "token"]),
    ],
)
def test_search_matches_what_support_types(inbox: dict[str, int], store_path: Path, text: str, expected: list[str]) -> None:
    assert listed(store_path, text=text) == [inbox[name] for name in expected]


def test_rows_carry_an_hourly_sparkline_and_releases(inbox: dict[str, int], writer: StoreWriter, store_path: Path) -> None:
    # Two more in the newest hour, one a minute ahead of now (a client clock), one too old.
    writer.write(events_of([js_error(ts=NOW - 1), js_error(ts=NOW + 60_000), js_error(ts=NOW - 24 * HOUR - 1)]))
    conn = connect(store_path, readonly=True)
    rows = {row.id: row for row in list_issues(conn, IssueQuery(), now_ms=NOW)}
    conn.close()
    price = rows[inbox["price"]]
    expected = [0] * 24
    expected[23] = 3  # NOW - 30 min, NOW - 1 ms, NOW + 1 min
    expected[20] = 1  # NOW - 3 h - 1 ms
    assert list(price.sparkline) == expected
    assert (price.event_count, price.user_count) == (6, 3)
    assert price.releases == ("2.3.1", "2.3.0", "2.2.0")
    assert rows[inbox["range"]].releases == ("web@1.0",)
    assert sum(rows[inbox["range"]].sparkline) == 2
    assert rows[inbox["admin"]].releases == ()


def test_markup_in_a_message_is_stored_searched_and_shown_verbatim(writer: StoreWriter, store_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    writer.write(events_of([js_error(f"Error: {hostile}", function="render")]))
    conn = connect(store_path, readonly=True)
    (row,) = list_issues(conn, IssueQuery(text="onerror"), now_ms=NOW)
    assert row.title == f"Error: {hostile}"
    (event_id,) = issue_event_ids(conn, row.id)
    detail = error_detail(conn, event_id)
    assert detail is not None and detail.message == f"Error: {hostile}" and detail.exceptions[0].value == hostile
    conn.close()


def test_issue_event_ids_are_oldest_first(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error(ts=NOW - 10), js_error(ts=NOW - 30), js_error(ts=NOW - 20)]))
    conn = connect(store_path, readonly=True)
    assert issue_event_ids(conn, 1) == [2, 3, 1]
    assert issue_event_ids(conn, 99) == []
    conn.close()


def test_error_detail_reads_a_sentry_error_with_its_bytes_and_attachments(writer: StoreWriter, store_path: Path) -> None:
    raw = (SENTRY / "python-error-1.envelope").read_bytes()
    writer.write(decode_envelope(raw, project="1", now_ms=NOW).events)
    conn = connect(store_path, readonly=True)
    (event_id,) = issue_event_ids(conn, 1)
    detail = error_detail(conn, event_id)
    assert detail is not None
    assert (detail.sender, detail.exceptions[0].type, detail.user_id) == ("sentry", "TypeError", "u-1042")
    assert detail.attachments == (("cart.json", detail.attachments[0][1]),) and detail.attachments[0][1] > 0
    assert detail.raw_bytes is not None and b'"type":"event"' in detail.raw_bytes.replace(b" ", b"")
    assert detail.tags == (("session_id", "s-7f3a9c"),)
    assert error_detail(conn, 424242) is None
    conn.close()


def test_a_native_error_gets_the_device_of_its_session(
    writer: StoreWriter, store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    writer.write(events_of(native_examples))
    conn = connect(store_path, readonly=True)
    (event_id,) = [r[0] for r in conn.execute("SELECT event_id FROM errors WHERE error_id = 'err-3b7c'")]
    detail = error_detail(conn, event_id)
    assert detail is not None
    assert detail.contexts["device"] == {
        "platform": "ios", "brand": "Apple", "model": "iPhone 15", "system": "iOS 17.4", "client_version": "8.0.50",
        "sdk_version": "3.4.6", "screen_width": 393, "screen_height": 852, "source": "page_view",
    }
    assert detail.contexts["app"]["appVersion"] == "2.3.1"
    conn.close()


def test_the_session_timeline_places_the_error_among_its_session(
    writer: StoreWriter, store_path: Path, native_examples: list[dict[str, Any]]
) -> None:
    writer.write(events_of(native_examples))
    writer.write(events_of([js_error(session="s-7f3a9c", ts=1764288003100 - 31 * 60_000)]))  # before the window
    writer.write(events_of([js_error(session="s-other", ts=1764288003100)]))
    conn = connect(store_path, readonly=True)
    (event_id,) = [r[0] for r in conn.execute("SELECT event_id FROM errors WHERE error_id = 'err-3b7c'")]
    timeline = session_timeline(conn, event_id)
    assert [e.ts for e in timeline] == sorted(e.ts for e in timeline)
    (error,) = [e for e in timeline if e.is_the_error]
    assert (error.event_id, error.offset_ms, error.kind) == (event_id, 0, "error")
    assert {e.kind for e in timeline} >= {"transaction", "page_view", "interaction", "error", "log"}
    assert all(-30 * 60_000 <= e.offset_ms <= 5 * 60_000 for e in timeline)
    in_window = conn.execute(
        "SELECT id FROM events WHERE session_id = 's-7f3a9c' AND ts >= ? ORDER BY ts, id", (1764288003100 - 30 * 60_000,)
    ).fetchall()
    assert [e.event_id for e in timeline] == [r[0] for r in in_window]  # not the other session's, not older ones
    page_view = next(e for e in timeline if e.kind == "page_view")
    assert page_view.offset_ms == 1764288002000 - 1764288003100
    near = session_timeline(conn, event_id, before_ms=1_000, after_ms=150)
    assert [(e.offset_ms, e.is_the_error) for e in near] == [
        (-600, False), (-500, False), (-400, False), (-100, False), (0, True), (100, False),
    ]
    # The nearest ones when there are more than asked for, the error always among them.
    assert [e.offset_ms for e in session_timeline(conn, event_id, limit=3)] == [-100, 0, 100]
    conn.close()


def test_an_error_without_a_session_has_no_timeline(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error(session=None)]))
    conn = connect(store_path, readonly=True)
    assert session_timeline(conn, 1) == [] and session_timeline(conn, 99) == []
    conn.close()
