"""Assignment agrees with GrowthBook's SDK: its published cases and its answers for non-ASCII ids."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from console.core.analysis.experiments.hashing import (
    bucket_ranges,
    choose_variant,
    fnv1a32,
    gb_hash,
    normalized_weights,
    select_variant,
)

CASES: dict[str, Any] = json.loads(
    (Path(__file__).parents[5] / "tests" / "fixtures" / "growthbook" / "cases.json").read_text("utf-8")
)


@pytest.mark.parametrize(("seed", "value", "version", "expected"), CASES["hash"])
def test_hash_matches_growthbooks_published_cases(seed: str, value: str, version: int, expected: float | None) -> None:
    assert gb_hash(seed, value, version) == expected


@pytest.mark.parametrize(("seed", "value", "version", "expected"), CASES["sdkHash"])
def test_hash_of_non_ascii_ids_matches_the_javascript_sdk(seed: str, value: str, version: int, expected: float) -> None:
    assert gb_hash(seed, value, version) == expected


@pytest.mark.parametrize(("name", "args", "expected"), CASES["getBucketRange"], ids=[c[0] for c in CASES["getBucketRange"]])
def test_bucket_ranges_match_growthbooks_published_cases(name: str, args: list[Any], expected: list[list[float]]) -> None:
    n, coverage, weights = args
    got = bucket_ranges(n, coverage, weights)
    assert len(got) == len(expected)
    for (start, end), (want_start, want_end) in zip(got, expected, strict=True):
        # GrowthBook's own test rounds to 6 places: 0.2 * 0.3 is not exactly 0.06 in binary.
        assert start == pytest.approx(want_start, abs=1e-6)
        assert end == pytest.approx(want_end, abs=1e-6)


@pytest.mark.parametrize(("name", "n", "ranges", "expected"), CASES["chooseVariation"], ids=[c[0] for c in CASES["chooseVariation"]])
def test_choose_variant_matches_growthbooks_published_cases(name: str, n: float, ranges: list[list[float]], expected: int) -> None:
    assert choose_variant(n, [(a, b) for a, b in ranges]) == expected


@pytest.mark.parametrize("run", CASES["sdkRun"], ids=lambda r: f"{r['key']}-{r['id']}")
def test_select_variant_agrees_with_the_sdks_run(run: dict[str, Any]) -> None:
    assert gb_hash(run["key"], run["id"], 2) == run["bucket"]
    assert select_variant(run["key"], run["id"], run["weights"]) == run["variationId"]
    # Weights in percent mean the same split.
    assert select_variant(run["key"], run["id"], [w * 100 for w in run["weights"]]) == run["variationId"]


def test_fnv_walks_utf16_code_units() -> None:
    # An astral character is two code units in JavaScript: hashing it equals hashing its surrogates.
    assert fnv1a32("😀") == fnv1a32("\ud83d\ude00")
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C  # the FNV-1a reference vector (one byte = one code unit)


def test_select_variant_is_stable_and_honours_weights() -> None:
    users = [f"user-{i}" for i in range(20_000)]
    first = [select_variant("price-test", u, [20, 80]) for u in users]
    assert first == [select_variant("price-test", u, [20, 80]) for u in users]
    share = Counter(first)[0] / len(users)
    assert share == pytest.approx(0.2, abs=0.01)
    # Another seed reshuffles the users.
    other = [select_variant("price-test", u, [20, 80], seed="round-2") for u in users]
    assert other != first


def test_a_zero_weight_variant_gets_nobody() -> None:
    assert {select_variant("x", f"u{i}", [1, 0, 1]) for i in range(2000)} == {0, 2}


@pytest.mark.parametrize("weights", [[], [0, 0], [50, -1], [float("nan"), 1]])
def test_bad_weights_are_refused(weights: list[float]) -> None:
    with pytest.raises(ValueError):
        normalized_weights(weights)
