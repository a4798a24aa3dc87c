"""OTLP log records to logs, errors, page loads and experiment assignments.

A log record is a log, unless it is one of the events browser and mini-program SDKs send
as log records: an exception (event name ``exception`` or an ``exception.type``
attribute) becomes an error, a ``browser.web_vital`` a page load with that one metric,
and a ``feature_flag.evaluation`` an experiment assignment.
"""

from __future__ import annotations

import math
from typing import Any

from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_EVENTS_PER_REQUEST, MAX_ID, MAX_STRING, clip, clip_data
from console.core.ingest.otlp_common import (
    ItemRejected,
    Output,
    ResourceInfo,
    any_value,
    attributes,
    entries,
    enum,
    error_event,
    field,
    first_text,
    ident,
    json_text,
    path_of,
    scopes,
    text,
    time_ms,
    who,
)

__all__ = ["decode_logs"]

_BANDS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_SEVERITY_NAMES = {
    f"SEVERITY_NUMBER_{band}{'' if step == 1 else step}": index * 4 + step
    for index, band in enumerate(_BANDS)
    for step in range(1, 5)
}
# Severity numbers 1-24 in bands of four: trace and debug are both "debug" here.
_BAND_LEVELS = ("debug", "debug", "info", "warning", "error", "fatal")
_TEXT_LEVELS = {
    "trace": "debug", "debug": "debug", "info": "info", "information": "info", "notice": "info",
    "log": "info", "warn": "warning", "warning": "warning", "error": "error", "err": "error",
    "critical": "fatal", "crit": "fatal", "fatal": "fatal", "alert": "fatal", "emergency": "fatal",
    "panic": "fatal",
}
_WEB_VITALS = {"lcp": "lcp", "cls": "cls", "inp": "inp", "fcp": "fcp", "ttfb": "ttfb", "fid": "fid"}
_PAGE_LOAD_METRICS = ("fcp", "lcp", "cls", "fid", "inp", "ttfb", "dom_content_loaded", "load_complete",
                      "resource_load_time", "tti", "tbt")
_URL_KEYS = ("url.full", "browser.page.url", "http.url", "page.url")


def decode_logs(request: dict[str, Any], *, project: str | None, out: Output) -> None:
    """Append the events of an ExportLogsServiceRequest (as a dict) to ``out``."""
    read = 0
    for resource, scope, scoped in scopes(request, "resourceLogs", "scopeLogs", "logRecords", project=project, out=out):
        for raw in entries(scoped, "logRecords", out):
            read += 1
            if read > MAX_EVENTS_PER_REQUEST:
                out.reject(f"over {MAX_EVENTS_PER_REQUEST} log records in one request")
                continue
            try:
                out.events.append(_record(raw, scope, resource, out.now_ms))
            except ItemRejected as exc:
                out.reject(f"log record: {exc}")


