"""The chi-square p-value of the sample-ratio test, against closed forms and known tables."""

from __future__ import annotations

import math

import pytest

from console.core.analysis.alerts.srm import chi2_sf, gamma_q, srm_p_value


def even_df_sf(x: float, df: int) -> float:
    """Closed form for even degrees of freedom: e^(-x/2) Σ_{i<k} (x/2)^i / i!."""
    half = x / 2
    return math.exp(-half) * sum(half**i / math.factorial(i) for i in range(df // 2))


def test_textbook_critical_values() -> None:
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(6.634896601021214, 1) == pytest.approx(0.01, rel=1e-9)
    assert chi2_sf(5.991464547107979, 2) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(11.070497693516351, 5) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(10.0, 2) == pytest.approx(math.exp(-5), rel=1e-12)


@pytest.mark.parametrize("x", [0.001, 0.3, 1.0, 2.5, 7.0, 20.0, 60.0, 200.0])
def test_one_and_three_degrees_of_freedom_match_erfc(x: float) -> None:
    one = math.erfc(math.sqrt(x / 2))
    three = one + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
    assert chi2_sf(x, 1) == pytest.approx(one, rel=1e-9, abs=1e-300)
    assert chi2_sf(x, 3) == pytest.approx(three, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("df", [2, 4, 10, 30])
@pytest.mark.parametrize("x", [0.5, 3.0, 9.0, 25.0, 80.0])
def test_even_degrees_of_freedom_match_the_closed_form(x: float, df: int) -> None:
    assert chi2_sf(x, df) == pytest.approx(even_df_sf(x, df), rel=1e-9)


def test_edges() -> None:
    assert gamma_q(2.0, 0.0) == 1.0
    assert gamma_q(2.0, math.inf) == 0.0
    assert chi2_sf(0.0, 3) == 1.0
    with pytest.raises(ValueError, match="a > 0"):
        gamma_q(0.0, 1.0)
    with pytest.raises(ValueError, match="degree of freedom"):
        chi2_sf(1.0, 0)


def test_srm_p_value_of_a_fair_and_a_skewed_split() -> None:
    assert srm_p_value([500, 500]) == 1.0
    # (550-500)²/500 · 2 = 10 → p = erfc(√5)
    assert srm_p_value([550, 450]) == pytest.approx(math.erfc(math.sqrt(5)), rel=1e-9)
    # Weights 2:1 of 900 users expect 600 and 300: exactly on target.
    assert srm_p_value([600, 300], [2, 1]) == 1.0
    # Three equal variants, 120/100/80 of 300: χ² = (400 + 0 + 400) / 100 = 8, df 2 → e^-4.
    assert srm_p_value([120, 100, 80]) == pytest.approx(math.exp(-4), rel=1e-12)
    with pytest.raises(ValueError, match="two variants"):
        srm_p_value([10])
    with pytest.raises(ValueError, match="weights"):
        srm_p_value([10, 10], [1, 0])
