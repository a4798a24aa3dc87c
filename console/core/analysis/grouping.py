"""Error grouping: which issue an error belongs to.

An error joins the issue of the client's own fingerprint when it sends one. Otherwise the
fingerprint is a hash of the error type, the message with its variable parts masked
(numbers, ids, quoted values, URLs, hex addresses) and the top frame of the stack, so
"Cannot read 'price' of order 8812" and "... of order 9917" are one issue while the same
message thrown from two places are two.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

__all__ = ["StackFrame", "fingerprint", "mask_message", "parse_stack", "top_frame"]

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.IGNORECASE)
# Identifiers that carry a number, like u-1042, sku88, order_9917: the digits vary per user.
_ID_WITH_DIGITS = re.compile(r"\b[a-z_]*[-_]?\d[\w-]*\b", re.IGNORECASE)

# "    at fn (file.js:88:27)", "    at file.js:88:27", "fn@file.js:88:27" (Safari/JSC).
_V8_FRAME = re.compile(r"^\s*at\s+(?:(?P<fn>.+?)\s+\()?(?P<file>[^()\s]+?):(?P<line>\d+)(?::(?P<col>\d+))?\)?\s*$")
_JSC_FRAME = re.compile(r"^\s*(?P<fn>[^@\s]*)@(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?\s*$")


class StackFrame(tuple[str, str, int | None, int | None]):
    """One parsed frame of a JavaScript stack string: function, file, line, column."""

    __slots__ = ()

    def __new__(cls, function: str, filename: str, line: int | None, column: int | None) -> StackFrame:
        return super().__new__(cls, (function, filename, line, column))

    @property
    def function(self) -> str:
        return self[0]

    @property
    def filename(self) -> str:
        return self[1]

    @property
    def line(self) -> int | None:
        return self[2]

    @property
    def column(self) -> int | None:
        return self[3]

    def label(self) -> str:
        """``fn (file:line)`` as a culprit line shows it."""
        where = self.filename if self.line is None else f"{self.filename}:{self.line}"
        return f"{self.function} ({where})" if self.function else where


def mask_message(message: str) -> str:
    """The message with its variable parts replaced by placeholders."""
    masked = _URL.sub("<url>", message)
    masked = _QUOTED.sub("<str>", masked)
    masked = _UUID.sub("<id>", masked)
    masked = _HEX.sub("<hex>", masked)
    masked = _ID_WITH_DIGITS.sub("<n>", masked)
    return masked.strip()


def parse_stack(stack: str, *, limit: int = 5000) -> list[StackFrame]:
    """Frames of a V8 or JavaScriptCore stack string, innermost first; other lines skipped."""
    frames: list[StackFrame] = []
    for line in stack.splitlines():
        match = _V8_FRAME.match(line) or _JSC_FRAME.match(line)
        if match is None:
            continue
        col = match.group("col")
        frames.append(
            StackFrame(
                (match.group("fn") or "").strip(),
                match.group("file"),
                int(match.group("line")),
                int(col) if col else None,
            )
        )
        if len(frames) >= limit:
            break
    return frames


def top_frame(frames: Sequence[StackFrame]) -> StackFrame | None:
    """The innermost frame, the one the error was thrown from."""
    return frames[0] if frames else None


def fingerprint(
    *,
    error_type: str,
    message: str,
    frame: StackFrame | None,
    client_fingerprint: Sequence[str] | None = None,
) -> str:
    """The issue key of an error: the client's fingerprint if given, else a stable hash.

    Line and column numbers are left out of the frame part on purpose: a new build shifts
    them, and an issue should survive a release.
    """
    if client_fingerprint:
        parts = ["client", *client_fingerprint]
    else:
        where = f"{frame.function}@{frame.filename}" if frame is not None else ""
        parts = ["auto", error_type, mask_message(message), where]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
