"""What the Experiments panel and ``lookout export --kind experiment-results`` read of a store.

:func:`list_experiments` finds every experiment, defined (the native ``experiment`` payload or
the window's dialog) or only seen in assignments and goals. :func:`experiment_results` reads
one experiment's assignments and goals as numpy columns
(:mod:`console.core.store.experiment_columns`) and aggregates them with numpy:

* a user counts once: their first assignment (by time) decides their variant; users also
  seen in another variant are counted (``users_in_two_variants``) and stay in their first;
* a goal counts for a user only at or after their first assignment, and only once per user
  for the conversion rate; values (revenue) are summed per user, every assigned user
  counting in the mean value per user (0 when they never converted);
* guardrails come from Lookout's own data: errors per assigned user (errors of the
  variant's users at or after their assignment, divided by the variant's users) and the
  75th percentile of LCP of their page loads after their assignment.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

from console.core.analysis.experiments.stats import (
    Lift,
    Proportion,
    SrmCheck,
    lift,
    mean_lift_from_moments,
    proportion,
    required_conversions,
    sequential_interval,
    srm,
)
from console.core.analysis.experiments.verdict import format_percent, verdict
from console.core.errors import LookoutError
from console.core.store.experiment_columns import (
    OTHER_VARIANT,
    ExperimentRows,
    UserCodes,
    assignment_columns,
    goal_columns,
    user_columns,
    variant_names,
)

__all__ = [
    "ExperimentResults",
    "ExperimentSummary",
    "GoalResult",
    "Guardrail",
    "UnknownExperiment",
    "VariantResult",
    "experiment_results",
    "list_experiments",
]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

_BUCKETS = (60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000)
_MAX_BUCKETS = 60


class UnknownExperiment(LookoutError):
    """No definition, assignment or goal of that experiment is in the store."""


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    """One experiment in the list: its variants and goals, how many users it has reached.

    ``weights`` are as defined (``50, 50``), equal for a discovered experiment; ``users`` in
    :func:`list_experiments` counts a user once per variant they were seen in.
    """

    project: str
    key: str
    name: str | None
    variants: tuple[str, ...]
    weights: tuple[float, ...]
    goals: tuple[str, ...]
    users: int
    first_seen: int | None
    last_seen: int | None
    source: Literal["definition", "discovered"]


@dataclass(frozen=True, slots=True)
class VariantResult:
    """Users whose first assignment was this variant, their share and the share the weights promise."""

    variant: str
    users: int
    share: float
    expected_share: float


@dataclass(frozen=True, slots=True)
class GoalResult:
    """One goal: each variant's conversion, the lift of every non-control variant, the verdict.

    ``lifts`` and ``sequential`` compare each non-control variant's conversion rate with
    control's, and ``verdict`` speaks of them (of the variant most likely to beat control,
    with more than two). For a value goal (revenue) ``values`` is the mean value per assigned
    user and ``value_lifts`` its lift (delta method on means); both are None / empty for a
    goal that never carried a value.
    """

    goal: str
    per_variant: dict[str, Proportion]
    values: dict[str, float | None]
    lifts: dict[str, Lift]
    sequential: dict[str, tuple[float, float]]
    verdict: str
    conversions: int
    needed: int
    value_lifts: dict[str, Lift] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Guardrail:
    """Lookout's own health data per variant: ``error_rate`` is errors per assigned user
    (after their assignment; None without users), ``lcp_p75`` the 75th percentile of LCP in
    ms of their page loads after assignment (None without loads)."""

    variant: str
    error_rate: float | None
    errors: int
    lcp_p75: float | None
    loads: int


@dataclass(frozen=True, slots=True)
class ExperimentResults:
    """Everything the viewer shows of one experiment (see :func:`experiment_results`)."""

    summary: ExperimentSummary
    control: str
    variants: list[VariantResult]
    srm: SrmCheck
    exposures: list[tuple[int, dict[str, int]]]
    goals: list[GoalResult]
    cumulative: dict[str, list[tuple[int, float, float, float]]]
    users_in_two_variants: int
    guardrails: list[Guardrail]
    peeking_warning: str | None
    bucket_ms: int = 86_400_000

    def to_json(self) -> dict[str, Any]:
        """The results as JSON-ready values (NaN and infinities become null)."""
        cleaned: dict[str, Any] = _clean(asdict(self))
        return cleaned


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


# --- the list --------------------------------------------------------------------------------


def _parse_variants(text: str | None) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Variant names and weights of a stored definition (``[{"name", "weight"}]`` or names)."""
    try:
        raw = orjson.loads(text) if text else []
    except orjson.JSONDecodeError:
        raw = []
    names: list[str] = []
    weights: list[float | None] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            weight = item.get("weight")
            names.append(item["name"])
            weights.append(float(weight) if isinstance(weight, (int, float)) and weight >= 0 else None)
        elif isinstance(item, str):
            names.append(item)
            weights.append(None)
    if any(w is None for w in weights) or not any(w for w in weights):
        weights = [1.0] * len(names)
    return tuple(names), tuple(float(w or 0.0) for w in weights)


