"""The writer keeps one row per session current, as migration 7 fills it; retention drops ended ones."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from console.core.errors import StoreError
from console.core.events import Event, Kind
from console.core.store.retention import RetentionPolicy
from console.core.store.schema import MIGRATIONS, connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.test_retention import DAY, run

T = 1_764_288_000_000
IPHONE = {"brand": "Apple", "model": "iPhone 15", "platform": "ios", "system": "iOS 17.4"}
COLUMNS = (
    "project, session_id, user_id, started, ended, events, page_views, errors, conversions, conversion_value,"
    " platform, device, release, entry_route, entry_ts, exit_route, exit_ts"
)


def who(session: str | None, user: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if session:
        found["sessionId"] = session
    if user:
        found["userId"] = user
    return found


def page_view(session: str, ts: int, route: str, *, user: str | None = None,
              device: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "page_view", "url": route, "timestamp": ts, "deviceInfo": device or IPHONE, **who(session, user)}


def click(session: str, ts: int, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "interaction", "action": "click", "timestamp": ts, "element": {"tag": "button", "id": "buy"},
            **who(session, user)}


def js_error(session: str, ts: int, *, user: str | None = None, release: str | None = "2.3.1") -> dict[str, Any]:
    context = {"route": "pages/cart/cart", **({"appVersion": release} if release else {})}
    return {"type": "javascript_error", "message": "TypeError: boom", "timestamp": ts, "context": context,
            **who(session, user)}


def conversion(session: str, ts: int, value: float, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "timestamp": ts,
            "properties": {"type": "purchase", "value": value, "currency": "CNY"}, **who(session, user)}


def page_load(session: str, ts: int, *, user: str | None = None, release: str | None = "2.4.0",
              device: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "page_load", "url": "pages/index/index", "timestamp": ts, "metrics": {"largestContentfulPaint": 900},
            "context": {"appVersion": release} if release else {}, "deviceInfo": device or {},
            **who(session, user)}


def transaction(session: str, ts: int, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "transaction", "timestamp": ts, "transaction": {"name": "cart.load", "duration": 120.0,
            "context": who(session, user)}}


def log(session: str | None, ts: int, *, user: str | None = None) -> dict[str, Any]:
    return {"type": "log", "level": "info", "message": "hello", "timestamp": ts, **who(session, user)}


def sessions(path: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    conn = connect(path, readonly=True)
    found = {(row[0], row[1]): tuple(row) for row in conn.execute(f"SELECT {COLUMNS} FROM sessions")}
    conn.close()
    return found


def test_a_session_adds_up_its_events_whatever_order_they_arrive_in(writer: StoreWriter, store_path: Path) -> None:
    # The later half of s-1 arrives first, then its start: entry, start and user still come right.
    writer.write(events_of([
        page_view("s-1", T + 2000, "pages/cart/cart", user="u-1"),
        js_error("s-1", T + 2500, user="u-1"),
        conversion("s-1", T + 3000, 129.0, user="u-1"),
        conversion("s-1", T + 3500, 20.5, user="u-1"),
        log("s-1", T + 4000, user="u-1"),
        log(None, T + 4100),  # no session: no row
    ]))
    writer.write(events_of([
        page_view("s-1", T + 1000, "pages/index/index"),  # anonymous until the user logs in
        click("s-1", T + 1500, user="u-1"),
    ]))
    # No page view: platform, device and release from the page load, then the transaction.
    writer.write(events_of([
        page_load("s-2", T + 5000, user="u-2", device={"platform": "android", "model": "Pixel 8"}),
        transaction("s-2", T + 5500, user="u-2"),
    ]))
    writer.write(events_of([page_view("s-1", T + 9000, "pages/other/other")], project="other"))
    assert sessions(writer.path) == {
        ("shop", "s-1"): ("shop", "s-1", "u-1", T + 1000, T + 4000, 7, 2, 1, 2, 149.5, "ios", "iPhone 15", "2.3.1",
                          "pages/index/index", T + 1000, "pages/cart/cart", T + 2000),
        ("shop", "s-2"): ("shop", "s-2", "u-2", T + 5000, T + 5500, 2, 0, 0, 0, 0.0, "android", "Pixel 8", "2.4.0",
                          None, None, None, None),
        ("other", "s-1"): ("other", "s-1", None, T + 9000, T + 9000, 1, 1, 0, 0, 0.0, "ios", "iPhone 15", None,
                           "pages/other/other", T + 9000, "pages/other/other", T + 9000),
    }


def test_the_latest_user_and_the_first_device_known_stay(writer: StoreWriter) -> None:
    huawei = {"brand": "HUAWEI", "platform": "android"}  # no model: the brand is the device
    writer.write(events_of([
        page_load("s-3", T + 50, device={"platform": "ohos", "model": "Mate 60"}, release=None),
        page_view("s-3", T + 100, "pages/a/a", user="u-a", device=huawei),  # a page view beats a page load
        click("s-3", T + 200, user="u-b"),
    ]))
    writer.write(events_of([click("s-3", T + 150, user="u-c")]))  # older than u-b: u-b stays
    writer.write(events_of([page_view("s-3", T + 10, "pages/first/first", device=IPHONE)]))  # a new entry
    (row,) = sessions(writer.path).values()
    assert row[2:6] == ("u-b", T + 10, T + 200, 5)
    assert row[10:] == ("android", "HUAWEI", None, "pages/first/first", T + 10, "pages/a/a", T + 100)
    writer.write(events_of([click("s-3", T + 300, user="u-d")]))  # newer: u-d
    (row,) = sessions(writer.path).values()
    assert row[2:6] == ("u-d", T + 10, T + 300, 6)


def test_a_rolled_back_commit_leaves_no_trace_in_sessions(writer: StoreWriter) -> None:
    writer.write(events_of([click("s-1", T + 1000, user="u-1")]))
    broken = Event(kind=Kind.ERROR, project="shop", timestamp=T, summary="no fingerprint", session_id="s-9")
    with pytest.raises(StoreError):
        writer.write([*events_of([click("s-1", T + 500, user="u-2"), click("s-2", T)]), broken])
    assert {k: v[2:6] for k, v in sessions(writer.path).items()} == {("shop", "s-1"): ("u-1", T + 1000, T + 1000, 1)}
    writer.write(events_of([click("s-1", T + 700)]))
    assert {k: v[2:6] for k, v in sessions(writer.path).items()} == {("shop", "s-1"): ("u-1", T + 700, T + 1000, 2)}


class CommitFails:
    """The writer's connection, whose next COMMIT fails as a full disk's does (and rolls back)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.armed = conn, True

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" and self.armed:
            self.armed = False
            self.conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_what_a_failed_commit_would_have_stored_is_not_taken_as_known(store_path: Path) -> None:
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    try:
        writer.write(events_of([click("s-1", T + 1000)]))
        real = writer._conn
        writer._conn = CommitFails(real)  # type: ignore[assignment]
        try:
            with pytest.raises(StoreError, match="disk is full"):
                writer.write(events_of([click("s-1", T + 500)]))
        finally:
            writer._conn = real
        # Had the writer believed the start was T + 500, this earlier event would not move it.
        writer.write(events_of([click("s-1", T + 700)]))
    finally:
        writer.stop()
    assert {k: v[3:6] for k, v in sessions(store_path).items()} == {("shop", "s-1"): (T + 700, T + 1000, 2)}


