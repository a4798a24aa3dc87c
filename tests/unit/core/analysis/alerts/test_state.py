"""The alert state machine with a fake clock: pending, for, keep-firing, cooldown, recovery,
no data, minimum sample, acknowledge, silence, resolve by hand, and a restart."""

from __future__ import annotations

from dataclasses import replace

from console.core.analysis.alerts.measure import Measurement
from console.core.analysis.alerts.rules import AlertRule, Comparison, Metric, Severity
from console.core.analysis.alerts.state import (
    AlertState,
    RuleState,
    Transition,
    acknowledge,
    resolve_by_hand,
    silence,
    step,
)

T0 = 1_800_000_000_000
S = 1000
N, P, F, R, ND, E = (AlertState.NORMAL, AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED,
                     AlertState.NO_DATA, AlertState.ERROR)

RULE = AlertRule(id=1, name="LCP poor", metric=Metric.VITAL_P75, vital="lcp", comparison=Comparison.ABOVE,
                 threshold=4000.0, severity=Severity.CRITICAL, cooldown_s=300)


class Clock:
    """Feeds values to one rule every 15 s (or at given times) and keeps every transition."""

    def __init__(self, rule: AlertRule, state: RuleState | None = None, *, at: int = T0) -> None:
        self.rule, self.state, self.now = rule, state or RuleState(since_ms=at), at
        self.transitions: list[Transition] = []

    def feed(self, value: float | None | Exception, *, sample: int = 100, previous: float | None = None,
             after_s: int = 15) -> list[Transition]:
        self.now += after_s * S
        measured = value if isinstance(value, Exception) else Measurement(value, sample, previous=previous)
        self.state, moved = step(self.rule, self.state, measured, now_ms=self.now)
        self.transitions.extend(moved)
        return moved

    def path(self) -> list[tuple[AlertState, AlertState, bool]]:
        return [(t.from_state, t.to_state, t.notify) for t in self.transitions]


def test_a_breach_fires_at_once_without_for_and_notifies_once() -> None:
    clock = Clock(RULE)
    clock.feed(3000)
    assert clock.transitions == []
    [fired] = clock.feed(4500)
    assert (fired.from_state, fired.to_state, fired.notify, fired.reason) == (N, F, True, "breach")
    assert fired.value == 4500 and fired.threshold == 4000 and fired.at_ms == T0 + 30 * S
    assert fired.severity == Severity.CRITICAL and fired.rule_id == 1
    clock.feed(4600)
    clock.feed(4700)
    assert len(clock.transitions) == 1  # still firing: no new transition
    assert clock.state.state == F and clock.state.last_notified_ms == T0 + 30 * S


def test_for_keeps_a_breach_pending_until_it_has_lasted() -> None:
    clock = Clock(replace(RULE, for_s=60))
    [pending] = clock.feed(4500)  # t=15 s: breach begins
    assert (pending.to_state, pending.notify) == (P, False)
    for _ in range(3):  # 30, 45, 60 s: 45 s into the breach
        clock.feed(4500)
    assert clock.state.state == P
    [fired] = clock.feed(4500)  # 75 s: it has lasted 60 s
    assert (fired.from_state, fired.to_state, fired.notify, fired.reason) == (P, F, True, "breach for 1 min")


def test_a_breach_that_ends_before_for_goes_back_to_normal_without_notifying() -> None:
    clock = Clock(replace(RULE, for_s=300))
    clock.feed(4500)
    clock.feed(4500)
    clock.feed(3000)
    assert clock.path() == [(N, P, False), (P, N, False)]
    assert clock.transitions[-1].reason == "breach ended before it lasted 5 min"
    clock.feed(4500)  # a new breach counts from its own start
    assert clock.state.state == P and clock.state.breach_since_ms == clock.now


def test_recovery_resolves_then_the_next_calm_evaluation_is_normal() -> None:
    clock = Clock(RULE)
    clock.feed(4500)
    clock.feed(3000)
    clock.feed(3000)
    assert clock.path() == [(N, F, True), (F, R, False), (R, N, False)]
    assert clock.transitions[1].reason == "recovered (past 4.00 s)"


