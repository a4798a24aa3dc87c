"""Bringing a store written by an older Lookout up to this one's schema, off the GUI thread.

The window's readers only read a store of this Lookout's schema version. A store from an
older version (a colleague's file, or one's own after an update) is upgraded once by running
the migrations the first time a window that may write opens it, the way a collector does
when it starts; panels start reading when that is done. Migration 7, for instance, fills
the sessions table from every stored event, which takes seconds on a large store — time the
window spends saying so rather than frozen.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from console.core.errors import LookoutError
from console.core.store.schema import SCHEMA_VERSION, connect, migrate

__all__ = ["StoreUpgrade", "schema_version"]

log = logging.getLogger("lookout.gui.upgrade")


def schema_version(path: Path) -> int | None:
    """The schema version of the store at ``path``; None when there is no readable store."""
    if not path.is_file():
        return None
    try:
        conn = connect(path, readonly=True)
    except (LookoutError, sqlite3.Error):
        return None
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()


class StoreUpgrade(QObject):
    """Runs a store's pending migrations on a thread named ``lookout.upgrade``.

    Signals:
        finished(str): the upgrade ended; an empty string when it succeeded, else why not.
    """

    finished = Signal(str)

    def __init__(self, *, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.from_version = schema_version(db_path)
        self._thread: threading.Thread | None = None

    @property
    def needed(self) -> bool:
        """Whether the store is an older version's (a missing or newer store is not upgraded here)."""
        return self.from_version is not None and 0 < self.from_version < SCHEMA_VERSION

    def describe(self) -> str:
        return (f"Upgrading the store from schema {self.from_version} to {SCHEMA_VERSION} "
                "(once, for this version of Lookout) — the panels fill when it is done …")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lookout.upgrade", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for an upgrade under way (a migration is one transaction: it completes or not at all)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            conn = connect(self.db_path)
            try:
                migrate(conn)
            finally:
                conn.close()
        except (LookoutError, sqlite3.Error, OSError) as exc:
            log.error("could not upgrade %s: %s", self.db_path, exc)
            self.finished.emit(str(exc) or type(exc).__name__)
        else:
            log.info("upgraded %s from schema %s to %s", self.db_path, self.from_version, SCHEMA_VERSION)
            self.finished.emit("")
