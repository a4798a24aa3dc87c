"""The store's page loads and transactions, held as column frames and kept up to date.

:class:`PerformanceFrames` belongs to one reader thread (the window's query worker). Each
:meth:`~PerformanceFrames.refresh` reads what arrived since the last one (by ``event_id``,
which is arrival order) and then one more chunk of history, newest first, so recent
ranges are right within a second of opening a big store while the rest streams in
between other panels' queries. Retention is noticed through the lowest ``event_id`` left in
each table: rows below it are dropped from the frame too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.frame import ColumnFrame
from console.core.analysis.sketch import bucket_keys
from console.core.analysis.transaction_status import is_failure

__all__ = ["NAVIGATION_METRICS", "PAGE_LOAD_METRICS", "WEB_VITALS", "LoadProgress", "PerformanceFrames"]

#: The Core Web Vitals and their companions, in the order the panel shows them.
WEB_VITALS = ("lcp", "inp", "cls", "fcp", "ttfb", "fid")
#: Navigation timing the native SDK sends beside the vitals.
NAVIGATION_METRICS = ("dom_content_loaded", "load_complete", "tti", "tbt", "resource_load_time")
PAGE_LOAD_METRICS = WEB_VITALS + NAVIGATION_METRICS

_PAGE_LOAD_TEXT = ("project", "route", "release", "platform", "device", "environment")
_TRANSACTION_TEXT = ("project", "name", "op", "release", "platform", "device", "environment")

_PAGE_LOAD_SELECT = (
    "SELECT event_id, ts, " + ", ".join(_PAGE_LOAD_TEXT) + ", " + ", ".join(PAGE_LOAD_METRICS) + " FROM page_loads"
)
_TRANSACTION_SELECT = (
    "SELECT event_id, ts, " + ", ".join(_TRANSACTION_TEXT) + ", duration_ms, status FROM transactions"
)

#: Rows read per chunk of history: about a fifth of a second of work.
HISTORY_CHUNK = 100_000


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """How much of the store the frames hold."""

    page_loads: int
    transactions: int
    complete: bool


class _TableFeed:
    """Keeps one frame in step with one table: new rows first, then history downwards."""

    def __init__(self, table: str, select: str, frame: ColumnFrame, columns: tuple[str, ...]) -> None:
        self.table = table
        self.select = select
        self.frame = frame
        self.columns = columns
        self.high: int | None = None  # highest event_id read
        self.low: int | None = None  # lowest event_id read (history goes below it)
        self.complete = False

    def refresh(self, conn: sqlite3.Connection, *, history_rows: int) -> None:
        # Two queries: SQLite answers a lone min() or max() from the index, both together by a scan.
        (lowest,) = conn.execute(f"SELECT min(event_id) FROM {self.table}").fetchone()
        (highest,) = conn.execute(f"SELECT max(event_id) FROM {self.table}").fetchone()
        if highest is None or (self.high is not None and highest < self.high):
            # Empty, or a different (recreated) store under the same path.
            self._reset()
            if highest is None:
                self.complete = True
                return
        if self.high is None:
            self.high = int(highest)
            self.low = int(highest) + 1
        self._drop_below(int(lowest))
        while True:
            rows = conn.execute(
                f"{self.select} WHERE event_id > ? ORDER BY event_id LIMIT ?", (self.high, HISTORY_CHUNK)
            ).fetchall()
            self._append(rows)
            if rows:
                self.high = int(rows[-1][0])
            if len(rows) < HISTORY_CHUNK:
                break
        if not self.complete and history_rows > 0:
            rows = conn.execute(
                f"{self.select} WHERE event_id < ? ORDER BY event_id DESC LIMIT ?", (self.low, history_rows)
            ).fetchall()
            # Older rows: put in order once, when the history is all in (see sort below).
            self._append(rows, in_order=False)
            if rows:
                self.low = int(rows[-1][0])
            if len(rows) < history_rows or self.low <= lowest:
                self.complete = True
        if self.complete and not self.frame.is_ordered:
            self.frame.sort()
            # The history is in: give back what doubling reserved; from here on it grows only
            # by what arrives.
            self.frame.compact()

    def _drop_below(self, lowest: int) -> None:
        if len(self.frame) == 0:
            return
        ids = self.frame.column("event_id")
        if int(ids.min()) < lowest:
            self.frame.keep(ids >= lowest)
        if self.low is not None and self.low <= lowest:
            self.complete = True

    def _append(self, rows: list[tuple[object, ...]], *, in_order: bool = True) -> None:
        if rows:
            columns = self._derive(dict(zip(self.columns, zip(*rows, strict=True), strict=True)))
            self.frame.append(columns, in_order=in_order)

    def _derive(self, columns: dict[str, Sequence[object]]) -> dict[str, Sequence[object]]:
        """Columns computed from the read ones; none here."""
        return columns

    def _reset(self) -> None:
        self.frame.clear()
        self.high = self.low = None
        self.complete = False


def _with_keys(columns: dict[str, Any], metrics: Sequence[str]) -> dict[str, Any]:
    """Add each metric's sketch keys (``<metric>_key``), computed once as rows arrive."""
    for metric in metrics:
        values = np.array(columns[metric], dtype=np.float32)
        columns[metric] = values
        columns[f"{metric}_key"] = bucket_keys(values)
    return columns


