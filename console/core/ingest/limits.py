"""The documented limits every decoder cuts incoming payloads to.

A string over its limit is cut and marked with how much was dropped, so a reader can see
that it was cut; nested data deeper than :data:`MAX_DEPTH` is replaced by a marker. None of
this rejects an event: an over-long message is still an error worth keeping.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MAX_BREADCRUMBS",
    "MAX_DEPTH",
    "MAX_EVENTS_PER_REQUEST",
    "MAX_ID",
    "MAX_SPANS",
    "MAX_STACK",
    "MAX_STRING",
    "clip",
    "clip_data",
]

MAX_STRING = 8_192
"""Characters kept of any string field (messages, URLs, property values)."""
MAX_STACK = 65_536
"""Characters kept of a stack trace string."""
MAX_ID = 200
"""Characters kept of identifiers: session, user, event, span ids, names, routes."""
MAX_BREADCRUMBS = 100
"""Breadcrumbs kept per error: the newest ones, as they tell the end of the story."""
MAX_SPANS = 1_000
"""Spans kept per transaction."""
MAX_DEPTH = 16
"""Nesting depth kept of free-form data (context, properties)."""
MAX_EVENTS_PER_REQUEST = 10_000
"""Events accepted in one request; more is refused with 413."""


def clip(text: str, limit: int = MAX_STRING) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how many were dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters cut]"


def clip_data(value: Any, depth: int = 0) -> Any:
    """Decoded JSON with every string clipped and nesting capped at MAX_DEPTH.

    Dicts and lists are clipped in place (the decoder owns what it parsed) and returned;
    this is the ingest hot path, so leaves are checked inline rather than by a call each.
    """
    kind = type(value)
    if kind is str:
        return value if len(value) <= MAX_STRING else clip(value)
    if kind is not dict and kind is not list:
        return value
    if depth >= MAX_DEPTH:
        return "…[nested too deep]"
    if kind is list:
        for index, item in enumerate(value):
            item_kind = type(item)
            if item_kind is str:
                if len(item) > MAX_STRING:
                    value[index] = clip(item)
            elif item_kind is dict or item_kind is list:
                value[index] = clip_data(item, depth + 1)
        return value
    long_keys = []
    for key, item in value.items():
        if len(key) > MAX_ID:
            long_keys.append(key)
        item_kind = type(item)
        if item_kind is str:
            if len(item) > MAX_STRING:
                value[key] = clip(item)
        elif item_kind is dict or item_kind is list:
            value[key] = clip_data(item, depth + 1)
    for key in long_keys:
        value[clip(key, MAX_ID)] = value.pop(key)
    return value
