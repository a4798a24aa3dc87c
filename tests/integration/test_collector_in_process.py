"""The collector app in-process: a saturated writer (429) and project keys off loopback.

Here the writer can be held still at will and the collector can be told it is not on
loopback, which a real process on 127.0.0.1 cannot be. Requests go through
``httpx.ASGITransport``; the store is a real file in the test's folder and is read back
with ``lookout export``.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from console.collector.app import CollectorSettings, create_app
from console.core.store.writer import StoreWriter
from tests.integration.support import assert_error, custom_events, export_rows, run_lookout


class GatedWriter(StoreWriter):
    """A StoreWriter whose thread waits at a gate before each commit, to saturate it on purpose."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.holding = threading.Event()

    def _commit(self, jobs: Any, count: int) -> None:
        self.holding.set()
        self.gate.wait(30)
        super()._commit(jobs, count)


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", timeout=15.0
    )


def test_saturated_writer_answers_429_with_retry_after(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = GatedWriter(path=db, max_pending_events=5)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db))

        async def scenario() -> tuple[httpx.Response, ...]:
            async with asgi_client(app) as client:
                held = asyncio.create_task(client.post("/api/shop/events", json=custom_events("held", 5)))
                deadline = time.monotonic() + 10
                while not writer.holding.is_set():
                    assert time.monotonic() < deadline, "the writer never took the first batch"
                    await asyncio.sleep(0.01)
                refused = await client.post("/api/shop/events", json=custom_events("refused", 1))
                health = await client.get("/healthz")
                writer.gate.set()
                first = await asyncio.wait_for(held, 15)
                after = await client.post("/api/shop/events", json=custom_events("after", 1))
                return refused, health, first, after

        refused, health, first, after = asyncio.run(scenario())
    finally:
        writer.gate.set()
        writer.stop()

    body = assert_error(refused, 429, "busy")
    assert refused.headers["retry-after"] == "1"
    assert "5 events" in body["detail"]
    assert health.json()["pending"] == 5
    assert (first.status_code, first.json()["accepted"]) == (200, 5)
    assert (after.status_code, after.json()["accepted"]) == (200, 1)
    names = [row["name"] for row in export_rows(db, "custom-events")]
    assert names == [f"held-{n}" for n in range(5)] + ["after-0"]


def test_keys_are_required_off_loopback(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    home = tmp_path / "home"
    key = run_lookout("key", "--db", str(db), "--project", "shop", home=home).strip()
    assert re.fullmatch(r"[0-9a-f]{32}", key), key
    assert run_lookout("key", "--db", str(db), "--project", "shop", home=home).strip() == key
    other_key = run_lookout("key", "--db", str(db), "--project", "other", home=home).strip()
    assert other_key != key

    writer = StoreWriter(path=db)
    writer.start()
    try:
        app = create_app(
            writer=writer, settings=CollectorSettings(db_path=db, host="0.0.0.0", require_keys=True)
        )

        async def send(
            name: str, *, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
        ) -> httpx.Response:
            async with asgi_client(app) as client:
                return await client.post(
                    "/api/shop/events", params=params, json=custom_events(name, 1), headers=headers
                )

        async def scenario() -> dict[str, httpx.Response]:
            async with asgi_client(app) as client:
                health = await client.get("/healthz")
            sentry_auth = f"Sentry sentry_key={key}, sentry_version=7"
            return {
                "health": health,
                "none": await send("none"),
                "wrong": await send("wrong", headers={"X-Lookout-Key": "0" * 32}),
                "other": await send("other", headers={"X-Lookout-Key": other_key}),
                "lookout": await send("lookout", headers={"X-Lookout-Key": key}),
                "sentry": await send("sentry", headers={"X-Sentry-Auth": sentry_auth}),
                "query": await send("query", params={"sentry_key": key}),
                "bearer": await send("bearer", headers={"Authorization": f"Bearer {key}"}),
            }

        answers = asyncio.run(scenario())
    finally:
        writer.stop()

    assert answers["health"].json()["keys_required"] is True
    body = assert_error(answers["none"], 401, "missing_key")
    assert "X-Lookout-Key" in body["detail"]
    assert_error(answers["wrong"], 403, "invalid_key")
    assert_error(answers["other"], 403, "invalid_key")
    for way in ("lookout", "sentry", "query", "bearer"):
        assert answers[way].status_code == 200, (way, answers[way].text)
        assert answers[way].json()["accepted"] == 1
    names = sorted(row["name"] for row in export_rows(db, "custom-events"))
    assert names == ["bearer-0", "lookout-0", "query-0", "sentry-0"]
