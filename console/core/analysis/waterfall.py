"""One transaction's spans as a waterfall: a tree in display order, on the transaction's clock.

:func:`build_waterfall` takes the ``transactions`` row and its ``spans`` rows as the store
holds them and returns :class:`Waterfall`: the transaction as the root row, then its spans
depth-first, siblings by start. Times are milliseconds from the transaction's start.

Senders put ``spans.start_ms`` on different clocks. Sentry and OTLP spans are already
relative to the transaction's start. Native spans carry the client's ``performance.now()``
clock, the same clock as the transaction's ``startTime`` (kept in its data as
``data["transaction"]["startTime"]``), which is subtracted here.

The input is whatever an app sent, so nothing in it is trusted: a parent link that loops is
cut at the loop's earliest span (which then hangs under the root), a span whose parent is
unknown hangs under the root, a missing duration counts as 0, a root without a duration
lasts as long as its spans do, and a span that started before the transaction keeps its
negative start (:attr:`Waterfall.extent_ms` widens the timeline to show it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from console.core.analysis.transaction_status import is_failure

__all__ = ["Outcome", "Waterfall", "WaterfallRow", "build_waterfall", "outcome_of"]

#: How a span ended, as the waterfall colours it.
Outcome = Literal["ok", "failed", "unknown"]

#: Statuses that say nothing about success: no status, OTLP's "unset", an unknown error.
_UNKNOWN = frozenset({"", "unset", "unknown", "unknown_error", "cancelled", "canceled"})
#: The transaction's name when the sender gave none (as the Sentry decoder names it).
_UNLABELED = "<unlabeled transaction>"


def outcome_of(status: str | None) -> Outcome:
    """``failed`` for a failure (see :func:`is_failure`), ``unknown`` when the status says
    nothing about success (none, ``unset``, ``unknown``, ``cancelled``), else ``ok``."""
    if is_failure(status):
        return "failed"
    if status is None or status.strip().lower() in _UNKNOWN:
        return "unknown"
    return "ok"


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    """One span of the waterfall (or the transaction itself, ``is_root``).

    ``start_ms`` is relative to the transaction's start (negative only when the span really
    started earlier); ``self_ms`` is the time not covered by any direct child, overlapping
    children counted once. ``parent_id`` is what the sender said, even when the span is
    shown under the root because that parent is missing or part of a loop.
    """

    span_id: str | None
    parent_id: str | None
    depth: int
    op: str | None
    description: str
    start_ms: float
    duration_ms: float
    self_ms: float
    status: str | None
    failed: bool
    is_root: bool

    @property
    def end_ms(self) -> float:
        """When the span ended, relative to the transaction's start."""
        return self.start_ms + self.duration_ms

    @property
    def outcome(self) -> Outcome:
        """How the span ended, for its colour."""
        return outcome_of(self.status)


@dataclass(frozen=True, slots=True)
class Waterfall:
    """A transaction and its spans in display order (the root first, then depth-first).

    ``dropped`` counts spans the sender or the collector dropped before they were stored.
    """

    event_id: int
    name: str
    ts: int
    duration_ms: float
    status: str | None
    session_id: str | None
    trace_id: str | None
    rows: tuple[WaterfallRow, ...]
    dropped: int

    @property
    def span_count(self) -> int:
        """The spans shown, not counting the transaction's own row."""
        return sum(1 for row in self.rows if not row.is_root)

    @property
    def failed(self) -> bool:
        """Whether the transaction itself failed."""
        return is_failure(self.status)

    @property
    def extent_ms(self) -> tuple[float, float]:
        """The timeline to draw: from 0 (or the earliest span's start, if earlier) to the
        transaction's end (or the latest span's end, if later)."""
        low, high = 0.0, max(0.0, self.duration_ms)
        for row in self.rows:
            low = min(low, row.start_ms)
            high = max(high, row.end_ms)
        return low, high


@dataclass(slots=True)
class _Span:
    index: int
    span_id: str | None
    parent_id: str | None
    op: str | None
    name: str
    start: float
    duration: float
    status: str | None


def build_waterfall(transaction: Mapping[str, Any], spans: Sequence[Mapping[str, Any]]) -> Waterfall:
    """The waterfall of ``transaction`` (a ``transactions`` row) and ``spans`` (its rows).

    Rows are mappings of column name to value; ``data`` may be the stored JSON text or the
    decoded object. Runs in O(n log n) for n spans.
    """
    data = _data(transaction.get("data"))
    base = _clock_base(data, spans)
    nodes = [
        _Span(
            index=index,
            span_id=_text(raw.get("span_id")),
            parent_id=_text(raw.get("parent_id")),
            op=_text(raw.get("op")),
            name=_text(raw.get("name")) or "",
            start=_start(raw.get("start_ms"), base),
            duration=max(0.0, _number(raw.get("duration_ms")) or 0.0),
            status=_text(raw.get("status")),
        )
        for index, raw in enumerate(spans)
    ]
    root_id = _text(transaction.get("tx_id"))
    root_duration = _number(transaction.get("duration_ms"))
    if root_duration is None or root_duration < 0:
        root_duration = max((node.start + node.duration for node in nodes), default=0.0)
        root_duration = max(0.0, root_duration)
    status = _text(transaction.get("status"))
    name = _text(transaction.get("name")) or _UNLABELED
    root = _Span(
        index=len(nodes), span_id=root_id, parent_id=None, op=_text(transaction.get("op")),
        name=name, start=0.0, duration=root_duration, status=status,
    )
    children = _children(nodes, root)
    return Waterfall(
        event_id=int(transaction["event_id"]),
        name=name,
        ts=int(transaction.get("ts") or 0),
        duration_ms=root_duration,
        status=status,
        session_id=_text(transaction.get("session_id")),
        trace_id=_text(transaction.get("trace_id")),
        rows=tuple(_rows([*nodes, root], children, root.index)),
        dropped=_dropped(data, len(spans)),
    )


