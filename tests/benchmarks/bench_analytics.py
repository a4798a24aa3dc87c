"""Product analytics over 1,000,000 events in 100,000 sessions: funnels, the events explorer,
conversions (and the hooks for the sessions list and the KPI report).

    python tests/benchmarks/bench_analytics.py [--sessions 100000] [--runs 5] [--db PATH]

1. Fills a store through the real ``StoreWriter`` from payloads decoded by the real native
   decoder, session by session over 7 days: ``--sessions`` sessions (30 % anonymous, the
   rest of 40,000 users on 6 devices, 3 platforms, 3 releases), each a realistic mix of
   about ten events — page views (index, search, item, cart, checkout, pay and category
   pages), a page load, clicks and scrolls on 30 elements, custom events (search, add_to_cart
   with a price, share, coupon_applied with a code), network requests and logs, the app's
   own ``checkout`` funnel as ``funnel_step`` events (landing → product → cart → paid, with
   drop-off at every step), purchases (CNY or USD) and subscriptions, errors in 5 % of
   sessions, and per user their ``user_identified`` and an experiment assignment. ``--db
   PATH`` keeps the store and reuses it when it is already there.
2. On a read-only connection, the median of ``--runs`` runs over the whole 7 days of: the
   saved 4-step funnel (page view index → page view item → event add_to_cart → conversion
   purchase), the discovered ``checkout`` funnel, the saved one broken down by platform and
   by experiment variant, ``event_series`` of every page view by platform per hour,
   ``conversion_report`` per hour, page views by route, top clicks and ``list_funnels``.
   Target: a 4-step funnel in < 1 s.

Other parts of issue 9 time theirs here too: add a function taking ``(conn, span, runs)``
and returning :class:`Timing` s to ``MEASURES`` (:func:`measure_sessions` and
:func:`measure_kpi_report` are where the sessions list and the 10-KPI report go).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.core.analysis.experiments.hashing import select_variant  # noqa: E402
from console.core.analysis.product.funnel import FunnelDefinition  # noqa: E402
from console.core.analysis.product.refs import EventRef  # noqa: E402
from console.core.events import Event  # noqa: E402
from console.core.ingest.native import decode_native  # noqa: E402
from console.core.store.retention import RetentionPolicy  # noqa: E402
from console.core.store.schema import connect, open_database  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402
from tests.benchmarks._bench_store import timed, write_chunks  # noqa: E402

PROJECT = "shop"
DAY = 86_400_000
USERS = 40_000
EXPERIMENT = "checkout-button-color"
TARGET_FUNNEL_MS = 1000.0
KEEP_ALL = RetentionPolicy(max_bytes=1 << 40)
DEVICES = (("ios", "Apple", "iPhone 15"), ("ios", "Apple", "iPhone 13"), ("android", "Google", "Pixel 8"),
           ("android", "Xiaomi", "Mi 13"), ("android", "HUAWEI", "P60"), ("devtools", "devtools", "devtools"))
RELEASES = ("2.3.0", "2.3.1", "2.4.0")
CATEGORIES = [f"pages/category/c{i}" for i in range(20)] + ["pages/profile/profile", "pages/orders/orders"]
ELEMENTS = [("button", f"b{i}", f"Button {i}") for i in range(15)] + [("view", f"v{i}", None) for i in range(15)]
SAVED = FunnelDefinition(
    name="shop: index to purchase",
    steps=(EventRef("page_view", "pages/index/index"), EventRef("page_view", "pages/item/item"),
           EventRef("event", "add_to_cart"), EventRef("conversion", "purchase")),
)


@dataclass(frozen=True, slots=True)
class Timing:
    """One timed call: its name, median and every run (ms), its target (None: no target)
    and a line about its result."""

    name: str
    median_ms: float
    times: list[float]
    target_ms: float | None
    detail: str


# --- the workload -------------------------------------------------------------------------------


def sessions(count: int, *, seed: int, now_ms: int) -> Iterator[list[dict[str, Any]]]:
    """Each session's payloads, sessions in start order over the 7 days before ``now_ms``."""
    rng = random.Random(seed)
    begin = now_ms - 7 * DAY
    seen: set[str] = set()
    for index in range(count):
        start = begin + int(index * (7 * DAY - 3_600_000) / count) + rng.randrange(60_000)
        user = None if rng.random() < 0.3 else f"u-{rng.randrange(USERS)}"
        first_visit = user is not None and user not in seen
        if user is not None:
            seen.add(user)
        yield _session(rng, f"s-{index}", user, first_visit, start)


