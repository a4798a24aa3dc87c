"""The collector's HTTP surface: routes, error answers, and the hand-off to the writer.

Every answer to a bad request is JSON ``{"error": CODE, "detail": "..."}`` with the status
DESIGN.md lists. A request is answered only after its events are committed, so a 200 means
the events are on disk.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import console
from console.collector.actions_intake import ACTIONS_PATH, action_routes
from console.collector.alerting import AlertLoop
from console.collector.alerts_intake import ALERT_ACTIONS_PATH, alert_routes
from console.collector.auth import ProjectKeys
from console.collector.body import read_body
from console.collector.intake import (
    CollectorSettings,
    CollectorStats,
    FastJSONResponse,
    Intake,
    commit,
    error_response,
    valid_project,
)
from console.collector.otlp_intake import otlp_routes
from console.collector.product_intake import PRODUCT_ACTIONS_PATH, product_routes
from console.collector.sentry_intake import RATE_LIMIT_HEADERS, Handler, sentry_handler, sentry_routes
from console.core.errors import IngestError, StoreUnavailable
from console.core.ingest.native import decode_native
from console.core.ingest.sentry import decode_envelope
from console.core.store.writer import StoreWriter

__all__ = ["CollectorSettings", "CollectorStats", "create_app"]

log = logging.getLogger("lookout.ingest")

_JSON_TYPES = ("application/json", "text/json")
ROUTES_HELP = [
    "POST /api/<project>/events",
    "POST /api/<project_id>/envelope/",
    "POST /api/<project_id>/store/",
    "POST /stream",
    "POST /v1/traces",
    "POST /v1/logs",
    "POST /v1/metrics",
    f"POST {ACTIONS_PATH}",
    f"POST {ALERT_ACTIONS_PATH}",
    f"POST {PRODUCT_ACTIONS_PATH}",
    "GET /healthz",
]


class _EnvelopeFastPath:
    """Sentry envelopes straight to their handler, around Starlette's stack.

    Envelopes are most of what SDKs send and each one is a request of its own; routing and
    middleware took about a fifth of the collector's time per envelope. A POST to
    ``/api/<id>/envelope/`` without an ``Origin`` (no CORS to answer) goes to the handler
    directly; everything else, browsers included, goes through the app as usual.
    """

    def __init__(self, app: Starlette, handle: Handler) -> None:
        self.app = app
        self.handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            project = _envelope_project(scope["path"])
            if project is not None and not any(name == b"origin" for name, _ in scope["headers"]):
                request = Request(scope, receive)
                try:
                    response = await self.handle(request, decode_envelope, project)
                except Exception as exc:  # what Starlette's ServerErrorMiddleware would do
                    log.exception("unexpected error on %s", scope["path"], exc_info=exc)
                    response = error_response("internal_error", f"{type(exc).__name__}: {exc}", 500)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _envelope_project(path: str) -> str | None:
    """The project id of an envelope path (``/api/1/envelope/``), else None."""
    if not path.startswith("/api/"):
        return None
    project, _, rest = path[5:].partition("/")
    return project if project and rest in ("envelope/", "envelope") else None


def create_app(
    *, writer: StoreWriter, settings: CollectorSettings, alerts: AlertLoop | None = None
) -> ASGIApp:
    """The collector's ASGI app over a running ``writer``; ``alerts`` is the collector's alert
    loop, if it runs one (its figures show in /healthz, and alert actions wake it)."""
    stats = CollectorStats()
    keys = ProjectKeys(db_path=settings.db_path, required=settings.require_keys)
    intake = Intake(writer=writer, settings=settings, stats=stats, keys=keys)
    handle_sentry = sentry_handler(intake)
    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": console.__version__,
                "db": str(settings.db_path.resolve()),
                "keys_required": settings.require_keys,
                "uptime_s": round(time.time() - stats.started, 1),
                "requests": stats.requests,
                "accepted": stats.accepted,
                "rejected": stats.rejected,
                "unknown_types": dict(stats.unknown_types),
                "committed": writer.stats.committed_events,
                "pending": writer.pending_events,
                "store_error": writer.stats.last_error,
                "alerts": None if alerts is None else {"interval_s": alerts.interval_s, **alerts.stats.to_json()},
            }
        )

    async def native_events(request: Request) -> Response:
        stats.requests += 1
        project = request.path_params["project"]
        try:
            valid_project(project)
            keys.check(project, request)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in _JSON_TYPES and not content_type.endswith("+json"):
                raise IngestError(
                    "unsupported_media_type",
                    f"send Content-Type: application/json (got {content_type or 'none'!r})",
                    status=415,
                )
            body = await read_body(request, limit=settings.max_body_bytes)
            batch = decode_native(body, project=project, now_ms=int(time.time() * 1000))
            rejected = [{"index": r.index, "reason": r.reason} for r in batch.rejected]
            stats.rejected += len(rejected)
            stats.unknown_types.update(batch.unknown_types)
            answer: dict[str, Any] = {
                "accepted": len(batch.events),
                "rejected": rejected,
                "unknown_types": dict(batch.unknown_types),
            }
            if not batch.events and (rejected or batch.unknown_types):
                return FastJSONResponse(
                    {"error": "no_valid_events", "detail": "no event in the request could be stored", **answer},
                    status_code=400,
                )
            if batch.events:
                await commit(writer, batch.events)
            stats.accepted += len(batch.events)
            return FastJSONResponse(answer)
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            return error_response("busy", str(exc), 429, {"Retry-After": "1"})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return error_response(
                "not_found", f"no route {request.url.path}; valid: {', '.join(ROUTES_HELP)}", 404
            )
        if status == 405:
            allowed = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
            return error_response(
                "method_not_allowed",
                f"{request.method} is not allowed on {request.url.path}",
                405,
                {"Allow": allowed.get("Allow", "")} if allowed.get("Allow") else None,
            )
        return error_response("http_error", str(getattr(exc, "detail", exc)), status)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return error_response("internal_error", f"{type(exc).__name__}: {exc}", 500)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/api/{project}/events", native_events, methods=["POST"]),
            *sentry_routes(intake, handle_sentry),
            *otlp_routes(intake),
            *action_routes(intake),
            *alert_routes(intake, changed=None if alerts is None else alerts.wake),
            *product_routes(intake),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["*"],
                expose_headers=RATE_LIMIT_HEADERS,
                max_age=86400,
            )
        ],
        exception_handlers={HTTPException: not_found, Exception: server_error},
    )
    return _EnvelopeFastPath(app, handle_sentry)
