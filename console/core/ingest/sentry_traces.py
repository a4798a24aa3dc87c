"""Sentry traces as Lookout events: transactions, spans (v1 and v2) and the page loads in them.

A ``transaction`` item becomes a TRANSACTION event with its spans as ``spans`` rows. Span
items (one v1 span JSON, or the v2 container ``{"items": [...]}``) are gathered across the
envelope and grouped by segment: a segment span with its spans is a TRANSACTION; spans whose
segment is not in the envelope become one SPANS event per trace. Browser page loads also
become PAGE_LOAD events: a ``pageload`` transaction or segment with its web vitals (from
``measurements``, ``browser.web_vital.<name>.value`` attributes, and the ``ui.webvital.*``
spans of that page load), and each INP interaction span (op ``ui.interaction.*`` with an
``inp`` value) as a page load with only ``inp`` set. A web-vital span that is a segment on
its own (the browser SDK sends INP that way) is a measurement, not a unit of work: it
becomes a PAGE_LOAD only, not a TRANSACTION.

Attribute and vital names follow Relay's web-vital extraction (getsentry/relay, span v2)
and the span protocol at https://develop.sentry.dev/sdk/telemetry/spans/span-protocol/.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_ID, MAX_SPANS, clip, clip_data
from console.core.ingest.sentry_fields import (
    Reject,
    array,
    attribute_values,
    ident,
    ms,
    obj,
    seconds,
    tag,
    text,
    user_id,
)

__all__ = ["SPAN_V2_CONTENT_TYPE", "SpanRecord", "read_span_item", "span_events", "transaction_events"]

SPAN_V2_CONTENT_TYPE = "application/vnd.sentry.items.span.v2+json"

_VITALS = ("lcp", "fcp", "cls", "fid", "inp", "ttfb")
_PAGE_LOAD_COLUMNS = (
    "fcp", "lcp", "cls", "fid", "inp", "ttfb", "dom_content_loaded", "load_complete",
    "resource_load_time", "tti", "tbt",
)
_TO_MS = {"second": 1000.0, "seconds": 1000.0, "s": 1000.0, "microsecond": 1e-3, "nanosecond": 1e-6}
_MAX_PARENT_HOPS = 64


@dataclass(slots=True)
class SpanRecord:
    """One span read from either protocol version, before it is grouped into events.

    ``attrs`` are the v2 attributes or the v1 ``data``, as plain values; ``vitals`` the web
    vitals it carries, in milliseconds (CLS unitless); ``raw`` what is stored as its data.
    """

    span_id: str | None
    trace_id: str | None
    parent_id: str | None
    segment_id: str | None
    is_segment: bool | None
    name: str | None
    op: str | None
    status: str | None
    start: float | None
    end: float | None
    attrs: dict[str, Any] = field(default_factory=dict)
    vitals: dict[str, float] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def segment(self) -> bool:
        return self.is_segment if self.is_segment is not None else not self.parent_id

    @property
    def web_vital(self) -> bool:
        """An INP interaction span or a ``ui.webvital.*`` span that carries its value."""
        op = self.op or ""
        return bool(self.vitals) and (
            op.startswith("ui.webvital.") or (op.startswith("ui.interaction") and "inp" in self.vitals)
        )


def read_span(raw: Any, *, standalone: bool = True) -> SpanRecord:
    """One span in the v1 (``description``, ``timestamp``, ``data``) or v2 form."""
    if not isinstance(raw, dict):
        raise Reject("a span must be a JSON object")
    attrs = {**attribute_values(raw.get("data"), "data"), **attribute_values(raw.get("attributes"))}
    if attrs:
        # Stored flat, as the span's data: {"sentry.op": "db.query"}, not {"sentry.op": {...}}.
        raw["attributes" if "attributes" in raw else "data"] = attrs
    is_segment = raw.get("is_segment")
    if is_segment is not None and not isinstance(is_segment, bool):
        raise Reject("'is_segment' must be a boolean")
    start = seconds(raw, "start_timestamp")
    if standalone and start is None:
        raise Reject("'start_timestamp' is required")
    end = seconds(raw, "end_timestamp") if raw.get("end_timestamp") is not None else seconds(raw, "timestamp")
    return SpanRecord(
        span_id=ident(raw, "span_id", required=standalone),
        trace_id=ident(raw, "trace_id"),
        parent_id=ident(raw, "parent_span_id"),
        segment_id=ident(raw, "segment_id") or _attr(attrs, "sentry.segment.id"),
        is_segment=is_segment,
        name=text(raw, "name", limit=MAX_ID) or text(raw, "description", limit=MAX_ID),
        op=ident(raw, "op") or _attr(attrs, "sentry.op"),
        status=ident(raw, "status"),
        start=start,
        end=end,
        attrs=attrs,
        vitals=vitals(raw.get("measurements"), attrs),
        raw=raw,
    )


def read_span_item(payload: Any, headers: dict[str, Any]) -> tuple[list[SpanRecord], list[str]]:
    """The spans of one ``span`` item, and the reason for each span that could not be read."""
    if not isinstance(payload, dict):
        raise Reject("a span item must be a JSON object")
    if "items" not in payload and headers.get("content_type") != SPAN_V2_CONTENT_TYPE:
        return [read_span(payload)], []
    spans: list[SpanRecord] = []
    bad: list[str] = []
    for index, raw in enumerate(array(payload, "items")):
        try:
            spans.append(read_span(raw))
        except Reject as exc:
            bad.append(f"span {index}: {exc}")
    return spans, bad


def vitals(measurements: Any, attrs: dict[str, Any]) -> dict[str, float]:
    """Web vitals in ms (CLS unitless) from ``measurements`` and web-vital attributes.

    Values that are not finite non-negative numbers are dropped silently, as Relay does.
    """
    found: dict[str, float] = {}
    for name in _VITALS:
        for value in (attrs.get(f"browser.web_vital.{name}.value"), attrs.get(name)):
            if _good(value):
                found[name] = float(value)
                break
    if isinstance(measurements, dict):
        for name in _VITALS:
            entry = measurements.get(name)
            value, unit = (entry.get("value"), entry.get("unit")) if isinstance(entry, dict) else (entry, None)
            if _good(value):
                scale = 1.0 if name == "cls" or not isinstance(unit, str) else _TO_MS.get(unit.lower(), 1.0)
                found[name] = float(value) * scale
    return found


def transaction_events(payload: dict[str, Any], *, project: str, now_ms: int) -> list[Event]:
    """A transaction event as a TRANSACTION (and a PAGE_LOAD when it is a page load)."""
    name = text(payload, "transaction", limit=MAX_ID) or "<unlabeled transaction>"
    contexts = obj(payload, "contexts")
    trace = obj(contexts, "trace")
    trace_data = attribute_values(trace.get("data"), "contexts.trace.data")
    start, end = seconds(payload, "start_timestamp"), seconds(payload, "timestamp")
    ts = ms(start) if start is not None else ms(end) if end is not None else now_ms
    spans_in = array(payload, "spans")
    spans = []
    for position, raw in enumerate(spans_in[:MAX_SPANS]):
        try:
            spans.append(read_span(raw, standalone=False))
        except Reject as exc:
            raise Reject(f"spans[{position}]: {exc}") from None
    url = text(obj(payload, "request"), "url", limit=MAX_ID)
    session = tag(payload.get("tags"), "session_id", "sessionId")
    user = user_id(obj(payload, "user"))
    op = ident(trace, "op")
    release, environment = ident(payload, "release"), ident(payload, "environment")
    # Read leniently: a filter column is no reason to refuse a transaction.
    platform = _attr(_context(contexts, "browser"), "name") or _attr(payload, "platform")
    device = _first_attr(_context(contexts, "device"), "model", "family")
    duration = _duration(start, end)
    trace_id = ident(trace, "trace_id")
    data = {key: value for key, value in payload.items() if key != "spans"}
    data["_format"] = "sentry"
    if len(spans_in) > MAX_SPANS:
        data["spans_dropped"] = len(spans_in) - MAX_SPANS
    events = [
        Event(
            kind=Kind.TRANSACTION,
            project=project,
            timestamp=ts,
            session_id=session,
            user_id=user,
            summary=_tx_summary(name, op, duration, len(spans)),
            columns={
                "tx_id": ident(trace, "span_id") or ident(payload, "event_id"),
                "name": name,
                "route": url or name,
                "duration_ms": duration,
                "status": ident(trace, "status"),
                "span_count": len(spans),
                "trace_id": trace_id,
                "op": op,
                "release": release,
                "environment": environment,
                "platform": platform,
                "device": device,
            },
            data=clip_data(data),
            children=[_span_row(span, base=start, ts=ts, project=project, trace_id=trace_id) for span in spans],
        )
    ]
    found = vitals(payload.get("measurements"), trace_data)
    for span in spans:
        if (span.op or "").startswith("ui.webvital."):
            found = {**span.vitals, **found}
    where = _Where(release=release, environment=environment, platform=platform, device=device)
    if op == "pageload" or found:
        events.append(
            _page_load(
                project=project, ts=ts, route=name, where=where, found=found, session=session, user=user,
                data={"_format": "sentry", "transaction": name, "trace_id": trace_id,
                      "measurements": payload.get("measurements")},
            )
        )
    for span in spans:
        if span.web_vital and "inp" in span.vitals:
            events.append(_vital_page_load(span, project=project, now_ms=now_ms, fallback=where))
    return events


def span_events(records: list[SpanRecord], *, project: str, now_ms: int) -> list[Event]:
    """The events of an envelope's spans: per segment, per orphaned trace, per page load."""
    by_id = {r.span_id: r for r in records if r.span_id}
    segments = {r.span_id: r for r in records if r.span_id and r.segment}
    members: dict[str, list[SpanRecord]] = {sid: [] for sid in segments}
    orphans: dict[str, list[SpanRecord]] = {}
    for record in records:
        if record.span_id in segments:
            continue
        owner = _segment_of(record, by_id, segments)
        if owner is None:
            orphans.setdefault(record.trace_id or "", []).append(record)
        else:
            members[owner].append(record)
    events: list[Event] = []
    folded: set[int] = set()
    for sid, segment in segments.items():
        events.extend(_segment_events(segment, members[sid], project=project, now_ms=now_ms, folded=folded))
    for trace_id, spans in orphans.items():
        events.append(_batch(trace_id, spans[:MAX_SPANS], project=project, now_ms=now_ms, total=len(spans)))
    for record in records:
        if record.web_vital and id(record) not in folded:
            events.append(_vital_page_load(record, project=project, now_ms=now_ms))
    return events


