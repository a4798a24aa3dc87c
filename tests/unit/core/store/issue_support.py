"""Helpers for the inbox tests: native error payloads, issue rows, actions through the writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.core.store.issue_actions import IssueAction, apply_issue_action
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000
HOUR = 3_600_000


def js_error(
    message: str = "TypeError: Cannot read 'price' of order 8812",
    *,
    function: str = "sumCart",
    line: int = 88,
    user: str | None = "u-1",
    session: str | None = "s-1",
    ts: int = NOW - 60_000,
    severity: str = "high",
    context: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A native JavaScript error thrown from ``function`` at ``line`` of pages/cart/cart.js."""
    payload: dict[str, Any] = {
        "type": "javascript_error",
        "message": message,
        "stack": f"{message}\n    at {function} (pages/cart/cart.js:{line}:27)\n    at tap (WAService.js:2:1093)",
        "timestamp": ts,
        "severity": severity,
        **extra,
    }
    if user:
        payload["userId"] = user
    if session:
        payload["sessionId"] = session
    if context:
        payload["context"] = context
    return payload


def issue_table(path: Path) -> list[dict[str, Any]]:
    """Every issue row, oldest issue first."""
    conn = connect(path, readonly=True)
    try:
        cursor = conn.execute("SELECT * FROM issues ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.close()


def count(path: Path, sql: str, *args: Any) -> int:
    conn = connect(path, readonly=True)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def act(writer: StoreWriter, action: IssueAction, now_ms: int = NOW) -> int:
    """Carry out an action through the writer, as the window and the collector do."""
    return writer.run_sync(lambda conn: apply_issue_action(conn, action, now_ms=now_ms))
