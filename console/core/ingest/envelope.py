"""Sentry envelope framing: split a request body into its header and items.

An envelope is a JSON header line, then items: each an item header line (JSON) and a
payload. With a ``length`` in the item header exactly that many bytes follow, then a
newline or the end; without one the payload runs to the next newline or the end (the
format of https://develop.sentry.dev/sdk/data-model/envelopes/). Blank lines where an item
header is due are skipped, so trailing newlines are harmless.

Only the framing is checked here: a body whose framing is broken cannot be split into
items at all and raises :class:`IngestError` (400). What an item's payload holds is the
Sentry decoder's business, one item at a time. Pure: bytes in, an :class:`Envelope` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from console.core.errors import IngestError

__all__ = ["Envelope", "EnvelopeItem", "parse_envelope"]


@dataclass(frozen=True, slots=True)
class EnvelopeItem:
    """One item: its parsed header, its ``type`` ("" when missing), payload and header bytes."""

    headers: dict[str, Any]
    type: str
    payload: bytes
    raw_header: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope: the envelope header and the items in the order they came.

    ``raw_header`` is the envelope header line as it arrived, so a stored copy of one item
    can carry the header it was sent with.
    """

    headers: dict[str, Any]
    items: list[EnvelopeItem] = field(default_factory=list)
    raw_header: bytes = b""


def parse_envelope(body: bytes) -> Envelope:
    """Split an envelope body; raises IngestError (400) when its framing is broken."""
    if not body.strip():
        raise IngestError("empty_envelope", "the body is empty; an envelope starts with a JSON header line")
    header_line, position = _line(body, 0)
    headers = _header(header_line, "the envelope header")
    items: list[EnvelopeItem] = []
    while position < len(body):
        line, next_position = _line(body, position)
        if not line.strip():
            position = next_position
            continue
        where = f"item {len(items) + 1}"
        item_headers = _header(line, f"the header of {where}")
        kind = item_headers.get("type")
        kind = kind if isinstance(kind, str) else ""
        if body[next_position - 1 : next_position] != b"\n":
            raise IngestError(
                "truncated_envelope",
                f"{where} ({kind or 'no type'}): the body ends after the item header; the payload is missing",
            )
        length = item_headers.get("length")
        if length is None:
            payload, position = _line(body, next_position)
        else:
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise IngestError(
                    "bad_length",
                    f"{where} ({kind or 'no type'}): 'length' must be a non-negative integer, "
                    f"not {_show(length)}",
                )
            end = next_position + length
            if end > len(body):
                raise IngestError(
                    "truncated_envelope",
                    f"{where} ({kind or 'no type'}) declares {length} bytes but only "
                    f"{max(0, len(body) - next_position)} follow its header",
                )
            if end < len(body) and body[end : end + 1] != b"\n":
                raise IngestError(
                    "bad_length",
                    f"{where} ({kind or 'no type'}): its payload of 'length' {length} is not "
                    "followed by a newline; the length does not match the payload",
                )
            payload, position = body[next_position:end], end + 1
        items.append(EnvelopeItem(item_headers, kind, payload, line))
    return Envelope(headers, items, header_line)


def _line(body: bytes, start: int) -> tuple[bytes, int]:
    """The bytes from ``start`` to the next newline (or the end), and where the next line starts."""
    end = body.find(b"\n", start)
    if end < 0:
        return body[start:], len(body)
    return body[start:end], end + 1


def _header(line: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise IngestError(
            "invalid_envelope_header", f"{what} is not JSON: {_show(line[:80])}"
        ) from None
    if not isinstance(parsed, dict):
        raise IngestError(
            "invalid_envelope_header", f"{what} must be a JSON object, not {type(parsed).__name__}"
        )
    return parsed


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return repr(value.decode("utf-8", "replace"))
    return f"{type(value).__name__} {value!r}"[:80]
