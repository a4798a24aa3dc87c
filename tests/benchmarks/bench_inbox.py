"""The error inbox's queries on a store of 200,000 errors in 2,000 issues, on a read-only connection.

    python tests/benchmarks/bench_inbox.py [--errors 200000] [--issues 2000] [--runs 7] [--db PATH]

The store is written through the real ``StoreWriter`` from decoded payloads: native
JavaScript errors (90 %) and Sentry events with tags (10 %, ``decode_store_event``), issue
sizes Zipf-distributed over ``--issues`` throwing places (the biggest has ~17 % of the
errors), varied messages (order numbers, properties, endpoints), 20,000 users in 60,000
sessions, releases and environments, times over 14 days with most in the last two. 5 % of
errors carry 100 breadcrumbs (the others 0-8), and each of those has 10 more events of its
session around it (page views, taps, requests, logs) for the timeline.

Then, on a read-only connection (``schema.connect(readonly=True)``) and with the median of
``--runs`` runs each:

* ``list_issues`` of the default inbox (500 rows, each with its 24-hour sparkline and
  releases) — target < 300 ms; also sorted by events, and filtered by a release;
* ``list_issues`` searches: a message word prefix, a user id, a session id, a tag value, and
  a word in a quarter of all errors (the worst case) — target < 200 ms each;
* ``error_detail`` + ``session_timeline`` of an error with 100 breadcrumbs — target < 100 ms.

``--db PATH`` keeps the store at PATH and reuses it when it is already there (a second run
skips the ~25 s of writing).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.core.events import Event  # noqa: E402
from console.core.ingest.native import decode_native  # noqa: E402
from console.core.ingest.sentry import decode_store_event  # noqa: E402
from console.core.store.issue_queries import IssueQuery, error_detail, list_issues, session_timeline  # noqa: E402
from console.core.store.schema import connect  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402
from tests.benchmarks._bench_store import timed, write_chunks  # noqa: E402

PROJECT = "shop"
LIST_TARGET_MS = 300.0
SEARCH_TARGET_MS = 200.0
DETAIL_TARGET_MS = 100.0
DAY = 86_400_000

_VERBS = ["sum", "render", "load", "apply", "fetch", "submit", "parse", "format", "open", "sync", "track", "pay"]
_NOUNS = ["Cart", "List", "Profile", "Coupon", "Orders", "Address", "Search", "Banner", "Sku", "Wallet",
          "Review", "Map", "Invoice", "Chat", "Feed", "Menu", "Badge"]
_PAGES = ["index", "cart", "checkout", "product", "search", "profile", "orders", "coupon", "address", "wallet"]
_PROPS = ["price", "sku", "length", "id", "name", "items", "total", "address", "token", "map", "qty"]
_KINDS = [
    ("TypeError", "Cannot read properties of undefined (reading '{prop}')"),
    ("TypeError", "{prop} is not a function"),
    ("RangeError", "Invalid array length {n}"),
    ("Error", "request:fail timeout for /api/{page}/{n}"),
    ("Error", "quota exceeded while saving {prop} of order {n}"),
    ("ReferenceError", "{prop} is not defined"),
    ("SyntaxError", "Unexpected token < in JSON at position {n}"),
]
_BROWSERS = ["Chrome 131", "Chrome 130", "Safari 18.1", "Firefox 133", "Edge 131", "WeChat 8.0.50"]


class Workload:
    """The seeded payload mix: issue templates, their weights, users, sessions, times."""

    def __init__(self, *, errors: int, issues: int, seed: int, now_ms: int) -> None:
        self.rng = random.Random(seed)
        self.errors, self.now_ms = errors, now_ms
        weights = [1 / (k + 1) ** 1.1 for k in range(issues)]
        total = sum(weights)
        self.cumulative: list[float] = []
        running = 0.0
        for w in weights:
            running += w / total
            self.cumulative.append(running)
        self.templates = []
        for k in range(issues):
            error_type, message = _KINDS[k % len(_KINDS)]
            function = f"{_VERBS[k % len(_VERBS)]}{_NOUNS[(k // len(_VERBS)) % len(_NOUNS)]}{k}"
            page = _PAGES[k % len(_PAGES)]
            self.templates.append((error_type, message, function, f"pages/{page}/{page}.js", 10 + k % 400))
        self.sessions = [f"s-{self.rng.getrandbits(40):010x}" for _ in range(60_000)]
        self.session_users = [f"u-{self.rng.randrange(20_000)}" for _ in self.sessions]
        self.crumb_errors = 0

    def _time(self) -> int:
        # Most errors are recent: exponential with a mean of two days, cut at 14.
        age = min(self.rng.expovariate(1 / (2 * DAY)), 14 * DAY - 60_000)
        return self.now_ms - int(age)

    def _template(self) -> int:
        r = self.rng.random()
        lo, hi = 0, len(self.cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cumulative[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def chunk(self, size: int) -> list[Event]:
        """``size`` decoded events: errors, and the session events around 100-crumb errors."""
        native: list[dict[str, Any]] = []
        events: list[Event] = []
        for _ in range(size):
            k = self._template()
            error_type, template, function, filename, line = self.templates[k]
            text = template.format(prop=self.rng.choice(_PROPS), n=self.rng.randrange(100_000), page=self.rng.choice(_PAGES))
            ts = self._time()
            s = self.rng.randrange(len(self.sessions))
            session, user = self.sessions[s], self.session_users[s]
            age_days = (self.now_ms - ts) // DAY
            release = f"2.{3 - min(3, age_days // 4)}.{self.rng.randrange(3)}"
            environment = "production" if self.rng.random() < 0.8 else "staging"
            many = self.rng.random() < 0.05
            crumbs = self._crumbs(ts, 100 if many else self.rng.randrange(9))
            if self.rng.random() < 0.10:
                events.extend(self._sentry(error_type, text, function, filename, line, ts, session, user,
                                           release, environment, crumbs))
                continue
            payload: dict[str, Any] = {
                "type": "javascript_error",
                "message": f"{error_type}: {text}",
                "stack": f"{error_type}: {text}\n    at {function} ({filename}:{line}:{self.rng.randrange(1, 80)})\n"
                         f"    at Object.on{function[0].upper()}{function[1:]} ({filename}:{line + 40}:9)\n"
                         "    at Function.tap (WAService.js:2:1093)",
                "id": f"err-{self.rng.getrandbits(48):012x}",
                "timestamp": ts, "sessionId": session, "userId": user,
                "context": {"route": filename.rsplit("/", 1)[0], "appVersion": release, "environment": environment},
                "breadcrumbs": crumbs, "severity": self.rng.choice(["high", "high", "critical", "medium"]),
            }
            if many:
                self.crumb_errors += 1
                payload["id"] = f"err-many-{self.crumb_errors}"
                native.extend(self._around(ts, session, user))
            native.append(payload)
        if native:
            batch = decode_native(orjson.dumps(native), project=PROJECT, now_ms=self.now_ms)
            if batch.rejected:
                raise SystemExit(f"generated payloads were refused: {batch.rejected[:3]}")
            events.extend(batch.events)
        return events

    def _crumbs(self, ts: int, n: int) -> list[dict[str, Any]]:
        crumbs = []
        for i in range(n):
            at = ts - (n - i) * self.rng.randrange(200, 3_000)
            kind = i % 4
            if kind == 0:
                crumbs.append({"type": "navigation", "category": "route", "timestamp": at,
                               "message": f"pages/{self.rng.choice(_PAGES)}/index -> pages/{self.rng.choice(_PAGES)}/index"})
            elif kind == 1:
                crumbs.append({"type": "http", "category": "request", "timestamp": at,
                               "data": {"url": f"https://api.example.com/{self.rng.choice(_PAGES)}", "method": "GET",
                                        "status": self.rng.choice([200, 200, 200, 304, 500])}})
            elif kind == 2:
                crumbs.append({"type": "user", "category": "ui.tap", "timestamp": at,
                               "message": f"button#{self.rng.choice(_PROPS)}"})
            else:
                crumbs.append({"type": "default", "category": "console", "level": "warning", "timestamp": at,
                               "message": f"{self.rng.choice(_PROPS)} missing for sku {self.rng.randrange(999)}"})
        return crumbs

    def _around(self, ts: int, session: str, user: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(10):
            at = ts + self.rng.randrange(-10 * 60_000, 2 * 60_000)
            common = {"timestamp": at, "sessionId": session, "userId": user}
            if i % 4 == 0:
                out.append({"type": "page_view", "id": f"pv-{i}", "url": f"pages/{self.rng.choice(_PAGES)}/index",
                            "title": "Page", "deviceInfo": {"brand": "Apple", "model": "iPhone 15", "system": "iOS 17.4",
                                                            "platform": "ios", "version": "8.0.50", "SDKVersion": "3.4.6",
                                                            "screenWidth": 393, "screenHeight": 852}, **common})
            elif i % 4 == 1:
                out.append({"type": "interaction", "action": "click",
                            "element": {"tag": "button", "id": "checkout", "text": "Pay"}, **common})
            elif i % 4 == 2:
                out.append({"type": "network_request", "url": "https://api.example.com/cart", "method": "GET",
                            "status": 200, "duration": 120.0, "success": True, **common})
            else:
                out.append({"type": "log", "level": "info", "message": f"cart refreshed {i}", **common})
        return out

    def _sentry(self, error_type: str, text: str, function: str, filename: str, line: int, ts: int,
                session: str, user: str, release: str, environment: str, crumbs: list[dict[str, Any]]) -> list[Event]:
        body = orjson.dumps({
            "event_id": f"{self.rng.getrandbits(128):032x}", "timestamp": ts / 1000, "level": "error",
            "platform": "javascript", "release": release, "environment": environment,
            "exception": {"values": [{"type": error_type, "value": text, "stacktrace": {"frames": [
                {"function": "Function.tap", "filename": "WAService.js", "lineno": 2, "colno": 1093, "in_app": False},
                {"function": f"Object.on{function[0].upper()}{function[1:]}", "filename": filename, "lineno": line + 40, "in_app": True},
                {"function": function, "filename": filename, "lineno": line, "colno": 27, "in_app": True},
            ]}}]},
            "tags": {"browser": self.rng.choice(_BROWSERS), "session_id": session,
                     "plan": self.rng.choice(["free", "gold", "platinum"])},
            "user": {"id": user},
            "breadcrumbs": [{**c, "timestamp": c["timestamp"] / 1000} for c in crumbs],
        })
        batch = decode_store_event(body, project=PROJECT, now_ms=self.now_ms)
        if batch.rejected:
            raise SystemExit(f"generated Sentry events were refused: {batch.rejected[:3]}")
        return batch.events


def fill(path: Path, workload: Workload, *, chunk: int = 100, inflight: int = 16) -> tuple[float, int]:
    """Write the workload through the writer; (seconds, events written)."""

    def chunks() -> Iterator[tuple[list[Event], None]]:
        errors = 0
        while errors < workload.errors:
            events = workload.chunk(min(chunk, workload.errors - errors))
            errors += sum(1 for e in events if e.kind.value == "error")
            yield events, None

    return write_chunks(StoreWriter(path=path), chunks(), inflight=inflight)


def verdict(ms: float, target: float) -> str:
    return "MET" if ms < target else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", type=int, default=200_000)
    parser.add_argument("--issues", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the store here (and reuse it when it exists)")
    args = parser.parse_args()
    print(f"bench_inbox: {args.errors} errors in {args.issues} issues, {args.runs} runs per query; "
          f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="lookout-bench-inbox-") as tmp:
        path = args.db or Path(tmp) / "inbox.db"
        now_ms = int(time.time() * 1000)
        if args.db is not None and path.exists():
            print(f"reusing {path}")
            probe = connect(path, readonly=True)
            now_ms = int(probe.execute("SELECT max(received) FROM events").fetchone()[0])
            probe.close()
        else:
            workload = Workload(errors=args.errors, issues=args.issues, seed=args.seed, now_ms=now_ms)
            seconds, written = fill(path, workload)
            print(f"wrote {written:,} events ({args.errors:,} errors) through StoreWriter in {seconds:.1f} s "
                  f"(generating + decoding included: {written / seconds:,.0f} events/s); "
                  f"file {path.stat().st_size / 1e6:,.0f} MB")
        conn = connect(path, readonly=True)
        (errors, issues) = conn.execute("SELECT (SELECT count(*) FROM errors), (SELECT count(*) FROM issues)").fetchone()
        (biggest,) = conn.execute("SELECT max(event_count) FROM issues").fetchone()
        (day,) = conn.execute("SELECT count(*) FROM errors WHERE ts >= ?", (now_ms - DAY,)).fetchone()
        print(f"store: {errors:,} errors, {issues:,} issues (biggest {biggest:,} events), {day:,} errors in the last 24 h")
        if errors < args.errors or issues < args.issues * 0.9:
            raise SystemExit("the store holds fewer errors or issues than asked for")

        # A user, a session and a tag value that exist, picked once (untimed).
        user, session = conn.execute(
            "SELECT user_id, session_id FROM errors WHERE event_id = (SELECT max(event_id) / 2 FROM errors)"
        ).fetchone() or conn.execute("SELECT user_id, session_id FROM errors LIMIT 1").fetchone()
        (common,) = conn.execute("SELECT count(*) FROM errors_fts WHERE errors_fts MATCH 'cannot'").fetchone()
        print(f"the common word 'cannot' is in {common:,} errors ({common / errors:.0%})")
        (target,) = conn.execute(
            "SELECT event_id FROM errors WHERE error_id = 'err-many-1'"
        ).fetchone()
        results: list[tuple[str, float, float]] = []

        def measure(name: str, fn: Callable[[], Any], target_ms: float, note: Callable[[Any], str]) -> None:
            median, times, result = timed(fn, args.runs)
            results.append((name, median, target_ms))
            print(f"{name}: median {median:.1f} ms (min {min(times):.1f}, max {max(times):.1f}); {note(result)}")

        def rows(found: Any) -> str:
            return f"{len(found)} issues"

        measure("list_issues default inbox", lambda: list_issues(conn, IssueQuery(), now_ms=now_ms),
                LIST_TARGET_MS, lambda r: f"{len(r)} rows, sparkline sum of the first {sum(r[0].sparkline)}")
        measure("list_issues sorted by events", lambda: list_issues(conn, IssueQuery(sort="events"), now_ms=now_ms),
                LIST_TARGET_MS, rows)
        measure("list_issues release 2.3.1", lambda: list_issues(conn, IssueQuery(release="2.3.1"), now_ms=now_ms),
                LIST_TARGET_MS, rows)
        for label, text in (
            ("message word prefix 'quot'", "quot"),
            (f"user id {user}", user),
            (f"session id {session}", session),
            ("tag value 'firefox'", "firefox"),
            ("a common word 'cannot'", "cannot"),
        ):
            measure(f"search {label}", lambda text=text: list_issues(conn, IssueQuery(text=text), now_ms=now_ms),
                    SEARCH_TARGET_MS, rows)

        def open_error() -> tuple[Any, Any]:
            return error_detail(conn, target), session_timeline(conn, target)

        measure("error_detail + session_timeline (100 breadcrumbs)", open_error, DETAIL_TARGET_MS,
                lambda r: f"{len(r[0].breadcrumbs)} breadcrumbs, {len(r[0].exceptions[0].frames)} frames, "
                          f"{len(r[1])} timeline events")
        conn.close()

    for name, median, target_ms in results:
        print(f"RESULT {name}: {median:.1f} ms (median of {args.runs}; target < {target_ms:.0f} ms) -> "
              f"{verdict(median, target_ms)}")
    return 0 if all(math.isfinite(m) for _, m, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