def _session(rng: random.Random, session: str, user: str | None, first_visit: bool, start: int) -> list[dict[str, Any]]:
    stable = zlib.crc32(user.encode()) if user else rng.getrandbits(32)  # a user keeps their phone
    platform, brand, model = DEVICES[stable % len(DEVICES)]
    device = {"platform": platform, "brand": brand, "model": model, "system": f"{platform} 17"}
    release = RELEASES[(stable >> 3) % len(RELEASES)]
    out: list[dict[str, Any]] = []
    clock = [start]

    def add(item: dict[str, Any], gap: tuple[int, int] = (500, 20_000)) -> None:
        clock[0] += rng.randrange(*gap)
        item.update(timestamp=clock[0], sessionId=session)
        if user:
            item["userId"] = user
        out.append(item)

    def view(route: str) -> None:
        add({"type": "page_view", "url": route, "title": route.split("/")[1], "deviceInfo": device})

    def step(name: str, index: int) -> None:
        add({"type": "event", "name": "funnel_step", "properties": {"funnel": "checkout", "step": name,
                                                                     "stepIndex": index}}, gap=(10, 200))

    def custom(name: str, **props: Any) -> None:
        add({"type": "custom_event", "name": name, "properties": props})

    def clicks(most: int) -> None:
        for _ in range(rng.randint(0, most)):
            if rng.random() < 0.8:
                tag, element, text = rng.choice(ELEMENTS)
                found = {"tag": tag, "id": element, **({"text": text} if text else {})}
                add({"type": "interaction", "action": "click", "element": found,
                     "coordinates": {"x": rng.randrange(375), "y": rng.randrange(800)}})
            else:
                add({"type": "interaction", "action": "scroll", "scrollPercentage": rng.randrange(101)})

    if first_visit:
        add({"type": "event", "name": "user_identified",
             "properties": {"userId": user, "properties": {"plan": rng.choice(("free", "gold")), "city": "Shanghai"}}})
        variant = ("control", "orange")[select_variant(EXPERIMENT, str(user), [50, 50])]
        add({"type": "event", "name": "experiment_assignment",
             "properties": {"experimentId": EXPERIMENT, "variant": variant, "userId": user}})
    landing = "pages/index/index" if rng.random() < 0.9 else rng.choice(CATEGORIES)
    view(landing)
    if landing == "pages/index/index":
        step("landing", 0)
    if rng.random() < 0.6:
        lcp = rng.lognormvariate(7.6, 0.5)
        add({"type": "page_load", "url": landing, "deviceInfo": device,
             "context": {"appVersion": release, "environment": "production"},
             "metrics": {"largestContentfulPaint": lcp, "firstContentfulPaint": lcp * 0.55}}, gap=(10, 100))
    clicks(3)
    if rng.random() < 0.3:
        view("pages/search/search")
        custom("search", query=rng.choice(("shoes", "phone", "coat", "tea", "bag")))
    if rng.random() < 0.6:
        view("pages/item/item")
        step("product", 1)
        if rng.random() < 0.8:
            add({"type": "network_request", "url": "https://api.example.com/item", "method": "GET",
                 "status": 200, "duration": rng.lognormvariate(5, 0.5)}, gap=(10, 300))
        clicks(3)
        if rng.random() < 0.4:
            custom("add_to_cart", sku=f"sku-{rng.randrange(500)}", price=rng.randrange(10, 500))
            view("pages/cart/cart")
            step("cart", 2)
            if rng.random() < 0.55:
                view("pages/checkout/checkout")
                if rng.random() < 0.8:
                    view("pages/pay/pay")
                    currency = "CNY" if rng.random() < 0.9 else "USD"
                    add({"type": "event", "name": "conversion",
                         "properties": {"type": "purchase", "value": round(rng.lognormvariate(4.5, 0.7), 2),
                                        "currency": currency}})
                    step("paid", 3)
    for _ in range(rng.randint(0, 1)):
        view(rng.choice(CATEGORIES))
    if rng.random() < 0.1:
        custom("share", channel=rng.choice(("wechat", "moments")))
    if rng.random() < 0.1:
        custom("coupon_applied", code=rng.choice(("WINTER10", "SPRING5", "VIP")))
    if rng.random() < 0.02:
        add({"type": "event", "name": "conversion",
             "properties": {"type": "subscription", "value": 30, "currency": "CNY"}})
    if rng.random() < 0.05:
        add({"type": "javascript_error", "message": "TypeError: cannot read property 'price' of undefined",
             "filename": "app-service.js", "lineno": 120, "colno": 7, "id": f"err-{session}",
             "context": {"route": "pages/cart/cart", "appVersion": release}})
    if rng.random() < 0.3:
        add({"type": "log", "level": "info", "message": "cart synced"})
    return out


