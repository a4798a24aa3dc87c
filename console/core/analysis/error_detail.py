"""One error as the detail view shows it, whoever sent it.

Native errors carry a ``stack`` string and ``breadcrumbs`` with millisecond timestamps;
Sentry errors carry ``exception.values`` with structured frames (oldest first, with
``in_app``, source context lines), ``breadcrumbs`` with second timestamps, tags, contexts,
user and request; OTLP errors carry ``exception.*`` attributes. :func:`read_error` turns
any of them into one :class:`ErrorDetail`: exceptions outermost first, frames innermost
first, breadcrumbs oldest first with their time relative to the error.

Everything here is what a client sent, so it is read defensively (a field of the wrong
type is left out, never an exception) and never altered: escaping for display is the
view's business, a message like ``<img src=x onerror=...>`` comes out as it went in.
Stacks are cut to their innermost :data:`MAX_FRAMES` frames, so a 5,000-frame recursion
opens as fast as a short one; ``frames_dropped`` says how many went.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from console.core.analysis.grouping import StackFrame, is_in_app, parse_stack
from console.core.analysis.tracebacks import TRACEBACK_HEADER, read_traceback

__all__ = ["MAX_FRAMES", "Breadcrumb", "ErrorDetail", "ExceptionView", "FrameView", "read_error"]

#: Frames kept per exception: the innermost ones.
MAX_FRAMES = 1_000

# Numbers below this are seconds (Sentry, and native senders that use them), above it
# milliseconds: 1e11 ms is 1973, 1e11 s the year 5138.
_SECONDS_BELOW = 1e11
_OTLP_SHOWN = ("exception.type", "exception.message", "exception.stacktrace")


@dataclass(frozen=True, slots=True)
class FrameView:
    """One stack frame: where, whether it is the app's own code, and its source lines.

    ``location`` is the file (a URL for browsers), else the module; ``module`` is the
    module when the sender named one (Python, Java).
    """

    function: str
    location: str
    line: int | None
    column: int | None
    in_app: bool
    pre_context: tuple[str, ...] = ()
    context_line: str | None = None
    post_context: tuple[str, ...] = ()
    module: str | None = None


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """One exception of the chain; ``frames`` innermost first.

    ``handled`` and ``mechanism`` are Sentry's word on how it was caught (``onerror``,
    ``generic``, ...), None when the sender did not say.
    """

    type: str
    value: str
    frames: tuple[FrameView, ...]
    frames_dropped: int = 0
    handled: bool | None = None
    mechanism: str | None = None


@dataclass(frozen=True, slots=True)
class Breadcrumb:
    """One breadcrumb; ``offset_ms`` is its time minus the error's (negative: before)."""

    offset_ms: int | None
    category: str
    message: str
    level: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """Everything support needs to read one error.

    ``exceptions`` outermost first; ``contexts`` maps a context name (device, os, app,
    browser, ...) to its fields; ``raw`` is the stored payload (JSON-ready) and
    ``raw_bytes`` the bytes that arrived when the sender's were kept (Sentry).
    ``breadcrumbs_dropped`` counts the oldest breadcrumbs the decoder did not keep.
    """

    event_id: int
    issue_id: int
    project: str
    ts: int
    error_id: str | None
    level: str
    title: str
    message: str
    culprit: str | None
    route: str | None
    release: str | None
    environment: str | None
    session_id: str | None
    user_id: str | None
    trace_id: str | None
    sender: str
    exceptions: tuple[ExceptionView, ...]
    breadcrumbs: tuple[Breadcrumb, ...]
    tags: tuple[tuple[str, str], ...]
    contexts: dict[str, dict[str, Any]]
    user: dict[str, Any]
    request: dict[str, Any]
    attachments: tuple[tuple[str, int], ...]
    raw: dict[str, Any]
    raw_bytes: bytes | None = None
    breadcrumbs_dropped: int = 0


