"""Printed Python tracebacks, as OpenTelemetry SDKs put them in ``exception.stacktrace``.

``traceback.format_exception`` prints a chain cause first, each exception as a part that
starts ``Traceback (most recent call last):``, lists its frames oldest first (each
``File "...", line N, in fn`` followed by its source line, and from Python 3.11 perhaps a
line of carets under it) and ends with ``Type: message``. :func:`read_traceback` gives the
parts as data, for the error detail view (:mod:`console.core.analysis.error_detail`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from console.core.analysis.grouping import StackFrame

__all__ = ["TRACEBACK_HEADER", "TracebackFrame", "TracebackPart", "read_traceback"]

#: The line every part of a printed traceback starts with.
TRACEBACK_HEADER = "Traceback (most recent call last)"

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<fn>.+?))?\s*$')
_CARETS = re.compile(r"^\s*[\^~\s]+$")


class TracebackFrame(NamedTuple):
    """A frame as printed, with its source line when the traceback shows one."""

    frame: StackFrame
    source: str | None


class TracebackPart(NamedTuple):
    """One exception of a chain: frames oldest first (as printed), its type and message.

    ``type`` and ``message`` are empty when the part has no ``Type: message`` line.
    """

    frames: tuple[TracebackFrame, ...]
    type: str
    message: str


class _Part:
    __slots__ = ("done", "frames", "tail")

    def __init__(self) -> None:
        self.frames: list[TracebackFrame] = []
        self.tail: list[str] = []  # the "Type: message" line and the message's further lines
        self.done = False

    def result(self) -> TracebackPart:
        head, _, first = (self.tail[0] if self.tail else "").partition(": ")
        message = "\n".join([first, *self.tail[1:]]).strip()
        return TracebackPart(tuple(self.frames), head.strip(), message)


def read_traceback(stack: str) -> list[TracebackPart]:
    """The parts of a printed traceback, cause first as printed; [] when it is not one."""
    parts: list[_Part] = []
    for line in stack.splitlines():
        if line.startswith(TRACEBACK_HEADER):
            parts.append(_Part())
        elif not parts or parts[-1].done:
            continue  # before the first part, or "The above exception was ..." between parts
        elif parts[-1].tail:
            if line.strip():
                parts[-1].tail.append(line)
            else:
                parts[-1].done = True
        elif (match := _FRAME.match(line)) is not None:
            at = StackFrame((match.group("fn") or "").strip(), match.group("file"), int(match.group("line")))
            parts[-1].frames.append(TracebackFrame(at, None))
        elif line.startswith((" ", "\t")):
            frames = parts[-1].frames
            if frames and frames[-1].source is None and not _CARETS.match(line):
                frames[-1] = frames[-1]._replace(source=line.strip())
        elif line.strip():
            parts[-1].tail.append(line)
    return [part.result() for part in parts]
