"""Sentry logs, release-health sessions and client reports as Lookout events.

A ``log`` item (``{"items": [...]}`` of structured logs) gives one LOG per entry, a bad
entry costing only itself; a ``session`` item one SESSION_UPDATE; a ``sessions`` item
(pre-aggregated buckets) one SESSION_UPDATE per bucket and status with its count as
``quantity``; a ``client_report`` one CLIENT_REPORT with the number of events the client
dropped. Levels are normalised as the native decoder's (``warn`` → warning, ``trace`` →
debug), falling back to the OpenTelemetry severity number.
"""

from __future__ import annotations

from typing import Any

from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_ID, clip, clip_data
from console.core.ingest.sentry_fields import (
    LEVELS,
    Reject,
    array,
    attribute_values,
    ident,
    integer,
    ms,
    number,
    obj,
    seconds,
    text,
)

__all__ = ["MAX_SESSION_BUCKETS", "client_report_event", "log_events", "session_aggregate_events", "session_event"]

MAX_SESSION_BUCKETS = 100
"""Aggregate buckets read from one ``sessions`` item (Relay's limit)."""

# Client report categories counted in bytes, not items: not events a client dropped.
_BYTE_CATEGORIES = {"attachment", "log_byte", "trace_metric_byte"}
# OpenTelemetry severity numbers: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal.
_OTEL_SEVERITY = ((4, "debug"), (8, "debug"), (12, "info"), (16, "warning"), (20, "error"), (24, "fatal"))


def log_events(payload: Any, *, project: str, now_ms: int) -> tuple[list[Event], list[str]]:
    """The LOG events of one log item, and the reason for each entry that could not be read."""
    if not isinstance(payload, dict):
        raise Reject("a log item must be {\"items\": [...]}")
    events: list[Event] = []
    bad: list[str] = []
    for position, entry in enumerate(array(payload, "items")):
        try:
            events.append(_log(entry, project=project, now_ms=now_ms))
        except Reject as exc:
            bad.append(f"log {position}: {exc}")
    return events, bad


def _log(entry: Any, *, project: str, now_ms: int) -> Event:
    if not isinstance(entry, dict):
        raise Reject("a log must be a JSON object")
    body = text(entry, "body")
    if body is None:
        raise Reject("'body' is required")
    attrs = attribute_values(entry.get("attributes"))
    raw_level = entry.get("level")
    if isinstance(raw_level, str) and raw_level.strip():
        found = raw_level.strip().lower()
        severity = LEVELS.get(found, clip(found, MAX_ID))
    else:
        severity = _from_severity_number(number(entry, "severity_number"))
    stamp = seconds(entry, "timestamp")
    data = {**entry, "attributes": attrs, "_format": "sentry"}
    return Event(
        kind=Kind.LOG,
        project=project,
        timestamp=ms(stamp) if stamp is not None else now_ms,
        user_id=ident(attrs, "user.id") or ident(attrs, "user.email"),
        summary=f"{severity}: {clip(body, 300)}",
        columns={
            "level": severity,
            "message": body,
            "source": ident(attrs, "logger.name") or ident(attrs, "sentry.origin") or "sentry",
            "environment": ident(attrs, "sentry.environment"),
            "trace_id": ident(entry, "trace_id"),
            "span_id": ident(entry, "span_id") or ident(attrs, "sentry.trace.parent_span_id"),
        },
        data=clip_data(data),
    )


def _from_severity_number(value: float | None) -> str:
    if value is not None:
        for upper, name in _OTEL_SEVERITY:
            if value <= upper:
                return name
    return "info"


def session_event(payload: dict[str, Any], *, project: str, now_ms: int) -> Event:
    """One session update (``sid``, ``status``, ``errors``, ``attrs.release``, ...)."""
    sid = ident(payload, "sid", required=True)
    status = ident(payload, "status") or "ok"
    errors = integer(payload, "errors") or 0
    init = payload.get("init")
    if init is not None and not isinstance(init, bool):
        raise Reject("'init' must be a boolean")
    stamp = seconds(payload, "timestamp") or seconds(payload, "started")
    attrs = obj(payload, "attrs")
    release = ident(attrs, "release")
    noun = "error" if errors == 1 else "errors"
    said = f"session {status}" + (f", {errors} {noun}" if errors else "") + (f" ({release})" if release else "")
    return Event(
        kind=Kind.SESSION_UPDATE,
        project=project,
        timestamp=ms(stamp) if stamp is not None else now_ms,
        session_id=sid,
        user_id=ident(payload, "did"),
        summary=said,
        columns={
            "status": status,
            "release": release,
            "environment": ident(attrs, "environment"),
            "errors": errors,
            "quantity": 1,
            "init": None if init is None else int(init),
            "duration_s": number(payload, "duration"),
        },
        data=clip_data({**payload, "_format": "sentry"}),
    )


def session_aggregate_events(payload: dict[str, Any], *, project: str, now_ms: int) -> list[Event]:
    """One event per bucket and status of a ``sessions`` item, its count as ``quantity``."""
    attrs = obj(payload, "attrs")
    release, environment = ident(attrs, "release"), ident(attrs, "environment")
    events: list[Event] = []
    for position, bucket in enumerate(array(payload, "aggregates")[:MAX_SESSION_BUCKETS]):
        if not isinstance(bucket, dict):
            raise Reject(f"'aggregates[{position}]' must be an object")
        stamp = seconds(bucket, "started")
        for status in ("exited", "errored", "crashed", "abnormal"):
            count = integer(bucket, status)
            if not count:
                continue
            events.append(
                Event(
                    kind=Kind.SESSION_UPDATE,
                    project=project,
                    timestamp=ms(stamp) if stamp is not None else now_ms,
                    user_id=ident(bucket, "did"),
                    summary=f"{count} session{'s' if count != 1 else ''} {status}"
                    + (f" ({release})" if release else ""),
                    columns={
                        "status": status, "release": release, "environment": environment,
                        "errors": None, "quantity": count, "init": None, "duration_s": None,
                    },
                    data=clip_data({"attrs": attrs, "bucket": bucket, "_format": "sentry"}),
                )
            )
    return events


def client_report_event(payload: dict[str, Any], *, project: str, now_ms: int) -> Event:
    """What the client dropped before sending; ``discarded`` counts events, not bytes."""
    parts: list[str] = []
    total = 0
    for position, entry in enumerate(array(payload, "discarded_events")):
        if not isinstance(entry, dict):
            raise Reject(f"'discarded_events[{position}]' must be an object")
        quantity = integer(entry, "quantity") or 0
        category = ident(entry, "category") or "?"
        if category not in _BYTE_CATEGORIES:
            total += quantity
        parts.append(f"{ident(entry, 'reason') or '?'}: {category} {quantity}")
    shown = "; ".join(parts[:3]) + ("; …" if len(parts) > 3 else "")
    summary = f"client dropped {total} event{'s' if total != 1 else ''}" + (f" ({shown})" if shown else "")
    stamp = seconds(payload, "timestamp")
    return Event(
        kind=Kind.CLIENT_REPORT,
        project=project,
        timestamp=ms(stamp) if stamp is not None else now_ms,
        summary=clip(summary, 300),
        columns={"discarded": total},
        data=clip_data({**payload, "_format": "sentry"}),
    )
