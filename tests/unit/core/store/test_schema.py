"""Migrations: from an empty file, from the previous version, and refusing a newer file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.core.errors import StoreError
from console.core.store.schema import MIGRATIONS, SCHEMA_VERSION, connect, migrate, open_database

KIND_TABLES = {
    "events", "transactions", "spans", "page_loads", "page_views", "interactions", "custom_events",
    "errors", "issues", "issue_users", "network_requests", "logs", "analytics_events", "users",
    "experiments", "experiment_definitions", "experiment_assignments", "experiment_goals",
    "span_batches", "session_updates", "client_reports", "metric_batches", "metric_points",
    "attachments", "raw_payloads", "logs_fts", "issue_aliases", "issue_releases", "errors_fts",
}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_an_empty_file_is_migrated_to_the_current_version_in_wal(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    assert migrate(conn) == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert KIND_TABLES | {"projects", "retention_log"} <= tables(conn)
    assert migrate(conn) == SCHEMA_VERSION  # a second run does nothing


def test_a_file_at_version_3_keeps_its_data_and_gets_the_error_inbox(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn, target=3)
    conn.execute(
        "INSERT INTO events VALUES (1, 'log', 'shop', 5, 6, 's', 'u', 'info: kept')"
    )
    conn.execute(
        "INSERT INTO logs (event_id, ts, project, level, message) VALUES (1, 5, 'shop', 'info', 'kept')"
    )
    conn.execute(
        "INSERT INTO issues (id, project, fingerprint, title, level, first_seen, last_seen, event_count)"
        " VALUES (7, 'shop', 'fp', 'TypeError: checkout broke', 'error', 5, 5, 2)"
    )
    sentry = '{"_format": "sentry", "tags": {"browser": "Chrome 131", "handled": true}}'
    pairs = '{"_format": "sentry", "tags": [["browser", "Firefox"], ["n", 3], ["odd"]]}'
    for event_id, data in ((2, sentry), (3, pairs), (4, '{"stack": ""}')):
        conn.execute(
            "INSERT INTO errors (event_id, ts, project, session_id, user_id, issue_id, fingerprint,"
            " error_type, message, level, release, data) VALUES (?, 5, 'shop', 's-9', 'u-1042', 7, 'fp',"
            " 'TypeError', 'checkout broke', 'error', '2.3.1', ?)",
            (event_id, data),
        )
    assert migrate(conn) == 3
    assert conn.execute("SELECT summary FROM events").fetchall() == [("info: kept",)]
    assert conn.execute("SELECT message FROM logs").fetchall() == [("kept",)]
    # The errors already there are searchable, their tag values too; their releases counted.
    assert conn.execute("SELECT search_tags FROM errors ORDER BY event_id").fetchall() == [
        ("Chrome 131",), ("Firefox 3",), (None,)
    ]

    def found(match: str) -> list[int]:
        return [r[0] for r in conn.execute("SELECT rowid FROM errors_fts WHERE errors_fts MATCH ? ORDER BY rowid", (match,))]

    assert found("checkout") == [2, 3, 4]
    assert found('"u-1042"') == [2, 3, 4]
    assert found("chrome") == [2] and found("firefox") == [3]
    assert conn.execute("SELECT * FROM issue_releases").fetchall() == [(7, "2.3.1", "", 3, 5)]
    assert conn.execute("SELECT ignore_until_count, ignore_until_ms FROM issues").fetchall() == [(None, None)]
    assert {"projects", "retention_log", "span_batches", "metric_points", "issue_aliases"} <= tables(conn)


def test_a_file_at_version_4_keeps_its_page_loads_and_transactions(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn, target=4)
    conn.execute("INSERT INTO events VALUES (1, 'page_load', 'shop', 5, 6, 's', 'u', 'pages/index/index loaded')")
    conn.execute("INSERT INTO events VALUES (2, 'transaction', 'shop', 7, 8, 's', 'u', 'checkout.submit 878 ms')")
    conn.execute(
        "INSERT INTO page_loads (event_id, ts, project, session_id, user_id, route, release, platform, lcp, data)"
        " VALUES (1, 5, 'shop', 's', 'u', 'pages/index/index', '2.3.1', 'ios', 2140.0, '{}')"
    )
    conn.execute(
        "INSERT INTO transactions (event_id, ts, project, name, duration_ms, release, environment, data)"
        " VALUES (2, 7, 'shop', 'checkout.submit', 878.5, '2.3.1', 'production', '{}')"
    )
    assert migrate(conn) == 4
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute(
        "SELECT event_id, route, release, platform, lcp, environment, device FROM page_loads"
    ).fetchall() == [(1, "pages/index/index", "2.3.1", "ios", 2140.0, None, None)]
    assert conn.execute(
        "SELECT event_id, name, duration_ms, release, environment, platform, device FROM transactions"
    ).fetchall() == [(2, "checkout.submit", 878.5, "2.3.1", "production", None, None)]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    # A time range of either table is read from an index.
    for table in ("page_loads", "transactions"):
        plan = " ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT event_id FROM {table} WHERE ts >= 6"))
        assert f"USING COVERING INDEX {table}_ts" in plan, plan


def test_logs_from_before_search_are_searchable(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn, target=2)
    conn.execute("INSERT INTO events VALUES (1, 'log', 'shop', 5, 6, 's', 'u', 'info: kept')")
    conn.execute(
        "INSERT INTO logs (event_id, ts, project, level, message) VALUES (1, 5, 'shop', 'info', 'kept')"
    )
    migrate(conn)
    assert conn.execute("SELECT rowid FROM logs_fts WHERE logs_fts MATCH 'kept'").fetchall() == [(1,)]


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn, target=3)
    broken = [*MIGRATIONS[3], "CREATE TABLE events (x)"]  # migration 4 fails after its real statements
    monkeypatch.setattr("console.core.store.schema.MIGRATIONS", [*MIGRATIONS[:3], broken, *MIGRATIONS[4:]])
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not {"issue_aliases", "issue_releases", "errors_fts"} & tables(conn)
    assert "search_tags" not in {r[1] for r in conn.execute("PRAGMA table_info(errors)")}
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(errors)")}
    assert "errors_issue" in indexes and "errors_issue_ts" not in indexes


def test_a_store_from_a_newer_lookout_is_refused(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this Lookout"):
        migrate(conn)


def test_open_database_gives_sqlite_utils_a_migrated_store(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    assert "issues" in db.table_names()
    assert db["issues"].columns_dict["event_count"] is int


def test_reading_an_older_store_says_how_to_upgrade_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    path = tmp_path / "old.db"
    conn = connect(path)
    migrate(conn, target=SCHEMA_VERSION - 1)
    conn.close()
    assert main(["export", "--db", str(path), "--kind", "sessions"]) != 0
    said = capsys.readouterr().err
    assert f"schema version {SCHEMA_VERSION - 1}, from an older Lookout" in said
    assert f"lookout collect --db {path} to upgrade it" in said
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1  # untouched