# --- grouping and rows ---------------------------------------------------------------------


def _segment_of(record: SpanRecord, by_id: dict[str, SpanRecord], segments: dict[str, SpanRecord]) -> str | None:
    if record.segment_id in segments:
        return record.segment_id
    current = record
    for _ in range(_MAX_PARENT_HOPS):
        parent = by_id.get(current.parent_id or "")
        if parent is None:
            return None
        if parent.span_id in segments:
            return parent.span_id
        current = parent
    return None


def _segment_events(
    segment: SpanRecord, spans: list[SpanRecord], *, project: str, now_ms: int, folded: set[int]
) -> list[Event]:
    events: list[Event] = []
    ts = ms(segment.start) if segment.start is not None else now_ms
    name = segment.name or _attr(segment.attrs, "sentry.segment.name") or "<unlabeled span>"
    where = _span_where(segment.attrs)
    user = _attr(segment.attrs, "user.id") or _attr(segment.attrs, "user.email")
    if segment.web_vital and not spans:
        return events  # a standalone web vital: its PAGE_LOAD comes from span_events
    duration = _duration(segment.start, segment.end)
    children = spans[:MAX_SPANS]
    data = {**segment.raw, "_format": "sentry"}
    if len(spans) > MAX_SPANS:
        data["spans_dropped"] = len(spans) - MAX_SPANS
    events.append(
        Event(
            kind=Kind.TRANSACTION,
            project=project,
            timestamp=ts,
            user_id=user,
            summary=_tx_summary(name, segment.op, duration, len(children)),
            columns={
                "tx_id": segment.span_id,
                "name": name,
                "route": _attr(segment.attrs, "url.full") or _attr(segment.attrs, "http.url") or name,
                "duration_ms": duration,
                "status": segment.status,
                "span_count": len(children),
                "trace_id": segment.trace_id,
                "op": segment.op,
                "release": where.release,
                "environment": where.environment,
                "platform": where.platform,
                "device": where.device,
            },
            data=clip_data(data),
            children=[
                _span_row(s, base=segment.start, ts=ts, project=project, trace_id=segment.trace_id)
                for s in children
            ],
        )
    )
    pageload_vitals = dict(segment.vitals)
    if not segment.web_vital and (segment.op == "pageload" or pageload_vitals):
        for span in spans:
            if span.web_vital and "inp" not in span.vitals:
                pageload_vitals = {**span.vitals, **pageload_vitals}
                folded.add(id(span))
        events.append(
            _page_load(
                project=project, ts=ts, route=name, where=where, found=pageload_vitals, session=None, user=user,
                data={"_format": "sentry", "segment": name, "trace_id": segment.trace_id,
                      "span_id": segment.span_id},
            )
        )
    return events


