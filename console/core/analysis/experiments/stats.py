"""The statistics of an A/B test: rates, lifts with their intervals, p-values, and guard rails.

No statistics library: the normal distribution comes from :func:`math.erf`, the chi-square
test from :mod:`console.core.analysis.alerts.srm`. Every interval is 95 % (z = 1.959964).

Formulas, with a control of ``n_c`` users of whom ``x_c`` converted (``p_c = x_c / n_c``) and a
variant likewise (``p_v``), and ``V_c = p_c (1 - p_c) / n_c``, ``V_v = p_v (1 - p_v) / n_v``:

* a rate's interval is Wilson's score interval (sound near 0 % and with few users);
* the absolute lift is ``p_v - p_c`` ± z ``sqrt(V_c + V_v)`` (unpooled, Wald);
* the relative lift is ``r = p_v / p_c - 1`` ± z ``s_r``, its standard error by the delta
  method: ``s_r² = V_v / p_c² + p_v² V_c / p_c⁴`` (as GrowthBook's frequentist engine);
* the two-sided p-value is ``2 (1 - Φ(|r| / s_r))``, the test that goes with that interval
  (so the interval excludes 0 exactly when p < 0.05); with a control rate of 0 the absolute
  lift's z is used;
* the chance to beat control is ``P(θ_v > θ_c)`` for the Beta(1 + x, 1 + n - x) posteriors
  (uniform priors), in closed form by their normal approximation:
  ``Φ((μ_v - μ_c) / sqrt(σ_v² + σ_c²))`` with the Betas' means and variances, so it is
  deterministic;
* value goals (revenue) compare the mean value per user, every assigned user counting (0
  when they never converted): the same formulas with each arm's mean ``m`` and ``var / n``
  for ``V``; their chance to beat control is ``Φ((m_v - m_c) / sqrt(V_c + V_v))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from console.core.analysis.alerts.srm import srm_p_value

__all__ = [
    "DEFAULT_TAU",
    "MIN_CONVERSIONS",
    "MIN_CONVERSIONS_PER_VARIANT",
    "SRM_MIN_USERS",
    "SRM_THRESHOLD",
    "Z95",
    "Lift",
    "Proportion",
    "SrmCheck",
    "lift",
    "mean_lift",
    "mean_lift_from_moments",
    "normal_cdf",
    "proportion",
    "required_conversions",
    "sequential_interval",
    "srm",
]

#: The two-sided 95 % quantile of the standard normal.
Z95 = 1.959963984540054
#: A sample-ratio mismatch warns below this p-value ...
SRM_THRESHOLD = 0.001
#: ... and is only tested once every variant has this many users.
SRM_MIN_USERS = 8
#: The minimum sample before any verdict (see :func:`required_conversions`).
MIN_CONVERSIONS = 150
MIN_CONVERSIONS_PER_VARIANT = 50
#: The sequential interval's mixing scale: the size of relative lift one expects (10 %).
DEFAULT_TAU = 0.1


def normal_cdf(x: float) -> float:
    """Φ(x), the standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _two_sided(z: float) -> float:
    """The two-sided p-value of a z statistic: ``erfc(|z| / sqrt 2)`` (exact in the tails)."""
    return math.erfc(abs(z) / math.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class Proportion:
    """How many of an arm's users converted, with the rate's 95 % Wilson interval."""

    users: int
    conversions: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class Lift:
    """A variant against control: absolute and relative lift with their 95 % intervals.

    ``relative`` is a fraction (0.12 is +12 %). What cannot be computed (a relative lift over
    a control rate of 0, anything with an empty arm) is NaN.
    """

    absolute: float
    absolute_low: float
    absolute_high: float
    relative: float
    relative_low: float
    relative_high: float
    p_value: float
    chance_to_beat: float


@dataclass(frozen=True, slots=True)
class SrmCheck:
    """The sample-ratio test: whether the users split as the weights say.

    ``enough`` is whether every variant has :data:`SRM_MIN_USERS` users (below that the test
    is not run: ``p_value`` is 1); ``warn`` is ``enough and p_value < 0.001``.
    """

    p_value: float
    expected: tuple[float, ...]
    observed: tuple[int, ...]
    warn: bool
    enough: bool


_NAN = math.nan
_UNDEFINED = Lift(_NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)


def proportion(users: int, conversions: int) -> Proportion:
    """The conversion rate of an arm and its 95 % Wilson score interval.

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``; with no users the rate is 0 and
    the interval the whole of [0, 1].
    """
    if users < 0 or conversions < 0 or conversions > users:
        raise ValueError(f"{conversions} conversions of {users} users")
    if users == 0:
        return Proportion(0, 0, 0.0, 0.0, 1.0)
    p = conversions / users
    z2 = Z95 * Z95
    centre = p + z2 / (2 * users)
    spread = Z95 * math.sqrt(p * (1 - p) / users + z2 / (4 * users * users))
    scale = 1 + z2 / users
    return Proportion(users, conversions, p, max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale))


