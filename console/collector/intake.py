"""What every intake path of the collector shares: settings, counters, keys, the commit wait.

Each protocol's routes (native, Sentry, OTLP) are built over one :class:`Intake`, so they
write through the same writer, count into the same ``/healthz`` figures and check keys the
same way.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from starlette.responses import JSONResponse

from console.collector.auth import ProjectKeys
from console.core.errors import IngestError
from console.core.events import Event
from console.core.store.writer import StoreWriter

__all__ = [
    "CollectorSettings",
    "CollectorStats",
    "FastJSONResponse",
    "Intake",
    "commit",
    "error_response",
    "valid_project",
]

_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    """How the collector listens and what it accepts."""

    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8969
    max_body_bytes: int = 1 << 20
    #: Sentry and OTLP bodies, after decompression (Relay's own default is 100 MiB; a
    #: desktop tool takes less). Single items are held to 1 MiB by the decoders.
    max_envelope_bytes: int = 20 << 20
    require_keys: bool = False


@dataclass(slots=True)
class CollectorStats:
    """What the collector has seen since it started, for /healthz."""

    started: float = field(default_factory=time.time)
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)


class FastJSONResponse(JSONResponse):
    """A JSON answer rendered with orjson: the ingest paths answer thousands a second."""

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def error_response(
    code: str, detail: str, status: int, headers: dict[str, str] | None = None
) -> FastJSONResponse:
    """The one shape of every error answer."""
    return FastJSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


async def commit(writer: StoreWriter, events: Sequence[Event]) -> None:
    """Hand events to the writer and wait, without blocking the loop, until they are committed."""
    loop = asyncio.get_running_loop()
    committed: asyncio.Future[BaseException | None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if not committed.done():
            committed.set_result(error)

    def done(error: BaseException | None) -> None:
        loop.call_soon_threadsafe(settle, error)

    writer.submit(events, done)
    error = await committed
    if error is not None:
        raise IngestError("store_unavailable", f"the store could not commit: {error}", status=503)


@dataclass(slots=True)
class Intake:
    """The writer, settings, counters and keys that every route of one collector uses."""

    writer: StoreWriter
    settings: CollectorSettings
    stats: CollectorStats
    keys: ProjectKeys


def valid_project(name: str) -> str:
    """``name`` if it is a usable project name, else IngestError 400."""
    if not _PROJECT.match(name):
        raise IngestError("invalid_project", "a project name is 1-64 letters, digits, '.', '_' or '-'")
    return name
