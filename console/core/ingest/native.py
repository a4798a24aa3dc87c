"""Decoder for Lookout's native payloads: the shapes the product brief's SDK classes send.

``decode_native`` takes a request body (one event object, an array of them, or
``{"events": [...]}``) and returns the normalised events it could read, the index and
reason of each one it could not, and a count of the types it did not know. One bad event
never costs the good events of the same request. The function is pure: no database, no
network, so it is tested on recorded payloads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from console.core.analysis.grouping import ExceptionInfo, fingerprint, parse_stack, top_frame
from console.core.errors import IngestError
from console.core.events import Event, Kind
from console.core.ingest import native_fields as fields
from console.core.ingest.limits import (
    MAX_BREADCRUMBS,
    MAX_EVENTS_PER_REQUEST,
    MAX_ID,
    MAX_SPANS,
    MAX_STACK,
    clip,
    clip_data,
)
from console.core.ingest.native_kpi import kpi_event

__all__ = ["DecodedBatch", "Rejection", "decode_native", "decode_native_events"]

_LEVELS = {
    "critical": "fatal", "fatal": "fatal", "high": "error", "error": "error",
    "medium": "warning", "warning": "warning", "warn": "warning", "low": "info",
    "info": "info", "log": "info", "debug": "debug", "trace": "debug",
}

_PAGE_LOAD_METRICS = {
    "firstContentfulPaint": "fcp",
    "largestContentfulPaint": "lcp",
    "cumulativeLayoutShift": "cls",
    "firstInputDelay": "fid",
    "interactionToNextPaint": "inp",
    "timeToFirstByte": "ttfb",
    "domContentLoaded": "dom_content_loaded",
    "loadComplete": "load_complete",
    "resourceLoadTime": "resource_load_time",
    "timeToInteractive": "tti",
    "totalBlockingTime": "tbt",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """One event of a request that was not stored, and why."""

    index: int
    reason: str


@dataclass(slots=True)
class DecodedBatch:
    """What a request body decoded to."""

    events: list[Event] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)


def decode_native(body: bytes, *, project: str, now_ms: int) -> DecodedBatch:
    """Decode a native request body; raises IngestError when the body as a whole is unusable."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise IngestError("invalid_json", f"the body is not JSON: {exc}") from None
    if isinstance(parsed, dict) and "type" not in parsed and "events" in parsed:
        parsed = parsed["events"]
        if not isinstance(parsed, list):
            raise IngestError("invalid_shape", "'events' must be an array of event objects")
    elif isinstance(parsed, dict):
        parsed = [parsed]
    elif not isinstance(parsed, list):
        raise IngestError(
            "invalid_shape", "expected an event object, an array of them, or {\"events\": [...]}"
        )
    if len(parsed) > MAX_EVENTS_PER_REQUEST:
        raise IngestError(
            "too_many_events",
            f"{len(parsed)} events in one request; at most {MAX_EVENTS_PER_REQUEST}",
            status=413,
        )
    return decode_native_events(parsed, project=project, now_ms=now_ms)


def decode_native_events(items: list[Any], *, project: str, now_ms: int) -> DecodedBatch:
    """Decode already-parsed native event objects (the part of decode_native after JSON)."""
    batch = DecodedBatch()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            batch.rejected.append(Rejection(index, "an event must be a JSON object"))
            continue
        kind = item.get("type")
        if not isinstance(kind, str):
            batch.rejected.append(Rejection(index, "'type' is missing or not a string"))
            continue
        decoder = _DECODERS.get(kind)
        if decoder is None:
            batch.unknown_types[clip(kind, MAX_ID)] += 1
            continue
        try:
            batch.events.append(decoder(item, project, now_ms))
        except fields.Reject as exc:
            batch.rejected.append(Rejection(index, f"{kind}: {exc}"))
    return batch


# --- one decoder per native type -----------------------------------------------------------


