"""ProductClient saves funnels, KPIs and dashboards through the window's own writer or the
collector's, and says why when it cannot; the window gives its store the default dashboard."""

import sqlite3
from contextlib import closing

from console.core.analysis.product.dashboard import Dashboard, Widget
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.dashboards import list_dashboards
from console.core.store.kpi_queries import list_kpis
from console.core.store.product_actions import ProductAction
from console.core.store.schema import connect
from console.gui.product_client import ProductClient
from tests.integration.support import CollectorLauncher

BOARD = Dashboard("Shop", (Widget(kind="card", title="Events", special="events", range="5m"),))
KPI = KpiDefinition(name="Checkout errors", formula="count", ref=EventRef("error"), target=5.0, higher_is_better=False)


def dashboards(path) -> list[tuple[int | None, str]]:
    with closing(connect(path, readonly=True)) as conn:
        return [(d.id, d.name) for d in list_dashboards(conn)]


def test_without_a_collector_actions_go_through_the_windows_own_writer(qtbot, tmp_path):
    path = tmp_path / "s.db"
    client = ProductClient(db_path=path, collector_url=None)
    try:
        with qtbot.waitSignal(client.done, timeout=10_000) as done:
            client.request(ProductAction.save(BOARD))
        assert done.args == [ProductAction.save(BOARD), {"kind": "save_dashboard", "id": 1}]
        with qtbot.waitSignal(client.done, timeout=10_000) as done:
            client.request(ProductAction.save(KPI))
        assert done.args[1] == {"kind": "save_kpi", "id": 1}
        with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
            client.request(ProductAction.save(BOARD))
        assert failed.args[1] == "a dashboard named 'Shop' already exists"
        with qtbot.waitSignal(client.done, timeout=10_000) as done:
            client.ensure_default_dashboard()
            client.ensure_default_dashboard()  # asked once: one answer
        assert done.args[1] == {"kind": "ensure_default_dashboard", "id": 2}
        with qtbot.assertNotEmitted(client.done, wait=200):
            client.ensure_default_dashboard()
    finally:
        client.stop()
    assert dashboards(path) == [(1, "Shop"), (2, "Overview")]
    with closing(connect(path, readonly=True)) as conn:
        assert [k.name for k in list_kpis(conn)] == ["Checkout errors"]


def test_beside_a_collector_actions_go_to_its_writer(qtbot, tmp_path):
    launcher = CollectorLauncher(tmp_path)
    try:
        collector = launcher.start(tmp_path / "s.db")
        client = ProductClient(db_path=collector.db, collector_url=collector.url + "/")
        try:
            with qtbot.waitSignal(client.done, timeout=10_000) as done:
                client.request(ProductAction.save(BOARD))
            assert done.args[1] == {"kind": "save_dashboard", "id": 2}  # the collector made the Overview first
            with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
                client.request(ProductAction("delete_dashboard", id=99))
            assert failed.args[1] == "the collector answered 400: there is no dashboard 99"
            with qtbot.waitSignal(client.done, timeout=10_000) as done:
                client.ensure_default_dashboard()
            assert done.args[1] == {"kind": "ensure_default_dashboard", "id": None}
            with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
                client.request(ProductAction("delete_kpi"))  # refused before it is sent
            assert failed.args[1] == "'delete_kpi' needs 'id'"
        finally:
            client.stop()
        assert dashboards(collector.db) == [(1, "Overview"), (2, "Shop")]
    finally:
        launcher.close()


def test_a_stopped_collector_is_a_message(qtbot, tmp_path):
    from tests.integration.support import free_port

    client = ProductClient(db_path=tmp_path / "s.db", collector_url=f"http://127.0.0.1:{free_port()}")
    try:
        with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
            client.request(ProductAction.save(BOARD))
        assert failed.args[1] == "the collector is not answering; is it still running?"
    finally:
        client.stop()
    assert not (tmp_path / "s.db").exists()  # nothing was written by the window


def test_the_window_gives_a_store_its_default_dashboard_once(qtbot, store, open_window):
    store.write([{"type": "log", "level": "info", "message": "hello"}])
    window = open_window(store.path)

    def overview_stored() -> bool:
        try:
            return dashboards(store.path) == [(1, "Overview")]
        except sqlite3.Error:
            return False

    qtbot.waitUntil(overview_stored, timeout=10_000)
    assert window.product_client.collector_url is None
