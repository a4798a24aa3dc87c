"""Decoder for what Sentry SDKs send: envelopes and legacy ``/store/`` events.

``decode_envelope`` splits the body (:mod:`console.core.ingest.envelope`), then decodes item
by item: ``event`` → an ERROR (with the raw item bytes and the envelope's attachments as
child rows), ``transaction`` and ``span`` → TRANSACTION, SPANS and PAGE_LOAD
(:mod:`console.core.ingest.sentry_traces`), ``log`` → one LOG per entry, ``session`` and
``sessions`` → SESSION_UPDATE, ``client_report`` → CLIENT_REPORT. Other types (profiles,
replays, check-ins, ...) are counted as unsupported, never refused. One bad item is a
rejection reason in the batch and costs no other item; only a body whose framing is
broken raises :class:`IngestError`. Errors are grouped by the one grouper
(:mod:`console.core.analysis.grouping`). Pure: no database, no network.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from console.core.analysis.grouping import ExceptionInfo, StackFrame, culprit, fingerprint
from console.core.errors import IngestError
from console.core.events import Event, Kind
from console.core.ingest.envelope import Envelope, EnvelopeItem, parse_envelope
from console.core.ingest.limits import MAX_BREADCRUMBS, MAX_ID, clip, clip_data
from console.core.ingest.sentry_fields import (
    Reject,
    array,
    ident,
    level,
    ms,
    number,
    obj,
    seconds,
    tag,
    text,
    user_id,
)
from console.core.ingest.sentry_telemetry import (
    client_report_event,
    log_events,
    session_aggregate_events,
    session_event,
)
from console.core.ingest.sentry_traces import SpanRecord, read_span_item, span_events, transaction_events

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_ITEM_BYTES",
    "RAW_CAP",
    "SentryBatch",
    "decode_envelope",
    "decode_store_event",
]

MAX_ITEM_BYTES = 1024 * 1024
"""Largest event, transaction, span, log or session item decoded (Relay's 1 MiB limit)."""
MAX_CLIENT_REPORT_BYTES = 4 * 1024
"""Largest client report item (Relay's limit)."""
MAX_ATTACHMENT_BYTES = 1024 * 1024
"""Bytes of an attachment kept; the rest is cut and the row marked truncated."""
RAW_CAP = 256 * 1024
"""Bytes of an error's raw item kept by default."""
MAX_FRAMES = 250
"""Frames per exception the grouper sees: the innermost ones."""

_DECODED = {"event", "transaction", "span", "log", "session", "sessions", "client_report"}


@dataclass(slots=True)
class SentryBatch:
    """What one envelope or store body decoded to.

    ``event_id`` is the envelope header's, else the first event's; ``dsn_key`` the public
    key of the envelope header's ``dsn`` (else of its ``trace.public_key``) and
    ``dsn_project`` that DSN's project id (the last path segment, ``1`` in
    ``http://KEY@host/1``); ``unsupported`` counts the item types Lookout does not store;
    ``rejected`` gives a reason for each item (or entry of a log or span container) that was
    bad, starting with ``too large:`` when it was over its size limit; ``accepted`` counts
    the items that were decoded. See :attr:`refused` for when to answer 400.
    """

    events: list[Event] = field(default_factory=list)
    event_id: str | None = None
    dsn_key: str | None = None
    dsn_project: str | None = None
    unsupported: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)
    accepted: int = 0

    @property
    def refused(self) -> bool:
        """True when something was rejected and no item could be used: answer 400.

        Unsupported items are not "used": an envelope of a profile and a broken event is
        refused, so the developer sees why the event went missing.
        """
        return bool(self.rejected) and self.accepted == 0

    def assign_project(self, project: str) -> None:
        """Move every event and its child rows to ``project`` (for ``/stream``, where the
        envelope's DSN, known only after decoding, names the project)."""
        for event in self.events:
            event.project = project
            for _, row in event.children:
                row["project"] = project


