"""Whether a transaction or span failed, from the status its sender gave it.

Senders disagree on status words: Sentry uses the gRPC-style names (``ok``,
``internal_error``, ``deadline_exceeded`` …), OTLP ``ok``/``error``/``unset``, and the native
format whatever the app put in ``result.status``, sometimes an HTTP code. Lookout follows
Sentry's failure rate: every status but ``ok``, ``cancelled`` and ``unknown`` (and none at
all) is a failure; an HTTP code is a failure from 400 up.
"""

from __future__ import annotations

__all__ = ["is_failure"]

_NOT_FAILURES = frozenset({"", "ok", "cancelled", "canceled", "unknown", "unknown_error", "unset", "success"})


def is_failure(status: str | None) -> bool:
    """Whether ``status`` means the operation failed."""
    if status is None:
        return False
    word = status.strip().lower()
    if word.isdigit():
        return int(word) >= 400
    return word not in _NOT_FAILURES
