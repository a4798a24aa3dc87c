"""The window's way to save and delete funnels, KPIs and dashboards when a collector owns the store.

``POST /lookout/analytics/actions`` takes a
:class:`~console.core.store.product_actions.ProductAction` as JSON and the collector's writer
carries it out between commits, as with issue and alert actions; the answer is
``{"ok": true, "kind": ..., "id": ...}``. Only this machine may ask: whoever can reach a
collector bound to 0.0.0.0 must not rewrite its dashboards.
"""

from __future__ import annotations

import time

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.collector.actions_intake import apply_in_writer, from_this_machine
from console.collector.body import read_body
from console.collector.intake import FastJSONResponse, Intake, error_response
from console.core.errors import IngestError, StoreUnavailable
from console.core.store.product_actions import ProductAction, apply_product_action

__all__ = ["PRODUCT_ACTIONS_PATH", "product_routes"]

PRODUCT_ACTIONS_PATH = "/lookout/analytics/actions"


def product_routes(intake: Intake) -> list[Route]:
    """The analytics-action path over one collector's writer."""

    async def actions(request: Request) -> Response:
        if not from_this_machine(request):
            return error_response("forbidden", "analytics actions are taken only from this machine", 403)
        try:
            body = await read_body(request, limit=intake.settings.max_body_bytes)
            try:
                action = ProductAction.from_json(orjson.loads(body))
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise IngestError("invalid_action", str(exc)) from None
            now = int(time.time() * 1000)
            result = await apply_in_writer(intake, lambda conn: apply_product_action(conn, action, now_ms=now))
            return FastJSONResponse({"ok": True, **result})
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            return error_response("busy", str(exc), 429, {"Retry-After": "1"})

    return [Route(PRODUCT_ACTIONS_PATH, actions, methods=["POST"])]