def decode_envelope(body: bytes, *, project: str, now_ms: int, raw_cap: int = RAW_CAP) -> SentryBatch:
    """Decode an envelope body; raises IngestError only when its framing is broken."""
    envelope = parse_envelope(body)
    batch = SentryBatch(event_id=_header_text(envelope.headers, "event_id"))
    batch.dsn_key, batch.dsn_project = _dsn(envelope.headers)
    errors: list[Event] = []
    attachments: list[EnvelopeItem] = []
    spans: list[SpanRecord] = []
    session_id: str | None = None
    for index, item in enumerate(envelope.items, start=1):
        if item.type == "attachment":
            attachments.append(item)
            continue
        if not item.type:
            batch.rejected.append(f"item {index}: the item header has no 'type'")
            continue
        if item.type not in _DECODED:
            batch.unsupported[clip(item.type, MAX_ID)] += 1
            continue
        where = f"item {index} ({item.type})"
        limit = MAX_CLIENT_REPORT_BYTES if item.type == "client_report" else MAX_ITEM_BYTES
        if len(item.payload) > limit:
            batch.rejected.append(
                f"too large: {where} is {len(item.payload):,} bytes, over the {limit:,}-byte limit"
            )
            continue
        try:
            payload = orjson.loads(item.payload)
        except orjson.JSONDecodeError as exc:
            batch.rejected.append(f"{where}: the payload is not JSON: {exc}")
            continue
        try:
            if item.type == "span":
                found, bad = read_span_item(payload, item.headers)
                spans.extend(found)
                batch.rejected.extend(f"{where} {reason}" for reason in bad)
                batch.accepted += bool(found) or not bad
                continue
            if item.type == "log":
                logs, bad = log_events(payload, project=project, now_ms=now_ms)
                batch.events.extend(logs)
                batch.rejected.extend(f"{where} {reason}" for reason in bad)
                batch.accepted += bool(logs) or not bad
                continue
            if not isinstance(payload, dict):
                raise Reject(f"the payload must be a JSON object, not {type(payload).__name__}")
            if item.type == "event":
                error = _error(payload, project=project, now_ms=now_ms, event_id=batch.event_id)
                error.children.append(_raw_row(error.timestamp, project, "sentry-envelope", envelope, item, raw_cap))
                errors.append(error)
                batch.events.append(error)
            elif item.type == "transaction":
                batch.events.extend(transaction_events(payload, project=project, now_ms=now_ms))
            elif item.type == "session":
                update = session_event(payload, project=project, now_ms=now_ms)
                session_id = session_id or update.session_id
                batch.events.append(update)
            elif item.type == "sessions":
                batch.events.extend(session_aggregate_events(payload, project=project, now_ms=now_ms))
            else:
                batch.events.append(client_report_event(payload, project=project, now_ms=now_ms))
            batch.accepted += 1
        except Reject as exc:
            batch.rejected.append(f"{where}: {exc}")
    if spans:
        batch.events.extend(span_events(spans, project=project, now_ms=now_ms))
    if errors:
        errors[0].children.extend(_attachment_row(errors[0], item) for item in attachments)
    elif attachments:
        batch.unsupported["attachment"] += len(attachments)
    for error in errors:
        # Mobile SDKs send the session update in the error's envelope: it names the session.
        error.session_id = error.session_id or session_id
    if batch.event_id is None:
        batch.event_id = _first_event_id(batch.events)
    return batch


