"""Fixtures for store tests: a running writer on a fresh file, and decoded examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from console.core.events import Event
from console.core.ingest.native import decode_native
from console.core.store.writer import StoreWriter

NOW = 1_800_000_000_000


def events_of(payloads: list[dict[str, Any]], project: str = "shop") -> list[Event]:
    """Decoded events of native payloads, failing loudly if any is rejected."""
    batch = decode_native(orjson.dumps(payloads), project=project, now_ms=NOW)
    assert not batch.rejected, batch.rejected
    return batch.events


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def writer(store_path: Path) -> Iterator[StoreWriter]:
    running = StoreWriter(path=store_path)
    running.start()
    yield running
    running.stop()
