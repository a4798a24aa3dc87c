"""Alert rules as JSON: a round trip of every field, refusals with clear reasons, descriptions."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from console.core.analysis.alerts.rules import (
    DEFAULT_RULES,
    AlertRule,
    Comparison,
    Metric,
    RuleFilters,
    Severity,
)


def full_rule() -> AlertRule:
    return AlertRule(
        id=7, name="Cart LCP", metric=Metric.VITAL_P95, comparison=Comparison.ABOVE, threshold=4000.0,
        vital="lcp", filters=RuleFilters(project="shop", page="pages/cart/cart", release="2.3.1"),
        window_s=600, for_s=120, keep_firing_for_s=60, recovery_threshold=3500.0, min_sample=25,
        severity=Severity.CRITICAL, cooldown_s=900, channels=("tray", "sound"), enabled=False,
    )


def test_every_field_survives_a_json_round_trip() -> None:
    rule = full_rule()
    data = orjson.loads(orjson.dumps(rule.to_json()))  # plain JSON types only
    assert data["metric"] == "vital_p95" and data["severity"] == "critical" and data["channels"] == ["tray", "sound"]
    assert data["filters"] == {"project": "shop", "page": "pages/cart/cart", "release": "2.3.1"}
    assert AlertRule.from_json(data) == rule
    for default in DEFAULT_RULES:
        assert AlertRule.from_json(orjson.loads(orjson.dumps(default.to_json()))) == default


def test_the_defaults_fill_what_a_minimal_rule_leaves_out() -> None:
    rule = AlertRule.from_json({"name": "Errors", "metric": "error_count", "comparison": "above", "threshold": 5})
    assert rule == AlertRule(name="Errors", metric=Metric.ERROR_COUNT, comparison=Comparison.ABOVE, threshold=5.0)
    assert rule.window_s == 300 and rule.cooldown_s == 300 and rule.channels == ("tray", "banner", "log", "webhook")
    assert isinstance(rule.threshold, float)


BASE: dict[str, Any] = {"name": "r", "metric": "error_count", "comparison": "above", "threshold": 1}


@pytest.mark.parametrize(("change", "reason"), [
    ({"metric": "p99"}, "'metric' must be one of vital_p75, vital_p95"),
    ({"comparison": "equals"}, "'comparison' must be one of above, below, change_above, change_below"),
    ({"threshold": "high"}, "'threshold' must be a finite number"),
    ({"threshold": True}, "'threshold' must be a finite number"),
    ({"name": "  "}, "'name' must be a non-empty string"),
    ({"colour": "red"}, "unknown field(s) colour"),
    ({"metric": "vital_p75"}, "'vital_p75' needs 'vital', one of lcp, inp, cls"),
    ({"metric": "vital_p75", "vital": "speed"}, "got 'speed'"),
    ({"vital": "lcp"}, "'vital' is for vital_p75 and vital_p95, not error_count"),
    ({"metric": "event_count", "kind": "tweet"}, "'kind' must be one of transaction, page_load"),
    ({"metric": "experiment_srm"}, "'experiment_srm' needs 'experiment'"),
    ({"metric": "kpi"}, "'kpi' needs 'kpi'"),
    ({"window_s": 0}, "'window_s' must be between 1 and"),
    ({"window_s": 300.5}, "'window_s' must be an integer"),
    ({"for_s": -1}, "'for_s' must be between 0 and"),
    ({"min_sample": "ten"}, "'min_sample' must be an integer"),
    ({"severity": "fatal"}, "'severity' must be one of info, warning, critical"),
    ({"channels": ["pager"]}, "unknown channel 'pager'"),
    ({"channels": "tray"}, "'channels' must be an array"),
    ({"channels": ["tray", "tray"]}, "names a channel twice"),
    ({"filters": {"host": "x"}}, "unknown filter(s) host"),
    ({"filters": {"page": 3}}, "filter 'page' must be a non-empty string"),
    ({"recovery_threshold": 2}, "must not be above the threshold"),
    ({"comparison": "below", "recovery_threshold": 0}, "must not be below the threshold"),
    ({"enabled": "yes"}, "'enabled' must be true or false"),
])
def test_bad_rules_are_refused_with_the_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        AlertRule.from_json({**BASE, **change})
    assert reason in str(caught.value)


def test_a_rule_needs_its_four_fields_and_an_object() -> None:
    with pytest.raises(ValueError, match="needs metric, threshold"):
        AlertRule.from_json({"name": "r", "comparison": "above"})
    with pytest.raises(ValueError, match="must be a JSON object"):
        AlertRule.from_json([1, 2])  # type: ignore[arg-type]


def test_descriptions_read_as_a_sentence() -> None:
    assert DEFAULT_RULES[0].describe() == "LCP p75 above 4.00 s for 5 min"
    assert DEFAULT_RULES[1].describe() == "Errors change above +100 % against the previous 5 min"
    assert DEFAULT_RULES[2].describe() == "New issues above 0"
    cart = AlertRule(name="c", metric=Metric.VITAL_P75, vital="lcp", comparison=Comparison.ABOVE, threshold=4000,
                     for_s=300, filters=RuleFilters(page="pages/cart/cart"))
    assert cart.describe() == "LCP p75 above 4.00 s for 5 min (pages/cart/cart)"
    cls = AlertRule(name="c", metric=Metric.VITAL_P95, vital="cls", comparison=Comparison.ABOVE, threshold=0.25)
    assert cls.describe() == "CLS p95 above 0.250"
    tx = AlertRule(name="t", metric=Metric.TRANSACTION_P95, comparison=Comparison.ABOVE, threshold=800,
                   filters=RuleFilters(transaction="checkout.submit", release="2.3.1"))
    assert tx.describe() == "checkout.submit p95 above 800 ms (checkout.submit, 2.3.1)"
    srm = AlertRule(name="s", metric=Metric.EXPERIMENT_SRM, experiment="checkout-color",
                    comparison=Comparison.BELOW, threshold=0.001, window_s=86_400)
    assert srm.describe() == "SRM p-value of checkout-color below 0.001"


def test_the_default_rules_are_what_the_issue_asks_for() -> None:
    lcp, spike, new = DEFAULT_RULES
    assert (lcp.name, lcp.metric, lcp.vital, lcp.threshold, lcp.for_s, lcp.min_sample, lcp.severity) == (
        "LCP p75 is poor", Metric.VITAL_P75, "lcp", 4000.0, 300, 20, Severity.CRITICAL)
    assert (spike.name, spike.metric, spike.comparison, spike.threshold, spike.min_sample, spike.severity) == (
        "Error spike", Metric.ERROR_COUNT, Comparison.CHANGE_ABOVE, 100.0, 10, Severity.WARNING)
    assert (new.name, new.metric, new.comparison, new.threshold, new.severity) == (
        "New issue", Metric.NEW_ISSUE, Comparison.ABOVE, 0.0, Severity.INFO)