def _transaction(item: dict[str, Any], project: str, now_ms: int) -> Event:
    tx = fields.obj(item, "transaction")
    if not tx:
        raise fields.Reject("'transaction' object is required")
    name = fields.text(tx, "name", required=True, limit=MAX_ID)
    duration = fields.number(tx, "duration")
    start, end = fields.number(tx, "startTime"), fields.number(tx, "endTime")
    if duration is None and start is not None and end is not None:
        duration = max(0.0, end - start)
    metadata, context = fields.obj(tx, "metadata"), fields.obj(tx, "context")
    session, user = fields.who(item, context, metadata)
    spans_in = tx.get("spans") or []
    if not isinstance(spans_in, list):
        raise fields.Reject("'transaction.spans' must be an array")
    ts = fields.timestamp(item, now_ms)
    children: list[tuple[str, dict[str, Any]]] = []
    for position, span in enumerate(spans_in[:MAX_SPANS]):
        if not isinstance(span, dict):
            raise fields.Reject(f"'transaction.spans[{position}]' must be an object")
        children.append(
            (
                "spans",
                {
                    "ts": ts,
                    "project": project,
                    "span_id": fields.ident(span, "id"),
                    "parent_id": fields.ident(span, "parentId"),
                    "name": fields.text(span, "name", limit=MAX_ID),
                    "op": fields.ident(span, "op"),
                    "start_ms": fields.number(span, "startTime"),
                    "duration_ms": fields.number(span, "duration"),
                    "status": fields.ident(span, "status"),
                    "data": clip_data(span),
                },
            )
        )
    status = fields.ident(fields.obj(tx, "result"), "status")
    # The event's own context and deviceInfo (as page loads carry them) come first; SDKs that
    # put everything in the transaction send it in its context or metadata.
    device_info, outer = fields.optional_obj(item, "deviceInfo"), fields.optional_obj(item, "context")
    return Event(
        kind=Kind.TRANSACTION,
        project=project,
        timestamp=ts,
        session_id=session,
        user_id=user,
        summary=f"{name} {fields.ms(duration)} ({len(children)} spans)",
        columns={
            "tx_id": fields.ident(tx, "id"),
            "name": name,
            "route": fields.text(metadata, "url", limit=MAX_ID),
            "duration_ms": duration,
            "status": status,
            "span_count": len(children),
            "release": fields.optional_ident(outer, context, metadata, key="appVersion")
            or fields.optional_ident(outer, context, metadata, key="release"),
            "environment": fields.optional_ident(outer, context, metadata, key="environment"),
            "platform": fields.optional_ident(device_info, context, metadata, key="platform"),
            "device": fields.device(device_info),
        },
        data=clip_data(item),
        children=children,
    )


def _page_load(item: dict[str, Any], project: str, now_ms: int) -> Event:
    route = fields.text(item, "url", required=True, limit=MAX_ID)
    metrics = fields.obj(item, "metrics")
    columns: dict[str, Any] = {"route": route}
    for name, column in _PAGE_LOAD_METRICS.items():
        columns[column] = fields.number(metrics, name)
    if all(columns[c] is None for c in _PAGE_LOAD_METRICS.values()):
        raise fields.Reject("'metrics' holds none of the known page-load metrics")
    context = fields.obj(item, "context")
    device_info = fields.optional_obj(item, "deviceInfo")
    columns["release"] = fields.ident(context, "appVersion") or fields.optional_ident(context, key="release")
    columns["environment"] = fields.optional_ident(context, key="environment")
    columns["platform"] = fields.optional_ident(device_info, key="platform")
    columns["device"] = fields.device(device_info)
    session, user = fields.who(item)
    lcp = columns["lcp"]
    return Event(
        kind=Kind.PAGE_LOAD,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=f"{route} LCP {fields.ms(lcp)}" if lcp is not None else f"{route} loaded",
        columns=columns,
        data=clip_data(item),
    )