def test_keep_firing_holds_the_alert_after_the_breach_ends() -> None:
    clock = Clock(replace(RULE, keep_firing_for_s=60))
    clock.feed(4500)  # 15 s: fires; last breach at 15 s
    for _ in range(3):  # 30, 45, 60 s: calm, but within 60 s of the last breach
        clock.feed(3000)
    assert clock.state.state == F
    [resolved] = clock.feed(3000)  # 75 s: 60 s after the last breach
    assert (resolved.from_state, resolved.to_state) == (F, R)


def test_keep_firing_restarts_when_the_breach_returns() -> None:
    clock = Clock(replace(RULE, keep_firing_for_s=30))
    clock.feed(4500)
    clock.feed(3000)
    clock.feed(4500)  # back within keep-firing: still the same alert
    clock.feed(3000)
    assert clock.state.state == F
    clock.feed(3000)
    assert clock.path() == [(N, F, True), (F, R, False)]


def test_a_recovery_threshold_holds_firing_until_the_value_is_back_past_it() -> None:
    clock = Clock(replace(RULE, recovery_threshold=3000.0))
    clock.feed(4500)
    clock.feed(3500)  # under the threshold, above the recovery threshold: still firing
    assert clock.state.state == F
    [resolved] = clock.feed(2900)
    assert resolved.to_state == R and resolved.reason == "recovered (past 3.00 s)"
    clock.feed(3500)  # not firing now: the threshold itself decides again
    assert clock.state.state == N


def test_below_rules_fire_under_the_threshold() -> None:
    clock = Clock(replace(RULE, comparison=Comparison.BELOW, threshold=10.0, recovery_threshold=20.0))
    clock.feed(15)
    assert clock.state.state == N
    clock.feed(5)
    clock.feed(15)
    assert clock.state.state == F
    clock.feed(25)
    assert clock.path() == [(N, F, True), (F, R, False)]


def test_the_cooldown_limits_notifications_of_one_rule() -> None:
    clock = Clock(RULE)  # cooldown 300 s
    clock.feed(4500)  # 15 s: fires, notified
    clock.feed(3000)
    clock.feed(3000)
    clock.feed(4500)  # 60 s: fires again within the cooldown: stored, not notified
    assert clock.path()[-1] == (N, F, False)
    clock.feed(3000, after_s=150)
    clock.feed(3000)
    clock.feed(4500, after_s=150)  # 375 s: 360 s after the notification
    assert clock.path()[-1] == (N, F, True)
    assert [t.at_ms - T0 for t in clock.transitions if t.notify] == [15 * S, 375 * S]


def test_no_value_or_too_small_a_sample_is_no_data_never_a_verdict() -> None:
    clock = Clock(replace(RULE, min_sample=20))
    [nodata] = clock.feed(9000, sample=3)
    assert (nodata.to_state, nodata.notify, nodata.reason) == (ND, False, "no data")
    assert "under the minimum sample of 20" in nodata.detail
    clock.feed(9000, sample=19)
    clock.feed(None, sample=0)
    assert len(clock.transitions) == 1 and clock.state.state == ND
    clock.feed(9000, sample=20)  # enough loads: a verdict
    assert clock.path() == [(N, ND, False), (ND, F, True)]
    clock.feed(None, sample=0)
    clock.feed(3000)
    assert clock.path()[2:] == [(F, ND, False), (ND, N, False)]


def test_a_measurement_that_raises_is_an_error_state() -> None:
    clock = Clock(replace(RULE, metric=Metric.KPI, vital=None, kpi="revenue"))
    [error] = clock.feed(RuntimeError("KPIs arrive with issue 9"))
    assert (error.to_state, error.reason, error.detail) == (E, "error: KPIs arrive with issue 9", "KPIs arrive with issue 9")
    clock.feed(RuntimeError("KPIs arrive with issue 9"))
    assert len(clock.transitions) == 1 and clock.state.detail == "KPIs arrive with issue 9"


