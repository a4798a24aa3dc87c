"""The verdict in words: SRM first, then the minimum sample, then a winner only when sure."""

from __future__ import annotations

from console.core.analysis.experiments.stats import Lift, lift, proportion
from console.core.analysis.experiments.verdict import format_percent, verdict

WINNER = Lift(0.012, 0.004, 0.020, 0.12, 0.04, 0.20, 0.003, 0.996)


def test_a_winner_in_the_briefs_words() -> None:
    assert verdict("purchase", "orange", WINNER, conversions=900, needed=150, srm_warn=False) == (
        "orange wins on purchase: +12% (95% CI +4% … +20%), chance to beat control 99.6%"
    )


def test_not_enough_data() -> None:
    assert verdict("purchase", "orange", WINNER, conversions=43, needed=150, srm_warn=False) == (
        "not enough data yet: 43 of 150 conversions needed"
    )


def test_srm_warns_before_anything_else() -> None:
    said = verdict("purchase", "orange", WINNER, conversions=43, needed=150, srm_warn=True)
    assert said.startswith("sample ratio mismatch") and "purchase" in said


def test_no_clear_winner_and_a_loser() -> None:
    unclear = lift(proportion(1000, 100), proportion(1000, 120))
    assert verdict("purchase", "orange", unclear, conversions=220, needed=150, srm_warn=False) == (
        "no clear winner on purchase yet: orange +20% (95% CI -10% … +50%), chance to beat control 92.3%"
    )
    loser = lift(proportion(20_000, 2300), proportion(20_000, 2000))
    assert verdict("purchase", "orange", loser, conversions=4300, needed=150, srm_warn=False).startswith(
        "orange loses on purchase: -13%"
    )


def test_format_percent() -> None:
    assert format_percent(0.1234) == "+12%"
    assert format_percent(-0.004) == "-0.4%"
    assert format_percent(0.0) == "0.0%"
    assert format_percent(float("nan")) == "n/a"
