"""Sentry error envelopes as the real sentry-python SDK makes them, for the benchmarks.

An app raises an error ten frames deep after twenty breadcrumbs and calls
``capture_exception`` (no local variables or source lines, as a browser SDK sends: about
6 KB); the SDK's own client builds the event and the envelope, and a
transport that only keeps ``envelope.serialize()`` stands in for the network. Messages,
users and breadcrumbs vary per envelope so grouping sees realistic variety (a handful of
issues, many users).

Not a test module: the benchmark scripts import it from their own folder.
"""

from __future__ import annotations

import random

import sentry_sdk
from sentry_sdk.transport import Transport

__all__ = ["sentry_error_envelopes"]


class _Keep(Transport):
    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.bodies: list[bytes] = []

    def capture_envelope(self, envelope) -> None:  # type: ignore[no-untyped-def]
        self.bodies.append(envelope.serialize())


def _descend(depth: int, cart: list[dict], place: int) -> float:
    if depth == 0:
        prices = [item.get("price") for item in cart]
        if place % 3 == 0:
            return sum(prices) * None  # type: ignore[operator]
        if place % 3 == 1:
            return cart[len(cart) + place]["price"]
        raise ValueError(f"coupon {place:05d} expired for cart of {len(cart)} items")
    return _descend(depth - 1, cart, place)


def sentry_error_envelopes(count: int, *, seed: int = 5) -> list[bytes]:
    """``count`` serialized error envelopes (each with one event item) from sentry-python."""
    rng = random.Random(seed)
    transport = _Keep()
    sentry_sdk.init(
        dsn="http://benchkey@127.0.0.1:9/1",
        transport=transport,
        release="shop@2.4.0",
        environment="bench",
        default_integrations=False,
        max_breadcrumbs=20,
        include_local_variables=False,
        include_source_context=False,
    )
    try:
        for n in range(count):
            with sentry_sdk.new_scope() as scope:
                scope.set_user({"id": f"u-{rng.randrange(5000)}"})
                scope.set_tag("session_id", f"s-{rng.randrange(20000):05x}")
                scope.set_tag("page", rng.choice(["pages/cart/cart", "pages/item/item", "pages/pay/pay"]))
                for step in range(20):
                    scope.add_breadcrumb(
                        category=rng.choice(["navigation", "ui.click", "http", "console"]),
                        message=f"step {step} of session {n}",
                        data={"route": "pages/cart/cart", "status_code": 200, "n": step},
                    )
                try:
                    _descend(8, [{"price": rng.randrange(100)} for _ in range(rng.randrange(1, 6))], n)
                except Exception as exc:  # noqa: BLE001 - every kind the app raises is captured
                    sentry_sdk.capture_exception(exc)
    finally:
        sentry_sdk.flush()
        sentry_sdk.init()  # detach the benchmark's client
    return transport.bodies