def test_change_above_compares_with_the_previous_window_in_per_cent() -> None:
    spike = AlertRule(id=2, name="Error spike", metric=Metric.ERROR_COUNT, comparison=Comparison.CHANGE_ABOVE,
                      threshold=100.0, min_sample=10)
    clock = Clock(spike)
    clock.feed(19, sample=19, previous=10)  # +90 %
    assert clock.state.state == N and clock.state.value == 90.0
    [fired] = clock.feed(25, sample=25, previous=12)  # +108 %
    assert fired.to_state == F and round(fired.value or 0, 1) == 108.3
    clock.feed(12, sample=12, previous=25)  # -52 %
    assert clock.state.state == R
    clock.feed(30, sample=30, previous=0)  # from nothing to 30: an infinite rise
    assert clock.state.state == F
    clock.feed(30, sample=30, previous=None)  # no previous window at all: nothing to compare
    assert clock.state.state == ND


def test_change_below_uses_a_signed_threshold() -> None:
    drop = AlertRule(id=3, name="Traffic drop", metric=Metric.EVENT_COUNT, comparison=Comparison.CHANGE_BELOW,
                     threshold=-50.0)
    clock = Clock(drop)
    clock.feed(60, previous=100)  # -40 %
    assert clock.state.state == N
    clock.feed(40, previous=100)  # -60 %
    assert clock.state.state == F


def test_acknowledged_alerts_do_not_notify_again_until_they_resolve() -> None:
    clock = Clock(replace(RULE, cooldown_s=0))
    clock.feed(4500)
    clock.state = acknowledge(clock.state)
    assert clock.state.acknowledged
    clock.feed(None, sample=0)  # data pauses: still the same acknowledged alert
    clock.feed(4500)
    assert clock.path() == [(N, F, True), (F, ND, False), (ND, F, False)]
    clock.feed(3000)  # resolves: the acknowledgement ends with it
    assert clock.state.state == R and not clock.state.acknowledged
    clock.feed(4500)
    assert clock.path()[-1] == (R, F, True)


def test_acknowledging_a_calm_rule_changes_nothing() -> None:
    state = RuleState()
    assert acknowledge(state) is state


def test_silenced_rules_track_state_without_notifying_until_the_silence_ends() -> None:
    clock = Clock(replace(RULE, cooldown_s=0))
    clock.state = silence(clock.state, until_ms=T0 + 60 * S)
    clock.feed(4500)  # 15 s
    clock.feed(3000)
    clock.feed(3000)
    assert clock.path() == [(N, F, False), (F, R, False), (R, N, False)]
    clock.feed(4500)  # 60 s: the silence has ended
    assert clock.path()[-1] == (N, F, True)


def test_resolve_by_hand_fires_again_only_after_a_new_breach_starts() -> None:
    clock = Clock(RULE)
    clock.feed(4500)
    clock.now += 5 * S
    clock.state, [by_hand] = resolve_by_hand(RULE, clock.state, now_ms=clock.now)
    assert (by_hand.from_state, by_hand.to_state, by_hand.notify, by_hand.reason) == (F, R, False, "by hand")
    clock.transitions.append(by_hand)
    clock.feed(4500)  # the same breach goes on: stays resolved
    clock.feed(4800)
    assert clock.state.state == R and len(clock.transitions) == 2
    clock.feed(3000)  # the breach ends
    assert clock.state.state == N
    clock.feed(4500, after_s=300)  # a new breach (past the cooldown): fires and notifies
    assert clock.path() == [(N, F, True), (F, R, False), (R, N, False), (N, F, True)]


def test_resolving_a_calm_rule_by_hand_does_nothing() -> None:
    state = RuleState()
    assert resolve_by_hand(RULE, state, now_ms=T0) == (state, [])


def test_a_restart_carries_on_without_renotifying() -> None:
    clock = Clock(RULE)
    clock.feed(4500)
    saved = RuleState.from_json(clock.state.to_json())  # what the store keeps
    assert saved == clock.state
    restarted = Clock(RULE, saved, at=clock.now)
    restarted.feed(4600)
    restarted.feed(4700)
    assert restarted.transitions == [] and restarted.state.state == F


def test_a_disabled_rule_goes_back_to_normal() -> None:
    clock = Clock(RULE)
    clock.feed(4500)
    clock.rule = replace(RULE, enabled=False)
    [calm] = clock.feed(4500)
    assert (calm.from_state, calm.to_state, calm.reason) == (F, N, "rule disabled")
    assert clock.feed(4500) == []
