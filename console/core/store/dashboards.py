"""Saved dashboards in the store (table ``dashboards`` of migration 7), and the default one.

Reads run on any connection; writes run inside a job of the store's single writer
(``StoreWriter.run``), which owns the transaction — the collector's writer when a collector
runs, else the window's own (see :mod:`console.core.store.product_actions`).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import orjson

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD, Dashboard, Widget

__all__ = [
    "default_dashboard_inserted", "delete_dashboard", "ensure_default_dashboard", "list_dashboards",
    "save_dashboard", "shown_dashboards",
]

_DEFAULT_KEY = "default_dashboard_inserted"


def list_dashboards(conn: sqlite3.Connection) -> list[Dashboard]:
    """Every saved dashboard, by position then id.

    A stored definition this version cannot read (written by a newer one) is left out
    rather than failing every dashboard.
    """
    found = []
    rows = conn.execute("SELECT id, name, position, definition FROM dashboards ORDER BY position, id")
    for dashboard_id, name, position, definition in rows:
        try:
            data = orjson.loads(definition)
            widgets = tuple(Widget.from_json(item) for item in data.get("widgets", []))
            found.append(Dashboard(name=name, widgets=widgets, id=int(dashboard_id), position=int(position)))
        except (ValueError, TypeError, AttributeError):
            continue
    return found


def default_dashboard_inserted(conn: sqlite3.Connection) -> bool:
    """Whether this store has had its default dashboard (a read, for any connection)."""
    return conn.execute("SELECT 1 FROM analytics_meta WHERE key = ?", (_DEFAULT_KEY,)).fetchone() is not None


def shown_dashboards(conn: sqlite3.Connection) -> list[Dashboard]:
    """What the dashboard selector lists: the saved dashboards, or :data:`DEFAULT_DASHBOARD`
    (without an id) while the store has never had it — a window that only reads, or the
    moment before the writer has inserted it."""
    saved = list_dashboards(conn)
    if saved or default_dashboard_inserted(conn):
        return saved
    return [DEFAULT_DASHBOARD]


def ensure_default_dashboard(conn: sqlite3.Connection, *, now_ms: int | None = None) -> int | None:
    """Insert :data:`DEFAULT_DASHBOARD` the first time a store is asked; its id, or None when
    it had it already. A marker row remembers, so a default the user deleted stays deleted
    (and a dashboard the user already named "Overview" is left alone)."""
    if default_dashboard_inserted(conn):
        return None
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    taken = conn.execute("SELECT 1 FROM dashboards WHERE name = ?", (DEFAULT_DASHBOARD.name,)).fetchone()
    dashboard_id = None if taken else save_dashboard(conn, DEFAULT_DASHBOARD, now_ms=now_ms)
    conn.execute("INSERT INTO analytics_meta (key, value) VALUES (?, ?)", (_DEFAULT_KEY, str(now_ms)))
    return dashboard_id


def _definition(dashboard: Dashboard) -> str:
    data: dict[str, Any] = {"widgets": [w.to_json() for w in dashboard.widgets]}
    return orjson.dumps(data).decode()


def save_dashboard(conn: sqlite3.Connection, dashboard: Dashboard, *, now_ms: int) -> int:
    """Insert ``dashboard`` (no id) or replace the one with its id; the id.

    ValueError when another dashboard has its name, or when the id names none (deleted
    meanwhile: saving must not bring it back under its old id).
    """
    name = dashboard.name.strip()
    clash = conn.execute("SELECT id FROM dashboards WHERE name = ? AND id IS NOT ?", (name, dashboard.id)).fetchone()
    if clash is not None:
        raise ValueError(f"a dashboard named {name!r} already exists")
    if dashboard.id is None:
        cursor = conn.execute(
            "INSERT INTO dashboards (name, position, definition, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)",
            (name, dashboard.position, _definition(dashboard), now_ms, now_ms),
        )
        return int(cursor.lastrowid or 0)
    cursor = conn.execute(
        "UPDATE dashboards SET name = ?, position = ?, definition = ?, updated_ms = ? WHERE id = ?",
        (name, dashboard.position, _definition(dashboard), now_ms, dashboard.id),
    )
    if cursor.rowcount == 0:
        raise ValueError(f"there is no dashboard {dashboard.id}; was it deleted?")
    return dashboard.id


def delete_dashboard(conn: sqlite3.Connection, dashboard_id: int) -> bool:
    """Delete a dashboard; whether there was one."""
    return conn.execute("DELETE FROM dashboards WHERE id = ?", (dashboard_id,)).rowcount > 0
