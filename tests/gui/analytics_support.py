"""A hand-built product-analytics store for the Events, Funnels, Conversions and KPIs tabs' tests.

Eight users, each starting ten minutes after the one before from ``T0``, the tabs' range
being ``[T0, T0 + 60 min)`` in 10-minute buckets (and the previous period, for KPI trends,
``[T0 - 60 min, T0)``). What each user does, with minutes from their own start:

=====  ========  ==============================================================
user   platform  occurrences
=====  ========  ==============================================================
u1     ios       index 0, cart 1, checkout_done 2 (card) and 3 (card); clicks
                 #checkout and #buy; purchase 100 CNY; funnel_step welcome, profile
u2     ios       index 0, cart 1; funnel_step welcome
u3     android   index 0, checkout_done 1 (wallet), cart 2  (checkout before cart)
u4     android   index 0, cart 3, checkout_done 5 (card); click #checkout;
                 purchase 50.50 CNY, subscription 9.99 USD
u5     android   cart 0 (never enters at the index)
u6     ios       index 0
u7     ios       at T0 − 30 min (previous period): index 0, checkout_done 1
u8     ios       at T0 − 20 min (previous period): index 0
=====  ========  ==============================================================

Counted by hand, over the range, funnel index → cart → checkout_done (window 1 h):
5 users entered (u1 u2 u3 u4 u6), 4 reached the cart (u1 u2 u3 u4), 2 checked out after it
(u1 u4): step conversion 80 % then 50 %, overall 40 %; drop-off 1 and 2; median time
index → cart over u1 1 min, u2 1 min, u3 2 min, u4 3 min = 1 min 30 s, cart → checkout
over u1 1 min, u4 2 min = 1 min 30 s. By platform: ios 3, 2, 1 (u1 u2 u6), android 2, 2, 1
(u3 u4).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

MINUTE = 60_000
BUCKET = 10 * MINUTE

INDEX, CART = "pages/index/index", "pages/cart/cart"


class FixedSpan(QObject):
    """The panel's range, fixed at ``[start, end)`` so the tests can count its buckets.

    Signals:
        changed(str): never fired here (the tabs connect to it).
    """

    changed = Signal(str)

    def __init__(self, start: int, end: int, bucket_ms: int = BUCKET) -> None:
        super().__init__()
        self.start, self.end, self.bucket_ms = start, end, bucket_ms
        self.key, self.label = "test", "Test range"

    def span(self, now_ms: int | None = None) -> tuple[int | None, int]:
        return self.start, self.end


def _base(user: str, at: int) -> dict[str, Any]:
    return {"timestamp": at, "sessionId": f"s-{user}", "userId": user}


def page_view(user: str, route: str, at: int, platform: str) -> dict[str, Any]:
    return {"type": "page_view", "url": route, **_base(user, at),
            "deviceInfo": {"platform": platform, "brand": "Acme", "model": "A1", "system": platform}}


def checkout(user: str, at: int, method: str) -> dict[str, Any]:
    return {"type": "custom_event", "name": "checkout_done", "properties": {"method": method}, **_base(user, at)}


def click(user: str, at: int, element_id: str, text: str) -> dict[str, Any]:
    return {"type": "interaction", "action": "click", **_base(user, at),
            "element": {"tag": "button", "id": element_id, "classes": [], "text": text}}


def conversion(user: str, at: int, kind: str, value: float, currency: str) -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "eventId": f"ev-{user}-{at}", **_base(user, at),
            "properties": {"type": kind, "value": value, "currency": currency}}


def funnel_step(user: str, at: int, step: str, index: int) -> dict[str, Any]:
    return {"type": "event", "name": "funnel_step", "eventId": f"fs-{user}-{at}", **_base(user, at),
            "properties": {"funnel": "onboarding", "step": step, "stepIndex": index}}


def analytics_payloads(t0: int) -> list[dict[str, Any]]:
    """The table of the module docstring as native payloads, oldest first."""
    m = MINUTE
    users = {u: t0 + 10 * m * i for i, u in enumerate(("u1", "u2", "u3", "u4", "u5", "u6"))}
    u1, u2, u3, u4, u5, u6 = users.values()
    u7, u8 = t0 - 30 * m, t0 - 20 * m
    payloads = [
        page_view("u7", INDEX, u7, "ios"), checkout("u7", u7 + m, "card"),
        page_view("u8", INDEX, u8, "ios"),
        page_view("u1", INDEX, u1, "ios"), funnel_step("u1", u1 + 10, "welcome", 0),
        page_view("u1", CART, u1 + m, "ios"), click("u1", u1 + m + 10, "checkout", "Checkout"),
        checkout("u1", u1 + 2 * m, "card"), click("u1", u1 + 2 * m + 10, "buy", "Buy now"),
        checkout("u1", u1 + 3 * m, "card"), conversion("u1", u1 + 3 * m + 10, "purchase", 100.0, "CNY"),
        funnel_step("u1", u1 + 4 * m, "profile", 1),
        page_view("u2", INDEX, u2, "ios"), funnel_step("u2", u2 + 10, "welcome", 0),
        page_view("u2", CART, u2 + m, "ios"),
        page_view("u3", INDEX, u3, "android"), checkout("u3", u3 + m, "wallet"),
        page_view("u3", CART, u3 + 2 * m, "android"),
        page_view("u4", INDEX, u4, "android"), page_view("u4", CART, u4 + 3 * m, "android"),
        click("u4", u4 + 3 * m + 10, "checkout", "Checkout"), checkout("u4", u4 + 5 * m, "card"),
        conversion("u4", u4 + 5 * m + 10, "purchase", 50.5, "CNY"),
        conversion("u4", u4 + 6 * m, "subscription", 9.99, "USD"),
        page_view("u5", CART, u5, "android"),
        page_view("u6", INDEX, u6, "ios"),
    ]
    return sorted(payloads, key=lambda p: p["timestamp"])
