"""What the three OTLP signal decoders share: readers for OTLP's common messages.

OTLP's ``common.v1`` and ``resource.v1`` messages (AnyValue, KeyValue attributes,
InstrumentationScope, Resource), its ids and nanosecond times, read from the dict form
both wire formats decode to: OTLP JSON as sent (camelCase or snake_case field names, hex
ids, 64-bit integers as strings or numbers) and protobuf messages made into the same dict
(hex ids, integers). Base64 ids are read too: they are what protobuf's own JSON mapping
writes, and some senders forget OTLP's hex rule. Also the one mapping of an exception (a
span event or a log record) to an error event, and the Python traceback parser the
grouper needs for SDKs that record Python stacks.

Every reader raises :class:`ItemRejected` for the one span, log record or data point it
is reading; the signal decoders count it and keep the rest.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from console.core.analysis.grouping import (
    ExceptionInfo,
    StackFrame,
    fingerprint,
    parse_stack,
    top_frame,
)
from console.core.errors import IngestError
from console.core.events import Event, Kind
from console.core.ingest.limits import MAX_DEPTH, MAX_ID, MAX_STACK, MAX_STRING, clip, clip_data

__all__ = [
    "ItemRejected",
    "Output",
    "ResourceInfo",
    "any_value",
    "attributes",
    "count_items",
    "double",
    "each",
    "entries",
    "enum",
    "error_event",
    "field",
    "first_text",
    "ident",
    "int64",
    "items_under",
    "nanos",
    "json_text",
    "parse_python_traceback",
    "path_of",
    "read_resource",
    "sanitise_project",
    "scope_of",
    "scopes",
    "text",
    "time_ms",
    "top_level",
    "uint64",
    "who",
]

# Timestamps after the year 9999 are refused rather than guessed at (as native.py does).
_MAX_TIMESTAMP_MS = 253_402_300_800_000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT64_MAX = 2**64 - 1
# Names the OTLP JSON specification spells in lowerCamelCase; snake_case is accepted too.
_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")
_HEX_ID = {8: re.compile(r"[0-9a-fA-F]{16}"), 16: re.compile(r"[0-9a-fA-F]{32}")}
# Protobuf's JSON mapping of non-finite doubles.
_SPECIAL_DOUBLES = frozenset({"NaN", "Infinity", "-Infinity"})
_PROJECT_BAD_CHARS = re.compile(r"[^A-Za-z0-9_.-]")
# '  File "app/cart.py", line 88, in sum_cart'
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<fn>.+?))?\s*$')


class ItemRejected(Exception):
    """Raised while reading one span, log record or data point to reject it with a reason."""


class Output:
    """What a request decoded to so far: the events, and the items rejected and why.

    ``noun`` names the items ("spans", "log records", "data points") in the message that
    goes back to the client as OTLP's ``partialSuccess.errorMessage``.
    """

    def __init__(self, *, noun: str, now_ms: int) -> None:
        self.noun = noun
        self.now_ms = now_ms
        self.events: list[Event] = []
        self.rejected = 0
        self._reasons: dict[str, int] = {}

    def reject(self, reason: str, count: int = 1) -> None:
        """Count ``count`` items as rejected for ``reason``."""
        self.rejected += count
        self._reasons[reason] = self._reasons.get(reason, 0) + count

    def message(self) -> str:
        """One line saying how many items were rejected and the first few reasons."""
        if not self.rejected:
            return ""
        reasons = [f"{r} (×{n})" if n > 1 else r for r, n in list(self._reasons.items())[:5]]
        more = len(self._reasons) - len(reasons)
        tail = f"; and {more} other reasons" if more > 0 else ""
        return clip(f"{self.rejected} {self.noun} rejected: {'; '.join(reasons)}{tail}", 2000)


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """The resource a batch of spans, logs or metrics came from, as the events use it.

    ``platform`` and ``device`` are what the Performance panel filters page loads and
    transactions on (see :func:`read_resource`).
    """

    project: str
    service: str | None
    release: str | None
    environment: str | None
    platform: str | None
    device: str | None
    attributes: dict[str, Any]


# --- field readers -------------------------------------------------------------------------


@functools.cache
def _snake(name: str) -> str:
    return _CAMEL_HUMP.sub("_", name).lower()


def field(obj: dict[str, Any], name: str) -> Any:
    """``obj[name]`` under its lowerCamelCase name or its snake_case one; None when absent."""
    value = obj.get(name)
    if value is None:
        value = obj.get(_snake(name))
    return value


def top_level(request: dict[str, Any], name: str) -> list[Any]:
    """The request's ``resourceSpans``/``resourceLogs``/``resourceMetrics`` array.

    Absent is an empty request (OTLP allows one); anything but an array means the body is
    not an OTLP request at all.
    """
    found = field(request, name)
    if found is None:
        return []
    if not isinstance(found, list):
        raise IngestError("invalid_shape", f"'{name}' must be an array")
    return found


def entries(container: Any, name: str, out: Output) -> list[dict[str, Any]]:
    """The objects of ``container[name]`` (scopes, spans, records, metrics); each entry that
    is not an object, or a field that is not an array, counts as one rejected item."""
    if not isinstance(container, dict):
        out.reject("an entry must be an object")
        return []
    found = field(container, name)
    if found is None:
        return []
    if not isinstance(found, list):
        out.reject(f"'{name}' must be an array")
        return []
    kept = [item for item in found if isinstance(item, dict)]
    if len(kept) != len(found):
        out.reject(f"every entry of '{name}' must be an object", len(found) - len(kept))
    return kept


def scopes(
    request: dict[str, Any],
    resource_key: str,
    scope_key: str,
    item_key: str,
    *,
    project: str | None,
    out: Output,
    count: Callable[..., int] | None = None,
) -> Iterator[tuple[ResourceInfo, dict[str, Any], dict[str, Any]]]:
    """Each readable scope container of a request with its resource and scope.

    A resource or scope that cannot be read is rejected here, counting the items under it
    (``item_key`` below the scope, e.g. ``spans``; ``count`` when an item is not what OTLP
    counts, as for metrics' data points), so every signal walks a request alike.
    """
    count = count or count_items
    for container in top_level(request, resource_key):
        try:
            resource = read_resource(container, project)
        except ItemRejected as exc:
            out.reject(f"resource: {exc}", count(container, scope_key, item_key))
            continue
        for scoped in entries(container, scope_key, out):
            try:
                scope = scope_of(scoped)
            except ItemRejected as exc:
                out.reject(f"scope: {exc}", count(scoped, item_key))
                continue
            yield resource, scope, scoped


def items_under(container: Any, *path: str) -> list[Any]:
    """What lies under ``container`` along ``path`` (``"scopeSpans", "spans"``), each step an
    array or an object; used only to count what a container that cannot be read held."""
    level = [container]
    for name in path:
        found_level: list[Any] = []
        for parent in level:
            found = field(parent, name) if isinstance(parent, dict) else None
            if isinstance(found, list):
                found_level.extend(found)
            elif isinstance(found, dict):
                found_level.append(found)
        level = found_level
    return level


def count_items(container: Any, *path: str) -> int:
    """How many items a container that cannot be read held, at least one."""
    return max(1, len(items_under(container, *path)))


def each(obj: dict[str, Any], name: str, what: str) -> Iterator[dict[str, Any]]:
    """The objects of the repeated field ``name``; anything else there is rejected."""
    items = field(obj, name)
    if items is None:
        return
    if not isinstance(items, list):
        raise ItemRejected(f"'{name}' of {what} must be an array")
    for item in items:
        if not isinstance(item, dict):
            raise ItemRejected(f"'{name}' of {what} must hold objects")
        yield item


def text(obj: dict[str, Any], name: str, *, required: bool = False, limit: int = MAX_STRING) -> str | None:
    """A string field, clipped to ``limit``; empty counts as absent."""
    value = field(obj, name)
    if value is None or value == "":
        if required:
            raise ItemRejected(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ItemRejected(f"'{name}' must be a string")
    return clip(value, limit)


def _integer(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ItemRejected(f"'{name}' must be an integer")
    if isinstance(value, str):
        try:
            number = int(value, 10)
        except ValueError:
            raise ItemRejected(f"'{name}' must be an integer, not {clip(value, 40)!r}") from None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise ItemRejected(f"'{name}' must be an integer")
    if not low <= number <= high:
        raise ItemRejected(f"'{name}' is out of range")
    return number


def uint64(obj: dict[str, Any], name: str) -> int | None:
    """A fixed64/uint64 field: a number or a decimal string (OTLP JSON sends both)."""
    return _integer(field(obj, name), name, 0, _UINT64_MAX)


def int64(obj: dict[str, Any], name: str) -> int | None:
    """An int64 field within SQLite's integers: a number or a decimal string."""
    return _integer(field(obj, name), name, _INT64_MIN, _INT64_MAX)


def enum(obj: dict[str, Any], name: str, names: dict[str, int]) -> int:
    """An enum field: its integer (what the spec sends) or its protobuf name; 0 when absent."""
    value = field(obj, name)
    if isinstance(value, str) and value in names:
        return names[value]
    number = _integer(value, name, _INT64_MIN, _INT64_MAX)
    return 0 if number is None else number


def double(obj: dict[str, Any], name: str) -> float | None:
    """A double field: a number, or protobuf JSON's "NaN"/"Infinity"; None when not finite."""
    value = field(obj, name)
    if value is None:
        return None
    if isinstance(value, str):
        if value in _SPECIAL_DOUBLES:
            return None
        try:
            value = float(value)
        except ValueError:
            raise ItemRejected(f"'{name}' must be a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ItemRejected(f"'{name}' must be a number")
    number = float(value)
    return number if math.isfinite(number) else None


def nanos(obj: dict[str, Any], name: str) -> int | None:
    """A ``...UnixNano`` field; None when absent or zero (OTLP's "unset")."""
    value = uint64(obj, name)
    if not value:
        return None
    if value // 1_000_000 > _MAX_TIMESTAMP_MS:
        raise ItemRejected(f"'{name}' is after the year 9999")
    return value


def time_ms(obj: dict[str, Any], name: str) -> int | None:
    """A ``...UnixNano`` field in milliseconds; None when absent or zero."""
    value = nanos(obj, name)
    return None if value is None else value // 1_000_000


def ident(obj: dict[str, Any], name: str, size: int, *, zeros_mean_none: bool = False) -> str | None:
    """A trace id (16 bytes) or span id (8 bytes) as lowercase hex; None when absent.

    OTLP JSON sends hex; protobuf's JSON mapping (and senders that forgot the OTLP rule)
    give base64. The lengths never overlap, so both are read. All zeros is invalid, or
    with ``zeros_mean_none`` (a parent id: some bridges write zeros for "no parent") absent.
    """
    value = field(obj, name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ItemRejected(f"'{name}' must be a hex string")
    if _HEX_ID[size].fullmatch(value):
        hex_id = value.lower()
    else:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != size:
            raise ItemRejected(f"'{name}' must be {size} bytes as {size * 2} hex digits")
        hex_id = raw.hex()
    if not hex_id.strip("0"):
        if zeros_mean_none:
            return None
        raise ItemRejected(f"'{name}' must not be all zeros")
    return hex_id


def any_value(value: Any, depth: int = 0) -> Any:
    """An AnyValue as plain JSON: string, bool, int, float, list, dict (bytes stay base64)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ItemRejected("a value must be an AnyValue object")
    if depth >= MAX_DEPTH:
        return "…[nested too deep]"
    found = field(value, "stringValue")
    if found is not None:
        if not isinstance(found, str):
            raise ItemRejected("'stringValue' must be a string")
        return found
    found = field(value, "boolValue")
    if found is not None:
        if not isinstance(found, bool):
            raise ItemRejected("'boolValue' must be true or false")
        return found
    if field(value, "intValue") is not None:
        return int64(value, "intValue")
    if field(value, "doubleValue") is not None:
        return double(value, "doubleValue")
    found = field(value, "arrayValue")
    if found is not None:
        if not isinstance(found, dict):
            raise ItemRejected("'arrayValue' must be an object")
        values = field(found, "values") or []
        if not isinstance(values, list):
            raise ItemRejected("'arrayValue.values' must be an array")
        return [any_value(v, depth + 1) for v in values]
    found = field(value, "kvlistValue")
    if found is not None:
        if not isinstance(found, dict):
            raise ItemRejected("'kvlistValue' must be an object")
        return attributes(found, "values", depth + 1)
    found = field(value, "bytesValue")
    if found is not None:
        if not isinstance(found, str):
            raise ItemRejected("'bytesValue' must be a base64 string")
        return found
    return None


def attributes(obj: dict[str, Any], name: str = "attributes", depth: int = 0) -> dict[str, Any]:
    """A repeated KeyValue field as a dict (a repeated key keeps its last value)."""
    result: dict[str, Any] = {}
    for pair in each(obj, name, "an attribute list"):
        key = pair.get("key")
        if not isinstance(key, str):
            raise ItemRejected(f"every entry of '{name}' needs a string 'key'")
        result[key] = any_value(pair.get("value"), depth)
    return result


def first_text(attrs: dict[str, Any], *keys: str, limit: int = MAX_ID) -> str | None:
    """The first of ``keys`` whose attribute is a non-empty string (numbers are written out)."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return clip(value, limit)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return None


def who(attrs: dict[str, Any], resource: ResourceInfo) -> tuple[str | None, str | None]:
    """Session and user of a span or record: its ``session.id`` and ``user.id`` (or
    ``enduser.id``) attributes, else the resource's."""
    session = first_text(attrs, "session.id") or first_text(resource.attributes, "session.id")
    user = first_text(attrs, "user.id", "enduser.id") or first_text(resource.attributes, "user.id", "enduser.id")
    return session, user


def path_of(url: str | None) -> str | None:
    """The path of a URL (``/checkout`` of ``https://shop.example/checkout?step=2``)."""
    if not url:
        return None
    if url.startswith("/"):
        return url.split("?", 1)[0].split("#", 1)[0]
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    return path or "/"


def scope_of(scope_container: dict[str, Any]) -> dict[str, Any]:
    """The instrumentation scope of a ``scopeSpans``/``scopeLogs``/``scopeMetrics`` entry."""
    scope = field(scope_container, "scope")
    if scope is None:
        return {}
    if not isinstance(scope, dict):
        raise ItemRejected("'scope' must be an object")
    found: dict[str, Any] = {}
    name, version = text(scope, "name", limit=MAX_ID), text(scope, "version", limit=MAX_ID)
    if name:
        found["name"] = name
    if version:
        found["version"] = version
    return found


# --- resources and projects ----------------------------------------------------------------


def sanitise_project(name: str) -> str | None:
    """``name`` as a project name (``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``), None if nothing is left."""
    cleaned = _PROJECT_BAD_CHARS.sub("-", name).lstrip("-_.")[:64]
    return cleaned or None


def read_resource(container: dict[str, Any], project: str | None) -> ResourceInfo:
    """The resource of a ``resourceSpans``/``resourceLogs``/``resourceMetrics`` entry.

    The project is the caller's when given; else the ``lookout.project`` resource
    attribute, else ``service.name``, both made into a valid project name; else "otel".
    The platform is ``browser.platform`` (browser SDKs), else ``os.name`` ("iOS", "Android":
    what native SDKs call their platform), else ``os.type`` ("darwin", "linux"); the device
    is ``device.model.name``, else ``device.model.identifier``.
    """
    resource = field(container, "resource")
    if resource is not None and not isinstance(resource, dict):
        raise ItemRejected("'resource' must be an object")
    attrs = attributes(resource) if resource else {}
    service = first_text(attrs, "service.name")
    if project is None:
        for candidate in (first_text(attrs, "lookout.project"), service):
            project = sanitise_project(candidate) if candidate else None
            if project:
                break
    return ResourceInfo(
        project=project or "otel",
        service=service,
        release=first_text(attrs, "service.version"),
        environment=first_text(attrs, "deployment.environment.name", "deployment.environment"),
        platform=first_text(attrs, "browser.platform", "os.name", "os.type"),
        device=first_text(attrs, "device.model.name", "device.model.identifier"),
        attributes=clip_data(attrs),
    )


# --- exceptions to errors ------------------------------------------------------------------


def parse_python_traceback(stack: str) -> list[StackFrame]:
    """Frames of a Python traceback, innermost first: the last exception's, when chained."""
    frames: list[StackFrame] = []
    for line in stack.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            frames = []  # a chained traceback prints the cause first; keep the last one
            continue
        match = _PY_FRAME.match(line)
        if match is not None:
            frames.append(StackFrame((match.group("fn") or "").strip(), match.group("file"), int(match.group("line"))))
    frames.reverse()
    return frames


def _frames(stack: str) -> list[StackFrame]:
    # Python SDKs write traceback.format_exception(); everything else is read as the
    # JavaScript stacks browser and mini-program SDKs send.
    if "Traceback (most recent call last)" in stack:
        return parse_python_traceback(stack)
    return parse_stack(stack)


def error_event(
    *,
    resource: ResourceInfo,
    exception: dict[str, Any],
    context: dict[str, Any],
    timestamp: int,
    trace_id: str | None,
    route: str | None,
    level: str,
    fallback_message: str,
    where: str | None,
    data: dict[str, Any],
) -> Event:
    """An error event from an exception's ``exception.*`` attributes.

    ``context`` holds the attributes of what carried the exception (the span, the log
    record) for session and user; ``where`` is the culprit when the stack has no frames;
    ``data`` is stored with the error and gets ``"_format": "otlp"``. OTLP gives an
    exception no id of its own, so ``error_id`` stays empty.
    """
    error_type = first_text(exception, "exception.type") or "Error"
    message = first_text(exception, "exception.message", limit=MAX_STRING) or fallback_message or error_type
    stack = first_text(exception, "exception.stacktrace", limit=MAX_STACK) or ""
    frames = _frames(stack) if stack else []
    frame = top_frame(frames)
    culprit = frame.label() if frame is not None else (where or route or "")
    session, user = who(context, resource)
    return Event(
        kind=Kind.ERROR,
        project=resource.project,
        timestamp=timestamp,
        session_id=session,
        user_id=user,
        summary=clip(f"{error_type}: {message}", 300),
        columns={
            "fingerprint": fingerprint(exceptions=[ExceptionInfo(error_type, message, frames)], message=message),
            "error_id": None,
            "error_type": error_type,
            "message": message,
            "level": level,
            "culprit": culprit,
            "route": route,
            "release": resource.release,
            "environment": resource.environment,
            "trace_id": trace_id,
        },
        data=clip_data({**data, "_format": "otlp"}),
    )


def json_text(value: Any) -> str:
    """A log body that is not a string, written out as JSON."""
    # any_value only builds JSON values (int64 ints, finite floats), so this cannot fail.
    return value if isinstance(value, str) else orjson.dumps(value).decode()
