"""Showing text from telemetry safely: always as plain text, never as markup.

Qt guesses whether a string is rich text (``Qt.mightBeRichText``) in tooltips and in labels
left at ``AutoText``; a message such as ``<img src=x onerror=...>`` would then be rendered.
Everything that came from an app goes through these helpers or into widgets set to
``Qt.TextFormat.PlainText``.
"""

from __future__ import annotations

import html

__all__ = ["plain_tooltip"]


def plain_tooltip(text: str, *, limit: int = 2_000) -> str:
    """A tooltip that shows ``text`` literally (escaped inside a rich-text wrapper)."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