def _parse_goals(text: str | None) -> tuple[str, ...]:
    try:
        raw = orjson.loads(text) if text else []
    except orjson.JSONDecodeError:
        return ()
    return tuple(g for g in raw if isinstance(g, str)) if isinstance(raw, list) else ()


def _ordered(variants: Sequence[str]) -> list[str]:
    """Discovered variants: "control" first (GrowthBook's convention is index 0), then by name."""
    return sorted(variants, key=lambda v: (v != "control", v))


def list_experiments(conn: sqlite3.Connection) -> list[ExperimentSummary]:
    """Every experiment of the store, defined or discovered, newest activity first."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for project, key, variant, users, first, last in conn.execute(
        "SELECT project, experiment, variant, count(DISTINCT user_id), min(ts), max(ts)"
        " FROM experiment_assignments GROUP BY project, experiment, variant"
    ):
        entry = seen.setdefault((project, key), {"variants": [], "users": 0, "first": first, "last": last, "goals": []})
        entry["variants"].append(variant)
        entry["users"] += users
        entry["first"], entry["last"] = min(entry["first"], first), max(entry["last"], last)
    for project, key, goal, first, last in conn.execute(
        "SELECT project, experiment, goal, min(ts), max(ts) FROM experiment_goals GROUP BY project, experiment, goal"
    ):
        entry = seen.setdefault((project, key), {"variants": [], "users": 0, "first": first, "last": last, "goals": []})
        entry["goals"].append(goal)
        entry["first"], entry["last"] = min(entry["first"], first), max(entry["last"], last)
    found: list[ExperimentSummary] = []
    for project, key, name, variants_json, goals_json, first_seen, updated in conn.execute(
        "SELECT project, experiment, name, variants, goals, first_seen, updated FROM experiments"
    ):
        variants, weights = _parse_variants(variants_json)
        goals = _parse_goals(goals_json)
        activity = seen.pop((project, key), None)
        users, first, last = 0, first_seen, updated
        if activity is not None:
            extra = [v for v in _ordered(activity["variants"]) if v not in variants]
            variants, weights = variants + tuple(extra), weights + (0.0,) * len(extra)
            goals = goals + tuple(g for g in sorted(activity["goals"]) if g not in goals)
            users, first, last = activity["users"], min(first_seen, activity["first"]), activity["last"]
        found.append(ExperimentSummary(project, key, name, variants, weights, goals, users, first, last, "definition"))
    for (project, key), activity in seen.items():
        variants = tuple(_ordered(activity["variants"]))
        found.append(ExperimentSummary(
            project, key, None, variants, (1.0,) * len(variants), tuple(sorted(activity["goals"])),
            activity["users"], activity["first"], activity["last"], "discovered",
        ))
    found.sort(key=lambda s: (-(s.last_seen or 0), s.project, s.key))
    return found


# --- one experiment's columns ------------------------------------------------------------------


def _definition(conn: sqlite3.Connection, key: str, project: str | None) -> tuple[str, Any] | None:
    sql = "SELECT project, name, variants, goals, first_seen, updated FROM experiments WHERE experiment = ?"
    args: tuple[Any, ...] = (key,)
    if project is not None:
        sql, args = sql + " AND project = ?", (key, project)
    row = conn.execute(sql + " ORDER BY updated DESC LIMIT 1", args).fetchone()
    return (row[0], row) if row is not None else None


def _project_of(conn: sqlite3.Connection, key: str) -> str | None:
    for table in ("experiment_assignments", "experiment_goals"):
        row = conn.execute(f"SELECT project FROM {table} WHERE experiment = ? LIMIT 1", (key,)).fetchone()
        if row is not None:
            return str(row[0])
    return None


# --- one experiment's results ------------------------------------------------------------------


def _bucket_size(span_ms: int) -> int:
    for size in _BUCKETS:
        if span_ms // size < _MAX_BUCKETS:
            return size
    return _BUCKETS[-1]


def experiment_results(
    conn: sqlite3.Connection, key: str, *, project: str | None = None, bucket_ms: int | None = None
) -> ExperimentResults:
    """Everything the viewer shows of experiment ``key`` (of ``project``, or its only/defined one).

    ``bucket_ms`` sets the time buckets of the exposure and cumulative charts (default: the
    smallest of 1 min … 7 days that gives at most 60 buckets). Raises UnknownExperiment.
    """
    defined = _definition(conn, key, project)
    if defined is not None:
        project = defined[0]
        _, name, variants_json, goals_json, first_seen, _updated = defined[1]
        names, weights = _parse_variants(variants_json)
        goals = list(_parse_goals(goals_json))
    else:
        project = project or _project_of(conn, key)
        if project is None:
            raise UnknownExperiment(f"no experiment {key!r} in this store")
        name, first_seen, names, weights, goals = None, None, (), (), []
    with ExitStack() as stack:
        variants = list(names)
        fetched = stack.enter_context(ExperimentRows(conn, key, project, variants))
        users, ts, codes = assignment_columns(fetched)
        if codes.size and bool((codes == OTHER_VARIANT).any()):
            # Variants beyond the definition (or an undefined experiment's): name them, read again.
            extra = _ordered([v for v in variant_names(conn, key, project) if v not in variants])
            if len(variants) + len(extra) >= OTHER_VARIANT:
                raise LookoutError(f"experiment {key!r} has more than {OTHER_VARIANT - 1} variants")
            variants += extra
            stack.close()
            fetched = stack.enter_context(ExperimentRows(conn, key, project, variants))
            users, ts, codes = assignment_columns(fetched)
        if defined is None and not len(users) and not conn.execute(
            "SELECT 1 FROM experiment_goals WHERE experiment = ? AND project = ? LIMIT 1", (key, project)
        ).fetchone():
            raise UnknownExperiment(f"no experiment {key!r} in project {project!r}")
        if defined is None:
            weights = (1.0,) * len(variants)
        weights = tuple(weights) + (0.0,) * (len(variants) - len(weights))
        k = len(variants)

        # First assignment per user: rows are in time order, so a user's first row is their first.
        user, first_pos = users.row_codes, users.first_rows
        first_var = codes[first_pos]
        first_ts = ts[first_pos]
        n_users = first_pos.size
        mixed = np.zeros(n_users, dtype=bool)
        mixed[user[codes != first_var[user]]] = True
        counts = np.bincount(first_var, minlength=k)[:k] if k else np.zeros(0, dtype=np.int64)

        control_index = variants.index("control") if "control" in variants else 0
        control = variants[control_index] if variants else "control"
        others = [i for i in range(k) if i != control_index]

        # Goals.
        g_user, g_ts, g_names, g_values = goal_columns(fetched, users)
        goal_index = {name: code for code, name in enumerate(dict.fromkeys([*goals, *g_names]))}
        g_code = np.fromiter(map(goal_index.__getitem__, g_names), dtype=np.int64, count=len(g_names))
        goals = list(goal_index)
        known = g_user >= 0
        valid = np.zeros(g_user.size, dtype=bool)
        valid[known] = g_ts[known] >= first_ts[g_user[known]]

        start = int(first_ts.min()) if n_users else int(g_ts.min()) if g_ts.size else 0
        end = int(max(ts.max() if ts.size else start, g_ts.max() if g_ts.size else start))
        size = bucket_ms or _bucket_size(end - start)
        start -= start % size
        n_buckets = (end - start) // size + 1
        exposures_grid = np.zeros((n_buckets, k), dtype=np.int64)
        if n_users and k:
            flat = ((first_ts - start) // size) * k + first_var
            exposures_grid = np.bincount(flat, minlength=n_buckets * k).reshape(n_buckets, k)
        exposures = [
            (start + b * size, {variants[i]: int(exposures_grid[b, i]) for i in range(k)}) for b in range(n_buckets)
        ]
        cum_users = np.cumsum(exposures_grid, axis=0)

        srm_check = srm([int(c) for c in counts], list(weights)) if k else SrmCheck(1.0, (), (), False, False)
        needed = required_conversions(max(1, k))
        goal_results: list[GoalResult] = []
        cumulative: dict[str, list[tuple[int, float, float, float]]] = {}
        for gi, goal in enumerate(goals):
            rows = np.flatnonzero(valid & (g_code == gi))
            who = g_user[rows]
            converted = np.zeros(n_users, dtype=bool)
            converted[who] = True
            conversions = np.bincount(first_var[converted], minlength=k)[:k] if k else np.zeros(0, dtype=np.int64)
            per_variant = {variants[i]: proportion(int(counts[i]), int(conversions[i])) for i in range(k)}
            raw = g_values[rows]
            # A value goal (revenue) has amounts; values that are all 0 or 1 only say "it
            # happened", and the conversion rate already tells that.
            known_values = raw[np.isfinite(raw)]
            has_value = bool(known_values.size) and bool(((known_values != 0) & (known_values != 1)).any())
            values: dict[str, float | None] = {v: None for v in variants}
            lifts: dict[str, Lift] = {}
            sequential: dict[str, tuple[float, float]] = {}
            if has_value:
                per_user = np.bincount(who, weights=np.nan_to_num(raw), minlength=n_users)
                sums = np.bincount(first_var, weights=per_user, minlength=k)[:k]
                squares = np.bincount(first_var, weights=per_user * per_user, minlength=k)[:k]
                for i in range(k):
                    values[variants[i]] = float(sums[i] / counts[i]) if counts[i] else None
            value_lifts: dict[str, Lift] = {}
            for i in others:
                name_i = variants[i]
                lifts[name_i] = lift(per_variant[control], per_variant[name_i])
                sequential[name_i] = sequential_interval(per_variant[control], per_variant[name_i])
                if has_value:
                    value_lifts[name_i] = mean_lift_from_moments(
                        int(counts[control_index]), float(sums[control_index]), float(squares[control_index]),
                        int(counts[i]), float(sums[i]), float(squares[i]),
                    )
            total = int(conversions.sum())
            said = _goal_verdict(goal, variants, others, lifts, total, needed, srm_check.warn)
            goal_results.append(
                GoalResult(goal, per_variant, values, lifts, sequential, said, total, needed, value_lifts)
            )
            if others and n_users:
                # Conversions by the time they happened: a user's first qualifying goal event.
                first_conversion = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(first_conversion, who, g_ts[rows])
                converters = np.flatnonzero(converted)
                flat = ((first_conversion[converters] - start) // size) * k + first_var[converters]
                cum_conv = np.cumsum(np.bincount(flat, minlength=n_buckets * k).reshape(n_buckets, k), axis=0)
                other = others[0]
                series: list[tuple[int, float, float, float]] = []
                for b in range(n_buckets):
                    point = lift(
                        proportion(int(cum_users[b, control_index]), int(cum_conv[b, control_index])),
                        proportion(int(cum_users[b, other]), int(cum_conv[b, other])),
                    )
                    series.append((start + b * size, point.relative, point.relative_low, point.relative_high))
                cumulative[goal] = series

        guardrails = _guardrails(fetched, users, first_var, first_ts, counts, variants)
        last_seen = int(max(ts.max() if ts.size else 0, g_ts.max() if g_ts.size else 0)) or None
        summary = ExperimentSummary(
            project, key, name, tuple(variants), tuple(weights), tuple(goals), n_users,
            min(x for x in (first_seen, int(ts.min()) if ts.size else None) if x is not None)
            if first_seen is not None or ts.size else None,
            last_seen, "definition" if defined is not None else "discovered",
        )
        weight_sum = sum(weights) or 1.0
        variant_rows = [
            VariantResult(variants[i], int(counts[i]), float(counts[i] / n_users) if n_users else 0.0, weights[i] / weight_sum)
            for i in range(k)
        ]
        return ExperimentResults(
            summary=summary, control=control, variants=variant_rows, srm=srm_check, exposures=exposures,
            goals=goal_results, cumulative=cumulative, users_in_two_variants=int(mixed.sum()),
            guardrails=guardrails, peeking_warning=_peeking(goal_results, n_buckets), bucket_ms=size,
        )


def _goal_verdict(
    goal: str, variants: list[str], others: list[int], lifts: dict[str, Lift], total: int, needed: int, warn: bool
) -> str:
    if not others:
        return f"no variant to compare with control on {goal}"
    # With several variants, speak of the one most likely to beat control.
    best = max(others, key=lambda i: (lifts[variants[i]].chance_to_beat if not math.isnan(
        lifts[variants[i]].chance_to_beat) else -1.0))
    return verdict(goal, variants[best], lifts[variants[best]], conversions=total, needed=needed, srm_warn=warn)


def _peeking(goals: list[GoalResult], n_buckets: int) -> str | None:
    """A warning against reading a fixed-horizon interval again and again (None before any verdict)."""
    judged = [g for g in goals if g.conversions >= g.needed and g.lifts]
    if not judged:
        return None
    for goal in judged:
        for variant, result in goal.lifts.items():
            low, high = goal.sequential.get(variant, (math.nan, math.nan))
            significant = result.relative_low > 0 or result.relative_high < 0
            if significant and not (low > 0 or high < 0):
                return (f"{variant} looks significant on {goal.goal}, but the always-valid interval "
                        f"({format_percent(low)} … {format_percent(high)}) still includes 0: checking again "
                        "and again inflates false positives, so keep the experiment running")
    return ("the 95% intervals assume one look at the end; if you check every day, read the "
            "sequential interval, which stays valid however often you look")


def _guardrails(
    rows: ExperimentRows, users: UserCodes, first_var: Ints, first_ts: Ints, counts: Ints, variants: list[str],
) -> list[Guardrail]:
    k = len(variants)
    e_user, e_ts, _ = user_columns(rows.errors, users)
    hit = e_user >= 0
    hit[hit] = e_ts[hit] >= first_ts[e_user[hit]]
    errors = np.bincount(first_var[e_user[hit]], minlength=k)[:k] if k else np.zeros(0, dtype=np.int64)
    p_user, p_ts, lcp = user_columns(rows.loads, users)
    seen = p_user >= 0
    seen[seen] = p_ts[seen] >= first_ts[p_user[seen]]
    load_var = first_var[p_user[seen]]
    load_lcp = lcp[seen] if lcp is not None else np.zeros(0)
    rails: list[Guardrail] = []
    for i in range(k):
        mine = load_lcp[load_var == i]
        rails.append(Guardrail(
            variants[i],
            float(errors[i] / counts[i]) if counts[i] else None,
            int(errors[i]),
            float(np.percentile(mine, 75)) if mine.size else None,
            int(mine.size),
        ))
    return rails
