"""A store written by an older Lookout, opened in the window: upgraded off the GUI thread
first (saying so), then read; a window that may not write (a screenshot) leaves it alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.core.store.schema import SCHEMA_VERSION, connect, migrate
from console.gui.screenshot import render_screenshot
from tests.gui.support import now_ms


def schema_6_store(path: Path) -> Path:
    """A store as Lookout wrote it before schema 7: two events of one session, no sessions table."""
    conn = connect(path)
    migrate(conn, target=6)
    t = now_ms() - 60_000
    with conn:
        for event_id, kind, summary in ((1, "page_view", "pages/index/index — Home"), (2, "error", "TypeError")):
            conn.execute("INSERT INTO events VALUES (?, ?, 'shop', ?, ?, 's-old', 'u-1', ?)",
                         (event_id, kind, t + event_id, t + event_id, summary))
        conn.execute("INSERT INTO page_views (event_id, ts, project, session_id, user_id, route, platform, model)"
                     " VALUES (1, ?, 'shop', 's-old', 'u-1', 'pages/index/index', 'ios', 'iPhone 15')", (t + 1,))
    conn.close()
    return path


def version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_an_older_store_is_upgraded_then_read(qtbot, tmp_path, open_window):
    path = schema_6_store(tmp_path / "old.db")
    window = open_window(path)
    assert window.store_error.text().startswith("Upgrading the store from schema 6 to 7")
    qtbot.waitUntil(lambda: version(path) == SCHEMA_VERSION, timeout=20_000)
    window.show_panel("analytics")
    sessions = window.analytics.sessions
    qtbot.waitUntil(lambda: sessions.model.rowCount() == 1, timeout=20_000)
    row = sessions.model.rows[0]
    assert (row.session_id, row.user_id, row.page_views, row.platform, row.device) == (
        "s-old", "u-1", 1, "ios", "iPhone 15")
    qtbot.waitUntil(lambda: not window.store_error.isVisibleTo(window), timeout=20_000)


def test_closing_during_the_upgrade_waits_for_it(qtbot, tmp_path, open_window):
    path = schema_6_store(tmp_path / "old.db")
    window = open_window(path)
    window.shutdown()
    assert version(path) == SCHEMA_VERSION  # one transaction, done before the window let go


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_a_screenshot_does_not_upgrade_the_store(qtbot, tmp_path):
    path = schema_6_store(tmp_path / "old.db")
    render_screenshot(db_path=path, panel="overview", out=tmp_path / "shot.png", size=(1200, 800))
    assert version(path) == 6