class _Parts(NamedTuple):
    exceptions: tuple[ExceptionView, ...]
    tags: tuple[tuple[str, str], ...]
    contexts: dict[str, dict[str, Any]]
    user: dict[str, Any]
    request: dict[str, Any]


def read_error(
    row: dict[str, Any],
    *,
    raw_bytes: bytes | None = None,
    attachments: tuple[tuple[str, int], ...] = (),
) -> ErrorDetail:
    """An ErrorDetail from an ``errors`` row (its columns, ``data`` decoded).

    ``attachments`` are the (file name, size) of the event's attachments, when the caller
    read them (:func:`console.core.store.issue_queries.error_detail` does).
    """
    data = row.get("data")
    if isinstance(data, (str, bytes)):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError:
            data = None
    if not isinstance(data, dict):
        data = {}
    sender = {"sentry": "sentry", "otlp": "otlp"}.get(str(data.get("_format")), "native")
    ts = int(row["ts"])
    error_type = _text(row.get("error_type")) or "Error"
    message = _text(row.get("message"))
    if sender == "sentry":
        parts = _sentry(data, error_type, message)
    elif sender == "otlp":
        parts = _otlp(data, error_type, message)
    else:
        parts = _native(data, error_type, message)
    user_id = _optional(row.get("user_id"))
    # Copies: a view that adds to a dict of the detail must not change the stored payload.
    user = dict(parts.user) if parts.user else ({"id": user_id} if user_id else {})
    dropped = data.get("breadcrumbs_dropped")
    return ErrorDetail(
        event_id=int(row["event_id"]),
        issue_id=int(row["issue_id"]),
        project=str(row["project"]),
        ts=ts,
        error_id=_optional(row.get("error_id")),
        level=_text(row.get("level")) or "error",
        title=(message if message.startswith(error_type) else f"{error_type}: {message}")[:500],
        message=message,
        culprit=_optional(row.get("culprit")),
        route=_optional(row.get("route")),
        release=_optional(row.get("release")),
        environment=_optional(row.get("environment")),
        session_id=_optional(row.get("session_id")),
        user_id=user_id,
        trace_id=_optional(row.get("trace_id")),
        sender=sender,
        exceptions=parts.exceptions,
        breadcrumbs=_breadcrumbs(data.get("breadcrumbs"), ts),
        tags=parts.tags,
        contexts=dict(parts.contexts),
        user=user,
        request=dict(parts.request),
        attachments=tuple(attachments),
        raw=data,
        raw_bytes=raw_bytes,
        breadcrumbs_dropped=dropped if isinstance(dropped, int) and not isinstance(dropped, bool) else 0,
    )


# --- native --------------------------------------------------------------------------------


def _native(data: dict[str, Any], error_type: str, message: str) -> _Parts:
    stack = data.get("stack")
    frames: list[FrameView] = []
    dropped = 0
    if isinstance(stack, str) and stack:
        parsed = parse_stack(stack, limit=stack.count("\n") + 1)
        dropped = max(0, len(parsed) - MAX_FRAMES)
        frames = [_frame_view(f) for f in parsed[:MAX_FRAMES]]
    elif isinstance(data.get("filename"), str) and data["filename"]:
        # An onerror report without a stack: where the runtime says it was thrown.
        at = StackFrame("", data["filename"], _int(data.get("lineno")), _int(data.get("colno")))
        frames = [_frame_view(at)]
    value = message
    if message.startswith(f"{error_type}:"):
        value = message[len(error_type) + 1 :].lstrip()
    context = _obj(data.get("context"))
    contexts: dict[str, dict[str, Any]] = {}
    app = {k: v for k, v in context.items() if not isinstance(v, dict)}
    if app:
        contexts["app"] = app
    contexts.update({k: v for k, v in context.items() if isinstance(v, dict)})
    request: dict[str, Any] = {}
    if data.get("type") == "network_error":
        request = {
            k: data[k] for k in ("url", "method", "error", "duration") if data.get(k) is not None
        }
    return _Parts(
        exceptions=(ExceptionView(error_type, value, tuple(frames), dropped),),
        tags=_tags(data.get("tags")),
        contexts=contexts,
        user=_obj(data.get("user")),
        request=request,
    )