def mixed_traffic(seed: int) -> list[dict[str, Any]]:
    """Interleaved sessions of every kind the row counts, each on one device and release,
    anonymous until its user logs in."""
    rng = random.Random(seed)
    payloads: list[tuple[int, dict[str, Any]]] = []
    devices = [IPHONE, {"brand": "HUAWEI", "platform": "android"}, {"model": "Pixel 8", "platform": "android"}]
    for n in range(40):
        session, user = f"s-{n}", (f"u-{n % 9}" if n % 4 else None)
        device, release = devices[n % 3], f"2.{n % 3}.0"
        ts = T + rng.randrange(0, 600_000)
        login = rng.randrange(0, 6)
        for i in range(rng.randrange(1, 30)):
            ts += rng.randrange(1, 20_000)
            me = user if i >= login else None
            pick = rng.choice(["page_view", "click", "log", "error", "conversion", "page_load", "transaction"])
            if pick == "page_view":
                payloads.append((ts, page_view(session, ts, rng.choice(["pages/a/a", "pages/b/b", "pages/c/c"]),
                                               user=me, device=device)))
            elif pick == "click":
                payloads.append((ts, click(session, ts, user=me)))
            elif pick == "log":
                payloads.append((ts, log(session, ts, user=me)))
            elif pick == "error":
                payloads.append((ts, js_error(session, ts, user=me, release=release)))
            elif pick == "conversion":
                payloads.append((ts, conversion(session, ts, rng.randrange(1, 400) / 2, user=me)))
            elif pick == "page_load":
                payloads.append((ts, page_load(session, ts, user=me, release=release, device=device)))
            else:
                payloads.append((ts, transaction(session, ts, user=me)))
    payloads.sort(key=lambda pair: pair[0])
    return [payload for _, payload in payloads]


