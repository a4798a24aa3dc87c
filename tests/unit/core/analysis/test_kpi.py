"""KPI definitions (Lookout's JSON and the brief's defineKPI) and what a value of one means."""

from __future__ import annotations

from typing import Any

import pytest

from console.core.analysis.product.kpi import (
    KpiDefinition,
    chart_line,
    format_change,
    format_kpi_value,
    judge,
    parse_duration_s,
)
from console.core.analysis.product.refs import EventRef, Measure

CART = EventRef("page_view", "pages/cart/cart")
PURCHASE = EventRef("conversion", "purchase")


def test_the_briefs_define_kpi_shape() -> None:
    kpi = KpiDefinition.from_json({
        "name": "Checkout conversion", "description": "Carts that end in a purchase",
        "calculation": {"formula": "rate", "per": "users", "event": {"source": "conversion", "name": "purchase"},
                        "denominator": {"source": "page_view", "name": "pages/cart/cart"}},
        "target": 3.5, "thresholds": {"warning": 3.0, "critical": 2.0}, "updateFrequency": "5m",
    })
    assert kpi == KpiDefinition(
        name="Checkout conversion", description="Carts that end in a purchase", formula="rate", ref=PURCHASE,
        denominator=CART, rate_of="users", unit="%", target=3.5, higher_is_better=True, warning=3.0,
        critical=2.0, refresh_s=300,
    )
    assert kpi.measures() == (Measure(PURCHASE, "users"), Measure(CART, "users"))
    assert kpi.calculation_label() == "users of conversion purchase ÷ users of page view pages/cart/cart"


def test_a_calculation_may_be_a_formula_name_beside_its_event() -> None:
    kpi = KpiDefinition.from_json({"name": "Coupons", "calculation": "count", "event": "coupon_applied",
                                   "updateFrequency": 90})
    assert (kpi.formula, kpi.ref, kpi.refresh_s, kpi.unit) == ("count", EventRef("event", "coupon_applied"), 90, "")
    p95 = KpiDefinition.from_json({"name": "LCP", "calculation": "p95", "event": {"source": "page_load"},
                                   "metric": "lcp", "unit": "ms", "target": 2500})
    assert (p95.formula, p95.quantile, p95.field, p95.higher_is_better) == ("percentile", 0.95, "lcp", False)
    assert p95.measures() == (Measure(EventRef("page_load"), "p95", "lcp"),)
    errors = KpiDefinition.from_json({"name": "Error sessions", "calculation": "errorRate", "target": 1})
    assert (errors.formula, errors.unit, errors.higher_is_better, errors.measures()) == ("error_rate", "%", False, ())


def test_lookouts_own_shape_round_trips() -> None:
    kpis = [
        KpiDefinition(name="Revenue", formula="sum", ref=PURCHASE, field="value", unit="CNY", target=10_000,
                      warning=8000, critical=5000, refresh_s=600, id=4),
        KpiDefinition(name="Users", formula="unique_users", ref=EventRef("page_view"), project="shop"),
        KpiDefinition(name="Errors", formula="error_rate", unit="%", target=2, higher_is_better=False, warning=5),
        KpiDefinition(name="Median checkout", formula="percentile", ref=EventRef("transaction", "checkout.submit"),
                      field="duration_ms", quantile=0.5, higher_is_better=False),
    ]
    for kpi in kpis:
        assert KpiDefinition.from_json(kpi.to_json()) == kpi
    assert "id" not in kpis[1].to_json() and kpis[0].to_json()["id"] == 4


def test_direction_is_inferred_from_the_target_and_thresholds() -> None:
    lower = KpiDefinition.from_json({"name": "Crashes", "event": {"source": "error"}, "target": 5,
                                     "thresholds": {"warning": 10, "critical": 20}})
    assert lower.higher_is_better is False
    higher = KpiDefinition.from_json({"name": "Signups", "event": "signup", "target": 50,
                                      "thresholds": {"warning": 30}})
    assert higher.higher_is_better is True
    assert KpiDefinition.from_json({"name": "Views", "event": {"source": "page_view"}}).higher_is_better