def _page_view(item: dict[str, Any], project: str, now_ms: int) -> Event:
    route = fields.text(item, "url", required=True, limit=MAX_ID)
    device = fields.obj(item, "deviceInfo")
    width, height = fields.number(device, "screenWidth"), fields.number(device, "screenHeight")
    title = fields.text(item, "title", limit=MAX_ID)
    session, user = fields.who(item)
    return Event(
        kind=Kind.PAGE_VIEW,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=f"{route} — {title}" if title else str(route),
        columns={
            "view_id": fields.ident(item, "id"),
            "route": route,
            "title": title,
            "referrer": fields.text(item, "referrer", limit=MAX_ID),
            "platform": fields.ident(device, "platform"),
            "brand": fields.ident(device, "brand"),
            "model": fields.ident(device, "model"),
            "system": fields.ident(device, "system"),
            "client_version": fields.ident(device, "version"),
            "sdk_version": fields.ident(device, "SDKVersion"),
            "screen_width": None if width is None else int(width),
            "screen_height": None if height is None else int(height),
        },
        data=clip_data(item),
    )


def _interaction(item: dict[str, Any], project: str, now_ms: int) -> Event:
    action = fields.text(item, "action", required=True, limit=MAX_ID)
    element, coords = fields.obj(item, "element"), fields.obj(item, "coordinates")
    tag, element_id = fields.ident(element, "tag"), fields.ident(element, "id")
    text = fields.text(element, "text", limit=MAX_ID)
    scroll = fields.number(item, "scrollPercentage")
    if action == "scroll":
        summary = f"scroll to {scroll:.0f}%" if scroll is not None else "scroll"
    elif action == "form_submit":
        summary = f"form_submit #{fields.ident(fields.obj(item, 'form'), 'id') or '?'}"
    else:
        target = f"{tag or ''}#{element_id}" if element_id else (tag or "")
        summary = f"{action} {target} {text!r}" if text else f"{action} {target}"
    session, user = fields.who(item)
    return Event(
        kind=Kind.INTERACTION,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=summary.strip(),
        columns={
            "action": action,
            "element_tag": tag,
            "element_id": element_id,
            "element_text": text,
            "x": fields.number(coords, "x", non_negative=False),
            "y": fields.number(coords, "y", non_negative=False),
            "scroll_percentage": scroll,
        },
        data=clip_data(item),
    )


def _custom_event(item: dict[str, Any], project: str, now_ms: int) -> Event:
    name = fields.text(item, "name", required=True, limit=MAX_ID)
    fields.obj(item, "properties")
    session, user = fields.who(item)
    return Event(
        kind=Kind.CUSTOM_EVENT,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=str(name),
        columns={"name": name, "route": fields.text(fields.obj(item, "context"), "url", limit=MAX_ID)},
        data=clip_data(item),
    )


def _error_type(message: str, default: str) -> str:
    head, sep, _ = message.partition(":")
    if sep and head and head.replace("_", "").replace(".", "").isalnum() and " " not in head:
        return head
    return default