def test_the_writer_keeps_the_rows_migration_7_fills_in(writer: StoreWriter) -> None:
    traffic = mixed_traffic(seed=5)
    # In commits of random sizes, arriving in random order.
    rng = random.Random(6)
    cuts = sorted(rng.sample(range(1, len(traffic)), 25))
    batches = [traffic[a:b] for a, b in zip([0, *cuts], [*cuts, len(traffic)], strict=True)]
    rng.shuffle(batches)
    for batch in batches:
        writer.write(events_of(batch))
    live = sessions(writer.path)
    assert len(live) == 40 and sum(row[5] for row in live.values()) == len(traffic)
    writer.run_sync(refill_sessions_as_migration_7)
    assert sessions(writer.path) == live


def test_migration_7_fills_in_what_the_writer_would_have_kept(writer: StoreWriter) -> None:
    # Sessions in order, each in one commit, with what the random traffic above never has:
    # a release only from a transaction, a first page view without a platform or a model,
    # a user who changes (the later is kept), a page load's device where no view says.
    release = {"appVersion": "3.1.0"}
    commits = [
        [page_view("a", T, "pages/x/x"), {**transaction("a", T + 5), "context": release}],
        [page_view("b", T, "pages/x/x", device={"brand": "Apple"}),
         page_view("b", T + 5, "pages/y/y", device={"platform": "ios", "model": "iPhone 15"})],
        [click("c", T, user="u-z"), click("c", T + 10, user="u-a"), log("c", T + 20)],
        [page_load("d", T, release="1.0", device={"platform": "ohos", "model": "Mate 60"}),
         js_error("d", T + 5, release="2.0"), click("d", T + 6)],
        [{**transaction("e", T, user="u-e"), "context": release, "deviceInfo": {"platform": "android", "brand": "Mi"}},
         page_load("e", T + 5, release="0.9", device={"platform": "ios"})],
    ]
    for commit in commits:
        writer.write(events_of(commit))
    live = sessions(writer.path)
    writer.run_sync(refill_sessions_as_migration_7)
    assert sessions(writer.path) == live
    assert {k[1]: (v[2], *v[10:13]) for k, v in live.items()} == {
        "a": (None, "ios", "iPhone 15", "3.1.0"), "b": (None, "ios", "Apple", None), "c": ("u-a", None, None, None),
        "d": (None, "ohos", "Mate 60", "1.0"), "e": ("u-e", "android", "Mi", "3.1.0"),
    }


def refill_sessions_as_migration_7(conn: sqlite3.Connection) -> None:
    """Empty ``sessions`` and run migration 7's own statements that fill it."""
    conn.execute("DELETE FROM sessions")
    statements = [s for s in MIGRATIONS[6] if s.lstrip().startswith(("INSERT INTO sessions", "UPDATE sessions"))]
    assert len(statements) == 11
    for statement in statements:
        conn.execute(statement)


def test_retention_drops_the_sessions_whose_events_are_gone(store_path: Path) -> None:
    now = 100 * DAY
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    writer.write(events_of([click("s-old", T), click("s-both", T + 10)]), received=now - 20 * DAY)
    writer.write(events_of([click("s-both", T + 5000), click("s-new", T + 6000)]), received=now)
    writer.stop()
    run(store_path, RetentionPolicy(max_age_days=14), now)
    # s-both keeps its totals, as an issue does; s-old has nothing left.
    assert {k[1]: v[3:6] for k, v in sessions(store_path).items()} == {
        "s-both": (T + 10, T + 5000, 2), "s-new": (T + 6000, T + 6000, 1),
    }
    run(store_path, RetentionPolicy(max_age_days=0), now + 1)  # everything goes
    assert sessions(store_path) == {}


def test_a_session_the_writers_retention_dropped_starts_afresh(store_path: Path) -> None:
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(max_age_days=14, check_interval_s=0))
    writer.start()
    try:
        writer.write(events_of([click("s-1", T + 1000)]), received=1)  # aged: retention drops it next
        writer.write(events_of([click("s-1", T + 3000)]))
        writer.write(events_of([click("s-1", T + 2000)]))
    finally:
        writer.stop()
    assert {k[1]: v[3:6] for k, v in sessions(store_path).items()} == {"s-1": (T + 2000, T + 3000, 2)}
