"""``lookout export --kind sessions`` on a store a real collector wrote: one row per session."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx

from tests.integration.support import RunningCollector, export_rows, run_lookout

# The recorded examples are one session of u-1042, from its transaction at ...000 to its
# experiment goal at ...004000: 17 events (the experiment definition has no session), one
# page view (the cart), three errors (the release is the JavaScript error's appVersion), one
# purchase of 129.
EXAMPLES_SESSION = {
    "project": "shop", "session_id": "s-7f3a9c", "user_id": "u-1042", "started": 1_764_288_000_000,
    "ended": 1_764_288_004_000, "duration_ms": 4000, "events": 17, "page_views": 1, "errors": 3,
    "conversions": 1, "conversion_value": 129.0, "platform": "ios", "device": "iPhone 15", "release": "2.3.1",
    "entry_route": "pages/cart/cart", "exit_route": "pages/cart/cart",
}
LATER_SESSION = {
    "project": "shop", "session_id": "s-later", "user_id": None, "started": 1_764_289_000_000,
    "ended": 1_764_289_000_250, "duration_ms": 250, "events": 2, "page_views": 1, "errors": 0, "conversions": 0,
    "conversion_value": 0.0, "platform": "android", "device": "HUAWEI", "release": None,
    "entry_route": "pages/index/index", "exit_route": "pages/index/index",
}


def post(http: httpx.Client, url: str, body: Any) -> None:
    answer = http.post(url, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == []


def test_sessions_are_exported_newest_first_as_json_and_csv(
    collector: RunningCollector, http: httpx.Client, native_examples: list[dict[str, Any]]
) -> None:
    post(http, collector.events_url("shop"), native_examples)
    post(http, collector.events_url("shop"), [
        {"type": "page_view", "url": "pages/index/index", "timestamp": 1_764_289_000_000, "sessionId": "s-later",
         "deviceInfo": {"brand": "HUAWEI", "platform": "android"}},
        {"type": "interaction", "action": "click", "timestamp": 1_764_289_000_250, "sessionId": "s-later"},
    ])
    db: Path = collector.db
    assert export_rows(db, "sessions") == [LATER_SESSION, EXAMPLES_SESSION]
    out = run_lookout("export", "--db", str(db), "--kind", "sessions", "--format", "csv", home=db.parent / "home")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(EXAMPLES_SESSION)
    assert [r["session_id"] for r in rows] == ["s-later", "s-7f3a9c"]
    assert rows[1] == {k: "" if v is None else str(v) for k, v in EXAMPLES_SESSION.items()}
    assert rows[0]["user_id"] == "" and rows[0]["device"] == "HUAWEI"