def _error(item: dict[str, Any], project: str, now_ms: int) -> Event:
    kind = item["type"]
    context = fields.obj(item, "context")
    children: list[tuple[str, dict[str, Any]]] = []
    ts = fields.timestamp(item, now_ms)
    session, user = fields.who(item)
    if kind == "network_error":
        url = fields.text(item, "url", required=True)
        method = fields.ident(item, "method")
        failure = fields.text(item, "error") or "failed"
        message = f"{method or 'GET'} {url}: {failure}"
        error_type = "NetworkError"
        culprit_hint: str | None = f"{method or 'GET'} {str(url).split('?')[0]}"
        children.append(
            (
                "network_requests",
                {
                    "ts": ts, "project": project, "session_id": session, "user_id": user,
                    "url": url, "method": method, "status": None,
                    "duration_ms": fields.number(item, "duration"), "success": 0, "error": failure,
                    "data": None,
                },
            )
        )
    else:
        found = fields.text(item, "message") or fields.text(item, "reason")
        if not found:
            raise fields.Reject("'message' (or 'reason') is required")
        message = found
        error_type = _error_type(message, "UnhandledRejection" if kind == "unhandled_promise_rejection" else "Error")
        culprit_hint = None
    stack = fields.text(item, "stack", limit=MAX_STACK) or ""
    frames = parse_stack(stack)
    frame = top_frame(frames)
    route = fields.text(context, "route", limit=MAX_ID) or fields.text(context, "url", limit=MAX_ID)
    if frame is not None:
        culprit = frame.label()
    elif item.get("filename"):
        culprit = f"{fields.text(item, 'filename', limit=MAX_ID)}:{fields.number(item, 'lineno') or 0:.0f}"
    else:
        culprit = culprit_hint or route or ""
    client_fp = item.get("fingerprint")
    if isinstance(client_fp, str):
        client_fp = [client_fp]
    elif not (isinstance(client_fp, list) and all(isinstance(p, str) for p in client_fp)):
        client_fp = None
    severity = fields.text(item, "severity", limit=MAX_ID) or fields.text(item, "level", limit=MAX_ID) or "error"
    level = _LEVELS.get(severity.lower(), "error")
    data = clip_data(item)
    crumbs = data.get("breadcrumbs")
    if crumbs is not None and not isinstance(crumbs, list):
        raise fields.Reject("'breadcrumbs' must be an array")
    if crumbs and len(crumbs) > MAX_BREADCRUMBS:
        data["breadcrumbs"] = crumbs[-MAX_BREADCRUMBS:]
        data["breadcrumbs_dropped"] = len(crumbs) - MAX_BREADCRUMBS
    return Event(
        kind=Kind.ERROR,
        project=project,
        timestamp=ts,
        session_id=session,
        user_id=user,
        summary=clip(message, 300),
        columns={
            "fingerprint": fingerprint(
                exceptions=[ExceptionInfo(error_type, message, frames)],
                message=message,
                client_fingerprint=client_fp,
            ),
            "error_id": fields.ident(item, "id"),
            "error_type": error_type,
            "message": message,
            "level": level,
            "culprit": culprit,
            "route": route,
            "release": fields.ident(context, "appVersion") or fields.ident(context, "release"),
            "environment": fields.ident(context, "environment"),
        },
        data=data,
        children=children,
    )


def _network_request(item: dict[str, Any], project: str, now_ms: int) -> Event:
    url = fields.text(item, "url", required=True)
    method = fields.ident(item, "method") or "GET"
    status = fields.number(item, "status")
    duration = fields.number(item, "duration")
    success = item.get("success")
    if success is None and status is not None:
        success = 200 <= status < 400
    session, user = fields.who(item)
    status_text = "" if status is None else f" {status:.0f}"
    return Event(
        kind=Kind.NETWORK_REQUEST,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=f"{method} {clip(str(url), 200)}{status_text} {fields.ms(duration)}",
        columns={
            "url": url,
            "method": method,
            "status": None if status is None else int(status),
            "duration_ms": duration,
            "success": None if success is None else int(bool(success)),
            "error": fields.text(item, "error"),
        },
        data=clip_data(item),
    )


def _log(item: dict[str, Any], project: str, now_ms: int) -> Event:
    message = fields.text(item, "message", required=True)
    raw_level = (fields.text(item, "level", limit=MAX_ID) or "info").lower()
    level = _LEVELS.get(raw_level, raw_level)
    session, user = fields.who(item)
    return Event(
        kind=Kind.LOG,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        session_id=session,
        user_id=user,
        summary=f"{level}: {clip(str(message), 300)}",
        columns={
            "level": level,
            "message": message,
            "source": fields.text(item, "source", limit=MAX_ID),
            "environment": fields.ident(item, "environment"),
        },
        data=clip_data(item),
    )