def fill(path: Path, *, sessions_count: int, seed: int, now_ms: int, chunk: int = 1000) -> tuple[float, int]:
    """Write the workload through the writer; (seconds, events written)."""

    def chunks() -> Iterator[tuple[list[Event], int | None]]:
        batch: list[dict[str, Any]] = []
        for payloads in sessions(sessions_count, seed=seed, now_ms=now_ms):
            batch.extend(payloads)
            if len(batch) >= chunk:
                yield _decode(batch, now_ms), None
                batch = []
        if batch:
            yield _decode(batch, now_ms), None

    writer = StoreWriter(path=path, max_pending_events=200_000, max_batch_events=20_000, retention=KEEP_ALL)
    return write_chunks(writer, chunks(), inflight=8)


def _decode(batch: list[dict[str, Any]], now_ms: int) -> list[Event]:
    result = decode_native(orjson.dumps(batch), project=PROJECT, now_ms=now_ms)
    if result.rejected:
        raise SystemExit(f"the decoder rejected a payload: {result.rejected[0]}")
    return result.events


# --- what is timed ------------------------------------------------------------------------------

Span = tuple[int, int]


def measure_funnels(conn: sqlite3.Connection, span: Span, runs: int) -> list[Timing]:
    """The saved 4-step funnel, the discovered one, and the saved one broken down."""
    from console.core.store.funnel_queries import funnel_named, funnel_result, list_funnels

    start, end = span
    discovered = funnel_named(conn, "checkout")
    saved = funnel_named(conn, SAVED.name)
    if discovered is None or saved is None:
        raise SystemExit("the store holds neither the saved nor the discovered funnel")
    found: list[Timing] = []
    cases: list[tuple[str, FunnelDefinition, str | None, float | None]] = [
        ("funnel, saved 4 steps (page view, page view, event, conversion)", saved, None, TARGET_FUNNEL_MS),
        ("funnel, discovered 4 funnel_step steps", discovered, None, TARGET_FUNNEL_MS),
        ("funnel, saved, by platform", saved, "platform", None),
        (f"funnel, saved, by experiment:{EXPERIMENT}", saved, f"experiment:{EXPERIMENT}", None),
    ]
    for name, funnel, breakdown, target in cases:
        median, times, result = timed(lambda f=funnel, b=breakdown: funnel_result(conn, f, start, end, breakdown=b), runs)
        steps = " → ".join(f"{s.users:,}" for s in result.steps)
        groups = f"; {len(result.breakdown)} groups" if result.breakdown else ""
        found.append(Timing(name, median, times, target, f"users per step {steps}{groups}"))
    median, times, listed = timed(lambda: list_funnels(conn), runs)
    found.append(Timing("list_funnels", median, times, None, f"{len(listed)} funnels"))
    return found