class _PageLoadFeed(_TableFeed):
    """A page-load feed: adds every metric's sketch keys."""

    def _derive(self, columns: dict[str, Sequence[object]]) -> dict[str, Sequence[object]]:
        return _with_keys(columns, PAGE_LOAD_METRICS)


class PerformanceFrames:
    """Page loads and transactions of one store as column frames; see the module docstring.

    ``page_loads`` has columns event_id, ts, the metrics of :data:`PAGE_LOAD_METRICS`
    (float32, NaN when not measured) and the text columns project, route, release,
    platform, device, environment. ``transactions`` has event_id, ts, duration_ms, failed
    (bool) and project, name, op, release, platform, device, environment.
    """

    def __init__(self) -> None:
        numeric: dict[str, npt.DTypeLike] = {"event_id": np.int64, "ts": np.int64}
        numeric |= {m: np.float32 for m in PAGE_LOAD_METRICS}
        numeric |= {f"{m}_key": np.uint16 for m in PAGE_LOAD_METRICS}
        self.page_loads = ColumnFrame(numeric=numeric, text=_PAGE_LOAD_TEXT, order_by="ts")
        self.transactions = ColumnFrame(
            numeric={
                "event_id": np.int64, "ts": np.int64, "duration_ms": np.float32, "duration_ms_key": np.uint16,
                "failed": np.bool_,
            },
            text=_TRANSACTION_TEXT,
            order_by="ts",
        )
        self._feeds = (
            _PageLoadFeed("page_loads", _PAGE_LOAD_SELECT, self.page_loads,
                       ("event_id", "ts", *_PAGE_LOAD_TEXT, *PAGE_LOAD_METRICS)),
            _TransactionFeed("transactions", _TRANSACTION_SELECT, self.transactions,
                             ("event_id", "ts", *_TRANSACTION_TEXT, "duration_ms", "status")),
        )

    def refresh(self, conn: sqlite3.Connection, *, history_rows: int = HISTORY_CHUNK) -> LoadProgress:
        """Read what arrived since the last call, then up to ``history_rows`` older rows per table."""
        for feed in self._feeds:
            feed.refresh(conn, history_rows=history_rows)
        return self.progress

    @property
    def progress(self) -> LoadProgress:
        """Rows held and whether the whole history has been read."""
        return LoadProgress(
            page_loads=len(self.page_loads),
            transactions=len(self.transactions),
            complete=all(feed.complete for feed in self._feeds),
        )


class _TransactionFeed(_TableFeed):
    """A transactions feed: adds the ``failed`` column from each row's status."""

    def _derive(self, columns: dict[str, Sequence[object]]) -> dict[str, Sequence[object]]:
        statuses = columns.pop("status")
        verdicts = {s: is_failure(None if s is None else str(s)) for s in set(statuses)}
        columns["failed"] = list(map(verdicts.__getitem__, statuses))
        return _with_keys(columns, ("duration_ms",))
