"""The window's own store writer, for when no collector runs: one, shared, started on first use.

The store has one writer. Beside a collector that is the collector's; a window opened on a
file alone (``lookout --db FILE``) writes its issue actions, alert actions and alert
evaluations through this one :class:`~console.core.store.writer.StoreWriter`, started the
first time any of them needs it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from console.core.store.writer import StoreWriter

__all__ = ["OwnWriter"]


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