def measure_explorer(conn: sqlite3.Connection, span: Span, runs: int) -> list[Timing]:
    """The events explorer and the conversions report over the whole span, per hour."""
    from console.core.store.explorer_queries import (
        conversion_report,
        event_series,
        page_views_by_route,
        top_clicks,
    )

    start, end = span
    hour = 3_600_000
    median, times, series = timed(
        lambda: event_series(conn, EventRef("page_view"), start, end, hour, breakdown="platform"), runs)
    found = [Timing("event_series, every page view by platform per hour", median, times, None,
                    f"{series.total:,} views, {series.total_users:,} users, {len(series.groups)} lines")]
    median, times, series = timed(
        lambda: event_series(conn, EventRef("event", "add_to_cart"), start, end, hour, breakdown="properties.sku"), runs)
    found.append(Timing("event_series, add_to_cart by properties.sku per hour", median, times, None,
                        f"{series.total:,} events, {len(series.groups)} lines"))
    median, times, report = timed(lambda: conversion_report(conn, start, end, hour), runs)
    found.append(Timing("conversion_report per hour", median, times, None,
                        f"{report.count:,} conversions, {report.users:,} users, "
                        + ", ".join(f"{c} {v:,.0f}" for c, v in report.value)))
    median, times, routes = timed(lambda: page_views_by_route(conn, start, end), runs)
    found.append(Timing("page_views_by_route", median, times, None, f"{len(routes)} routes"))
    median, times, clicks = timed(lambda: top_clicks(conn, start, end), runs)
    found.append(Timing("top_clicks", median, times, None, f"{len(clicks)} elements"))
    return found


def measure_sessions(conn: sqlite3.Connection, span: Span, runs: int) -> list[Timing]:
    """The sessions list as the Analytics panel opens it (target < 300 ms, the total included):
    the first page over the whole span and over its last 24 h, the filters and a search, a
    later page; then a session's timeline, the users and one user's sessions (no target)."""
    from console.core.store.session_queries import list_sessions, list_users, session_timeline, user_sessions

    start, end = span
    cases: list[tuple[str, dict[str, Any]]] = [
        ("sessions list (first page of 500, newest first, all time)", {}),
        ("sessions list, last 24 h", {"start_ms": end - DAY, "end_ms": end}),
        ("sessions list, with errors, all time", {"with_errors": True}),
        ("sessions list, converted, last 24 h", {"converted": True, "start_ms": end - DAY, "end_ms": end}),
        ("sessions list, search 'pixel', all time", {"text": "pixel"}),
        ("sessions list, page 20 (offset 9,500), all time", {"offset": 9_500}),
    ]
    found: list[Timing] = []
    page = None
    for name, kwargs in cases:
        median, times, result = timed(lambda k=kwargs: list_sessions(conn, **k), runs)
        page = page or result
        found.append(Timing(name, median, times, 300.0, f"{len(result.rows)} rows of {result.total:,}"))
    chosen = max(page.rows if page else (), key=lambda row: row.events, default=None)
    if chosen is not None:
        median, times, items = timed(lambda: session_timeline(conn, chosen.project, chosen.session_id), runs)
        found.append(Timing("session_timeline (the first page's longest session)", median, times, None,
                            f"{len(items)} items"))
    for name, only in (("list_users, identified only", True), ("list_users, every user id", False)):
        median, times, users = timed(lambda o=only: list_users(conn, identified_only=o), runs)
        found.append(Timing(name, median, times, None, f"{len(users)} users"))
        if only and users:
            top = max(users, key=lambda user: user.sessions)
            median, times, listed = timed(lambda t=top: user_sessions(conn, t.project, t.user_id), runs)
            found.append(Timing("user_sessions (the busiest identified user)", median, times, None,
                                f"{len(listed)} sessions"))
    return found


