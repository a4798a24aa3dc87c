"""Where in the Analytics panel a session's page view, click, request or event is charted.

A timeline item that has no panel of its own (page views, interactions, network requests,
custom and analytics events) opens the Analytics tab that counts its kind: the Events tab
charting that route's views, that element's clicks, that URL's requests or that event by
name; the Funnels tab at its funnel; the Conversions tab.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.core.analysis.product.refs import EventRef, PropertyFilter
from console.core.store.session_queries import TimelineItem

__all__ = ["ItemView", "item_view"]


@dataclass(frozen=True, slots=True)
class ItemView:
    """The tab (by title) that shows an item, with what it charts (Events) or picks (Funnels)."""

    tab: str
    ref: EventRef | None = None
    funnel: str | None = None


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def item_view(item: TimelineItem) -> ItemView | None:
    """Where ``item`` is charted in Analytics; None for items shown in another panel."""
    if item.panel != "analytics":
        return None
    detail = item.detail
    name = _text(detail.get("name"))
    if item.kind == "page_view" and _text(detail.get("route")):
        return ItemView("Events", EventRef("page_view", _text(detail.get("route"))))
    if item.kind == "interaction" and _text(detail.get("action")):
        element = _text(detail.get("element_id"))
        filters = (PropertyFilter("element_id", "eq", element),) if element else ()
        return ItemView("Events", EventRef("interaction", _text(detail.get("action")), filters=filters))
    if item.kind == "network_request" and _text(detail.get("url")):
        url = PropertyFilter("url", "eq", str(detail["url"]))
        return ItemView("Events", EventRef("network_request", _text(detail.get("method")), filters=(url,)))
    if item.kind == "analytics" and name == "funnel_step" and _text(detail.get("funnel")):
        return ItemView("Funnels", funnel=_text(detail.get("funnel")))
    if item.kind == "analytics" and name == "conversion":
        return ItemView("Conversions")
    if item.kind in ("custom_event", "analytics") and name:
        return ItemView("Events", EventRef("event", name))
    return None