def _lift_from(
    mean_c: float, var_c: float, mean_v: float, var_v: float, chance: float
) -> Lift:
    """A :class:`Lift` from two means and their estimator variances (``V``), by the delta method."""
    absolute = mean_v - mean_c
    se_abs = math.sqrt(var_c + var_v)
    if mean_c > 0:
        relative = mean_v / mean_c - 1
        se_rel = math.sqrt(var_v / mean_c**2 + mean_v**2 * var_c / mean_c**4)
        rel_low, rel_high = relative - Z95 * se_rel, relative + Z95 * se_rel
        z = relative / se_rel if se_rel > 0 else (0.0 if relative == 0 else math.copysign(math.inf, relative))
    else:
        relative = rel_low = rel_high = _NAN
        z = absolute / se_abs if se_abs > 0 else (0.0 if absolute == 0 else math.copysign(math.inf, absolute))
    return Lift(
        absolute, absolute - Z95 * se_abs, absolute + Z95 * se_abs,
        relative, rel_low, rel_high, _two_sided(z), chance,
    )


def _beta_chance(control: Proportion, variant: Proportion) -> float:
    """P(θ_v > θ_c) for Beta(1 + x, 1 + n - x) posteriors, by their normal approximation."""

    def moments(arm: Proportion) -> tuple[float, float]:
        a, b = 1 + arm.conversions, 1 + arm.users - arm.conversions
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))

    mean_c, var_c = moments(control)
    mean_v, var_v = moments(variant)
    return normal_cdf((mean_v - mean_c) / math.sqrt(var_c + var_v))


def lift(control: Proportion, variant: Proportion) -> Lift:
    """The variant's lift over control on a conversion goal (formulas in the module docstring)."""
    if control.users == 0 or variant.users == 0:
        return _UNDEFINED
    p_c, p_v = control.rate, variant.rate
    return _lift_from(
        p_c, p_c * (1 - p_c) / control.users, p_v, p_v * (1 - p_v) / variant.users,
        _beta_chance(control, variant),
    )


def mean_lift(
    control_values: Sequence[float] | npt.NDArray[np.float64],
    variant_values: Sequence[float] | npt.NDArray[np.float64],
) -> Lift:
    """The lift in mean value per user (one value per assigned user, 0 for those who never converted).

    The variance of each mean is the sample variance (ddof 1) over n; the chance to beat
    control is ``Φ(Δ / sqrt(V_c + V_v))``, the normal posterior of the difference under a flat prior.
    """
    c = np.asarray(control_values, dtype=np.float64)
    v = np.asarray(variant_values, dtype=np.float64)
    if c.size < 2 or v.size < 2:
        return _UNDEFINED
    return mean_lift_from_moments(
        c.size, float(c.sum()), float(np.square(c).sum()), v.size, float(v.sum()), float(np.square(v).sum())
    )


