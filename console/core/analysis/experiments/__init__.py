"""Experiments: GrowthBook-compatible assignment, the statistics of an A/B test, its verdict.

No Qt and no store here: :mod:`~console.core.analysis.experiments.hashing` says which
variant a user gets, :mod:`~console.core.analysis.experiments.stats` computes rates, lifts,
intervals and the guard rails, :mod:`~console.core.analysis.experiments.verdict` puts the
outcome in words. :mod:`console.core.store.experiment_queries` reads a store into them.
"""

from __future__ import annotations

from console.core.analysis.experiments.hashing import (
    bucket_ranges,
    choose_variant,
    fnv1a32,
    gb_hash,
    normalized_weights,
    select_variant,
)
from console.core.analysis.experiments.stats import (
    Lift,
    Proportion,
    SrmCheck,
    lift,
    mean_lift,
    normal_cdf,
    proportion,
    required_conversions,
    sequential_interval,
    srm,
)
from console.core.analysis.experiments.verdict import format_percent, verdict

__all__ = [
    "Lift", "Proportion", "SrmCheck", "bucket_ranges", "choose_variant", "fnv1a32", "format_percent", "gb_hash",
    "lift", "mean_lift", "normal_cdf", "normalized_weights", "proportion", "required_conversions",
    "select_variant", "sequential_interval", "srm", "verdict",
]