def _frame_view(frame: StackFrame) -> FrameView:
    return FrameView(
        function=frame.function,
        location=frame.filename or frame.module or "",
        line=frame.line,
        column=frame.column,
        in_app=is_in_app(frame),
        module=frame.module,
    )


# --- Sentry --------------------------------------------------------------------------------


def _sentry(data: dict[str, Any], error_type: str, message: str) -> _Parts:
    exception = data.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    views: list[ExceptionView] = []
    # Sentry lists a chain cause first; the view reads the outermost first.
    for value in reversed(values if isinstance(values, list) else []):
        if not isinstance(value, dict):
            continue
        frames, dropped = _sentry_frames(_obj(value.get("stacktrace")).get("frames"))
        mechanism = _obj(value.get("mechanism"))
        handled = mechanism.get("handled")
        views.append(
            ExceptionView(
                type=_text(value.get("type")) or "Error",
                value=_text(value.get("value")),
                frames=frames,
                frames_dropped=dropped,
                handled=handled if isinstance(handled, bool) else None,
                mechanism=_optional(mechanism.get("type")),
            )
        )
    if not views:
        # A message event: the stack the SDK attached, if any (top level, else a thread's).
        stacktrace = _obj(data.get("stacktrace"))
        if not stacktrace:
            threads = data.get("threads")
            threads = threads.get("values") if isinstance(threads, dict) else threads
            for thread in threads if isinstance(threads, list) else []:
                if isinstance(thread, dict) and _obj(thread.get("stacktrace")):
                    stacktrace = _obj(thread.get("stacktrace"))
                    break
        if stacktrace:
            frames, dropped = _sentry_frames(stacktrace.get("frames"))
            views.append(ExceptionView(error_type, message, frames, dropped))
    return _Parts(
        exceptions=tuple(views),
        tags=_tags(data.get("tags")),
        contexts={k: v for k, v in _obj(data.get("contexts")).items() if isinstance(v, dict)},
        user=_obj(data.get("user")),
        request=_obj(data.get("request")),
    )


def _sentry_frames(raw: Any) -> tuple[tuple[FrameView, ...], int]:
    """Frames innermost first (Sentry sends them oldest first), the innermost MAX_FRAMES."""
    if not isinstance(raw, list):
        return (), 0
    kept = raw[-MAX_FRAMES:]
    frames = tuple(_sentry_frame(f) for f in reversed(kept) if isinstance(f, dict))
    return frames, len(raw) - len(kept)


def _sentry_frame(frame: dict[str, Any]) -> FrameView:
    in_app = frame.get("in_app")
    module = _optional(frame.get("module"))
    filename = _text(frame.get("filename")) or _text(frame.get("abs_path"))
    at = StackFrame(
        _text(frame.get("function")), filename, _int(frame.get("lineno")), _int(frame.get("colno")),
        module, in_app if isinstance(in_app, bool) else None,
    )
    context_line = frame.get("context_line")
    return FrameView(
        function=at.function,
        location=filename or module or "",
        line=at.line,
        column=at.column,
        in_app=is_in_app(at),
        pre_context=_lines(frame.get("pre_context")),
        context_line=context_line if isinstance(context_line, str) else None,
        post_context=_lines(frame.get("post_context")),
        module=module,
    )


# --- OTLP ----------------------------------------------------------------------------------