def _analytics(item: dict[str, Any], project: str, now_ms: int) -> Event:
    name = fields.text(item, "name", required=True, limit=MAX_ID)
    props = fields.obj(item, "properties")
    ts = fields.timestamp(item, now_ms)
    session, user = fields.who(item)
    columns: dict[str, Any] = {
        "name": name, "client_event_id": fields.ident(item, "eventId"), "conversion_type": None,
        "value": None, "currency": None, "funnel": None, "step": None, "step_index": None,
    }
    children: list[tuple[str, dict[str, Any]]] = []
    summary = str(name)
    if name == "user_identified":
        user = fields.ident(props, "userId") or user
        if not user:
            raise fields.Reject("'properties.userId' (or 'userId') is required to identify a user")
        fields.obj(props, "properties")
        summary = f"identified {user}"
    elif name == "conversion":
        columns["conversion_type"] = fields.ident(props, "type")
        columns["value"] = fields.number(props, "value", non_negative=False)
        columns["currency"] = fields.ident(props, "currency")
        value = "" if columns["value"] is None else f" {columns['value']:g} {columns['currency'] or ''}"
        summary = f"conversion {columns['conversion_type'] or ''}{value}".rstrip()
    elif name == "funnel_step":
        columns["funnel"] = fields.text(props, "funnel", required=True, limit=MAX_ID)
        columns["step"] = fields.text(props, "step", required=True, limit=MAX_ID)
        index = fields.number(props, "stepIndex")
        columns["step_index"] = None if index is None else int(index)
        summary = f"funnel {columns['funnel']}: {columns['step']}"
    elif name in ("experiment_assignment", "experiment_goal"):
        experiment = fields.text(props, "experimentId", required=True, limit=MAX_ID)
        variant = fields.text(props, "variant", required=name == "experiment_assignment", limit=MAX_ID)
        user = fields.ident(props, "userId") or user
        common = {"ts": ts, "project": project, "experiment": experiment, "variant": variant,
                  "user_id": user, "session_id": session}
        if name == "experiment_assignment":
            children.append(("experiment_assignments", common))
            summary = f"{experiment}: assigned {variant}"
        else:
            goal = fields.text(props, "goal", required=True, limit=MAX_ID)
            columns["value"] = fields.number(props, "value", non_negative=False)
            children.append(("experiment_goals", {**common, "goal": goal, "value": columns["value"]}))
            summary = f"{experiment}: goal {goal} ({variant or 'no variant'})"
    return Event(
        kind=Kind.ANALYTICS,
        project=project,
        timestamp=ts,
        session_id=session,
        user_id=user,
        summary=summary,
        columns=columns,
        data=clip_data(item),
        children=children,
    )


def _experiment(item: dict[str, Any], project: str, now_ms: int) -> Event:
    key = fields.text(item, "id", required=True, limit=MAX_ID)
    variants = item.get("variants")
    if not isinstance(variants, list) or not variants:
        raise fields.Reject("'variants' must be a non-empty array")
    shares = []
    for position, variant in enumerate(variants):
        if not isinstance(variant, dict):
            raise fields.Reject(f"'variants[{position}]' must be an object")
        label = fields.text(variant, "name", required=True, limit=MAX_ID)
        weight = fields.number(variant, "weight")
        shares.append(f"{label} {weight:g}" if weight is not None else str(label))
    goals = item.get("goals", [])
    if not isinstance(goals, list) or not all(isinstance(g, str) for g in goals):
        raise fields.Reject("'goals' must be an array of goal names")
    return Event(
        kind=Kind.EXPERIMENT,
        project=project,
        timestamp=fields.timestamp(item, now_ms),
        summary=f"experiment {key} ({' / '.join(shares)})",
        columns={"experiment": key, "name": fields.text(item, "name", limit=MAX_ID)},
        data=clip_data(item),
    )


def _kpi(item: dict[str, Any], project: str, now_ms: int) -> Event:
    try:
        return kpi_event(item, project=project, timestamp=fields.timestamp(item, now_ms))
    except ValueError as exc:
        raise fields.Reject(str(exc)) from None


_DECODERS: dict[str, Callable[[dict[str, Any], str, int], Event]] = {
    "transaction": _transaction,
    "page_load": _page_load,
    "page_view": _page_view,
    "interaction": _interaction,
    "custom_event": _custom_event,
    "javascript_error": _error,
    "unhandled_promise_rejection": _error,
    "network_error": _error,
    "network_request": _network_request,
    "log": _log,
    "event": _analytics,
    "experiment": _experiment,
    "kpi": _kpi,
}
