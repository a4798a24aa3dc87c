"""The reader worker on its own thread: resets, increments, bounds, filters, failures."""

from pathlib import Path

from console.gui.reader import StoreWatcher
from tests.gui.support import POLL_MS, FilledStore, log_payload


def watch(qtbot, path: Path, **options) -> tuple[StoreWatcher, dict[str, list]]:
    watcher = StoreWatcher(db_path=path, interval_ms=POLL_MS, **options)
    seen: dict[str, list] = {"rows": [], "reset": [], "figures": [], "info": [], "failed": []}
    watcher.streamRows.connect(seen["rows"].append)
    watcher.streamReset.connect(seen["reset"].append)
    watcher.figures.connect(seen["figures"].append)
    watcher.storeInfo.connect(seen["info"].append)
    watcher.failed.connect(seen["failed"].append)
    return watcher, seen


def test_first_poll_resets_then_only_new_rows_arrive(qtbot, store):
    first = store.write([log_payload(f"old {i}") for i in range(3)])
    watcher, seen = watch(qtbot, store.path)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["reset"] and seen["info"]))
        assert [r.summary for r in seen["reset"][0]] == [e.summary for e in reversed(first)]
        assert seen["figures"][-1].events_per_min == 3
        assert seen["info"][-1].last_event_id == 3

        store.write([log_payload("new 1"), log_payload("new 2")])
        qtbot.waitUntil(lambda: bool(seen["rows"]))
        assert [r.summary for r in seen["rows"][0]] == ["info: new 2", "info: new 1"]
        qtbot.waitUntil(lambda: bool(seen["figures"][-1].events_per_min == 5))
    finally:
        watcher.stop()
    assert not watcher.is_running()
    assert len(seen["reset"]) == 1


def test_each_poll_sends_at_most_the_newest_rows_it_is_allowed(qtbot, store):
    watcher, seen = watch(qtbot, store.path, max_rows_per_poll=200)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["reset"]))
        store.write([log_payload(f"burst {i}") for i in range(1500)])
        qtbot.waitUntil(lambda: bool(seen["rows"]))
        qtbot.waitUntil(lambda: bool(seen["figures"][-1].events_per_min == 1500))
    finally:
        watcher.stop()
    batch = seen["rows"][0]
    assert len(batch) == 200
    assert batch[0].summary == "info: burst 1499"
    assert batch[-1].summary == "info: burst 1300"


def test_a_filter_change_resets_the_stream_to_matching_rows(qtbot, store, examples):
    store.write(examples)
    watcher, seen = watch(qtbot, store.path)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["reset"]))
        watcher.set_filter(["error"], "")
        qtbot.waitUntil(lambda: bool(len(seen["reset"]) == 2))
        errors = seen["reset"][1]
        assert errors and {r.kind for r in errors} == {"error"}

        watcher.set_filter([], "checkout")
        qtbot.waitUntil(lambda: bool(len(seen["reset"]) == 3))
        assert seen["reset"][2]
        assert all("checkout" in (r.summary + r.project + (r.session_id or "") + (r.user_id or "")).lower()
                   for r in seen["reset"][2])
    finally:
        watcher.stop()


def test_pause_holds_the_stream_but_not_the_figures(qtbot, store):
    watcher, seen = watch(qtbot, store.path)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["reset"]))
        watcher.set_paused(True)
        qtbot.wait(3 * POLL_MS)
        store.write([log_payload("while paused")])
        qtbot.waitUntil(lambda: bool(seen["figures"][-1].events_per_min == 1))
        qtbot.wait(3 * POLL_MS)
        assert seen["rows"] == []
        watcher.set_paused(False)
        qtbot.waitUntil(lambda: bool(seen["rows"]))
        assert [r.summary for r in seen["rows"][0]] == ["info: while paused"]
    finally:
        watcher.stop()


def test_a_missing_store_fails_once_then_recovers_when_it_appears(qtbot, tmp_path):
    path = tmp_path / "later.db"
    watcher, seen = watch(qtbot, path)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["failed"]))
        qtbot.wait(3 * POLL_MS)
        assert len(seen["failed"]) == 1
        assert "no store at" in seen["failed"][0]
        created = FilledStore(path)
        try:
            created.write([log_payload("hello")])
            qtbot.waitUntil(lambda: bool(seen["reset"] and seen["reset"][-1]))
            assert seen["reset"][-1][0].summary == "info: hello"
        finally:
            created.close()
    finally:
        watcher.stop()


def test_a_corrupt_file_is_reported_not_raised(qtbot, tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not SQLite" * 512)
    watcher, seen = watch(qtbot, path)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: bool(seen["failed"]))
    finally:
        watcher.stop()
    assert "not a Lookout store" in seen["failed"][0]
    assert seen["info"] == []


def test_stop_before_start_and_twice_is_harmless(qtbot, store):
    watcher, _ = watch(qtbot, store.path)
    watcher.stop()
    watcher.start()
    watcher.stop()
    watcher.stop()
    assert not watcher.is_running()
