"""Frames follow the store: new rows, history newest first, retention, a recreated file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from console.core.store import perf_frames
from console.core.store.perf_frames import PerformanceFrames
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.analysis.test_page_load_report import load
from tests.unit.core.store.conftest import NOW, events_of


def write(path: Path, lcps: list[float]) -> None:
    writer = StoreWriter(path=path)
    writer.start()
    try:
        writer.write(events_of([load("pages/a", NOW - 1000 + i, lcp) for i, lcp in enumerate(lcps)]))
    finally:
        writer.stop()


def test_history_streams_in_newest_first_and_new_rows_are_added(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.db"
    write(path, [float(v) for v in range(1, 11)])
    conn = connect(path, readonly=True)
    frames = PerformanceFrames()
    progress = frames.refresh(conn, history_rows=4)
    assert progress.page_loads == 4 and not progress.complete
    assert sorted(frames.page_loads.column("lcp").tolist()) == [7.0, 8.0, 9.0, 10.0]
    frames.refresh(conn, history_rows=4)
    progress = frames.refresh(conn, history_rows=4)
    assert progress.page_loads == 10 and progress.complete
    write(path, [11.0, 12.0])
    progress = frames.refresh(conn)
    assert progress.page_loads == 12
    assert sorted(frames.page_loads.column("lcp").tolist()) == [float(v) for v in range(1, 13)]
    assert frames.page_loads.label("route", int(frames.page_loads.column("route")[0])) == "pages/a"
    conn.close()


def test_rows_dropped_by_retention_leave_the_frame(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write(path, [1.0, 2.0, 3.0])
    reader = connect(path, readonly=True)
    frames = PerformanceFrames()
    frames.refresh(reader)
    lowest = reader.execute("SELECT min(event_id) FROM page_loads").fetchone()[0]
    writer = connect(path)
    writer.execute("DELETE FROM page_loads WHERE event_id = ?", (lowest,))
    writer.close()
    frames.refresh(reader)
    assert sorted(frames.page_loads.column("lcp").tolist()) == [2.0, 3.0]
    reader.close()


def test_a_recreated_store_starts_the_frames_afresh(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write(path, [1.0, 2.0, 3.0, 4.0])
    conn = connect(path, readonly=True)
    frames = PerformanceFrames()
    frames.refresh(conn)
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    write(path, [9.0])
    conn = connect(path, readonly=True)
    frames.refresh(conn)
    assert frames.page_loads.column("lcp").tolist() == [9.0]
    conn.close()


def test_many_rows_arrive_in_chunks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(perf_frames, "HISTORY_CHUNK", 7)
    path = tmp_path / "s.db"
    write(path, [1.0])
    conn = connect(path, readonly=True)
    frames = PerformanceFrames()
    frames.refresh(conn)
    write(path, [float(v) for v in range(2, 32)])
    frames.refresh(conn)
    assert np.array_equal(np.sort(frames.page_loads.column("lcp")), np.arange(1, 32, dtype=np.float32))
    conn.close()
