"""The collector app in-process: a saturated writer (429) and project keys off loopback.

Here the writer can be held still at will and the collector can be told it is not on
loopback, which a real process on 127.0.0.1 cannot be. Requests go through
``httpx.ASGITransport``; the store is a real file in the test's folder and is read back
with ``lookout export``.
"""

from __future__ import annotations

import asyncio
import json
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


def sentry_event(event_id: str, *, dsn_key: str | None = None) -> bytes:
    header: dict[str, Any] = {"event_id": event_id}
    if dsn_key:
        header["dsn"] = f"http://{dsn_key}@127.0.0.1:8969/shop"
    item = json.dumps({"event_id": event_id, "message": f"event {event_id[:4]}", "platform": "python"}).encode()
    return json.dumps(header).encode() + b"\n" + b'{"type":"event"}\n' + item + b"\n"


def test_a_saturated_writer_tells_sentry_sdks_to_back_off(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = GatedWriter(path=db, max_pending_events=1)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db))

        async def scenario() -> tuple[httpx.Response, httpx.Response]:
            async with asgi_client(app) as client:
                held = asyncio.create_task(client.post("/api/1/envelope/", content=sentry_event("1" * 32)))
                while not writer.holding.is_set():
                    await asyncio.sleep(0.01)
                refused = await client.post("/api/1/envelope/", content=sentry_event("2" * 32))
                writer.gate.set()
                return refused, await asyncio.wait_for(held, 15)

        refused, first = asyncio.run(scenario())
    finally:
        writer.gate.set()
        writer.stop()
    assert_error(refused, 429, "busy")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-sentry-rate-limits"] == "1::organization"
    assert first.json() == {"id": "1" * 32}


def test_sentry_and_otlp_keys_off_loopback(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    home = tmp_path / "home"
    key = run_lookout("key", "--db", str(db), "--project", "shop", home=home).strip()
    traces = (Path(__file__).parents[1] / "fixtures" / "payloads" / "otlp" / "traces.pb").read_bytes()
    protobuf = {"Content-Type": "application/x-protobuf"}
    writer = StoreWriter(path=db)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db, host="0.0.0.0", require_keys=True))

        async def scenario() -> dict[str, httpx.Response]:
            async with asgi_client(app) as c:
                auth = {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}"}
                return {
                    "no key": await c.post("/api/shop/envelope/", content=sentry_event("a" * 32)),
                    "wrong key": await c.post("/api/shop/envelope/?sentry_key=" + "0" * 32, content=sentry_event("b" * 32)),
                    "header": await c.post("/api/shop/envelope/", content=sentry_event("c" * 32), headers=auth),
                    "dsn in envelope": await c.post("/api/shop/envelope/", content=sentry_event("d" * 32, dsn_key=key)),
                    "otlp no key": await c.post("/v1/traces", content=traces, headers=protobuf),
                    "otlp wrong": await c.post("/v1/traces", content=traces, headers={**protobuf, "Authorization": "Bearer nope"}),
                    "otlp bearer": await c.post("/v1/traces", content=traces, headers={**protobuf, "Authorization": f"Bearer {key}"}),
                }

        answers = asyncio.run(scenario())
    finally:
        writer.stop()
    assert_error(answers["no key"], 401, "missing_key")
    assert_error(answers["wrong key"], 403, "invalid_key")
    assert answers["header"].json() == {"id": "c" * 32}
    assert answers["dsn in envelope"].json() == {"id": "d" * 32}
    assert_error(answers["otlp no key"], 401, "missing_key")
    assert_error(answers["otlp wrong"], 403, "invalid_key")
    assert answers["otlp bearer"].status_code == 200
    assert sorted(e["error_id"] for e in export_rows(db, "errors") if e["error_id"]) == ["c" * 32, "d" * 32]
    # The key said which project: the service name in the payload does not override it.
    assert {t["project"] for t in export_rows(db, "transactions")} == {"shop"}
