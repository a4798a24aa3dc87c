"""Column frames: growth, dictionary codes, and keeping rows in time order."""

from __future__ import annotations

import numpy as np
import pytest

from console.core.analysis.frame import ColumnFrame
from console.core.analysis.perf_select import PerfFilter, TimeRange, select_rows


def frame() -> ColumnFrame:
    return ColumnFrame(numeric={"ts": np.int64, "v": np.float32}, text=("route", "project"), order_by="ts")


def rows(ts: list[int], route: str = "a") -> dict[str, list[object]]:
    return {"ts": ts, "v": [float(t) for t in ts], "route": [route] * len(ts), "project": ["p"] * len(ts)}


def test_late_rows_are_merged_into_place_and_ties_keep_arrival_order() -> None:
    f = frame()
    f.append(rows([10, 20, 30, 40]))
    f.append(rows([35, 25, 50], route="b"))  # late, out of order, and one in order
    assert f.column("ts").tolist() == [10, 20, 25, 30, 35, 40, 50]
    assert [f.label("route", c) for c in f.column("route")] == ["a", "a", "b", "a", "b", "a", "b"]
    f.append({"ts": [30], "v": [99.0], "route": ["c"], "project": ["p"]})
    assert f.column("v")[f.column("ts") == 30].tolist() == [30.0, 99.0]  # the earlier one first
    assert f.is_ordered


def test_a_bulk_load_is_sorted_once_and_read_through_masks_until_then() -> None:
    f = frame()
    f.append(rows([100, 110]))
    f.append(rows([5, 50, 1]), in_order=False)
    assert not f.is_ordered
    picked = select_rows(f, TimeRange(1, 60, 10), PerfFilter())
    assert sorted(picked.take(f.column("ts")).tolist()) == [1, 5, 50]
    f.sort()
    assert f.is_ordered and f.column("ts").tolist() == [1, 5, 50, 100, 110]
    picked = select_rows(f, TimeRange(1, 60, 10), PerfFilter())
    assert (picked.start, picked.stop, picked.mask) == (0, 3, None)  # a slice: nothing copied


def test_growth_keeps_every_row_and_codes_map_back_to_labels() -> None:
    f = frame()
    for start in range(0, 5000, 100):
        f.append(rows(list(range(start, start + 100)), route=f"r{start % 300}"))
    assert len(f) == 5000 and f.capacity >= 5000
    assert np.array_equal(f.column("ts"), np.arange(5000))
    assert {f.label("route", c) for c in np.unique(f.column("route"))} == {"r0", "r100", "r200"}
    assert f.dictionaries["route"].code(None) == 0 and f.dictionaries["route"].code("nope") is None


def test_order_by_must_name_a_numeric_column() -> None:
    with pytest.raises(ValueError, match="numeric column"):
        ColumnFrame(numeric={"ts": np.int64}, text=("route",), order_by="route")


def test_compact_gives_back_what_doubling_reserved_and_keeps_the_rows() -> None:
    f = frame()
    f.append(rows(list(range(5000))))
    assert f.capacity == 8192
    f.compact()
    assert 5000 <= f.capacity <= 5000 * 1.125 + 1
    assert np.array_equal(f.column("ts"), np.arange(5000))
    f.append(rows([5000, 5001]))
    assert f.column("ts")[-2:].tolist() == [5000, 5001]
