"""Reading one field of a native payload: the type checks and limits every decoder shares.

Each reader returns the field's value, cut to its limit, or raises :class:`Reject` with the
reason the sender gets back (``'lcp' must be a number``). :mod:`console.core.ingest.native`
and the decoders beside it use these, so a field means the same in every payload type.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from console.core.ingest.limits import MAX_ID, clip

__all__ = [
    "Reject", "device", "ident", "ms", "number", "obj", "optional_ident", "optional_obj", "text", "timestamp", "who",
]

# No client measures anything beyond JavaScript's safe integers; larger numbers are garbage
# (and would not fit SQLite's 64-bit integers).
_MAX_NUMBER = float(2**53)
# Timestamps after the year 9999 are refused rather than guessed at.
_MAX_TIMESTAMP_MS = 253_402_300_800_000

# Numbers below this are taken as seconds since the epoch, not milliseconds: no client
# reports events from before March 1973 in milliseconds, and several send seconds.
_SECONDS_CUTOFF = 100_000_000_000


class Reject(Exception):
    """Raised inside a kind's decoder to reject one event with a reason."""


def text(obj: dict[str, Any], key: str, *, required: bool = False, limit: int = 8192) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Reject(f"'{key}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Reject(f"'{key}' must be a string")
    text = value if isinstance(value, str) else str(value)
    if required and not text:
        raise Reject(f"'{key}' must not be empty")
    return clip(text, limit)


def ident(obj: dict[str, Any], key: str) -> str | None:
    return text(obj, key, limit=MAX_ID)


def number(obj: dict[str, Any], key: str, *, non_negative: bool = True) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Reject(f"'{key}' must be a number")
    number = float(value)
    if not math.isfinite(number) or abs(number) > _MAX_NUMBER:
        raise Reject(f"'{key}' must be a finite number within ±2^53")
    if non_negative and number < 0:
        raise Reject(f"'{key}' must not be negative")
    return number


def obj(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Reject(f"'{key}' must be an object")
    return value


def timestamp(obj: dict[str, Any], now_ms: int, key: str = "timestamp") -> int:
    value = obj.get(key)
    if value is None:
        return now_ms
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise Reject(f"'{key}' is not an ISO 8601 time: {clip(value, 40)!r}") from None
        if parsed.tzinfo is None:
            raise Reject(f"'{key}' has no time zone; send UTC ('Z') or an offset")
        try:
            return int(parsed.timestamp() * 1000)
        except (OverflowError, OSError, ValueError):
            raise Reject(f"'{key}' is out of range") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Reject(f"'{key}' must be milliseconds since the epoch or an ISO 8601 string")
    if value < 0:
        raise Reject(f"'{key}' must not be negative")
    ms = int(value * 1000) if value < _SECONDS_CUTOFF else int(value)
    if ms > _MAX_TIMESTAMP_MS:
        raise Reject(f"'{key}' is after the year 9999")
    return ms


def optional_obj(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """An object read only to fill a filter column: anything else there is ignored, not
    refused, so events that were accepted before the column existed still are."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def optional_ident(*sources: dict[str, Any], key: str) -> str | None:
    """The first non-empty string ``key`` among ``sources``, clipped; other values are ignored
    (see :func:`optional_obj`)."""
    for source in sources:
        value = source.get(key)
        if isinstance(value, str) and value:
            return clip(value, MAX_ID)
    return None


def device(device_info: dict[str, Any]) -> str | None:
    """What the Performance panel calls a device: the model, else the brand."""
    return optional_ident(device_info, key="model") or optional_ident(device_info, key="brand")


def who(obj: dict[str, Any], *fallbacks: dict[str, Any]) -> tuple[str | None, str | None]:
    session, user = ident(obj, "sessionId"), ident(obj, "userId")
    for extra in fallbacks:
        session = session or ident(extra, "sessionId")
        user = user or ident(extra, "userId")
    return session, user


def ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} ms"