def _otlp(data: dict[str, Any], error_type: str, message: str) -> _Parts:
    attrs = _obj(data.get("attributes"))
    kind = _text(attrs.get("exception.type")) or error_type
    value = _text(attrs.get("exception.message")) or message
    stack = attrs.get("exception.stacktrace")
    views: tuple[ExceptionView, ...]
    if isinstance(stack, str) and TRACEBACK_HEADER in stack:
        views = _python_traceback(stack, kind, value)
    else:
        frames: list[StackFrame] = []
        if isinstance(stack, str) and stack:
            frames = parse_stack(stack, limit=stack.count("\n") + 1)
        views = (
            ExceptionView(
                kind, value, tuple(_frame_view(f) for f in frames[:MAX_FRAMES]), max(0, len(frames) - MAX_FRAMES)
            ),
        )
    contexts: dict[str, dict[str, Any]] = {}
    rest = {k: v for k, v in attrs.items() if k not in _OTLP_SHOWN}
    if rest:
        contexts["attributes"] = rest
    if "span" in data or "span_id" in data:
        contexts["span"] = {
            "name": data.get("span"), "span_id": data.get("span_id"), **_obj(data.get("span_attributes"))
        }
    log = {k: data[k] for k in ("event_name", "severity_text", "message") if data.get(k) is not None}
    if log:
        contexts["log"] = log
    if _obj(data.get("scope")):
        contexts["scope"] = _obj(data.get("scope"))
    return _Parts(exceptions=views, tags=(), contexts=contexts, user={}, request={})


def _python_traceback(stack: str, kind: str, value: str) -> tuple[ExceptionView, ...]:
    """A printed traceback's exceptions outermost first, each frame with its source line.

    The attributes' type and message are the outermost exception's; the causes' come from
    their ``Type: message`` lines.
    """
    views: list[ExceptionView] = []
    for position, part in enumerate(reversed(read_traceback(stack))):
        name, text = (kind, value) if position == 0 else (part.type or "Error", part.message)
        frames = [  # Python prints the innermost last
            FrameView(
                function=f.frame.function, location=f.frame.filename, line=f.frame.line, column=None,
                in_app=is_in_app(f.frame), context_line=f.source,
            )
            for f in reversed(part.frames)
        ]
        views.append(ExceptionView(name, text, tuple(frames[:MAX_FRAMES]), max(0, len(frames) - MAX_FRAMES)))
    return tuple(views) or (ExceptionView(kind, value, ()),)


# --- shared --------------------------------------------------------------------------------


def _breadcrumbs(raw: Any, error_ts: int) -> tuple[Breadcrumb, ...]:
    """Breadcrumbs oldest first; by time when every one has a time, else as sent."""
    if isinstance(raw, dict):
        raw = raw.get("values")
    if not isinstance(raw, list):
        return ()
    crumbs: list[Breadcrumb] = []
    for crumb in raw:
        if not isinstance(crumb, dict):
            continue
        at = _ms(crumb.get("timestamp"))
        crumbs.append(
            Breadcrumb(
                offset_ms=None if at is None else at - error_ts,
                category=_text(crumb.get("category")),
                message=_text(crumb.get("message")),
                level=_text(crumb.get("level")) or "info",
                type=_text(crumb.get("type")) or "default",
                data=_obj(crumb.get("data")),
            )
        )
    if all(c.offset_ms is not None for c in crumbs):
        crumbs.sort(key=lambda c: c.offset_ms or 0)
    return tuple(crumbs)


def _ms(value: Any) -> int | None:
    """A breadcrumb time as ms since the epoch: seconds or ms as a number, or RFC 3339."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return round(parsed.timestamp() * 1000)
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return round(value * 1000) if value < _SECONDS_BELOW else round(value)


def _tags(raw: Any) -> tuple[tuple[str, str], ...]:
    """Tags sent as an object or as ``[[key, value], ...]``, as (key, value) text pairs."""
    if isinstance(raw, dict):
        pairs: list[Any] = list(raw.items())
    elif isinstance(raw, list):
        pairs = [t for t in raw if isinstance(t, (list, tuple)) and len(t) == 2]
    else:
        return ()
    return tuple((str(k), _text(v)) for k, v in pairs if v is not None)


def _text(value: Any) -> str:
    """A field as text: strings as they are, other JSON values written out, null as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _optional(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _lines(value: Any) -> tuple[str, ...]:
    return tuple(line for line in value if isinstance(line, str)) if isinstance(value, list) else ()
