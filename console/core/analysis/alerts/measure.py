"""Measuring a rule's metric over its window, with read-only SQL.

A window is ``(now - window_s, now]``. Page loads, transactions, errors and experiment
assignments are windowed by ``ts`` (the client's time, each read through a ``ts`` index);
event counts by ``received`` (the collector's clock: the events table has no index on
``ts``, and a count of "what arrived" is what a spike is), as the range of ids that arrived
in the window (exact while ``received`` grows with ids, as the writer's clock makes it);
issues by ``first_seen`` / ``last_seen``; a KPI by its own definition
(:mod:`console.core.store.kpi_queries`, occurrences by ``ts``, error rates by session start). Change comparisons also measure the window before.
Percentiles are exact (:mod:`console.core.analysis.percentiles`) over the window's rows: a
five-minute window of a busy store is a few hundred loads.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from console.core.analysis.alerts.rules import (
    VITALS,
    AlertRule,
    Comparison,
    Metric,
    format_duration,
    format_value,
)
from console.core.analysis.alerts.srm import srm_p_value
from console.core.analysis.percentiles import percentile
from console.core.analysis.product.kpi import format_kpi_value, judge
from console.core.errors import LookoutError
from console.core.store.kpi_queries import kpi_named, list_kpis, measure_kpi

__all__ = ["MIN_SRM_USERS", "MeasureError", "Measurement", "measure", "series"]

#: Users each variant needs before a sample-ratio test says anything.
MIN_SRM_USERS = 8

# metric table → {filter name: column}
_FILTER_COLUMNS: dict[str, dict[str, str]] = {
    "page_loads": {"project": "project", "page": "route", "release": "release"},
    "transactions": {"project": "project", "page": "route", "transaction": "name", "release": "release"},
    "errors": {"project": "project", "page": "route", "release": "release"},
    "events": {"project": "project"},
    "issues": {"project": "project"},
    "experiment_assignments": {"project": "project"},
}
_CHANGE = (Comparison.CHANGE_ABOVE, Comparison.CHANGE_BELOW)


class MeasureError(LookoutError):
    """A rule's metric cannot be measured (an unknown KPI, an unknown experiment ...)."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """A metric's value over a rule's window; ``previous`` is the window before (change rules).

    ``value`` is None when the window holds nothing to measure (no loads with that vital, an
    experiment with too few users per variant).
    """

    value: float | None
    sample: int
    previous: float | None = None
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True, slots=True)
class _Window:
    value: float | None
    sample: int
    text: str
    link: str | None = None


def measure(conn: sqlite3.Connection, rule: AlertRule, *, now_ms: int) -> Measurement:
    """The rule's metric over the window ending at ``now_ms`` (and the one before, for change
    comparisons). Raises MeasureError for anything it cannot compute (an unknown KPI ...)."""
    span = rule.window_s * 1000
    current = _measure_window(conn, rule, now_ms - span, now_ms)
    if rule.comparison not in _CHANGE:
        return Measurement(current.value, current.sample, detail=current.text, link=current.link)
    before = _measure_window(conn, rule, now_ms - 2 * span, now_ms - span)
    detail = current.text
    if before.value is None:
        detail += f"; nothing to compare with in the previous {format_duration(rule.window_s)}"
    else:
        change = relative_change(current.value, before.value)
        shown = "" if change is None else f" ({_percent(change)})"
        detail += f"; previous {format_duration(rule.window_s)}: {format_value(rule, before.value)}{shown}"
    return Measurement(current.value, current.sample, previous=before.value, detail=detail, link=current.link)


def relative_change(value: float | None, previous: float | None) -> float | None:
    """The change from ``previous`` to ``value`` in per cent; +inf from 0 to more, None without both."""
    if value is None or previous is None:
        return None
    if previous == 0:
        return 0.0 if value == 0 else math.copysign(math.inf, value)
    return (value - previous) / abs(previous) * 100.0


def series(
    conn: sqlite3.Connection, rule: AlertRule, *, start_ms: int, end_ms: int, step_s: int
) -> list[tuple[int, float | None]]:
    """The metric's value at each step from ``start_ms`` to ``end_ms``, each over its window
    ending there (None where it cannot be measured): the panel's small chart."""
    if step_s <= 0:
        raise ValueError(f"step_s must be positive, not {step_s}")
    points: list[tuple[int, float | None]] = []
    for at in range(start_ms, end_ms + 1, step_s * 1000):
        span = rule.window_s * 1000
        try:
            points.append((at, _measure_window(conn, rule, at - span, at).value))
        except MeasureError:
            points.append((at, None))
    return points


