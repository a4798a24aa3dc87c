"""Queries behind the Metrics panel: the series OTLP senders exported, and their points.

A series is a metric name (with its type, unit and service); its points are what
``metric_points`` holds, one row per exported data point. For a gauge or a sum the value
is the point's value; for a histogram it is the mean of the bucket (sum / count).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["MetricPoint", "MetricSeries", "metric_points", "metric_series"]


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric name as the list shows it."""

    name: str
    type: str
    unit: str | None
    service: str | None
    points: int
    last_ts: int
    last_value: float | None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One exported data point of a series."""

    ts: int
    value: float | None
    count: int | None


def metric_series(conn: sqlite3.Connection, *, limit: int = 500) -> list[MetricSeries]:
    """Every metric name with its point count and latest value, by name."""
    rows = conn.execute(
        "SELECT name, type, unit, service, count(*), max(ts),"
        " (SELECT value FROM metric_points q WHERE q.name = p.name ORDER BY ts DESC, id DESC LIMIT 1)"
        " FROM metric_points p GROUP BY name ORDER BY name LIMIT ?",
        (limit,),
    ).fetchall()
    return [MetricSeries(*row) for row in rows]


def metric_points(
    conn: sqlite3.Connection, name: str, *, since_ms: int | None = None, limit: int = 10_000
) -> list[MetricPoint]:
    """The newest ``limit`` points of one series since ``since_ms``, oldest first."""
    rows = conn.execute(
        "SELECT ts, value, count FROM metric_points WHERE name = ? AND ts >= ?"
        " ORDER BY ts DESC, id DESC LIMIT ?",
        (name, since_ms if since_ms is not None else 0, limit),
    ).fetchall()
    return [MetricPoint(*row) for row in reversed(rows)]