@pytest.mark.parametrize(("data", "reason"), [
    ([], "a KPI must be an object"),
    ({"formula": "count"}, "a KPI needs a 'name'"),
    ({"name": " ", "event": "x"}, "'name' must not be empty"),
    ({"name": "k", "formula": "median", "event": "x"}, "unknown formula 'median'; use one of count, unique_users"),
    ({"name": "k", "formula": "count"}, "count needs 'ref'"),
    ({"name": "k", "formula": "rate", "event": "x"}, "rate needs 'denominator'"),
    ({"name": "k", "formula": "rate", "event": "x", "denominator": "y", "per": "sessions"}, "'rate_of' must be one of"),
    ({"name": "k", "formula": "error_rate", "event": "x"}, "error_rate is the share of sessions"),
    ({"name": "k", "formula": "sum", "event": {"source": "page_view"}, "field": "lcp"},
     "sum needs 'field', a number of page_view"),
    ({"name": "k", "formula": "percentile", "event": {"source": "page_load"}, "field": "lcp", "quantile": 0.8},
     "percentile needs 'quantile', one of 0.5, 0.75, 0.9, 0.95, 0.99"),
    ({"name": "k", "event": {"source": "nope"}}, "'ref': unknown source 'nope'"),
    ({"name": "k", "event": "x", "tagret": 3}, "unknown field 'tagret'"),
    ({"name": "k", "event": "x", "target": "high"}, "'target' must be a finite number"),
    ({"name": "k", "event": "x", "thresholds": [1, 2]}, "'thresholds' must be an object"),
    ({"name": "k", "event": "x", "updateFrequency": "soon"}, "'updateFrequency' 'soon' is not a duration"),
    ({"name": "k", "event": "x", "formula": "count", "calculation": "count"}, "'formula' is given twice"),
    ({"name": "k", "event": "x", "target": 10, "higherIsBetter": True, "thresholds": {"warning": 12}},
     "with higher values better, 'warning' (12) must not be above 'target' (10)"),
    ({"name": "k", "event": "x", "higher_is_better": False, "thresholds": {"warning": 12, "critical": 5}},
     "with lower values better, 'critical' (5) must not be below 'warning' (12)"),
])
def test_bad_definitions_say_why(data: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        KpiDefinition.from_json(data)


def test_durations() -> None:
    assert [parse_duration_s(v) for v in (30, "30", "30s", "5m", "1.5h", "7d", 0.2)] == [30, 30, 30, 300, 5400,
                                                                                         604800, 1]
    with pytest.raises(ValueError, match="positive"):
        parse_duration_s(0)


CONVERSION = KpiDefinition(name="Conversion", formula="rate", ref=PURCHASE, denominator=CART, unit="%", target=3.5,
                           warning=3.0, critical=2.0)
LCP = KpiDefinition(name="LCP p75", formula="percentile", ref=EventRef("page_load"), field="lcp", quantile=0.75,
                    unit="ms", target=2500, higher_is_better=False, warning=3000, critical=4000)


@pytest.mark.parametrize(("kpi", "value", "status", "level"), [
    (CONVERSION, 4.0, "on target", "ok"),
    (CONVERSION, 3.5, "on target", "ok"),       # the target itself is on target
    (CONVERSION, 3.2, "below target", "ok"),
    (CONVERSION, 3.0, "below target", "warning"),  # reaching a threshold is the level
    (CONVERSION, 1.0, "below target", "critical"),
    (LCP, 2000.0, "on target", "ok"),
    (LCP, 2800.0, "above target", "ok"),
    (LCP, 3500.0, "above target", "warning"),
    (LCP, 4000.0, "above target", "critical"),
    (LCP, None, "no data", None),
    (KpiDefinition(name="Views", ref=CART), 12.0, "no target", None),
    (KpiDefinition(name="Views", ref=CART, target=10), 12.0, "on target", None),
])
def test_judge_status_and_level(kpi: KpiDefinition, value: float | None, status: str, level: str | None) -> None:
    found = judge(kpi, value, None)
    assert (found.status, found.level, found.on_target) == (status, level, status == "on target")


def test_judge_change_against_the_previous_period() -> None:
    found = judge(CONVERSION, 3.0, 2.4, sample=120)
    assert found.change == pytest.approx(25.0) and found.delta == pytest.approx(0.6) and found.sample == 120
    assert judge(CONVERSION, 2.4, 3.0).change == pytest.approx(-20.0)
    assert (judge(CONVERSION, 0.0, 0.0).change, judge(CONVERSION, 3.0, 0.0).change) == (0.0, None)
    assert (judge(CONVERSION, 3.0, None).change, judge(CONVERSION, None, 3.0).delta) == (None, None)


def test_formatting() -> None:
    assert [format_kpi_value(v, u) for v, u in ((1234.0, ""), (3.5238, "%"), (2140.0, "ms"), (None, "%"),
                                                (45.25, "CNY"), (0.004, ""), (44671.9, "USD"), (5000.0, "¥"),
                                                (12.5, "ABCD"))] == [
        "1,234", "3.52 %", "2,140 ms", "—", "45.25 CNY", "0.004", "44,671.90 USD", "5,000.00 ¥", "12.5 ABCD"]
    assert [format_change(c) for c in (12.54, -3.0, 0.0, None)] == ["+12.5 %", "−3.0 %", "0 %", "—"]


def test_a_chart_draws_a_count_as_its_running_total_and_users_without_a_target() -> None:
    views = KpiDefinition(name="Views", formula="count", ref=CART, target=8)
    drawn, with_target = chart_line(views, [2.0, float("nan"), 3.0])
    assert drawn.tolist() == [2.0, 2.0, 5.0] and with_target
    users = KpiDefinition(name="Visitors", formula="unique_users", ref=CART, target=5)
    assert chart_line(users, [2.0, 3.0])[0].tolist() == [2.0, 3.0] and not chart_line(users, [2.0])[1]
    assert chart_line(CONVERSION, [1.5, 4.0])[0].tolist() == [1.5, 4.0] and chart_line(CONVERSION, [1.0])[1]
