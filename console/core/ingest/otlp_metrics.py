"""OTLP metrics to one metric batch per request, a metric point row per data point.

Gauges and sums keep their value; histograms (explicit and exponential) and summaries
keep count and sum, with their mean as the value. Buckets and quantiles are not stored.
A batch's "series" are the distinct metric names in it: a cumulative export sends one
point per metric and attribute set, so a count of attribute sets would only repeat the
point count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_EVENTS_PER_REQUEST, MAX_ID, clip, clip_data
from console.core.ingest.otlp_common import (
    ItemRejected,
    Output,
    ResourceInfo,
    attributes,
    double,
    entries,
    enum,
    int64,
    items_under,
    scopes,
    text,
    time_ms,
    uint64,
)
from console.core.ingest.otlp_common import (
    field as get,
)

__all__ = ["decode_metrics"]

# (field in the Metric message, Lookout's type name), in the proto's oneof order.
_TYPES = (
    ("gauge", "gauge"),
    ("sum", "sum"),
    ("histogram", "histogram"),
    ("exponentialHistogram", "exponential_histogram"),
    ("summary", "summary"),
)
_TEMPORALITIES = {1: "delta", 2: "cumulative"}
_TEMPORALITY_NAMES = {"AGGREGATION_TEMPORALITY_DELTA": 1, "AGGREGATION_TEMPORALITY_CUMULATIVE": 2}
_INT64_MAX = 2**63 - 1


@dataclass(slots=True)
class _Batch:
    """The points of one project in a request, and what the batch event says about them."""

    project: str
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)

    def event(self) -> Event:
        names = list(self.metrics)
        shown = ", ".join(clip(n, 60) for n in names[:3]) + (", …" if len(names) > 3 else "")
        points = len(self.rows)
        return Event(
            kind=Kind.METRICS,
            project=self.project,
            timestamp=max(row["ts"] for _, row in self.rows),
            summary=(
                f"metrics: {points} point{'s' if points != 1 else ''} of {len(names)} "
                f"series ({shown})"
            ),
            columns={"point_count": points, "series_count": len(names)},
            data={"_format": "otlp", "metrics": list(self.metrics.values()), "resources": self.resources},
            children=self.rows,
        )


def decode_metrics(request: dict[str, Any], *, project: str | None, out: Output) -> None:
    """Append the metric batch of an ExportMetricsServiceRequest (as a dict) to ``out``.

    One batch event per request, or one per project when the request's resources name
    several (an event belongs to one project).
    """
    batches: dict[str, _Batch] = {}
    read = 0
    for resource, scope, scope_metrics in scopes(
        request, "resourceMetrics", "scopeMetrics", "metrics", project=project, out=out, count=_count_points
    ):
        batch = batches.setdefault(resource.project, _Batch(resource.project))
        if resource.attributes not in batch.resources:
            batch.resources.append(resource.attributes)
        for metric in entries(scope_metrics, "metrics", out):
            try:
                name = text(metric, "name", required=True, limit=MAX_ID) or ""
                unit = text(metric, "unit", limit=MAX_ID)
                kind, points = _data_of(metric)
            except ItemRejected as exc:
                out.reject(f"metric: {exc}", _count_points(metric))
                continue
            if points is None:
                continue  # a metric with no data: nothing to keep, nothing wrong
            if name not in batch.metrics:
                batch.metrics[name] = _describe(metric, name, unit, kind, points, scope)
            for point in entries(points, "dataPoints", out):
                read += 1
                if read > MAX_EVENTS_PER_REQUEST:
                    out.reject(f"over {MAX_EVENTS_PER_REQUEST} data points in one request")
                    continue
                try:
                    batch.rows.append(_point(point, name, unit, kind, resource, out.now_ms))
                except ItemRejected as exc:
                    out.reject(f"metric {clip(name, 60)!r}: {exc}")
    for batch in batches.values():
        if batch.rows:
            out.events.append(batch.event())


def _count_points(container: Any, *path: str) -> int:
    """How many data points a container that cannot be read held, at least one."""
    metrics = items_under(container, *path) if path else [container]
    return max(1, sum(len(items_under(m, key, "dataPoints")) for m in metrics for key, _ in _TYPES))


def _data_of(metric: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    for key, kind in _TYPES:
        found = get(metric, key)
        if found is not None:
            if not isinstance(found, dict):
                raise ItemRejected(f"'{key}' must be an object")
            return kind, found
    return "", None


def _describe(
    metric: dict[str, Any], name: str, unit: str | None, kind: str, points: dict[str, Any], scope: dict[str, Any]
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "type": kind}
    if unit:
        meta["unit"] = unit
    description = metric.get("description")
    if isinstance(description, str) and description:
        meta["description"] = clip(description, 500)
    try:
        temporality = _TEMPORALITIES.get(enum(points, "aggregationTemporality", _TEMPORALITY_NAMES))
    except ItemRejected:
        temporality = None
    if temporality:
        meta["temporality"] = temporality
    monotonic = get(points, "isMonotonic")
    if isinstance(monotonic, bool):
        meta["monotonic"] = monotonic
    if scope:
        meta["scope"] = scope
    return meta


def _point(
    point: dict[str, Any], name: str, unit: str | None, kind: str, resource: ResourceInfo, now_ms: int
) -> tuple[str, dict[str, Any]]:
    timestamp = time_ms(point, "timeUnixNano") or now_ms
    count: int | None = None
    total: float | None = None
    if kind in ("gauge", "sum"):
        if get(point, "asDouble") is not None:
            value = double(point, "asDouble")
        else:
            as_int = int64(point, "asInt")
            value = None if as_int is None else float(as_int)
    else:
        count = uint64(point, "count")
        if count is not None and count > _INT64_MAX:
            raise ItemRejected("'count' is out of range")
        total = double(point, "sum")
        value = total / count if count and total is not None else None
    return (
        "metric_points",
        {
            "ts": timestamp,
            "project": resource.project,
            "name": name,
            "unit": unit,
            "type": kind,
            "service": resource.service,
            "value": value,
            "count": count,
            "sum": total,
            "attributes": clip_data(attributes(point)),
        },
    )