# --- the tree ------------------------------------------------------------------------------


def _children(nodes: list[_Span], root: _Span) -> list[list[int]]:
    """Each node's children (root last), sorted by start; every node is reachable from the root."""
    by_id: dict[str, int] = {}
    for node in nodes:
        if node.span_id is not None and node.span_id != root.span_id:
            by_id.setdefault(node.span_id, node.index)
    parent = [root.index] * len(nodes)
    for node in nodes:
        found = by_id.get(node.parent_id) if node.parent_id is not None else None
        if found is not None and found != node.index:
            parent[node.index] = found
    _cut_loops(nodes, parent, root.index)
    children: list[list[int]] = [[] for _ in range(len(nodes) + 1)]
    for node in nodes:
        children[parent[node.index]].append(node.index)
    for kids in children:
        if len(kids) > 1:
            kids.sort(key=lambda i: (nodes[i].start, i))
    return children


def _cut_loops(nodes: list[_Span], parent: list[int], root: int) -> None:
    """Re-hang the earliest span of every loop of parent links under the root.

    Each span's chain of parents is walked once: a walk stops at a span already known to
    reach the root, or finds a loop within itself.
    """
    reaches = [False] * len(nodes)
    for start in range(len(nodes)):
        path: list[int] = []
        on_path: dict[int, int] = {}
        current = start
        while current != root and not reaches[current] and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = parent[current]
        if current in on_path:
            loop = path[on_path[current]:]
            head = min(loop, key=lambda i: (nodes[i].start, i))
            parent[head] = root
        for index in path:
            reaches[index] = True


def _rows(nodes: list[_Span], children: list[list[int]], root: int) -> list[WaterfallRow]:
    rows: list[WaterfallRow] = []
    stack = [(root, 0)]
    while stack:
        index, depth = stack.pop()
        node = nodes[index]
        kids = children[index]
        rows.append(
            WaterfallRow(
                span_id=node.span_id,
                parent_id=node.parent_id,
                depth=depth,
                op=node.op,
                description=node.name,
                start_ms=node.start,
                duration_ms=node.duration,
                self_ms=_self_time(node, [nodes[i] for i in kids]),
                status=node.status,
                failed=is_failure(node.status),
                is_root=index == root,
            )
        )
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    return rows


def _self_time(node: _Span, kids: list[_Span]) -> float:
    """The span's duration minus the union of its children's intervals (kids sorted by start)."""
    begin, end = node.start, node.start + node.duration
    covered = 0.0
    run_start = run_end = begin
    for kid in kids:
        low, high = max(kid.start, begin), min(kid.start + kid.duration, end)
        if high <= low:
            continue
        if low > run_end:
            covered += run_end - run_start
            run_start = low
        run_end = max(run_end, high)
    covered += run_end - run_start
    return max(0.0, round(node.duration - covered, 6))


# --- reading the rows ------------------------------------------------------------------------


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, (str, bytes)):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _clock_base(data: dict[str, Any], spans: Sequence[Mapping[str, Any]]) -> float:
    """What to subtract from the spans' ``start_ms`` to make them relative to the transaction.

    Sentry and OTLP rows are relative already (their data has ``_format``). A native
    transaction says its start in ``transaction.startTime`` (or ``endTime`` − ``duration``);
    when it says neither, its first span is taken as its start.
    """
    if data.get("_format") is not None:
        return 0.0
    native = data.get("transaction")
    if not isinstance(native, dict):
        return 0.0
    start = _number(native.get("startTime"))
    if start is not None:
        return start
    end, duration = _number(native.get("endTime")), _number(native.get("duration"))
    if end is not None and duration is not None:
        return end - duration
    starts = [s for s in (_number(raw.get("start_ms")) for raw in spans) if s is not None]
    return min(starts, default=0.0)


def _dropped(data: dict[str, Any], stored: int) -> int:
    count = _number(data.get("spans_dropped"))
    if count is not None:
        return max(0, int(count))
    native = data.get("transaction")
    sent = native.get("spans") if isinstance(native, dict) else None
    return max(0, len(sent) - stored) if isinstance(sent, list) else 0


def _start(value: Any, base: float) -> float:
    start = _number(value)
    # Rounded to a nanosecond: subtracting two clock readings leaves float noise (0.5999…).
    return 0.0 if start is None else round(start - base, 6)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
