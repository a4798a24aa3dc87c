"""Sample-ratio mismatch: whether an experiment's variants got the users their weights promise.

The chi-square goodness-of-fit test against the expected shares, its p-value from the
regularized upper incomplete gamma function (series for small x, Lentz's continued fraction
otherwise, as in Numerical Recipes §6.2), so no statistics library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["chi2_sf", "gamma_q", "srm_p_value"]

_EPS = 1e-15
_MAX_ITER = 10_000
_TINY = 1e-300


def gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x >= 0."""
    if a <= 0:
        raise ValueError(f"gamma_q needs a > 0, not {a}")
    if x < 0:
        raise ValueError(f"gamma_q needs x >= 0, not {x}")
    if x == 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        # P(a, x) by its series converges fast here; Q = 1 - P.
        term = total = 1.0 / a
        n = a
        for _ in range(_MAX_ITER):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    # Q(a, x) by its continued fraction (modified Lentz).
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi2_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for a chi-square variable with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"a chi-square test needs at least 1 degree of freedom, not {df}")
    return gamma_q(df / 2, max(0.0, statistic) / 2)


def srm_p_value(observed: Sequence[int], weights: Sequence[float] | None = None) -> float:
    """The p-value of ``observed`` counts per variant against ``weights`` (equal when None).

    A small p-value (under 0.001, say) means the split is not what the weights promise:
    something upstream drops or duplicates users of one variant.
    """
    k = len(observed)
    if k < 2:
        raise ValueError("a sample-ratio test needs at least two variants")
    shares = list(weights) if weights is not None else [1.0] * k
    if len(shares) != k or any(not math.isfinite(w) or w <= 0 for w in shares):
        raise ValueError("weights must be positive numbers, one per variant")
    total = sum(observed)
    if total <= 0:
        raise ValueError("a sample-ratio test needs at least one user")
    weight_sum = sum(shares)
    statistic = 0.0
    for count, weight in zip(observed, shares, strict=True):
        expected = total * weight / weight_sum
        statistic += (count - expected) ** 2 / expected
    return chi2_sf(statistic, k - 1)
