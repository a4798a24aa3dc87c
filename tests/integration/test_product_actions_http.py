"""Funnels, KPIs and dashboards saved through a real ``lookout collect``: ``POST
/lookout/analytics/actions`` answers what was saved, refuses what does not apply with the
documented error shape, and only this machine may ask. A collector gives its store the
default Overview dashboard when it starts."""

from __future__ import annotations

import asyncio
from contextlib import closing
from pathlib import Path

import httpx

from console.collector.app import CollectorSettings, create_app
from console.core.analysis.product.dashboard import Dashboard, Widget
from console.core.analysis.product.funnel import FunnelDefinition
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.dashboards import list_dashboards
from console.core.store.funnel_queries import list_funnels
from console.core.store.kpi_queries import list_kpis
from console.core.store.product_actions import ProductAction
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.integration.support import CollectorLauncher, assert_error

PATH = "/lookout/analytics/actions"
BOARD = Dashboard("Shop", (Widget(kind="card", title="Events", special="events", range="5m"),
                           Widget(kind="chart", special="active_sessions", row=1, width=4, height=2)))
FUNNEL = FunnelDefinition("Purchase", (EventRef("page_view", "pages/cart/cart"), EventRef("conversion", "purchase")))
KPI = KpiDefinition(name="Checkout errors", formula="count", ref=EventRef("error"), target=5.0, higher_is_better=False)


def test_definitions_are_saved_and_deleted_through_the_collector(
    launch_collector: CollectorLauncher, http: httpx.Client, tmp_path: Path
) -> None:
    collector = launch_collector.start()
    url = collector.url + PATH
    with closing(connect(collector.db, readonly=True)) as conn:
        assert [(d.id, d.name) for d in list_dashboards(conn)] == [(1, "Overview")]  # the collector's start did it

    answers = [http.post(url, json=ProductAction.save(d).to_json()) for d in (BOARD, FUNNEL, KPI)]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert [a.json() for a in answers] == [
        {"ok": True, "kind": "save_dashboard", "id": 2},
        {"ok": True, "kind": "save_funnel", "id": 1},
        {"ok": True, "kind": "save_kpi", "id": 1},
    ]
    again = http.post(url, json={"kind": "ensure_default_dashboard"})
    assert again.json() == {"ok": True, "kind": "ensure_default_dashboard", "id": None}
    with closing(connect(collector.db, readonly=True)) as conn:
        assert [(d.name, d.widgets) for d in list_dashboards(conn)][1] == ("Shop", BOARD.widgets)
        assert [f.name for f in list_funnels(conn) if not f.discovered] == ["Purchase"]
        assert [(k.name, k.target) for k in list_kpis(conn)] == [("Checkout errors", 5.0)]

    deleted = http.post(url, json={"kind": "delete_dashboard", "id": 1})
    assert deleted.status_code == 200 and deleted.json() == {"ok": True, "kind": "delete_dashboard", "id": 1}
    with closing(connect(collector.db, readonly=True)) as conn:
        assert [d.name for d in list_dashboards(conn)] == ["Shop"]

    # A restart does not bring the deleted Overview back.
    launch_collector.stop(collector)
    restarted = launch_collector.start(collector.db)
    with closing(connect(restarted.db, readonly=True)) as conn:
        assert [d.name for d in list_dashboards(conn)] == ["Shop"]


def test_what_does_not_apply_answers_400_with_the_reason(
    launch_collector: CollectorLauncher, http: httpx.Client
) -> None:
    collector = launch_collector.start()
    url = collector.url + PATH
    taken = http.post(url, json=ProductAction.save(Dashboard("Overview")).to_json())
    assert "a dashboard named 'Overview' already exists" in assert_error(taken, 400, "invalid_action")["detail"]
    missing = http.post(url, json={"kind": "delete_kpi", "id": 42})
    assert assert_error(missing, 400, "invalid_action")["detail"] == "there is no KPI 42"
    overlap = {"kind": "save_dashboard", "body": {"name": "x", "widgets": [
        {"kind": "card", "special": "events", "title": "A"}, {"kind": "card", "special": "events", "title": "B"}]}}
    detail = assert_error(http.post(url, json=overlap), 400, "invalid_action")["detail"]
    assert detail == "'B' overlaps 'A' at row 0, column 0"
    assert_error(http.post(url, content=b"{not json", headers={"content-type": "application/json"}), 400,
                 "invalid_action")
    assert_error(http.post(url, json={"kind": "explode"}), 400, "invalid_action")
    # An id past SQLite's integers is refused as such, not a 500 from the writer.
    for kind, body in (("save_kpi", {"name": "k", "ref": {"source": "error"}}),
                       ("save_funnel", {"name": "f", "steps": [{"source": "error"}] * 2})):
        huge = http.post(url, json={"kind": kind, "body": {**body, "id": 2**64 - 1}})
        assert "'id' must be a positive integer" in assert_error(huge, 400, "invalid_action")["detail"]
    assert_error(http.get(url), 405, "method_not_allowed")


def test_actions_from_another_machine_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = StoreWriter(path=db)
    writer.start()
    try:
        app = create_app(writer=writer, settings=CollectorSettings(db_path=db, host="0.0.0.0", require_keys=True))

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await client.post(PATH, json=ProductAction.save(BOARD).to_json())

        assert_error(asyncio.run(send()), 403, "forbidden")
        assert writer.run_sync(list_dashboards) == []
    finally:
        writer.stop()