def _batch(trace_id: str, spans: list[SpanRecord], *, project: str, now_ms: int, total: int) -> Event:
    starts = [s.start for s in spans if s.start is not None]
    base = min(starts) if starts else None
    ts = ms(base) if base is not None else now_ms
    names = ", ".join(dict.fromkeys(s.name or s.op or "?" for s in spans))
    shown = f" of trace {trace_id[:8]}" if trace_id else ""
    data: dict[str, Any] = {
        "_format": "sentry",
        "segment_ids": sorted({s.segment_id for s in spans if s.segment_id}),
    }
    if total > len(spans):
        data["spans_dropped"] = total - len(spans)
    return Event(
        kind=Kind.SPANS,
        project=project,
        timestamp=ts,
        summary=clip(f"{len(spans)} span{'s' if len(spans) != 1 else ''}{shown}: {names}", 200),
        columns={"trace_id": trace_id or None, "span_count": len(spans)},
        data=data,
        children=[_span_row(s, base=base, ts=ts, project=project, trace_id=s.trace_id) for s in spans],
    )


def _span_row(
    span: SpanRecord, *, base: float | None, ts: int, project: str, trace_id: str | None
) -> tuple[str, dict[str, Any]]:
    return "spans", {
        "ts": ts,
        "project": project,
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "op": span.op,
        "start_ms": None if base is None or span.start is None else round((span.start - base) * 1000, 3),
        "duration_ms": _duration(span.start, span.end),
        "status": span.status,
        "data": clip_data(span.raw),
        "trace_id": span.trace_id or trace_id,
    }


