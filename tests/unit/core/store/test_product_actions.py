"""What a user does to funnels, KPIs and dashboards (ProductAction): its JSON form, the
reasons an action is refused, and carrying it out in the store's writer."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD, Dashboard, Widget
from console.core.analysis.product.funnel import FunnelDefinition
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.dashboards import list_dashboards
from console.core.store.funnel_queries import list_funnels
from console.core.store.kpi_queries import list_kpis
from console.core.store.product_actions import ProductAction, apply_product_action
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW

FUNNEL = FunnelDefinition("Purchase", (EventRef("page_view", "pages/cart/cart"), EventRef("conversion", "purchase")))
KPI = KpiDefinition(name="Checkout errors", formula="count", ref=EventRef("error"), target=5.0, higher_is_better=False)
BOARD = Dashboard("Shop", (Widget(kind="card", title="Events", special="events", range="5m"),))


def apply(writer: StoreWriter, action: ProductAction) -> dict[str, Any]:
    return writer.run_sync(lambda conn: apply_product_action(conn, action, now_ms=NOW))


def test_actions_round_trip_through_json() -> None:
    for action in (ProductAction.save(FUNNEL), ProductAction.save(KPI), ProductAction.save(BOARD),
                   ProductAction("delete_kpi", id=3), ProductAction("ensure_default_dashboard")):
        assert ProductAction.from_json(action.to_json()) == action
    assert ProductAction.save(BOARD).to_json() == {"kind": "save_dashboard", "body": BOARD.to_json()}


@pytest.mark.parametrize(("data", "reason"), [
    ("save_funnel", "must be a JSON object"),
    ({"kind": "rename_funnel", "id": 1}, "'kind' must be one of save_funnel, delete_funnel"),
    ({"kind": "delete_funnel"}, "'delete_funnel' needs 'id'"),
    ({"kind": "delete_kpi", "id": 0}, "'id' must be a positive integer"),
    ({"kind": "delete_kpi", "id": True}, "'id' must be a positive integer"),
    ({"kind": "delete_dashboard", "id": 2, "body": {}}, "'body' is for saving"),
    ({"kind": "save_kpi"}, "'save_kpi' needs 'body', the kpi as a JSON object"),
    ({"kind": "save_kpi", "body": {"name": "x", "formula": "vibes", "ref": {"source": "error"}}}, "unknown formula"),
    ({"kind": "save_funnel", "body": {"name": "x", "steps": [{"source": "page_view"}]}}, "2 to 10 steps"),
    ({"kind": "save_dashboard", "body": {"name": "x", "widgets": [{"kind": "card"}]}}, "widget 1: a widget shows"),
    ({"kind": "save_dashboard", "body": {"name": "x"}, "colour": "red"}, "unknown field"),
    ({"kind": "ensure_default_dashboard", "id": 1}, "takes no 'id'"),
    # Past SQLite's integers: a reason, not an OverflowError from the writer.
    ({"kind": "save_kpi", "body": {"name": "x", "ref": {"source": "error"}, "id": 2**64 - 1}},
     "'id' must be a positive integer"),
    ({"kind": "save_funnel", "body": {"name": "x", "steps": [{"source": "error"}] * 2, "id": 2**63}},
     "'id' must be a positive integer"),
    ({"kind": "save_funnel", "body": {"name": "x", "steps": [{"source": "error"}] * 2, "id": -4}},
     "'id' must be a positive integer"),
    ({"kind": "save_dashboard", "body": {"name": "x", "widgets": [{"kind": "card", "kpi": "k" * 201}]}},
     "widget 1: a KPI's name is at most 200 characters"),
])
def test_a_bad_action_says_why(data: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ProductAction.from_json(data)


def test_save_update_and_delete_each_kind(writer: StoreWriter, store_path: Path) -> None:
    funnel = apply(writer, ProductAction.save(FUNNEL))
    kpi = apply(writer, ProductAction.save(KPI))
    board = apply(writer, ProductAction.save(BOARD))
    assert funnel == {"kind": "save_funnel", "id": 1}
    assert kpi == {"kind": "save_kpi", "id": 1} and board == {"kind": "save_dashboard", "id": 1}
    wider = FunnelDefinition("Purchase", FUNNEL.steps, window_ms=3_600_000)
    assert apply(writer, ProductAction("save_funnel", id=1, body=wider.to_json())) == {"kind": "save_funnel", "id": 1}
    renamed = Dashboard("Shop floor", BOARD.widgets, id=1)
    apply(writer, ProductAction.save(renamed))
    with closing(connect(store_path, readonly=True)) as conn:
        (saved_funnel,) = [f for f in list_funnels(conn) if not f.discovered]
        assert (saved_funnel.id, saved_funnel.window_ms) == (1, 3_600_000)
        assert [(k.id, k.name, k.target) for k in list_kpis(conn)] == [(1, "Checkout errors", 5.0)]
        assert [(d.id, d.name) for d in list_dashboards(conn)] == [(1, "Shop floor")]
    for kind in ("delete_funnel", "delete_kpi", "delete_dashboard"):
        assert apply(writer, ProductAction(kind, id=1)) == {"kind": kind, "id": 1}
    with closing(connect(store_path, readonly=True)) as conn:
        assert [f for f in list_funnels(conn) if not f.discovered] == []
        assert list_kpis(conn) == [] and list_dashboards(conn) == []


def test_what_does_not_apply_is_refused_with_a_reason(writer: StoreWriter) -> None:
    apply(writer, ProductAction.save(BOARD))
    apply(writer, ProductAction.save(KPI))
    with pytest.raises(ValueError, match="a dashboard named 'Shop' already exists"):
        apply(writer, ProductAction.save(BOARD))
    with pytest.raises(ValueError, match="a KPI named 'Checkout errors' already exists"):
        apply(writer, ProductAction.save(KPI))
    with pytest.raises(ValueError, match="there is no funnel 7"):
        apply(writer, ProductAction("delete_funnel", id=7))
    with pytest.raises(ValueError, match="there is no KPI 7"):
        apply(writer, ProductAction("delete_kpi", id=7))
    with pytest.raises(ValueError, match="there is no dashboard 9; was it deleted"):
        apply(writer, ProductAction("save_dashboard", id=9, body={"name": "Gone"}))


def test_a_saved_discovered_funnel_becomes_the_users_own(writer: StoreWriter, store_path: Path) -> None:
    found = FunnelDefinition("purchase", (EventRef("funnel_step", "cart", funnel="purchase"),
                                          EventRef("funnel_step", "pay", funnel="purchase")), discovered=True)
    apply(writer, ProductAction.save(found))
    with closing(connect(store_path, readonly=True)) as conn:
        (saved,) = list_funnels(conn)
        assert (saved.id, saved.discovered, saved.steps) == (1, False, found.steps)


def test_the_default_dashboard_on_request_once(writer: StoreWriter, store_path: Path) -> None:
    ensure = ProductAction("ensure_default_dashboard")
    assert apply(writer, ensure) == {"kind": "ensure_default_dashboard", "id": 1}
    assert apply(writer, ensure) == {"kind": "ensure_default_dashboard", "id": None}
    with closing(connect(store_path, readonly=True)) as conn:
        assert [d.widgets for d in list_dashboards(conn)] == [DEFAULT_DASHBOARD.widgets]
