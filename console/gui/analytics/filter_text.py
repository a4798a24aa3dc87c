"""The typed form of property filters: ``platform = ios, properties."utm.source" != ad, route ~ cart``.

Pure text, no Qt: what :class:`~console.gui.analytics.ref_picker.EventRefPicker`'s filters
field reads (:func:`parse_filters`) and shows (:func:`filters_text`), each the other's inverse.

A filter is ``key = value``, ``key != value`` or ``key ~ text`` (contains), filters are
separated by commas. A key is what :func:`~console.core.analysis.product.refs.check_key`
accepts: a property's name may hold spaces (``properties.plan type``) and is quoted when it
holds a dot or one of ``, = ! ~`` (``properties."utm.source"``, ``properties."a=b"``). A
value is read to the next comma; one holding a comma (or starting with a quote, or empty)
is written in double quotes, a quote inside doubled: ``title = "Shoes, socks"``.
"""

from __future__ import annotations

import re

from console.core.analysis.product.refs import PropertyFilter

__all__ = ["filters_text", "parse_filters", "typed_key"]

_SIGNS = {"eq": "=", "ne": "!=", "contains": "~"}
_OPS = {"!=": "ne", "~": "contains", "=": "eq"}
_HOW = "write key = value, key != value or key ~ text"
# A key's labels: quoted, or plain up to the next dot (refs.KEY_SEGMENT's two forms).
_LABEL = re.compile(r'"[^"]*"|[^."]+')
# What a plain label may not hold for the typed form to read back: the separators.
_NEEDS_QUOTES = re.compile(r"[,=~]|!=|^\s|\s$")


def parse_filters(source: str, text: str) -> tuple[PropertyFilter, ...]:
    """``platform = ios, properties."utm.source" != ad`` as filters of ``source``; ValueError
    saying which part is wrong."""
    found: list[PropertyFilter] = []
    at = 0
    while at < len(text):
        key, sign, at = _read_key(text, at)
        if key is None:
            break
        value, at = _read_value(text, at, key + " " + sign)
        item = PropertyFilter(key=key, op=_OPS[sign], value=value)
        item.check(source)
        found.append(item)
    return tuple(found)


def filters_text(filters: tuple[PropertyFilter, ...]) -> str:
    """The typed form of ``filters`` (what :func:`parse_filters` reads back)."""
    return ", ".join(f"{typed_key(f.key)} {_SIGNS[f.op]} {_typed_value(f.value)}" for f in filters)


def typed_key(key: str) -> str:
    """``key`` as the filters field reads it back: a property label holding a separator (or
    space at an end) quoted, ``properties."a=b"``; the same key to the store."""
    head, _dot, rest = key.partition(".")
    if head not in ("properties", "data") or not rest:
        return key
    labels = [label if label.startswith('"') or not _NEEDS_QUOTES.search(label) else f'"{label}"'
              for label in _LABEL.findall(rest)]
    return f"{head}." + ".".join(labels)


def _typed_value(value: str) -> str:
    if value and "," not in value and not value.startswith('"') and value == value.strip():
        return value
    return '"' + value.replace('"', '""') + '"'


def _read_key(text: str, at: int) -> tuple[str | None, str, int]:
    """The key and operator of the filter from ``at`` (quotes hold separators), and where
    its value starts; (None, "", end) when only blanks and commas are left."""
    start, quoted = at, False
    while at < len(text):
        char = text[at]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == ",":
            part = text[start:at].strip()
            if part:
                raise ValueError(f"cannot read the filter {part!r}: {_HOW}")
            start = at + 1
        elif not quoted and (char in "=~" or text.startswith("!=", at)):
            sign = "!=" if char == "!" else char
            key = text[start:at].strip()
            if not key:
                raise ValueError(f"the filter {text[start:at + len(sign)].strip()!r} has no key: {_HOW}")
            return key, sign, at + len(sign)
        at += 1
    part = text[start:].strip()
    if not part:
        return None, "", at
    if quoted:
        raise ValueError(f"the filter {part!r} has a double quote that is not closed")
    raise ValueError(f"cannot read the filter {part!r}: {_HOW}")


def _read_value(text: str, at: int, head: str) -> tuple[str, int]:
    """The value from ``at`` (to the next comma, or in double quotes) and where the next
    filter starts."""
    while at < len(text) and text[at].isspace():
        at += 1
    if at < len(text) and text[at] == '"':
        start = at
        value, at = _read_quoted(text, at + 1, head)
        rest = text.find(",", at)
        end = len(text) if rest < 0 else rest
        if text[at:end].strip():
            typed = f"{head} {text[start:end].strip()}"
            raise ValueError(f"the filter {typed!r} has text after its closing quote")
        return value, end + 1
    rest = text.find(",", at)
    end = len(text) if rest < 0 else rest
    value = text[at:end].strip()
    if not value:
        raise ValueError(f"the filter {head.strip()!r} has no value")
    return value, end + 1


def _read_quoted(text: str, at: int, head: str) -> tuple[str, int]:
    """A quoted value from just after its opening quote (``""`` is a quote) and where it ends."""
    begin = at
    chars: list[str] = []
    while at < len(text):
        if text[at] == '"':
            if text.startswith('""', at):
                chars.append('"')
                at += 2
                continue
            return "".join(chars), at + 1
        chars.append(text[at])
        at += 1
    typed = f"{head} {text[begin - 1:].strip()}"
    raise ValueError(f"the filter {typed!r} has a double quote that is not closed")