def _level_of(severity_number: int, severity_text: str | None) -> str:
    """Lookout's level of a record: from the severity number's band, else from the text."""
    if 1 <= severity_number <= 24:
        return _BAND_LEVELS[(severity_number - 1) // 4]
    if severity_text:
        word = severity_text.strip().lower().rstrip("0123456789")
        return _TEXT_LEVELS.get(word, clip(word, 32) or "info")
    return "info"


def _record(raw: dict[str, Any], scope: dict[str, Any], resource: ResourceInfo, now_ms: int) -> Event:
    attrs = clip_data(attributes(raw))
    timestamp = time_ms(raw, "timeUnixNano") or time_ms(raw, "observedTimeUnixNano") or now_ms
    trace_id, span_id = ident(raw, "traceId", 16), ident(raw, "spanId", 8)
    event_name = text(raw, "eventName", limit=MAX_ID) or first_text(attrs, "event.name")
    severity_text = text(raw, "severityText", limit=MAX_ID)
    level = _level_of(enum(raw, "severityNumber", _SEVERITY_NAMES), severity_text)
    body = clip_data(any_value(field(raw, "body")))
    message = "" if body is None else clip(json_text(body), MAX_STRING)
    source = scope.get("name") or first_text(attrs, "logger.name", "code.namespace") or resource.service
    url = first_text(attrs, *_URL_KEYS, limit=MAX_STRING)
    data: dict[str, Any] = {"_format": "otlp", "attributes": attrs, "scope": scope}
    if event_name:
        data["event_name"] = event_name
    if severity_text:
        data["severity_text"] = severity_text

    if event_name == "exception" or "exception.type" in attrs:
        if not isinstance(body, str) and body is not None:
            data["body"] = body
        return error_event(
            resource=resource,
            exception=attrs,
            context=attrs,
            timestamp=timestamp,
            trace_id=trace_id,
            route=path_of(url) or first_text(attrs, "url.path"),
            level="fatal" if level == "fatal" else "error",
            fallback_message=message,
            where=source,
            data={**data, "message": message} if message else data,
        )
    if event_name == "browser.web_vital":
        page_load = _page_load(attrs, url, timestamp, resource, data)
        if page_load is not None:
            return page_load
    elif event_name == "feature_flag.evaluation":
        return _assignment(attrs, timestamp, resource, data)

    if not isinstance(body, str) and body is not None:
        data["body"] = body
    session, user = who(attrs, resource)
    return Event(
        kind=Kind.LOG,
        project=resource.project,
        timestamp=timestamp,
        session_id=session,
        user_id=user,
        summary=f"{level}: {clip(message or event_name or '(no body)', 300)}",
        columns={
            "level": level,
            "message": message or event_name or "",
            "source": source,
            "environment": resource.environment,
            "trace_id": trace_id,
            "span_id": span_id,
        },
        data=data,
    )


def _page_load(
    attrs: dict[str, Any], url: str | None, timestamp: int, resource: ResourceInfo, data: dict[str, Any]
) -> Event | None:
    """A page load with the one web vital of a ``browser.web_vital`` record (None: not a
    vital Lookout knows, so the record stays a log)."""
    name = first_text(attrs, "browser.web_vital.name", "web_vital.name")
    column = _WEB_VITALS.get((name or "").lower())
    if column is None:
        return None
    value = attrs.get("browser.web_vital.value", attrs.get("web_vital.value"))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ItemRejected("'browser.web_vital.value' must be a non-negative number")
    url = url or first_text(resource.attributes, *_URL_KEYS, limit=MAX_STRING)
    route = path_of(url) or first_text(attrs, "url.path")
    columns: dict[str, Any] = dict.fromkeys(_PAGE_LOAD_METRICS)
    columns[column] = float(value)
    columns["route"] = clip(route, MAX_ID) if route else None
    columns["release"] = resource.release
    columns["environment"] = resource.environment
    # The record's own attributes win over its resource's, as for the route.
    columns["platform"] = first_text(attrs, "browser.platform") or resource.platform
    columns["device"] = first_text(attrs, "device.model.name", "device.model.identifier") or resource.device
    shown = f"{value:.3g}" if column == "cls" else f"{value:.0f} ms"
    session, user = who(attrs, resource)
    return Event(
        kind=Kind.PAGE_LOAD,
        project=resource.project,
        timestamp=timestamp,
        session_id=session,
        user_id=user,
        summary=f"{route or 'page'} {column.upper()} {shown}",
        columns=columns,
        data={**data, "url": url} if url else data,
    )


def _assignment(attrs: dict[str, Any], timestamp: int, resource: ResourceInfo, data: dict[str, Any]) -> Event:
    """An experiment assignment from a ``feature_flag.evaluation`` record: the flag is the
    experiment, the evaluated variant the variant, the evaluation context's id the user."""
    key = first_text(attrs, "feature_flag.key")
    if key is None:
        raise ItemRejected("'feature_flag.key' is required")
    variant = first_text(attrs, "feature_flag.result.variant", "feature_flag.variant")
    if variant is None:
        value = attrs.get("feature_flag.result.value")
        if isinstance(value, bool):
            variant = "true" if value else "false"
        elif isinstance(value, (str, int, float)) and value != "":
            variant = clip(str(value), MAX_ID)
        else:
            raise ItemRejected("'feature_flag.result.variant' (or 'feature_flag.result.value') is required")
    session, user = who(attrs, resource)
    user = first_text(attrs, "feature_flag.context.id") or user
    return Event(
        kind=Kind.ANALYTICS,
        project=resource.project,
        timestamp=timestamp,
        session_id=session,
        user_id=user,
        summary=f"{key}: assigned {variant}",
        columns={
            "name": "experiment_assignment", "client_event_id": None, "conversion_type": None,
            "value": None, "currency": None, "funnel": None, "step": None, "step_index": None,
        },
        data={**data, "properties": {"experimentId": key, "variant": variant, "userId": user}},
        children=[
            (
                "experiment_assignments",
                {"ts": timestamp, "project": resource.project, "experiment": key, "variant": variant,
                 "user_id": user, "session_id": session},
            )
        ],
    )
