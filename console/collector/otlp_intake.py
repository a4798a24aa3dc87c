"""OTLP/HTTP: ``POST /v1/traces``, ``/v1/logs`` and ``/v1/metrics``, protobuf or JSON.

The answer is an ``Export*ServiceResponse`` in the request's own encoding, carrying
``partialSuccess`` (how many items were rejected and why) when the decoder refused some.
Off loopback the project comes from the key (``Authorization: Bearer KEY``); on loopback
from the ``X-Lookout-Project`` header, else from each resource's ``service.name``.
"""

from __future__ import annotations

import time
from typing import Literal

import orjson
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.collector.body import read_body
from console.collector.intake import Intake, commit, error_response, valid_project
from console.core.errors import IngestError, StoreUnavailable
from console.core.ingest.otlp import decode_otlp

__all__ = ["otlp_routes"]

Signal = Literal["traces", "logs", "metrics"]

_PROTOBUF = "application/x-protobuf"
# signal → (response message, its partial-success field counting rejected items)
_RESPONSES: dict[str, tuple[type[Message], str]] = {
    "traces": (ExportTraceServiceResponse, "rejected_spans"),
    "logs": (ExportLogsServiceResponse, "rejected_log_records"),
    "metrics": (ExportMetricsServiceResponse, "rejected_data_points"),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _answer(signal: Signal, content_type: str, rejected: int, message: str) -> Response:
    response_type, field = _RESPONSES[signal]
    if content_type == _PROTOBUF:
        response = response_type()
        if rejected:
            partial = response.partial_success
            setattr(partial, field, rejected)
            partial.error_message = message
        return Response(response.SerializeToString(), media_type=_PROTOBUF)
    body: dict[str, object] = {}
    if rejected:
        body["partialSuccess"] = {_camel(field): rejected, "errorMessage": message}
    return Response(orjson.dumps(body), media_type="application/json")


def otlp_routes(intake: Intake) -> list[Route]:
    """The OTLP/HTTP paths over one collector's writer, keys and settings."""

    async def export(request: Request, signal: Signal) -> Response:
        intake.stats.requests += 1
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            project = intake.keys.project_for_key(request)
            if project is None and (named := request.headers.get("x-lookout-project")):
                project = valid_project(named.strip())
            body = await read_body(request, limit=intake.settings.max_envelope_bytes)
            batch = decode_otlp(
                signal, body, content_type=content_type, project=project, now_ms=int(time.time() * 1000)
            )
            if batch.events:
                await commit(intake.writer, batch.events)
            intake.stats.accepted += len(batch.events)
            intake.stats.rejected += batch.rejected
            return _answer(signal, content_type, batch.rejected, batch.message)
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            return error_response("busy", str(exc), 429, {"Retry-After": "1"})

    async def traces(request: Request) -> Response:
        return await export(request, "traces")

    async def logs(request: Request) -> Response:
        return await export(request, "logs")

    async def metrics(request: Request) -> Response:
        return await export(request, "metrics")

    return [
        Route("/v1/traces", traces, methods=["POST"]),
        Route("/v1/logs", logs, methods=["POST"]),
        Route("/v1/metrics", metrics, methods=["POST"]),
    ]
