"""The collector carries out the window's issue actions through its writer, for this machine only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from console.collector.app import CollectorSettings, create_app
from console.core.store.writer import StoreWriter
from tests.integration.support import assert_error, export_rows


def error_payload(message: str, function: str) -> dict[str, Any]:
    return {
        "type": "javascript_error",
        "message": f"TypeError: {message}",
        "stack": f"TypeError: {message}\n    at {function} (pages/cart/cart.js:10:5)",
        "sessionId": "s-1",
        "userId": "u-1",
    }


def run(app: Any, requests: list[tuple[str, Any]], client: tuple[str, int] = ("127.0.0.1", 5000)) -> list[httpx.Response]:
    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=15) as http:
            return [await http.post(path, json=body) for path, body in requests]

    return asyncio.run(scenario())


def test_resolve_then_a_new_event_regresses(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = StoreWriter(path=db)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db))
        sent = run(app, [("/api/shop/events", [error_payload("a of 1", "sumCart"), error_payload("b", "payCart")])])
        assert sent[0].json()["accepted"] == 2
        issues = {i["culprit"].split(" ")[0]: i["id"] for i in export_rows(db, "issues")}
        answers = run(app, [
            ("/lookout/issues/actions", {"kind": "resolve", "issue_ids": [issues["sumCart"]]}),
            ("/lookout/issues/actions", {"kind": "merge", "issue_ids": [issues["payCart"]], "into": 999_999_999}),
            ("/lookout/issues/actions", {"kind": "explode", "issue_ids": [1]}),
            ("/lookout/issues/actions", "not an action"),
        ])
        assert answers[0].status_code == 200 and answers[0].json() == {"changed": 1}
        for bad in answers[2:]:
            assert_error(bad, 400, "invalid_action")
        status = {i["id"]: i["status"] for i in export_rows(db, "issues")}
        assert status[issues["sumCart"]] == "resolved"

        run(app, [("/api/shop/events", [error_payload("a of 2", "sumCart")])])
        status = {i["id"]: i["status"] for i in export_rows(db, "issues")}
        assert status[issues["sumCart"]] == "regressed"
    finally:
        writer.stop()


def test_actions_from_another_machine_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = StoreWriter(path=db)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db, host="0.0.0.0", require_keys=True))
        (answer,) = run(app, [("/lookout/issues/actions", {"kind": "delete", "issue_ids": [1]})], client=("10.1.2.3", 4000))
        assert_error(answer, 403, "forbidden")
    finally:
        writer.stop()
