"""Saved dashboards through the store's writer: the default Overview once per store, saving,
renaming, ordering and deleting, and the reasons a save is refused."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD, Dashboard, Widget
from console.core.store.dashboards import (
    default_dashboard_inserted,
    delete_dashboard,
    ensure_default_dashboard,
    list_dashboards,
    save_dashboard,
    shown_dashboards,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW

EVENTS = Widget(kind="card", title="Events", special="events", range="5m")


def test_the_default_dashboard_is_inserted_once_and_a_deleted_one_stays_deleted(
    writer: StoreWriter, store_path: Path
) -> None:
    with closing(connect(store_path, readonly=True)) as conn:
        assert shown_dashboards(conn) == [DEFAULT_DASHBOARD]  # nothing saved yet: shown, not stored
        assert list_dashboards(conn) == []
    first = writer.run_sync(lambda conn: ensure_default_dashboard(conn, now_ms=NOW))
    assert first == 1
    assert writer.run_sync(lambda conn: ensure_default_dashboard(conn, now_ms=NOW)) is None
    with closing(connect(store_path, readonly=True)) as conn:
        (overview,) = list_dashboards(conn)
        assert overview.id == first and overview.name == "Overview"
        assert overview.widgets == DEFAULT_DASHBOARD.widgets
        assert shown_dashboards(conn) == [overview]
    assert writer.run_sync(lambda conn: delete_dashboard(conn, 1)) is True
    assert writer.run_sync(ensure_default_dashboard) is None
    with closing(connect(store_path, readonly=True)) as conn:
        assert default_dashboard_inserted(conn)
        assert list_dashboards(conn) == [] and shown_dashboards(conn) == []


def test_a_dashboard_the_user_named_overview_is_left_alone(writer: StoreWriter, store_path: Path) -> None:
    mine = writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Overview", (EVENTS,)), now_ms=NOW))
    assert writer.run_sync(ensure_default_dashboard) is None
    with closing(connect(store_path, readonly=True)) as conn:
        assert [(d.id, d.widgets) for d in list_dashboards(conn)] == [(mine, (EVENTS,))]


def test_save_inserts_updates_and_orders_by_position(writer: StoreWriter, store_path: Path) -> None:
    shop = writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Shop", (EVENTS,), position=2), now_ms=NOW))
    growth = writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Growth", position=1), now_ms=NOW))
    later = Widget(kind="chart", title="Sessions", special="active_sessions", row=1, width=4, height=2)
    renamed = Dashboard(" Shop floor ", (EVENTS, later), id=shop, position=0)
    assert writer.run_sync(lambda conn: save_dashboard(conn, renamed, now_ms=NOW + 1)) == shop
    with closing(connect(store_path, readonly=True)) as conn:
        found = list_dashboards(conn)
        assert [(d.id, d.name, d.position, len(d.widgets)) for d in found] == [
            (shop, "Shop floor", 0, 2), (growth, "Growth", 1, 0),
        ]
        assert found[0].widgets[1] == later
        assert conn.execute("SELECT created_ms, updated_ms FROM dashboards WHERE id = ?", (shop,)).fetchone() == (
            NOW, NOW + 1)


def test_a_taken_name_or_a_missing_id_is_refused_with_a_reason(writer: StoreWriter, store_path: Path) -> None:
    writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Shop"), now_ms=NOW))
    growth = writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Growth"), now_ms=NOW))
    with pytest.raises(ValueError, match="a dashboard named 'Shop' already exists"):
        writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Shop"), now_ms=NOW))
    with pytest.raises(ValueError, match="a dashboard named 'Shop' already exists"):
        writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Shop", id=growth), now_ms=NOW))
    with pytest.raises(ValueError, match="there is no dashboard 99; was it deleted"):
        writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Gone", id=99), now_ms=NOW))
    assert writer.run_sync(lambda conn: delete_dashboard(conn, 99)) is False
    with closing(connect(store_path, readonly=True)) as conn:
        assert [d.name for d in list_dashboards(conn)] == ["Shop", "Growth"]


def test_a_definition_this_version_cannot_read_is_left_out(writer: StoreWriter, store_path: Path) -> None:
    writer.run_sync(lambda conn: save_dashboard(conn, Dashboard("Shop", (EVENTS,)), now_ms=NOW))
    writer.run_sync(lambda conn: conn.execute(
        "INSERT INTO dashboards (name, position, definition, created_ms, updated_ms)"
        " VALUES ('Future', 0, '{\"widgets\": [{\"kind\": \"hologram\"}]}', 1, 1)"))
    with closing(connect(store_path, readonly=True)) as conn:
        assert [d.name for d in list_dashboards(conn)] == ["Shop"]

