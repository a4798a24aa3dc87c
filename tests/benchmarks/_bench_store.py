"""What the store benchmarks share: writing chunks through the real writer, timing a call.

``write_chunks`` keeps ``inflight`` submits waiting on the writer, as a busy collector would,
and stops the benchmark on the first failed commit; ``timed`` runs a query several times.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from console.core.events import Event
from console.core.store.writer import StoreWriter

__all__ = ["timed", "write_chunks"]


def write_chunks(
    writer: StoreWriter, chunks: Iterable[tuple[list[Event], int | None]], *, inflight: int, stop_timeout: float = 120
) -> tuple[float, int]:
    """Submit every ``(events, received)`` chunk, wait for them all, stop the writer; (seconds, events)."""
    writer.start()
    slots = threading.Semaphore(inflight)
    failures: list[BaseException] = []

    def done(error: BaseException | None) -> None:
        if error is not None:
            failures.append(error)
        slots.release()

    started = time.perf_counter()
    written = 0
    try:
        for events, received in chunks:
            slots.acquire()
            writer.submit(events, done, received=received)
            written += len(events)
        for _ in range(inflight):
            slots.acquire()
    finally:
        writer.stop(timeout=stop_timeout)
    if failures:
        raise SystemExit(f"the writer failed: {failures[0]}")
    return time.perf_counter() - started, written


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """(median ms, every run's ms, the last result)."""
    times: list[float] = []
    result: Any = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times, result
