"""Project keys: who may send to which project.

On loopback any key (or none) is accepted and projects are created on first use: the
developer's own machine. Bound to any other address the collector requires each request to
carry its project's key, in any of the places SDKs put it.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from starlette.requests import Request

from console.core.errors import IngestError
from console.core.store.schema import connect

__all__ = ["ProjectKeys", "key_from_request"]

_SENTRY_KEY = re.compile(r"sentry_key\s*=\s*([^,\s]+)")


def key_from_request(request: Request) -> str | None:
    """The key a request carries: X-Lookout-Key, X-Sentry-Auth, ?sentry_key= or a Bearer token."""
    if key := request.headers.get("x-lookout-key"):
        return key.strip()
    if auth := request.headers.get("x-sentry-auth"):
        if match := _SENTRY_KEY.search(auth):
            return match.group(1)
    if key := request.query_params.get("sentry_key"):
        return key
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


class ProjectKeys:
    """The projects table, read through its own connection and cached for a few seconds."""

    def __init__(self, *, db_path: Path, required: bool, cache_s: float = 5.0) -> None:
        self.required = required
        self._db_path = db_path
        self._cache_s = cache_s
        self._keys: dict[str, str] = {}
        self._loaded = 0.0

    def check(self, project: str, request: Request, *, key: str | None = None) -> None:
        """Raise IngestError 401/403 unless the request may send to ``project``.

        ``key`` is one the payload itself carried (a Sentry envelope header's DSN), used
        when the request has none in its headers or query.
        """
        if not self.required:
            return
        key = key_from_request(request) or key
        if key is None:
            raise IngestError(
                "missing_key",
                "this collector is not on loopback: send the project key in X-Lookout-Key, "
                "X-Sentry-Auth (sentry_key=...), ?sentry_key= or Authorization: Bearer",
                status=401,
            )
        if self._key_of(project) != key:
            raise IngestError("invalid_key", f"the key is not valid for project {project!r}", status=403)

    def project_for_key(self, request: Request) -> str | None:
        """The project whose key the request carries; None when keys are not required.

        For senders whose paths name no project (OTLP): off loopback the key says which.
        """
        if not self.required:
            return None
        key = key_from_request(request)
        if key is None:
            raise IngestError(
                "missing_key",
                "this collector is not on loopback: send the project key as Authorization: Bearer KEY",
                status=401,
            )
        self._key_of("")  # refresh the cache when it is due
        for project, known in self._keys.items():
            if known == key:
                return project
        raise IngestError("invalid_key", "the key belongs to no project of this collector", status=403)

    def _key_of(self, project: str) -> str | None:
        now = time.monotonic()
        if project not in self._keys and now - self._loaded > 1.0 or now - self._loaded > self._cache_s:
            conn = connect(self._db_path, readonly=True)
            try:
                self._keys = dict(conn.execute("SELECT name, key FROM projects").fetchall())
            except sqlite3.Error:
                pass
            finally:
                conn.close()
            self._loaded = now
        return self._keys.get(project)
