"""Error grouping: which issue an error belongs to.

One grouper for every sender (native, Sentry, OTLP), following Sentry's rules. An error
joins the issue of the client's own fingerprint when it sends one (``{{ default }}`` in it
stands for the default grouping). Otherwise the key is the exception types plus their
in-app frames, function and module or file but never line numbers, so "Cannot read
'price' of order 8812" and "... of order 9917" thrown from one place are one issue while
the same message thrown from two places are two. Without frames the key is the types and
the messages with their variable parts (numbers, ids, quoted values, URLs, hex addresses)
masked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "ExceptionInfo",
    "StackFrame",
    "culprit",
    "fingerprint",
    "is_in_app",
    "mask_message",
    "parse_stack",
    "top_frame",
]

# Library code and the mini-program runtimes' own files: frames there are not the app's.
_LIBRARY_PARTS = ("node_modules/", "miniprogram_npm/", "site-packages/", "dist-packages/", "<anonymous>", "webpack/bootstrap", "<frozen ")
_RUNTIME_FILES = {"waservice.js", "wawebview.js", "appservice.js", "af-appx.worker.min.js", "native code", "[native code]"}
# "{{ default }}" in a client fingerprint stands for the default grouping (Sentry's rule).
_DEFAULT_PART = re.compile(r"^\{\{\s*default\s*\}\}$")

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.IGNORECASE)
# Identifiers that carry a number, like u-1042, sku88, order_9917: the digits vary per user.
_ID_WITH_DIGITS = re.compile(r"\b[a-z_]*[-_]?\d[\w-]*\b", re.IGNORECASE)

# "    at fn (file.js:88:27)", "    at file.js:88:27", "fn@file.js:88:27" (Safari/JSC).
_V8_FRAME = re.compile(r"^\s*at\s+(?:(?P<fn>.+?)\s+\()?(?P<file>[^()\s]+?):(?P<line>\d+)(?::(?P<col>\d+))?\)?\s*$")
_JSC_FRAME = re.compile(r"^\s*(?P<fn>[^@\s]*)@(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?\s*$")


class StackFrame(NamedTuple):
    """One frame of a stack: function, file, line, column; module and in-app when known.

    ``in_app`` is None when the client did not say; :func:`is_in_app` then decides from the
    file name. A named tuple, not a frozen dataclass: decoders make one per frame of every
    error, and a tuple is several times cheaper to build.
    """

    function: str
    filename: str
    line: int | None = None
    column: int | None = None
    module: str | None = None
    in_app: bool | None = None

    def label(self) -> str:
        """``fn (file:line)`` as a culprit line shows it."""
        where = self.module or self.filename
        where = where if self.line is None else f"{where}:{self.line}"
        return f"{self.function} ({where})" if self.function else where


class ExceptionInfo(NamedTuple):
    """One exception of a chain as the grouper sees it: type, message, frames innermost first."""

    type: str
    value: str
    frames: Sequence[StackFrame] = ()


def is_in_app(frame: StackFrame) -> bool:
    """The client's word when it gave one, else: not a library or the mini-program runtime."""
    if frame.in_app is not None:
        return frame.in_app
    name = frame.filename.lower()
    return not (
        not name
        or any(part in name for part in _LIBRARY_PARTS)
        or name.rsplit("/", 1)[-1] in _RUNTIME_FILES
    )


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
    """The innermost in-app frame (the innermost frame when none is in-app)."""
    for frame in frames:
        if is_in_app(frame):
            return frame
    return frames[0] if frames else None


def culprit(exceptions: Sequence[ExceptionInfo]) -> str | None:
    """Where the outermost exception was thrown: its top in-app frame's label."""
    for exc in reversed(exceptions):
        frame = top_frame(exc.frames)
        if frame is not None:
            return frame.label()
    return None


def _where(frame: StackFrame) -> str:
    # Module or file, never the line: a new build shifts lines and an issue should survive
    # a release. URLs lose scheme, host and query, so the same bundle from two hosts is one.
    where = frame.module or frame.filename
    if "://" in where:
        where = where.split("://", 1)[1].partition("/")[2]
    return where.split("?", 1)[0].split("#", 1)[0]


def _default_parts(exceptions: Sequence[ExceptionInfo], message: str) -> list[str]:
    if any(exc.frames for exc in exceptions):
        parts = ["stack"]
        for exc in exceptions:
            frames = [f for f in exc.frames if is_in_app(f)] or list(exc.frames)
            parts.append(exc.type)
            parts.extend(f"{f.function}@{_where(f)}" for f in frames)
        return parts
    if exceptions:
        parts = ["exception"]
        for exc in exceptions:
            parts += [exc.type, mask_message(exc.value)]
        return parts
    return ["message", mask_message(message)]


def fingerprint(
    *,
    exceptions: Sequence[ExceptionInfo] = (),
    message: str = "",
    client_fingerprint: Sequence[str] | None = None,
) -> str:
    """The issue key of an error, as Sentry groups: one grouper for every sender.

    The client's fingerprint when it sends one (``{{ default }}`` in it expands to the
    default grouping); otherwise the exception types plus their in-app frames (function and
    module or file); otherwise, with no frames, the types and masked values; otherwise the
    masked message.
    """
    default = _default_parts(exceptions, message)
    if client_fingerprint and not all(_DEFAULT_PART.match(p.strip()) for p in client_fingerprint):
        parts = ["client"]
        for part in client_fingerprint:
            parts.extend(default if _DEFAULT_PART.match(part.strip()) else [part])
    else:
        parts = default
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
