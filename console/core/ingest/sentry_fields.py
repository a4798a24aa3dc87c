"""Field readers for Sentry payloads: typed reads that reject hostile values with a reason.

Everything a Sentry client sends comes from outside. The readers here return the value in
the type a column needs, cut to the documented limits, or raise :class:`Reject` with a
reason a developer can act on; the decoder turns that into one rejected item, never an
exception for the whole request. Timestamps follow Sentry's protocol: RFC 3339 strings
(sentry-python) or float seconds since the epoch (JavaScript); a string without a zone is
UTC, as Relay reads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from console.core.ingest.limits import MAX_ID, MAX_STRING, clip

__all__ = [
    "LEVELS",
    "Reject",
    "array",
    "attribute_values",
    "ident",
    "integer",
    "level",
    "ms",
    "number",
    "obj",
    "seconds",
    "tag",
    "text",
    "user_id",
]

# No client measures anything beyond JavaScript's safe integers; larger numbers are garbage.
_MAX_NUMBER = float(2**53)
# Seconds since the epoch at the start of the year 10000: later timestamps are refused.
_MAX_SECONDS = 253_402_300_800.0

#: Sentry's and OpenTelemetry's level words, as the levels Lookout stores.
LEVELS = {
    "fatal": "fatal", "critical": "fatal", "error": "error", "warning": "warning",
    "warn": "warning", "info": "info", "log": "info", "debug": "debug", "trace": "debug",
}


class Reject(Exception):
    """Raised while decoding one item (or one entry of it) to reject it with a reason."""


def text(obj: dict[str, Any], key: str, *, required: bool = False, limit: int = MAX_STRING) -> str | None:
    """A string field (numbers are taken as their text), clipped to ``limit``."""
    value = obj.get(key)
    if value is None:
        if required:
            raise Reject(f"'{key}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Reject(f"'{key}' must be a string, not {_kind(value)}")
    result = value if isinstance(value, str) else str(value)
    if required and not result:
        raise Reject(f"'{key}' must not be empty")
    return clip(result, limit)


def ident(obj: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """An identifier or name: a string clipped to MAX_ID."""
    return text(obj, key, required=required, limit=MAX_ID)


def number(obj: dict[str, Any], key: str, *, non_negative: bool = True) -> float | None:
    """A finite number within ±2^53."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Reject(f"'{key}' must be a number, not {_kind(value)}")
    result = float(value)
    if not math.isfinite(result) or abs(result) > _MAX_NUMBER:
        raise Reject(f"'{key}' must be a finite number within ±2^53")
    if non_negative and result < 0:
        raise Reject(f"'{key}' must not be negative")
    return result


def integer(obj: dict[str, Any], key: str) -> int | None:
    """A non-negative count."""
    value = number(obj, key)
    return None if value is None else int(value)


def obj(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested object; ``{}`` when missing or null."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Reject(f"'{key}' must be an object, not {_kind(value)}")
    return value


def array(parent: dict[str, Any], key: str) -> list[Any]:
    """A nested array; ``[]`` when missing or null."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Reject(f"'{key}' must be an array, not {_kind(value)}")
    return value


def seconds(parent: dict[str, Any], key: str) -> float | None:
    """A timestamp as float seconds since the epoch: RFC 3339 string or number of seconds."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            try:
                result = float(value)
            except ValueError:
                raise Reject(f"'{key}' is not an RFC 3339 time: {clip(value, 40)!r}") from None
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            try:
                result = parsed.timestamp()
            except (OverflowError, OSError, ValueError):
                raise Reject(f"'{key}' is out of range") from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Reject(f"'{key}' must be seconds since the epoch or an RFC 3339 string")
    else:
        result = float(value)
    if not math.isfinite(result) or result < 0:
        raise Reject(f"'{key}' must be a time after 1970")
    if result >= _MAX_SECONDS:
        raise Reject(f"'{key}' is after the year 9999")
    return result


def ms(value: float) -> int:
    """Seconds since the epoch as integer milliseconds (rounded: 1764288003.512 is ...512)."""
    return round(value * 1000)


def attribute_values(value: Any, where: str = "attributes") -> dict[str, Any]:
    """Sentry attributes (``{key: {"type", "value"}}``) as ``{key: value}``.

    A value that is not wrapped in ``{"value": ...}`` is kept as it is: older SDKs and span
    ``data`` send plain values.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Reject(f"'{where}' must be an object, not {_kind(value)}")
    return {
        key: item["value"] if isinstance(item, dict) and "value" in item else item
        for key, item in value.items()
    }


def level(value: Any, default: str = "error") -> str:
    """A level word as one of fatal/error/warning/info/debug; ``default`` when unknown."""
    if isinstance(value, str):
        return LEVELS.get(value.strip().lower(), default)
    return default


def user_id(user: dict[str, Any]) -> str | None:
    """Who a Sentry ``user`` is: id, else email, else IP address (not the ``{{auto}}`` marker)."""
    for key in ("id", "email", "ip_address"):
        found = ident(user, key)
        if found and found != "{{auto}}":
            return found
    return None


def tag(tags: Any, *keys: str) -> str | None:
    """The first of ``keys`` among Sentry tags, sent as an object or as ``[[key, value], ...]``."""
    pairs: Iterable[Any]
    if isinstance(tags, dict):
        pairs = tags.items()
    elif isinstance(tags, list):
        pairs = (t for t in tags if isinstance(t, (list, tuple)) and len(t) == 2)
    else:
        return None
    found = {
        name: value for name, value in pairs
        if name in keys and isinstance(value, (str, int)) and not isinstance(value, bool) and value != ""
    }
    for key in keys:
        if key in found:
            return clip(str(found[key]), MAX_ID)
    return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", str: "a string"}.get(
        type(value), type(value).__name__
    )
