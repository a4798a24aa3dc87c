"""Decoder for OTLP/HTTP: OpenTelemetry traces, logs and metrics, protobuf or JSON.

``decode_otlp`` takes the body of a ``POST /v1/traces``, ``/v1/logs`` or ``/v1/metrics``
and returns the normalised events it could read, how many items (spans, log records, data
points) it rejected and why, the latter for OTLP's ``partialSuccess``. One bad span never
costs the good spans of the same request. The function is pure: no database, no network,
so it is tested on payloads recorded from the real SDK.

Both encodings go one way: a protobuf body is parsed with the official generated messages
and turned into the dict of OTLP JSON (camelCase names, hex ids, enums as integers); a
JSON body is parsed as JSON. One mapping over dicts then reads both (``otlp_traces``,
``otlp_logs``, ``otlp_metrics``), accepting every spelling senders use: ids as hex or
base64, 64-bit integers as numbers or strings, camelCase or snake_case names. That keeps
one mapping and lets a hostile JSON body fail span by span; the other way round
(``ParseDict`` into messages) would refuse a whole JSON request for one ill-typed field,
and costs six times as much per JSON request as orjson plus the mapping.

Messages become dicts by :func:`_message_dict` rather than ``json_format.MessageToDict``:
the same dict with ids already hex and integers left as integers, in 40% of the time. For
a 100-span request from the Python SDK (19 kB protobuf, 57 kB JSON; CPython 3.11, upb
protobuf 7.36): parsing 0.02 ms, ``MessageToDict`` 1.95 ms, ``_message_dict`` 0.8 ms; the
whole decode 1.75 ms from protobuf (2.9 ms through ``MessageToDict``) and 1.05 ms from
JSON, where ``ParseDict`` alone would take 6.1 ms. The tests check that both dict forms
decode to the same events.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from console.core.errors import IngestError
from console.core.events import Event
from console.core.ingest.limits import clip
from console.core.ingest.otlp_common import Output
from console.core.ingest.otlp_logs import decode_logs
from console.core.ingest.otlp_metrics import decode_metrics
from console.core.ingest.otlp_traces import decode_traces

__all__ = ["CONTENT_TYPES", "OtlpBatch", "Signal", "decode_otlp"]

Signal = Literal["traces", "logs", "metrics"]

#: The media types OTLP/HTTP uses, and the encoding each means.
CONTENT_TYPES = {
    "application/x-protobuf": "protobuf",
    "application/json": "json",
}

_REQUESTS: dict[str, Callable[[], Message]] = {
    "traces": ExportTraceServiceRequest,
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}
_DECODERS: dict[str, Callable[..., None]] = {
    "traces": decode_traces,
    "logs": decode_logs,
    "metrics": decode_metrics,
}
_NOUNS = {"traces": "spans", "logs": "log records", "metrics": "data points"}


@dataclass(slots=True)
class OtlpBatch:
    """What an OTLP request decoded to.

    ``rejected`` counts the spans, log records or data points that were not kept;
    ``message`` says why, for the response's ``partialSuccess.errorMessage`` (empty when
    nothing was rejected).
    """

    events: list[Event] = field(default_factory=list)
    rejected: int = 0
    message: str = ""


def decode_otlp(
    signal: Signal, body: bytes, *, content_type: str, project: str | None, now_ms: int
) -> OtlpBatch:
    """Decode an OTLP/HTTP request body of ``signal``.

    ``project`` is the caller's choice (from a header or a key) for every event; None lets
    each resource say (``lookout.project``, else ``service.name``, else "otel").
    Raises IngestError 415 for a content type OTLP/HTTP does not use, 400 for a body that
    is not an OTLP request at all. The body must already be decompressed.
    """
    if signal not in _DECODERS:
        raise ValueError(f"unknown OTLP signal {signal!r}")
    media_type = content_type.split(";", 1)[0].strip().lower()
    encoding = CONTENT_TYPES.get(media_type)
    if encoding is None:
        sent = f"not {clip(media_type, 100)!r}" if media_type else "and the request names none"
        raise IngestError(
            "unsupported_media_type",
            f"OTLP/HTTP takes application/x-protobuf or application/json, {sent}",
            status=415,
        )
    request = _from_protobuf(signal, body) if encoding == "protobuf" else _from_json(body)
    out = Output(noun=_NOUNS[signal], now_ms=now_ms)
    _DECODERS[signal](request, project=project, out=out)
    return OtlpBatch(events=out.events, rejected=out.rejected, message=out.message())


def _from_protobuf(signal: str, body: bytes) -> dict[str, Any]:
    message = _REQUESTS[signal]()
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise IngestError(
            "invalid_protobuf", f"the body is not a protobuf {message.DESCRIPTOR.name}: {exc}"
        ) from None
    return _message_dict(message)


# How each field becomes a dict entry: its JSON name, and whether it is a message, an id,
# other bytes or a plain value, repeated or not. Computed once per field.
_PLAIN, _MESSAGE, _ID, _BYTES, _REPEATED = 0, 1, 2, 3, 4
_FIELD_PLANS: dict[FieldDescriptor, tuple[str, int]] = {}


def _field_plan(descriptor: FieldDescriptor) -> tuple[str, int]:
    plan = _FIELD_PLANS.get(descriptor)
    if plan is None:
        kind = _PLAIN
        if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            kind = _MESSAGE
        elif descriptor.type == FieldDescriptor.TYPE_BYTES:
            # OTLP JSON writes trace and span ids (traceId, spanId, parentSpanId) in hex
            # and every other bytes field (AnyValue's bytesValue) in base64.
            kind = _ID if descriptor.json_name.endswith("Id") else _BYTES
        # protobuf 5.26+ has is_repeated; older releases only the label.
        repeated = getattr(descriptor, "is_repeated", None)
        if repeated is None:
            repeated = descriptor.label == FieldDescriptor.LABEL_REPEATED
        plan = _FIELD_PLANS[descriptor] = (descriptor.json_name, kind + (_REPEATED if repeated else 0))
    return plan


def _message_dict(message: Message) -> dict[str, Any]:
    """The message as OTLP JSON's dict: the fields that are set (as MessageToDict gives
    them), ids as hex and other bytes as base64, 64-bit integers and enums as ints."""
    result: dict[str, Any] = {}
    for descriptor, value in message.ListFields():
        name, kind = _field_plan(descriptor)
        if kind == _PLAIN:
            result[name] = value
        elif kind == _MESSAGE:
            result[name] = _message_dict(value)
        elif kind == _MESSAGE + _REPEATED:
            result[name] = [_message_dict(item) for item in value]
        elif kind == _ID:
            result[name] = value.hex()
        elif kind == _BYTES:
            result[name] = base64.b64encode(value).decode()
        elif kind == _PLAIN + _REPEATED:
            result[name] = list(value)
        else:  # repeated bytes: OTLP has none but a future field could be
            result[name] = [base64.b64encode(item).decode() for item in value]
    return result


def _from_json(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise IngestError("invalid_json", f"the body is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise IngestError("invalid_shape", "an OTLP JSON request is an object")
    return parsed