def decode_store_event(
    body: bytes, *, project: str, now_ms: int, raw_cap: int = RAW_CAP
) -> SentryBatch:
    """Decode a legacy ``/store/`` body: one event (or transaction) JSON object.

    Raises IngestError when the body is not a JSON object; a body over 1 MiB or an event
    that fails validation is a rejection in the returned batch (see SentryBatch.refused).
    """
    batch = SentryBatch()
    if len(body) > MAX_ITEM_BYTES:
        batch.rejected.append(f"too large: the event is {len(body):,} bytes, over the {MAX_ITEM_BYTES:,}-byte limit")
        return batch
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise IngestError("invalid_json", f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise IngestError("invalid_shape", f"a store body is one event object, not {type(payload).__name__}")
    try:
        if payload.get("type") == "transaction":
            batch.events.extend(transaction_events(payload, project=project, now_ms=now_ms))
        else:
            error = _error(payload, project=project, now_ms=now_ms, event_id=None)
            error.children.append(_raw(error.timestamp, project, "sentry-store", body, raw_cap))
            batch.events.append(error)
        batch.accepted = 1
    except Reject as exc:
        batch.rejected.append(f"event: {exc}")
    batch.event_id = _first_event_id(batch.events)
    return batch


# --- errors --------------------------------------------------------------------------------


def _error(payload: dict[str, Any], *, project: str, now_ms: int, event_id: str | None) -> Event:
    exceptions = _exception_values(payload)
    infos = [_exception_info(value, position) for position, value in enumerate(exceptions)]
    said = _message(payload)
    outer = infos[-1] if infos else None
    error_type = outer.type if outer else "Message"
    message = (outer.value if outer else "") or said or ""
    client_fp = payload.get("fingerprint")
    if isinstance(client_fp, list) and client_fp and all(
        isinstance(part, (str, int, float)) and not isinstance(part, bool) for part in client_fp
    ):
        client_parts: list[str] | None = [str(part) for part in client_fp]
    else:
        client_parts = None
    name = text(payload, "transaction", limit=MAX_ID)
    request = obj(payload, "request")
    contexts = obj(payload, "contexts")
    data = payload
    data["exception"] = {"values": exceptions}
    crumbs = _breadcrumbs(payload)
    if len(crumbs) > MAX_BREADCRUMBS:
        data["breadcrumbs_dropped"] = len(crumbs) - MAX_BREADCRUMBS
        crumbs = crumbs[-MAX_BREADCRUMBS:]
    data["breadcrumbs"] = crumbs
    data["_format"] = "sentry"
    stamp = seconds(payload, "timestamp")
    return Event(
        kind=Kind.ERROR,
        project=project,
        timestamp=ms(stamp) if stamp is not None else now_ms,
        session_id=tag(payload.get("tags"), "session_id", "sessionId"),
        user_id=user_id(obj(payload, "user")),
        summary=clip(f"{error_type}: {message}" if message else error_type, 300),
        columns={
            "fingerprint": fingerprint(exceptions=infos, message=message, client_fingerprint=client_parts),
            "error_id": ident(payload, "event_id") or event_id,
            "error_type": error_type,
            "message": message,
            "level": level(payload.get("level")),
            "culprit": text(payload, "culprit", limit=MAX_ID) or culprit(infos) or name,
            "route": name or text(request, "url", limit=MAX_ID),
            "release": ident(payload, "release"),
            "environment": ident(payload, "environment"),
            "trace_id": ident(obj(contexts, "trace"), "trace_id"),
        },
        data=clip_data(data),
    )


def _exception_values(payload: dict[str, Any]) -> list[dict[str, Any]]:
    raw = payload.get("exception")
    values = raw.get("values") if isinstance(raw, dict) else raw
    if values is None:
        return []
    if not isinstance(values, list):
        raise Reject("'exception' must be {\"values\": [...]} or an array of exceptions")
    for position, value in enumerate(values):
        if not isinstance(value, dict):
            raise Reject(f"'exception.values[{position}]' must be an object")
    return values


def _exception_info(value: dict[str, Any], position: int) -> ExceptionInfo:
    frames = array(obj(value, "stacktrace"), "frames")
    stack: list[StackFrame] = []
    # Sentry lists frames oldest first; the grouper wants the innermost first.
    for frame in reversed(frames[-MAX_FRAMES:]):
        if not isinstance(frame, dict):
            raise Reject(f"'exception.values[{position}].stacktrace.frames' must hold objects")
        line, column = number(frame, "lineno"), number(frame, "colno")
        in_app = frame.get("in_app")
        stack.append(
            StackFrame(
                _frame_ident(frame, "function") or "",
                _frame_ident(frame, "filename") or _frame_ident(frame, "abs_path") or "",
                None if line is None else int(line),
                None if column is None else int(column),
                _frame_ident(frame, "module"),
                in_app if isinstance(in_app, bool) else None,
            )
        )
    kind = ident(value, "type") or "Error"
    return ExceptionInfo(kind, text(value, "value") or "", stack)


def _frame_ident(frame: dict[str, Any], key: str) -> str | None:
    # Every frame of every error passes here: a short string skips the general reader.
    value = frame.get(key)
    if type(value) is str and len(value) <= MAX_ID:
        return value
    return ident(frame, key)


def _message(payload: dict[str, Any]) -> str | None:
    raw = payload.get("message")
    if isinstance(raw, dict):
        found = text(raw, "formatted") or text(raw, "message")
    else:
        found = text(payload, "message")
    if found:
        return found
    entry = obj(payload, "logentry")
    return text(entry, "formatted") or text(entry, "message")


def _breadcrumbs(payload: dict[str, Any]) -> list[Any]:
    crumbs = payload.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs = crumbs.get("values")
    if crumbs is None:
        return []
    if not isinstance(crumbs, list):
        raise Reject("'breadcrumbs' must be {\"values\": [...]} or an array")
    return crumbs


# --- envelope-level rows and headers -------------------------------------------------------


def _raw_row(
    ts: int, project: str, fmt: str, envelope: Envelope, item: EnvelopeItem, cap: int
) -> tuple[str, dict[str, Any]]:
    return _raw(ts, project, fmt, b"\n".join((envelope.raw_header, item.raw_header, item.payload)), cap)


def _raw(ts: int, project: str, fmt: str, body: bytes, cap: int) -> tuple[str, dict[str, Any]]:
    return (
        "raw_payloads",
        {"ts": ts, "project": project, "format": fmt, "size": len(body),
         "truncated": int(len(body) > cap), "body": body[:cap]},
    )


def _attachment_row(error: Event, item: EnvelopeItem) -> tuple[str, dict[str, Any]]:
    size = len(item.payload)
    return (
        "attachments",
        {
            "ts": error.timestamp,
            "project": error.project,
            "filename": _header_text(item.headers, "filename") or "attachment",
            "content_type": _header_text(item.headers, "content_type"),
            "attachment_type": _header_text(item.headers, "attachment_type") or "event.attachment",
            "size": size,
            "truncated": int(size > MAX_ATTACHMENT_BYTES),
            "body": item.payload[:MAX_ATTACHMENT_BYTES],
        },
    )


def _header_text(headers: dict[str, Any], key: str) -> str | None:
    value = headers.get(key)
    return clip(value, MAX_ID) if isinstance(value, str) and value else None


def _dsn(headers: dict[str, Any]) -> tuple[str | None, str | None]:
    """The public key and project id of the envelope's DSN (the key also from ``trace``)."""
    key = project = None
    dsn = headers.get("dsn")
    if isinstance(dsn, str):
        try:
            parts = urlsplit(dsn)
            key = parts.username or None
        except ValueError:
            parts = None
        if parts is not None:
            project = parts.path.rstrip("/").rpartition("/")[2] or None
    if key is None:
        trace = headers.get("trace")
        key = _header_text(trace, "public_key") if isinstance(trace, dict) else None
    return (clip(key, MAX_ID) if key else None), (clip(project, MAX_ID) if project else None)


def _first_event_id(events: list[Event]) -> str | None:
    for event in events:
        found = event.columns.get("error_id") or event.data.get("event_id")
        if isinstance(found, str) and found:
            return found
    return None
