"""Sentry's ingest paths, answered as Sentry's relay answers them.

``POST /api/<project_id>/envelope/`` (what every current SDK sends), ``POST
/api/<project_id>/store/`` (the legacy single-event JSON) and ``POST /stream`` (Spotlight's
path, so ``sentry_sdk.init(spotlight=True)`` works unchanged). Any content type is accepted:
browser SDKs send ``text/plain`` to avoid a CORS preflight and mini-program SDKs label
envelopes ``application/json``. Bodies may be plain, gzip, deflate, br or zstd, up to the
envelope limit after decompression.

A good envelope gets ``200 {"id": "<event_id>"}`` once its events are committed; a saturated
writer gets 429 with ``Retry-After`` and ``X-Sentry-Rate-Limits`` so SDKs back off; a bad
envelope gets a 4xx with ``{"error", "detail"}``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.collector.body import read_body
from console.collector.intake import FastJSONResponse, Intake, commit, error_response, valid_project
from console.core.errors import IngestError, StoreUnavailable
from console.core.ingest.sentry import SentryBatch, decode_envelope, decode_store_event

__all__ = ["RATE_LIMIT_HEADERS", "Handler", "sentry_handler", "sentry_routes"]

#: Headers a browser may read on a cross-origin answer (the CORS middleware exposes them).
RATE_LIMIT_HEADERS = ["X-Sentry-Rate-Limits", "Retry-After"]

_Decoder = Callable[..., SentryBatch]


Handler = Callable[[Request, _Decoder, "str | None"], Awaitable[Response]]


def sentry_handler(intake: Intake) -> Handler:
    """The one handler behind every Sentry path: decode, check the key, commit, answer."""

    async def handle(request: Request, decoder: _Decoder, project: str | None) -> Response:
        intake.stats.requests += 1
        try:
            body = await read_body(request, limit=intake.settings.max_envelope_bytes)
            batch = decoder(body, project=project or "spotlight", now_ms=int(time.time() * 1000))
            if project is None:
                # Spotlight's path names no project: the DSN in the envelope header does.
                project = batch.dsn_project or "spotlight"
                batch.assign_project(project)
            valid_project(project)
            intake.keys.check(project, request, key=batch.dsn_key)
            intake.stats.unknown_types.update({f"sentry:{t}": n for t, n in batch.unsupported.items()})
            intake.stats.rejected += len(batch.rejected)
            if batch.refused:
                too_large = any(reason.startswith("too large") for reason in batch.rejected)
                return error_response(
                    "payload_too_large" if too_large else "invalid_envelope",
                    "; ".join(batch.rejected[:5]),
                    413 if too_large else 400,
                )
            if batch.events:
                await commit(intake.writer, batch.events)
            intake.stats.accepted += len(batch.events)
            answer: dict[str, Any] = {"id": batch.event_id} if batch.event_id else {}
            return FastJSONResponse(answer)
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            # Relay's shape: retry after 1 s, every category, the whole organisation.
            return error_response(
                "busy", str(exc), 429, {"Retry-After": "1", "X-Sentry-Rate-Limits": "1::organization"}
            )

    return handle


def sentry_routes(intake: Intake, handle: Handler | None = None) -> list[Route]:
    """The Sentry paths over one collector's writer, keys and settings."""
    handle = handle or sentry_handler(intake)

    async def envelope(request: Request) -> Response:
        return await handle(request, decode_envelope, request.path_params["project_id"])

    async def store(request: Request) -> Response:
        return await handle(request, decode_store_event, request.path_params["project_id"])

    async def stream(request: Request) -> Response:
        return await handle(request, decode_envelope, None)

    return [
        Route("/api/{project_id}/envelope/", envelope, methods=["POST"]),
        Route("/api/{project_id}/envelope", envelope, methods=["POST"]),
        Route("/api/{project_id}/store/", store, methods=["POST"]),
        Route("/api/{project_id}/store", store, methods=["POST"]),
        Route("/stream", stream, methods=["POST"]),
    ]
