"""The window's way to change issues when a collector owns the store: ``POST /lookout/issues/actions``.

The store has one writer, and while a collector runs it is the collector's. So the window
sends what the user did (an :class:`~console.core.store.issue_actions.IssueAction` as
JSON) here, and the writer carries it out between commits. Only this machine may ask:
resolving or deleting issues is not for whoever can reach a collector bound to 0.0.0.0.
"""

from __future__ import annotations

import asyncio
import ipaddress
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.collector.body import read_body
from console.collector.intake import FastJSONResponse, Intake, error_response
from console.core.errors import IngestError, StoreUnavailable
from console.core.store.issue_actions import IssueAction, apply_issue_action

__all__ = ["ACTIONS_PATH", "action_routes", "apply_in_writer", "from_this_machine"]

ACTIONS_PATH = "/lookout/issues/actions"

T = TypeVar("T")


def from_this_machine(request: Request) -> bool:
    """Whether the request came from this machine (loopback): the only place actions may come from."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def apply_in_writer(intake: Intake, job: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``job`` on the collector's writer, between commits, and wait for it without blocking.

    A ValueError from the job (an action that does not apply) becomes a 400
    ``invalid_action``, a store failure a 503 ``store_unavailable``; a full writer raises
    StoreUnavailable as :meth:`StoreWriter.run` does.
    """
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[tuple[T | None, BaseException | None]] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if not finished.done():
            finished.set_result((result, error))

    def done(result: T | None, error: BaseException | None) -> None:
        loop.call_soon_threadsafe(settle, result, error)

    intake.writer.run(job, done)
    result, error = await finished
    if isinstance(error, sqlite3.Error):
        raise IngestError("store_unavailable", f"the store could not apply it: {error}", status=503)
    if isinstance(error, ValueError):
        raise IngestError("invalid_action", str(error))
    if error is not None:
        raise error
    return result  # type: ignore[return-value]  # no error: the job's own result


def action_routes(intake: Intake) -> list[Route]:
    """The issue-action path over one collector's writer."""

    async def actions(request: Request) -> Response:
        if not from_this_machine(request):
            return error_response("forbidden", "issue actions are taken only from this machine", 403)
        try:
            body = await read_body(request, limit=intake.settings.max_body_bytes)
            try:
                action = IssueAction.from_json(orjson.loads(body))
            except (orjson.JSONDecodeError, ValueError) as exc:
                raise IngestError("invalid_action", str(exc)) from None
            now = int(time.time() * 1000)
            changed = await apply_in_writer(intake, lambda conn: apply_issue_action(conn, action, now_ms=now))
            return FastJSONResponse({"changed": changed})
        except IngestError as exc:
            return error_response(exc.code, exc.detail, exc.status)
        except StoreUnavailable as exc:
            return error_response("busy", str(exc), 429, {"Retry-After": "1"})

    return [Route(ACTIONS_PATH, actions, methods=["POST"])]
