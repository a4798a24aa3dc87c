"""KPIs over a store written through the native decoder and the writer, against values
worked out by hand; saving them; the native ``kpi`` payload; the report and export commands."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.core.analysis.product.kpi import KpiDefinition
from console.core.analysis.product.refs import EventRef
from console.core.store.kpi_queries import (
    delete_kpi,
    kpi_named,
    kpi_report,
    kpi_series,
    kpi_value,
    list_kpis,
    measure_kpi,
    report_bucket,
    save_kpi,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

MIN = 60_000
HOUR = 60 * MIN
PREV = NOW - 2 * HOUR  # the hour before the one measured
CUR = NOW - HOUR
CART = "pages/cart/cart"


def view(ts: int, user: str, session: str) -> dict[str, Any]:
    return {"type": "page_view", "url": CART, "timestamp": ts, "sessionId": session, "userId": user}


def purchase(ts: int, user: str, session: str, value: float) -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "timestamp": ts, "sessionId": session, "userId": user,
            "properties": {"type": "purchase", "value": value, "currency": "CNY"}}


def coupon(ts: int, session: str) -> dict[str, Any]:
    return {"type": "custom_event", "name": "coupon_applied", "timestamp": ts, "sessionId": session}


def load(ts: int, lcp: float, session: str) -> dict[str, Any]:
    return {"type": "page_load", "url": CART, "timestamp": ts, "sessionId": session,
            "metrics": {"largestContentfulPaint": lcp}}


def error(ts: int, session: str) -> dict[str, Any]:
    return {"type": "javascript_error", "message": "TypeError: x is undefined", "timestamp": ts,
            "sessionId": session, "stack": "TypeError: x is undefined\n    at f (pages/cart/cart.js:1:1)"}


@pytest.fixture
def store(writer: StoreWriter, store_path: Path) -> Iterator[sqlite3.Connection]:
    """The measured hour (CUR): sessions s1..s4 of users u1..u4; the hour before: s5, s6.

    * cart views: u1 twice (at +5 and +35 min), u2, u3, u4 → 5 views, 4 users; before: u5, u6;
    * purchases: u1 129 CNY (+10 min), u2 20 CNY (+40 min); before: u5 50 CNY;
    * coupons at +5, +10, +40 min; before: one;
    * page loads LCP 1000, 2000 (first half hour), 3000, 4000 (second); before: 1000;
    * errors in s2 and s3; none before.
    """
    payloads = [
        view(CUR + 5 * MIN, "u1", "s1"), view(CUR + 35 * MIN, "u1", "s1"), view(CUR + 6 * MIN, "u2", "s2"),
        view(CUR + 7 * MIN, "u3", "s3"), view(CUR + 36 * MIN, "u4", "s4"),
        purchase(CUR + 10 * MIN, "u1", "s1", 129.0), purchase(CUR + 40 * MIN, "u2", "s2", 20.0),
        coupon(CUR + 5 * MIN, "s1"), coupon(CUR + 10 * MIN, "s2"), coupon(CUR + 40 * MIN, "s3"),
        load(CUR + 5 * MIN, 1000.0, "s1"), load(CUR + 6 * MIN, 2000.0, "s2"),
        load(CUR + 36 * MIN, 3000.0, "s4"), load(CUR + 37 * MIN, 4000.0, "s4"),
        error(CUR + 8 * MIN, "s2"), error(CUR + 9 * MIN, "s3"), error(CUR + 10 * MIN, "s3"),
        view(PREV + 5 * MIN, "u5", "s5"), view(PREV + 6 * MIN, "u6", "s6"),
        purchase(PREV + 7 * MIN, "u5", "s5", 50.0), coupon(PREV + 8 * MIN, "s5"), load(PREV + 9 * MIN, 1000.0, "s6"),
    ]
    writer.write(events_of(payloads))
    conn = connect(store_path, readonly=True)
    yield conn
    conn.close()


VIEWS = EventRef("page_view", CART)
PURCHASES = EventRef("conversion", "purchase")
CONVERSION = KpiDefinition(name="Checkout conversion", formula="rate", ref=PURCHASES, denominator=VIEWS,
                           rate_of="users", unit="%", target=40, warning=30, critical=20)
PER_VIEW = KpiDefinition(name="Purchases per cart view", formula="rate", ref=PURCHASES, denominator=VIEWS,
                         unit="%", target=50)
REVENUE = KpiDefinition(name="Revenue", formula="sum", ref=PURCHASES, field="value", unit="CNY", target=100)
LCP = KpiDefinition(name="LCP p75", formula="percentile", ref=EventRef("page_load"), field="lcp", quantile=0.75,
                    unit="ms", target=2500, higher_is_better=False, warning=3000, critical=4000)
ERRORS = KpiDefinition(name="Error sessions", formula="error_rate", unit="%", target=10, higher_is_better=False,
                       warning=25, critical=50)
COUPONS = KpiDefinition(name="Coupons", formula="count", ref=EventRef("event", "coupon_applied"), target=5)
USERS = KpiDefinition(name="Cart users", formula="unique_users", ref=VIEWS, target=3)


@pytest.mark.parametrize(("kpi", "value", "previous", "sample", "status", "level"), [
    (CONVERSION, 50.0, 50.0, 4, "on target", "ok"),  # 2 of 4 users; before 1 of 2
    (PER_VIEW, 40.0, 50.0, 5, "below target", None),  # 2 purchases / 5 views; before 1 / 2
    (REVENUE, 149.0, 50.0, 2, "on target", None),
    # [1000, 2000, 3000, 4000]: position 3 · 0.75 = 2.25 → 3000 + 0.25 · 1000
    (LCP, 3250.0, 1000.0, 4, "above target", "warning"),
    (ERRORS, 50.0, 0.0, 4, "above target", "critical"),  # s2, s3 of s1..s4; none of s5, s6
    (COUPONS, 3.0, 1.0, 3, "below target", None),
    (USERS, 4.0, 2.0, 4, "on target", None),
])
def test_each_formula_against_hand_computed_values(
    store: sqlite3.Connection, kpi: KpiDefinition, value: float, previous: float, sample: int, status: str,
    level: str | None,
) -> None:
    found = kpi_value(store, kpi, CUR, NOW)
    assert (found.value, found.previous, found.sample) == (pytest.approx(value), pytest.approx(previous), sample)
    assert (found.status, found.level) == (status, level)


def test_changes_and_nothing_to_measure(store: sqlite3.Connection) -> None:
    assert kpi_value(store, REVENUE, CUR, NOW).change == pytest.approx(198.0)  # 149 against 50
    assert kpi_value(store, PER_VIEW, CUR, NOW).change == pytest.approx(-20.0)  # 40 % against 50 %
    assert kpi_value(store, CONVERSION, CUR, NOW).change == 0.0
    assert kpi_value(store, ERRORS, CUR, NOW).change is None  # from 0 % to 50 %
    later = NOW + HOUR
    assert measure_kpi(store, CONVERSION, NOW, later) == (None, 0)  # nobody to divide by
    assert measure_kpi(store, LCP, NOW, later) == (None, 0)
    assert measure_kpi(store, ERRORS, NOW, later) == (None, 0)
    assert measure_kpi(store, REVENUE, NOW, later) == (0.0, 0)
    assert kpi_value(store, COUPONS, NOW, later).status == "below target"  # 0 coupons is a value
    assert kpi_value(store, LCP, NOW, later).status == "no data"
    assert measure_kpi(store, COUPONS, CUR, NOW, project="elsewhere") == (0.0, 0)
    assert measure_kpi(store, ERRORS, CUR, NOW, project="shop") == (50.0, 4)


def test_series_per_half_hour(store: sqlite3.Connection) -> None:
    half = 30 * MIN
    starts, coupons = kpi_series(store, COUPONS, CUR, NOW, half)
    assert starts.tolist() == [CUR, CUR + half] and coupons.tolist() == [2.0, 1.0]
    # Users who purchased / users who viewed the cart: u1 of u1, u2, u3; then u2 of u1, u4.
    _, rate = kpi_series(store, CONVERSION, CUR, NOW, half)
    assert rate.tolist() == pytest.approx([100 / 3, 50.0])
    _, lcp = kpi_series(store, LCP, CUR, NOW, half)
    assert lcp.tolist() == pytest.approx([1750.0, 3750.0])
    # Sessions by start: s1, s2, s3 in the first half (s2, s3 with errors), s4 in the second.
    _, errors = kpi_series(store, ERRORS, CUR, NOW, half)
    assert errors.tolist() == pytest.approx([200 / 3, 0.0])
    _, nothing = kpi_series(store, ERRORS, NOW, NOW + HOUR, half)
    assert all(math.isnan(v) for v in nothing)


def test_saving_listing_renaming_and_deleting(writer: StoreWriter, store_path: Path) -> None:
    first = writer.run_sync(lambda conn: save_kpi(conn, REVENUE, now_ms=NOW))
    second = writer.run_sync(lambda conn: save_kpi(conn, COUPONS, now_ms=NOW))
    with pytest.raises(ValueError, match="a KPI named 'Revenue' already exists"):
        writer.run_sync(lambda conn: save_kpi(conn, REVENUE, now_ms=NOW))
    renamed = KpiDefinition(**{**REVENUE.to_json(), "ref": PURCHASES, "name": "Takings", "id": first})
    assert writer.run_sync(lambda conn: save_kpi(conn, renamed, now_ms=NOW + 1)) == first
    with pytest.raises(ValueError, match="no KPI with id 999"):
        ghost = KpiDefinition(name="Ghost", ref=VIEWS, id=999)
        writer.run_sync(lambda conn: save_kpi(conn, ghost, now_ms=NOW))
    with connect(store_path, readonly=True) as conn:
        assert [(k.name, k.id) for k in list_kpis(conn)] == [("Coupons", second), ("Takings", first)]
        assert kpi_named(conn, "Takings") == renamed
    writer.run_sync(lambda conn: delete_kpi(conn, second))
    with connect(store_path, readonly=True) as conn:
        assert [k.name for k in list_kpis(conn)] == ["Takings"]


def test_report_of_every_kpi(writer: StoreWriter, store: sqlite3.Connection) -> None:
    for kpi in (CONVERSION, PER_VIEW, REVENUE, LCP, ERRORS, COUPONS, USERS):
        writer.run_sync(lambda conn, kpi=kpi: save_kpi(conn, kpi, now_ms=NOW))
    report = kpi_report(store, CUR, NOW, now_ms=NOW)
    assert report.bucket_ms == 5 * MIN and report_bucket(24 * HOUR) == 30 * MIN
    names = [row.value.kpi.name for row in report.rows]
    assert names == ["Cart users", "Checkout conversion", "Coupons", "Error sessions", "LCP p75",
                     "Purchases per cart view", "Revenue"]
    assert report.summary() == "3 of 7 KPIs on target"  # cart users, conversion, revenue
    coupons = report.rows[2]
    assert (coupons.value.value, coupons.value.previous, len(coupons.values)) == (3.0, 1.0, 12)
    assert coupons.values.tolist() == [0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0]  # +5, +10 and +40 min
    exported = {row["name"]: row for row in report.to_json()}
    assert exported["Error sessions"]["status"] == "above target" and exported["Error sessions"]["value"] == 50.0


def test_a_native_kpi_payload_defines_and_replaces_a_kpi(writer: StoreWriter, store_path: Path) -> None:
    define = {"type": "kpi", "name": "Checkout conversion", "description": "Carts that end in a purchase",
              "calculation": {"formula": "rate", "per": "users", "event": {"source": "conversion", "name": "purchase"},
                              "denominator": {"source": "page_view", "name": CART}},
              "target": 3.5, "thresholds": {"warning": 3.0, "critical": 2.0}, "updateFrequency": "5m",
              "timestamp": NOW, "id": "app-kpi-1"}
    [event] = events_of([define])
    assert event.summary.startswith("KPI Checkout conversion defined: users of conversion purchase")
    writer.write([event])
    writer.write(events_of([{**define, "target": 4.0, "updateFrequency": 60}]))
    with connect(store_path, readonly=True) as conn:
        [kpi] = list_kpis(conn)
        assert conn.execute("SELECT count(*) FROM kpi_definitions").fetchone() == (2,)
    assert (kpi.target, kpi.refresh_s, kpi.unit, kpi.project, kpi.rate_of) == (4.0, 60, "%", "shop", "users")


def test_report_and_export_commands(
    writer: StoreWriter, store: sqlite3.Connection, store_path: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for kpi in (COUPONS, ERRORS):
        writer.run_sync(lambda conn, kpi=kpi: save_kpi(conn, kpi, now_ms=NOW))
    html_path, csv_path = tmp_path / "report.html", tmp_path / "report.csv"
    start, end = _iso(CUR), _iso(NOW)
    assert main(["report", "--db", str(store_path), "--from", start, "--to", end, "--out", str(html_path),
                 "--csv", str(csv_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote {html_path}: 0 of 2 KPIs on target", f"wrote {csv_path}"]
    page = html_path.read_text(encoding="utf-8")
    assert "Coupons" in page and "Error sessions" in page and "50 %" in page
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert [(r["name"], r["value"], r["status"]) for r in rows] == [
        ("Coupons", "3", "below target"), ("Error sessions", "50", "above target")]
    assert main(["report", "--db", str(store_path), "--from", start, "--to", end, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("name,value,unit,target,status,level,previous,change_percent,range\n")
    assert main(["report", "--db", str(store_path), "--from", "soon"]) == 1
    assert "'soon' is neither a time" in capsys.readouterr().err
    assert main(["report", "--db", str(store_path), "--from", end, "--to", start]) == 1
    assert "must come after" in capsys.readouterr().err
    # The export holds the last 24 h by default (what is in it depends on today's date).
    before = time.time() * 1000
    assert main(["export", "--db", str(store_path), "--kind", "kpis"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in exported] == ["Coupons", "Error sessions"]
    assert before <= exported[0]["end_ms"] <= time.time() * 1000
    assert exported[0]["end_ms"] - exported[0]["start_ms"] == 24 * HOUR
    assert main(["export", "--db", str(store_path), "--kind", "kpis", "--from", str(CUR), "--to", str(NOW),
                 "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["name"], r["value"], r["previous"], r["status"], r["level"]) for r in rows] == [
        ("Coupons", "3.0", "1.0", "below target", ""), ("Error sessions", "50.0", "0.0", "above target", "critical")]


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()
