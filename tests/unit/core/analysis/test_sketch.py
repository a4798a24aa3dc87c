"""Group percentiles: exact for small groups, within 0.5 % of exact for large ones."""

from __future__ import annotations

import numpy as np
import pytest

from console.core.analysis.percentiles import percentiles
from console.core.analysis.sketch import (
    EXACT_GROUP_LIMIT,
    NAN_KEY,
    RELATIVE_ACCURACY,
    bucket_keys,
    bucket_values,
    group_percentiles,
    histogram_percentiles,
)

QS = (50.0, 75.0, 95.0)


def test_small_groups_are_exact_and_match_the_hand_computed_percentiles() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0]
    groups = [0, 0, 0, 0, 2, 2, 2]
    counts, table = group_percentiles(values, groups, 3, QS)
    assert counts.tolist() == [4, 0, 3]
    # [1, 2, 3, 4]: p50 between ranks 1 and 2 → 2.5; p75 at position 2.25 → 3.25; p95 at 2.85 → 3.85.
    assert table[0].tolist() == pytest.approx([2.5, 3.25, 3.85])
    assert np.isnan(table[1]).all()
    assert table[2].tolist() == pytest.approx([20.0, 25.0, 29.0])
    assert table[2].tolist() == pytest.approx(percentiles([10.0, 20.0, 30.0], QS))


def test_missing_values_are_ignored_not_counted() -> None:
    counts, table = group_percentiles([np.nan, 5.0, np.nan, 7.0], [0, 0, 0, 0], 1, (50.0,))
    assert counts.tolist() == [2]
    assert table[0, 0] == pytest.approx(6.0)


@pytest.mark.parametrize(
    "name",
    ["lognormal LCP", "uniform", "two clusters with a gap", "heavy tail", "CLS with many zeros"],
)
def test_large_groups_stay_within_the_relative_accuracy_of_exact(name: str) -> None:
    rng = np.random.default_rng(7)
    n = 40_000
    values = {
        "lognormal LCP": rng.lognormal(7.6, 0.6, n),
        "uniform": rng.uniform(10, 5000, n),
        "two clusters with a gap": np.concatenate([rng.normal(300, 10, n // 2), rng.normal(9000, 50, n // 2)]),
        "heavy tail": (rng.pareto(1.5, n) + 1) * 100,
        "CLS with many zeros": np.concatenate([np.zeros(n // 4), rng.exponential(0.08, 3 * n // 4)]),
    }[name]
    groups = rng.integers(0, 4, values.size)
    counts, table = group_percentiles(values, groups, 4, QS)
    assert (counts > EXACT_GROUP_LIMIT).all()  # every group goes through the sketch
    for group in range(4):
        exact = np.percentile(values[groups == group], QS)
        for got, want in zip(table[group], exact, strict=True):
            assert abs(got - want) <= RELATIVE_ACCURACY * abs(want) + 1e-12, (group, got, want)


def test_p75_of_a_million_loads_is_within_one_percent() -> None:
    rng = np.random.default_rng(11)
    values = rng.lognormal(7.8, 0.7, 1_000_000).astype(np.float32)
    _, table = group_percentiles(values, np.zeros(values.size, np.int64), 1, (75.0,))
    exact = float(np.percentile(values.astype(np.float64), 75))
    assert abs(table[0, 0] / exact - 1) < 0.01
    assert abs(table[0, 0] / exact - 1) <= RELATIVE_ACCURACY


def test_precomputed_keys_give_the_same_answer() -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(6, 1, 5000)
    groups = rng.integers(0, 2, values.size)
    plain = group_percentiles(values, groups, 2, QS)[1]
    keyed = group_percentiles(values, groups, 2, QS, keys=bucket_keys(values))[1]
    assert np.array_equal(plain, keyed)


def test_bucket_representatives_are_within_accuracy_of_their_members() -> None:
    values = np.geomspace(1e-3, 1e7, 20_000)
    represented = bucket_values(bucket_keys(values))
    assert np.max(np.abs(represented / values - 1)) <= RELATIVE_ACCURACY + 1e-12
    assert bucket_keys([np.nan, 0.0, -3.0]).tolist() == [NAN_KEY, 0, 0]


def test_histograms_merge_by_addition() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(7, 0.5, 3000), rng.lognormal(7.5, 0.5, 3000)
    def hist(v: np.ndarray) -> np.ndarray:
        from console.core.analysis.sketch import BUCKETS
        return np.bincount(bucket_keys(v), minlength=BUCKETS)
    merged = histogram_percentiles(hist(a) + hist(b), (75.0,))[0, 0]
    exact = np.percentile(np.concatenate([a, b]), 75)
    assert abs(merged / exact - 1) <= RELATIVE_ACCURACY
