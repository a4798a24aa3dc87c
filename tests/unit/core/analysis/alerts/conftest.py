"""Fixtures for the alert tests: a running writer on a fresh store, and native payload builders."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from console.core.ingest.native import decode_native
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000
MIN = 60_000


def write(writer: StoreWriter, payloads: list[dict[str, Any]], *, project: str = "shop",
          received: int | None = None) -> None:
    """Decode ``payloads`` with the real native decoder and commit them through ``writer``."""
    batch = decode_native(orjson.dumps(payloads), project=project, now_ms=NOW)
    assert not batch.rejected, batch
    writer.write(batch.events, received=received)


def page_load(ts: int, lcp: float | None = None, *, route: str = "pages/cart/cart", release: str = "2.3.1",
              **metrics: float) -> dict[str, Any]:
    names = {"lcp": "largestContentfulPaint", "fcp": "firstContentfulPaint", "inp": "interactionToNextPaint",
             "cls": "cumulativeLayoutShift", "ttfb": "timeToFirstByte"}
    values = {names[k]: v for k, v in metrics.items()}
    if lcp is not None:
        values["largestContentfulPaint"] = lcp
    return {"type": "page_load", "url": route, "timestamp": ts, "sessionId": "s-1", "userId": "u-1",
            "metrics": values, "context": {"appVersion": release}}


def transaction(ts: int, duration: float, *, name: str = "checkout.submit", route: str = "pages/cart/cart",
                release: str = "2.3.1") -> dict[str, Any]:
    return {"type": "transaction", "timestamp": ts,
            "transaction": {"id": f"tx-{ts}-{duration}", "name": name, "startTime": 0.0, "endTime": duration,
                            "duration": duration, "context": {"sessionId": "s-1"}, "spans": [],
                            "metadata": {"url": route, "appVersion": release}}}


def js_error(ts: int, *, function: str = "sumCart", route: str = "pages/cart/cart",
             release: str = "2.3.1") -> dict[str, Any]:
    message = f"TypeError: {function} broke"
    return {"type": "javascript_error", "message": message, "timestamp": ts, "sessionId": "s-1", "userId": "u-1",
            "stack": f"{message}\n    at {function} ({route}.js:88:27)\n    at tap (WAService.js:2:1093)",
            "context": {"route": route, "appVersion": release}}


def log(ts: int) -> dict[str, Any]:
    return {"type": "log", "timestamp": ts, "level": "info", "message": "hello"}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def writer(store_path: Path) -> Iterator[StoreWriter]:
    running = StoreWriter(path=store_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def reader(writer: StoreWriter, store_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(store_path, readonly=True)
    yield conn
    conn.close()
