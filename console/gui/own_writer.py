"""The window's own store writer, and the thread its requests to a writer go through.

The store has one writer. Beside a collector that is the collector's; a window opened on a
file alone (``lookout --db FILE``) writes its issue actions, alert actions and alert
evaluations through this one :class:`~console.core.store.writer.StoreWriter`, started the
first time any of them needs it.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from console.core.errors import LookoutError
from console.core.store.writer import StoreWriter

__all__ = ["REQUEST_TIMEOUT_S", "OwnWriter", "RequestThread", "WriterRoute", "describe_failure"]

log = logging.getLogger("lookout.gui.requests")

#: How long a request to the collector or the window's writer may take.
REQUEST_TIMEOUT_S = 15.0

Item = TypeVar("Item")


class OwnWriter:
    """A lazily started StoreWriter over one file, safe to ask for from any thread."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self._writer: StoreWriter | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._writer is not None

    def get(self) -> StoreWriter:
        """The writer, started now if it was not yet."""
        with self._lock:
            if self._writer is None:
                writer = StoreWriter(path=self.db_path)
                writer.start()
                self._writer = writer
            return self._writer

    def stop(self) -> None:
        """Stop the writer if it runs; safe to repeat."""
        with self._lock:
            if self._writer is not None:
                self._writer.stop()
                self._writer = None


class WriterRoute:
    """Where a window client's requests go: the collector at ``collector_url`` when there is
    one, else the window's own writer (shared with the window's other clients when given,
    and then stopped by whoever made it)."""

    def __init__(self, *, db_path: str | Path, collector_url: str | None, own_writer: OwnWriter | None) -> None:
        self.collector_url = collector_url.rstrip("/") if collector_url else None
        self._shared = own_writer is not None
        self.own = own_writer or OwnWriter(db_path)

    def post(self, http: httpx.Client, path: str, payload: Any) -> dict[str, Any]:
        """POST ``payload`` as JSON to the collector's ``path``; its JSON answer (``{}`` when
        it is not an object). Another status than 200 raises LookoutError with its detail."""
        answer = http.post(f"{self.collector_url}{path}", json=payload)
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200:
            detail = (body.get("detail") if isinstance(body, dict) else None) or answer.text
            raise LookoutError(f"the collector answered {answer.status_code}: {detail}")
        return body if isinstance(body, dict) else {}

    def write(self, job: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``job`` in the window's own writer and wait for its result."""
        return self.own.get().run_sync(job, timeout=REQUEST_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the window's own writer, unless it is shared."""
        if not self._shared:
            self.own.stop()


class RequestThread(Generic[Item]):
    """Carries out the window's requests to the store's writer one after another, off the GUI thread.

    The issue, alert and experiment clients each keep one, named after them
    (``lookout.actions`` …). ``carry_out(http, item)`` sends an item to the collector or
    writes it through the window's own writer and returns its result; ``finished(item,
    result, message)`` then reports it (``message`` is None on success, else a sentence for
    the user). The thread starts with the first request.
    """

    def __init__(
        self,
        *,
        name: str,
        carry_out: Callable[[httpx.Client, Item], Any],
        finished: Callable[[Item, Any, str | None], None],
    ) -> None:
        self.name = name
        self._carry_out = carry_out
        self._finished = finished
        self._queue: queue.SimpleQueue[tuple[Item] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def put(self, item: Item) -> None:
        """Carry out ``item`` after those already waiting."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._queue.put((item,))

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the request under way, then stop the thread; safe to repeat."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S, trust_env=False) as http:
            while (entry := self._queue.get()) is not None:
                (item,) = entry
                try:
                    result = self._carry_out(http, item)
                except (LookoutError, sqlite3.Error, OSError, ValueError, httpx.HTTPError) as exc:
                    log.warning("%s: %r failed: %s", self.name, item, exc)
                    self._finished(item, None, describe_failure(exc))
                else:
                    self._finished(item, result, None)


def describe_failure(exc: BaseException) -> str:
    """What went wrong with a request, for the user."""
    if isinstance(exc, httpx.ConnectError):
        return "the collector is not answering; is it still running?"
    return str(exc) or type(exc).__name__