def mean_lift_from_moments(
    n_c: int, sum_c: float, sum_sq_c: float, n_v: int, sum_v: float, sum_sq_v: float
) -> Lift:
    """:func:`mean_lift` from each arm's count, sum and sum of squares (zeros included)."""
    if n_c < 2 or n_v < 2:
        return _UNDEFINED
    mean_c, mean_v = sum_c / n_c, sum_v / n_v
    var_c = max(0.0, (sum_sq_c - n_c * mean_c**2) / (n_c - 1)) / n_c
    var_v = max(0.0, (sum_sq_v - n_v * mean_v**2) / (n_v - 1)) / n_v
    spread = math.sqrt(var_c + var_v)
    difference = mean_v - mean_c
    chance = normal_cdf(difference / spread) if spread > 0 else (0.5 if difference == 0 else float(difference > 0))
    return _lift_from(mean_c, var_c, mean_v, var_v, chance)


def srm(counts: Sequence[int], weights: Sequence[float]) -> SrmCheck:
    """The chi-square goodness-of-fit test of users per variant against the weights.

    ``χ² = Σ (O_i - E_i)² / E_i`` with ``E_i = N w_i / Σw`` on ``k - 1`` degrees of freedom;
    run only when every variant has at least :data:`SRM_MIN_USERS` users, warning at
    p < :data:`SRM_THRESHOLD`. Variants of weight 0 are left out of the test.
    """
    if len(counts) != len(weights):
        raise ValueError("one weight per variant")
    total = sum(counts)
    weight_sum = sum(w for w in weights if w > 0)
    expected = tuple(total * w / weight_sum if weight_sum > 0 and w > 0 else 0.0 for w in weights)
    tested = [(c, w) for c, w in zip(counts, weights, strict=True) if w > 0]
    enough = len(tested) >= 2 and all(c >= SRM_MIN_USERS for c, _ in tested)
    if not enough:
        return SrmCheck(1.0, expected, tuple(counts), False, False)
    p_value = srm_p_value([c for c, _ in tested], [w for _, w in tested])
    return SrmCheck(p_value, expected, tuple(counts), p_value < SRM_THRESHOLD, True)


def sequential_interval(
    control: Proportion, variant: Proportion, *, tau: float = DEFAULT_TAU, alpha: float = 0.05
) -> tuple[float, float]:
    """An always-valid 95 % interval for the relative lift: looking at it every day is safe.

    The normal-mixture confidence sequence (the interval of the mixture SPRT, Johari et al.
    2017; Howard et al. 2021) around the relative lift ``r`` with its delta-method variance
    ``V = s_r²`` and a N(0, τ²) mixing distribution: ``r ± sqrt(V (V + τ²) / τ² ·
    (ln((V + τ²) / V) + 2 ln(1 / α)))``. It is wider than the fixed interval and shrinks as
    data arrives; NaNs when the relative lift is undefined.
    """
    if tau <= 0 or not 0 < alpha < 1:
        raise ValueError("tau must be positive and alpha in (0, 1)")
    fixed = lift(control, variant)
    if math.isnan(fixed.relative):
        return (_NAN, _NAN)
    se = (fixed.relative_high - fixed.relative) / Z95
    variance = se * se
    if variance <= 0:
        return (fixed.relative, fixed.relative)
    tau2 = tau * tau
    radius = math.sqrt(variance * (variance + tau2) / tau2 * (math.log((variance + tau2) / variance) + 2 * math.log(1 / alpha)))
    return (fixed.relative - radius, fixed.relative + radius)


def required_conversions(variants: int) -> int:
    """The conversions (all variants together) a goal needs before any verdict.

    ``max(150, 50 × variants)``: 150 for an A/B test, 200 for four variants. Below that the
    intervals are too wide and too unstable for a verdict, whatever they say.
    """
    if variants < 1:
        raise ValueError("an experiment has at least one variant")
    return max(MIN_CONVERSIONS, MIN_CONVERSIONS_PER_VARIANT * variants)
