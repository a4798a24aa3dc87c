"""Which variant a user gets: GrowthBook's deterministic bucketing, bit for bit.

An app that assigns with GrowthBook's JavaScript SDK and Lookout must agree on every user,
so this follows that SDK exactly (``packages/sdk-js/src/util.ts``): FNV-1a 32-bit over the
string's UTF-16 code units (what JavaScript's ``charCodeAt`` walks, so a character outside
the Basic Multilingual Plane counts as its two surrogates), the two hash versions, bucket
ranges from the weights and coverage, and the range a bucket falls in. Checked against
GrowthBook's published test cases in ``tests/fixtures/growthbook/cases.json``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["bucket_ranges", "choose_variant", "fnv1a32", "gb_hash", "normalized_weights", "select_variant"]

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK = 0xFFFFFFFF


def fnv1a32(text: str) -> int:
    """FNV-1a 32-bit of ``text``'s UTF-16 code units, as GrowthBook's ``hashFnv32a``.

    Each code unit (not byte, not code point) is XORed in whole, then the state is
    multiplied by the FNV prime modulo 2**32.
    """
    units = text.encode("utf-16-le", "surrogatepass")
    value = _FNV_OFFSET
    for position in range(0, len(units), 2):
        value ^= units[position] | (units[position + 1] << 8)
        value = (value * _FNV_PRIME) & _MASK
    return value


def gb_hash(seed: str, value: str, version: int = 2) -> float | None:
    """A number in [0, 1) for ``value`` under ``seed``; None for an unknown hash version.

    Version 1 (biased, kept by GrowthBook for old experiments): ``(fnv(value + seed) % 1000)
    / 1000``. Version 2: ``(fnv(str(fnv(seed + value))) % 10000) / 10000``.
    """
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def bucket_ranges(
    n: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """The [start, end) range of each of ``n`` variants, as GrowthBook's ``getBucketRanges``.

    Coverage is clamped to [0, 1]; weights that are missing, of the wrong length or that do
    not sum to 1 (within 0.01) fall back to equal weights. Variant i starts where the
    weights before it end and covers ``coverage * weights[i]`` of its share, so lowering
    the coverage leaves every included user in the variant they had.
    """
    coverage = min(1.0, max(0.0, coverage))
    equal = [1.0 / n] * n if n > 0 else []
    chosen = list(weights) if weights is not None else equal
    if len(chosen) != n:
        chosen = equal
    total = sum(chosen)
    if total < 0.99 or total > 1.01:
        chosen = equal
    ranges: list[tuple[float, float]] = []
    cumulative = 0.0
    for weight in chosen:
        start = cumulative
        cumulative += weight
        ranges.append((start, start + coverage * weight))
    return ranges


def choose_variant(n: float, ranges: Sequence[tuple[float, float]]) -> int:
    """The index of the first range with ``start <= n < end``; -1 when ``n`` is in none."""
    for index, (start, end) in enumerate(ranges):
        if start <= n < end:
            return index
    return -1


def normalized_weights(weights: Sequence[float]) -> list[float]:
    """Weights as shares summing to 1 (``50, 50`` → ``0.5, 0.5``); positive finite numbers only."""
    if not weights or any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"weights must be non-negative numbers with a positive sum, not {list(weights)}")
    total = math.fsum(weights)
    return [w / total for w in weights]


def select_variant(
    experiment: str, user_id: str, weights: Sequence[float], *, seed: str | None = None
) -> int:
    """The variant index GrowthBook's SDK gives ``user_id`` in ``experiment`` (hash version 2).

    ``weights`` may be in any unit (``50, 50`` or ``0.5, 0.5``); they are made shares first.
    ``seed`` defaults to the experiment key, as in GrowthBook. Full coverage, so every user
    gets a variant; a variant of weight 0 gets nobody.
    """
    shares = normalized_weights(weights)
    bucket = (fnv1a32(str(fnv1a32((seed if seed is not None else experiment) + user_id))) % 10000) / 10000
    return choose_variant(bucket, bucket_ranges(len(shares), 1.0, shares))
