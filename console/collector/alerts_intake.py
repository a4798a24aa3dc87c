"""The window's way to change alert rules and alerts when a collector owns the store.

``POST /lookout/alerts/actions`` takes an :class:`~console.core.store.alerts.AlertAction` as
JSON (save, delete, enable or disable a rule; acknowledge, silence or resolve its alert) and
the collector's writer carries it out between commits, as with issue actions. Only this
machine may ask: whoever can reach a collector bound to 0.0.0.0 must not switch its alerts off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.collector.actions_intake import apply_in_writer, from_this_machine
from console.collector.body import read_body
from console.collector.intake import FastJSONResponse, Intake, error_response
from console.core.errors import IngestError, StoreUnavailable
from console.core.store.alerts import AlertAction, apply_alert_action

__all__ = ["ALERT_ACTIONS_PATH", "alert_routes"]

ALERT_ACTIONS_PATH = "/lookout/alerts/actions"


def alert_routes(intake: Intake, *, changed: Callable[[], None] | None = None) -> list[Route]:
    """The alert-action path over one collector's writer; ``changed`` is called after each action
    (the collector wakes its alert loop, so a saved rule is evaluated at once)."""

    async def actions(request: Request) -> Response:
        if not from_this_machine(request):
            return error_response("forbidden", "alert actions are taken only from this machine", 403)
        try:
            body = await read_body(request, limit=intake.settings.max_body_bytes)
            try:
                data = orjson.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("an alert action is a JSON object with a 'kind'")
                action = AlertAction.from_json(data)
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise IngestError("invalid_action", str(exc)) from None
            now = int(time.time() * 1000)
            result = await apply_in_writer(intake, lambda conn: apply_alert_action(conn, action, now_ms=now))
            if changed is not None:
                changed()
            return FastJSONResponse({"ok": True, **(result or {})})
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            return error_response("busy", str(exc), 429, {"Retry-After": "1"})

    return [Route(ALERT_ACTIONS_PATH, actions, methods=["POST"])]
