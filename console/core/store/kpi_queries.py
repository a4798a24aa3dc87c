"""KPIs in the store: the saved definitions (table ``kpis``), their values over a range and
per bucket, and the report of every KPI.

Each formula is read through the foundation's measures (:mod:`console.core.store.occurrences`):
a count or unique users is one SQLite aggregate, a rate two, a sum or a percentile reads the
field's values; ``error_rate`` reads the ``sessions`` table the writer keeps — the sessions
that *started* in the range, and the share of them with at least one error.

``save_kpi`` and ``delete_kpi`` are writer jobs (plain functions of the write connection);
the rest read any connection.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import orjson

from console.core.analysis.product.kpi import KpiDefinition, KpiReport, KpiReportRow, KpiValue, judge
from console.core.store.occurrences import aggregate, measure_series, measure_value, selection_sql

__all__ = [
    "delete_kpi", "kpi_named", "kpi_report", "kpi_series", "kpi_value", "list_kpis", "measure_kpi",
    "report_bucket", "save_kpi",
]

log = logging.getLogger("lookout.store")

_MINUTE = 60_000
_BUCKETS = (
    _MINUTE, 5 * _MINUTE, 15 * _MINUTE, 30 * _MINUTE, 60 * _MINUTE, 3 * 60 * _MINUTE, 6 * 60 * _MINUTE,
    12 * 60 * _MINUTE, 24 * 60 * _MINUTE, 7 * 24 * 60 * _MINUTE, 30 * 24 * 60 * _MINUTE,
)
_MAX_POINTS = 48


# --- definitions ------------------------------------------------------------------------------


def _decode(kpi_id: int, name: str, definition: str) -> KpiDefinition | None:
    try:
        return replace(KpiDefinition.from_json(orjson.loads(definition)), id=kpi_id, name=name)
    except (orjson.JSONDecodeError, ValueError) as exc:
        # Saved by a version that allowed what this one refuses: leave it out, say so once.
        log.warning("KPI %r (id %d) is not a valid definition and is left out: %s", name, kpi_id, exc)
        return None


def list_kpis(conn: sqlite3.Connection) -> list[KpiDefinition]:
    """Every valid saved KPI, by name, with its row id."""
    rows = conn.execute("SELECT id, name, definition FROM kpis ORDER BY name COLLATE NOCASE, id").fetchall()
    return [kpi for kpi in (_decode(*row) for row in rows) if kpi is not None]


def kpi_named(conn: sqlite3.Connection, name: str) -> KpiDefinition | None:
    """The saved KPI called ``name`` (exactly), or None."""
    row = conn.execute("SELECT id, name, definition FROM kpis WHERE name = ?", (name,)).fetchone()
    return None if row is None else _decode(*row)


def save_kpi(conn: sqlite3.Connection, kpi: KpiDefinition, *, now_ms: int) -> int:
    """Insert ``kpi`` (no id) or update the KPI with its id; its id. A writer job.

    ValueError when a new KPI takes the name of another, or the id is not in the store.
    """
    definition = kpi.to_json()
    definition.pop("id", None)
    text = orjson.dumps(definition).decode()
    try:
        if kpi.id is None:
            cursor = conn.execute(
                "INSERT INTO kpis (name, definition, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
                (kpi.name, text, now_ms, now_ms),
            )
            return int(cursor.lastrowid or 0)
        cursor = conn.execute(
            "UPDATE kpis SET name = ?, definition = ?, updated_ms = ? WHERE id = ?", (kpi.name, text, now_ms, kpi.id)
        )
    except sqlite3.IntegrityError:
        raise ValueError(f"a KPI named {kpi.name!r} already exists") from None
    if cursor.rowcount == 0:
        raise ValueError(f"there is no KPI with id {kpi.id} (deleted meanwhile?)")
    return kpi.id


def delete_kpi(conn: sqlite3.Connection, kpi_id: int) -> None:
    """The KPI goes (alert rules that watch it then report that it is unknown). A writer job."""
    conn.execute("DELETE FROM kpis WHERE id = ?", (kpi_id,))


# --- values -----------------------------------------------------------------------------------


def _scoped(kpi: KpiDefinition, project: str | None) -> KpiDefinition:
    if project is None or kpi.ref is None:
        return kpi
    denominator = None if kpi.denominator is None else replace(kpi.denominator, project=project)
    return replace(kpi, ref=replace(kpi.ref, project=project), denominator=denominator)


def _percent(part: float, whole: float) -> float | None:
    return part / whole * 100.0 if whole else None


def measure_kpi(
    conn: sqlite3.Connection, kpi: KpiDefinition, start_ms: int, end_ms: int, *, project: str | None = None
) -> tuple[float | None, int]:
    """``(value, sample)`` of ``kpi`` over ``[start_ms, end_ms)``: the sample is how many
    occurrences, users, values or sessions the value rests on. ``project`` narrows every
    reference (and the sessions) to one project instead of the KPI's own. A count is 0 over nothing; a rate, a
    percentile or an error rate of nothing is None."""
    project = project or kpi.project
    kpi = _scoped(kpi, project)
    if kpi.formula == "error_rate":
        sql = "SELECT count(*), coalesce(sum(errors > 0), 0) FROM sessions WHERE started >= ? AND started < ?"
        params: list[object] = [start_ms, end_ms]
        if project is not None:
            sql += " AND project = ?"
            params.append(project)
        sessions, errored = conn.execute(sql, params).fetchone()
        return _percent(float(errored), float(sessions)), int(sessions)
    measures = kpi.measures()
    first = measures[0]
    if kpi.formula == "rate":
        part = measure_value(conn, first, start_ms, end_ms) or 0.0
        whole = measure_value(conn, measures[1], start_ms, end_ms) or 0.0
        return _percent(part, whole), int(whole)
    if kpi.formula in ("sum", "percentile"):
        # The sample needs the values' count too, so read the selection here rather than
        # through measure_value (same SQL, one more column).
        sql, params = selection_sql(first.ref, start_ms, end_ms, field=first.field)
        if kpi.formula == "sum":
            count, total = conn.execute(f"SELECT count(value), total(value) FROM ({sql})", params).fetchone()
            return float(total), int(count)
        rows = conn.execute(f"SELECT value FROM ({sql}) WHERE value IS NOT NULL", params).fetchall()
        values = np.fromiter((v for (v,) in rows), dtype=np.float64, count=len(rows))
        return aggregate(values, first.aggregation), len(values)
    value = measure_value(conn, first, start_ms, end_ms) or 0.0
    return value, int(value)


def kpi_value(conn: sqlite3.Connection, kpi: KpiDefinition, start_ms: int, end_ms: int) -> KpiValue:
    """``kpi`` over ``[start_ms, end_ms)``, judged against its target and the range of the
    same length just before."""
    value, sample = measure_kpi(conn, kpi, start_ms, end_ms)
    previous, _ = measure_kpi(conn, kpi, 2 * start_ms - end_ms, start_ms)
    return judge(kpi, value, previous, sample=sample)


def kpi_series(
    conn: sqlite3.Connection, kpi: KpiDefinition, start_ms: int, end_ms: int, bucket_ms: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``kpi`` per bucket of ``bucket_ms`` from ``start_ms``: bucket starts and values (NaN
    where a rate, a percentile or an error rate has nothing to divide or rank)."""
    if bucket_ms <= 0:
        raise ValueError("bucket_ms must be positive")
    kpi = _scoped(kpi, kpi.project)
    if kpi.formula == "error_rate":
        count = max(1, -(-(end_ms - start_ms) // bucket_ms))
        starts = start_ms + bucket_ms * np.arange(count, dtype=np.int64)
        sessions, errored = np.zeros(count), np.zeros(count)
        sql = ("SELECT (started - ?) / ? AS b, count(*), sum(errors > 0) FROM sessions"
               " WHERE started >= ? AND started < ?")
        params: list[object] = [start_ms, bucket_ms, start_ms, end_ms]
        if kpi.project is not None:
            sql += " AND project = ?"
            params.append(kpi.project)
        for b, n, e in conn.execute(sql + " GROUP BY b", params):
            if 0 <= b < count:
                sessions[b], errored[b] = n, e
        return starts, _rates(errored, sessions)
    measures = kpi.measures()
    starts, values = measure_series(conn, measures[0], start_ms, end_ms, bucket_ms)
    if kpi.formula == "rate":
        _, whole = measure_series(conn, measures[1], start_ms, end_ms, bucket_ms)
        values = _rates(values, whole)
    return starts, values


def _rates(part: npt.NDArray[np.float64], whole: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = np.full(len(part), np.nan)
    np.divide(part * 100.0, whole, out=out, where=whole > 0)
    return out


# --- the report -------------------------------------------------------------------------------


def report_bucket(span_ms: int) -> int:
    """A round bucket (1 min, 5 min, 15 min, ... 30 days) giving at most 48 points over ``span_ms``."""
    for bucket in _BUCKETS:
        if span_ms <= bucket * _MAX_POINTS:
            return bucket
    return -(-span_ms // _MAX_POINTS)


def kpi_report(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, *, bucket_ms: int | None = None, now_ms: int | None = None
) -> KpiReport:
    """Every saved KPI over ``[start_ms, end_ms)``: value, previous range, status and a series."""
    if end_ms <= start_ms:
        raise ValueError("a report's range must end after it starts")
    bucket = bucket_ms or report_bucket(end_ms - start_ms)
    rows: list[KpiReportRow] = []
    for kpi in list_kpis(conn):
        starts, values = kpi_series(conn, kpi, start_ms, end_ms, bucket)
        if kpi.formula == "count":
            # A count is the sum of its buckets: no second reading of the range.
            total = float(values.sum())
            value: float | None = total
            sample = int(total)
        else:
            value, sample = measure_kpi(conn, kpi, start_ms, end_ms)
        previous, _ = measure_kpi(conn, kpi, 2 * start_ms - end_ms, start_ms)
        rows.append(KpiReportRow(judge(kpi, value, previous, sample=sample), starts, values))
    generated = int(time.time() * 1000) if now_ms is None else now_ms
    return KpiReport(start_ms=start_ms, end_ms=end_ms, bucket_ms=bucket, rows=tuple(rows), generated_ms=generated)