def _page_load(
    *, project: str, ts: int, route: str, where: _Where, found: dict[str, float], session: str | None,
    user: str | None, data: dict[str, Any],
) -> Event:
    columns: dict[str, Any] = {
        "route": route, "release": where.release, "environment": where.environment,
        "platform": where.platform, "device": where.device,
    }
    columns.update({name: found.get(name) for name in _PAGE_LOAD_COLUMNS})
    return Event(
        kind=Kind.PAGE_LOAD,
        project=project,
        timestamp=ts,
        session_id=session,
        user_id=user,
        summary=_vitals_summary(route, found),
        columns=columns,
        data=clip_data(data),
    )


def _vital_page_load(span: SpanRecord, *, project: str, now_ms: int, fallback: _Where | None = None) -> Event:
    """A web-vital span on its own (INP, or LCP/CLS sent after its page load) as a PAGE_LOAD;
    what the span does not say comes from ``fallback`` (the transaction it was sent in)."""
    route = (
        _attr(span.attrs, "sentry.transaction") or _attr(span.attrs, "transaction")
        or _attr(span.attrs, "sentry.segment.name") or span.name or "<unknown page>"
    )
    found = {"inp": span.vitals["inp"]} if "inp" in span.vitals else span.vitals
    return _page_load(
        project=project,
        ts=ms(span.start) if span.start is not None else now_ms,
        route=route,
        where=_span_where(span.attrs).or_else(fallback),
        found=found,
        session=None,
        user=_attr(span.attrs, "user.id"),
        data={"_format": "sentry", "span_id": span.span_id, "trace_id": span.trace_id,
              "op": span.op, "element": span.name},
    )


# --- small helpers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a transaction or page load ran: what the Performance panel filters on."""

    release: str | None = None
    environment: str | None = None
    platform: str | None = None
    device: str | None = None

    def or_else(self, fallback: _Where | None) -> _Where:
        """Each field that is empty here taken from ``fallback``."""
        if fallback is None:
            return self
        return _Where(
            self.release or fallback.release, self.environment or fallback.environment,
            self.platform or fallback.platform, self.device or fallback.device,
        )


def _span_where(attrs: dict[str, Any]) -> _Where:
    """A span's release, environment, platform and device, from its v2 attributes (or the v1
    ``data`` an SDK sends them in, without the ``sentry.`` prefix)."""
    return _Where(
        release=_attr(attrs, "sentry.release") or _attr(attrs, "release"),
        environment=_attr(attrs, "sentry.environment") or _attr(attrs, "environment"),
        platform=_attr(attrs, "browser.name") or _attr(attrs, "sentry.platform"),
        device=_first_attr(attrs, "device.model", "device.family"),
    )


def _context(contexts: dict[str, Any], name: str) -> dict[str, Any]:
    """One of an event's ``contexts`` (``browser``, ``device``); ``{}`` when missing or not an object."""
    found = contexts.get(name)
    return found if isinstance(found, dict) else {}


def _first_attr(attrs: dict[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` that :func:`_attr` finds."""
    for key in keys:
        found = _attr(attrs, key)
        if found:
            return found
    return None


def _attr(attrs: dict[str, Any], key: str) -> str | None:
    value = attrs.get(key)
    if isinstance(value, str) and value:
        return clip(value, MAX_ID)
    return None


def _good(value: Any) -> TypeGuard[float]:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool)
        and math.isfinite(value) and 0 <= value <= 2**53
    )


def _duration(start: float | None, end: float | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start) * 1000, 3)


def _tx_summary(name: str, op: str | None, duration: float | None, spans: int) -> str:
    took = "?" if duration is None else f"{duration:.0f} ms"
    kind = f"{op} " if op else ""
    return clip(f"{kind}{name} {took} ({spans} span{'s' if spans != 1 else ''})", 300)


def _vitals_summary(route: str, found: dict[str, float]) -> str:
    for name in ("lcp", "inp", "fcp", "ttfb", "fid"):
        if name in found:
            return clip(f"{route} {name.upper()} {found[name]:.0f} ms", 300)
    if "cls" in found:
        return clip(f"{route} CLS {found['cls']:.3g}", 300)
    return clip(f"{route} loaded", 300)
