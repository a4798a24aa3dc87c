"""An experiment's result in one plain sentence, the way a product team would say it.

The order of the checks is the order of trust: a split that does not match the weights
makes every number suspect, so it is said first; then a sample too small for any verdict;
then a winner or loser only when the 95 % interval of the relative lift excludes 0 *and*
the chance to beat control is at least 95 % (or at most 5 %); anything else is "no clear
winner yet".
"""

from __future__ import annotations

import math

from console.core.analysis.experiments.stats import Lift

__all__ = ["CHANCE_TO_CALL", "format_percent", "verdict"]

#: How sure the Bayesian chance must be (either way) for a winner or a loser to be called.
CHANCE_TO_CALL = 0.95


def format_percent(fraction: float, *, signed: bool = True) -> str:
    """``0.1234`` → ``+12%``; below 1 % one decimal (``+0.4%``); NaN → ``n/a``."""
    if math.isnan(fraction):
        return "n/a"
    value = fraction * 100
    digits = 0 if abs(value) >= 1 else 1
    text = f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"
    return text.replace("+0.0%", "0.0%").replace("-0.0%", "0.0%")


def _chance(lift: Lift) -> str:
    # One decimal, but never "100.0%" or "0.0%" for what is only nearly sure.
    value = min(99.9, max(0.1, lift.chance_to_beat * 100))
    return f"{value:.1f}%"


def _numbers(lift: Lift) -> str:
    if math.isnan(lift.relative):
        interval = f"{format_percent(lift.absolute)} points (95% CI {format_percent(lift.absolute_low)} … " \
                   f"{format_percent(lift.absolute_high)})"
    else:
        interval = f"{format_percent(lift.relative)} (95% CI {format_percent(lift.relative_low)} … " \
                   f"{format_percent(lift.relative_high)})"
    return f"{interval}, chance to beat control {_chance(lift)}"


def verdict(goal: str, variant: str, lift: Lift, *, conversions: int, needed: int, srm_warn: bool) -> str:
    """The sentence for ``variant`` against control on ``goal``.

    For example ``"orange wins on purchase: +12% (95% CI +4% … +20%), chance to beat control
    99.6%"``, ``"not enough data yet: 43 of 150 conversions needed"``, ``"no clear winner on
    purchase yet: orange +3% (95% CI -5% … +11%), chance to beat control 74.0%"``.
    """
    if srm_warn:
        return (f"sample ratio mismatch: users are not split as the weights say, so the results on {goal} "
                "cannot be trusted until the cause is found")
    if conversions < needed:
        return f"not enough data yet: {conversions} of {needed} conversions needed"
    if math.isnan(lift.p_value):
        return f"no result on {goal} yet: {variant} or control has no users"
    if math.isnan(lift.relative):
        low, high = lift.absolute_low, lift.absolute_high
    else:
        low, high = lift.relative_low, lift.relative_high
    if low > 0 and lift.chance_to_beat >= CHANCE_TO_CALL:
        return f"{variant} wins on {goal}: {_numbers(lift)}"
    if high < 0 and lift.chance_to_beat <= 1 - CHANCE_TO_CALL:
        return f"{variant} loses on {goal}: {_numbers(lift)}"
    return f"no clear winner on {goal} yet: {variant} {_numbers(lift)}"