# --- one window ------------------------------------------------------------------------------


def _measure_window(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    metric = rule.metric
    if metric in (Metric.VITAL_P75, Metric.VITAL_P95):
        if rule.vital not in VITALS:  # it becomes a column name in the SQL
            raise MeasureError(f"no page-load metric {rule.vital!r}; one of {', '.join(VITALS)}")
        return _percentile(conn, rule, "page_loads", rule.vital, "loads", start, end)
    if metric in (Metric.TRANSACTION_P75, Metric.TRANSACTION_P95):
        return _percentile(conn, rule, "transactions", "duration_ms", "transactions", start, end)
    if metric in (Metric.ERROR_COUNT, Metric.ERROR_RATE):
        return _errors(conn, rule, start, end)
    if metric == Metric.EVENT_COUNT:
        return _events(conn, rule, start, end)
    if metric in (Metric.NEW_ISSUE, Metric.REGRESSED_ISSUE):
        return _issues(conn, rule, start, end)
    if metric == Metric.EXPERIMENT_SRM:
        return _srm(conn, rule, start, end)
    if metric == Metric.KPI:
        return _kpi(conn, rule, start, end)
    raise MeasureError(f"no way to measure {metric!r}")


def _where(rule: AlertRule, table: str, column: str = "ts") -> tuple[str, list[Any]]:
    """``column`` in the window (two placeholders first) and the rule's filters on ``table``."""
    clauses = [f"{column} > ?", f"{column} <= ?"]
    params: list[Any] = []
    for name, target in _FILTER_COLUMNS[table].items():
        value = getattr(rule.filters, name)
        if value is not None:
            clauses.append(f"{target} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def _percentile(
    conn: sqlite3.Connection, rule: AlertRule, table: str, column: str, noun: str, start: int, end: int
) -> _Window:
    where, params = _where(rule, table)
    # The column only: the rows come from the ts index (or route's, with a page filter).
    rows = conn.execute(
        f"SELECT {column} FROM {table} WHERE {where} AND {column} IS NOT NULL", [start, end, *params]
    ).fetchall()
    values = [float(r[0]) for r in rows]
    q = 75.0 if rule.metric.value.endswith("p75") else 95.0
    value = percentile(values, q)
    span = format_duration((end - start) // 1000)
    shown = "no value" if value is None else format_value(rule, value)
    link = None
    if rule.filters.transaction and table == "transactions":
        link = f"transaction:{rule.filters.transaction}"
    elif rule.filters.page:
        link = f"page:{rule.filters.page}"
    return _Window(value, len(values), f"{rule.label()} {shown} over {len(values):,} {noun} in {span}", link)


def _errors(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    where, params = _where(rule, "errors")
    (count,) = conn.execute(f"SELECT count(*) FROM errors WHERE {where}", [start, end, *params]).fetchone()
    minutes = (end - start) / 60_000
    span = format_duration((end - start) // 1000)
    link = f"page:{rule.filters.page}" if rule.filters.page else None
    if rule.metric == Metric.ERROR_RATE:
        rate = count / minutes
        return _Window(rate, count, f"{rate:.2f} errors/min over {span} ({count:,} errors)", link)
    return _Window(float(count), count, f"{count:,} error{'s' if count != 1 else ''} in {span}", link)


def _events(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    noun = f"{rule.kind} events" if rule.kind else "events"
    text = f"arrived in {format_duration((end - start) // 1000)}"
    # Ids are handed out in arrival order, so what arrived in the window is an id range: its
    # ends come from the received index in two lookups, and the count from the primary key
    # (or events_kind's (kind, id)) without reading a row. Filtering the received index by
    # kind instead read every row of the window, 40x slower for an hour.
    first = conn.execute(
        "SELECT id FROM events WHERE received > ? ORDER BY received, id LIMIT 1", (start,)
    ).fetchone()
    last = conn.execute(
        "SELECT id FROM events WHERE received <= ? ORDER BY received DESC, id DESC LIMIT 1", (end,)
    ).fetchone()
    if first is None or last is None or first[0] > last[0]:
        return _Window(0.0, 0, f"0 {noun} {text}")
    sql = "SELECT count(*) FROM events WHERE id BETWEEN ? AND ?"
    params: list[Any] = [first[0], last[0]]
    if rule.kind is not None:
        sql += " AND kind = ?"
        params.append(rule.kind)
    if rule.filters.project is not None:
        sql += " AND project = ?"
        params.append(rule.filters.project)
    (count,) = conn.execute(sql, params).fetchone()
    return _Window(float(count), count, f"{count:,} {noun} {text}")


def _issues(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    span = format_duration((end - start) // 1000)
    if rule.metric == Metric.NEW_ISSUE:
        where, params = _where(rule, "issues", "first_seen")
        order, adjective = "first_seen", "new"
    else:
        where, params = _where(rule, "issues", "last_seen")
        where += " AND status = 'regressed'"
        order, adjective = "last_seen", "regressed"
    rows = conn.execute(
        f"SELECT id, title FROM issues WHERE {where} ORDER BY {order} DESC, id DESC", [start, end, *params]
    ).fetchall()
    count = len(rows)
    text = f"{count:,} {adjective} issue{'s' if count != 1 else ''} in {span}"
    if not rows:
        return _Window(0.0, 0, text)
    newest_id, title = rows[0]
    return _Window(float(count), count, f"{text}; newest: {title}", f"issue:{newest_id}")


def _srm(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    key = rule.experiment or ""
    where, params = _where(rule, "experiment_assignments")
    counts = dict(conn.execute(
        "SELECT variant, count(DISTINCT coalesce(user_id, session_id)) FROM experiment_assignments"
        f" WHERE experiment = ? AND {where} GROUP BY variant", [key, start, end, *params]
    ).fetchall())
    weights = _weights(conn, rule)
    if weights and set(counts) <= set(weights):
        names = list(weights)
        shares: Sequence[float] | None = [weights[n] for n in names]
    else:
        # Variants the definition does not list (or no definition): equal shares of what arrived.
        names, shares = sorted(counts), None
    observed = [int(counts.get(n, 0)) for n in names]
    users = sum(observed)
    split = ", ".join(f"{n} {c:,}" for n, c in zip(names, observed, strict=True))
    link = f"experiment:{key}"
    span = format_duration((end - start) // 1000)
    if len(names) < 2 or min(observed) < MIN_SRM_USERS:
        return _Window(None, users, f"{key}: {users:,} users in {span} ({split or 'none'}); "
                                    f"a test needs {MIN_SRM_USERS} per variant", link)
    p = srm_p_value(observed, shares)
    return _Window(p, users, f"SRM p-value {p:.3g} over {users:,} users of {key} in {span} ({split})", link)


def _kpi(conn: sqlite3.Connection, rule: AlertRule, start: int, end: int) -> _Window:
    """The named KPI over the window. The rule's project filter narrows it; its page,
    transaction and release filters do not apply (a KPI names its own occurrences)."""
    kpi = kpi_named(conn, rule.kpi or "")
    if kpi is None:
        known = ", ".join(k.name for k in list_kpis(conn)[:10]) or "none yet"
        raise MeasureError(f"no KPI named {rule.kpi!r} in this store (KPIs: {known})")
    # Windows here are (start, end]; the store's ranges are [start, end).
    value, sample = measure_kpi(conn, kpi, start + 1, end + 1, project=rule.filters.project)
    span = format_duration((end - start) // 1000)
    verdict = judge(kpi, value, None)
    target = "" if kpi.target is None else f" (target {format_kpi_value(kpi.target, kpi.unit)}: {verdict.status})"
    text = f"{kpi.name} {format_kpi_value(value, kpi.unit)} over {span}{target}"
    return _Window(value, sample, text, f"kpi:{kpi.name}")


def _weights(conn: sqlite3.Connection, rule: AlertRule) -> dict[str, float]:
    """Variant → weight from the experiment's newest definition; empty when it has none."""
    sql = "SELECT variants FROM experiments WHERE experiment = ?"
    params: list[Any] = [rule.experiment]
    if rule.filters.project is not None:
        sql += " AND project = ?"
        params.append(rule.filters.project)
    row = conn.execute(sql + " ORDER BY updated DESC LIMIT 1", params).fetchone()
    if row is None or not row[0]:
        return {}
    try:
        variants = orjson.loads(row[0])
    except orjson.JSONDecodeError:
        return {}
    weights: dict[str, float] = {}
    for variant in variants if isinstance(variants, list) else []:
        if not isinstance(variant, dict):
            return {}
        name, weight = variant.get("name"), variant.get("weight")
        if not isinstance(name, str) or isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            return {}
        weights[name] = float(weight)
    return weights


def _percent(change: float) -> str:
    if math.isinf(change):
        return "from none"
    return f"{change:+.0f} %"