def measure_kpi_report(conn: sqlite3.Connection, span: Span, runs: int) -> list[Timing]:
    """The 10-KPI report (target < 2 s): ten KPIs of every formula over this workload, saved
    through a writer as the window saves them, then ``kpi_report`` (values, the previous
    range, statuses and a series each) over the whole span and over its last 24 h."""
    from console.core.analysis.product.kpi import KpiDefinition
    from console.core.analysis.product.refs import PropertyFilter
    from console.core.store.kpi_queries import kpi_report, list_kpis, save_kpi

    item, cart = EventRef("page_view", "pages/item/item"), EventRef("page_view", "pages/cart/cart")
    purchase = EventRef("conversion", "purchase")
    kpis = [
        KpiDefinition(name="bench: page views", ref=EventRef("page_view"), target=500_000),
        KpiDefinition(name="bench: active users", formula="unique_users", ref=EventRef("page_view"), target=30_000),
        KpiDefinition(name="bench: add-to-cart rate", formula="rate", rate_of="users", unit="%",
                      ref=EventRef("event", "add_to_cart"), denominator=item, target=40, warning=30, critical=20),
        KpiDefinition(name="bench: cart to purchase", formula="rate", ref=purchase, denominator=cart, unit="%",
                      target=45),
        KpiDefinition(name="bench: revenue CNY", formula="sum", field="value", unit="CNY", target=1_000_000,
                      ref=EventRef("conversion", "purchase", filters=(PropertyFilter("currency", "eq", "CNY"),))),
        KpiDefinition(name="bench: LCP p75", formula="percentile", ref=EventRef("page_load"), field="lcp",
                      quantile=0.75, unit="ms", target=2500, higher_is_better=False, warning=3000, critical=4000),
        KpiDefinition(name="bench: error sessions", formula="error_rate", unit="%", target=3, higher_is_better=False,
                      warning=5, critical=10),
        KpiDefinition(name="bench: WINTER10 coupons", target=2000,
                      ref=EventRef("event", "coupon_applied", filters=(PropertyFilter("properties.code", "eq", "WINTER10"),))),
        KpiDefinition(name="bench: API p95", formula="percentile", ref=EventRef("network_request"),
                      field="duration_ms", quantile=0.95, unit="ms", target=400, higher_is_better=False),
        KpiDefinition(name="bench: iOS paid checkouts", target=5000,
                      ref=EventRef("funnel_step", "paid", funnel="checkout",
                                   filters=(PropertyFilter("session.platform", "eq", "ios"),))),
    ]
    saved = {kpi.name for kpi in list_kpis(conn)}
    missing = [kpi for kpi in kpis if kpi.name not in saved]
    if missing:
        path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
        writer = StoreWriter(path=path, retention=KEEP_ALL)
        writer.start()
        try:
            for kpi in missing:
                writer.run_sync(lambda c, k=kpi: save_kpi(c, k, now_ms=int(time.time() * 1000)))
        finally:
            writer.stop()
    start, end = span
    found: list[Timing] = []
    # The whole span has nothing before it; its second half has the first half to compare with.
    for name, begin in (("whole span", start), ("second half, against the first", end - (end - start) // 2),
                        ("last 24 h", end - DAY)):
        median, times, report = timed(lambda b=begin: kpi_report(conn, b, end), runs)
        values = ", ".join(f"{row.value.kpi.name.removeprefix('bench: ')} {row.value.value:,.4g}"
                           if row.value.value is not None else f"{row.value.kpi.name} none" for row in report.rows)
        found.append(Timing(f"kpi report, {report.total} KPIs, {name} ({len(report.rows[0].starts)} buckets)",
                            median, times, 2000.0, f"{report.summary()}; {values}"))
    return found


MEASURES: tuple[Callable[[sqlite3.Connection, Span, int], list[Timing]], ...] = (
    measure_funnels, measure_explorer, measure_sessions, measure_kpi_report,
)


def measure_window(path: Path, runs: int) -> list[Timing]:
    """What a user waits for in the window (offscreen, 1400x900, no collector): from opening
    the window to the Overview's dashboard filled, and from choosing Analytics to its sessions
    list on screen (target < 300 ms, query thread and GUI together)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from console.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["lookout-bench"])

    def wait(signal: Any) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)
        app.processEvents()

    started = time.perf_counter()
    window = MainWindow(db_path=path, collector_url=None, evaluate_alerts=False, tray=False)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.resize(1400, 900)
    window.show()
    wait(window.overview.ready)
    opened = (time.perf_counter() - started) * 1000
    times = []
    try:
        for _ in range(runs):
            window.show_panel("overview")
            app.processEvents()
            began = time.perf_counter()
            window.show_panel("analytics")
            wait(window.analytics.sessions.listShown)
            times.append((time.perf_counter() - began) * 1000)
        shown = window.analytics.sessions.model.rowCount()
    finally:
        window.shutdown()
    return [
        Timing("window: open to the Overview dashboard filled", opened, [opened], None, "once, cold"),
        Timing("window: Analytics chosen to the sessions list on screen", statistics.median(times), times,
               300.0, f"{shown} rows listed"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--db", type=Path, help="keep the store here (and reuse it when it exists)")
    parser.add_argument("--window", action="store_true", help="also time the window (offscreen)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"bench_analytics: {args.sessions:,} sessions, {args.runs} runs; "
          f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lookout-bench-analytics-") as tmp:
        path = args.db or Path(tmp) / "analytics.db"
        if args.db is not None and path.exists():
            open_database(path).conn.close()  # a store from an older Lookout is migrated first
            print(f"reusing {path} ({path.stat().st_size / 2**20:,.0f} MiB)")
        else:
            seconds, written = fill(path, sessions_count=args.sessions, seed=args.seed, now_ms=int(time.time() * 1000))
            print(f"RESULT fill: {written:,} events through StoreWriter in {seconds:.1f} s "
                  f"(generating + decoding included); store {path.stat().st_size / 2**20:,.0f} MiB")
        # The saved funnel goes in as the window would save it: a writer job.
        from console.core.store.funnel_queries import funnel_named, save_funnel

        with connect(path, readonly=True) as conn:
            known = funnel_named(conn, SAVED.name)
        if known is None or known.discovered:
            writer = StoreWriter(path=path, retention=KEEP_ALL)
            writer.start()
            try:
                writer.run_sync(lambda c: save_funnel(c, SAVED, now_ms=int(time.time() * 1000)))
            finally:
                writer.stop()
        conn = connect(path, readonly=True)
        events, sessions_held, first, last = conn.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sessions), min(ts), max(ts) FROM events"
        ).fetchone()
        print(f"store: {events:,} events, {sessions_held:,} sessions")
        span = (int(first), int(last) + 1)
        results = [timing for measure in MEASURES for timing in measure(conn, span, args.runs)]
        conn.close()
        if args.window:
            results.extend(measure_window(path, args.runs))
    for timing in results:
        verdict = ""
        if timing.target_ms is not None:
            met = "MET" if timing.median_ms < timing.target_ms else "MISSED"
            verdict = f" (target < {timing.target_ms:,.0f} ms) -> {met}"
        print(f"RESULT {timing.name}: {timing.median_ms:,.1f} ms median of {len(timing.times)} "
              f"(min {min(timing.times):,.1f}, max {max(timing.times):,.1f}){verdict}; {timing.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
