"""OTLP traces to transactions, span batches and errors.

Spans are grouped per resource and trace. A root span (no parent, or a parent in another
process) becomes a transaction with every other span of its trace in the request as its
span rows. Spans whose root is not in the request (the SDK's batch processor exports
spans as they end, so children often arrive before their parent) become one span-batch
event per trace. Every span event named ``exception`` also becomes an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_EVENTS_PER_REQUEST, MAX_ID, MAX_SPANS, clip, clip_data
from console.core.ingest.otlp_common import (
    ItemRejected,
    Output,
    ResourceInfo,
    attributes,
    each,
    entries,
    enum,
    error_event,
    first_text,
    ident,
    nanos,
    path_of,
    scopes,
    text,
    time_ms,
    uint64,
    who,
)

__all__ = ["decode_traces"]

_SERVER, _CLIENT, _CONSUMER = 2, 3, 5
_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_KIND_NAMES = {f"SPAN_KIND_{name.upper()}": number for number, name in _KINDS.items()}
_STATUSES = {0: "unset", 1: "ok", 2: "error"}
_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
# Span flags (trace.proto): whether the sender knows if the parent is remote, and if it is.
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200
# The SDKs' default limit on events per span; more is a hostile span, not a real one.
_MAX_SPAN_EVENTS = 128


@dataclass(slots=True)
class _Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    parent_is_remote: bool | None
    name: str
    kind: int
    start_ns: int
    end_ns: int | None
    status: str
    status_message: str | None
    attributes: dict[str, Any]
    events: list[tuple[str, int | None, dict[str, Any]]]
    scope: dict[str, Any]
    is_root: bool = False

    @property
    def start_ms(self) -> int:
        return self.start_ns // 1_000_000

    @property
    def duration_ms(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e6

    @property
    def op(self) -> str | None:
        attrs = self.attributes
        explicit = first_text(attrs, "sentry.op", "lookout.op")
        if explicit:
            return explicit
        if "db.system.name" in attrs or "db.system" in attrs:
            return "db"
        if self.kind in (_SERVER, _CLIENT) and ("http.request.method" in attrs or "http.method" in attrs):
            return "http.server" if self.kind == _SERVER else "http.client"
        return _KINDS.get(self.kind)

    @property
    def route(self) -> str | None:
        return path_of(first_text(self.attributes, "http.route", "url.path", "http.target"))


def decode_traces(request: dict[str, Any], *, project: str | None, out: Output) -> None:
    """Append the events of an ExportTraceServiceRequest (as a dict) to ``out``."""
    read = 0
    # Spans join roots within their resource: a request's resources are separate processes.
    per_resource: dict[int, tuple[ResourceInfo, list[_Span]]] = {}
    for resource, scope, scoped in scopes(request, "resourceSpans", "scopeSpans", "spans", project=project, out=out):
        spans = per_resource.setdefault(id(resource), (resource, []))[1]
        for raw in entries(scoped, "spans", out):
            read += 1
            if read > MAX_EVENTS_PER_REQUEST:
                out.reject(f"over {MAX_EVENTS_PER_REQUEST} spans in one request")
                continue
            try:
                spans.append(_read_span(raw, scope))
            except ItemRejected as exc:
                name = raw.get("name")
                label = f"span {clip(name, 60)!r}" if isinstance(name, str) and name else "span"
                out.reject(f"{label}: {exc}")
    for resource, spans in per_resource.values():
        _emit(spans, resource, out)


def _read_span(raw: dict[str, Any], scope: dict[str, Any]) -> _Span:
    trace_id, span_id = ident(raw, "traceId", 16), ident(raw, "spanId", 8)
    if trace_id is None or span_id is None:
        raise ItemRejected("'traceId' and 'spanId' are required")
    parent_id = ident(raw, "parentSpanId", 8, zeros_mean_none=True)
    name = text(raw, "name", required=True, limit=MAX_ID) or ""
    start, end = nanos(raw, "startTimeUnixNano"), nanos(raw, "endTimeUnixNano")
    if start is None:
        raise ItemRejected("'startTimeUnixNano' is required")
    if end is not None and end < start:
        raise ItemRejected("'endTimeUnixNano' is before 'startTimeUnixNano'")
    status = raw.get("status")
    if status is not None and not isinstance(status, dict):
        raise ItemRejected("'status' must be an object")
    status = status or {}
    flags = uint64(raw, "flags") or 0
    events: list[tuple[str, int | None, dict[str, Any]]] = []
    for position, event in enumerate(each(raw, "events", "a span")):
        if position >= _MAX_SPAN_EVENTS:
            break
        events.append(
            (text(event, "name", limit=MAX_ID) or "", time_ms(event, "timeUnixNano"), attributes(event))
        )
    return _Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id,
        parent_is_remote=bool(flags & _IS_REMOTE) if flags & _HAS_IS_REMOTE else None,
        name=name,
        kind=enum(raw, "kind", _KIND_NAMES),
        start_ns=start,
        end_ns=end,
        status=_STATUSES.get(enum(status, "code", _STATUS_NAMES), "unset"),
        status_message=text(status, "message"),
        attributes=clip_data(attributes(raw)),
        events=events,
        scope=scope,
    )


def _is_root(span: _Span, in_request: dict[str, _Span]) -> bool:
    if span.parent_id is None or span.parent_is_remote:
        return True
    if span.parent_id in in_request:
        return False
    # Senders that do not say whether the parent is remote: a server or consumer span whose
    # parent is elsewhere is this service's entry point (its parent is the caller's span).
    return span.parent_is_remote is None and span.kind in (_SERVER, _CONSUMER)


def _emit(spans: list[_Span], resource: ResourceInfo, out: Output) -> None:
    traces: dict[str, list[_Span]] = {}
    for span in spans:
        traces.setdefault(span.trace_id, []).append(span)
    for trace_id, group in traces.items():
        by_id = {span.span_id: span for span in group}
        roots = sorted((s for s in group if _is_root(s, by_id)), key=lambda s: s.start_ns)
        for root in roots:
            root.is_root = True
        owned: dict[str, list[_Span]] = {root.span_id: [] for root in roots}
        owner_of: dict[str, _Span | None] = {root.span_id: root for root in roots}
        orphans: list[_Span] = []
        owners: dict[str, _Span] = {root.span_id: root for root in roots}
        for span in group:
            if span.is_root:
                continue
            # Spans of the trace whose ancestry does not reach a root here still belong
            # to the trace's transaction when it has one; they keep their parent ids.
            owner = _root_of(span, by_id, owner_of) or (roots[0] if roots else None)
            if owner is None:
                orphans.append(span)
            else:
                owned[owner.span_id].append(span)
                owners[span.span_id] = owner
        for root in roots:
            out.events.append(_transaction(root, owned[root.span_id], resource, out))
        if orphans:
            out.events.append(_span_batch(trace_id, orphans, resource, out))
        for span in group:
            if span.events:
                _errors(span, owners.get(span.span_id), resource, out)


def _root_of(span: _Span, by_id: dict[str, _Span], owner_of: dict[str, _Span | None]) -> _Span | None:
    """The root the span descends from, remembered for every span on the way (no cycles)."""
    path: dict[str, None] = {}
    current: _Span | None = span
    root: _Span | None = None
    while current is not None:
        if current.span_id in owner_of:
            root = owner_of[current.span_id]
            break
        if current.span_id in path:
            break  # a cycle of parent ids: hostile input
        path[current.span_id] = None
        current = by_id.get(current.parent_id) if current.parent_id else None
    for span_id in path:
        owner_of[span_id] = root
    return root


def _rows(spans: list[_Span], base_ns: int, resource: ResourceInfo, out: Output) -> list[tuple[str, dict[str, Any]]]:
    spans = sorted(spans, key=lambda s: s.start_ns)
    if len(spans) > MAX_SPANS:
        out.reject(f"over {MAX_SPANS} spans in one transaction", len(spans) - MAX_SPANS)
        spans = spans[:MAX_SPANS]
    return [
        (
            "spans",
            {
                "ts": span.start_ms,
                "project": resource.project,
                "span_id": span.span_id,
                "parent_id": span.parent_id,
                "name": span.name,
                "op": span.op,
                "start_ms": (span.start_ns - base_ns) / 1e6,
                "duration_ms": span.duration_ms,
                "status": span.status,
                "data": span.attributes,
                "trace_id": span.trace_id,
            },
        )
        for span in spans
    ]


def _transaction(root: _Span, children: list[_Span], resource: ResourceInfo, out: Output) -> Event:
    rows = _rows(children, root.start_ns, resource, out)
    duration = root.duration_ms
    session, user = who(root.attributes, resource)
    took = "?" if duration is None else f"{duration:.0f} ms"
    failed = ", error" if root.status == "error" else ""
    data: dict[str, Any] = {
        "_format": "otlp",
        "kind": _KINDS.get(root.kind),
        "attributes": root.attributes,
        "scope": root.scope,
        "resource": resource.attributes,
    }
    if root.status_message:
        data["status_message"] = root.status_message
    others = [{"name": n, "ts": t, "attributes": a} for n, t, a in root.events if n != "exception"]
    if others:
        data["events"] = clip_data(others)
    return Event(
        kind=Kind.TRANSACTION,
        project=resource.project,
        timestamp=root.start_ms,
        session_id=session,
        user_id=user,
        summary=f"{clip(root.name, 120)} {took} ({len(rows)} spans{failed})",
        columns={
            "tx_id": root.span_id,
            "name": root.name,
            "route": root.route,
            "duration_ms": duration,
            "status": root.status,
            "span_count": len(rows),
            "trace_id": root.trace_id,
            "op": root.op,
            "release": resource.release,
            "environment": resource.environment,
            "platform": resource.platform,
            "device": resource.device,
        },
        data=data,
        children=rows,
    )


def _span_batch(trace_id: str, spans: list[_Span], resource: ResourceInfo, out: Output) -> Event:
    base = min(span.start_ns for span in spans)
    rows = _rows(spans, base, resource, out)
    names = [row["name"] for _, row in rows[:3]]
    more = ", …" if len(rows) > 3 else ""
    session = user = None
    for span in spans:
        found_session, found_user = who(span.attributes, resource)
        session, user = session or found_session, user or found_user
    return Event(
        kind=Kind.SPANS,
        project=resource.project,
        timestamp=base // 1_000_000,
        session_id=session,
        user_id=user,
        summary=f"{len(rows)} spans of trace {trace_id[:8]} before their root: {', '.join(names)}{more}",
        columns={"trace_id": trace_id, "span_count": len(rows)},
        data={"_format": "otlp", "resource": resource.attributes},
        children=rows,
    )


def _errors(span: _Span, root: _Span | None, resource: ResourceInfo, out: Output) -> None:
    """An error per ``exception`` event of the span; what the span does not say (route,
    session, user) comes from its transaction's root."""
    context = span.attributes if root is None else {**root.attributes, **span.attributes}
    route = span.route or (root.route if root is not None else None)
    for name, at, attrs in span.events:
        if name != "exception":
            continue
        end_ms = None if span.end_ns is None else span.end_ns // 1_000_000
        out.events.append(
            error_event(
                resource=resource,
                exception=attrs,
                context=context,
                timestamp=at or end_ms or span.start_ms,
                trace_id=span.trace_id,
                route=route,
                level="error",
                fallback_message=f"exception in {span.name}",
                where=span.name,
                data={
                    "span": span.name,
                    "span_id": span.span_id,
                    "attributes": attrs,
                    "span_attributes": span.attributes,
                    "scope": span.scope,
                },
            )
        )
