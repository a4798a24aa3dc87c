"""Issue actions reach the store's one writer: the collector's, or the window's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from console.core.store.issue_actions import IssueAction
from console.gui.issue_actions import IssueActionClient
from tests.gui.support import FilledStore
from tests.integration.support import CollectorLauncher, free_port

ERROR = {
    "type": "javascript_error",
    "message": "TypeError: x is undefined",
    "stack": "TypeError: x is undefined\n    at sumCart (pages/cart/cart.js:10:5)",
    "sessionId": "s-1",
}


def status_of(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT status FROM issues ORDER BY id")]
    finally:
        conn.close()


def test_without_a_collector_the_window_writes_through_its_own_writer(qtbot, tmp_path):
    filled = FilledStore(tmp_path / "s.db")
    filled.write([ERROR])
    filled.close()
    client = IssueActionClient(db_path=filled.path, collector_url=None)
    try:
        with qtbot.waitSignal(client.done, timeout=10_000) as done:
            client.request(IssueAction(kind="resolve", issue_ids=(1,)))
        assert done.args[0].kind == "resolve"
    finally:
        client.stop()
    assert status_of(filled.path) == ["resolved"]


def test_beside_a_collector_the_action_goes_to_its_writer(qtbot, tmp_path):
    launcher = CollectorLauncher(tmp_path)
    try:
        collector = launcher.start()
        import httpx

        assert httpx.post(collector.events_url(), json=[ERROR], timeout=10).status_code == 200
        client = IssueActionClient(db_path=collector.db, collector_url=collector.url)
        try:
            with qtbot.waitSignal(client.done, timeout=10_000):
                client.request(IssueAction(kind="ignore", issue_ids=(1,), ignore_for_events=5))
        finally:
            client.stop()
        assert status_of(collector.db) == ["ignored"]
    finally:
        launcher.close()


def test_a_collector_that_is_gone_is_said_plainly(qtbot, tmp_path):
    client = IssueActionClient(db_path=tmp_path / "s.db", collector_url=f"http://127.0.0.1:{free_port()}")
    try:
        with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
            client.request(IssueAction(kind="resolve", issue_ids=(1,)))
        assert failed.args[1] == "the collector is not answering; is it still running?"
    finally:
        client.stop()
