"""Payload builders and constants shared by the window's tests."""

import threading
import time
from pathlib import Path
from typing import Any

import orjson

from console.core.events import Event
from console.core.ingest.native import decode_native
from console.core.store.retention import RetentionPolicy
from console.core.store.writer import StoreWriter

#: Fast enough that a test waits a fraction of a second for each poll.
POLL_MS = 100


def now_ms() -> int:
    """Wall-clock milliseconds, as the writer stamps ``received``."""
    return int(time.time() * 1000)


def log_payload(message: str, *, level: str = "info", session: str | None = None) -> dict[str, Any]:
    """A native log payload."""
    payload: dict[str, Any] = {"type": "log", "level": level, "message": message}
    if session:
        payload["sessionId"] = session
    return payload


def page_load_payload(lcp: float, *, session: str = "s-1", route: str = "pages/index/index") -> dict[str, Any]:
    """A native page-load payload with a known LCP."""
    return {
        "type": "page_load",
        "url": route,
        "sessionId": session,
        "metrics": {"largestContentfulPaint": lcp, "firstContentfulPaint": lcp / 2},
    }


class FilledStore:
    """A store file in the test's folder with its writer running; payloads go in decoded."""

    def __init__(self, path: Path, retention: RetentionPolicy | None = None) -> None:
        self.path = path
        self.writer = StoreWriter(path=path, retention=retention)
        self.writer.start()

    def write(self, payloads: list[dict[str, Any]], *, project: str = "shop", received: int | None = None) -> list[Event]:
        """Decode native payloads, commit them, and return the events (in arrival order)."""
        at = received if received is not None else now_ms()
        batch = decode_native(orjson.dumps(payloads), project=project, now_ms=at)
        assert not batch.rejected, batch.rejected
        committed = threading.Event()
        errors: list[BaseException | None] = []

        def done(error: BaseException | None) -> None:
            errors.append(error)
            committed.set()

        self.writer.submit(batch.events, done, received=at)
        assert committed.wait(10), "the writer did not commit"
        assert errors == [None]
        return batch.events

    def close(self) -> None:
        self.writer.stop()
