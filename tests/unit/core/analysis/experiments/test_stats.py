"""The statistics against values worked out by hand (and Newcombe's published Wilson interval)."""

from __future__ import annotations

import math

import pytest

from console.core.analysis.experiments.stats import (
    Z95,
    lift,
    mean_lift,
    normal_cdf,
    proportion,
    required_conversions,
    sequential_interval,
    srm,
)


def test_normal_cdf() -> None:
    assert normal_cdf(0) == 0.5
    assert normal_cdf(Z95) == pytest.approx(0.975, abs=1e-12)
    assert normal_cdf(-1.0) == pytest.approx(0.158655253931457, abs=1e-12)


def test_wilson_interval_matches_newcombe() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", 81/263: 0.2553 to 0.3662.
    rate = proportion(263, 81)
    assert rate.rate == pytest.approx(81 / 263)
    assert rate.ci_low == pytest.approx(0.2553, abs=5e-5)
    assert rate.ci_high == pytest.approx(0.3662, abs=5e-5)


def test_an_empty_arm_has_the_whole_interval() -> None:
    assert proportion(0, 0) == proportion(0, 0)
    empty = proportion(0, 0)
    assert (empty.rate, empty.ci_low, empty.ci_high) == (0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        proportion(10, 11)


def test_relative_lift_by_the_delta_method_by_hand() -> None:
    # control 100/1000, variant 120/1000:
    #   V_c = .1 * .9 / 1000 = 9e-5, V_v = .12 * .88 / 1000 = 1.056e-4
    #   absolute .02 ± 1.96 * sqrt(1.956e-4) = .02 ± .027411        -> (-.007411, .047411)
    #   relative .2, s_r² = V_v / .01 + .0144 * V_c / .0001 = .01056 + .01296 = .02352
    #   s_r = .153362, CI .2 ± .300585                             -> (-.100585, .500585)
    #   z = .2 / .153362 = 1.30410, p = 2 (1 - Φ(1.30410)) = .19220
    #   Beta(101, 901) vs Beta(121, 881): means .100798, .120758; variances 9.0367e-5, 1.05858e-4
    #   chance = Φ(.019960 / sqrt(1.96225e-4)) = Φ(1.42490) = .92291
    result = lift(proportion(1000, 100), proportion(1000, 120))
    assert result.absolute == pytest.approx(0.02)
    assert result.absolute_low == pytest.approx(-0.007411, abs=2e-6)
    assert result.absolute_high == pytest.approx(0.047411, abs=2e-6)
    assert result.relative == pytest.approx(0.2)
    assert result.relative_low == pytest.approx(-0.100585, abs=2e-6)
    assert result.relative_high == pytest.approx(0.500585, abs=2e-6)
    assert result.p_value == pytest.approx(0.19220, abs=5e-5)
    assert result.chance_to_beat == pytest.approx(0.92291, abs=5e-5)


def test_a_large_true_lift_is_significant() -> None:
    result = lift(proportion(20_000, 2000), proportion(20_000, 2300))
    assert result.relative == pytest.approx(0.15)
    assert result.relative_low > 0
    assert result.p_value < 0.001
    assert result.chance_to_beat > 0.999


def test_interval_and_p_value_agree() -> None:
    for control, variant in [(100, 125), (100, 128), (100, 130), (200, 170)]:
        result = lift(proportion(1000, control), proportion(1000, variant))
        assert (result.p_value < 0.05) == (result.relative_low > 0 or result.relative_high < 0)


def test_zero_control_rate_leaves_the_relative_lift_undefined() -> None:
    result = lift(proportion(500, 0), proportion(500, 5))
    assert math.isnan(result.relative) and math.isnan(result.relative_low)
    assert result.absolute == pytest.approx(0.01)
    assert 0 < result.p_value < 1
    assert math.isnan(lift(proportion(0, 0), proportion(10, 1)).p_value)


def test_mean_lift_by_hand() -> None:
    # 1000 users a side; control: 100 spent 10 (mean 1, sample var (100*100 - 1000*1)/999 = 9.009009),
    # variant: 120 spent 10 (mean 1.2, var (12000 - 1440)/999 = 10.570571).
    #   V_c = .009009, V_v = .0105706; absolute .2 ± 1.96 sqrt(.0195796) = .2 ± .274252
    #   relative .2, s_r² = V_v / 1 + 1.44 V_c / 1 = .0235435, s_r = .153439; p = 2(1 - Φ(1.30345)) = .19242
    #   chance = Φ(.2 / sqrt(.0195796)) = Φ(1.42932) = .92354
    result = mean_lift([0.0] * 900 + [10.0] * 100, [0.0] * 880 + [10.0] * 120)
    assert result.absolute == pytest.approx(0.2)
    assert result.absolute_low == pytest.approx(0.2 - 0.274252, abs=2e-6)
    assert result.relative == pytest.approx(0.2)
    assert result.relative_high == pytest.approx(0.2 + Z95 * 0.153439, abs=5e-6)
    assert result.p_value == pytest.approx(0.19242, abs=5e-5)
    assert result.chance_to_beat == pytest.approx(0.92354, abs=5e-5)


def test_srm_chi_square_by_hand() -> None:
    # 1000 vs 1100 at 50/50: E = 1050 each, χ² = 2 * 50² / 1050 = 4.7619, 1 df: p = erfc(sqrt(χ²/2)) = .029096
    check = srm([1000, 1100], [50, 50])
    assert check.expected == (1050.0, 1050.0)
    assert check.p_value == pytest.approx(0.029096, abs=1e-6)
    assert check.enough and not check.warn
    # 1000 vs 1200: χ² = 2 * 100² / 1100 = 18.1818, p = 2.0079e-5 < .001: warn.
    loud = srm([1000, 1200], [1, 1])
    assert loud.p_value == pytest.approx(2.0079e-5, rel=1e-3)
    assert loud.warn


def test_srm_against_uneven_weights_by_hand() -> None:
    # 20/80 weights, 230 vs 770 of 1000: E = 200, 800, χ² = 900/200 + 900/800 = 5.625, p = erfc(sqrt(2.8125)) = .017706
    check = srm([230, 770], [20, 80])
    assert check.p_value == pytest.approx(math.erfc(math.sqrt(5.625 / 2)), rel=1e-9)
    assert check.p_value == pytest.approx(0.017706, abs=1e-6)


def test_srm_waits_for_eight_users_a_variant() -> None:
    check = srm([7, 100], [1, 1])
    assert not check.enough and not check.warn and check.p_value == 1.0
    assert srm([8, 100], [1, 1]).warn


def test_sequential_interval_is_wider_and_shrinks() -> None:
    small = (proportion(1000, 100), proportion(1000, 120))
    fixed = lift(*small)
    low, high = sequential_interval(*small)
    assert low < fixed.relative_low and high > fixed.relative_high
    assert (low + high) / 2 == pytest.approx(fixed.relative)
    # By hand: V = .02352, τ² = .01: radius = sqrt(V (V + τ²) / τ² (ln((V + τ²) / V) + 2 ln 20)) = .707314
    assert high - fixed.relative == pytest.approx(0.707314, abs=2e-6)
    big_low, big_high = sequential_interval(proportion(100_000, 10_000), proportion(100_000, 12_000))
    assert big_high - big_low < high - low
    assert big_low > 0


def test_required_conversions_rule() -> None:
    assert required_conversions(2) == 150
    assert required_conversions(3) == 150
    assert required_conversions(4) == 200
