"""The span waterfall: tree order, self time, each sender's clock, and hostile span trees."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from console.core.analysis.waterfall import Waterfall, WaterfallRow, build_waterfall, outcome_of
from console.core.events import Kind
from console.core.ingest.native import decode_native
from console.core.ingest.sentry import decode_envelope

PAYLOADS = Path(__file__).resolve().parents[3] / "fixtures" / "payloads"


def tx(**columns: Any) -> dict[str, Any]:
    """A transactions row with the columns the tests do not care about filled in."""
    row: dict[str, Any] = {
        "event_id": 7, "ts": 1_764_288_000_000, "tx_id": "root", "name": "GET /cart", "duration_ms": 100.0,
        "status": "ok", "session_id": "s-1", "trace_id": "t-1", "op": "http.server",
        "data": {"_format": "sentry"},
    }
    row.update(columns)
    return row


def span(span_id: str, parent_id: str | None, start: float | None, duration: float | None, **extra: Any) -> dict[str, Any]:
    return {"span_id": span_id, "parent_id": parent_id, "op": "db", "name": f"span {span_id}",
            "start_ms": start, "duration_ms": duration, "status": "ok", **extra}


def order(w: Waterfall) -> list[tuple[str | None, int]]:
    return [(row.span_id, row.depth) for row in w.rows]


def by_id(w: Waterfall) -> dict[str | None, WaterfallRow]:
    return {row.span_id: row for row in w.rows}


def test_self_time_subtracts_the_union_of_the_children_clipped_to_the_span() -> None:
    w = build_waterfall(tx(), [
        span("a", "root", 10, 50),       # 10–60
        span("b", "a", 15, 20),          # 15–35
        span("c", "a", 30, 15),          # 30–45, overlaps b: 15–45 counts once (30 ms)
        span("d", "a", 55, 15),          # 55–70, clipped to a's end: 55–60 (5 ms)
        span("e", "root", 70, 10),       # 70–80
        span("f", "b", 20, 5),           # b's child: not a's
    ])
    rows = by_id(w)
    assert rows["a"].self_ms == pytest.approx(50 - 30 - 5)
    assert rows["b"].self_ms == pytest.approx(15)
    assert rows["root"].self_ms == pytest.approx(100 - 50 - 10)
    assert rows["c"].self_ms == rows["c"].duration_ms == 15
    root = w.rows[0]
    assert (root.is_root, root.depth, root.op, root.description, root.start_ms) == (True, 0, "http.server", "GET /cart", 0)
    assert not any(row.is_root for row in w.rows[1:])


def test_a_child_that_covers_its_parent_leaves_no_self_time() -> None:
    w = build_waterfall(tx(duration_ms=10.0), [span("a", "root", -5, 30)])
    assert w.rows[0].self_ms == 0.0


def test_rows_are_depth_first_with_siblings_by_start() -> None:
    w = build_waterfall(tx(), [
        span("late", "root", 60, 10),
        span("grandchild", "early", 12, 3),
        span("early", "root", 10, 20),
        span("second-child", "early", 20, 5),
        span("first-child", "early", 11, 1),
        span("tie-1", "root", 40, 1),
        span("tie-2", "root", 40, 1),
    ])
    assert order(w) == [
        ("root", 0), ("early", 1), ("first-child", 2), ("grandchild", 2), ("second-child", 2),
        ("tie-1", 1), ("tie-2", 1), ("late", 1),
    ]
    assert (w.span_count, w.dropped, w.event_id, w.session_id, w.trace_id) == (7, 0, 7, "s-1", "t-1")


def test_spans_whose_parent_is_unknown_or_missing_hang_under_the_root() -> None:
    w = build_waterfall(tx(tx_id=None), [
        span("a", "somewhere-else", 5, 1), span("b", None, 1, 1), span("c", "a", 6, 1),
    ])
    assert order(w) == [(None, 0), ("b", 1), ("a", 1), ("c", 2)]
    assert by_id(w)["a"].parent_id == "somewhere-else"  # what the sender said, kept


def test_native_spans_are_moved_onto_the_transaction_s_clock() -> None:
    examples = orjson.loads((PAYLOADS / "native-examples.json").read_bytes())["examples"]
    payload = next(e for e in examples if e["type"] == "transaction")  # startTime 1532.4
    (event,) = decode_native(orjson.dumps([payload]), project="shop", now_ms=0).events
    row = {"event_id": 1, "ts": event.timestamp, "session_id": event.session_id, **event.columns,
           "data": orjson.dumps(event.data).decode()}
    w = build_waterfall(row, [child for _, child in event.children])
    assert order(w) == [("tx-5d1e", 0), ("sp-1", 1), ("sp-2", 1), ("sp-3", 1)]
    assert [r.start_ms for r in w.rows] == [0.0, pytest.approx(0.6), pytest.approx(13.7), pytest.approx(817.6)]
    assert [r.duration_ms for r in w.rows] == [878.5, 12.2, 801.7, 58.4]
    assert w.rows[0].self_ms == pytest.approx(878.5 - 12.2 - 801.7 - 58.4)
    post = by_id(w)["sp-2"]
    assert (post.status, post.failed, post.outcome) == ("201", False, "ok")
    assert (w.name, w.session_id, w.status, w.extent_ms) == ("checkout.submit", "s-7f3a9c", "ok", (0.0, 878.5))


def test_native_transactions_without_a_start_time_use_their_end_or_first_span() -> None:
    spans = [span("a", None, 1500.0, 10), span("b", None, 1520.0, 10)]
    ended = tx(data={"transaction": {"endTime": 1600.0, "duration": 110.0}}, duration_ms=110.0)
    assert [r.start_ms for r in build_waterfall(ended, spans).rows[1:]] == [10.0, 30.0]
    unknown = tx(data={"transaction": {}}, duration_ms=None)
    w = build_waterfall(unknown, spans)
    assert [r.start_ms for r in w.rows[1:]] == [0.0, 20.0]
    assert w.duration_ms == 30.0  # no duration: as long as its spans


def test_sentry_spans_are_relative_to_the_transaction_already() -> None:
    batch = decode_envelope((PAYLOADS / "sentry" / "python-transaction.envelope").read_bytes(), project="1", now_ms=0)
    (event,) = [e for e in batch.events if e.kind is Kind.TRANSACTION]
    children = [child for _, child in event.children]
    row = {"event_id": 3, "ts": event.timestamp, **event.columns, "data": orjson.dumps(event.data).decode()}
    w = build_waterfall(row, children)
    assert w.rows[0].span_id == event.columns["tx_id"]
    assert [r.op for r in w.rows] == ["http.server", "db.query", "http.client", "template.render"]
    assert [r.depth for r in w.rows] == [0, 1, 1, 1]
    assert [r.start_ms for r in w.rows[1:]] == [c["start_ms"] for c in children]
    assert all(0 <= r.start_ms and r.end_ms <= w.duration_ms for r in w.rows)


def test_loops_of_parent_links_are_cut_and_every_span_is_shown_once() -> None:
    w = build_waterfall(tx(), [
        span("a", "b", 20, 5), span("b", "a", 10, 30),   # a ⇄ b: b starts first, so b is cut
        span("self", "self", 50, 1),                      # its own parent
        span("x", "z", 62, 1), span("y", "x", 61, 1), span("z", "y", 60, 1),  # x → z → y → x
        span("tail", "a", 21, 1),                         # hangs off a loop
    ])
    assert order(w) == [
        ("root", 0), ("b", 1), ("a", 2), ("tail", 3), ("self", 1), ("z", 1), ("x", 2), ("y", 3),
    ]


def test_duplicate_span_ids_are_all_shown_and_the_first_is_the_parent() -> None:
    w = build_waterfall(tx(), [span("a", None, 1, 10), span("a", None, 5, 1), span("c", "a", 2, 1)])
    assert order(w) == [("root", 0), ("a", 1), ("c", 2), ("a", 1)]


@pytest.mark.parametrize(
    ("status", "failed", "outcome"),
    [
        ("ok", False, "ok"), ("unset", False, "unknown"), (None, False, "unknown"), ("201", False, "ok"),
        ("399", False, "ok"), ("400", True, "failed"), ("500", True, "failed"), ("error", True, "failed"),
        ("internal_error", True, "failed"), ("deadline_exceeded", True, "failed"),
        ("cancelled", False, "unknown"), ("OK", False, "ok"),
    ],
)
def test_failed_statuses(status: str | None, failed: bool, outcome: str) -> None:
    w = build_waterfall(tx(status=status), [span("a", None, 0, 1, status=status)])
    assert [(r.status, r.failed, r.outcome) for r in w.rows] == [(status, failed, outcome)] * 2
    assert w.failed is failed and outcome_of(status) == outcome


def test_missing_and_bad_numbers_count_as_zero() -> None:
    w = build_waterfall(tx(duration_ms=None), [
        span("a", None, None, None), span("b", None, 5, -3), span("c", None, "soon", True), span("d", None, 2, 8),
    ])
    rows = by_id(w)
    assert [(rows[s].start_ms, rows[s].duration_ms) for s in "abcd"] == [(0, 0), (5, 0), (0, 0), (2, 8)]
    assert w.duration_ms == 10.0


def test_a_span_that_starts_before_the_transaction_widens_the_timeline() -> None:
    w = build_waterfall(tx(duration_ms=50.0), [span("early", None, -20, 30), span("late", None, 40, 25)])
    assert by_id(w)["early"].start_ms == -20
    assert w.extent_ms == (-20.0, 65.0)
    assert w.rows[0].self_ms == pytest.approx(50 - 10 - 10)


def test_dropped_spans_are_counted_from_the_data() -> None:
    assert build_waterfall(tx(data={"_format": "sentry", "spans_dropped": 12}), []).dropped == 12
    native = {"transaction": {"startTime": 0, "spans": [{"id": str(i)} for i in range(5)]}}
    assert build_waterfall(tx(data=orjson.dumps(native).decode()), [span("0", None, 0, 1)] * 3).dropped == 2
    assert build_waterfall(tx(data="{not json"), []).dropped == 0
    empty = build_waterfall(tx(data=None), [])
    assert (empty.span_count, order(empty)) == (0, [("root", 0)])


def test_thousands_of_spans_and_a_deep_chain_are_fast() -> None:
    rng = random.Random(4)
    count = 20_000
    spans = [span("s0", None, 0.0, 1000.0)]
    for i in range(1, count):
        parent = f"s{rng.randrange(i)}"
        spans.append(span(f"s{i}", parent, rng.uniform(0, 900), rng.uniform(0, 100)))
    chain = [span(f"c{i}", f"c{i - 1}" if i else None, i * 0.1, 1.0) for i in range(5_000)]
    began = time.perf_counter()
    w = build_waterfall(tx(duration_ms=1000.0), spans)
    deep = build_waterfall(tx(), chain)
    assert time.perf_counter() - began < 2.0
    assert w.span_count == count and len({r.span_id for r in w.rows}) == count + 1
    assert deep.rows[-1].depth == 5_000
    # Depth-first: every row's parent is the nearest earlier row one level up.
    last_at_depth: dict[int, str | None] = {}
    for row in w.rows:
        if not row.is_root:
            assert last_at_depth[row.depth - 1] == (row.parent_id or "root")
        last_at_depth[row.depth] = row.span_id
